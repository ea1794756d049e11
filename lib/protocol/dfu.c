/*
 * dfu.c - DFU 1.1 requests (USB DFU 1.1, section 6) and state handling.
 *
 * One function per request. Every request goes to the DFU interface
 * (wIndex = bInterfaceNumber) as a class request.
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

/* How long to wait and what to take as busy are not decided here: the
 * quirk table (knowledge/quirks.c, applied by device/dev_quirks.c) says, per device. */

/* Maps a transport failure to an error with a detail naming the request. */
static int transfer_failed(struct dfu_dev *dev, int err, const char *req)
{
	return dfu_fail(dev->ctx, err, "%s failed: %s", req, dfu_strerror(err));
}

/* DFU_DNLOAD (section 6.1.1): wValue = block number, data to the device. */
int dfu_dnload(struct dfu_dev *dev, uint16_t block, const uint8_t *data, uint16_t len)
{
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	dfu_log(dev->ctx, DFU_LOG_DEBUG, "DNLOAD block=%u len=%u", block, len);
	n = dev->ops.control_out(dev->user, DFU_RT_OUT, DFU_REQ_DNLOAD, block,
				 dev->info.interface, data, len, DFU_USB_TIMEOUT_MS);
	if (n < 0)
		return transfer_failed(dev, n, "DNLOAD");
	if (n != len)
		return dfu_fail(dev->ctx, DFU_ERR_USB, "DNLOAD sent %d of %u bytes", n, len);
	return DFU_OK;
}

/* DFU_UPLOAD (section 6.2): wValue = block number. Returns the bytes read;
 * a short block ends the upload. */
int dfu_upload(struct dfu_dev *dev, uint16_t block, uint8_t *data, uint16_t len)
{
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	dfu_log(dev->ctx, DFU_LOG_DEBUG, "UPLOAD block=%u len=%u", block, len);
	n = dev->ops.control_in(dev->user, DFU_RT_IN, DFU_REQ_UPLOAD, block,
				dev->info.interface, data, len, DFU_USB_TIMEOUT_MS);
	if (n < 0)
		return transfer_failed(dev, n, "UPLOAD");
	return n;
}

/* DFU_GETSTATUS (section 6.1.2) with a transfer timeout: a ROM that
 * blocks the answer until a long operation ends needs more than the
 * usual one. */
static int get_status_within(struct dfu_dev *dev, struct dfu_status *out,
			     unsigned timeout_ms)
{
	uint8_t b[DFU_STATUS_LEN];
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	n = dev->ops.control_in(dev->user, DFU_RT_IN, DFU_REQ_GETSTATUS, 0,
				dev->info.interface, b, sizeof(b), timeout_ms);
	if (n < 0)
		return transfer_failed(dev, n, "GETSTATUS");
	if (n != DFU_STATUS_LEN)
		return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL,
				"GETSTATUS answered %d bytes instead of %d", n, DFU_STATUS_LEN);
	out->status = b[0];
	out->poll_timeout_ms = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
	out->state = b[4];
	out->string_index = b[5];
	dfu_log(dev->ctx, DFU_LOG_DEBUG, "GETSTATUS -> %s %s poll=%u ms",
		dfu_status_name(out->status), dfu_state_name(out->state),
		out->poll_timeout_ms);
	return DFU_OK;
}

/* DFU_GETSTATUS (section 6.1.2): 6 bytes, bwPollTimeout 24-bit LE. */
int dfu_get_status(struct dfu_dev *dev, struct dfu_status *out)
{
	return get_status_within(dev, out, DFU_USB_TIMEOUT_MS);
}

/* DFU_CLRSTATUS (section 6.1.3): dfuERROR -> dfuIDLE. */
int dfu_clear_status(struct dfu_dev *dev)
{
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	n = dev->ops.control_out(dev->user, DFU_RT_OUT, DFU_REQ_CLRSTATUS, 0,
				 dev->info.interface, NULL, 0, DFU_USB_TIMEOUT_MS);
	if (n < 0)
		return transfer_failed(dev, n, "CLRSTATUS");
	return DFU_OK;
}

/* DFU_GETSTATE (section 6.1.5): one byte. */
int dfu_get_state(struct dfu_dev *dev, uint8_t *state)
{
	uint8_t b;
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	n = dev->ops.control_in(dev->user, DFU_RT_IN, DFU_REQ_GETSTATE, 0,
				dev->info.interface, &b, 1, DFU_USB_TIMEOUT_MS);
	if (n < 0)
		return transfer_failed(dev, n, "GETSTATE");
	if (n != 1)
		return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL, "GETSTATE answered %d bytes", n);
	*state = b;
	return DFU_OK;
}

