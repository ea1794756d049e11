/*
 * xcp.c - OpenBLT's XCP 1.0 on the ECU's serial port, one request per
 * call, as OpenBLT's target answers them (openblt Target/Source/xcp.c) and
 * with the reference host's timeouts (Host/Source/LibOpenBLT/xcploader.c:
 * T1 1 s for most commands, T3 2 s PROGRAM_START, T4 10 s PROGRAM_CLEAR,
 * T5 1 s PROGRAM, PROGRAM_MAX and PROGRAM_RESET, T6 50 ms CONNECT).
 *
 * On a serial port every packet is [len][len bytes] both ways, no
 * checksum (xcptpuart.c / rs232.c). A reply starts with XCP_PID_RES (0xFF)
 * or is XCP_PID_ERR (0xFE) and an error code. Before CONNECT the target
 * ignores everything else without a word (XcpPacketReceived returns).
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

#define XCP_T1_MS 1000
#define XCP_T3_MS 2000
#define XCP_T4_MS 10000
#define XCP_T5_MS 1000
#define XCP_T6_MS 50
/* The reference host tries CONNECT 5 times (XCPLOADER_CONNECT_RETRIES). */
#define XCP_CONNECT_QUICK_TRIES 5
/* After those, while OpenBLT may still be starting, one try this often. */
#define XCP_CONNECT_SLOW_MS 250

/* CONNECT's resource byte: programming is available (XCP_RES_PGM). */
#define XCP_RES_PGM 0x10
/* CONNECT's comm mode byte: bit 0 set = Motorola byte order. */
#define XCP_MOTOROLA_FORMAT 0x01

static const char *command_name(uint8_t cmd)
{
	switch (cmd) {
	case XCP_CMD_CONNECT: return "CONNECT";
	case XCP_CMD_GET_STATUS: return "GET_STATUS";
	case XCP_CMD_SET_MTA: return "SET_MTA";
	case XCP_CMD_UPLOAD: return "UPLOAD";
	case XCP_CMD_PROGRAM_START: return "PROGRAM_START";
	case XCP_CMD_PROGRAM_CLEAR: return "PROGRAM_CLEAR";
	case XCP_CMD_PROGRAM: return "PROGRAM";
	case XCP_CMD_PROGRAM_RESET: return "PROGRAM_RESET";
	case XCP_CMD_PROGRAM_MAX: return "PROGRAM_MAX";
	}
	return "a command";
}

/* What an error code means coming from OpenBLT (xcp.c sets each one in
 * these cases and no others). */
