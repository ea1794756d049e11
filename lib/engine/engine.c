/*
 * engine.c - the one engine: a job is "target 0 of this image must be in
 * flash afterwards, every other byte as it was". Every command that
 * changes flash (flash, erase in all its forms, the dfu-util forms) runs
 * a job here, in this order:
 *
 *   plan on the true map -> keep (read what partly covered sectors hold)
 *   -> journal (kept bytes on disk) -> erase -> check blank -> recover if
 *   the ROM erased the wrong place -> write -> verify -> drop the journal
 *
 * Nothing is erased before the plan is validated and the journal is on
 * disk; nothing is reported done that was not (DESIGN.md, Flashing
 * semantics). The plan is built once; the groups (every byte the erased
 * sectors will hold) are built once from it and the image, and the engine
 * never walks the image again.
 */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* See engine.h. */
void dfu_job_free(struct dfu_job *job)
{
	size_t i;

	for (i = 0; i < job->ngroups; i++)
		free(job->groups[i].data);
	free(job->groups);
	job->groups = NULL;
	job->ngroups = 0;
}

/* See engine.h. */
uint8_t *dfu_job_bytes(const struct dfu_job *job, uint32_t address, uint32_t size)
{
	size_t j;

	for (j = 0; job && j < job->ngroups; j++) {
		const struct dfu_group *g = &job->groups[j];

		if (address >= g->address && address - g->address < g->size &&
		    (uint64_t)address + size <= (uint64_t)g->address + g->size)
			return g->data + (address - g->address);
	}
	return NULL;
}

/* Whether the plan erases and writes this sector. */
bool dfu_run_touches(const struct dfu_plan_entry *e)
{
	return e && e->action != DFU_ACTION_NONE;
}

/* See run.h. */
void dfu_run_overlay(struct dfu_job *job, const struct dfu_image *img, uint64_t lo_limit,
		     uint64_t hi_limit)
{
	size_t s, i, nseg = dfu_image_segment_count(img, 0);

	for (s = 0; s < nseg; s++) {
		struct dfu_segment seg;

		if (dfu_image_segment(img, 0, s, &seg))
			continue;
		for (i = 0; i < job->ngroups; i++) {
			struct dfu_group *g = &job->groups[i];
			uint64_t lo = seg.address > g->address ? seg.address : g->address;
			uint64_t hi = (uint64_t)seg.address + seg.size;
			uint64_t ghi = (uint64_t)g->address + g->size;

			if (hi > ghi)
				hi = ghi;
			if (lo < lo_limit)
				lo = lo_limit;
			if (hi > hi_limit)
				hi = hi_limit;
			if (hi > lo)
				memcpy(g->data + (lo - g->address), seg.data + (lo - seg.address),
				       (size_t)(hi - lo));
		}
	}
}

/* Makes the groups: consecutive touched sectors share one buffer, 0xFF,
 * then the image. */
static int build_groups(struct dfu_dev *dev, const struct dfu_plan *plan,
			const struct dfu_image *img, struct dfu_job *job)
{
	size_t i, n = dfu_plan_count(plan);

	job->groups = calloc(n ? n : 1, sizeof(*job->groups));
	if (!job->groups)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);
		struct dfu_group *g = job->ngroups ? &job->groups[job->ngroups - 1] : NULL;

		if (!dfu_run_touches(e))
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
		struct dfu_group *g = &job->groups[i];

		g->data = malloc(g->size);
		if (!g->data)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		memset(g->data, 0xFF, g->size);
	}
	dfu_run_overlay(job, img, 0, UINT64_MAX);
	return DFU_OK;
}

/* Reads what MERGE sectors hold into the groups (copied from have where
 * an earlier job of this run already holds it: the flash may not any
 * more), then lays the image over it again. */
