/*
 * app.c - the running FOME application's TunerStudio console on its CDC
 * port, as fome-fw firmware/console/binary/tunerstudio.cpp reads it
 * (tsProcessOne):
 *
 *   - a first byte with no second one within 10 ms
 *     (TS_COMMUNICATION_TIMEOUT_SHORT) is a plain command: 'S' or 'Q'
 *     answers the signature and its NUL, unframed (handlePlainCommand);
 *   - otherwise the two bytes are a big-endian payload length; 0 or more
 *     than the scratch buffer drops them; the payload and its CRC-32 (zlib,
 *     big-endian) must follow within 1 s (TS_COMMUNICATION_TIMEOUT);
 *   - replies are framed the same way, status byte first: 'S'/'Q' the
 *     signature with its NUL, 'L' one byte (1 = OpenBLT), 'E' text runs a
 *     console command ("reboot_dfu", "reboot_openblt" reset before any
 *     answer), 'Z' subsystem 0xBA / 0xBC answers OK and then resets into
 *     the ROM / OpenBLT; a bad CRC answers 0x82, an unknown command 0x83.
 *
 * The simulator keeps no ECU state beyond what the update journey needs:
 * output channels, tune pages and the rest answer 0x83.
 */
#include "sim_internal.h"

#include <zlib.h>

#include <stdio.h>
#include <string.h>

#define TS_PLAIN_WAIT_US 10000u      /* TS_COMMUNICATION_TIMEOUT_SHORT */
#define TS_PACKET_WAIT_US 1000000u   /* TS_COMMUNICATION_TIMEOUT */
#define TS_RESPONSE_CRC_FAILURE 0x82
/* The application's turnaround for a command: no measurement [guess]. */
#define TS_ANSWER_US 1000u
/* From the reply to the reset: FOME answers, then resets [guess]. */
#define TS_RESET_AFTER_US 10000u

/* The image the application runs from: after OpenBLT, or at the base. */
static uint32_t app_image_base(const struct dfusim *sim)
{
	return sim_openblt_present(sim) ? sim_openblt_app_base(sim) : sim->chip->flash_base;
}

/*
 * The signature the application reports: the NUL-terminated string
 * starting "rusEFI (FOME) " in its first MiB (where fome-fw keeps it in
 * .rodata), else one naming the chip profile.
 */
void sim_app_signature(const struct dfusim *sim, char *buf, size_t cap)
{
	const struct dfusim_chip *c = sim->chip;
	uint32_t off = app_image_base(sim) - c->flash_base;
	size_t len = c->flash_size - off, i, n;
	const uint8_t *img = sim->flash + off, *hit;

	if (len > 1024u * 1024u)
		len = 1024u * 1024u;
	hit = sim_find(img, len, FOME_SIGNATURE_PREFIX);
	if (hit) {
		for (n = 0, i = (size_t)(hit - img); i < len && img[i] && n + 1 < cap; i++)
			buf[n++] = (char)img[i];
		buf[n] = '\0';
		return;
	}
	snprintf(buf, cap, "%ssim.2026.01.01.%s.00000000", FOME_SIGNATURE_PREFIX, c->name);
}

void sim_app_enter(struct dfusim *sim)
{
	sim->ts.have = 0;
}

/* The model time a CDC transfer of len bytes takes: 64-byte bulk packets,
 * as many per 1 ms frame as the profile's control pipe moves. */
static uint64_t bulk_us(const struct dfusim *sim, size_t len)
{
	uint32_t per_frame = sim->chip->t.usb_packets_per_frame ? sim->chip->t.usb_packets_per_frame : 1;

	return ((len + 63) / 64 + 1) * 1000u / per_frame;
}

/* When an answer to a request that came at now is ready. */
static uint64_t answer_at(struct dfusim *sim, uint64_t now, size_t out_len)
{
	uint64_t start = now > sim->serial_busy_until ? now : sim->serial_busy_until;
	uint64_t at = start + sim_scaled_us(sim, TS_ANSWER_US + bulk_us(sim, out_len));

	sim->serial_busy_until = at;
	return at;
}

/* A framed reply: length, status + payload, CRC-32 of both. */
static uint64_t send_frame(struct dfusim *sim, uint64_t now, uint8_t status,
			   const void *payload, size_t len)
{
	uint8_t f[6 + 256];
	uint32_t crc;
	uint64_t at;

	if (len > 250)
		len = 250;
	f[0] = (uint8_t)((len + 1) >> 8);
	f[1] = (uint8_t)(len + 1);
	f[2] = status;
	if (len)
		memcpy(f + 3, payload, len);
	crc = crc32(0, f + 2, len + 1);
	f[3 + len] = (uint8_t)(crc >> 24);
	f[4 + len] = (uint8_t)(crc >> 16);
	f[5 + len] = (uint8_t)(crc >> 8);
	f[6 + len] = (uint8_t)crc;
	at = answer_at(sim, now, len + 7);
	sim_serial_send(sim, at, f, len + 7);
	return at;
}

