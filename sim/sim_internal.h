/*
 * sim_internal.h - what the simulator's files share and front ends never see.
 *
 * One file owns each part of the model:
 *   core.c     dfusim_control(): standard requests and the DFU/DfuSe state
 *              machine, configuration calls, bus events
 *   ops.c      the operations the ROM carries out at the GETSTATUS after a
 *              DNLOAD (set address, erase, mass erase, unprotect, write,
 *              option-byte write, leave) and uploads, with their durations
 *   chips.c    the chip profiles and dfusim_chips_json()
 *   flash.c    NOR flash, sector maps, option-byte images per chip family
 *   usbdesc.c  descriptors, strings and identities
 *   quirks.c   the quirk table
 *   fault.c    fault specs and their matching
 *   stats.c    statistics, the per-request log line
 *   strbuf.c   a growable string for JSON
 *   boot.c     what runs after a reset (ROM, application, OpenBLT, nothing)
 *              decided by the BOOT pin and the flash contents; the FOME
 *              image check; the serial port's byte queue both ways
 *   app.c      the running FOME application's TunerStudio console
 *   openblt.c  OpenBLT's XCP target on the chip's flash
 */
#ifndef DFUSIM_SIM_INTERNAL_H
#define DFUSIM_SIM_INTERNAL_H

#include "dfusim.h"
#include "dfu_wire.h"  /* the DFU 1.1 / DfuSe numbers, shared with the host */

#include <stdarg.h>

#if defined(__GNUC__)
#define DFUSIM_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define DFUSIM_PRINTF(fmt_idx, arg_idx)
#endif

#define DFUSIM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What kind of memory an alternate setting exposes. */
enum dfusim_mem {
	DFUSIM_MEM_FLASH,
	DFUSIM_MEM_OPTION,
	DFUSIM_MEM_OTP,
	DFUSIM_MEM_FEATURE,
};

/* How a chip family lays out its option bytes (REFERENCE.md). */
enum dfusim_ob_format {
	DFUSIM_OB_NONE,
	DFUSIM_OB_F4,    /* 16 bytes at 0x1FFFC000 */
	DFUSIM_OB_F42X,  /* 16 at 0x1FFFC000 and 16 at 0x1FFEC000 */
	DFUSIM_OB_F7,    /* 32 bytes at 0x1FFF0000, value + complement words */
	DFUSIM_OB_H7,    /* 128 bytes of live registers at 0x5200201C */
};

/* Request kinds, for statistics and fault triggers. One request can be of
 * several kinds (a DNLOAD that sets the address is DNLOAD and SETADDR). */
enum dfusim_kind {
	DFUSIM_K_CONTROL,      /* every request */
	DFUSIM_K_DESCRIPTOR,
	DFUSIM_K_STANDARD,     /* other standard requests */
	DFUSIM_K_DETACH,
	DFUSIM_K_DNLOAD,
	DFUSIM_K_UPLOAD,
	DFUSIM_K_GETSTATUS,
	DFUSIM_K_CLRSTATUS,
	DFUSIM_K_GETSTATE,
	DFUSIM_K_ABORT,
	DFUSIM_K_SETADDR,
	DFUSIM_K_ERASE,
	DFUSIM_K_MASSERASE,
	DFUSIM_K_UNPROTECT,
	DFUSIM_K_WRITE,
	DFUSIM_K_READ,
	DFUSIM_K_LEAVE,
	DFUSIM_K_OPTIONBYTES,
	/* the serial port: FOME's console and OpenBLT's XCP */
	DFUSIM_K_TS,             /* every console request */
	DFUSIM_K_TS_SIGNATURE,   /* 'S' / 'Q', framed or plain */
	DFUSIM_K_TS_BOOTLOADER,  /* 'L' */
	DFUSIM_K_TS_REBOOT,      /* 'E' reboot_*, 'Z' 00 BA / 00 BC */
	DFUSIM_K_XCP,            /* every XCP packet */
	DFUSIM_K_XCP_CONNECT,
	DFUSIM_K_XCP_STATUS,     /* GET_STATUS */
	DFUSIM_K_XCP_SET_MTA,
	DFUSIM_K_XCP_UPLOAD,     /* UPLOAD and SHORT_UPLOAD */
	DFUSIM_K_XCP_START,      /* PROGRAM_START */
	DFUSIM_K_XCP_CLEAR,      /* PROGRAM_CLEAR */
	DFUSIM_K_XCP_PROGRAM,    /* PROGRAM (n = 0 too) and PROGRAM_MAX */
	DFUSIM_K_XCP_RESET,      /* PROGRAM_RESET */
	DFUSIM_K_XCP_OTHER,      /* DISCONNECT, SYNCH, GET_ID, ..., unknown */
	DFUSIM_K_COUNT,
};

