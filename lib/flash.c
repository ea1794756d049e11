/*
 * flash.c - runs a plan on a device: read what must be kept, erase, write,
 * verify by reading back, leave. Also reading, verifying and erasing on
 * their own, and plain DFU 1.1 download/upload.
 *
 * The rules (DESIGN.md, Flashing semantics): nothing is erased before the
 * whole plan is validated; one SET_ADDRESS per contiguous run and then
 * consecutive blocks 2, 3, 4...; a failed verify never ends with leave.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes are aligned to this (the H7 programs 32-byte flash words; every
 * sector size is a multiple of it). */
#define WRITE_ALIGN 32u
/* A run of blank bytes at least this long splits a write in two: writing
 * it costs more than the SET_ADDRESS (104 ms on an F4) that skipping it
 * costs. */
#define WRITE_GAP_SPLIT (32u * 1024u)
/* A sector bigger than this is a broken layout, not a chip. */
#define MAX_SECTOR_SIZE (16u * 1024u * 1024u)
/* How long to wait for the device to leave the bus after leave. */
#define LEAVE_WAIT_MS 3000u

struct progress {
	dfu_progress_fn fn;
	void *user;
	struct dfu_progress p;
};

/* Reports progress; nonzero from the callback cancels. */
static int report(struct dfu_dev *dev, struct progress *pr, uint64_t done,
		  uint32_t address)
{
	if (!pr || !pr->fn)
		return DFU_OK;
	pr->p.done = done;
	pr->p.address = address;
	if (pr->fn(pr->user, &pr->p))
		return dfu_fail(dev->ctx, DFU_ERR_CANCELLED, "cancelled");
	return DFU_OK;
}

/* Starts a progress phase of total bytes. */
static void start_phase(struct progress *pr, enum dfu_phase phase, uint64_t total)
{
	if (!pr)
		return;
	pr->p.phase = phase;
	pr->p.total = total;
	pr->p.done = 0;
}

/* Downloads len bytes at address: one SET_ADDRESS, then blocks 2, 3, ...
 * (AN3156 6.2), each followed by GETSTATUS polling. *done counts bytes for
 * progress. */
static int write_run(struct dfu_dev *dev, uint32_t address, const uint8_t *data,
		     size_t len, struct progress *pr, uint64_t *done)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint16_t block = DFUSE_FIRST_BLOCK;
	uint32_t base = address;
	size_t off = 0;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "write at 0x%08X", (unsigned)address);
	err = dfuse_set_address(dev, base);
	if (err)
		return dfu_fail_during(dev->ctx, err, what);
	while (off < len) {
		uint16_t n = (uint16_t)(len - off < xfer ? len - off : xfer);

		snprintf(what, sizeof(what), "write at 0x%08X", (unsigned)(address + off));
		if (block == 0xFFFF) {
			/* wValue is 16 bits: start a new run. */
			base = address + (uint32_t)off;
			block = DFUSE_FIRST_BLOCK;
			err = dfuse_set_address(dev, base);
			if (err)
				return dfu_fail_during(dev->ctx, err, what);
		}
		err = dfu_dnload(dev, block, data + off, n);
		if (err)
			return dfu_fail_during(dev->ctx, err, what);
		err = dfu_poll_done(dev, what, NULL);
		if (err)
			return err;
		off += n;
		block++;
		*done += n;
		err = report(dev, pr, *done, address + (uint32_t)off);
		if (err)
			return err;
	}
	return DFU_OK;
}

/* Uploads len bytes from address: SET_ADDRESS, ABORT to dfuIDLE, then
 * UPLOAD blocks 2, 3, ... (AN3156 6.6), and ABORT again at the end. verb
 * names the phase in error details ("read", "verify"). */
static int read_run(struct dfu_dev *dev, const char *verb, uint32_t address, uint8_t *buf,
		    size_t len, struct progress *pr, uint64_t *done)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint16_t block = DFUSE_FIRST_BLOCK;
	size_t off = 0;
	char what[64];
	int err, n;

	while (off < len) {
		uint16_t want = (uint16_t)(len - off < xfer ? len - off : xfer);

		snprintf(what, sizeof(what), "%s at 0x%08X", verb, (unsigned)(address + off));
		if (off == 0 || block == 0xFFFF) {
			err = dfuse_set_address(dev, address + (uint32_t)off);
			if (!err)
				err = dfu_abort(dev);
			if (err)
				return dfu_fail_during(dev->ctx, err, what);
			block = DFUSE_FIRST_BLOCK;
		}
		n = dfu_upload(dev, block, buf + off, want);
		if (n == DFU_ERR_STALL) {
			struct dfu_status st;
			char why[256];

			/* A stalled upload usually means dfuERROR: say which.
			 * Only after a stall: a device that is gone or silent
			 * would cost another failure (and a timeout) here. */
			snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
			if (dfu_get_status(dev, &st) == DFU_OK && st.state == DFU_STATE_ERROR)
				return dfu_status_error(dev, &st, what);
			return dfu_fail(dev->ctx, n, "%s: %s", what, why);
		}
		if (n < 0)
			return dfu_fail_during(dev->ctx, n, what);
		if (n != want)
			return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL,
					"%s returned %d of %u bytes", what, n, want);
		off += (size_t)n;
		block++;
		*done += (uint64_t)n;
		err = report(dev, pr, *done, address + (uint32_t)off);
		if (err)
			return err;
	}
	return dfu_abort(dev);
}

