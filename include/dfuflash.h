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

#ifdef __cplusplus
extern "C" {
#endif

#define DFUFLASH_VERSION "0.1.0"

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
/* Devices, the flashing engine: see issue 4 (lib/usb.c, plan.c, flash.c).  */
/* ------------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif

#endif /* DFUFLASH_H */
