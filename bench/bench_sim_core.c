/*
 * bench_sim_core.c - what the dfusim core itself costs per control
 * transfer, without umockdev: a 1 MiB DfuSe write and read-back as
 * dfu-util sends it (SET_ADDRESS + abort per 2 KiB chunk, erase per
 * sector) and a loop of bare GETSTATUS requests, at time scale 0.
 *
 *   bench_sim_core [CHIP] [ROUNDS]
 *
 * Prints ns per transfer for each; docs/PERFORMANCE.md has figures.
 */
#include "dfusim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned long transfers;

static void ctl(struct dfusim *sim, uint8_t type, uint8_t req, uint16_t value, uint16_t len,
		uint8_t *data)
{
	struct dfusim_setup s = { type, req, value, 0, len };
	struct dfusim_reply r;

	dfusim_control(sim, &s, data, len, 0, &r);
	transfers++;
	if (r.outcome != DFUSIM_ACK) {
		fprintf(stderr, "bench_sim_core: request %u failed\n", req);
		exit(1);
	}
}

/* A DfuSe command with its two GETSTATUS and the ABORT dfu-util sends. */
static void command(struct dfusim *sim, uint8_t op, uint32_t addr)
{
	uint8_t cmd[5] = { op, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
			   (uint8_t)(addr >> 24) };
	uint8_t st[6];

	ctl(sim, 0x21, 1, 0, 5, cmd);
	ctl(sim, 0xa1, 3, 0, 6, st);
	ctl(sim, 0xa1, 3, 0, 6, st);
	ctl(sim, 0x21, 6, 0, 0, NULL);
	ctl(sim, 0xa1, 3, 0, 6, st);
}

static void write_and_read(struct dfusim *sim, uint8_t *buf, uint32_t len)
{
	uint8_t st[6];
	uint32_t off;
	static const uint32_t sectors[] = { 0x08000000, 0x08004000, 0x08008000, 0x0800C000,
					    0x08010000, 0x08020000, 0x08040000, 0x08060000,
					    0x08080000, 0x080A0000, 0x080C0000, 0x080E0000 };
	size_t i;

	for (i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++)
		command(sim, 0x41, sectors[i]);
	for (off = 0; off < len; off += 2048) {
		command(sim, 0x21, 0x08000000 + off);
		ctl(sim, 0x21, 1, 2, 2048, buf + off);
		ctl(sim, 0xa1, 3, 0, 6, st);
		ctl(sim, 0xa1, 3, 0, 6, st);
	}
	command(sim, 0x21, 0x08000000);
	for (off = 0; off < len; off += 2048)
		ctl(sim, 0xa1, 2, (uint16_t)(2 + off / 2048), 2048, buf + off);
	ctl(sim, 0x21, 6, 0, 0, NULL);
}

int main(int argc, char **argv)
{
	const char *chip = argc > 1 ? argv[1] : "stm32f407";
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
	uint32_t len = 1024 * 1024;
	uint8_t *buf = malloc(len);
	struct dfusim *sim = dfusim_new(chip);
	uint64_t t0, best = UINT64_MAX;
	unsigned long per_round = 0;
	long r;
	uint8_t st[6];

	if (!buf || !sim || rounds < 1) {
		fprintf(stderr, "usage: bench_sim_core [CHIP] [ROUNDS]\n");
		return 2;
	}
	{
		/* the functional descriptor ends the configuration */
		uint8_t d[512];
		size_t n = dfusim_descriptors(sim, d, sizeof(d));

		if (n > sizeof(d) || n < 9 || (d[n - 4] | d[n - 3] << 8) != 2048) {
			fprintf(stderr, "bench_sim_core: %s: needs a DfuSe chip with "
				"wTransferSize 2048\n", chip);
			return 2;
		}
	}
	dfusim_set_time_scale(sim, 0);
	dfusim_set_quirk(sim, "first-status-errfirmware", false);
	memset(buf, 0x5a, len);
	for (r = 0; r < rounds; r++) {
		transfers = 0;
		t0 = now_ns();
		write_and_read(sim, buf, len);
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
		per_round = transfers;
		dfusim_reenumerated(sim, 0);
	}
	printf("%s: 1 MiB write+read, %lu transfers: best %.1f ms, %.0f ns/transfer\n", chip,
	       per_round, best / 1e6, (double)best / (double)per_round);
	transfers = 0;
	t0 = now_ns();
	for (r = 0; r < 1000000; r++)
		ctl(sim, 0xa1, 3, 0, 6, st);
	printf("%s: GETSTATUS x %lu: %.0f ns/transfer\n", chip, transfers,
	       (double)(now_ns() - t0) / (double)transfers);
	dfusim_free(sim);
	free(buf);
	return 0;
}
