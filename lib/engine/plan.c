/*
 * plan.c - from an image and a sector map to what happens to each sector.
 *
 * "Write this image; leave every other byte of flash as it was" (DESIGN.md,
 * Flashing semantics): sectors the image does not touch are left alone,
 * sectors it covers are erased and written, sectors it covers partly are
 * read, erased and written back with the image merged in. Everything is
 * validated here, before the engine erases anything.
 */
#include "engine.h"

#include <stdlib.h>

struct dfu_plan {
	struct dfu_plan_entry *entries;
	size_t count;
	bool mass_erase;
};

/* Names for the dry-run map. */
const char *dfu_action_name(enum dfu_sector_action action)
{
	switch (action) {
	case DFU_ACTION_NONE: return "keep";
	case DFU_ACTION_WRITE: return "write";
	case DFU_ACTION_MERGE: return "merge";
	case DFU_ACTION_ERASE: return "erase";
	}
	return "unknown";
}

/* Bytes of [a, a + alen) inside [b, b + blen), in 64 bits. */
static uint64_t overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	uint64_t lo = a > b ? a : b;
	uint64_t hi = a + alen < b + blen ? a + alen : b + blen;

	return hi > lo ? hi - lo : 0;
}

/* Refuses a file whose DFU suffix names another device (0xFFFF = any). */
int dfu_plan_check_ids(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_plan_opts *opts)
{
	struct dfu_image_info info;
	bool vid_ok, pid_ok;

	if (!opts->check_ids || opts->force)
		return DFU_OK;
	dfu_image_get_info(img, &info);
	if (!info.has_suffix)
		return DFU_OK;
	vid_ok = info.suffix.id_vendor == DFU_SUFFIX_ANY ||
		 info.suffix.id_vendor == opts->id_vendor;
	pid_ok = info.suffix.id_product == DFU_SUFFIX_ANY ||
		 info.suffix.id_product == opts->id_product;
	if (vid_ok && pid_ok)
		return DFU_OK;
	return dfu_fail(ctx, DFU_ERR_MISMATCH,
			"the file is made for device %04x:%04x, this one is %04x:%04x "
			"(a forced write ignores the ids)",
			info.suffix.id_vendor, info.suffix.id_product,
			opts->id_vendor, opts->id_product);
}

/* Every byte of every segment must fall in a writable sector, and the
 * image must fit in the writable memory at all. */
static int check_fits(struct dfu_ctx *ctx, const struct dfu_image *img, size_t target,
		      const struct dfu_layout *layout)
{
	struct dfu_target_info ti;
	uint64_t writable = 0;
	uint32_t lo = 0, hi = 0;
	size_t i, nseg;
	int err;

	for (i = 0; i < layout->count; i++) {
		const struct dfu_sector *s = &layout->sectors[i];

		if (s->flags & DFU_SECTOR_WRITABLE)
			writable += s->size;
	}
	if (layout->count) {
		lo = layout->sectors[0].address;
		hi = layout->sectors[layout->count - 1].address +
		     layout->sectors[layout->count - 1].size - 1;
	}
	err = dfu_image_target(img, target, &ti);
	if (err)
		return dfu_fail(ctx, err, "the image has no target %zu", target);
	if (ti.total_size > writable)
		return dfu_fail(ctx, DFU_ERR_RANGE,
				"the image holds %llu bytes, more than the %llu bytes of "
				"writable memory in \"%s\" (0x%08X-0x%08X)",
				(unsigned long long)ti.total_size,
				(unsigned long long)writable, layout->name,
				(unsigned)lo, (unsigned)hi);
	nseg = dfu_image_segment_count(img, target);
	for (i = 0; i < nseg; i++) {
		struct dfu_segment seg;
		uint64_t a, end;

		err = dfu_image_segment(img, target, i, &seg);
		if (err)
			return dfu_fail(ctx, err, "cannot read image segment %zu", i);
		a = seg.address;
		end = (uint64_t)seg.address + seg.size;
		while (a < end) {
			const struct dfu_sector *s = dfu_layout_find(layout, (uint32_t)a);

			if (!s)
				return dfu_fail(ctx, DFU_ERR_RANGE,
						"the image has data at 0x%08llX, outside \"%s\" "
						"(0x%08X-0x%08X)",
						(unsigned long long)a, layout->name,
						(unsigned)lo, (unsigned)hi);
			if (!(s->flags & DFU_SECTOR_WRITABLE))
				return dfu_fail(ctx, DFU_ERR_RANGE,
						"the image has data at 0x%08llX, in sector %u "
						"which is not writable",
						(unsigned long long)a, s->number);
			a = (uint64_t)s->address + s->size;
		}
	}
	return DFU_OK;
}