/* Selects the alt the options name (or keeps the selection) and brings the
 * device to dfuIDLE, noting a dfuERROR it was found in. */
static int prepare(struct dfu_dev *dev, const char *alt, struct dfu_flash_result *res)
{
	struct dfu_status found;
	int err;

	if (alt || dev->cur_alt < 0) {
		err = dfu_dev_select_alt(dev, alt);
		if (err)
			return err;
	}
	err = dfu_make_idle(dev, &found);
	if (err)
		return err;
	if (found.state == DFU_STATE_ERROR && res) {
		res->found_error = true;
		res->found_status = found.status;
	}
	return DFU_OK;
}

/* The selected alt's layout, or UNSUPPORTED for a plain DFU device. */
static int need_layout(struct dfu_dev *dev, const struct dfu_layout **out)
{
	const struct dfu_layout *lay = dfu_dev_layout(dev);
	const struct dfu_alt_info *a = dfu_dev_alt(dev);

	if (!dev->info.dfuse || !lay)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"alternate setting %u (\"%s\") has no DfuSe memory layout",
				a ? a->alt : 0, a ? a->name : "");
	*out = lay;
	return DFU_OK;
}

/* Reads memory of the selected alt (DfuSe) or the upload (plain DFU). */
int dfu_read(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len,
	     dfu_progress_fn progress, void *progress_user)
{
	struct progress pr = { progress, progress_user, { 0 } };
	const struct dfu_layout *lay;
	uint64_t done = 0;
	int err;

	err = prepare(dev, NULL, NULL);
	if (err)
		return err;
	start_phase(&pr, DFU_PHASE_READ, len);
	if (!dev->info.dfuse) {
		/* Plain DFU 1.1 upload (section 6.2): blocks from 0 until a
		 * short one; address does not exist there. */
		uint16_t xfer = dfu_dev_transfer_size(dev), block = 0;
		size_t off = 0;

		while (off < len) {
			uint16_t want = (uint16_t)(len - off < xfer ? len - off : xfer);
			int n = dfu_upload(dev, block++, buf + off, want);

			if (n < 0)
				return n;
			off += (size_t)n;
			if (n < want)
				break;
			err = report(dev, &pr, off, (uint32_t)off);
			if (err)
				return err;
		}
		if (off < len)
			return dfu_fail(dev->ctx, DFU_ERR_RANGE,
					"the device has only %zu bytes to upload", off);
		return dfu_abort(dev);
	}
	err = need_layout(dev, &lay);
	if (err)
		return err;
	if (len && (!dfu_layout_find(lay, address) ||
		    !dfu_layout_find(lay, (uint32_t)(address + len - 1)) ||
		    (uint64_t)address + len > (uint64_t)UINT32_MAX + 1))
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"0x%08X+%zu is outside \"%s\"", (unsigned)address, len, lay->name);
	err = report(dev, &pr, 0, address);
	if (!err)
		err = read_run(dev, "read", address, buf, len, &pr, &done);
	return err;
}