static int read_kept(struct dfu_dev *dev, const struct dfu_plan *plan,
		     const struct dfu_image *img, struct dfu_job *job, const struct dfu_job *have,
		     struct dfu_mem_progress *pr, struct dfu_flash_result *res)
{
	size_t i, n = dfu_plan_count(plan);
	uint64_t total = 0;
	int err = DFU_OK;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (e->action == DFU_ACTION_MERGE &&
		    !dfu_job_bytes(have, e->sector.address, e->sector.size))
			total += e->sector.size;
	}
	if (total)
		dfu_mem_phase(pr, DFU_PHASE_READ, total);
	for (i = 0; i < n && !err; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);
		const uint8_t *old;
		uint8_t *to;

		if (e->action != DFU_ACTION_MERGE)
			continue;
		to = dfu_job_bytes(job, e->sector.address, e->sector.size);
		if (!to)
			continue;
		old = dfu_job_bytes(have, e->sector.address, e->sector.size);
		if (old) {
			memcpy(to, old, e->sector.size);
			continue;
		}
		err = dfu_mem_read(dev, "read", e->sector.address, to, e->sector.size, pr);
		res->sectors_kept++;
	}
	if (!err)
		dfu_run_overlay(job, img, 0, UINT64_MAX);
	return err;
}

/* Where to send the erase of a sector of the true map: the ROM turns the
 * address into a sector number by its own map, so we name the ROM sector
 * with the same number. False when the ROM has no such sector (bank 2 of
 * a dual-bank F76x). */
static bool erase_address(const struct dfu_layout *rom, const struct dfu_sector *s,
			  uint32_t *out)
{
	size_t i;

	for (i = 0; i < rom->count; i++)
		if (rom->sectors[i].number == s->number &&
		    (rom->sectors[i].flags & DFU_SECTOR_ERASABLE)) {
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

		if (dfu_run_touches(e) && (e->sector.flags & DFU_SECTOR_ERASABLE) &&
		    !erase_address(rom, &e->sector, &a))
			return false;
	}
	return true;
}

/* The first and the last transfer block of every sector in sectors[]
 * (count of them), read with one SET_ADDRESS at
 * the map's base. A wrong erase leaves a whole sector as it was (or wipes
 * a whole other one), so these samples tell both. out holds 2 * count
 * blocks of dfu_dev_transfer_size() bytes. */
static int sample_sectors(struct dfu_dev *dev, const struct dfu_layout *map,
			  const struct dfu_sector *const *sectors, size_t count, uint8_t *out)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint32_t *at = calloc(count ? 2 * count : 1, sizeof(*at));
	size_t i;
	int err;

	if (!at)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	for (i = 0; i < count; i++) {
		at[2 * i] = sectors[i]->address;
		at[2 * i + 1] = sectors[i]->address +
				((sectors[i]->size - 1) / xfer) * xfer;
	}
	err = dfu_mem_sample(dev, map->sectors[0].address, at, 2 * count, out, xfer);
	free(at);
	return err;
}

/* Whether n bytes are all 0xFF. */
bool dfu_run_blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

/* See run.h. */
uint8_t *dfu_run_mask(const struct run *r, uint32_t address)
{
	size_t j;

	for (j = 0; j < r->job.ngroups; j++) {
		const struct dfu_group *g = &r->job.groups[j];

		if (address >= g->address && address - g->address < g->size)
			return &r->mask[j][(address - g->address) / WRITE_ALIGN];
	}
	return NULL;
}

/* See run.h. */
void dfu_run_mask_erase(struct run *r, const struct dfu_sector *s)
{
	const uint8_t *want = dfu_job_bytes(&r->job, s->address, s->size);
	uint32_t c;

	for (c = 0; want && c < s->size; c += WRITE_ALIGN)
		*dfu_run_mask(r, s->address + c) = dfu_run_blank(want + c, WRITE_ALIGN) ?
						   CHUNK_BRIDGE : CHUNK_WRITE;
}

