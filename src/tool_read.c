/*
 * tool_read.c - `dfuflash read OUT (--address A --length N | --all)`: reads
 * memory into a file whose format follows OUT's extension (bin, hex, srec,
 * dfu). An existing OUT is not overwritten without --force (as dfu-util -U
 * refuses), and that is checked before the device is opened.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>

/* `dfuflash read OUT (--address A --length N | --all)`. */
int tool_read(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_write_opts wo = { 0 };
	struct dfu_image *img = NULL;
	struct dfu_dev *dev = NULL;
	const struct dfu_alt_info *alt;
	struct tool_progress tp;
	struct options o;
	uint8_t *buf = NULL;
	uint32_t address, length;
	size_t target;
	int err = tool_parse_options(TOOL_CMD_READ, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.file || (!o.all && !o.has_length) || (o.all && (o.has_length || o.has_address))) {
		tool_error("read: say what to read: dfuflash read OUT (--address A --length N | --all)");
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
	err = tool_check_output(o.file, o.force, "read");
	if (err)
		return err;
	tool_setup_log(ctx);
	tool_progress_init(&tp);
	err = tool_open_device(ctx, &o, &dev);
	if (!err)
		err = dfu_dev_select_alt(dev, o.alt);
	if (err)
		goto out;
	alt = dfu_dev_alt(dev);
	address = o.has_address ? o.address : 0x08000000u;
	length = o.length;
	if (alt->layout && alt->layout->count) {
		const struct dfu_sector *last = &alt->layout->sectors[alt->layout->count - 1];

		if (!o.has_address)
			address = alt->layout->sectors[0].address;
		if (o.all && (uint64_t)last->address + last->size <= address) {
			tool_error("read: --all: the layout of alt %u is not one range; give "
				   "--address and --length", alt->alt);
			err = TOOL_USAGE;
			goto out;
		}
		if (o.all)
			length = (uint32_t)((uint64_t)last->address + last->size - address);
	} else if (o.all) {
		tool_error("read: --all needs a DfuSe memory layout; give --length");
		err = TOOL_USAGE;
		goto out;
	}
	buf = malloc(length);
	if (!buf) {
		err = DFU_ERR_NO_MEM;
		goto out;
	}
	err = dfu_read(dev, address, buf, length, tool_progress_cb, &tp);
	tool_progress_end(&tp);
	if (!err)
		err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, alt->alt, NULL, &target);
	if (!err)
		err = dfu_image_add_data(ctx, img, target, address, buf, length);
	if (!err) {
		struct dfu_dev_info d;

		dfu_dev_info(dev, &d);
		wo.has_suffix_ids = true;
		wo.id_vendor = d.id_vendor;
		wo.id_product = d.id_product;
		wo.bcd_device = 0xFFFF;
		err = tool_write_output(ctx, img, o.file, &wo, o.force, "read");
	}
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
	free(buf);
	dfu_image_free(img);
	dfu_dev_close(dev);
	return err;
}