/* Compares want with what the device holds at address. */
static int compare(struct dfu_dev *dev, uint32_t address, const uint8_t *want,
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

/* Reads back every segment of the image and compares. */
int dfu_verify(struct dfu_dev *dev, const struct dfu_image *img,
	       dfu_progress_fn progress, void *progress_user)
{
	struct progress pr = { progress, progress_user, { 0 } };
	struct dfu_target_info ti;
	size_t i, nseg;
	uint64_t done = 0;
	uint8_t *buf = NULL;
	int err;

	err = prepare(dev, NULL, NULL);
	if (err)
		return err;
	err = dfu_image_target(img, 0, &ti);
	if (err)
		return dfu_fail(dev->ctx, err, "the image is empty");
	if (dev->info.dfuse) {
		const struct dfu_layout *lay;

		err = need_layout(dev, &lay);
		if (err)
			return err;
	}
	start_phase(&pr, DFU_PHASE_VERIFY, ti.total_size);
	nseg = dfu_image_segment_count(img, 0);
	for (i = 0; i < nseg && !err; i++) {
		struct dfu_segment seg;

		err = dfu_image_segment(img, 0, i, &seg);
		if (err)
			break;
		free(buf);
		buf = malloc(seg.size ? seg.size : 1);
		if (!buf) {
			err = dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
			break;
		}
		if (dev->info.dfuse) {
			err = read_run(dev, "verify", seg.address, buf, seg.size, &pr, &done);
		} else {
			err = dfu_read(dev, 0, buf, seg.size, NULL, NULL);
			done += seg.size;
		}
		if (!err)
			err = compare(dev, dev->info.dfuse ? seg.address : 0, seg.data, buf,
				      seg.size);
	}
	free(buf);
	return err;
}

/* A run of consecutive sectors the plan writes, with the bytes they will
 * hold afterwards. */
struct group {
	uint32_t address;
	uint32_t size;
	uint8_t *data;
};

struct job {
	struct group *groups;
	size_t ngroups;
};

/* Frees the groups. */
static void job_free(struct job *job)
{
	size_t i;

	for (i = 0; i < job->ngroups; i++)
		free(job->groups[i].data);
	free(job->groups);
	job->groups = NULL;
	job->ngroups = 0;
}

/* Whether the plan writes into this sector. */
static bool touches(const struct dfu_plan_entry *e)
{
	return e->action == DFU_ACTION_WRITE || e->action == DFU_ACTION_MERGE;
}

/* Makes the groups: consecutive written sectors share one buffer, filled
 * with 0xFF and then the image's bytes. */
static int build_groups(struct dfu_dev *dev, const struct dfu_plan *plan,
			const struct dfu_image *img, struct job *job)
{
	size_t i, n = dfu_plan_count(plan), nseg, s;

	job->groups = calloc(n ? n : 1, sizeof(*job->groups));
	if (!job->groups)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);
		struct group *g = job->ngroups ? &job->groups[job->ngroups - 1] : NULL;

		if (!touches(e))
			continue;
		if (e->sector.size > MAX_SECTOR_SIZE)
			return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
					"sector %u is %u bytes; that is not a real chip",
					e->sector.number, (unsigned)e->sector.size);
		if (g && (uint64_t)g->address + g->size == e->sector.address) {
			g->size += e->sector.size;
		} else {
			g = &job->groups[job->ngroups++];
			g->address = e->sector.address;
			g->size = e->sector.size;
		}
	}
	for (i = 0; i < job->ngroups; i++) {
		struct group *g = &job->groups[i];

		g->data = malloc(g->size);
		if (!g->data)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		memset(g->data, 0xFF, g->size);
	}
	/* Overlay the image (the plan checked every byte lies in a written
	 * sector, so every byte lands in a group). */
	nseg = dfu_image_segment_count(img, 0);
	for (s = 0; s < nseg; s++) {
		struct dfu_segment seg;

		if (dfu_image_segment(img, 0, s, &seg))
			continue;
		for (i = 0; i < job->ngroups; i++) {
			struct group *g = &job->groups[i];
			uint64_t lo = seg.address > g->address ? seg.address : g->address;
			uint64_t hi = (uint64_t)seg.address + seg.size;
			uint64_t ghi = (uint64_t)g->address + g->size;

			if (hi > ghi)
				hi = ghi;
			if (hi > lo)
				memcpy(g->data + (lo - g->address), seg.data + (lo - seg.address),
				       (size_t)(hi - lo));
		}
	}
	return DFU_OK;
}

/* The bytes a group of job holds for [address, address + size), or NULL
 * when no group covers the whole range. */
static uint8_t *job_bytes(const struct job *job, uint32_t address, uint32_t size)
{
	size_t j;

	for (j = 0; job && j < job->ngroups; j++) {
		const struct group *g = &job->groups[j];

		if (address >= g->address && address - g->address < g->size &&
		    (uint64_t)address + size <= (uint64_t)g->address + g->size)
			return g->data + (address - g->address);
	}
	return NULL;
}

/* Reads the bytes of partly covered sectors that the image does not
 * replace, into the groups (before the image is laid over them again).
 * Sectors that have (an earlier job, or NULL) already holds are copied
 * from it instead: the flash may no longer hold them. */
