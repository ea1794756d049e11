/*
 * tool_unprotect.c - `dfuflash unprotect --force` (and dfu-util's
 * `-s :unprotect:force`): removes read protection, which wipes the whole
 * flash, but only when protection is on. The option bytes are read first:
 * at RDP level 0 the command says so and changes nothing.
 */
#include "tool.h"

#include <stdio.h>

/* Bytes read to find out whether the flash is readable. */
#define PROBE_LEN 64

/*
 * The chip's RDP level: from the option bytes, or, where we do not know the
 * part's option bytes, from whether its flash can be read (the ROM answers
 * errVENDOR to every access while protection is on, AN3156). -1 when
 * nothing tells.
 */
static int rdp_level(struct dfu_dev *dev)
{
	const struct dfu_alt_info *alt = dfu_dev_alt(dev);
	struct dfu_option_bytes ob;
	uint8_t probe[PROBE_LEN];
	uint32_t rdp;
	int err;

	err = dfu_ob_read(dev, &ob);
	if (!err && !dfu_ob_get(&ob, "RDP", &rdp))
		return dfu_ob_rdp_level((uint8_t)rdp);
	if (err == DFU_ERR_PROTECTED)
		return 1;
	if (!alt || !alt->layout || !alt->layout->count)
		return -1;
	err = dfu_read(dev, alt->layout->sectors[0].address, probe, sizeof(probe), NULL, NULL);
	if (!err)
		return 0;
	return err == DFU_ERR_PROTECTED ? 1 : -1;
}

/* Read unprotect only at RDP level 1 (or when the level cannot be told). */
int tool_unprotect_device(struct dfu_ctx *ctx, struct dfu_dev *dev, bool *wiped)
{
	int level = rdp_level(dev), err;

	(void)ctx;
	*wiped = false;
	if (level == 0) {
		if (tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: read protection is already off (RDP level 0): "
				"nothing to remove; nothing was changed or erased\n");
		return DFU_OK;
	}
	if (level == 2)
		return tool_fail(TOOL_REFUSED, "refused: the chip is at RDP level 2, which "
				 "cannot be removed; nothing was changed");
	if (tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: read protection is on%s: removing it; the chip wipes "
			"its whole flash and resets\n", level < 0 ? " (or cannot be told)" : "");
	err = dfuse_unprotect(dev);
	if (err)
		return err;
	*wiped = true;
	if (tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: read protection removed; the flash is blank and "
			"the chip resets\n");
	return DFU_OK;
}

/* `dfuflash unprotect --force`. */
int tool_unprotect_cmd(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_dev *dev = NULL;
	struct options o;
	bool wiped = false;
	int err = tool_parse_options(TOOL_CMD_UNPROTECT, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (!o.force) {
		tool_error("unprotect: removing read protection WIPES THE WHOLE FLASH "
			   "(firmware and tune); say --force to do it");
		return TOOL_USAGE;
	}
	if (o.file) {
		tool_error("unprotect: takes no file ('%s')", o.file);
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	err = tool_open_device(ctx, &o, &dev);
	if (!err)
		err = dfu_dev_select_alt(dev, o.alt);
	/* A dfuERROR found and cleared is reported by the library's log; a
	 * protected chip may refuse this already, which the RDP read then
	 * confirms. */
	if (!err) {
		err = dfu_make_idle(dev, NULL);
		if (err == DFU_ERR_PROTECTED)
			err = DFU_OK;
	}
	if (!err)
		err = tool_unprotect_device(ctx, dev, &wiped);
	if (!err && tool_globals.json)
		printf("{\"was_protected\":%s,\"wiped\":%s}\n", wiped ? "true" : "false",
		       wiped ? "true" : "false");
	dfu_dev_close(dev);
	return err;
}