/* Counts the request and returns the fault it triggers, if any. */
static const struct dfusim_fault *count(struct dfusim *sim, uint64_t kinds)
{
	kinds |= SIM_KIND(DFUSIM_K_TS);
	sim_count(sim, kinds);
	return sim_fault_by_count(sim, kinds);
}

/* Carries out a fault in place of the request; true if there was one. */
static bool fault(struct dfusim *sim, const struct dfusim_fault *f, uint64_t now,
		  struct dfusim_reply *reply, const char *what)
{
	if (!f)
		return false;
	switch (f->action) {
	case DFUSIM_FA_DISCONNECT:
		sim_serial_event(sim, reply, DFUSIM_EV_DISCONNECT, now);
		break;
	case DFUSIM_FA_POWERLOSS:
		sim->rom_requested = false;
		sim_serial_event(sim, reply, DFUSIM_EV_RESET_TO_DFU, now);
		break;
	case DFUSIM_FA_STATUS:
	case DFUSIM_FA_ERROR:
		send_frame(sim, now, TS_RESPONSE_UNRECOGNIZED_COMMAND, NULL, 0);
		break;
	case DFUSIM_FA_STALL:
	case DFUSIM_FA_TIMEOUT:
	case DFUSIM_FA_MISDIRECT:
		break;
	}
	sim_log(sim, "TS %s -> fault %s", what, f->spec);
	return true;
}

/* The application resets on request: into the ROM (reboot_dfu) or, via
 * FOME's shared parameter, into OpenBLT when there is one (else it
 * simply starts again). */
static void reboot(struct dfusim *sim, bool to_openblt, uint64_t at, struct dfusim_reply *reply)
{
	if (to_openblt) {
		sim->openblt_backdoor = sim_openblt_present(sim);
		sim_serial_event(sim, reply, DFUSIM_EV_RUN_APP, at);
	} else {
		sim->rom_requested = true;
		sim_serial_event(sim, reply, DFUSIM_EV_RESET_TO_DFU, at);
	}
	sim_log(sim, "TS reboot -> %s", to_openblt ? (sim->openblt_backdoor ? "openblt" :
		"application (no OpenBLT)") : "rom");
}

/* The signature, plain (unframed, with its NUL) or framed. */
static void hello(struct dfusim *sim, uint64_t now, bool plain)
{
	char sig[128];
	size_t n;

	sim_app_signature(sim, sig, sizeof(sig));
	n = strlen(sig) + 1;
	if (plain)
		sim_log(sim, "TS plain 'S'");
	if (plain)
		sim_serial_send(sim, answer_at(sim, now, n), (const uint8_t *)sig, n);
	else
		send_frame(sim, now, TS_RESPONSE_OK, sig, n);
}

/* An 'E' console line, trimmed as efiTrim does. */
static void execute(struct dfusim *sim, const uint8_t *p, size_t len, uint64_t now,
		    struct dfusim_reply *reply)
{
	char line[64];
	size_t a = 0, b = len;

	while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r' || p[a] == '\n'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r' ||
			 p[b - 1] == '\n' || p[b - 1] == '\0'))
		b--;
	snprintf(line, sizeof(line), "%.*s", (int)(b - a), (const char *)p + a);
	if (!strcmp(line, "reboot_dfu") || !strcmp(line, "reboot_openblt")) {
		const struct dfusim_fault *f = count(sim, SIM_KIND(DFUSIM_K_TS_REBOOT));

		if (fault(sim, f, now, reply, line))
			return;
		reboot(sim, !strcmp(line, "reboot_openblt"), now + sim_scaled_us(sim, TS_RESET_AFTER_US),
		       reply);
		return;
	}
	if (fault(sim, count(sim, 0), now, reply, "E"))
		return;
	send_frame(sim, now, TS_RESPONSE_OK, NULL, 0);
}

/* One whole framed command (payload p, len >= 1, CRC checked). */
static void command(struct dfusim *sim, const uint8_t *p, size_t len, uint64_t now,
		    struct dfusim_reply *reply)
{
	uint8_t b;
	uint64_t at;

