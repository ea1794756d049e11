/*
 * tool_flash.c - `dfuflash flash FILE` and `dfuflash verify FILE`.
 *
 * flash: read the file, open the device, plan (nothing is changed when the
 * plan is refused), erase only the sectors the image touches, keep the rest
 * of partly written sectors, write, verify, leave. --dry-run prints the plan
 * as a flash map instead.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>

/* --dry-run: the plan as a flash map, nothing changed. */
static int dry_run(struct dfu_dev *dev, const struct options *o,
		   const struct dfu_image *img)
{
	struct dfu_flash_opts fo = { 0 };
	struct dfu_plan *plan = NULL;
	const struct dfu_alt_info *alt;
	struct dfu_dev_info d;
	char title[512];
	int err;

	err = dfu_dev_select_alt(dev, o->alt);
	if (err)
		return err;
	alt = dfu_dev_alt(dev);
	dfu_dev_info(dev, &d);
	if (!alt->layout || !d.dfuse) {
		if (tool_globals.json) {
			printf("{\"dry_run\":true,\"file\":");
			tool_json_string(stdout, o->file);
			printf(",\"plan\":null}\n");
		} else {
			printf("alt %u \"%s\" is not a DfuSe memory: the file would be downloaded "
			       "as one piece\ndry run: nothing was changed\n", alt->alt, alt->name);
		}
		return DFU_OK;
	}
	fo.mass_erase = o->mass_erase;
	fo.force = o->force;
	err = dfu_dev_plan(dev, img, &fo, &plan);
	if (err)
		return err;
	if (tool_globals.json) {
		printf("{\"dry_run\":true,\"file\":");
		tool_json_string(stdout, o->file);
		err = tool_print_map(dev, TOOL_MAP_FLASH, plan, NULL, true);
		printf("}\n");
	} else {
		snprintf(title, sizeof(title), "flash map of %s: what 'flash %s' would do",
			 alt->layout->name, o->file);
		err = tool_print_map(dev, TOOL_MAP_FLASH, plan, title, false);
		if (!err)
			printf("dry run: nothing was changed\n");
	}
	dfu_plan_free(plan);
	return err;
}

/* What was done, as text on stderr or JSON on stdout. */
static void print_result(const struct options *o, const struct dfu_flash_result *r)
{
	if (tool_globals.json) {
		printf("{\"file\":");
		tool_json_string(stdout, o->file);
		printf(",\"bytes_written\":%llu,\"bytes_verified\":%llu,\"sectors_erased\":%u,"
		       "\"sectors_kept\":%u,\"sectors_skipped\":%u,\"verified\":%s,\"left\":%s,"
		       "\"gone\":%s}\n",
		       (unsigned long long)r->bytes_written,
		       (unsigned long long)r->bytes_verified, r->sectors_erased, r->sectors_kept,
		       r->sectors_skipped,
		       r->verified ? "true" : "false", r->left ? "true" : "false",
		       r->gone ? "true" : "false");
		return;
	}
	if (tool_globals.verbosity < 0)
		return;
	fprintf(stderr, "dfuflash: wrote %llu bytes (%u sectors erased, %u partly kept, %u "
		"already right)%s\n",
		(unsigned long long)r->bytes_written, r->sectors_erased, r->sectors_kept,
		r->sectors_skipped,
		r->verified ? ", verified" :
		o->no_verify ? ", NOT verified (--no-verify)" : ", NOT verified");
	if (r->left)
		fprintf(stderr, "dfuflash: left DFU mode: %s\n",
			r->gone ? "the device is starting its firmware" :
				  "the device is still on the bus (reset it by hand)");
}

/* Flashes with progress and prints the result. */
int tool_run_flash(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev *dev,
		   const struct dfu_image *img, bool leave)
{
	struct dfu_flash_opts fo = { 0 };
	struct dfu_flash_result res;
	struct tool_progress tp;
	int err;

	(void)ctx;
	tool_progress_init(&tp);
	fo.alt = o->alt;
	fo.mass_erase = o->mass_erase;
	fo.no_verify = o->no_verify;
	fo.no_smart = o->no_smart;
	fo.leave = leave;
	fo.force = o->force;
	fo.progress = tool_progress_cb;
	fo.progress_user = &tp;
	/* A dfuERROR found and cleared is reported by the library's log. */
	err = dfu_flash(dev, img, &fo, &res);
	tool_progress_end(&tp);
	if (!err)
		print_result(o, &res);
	return err;
}

/* `dfuflash flash FILE [...]`. */
int tool_flash(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_image *img = NULL;
	struct dfu_dev *dev = NULL;
	struct options o;
	int err = tool_parse_options(TOOL_CMD_FLASH, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.file) {
		tool_error("flash: which file? (dfuflash flash FILE)");
		return TOOL_USAGE;
	}
	if (o.all && o.dry_run) {
		tool_error("flash: --dry-run shows one device's plan: choose it with -S SERIAL "
			   "or -p PATH instead of --all");
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	err = tool_read_image(ctx, &o, o.file, &img);
	if (!err && o.all) {
		struct tool_all_job job = { .kind = TOOL_ALL_FLASH, .o = &o, .img = img };

		err = tool_all_run(ctx, &job);
		dfu_image_free(img);
		return err;
	}
	if (!err)
		err = tool_open_device(ctx, &o, &dev);
	if (!err && o.dry_run)
		err = dry_run(dev, &o, img);
	else if (!err)
		err = tool_run_flash(ctx, &o, dev, img, !o.no_leave);
	dfu_dev_close(dev);
	dfu_image_free(img);
	return err;
}

/* `dfuflash verify FILE`. */
int tool_verify(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_image *img = NULL;
	struct dfu_dev *dev = NULL;
	struct tool_progress tp;
	struct options o;
	int err = tool_parse_options(TOOL_CMD_VERIFY, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.file) {
		tool_error("verify: which file? (dfuflash verify FILE)");
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	tool_progress_init(&tp);
	err = tool_read_image(ctx, &o, o.file, &img);
	if (!err && o.all) {
		struct tool_all_job job = { .kind = TOOL_ALL_VERIFY, .o = &o, .img = img };

		err = tool_all_run(ctx, &job);
		dfu_image_free(img);
		return err;
	}
	if (!err)
		err = tool_open_device(ctx, &o, &dev);
	if (!err)
		err = dfu_dev_select_alt(dev, o.alt);
	if (!err)
		err = dfu_verify(dev, img, tool_progress_cb, &tp);
	tool_progress_end(&tp);
	if (!err) {
		if (tool_globals.json)
		{
			printf("{\"file\":");
			tool_json_string(stdout, o.file);
			printf(",\"verified\":true}\n");
		}
		else if (tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: the device holds %s\n", o.file);
	}
	dfu_dev_close(dev);
	dfu_image_free(img);
	return err;
}
