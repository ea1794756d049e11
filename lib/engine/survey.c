/*
 * survey.c - everything a job reads before it changes anything, in one
 * read window (one SET_ADDRESS at the start of flash, then blocks by
 * number, AN3156 6.6):
 *  - the sectors the image covers only partly, whole: their other bytes
 *    are kept;
 *  - the first and last block of every sector outside the job: if the ROM
 *    later erases the wrong sector, these tell which one and what it held;
 *  - smart flash: what the sectors the image covers hold now, block by
 *    block, to decide each one's fate: already right (skip: the read is
 *    its verify), reachable by programming alone (only 1->0 changes, or
 *    blank words on an H7), or needing an erase. A sector whose first
 *    differing block needs an erase is not read further.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>

/* How one chunk compares: identical, programmable without an erase, or
 * not. bits_only: the part may program a word again (F4/F7). */
enum verdict { SAME, PROGRAM, ERASE };

static enum verdict judge(const uint8_t *cur, const uint8_t *want, size_t n, bool bits_only)
{
	size_t i;

	if (!memcmp(cur, want, n))
		return SAME;
	if (!bits_only)
		return dfu_run_blank(cur, n) ? PROGRAM : ERASE;
	for (i = 0; i < n; i++)
		if ((cur[i] & want[i]) != want[i])
			return ERASE;
	return PROGRAM;
}

/* Judges sector s: what it holds now (cur) against what it must hold
 * (want). With do_read, cur is read block by block as it goes, and the
 * reading stops at the first chunk that needs an erase; without, cur holds
 * the whole sector already. Sets the chunk marks of a sector that needs no
 * erase. Returns the sector's fate through *fate. */
static int scan(struct run *r, uint32_t base, const struct dfu_sector *s, uint8_t *cur,
		const uint8_t *want, bool do_read, bool bits_only, uint8_t *fate)
{
	uint16_t xfer = dfu_dev_transfer_size(r->dev);
	bool needs_erase = false, writes = false;
	uint32_t off, c;
	int err = DFU_OK;

	for (off = 0; off < s->size; off += xfer) {
		uint32_t n = s->size - off < xfer ? s->size - off : xfer;

		if (needs_erase)
			break;
		if (do_read) {
			err = dfu_mem_window_read(r->dev, "read", base, s->address + off, cur + off, n,
						  &r->pr);
			if (err)
				return err;
		}
		for (c = off; c < off + n && !needs_erase; c += WRITE_ALIGN) {
			enum verdict v = judge(cur + c, want + c, WRITE_ALIGN, bits_only);

			needs_erase = v == ERASE;
			writes |= v == PROGRAM;
		}
	}
	if (needs_erase) {
		/* What was not read counts as done for the progress. */
		if (do_read && off < s->size)
			err = dfu_mem_report(r->dev, &r->pr, s->size - off, s->address + s->size);
		*fate = FATE_ERASE;
		return err;
	}
	*fate = writes ? FATE_PROGRAM : FATE_SKIP;
	for (c = 0; c < s->size; c += WRITE_ALIGN) {
		enum verdict v = judge(cur + c, want + c, WRITE_ALIGN, bits_only);

		*dfu_run_mask(r, s->address + c) =
			v == PROGRAM ? CHUNK_WRITE :
			*fate == FATE_PROGRAM && bits_only ? CHUNK_BRIDGE : CHUNK_BARRIER;
	}
	if (*fate == FATE_SKIP)
		r->res->bytes_verified += s->size;
	return DFU_OK;
}

/* Whether sector s can be read through a window at base. */
static bool in_window(const struct run *r, uint32_t base, const struct dfu_sector *s)
{
	uint16_t xfer = dfu_dev_transfer_size(r->dev);

	return s->address >= base && (s->address - base) % xfer == 0 &&
	       (s->address - base) / xfer + (s->size + xfer - 1) / xfer <
	       0xFFFFu - DFUSE_FIRST_BLOCK;
}

/* See run.h. */
int dfu_survey(struct run *r, const struct dfu_image *img)
{
	struct dfu_dev *dev = r->dev;
	size_t i, n = dfu_plan_count(r->plan);
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint32_t base = r->map->sectors[0].address, biggest = 0;
	uint64_t total = 0;
	bool bits_only, mass = dfu_plan_mass_erase(r->plan), open = false;
	uint8_t *cur = NULL;
	int err = DFU_OK;

	dfu_chip_program_word(&dev->probe.chip, &bits_only);
	r->fate = calloc(n ? n : 1, 1);
	r->outside = calloc(n ? n : 1, sizeof(*r->outside));
	r->before = malloc(n ? 2 * n * (size_t)xfer : 1);
	if (!r->fate || !r->outside || !r->before)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r->plan, i);

		if (e->sector.size > biggest)
			biggest = e->sector.size;
		if (e->action == DFU_ACTION_MERGE || (r->smart && !mass && dfu_run_touches(e) &&
						      (e->sector.flags & DFU_SECTOR_ERASABLE)))
			total += e->sector.size;
	}
	cur = malloc(biggest ? biggest : 1);
	if (!cur)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	if (total)
		dfu_mem_phase(&r->pr, DFU_PHASE_READ, total);
	for (i = 0; i < n && !err; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r->plan, i);
		const struct dfu_sector *s = &e->sector;
		uint8_t *want = dfu_job_bytes(&r->job, s->address, s->size);
		bool erasable = (s->flags & DFU_SECTOR_ERASABLE) != 0;
		bool readable = in_window(r, base, s);

		if (!dfu_run_touches(e)) {
			/* A sample of what a wrong erase could hit. */
			if (mass || !erasable || !readable)
				continue;
			if (!open)
				err = dfu_mem_window_open(dev, base);
			open = true;
			if (!err)
				err = dfu_mem_window_read(dev, "read", base, s->address,
							  r->before + 2 * r->noutside * xfer, xfer,
							  NULL);
			if (!err)
				err = dfu_mem_window_read(dev, "read", base,
							  s->address + ((s->size - 1) / xfer) * xfer,
							  r->before + (2 * r->noutside + 1) * xfer, xfer,
							  NULL);
			r->outside[r->noutside++] = s;
			continue;
		}
		r->fate[i] = FATE_ERASE;
		if (e->action == DFU_ACTION_MERGE) {
			/* Every byte, kept or not: keep what the image leaves. */
			if (!readable) {
				err = dfu_mem_read(dev, "read", s->address, cur, s->size, &r->pr);
				open = false;
			} else {
				if (!open)
					err = dfu_mem_window_open(dev, base);
				open = true;
				if (!err)
					err = dfu_mem_window_read(dev, "read", base, s->address, cur, s->size,
								  &r->pr);
			}
			if (err)
				break;
			r->res->sectors_kept++;
			memcpy(want, cur, s->size);
			dfu_run_overlay(&r->job, img, s->address, (uint64_t)s->address + s->size);
			if (r->smart && !mass && erasable) {
				uint8_t fate = FATE_ERASE;

				/* The read is done: judge it without reading again. */
				err = scan(r, base, s, cur, want, false, bits_only, &fate);
				r->fate[i] = fate;
			}
		} else if (r->smart && !mass && erasable && readable) {
			uint8_t fate = FATE_ERASE;

			if (!open)
				err = dfu_mem_window_open(dev, base);
			open = true;
			if (!err)
				err = scan(r, base, s, cur, want, true, bits_only, &fate);
			r->fate[i] = fate;
		}
		if (!err && r->fate[i] == FATE_ERASE)
			dfu_run_mask_erase(r, s);
	}
	if (!err && open)
		err = dfu_mem_window_close(dev);
	free(cur);
	return err;
}
