/*
 * dfuflash.h - the one public header of libdfuflash.
 *
 * libdfuflash talks USB DFU 1.1 and ST DfuSe 1.1a to devices in bootloader
 * mode, reads and writes firmware files, plans and runs erase/write/verify,
 * and leaves DFU mode.
 *
 * Conventions (as libusb and curl do it):
 *  - Handles are opaque: struct dfu_ctx, struct dfu_image, struct dfu_dev.
 *    Public structs exist only for wire data and plain results.
 *  - Every function that can fail returns an int that is DFU_OK (0) or a
 *    negative enum dfu_err. Out-parameters are written only on success.
 *  - On failure, dfu_detail(ctx) holds a message with the specifics
 *    ("fome.hex:12: record checksum is 0x3A, expected 0x3B").
 *  - The library never prints and never exits; it logs through the callback
 *    set with dfu_ctx_set_log().
 *  - dfu_*_free(NULL) is a no-op.
 */
#ifndef DFUFLASH_H
#define DFUFLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfu_wire.h"  /* DFU requests, states, statuses, DfuSe commands */

#ifdef __cplusplus
extern "C" {
#endif

/* Only what this header declares is exported from the shared library;
 * the library is built with -fvisibility=hidden. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* DFUFLASH_VERSION ("0.1.0"), DFUFLASH_VERSION_MAJOR/_MINOR/_PATCH and
 * DFUFLASH_VERSION_NUM: the version this header belongs to. */
#include "dfuflash_version.h"

/* The version of the library the program runs with ("0.1.0"), which can
 * differ from the DFUFLASH_VERSION it was compiled with; never NULL. */
const char *dfu_version(void);
/* The version of the libusb the library runs on ("1.0.26"; "-rc1" and the
 * like appended when libusb has one); never NULL. Static storage. */
const char *dfu_libusb_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

enum dfu_err {
	DFU_OK = 0,
	DFU_ERR_INVALID_ARG = -1,   /* a caller passed something impossible */
	DFU_ERR_NO_MEM = -2,        /* out of memory */
	DFU_ERR_IO = -3,            /* reading or writing a local file failed */
	DFU_ERR_FORMAT = -4,        /* a file is malformed */
	DFU_ERR_CHECKSUM = -5,      /* a checksum or CRC in a file is wrong */
	DFU_ERR_UNSUPPORTED = -6,   /* valid, but not something we handle */
	DFU_ERR_OVERLAP = -7,       /* two pieces of data claim the same address */
	DFU_ERR_RANGE = -8,         /* an address or size outside what fits */
	DFU_ERR_NOT_FOUND = -9,     /* no such target, alternate setting, ... */
	DFU_ERR_NO_DEVICE = -10,    /* no matching DFU device */
	DFU_ERR_AMBIGUOUS = -11,    /* several devices match and none was chosen */
	DFU_ERR_ACCESS = -12,       /* permission denied opening the device */
	DFU_ERR_BUSY = -13,         /* the device is claimed by another program */
	DFU_ERR_USB = -14,          /* any other USB transport failure */
	DFU_ERR_TIMEOUT = -15,      /* the device did not answer in time */
	DFU_ERR_STALL = -16,        /* the device stalled a request */
	DFU_ERR_DISCONNECTED = -17, /* the device left the bus */
	DFU_ERR_DEVICE = -18,       /* the device reported a DFU error status */
	DFU_ERR_PROTOCOL = -19,     /* the device answered outside the protocol */
	DFU_ERR_PROTECTED = -20,    /* read protection is on */
	DFU_ERR_VERIFY = -21,       /* read-back differs from what was written */
	DFU_ERR_MISMATCH = -22,     /* the file was made for another device */
	DFU_ERR_CANCELLED = -23,    /* a callback asked to stop */
	DFU_ERR_NOT_STARTED = -24,  /* written and verified, but the firmware
				       did not come back running */
};

/* A short English sentence for an error; never NULL. */
const char *dfu_strerror(int err);
/* The enum's name without prefix, e.g. "CHECKSUM"; never NULL. */
const char *dfu_errname(int err);

/* ------------------------------------------------------------------------ */
/* Context: logging and the detail message                                   */
/* ------------------------------------------------------------------------ */

struct dfu_ctx;

enum dfu_log_level {
	DFU_LOG_ERROR = 0,
	DFU_LOG_WARNING = 1,
	DFU_LOG_INFO = 2,
	DFU_LOG_DEBUG = 3,  /* every request on the wire */
};

typedef void (*dfu_log_fn)(void *user, enum dfu_log_level level, const char *msg);

/* Creates a context. *out is owned by the caller: free with dfu_ctx_free(). */
int dfu_ctx_new(struct dfu_ctx **out);
void dfu_ctx_free(struct dfu_ctx *ctx);

/* Messages at or below max_level go to fn; fn NULL silences the library. */
void dfu_ctx_set_log(struct dfu_ctx *ctx, dfu_log_fn fn, void *user,
		     enum dfu_log_level max_level);

/* The state directory, where recovery journals live (see "Recovery
 * journals" below). Default: $DFUFLASH_STATE_DIR, else
 * $XDG_STATE_HOME/dfuflash, else $HOME/.local/state/dfuflash. NULL
 * restores the default. */
int dfu_ctx_set_state_dir(struct dfu_ctx *ctx, const char *dir);
/* The state directory in force; never NULL. Owned by ctx. */
const char *dfu_ctx_state_dir(struct dfu_ctx *ctx);

/* Specifics of the last failure on this context ("" when none); never NULL.
 * The string is owned by ctx and valid until the next call that fails. */
const char *dfu_detail(const struct dfu_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Firmware images                                                           */
/* ------------------------------------------------------------------------ */

/*
 * A firmware image is a list of targets. A target is what is written through
 * one DFU alternate setting: its alternate setting number, an optional name,
 * and a sparse memory image (ordered, non-overlapping segments; adjacent
 * segments are merged). Files that know no targets (bin, hex, srec, elf,
 * plain DFU) read into one target with alt 0 and no name.
 */
struct dfu_image;

enum dfu_format {
	DFU_FORMAT_AUTO = 0, /* reading: detect from content; writing: from extension */
	DFU_FORMAT_BIN,      /* raw bytes at a base address */
	DFU_FORMAT_DFU,      /* raw bytes with a DFU 1.0/1.1 suffix (no addresses) */
	DFU_FORMAT_DFUSE,    /* ST DfuSe (UM0391) with suffix bcdDFU 0x011A */
	DFU_FORMAT_IHEX,     /* Intel HEX */
	DFU_FORMAT_SREC,     /* Motorola S-record */
	DFU_FORMAT_ELF,      /* ELF, PT_LOAD segments at physical addresses */
};

/* "bin", "dfu", "dfuse", "ihex", "srec", "elf" ("auto" for AUTO); never NULL. */
const char *dfu_format_name(enum dfu_format fmt);
/* Accepts the names above and "hex", "s19", "s28", "s37", "mot". */
int dfu_format_parse(const char *name, enum dfu_format *out);
/* From a path's extension (.bin .dfu .hex .ihex .srec .s19 .s28 .s37 .mot
 * .elf); DFU_FORMAT_AUTO when unknown. ".dfu" gives DFU_FORMAT_DFUSE. */
enum dfu_format dfu_format_from_path(const char *path);

#define DFU_SUFFIX_LEN 16
#define DFU_SUFFIX_ANY 0xFFFF   /* an id field that matches any device */
#define DFU_BCD_DFU_1_0 0x0100
#define DFU_BCD_DFUSE 0x011A

/* The 16-byte DFU suffix (DFU 1.1 appendix B), as plain values. */
struct dfu_suffix {
	uint16_t bcd_device;
	uint16_t id_product;
	uint16_t id_vendor;
	uint16_t bcd_dfu;
	uint32_t crc;  /* as stored in the file */
};

struct dfu_read_opts {
	enum dfu_format format;  /* DFU_FORMAT_AUTO to detect from content */
	bool has_base_address;   /* required for raw .bin */
	uint32_t base_address;
	bool force;              /* accept a wrong suffix CRC (with a warning) */
};

struct dfu_write_opts {
	enum dfu_format format;  /* DFU_FORMAT_AUTO: from the path's extension */
	bool has_suffix_ids;     /* DFU/DfuSe: ids to write in the suffix */
	uint16_t id_vendor;      /* otherwise those read from the input, or 0xFFFF */
	uint16_t id_product;
	uint16_t bcd_device;
};

/* What an image knows about the file it came from. */
struct dfu_image_info {
	enum dfu_format format;  /* the format it was read as */
	size_t file_size;
	uint32_t file_crc32;     /* zlib crc32 of the whole file */
	bool has_suffix;
	struct dfu_suffix suffix;
	bool suffix_crc_ok;
	bool has_entry;          /* HEX type 03/05, S7/S8/S9, ELF e_entry */
	uint32_t entry;
};

struct dfu_target_info {
	uint8_t alt;             /* DFU alternate setting */
	const char *name;        /* "" when unnamed; owned by the image */
	size_t segment_count;
	uint64_t total_size;     /* bytes of data in all segments */
};

struct dfu_segment {
	uint32_t address;
	uint32_t size;
	const uint8_t *data;     /* owned by the image; valid until it changes */
};

/* An empty image. *out is owned by the caller: dfu_image_free(). */
int dfu_image_new(struct dfu_image **out);
void dfu_image_free(struct dfu_image *img);

/* Reads a file (name is used in messages). ctx gets the detail on failure,
 * e.g. "fw.hex: line 12: record checksum 0x3A, expected 0x3B". */
int dfu_image_read_file(struct dfu_ctx *ctx, const char *path,
			const struct dfu_read_opts *opts, struct dfu_image **out);
int dfu_image_read_mem(struct dfu_ctx *ctx, const char *name,
		       const uint8_t *data, size_t len,
		       const struct dfu_read_opts *opts, struct dfu_image **out);

/* Writes img in a format. Formats that cannot hold what img has fail with
 * DFU_ERR_UNSUPPORTED (e.g. a .bin from an image with gaps is filled with
 * 0xFF only if it is a single target; several targets need .dfu). */
int dfu_image_write_file(struct dfu_ctx *ctx, const struct dfu_image *img,
			 const char *path, const struct dfu_write_opts *opts);
/* *data is allocated with malloc() and owned by the caller. */
int dfu_image_write_mem(struct dfu_ctx *ctx, const struct dfu_image *img,
			const struct dfu_write_opts *opts,
			uint8_t **data, size_t *len);

void dfu_image_get_info(const struct dfu_image *img, struct dfu_image_info *out);
void dfu_image_set_suffix_ids(struct dfu_image *img, uint16_t id_vendor,
			      uint16_t id_product, uint16_t bcd_device);
void dfu_image_set_entry(struct dfu_image *img, uint32_t entry);

size_t dfu_image_target_count(const struct dfu_image *img);
int dfu_image_target(const struct dfu_image *img, size_t target,
		     struct dfu_target_info *out);
/* Adds a target and returns its index in *index. */
int dfu_image_add_target(struct dfu_image *img, uint8_t alt, const char *name,
			 size_t *index);
/* Changes a target's alternate setting (convert --alt). */
int dfu_image_set_target_alt(struct dfu_image *img, size_t target, uint8_t alt);

size_t dfu_image_segment_count(const struct dfu_image *img, size_t target);
int dfu_image_segment(const struct dfu_image *img, size_t target, size_t index,
		      struct dfu_segment *out);
/* Adds bytes at an address. Overlap with identical bytes is accepted;
 * overlap with different bytes is DFU_ERR_OVERLAP (ctx detail names both
 * places). Adjacent data merges into one segment. */
int dfu_image_add_data(struct dfu_ctx *ctx, struct dfu_image *img, size_t target,
		       uint32_t address, const uint8_t *data, size_t len);
/* Moves every segment of a target by delta (convert --address). */
int dfu_image_relocate(struct dfu_image *img, size_t target, int64_t delta);

/* ------------------------------------------------------------------------ */
/* Memory layouts (DfuSe alternate-setting strings) and sector maps          */
/* ------------------------------------------------------------------------ */

/* Sector flags: the low three bits of the DfuSe type letter ('a'..'g'). */
enum dfu_sector_flags {
	DFU_SECTOR_READABLE = 0x1,
	DFU_SECTOR_ERASABLE = 0x2,
	DFU_SECTOR_WRITABLE = 0x4,
};

/* One erasable unit of memory. */
struct dfu_sector {
	uint32_t address;
	uint32_t size;
	unsigned flags;      /* enum dfu_sector_flags */
	unsigned number;     /* the sector number the chip's erase uses */
};

/* A sector map: ordered by address, non-overlapping. */
struct dfu_layout {
	char name[64];                 /* "Internal Flash" (trimmed) */
	size_t count;
	struct dfu_sector *sectors;    /* count entries, owned by the layout */
};

/* Parses a DfuSe layout string "@Internal Flash  /0x08000000/04*016Kg,..."
 * (several /0xADDR/... groups allowed). Sectors are numbered from 0 in
 * address order. *out is owned by the caller: dfu_layout_free(). */
int dfu_layout_parse(struct dfu_ctx *ctx, const char *str, struct dfu_layout **out);
void dfu_layout_free(struct dfu_layout *layout);
/* The sector holding address, or NULL. */
const struct dfu_sector *dfu_layout_find(const struct dfu_layout *layout,
					 uint32_t address);

/* What we know about a part, from its identity and layout (lib/chip.c). */
struct dfu_chip_info {
	const char *name;        /* "STM32F405/407", ..., "unknown"; never NULL */
	uint32_t flash_base;
	uint32_t flash_size;     /* bytes of main flash; 0 when unknown */
};
int dfu_chip_identify(uint16_t id_product, uint16_t bcd_device,
		      const struct dfu_layout *flash, struct dfu_chip_info *out);

/* ------------------------------------------------------------------------ */
/* DFU wire definitions                                                      */
/* ------------------------------------------------------------------------ */

/* "dfuIDLE", ...; "unknown" for values outside the enum; never NULL. */
const char *dfu_state_name(int state);
/* "OK", "errTARGET", ...; "unknown" outside the enum; never NULL. */
const char *dfu_status_name(int status);

/* The 6-byte GETSTATUS reply (DFU 1.1 section 6.1.2). */
struct dfu_status {
	uint8_t status;           /* enum dfu_status_code */
	uint32_t poll_timeout_ms; /* bwPollTimeout, 24 bits */
	uint8_t state;            /* enum dfu_state */
	uint8_t string_index;
};

/* The DFU functional descriptor (DFU 1.1 section 4.1.3). */
struct dfu_func_desc {
	uint8_t bm_attributes;
	uint16_t w_detach_timeout;
	uint16_t w_transfer_size;
	uint16_t bcd_dfu;          /* 0x0110 DFU 1.1, 0x011A DfuSe */
};

/* ------------------------------------------------------------------------ */
/* Devices and transports                                                    */
/* ------------------------------------------------------------------------ */

/*
 * How the library talks to one device. libusb (lib/usb.c) is one; a caller
 * can supply its own (the tests drive the simulator core in-process). Every
 * op gets the user pointer given with the table. Ops return 0 (or, for the
 * transfers, the number of bytes moved) or a negative enum dfu_err:
 * DFU_ERR_STALL when the device stalled endpoint 0, DFU_ERR_DISCONNECTED when
 * it is gone, DFU_ERR_TIMEOUT, DFU_ERR_USB for anything else.
 */
struct dfu_transport_ops {
	/* Class request to the interface, host to device: sends len bytes of
	 * data (len may be 0). Returns the bytes sent. */
	int (*control_out)(void *user, uint8_t request_type, uint8_t request,
			   uint16_t value, uint16_t index,
			   const uint8_t *data, uint16_t len, unsigned timeout_ms);
	/* Request device to host: up to len bytes into data. Returns the bytes
	 * received (a short reply is not an error here). */
	int (*control_in)(void *user, uint8_t request_type, uint8_t request,
			  uint16_t value, uint16_t index,
			  uint8_t *data, uint16_t len, unsigned timeout_ms);
	/* SET_INTERFACE: selects an alternate setting of the DFU interface. */
	int (*set_alt)(void *user, uint8_t interface, uint8_t alt);
	/* A USB bus reset. DISCONNECTED is a normal answer after leave. */
	int (*reset)(void *user);
	/* Whether the device is still on the bus (1) or gone (0); NULL when
	 * the transport cannot tell. Used after leave. */
	int (*present)(void *user);
	/* Waits ms milliseconds; NULL means a real sleep. In-process
	 * transports advance their own clock instead. */
	void (*sleep_ms)(void *user, unsigned ms);
	/* Releases everything; the user pointer is not used afterwards. May
	 * be NULL. */
	void (*close)(void *user);
};

struct dfu_dev;

/* One alternate setting of the DFU interface. */
struct dfu_alt_info {
	uint8_t alt;
	char name[256];                  /* its string, "" when none */
	const struct dfu_layout *layout; /* parsed from name; NULL when the
					    name is not a DfuSe layout */
};

/* What a device is. Pointers are owned by the device. */
struct dfu_dev_info {
	uint16_t id_vendor;
	uint16_t id_product;
	uint16_t bcd_device;             /* the ROM's version on ST parts */
	char manufacturer[128];
	char product[128];
	char serial[128];                /* "" when the device has none */
	char path[32];                   /* bus-port path as dfu-util's -p: "1-3.2" */
	uint8_t bus;
	uint8_t devnum;
	bool dfu_mode;                   /* protocol 2: DFU mode; else run-time */
	bool dfuse;                      /* bcdDFU 0x011A: ST DfuSe extensions */
	bool strings_read;               /* false when the device could not be
					    opened (permissions): no names */
	uint8_t interface;
	struct dfu_func_desc func;
	size_t alt_count;
	const struct dfu_alt_info *alts;
};

/* Which devices a command means: every field left zero/NULL matches all. */
#define DFU_MATCH_MAX_IDS 8
struct dfu_match {
	size_t id_count;                 /* -d VID:PID[,VID:PID...] */
	uint16_t id_vendor[DFU_MATCH_MAX_IDS];
	uint16_t id_product[DFU_MATCH_MAX_IDS];
	bool any_product[DFU_MATCH_MAX_IDS]; /* "-d 0483:" or "0483:*" */
	const char *serial;              /* -S */
	const char *path;                /* -p "1-3.2" */
	int devnum;                      /* --devnum; 0 = any */
};

/* Every DFU interface (DFU mode and run-time) on every USB device that
 * matches. *list is an array of *count devices, each for dfu_dev_info()
 * only; free with dfu_dev_list_free(). No device is not an error here. */
int dfu_usb_list(struct dfu_ctx *ctx, const struct dfu_match *match,
		 struct dfu_dev ***list, size_t *count);
void dfu_dev_list_free(struct dfu_dev **list, size_t count);

/* Opens the one DFU-mode device that matches. DFU_ERR_NO_DEVICE when none,
 * DFU_ERR_AMBIGUOUS (the detail lists them) when several, DFU_ERR_ACCESS
 * (with a udev hint) or DFU_ERR_BUSY when it cannot be claimed.
 * *out is owned by the caller: dfu_dev_close(). */
int dfu_usb_open(struct dfu_ctx *ctx, const struct dfu_match *match,
		 struct dfu_dev **out);

/* A device over a caller's transport. descriptors holds the device
 * descriptor followed by the configuration descriptor (as Linux sysfs
 * shows them); the strings are read through ops->control_in. On success the
 * device owns user (ops->close is called by dfu_dev_close()).
 * ctx must outlive the device. */
int dfu_dev_open_transport(struct dfu_ctx *ctx, const struct dfu_transport_ops *ops,
			   void *user, const uint8_t *descriptors, size_t len,
			   struct dfu_dev **out);
void dfu_dev_close(struct dfu_dev *dev);

/* The device's identity; pointers in *out stay valid while dev lives. */
void dfu_dev_info(const struct dfu_dev *dev, struct dfu_dev_info *out);

/* Selects the alternate setting by number ("0") or by name ("Internal
 * Flash", compared without the '@' and trailing blanks). NULL selects 0.
 * DFU_ERR_NOT_FOUND (the detail lists the alt settings) when none. */
int dfu_dev_select_alt(struct dfu_dev *dev, const char *spec);
/* The selected alternate setting, its layout, or NULL when it has none. */
const struct dfu_alt_info *dfu_dev_alt(const struct dfu_dev *dev);

/* The true sector map of the selected alt: the ROM's, unless the part
 * says otherwise (an STM32F76x/F77x in dual-bank mode, from its option
 * bytes). This is the map dfu_flash() plans with. *out is the caller's:
 * dfu_layout_free(). DFU_ERR_UNSUPPORTED for an alt without a layout. */
int dfu_dev_true_layout(struct dfu_dev *dev, struct dfu_layout **out);

/* DFU 1.1 requests (lib/dfu.c). */
int dfu_get_status(struct dfu_dev *dev, struct dfu_status *out);
int dfu_clear_status(struct dfu_dev *dev);
int dfu_get_state(struct dfu_dev *dev, uint8_t *state);
int dfu_abort(struct dfu_dev *dev);
/* Brings the device to dfuIDLE: clears dfuERROR (the status it held goes
 * to *found when not NULL, else status OK), aborts an unfinished transfer.
 * DFU_ERR_PROTECTED when the device says read protection is on. */
int dfu_make_idle(struct dfu_dev *dev, struct dfu_status *found);

/* ------------------------------------------------------------------------ */
/* The flashing engine                                                       */
/* ------------------------------------------------------------------------ */

enum dfu_phase {
	DFU_PHASE_ERASE = 0,
	DFU_PHASE_WRITE,
	DFU_PHASE_VERIFY,
	DFU_PHASE_READ,
};
/* "erase", "write", "verify", "read"; never NULL. */
const char *dfu_phase_name(enum dfu_phase phase);

struct dfu_progress {
	enum dfu_phase phase;
	uint64_t done;      /* bytes (erase: bytes of sectors erased) */
	uint64_t total;
	uint32_t address;   /* where the engine is now */
	uint32_t busy_max_ms; /* the step that starts now is one request that may
				 keep the device busy this long at most (a mass
				 erase: the quirk table's budget); 0 otherwise.
				 A caller that shows progress says what it waits
				 for, since no callback comes until it is done. */
};
/* Called at the start of a phase (done 0), after each step and at the end
 * (done == total). Return nonzero to stop (DFU_ERR_CANCELLED). */
typedef int (*dfu_progress_fn)(void *user, const struct dfu_progress *p);

/* What a plan does with one sector. */
enum dfu_sector_action {
	DFU_ACTION_NONE = 0,   /* not touched by the image: left as it is */
	DFU_ACTION_WRITE,      /* covered by the image: erased and written */
	DFU_ACTION_MERGE,      /* partly covered: read, erased, written back
				  with the image's bytes merged in */
	DFU_ACTION_ERASE,      /* erased only (an erase command) */
};
/* "keep", "write", "merge", "erase"; never NULL. */
const char *dfu_action_name(enum dfu_sector_action action);

struct dfu_plan_entry {
	struct dfu_sector sector;
	enum dfu_sector_action action;
	uint32_t image_bytes;  /* bytes of the image inside this sector */
};

struct dfu_plan_opts {
	bool mass_erase;       /* erase the whole flash first (every sector
				  becomes WRITE or ERASE, nothing is kept) */
	bool force;            /* accept a suffix made for another device */
	bool check_ids;        /* compare the image's suffix ids with these: */
	uint16_t id_vendor;
	uint16_t id_product;
};

struct dfu_plan;

/* Plans writing one target of img into memory laid out as layout.
 * Validates everything first: every byte inside a writable sector, suffix
 * ids (unless force). DFU_ERR_RANGE / DFU_ERR_MISMATCH with a detail that
 * names the address or ids. *out is owned by the caller: dfu_plan_free(). */
int dfu_plan_new(struct dfu_ctx *ctx, const struct dfu_image *img, size_t target,
		 const struct dfu_layout *layout, const struct dfu_plan_opts *opts,
		 struct dfu_plan **out);
void dfu_plan_free(struct dfu_plan *plan);
/* Entries for every sector of the layout, in address order. */
size_t dfu_plan_count(const struct dfu_plan *plan);
const struct dfu_plan_entry *dfu_plan_entry(const struct dfu_plan *plan, size_t i);
bool dfu_plan_mass_erase(const struct dfu_plan *plan);

struct dfu_flash_opts {
	const char *alt;          /* alternate setting spec; NULL = the file's */
	bool mass_erase;
	bool no_verify;
	bool leave;               /* leave DFU mode after a good verify */
	bool has_leave_address;
	uint32_t leave_address;
	bool force;               /* accept a file made for another VID:PID */
	bool no_smart;            /* smart flash (the default) reads back first:
				     sectors that already hold the image are
				     skipped, blank ones are not erased, and
				     1->0-only changes are programmed without
				     an erase. no_smart erases and writes
				     every sector the image touches. */
	dfu_progress_fn progress;
	void *progress_user;
};

/* What dfu_flash() and dfu_leave() did. */
struct dfu_flash_result {
	uint64_t bytes_written;
	uint64_t bytes_verified;
	unsigned sectors_erased;
	unsigned sectors_kept;    /* partly covered sectors whose other bytes
				     were read and written back */
	bool verified;
	bool left;                /* leave request accepted */
	bool gone;                /* the device left the bus afterwards */
	bool found_error;         /* the device was in dfuERROR when opened */
	uint8_t found_status;     /* the status it held then (cleared) */
	uint64_t bytes_erased;    /* bytes of the sectors erased */
	unsigned sectors_skipped; /* smart flash: sectors that already held
				     what the image has (read, not written) */
	uint64_t bytes_kept;      /* bytes of partly covered sectors that were
				     read, saved in the journal and written
				     back (not the image's) */
};

/* Writes img (one target) to the device: plan on the true sector map
 * (validated before anything is erased: addresses, suffix ids, write
 * protection), read what partly written sectors keep, erase (each erased
 * sector checked blank), write, verify, leave (pointing the ROM at the start
 * of flash, or at opts->leave_address). The alt is opts->alt, else the one
 * the file's target names. A plain DFU 1.1 device gets the bytes downloaded
 * in blocks. A failed verify never leaves. *out (may be NULL) is written
 * also on failure: what was done until then. */
int dfu_flash(struct dfu_dev *dev, const struct dfu_image *img,
	      const struct dfu_flash_opts *opts, struct dfu_flash_result *out);

/* The plan dfu_flash() would run (opts as for dfu_flash()), without
 * changing anything: the device's true sector map, every check done (file
 * ids, addresses, write protection). dfu_plan_mass_erase() is true when the
 * whole flash would be mass erased (asked for, or because the ROM cannot
 * erase a sector on its own: then every sector is MERGE, kept). *out is the
 * caller's: dfu_plan_free(). */
int dfu_dev_plan(struct dfu_dev *dev, const struct dfu_image *img,
		 const struct dfu_flash_opts *opts, struct dfu_plan **out);

/* Reads len bytes from address (DfuSe) into buf. For a plain DFU device
 * address is ignored and the upload starts at the beginning. Like every
 * command, it first finishes a job an earlier run left in a journal. */
int dfu_read(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len,
	     dfu_progress_fn progress, void *progress_user);
/* Compares target 0 of img with the device. DFU_ERR_VERIFY names the
 * first differing address. */
int dfu_verify(struct dfu_dev *dev, const struct dfu_image *img,
	       dfu_progress_fn progress, void *progress_user);

/* DfuSe commands (lib/dfuse.c). */
int dfuse_set_address(struct dfu_dev *dev, uint32_t address);
int dfuse_erase_page(struct dfu_dev *dev, uint32_t address);
int dfuse_mass_erase(struct dfu_dev *dev);
/* Read unprotect: wipes the whole flash and resets the chip. */
int dfuse_unprotect(struct dfu_dev *dev);
/* What an erase job makes blank: any mix of the whole flash, sectors and
 * byte ranges, in one job. Afterwards exactly those bytes read 0xFF
 * (verified by reading back) and every other byte is as it was: the other
 * bytes of partly covered sectors are kept, journaled and written back. */
struct dfu_erase_spec {
	bool mass;                    /* the whole flash (a mass erase) */
	size_t sector_count;          /* sector ranges first..last, in the
					 chip's own numbering in its current
					 bank mode (the true map's) */
	const unsigned *sector_first;
	const unsigned *sector_last;
	size_t range_count;           /* byte ranges [address, address + len) */
	const uint32_t *range_address;
	const uint32_t *range_len;
	bool no_verify;               /* kept bytes are verified regardless */
	dfu_progress_fn progress;
	void *progress_user;
};

/* Runs an erase job on the selected alt's memory (the main flash's true
 * map). A sector number that does not exist in the current mode is
 * DFU_ERR_RANGE with a detail listing the valid ones, before anything is
 * erased. *out (may be NULL) says what was done, also on failure. */
int dfu_erase(struct dfu_dev *dev, const struct dfu_erase_spec *spec,
	      struct dfu_flash_result *out);
/* The plan dfu_erase() would run (validated), with nothing changed.
 * *out is the caller's: dfu_plan_free(). */
int dfu_erase_plan(struct dfu_dev *dev, const struct dfu_erase_spec *spec,
		   struct dfu_plan **out);
/* dfu_erase() of one sector range. */
int dfu_erase_sectors(struct dfu_dev *dev, unsigned first, unsigned last,
		      dfu_progress_fn progress, void *progress_user);
/* dfu_erase() of one byte range: exactly [address, address + len). */
int dfu_erase_range(struct dfu_dev *dev, uint32_t address, uint32_t len,
		    dfu_progress_fn progress, void *progress_user);

/* ------------------------------------------------------------------------ */
/* A FOME ECU, the whole journey (lib/engine/update.c, tune.c)              */
/* ------------------------------------------------------------------------ */

/*
 * dfu_update() takes an ECU from wherever it is (running its firmware,
 * in OpenBLT, in the ROM DFU bootloader, or not plugged in yet) to running
 * the bundle's firmware: it finds the ECU, checks the bundle is for its
 * board, reboots it into a bootloader and waits for it (matched by serial
 * number), backs up the tune, flashes through the one engine (only the
 * sectors the image touches are erased; the tune is never among them),
 * verifies, checks the tune is byte-identical, starts the firmware and
 * waits for it to answer with its new signature. Nothing is erased before
 * every check has passed and the tune backup is on disk.
 */

/* How the new firmware gets into flash. */
enum dfu_route {
	DFU_ROUTE_AUTO = 0,    /* OpenBLT when the ECU has it, else ROM DFU */
	DFU_ROUTE_DFU,         /* the STM32's ROM DFU bootloader (USB) */
	DFU_ROUTE_OPENBLT,     /* OpenBLT's XCP on the ECU's serial port */
};
/* "auto", "dfu", "openblt"; never NULL. */
const char *dfu_route_name(enum dfu_route route);

/* Where an ECU was found. */
enum dfu_ecu_state {
	DFU_ECU_NONE = 0,
	DFU_ECU_RUNNING,       /* its firmware answers on the serial port */
	DFU_ECU_OPENBLT,       /* OpenBLT answers on the serial port */
	DFU_ECU_DFU,           /* the ROM DFU bootloader is on the bus */
};
/* "none", "running", "openblt", "dfu"; never NULL. */
const char *dfu_ecu_state_name(enum dfu_ecu_state state);

/* The journey's steps, for the caller's display; bytes are reported
 * through the progress callback in between. */
enum dfu_step {
	DFU_STEP_SEARCH = 0,   /* looking for the ECU */
	DFU_STEP_NEED_HAND,    /* nothing found: text says how to enter the
				  bootloader by hand; still waiting */
	DFU_STEP_FOUND,        /* text: what was found and where */
	DFU_STEP_REBOOT,       /* text: into which bootloader */
	DFU_STEP_WAIT_BOOTLOADER,
	DFU_STEP_OPEN,         /* text: the bootloader opened */
	DFU_STEP_BACKUP,       /* text: the tune backup file */
	DFU_STEP_FLASH,        /* erase, write, verify follow */
	DFU_STEP_TUNE_CHECK,   /* text: the tune read back identical */
	DFU_STEP_START,        /* starting the firmware */
	DFU_STEP_WAIT_FIRMWARE,
	DFU_STEP_DONE,         /* text: the firmware's signature */
	DFU_STEP_NOTE,         /* text: a remark or warning */
};
/* "search", "need-hand", ...; never NULL. */
const char *dfu_step_name(enum dfu_step step);
typedef void (*dfu_step_fn)(void *user, enum dfu_step step, const char *text);

struct dfu_update_opts {
	enum dfu_route route;
	const char *port;           /* the ECU's serial port (any tty); NULL:
				       found by its USB ids */
	const char *serial;         /* which ECU when several (USB serial) */
	bool force;                 /* accept a bundle for another board */
	bool no_smart;              /* see dfu_flash_opts */
	unsigned find_timeout_ms;   /* how long to wait for an ECU to appear;
				       0: 60 s */
	dfu_progress_fn progress;
	void *progress_user;
	dfu_step_fn step;
	void *step_user;
	/* Asked while waiting for the ECU: nonzero stops the wait
	 * (DFU_ERR_CANCELLED). NULL: never. */
	int (*cancel)(void *user);
	void *cancel_user;
};

struct dfu_update_result {
	enum dfu_ecu_state found_as;
	enum dfu_route route;
	char serial[128];           /* the ECU's USB serial (its chip UID) */
	char board[64];             /* from its signature; "" when unknown */
	char chip[64];
	char old_signature[160];    /* "" when found in a bootloader */
	char new_signature[160];
	char backup_path[1024];     /* the tune backup written, or "" */
	uint32_t tune_address;      /* the tune region */
	uint32_t tune_size;
	bool tune_kept;             /* read back byte-identical after flashing */
	bool started;               /* the firmware answered afterwards */
	struct dfu_flash_result flash;
};

struct dfu_fome_bundle;

/* The whole journey with bundle (dfu_fome_bundle_read()). */
int dfu_update(struct dfu_ctx *ctx, const struct dfu_fome_bundle *bundle,
	       const struct dfu_update_opts *opts, struct dfu_update_result *res);

/* The tune alone: backup reads it into a new file in the state directory
 * (res->backup_path); restore writes file (made by backup) back into the
 * tune region, after backing up what is there now. Both find the ECU,
 * enter a bootloader and start the firmware again, as dfu_update() does. */
int dfu_tune_backup(struct dfu_ctx *ctx, const struct dfu_update_opts *opts,
		    struct dfu_update_result *res);
int dfu_tune_restore(struct dfu_ctx *ctx, const char *file, const struct dfu_update_opts *opts,
		     struct dfu_update_result *res);
/* Where FOME keeps the tune on chip in its bank mode: [*start, *end).
 * DFU_ERR_UNSUPPORTED for parts (and modes) FOME does not run on. */
int dfu_fome_tune(const struct dfu_chip_info *chip, bool dual_bank, uint32_t *start,
		  uint32_t *end);
/* The tune backups in the state directory, newest first: *paths is an
 * array of *count malloc()ed strings; free with dfu_tune_list_free(). */
int dfu_tune_list(struct dfu_ctx *ctx, char ***paths, size_t *count);
void dfu_tune_list_free(char **paths, size_t count);
/* Where tune backups go: <state directory>/tunes. */
int dfu_tune_dir(struct dfu_ctx *ctx, char *buf, size_t cap);

/* Reboots a running ECU into a bootloader (to: DFU_ROUTE_DFU or
 * DFU_ROUTE_OPENBLT) and waits until that bootloader is there. */
int dfu_ecu_reboot(struct dfu_ctx *ctx, enum dfu_route to, const struct dfu_update_opts *opts,
		   struct dfu_update_result *res);

/* ------------------------------------------------------------------------ */
/* Recovery journals                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Before a job erases a sector whose other bytes it keeps (or mass erases
 * a flash it keeps), it writes every byte those sectors must hold
 * afterwards to a journal file in the state directory, named by the
 * device's ids, chip and serial: written, fsynced and renamed into place
 * before the erase. A job removes its journal only after it verified.
 * Every later dfu_flash/dfu_erase/dfu_read/dfu_verify on that device
 * finishes an interrupted job from its journal first; a journal that does
 * not match the device (other chip, serial, ids or bank mode) is never
 * applied.
 */
struct dfu_journal_info {
	char path[700];
	char serial[64];
	char chip[64];
	uint16_t id_vendor;
	uint16_t id_product;
	bool dual_bank;           /* made in dual-bank mode */
	bool mass_erase;          /* the job mass erases */
	char what[160];           /* the job ("flash", "erase") */
	char created[32];         /* UTC, ISO 8601 */
	uint64_t bytes;           /* bytes it holds */
	size_t groups;
	char lost[400];           /* bytes a wrong erase wiped before the job
				     could keep them ("" when none) */
	bool valid;               /* read and its CRC right; else problem */
	char problem[200];
};

/* Every journal in the state directory. *list (count entries) is the
 * caller's: free(). No directory is no journal, not an error. */
int dfu_journal_list(struct dfu_ctx *ctx, struct dfu_journal_info **list, size_t *count);
/* Removes a journal file (one of ours by its name); what it held is gone. */
int dfu_journal_discard(struct dfu_ctx *ctx, const char *path);
/* Finishes this device's journal, if it has one: writes it back, verifies,
 * removes it. *finished (may be NULL) says whether there was one. */
int dfu_dev_recover(struct dfu_dev *dev, dfu_progress_fn progress, void *progress_user,
		    bool *finished);

/* Leaves DFU mode (optionally jumping to address): a stall, pipe error or
 * disconnect after the request is success. Then waits up to wait_ms for
 * the device to leave the bus; out->left and out->gone say what happened. */
int dfu_leave(struct dfu_dev *dev, bool has_address, uint32_t address,
	      unsigned wait_ms, struct dfu_flash_result *out);

/* ------------------------------------------------------------------------ */
/* Option bytes (lib/optbytes.c)                                             */
/* ------------------------------------------------------------------------ */

/* How a part lays out the memory of its "@Option Bytes" alternate setting
 * (REFERENCE.md, "Option bytes as an upload of alt 1"). */
enum dfu_ob_family {
	DFU_OB_UNKNOWN = 0,
	DFU_OB_F4,    /* F405/F407: 16 bytes at 0x1FFFC000 */
	DFU_OB_F42X,  /* F42x/F43x: 16 at 0x1FFFC000, then 16 at 0x1FFEC000 */
	DFU_OB_F7,    /* F74x/F76x/F77x: 32 bytes at 0x1FFF0000, complements */
	DFU_OB_H7,    /* H74x/H75x: 128 bytes of flash registers at 0x5200201C */
};
/* "STM32F405/407", ...; "unknown" for UNKNOWN; never NULL. */
const char *dfu_ob_family_name(enum dfu_ob_family family);

#define DFU_OB_MAX_AREAS 2
#define DFU_OB_MAX_LEN 128

/* A part's option bytes: its areas back to back, as the device shows them. */
struct dfu_option_bytes {
	enum dfu_ob_family family;
	size_t area_count;
	uint32_t area_address[DFU_OB_MAX_AREAS];
	uint16_t area_offset[DFU_OB_MAX_AREAS];  /* where each area is in raw[] */
	uint16_t area_size[DFU_OB_MAX_AREAS];
	size_t len;                              /* bytes used in raw[] */
	uint8_t raw[DFU_OB_MAX_LEN];
};

/* One field of a family's option bytes (the table in lib/optbytes.c). */
struct dfu_ob_field_def {
	const char *name;       /* "RDP", "nDBANK", "BOOT_ADD0", ... */
	uint16_t offset;        /* the little-endian value it is in, in raw[] */
	uint16_t write_offset;  /* where a write puts it (the H7's _PRG
				   register); offset on the other families */
	uint8_t width;          /* that value's size: 1, 2 or 4 bytes */
	uint32_t mask;          /* the field's bits in that value */
	const char *meaning;    /* what the field is, in a sentence */
};

/* A decoded field: its value (shifted down) and what that value does. */
struct dfu_ob_value {
	const struct dfu_ob_field_def *def;
	uint32_t value;
	char text[192];
};

/* The family's fields (*count of them), static; NULL for UNKNOWN. */
const struct dfu_ob_field_def *dfu_ob_fields(enum dfu_ob_family family, size_t *count);
/* The field called name (case-insensitive), or NULL. */
const struct dfu_ob_field_def *dfu_ob_field(enum dfu_ob_family family, const char *name);
/* The family from the option-byte alt's layout (its first group's address
 * and the groups that follow); UNKNOWN when it is none we know. */
enum dfu_ob_family dfu_ob_family_from_layout(const struct dfu_layout *layout);
/* An empty (all 0xFF) image of a family with its areas, to fill raw[]
 * with bytes read elsewhere (a test, a dump). DFU_ERR_UNSUPPORTED for
 * UNKNOWN. */
int dfu_ob_init(struct dfu_option_bytes *ob, enum dfu_ob_family family);
/* 0 for 0xAA, 2 for 0xCC, 1 for anything else (RM0090, RM0410). */
int dfu_ob_rdp_level(uint8_t rdp);

/* One field's value; DFU_ERR_NOT_FOUND for a name the family lacks. */
int dfu_ob_get(const struct dfu_option_bytes *ob, const char *name, uint32_t *value);
/* Every field of ob decoded, in table order: up to max into out; returns
 * how many the family has. */
size_t dfu_ob_decode(const struct dfu_option_bytes *ob, struct dfu_ob_value *out, size_t max);
/* What value would do in field def, as a sentence, into buf. */
void dfu_ob_describe(enum dfu_ob_family family, const struct dfu_ob_field_def *def,
		     uint32_t value, char *buf, size_t size);
/* Sets a field in ob->raw (on the H7 in both the _CUR and _PRG registers)
 * and recomputes the complements. RDP takes a level, 0, 1 or 2 (written as
 * 0xAA, 0xBB, 0xCC), or a raw byte. DFU_ERR_NOT_FOUND (the detail lists
 * the names) or DFU_ERR_RANGE (the detail says the limit). */
int dfu_ob_set(struct dfu_ctx *ctx, struct dfu_option_bytes *ob, const char *name,
	       uint32_t value);
/* The same from "NAME=VALUE" (VALUE in C notation). */
int dfu_ob_set_str(struct dfu_ctx *ctx, struct dfu_option_bytes *ob, const char *assignment);
/* The nWRP bit that write-protects sector s of a part's true map (its
 * own sector numbers; dual_bank for an F76x in dual-bank mode), or -1 when
 * no bit protects it. */
int dfu_ob_wrp_bit(const struct dfu_option_bytes *ob, const struct dfu_sector *s,
		   bool dual_bank);
/* Compares every field of got with want: DFU_ERR_VERIFY with a detail
 * naming the first field that differs ("nDBANK reads 1, expected 0"). */
int dfu_ob_compare(struct dfu_ctx *ctx, const struct dfu_option_bytes *want,
		   const struct dfu_option_bytes *got);
/* Recomputes what a family derives from its fields: complements, bits
 * that always read 1, bytes that read 0xFF. */
void dfu_ob_canonical(struct dfu_option_bytes *ob);

/* Reads every option-byte area through the "@Option Bytes" alt; the alt
 * that was selected stays selected. DFU_ERR_UNSUPPORTED when the device
 * has no option-byte alt we know. */
int dfu_ob_read(struct dfu_dev *dev, struct dfu_option_bytes *out);
/* Downloads area number area of ob to the device. The chip then applies it
 * and resets (that is success); this waits, bounded, for it to leave the
 * bus. *reset (may be NULL) says whether it did. The caller closes dev and
 * opens the device again to read the result. */
int dfu_ob_write_area(struct dfu_dev *dev, const struct dfu_option_bytes *ob, size_t area,
		      bool *reset);

/* ------------------------------------------------------------------------ */
/* FOME: bundles, images, the ECU's serial port                              */
/* ------------------------------------------------------------------------ */

/* A FOME release as the user downloads it: fome_bundle_<board>.zip (a
 * folder inside with fome.bin, fome_update.srec, the TunerStudio .ini), or
 * one firmware file. Every image's FOME CRC is checked when read. */
struct dfu_fome_bundle;

struct dfu_fome_bundle_info {
	const char *path;            /* what was opened */
	const char *board;           /* from the .ini signature line, or NULL */
	const char *signature;       /* the .ini's signature = "...", or NULL */
	const struct dfu_image *full;    /* fome.bin at 0x08000000 (bootloader + app,
					    or app alone); may be NULL */
	const struct dfu_image *update;  /* fome_update.srec (app only), NULL on
					    boards without OpenBLT */
	uint32_t full_app_base;      /* where fome.bin's application starts (0x08000000, 0x08008000, 0x08020000) */
	bool full_has_openblt;       /* fome.bin carries OpenBLT before its app */
};

/* Reads a bundle .zip or a plain firmware file (.bin at 0x08000000,
 * .srec, .hex, .dfu, .elf): a plain file is full when it starts at
 * 0x08000000, else update, and has no board. DFU_ERR_CHECKSUM (naming the
 * file inside the zip) for a corrupt image, DFU_ERR_FORMAT for a zip
 * without fome.bin or not a FOME image, DFU_ERR_IO when unreadable.
 * *out is the caller's: dfu_fome_bundle_free(). */
int dfu_fome_bundle_read(struct dfu_ctx *ctx, const char *path, struct dfu_fome_bundle **out);
/* What b holds; the pointers live as long as b. */
void dfu_fome_bundle_info(const struct dfu_fome_bundle *b, struct dfu_fome_bundle_info *out);
void dfu_fome_bundle_free(struct dfu_fome_bundle *b);

/* The board in a FOME signature
 * "rusEFI (FOME) <branch>.<yyyy.MM.dd>.<board>.<hash>" (the branch may
 * hold dots; the board letters, digits, '-' and '_') into board (cap
 * bytes with its NUL). DFU_ERR_FORMAT when it is not one, DFU_ERR_RANGE
 * when board is too small. */
int dfu_fome_signature_board(const char *signature, char *board, size_t cap);

/* A USB serial port (a tty whose sysfs device is a USB interface). */
struct dfu_serial_port {
	char path[64];         /* /dev/ttyACM0 */
	uint16_t id_vendor, id_product;
	char serial[64], manufacturer[64], product[128];
	int interface;         /* bInterfaceNumber, -1 unknown */
};

/* The USB serial ports, in name order; *out (count entries) is the
 * caller's: free(). None is not an error. A running FOME ECU and its
 * OpenBLT are FOME_USB_VID:FOME_USB_PID with the chip's UID as serial. */
int dfu_serial_list(struct dfu_ctx *ctx, struct dfu_serial_port **out, size_t *count);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* DFUFLASH_H */