/* DFU_ABORT (section 6.1.4): back to dfuIDLE from the idle states. */
int dfu_abort(struct dfu_dev *dev)
{
	int n = dfu_dev_check_usable(dev);

	if (n)
		return n;
	n = dev->ops.control_out(dev->user, DFU_RT_OUT, DFU_REQ_ABORT, 0,
				 dev->info.interface, NULL, 0, DFU_USB_TIMEOUT_MS);
	if (n < 0)
		return transfer_failed(dev, n, "ABORT");
	/* The address pointer stays: only SET_ADDRESS and an erase move it
	 * (ST's device library, usbd_dfu.c, sets it in those two commands
	 * only; dfusim agrees). */
	return DFU_OK;
}

/* A dfuERROR status as an error with a detail naming what failed and why. */
int dfu_status_error(struct dfu_dev *dev, const struct dfu_status *st, const char *what)
{
	/* The ST ROM answers errVENDOR to every access while read protection
	 * (RDP level 1) is on (AN3156 section 6.3). */
	if (st->status == DFU_STATUS_ERR_VENDOR)
		return dfu_fail(dev->ctx, DFU_ERR_PROTECTED,
				"%s: the device reports errVENDOR: read protection is on; "
				"removing it (read unprotect) wipes the whole flash",
				what);
	return dfu_fail(dev->ctx, DFU_ERR_DEVICE, "%s: the device reports %s (%s)", what,
			dfu_status_name(st->status), dfu_state_name(st->state));
}

/* The H743 rev V cure for a stuck dfuDNBUSY: the first CLRSTATUS leaves
 * dfuERROR/errUNKNOWN, the second dfuIDLE. True when the device is idle. */
static bool unstick(struct dfu_dev *dev, struct dfu_status *st)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (dfu_clear_status(dev) || dfu_get_status(dev, st))
			return false;
		if (st->state == DFU_STATE_IDLE)
			return true;
	}
	return false;
}

/* Sleeps what the device asked for, but never past the wait's budget:
 * bwPollTimeout has 24 bits, and a device asking for hours gets the rest
 * of the budget and then a timeout (the caller stops at waited >=
 * budget). Returns the time slept. */
static uint32_t sleep_bounded(struct dfu_dev *dev, uint32_t ms, uint64_t waited,
			      uint32_t budget)
{
	uint64_t left = waited < budget ? budget - waited : 0;

	if (ms > left)
		ms = (uint32_t)left;
	dfu_dev_sleep(dev, ms);
	return ms;
}

/* GETSTATUS until the operation the last DNLOAD started is over (AN3156
 * 6.1: the first GETSTATUS starts it, dfuDNBUSY says how long to wait),
 * bounded and with the workarounds the quirk table gives for this device
 * and this kind of wait. */
int dfu_poll_done_op(struct dfu_dev *dev, enum dfu_poll_kind kind, enum dfu_busy_op op,
		     uint32_t size, const char *what, struct dfu_status *out)
{
	struct dfu_poll_rules r;
	struct dfu_status st;
	struct dfu_busy_wait bw;
	uint64_t waited = 0, reported = 0;
	unsigned stalls = 0, zero_polls = 0, busy = 0;
	uint32_t last_timeout = 0;
	int err;

	dfu_quirk_poll_rules(dev, kind, &r);
	dfu_busy_begin(dev, op, size, &bw);
	if (r.report_every_ms)
		dfu_log(dev->ctx, DFU_LOG_INFO, "%s: waiting up to %u s (quirk %s: %s)", what,
			(unsigned)(r.budget_ms / 1000), dfu_quirk_name(DFU_QUIRK_MASS_ERASE_SLOW),
			r.why);
	for (;;) {
		err = get_status_within(dev, &st, r.status_timeout_ms);
		if (err == DFU_ERR_STALL && stalls < r.stalls_as_busy && waited < r.budget_ms) {
			/* l4-stall-busy: the ROM stalls instead of answering. */
			stalls++;
			waited += sleep_bounded(dev, dfu_busy_next_wait(&bw, waited, last_timeout ?
									last_timeout : 10),
						waited, r.budget_ms);
			continue;
		}
		if (err == DFU_ERR_TIMEOUT && r.timeout_is_busy && waited < r.budget_ms) {
			/* f405-masserase-timeout: no answer yet is still
			 * erasing; the transfer itself took the time. */
			waited += r.status_timeout_ms;
			continue;
		}
		if (err)
			return dfu_fail_during(dev->ctx, err, what);
		stalls = 0;
		if (st.state == DFU_STATE_ERROR)
			return dfu_status_error(dev, &st, what);
		if (st.state != DFU_STATE_DNBUSY && st.state != DFU_STATE_MANIFEST &&
		    st.state != DFU_STATE_DNLOAD_SYNC && st.state != DFU_STATE_MANIFEST_SYNC)
			break;
		if (st.state == DFU_STATE_DNBUSY && r.stuck_polls && ++busy == r.stuck_polls) {
			bw.stuck = true;
			if (unstick(dev, &st)) {
				dfu_log(dev->ctx, DFU_LOG_WARNING,
					"%s: the device stayed dfuDNBUSY; a CLRSTATUS pair "
					"recovered it (quirk %s: an H743 rev V habit)", what,
					dfu_quirk_name(DFU_QUIRK_STUCK_BUSY));
				break;
			}
			if (st.state == DFU_STATE_ERROR)
				return dfu_status_error(dev, &st, what);
		}
		if (waited >= r.budget_ms || zero_polls > r.max_zero_polls)
			return dfu_fail(dev->ctx, DFU_ERR_TIMEOUT,
					"%s: the device stayed busy (%s) for %llu ms", what,
					dfu_state_name(st.state), (unsigned long long)waited);
		if (r.report_every_ms && waited >= reported + r.report_every_ms) {
			reported = waited;
			dfu_log(dev->ctx, DFU_LOG_INFO,
				"%s: still erasing after %llu.%llu s (quirk %s: %s)", what,
				(unsigned long long)(waited / 1000),
				(unsigned long long)(waited % 1000 / 100),
				dfu_quirk_name(DFU_QUIRK_MASS_ERASE_SLOW), r.why);
		}
		/* What the device asked for (section 6.1.2), or longer where it
		 * took longer before (polltime.c), and never past the budget. */
		last_timeout = st.poll_timeout_ms;
		if (!last_timeout)
			zero_polls++;
		waited += sleep_bounded(dev, dfu_busy_next_wait(&bw, waited, st.poll_timeout_ms),
					waited, r.budget_ms);
	}
	dfu_busy_end(&bw, waited);
	if (out)
		*out = st;
	return DFU_OK;
}