/* One write mask per group, every chunk "bridge". */
static int alloc_masks(struct run *r)
{
	size_t j;

	r->mask = calloc(r->job.ngroups ? r->job.ngroups : 1, sizeof(*r->mask));
	if (!r->mask)
		return dfu_fail(r->dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	for (j = 0; j < r->job.ngroups; j++) {
		r->mask[j] = calloc(r->job.groups[j].size / WRITE_ALIGN + 1, 1);
		if (!r->mask[j])
			return dfu_fail(r->dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	return DFU_OK;
}

static void free_masks(struct run *r)
{
	size_t j;

	for (j = 0; r->mask && j < r->job.ngroups; j++)
		free(r->mask[j]);
	free(r->mask);
	r->mask = NULL;
}

/* Whether the job must journal before it erases: a sector whose other
 * bytes it keeps is erased (or everything is, by a mass erase that keeps
 * the rest). */
static bool needs_journal(const struct run *r)
{
	size_t i, n = dfu_plan_count(r->plan);

	for (i = 0; i < n; i++)
		if (dfu_plan_entry(r->plan, i)->action == DFU_ACTION_MERGE &&
		    r->fate[i] == FATE_ERASE)
			return true;
	return false;
}

/* Whether a sector the job erases has no erase of its own at the ROM
 * (bank 2 of a dual-bank F76x): then only a mass erase will do. */
static bool needs_mass_erase(const struct run *r)
{
	size_t i, n = dfu_plan_count(r->plan);
	uint32_t a;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r->plan, i);

		if (r->fate[i] == FATE_ERASE && (e->sector.flags & DFU_SECTOR_ERASABLE) &&
		    !erase_address(r->rom, &e->sector, &a))
			return true;
	}
	return false;
}

/* Erases what the plan says: a mass erase, or each sector through the
 * address the ROM maps to it, each checked blank afterwards (its first
 * and last block). A sector that still holds data ends the erase with
 * r->dirty set. */
static int erase_planned(struct run *r)
{
	struct dfu_dev *dev = r->dev;
	size_t i, n = dfu_plan_count(r->plan);
	uint64_t total = 0;
	uint8_t sample[2 * MAX_XFER];
	size_t slen = 2 * (size_t)dfu_dev_transfer_size(dev);
	uint32_t address;
	int err;

	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r->plan, i);

		if (r->fate[i] == FATE_ERASE && (e->sector.flags & DFU_SECTOR_ERASABLE))
			total += e->sector.size;
	}
	dfu_mem_phase(&r->pr, DFU_PHASE_ERASE, total);
	err = dfu_mem_report(dev, &r->pr, 0, r->map->sectors[0].address);
	if (err)
		return err;
	if (dfu_plan_mass_erase(r->plan)) {
		struct dfu_poll_rules rules;

		/* One request of up to tens of seconds: say how long at most. */
		dfu_quirk_poll_rules(dev, DFU_POLL_MASS_ERASE, &rules);
		r->pr.p.busy_max_ms = rules.budget_ms;
		err = dfu_mem_report(dev, &r->pr, 0, r->map->sectors[0].address);
		r->pr.p.busy_max_ms = 0;
		if (err)
			return err;
		r->erasing = true;
		err = dfuse_mass_erase(dev);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			if (dfu_plan_entry(r->plan, i)->sector.flags & DFU_SECTOR_ERASABLE)
				r->res->sectors_erased++;
		r->res->bytes_erased = total;
		return dfu_mem_report(dev, &r->pr, total, r->map->sectors[0].address);
	}
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r->plan, i);
		const struct dfu_sector *s = &e->sector;

		if (r->fate[i] != FATE_ERASE || !(s->flags & DFU_SECTOR_ERASABLE))
			continue;
		if (!erase_address(r->rom, s, &address))
			return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
					"sector %u cannot be erased on its own", s->number);
		r->erasing = true;
		err = dfuse_erase_page(dev, address);
		if (!err) {
			char what[64];

			err = sample_sectors(dev, r->map, &s, 1, sample);
			snprintf(what, sizeof(what), "blank check of sector %u (0x%08X)", s->number,
				 (unsigned)s->address);
			if (err)
				err = dfu_fail_during(dev->ctx, err, what);
		}
		if (err)
			return err;
		if (!dfu_run_blank(sample, slen)) {
			r->dirty = s;
			return dfu_fail(dev->ctx, DFU_ERR_DEVICE,
					"sector %u (0x%08X) is not blank after its erase: the ROM "
					"erased another place", s->number, (unsigned)s->address);
		}
		r->res->sectors_erased++;
		r->res->bytes_erased += s->size;
		err = dfu_mem_report(dev, &r->pr, s->size, s->address);
		if (err)
			return err;
	}
	return DFU_OK;
}