static const char *error_meaning(uint8_t code)
{
	switch (code) {
	case XCP_ERR_CMD_SYNCH: return "command synchronisation";
	case XCP_ERR_CMD_BUSY: return "busy: the previous command was still running";
	case XCP_ERR_CMD_UNKNOWN: return "unknown command: this OpenBLT was built without it";
	case XCP_ERR_OUT_OF_RANGE: return "out of range: the length is more than OpenBLT takes";
	case XCP_ERR_ACCESS_LOCKED:
		return "access locked: this OpenBLT wants a seed/key unlock, which FOME's does not";
	case XCP_ERR_PAGE_NOT_VALID: return "page not valid";
	case XCP_ERR_SEQUENCE: return "sequence error";
	case XCP_ERR_GENERIC:
		/* NvmErase/NvmWrite/NvmDone returned false: FOME's flash glue
		 * (openblt_chibios/openblt_flash.cpp) refuses any address below
		 * the application base, and a failed erase or program lands
		 * here too. */
		return "the flash operation failed: the address is below the application base "
		       "(OpenBLT protects itself) or outside the flash, or the flash did not "
		       "erase or program";
	}
	return "an error OpenBLT does not document";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Reads one reply packet [n][n bytes] into res (at most cap bytes; *res_len
 * its length). An FE reply is DFU_ERR_DEVICE naming the command (what),
 * address and code; anything but FF or FE first is DFU_ERR_PROTOCOL. */
static int receive(struct dfu_xcp *x, const char *what, uint8_t *res, size_t cap,
		   size_t *res_len, unsigned timeout_ms)
{
	uint8_t n;
	int err;

	err = dfu_serial_read(x->port, &n, 1, timeout_ms);
	if (!err && (n == 0 || n > cap)) {
		dfu_serial_drain(x->port, 20, 200);
		return dfu_fail(x->ctx, DFU_ERR_PROTOCOL,
				"%s: OpenBLT answered with a packet of %u bytes (at most %zu "
				"expected): is this port OpenBLT?", what, n, cap);
	}
	if (!err)
		err = dfu_serial_read(x->port, res, n, timeout_ms);
	if (err)
		return dfu_fail_during(x->ctx, err, what);
	if (res[0] == XCP_PID_ERR)
		return dfu_fail(x->ctx, DFU_ERR_DEVICE, "%s: OpenBLT answered error 0x%02X (%s)",
				what, n > 1 ? res[1] : 0xFF,
				n > 1 ? error_meaning(res[1]) : "without a code");
	if (res[0] != XCP_PID_RES)
		return dfu_fail(x->ctx, DFU_ERR_PROTOCOL,
				"%s: OpenBLT answered 0x%02X, neither a reply (FF) nor an "
				"error (FE)", what, res[0]);
	*res_len = n;
	return DFU_OK;
}

static void describe(char *what, size_t cap, uint8_t cmd, uint32_t address)
{
	snprintf(what, cap, "XCP %s at 0x%08X", command_name(cmd), (unsigned)address);
}

/* Sends cmd (len bytes) as [len][cmd] and receives its reply. */
static int exchange(struct dfu_xcp *x, const uint8_t *cmd, size_t len, uint8_t *res,
		    size_t cap, size_t *res_len, unsigned timeout_ms, uint32_t address)
{
	uint8_t pkt[1 + 256];
	char what[80];
	int err;

	describe(what, sizeof(what), cmd[0], address);
	pkt[0] = (uint8_t)len;
	memcpy(pkt + 1, cmd, len);
	err = dfu_serial_write(x->port, pkt, len + 1, timeout_ms);
	if (err)
		return dfu_fail_during(x->ctx, err, what);
	return receive(x, what, res, cap, res_len, timeout_ms);
}

/* A reply of exactly want bytes. */
static int expect_len(struct dfu_xcp *x, uint8_t cmd, size_t got, size_t want)
{
	if (got == want)
		return DFU_OK;
	return dfu_fail(x->ctx, DFU_ERR_PROTOCOL,
			"XCP %s at 0x%08X: OpenBLT's reply is %zu bytes, expected %zu",
			command_name(cmd), (unsigned)x->mta, got, want);
}

static int check_connected(struct dfu_xcp *x, uint8_t cmd)
{
	if (x && x->connected && x->port)
		return DFU_OK;
	return dfu_fail(x ? x->ctx : NULL, DFU_ERR_INVALID_ARG,
			"XCP %s before CONNECT: OpenBLT would not answer", command_name(cmd));
}

/* See protocol.h. CONNECT FF 00 (mode 0, normal) answers FF, resources,
 * comm mode, max CTO, max DTO (u16 in the comm mode's byte order), the
 * protocol and transport layer versions: 8 bytes (XcpCmdConnect). */
int dfu_xcp_connect(struct dfu_xcp *x, struct dfu_ctx *ctx, struct dfu_serial *port,
		    unsigned timeout_ms)
{
	static const uint8_t cmd[2] = { XCP_CMD_CONNECT, 0x00 };
	uint8_t res[16];
	size_t n = 0;
	unsigned tries = 0, wait;
	int err;
	struct dfu_xcp fresh = { .ctx = ctx, .port = port };
	uint64_t spent = 0;

	if (!x || !port)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "XCP CONNECT without a port");
	*x = fresh;
	for (;;) {
		wait = tries < XCP_CONNECT_QUICK_TRIES ? XCP_T6_MS : XCP_CONNECT_SLOW_MS;
		/* A late reply to the try before is no answer to this one. */
		if (tries)
			dfu_serial_drain(port, 5, 20);
		tries++;
		err = exchange(x, cmd, sizeof(cmd), res, sizeof(res), &n, wait, 0);
		if (err != DFU_ERR_TIMEOUT)
			break;
		spent += wait;
		if (spent >= timeout_ms)
			return dfu_fail(ctx, DFU_ERR_TIMEOUT,
					"%s: OpenBLT did not answer XCP CONNECT (%u tries in %u "
					"ms): the ECU is not in its bootloader, or the port is not "
					"OpenBLT's", dfu_serial_path(port), tries, timeout_ms);
	}
	if (err)
		return err;
	if (tries > 1)  /* the earlier tries' replies may still come */
		dfu_serial_drain(port, XCP_T6_MS, 4 * XCP_T6_MS);
	err = expect_len(x, XCP_CMD_CONNECT, n, 8);
	if (err)
		return err;
	if (!(res[1] & XCP_RES_PGM))
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
				"%s: this XCP slave offers no programming (resources 0x%02X)",
				dfu_serial_path(port), res[1]);
	if (res[2] & XCP_MOTOROLA_FORMAT)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
				"%s: this OpenBLT uses Motorola byte order; FOME's uses Intel "
				"and only that is supported", dfu_serial_path(port));
	if (res[3] < 8)
		return dfu_fail(ctx, DFU_ERR_PROTOCOL,
				"%s: OpenBLT says its packets hold %u bytes, fewer than XCP's "
				"minimum of 8", dfu_serial_path(port), res[3]);
	x->max_cto = res[3];
	x->max_dto = (uint16_t)(res[4] | res[5] << 8);
	if (x->max_dto < 8)
		x->max_dto = 8;
	x->connected = true;
	dfu_log(ctx, DFU_LOG_DEBUG, "%s: XCP connected, max CTO %u, max DTO %u, after %u tries",
		dfu_serial_path(port), x->max_cto, x->max_dto, tries);
	return DFU_OK;
}