static int read_kept(struct dfu_dev *dev, const struct dfu_plan *plan,
		     const struct dfu_image *img, struct job *job, const struct job *have,
		     struct progress *pr, struct dfu_flash_result *res)
{
	size_t i, j, n = dfu_plan_count(plan);
	uint64_t total = 0, done = 0;
	const uint8_t *old;
	uint8_t *tmp;
	int err = DFU_OK;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action == DFU_ACTION_MERGE &&
		    !job_bytes(have, e->sector.address, e->sector.size))
			total += e->sector.size;
	}
	if (total)
		start_phase(pr, DFU_PHASE_READ, total);
	for (i = 0; i < n && !err; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action != DFU_ACTION_MERGE)
			continue;
		tmp = job_bytes(job, e->sector.address, e->sector.size);
		if (!tmp)
			continue;
		old = job_bytes(have, e->sector.address, e->sector.size);
		if (old) {
			memcpy(tmp, old, e->sector.size);
			continue;
		}
		err = read_run(dev, "read", e->sector.address, tmp, e->sector.size, pr, &done);
		res->sectors_kept++;
	}
	if (err)
		return err;
	/* The image goes over what was read. */
	for (j = 0; j < job->ngroups; j++) {
		size_t s, nseg = dfu_image_segment_count(img, 0);
		struct group *g = &job->groups[j];

		for (s = 0; s < nseg; s++) {
			struct dfu_segment seg;
			uint64_t lo, hi, ghi = (uint64_t)g->address + g->size;

			if (dfu_image_segment(img, 0, s, &seg))
				continue;
			lo = seg.address > g->address ? seg.address : g->address;
			hi = (uint64_t)seg.address + seg.size;
			if (hi > ghi)
				hi = ghi;
			if (hi > lo)
				memcpy(g->data + (lo - g->address), seg.data + (lo - seg.address),
				       (size_t)(hi - lo));
		}
	}
	return DFU_OK;
}

/* Where to send the erase of a sector of the true map: the ROM turns the
 * address into a sector number by its own map, so we name the ROM sector
 * with the same number. False when the ROM has no such sector (bank 2 of a
 * dual-bank F76x). */
static bool erase_address(const struct dfu_layout *rom, const struct dfu_sector *s,
			  uint32_t *out)
{
	size_t i;

	for (i = 0; i < rom->count; i++)
		if (rom->sectors[i].number == s->number) {
			*out = rom->sectors[i].address;
			return true;
		}
	return false;
}

/* Whether every sector the plan erases can be erased on its own. */
static bool all_erasable(const struct dfu_plan *plan, const struct dfu_layout *rom)
{
	size_t i, n = dfu_plan_count(plan);
	uint32_t a;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action != DFU_ACTION_NONE && (e->sector.flags & DFU_SECTOR_ERASABLE) &&
		    !erase_address(rom, &e->sector, &a))
			return false;
	}
	return true;
}

/* Checks that the ROM erased what we asked (DESIGN.md: a ROM that erases
 * the wrong place is caught before anything is written). A wrong erase
 * leaves the whole sector as it was, so the first and the last block of the
 * sector are enough: one SET_ADDRESS, then UPLOAD blocks 2 and N (block
 * numbers address the memory directly, AN3156 6.6). */
static int check_blank(struct dfu_dev *dev, const struct dfu_sector *s, bool *dirty)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint32_t nblocks = (s->size + xfer - 1) / xfer, k;
	uint8_t buf[4096];
	char what[64];
	int err, n, i;

	snprintf(what, sizeof(what), "erase at 0x%08X: blank check", (unsigned)s->address);
	if (nblocks > 0xFFFF - DFUSE_FIRST_BLOCK)
		nblocks = 0xFFFF - DFUSE_FIRST_BLOCK;
	err = dfuse_set_address(dev, s->address);
	if (!err)
		err = dfu_abort(dev);
	for (k = 0; !err && k < 2; k++) {
		uint32_t blk = k ? nblocks - 1 : 0;
		uint16_t want = (uint16_t)(s->size - blk * xfer < xfer ? s->size - blk * xfer : xfer);

		if (k && nblocks == 1)
			break;
		n = dfu_upload(dev, (uint16_t)(DFUSE_FIRST_BLOCK + blk), buf, want);
		if (n < 0)
			return dfu_fail_during(dev->ctx, n, what);
		for (i = 0; i < n; i++)
			if (buf[i] != 0xFF) {
				*dirty = true;
				return dfu_fail(dev->ctx, DFU_ERR_DEVICE,
						"sector %u (0x%08X) is not blank after its erase "
						"(0x%02X at 0x%08X): the ROM erased another place. The "
						"device stays in DFU mode; --mass-erase avoids the ROM's "
						"sector erase", s->number, (unsigned)s->address, buf[i],
						(unsigned)(s->address + blk * xfer + (uint32_t)i));
			}
	}
	if (!err)
		err = dfu_abort(dev);
	return err ? dfu_fail_during(dev->ctx, err, what) : DFU_OK;
}

/* Erases what the plan says: a mass erase, or each sector through the
 * address the ROM maps to it, checked blank afterwards. When a sector
 * still holds data after its erase, *dirty (if given) is that sector. */
static int erase_planned(struct dfu_dev *dev, const struct dfu_plan *plan,
			 const struct dfu_layout *rom, struct progress *pr,
			 struct dfu_flash_result *res, const struct dfu_sector **dirty)
{
	bool not_blank = false;