/* Validates the image against the layout, then decides each sector's fate. */
int dfu_plan_new(struct dfu_ctx *ctx, const struct dfu_image *img, size_t target,
		 const struct dfu_layout *layout, const struct dfu_plan_opts *opts,
		 struct dfu_plan **out)
{
	static const struct dfu_plan_opts no_opts;
	struct dfu_plan *plan;
	size_t i, j, nseg;
	int err;

	if (!img || !layout || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "plan: no image or layout");
	if (!opts)
		opts = &no_opts;
	if (target >= dfu_image_target_count(img))
		return dfu_fail(ctx, DFU_ERR_NOT_FOUND, "the image has no target %zu", target);
	err = dfu_plan_check_ids(ctx, img, opts);
	if (err)
		return err;
	err = check_fits(ctx, img, target, layout);
	if (err)
		return err;
	{
		struct dfu_target_info ti;

		if (dfu_image_target(img, target, &ti) || !ti.total_size)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "the image holds no data: nothing to "
					"write, nothing was changed");
	}

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	plan->entries = calloc(layout->count ? layout->count : 1, sizeof(*plan->entries));
	if (!plan->entries) {
		free(plan);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	plan->count = layout->count;
	plan->mass_erase = opts->mass_erase;
	nseg = dfu_image_segment_count(img, target);
	for (i = 0; i < layout->count; i++) {
		struct dfu_plan_entry *e = &plan->entries[i];
		uint64_t covered = 0;

		e->sector = layout->sectors[i];
		for (j = 0; j < nseg; j++) {
			struct dfu_segment seg;

			if (dfu_image_segment(img, target, j, &seg) == DFU_OK)
				covered += overlap(seg.address, seg.size, e->sector.address,
						   e->sector.size);
		}
		e->image_bytes = (uint32_t)covered;
		if (opts->mass_erase)
			e->action = covered ? DFU_ACTION_WRITE : DFU_ACTION_ERASE;
		else if (!covered)
			e->action = DFU_ACTION_NONE;
		else if (covered == e->sector.size ||
			 !(e->sector.flags & DFU_SECTOR_ERASABLE))
			e->action = DFU_ACTION_WRITE;
		else
			e->action = DFU_ACTION_MERGE;
	}
	*out = plan;
	return DFU_OK;
}

/* Frees a plan; NULL is fine. */
void dfu_plan_free(struct dfu_plan *plan)
{
	if (!plan)
		return;
	free(plan->entries);
	free(plan);
}

/* The number of entries: one per sector of the layout. */
size_t dfu_plan_count(const struct dfu_plan *plan)
{
	return plan ? plan->count : 0;
}

/* Entry i, or NULL past the end. */
const struct dfu_plan_entry *dfu_plan_entry(const struct dfu_plan *plan, size_t i)
{
	if (!plan || i >= plan->count)
		return NULL;
	return &plan->entries[i];
}

/* Whether the plan starts with a mass erase. */
bool dfu_plan_mass_erase(const struct dfu_plan *plan)
{
	return plan && plan->mass_erase;
}

/* Turns the plan into "mass erase, keep everything". */
void dfu_plan_preserve_all(struct dfu_plan *plan)
{
	size_t i;

	plan->mass_erase = true;
	for (i = 0; i < plan->count; i++)
		if (plan->entries[i].action == DFU_ACTION_NONE ||
		    plan->entries[i].action == DFU_ACTION_ERASE)
			plan->entries[i].action = DFU_ACTION_MERGE;
}
