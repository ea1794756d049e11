/*
 * tool_read.c - `dfuflash read OUT (--address A --length N | --whole)`:
 * reads memory into a file whose format follows OUT's extension (bin, hex,
 * srec, dfu). An existing OUT is not overwritten without --force (as
 * dfu-util -U refuses), and that is checked before the device is opened.
 * With --all every device in DFU mode is read into its own file, OUT with
 * the serial before the extension (tool_all.c).
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>

/* See tool.h. Without --address the read starts at the layout's first
 * sector; --whole runs to the end of its last. */
bool tool_read_span(const struct options *o, const struct dfu_alt_info *alt,
		    uint32_t *address, uint32_t *length, char *why, size_t cap)
{
	uint32_t a = o->has_address ? o->address : 0x08000000u;

	if (alt->layout && alt->layout->count) {
		const struct dfu_sector *last = &alt->layout->sectors[alt->layout->count - 1];

		if (!o->has_address)
			a = alt->layout->sectors[0].address;
		if (o->whole && (uint64_t)last->address + last->size <= a) {
			snprintf(why, cap, "read: --whole: the layout of alt %u is not one range; "
				 "give --address and --length", alt->alt);
			return false;
		}
		*length = o->whole ? (uint32_t)((uint64_t)last->address + last->size - a) :
				     o->length;
	} else if (o->whole) {
		snprintf(why, cap, "read: --whole needs a DfuSe memory layout; give --length");
		return false;
	} else {
		*length = o->length;
	}
	*address = a;
	return true;
}

/* See tool.h. */
int tool_read_into(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev *dev,
		   uint32_t address, uint32_t length, const char *path,
		   const struct dfu_write_opts *wo, dfu_progress_fn progress, void *user)
{
	const struct dfu_alt_info *alt = dfu_dev_alt(dev);
	struct dfu_write_opts w = *wo;
	struct dfu_image *img = NULL;
	struct dfu_dev_info d;
	uint8_t *buf = malloc(length ? length : 1);
	size_t target;
	int err;

	if (!buf)
		return DFU_ERR_NO_MEM;
	err = dfu_read(dev, address, buf, length, progress, user);
	if (!err)
		err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, alt->alt, NULL, &target);
	if (!err)
		err = dfu_image_add_data(ctx, img, target, address, buf, length);
	if (!err) {
		dfu_dev_info(dev, &d);
		w.has_suffix_ids = true;
		w.id_vendor = d.id_vendor;
		w.id_product = d.id_product;
		w.bcd_device = 0xFFFF;
		err = tool_write_output(ctx, img, path, &w, o->force, "read");
	}
	dfu_image_free(img);
	free(buf);
	return err;
}

/* `dfuflash read OUT (--address A --length N | --whole) [--all]`. */
int tool_read(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_write_opts wo = { 0 };
	struct dfu_dev *dev = NULL;
	struct tool_progress tp;
	struct options o;
	uint32_t address, length;
	char why[256];
	int err = tool_parse_options(TOOL_CMD_READ, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.file || (!o.whole && !o.has_length) ||
	    (o.whole && (o.has_length || o.has_address))) {
		tool_error("read: say what to read: dfuflash read OUT (--address A --length N | "
			   "--whole)%s", o.all && !o.whole && !o.has_length ?
			   " (--all now means every device; --whole is the whole memory)" : "");
		return TOOL_USAGE;
	}
	if (o.has_length && !o.length) {
		tool_error("read: --length 0 reads nothing");
		return TOOL_USAGE;
	}
	/* What OUT will be, before the device is read for nothing. */
	wo.format = dfu_format_from_path(o.file);
	if (wo.format == DFU_FORMAT_AUTO) {
		tool_error("read: cannot tell the format of '%s' from its name: call it .bin, "
			   ".hex, .srec or .dfu", o.file);
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	if (o.all) {
		struct tool_all_job job = { .kind = TOOL_ALL_READ, .o = &o, .wo = &wo };

		return tool_all_run(ctx, &job);
	}
	err = tool_check_output(o.file, o.force, "read");
	if (err)
		return err;
	tool_progress_init(&tp);
	err = tool_open_device(ctx, &o, &dev);
	if (!err)
		err = dfu_dev_select_alt(dev, o.alt);
	if (err)
		goto out;
	if (!tool_read_span(&o, dfu_dev_alt(dev), &address, &length, why, sizeof(why))) {
		tool_error("%s", why);
		err = TOOL_USAGE;
		goto out;
	}
	err = tool_read_into(ctx, &o, dev, address, length, o.file, &wo, tool_progress_cb, &tp);
	tool_progress_end(&tp);
	if (!err) {
		if (tool_globals.json) {
			printf("{\"file\":");
			tool_json_string(stdout, o.file);
			printf(",\"address\":%u,\"length\":%u}\n", (unsigned)address,
			       (unsigned)length);
		} else if (tool_globals.verbosity >= 0) {
			fprintf(stderr, "dfuflash: read %u bytes from 0x%08X into %s\n",
				(unsigned)length, (unsigned)address, o.file);
		}
	}
out:
	dfu_dev_close(dev);
	return err;
}
