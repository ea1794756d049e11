/*
 * tool_erase.c - `dfuflash erase`, `dfuflash leave` and `dfuflash
 * unprotect`: the commands that change the device without a file.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "N" or "N-M". */
static bool parse_sectors(const char *s, unsigned *first, unsigned *last)
{
	char buf[32], *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!tool_parse_u32(buf, &a))
		return false;
	b = a;
	if (dash && !tool_parse_u32(dash + 1, &b))
		return false;
	*first = a;
	*last = b;
	return true;
}

/* Parses "ADDR:LEN". */
static bool parse_range(const char *s, uint32_t *address, uint32_t *len)
{
	char buf[64], *colon;

	if (strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	colon = strchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	return tool_parse_u32(buf, address) && tool_parse_u32(colon + 1, len);
}

/* Opens the device, selects the alt and brings it to dfuIDLE, reporting a
 * dfuERROR it was found in (through the log). */
static int open_idle(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	int err;

	/* A dfuERROR found and cleared is reported by the library's log. */
	err = tool_open_device(ctx, o, &dev);
	if (!err)
		err = dfu_dev_select_alt(dev, o->alt);
	if (!err)
		err = dfu_make_idle(dev, NULL);
	if (err) {
		dfu_dev_close(dev);
		return err;
	}
	*out = dev;
	return DFU_OK;
}

/* `dfuflash erase (--mass | --sector N[-M] | --range A:LEN)`. */
int tool_erase(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_dev *dev = NULL;
	struct tool_progress tp;
	struct options o;
	unsigned first = 0, last = 0;
	uint32_t address = 0, len = 0;
	int n, err = tool_parse_options(TOOL_CMD_ERASE, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	n = (o.mass_erase ? 1 : 0) + (int)o.nsectors + (int)o.nranges;
	if (n != 1 || o.file) {
		tool_error("erase: say what to erase: --mass, --sector N[-M] or --range A:LEN");
		return TOOL_USAGE;
	}
	if (o.nsectors && !parse_sectors(o.sectors[0], &first, &last)) {
		tool_error("erase: bad sector range '%s' (want N or N-M)", o.sectors[0]);
		return TOOL_USAGE;
	}
	if (o.nranges && !parse_range(o.ranges[0], &address, &len)) {
		tool_error("erase: bad range '%s' (want ADDRESS:LENGTH)", o.ranges[0]);
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	tool_progress_init(&tp);
	err = open_idle(ctx, &o, &dev);
	if (err)
		return err;
	if (o.mass_erase)
		err = dfuse_mass_erase(dev);
	else if (o.nsectors)
		err = dfu_erase_sectors(dev, first, last, tool_progress_cb, &tp);
	else
		err = dfu_erase_range(dev, address, len, tool_progress_cb, &tp);
	if (!err && tool_globals.verbosity >= 0 && !tool_globals.json)
		fprintf(stderr, "dfuflash: erased\n");
	if (!err && tool_globals.json)
		printf("{\"erased\":true}\n");
	dfu_dev_close(dev);
	return err;
}

/* `dfuflash leave [--address A]`. */
int tool_leave(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_dev *dev = NULL;
	struct options o;
	int err = tool_parse_options(TOOL_CMD_LEAVE, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	tool_setup_log(ctx);
	err = open_idle(ctx, &o, &dev);
	if (err)
		return err;
	err = dfu_leave(dev, o.has_address, o.address, 3000, &res);
	if (!err && tool_globals.json)
		printf("{\"left\":true,\"gone\":%s}\n", res.gone ? "true" : "false");
	else if (!err && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: left DFU mode: %s\n",
			res.gone ? "the device is starting its firmware" :
				   "the device is still on the bus (reset it by hand)");
	dfu_dev_close(dev);
	return err;
}

/* `dfuflash unprotect --force`: read unprotect, which wipes the flash. */
int tool_unprotect(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_dev *dev = NULL;
	struct options o;
	int err = tool_parse_options(TOOL_CMD_UNPROTECT, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.force) {
		tool_error("unprotect: removing read protection WIPES THE WHOLE FLASH "
			   "(firmware and tune); say --force to do it");
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	err = open_idle(ctx, &o, &dev);
	if (!err)
		err = dfuse_unprotect(dev);
	if (!err && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: read protection removed; the flash is blank and "
			"the chip resets\n");
	dfu_dev_close(dev);
	return err;
}