/* See protocol.h: nothing is learned about this wait. */
int dfu_poll_done_kind(struct dfu_dev *dev, enum dfu_poll_kind kind, const char *what,
		       struct dfu_status *out)
{
	return dfu_poll_done_op(dev, kind, DFU_BUSY_OTHER, 0, what, out);
}

/* The ordinary wait for a command or a data block. */
int dfu_poll_done(struct dfu_dev *dev, const char *what, struct dfu_status *out)
{
	return dfu_poll_done_kind(dev, DFU_POLL_COMMAND, what, out);
}

/* Brings the device to dfuIDLE from whatever state it was left in
 * (DFU 1.1 section 6.1.3/6.1.4), reporting a dfuERROR it held. */
int dfu_make_idle(struct dfu_dev *dev, struct dfu_status *found)
{
	struct dfu_status st, held;
	int err, tries;

	memset(&held, 0, sizeof(held));
	if (dev->route_xcp) {
		/* OpenBLT has no DFU state: a connected session is idle. */
		if (found)
			memset(found, 0, sizeof(*found));
		return DFU_OK;
	}
	for (tries = 0; tries < 4; tries++) {
		err = dfu_get_status(dev, &st);
		if (err)
			return err;
		switch ((enum dfu_state)st.state) {
		case DFU_STATE_IDLE:
			if (found)
				*found = held;
			return DFU_OK;
		case DFU_STATE_ERROR:
			if (held.state != DFU_STATE_ERROR)
				held = st;
			/* ST ROMs often start in dfuERROR/errFIRMWARE; say what
			 * it held, since it may also be a failure of a previous
			 * run. */
			dfu_log(dev->ctx, DFU_LOG_WARNING,
				"the device was in dfuERROR with status %s; cleared it%s",
				dfu_status_name(st.status),
				dfu_quirk_first_error_expected(dev, &st) ?
				" (quirk first-status-errfirmware: ST ROMs start that way)" : "");
			err = dfu_clear_status(dev);
			break;
		case DFU_STATE_DNLOAD_IDLE:
		case DFU_STATE_UPLOAD_IDLE:
		case DFU_STATE_DNLOAD_SYNC:
			err = dfu_abort(dev);
			break;
		case DFU_STATE_DNBUSY:
		case DFU_STATE_MANIFEST:
		case DFU_STATE_MANIFEST_SYNC:
			/* Still busy from before: wait as asked, but a
			 * hostile 24-bit bwPollTimeout gets one transfer
			 * timeout per look, not hours. */
			dfu_dev_sleep(dev, st.poll_timeout_ms < DFU_USB_TIMEOUT_MS ?
				      st.poll_timeout_ms : DFU_USB_TIMEOUT_MS);
			err = DFU_OK;
			break;
		case DFU_STATE_APP_IDLE:
		case DFU_STATE_APP_DETACH:
			return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
					"the device is in run-time mode (%s), not in its bootloader",
					dfu_state_name(st.state));
		case DFU_STATE_MANIFEST_WAIT_RESET:
			return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL,
					"the device waits for a reset (%s)",
					dfu_state_name(st.state));
		default:
			return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL, "unknown DFU state %u",
					st.state);
		}
		if (err)
			return err;
	}
	return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL,
			"the device does not return to dfuIDLE (state %s, status %s)",
			dfu_state_name(st.state), dfu_status_name(st.status));
}
