/*
 * ts.c - the running FOME firmware's TunerStudio console, the few
 * requests an update needs: the signature (which board, which build),
 * whether OpenBLT is on the chip, and the reboot into a bootloader.
 *
 * Framing (fome-fw firmware/console/binary/tunerstudio.cpp
 * tsProcessOne and handleCrcCommand, tunerstudio_io.cpp
 * writeCrcPacketLocked): u16 big-endian payload length, payload, CRC-32
 * (zlib) of the payload, big-endian. Replies are framed alike and their
 * payload starts with a status byte (TS_RESPONSE_OK, or an error code
 * alone from sendErrorCode: 0x83 unrecognized command, 0x80 underrun).
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* The firmware's largest reply we ask for is the signature (under 100
 * bytes); its blocking factor is far larger, so anything over this is
 * noise, not a reply. */
#define TS_MAX_PAYLOAD 4096

/* How long the reboot command may take to leave: it is 20 bytes. */
#define TS_WRITE_TIMEOUT_MS 1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What is left of a deadline, at least 1 ms so a read still looks once. */
static unsigned left_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now + 1 >= deadline ? 1u : (unsigned)(deadline - now);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int send_frame(struct dfu_serial *s, const uint8_t *payload, size_t len,
		      unsigned timeout_ms)
{
	uint8_t head[2], tail[4];
	int err;

	if (len == 0 || len > TS_MAX_PAYLOAD)
		return dfu_fail(dfu_serial_ctx(s), DFU_ERR_INVALID_ARG,
				"a TunerStudio request of %zu bytes", len);
	head[0] = (uint8_t)(len >> 8);
	head[1] = (uint8_t)len;
	put_be32(tail, (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, (uInt)len));
	/* One buffer, one write: FOME reads a frame with a short timeout
	 * between its parts. */
	{
		uint8_t frame[2 + TS_MAX_PAYLOAD + 4];

		memcpy(frame, head, 2);
		memcpy(frame + 2, payload, len);
		memcpy(frame + 2 + len, tail, 4);
		err = dfu_serial_write(s, frame, len + 6, timeout_ms);
	}
	return err;
}

/* See protocol.h. */
int dfu_ts_request(struct dfu_serial *s, const uint8_t *payload, size_t len, uint8_t *reply,
		   size_t cap, size_t *reply_len, unsigned timeout_ms)
{
	struct dfu_ctx *ctx = dfu_serial_ctx(s);
	uint8_t head[2], tail[4], body[TS_MAX_PAYLOAD];
	uint64_t deadline = now_ms() + timeout_ms;  /* for the whole exchange */
	uint32_t want, got;
	size_t n;
	int err;

	err = send_frame(s, payload, len, timeout_ms);
	if (err)
		return err;
	err = dfu_serial_read(s, head, 2, left_ms(deadline));
	if (err)
		return err;
	n = (size_t)head[0] << 8 | head[1];
	if (n == 0 || n > TS_MAX_PAYLOAD) {
		/* Not a frame: drop what follows so the next request starts clean. */
		dfu_serial_drain(s, 50, 500);
		return dfu_fail(ctx, DFU_ERR_PROTOCOL,
				"%s: the ECU answered '%c' with a frame of length %zu: not a "
				"TunerStudio reply. Is this port a FOME ECU (and not its "
				"bootloader)?", dfu_serial_path(s), payload[0], n);
	}
	err = dfu_serial_read(s, body, n, left_ms(deadline));
	if (!err)
		err = dfu_serial_read(s, tail, 4, left_ms(deadline));
	if (err)
		return err;
	want = (uint32_t)tail[0] << 24 | (uint32_t)tail[1] << 16 | (uint32_t)tail[2] << 8 | tail[3];
	got = (uint32_t)crc32(crc32(0L, Z_NULL, 0), body, (uInt)n);
	if (want != got)
		return dfu_fail(ctx, DFU_ERR_PROTOCOL,
				"%s: the ECU's reply to '%c' has CRC 0x%08X, its %zu bytes give "
				"0x%08X: the line is noisy or another program talks to the ECU",
				dfu_serial_path(s), payload[0], (unsigned)want, n, (unsigned)got);
	if (body[0] != TS_RESPONSE_OK)
		return dfu_fail(ctx, DFU_ERR_DEVICE, "%s: the ECU refused '%c' with status 0x%02X%s",
				dfu_serial_path(s), payload[0], body[0],
				body[0] == TS_RESPONSE_UNRECOGNIZED_COMMAND ?
				" (unrecognized command: firmware too old for it?)" : "");
	if (n > cap)
		return dfu_fail(ctx, DFU_ERR_PROTOCOL,
				"%s: the ECU's reply to '%c' is %zu bytes, more than the %zu "
				"expected", dfu_serial_path(s), payload[0], n, cap);
	memcpy(reply, body, n);
	if (reply_len)
		*reply_len = n;
	return DFU_OK;
}