	size_t i, n = dfu_plan_count(plan);
	uint64_t total = 0, done = 0;
	uint32_t address;
	int err;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action != DFU_ACTION_NONE && (e->sector.flags & DFU_SECTOR_ERASABLE))
			total += e->sector.size;
	}
	start_phase(pr, DFU_PHASE_ERASE, total);
	if (dfu_plan_mass_erase(plan)) {
		err = report(dev, pr, 0, 0);
		if (!err)
			err = dfuse_mass_erase(dev);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			if (dfu_plan_entry(plan, i)->sector.flags & DFU_SECTOR_ERASABLE)
				res->sectors_erased++;
		return report(dev, pr, total, 0);
	}
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action == DFU_ACTION_NONE || !(e->sector.flags & DFU_SECTOR_ERASABLE))
			continue;
		if (!erase_address(rom, &e->sector, &address))
			return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
					"sector %u cannot be erased on its own", e->sector.number);
		err = report(dev, pr, done, e->sector.address);
		if (!err)
			err = dfuse_erase_page(dev, address);
		if (!err)
			err = check_blank(dev, &e->sector, &not_blank);
		if (err) {
			if (not_blank && dirty)
				*dirty = &e->sector;
			return err;
		}
		res->sectors_erased++;
		done += e->sector.size;
	}
	return report(dev, pr, done, 0);
}

/* Everything before the first write: the groups of bytes the plan's
 * sectors will hold (the image over what is kept: copied from have where it
 * holds them, else read from the device), then the plan's erase. The normal
 * flash and the recovery from a wrong erase both run it. */
static int keep_and_erase(struct dfu_dev *dev, const struct dfu_plan *plan,
			  const struct dfu_image *img, const struct dfu_layout *rom,
			  const struct job *have, struct job *job, struct progress *pr,
			  struct dfu_flash_result *res, const struct dfu_sector **dirty)
{
	int err;

	err = build_groups(dev, plan, img, job);
	if (!err)
		err = read_kept(dev, plan, img, job, have, pr, res);
	/* Everything is known and validated: only now does anything change. */
	if (!err)
		err = erase_planned(dev, plan, rom, pr, res, dirty);
	return err;
}

/* A sector still held data after the ROM said it erased it: the ROM erased
 * another place (DESIGN.md). Recover without the user, as for bank 2 of a
 * dual-bank F76x: keep every sector (what *job holds for the sectors the
 * image touches, the rest read back), mass erase, and replace *job with
 * all of it for the caller to write and verify. What the wrong erase hit
 * outside the image was gone before we could read it and cannot be
 * restored; we cannot tell which sector it was, so the warning names that
 * loss only when a sector outside the image now reads blank (it may have
 * been one of those). */
static int recover_wrong_erase(struct dfu_dev *dev, struct dfu_plan *plan,
			       const struct dfu_image *img, const struct dfu_layout *rom,
			       const struct dfu_sector *dirty, struct job *job,
			       struct progress *pr, struct dfu_flash_result *res)
{
	struct dfu_sector bad = *dirty;
	struct job all = { NULL, 0 };
	uint64_t kept = 0;
	unsigned blank = 0;
	size_t i, k, n = dfu_plan_count(plan);
	char loss[160] = "";
	int err;

	/* The blank check left the device in dfuUPLOAD-IDLE. */
	err = dfu_abort(dev);
	if (!err) {
		dfu_plan_preserve_all(plan);
		res->sectors_erased = 0;
		err = keep_and_erase(dev, plan, img, rom, job, &all, pr, res, NULL);
	}
	if (err) {
		job_free(&all);
		return err;
	}
	for (i = 0; i < n; i++) {
		const struct dfu_sector *s = &dfu_plan_entry(plan, i)->sector;
		const uint8_t *p = job_bytes(&all, s->address, s->size);
		uint64_t used = 0;

		if (!p || job_bytes(job, s->address, s->size))
			continue;
		for (k = 0; k < s->size; k++)
			used += p[k] != 0xFF;
		kept += used;
		blank += !used;
	}
	if (blank)
		snprintf(loss, sizeof(loss), "; if the wrong erase hit one of the %u blank sector%s "
			 "outside the image, what it held is lost and cannot be restored",
			 blank, blank == 1 ? "" : "s");
	dfu_log(dev->ctx, DFU_LOG_WARNING,
		"sector %u at 0x%08X still held data after the ROM erased it: the ROM "
		"erased another place; recovered by mass erase, keeping the %llu bytes "
		"outside the image%s", bad.number, (unsigned)bad.address,
		(unsigned long long)kept, loss);
	job_free(job);
	*job = all;
	return DFU_OK;
}

/* The next span of g->data to write from *pos: starts at a non-blank byte,
 * ends after the last non-blank byte before a blank gap of WRITE_GAP_SPLIT,
 * both aligned to WRITE_ALIGN. False when nothing is left. */
