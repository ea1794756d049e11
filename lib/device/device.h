/*
 * device.h - layer 2 of the library (lib/LAYERS.md): the device handle
 * and its transports (libusb in usb.c, or a caller's ops table). The
 * handle carries what the probe at open learned (protocol/probe.c fills
 * it): the chip, the ROM's and the TRUE sector map, the option bytes, the
 * quirks. Users never see it.
 */
#ifndef DFU_DEVICE_H
#define DFU_DEVICE_H

#include "knowledge.h"
#include "quirks.h"

/* How long one control transfer may take before we give up on it. */
#define DFU_USB_TIMEOUT_MS 5000

/* What the probe at open learned about a DfuSe device. Filled once; the
 * engine plans with it and never identifies the chip again. */
struct dfu_probe {
	bool done;                    /* the probe ran (DfuSe devices only) */
	int flash_index;              /* index of the main flash alt, or -1 */
	struct dfu_chip_info chip;
	struct dfu_quirk_device quirk_dev;  /* what quirk rows match on */
	/* The option bytes: read (ob_err 0) or why not. */
	int ob_err;
	char ob_why[200];
	struct dfu_option_bytes ob;
	bool dual_bank;               /* an F76x with nDBANK=0 */
	/* The TRUE map of the main flash; NULL with map_err and map_why when
	 * it cannot be known (nDBANK unreadable on a part where it matters):
	 * then nothing may be planned on this device. */
	struct dfu_layout *true_map;
	int map_err;
	char map_why[512];
	/* The device was in dfuERROR when opened (cleared by the probe). */
	bool found_error;
	uint8_t found_status;
};

/* What a busy device is doing, for learning how long it takes
 * (protocol/polltime.c). */
enum dfu_busy_op {
	DFU_BUSY_OTHER = 0,       /* not learned */
	DFU_BUSY_SET_ADDRESS,
	DFU_BUSY_ERASE,           /* by sector size */
	DFU_BUSY_WRITE,           /* a data block, by its length */
};

/* One kind of operation's busy time as this handle has seen it, in
 * milliseconds slept after the operation's first dfuDNBUSY answer
 * (protocol/polltime.c). */
struct dfu_busy_learned {
	uint8_t op;                 /* enum dfu_busy_op; DFU_BUSY_OTHER: free */
	uint32_t size;
	uint32_t lo_ms;             /* the longest wait after which it was still busy */
	uint32_t hi_ms;             /* the shortest known to be enough; 0: its own poll
				       timeout is (nothing to learn) */
	uint32_t streak;            /* first looks in a row that found it done */
};
#define DFU_BUSY_SLOTS 16

struct dfu_dev {
	struct dfu_ctx *ctx;
	struct dfu_transport_ops ops;
	void *user;                 /* the transport's; NULL for listed devices */
	bool listed;                /* from dfu_usb_list(): no transport, info only */
	struct dfu_dev_info info;
	struct dfu_alt_info *alts;
	struct dfu_layout **layouts;  /* one per alt, may be NULL */
	size_t alt_cap;
	int cur_alt;                /* index into alts, -1 before selection */
	uint32_t dfuse_address;     /* the address pointer as we last set it */
	bool address_known;
	struct dfu_probe probe;
	/* The OpenBLT route (protocol/xcpdev.c): memory through XCP on the
	 * ECU's serial port; user is its link. The memory functions of the
	 * protocol layer hand such a device to xcpdev.c. */
	bool route_xcp;
	/* Busy times learned while this handle is open (polltime.c). */
	struct dfu_busy_learned busy[DFU_BUSY_SLOTS];
};

/* dev.c */
int dfu_dev_alloc(struct dfu_ctx *ctx, struct dfu_dev **out);
/* Adds an alternate setting named name (layout parsed if it is one). */
int dfu_dev_add_alt(struct dfu_dev *dev, uint8_t alt, const char *name);
/* Attaches a transport: dev owns user from now on. */
void dfu_dev_attach(struct dfu_dev *dev, const struct dfu_transport_ops *ops,
		    void *user);