enum dfusim_quirk {
	DFUSIM_Q_F7_DUALBANK_ERASE,
	DFUSIM_Q_F405_MASSERASE_TIMEOUT,
	DFUSIM_Q_L4_STALL_BUSY,
	DFUSIM_Q_H7_STUCK_BUSY,
	DFUSIM_Q_LEAVE_PIPE_ERROR,
	DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE,
	DFUSIM_Q_OPENBLT_CROSS_ERASE,
	DFUSIM_Q_COUNT,
};
#define DFUSIM_QUIRK_BIT(q) (1u << (q))

/* A run of equal sectors in a sector map ("04*016K"). skip: how many
 * sector numbers are left unused before the run (RM0410's 1 MB dual-bank
 * map numbers bank 2 from 12 although bank 1 ends at 7: skip 4). */
struct dfusim_run {
	uint16_t count;
	uint32_t size;
	uint16_t skip;
};

/* A sector map from the flash base. Sectors lie one after the other from
 * the base; they are numbered from 0 in order, but for the skips. */
struct dfusim_map {
	const struct dfusim_run *runs;
	size_t nruns;
};

/* Erase time of one sector size, in model microseconds. */
struct dfusim_erase_time {
	uint32_t size;
	uint32_t us;
};

/* Every number of a profile's timing; chips.c cites the source of each. */
struct dfusim_timing {
	struct dfusim_erase_time erase[6];  /* by sector size, size 0 ends */
	uint32_t mass_erase_us;
	uint32_t program_word_us;           /* per flash word */
	uint32_t word_bytes;                /* 4 on F4/F7, 32 on H7 */
	uint32_t set_address_us;            /* the ROM's own work, tiny */
	uint32_t option_write_us;
	uint32_t reset_us;                  /* reset until enumerated again */
	uint32_t app_boot_us;               /* leave until the app enumerates */
	uint32_t usb_packets_per_frame;     /* 64-byte packets per 1 ms frame */
	/* bwPollTimeout the ROM reports in the first GETSTATUS, ms. */
	uint32_t poll_set_address_ms;
	uint32_t poll_erase_ms;
	uint32_t poll_mass_erase_ms;
	uint32_t poll_write_ms;
	uint32_t poll_leave_ms;
	uint32_t poll_unprotect_ms;
	uint32_t poll_option_ms;
	const char *source;
};

#define DFUSIM_MAX_ALTS 4
#define DFUSIM_MAX_SECTORS 32
#define DFUSIM_OB_MAX 128
#define DFUSIM_OTP_MAX 1056
#define DFUSIM_FEATURE_MAX 4
#define DFUSIM_XFER_MAX 2048