static bool next_span(const struct group *g, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos, last, gap = 0;

	while (i < g->size && g->data[i] == 0xFF)
		i++;
	if (i >= g->size)
		return false;
	*start = i & ~(size_t)(WRITE_ALIGN - 1);
	last = i;
	for (; i < g->size; i++) {
		if (g->data[i] != 0xFF) {
			last = i;
			gap = 0;
		} else if (++gap >= WRITE_GAP_SPLIT) {
			break;
		}
	}
	*end = (last + WRITE_ALIGN) & ~(size_t)(WRITE_ALIGN - 1);
	if (*end > g->size)
		*end = g->size;
	*pos = *end;
	return true;
}

/* Writes every non-blank span of every group. */
static int write_groups(struct dfu_dev *dev, struct job *job, struct progress *pr,
			struct dfu_flash_result *res)
{
	uint64_t total = 0, done = 0;
	size_t i, pos, start, end;
	int err;

	for (i = 0; i < job->ngroups; i++)
		for (pos = 0; next_span(&job->groups[i], &pos, &start, &end);)
			total += end - start;
	start_phase(pr, DFU_PHASE_WRITE, total);
	err = report(dev, pr, 0, job->ngroups ? job->groups[0].address : 0);
	for (i = 0; i < job->ngroups && !err; i++) {
		struct group *g = &job->groups[i];

		for (pos = 0; !err && next_span(g, &pos, &start, &end);)
			err = write_run(dev, g->address + (uint32_t)start, g->data + start,
					end - start, pr, &done);
	}
	res->bytes_written = done;
	return err;
}

/* Reads every group back and compares it with what it should hold. */
static int verify_groups(struct dfu_dev *dev, struct job *job, struct progress *pr,
			 struct dfu_flash_result *res)
{
	uint64_t total = 0, done = 0;
	uint8_t *buf = NULL;
	size_t i;
	int err = DFU_OK;

	for (i = 0; i < job->ngroups; i++)
		total += job->groups[i].size;
	start_phase(pr, DFU_PHASE_VERIFY, total);
	err = report(dev, pr, 0, job->ngroups ? job->groups[0].address : 0);
	for (i = 0; i < job->ngroups && !err; i++) {
		struct group *g = &job->groups[i];

		free(buf);
		buf = malloc(g->size);
		if (!buf)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		err = read_run(dev, "verify", g->address, buf, g->size, pr, &done);
		if (!err)
			err = compare(dev, g->address, g->data, buf, g->size);
	}
	free(buf);
	if (!err) {
		res->verified = true;
		res->bytes_verified = done;
	}
	return err;
}

/* Plain DFU 1.1 (no DfuSe): download the target's bytes from block 0, then
 * the zero-length DNLOAD that ends the download and starts manifestation
 * (section 6.1.1, 7). A manifestation-tolerant device comes back to
 * dfuIDLE and is read back; any other waits for the reset that leaves. */
static int flash_plain(struct dfu_dev *dev, const struct dfu_image *img,
		       const struct dfu_flash_opts *opts, struct progress *pr,
		       struct dfu_flash_result *res)
{
	struct dfu_plan_opts popts = { 0 };
	struct dfu_segment seg;
	struct dfu_status st;
	uint16_t xfer = dfu_dev_transfer_size(dev), block = 0;
	size_t off = 0;
	char what[64];
	int err;

	if (dfu_image_segment_count(img, 0) != 1)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"a plain DFU device takes one piece of data; the image has %zu",
				dfu_image_segment_count(img, 0));
	popts.force = opts->force;
	popts.check_ids = true;
	popts.id_vendor = dev->info.id_vendor;
	popts.id_product = dev->info.id_product;
	err = dfu_plan_check_ids(dev->ctx, img, &popts);
	if (!err)
		err = dfu_image_segment(img, 0, 0, &seg);
	if (err)
		return err;
	start_phase(pr, DFU_PHASE_WRITE, seg.size);
	while (off < seg.size) {
		uint16_t n = (uint16_t)(seg.size - off < xfer ? seg.size - off : xfer);

		err = dfu_dnload(dev, block++, seg.data + off, n);
		if (!err) {
			snprintf(what, sizeof(what), "download block %u", block - 1);
			err = dfu_poll_done(dev, what, NULL);
		}
		if (err)
			return err;
		off += n;
		err = report(dev, pr, off, (uint32_t)off);
		if (err)
			return err;
	}
	res->bytes_written = off;
	err = dfu_dnload(dev, block, NULL, 0);
	if (!err)
		err = dfu_poll_done(dev, "manifestation", &st);
	if (err)
		return err;
	if (st.state == DFU_STATE_IDLE && !opts->no_verify &&
	    (dev->info.func.bm_attributes & DFU_ATTR_CAN_UPLOAD)) {
		uint8_t *buf = malloc(seg.size ? seg.size : 1);

		if (!buf)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		start_phase(pr, DFU_PHASE_VERIFY, seg.size);
		err = dfu_read(dev, 0, buf, seg.size, NULL, NULL);
		if (!err)
			err = compare(dev, 0, seg.data, buf, seg.size);
		free(buf);
		if (err)
			return err;
		res->verified = true;
		res->bytes_verified = seg.size;
	} else if (!opts->no_verify) {
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"not verified: this DFU 1.1 device is not manifestation-tolerant, "
			"so it cannot be read back before it resets ('dfuflash verify' "
			"after it is back in DFU mode)");
	}
	if (opts->leave)
		return dfu_leave(dev, false, 0, LEAVE_WAIT_MS, res);
	return DFU_OK;
}

