/*
 * fuzz_sim_serial.c - drives the whole-ECU model's serial port (the FOME
 * console and OpenBLT's XCP) with random bytes and checks what must always
 * hold: no crash or sanitizer report, output never past its buffer and
 * never due before it was asked for, events with sane times, the chip
 * always in a known mode.
 *
 * Input: byte 0 chip, byte 1 flash preset (0 OpenBLT and a valid
 * application, 1 OpenBLT alone, 2 an application alone, 3 garbage), byte 2
 * flags (bit 0 time scale 1, bit 1 openblt-cross-erase, bit 2 an XCP
 * CONNECT first), byte 3 n, then n bytes of a fault spec; then records:
 * time step in ms, length n, n bytes (fewer if the input ends). A record's
 * bus event is followed at once (the chip re-enumerates).
 */
#include "dfusim.h"
#include "dfu_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* zlib's CRC-32, bit by bit (the fuzzer's own). */
static uint32_t crc32_bits(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

/* A small valid FOME image at flash offset off. */
static void put_image(uint8_t *flash, uint32_t off)
{
	uint8_t *img = flash + off;
	uint32_t crc;

	memset(img, 0x5A, 512);
	memcpy(img + 0x100, "rusEFI (FOME) fuzz.2026.01.01.x.0", 34);
	put32(img + 0x20, 512);
	crc = crc32_bits(0, img, 0x1C);
	put32(img + 0x1C, crc32_bits(crc, img + 0x20, 512 - 0x20));
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct dfusim *sims[16];
	static uint8_t out[8192];
	struct dfusim *sim;
	struct dfusim_reply rep;
	uint64_t now = 1000, next;
	size_t chip, pos = 4, n, got;
	uint32_t app;
	uint8_t *flash;
	const char *mode;

	if (size < 4)
		return 0;
	chip = in[0] % dfusim_chip_count();
	check(chip < sizeof(sims) / sizeof(sims[0]));
	if (!sims[chip])
		sims[chip] = dfusim_new(dfusim_chip_name(chip));
	sim = sims[chip];
	check(sim != NULL);
	dfusim_factory_reset(sim);
	flash = dfusim_flash(sim, NULL, NULL);
	app = strncmp(dfusim_chip_name(chip), "stm32h7", 7) ? 0x8000 : 0x20000;
	switch (in[1] & 3) {
	case 0:
		memcpy(flash + 0x100, "OpenBLT", 7);
		put_image(flash, app);
		break;
	case 1:
		memcpy(flash + 0x100, "OpenBLT", 7);
		break;
	case 2:
		put_image(flash, 0);
		break;
	default:
		memset(flash, 0x33, 4096);
		break;
	}
	dfusim_set_time_scale(sim, (in[2] & 1) ? 1.0 : 0.0);
	if (in[2] & 2)
		dfusim_set_quirk(sim, "openblt-cross-erase", true);
	if (in[3] && (size_t)in[3] + 4 <= size && in[3] < 64) {
		char spec[64];

		memcpy(spec, in + 4, in[3]);
		spec[in[3]] = '\0';
		dfusim_add_fault(sim, spec);
		pos += in[3];
	}
	dfusim_set_boot_from_flash(sim, true);
	dfusim_power_on(sim, now);
	if (in[2] & 4) {
		static const uint8_t connect[3] = { 2, XCP_CMD_CONNECT, 0 };

		dfusim_serial_input(sim, connect, sizeof(connect), now, &rep);
	}
	while (pos + 2 <= size) {
		now += (uint64_t)in[pos] * 1000u;
		n = in[pos + 1];
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		dfusim_serial_input(sim, in + pos, n, now, &rep);
		pos += n;
		if (rep.event != DFUSIM_EV_NONE) {
			check(rep.event_at_us >= now);
			check(rep.event == DFUSIM_EV_DISCONNECT || rep.back_at_us >= rep.event_at_us);
			now = rep.back_at_us > rep.event_at_us ? rep.back_at_us : rep.event_at_us + 1;
			dfusim_reenumerated(sim, now);
		}
		/* a small buffer takes whole answers only; a big one the rest */
		got = dfusim_serial_output(sim, out, (size_t)in[pos - 1] * 32u + 1u, now, &next);
		check(got <= (size_t)in[pos - 1] * 32u + 1u);
		got = dfusim_serial_output(sim, out, sizeof(out), now, &next);
		check(got <= sizeof(out));
		check(next == 0 || next > now);
		mode = dfusim_mode_name(sim);
		check(!strcmp(mode, "rom") || !strcmp(mode, "application") ||
		      !strcmp(mode, "openblt") || !strcmp(mode, "none"));
	}
	{
		char *json = dfusim_stats_json(sim);

		check(json != NULL);
		free(json);
	}
	return 0;
}