/* A chip profile: everything that differs from chip to chip. */
struct dfusim_chip {
	const char *name;
	const char *description;
	bool dfuse;                 /* ST DfuSe 1.1a, else plain DFU 1.1 */
	uint16_t id_vendor;
	uint16_t id_product;
	uint16_t bcd_device;
	uint16_t bcd_usb;
	uint16_t bcd_dfu;
	uint16_t transfer_size;
	uint16_t detach_timeout;
	uint8_t attributes;         /* DFU functional bmAttributes */
	const char *manufacturer;
	const char *product;
	const char *serial;         /* NULL: derived from uid */
	uint32_t uid[3];
	uint32_t flash_base;
	uint32_t flash_size;
	struct dfusim_map map_single;
	struct dfusim_map map_dual; /* nruns 0: no dual-bank mode */
	const char *flash_name_single;
	const char *flash_name_dual;
	size_t nalts;
	const char *alt_names[DFUSIM_MAX_ALTS]; /* alt 0 from flash_name_* */
	enum dfusim_mem alt_mem[DFUSIM_MAX_ALTS];
	enum dfusim_ob_format ob_format;
	uint32_t ob_addr[2];
	uint32_t ob_region_len;
	size_t ob_regions;
	uint32_t otp_addr;
	uint32_t otp_size;
	uint32_t feature_addr;
	uint32_t feature_size;
	struct dfusim_timing t;
	uint32_t default_quirks;
	const char *notes;
};

enum dfusim_fault_action {
	DFUSIM_FA_DISCONNECT,
	DFUSIM_FA_STALL,
	DFUSIM_FA_TIMEOUT,
	DFUSIM_FA_STATUS,
	DFUSIM_FA_POWERLOSS,
	DFUSIM_FA_MISDIRECT,
	DFUSIM_FA_ERROR,            /* serial requests: FE 31 / status 0x83 */
};

struct dfusim_fault {
	enum dfusim_fault_action action;
	enum dfu_status_code status;
	enum dfusim_kind kind;      /* by count; unused when by_addr */
	uint32_t nth;
	bool by_addr;
	uint32_t lo, hi;            /* inclusive */
	bool repeat;
	bool fired;
	char spec[64];
};
#define DFUSIM_MAX_FAULTS 16

/* What the ROM is doing between a DNLOAD and the GETSTATUS that ends it. */
enum dfusim_op_kind {
	DFUSIM_OP_NONE,
	DFUSIM_OP_GET_COMMANDS,
	DFUSIM_OP_SET_ADDRESS,
	DFUSIM_OP_ERASE,
	DFUSIM_OP_MASS_ERASE,
	DFUSIM_OP_UNPROTECT,
	DFUSIM_OP_WRITE,
	DFUSIM_OP_OPTION_WRITE,
	DFUSIM_OP_LEAVE,
};

struct dfusim_op {
	enum dfusim_op_kind kind;
	uint32_t addr;
	uint32_t len;
	uint16_t block;
	const struct dfusim_fault *fault; /* status/powerloss fault to apply */
	/* filled when the op runs */
	enum dfu_status_code result;
	uint64_t model_us;          /* unscaled duration */
	uint32_t poll_ms;           /* unscaled poll timeout reported */
	enum dfusim_bus_event event;/* reset the op ends in */
	bool stuck;                 /* h7-stuck-busy */
	char what[96];              /* for the log line */
};

struct dfusim_stats {
	uint64_t requests[DFUSIM_K_COUNT];
	uint64_t bytes_down;
	uint64_t bytes_up;
	uint32_t erases[DFUSIM_MAX_SECTORS];
	uint32_t mass_erases;
	uint32_t unprotects;
	uint32_t option_writes;
	uint32_t resets;
	uint32_t stalls;
	uint64_t busy_model_us;
	uint64_t transfer_model_us;
	uint64_t poll_reported_ms;  /* sum of the scaled poll timeouts sent */
};

/* What runs on the chip. */
enum sim_mode {
	SIM_MODE_ROM,       /* the ROM DFU bootloader */
	SIM_MODE_APP,       /* the FOME application: CDC-ACM, TunerStudio */
	SIM_MODE_OPENBLT,   /* OpenBLT: CDC-ACM, XCP */
	SIM_MODE_NONE,      /* nothing on the bus (blank flash, BOOT0 low) */
};