/* Which alt to write: the caller's, else the one the file's (single)
 * target names (a DfuSe file says it), else the one selected. A file with
 * several targets is refused: which goes where would be a guess. */
static int image_alt(struct dfu_dev *dev, const struct dfu_image *img,
			  const struct dfu_flash_opts *opts, char *buf, size_t cap,
			  const char **out)
{
	struct dfu_target_info ti;
	int err;

	if (dfu_image_target_count(img) > 1)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"the file has %zu targets; dfuflash writes files with one",
				dfu_image_target_count(img));
	*out = opts->alt;
	if (opts->alt)
		return DFU_OK;
	err = dfu_image_target(img, 0, &ti);
	if (err)
		return dfu_fail(dev->ctx, err, "the image has no target");
	if (ti.alt != 0 || dev->cur_alt < 0) {
		snprintf(buf, cap, "%u", ti.alt);
		*out = buf;
	}
	return DFU_OK;
}

/* Plans the flash of img on the selected alt: the true sector map, the
 * plan (validated), write protection, and the mass-erase fallback for
 * sectors the ROM cannot erase one by one. *rom_out is the ROM's layout. */
static int make_plan(struct dfu_dev *dev, const struct dfu_image *img,
		     const struct dfu_flash_opts *opts, const struct dfu_layout **rom_out,
		     struct dfu_plan **out)
{
	struct dfu_plan_opts popts = { 0 };
	const struct dfu_layout *rom;
	struct dfu_layout *true_lay = NULL;
	struct dfu_plan *plan = NULL;
	int err;

	err = need_layout(dev, &rom);
	if (!err)
		err = dfu_chip_true_layout(dev, rom, &true_lay);
	if (err)
		return err;
	popts.mass_erase = opts->mass_erase;
	popts.force = opts->force;
	popts.check_ids = true;
	popts.id_vendor = dev->info.id_vendor;
	popts.id_product = dev->info.id_product;
	err = dfu_plan_new(dev->ctx, img, 0, true_lay ? true_lay : rom, &popts, &plan);
	dfu_layout_free(true_lay);
	if (!err)
		err = dfu_chip_check_protection(dev, plan);
	if (err) {
		dfu_plan_free(plan);
		return err;
	}
	if (!opts->mass_erase && !all_erasable(plan, rom)) {
		/* Bank 2 of a dual-bank F76x: the ROM maps every erase address
		 * into bank 1. Keep every byte and mass erase instead. */
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"the ROM cannot erase these sectors one by one (dual-bank mode): "
			"reading the whole flash, mass erasing, and writing it back with "
			"the image");
		dfu_plan_preserve_all(plan);
	}
	*rom_out = rom;
	*out = plan;
	return DFU_OK;
}

/* The plan dfu_flash() would run, with nothing changed. */
int dfu_dev_plan(struct dfu_dev *dev, const struct dfu_image *img,
		 const struct dfu_flash_opts *opts, struct dfu_plan **out)
{
	static const struct dfu_flash_opts defaults;
	const struct dfu_layout *rom;
	const char *alt = NULL;
	char altbuf[8];
	int err;

	if (!dev || !img || !out)
		return DFU_ERR_INVALID_ARG;
	if (!opts)
		opts = &defaults;
	if (!dfu_image_target_count(img))
		return dfu_fail(dev->ctx, DFU_ERR_FORMAT, "the image holds no data");
	err = image_alt(dev, img, opts, altbuf, sizeof(altbuf), &alt);
	if (!err)
		err = prepare(dev, alt, NULL);
	if (!err)
		err = make_plan(dev, img, opts, &rom, out);
	return err;
}