static void find_losses(struct run *r, const struct dfu_job *now_job);

/* Turns the job into "keep everything, mass erase": every sector is read
 * (what the job holds already is taken from it: the flash may no longer
 * hold it), journaled, and erased by one mass erase. For sectors the ROM
 * cannot erase one by one, and after a wrong erase. */
static int go_mass(struct run *r, const struct dfu_image *img)
{
	struct dfu_dev *dev = r->dev;
	struct dfu_job all = { NULL, 0 };
	size_t i, n = dfu_plan_count(r->plan);
	int err;

	err = dfu_make_idle(dev, NULL);
	if (err)
		return err;
	dfu_plan_preserve_all(r->plan);
	err = build_groups(dev, r->plan, img, &all);
	if (!err)
		err = read_kept(dev, r->plan, img, &all, &r->job, &r->pr, r->res);
	if (!err && r->dirty)
		find_losses(r, &all);
	if (!err)
		err = dfu_journal_save(dev, &all, true, r->opts->what, r->loss);
	if (err) {
		dfu_job_free(&all);
		return err;
	}
	r->journaled = true;
	free_masks(r);
	dfu_job_free(&r->job);
	r->job = all;
	err = alloc_masks(r);
	for (i = 0; !err && i < n; i++) {
		r->fate[i] = FATE_ERASE;
		dfu_run_mask_erase(r, &dfu_plan_entry(r->plan, i)->sector);
	}
	return err;
}

/* A sector still held data after the ROM said it erased it: the ROM
 * erased another place. Recover without the user: keep every sector,
 * journal it, mass erase; the caller then writes and verifies it all. */
static int recover_wrong_erase(struct run *r, const struct dfu_image *img)
{
	int err;

	dfu_log(r->dev->ctx, DFU_LOG_WARNING,
		"sector %u at 0x%08X still held data after the ROM erased it: the ROM "
		"erased another place. Reading the rest of the flash, saving it, and "
		"mass erasing instead", r->dirty->number, (unsigned)r->dirty->address);
	err = go_mass(r, img);
	if (err)
		return err;
	r->res->sectors_erased = 0;
	r->res->bytes_erased = 0;
	return erase_planned(r);
}

/* After a wrong erase, with now holding the whole flash as read back:
 * which sectors outside the job read blank now but held data before the
 * first erase. Those the wrong erase hit before anything could keep them:
 * their bytes are lost. The sentence goes to r->loss (and into the
 * journal, so that a run that finishes this job says it too). */
