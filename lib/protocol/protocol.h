/*
 * protocol.h - layer 3 of the library (lib/LAYERS.md): DFU 1.1 requests
 * and polling (dfu.c), DfuSe commands and leave (dfuse.c), memory runs:
 * reading and writing a range, checking it blank (memory.c), option-byte
 * I/O (obio.c), and opening a device with its probe (probe.c). Users never
 * see it.
 */
#ifndef DFU_PROTOCOL_H
#define DFU_PROTOCOL_H

#include "device.h"

/* dfu.c */
int dfu_dnload(struct dfu_dev *dev, uint16_t block, const uint8_t *data, uint16_t len);
int dfu_upload(struct dfu_dev *dev, uint16_t block, uint8_t *data, uint16_t len);
/* Polls GETSTATUS after a DNLOAD until the device is no longer busy,
 * sleeping the bwPollTimeout it asks for (never less; dfu_poll_done_op()
 * waits longer where an operation of the same kind took longer). what
 * names the operation in error details ("erase at 0x08004000"). */
int dfu_poll_done(struct dfu_dev *dev, const char *what, struct dfu_status *out);
/* dfu.c: GETSTATUS until the operation the last DNLOAD started is over,
 * under the quirk rules for this kind of wait (dfu_poll_done() is the
 * DFU_POLL_COMMAND case). */
int dfu_poll_done_kind(struct dfu_dev *dev, enum dfu_poll_kind kind, const char *what,
		       struct dfu_status *out);
/* dfu.c: the same, learning how long operations of this kind take
 * (polltime.c): op and size name the kind (a sector erase and its size, a
 * data block and its length). */
int dfu_poll_done_op(struct dfu_dev *dev, enum dfu_poll_kind kind, enum dfu_busy_op op,
		     uint32_t size, const char *what, struct dfu_status *out);
/* Turns a dfuERROR status into an error with a detail. */
int dfu_status_error(struct dfu_dev *dev, const struct dfu_status *st, const char *what);

/* polltime.c: one operation's wait, learning its kind's busy time. */
struct dfu_busy_wait {
	struct dfu_busy_learned *slot;  /* NULL: nothing is learned */
	unsigned looks;                 /* busy answers and stalls so far */
	uint32_t first_wait;            /* slept after the first answer */
	uint64_t last_busy;             /* waited at the last busy look after it */
	bool again;                     /* busy after its first wait */
	bool stuck;                     /* ended by the stuck-busy cure */
};
/* Starts the wait of an operation of kind (op, size) on dev. */
void dfu_busy_begin(struct dfu_dev *dev, enum dfu_busy_op op, uint32_t size,
		    struct dfu_busy_wait *bw);
/* At each busy answer (or stall taken as busy), with waited the time slept
 * since the operation's first answer and asked what the device asks for
 * now: how long to sleep before the next GETSTATUS. Never less than asked;
 * after the first answer, the learned time when it is longer. */
uint32_t dfu_busy_next_wait(struct dfu_busy_wait *bw, uint64_t waited, uint32_t asked);
/* The operation is done after waited ms: learns from it. */
void dfu_busy_end(struct dfu_busy_wait *bw, uint64_t waited);

/* memory.c: a progress sink the runs report to after every block; a
 * nonzero answer from fn stops the run with DFU_ERR_CANCELLED after the
 * request in flight. NULL fn reports nothing. */
struct dfu_mem_progress {
	dfu_progress_fn fn;
	void *user;
	struct dfu_progress p;
};
/* Starts a phase of total bytes (done 0) without calling fn. */
void dfu_mem_phase(struct dfu_mem_progress *pr, enum dfu_phase phase, uint64_t total);
/* Adds n bytes done at address and calls fn. */
int dfu_mem_report(struct dfu_dev *dev, struct dfu_mem_progress *pr, uint64_t n,
		   uint32_t address);

/* memory.c: downloads len bytes at address on the selected alt: one
 * SET_ADDRESS, then blocks 2, 3, ... (AN3156 6.2), each polled. */
int dfu_mem_write(struct dfu_dev *dev, uint32_t address, const uint8_t *data, size_t len,
		  struct dfu_mem_progress *pr);
/* memory.c: uploads len bytes from address: SET_ADDRESS, ABORT, UPLOAD
 * blocks 2, 3, ... (AN3156 6.6), ABORT. verb names the phase in error
 * details ("read", "verify"). */
int dfu_mem_read(struct dfu_dev *dev, const char *verb, uint32_t address, uint8_t *buf,
		 size_t len, struct dfu_mem_progress *pr);
/* memory.c: reads one transfer block at each of the count addresses
 * (each inside the window that one SET_ADDRESS at base reaches: block
 * numbers address memory directly, AN3156 6.6) into out, count blocks of
 * block_len bytes back to back. */
int dfu_mem_sample(struct dfu_dev *dev, uint32_t base, const uint32_t *addresses,
		   size_t count, uint8_t *out, uint16_t block_len);

/* memory.c: a read window: one SET_ADDRESS at base (and ABORT to
 * dfuIDLE), then any blocks at or after base, each by its block number
 * (AN3156 6.6: address = (wBlockNum - 2) * wTransferSize + pointer), in
 * any order, without another SET_ADDRESS; close with ABORT. address must
 * be a whole number of transfer blocks after base. */
int dfu_mem_window_open(struct dfu_dev *dev, uint32_t base);
int dfu_mem_window_read(struct dfu_dev *dev, const char *verb, uint32_t base,
			uint32_t address, uint8_t *buf, size_t len, struct dfu_mem_progress *pr);
int dfu_mem_window_close(struct dfu_dev *dev);

