/*
 * erase.c - erasing, as an engine job like any other: what is to be
 * erased becomes an image of 0xFF bytes, so `erase --range A:LEN` leaves
 * exactly those bytes blank and every other byte as it was (partly
 * covered sectors are kept, journaled and written back), sectors are
 * named in the chip's own numbering in its current bank mode, and every
 * erased byte is read back blank before the job says it is done.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sector numbers of map as "0-11, 12-23", into buf. */
static void list_numbers(const struct dfu_layout *map, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < map->count && used + 1 < cap; i++) {
		unsigned first = map->sectors[i].number;
		int w;

		while (i + 1 < map->count && map->sectors[i + 1].number == map->sectors[i].number + 1)
			i++;
		if (first == map->sectors[i].number)
			w = snprintf(buf + used, cap - used, "%s%u", used ? ", " : "", first);
		else
			w = snprintf(buf + used, cap - used, "%s%u-%u", used ? ", " : "", first,
				     map->sectors[i].number);
		if (w < 0)
			break;
		used += (size_t)w;
		if (used >= cap)
			used = cap - 1;
	}
}

/* The sector numbered n in map, or NULL. */
static const struct dfu_sector *numbered(const struct dfu_layout *map, unsigned n)
{
	size_t i;

	for (i = 0; i < map->count; i++)
		if (map->sectors[i].number == n)
			return &map->sectors[i];
	return NULL;
}

/* Adds len bytes of 0xFF at address to target 0 of img. */
static int add_blank(struct dfu_dev *dev, struct dfu_image *img, uint32_t address,
		     uint32_t len)
{
	uint8_t *ff = malloc(len ? len : 1);
	int err;

	if (!ff)
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	memset(ff, 0xFF, len);
	err = dfu_image_add_data(dev->ctx, img, 0, address, ff, len);
	free(ff);
	return err;
}

/* The image of 0xFF bytes that spec asks for, on map. */
static int erase_image(struct dfu_dev *dev, const struct dfu_layout *map,
		       const struct dfu_erase_spec *spec, struct dfu_image **out)
{
	struct dfu_image *img = NULL;
	char valid[160];
	size_t i, t;
	unsigned n;
	int err;

	if (!spec->mass && !spec->sector_count && !spec->range_count)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG, "nothing to erase was named");
	err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, 0, "", &t);
	for (i = 0; !err && spec->mass && i < map->count; i++)
		err = add_blank(dev, img, map->sectors[i].address, map->sectors[i].size);
	for (i = 0; !err && i < spec->sector_count; i++) {
		unsigned first = spec->sector_first[i], last = spec->sector_last[i];

		if (first > last) {
			err = dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG,
				       "sector range %u-%u is backwards", first, last);
			break;
		}
		for (n = first; !err; n++) {
			const struct dfu_sector *s = numbered(map, n);

			if (!s || !(s->flags & DFU_SECTOR_ERASABLE)) {
				list_numbers(map, valid, sizeof(valid));
				err = dfu_fail(dev->ctx, DFU_ERR_RANGE,
					       "sector %u %s on this %s%s; its sectors are %s", n,
					       s ? "cannot be erased" : "does not exist",
					       dev->probe.chip.name,
					       dev->probe.dual_bank ? " in dual-bank mode" : "",
					       valid);
				break;
			}
			err = add_blank(dev, img, s->address, s->size);
			if (n == last)
				break;
		}
	}
	for (i = 0; !err && i < spec->range_count; i++) {
		uint32_t a = spec->range_address[i], len = spec->range_len[i];

		if (!len)
			err = dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG,
				       "an empty range at 0x%08X erases nothing", (unsigned)a);
		else if ((uint64_t)a + len > (uint64_t)UINT32_MAX + 1 ||
			 !dfu_layout_find(map, a) || !dfu_layout_find(map, a + len - 1))
			err = dfu_fail(dev->ctx, DFU_ERR_RANGE,
				       "0x%08X+0x%X is not inside \"%s\" (0x%08X-0x%08X)",
				       (unsigned)a, (unsigned)len, map->name,
				       (unsigned)map->sectors[0].address,
				       (unsigned)(map->sectors[map->count - 1].address +
						  map->sectors[map->count - 1].size - 1));
		else
			err = add_blank(dev, img, a, len);
	}
	if (err) {
		dfu_image_free(img);
		return err;
	}
	*out = img;
	return DFU_OK;
}

/* Brings the device up and builds the erase image and job options. */
static int prepare(struct dfu_dev *dev, const struct dfu_erase_spec *spec,
		   struct dfu_flash_result *res, struct dfu_image **img,
		   struct dfu_job_opts *jo)
{
	const struct dfu_layout *map;
	int err;

	if (!dev || !spec)
		return DFU_ERR_INVALID_ARG;
	err = dfu_engine_begin(dev, NULL, spec->progress, spec->progress_user, res);
	if (!err)
		err = dfu_engine_map(dev, &map);
	if (!err)
		err = erase_image(dev, map, spec, img);
	if (err)
		return err;
	memset(jo, 0, sizeof(*jo));
	jo->plan.mass_erase = spec->mass;
	jo->no_verify = spec->no_verify;
	jo->what = spec->mass ? "mass erase" : "erase";
	jo->progress = spec->progress;
	jo->progress_user = spec->progress_user;
	return DFU_OK;
}

/* See dfuflash.h. */
int dfu_erase_plan(struct dfu_dev *dev, const struct dfu_erase_spec *spec,
		   struct dfu_plan **out)
{
	struct dfu_image *img = NULL;
	struct dfu_job_opts jo;
	int err;

	if (!out)
		return DFU_ERR_INVALID_ARG;
	err = prepare(dev, spec, NULL, &img, &jo);
	if (!err)
		err = dfu_engine_plan(dev, img, &jo.plan, out);
	dfu_image_free(img);
	return err;
}

/* See dfuflash.h. */
int dfu_erase(struct dfu_dev *dev, const struct dfu_erase_spec *spec,
	      struct dfu_flash_result *out)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_image *img = NULL;
	struct dfu_job_opts jo;
	int err;

	err = prepare(dev, spec, &res, &img, &jo);
	if (!err)
		err = dfu_engine_run(dev, img, &jo, &res);
	dfu_image_free(img);
	if (out)
		*out = res;
	return err;
}

/* Erases sectors first..last (the chip's numbering in its current mode). */
int dfu_erase_sectors(struct dfu_dev *dev, unsigned first, unsigned last,
		      dfu_progress_fn progress, void *progress_user)
{
	struct dfu_erase_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.sector_count = 1;
	spec.sector_first = &first;
	spec.sector_last = &last;
	spec.progress = progress;
	spec.progress_user = progress_user;
	return dfu_erase(dev, &spec, NULL);
}

/* Makes exactly [address, address + len) blank. */
int dfu_erase_range(struct dfu_dev *dev, uint32_t address, uint32_t len,
		    dfu_progress_fn progress, void *progress_user)
{
	struct dfu_erase_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.range_count = 1;
	spec.range_address = &address;
	spec.range_len = &len;
	spec.progress = progress;
	spec.progress_user = progress_user;
	return dfu_erase(dev, &spec, NULL);
}