/* See protocol.h. 'S' answers status, the signature and a NUL
 * (tunerstudio.cpp handleQueryCommand, which ignores the bytes after the
 * command).
 *
 * The request must also be harmless to OpenBLT, which may be what listens
 * on the port (the same USB ids): FOME's OpenBLT never drops a packet it
 * has the length byte of (its TimerGet() is always 0, so the 100 ms
 * timeout in openblt_usb.cpp never fires), and a plain 'S' frame's CRC
 * would start a packet that swallows the XCP CONNECT after it. So the
 * frame is 'S' and four bytes chosen so that the CRC-32 is 0: OpenBLT
 * reads 00 05 53 5E E5 B9 4D 00 00 00 00 as a zero length (ignored), one
 * packet of five bytes (command 0x53, which it ignores before CONNECT and
 * refuses with ERR_CMD_UNKNOWN after), and four zero lengths. */
static const uint8_t signature_probe[] = { TS_HELLO_COMMAND, 0x5E, 0xE5, 0xB9, 0x4D };

int dfu_ts_signature(struct dfu_serial *s, char *sig, size_t cap, unsigned timeout_ms)
{
	uint8_t reply[TS_MAX_PAYLOAD];
	size_t n = 0, len;
	int err;

	err = dfu_ts_request(s, signature_probe, sizeof(signature_probe), reply, sizeof(reply), &n,
			     timeout_ms);
	if (err)
		return err;
	/* The text after the status, up to its NUL (or the frame's end). */
	for (len = 0; 1 + len < n && reply[1 + len]; len++)
		;
	if (len + 1 > cap)
		return dfu_fail(dfu_serial_ctx(s), DFU_ERR_RANGE,
				"the ECU's signature is %zu characters, more than %zu", len,
				cap ? cap - 1 : 0);
	memcpy(sig, reply + 1, len);
	sig[len] = '\0';
	return DFU_OK;
}

/* See protocol.h. 'L' answers status and one byte
 * (TS_QUERY_BOOTLOADER_OPENBLT when OpenBLT is there). */
int dfu_ts_openblt_present(struct dfu_serial *s, bool *present, unsigned timeout_ms)
{
	const uint8_t cmd = TS_QUERY_BOOTLOADER;
	uint8_t reply[16];
	size_t n = 0;
	int err;

	err = dfu_ts_request(s, &cmd, 1, reply, sizeof(reply), &n, timeout_ms);
	if (err)
		return err;
	if (n < 2)
		return dfu_fail(dfu_serial_ctx(s), DFU_ERR_PROTOCOL,
				"%s: the ECU answered 'L' without saying which bootloader it "
				"has", dfu_serial_path(s));
	*present = reply[1] == TS_QUERY_BOOTLOADER_OPENBLT;
	return DFU_OK;
}

/* See protocol.h. The text command goes through the console's command
 * line ('E' + text, fome-fw tunerstudio.cpp TS_EXECUTE), which every FOME
 * version has; what it answers before the reset is not reliable. */
int dfu_ts_reboot(struct dfu_serial *s, bool to_openblt)
{
	const char *text = to_openblt ? "reboot_openblt" : "reboot_dfu";
	uint8_t payload[32];
	size_t len = strlen(text);

	payload[0] = TS_EXECUTE;
	memcpy(payload + 1, text, len);
	dfu_serial_drain(s, 20, 200);
	return send_frame(s, payload, len + 1, TS_WRITE_TIMEOUT_MS);
}