/* memory.c: ends a series of writes (OpenBLT finishes programming what it
 * buffered); DFU devices need nothing. Before anything written is read. */
int dfu_mem_end_writes(struct dfu_dev *dev);

/* obio.c: reads len option bytes at address through the "Option Bytes"
 * alt that holds them; the alt selected before stays selected. */
int dfu_ob_read_at(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len);

/* probe.c: probes an open DfuSe device once (idle, chip, option bytes
 * with retries, true map); the result goes to dev->probe. Fails only when
 * the device cannot be talked to at all; what it could not learn is kept
 * in dev->probe with the reason. */
int dfu_dev_probe(struct dfu_dev *dev);

/* ---- The running FOME ECU's TunerStudio console (ts.c) ---- */

/* Sends payload framed (u16 BE length, payload, CRC-32 BE) and reads one
 * framed reply into reply (status byte first, at most cap bytes);
 * *reply_len its length. DFU_ERR_PROTOCOL for a reply with a bad length
 * or CRC; DFU_ERR_DEVICE when its status is not 0 (the detail names the
 * code); DFU_ERR_TIMEOUT (timeout_ms bounds the whole exchange),
 * DFU_ERR_DISCONNECTED from the port. */
int dfu_ts_request(struct dfu_serial *s, const uint8_t *payload, size_t len, uint8_t *reply,
		   size_t cap, size_t *reply_len, unsigned timeout_ms);
/* The firmware's signature ("rusEFI (FOME) master.2026.08.22.f407-discovery.2761473362")
 * into sig (cap bytes with its NUL). */
int dfu_ts_signature(struct dfu_serial *s, char *sig, size_t cap, unsigned timeout_ms);
/* Whether the firmware says OpenBLT is on the chip ('L'). */
int dfu_ts_openblt_present(struct dfu_serial *s, bool *present, unsigned timeout_ms);
/* Reboots into OpenBLT (to_openblt) or the ROM DFU bootloader: sends the
 * text command 'E' "reboot_openblt" / "reboot_dfu" framed; does not wait
 * for an answer (the firmware may reset before it sends one). */
int dfu_ts_reboot(struct dfu_serial *s, bool to_openblt);

/* ---- OpenBLT's XCP on the serial port (xcp.c) ---- */

/* One XCP session; each call is one request with its reply checked: an
 * FE packet is DFU_ERR_DEVICE (the detail names the command, the address
 * and what the code means), no answer in time DFU_ERR_TIMEOUT, the port
 * gone DFU_ERR_DISCONNECTED. */
struct dfu_xcp {
	struct dfu_ctx *ctx;
	struct dfu_serial *port;    /* not owned */
	uint8_t max_cto;            /* from CONNECT */
	uint16_t max_dto;
	bool connected;
	uint32_t mta;               /* where the next PROGRAM/UPLOAD goes (we track it) */
};

/* Fills *x and CONNECTs (FF 00), retrying for up to timeout_ms while
 * OpenBLT may still be starting: five tries of T6 (50 ms) each, as the
 * reference host, then one every 250 ms. Byte order Motorola or no
 * programming resource: DFU_ERR_UNSUPPORTED. */
int dfu_xcp_connect(struct dfu_xcp *x, struct dfu_ctx *ctx, struct dfu_serial *port,
		    unsigned timeout_ms);
int dfu_xcp_get_status(struct dfu_xcp *x);
int dfu_xcp_program_start(struct dfu_xcp *x);
int dfu_xcp_set_mta(struct dfu_xcp *x, uint32_t address);
/* Erases len bytes (whole sectors) from the MTA; the MTA stays. */
int dfu_xcp_program_clear(struct dfu_xcp *x, uint32_t len);
/* Programs exactly max_cto - 1 bytes at the MTA; the MTA advances. */
int dfu_xcp_program_max(struct dfu_xcp *x, const uint8_t *data);
/* Programs n <= max_cto - 2 bytes at the MTA; n = 0 ends programming (the
 * bootloader writes what it buffered). */
int dfu_xcp_program(struct dfu_xcp *x, const uint8_t *data, uint8_t n);
/* Reads n <= max_dto - 1 bytes from the MTA into buf; the MTA advances. */
int dfu_xcp_upload(struct dfu_xcp *x, uint8_t *buf, uint8_t n);
/* Starts the application (or resets the chip); a missing reply or the
 * port going away is success. */
int dfu_xcp_program_reset(struct dfu_xcp *x);

/* xcpdev.c: the OpenBLT route. Opens the ECU's serial port at port_path,
 * connects to OpenBLT, identifies the chip from its registers and makes a
 * device whose one alt is the main flash's TRUE map, with OpenBLT's own
 * sectors (below the application base) read-only. The memory functions
 * above hand such a device (dev->route_xcp) to these: */
int dfu_xcp_dev_open(struct dfu_ctx *ctx, const char *port_path, struct dfu_dev **out);
int dfu_xcp_dev_read(struct dfu_dev *dev, const char *verb, uint32_t address, uint8_t *buf,
		     size_t len, struct dfu_mem_progress *pr);
int dfu_xcp_dev_write(struct dfu_dev *dev, uint32_t address, const uint8_t *data, size_t len,
		      struct dfu_mem_progress *pr);
/* One PROGRAM_CLEAR of exactly the sector that starts at address. */
int dfu_xcp_dev_erase(struct dfu_dev *dev, uint32_t address);
/* PROGRAM with no data, once after writes. */
int dfu_xcp_dev_end_writes(struct dfu_dev *dev);
/* Ends programming and sends PROGRAM_RESET. */
int dfu_xcp_dev_reset(struct dfu_dev *dev);

#endif /* DFU_PROTOCOL_H */
