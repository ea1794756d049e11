/*
 * core.c - the device on endpoint 0: standard requests (USB 2.0 chapter 9),
 * the DFU 1.1 state machine (DFU 1.1 section 6 and appendix A), the ST
 * DfuSe extensions (AN3156), configuration calls and bus events.
 *
 * State machine rules (DFU 1.1 appendix A state table), where the spec and
 * ST's own USB device library (STM32Cube usbd_dfu.c, the public code
 * closest to the ROM) agree they are followed as written; where they
 * differ, the choice is said:
 *  - A class request that a state does not accept stalls and moves the
 *    device to dfuERROR with errSTALLEDPKT (DFU 1.1); so does a request
 *    with the wrong direction, a wrong length (DNLOAD longer than
 *    wTransferSize, GETSTATUS shorter than 6 bytes, data on CLRSTATUS,
 *    ABORT or DETACH), DfuSe block 1, or an unknown DfuSe command.
 *  - GETSTATUS is answered in every state; GETSTATE in every state but
 *    dfuDNBUSY, dfuMANIFEST and dfuMANIFEST-WAIT-RESET, where the spec has
 *    the device busy or waiting for a reset. In dfuMANIFEST-WAIT-RESET
 *    every other request stalls and the state stays: only a USB reset
 *    gets the device out.
 *  - DfuSe: a zero-length DNLOAD is the leave request in dfuIDLE and in
 *    dfuDNLOAD-IDLE (usbd_dfu.c); ABORT works in dfuIDLE, dfuDNLOAD-SYNC,
 *    dfuDNLOAD-IDLE, dfuMANIFEST-SYNC and dfuUPLOAD-IDLE; DETACH returns to
 *    dfuIDLE and, since bmAttributes has WillDetach, re-enumerates the ROM.
 *    Plain DFU 1.1: zero-length DNLOAD only in dfuDNLOAD-IDLE, ABORT only
 *    in dfuIDLE, dfuDNLOAD-IDLE and dfuUPLOAD-IDLE, DETACH stalls.
 *  - An UPLOAD answered with fewer bytes than asked ends the upload
 *    (dfuIDLE), as DFU 1.1 section 6.2 says; a full one stays in
 *    dfuUPLOAD-IDLE.
 *  - The DNLOAD's operation runs at the next GETSTATUS, which answers
 *    dfuDNBUSY with the ROM's poll timeout; the GETSTATUS after that
 *    answers dfuDNLOAD-IDLE (or dfuERROR with the operation's status) and
 *    is held (reply.ready_at_us) until the modelled busy time is over.
 *  - DfuSe leave: the GETSTATUS after it answers dfuMANIFEST and the chip
 *    then resets into the application (DFUSIM_EV_RUN_APP). Plain DFU: the
 *    next GETSTATUS says dfuMANIFEST-WAIT-RESET and a USB reset starts the
 *    application.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The running application's CDC-ACM class requests (CDC PSTN 1.2 6.3):
 * not DFU, so not in dfu_wire.h. */
enum {
	CDC_SET_LINE_CODING = 0x20,
	CDC_GET_LINE_CODING = 0x21,
	CDC_SET_CONTROL_LINE_STATE = 0x22,
};

#define KIND(k) (1ull << DFUSIM_K_##k)

static const char *const state_names[] = {
	"appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY",
	"dfuDNLOAD-IDLE", "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET",
	"dfuUPLOAD-IDLE", "dfuERROR",
};

static const char *const status_names[DFU_STATUS_COUNT] = {
	"OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED",
	"errPROG", "errVERIFY", "errADDRESS", "errNOTDONE", "errFIRMWARE",
	"errVENDOR", "errUSBR", "errPOR", "errUNKNOWN", "errSTALLEDPKT",
};

/* The DFU 1.1 name of a state ("dfuDNBUSY"); never NULL. */
const char *sim_state_name(enum dfu_state state)
{
	return (unsigned)state < DFUSIM_ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

/* The DFU 1.1 name of a status ("errTARGET"); never NULL. */
const char *sim_status_name(enum dfu_status_code status)
{
	return (unsigned)status < DFU_STATUS_COUNT ? status_names[status] : "?";
}

/* A status from its name, with or without "err", any case, or its
 * number; -1 if it is none of them. */
int sim_status_parse(const char *name)
{
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < DFU_STATUS_COUNT; i++) {
		if (strcasecmp(name, status_names[i]) == 0 ||
		    (i && strcasecmp(name, status_names[i] + 3) == 0))
			return (int)i;
	}
	if (*name >= '0' && *name <= '9') {
		v = strtoul(name, &end, 10);
		if (!*end && v < DFU_STATUS_COUNT)
			return (int)v;
	}
	return -1;
}