#define DFUSIM_SERIAL_CHUNK 256
#define DFUSIM_SERIAL_QUEUE 16
/* Bytes on their way to the host, not before `at` (the caller's clock). */
struct sim_out_chunk {
	uint64_t at;
	uint16_t len;
	uint8_t data[2 + DFUSIM_SERIAL_CHUNK];
};

/* The TunerStudio console's receive side (fome-fw tunerstudio.cpp). */
#define SIM_TS_MAX_PAYLOAD 2048  /* [guess] the scratch buffer's size */
struct sim_ts {
	uint8_t buf[SIM_TS_MAX_PAYLOAD + 6];
	size_t have;
	uint64_t first_us;          /* when the packet's first byte came */
};

/* OpenBLT's XCP target: xcp.c's xcpInfo, the USB packet reader and
 * FOME's H7 write block (openblt_flash_h7.cpp). */
#define SIM_XCP_H7_BLOCK 1024
struct sim_xcp {
	bool connected;
	uint32_t mta;
	uint8_t pkt[256];           /* [len][bytes] being received */
	size_t have;
	uint32_t block_base;        /* H7: 0xFFFFFFFF when none */
	uint8_t block[SIM_XCP_H7_BLOCK];
};

struct dfusim {
	const struct dfusim_chip *chip;
	char error[256];
	double scale;
	char serial[64];
	char app_serial[32];        /* FOME's: the UID in hex */
	uint32_t uid[3];            /* this chip's UID (the profile's, or set) */
	bool quirk[DFUSIM_Q_COUNT];

	uint8_t *flash;
	uint8_t ob[DFUSIM_OB_MAX];
	uint32_t ob_len;
	uint8_t otp[DFUSIM_OTP_MAX];
	uint8_t feature[DFUSIM_FEATURE_MAX];

	/* bus */
	bool app_mode;              /* the application is on the bus */
	bool fresh;                 /* no DFU request since enumeration */
	uint8_t line_coding[7];     /* the application's CDC line coding */
	uint8_t configuration;
	uint8_t alt;
	enum dfusim_bus_event pending;  /* an event on its way */
	uint64_t pending_at;
	uint64_t pending_back;      /* when it enumerates again */
	bool off_bus;               /* left the bus; until dfusim_reenumerated */
	enum sim_mode mode;         /* what runs (app_mode: APP or OPENBLT) */
	bool boot_flash;            /* BOOT0 low: resets start from flash */
	bool openblt_backdoor;      /* FOME's shared parameter: OpenBLT
					stays at the next start */
	bool rom_requested;         /* the reset on its way jumps to the ROM */
	struct sim_out_chunk out[DFUSIM_SERIAL_QUEUE];
	size_t nout;
	uint64_t serial_busy_until; /* the caller's clock */
	struct sim_ts ts;
	struct sim_xcp xcp;

	/* DFU */
	enum dfu_state state;
	enum dfu_status_code status;
	uint32_t addr_ptr;
	struct dfusim_op op;
	uint8_t opbuf[DFUSIM_XFER_MAX];  /* the pending DNLOAD's data */
	uint64_t busy_until;        /* scaled, in the caller's clock */
	uint32_t clr_after_stuck;   /* CLRSTATUS seen while stuck busy */
	uint32_t plain_offset;      /* plain DFU: next block's offset */
	bool plain_erased;          /* plain DFU: this download erased flash */

	struct dfusim_fault faults[DFUSIM_MAX_FAULTS];
	size_t nfaults;

	struct dfusim_stats stats;
	dfusim_log_fn log_fn;
	void *log_user;
};

/* strbuf.c: a growable NUL-terminated string; on allocation failure it
 * remembers the failure and sb_take() returns NULL. */
struct sb {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};
void sb_printf(struct sb *sb, const char *fmt, ...) DFUSIM_PRINTF(2, 3);
/* Hands the string to the caller (free() it), or NULL after a failure. */
char *sb_take(struct sb *sb);