static void find_losses(struct run *r, const struct dfu_job *now_job)
{
	char list[300] = "";
	size_t i, used = 0, lost = 0;
	uint64_t bytes = 0;

	for (i = 0; i < r->noutside; i++) {
		const struct dfu_sector *s = r->outside[i];
		const uint8_t *now = dfu_job_bytes(now_job, s->address, s->size);
		uint16_t xfer = dfu_dev_transfer_size(r->dev);
		const uint8_t *was = r->before + 2 * i * xfer;
		int w;

		/* The ROM erases whole sectors: one that reads blank where its
		 * samples held data before was wiped. */
		if (!now || dfu_run_blank(was, 2 * (size_t)xfer) || !dfu_run_blank(now, s->size))
			continue;
		lost++;
		bytes += s->size;
		w = snprintf(list + used, sizeof(list) - used, "%s%u (0x%08X-0x%08X)",
			     used ? ", " : "", s->number, (unsigned)s->address,
			     (unsigned)(s->address + s->size - 1));
		if (w > 0 && used + (size_t)w < sizeof(list))
			used += (size_t)w;
	}
	if (!lost)
		return;
	snprintf(r->loss, sizeof(r->loss),
		 "the ROM erased sector%s %s instead of the one it was asked to, before "
		 "anything could keep %s: %llu bytes there are lost (they read blank now and "
		 "held data before); restore them from a backup",
		 lost == 1 ? "" : "s", list, lost == 1 ? "it" : "them",
		 (unsigned long long)bytes);
}

/* What a failure after the first erase leaves behind, appended to the
 * detail so that no failure hides the state of the flash. */
static int failed_midway(struct run *r, int err)
{
	char why[900], path[700];

	if (r->loss[0])
		snprintf(why, sizeof(why), "%s; and %s", dfu_detail(r->dev->ctx), r->loss);
	else
		snprintf(why, sizeof(why), "%s", dfu_detail(r->dev->ctx));
	if (!r->erasing)
		return dfu_fail(r->dev->ctx, err, "%s; nothing was erased or written", why);
	if (r->journaled && !dfu_journal_path(r->dev, path, sizeof(path)))
		return dfu_fail(r->dev->ctx, err,
				"%s. The flash is partly erased or written; every byte the job "
				"keeps is saved in %s, and the next run on this device finishes "
				"the job from it", why, path);
	return dfu_fail(r->dev->ctx, err,
			"%s. The sectors being written are erased or partly written (nothing "
			"outside the image was erased); run the job again to finish it", why);
}

/* See engine.h. */
int dfu_engine_map(struct dfu_dev *dev, const struct dfu_layout **out)
{
	const struct dfu_layout *rom = dfu_dev_layout(dev);
	const struct dfu_alt_info *a = dfu_dev_alt(dev);

	if (!dev->info.dfuse || !rom)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"alternate setting %u (\"%s\") has no DfuSe memory layout",
				a ? a->alt : 0, a ? a->name : "");
	if (dev->cur_alt != dev->probe.flash_index) {
		*out = rom;
		return DFU_OK;
	}
	if (!dev->probe.true_map)
		return dfu_fail(dev->ctx, dev->probe.map_err ? dev->probe.map_err : DFU_ERR_DEVICE,
				"%s", dev->probe.map_why[0] ? dev->probe.map_why :
				"the sector map of this device is unknown");
	*out = dev->probe.true_map;
	return DFU_OK;
}

/* Refuses a plan that erases or writes a write-protected sector. */
static int check_protection(struct dfu_dev *dev, const struct dfu_plan *plan)
{
	size_t i, n = dfu_plan_count(plan);
	int err;

	if (dev->cur_alt != dev->probe.flash_index || dev->probe.ob_err)
		return DFU_OK;
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

		if (!dfu_run_touches(e) && !dfu_plan_mass_erase(plan))
			continue;
		err = dfu_chip_check_wrp(dev->ctx, &dev->probe.ob, dev->probe.dual_bank, &e->sector);
		if (err)
			return err;
	}
	return DFU_OK;
}

/* The plan of img on the selected alt, validated and protection
 * checked; with fallback, turned into "keep everything, mass erase" where
 * the ROM cannot erase a sector alone (what a run does when it must erase
 * such a sector, so the plan shows the worst case). */
