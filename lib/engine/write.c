/*
 * write.c - the write and the verify of a job: the spans its chunk masks
 * ask for (one SET_ADDRESS per run, bridging chunks that may be written
 * again, never a barrier), and the read-back of every sector that was
 * erased or programmed (a skipped sector's survey read was its verify).
 */
#include "run.h"

#include <stdlib.h>

/* The next span of group gi to write from chunk *pos: starts at a chunk
 * to write, runs through chunks that may be bridged until a barrier or a
 * gap of WRITE_GAP_SPLIT, ends after the last chunk to write. In bytes
 * from the group's start. False when nothing is left. */
static bool next_span(const struct run *r, size_t gi, size_t *pos, size_t *start, size_t *end)
{
	const struct dfu_group *g = &r->job.groups[gi];
	const uint8_t *m = r->mask[gi];
	size_t nchunks = g->size / WRITE_ALIGN, i = *pos, last, gap = 0;

	while (i < nchunks && m[i] != CHUNK_WRITE)
		i++;
	if (i >= nchunks)
		return false;
	*start = i * WRITE_ALIGN;
	last = i;
	for (i++; i < nchunks && m[i] != CHUNK_BARRIER; i++) {
		if (m[i] == CHUNK_WRITE) {
			last = i;
			gap = 0;
		} else if ((gap += WRITE_ALIGN) >= WRITE_GAP_SPLIT) {
			break;
		}
	}
	*end = (last + 1) * WRITE_ALIGN;
	*pos = last + 1;
	return true;
}

/* Writes every span the masks ask for. */
int dfu_run_write(struct run *r)
{
	uint64_t total = 0;
	size_t i, pos, start, end;
	int err;

	for (i = 0; i < r->job.ngroups; i++)
		for (pos = 0; next_span(r, i, &pos, &start, &end);)
			total += end - start;
	dfu_mem_phase(&r->pr, DFU_PHASE_WRITE, total);
	err = dfu_mem_report(r->dev, &r->pr, 0,
			     r->job.ngroups ? r->job.groups[0].address : 0);
	for (i = 0; i < r->job.ngroups && !err; i++) {
		struct dfu_group *g = &r->job.groups[i];

		for (pos = 0; !err && next_span(r, i, &pos, &start, &end);)
			err = dfu_mem_write(r->dev, g->address + (uint32_t)start, g->data + start,
					    end - start, &r->pr);
	}
	/* OpenBLT writes what it buffered only when told the writes end. */
	if (!err)
		err = dfu_mem_end_writes(r->dev);
	/* Counted per block, so a stopped job says how far it got. */
	r->res->bytes_written = r->pr.p.done;
	return err;
}

/* See engine.h. */
int dfu_engine_compare(struct dfu_dev *dev, uint32_t address, const uint8_t *want,
		   const uint8_t *got, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (want[i] != got[i])
			return dfu_fail(dev->ctx, DFU_ERR_VERIFY,
					"verify failed at 0x%08X: expected 0x%02X, the device "
					"has 0x%02X", (unsigned)(address + i), want[i], got[i]);
	return DFU_OK;
}

/* The next run of sectors to verify from plan entry *pos: consecutive
 * sectors that were erased or programmed (skipped ones were verified by
 * the survey's read). False when none is left. */
static bool next_check(const struct run *r, size_t *pos, uint32_t *address, uint32_t *size)
{
	size_t i = *pos, n = dfu_plan_count(r->plan);

	while (i < n && r->fate[i] != FATE_ERASE && r->fate[i] != FATE_PROGRAM)
		i++;
	if (i >= n)
		return false;
	*address = dfu_plan_entry(r->plan, i)->sector.address;
	*size = 0;
	for (; i < n && (r->fate[i] == FATE_ERASE || r->fate[i] == FATE_PROGRAM); i++) {
		const struct dfu_sector *s = &dfu_plan_entry(r->plan, i)->sector;

		if (s->address != *address + *size)
			break;
		*size += s->size;
	}
	*pos = i;
	return true;
}

/* Reads back what was erased or programmed and compares it with what it
 * should hold. */
int dfu_run_verify(struct run *r)
{
	uint64_t total = 0;
	uint8_t *buf = NULL;
	uint32_t address, size;
	size_t pos;
	int err;

	for (pos = 0; next_check(r, &pos, &address, &size);)
		total += size;
	dfu_mem_phase(&r->pr, DFU_PHASE_VERIFY, total);
	err = dfu_mem_report(r->dev, &r->pr, 0, r->map->sectors[0].address);
	for (pos = 0; !err && next_check(r, &pos, &address, &size);) {
		const uint8_t *want = dfu_job_bytes(&r->job, address, size);

		free(buf);
		buf = malloc(size);
		if (!buf || !want) {
			free(buf);
			return dfu_fail(r->dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		}
		err = dfu_mem_read(r->dev, "verify", address, buf, size, &r->pr);
		if (!err)
			err = dfu_engine_compare(r->dev, address, want, buf, size);
		if (!err)
			r->res->bytes_verified += size;
	}
	free(buf);
	if (!err)
		r->res->verified = true;
	return err;
}