/* See protocol.h. GET_STATUS answers FF, session status, protection,
 * reserved, session configuration id (u16): 6 bytes. */
int dfu_xcp_get_status(struct dfu_xcp *x)
{
	const uint8_t cmd = XCP_CMD_GET_STATUS;
	uint8_t res[16];
	size_t n = 0;
	int err = check_connected(x, cmd);

	if (!err)
		err = exchange(x, &cmd, 1, res, sizeof(res), &n, XCP_T1_MS, x->mta);
	if (!err && n == 8) {
		/* A CONNECT reply that came late (the target answered a retry
		 * too): the reference host takes the next packet, within T6, as
		 * the status (xcploader.c XcpLoaderSendCmdGetStatus). */
		char what[80];

		describe(what, sizeof(what), cmd, x->mta);
		err = receive(x, what, res, sizeof(res), &n, XCP_T6_MS);
	}
	if (!err)
		err = expect_len(x, cmd, n, 6);
	if (!err && (res[2] & XCP_RES_PGM))
		return dfu_fail(x->ctx, DFU_ERR_PROTECTED,
				"%s: OpenBLT's programming is locked behind seed/key (protection "
				"0x%02X), which FOME's OpenBLT does not use", dfu_serial_path(x->port),
				res[2]);
	return err;
}

/* See protocol.h. PROGRAM_START answers FF, reserved, comm mode pgm, max
 * CTO pgm, max BS pgm, min ST pgm, queue size pgm: 7 bytes
 * (XcpCmdProgramStart). Programming commands are bounded by max CTO pgm. */
int dfu_xcp_program_start(struct dfu_xcp *x)
{
	const uint8_t cmd = XCP_CMD_PROGRAM_START;
	uint8_t res[16];
	size_t n = 0;
	int err = check_connected(x, cmd);

	if (!err)
		err = exchange(x, &cmd, 1, res, sizeof(res), &n, XCP_T3_MS, x->mta);
	if (!err)
		err = expect_len(x, cmd, n, 7);
	if (!err && res[3] >= 8 && res[3] < x->max_cto)
		x->max_cto = res[3];
	return err;
}

/* See protocol.h. SET_MTA F6, reserved (2), address extension, address
 * (u32, Intel order) answers FF. */
int dfu_xcp_set_mta(struct dfu_xcp *x, uint32_t address)
{
	uint8_t cmd[8] = { XCP_CMD_SET_MTA, 0, 0, 0 }, res[16];
	size_t n = 0;
	int err = check_connected(x, cmd[0]);

	put_le32(cmd + 4, address);
	if (!err)
		err = exchange(x, cmd, sizeof(cmd), res, sizeof(res), &n, XCP_T1_MS, address);
	if (!err)
		x->mta = address;
	return err;
}

/* See protocol.h. PROGRAM_CLEAR D1, mode, reserved (2), length (u32)
 * erases the sectors covering [MTA, MTA + len). OpenBLT answers after the
 * erase: T4 covers one sector; a longer range gets 4 s more per 128 KiB
 * (an F7's 256 KiB sector takes up to 4 s, RM0410 table 5 / datasheet
 * tERASE256KB). */