static int plan_job(struct dfu_dev *dev, const struct dfu_image *img,
		    const struct dfu_plan_opts *opts, bool fallback, struct dfu_plan **out)
{
	const struct dfu_layout *map;
	struct dfu_plan *plan = NULL;
	int err;

	err = dfu_engine_map(dev, &map);
	if (!err)
		err = dfu_plan_new(dev->ctx, img, 0, map, opts, &plan);
	if (!err)
		err = check_protection(dev, plan);
	if (err) {
		dfu_plan_free(plan);
		return err;
	}
	if (fallback && !dfu_plan_mass_erase(plan) && !all_erasable(plan, dfu_dev_layout(dev)))
		dfu_plan_preserve_all(plan);
	*out = plan;
	return DFU_OK;
}

/* See engine.h. */
int dfu_engine_plan(struct dfu_dev *dev, const struct dfu_image *img,
		    const struct dfu_plan_opts *opts, struct dfu_plan **out)
{
	return plan_job(dev, img, opts, true, out);
}

/* See engine.h. */
int dfu_engine_run(struct dfu_dev *dev, const struct dfu_image *img,
		   const struct dfu_job_opts *opts, struct dfu_flash_result *res)
{
	struct run r;
	size_t i;
	int err;

	memset(&r, 0, sizeof(r));
	r.dev = dev;
	r.opts = opts;
	r.res = res;
	r.rom = dfu_dev_layout(dev);
	r.journaled = opts->journal_held;
	r.smart = !opts->no_smart && !opts->plan.mass_erase;
	r.pr.fn = opts->progress;
	r.pr.user = opts->progress_user;
	err = dfu_engine_map(dev, &r.map);
	/* Smart flash decides the mass-erase fallback after it has read what
	 * the sectors hold: sectors that need no erase need no mass erase. */
	if (!err)
		err = plan_job(dev, img, &opts->plan, !r.smart, &r.plan);
	if (!err)
		err = build_groups(dev, r.plan, img, &r.job);
	if (!err)
		err = alloc_masks(&r);
	if (!err)
		err = dfu_survey(&r, img);
	if (!err && !dfu_plan_mass_erase(r.plan) && needs_mass_erase(&r)) {
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"the ROM cannot erase these sectors one by one (dual-bank mode): the "
			"whole flash will be read and saved, mass erased, and written back "
			"with the image");
		err = go_mass(&r, img);
	} else if (!err && dfu_plan_mass_erase(r.plan) && !opts->plan.mass_erase) {
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"the ROM cannot erase these sectors one by one (dual-bank mode): the "
			"whole flash will be read and saved, mass erased, and written back "
			"with the image");
	}
	/* Everything is known and validated; the kept bytes go to disk, and
	 * only then does anything change. */
	if (!err && !r.journaled && needs_journal(&r)) {
		err = dfu_journal_save(dev, &r.job, dfu_plan_mass_erase(r.plan), opts->what,
				       NULL);
		r.journaled = !err;
	}
	if (!err)
		err = erase_planned(&r);
	if (err && r.dirty && err != DFU_ERR_CANCELLED)
		err = recover_wrong_erase(&r, img);
	if (!err)
		err = dfu_run_write(&r);
	if (!err && (!opts->no_verify || r.journaled))
		err = dfu_run_verify(&r);
	else if (!err)
		res->verified = false;
	if (!err && r.journaled)
		err = dfu_journal_drop(dev);
	if (err)
		err = failed_midway(&r, err);
	else if (r.loss[0])
		err = dfu_fail(dev->ctx, DFU_ERR_DEVICE, "%s. The image and everything else "
			       "are written and verified", r.loss);
	for (i = 0; i < dfu_plan_count(r.plan); i++) {
		const struct dfu_plan_entry *e = dfu_plan_entry(r.plan, i);

		if (e->action == DFU_ACTION_MERGE)
			res->bytes_kept += e->sector.size - e->image_bytes;
		if (r.fate && r.fate[i] == FATE_SKIP)
			res->sectors_skipped++;
	}
	free_masks(&r);
	dfu_job_free(&r.job);
	dfu_plan_free(r.plan);
	free(r.fate);
	free(r.outside);
	free(r.before);
	return err;
}
