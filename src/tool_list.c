/*
 * tool_list.c - `dfuflash list [--json]`: every DFU interface on the bus,
 * in DFU mode and in run-time mode, with its alternate settings.
 */
#include "tool.h"

#include <stdio.h>

/* The list as one JSON object. */
static void list_json(struct dfu_dev **devs, size_t n)
{
	size_t i, j;

	printf("{\"devices\":[");
	for (i = 0; i < n; i++) {
		struct dfu_dev_info d;

		dfu_dev_info(devs[i], &d);
		printf("%s{\"vid\":\"%04x\",\"pid\":\"%04x\",\"bcd_device\":\"%04x\",\"path\":",
		       i ? "," : "", d.id_vendor, d.id_product, d.bcd_device);
		tool_json_string(stdout, d.path);
		printf(",\"devnum\":%u,\"serial\":", d.devnum);
		tool_json_string(stdout, d.serial);
		printf(",\"manufacturer\":");
		tool_json_string(stdout, d.manufacturer);
		printf(",\"product\":");
		tool_json_string(stdout, d.product);
		printf(",\"mode\":\"%s\",\"dfuse\":%s,\"accessible\":%s,\"transfer_size\":%u,"
		       "\"alts\":[", d.dfu_mode ? "dfu" : "runtime", d.dfuse ? "true" : "false",
		       d.strings_read ? "true" : "false", d.func.w_transfer_size);
		for (j = 0; j < d.alt_count; j++) {
			printf("%s{\"alt\":%u,\"name\":", j ? "," : "", d.alts[j].alt);
			tool_json_string(stdout, d.alts[j].name);
			if (d.alts[j].layout)
				printf(",\"sectors\":%zu", d.alts[j].layout->count);
			printf("}");
		}
		printf("]}");
	}
	printf("]}\n");
}

/* Lists devices, as text, as JSON, or as dfu-util -l lines. */
int tool_list_devices(struct dfu_ctx *ctx, const struct dfu_match *match, bool dfu_util_style)
{
	struct dfu_dev **devs = NULL;
	size_t n = 0, i, j;
	int err;

	err = dfu_usb_list(ctx, match, &devs, &n);
	if (err)
		return err;
	if (tool_globals.json && !dfu_util_style) {
		list_json(devs, n);
		dfu_dev_list_free(devs, n);
		return DFU_OK;
	}
	for (i = 0; i < n; i++) {
		struct dfu_dev_info d;

		dfu_dev_info(devs[i], &d);
		if (dfu_util_style) {
			/* dfu-util -l's own lines, so scripts that grep them work. */
			for (j = 0; j < d.alt_count; j++)
				printf("Found %s: [%04x:%04x] ver=%04x, devnum=%u, cfg=1, intf=%u, "
				       "path=\"%s\", alt=%u, name=\"%s\", serial=\"%s\"\n",
				       d.dfu_mode ? "DFU" : "Runtime", d.id_vendor, d.id_product,
				       d.bcd_device, d.devnum, d.interface, d.path, d.alts[j].alt,
				       d.strings_read ? d.alts[j].name : "UNKNOWN",
				       d.strings_read ? d.serial : "UNKNOWN");
			continue;
		}
		printf("%04x:%04x  path %s  serial %s  %s  %s%s\n", d.id_vendor, d.id_product,
		       d.path, d.serial[0] ? d.serial : "-",
		       d.dfu_mode ? "DFU mode" : "run-time mode",
		       d.product[0] ? d.product : "",
		       d.strings_read ? "" : "  (no access: install the udev rule)");
		for (j = 0; j < d.alt_count; j++)
			printf("  alt %u  %s\n", d.alts[j].alt, d.alts[j].name);
	}
	if (!n && tool_globals.verbosity >= 0 && !dfu_util_style)
		fprintf(stderr, "dfuflash: no DFU device found: put the ECU in bootloader "
			"mode: hold BOOT, then connect USB\n");
	dfu_dev_list_free(devs, n);
	return DFU_OK;
}

/* `dfuflash list [--json]`. */
int tool_list(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct options o;
	int r = tool_parse_options(TOOL_CMD_LIST, argc, argv, &o);

	if (r)
		return r == TOOL_HELP ? DFU_OK : r;
	if (o.file) {
		tool_error("list: takes no file");
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	return tool_list_devices(ctx, &o.match, false);
}
