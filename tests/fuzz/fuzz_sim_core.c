/*
 * fuzz_sim_core.c - drives the dfusim core with random request sequences
 * and checks what must always hold: no crash or sanitizer report, a valid
 * DFU state and status after every request, an IN reply never longer than
 * wLength or the buffer, ready_at_us never before the request, events only
 * with the outcomes that allow them.
 *
 * Input: byte 0 chip, byte 1 flags (bit 0 time scale 1 instead of 0, bits
 * 1-6 toggle the six quirks), byte 2 n, then n bytes of a fault spec; then
 * records of 10 bytes: bmRequestType, bRequest, wValue (2), wIndex (2),
 * wLength (2), time step in ms, action (bit 0-1: 1 set_interface(wValue),
 * 2 bus reset, 3 re-enumerate), followed for OUT requests by up to wLength
 * data bytes (fewer if the input ends: the short-data path).
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

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static uint8_t buf[4096];
	/* One simulator per chip for the whole run, reset for each input:
	 * under ASan a fresh megabyte of flash per input costs milliseconds. */
	static struct dfusim *sims[16];
	struct dfusim *sim;
	size_t chip;
	uint64_t now = 1000;
	size_t pos = 3, q;
	uint8_t flags;

	if (size < 3)
		return 0;
	chip = in[0] % dfusim_chip_count();
	check(chip < sizeof(sims) / sizeof(sims[0]));
	if (!sims[chip])
		sims[chip] = dfusim_new(dfusim_chip_name(chip));
	sim = sims[chip];
	check(sim != NULL);
	dfusim_factory_reset(sim);
	flags = in[1];
	dfusim_set_time_scale(sim, (flags & 1) ? 1.0 : 0.0);
	for (q = 0; q < dfusim_quirk_count(); q++)
		if (flags & (2u << q))
			dfusim_set_quirk(sim, dfusim_quirk_name(q), true);
	if (in[2] && (size_t)in[2] + 3 <= size && in[2] < 64) {
		char spec[64];

		memcpy(spec, in + 3, in[2]);
		spec[in[2]] = '\0';
		dfusim_add_fault(sim, spec);
		pos += in[2];
	}

	while (pos + 10 <= size) {
		const uint8_t *r = in + pos;
		struct dfusim_setup s = {
			.bm_request_type = r[0],
			.b_request = r[1],
			.w_value = (uint16_t)(r[2] | r[3] << 8),
			.w_index = (uint16_t)(r[4] | r[5] << 8),
			.w_length = (uint16_t)((r[6] | r[7] << 8) & 0x1fff),
		};
		struct dfusim_reply rep;
		size_t cap;
		int st;

		now += (uint64_t)r[8] * 1000;
		pos += 10;
		switch (r[9] & 3) {
		case 1:
			dfusim_set_interface(sim, 0, (uint8_t)s.w_value, now);
			break;
		case 2:
			dfusim_bus_reset(sim, now);
			break;
		case 3:
			dfusim_reenumerated(sim, now);
			break;
		default:
			break;
		}
		if (s.bm_request_type & DFU_USB_DIR_IN) {
			cap = s.w_length < sizeof(buf) ? s.w_length : sizeof(buf);
		} else {
			cap = size - pos < s.w_length ? size - pos : s.w_length;
			memcpy(buf, in + pos, cap);
			pos += cap;
		}
		dfusim_control(sim, &s, buf, cap, now, &rep);
		check(rep.outcome <= DFUSIM_GONE);
		check(rep.ready_at_us >= now);
		if (rep.outcome == DFUSIM_ACK && (s.bm_request_type & DFU_USB_DIR_IN))
			check(rep.len <= s.w_length && rep.len <= cap);
		if (rep.outcome != DFUSIM_ACK)
			check(rep.len == 0);
		if (rep.event != DFUSIM_EV_NONE)
			check(rep.event_at_us >= now &&
			      (rep.event == DFUSIM_EV_DISCONNECT || rep.back_at_us >= rep.event_at_us));
		st = dfusim_dfu_state(sim);
		check(st >= 2 && st <= 10);
		check(dfusim_dfu_status(sim) >= 0 && dfusim_dfu_status(sim) <= 15);
		if (rep.ready_at_us > now && rep.ready_at_us - now < 100000000)
			now = rep.ready_at_us;
	}
	{
		char *json = dfusim_stats_json(sim);

		check(json != NULL);
		free(json);
	}
	return 0;
}