/* core.c */
int sim_fail(struct dfusim *sim, const char *fmt, ...) DFUSIM_PRINTF(2, 3);
/* Scales a model duration to the caller's clock. */
uint64_t sim_scaled_us(const struct dfusim *sim, uint64_t model_us);
const char *sim_state_name(enum dfu_state state);
const char *sim_status_name(enum dfu_status_code status);
/* Parses "errWRITE" / "WRITE" / "3"; -1 if unknown. */
int sim_status_parse(const char *name);

/* chips.c */
const struct dfusim_chip *sim_chip_find(const char *name);

/* flash.c */
/* The sector map in force now (nDBANK decides on dual-bank parts). */
const struct dfusim_map *sim_true_map(const struct dfusim *sim);
/* Sector containing addr in map; -1 if outside. start/size out. */
int sim_map_sector(const struct dfusim_map *map, uint32_t base, uint32_t addr,
		   uint32_t *start, uint32_t *size);
/* Sector number n's start and size; -1 if no such sector. */
int sim_map_nth(const struct dfusim_map *map, uint32_t base, int n,
		uint32_t *start, uint32_t *size);
/* One past the map's highest sector number (its count, but for skips). */
size_t sim_map_end(const struct dfusim_map *map);
bool sim_dual_bank(const struct dfusim *sim);
/* The sector (number in the true map) that the flash controller erases for
 * a FLASH_CR.SNB value; -1 if SNB names no sector in the current mode. */
int sim_snb_sector(const struct dfusim *sim, unsigned snb);
/* RDP level 0, 1 or 2 from the option bytes. */
int sim_rdp_level(const struct dfusim *sim);
/* Whether flash sector n (true map) is write protected. */
bool sim_sector_protected(const struct dfusim *sim, int n);
/* Programs len bytes at flash offset off: new = old & data. */
void sim_flash_program(struct dfusim *sim, uint32_t off, const uint8_t *data, uint32_t len);
void sim_flash_erase_range(struct dfusim *sim, uint32_t off, uint32_t len);
/* Factory option bytes. */
void sim_ob_defaults(struct dfusim *sim);
/* Takes len bytes written at option offset off and applies them as the
 * ROM does (only the fields the chip has; complements recomputed). Returns
 * true when the write takes RDP from 1 to 0 (the hardware then mass-erases). */
bool sim_ob_write(struct dfusim *sim, uint32_t off, const uint8_t *data, uint32_t len);
/* Option by name, for dfusim_set_option(). 0 or -1. */
int sim_ob_set_field(struct dfusim *sim, const char *name, uint32_t value);
/* Where in the simulator's memories [addr, addr+len) of alt's memory lies:
 * a pointer and how many bytes from addr stay inside the same region (0 if
 * addr is outside). */
uint8_t *sim_mem_at(struct dfusim *sim, uint8_t alt, uint32_t addr, uint32_t *avail);
/* The alt-setting name the ROM reports now. */
const char *sim_alt_name(const struct dfusim *sim, size_t alt);

/* usbdesc.c */
/* A standard GET_DESCRIPTOR; returns bytes written (<= cap), -1 to stall. */
int sim_get_descriptor(const struct dfusim *sim, uint8_t type, uint8_t index,
		       uint16_t langid, uint8_t *buf, size_t cap);
size_t sim_functional_desc(const struct dfusim *sim, uint8_t *buf);
void sim_default_serial(const struct dfusim_chip *chip, char *buf, size_t cap);
void sim_app_serial(const uint32_t uid[3], char *buf, size_t cap);

/* quirks.c */
const char *sim_quirk_name(enum dfusim_quirk q);
int sim_quirk_find(const char *name);
void sim_quirks_defaults(struct dfusim *sim);
/* JSON array of the quirks a chip has on by default. */
void sim_quirks_json(struct sb *sb, uint32_t mask);

/* fault.c */
int sim_fault_parse(const char *spec, struct dfusim_fault *out, char *err, size_t errcap);
/* The first armed fault that fires for a request of these kinds (a bit
 * mask of 1 << enum dfusim_kind), counted already; NULL if none. */