/* Sets the message dfusim_error() returns and returns -1. */
int sim_fail(struct dfusim *sim, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sim->error, sizeof(sim->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* A model duration as the caller's clock sees it: times the time
 * scale, rounded, never negative, capped far beyond any real run. */
uint64_t sim_scaled_us(const struct dfusim *sim, uint64_t model_us)
{
	double v = (double)model_us * sim->scale;

	if (v <= 0)
		return 0;
	if (v > 1e15)
		return (uint64_t)1e15;
	return (uint64_t)llround(v);
}

/* A bwPollTimeout the ROM reports, scaled, in its 24 bits. */
static uint32_t scaled_poll_ms(const struct dfusim *sim, uint32_t ms)
{
	uint64_t v = sim_scaled_us(sim, ms);  /* same arithmetic, in ms */

	return v > 0xFFFFFF ? 0xFFFFFF : (uint32_t)v;
}

/* The ROM's state right after it enumerates. */
static void enter_rom(struct dfusim *sim)
{
	sim->app_mode = false;
	sim->mode = SIM_MODE_ROM;
	sim->nout = 0;
	sim->serial_busy_until = 0;
	sim->state = DFU_STATE_IDLE;
	sim->status = DFU_STATUS_OK;
	sim->addr_ptr = sim->chip->flash_base;
	sim->alt = 0;
	sim->configuration = 1;  /* the kernel configures it on enumeration */
	memset(&sim->op, 0, sizeof(sim->op));
	sim->busy_until = 0;
	sim->clr_after_stuck = 0;
	sim->plain_offset = 0;
	sim->plain_erased = false;
	sim->fresh = true;
}

/* A chip fresh from the factory, freshly enumerated in its ROM. */
struct dfusim *dfusim_new(const char *chip_name)
{
	const struct dfusim_chip *chip = sim_chip_find(chip_name);
	struct dfusim *sim;

	if (!chip)
		return NULL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return NULL;
	sim->flash = malloc(chip->flash_size);
	if (!sim->flash) {
		free(sim);
		return NULL;
	}
	sim->chip = chip;
	dfusim_factory_reset(sim);
	return sim;
}

/* Everything but the chip and the flash buffer back to dfusim_new()'s
 * state; the fuzz target reuses simulators this way. */
void dfusim_factory_reset(struct dfusim *sim)
{
	const struct dfusim_chip *chip;
	uint8_t *flash;

	if (!sim)
		return;
	chip = sim->chip;
	flash = sim->flash;
	memset(sim, 0, sizeof(*sim));
	sim->chip = chip;
	sim->flash = flash;
	sim->scale = 1.0;
	memset(sim->flash, 0xFF, chip->flash_size);
	memset(sim->otp, 0xFF, sizeof(sim->otp));
	memset(sim->feature, 0xFF, sizeof(sim->feature));
	sim_default_serial(chip, sim->serial, sizeof(sim->serial));
	memcpy(sim->uid, chip->uid, sizeof(sim->uid));
	sim_app_serial(sim->uid, sim->app_serial, sizeof(sim->app_serial));
	sim_quirks_defaults(sim);
	sim_ob_defaults(sim);
	/* 115200 8N1 */
	memcpy(sim->line_coding, "\x00\xc2\x01\x00\x00\x00\x08", 7);
	enter_rom(sim);
}

/* Frees the simulator and its flash; NULL is a no-op. */
void dfusim_free(struct dfusim *sim)
{
	if (!sim)
		return;
	free(sim->flash);
	free(sim);
}

/* The last configuration error; never NULL. */
const char *dfusim_error(const struct dfusim *sim)
{
	return sim ? sim->error : "no simulator";
}

/* The time scale: 1 is the real chip, 0 instant, 1000 the most. */
int dfusim_set_time_scale(struct dfusim *sim, double scale)
{
	if (!sim)
		return -1;
	if (!(scale >= 0.0 && scale <= 1000.0))
		return sim_fail(sim, "time scale must be between 0 and 1000");
	sim->scale = scale;
	return 0;
}

/* Replaces the serial number string; printable ASCII, 1-63 bytes. */
int dfusim_set_serial(struct dfusim *sim, const char *serial)
{
	size_t i, n;

	if (!sim || !serial)
		return -1;
	n = strlen(serial);
	if (n == 0 || n >= sizeof(sim->serial))
		return sim_fail(sim, "serial must be 1 to %zu characters", sizeof(sim->serial) - 1);
	for (i = 0; i < n; i++)
		if (serial[i] < 0x20 || serial[i] > 0x7e)
			return sim_fail(sim, "serial must be printable ASCII");
	memcpy(sim->serial, serial, n + 1);
	return 0;
}

/* A GETSTATUS answer: bStatus, bwPollTimeout (3 bytes LE), bState,
 * iString. Writes at most wlen bytes. */
static size_t put_status(uint8_t *data, size_t wlen, enum dfu_status_code status,
			 uint32_t poll_ms, enum dfu_state state)
{
	uint8_t s[DFU_STATUS_LEN] = { (uint8_t)status, (uint8_t)poll_ms, (uint8_t)(poll_ms >> 8),
			 (uint8_t)(poll_ms >> 16), (uint8_t)state, 0 };
	size_t n = wlen < sizeof(s) ? wlen : sizeof(s);

	memcpy(data, s, n);
	return n;
}

/* What one request did, for the log line. */
struct outcome_note {
	char text[160];
};

/* Sets the outcome half of the request's log line. */
static void note(struct outcome_note *n, const char *fmt, ...) DFUSIM_PRINTF(2, 3);
static void note(struct outcome_note *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* A request the state does not take: stall, and dfuERROR with status
 * (DFU 1.1 appendix A). Only a USB reset gets a device out of
 * dfuMANIFEST-WAIT-RESET, so there the state stays. */
static void stall_error(struct dfusim *sim, struct dfusim_reply *reply,
			enum dfu_status_code status)
{
	reply->outcome = DFUSIM_STALL;
	if (sim->state == DFU_STATE_MANIFEST_WAIT_RESET)
		return;
	sim->state = DFU_STATE_ERROR;
	sim->status = status;
}

/* Puts the device off the bus with an event at `at`. */
static void schedule(struct dfusim *sim, struct dfusim_reply *reply,
		     enum dfusim_bus_event ev, uint64_t at)
{
	const struct dfusim_timing *t = &sim->chip->t;

	(void)t;
	reply->event = ev;
	reply->event_at_us = at;
	switch (ev) {
	case DFUSIM_EV_RESET_TO_DFU:
	case DFUSIM_EV_RUN_APP:
		reply->back_at_us = at + sim_scaled_us(sim, sim_mode_boot_us(sim, sim_event_target(sim, ev)));
		break;
	case DFUSIM_EV_DISCONNECT:
	case DFUSIM_EV_NONE:
		reply->back_at_us = 0;
		break;
	}
	sim->pending = ev;
	sim->pending_at = at;
	sim->pending_back = reply->back_at_us;
}

/* GETSTATUS, DFU 1.1 section 6.1.2 and AN3156 section 6. */
static void req_getstatus(struct dfusim *sim, uint8_t *data, size_t wlen, uint64_t now,
			  struct dfusim_reply *reply, struct outcome_note *nt)
{
	struct dfusim_op *op = &sim->op;
	uint32_t poll;

	switch (sim->state) {
	case DFU_STATE_DNLOAD_SYNC:
		sim_op_run(sim);
		sim->state = DFU_STATE_DNBUSY;
		sim->busy_until = now + sim_scaled_us(sim, op->model_us);
		poll = scaled_poll_ms(sim, op->poll_ms);
		sim->stats.poll_reported_ms += poll;
		reply->len = put_status(data, wlen, DFU_STATUS_OK, poll, DFU_STATE_DNBUSY);
		if (op->event != DFUSIM_EV_NONE)
			schedule(sim, reply, op->event, sim->busy_until);
		note(nt, "OK dfuDNBUSY poll=%ums %s%s%s", (unsigned)poll, op->what,
		     op->fault ? " fault=" : "", op->fault ? op->fault->spec : "");
		return;
	case DFU_STATE_DNBUSY:
		if (op->stuck) {
			poll = scaled_poll_ms(sim, op->poll_ms);
			reply->len = put_status(data, wlen, DFU_STATUS_OK, poll, DFU_STATE_DNBUSY);
			note(nt, "OK dfuDNBUSY poll=%ums (h7-stuck-busy)", (unsigned)poll);
			return;
		}
		if (sim->pending != DFUSIM_EV_NONE) {
			/* The operation ends in a reset: the answer never
			 * comes, the device leaves the bus. */
			reply->outcome = DFUSIM_GONE;
			reply->ready_at_us = sim->pending_at;
			sim->off_bus = true;
			note(nt, "GONE (reset)");
			return;
		}
		if (sim->quirk[DFUSIM_Q_L4_STALL_BUSY] && now < sim->busy_until) {
			reply->outcome = DFUSIM_STALL;
			note(nt, "STALL (l4-stall-busy)");
			return;
		}
		if (sim->busy_until > reply->ready_at_us)
			reply->ready_at_us = sim->busy_until;
		sim->state = op->result ? DFU_STATE_ERROR : DFU_STATE_DNLOAD_IDLE;
		sim->status = op->result;
		reply->len = put_status(data, wlen, sim->status, 0, sim->state);
		note(nt, "%s %s poll=0ms", sim_status_name(sim->status), sim_state_name(sim->state));
		return;
	case DFU_STATE_MANIFEST_SYNC:
		if (op->kind != DFUSIM_OP_LEAVE) {
			/* A manifestation-tolerant device back from
			 * dfuMANIFEST: done, ready for more (DFU 1.1 A.2.7). */
			sim->state = DFU_STATE_IDLE;
			reply->len = put_status(data, wlen, DFU_STATUS_OK, 0, sim->state);
			note(nt, "OK dfuIDLE poll=0ms");
			return;
		}
		sim_op_run(sim);
		poll = scaled_poll_ms(sim, op->poll_ms);
		if (op->result) {
			/* a status fault on the leave */
			sim->state = DFU_STATE_ERROR;
			sim->status = op->result;
			reply->len = put_status(data, wlen, sim->status, 0, sim->state);
			note(nt, "%s dfuERROR poll=0ms %s", sim_status_name(sim->status), op->what);
			return;
		}
		sim->state = DFU_STATE_MANIFEST;
		if (!sim->chip->dfuse) {
			reply->len = put_status(data, wlen, DFU_STATUS_OK, poll, DFU_STATE_MANIFEST);
			note(nt, "OK dfuMANIFEST poll=%ums", (unsigned)poll);
			return;
		}
		/* op->event: RUN_APP, or RESET_TO_DFU after a power loss */
		if (sim->quirk[DFUSIM_Q_LEAVE_PIPE_ERROR]) {
			reply->outcome = DFUSIM_STALL;
			schedule(sim, reply, op->event, now);
			note(nt, "STALL (leave-pipe-error) %s", op->what);
			return;
		}
		sim->stats.poll_reported_ms += poll;
		reply->len = put_status(data, wlen, DFU_STATUS_OK, poll, DFU_STATE_MANIFEST);
		schedule(sim, reply, op->event,
			 now + sim_scaled_us(sim, sim_transfer_us(sim, DFU_STATUS_LEN)));
		note(nt, "OK dfuMANIFEST poll=%ums %s", (unsigned)poll, op->what);
		return;
	case DFU_STATE_MANIFEST:
		/* Plain DFU only: a DfuSe ROM has left the bus by now. A
		 * manifestation-tolerant device returns to dfuMANIFEST-SYNC,
		 * any other waits for a USB reset. */
		op->kind = DFUSIM_OP_NONE;
		if (sim->chip->attributes & DFU_ATTR_MANIFESTATION_TOLERANT)
			sim->state = DFU_STATE_MANIFEST_SYNC;
		else
			sim->state = DFU_STATE_MANIFEST_WAIT_RESET;
		reply->len = put_status(data, wlen, DFU_STATUS_OK, 0, sim->state);
		note(nt, "OK %s poll=0ms", sim_state_name(sim->state));
		return;
	case DFU_STATE_APP_IDLE:
	case DFU_STATE_APP_DETACH:
	case DFU_STATE_IDLE:
	case DFU_STATE_DNLOAD_IDLE:
	case DFU_STATE_MANIFEST_WAIT_RESET:
	case DFU_STATE_UPLOAD_IDLE:
	case DFU_STATE_ERROR:
		break;
	}
	reply->len = put_status(data, wlen, sim->status, 0, sim->state);
	note(nt, "%s %s poll=0ms", sim_status_name(sim->status), sim_state_name(sim->state));
}

/* DNLOAD: checks it against the state, decodes a DfuSe command or a data
 * block, and keeps it as the pending op, which the next GETSTATUS runs.
 * A DNLOAD the state or the ROM does not take stalls. */
static void req_dnload(struct dfusim *sim, const struct dfusim_setup *s, const uint8_t *data,
		       struct dfusim_reply *reply, struct outcome_note *nt)
{
	const struct dfusim_chip *c = sim->chip;
	struct dfusim_op *op = &sim->op;
	uint16_t len = s->w_length;
	struct dfusim_op next;

	memset(&next, 0, sizeof(next));
	next.block = s->w_value;
	next.len = len;
	if (len > c->transfer_size ||
	    (sim->state != DFU_STATE_IDLE && sim->state != DFU_STATE_DNLOAD_IDLE) ||
	    (len == 0 && !c->dfuse && sim->state != DFU_STATE_DNLOAD_IDLE)) {
		stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
		return;
	}
	if (len == 0) {
		next.kind = DFUSIM_OP_LEAVE;
	} else if (!c->dfuse) {
		next.kind = DFUSIM_OP_WRITE;
		if (sim->state == DFU_STATE_IDLE) {
			sim->plain_offset = 0;
			sim->plain_erased = false;
		}
		next.addr = c->flash_base + sim->plain_offset;
	} else if (s->w_value == 0) {
		uint32_t a = len == 5 ? (uint32_t)data[1] | (uint32_t)data[2] << 8 |
				       (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24 : 0;

		if (len == 5 && data[0] == DFUSE_CMD_SET_ADDRESS) {
			next.kind = DFUSIM_OP_SET_ADDRESS;
		} else if (len == 5 && data[0] == DFUSE_CMD_ERASE) {
			next.kind = DFUSIM_OP_ERASE;
		} else if (len == 1 && data[0] == DFUSE_CMD_ERASE) {
			next.kind = DFUSIM_OP_MASS_ERASE;
		} else if (len == 1 && data[0] == DFUSE_CMD_READ_UNPROTECT) {
			next.kind = DFUSIM_OP_UNPROTECT;
		} else if (len == 1 && data[0] == DFUSE_CMD_GET) {
			next.kind = DFUSIM_OP_GET_COMMANDS;
		} else {
			stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
			note(nt, "STALL dfuERROR errSTALLEDPKT (unknown command)");
			return;
		}
		next.addr = a;
	} else if (s->w_value == 1) {
		stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
		return;
	} else {
		next.addr = sim_block_addr(sim, s->w_value);
		next.kind = sim->alt < c->nalts && c->alt_mem[sim->alt] == DFUSIM_MEM_OPTION ?
			    DFUSIM_OP_OPTION_WRITE : DFUSIM_OP_WRITE;
	}
	*op = next;
	if (len)
		memcpy(sim->opbuf, data, len);
	sim->stats.bytes_down += len;
	sim->state = len ? DFU_STATE_DNLOAD_SYNC : DFU_STATE_MANIFEST_SYNC;
}

/* UPLOAD: DfuSe block 0 lists the commands (AN3156 6.2), blocks >= 2
 * read memory; plain DFU reads on from where the last block ended. */
static void req_upload(struct dfusim *sim, const struct dfusim_setup *s, uint8_t *data,
		       size_t wlen, struct dfusim_reply *reply, struct outcome_note *nt)
{
	static const uint8_t commands[] = { DFUSE_CMD_GET, DFUSE_CMD_SET_ADDRESS,
					    DFUSE_CMD_ERASE, DFUSE_CMD_READ_UNPROTECT };
	const struct dfusim_chip *c = sim->chip;
	enum dfu_status_code status = DFU_STATUS_OK;
	struct dfusim_fault *f;
	int n;

	if (s->w_length > c->transfer_size || !(c->attributes & DFU_ATTR_CAN_UPLOAD) ||
	    (sim->state != DFU_STATE_IDLE && sim->state != DFU_STATE_UPLOAD_IDLE) ||
	    (c->dfuse && s->w_value == 1)) {
		stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
		return;
	}
	if (!c->dfuse && sim->state == DFU_STATE_IDLE)
		sim->plain_offset = 0;
	if (c->dfuse && s->w_value == 0) {
		n = (int)(wlen < sizeof(commands) ? wlen : sizeof(commands));
		memcpy(data, commands, (size_t)n);
	} else {
		if (c->dfuse && s->w_length) {
			uint32_t a = sim_block_addr(sim, s->w_value);

			f = sim_fault_by_addr(sim, a, a + s->w_length - 1);
			if (f && f->action == DFUSIM_FA_STATUS) {
				stall_error(sim, reply, f->status);
				note(nt, "STALL dfuERROR %s fault=%s", sim_status_name(f->status),
				     f->spec);
				return;
			}
		}
		n = sim_upload(sim, s->w_value, data, (uint32_t)wlen, &status);
		if (n < 0) {
			stall_error(sim, reply, status);
			return;
		}
	}
	reply->len = (size_t)n;
	sim->stats.bytes_up += (uint64_t)n;
	sim->state = (size_t)n < s->w_length ? DFU_STATE_IDLE : DFU_STATE_UPLOAD_IDLE;
	note(nt, "%d bytes", n);
}

/* One DFU class request to interface 0 in the ROM. */
static void dfu_request(struct dfusim *sim, const struct dfusim_setup *s, uint8_t *data,
			size_t wlen, uint64_t now, struct dfusim_reply *reply,
			struct outcome_note *nt)
{
	bool in = s->bm_request_type & DFU_USB_DIR_IN;
	bool dfuse = sim->chip->dfuse;
	enum dfu_state st = sim->state;

	if (sim->fresh) {
		sim->fresh = false;
		if (sim->quirk[DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE]) {
			sim->state = DFU_STATE_ERROR;
			sim->status = DFU_STATUS_ERR_FIRMWARE;
			st = sim->state;
		}
	}
	switch (s->b_request) {
	case DFU_REQ_GETSTATUS:
		if (!in || s->w_length < DFU_STATUS_LEN)
			break;
		req_getstatus(sim, data, wlen, now, reply, nt);
		return;
	case DFU_REQ_GETSTATE:
		if (!in || s->w_length < 1 || wlen < 1 || st == DFU_STATE_DNBUSY || st == DFU_STATE_MANIFEST ||
		    st == DFU_STATE_MANIFEST_WAIT_RESET)
			break;
		data[0] = (uint8_t)st;
		reply->len = 1;
		note(nt, "%s", sim_state_name(st));
		return;
	case DFU_REQ_CLRSTATUS:
		if (in || s->w_length)
			break;
		if (st == DFU_STATE_DNBUSY && sim->op.stuck) {
			/* H7 rev V: the first CLRSTATUS leaves dfuERROR with
			 * errUNKNOWN; the next one clears it as usual. */
			sim->op.stuck = false;
			sim->state = DFU_STATE_ERROR;
			sim->status = DFU_STATUS_ERR_UNKNOWN;
			note(nt, "ACK dfuERROR errUNKNOWN (h7-stuck-busy)");
			return;
		}
		if (st != DFU_STATE_ERROR)
			break;
		sim->state = DFU_STATE_IDLE;
		sim->status = DFU_STATUS_OK;
		note(nt, "ACK dfuIDLE");
		return;
	case DFU_REQ_ABORT:
		if (in || s->w_length)
			break;
		if (st == DFU_STATE_IDLE || st == DFU_STATE_DNLOAD_IDLE || st == DFU_STATE_UPLOAD_IDLE ||
		    (dfuse && (st == DFU_STATE_DNLOAD_SYNC || st == DFU_STATE_MANIFEST_SYNC))) {
			sim->state = DFU_STATE_IDLE;
			sim->status = DFU_STATUS_OK;
			note(nt, "ACK dfuIDLE");
			return;
		}
		break;
	case DFU_REQ_DETACH:
		if (in || s->w_length || !dfuse)
			break;
		if (st == DFU_STATE_IDLE || st == DFU_STATE_DNLOAD_SYNC || st == DFU_STATE_DNLOAD_IDLE ||
		    st == DFU_STATE_MANIFEST_SYNC || st == DFU_STATE_UPLOAD_IDLE) {
			sim->state = DFU_STATE_IDLE;
			schedule(sim, reply, DFUSIM_EV_RESET_TO_DFU, now);
			note(nt, "ACK");
			return;
		}
		break;
	case DFU_REQ_DNLOAD:
		if (in)
			break;
		req_dnload(sim, s, data, reply, nt);
		if (reply->outcome == DFUSIM_ACK)
			note(nt, "ACK");
		else if (!nt->text[0])
			note(nt, "STALL %s %s", sim_state_name(sim->state),
			     sim_status_name(sim->status));
		return;
	case DFU_REQ_UPLOAD:
		if (!in)
			break;
		req_upload(sim, s, data, wlen, reply, nt);
		if (reply->outcome != DFUSIM_ACK && !nt->text[0])
			note(nt, "STALL %s %s", sim_state_name(sim->state),
			     sim_status_name(sim->status));
		return;
	}
	stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
	note(nt, "STALL %s %s", sim_state_name(sim->state), sim_status_name(sim->status));
}

/* CDC-ACM class requests of the running application. */
static void app_class_request(struct dfusim *sim, const struct dfusim_setup *s, uint8_t *data,
			      size_t wlen, struct dfusim_reply *reply, struct outcome_note *nt)
{
	/* CDC class requests to an interface have DFU's request types. */
	if (s->bm_request_type == DFU_RT_OUT && s->b_request == CDC_SET_LINE_CODING &&
	    s->w_length == 7) {
		memcpy(sim->line_coding, data, 7);
		note(nt, "ACK");
	} else if (s->bm_request_type == DFU_RT_IN && s->b_request == CDC_GET_LINE_CODING) {
		reply->len = wlen < 7 ? wlen : 7;
		memcpy(data, sim->line_coding, reply->len);
		note(nt, "%zu bytes", reply->len);
	} else if (s->bm_request_type == DFU_RT_OUT && s->b_request == CDC_SET_CONTROL_LINE_STATE) {
		note(nt, "ACK");
	} else {
		reply->outcome = DFUSIM_STALL;
		note(nt, "STALL");
	}
}

/* A descriptor type's name for the log. */
static const char *desc_name(uint8_t type)
{
	switch (type) {
	case DFU_USB_DT_DEVICE: return "DEVICE";
	case DFU_USB_DT_CONFIG: return "CONFIG";
	case DFU_USB_DT_STRING: return "STRING";
	case DFU_USB_DT_DFU_FUNCTIONAL: return "DFU";
	default: return "OTHER";
	}
}

/* Standard requests, USB 2.0 section 9.4. */
static void std_request(struct dfusim *sim, const struct dfusim_setup *s, uint8_t *data,
			size_t wlen, uint64_t now, struct dfusim_reply *reply,
			struct outcome_note *nt)
{
	uint8_t rt = s->bm_request_type;
	int n;

	switch (s->b_request) {
	case DFU_USB_REQ_GET_DESCRIPTOR:
		if (rt != DFU_RT_STD_IN && rt != (DFU_RT_STD_IN | DFU_USB_RECIP_INTERFACE))
			break;
		n = sim_get_descriptor(sim, (uint8_t)(s->w_value >> 8), (uint8_t)s->w_value,
				       s->w_index, data, wlen);
		if (n < 0)
			break;
		reply->len = (size_t)n;
		note(nt, "%d bytes", n);
		return;
	case DFU_USB_REQ_GET_STATUS:
		if (!(rt & DFU_USB_DIR_IN) || (rt & DFU_USB_RECIP_MASK) > DFU_USB_RECIP_ENDPOINT)
			break;
		{
			uint8_t st[2] = { (rt & DFU_USB_RECIP_MASK) == DFU_USB_RECIP_DEVICE && !sim->app_mode ? 0x01 : 0x00, 0 };

			reply->len = wlen < 2 ? wlen : 2;
			memcpy(data, st, reply->len);
		}
		note(nt, "%zu bytes", reply->len);
		return;
	case DFU_USB_REQ_GET_CONFIGURATION:
		if (rt != DFU_RT_STD_IN || wlen < 1)
			break;
		data[0] = sim->configuration;
		reply->len = 1;
		note(nt, "1 bytes");
		return;
	case DFU_USB_REQ_SET_CONFIGURATION:
		if (rt != 0x00 || dfusim_set_configuration(sim, (uint8_t)s->w_value, now))
			break;
		note(nt, "ACK");
		return;
	case DFU_USB_REQ_GET_INTERFACE:
		if (rt != (DFU_RT_STD_IN | DFU_USB_RECIP_INTERFACE) || wlen < 1 || s->w_index > (sim->app_mode ? 1 : 0))
			break;
		data[0] = sim->app_mode ? 0 : sim->alt;
		reply->len = 1;
		note(nt, "1 bytes");
		return;
	case DFU_USB_REQ_SET_INTERFACE:
		if (rt != 0x01 || dfusim_set_interface(sim, (uint8_t)s->w_index,
						       (uint8_t)s->w_value, now))
			break;
		note(nt, "ACK");
		return;
	case DFU_USB_REQ_SET_ADDRESS:
		if (rt != 0x00)
			break;
		note(nt, "ACK");
		return;
	case DFU_USB_REQ_CLEAR_FEATURE:
	case DFU_USB_REQ_SET_FEATURE:
		/* ENDPOINT_HALT on endpoint 0 is the only feature there is. */
		if (rt != DFU_USB_RECIP_ENDPOINT || s->w_value != 0 || (s->w_index & 0x7f) != 0)
			break;
		note(nt, "ACK");
		return;
	}
	reply->outcome = DFUSIM_STALL;
	note(nt, "STALL");
}

/* The kinds a request counts as, for statistics and faults. */
static uint64_t classify(const struct dfusim *sim, const struct dfusim_setup *s,
			 const uint8_t *data, size_t cap)
{
	uint64_t k = KIND(CONTROL);
	bool have = s->w_length == 0 || (data && cap >= s->w_length);

	if ((s->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_STANDARD)
		return k | (s->b_request == DFU_USB_REQ_GET_DESCRIPTOR ? KIND(DESCRIPTOR) : KIND(STANDARD));
	if ((s->bm_request_type & DFU_USB_TYPE_MASK) != DFU_USB_TYPE_CLASS || sim->app_mode)
		return k;
	switch (s->b_request) {
	case DFU_REQ_DETACH: return k | KIND(DETACH);
	case DFU_REQ_GETSTATUS: return k | KIND(GETSTATUS);
	case DFU_REQ_CLRSTATUS: return k | KIND(CLRSTATUS);
	case DFU_REQ_GETSTATE: return k | KIND(GETSTATE);
	case DFU_REQ_ABORT: return k | KIND(ABORT);
	case DFU_REQ_UPLOAD:
		k |= KIND(UPLOAD);
		if (!sim->chip->dfuse || s->w_value >= DFUSE_FIRST_BLOCK)
			k |= KIND(READ);
		return k;
	case DFU_REQ_DNLOAD:
		k |= KIND(DNLOAD);
		if (s->w_length == 0)
			return k | KIND(LEAVE);
		if (!sim->chip->dfuse)
			return k | KIND(WRITE);
		if (s->w_value >= DFUSE_FIRST_BLOCK)
			return k | (sim->alt < sim->chip->nalts &&
				    sim->chip->alt_mem[sim->alt] == DFUSIM_MEM_OPTION ?
				    KIND(OPTIONBYTES) : KIND(WRITE));
		if (s->w_value == 0 && have) {
			if (data[0] == DFUSE_CMD_SET_ADDRESS && s->w_length == 5)
				return k | KIND(SETADDR);
			if (data[0] == DFUSE_CMD_ERASE && s->w_length == 5)
				return k | KIND(ERASE);
			if (data[0] == DFUSE_CMD_ERASE && s->w_length == 1)
				return k | KIND(MASSERASE);
			if (data[0] == DFUSE_CMD_READ_UNPROTECT && s->w_length == 1)
				return k | KIND(UNPROTECT);
		}
		return k;
	}
	return k;
}

/* The request's half of the log line. */
static void describe(const struct dfusim *sim, const struct dfusim_setup *s,
		     const uint8_t *data, size_t cap, char *buf, size_t bufcap)
{
	static const char *const names[] = { "DETACH", "DNLOAD", "UPLOAD", "GETSTATUS",
					     "CLRSTATUS", "GETSTATE", "ABORT" };
	bool have = s->w_length == 0 || (data && cap >= s->w_length);

	if ((s->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_STANDARD) {
		switch (s->b_request) {
		case DFU_USB_REQ_GET_DESCRIPTOR:
			snprintf(buf, bufcap, "GET_DESCRIPTOR %s %u len=%u",
				 desc_name((uint8_t)(s->w_value >> 8)), s->w_value & 0xff,
				 s->w_length);
			return;
		case DFU_USB_REQ_SET_CONFIGURATION:
			snprintf(buf, bufcap, "SET_CONFIGURATION %u", s->w_value);
			return;
		case DFU_USB_REQ_SET_INTERFACE:
			snprintf(buf, bufcap, "SET_INTERFACE %u alt=%u", s->w_index, s->w_value);
			return;
		default:
			snprintf(buf, bufcap, "STANDARD type=0x%02x req=%u value=0x%04x len=%u",
				 s->bm_request_type, s->b_request, s->w_value, s->w_length);
			return;
		}
	}
	if ((s->bm_request_type & DFU_USB_TYPE_MASK) != DFU_USB_TYPE_CLASS || s->b_request >= DFUSIM_ARRAY_SIZE(names) ||
	    sim->app_mode) {
		snprintf(buf, bufcap, "REQUEST type=0x%02x req=%u value=0x%04x len=%u",
			 s->bm_request_type, s->b_request, s->w_value, s->w_length);
		return;
	}
	if (s->b_request == DFU_REQ_DNLOAD && sim->chip->dfuse && s->w_value == 0 && have &&
	    s->w_length >= 1) {
		const char *cmd = "UNKNOWN";
		uint32_t a = 0;

		if (s->w_length == 5)
			a = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
			    (uint32_t)data[4] << 24;
		if (data[0] == DFUSE_CMD_SET_ADDRESS && s->w_length == 5)
			cmd = "SET_ADDRESS";
		else if (data[0] == DFUSE_CMD_ERASE && s->w_length == 5)
			cmd = "ERASE";
		else if (data[0] == DFUSE_CMD_ERASE && s->w_length == 1)
			cmd = "MASS_ERASE";
		else if (data[0] == DFUSE_CMD_READ_UNPROTECT && s->w_length == 1)
			cmd = "READ_UNPROTECT";
		else if (data[0] == DFUSE_CMD_GET && s->w_length == 1)
			cmd = "GET_COMMANDS";
		if (s->w_length == 5)
			snprintf(buf, bufcap, "DNLOAD block=0 len=5 cmd=%s 0x%08x", cmd, (unsigned)a);
		else
			snprintf(buf, bufcap, "DNLOAD block=0 len=%u cmd=%s", s->w_length, cmd);
		return;
	}
	if (s->b_request == DFU_REQ_DNLOAD || s->b_request == DFU_REQ_UPLOAD)
		snprintf(buf, bufcap, "%s block=%u len=%u%s", names[s->b_request], s->w_value,
			 s->w_length, s->w_length == 0 && s->b_request == DFU_REQ_DNLOAD ?
			 " (leave)" : "");
	else
		snprintf(buf, bufcap, "%s", names[s->b_request]);
}

/* A fault that acts on the request itself. Returns false for one that
 * belongs to the DNLOAD's operation (it is attached to the op instead). */
static bool fault_now(struct dfusim *sim, struct dfusim_fault *f, const struct dfusim_setup *s,
		      uint8_t *data, size_t wlen, uint64_t now, struct dfusim_reply *reply,
		      struct outcome_note *nt)
{
	bool class = (s->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_CLASS && !sim->app_mode;
	bool dnload = class && s->b_request == DFU_REQ_DNLOAD;

	switch (f->action) {
	case DFUSIM_FA_DISCONNECT:
		reply->outcome = DFUSIM_GONE;
		schedule(sim, reply, DFUSIM_EV_DISCONNECT, now);
		sim->off_bus = true;
		note(nt, "GONE fault=%s", f->spec);
		return true;
	case DFUSIM_FA_STALL:
		reply->outcome = DFUSIM_STALL;
		if (class)
			stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
		note(nt, "STALL fault=%s", f->spec);
		return true;
	case DFUSIM_FA_TIMEOUT:
	case DFUSIM_FA_ERROR:  /* serial triggers only: never here */
		reply->outcome = DFUSIM_NO_ANSWER;
		note(nt, "TIMEOUT fault=%s", f->spec);
		return true;
	case DFUSIM_FA_POWERLOSS:
		if (dnload)
			return false;
		reply->outcome = DFUSIM_GONE;
		schedule(sim, reply, DFUSIM_EV_RESET_TO_DFU, now);
		sim->off_bus = true;
		note(nt, "GONE (power loss) fault=%s", f->spec);
		return true;
	case DFUSIM_FA_STATUS:
		if (dnload)
			return false;
		if (class && s->b_request == DFU_REQ_GETSTATUS && (s->bm_request_type & DFU_USB_DIR_IN) &&
		    s->w_length >= DFU_STATUS_LEN) {
			sim->state = DFU_STATE_ERROR;
			sim->status = f->status;
			reply->len = put_status(data, wlen, f->status, 0, DFU_STATE_ERROR);
			note(nt, "%s dfuERROR poll=0ms fault=%s", sim_status_name(f->status), f->spec);
			return true;
		}
		reply->outcome = DFUSIM_STALL;
		if (class)
			stall_error(sim, reply, f->status);
		note(nt, "STALL dfuERROR %s fault=%s", sim_status_name(f->status), f->spec);
		return true;
	case DFUSIM_FA_MISDIRECT:
		/* Only an erase DNLOAD triggers it; its operation goes wrong. */
		return false;
	}
	return true;
}

/* The address range a DfuSe DNLOAD touches, for address faults. */
static bool dnload_range(const struct dfusim *sim, const struct dfusim_op *op,
			 uint32_t *lo, uint32_t *hi)
{
	uint32_t start, size;

	switch (op->kind) {
	case DFUSIM_OP_ERASE:
		if (sim_map_sector(sim_true_map(sim), sim->chip->flash_base, op->addr,
				   &start, &size) < 0)
			start = op->addr, size = 1;
		*lo = start;
		*hi = start + size - 1;
		return true;
	case DFUSIM_OP_WRITE:
	case DFUSIM_OP_OPTION_WRITE:
		*lo = op->addr;
		*hi = op->addr + op->len - 1;
		return true;
	case DFUSIM_OP_NONE:
	case DFUSIM_OP_GET_COMMANDS:
	case DFUSIM_OP_SET_ADDRESS:  /* touches no memory */
	case DFUSIM_OP_MASS_ERASE:
	case DFUSIM_OP_UNPROTECT:
	case DFUSIM_OP_LEAVE:
		break;
	}
	return false;
}

/* An event as the log line's suffix; "" for none. */
static const char *event_name(enum dfusim_bus_event ev)
{
	switch (ev) {
	case DFUSIM_EV_NONE: return "";
	case DFUSIM_EV_RESET_TO_DFU: return " event=RESET_TO_DFU";
	case DFUSIM_EV_RUN_APP: return " event=RUN_APP";
	case DFUSIM_EV_DISCONNECT: return " event=DISCONNECT";
	}
	return "";
}

/* One control transfer: counts it, lets a fault act, dispatches it to the
 * standard, application or DFU handler, adds the USB transfer time and
 * logs it. data may be NULL when nothing is to be moved. */
void dfusim_control(struct dfusim *sim, const struct dfusim_setup *setup,
		    uint8_t *data, size_t cap, uint64_t now_us,
		    struct dfusim_reply *reply)
{
	struct outcome_note nt = { "" };
	uint8_t scratch = 0;
	char req[128];
	size_t wlen;
	uint64_t kinds;
	struct dfusim_fault *f;
	bool in;

	memset(reply, 0, sizeof(*reply));
	reply->outcome = DFUSIM_ACK;
	reply->ready_at_us = now_us;
	if (!sim || !setup)
		return;
	if (!data) {
		/* Nothing to read or write: every copy below is bounded by
		 * cap, so a zero-sized scratch byte stands in for data. */
		data = &scratch;
		cap = 0;
	}
	in = setup->bm_request_type & DFU_USB_DIR_IN;
	wlen = setup->w_length < cap ? setup->w_length : cap;
	req[0] = '\0';
	if (sim->log_fn)  /* the line costs more than the request */
		describe(sim, setup, data, cap, req, sizeof(req));
	kinds = classify(sim, setup, data, cap);

	if (sim->off_bus || (sim->pending != DFUSIM_EV_NONE && now_us >= sim->pending_at) ||
	    (sim->chip->dfuse && sim->state == DFU_STATE_MANIFEST && !sim->app_mode)) {
		/* (A DfuSe ROM in dfuMANIFEST is already resetting.) */
		/* Gone, or going: say again which event takes it away, so a
		 * front end that has not acted on it yet still can. */
		reply->outcome = DFUSIM_GONE;
		reply->event = sim->pending != DFUSIM_EV_NONE ? sim->pending : DFUSIM_EV_DISCONNECT;
		reply->event_at_us = sim->pending_at > now_us ? sim->pending_at : now_us;
		reply->back_at_us = reply->event == DFUSIM_EV_DISCONNECT ? 0 :
				    sim->pending_back > reply->event_at_us ? sim->pending_back :
				    reply->event_at_us;
		sim->off_bus = true;
		sim_log(sim, "%s -> GONE", req);
		return;
	}
	sim_count(sim, kinds);
	f = sim_fault_by_count(sim, kinds);
	if (f && fault_now(sim, f, setup, data, wlen, now_us, reply, &nt))
		goto done;

	if (!in && setup->w_length && (!data || cap < setup->w_length)) {
		/* The host promised data it did not give: a broken OUT
		 * transfer, which the device cannot accept. */
		reply->outcome = DFUSIM_STALL;
		if ((setup->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_CLASS && !sim->app_mode)
			stall_error(sim, reply, DFU_STATUS_ERR_STALLEDPKT);
		note(&nt, "STALL (short data)");
		goto done;
	}
	if ((setup->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_STANDARD) {
		std_request(sim, setup, data, wlen, now_us, reply, &nt);
	} else if ((setup->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_CLASS &&
		   (setup->bm_request_type & DFU_USB_RECIP_MASK) == DFU_USB_RECIP_INTERFACE && sim->app_mode) {
		app_class_request(sim, setup, data, wlen, reply, &nt);
	} else if ((setup->bm_request_type & DFU_USB_TYPE_MASK) == DFU_USB_TYPE_CLASS &&
		   (setup->bm_request_type & DFU_USB_RECIP_MASK) == DFU_USB_RECIP_INTERFACE && setup->w_index == 0 &&
		   sim->configuration) {
		dfu_request(sim, setup, data, wlen, now_us, reply, &nt);
		if (reply->outcome == DFUSIM_ACK && setup->b_request == DFU_REQ_DNLOAD &&
		    !in && sim->chip->dfuse) {
			uint32_t lo, hi;
			struct dfusim_fault *af = NULL;

			if (dnload_range(sim, &sim->op, &lo, &hi))
				af = sim_fault_by_addr(sim, lo, hi);
			if (af && fault_now(sim, af, setup, data, wlen, now_us, reply, &nt))
				goto done;
			sim->op.fault = af;
		}
		if (reply->outcome == DFUSIM_ACK && setup->b_request == DFU_REQ_DNLOAD && f &&
		    !sim->op.fault)
			sim->op.fault = f;
	} else {
		reply->outcome = DFUSIM_STALL;
		note(&nt, "STALL");
	}
done:
	if (reply->outcome == DFUSIM_STALL)
		sim->stats.stalls++;
	if (reply->outcome == DFUSIM_ACK || reply->outcome == DFUSIM_STALL) {
		uint64_t t = sim_transfer_us(sim, in ? reply->len : setup->w_length);
		uint64_t at = now_us + sim_scaled_us(sim, t);

		sim->stats.transfer_model_us += t;
		if (at > reply->ready_at_us)
			reply->ready_at_us = at;
	}
	if (reply->event != DFUSIM_EV_NONE && reply->outcome == DFUSIM_GONE)
		sim->off_bus = true;
	if (reply->len > wlen)
		reply->len = wlen;  /* never: every path writes at most wlen */
	sim_log(sim, "%s -> %s%s", req,
		nt.text[0] ? nt.text : (reply->outcome == DFUSIM_ACK ? "ACK" : "STALL"),
		event_name(reply->event));
}

/* SET_INTERFACE: selects the alternate setting (the memory) the DfuSe
 * requests address; the DFU state is kept, as ST's library does. */
int dfusim_set_interface(struct dfusim *sim, uint8_t interface, uint8_t alt, uint64_t now_us)
{
	(void)now_us;
	if (!sim || sim->off_bus)
		return -1;
	if (sim->app_mode) {
		if (interface > 1 || alt != 0)
			return -1;
		return 0;
	}
	if (interface != 0 || alt >= sim->chip->nalts)
		return -1;
	sim->alt = alt;
	return 0;
}

/* SET_CONFIGURATION 0 or 1; unconfigured, DFU requests stall. */
int dfusim_set_configuration(struct dfusim *sim, uint8_t value, uint64_t now_us)
{
	(void)now_us;
	if (!sim || sim->off_bus || value > 1)
		return -1;
	sim->configuration = value;
	return 0;
}

/* A USB reset from the host: starts the application from
 * dfuMANIFEST-WAIT-RESET, hurries a pending event, else the ROM's USB
 * stack starts over in dfuIDLE. */
enum dfusim_bus_event dfusim_bus_reset(struct dfusim *sim, uint64_t now_us)
{
	if (!sim || sim->off_bus)
		return DFUSIM_EV_NONE;
	if (sim->pending != DFUSIM_EV_NONE) {
		/* Already on its way off the bus: it goes now. */
		enum dfusim_bus_event ev = sim->pending;

		sim->pending_at = now_us;
		sim->off_bus = true;
		sim_log(sim, "USB_RESET -> GONE%s", event_name(ev));
		return ev;
	}
	if (sim->app_mode) {
		sim_log(sim, "USB_RESET -> ACK");
		return DFUSIM_EV_NONE;
	}
	if (sim->state == DFU_STATE_MANIFEST_WAIT_RESET ||
	    (sim->state == DFU_STATE_MANIFEST && !sim->chip->dfuse)) {
		sim->pending = DFUSIM_EV_RUN_APP;
		sim->pending_at = now_us;
		sim->pending_back = now_us + sim_scaled_us(sim, sim_mode_boot_us(sim,
				sim_event_target(sim, DFUSIM_EV_RUN_APP)));
		sim->off_bus = true;
		sim_log(sim, "USB_RESET -> GONE event=RUN_APP");
		return DFUSIM_EV_RUN_APP;
	}
	/* The ROM stays in DFU mode; its USB stack starts afresh. */
	sim->state = DFU_STATE_IDLE;
	sim->status = DFU_STATUS_OK;
	sim->alt = 0;
	sim_log(sim, "USB_RESET -> ACK dfuIDLE");
	return DFUSIM_EV_NONE;
}

/* The device is on the bus again, as the last event said: the
 * application after leave, else the ROM, freshly started. */
void dfusim_reenumerated(struct dfusim *sim, uint64_t now_us)
{
	enum dfusim_bus_event ev;
	enum sim_mode mode;

	(void)now_us;
	if (!sim)
		return;
	ev = sim->pending;
	mode = sim_event_target(sim, ev);
	sim->pending = DFUSIM_EV_NONE;
	sim->pending_at = 0;
	sim->off_bus = false;
	sim->rom_requested = false;
	enter_rom(sim);
	sim->mode = mode;
	sim->app_mode = mode == SIM_MODE_APP || mode == SIM_MODE_OPENBLT;
	if (mode == SIM_MODE_OPENBLT) {
		sim->openblt_backdoor = false;  /* BackDoorEntryHook clears it */
		sim_xcp_enter(sim);
	} else if (mode == SIM_MODE_APP) {
		sim_app_enter(sim);
	}
	sim->stats.resets++;
	sim_log(sim, "ENUMERATED %s", mode == SIM_MODE_ROM ? "bootloader" :
		mode == SIM_MODE_APP ? "application" : mode == SIM_MODE_OPENBLT ? "openblt" :
		"nothing (no USB)");
}

/* The application reboots into the ROM; returns when it is back. */
uint64_t dfusim_app_reboot_to_dfu(struct dfusim *sim, uint64_t now_us)
{
	if (!sim)
		return now_us;
	sim->pending = DFUSIM_EV_RESET_TO_DFU;
	sim->rom_requested = true;
	sim->pending_at = now_us;
	sim->pending_back = now_us + sim_scaled_us(sim, sim->chip->t.reset_us);
	sim->off_bus = true;
	sim_log(sim, "REBOOT_DFU -> GONE event=RESET_TO_DFU");
	return sim->pending_back;
}

/* bState now, without a request. */
int dfusim_dfu_state(const struct dfusim *sim)
{
	return sim ? (int)sim->state : -1;
}

/* bStatus now, without a request. */
int dfusim_dfu_status(const struct dfusim *sim)
{
	return sim ? (int)sim->status : -1;
}
