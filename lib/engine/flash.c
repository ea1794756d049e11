/*
 * flash.c - dfu_flash(): a firmware image onto a device, as one engine
 * job (engine.c), then leave; and dfu_dev_plan(), the same job's plan
 * without changing anything. Plain DFU 1.1 devices go through plain.c.
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

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
				"the file has %zu targets; one can be written at a time",
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

/* An image with no byte in it is a mistake, never a job. */
static int check_not_empty(struct dfu_dev *dev, const struct dfu_image *img)
{
	struct dfu_target_info ti;

	if (!dfu_image_target_count(img) || dfu_image_target(img, 0, &ti) || !ti.total_size)
		return dfu_fail(dev->ctx, DFU_ERR_FORMAT,
				"the image holds no data: nothing to write, nothing was changed");
	return DFU_OK;
}

/* The plan options of a flash job on dev. */
static void plan_opts(const struct dfu_dev *dev, const struct dfu_flash_opts *opts,
		      struct dfu_plan_opts *out)
{
	memset(out, 0, sizeof(*out));
	out->mass_erase = opts->mass_erase;
	out->force = opts->force;
	out->check_ids = true;
	out->id_vendor = dev->info.id_vendor;
	out->id_product = dev->info.id_product;
}

/* The plan dfu_flash() would run, with nothing changed. */
int dfu_dev_plan(struct dfu_dev *dev, const struct dfu_image *img,
		 const struct dfu_flash_opts *opts, struct dfu_plan **out)
{
	static const struct dfu_flash_opts defaults;
	struct dfu_plan_opts popts;
	const char *alt = NULL;
	char altbuf[8];
	int err;

	if (!dev || !img || !out)
		return DFU_ERR_INVALID_ARG;
	if (!opts)
		opts = &defaults;
	err = check_not_empty(dev, img);
	if (!err)
		err = image_alt(dev, img, opts, altbuf, sizeof(altbuf), &alt);
	if (!err)
		err = dfu_engine_begin(dev, alt, NULL, NULL, NULL);
	if (err)
		return err;
	plan_opts(dev, opts, &popts);
	return dfu_engine_plan(dev, img, &popts, out);
}

/* Plans, keeps, erases, writes, verifies (one job), then leaves. */
int dfu_flash(struct dfu_dev *dev, const struct dfu_image *img,
	      const struct dfu_flash_opts *opts, struct dfu_flash_result *out)
{
	static const struct dfu_flash_opts defaults;
	struct dfu_flash_result res = { 0 };
	struct dfu_mem_progress pr = { NULL, NULL, { 0 } };
	struct dfu_job_opts jo;
	const struct dfu_layout *map = NULL;
	const char *alt = NULL;
	char altbuf[8];
	int err;

	if (!dev || !img)
		return DFU_ERR_INVALID_ARG;
	if (!opts)
		opts = &defaults;
	pr.fn = opts->progress;
	pr.user = opts->progress_user;
	err = check_not_empty(dev, img);
	if (!err)
		err = image_alt(dev, img, opts, altbuf, sizeof(altbuf), &alt);
	if (!err)
		err = dfu_engine_begin(dev, alt, opts->progress, opts->progress_user, &res);
	if (err)
		goto out;
	if (!dev->info.dfuse) {
		err = dfu_plain_flash(dev, img, opts, &pr, &res);
		goto out;
	}
	memset(&jo, 0, sizeof(jo));
	plan_opts(dev, opts, &jo.plan);
	jo.no_verify = opts->no_verify;
	jo.no_smart = opts->no_smart;
	jo.what = "flash";
	jo.progress = opts->progress;
	jo.progress_user = opts->progress_user;
	err = dfu_engine_map(dev, &map);
	if (!err)
		err = dfu_engine_run(dev, img, &jo, &res);
	if (err == DFU_ERR_VERIFY) {
		char why[600];

		snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
		dfu_fail(dev->ctx, err, "%s; the device stays in DFU mode", why);
	}
	/* The ROM starts the firmware at its address pointer, which our reads
	 * moved: point it at the start of flash (or where the caller says),
	 * as dfu-util's :leave does. A job that was not verified never
	 * leaves: the bootloader stays reachable. */
	if (!err && opts->leave)
		err = dfu_leave(dev, true, opts->has_leave_address ? opts->leave_address :
					       map->sectors[0].address, DFU_LEAVE_WAIT_MS, &res);
out:
	if (out)
		*out = res;
	return err;
}