	switch (p[0]) {
	case TS_HELLO_COMMAND:
	case TS_QUERY_COMMAND:
		if (!fault(sim, count(sim, SIM_KIND(DFUSIM_K_TS_SIGNATURE)), now, reply, "S"))
			hello(sim, now, false);
		return;
	case TS_QUERY_BOOTLOADER:
		if (fault(sim, count(sim, SIM_KIND(DFUSIM_K_TS_BOOTLOADER)), now, reply, "L"))
			return;
		b = sim_openblt_present(sim) ? TS_QUERY_BOOTLOADER_OPENBLT : TS_QUERY_BOOTLOADER_NONE;
		send_frame(sim, now, TS_RESPONSE_OK, &b, 1);
		return;
	case TS_EXECUTE:
		execute(sim, p + 1, len - 1, now, reply);
		return;
	case TS_IO_TEST_COMMAND:
		if (len >= 5 && p[1] == 0 && (p[2] == TS_SUBSYSTEM_REBOOT_DFU ||
					      p[2] == TS_SUBSYSTEM_REBOOT_OPENBLT)) {
			if (fault(sim, count(sim, SIM_KIND(DFUSIM_K_TS_REBOOT)), now, reply, "Z"))
				return;
			at = send_frame(sim, now, TS_RESPONSE_OK, NULL, 0);
			reboot(sim, p[2] == TS_SUBSYSTEM_REBOOT_OPENBLT,
			       at + sim_scaled_us(sim, TS_RESET_AFTER_US), reply);
			return;
		}
		if (!fault(sim, count(sim, 0), now, reply, "Z"))
			send_frame(sim, now, TS_RESPONSE_OK, NULL, 0);
		return;
	default:
		if (!fault(sim, count(sim, 0), now, reply, "?"))
			send_frame(sim, now, TS_RESPONSE_UNRECOGNIZED_COMMAND, NULL, 0);
		return;
	}
}

static void drop(struct sim_ts *ts, size_t n, uint64_t now)
{
	memmove(ts->buf, ts->buf + n, ts->have - n);
	ts->have -= n;
	ts->first_us = now;
}

/* Works through what is buffered; stops when more bytes (or time) are
 * needed or the chip is leaving the bus. */
static void parse(struct dfusim *sim, uint64_t now, struct dfusim_reply *reply)
{
	struct sim_ts *ts = &sim->ts;

	while (ts->have && reply->event == DFUSIM_EV_NONE) {
		size_t size, total;
		uint32_t crc, want;

		if (ts->have == 1) {
			/* a timeout the host sees: not scaled */
			if (now - ts->first_us < TS_PLAIN_WAIT_US)
				return;
			if (ts->buf[0] == TS_HELLO_COMMAND || ts->buf[0] == TS_QUERY_COMMAND) {
				if (!fault(sim, count(sim, SIM_KIND(DFUSIM_K_TS_SIGNATURE)), now, reply,
					   "plain S"))
					hello(sim, now, true);
			}
			drop(ts, 1, now);
			continue;
		}
		size = (size_t)ts->buf[0] << 8 | ts->buf[1];
		if (size == 0 || size > SIM_TS_MAX_PAYLOAD) {
			drop(ts, 2, now);
			continue;
		}
		total = size + 6;
		if (ts->have < total) {
			if (now - ts->first_us > TS_PACKET_WAIT_US)
				drop(ts, ts->have, now);
			return;
		}
		crc = crc32(0, ts->buf + 2, size);
		want = (uint32_t)ts->buf[2 + size] << 24 | (uint32_t)ts->buf[3 + size] << 16 |
		       (uint32_t)ts->buf[4 + size] << 8 | ts->buf[5 + size];
		if (crc != want) {
			sim_log(sim, "TS frame len=%zu bad CRC -> 0x82", size);
			send_frame(sim, now, TS_RESPONSE_CRC_FAILURE, NULL, 0);
		} else {
			sim_log(sim, "TS '%c' len=%zu", ts->buf[2] >= 0x20 && ts->buf[2] < 0x7f ?
				ts->buf[2] : '?', size);
			command(sim, ts->buf + 2, size, now, reply);
		}
		drop(ts, total, now);
	}
}

void sim_app_input(struct dfusim *sim, const uint8_t *data, size_t len, uint64_t now_us,
		   struct dfusim_reply *reply)
{
	struct sim_ts *ts = &sim->ts;
	size_t room;

	/* A lone byte that waited long enough was a plain command. */
	parse(sim, now_us, reply);
	while (len && reply->event == DFUSIM_EV_NONE) {
		room = sizeof(ts->buf) - ts->have;
		if (room > len)
			room = len;
		if (!ts->have)
			ts->first_us = now_us;
		memcpy(ts->buf + ts->have, data, room);
		ts->have += room;
		data += room;
		len -= room;
		parse(sim, now_us, reply);
	}
}
