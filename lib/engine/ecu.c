/*
 * ecu.c - finding a FOME ECU wherever it is, and moving it between its
 * states: running its firmware (TunerStudio console on a CDC serial port,
 * 0483:5740), in OpenBLT (XCP on a serial port with the same ids), or in
 * the ROM DFU bootloader (0483:df11). The journeys of update.c use it.
 *
 * A serial port with FOME's ids is asked 'S' first: the firmware answers
 * with its signature. OpenBLT ignores that request (it is not connected,
 * and the bytes after it form a packet it drops after 100 ms of silence:
 * openblt_usb.cpp's RS232_CTO_RX_PACKET_TIMEOUT_MS), so after a quiet
 * pause the port is asked XCP CONNECT. Ports are found by polling, never
 * by fixed sleeps, and matched by the USB serial number (the chip's UID).
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long the firmware gets to answer 'S'; OpenBLT's quiet time. */
#define ECU_SIGNATURE_MS 400u
#define ECU_OPENBLT_QUIET_MS 150u
#define ECU_CONNECT_MS 300u
/* How often the bus is looked at while waiting. */
#define ECU_POLL_MS 100u
/* How long a rebooting ECU may keep its port before it drops it. */
#define ECU_REBOOT_GONE_MS 2000u

/* See dfuflash.h. */
const char *dfu_ecu_state_name(enum dfu_ecu_state state)
{
	switch (state) {
	case DFU_ECU_NONE: return "none";
	case DFU_ECU_RUNNING: return "running";
	case DFU_ECU_OPENBLT: return "openblt";
	case DFU_ECU_DFU: return "dfu";
	}
	return "unknown";
}

/* See dfuflash.h. */
const char *dfu_route_name(enum dfu_route route)
{
	switch (route) {
	case DFU_ROUTE_AUTO: return "auto";
	case DFU_ROUTE_DFU: return "dfu";
	case DFU_ROUTE_OPENBLT: return "openblt";
	}
	return "unknown";
}

/* See update.h. */
uint64_t dfu_ecu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* See update.h. */
void dfu_ecu_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Asks the port what answers there. */
static int probe_port(struct dfu_ctx *ctx, const char *path, struct dfu_ecu *out)
{
	struct dfu_serial *s = NULL;
	struct dfu_xcp x;
	bool present = false;
	int err;

	err = dfu_serial_open(ctx, path, &s);
	if (err)
		return err;
	dfu_serial_drain(s, 20, 200);
	err = dfu_ts_signature(s, out->signature, sizeof(out->signature), ECU_SIGNATURE_MS);
	if (!err) {
		out->state = DFU_ECU_RUNNING;
		/* known only when 'L' answered: no answer is no "no" */
		if (!dfu_ts_openblt_present(s, &present, ECU_SIGNATURE_MS)) {
			out->openblt = present;
			out->openblt_known = true;
		}
		dfu_serial_close(s);
		return DFU_OK;
	}
	if (err == DFU_ERR_DISCONNECTED) {
		dfu_serial_close(s);
		return err;
	}
	dfu_serial_drain(s, ECU_OPENBLT_QUIET_MS, 1000);
	memset(&x, 0, sizeof(x));
	err = dfu_xcp_connect(&x, ctx, s, ECU_CONNECT_MS);
	dfu_serial_close(s);
	if (err)
		return dfu_fail(ctx, DFU_ERR_PROTOCOL, "%s answers neither as a FOME ECU nor "
				"as OpenBLT", path);
	out->state = DFU_ECU_OPENBLT;
	out->openblt = true;
	out->openblt_known = true;
	return DFU_OK;
}

/* Whether a ROM DFU device with serial is in the list of known ones. */
static bool seen_before(const struct dfu_ecu_want *want, const char *serial)
{
	size_t i;

	for (i = 0; i < want->n_dfu_before; i++)
		if (!strcmp(want->dfu_before[i], serial))
			return true;
	return false;
}