struct dfusim_fault *sim_fault_by_count(struct dfusim *sim, uint64_t kinds);
/* The first armed address fault whose range meets [lo, hi]. */
struct dfusim_fault *sim_fault_by_addr(struct dfusim *sim, uint32_t lo, uint32_t hi);
const char *sim_kind_name(enum dfusim_kind kind);

/* stats.c */
void sim_count(struct dfusim *sim, uint64_t kinds);
void sim_log(struct dfusim *sim, const char *fmt, ...) DFUSIM_PRINTF(2, 3);

/* ops.c */
/* Runs the pending op (the first GETSTATUS after a DNLOAD): fills op
 * result, durations, poll and event, and changes memory. */
void sim_op_run(struct dfusim *sim);
/* UPLOAD at block >= 2 (DfuSe) or any block (plain DFU): returns bytes
 * written to buf (<= len), or -1 with *status set (the request stalls). */
int sim_upload(struct dfusim *sim, uint16_t block, uint8_t *buf, uint32_t len,
	       enum dfu_status_code *status);
/* A DfuSe data DNLOAD's target address. */
uint32_t sim_block_addr(const struct dfusim *sim, uint16_t block);
/* Model microseconds a control transfer with len data bytes takes at full
 * speed. */
uint64_t sim_transfer_us(const struct dfusim *sim, size_t len);
/* Model microseconds to erase one sector of this size. */
uint32_t sim_erase_time(const struct dfusim_timing *t, uint32_t size);

/* boot.c */
#define SIM_KIND(k) (1ull << (k))
/* Where OpenBLT puts the application on this chip (0: no OpenBLT port). */
uint32_t sim_openblt_app_base(const struct dfusim *sim);
/* Whether a FOME image with a matching CRC starts at addr. */
bool sim_fome_image_valid(const struct dfusim *sim, uint32_t addr);
bool sim_openblt_present(const struct dfusim *sim);
/* What a start from flash runs now (the backdoor flag is not consumed). */
enum sim_mode sim_flash_boot_mode(const struct dfusim *sim);
/* What the event on its way starts, and after how many model us it is on
 * the bus. */
enum sim_mode sim_event_target(const struct dfusim *sim, enum dfusim_bus_event ev);
uint32_t sim_mode_boot_us(const struct dfusim *sim, enum sim_mode mode);
/* Queues bytes for the host at `at` (dropped when the queue is full). */
void sim_serial_send(struct dfusim *sim, uint64_t at, const uint8_t *data, size_t len);
/* Reads len bytes of what the CPU sees at addr (flash, identity
 * registers, H7 option registers; 0 elsewhere). */
void sim_cpu_read(const struct dfusim *sim, uint32_t addr, uint8_t *buf, size_t len);
/* Little-endian words, as the chip stores them. */
static inline uint32_t sim_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void sim_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
const uint8_t *sim_find(const uint8_t *hay, size_t len, const char *needle);
/* Fills the reply with a bus event at `at` and marks it pending. */
void sim_serial_event(struct dfusim *sim, struct dfusim_reply *reply,
		      enum dfusim_bus_event ev, uint64_t at);

/* app.c: the application's console takes bytes; len 0 = time passes. */
void sim_app_input(struct dfusim *sim, const uint8_t *data, size_t len, uint64_t now_us,
		   struct dfusim_reply *reply);
void sim_app_enter(struct dfusim *sim);
/* The application's signature ("rusEFI (FOME) ..."). */
void sim_app_signature(const struct dfusim *sim, char *buf, size_t cap);

/* openblt.c */
void sim_xcp_input(struct dfusim *sim, const uint8_t *data, size_t len, uint64_t now_us,
		   struct dfusim_reply *reply);
void sim_xcp_enter(struct dfusim *sim);

#endif /* DFUSIM_SIM_INTERNAL_H */