int dfu_xcp_program_clear(struct dfu_xcp *x, uint32_t len)
{
	uint8_t cmd[8] = { XCP_CMD_PROGRAM_CLEAR, 0, 0, 0 }, res[16];
	size_t n = 0;
	unsigned timeout = XCP_T4_MS + (len / (128u * 1024u)) * 4000u;
	int err = check_connected(x, cmd[0]);

	put_le32(cmd + 4, len);
	if (!err)
		err = exchange(x, cmd, sizeof(cmd), res, sizeof(res), &n, timeout, x->mta);
	return err;
}

/* See protocol.h. PROGRAM_MAX C9 + max CTO - 1 bytes answers FF. */
int dfu_xcp_program_max(struct dfu_xcp *x, const uint8_t *data)
{
	uint8_t cmd[256], res[16];
	size_t n = 0, len;
	int err = check_connected(x, XCP_CMD_PROGRAM_MAX);

	if (err)
		return err;
	len = (size_t)x->max_cto - 1;
	cmd[0] = XCP_CMD_PROGRAM_MAX;
	memcpy(cmd + 1, data, len);
	err = exchange(x, cmd, len + 1, res, sizeof(res), &n, XCP_T5_MS, x->mta);
	if (!err)
		x->mta += (uint32_t)len;
	return err;
}

/* See protocol.h. PROGRAM D0 n + n bytes answers FF; n = 0 ends the
 * programming sequence (NvmDone: OpenBLT writes the block it buffered and,
 * on FOME's, nothing else). */
int dfu_xcp_program(struct dfu_xcp *x, const uint8_t *data, uint8_t n)
{
	uint8_t cmd[256], res[16];
	size_t got = 0;
	int err = check_connected(x, XCP_CMD_PROGRAM);

	if (err)
		return err;
	if ((unsigned)n + 2 > x->max_cto)
		return dfu_fail(x->ctx, DFU_ERR_INVALID_ARG,
				"XCP PROGRAM of %u bytes: at most %u fit a packet", n,
				(unsigned)x->max_cto - 2);
	cmd[0] = XCP_CMD_PROGRAM;
	cmd[1] = n;
	if (n)
		memcpy(cmd + 2, data, n);
	err = exchange(x, cmd, (size_t)n + 2, res, sizeof(res), &got, XCP_T5_MS, x->mta);
	if (!err)
		x->mta += n;
	return err;
}

/* See protocol.h. UPLOAD F5 n answers FF + n bytes from the MTA
 * (XcpCmdUpload: ctoLen = n + 1). */
int dfu_xcp_upload(struct dfu_xcp *x, uint8_t *buf, uint8_t n)
{
	uint8_t cmd[2] = { XCP_CMD_UPLOAD, n }, res[256];
	size_t got = 0;
	int err = check_connected(x, cmd[0]);

	if (err)
		return err;
	if (n == 0 || (unsigned)n + 1 > x->max_dto || (unsigned)n + 1 > x->max_cto)
		return dfu_fail(x->ctx, DFU_ERR_INVALID_ARG,
				"XCP UPLOAD of %u bytes: 1 to %u fit a packet", n,
				(unsigned)(x->max_dto < x->max_cto ? x->max_dto : x->max_cto) - 1);
	err = exchange(x, cmd, sizeof(cmd), res, sizeof(res), &got, XCP_T1_MS, x->mta);
	if (!err)
		err = expect_len(x, cmd[0], got, (size_t)n + 1);
	if (err)
		return err;
	memcpy(buf, res + 1, n);
	x->mta += n;
	return DFU_OK;
}

/* See protocol.h. PROGRAM_RESET CF: OpenBLT starts the application
 * (CpuStartUserProgram) before it would answer, so the reply usually never
 * comes and the port goes away; when the application is not valid it
 * stays and answers FF. Either is success; an FE is not. */
int dfu_xcp_program_reset(struct dfu_xcp *x)
{
	const uint8_t cmd = XCP_CMD_PROGRAM_RESET;
	uint8_t res[16];
	size_t n = 0;
	int err = check_connected(x, cmd);

	if (err)
		return err;
	err = exchange(x, &cmd, 1, res, sizeof(res), &n, XCP_T5_MS, x->mta);
	x->connected = false;
	if (err == DFU_ERR_TIMEOUT || err == DFU_ERR_DISCONNECTED) {
		dfu_log(x->ctx, DFU_LOG_DEBUG, "%s: no reply to PROGRAM_RESET (%s): the chip reset",
			dfu_serial_path(x->port), dfu_errname(err));
		return DFU_OK;
	}
	return err;
}