/* One look at the DFU bus for a ROM bootloader that want accepts. */
static bool look_dfu(struct dfu_ctx *ctx, const struct dfu_ecu_want *want, struct dfu_ecu *out)
{
	struct dfu_match m;
	struct dfu_dev **list = NULL;
	size_t n = 0, i, found = 0;

	memset(&m, 0, sizeof(m));
	m.id_count = 1;
	m.id_vendor[0] = 0x0483;
	m.id_product[0] = 0xDF11;
	if (dfu_usb_list(ctx, &m, &list, &n))
		return false;
	for (i = 0; i < n; i++) {
		struct dfu_dev_info info;

		dfu_dev_info(list[i], &info);
		if (!info.dfu_mode)
			continue;
		/* After a reboot we asked for, the ECU is the ROM that was not
		 * there before (its serial is not the firmware's); a serial
		 * named by the user must match. */
		if (want->serial && strcmp(info.serial, want->serial) &&
		    !want->dfu_new_only)
			continue;
		if (want->dfu_new_only && seen_before(want, info.serial))
			continue;
		if (!found++) {
			out->state = DFU_ECU_DFU;
			snprintf(out->serial, sizeof(out->serial), "%s", info.serial);
			snprintf(out->usb_path, sizeof(out->usb_path), "%s", info.path);
		}
	}
	dfu_dev_list_free(list, n);
	if (found > 1) {
		out->state = DFU_ECU_NONE;
		out->ambiguous = true;
	}
	return found == 1;
}

/* The USB serial number of the port at path (a /dev/serial/by-id link
 * included), or "" when it is not a USB port we can see. */
static void usb_serial_of(struct dfu_ctx *ctx, const char *path, char *out, size_t cap)
{
	struct dfu_serial_port *ports = NULL;
	char link[256], target[512];
	const char *name = path;
	size_t n = 0, i;
	ssize_t len;

	out[0] = '\0';
	/* /dev/serial/by-id/usb-FOME_...-if00 -> ../../ttyACM0. (Not
	 * realpath(): umockdev's preload overruns its buffer.) */
	len = !strncmp(path, "/dev/serial/", 12) ? readlink(path, link, sizeof(link) - 1) : -1;
	if (len > 0) {
		link[len] = '\0';
		name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	} else {
		name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	}
	snprintf(target, sizeof(target), "/dev/%s", name);
	if (dfu_serial_list(ctx, &ports, &n))
		return;
	for (i = 0; i < n; i++)
		if (!strcmp(ports[i].path, target))
			snprintf(out, cap, "%s", ports[i].serial);
	free(ports);
}

/* One look for an ECU that want accepts. */
static int look_once(struct dfu_ctx *ctx, const struct dfu_ecu_want *want, struct dfu_ecu *out)
{
	struct dfu_serial_port *ports = NULL;
	size_t n = 0, i, hits = 0;
	struct dfu_ecu e;
	int err;

	if (want->port) {
		memset(&e, 0, sizeof(e));
		snprintf(e.port, sizeof(e.port), "%s", want->port);
		usb_serial_of(ctx, want->port, e.serial, sizeof(e.serial));
		err = probe_port(ctx, want->port, &e);
		if (err == DFU_ERR_BUSY || err == DFU_ERR_ACCESS)
			return err;
		if (!err && (want->states & (1u << e.state))) {
			*out = e;
			return DFU_OK;
		}
	}
	/* A named port may come back under another name after a reset: then
	 * the serial number finds it. */
	if ((!want->port || want->serial) && !dfu_serial_list(ctx, &ports, &n)) {
		for (i = 0; i < n; i++) {
			const struct dfu_serial_port *p = &ports[i];

			if (p->id_vendor != FOME_USB_VID || p->id_product != FOME_USB_PID)
				continue;
			if (want->serial && strcmp(p->serial, want->serial))
				continue;
			memset(&e, 0, sizeof(e));
			snprintf(e.port, sizeof(e.port), "%s", p->path);
			snprintf(e.serial, sizeof(e.serial), "%s", p->serial);
			err = probe_port(ctx, p->path, &e);
			if (err == DFU_ERR_BUSY || err == DFU_ERR_ACCESS) {
				free(ports);
				return err;
			}
			if (err || !(want->states & (1u << e.state)))
				continue;
			if (!hits++)
				*out = e;
		}
		free(ports);
		if (hits > 1)
			return dfu_fail(ctx, DFU_ERR_AMBIGUOUS, "%zu FOME ECUs are plugged in: "
					"name one by its serial number", hits);
		if (hits)
			return DFU_OK;
	}
	if ((want->states & (1u << DFU_ECU_DFU)) && look_dfu(ctx, want, out))
		return DFU_OK;
	if (out->ambiguous)
		return dfu_fail(ctx, DFU_ERR_AMBIGUOUS, "several STM32 DFU bootloaders are on "
				"the bus: name the ECU by its serial number");
	return DFU_ERR_NO_DEVICE;
}