/* Parses a raw DFU functional descriptor (7 or 9 bytes). */
bool dfu_parse_func_desc(const uint8_t *p, size_t len, struct dfu_func_desc *out);
void dfu_dev_sleep(struct dfu_dev *dev, unsigned ms);
/* The wTransferSize to use: the descriptor's, else 2048, at most 4096. */
uint16_t dfu_dev_transfer_size(const struct dfu_dev *dev);
/* The selected alt's layout or NULL. */
const struct dfu_layout *dfu_dev_layout(const struct dfu_dev *dev);
/* Selects alternate setting index idx (into dev->alts). */
int dfu_dev_select_index(struct dfu_dev *dev, int idx);
/* DFU_ERR_INVALID_ARG with a detail when dev cannot talk (a listed
 * device, or none): every request checks this first. */
int dfu_dev_check_usable(const struct dfu_dev *dev);
/* dev.c: a device over a caller's transport, without the probe
 * (protocol/probe.c's dfu_dev_open_transport() adds it). */
int dfu_dev_open_raw(struct dfu_ctx *ctx, const struct dfu_transport_ops *ops,
		     void *user, const uint8_t *descriptors, size_t len,
		     struct dfu_dev **out);
/* usb.c: the one matching DFU-mode device over libusb, without the probe. */
int dfu_usb_open_raw(struct dfu_ctx *ctx, const struct dfu_match *match,
		     struct dfu_dev **out);

/* dev_quirks.c: the quirk table applied to an open device. */
/* The row of quirk id that applies to dev, or NULL. */
const struct dfu_quirk *dfu_dev_quirk(const struct dfu_dev *dev, enum dfu_quirk_id id);
/* Fills *out with the rules for waiting on dev in a wait of this kind. */
void dfu_quirk_poll_rules(const struct dfu_dev *dev, enum dfu_poll_kind kind,
			  struct dfu_poll_rules *out);

/* Whether err, seen on the leave request or the GETSTATUS after it, means
 * the device went away as asked (a stall, a pipe error, a disconnect). */
bool dfu_quirk_leave_error_ok(const struct dfu_dev *dev, int err);

/* Whether the dfuERROR a device holds when opened is the ROM's habit
 * (errFIRMWARE after enumeration) rather than a sign of a failed run. */
bool dfu_quirk_first_error_expected(const struct dfu_dev *dev,
				    const struct dfu_status *st);


/* ---- The ECU's USB serial port (serial.c): POSIX termios ---- */

/* An open serial port: raw 8N1, exclusive (TIOCEXCL and flock), DTR and
 * RTS raised. */
struct dfu_serial;

/* Opens path for the FOME console or OpenBLT. DFU_ERR_NO_DEVICE (no such
 * port), DFU_ERR_ACCESS (permission: the dialout group), DFU_ERR_BUSY
 * (another program has it open: the detail names it when it can be
 * found). *out is the caller's: dfu_serial_close(). ctx must outlive it. */
int dfu_serial_open(struct dfu_ctx *ctx, const char *path, struct dfu_serial **out);
void dfu_serial_close(struct dfu_serial *s);
/* The path it was opened with; owned by s. */
const char *dfu_serial_path(const struct dfu_serial *s);
/* The context errors go to. */
struct dfu_ctx *dfu_serial_ctx(const struct dfu_serial *s);
/* Writes all len bytes within timeout_ms or DFU_ERR_TIMEOUT;
 * DFU_ERR_DISCONNECTED when the port went away (EIO, ENODEV, hang-up). */
int dfu_serial_write(struct dfu_serial *s, const void *buf, size_t len, unsigned timeout_ms);
/* Reads exactly len bytes within timeout_ms (for all of them) or
 * DFU_ERR_TIMEOUT; DFU_ERR_DISCONNECTED as for writing. */
int dfu_serial_read(struct dfu_serial *s, void *buf, size_t len, unsigned timeout_ms);
/* Discards input until quiet_ms pass with nothing arriving (at most
 * max_ms): what a device said before we asked is not an answer. */
void dfu_serial_drain(struct dfu_serial *s, unsigned quiet_ms, unsigned max_ms);

#endif /* DFU_DEVICE_H */