/* Plans, keeps, erases, writes, verifies and leaves, in that order. */
int dfu_flash(struct dfu_dev *dev, const struct dfu_image *img,
	      const struct dfu_flash_opts *opts, struct dfu_flash_result *out)
{
	static const struct dfu_flash_opts defaults;
	struct dfu_flash_result res = { 0 };
	struct progress pr = { NULL, NULL, { 0 } };
	struct dfu_plan *plan = NULL;
	struct job job = { NULL, 0 };
	const struct dfu_layout *rom = NULL;
	const struct dfu_sector *dirty = NULL;
	const char *alt = NULL;
	char altbuf[8];
	int err;

	if (!dev || !img)
		return DFU_ERR_INVALID_ARG;
	if (!opts)
		opts = &defaults;
	pr.fn = opts->progress;
	pr.user = opts->progress_user;
	if (!dfu_image_target_count(img))
		return dfu_fail(dev->ctx, DFU_ERR_FORMAT, "the image holds no data");
	err = image_alt(dev, img, opts, altbuf, sizeof(altbuf), &alt);
	if (!err)
		err = prepare(dev, alt, &res);
	if (err)
		goto out;
	if (!dev->info.dfuse) {
		err = flash_plain(dev, img, opts, &pr, &res);
		goto out;
	}
	err = make_plan(dev, img, opts, &rom, &plan);
	if (!err)
		err = keep_and_erase(dev, plan, img, rom, NULL, &job, &pr, &res, &dirty);
	if (err && dirty)
		err = recover_wrong_erase(dev, plan, img, rom, dirty, &job, &pr, &res);
	if (!err)
		err = write_groups(dev, &job, &pr, &res);
	if (!err && !opts->no_verify) {
		err = verify_groups(dev, &job, &pr, &res);
		if (err == DFU_ERR_VERIFY) {
			char why[256];

			snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
			dfu_fail(dev->ctx, err, "%s; the device stays in DFU mode", why);
		}
	}
	/* The ROM starts the firmware at its address pointer, which our reads
	 * moved: point it at the start of flash (or where the caller says),
	 * as dfu-util's :leave does. */
	if (!err && opts->leave)
		err = dfu_leave(dev, true, opts->has_leave_address ? opts->leave_address :
					       rom->sectors[0].address, LEAVE_WAIT_MS, &res);
out:
	job_free(&job);
	dfu_plan_free(plan);
	if (out)
		*out = res;
	return err;
}

/* Erases sectors first..last of the selected alt's layout. */
int dfu_erase_sectors(struct dfu_dev *dev, unsigned first, unsigned last,
		      dfu_progress_fn progress, void *progress_user)
{
	struct progress pr = { progress, progress_user, { 0 } };
	const struct dfu_layout *lay;
	uint64_t total = 0, done = 0;
	size_t i;
	int err;

	err = prepare(dev, NULL, NULL);
	if (!err)
		err = need_layout(dev, &lay);
	if (err)
		return err;
	if (first > last)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG, "sector range %u-%u is backwards",
				first, last);
	for (i = 0; i < lay->count; i++) {
		const struct dfu_sector *s = &lay->sectors[i];

		if (s->number >= first && s->number <= last) {
			if (!(s->flags & DFU_SECTOR_ERASABLE))
				return dfu_fail(dev->ctx, DFU_ERR_RANGE,
						"sector %u is not erasable", s->number);
			total += s->size;
		}
	}
	if (!total || !lay->count || last > lay->sectors[lay->count - 1].number)
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"no sectors %u-%u in \"%s\" (it has 0-%u)", first, last,
				lay->name, lay->count ? lay->sectors[lay->count - 1].number : 0);
	start_phase(&pr, DFU_PHASE_ERASE, total);
	for (i = 0; i < lay->count; i++) {
		const struct dfu_sector *s = &lay->sectors[i];

		if (s->number < first || s->number > last)
			continue;
		err = report(dev, &pr, done, s->address);
		if (!err)
			err = dfuse_erase_page(dev, s->address);
		if (err)
			return err;
		done += s->size;
	}
	return report(dev, &pr, done, 0);
}

/* Erases the sectors [address, address + len) touches. */
int dfu_erase_range(struct dfu_dev *dev, uint32_t address, uint32_t len,
		    dfu_progress_fn progress, void *progress_user)
{
	const struct dfu_layout *lay;
	const struct dfu_sector *a, *b;
	int err;

	err = prepare(dev, NULL, NULL);
	if (!err)
		err = need_layout(dev, &lay);
	if (err)
		return err;
	if (!len)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG, "an empty range erases nothing");
	a = dfu_layout_find(lay, address);
	b = (uint64_t)address + len - 1 <= UINT32_MAX ?
		dfu_layout_find(lay, (uint32_t)(address + len - 1)) : NULL;
	if (!a || !b)
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"0x%08X+0x%X is outside \"%s\"", (unsigned)address,
				(unsigned)len, lay->name);
	return dfu_erase_sectors(dev, a->number, b->number, progress, progress_user);
}