/* See update.h. */
int dfu_ecu_find(struct dfu_ctx *ctx, const struct dfu_ecu_want *want, struct dfu_ecu *out,
		 dfu_step_fn step, void *step_user)
{
	uint64_t start = dfu_ecu_now_ms();
	bool told = false;
	int err;

	for (;;) {
		memset(out, 0, sizeof(*out));
		err = look_once(ctx, want, out);
		if (err != DFU_ERR_NO_DEVICE)
			return err;
		if (want->cancel && want->cancel(want->cancel_user))
			return dfu_fail(ctx, DFU_ERR_CANCELLED, "stopped on request while waiting "
					"for the ECU");
		if (dfu_ecu_now_ms() - start >= want->timeout_ms)
			break;
		if (!told && want->hand_hint && step) {
			step(step_user, DFU_STEP_NEED_HAND, want->hand_hint);
			told = true;
		}
		dfu_ecu_sleep_ms(ECU_POLL_MS);
	}
	return dfu_fail(ctx, DFU_ERR_NO_DEVICE, "%s", want->what_missing ? want->what_missing :
			"no FOME ECU was found");
}

/* See update.h. */
int dfu_ecu_send_reboot(struct dfu_ctx *ctx, const struct dfu_ecu *ecu, bool to_openblt)
{
	struct dfu_serial *s = NULL;
	int err;

	err = dfu_serial_open(ctx, ecu->port, &s);
	if (err)
		return err;
	err = dfu_ts_reboot(s, to_openblt);
	/* Keep the port open until the ECU drops it: bytes still queued in a
	 * port closed right after the write can be lost (a pty flushes them;
	 * a CDC-ACM port may not have sent them yet). */
	if (!err) {
		uint64_t until = dfu_ecu_now_ms() + ECU_REBOOT_GONE_MS;
		uint8_t b;

		while (dfu_ecu_now_ms() < until && dfu_serial_read(s, &b, 1, 50) != DFU_ERR_DISCONNECTED)
			;
	}
	dfu_serial_close(s);
	if (err)
		return dfu_fail_during(ctx, err, to_openblt ? "asking the ECU to reboot into OpenBLT" :
				       "asking the ECU to reboot into the DFU bootloader");
	return DFU_OK;
}

/* See update.h. */
void dfu_ecu_dfu_snapshot(struct dfu_ctx *ctx, struct dfu_ecu_want *want)
{
	struct dfu_match m;
	struct dfu_dev **list = NULL;
	size_t n = 0, i;

	memset(&m, 0, sizeof(m));
	m.id_count = 1;
	m.id_vendor[0] = 0x0483;
	m.id_product[0] = 0xDF11;
	want->n_dfu_before = 0;
	if (dfu_usb_list(ctx, &m, &list, &n))
		return;
	for (i = 0; i < n && want->n_dfu_before < DFU_ECU_MAX_BEFORE; i++) {
		struct dfu_dev_info info;

		dfu_dev_info(list[i], &info);
		snprintf(want->dfu_before[want->n_dfu_before++], sizeof(want->dfu_before[0]), "%s",
			 info.serial);
	}
	dfu_dev_list_free(list, n);
}
