/*
 * tool_info.c - `dfuflash info`: the device, the chip, its ROM version,
 * each alternate setting's layout, the option bytes decoded, and a picture
 * of the flash (which sectors are blank).
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finds the alt whose name starts with prefix (after '@'). */
static const struct dfu_alt_info *find_alt(const struct dfu_dev_info *d, const char *prefix)
{
	size_t i;

	for (i = 0; i < d->alt_count; i++) {
		const char *n = d->alts[i].name;

		if (*n == '@')
			n++;
		if (!strncmp(n, prefix, strlen(prefix)) && d->alts[i].layout)
			return &d->alts[i];
	}
	return NULL;
}

/* The RDP byte as a level, with what it means. */
static const char *rdp_level(uint8_t rdp)
{
	if (rdp == 0xAA)
		return "0 (no protection)";
	if (rdp == 0xCC)
		return "2 (chip locked for good)";
	return "1 (read protection ON: 'dfuflash unprotect --force' removes it and wipes the flash)";
}

/* The option bytes: where and how protected in one line (what users look
 * for first), then every field decoded by lib/optbytes.c. */
static void print_option_bytes(const struct dfu_option_bytes *ob)
{
	size_t i;

	printf("option bytes at 0x%08X:", (unsigned)ob->area_address[0]);
	for (i = 0; i < ob->area_size[0] && i < 32; i++)
		printf("%s%02x", i % 4 ? "" : " ", ob->raw[i]);
	printf("\n  RDP level %s\n", rdp_level(ob->raw[1]));
	tool_print_option_bytes(ob, false);
}

/* A layout as runs of equal sectors: "sectors 0-3  4 x 16 KiB at 0x08000000". */
static void print_runs(const struct dfu_layout *lay)
{
	size_t i = 0, j;

	while (i < lay->count) {
		const struct dfu_sector *s = &lay->sectors[i];

		for (j = i + 1; j < lay->count && lay->sectors[j].size == s->size &&
			    lay->sectors[j].flags == s->flags &&
			    lay->sectors[j].address == lay->sectors[j - 1].address + s->size;
		     j++)
			;
		printf("           sectors %2u-%-2u %2zu x %6u %s at 0x%08X  %s%s%s\n", s->number,
		       lay->sectors[j - 1].number, j - i,
		       s->size >= 1024 ? (unsigned)(s->size / 1024) : (unsigned)s->size,
		       s->size >= 1024 ? "KiB" : "B  ", (unsigned)s->address,
		       s->flags & DFU_SECTOR_READABLE ? "readable " : "",
		       s->flags & DFU_SECTOR_ERASABLE ? "erasable " : "",
		       s->flags & DFU_SECTOR_WRITABLE ? "writable" : "");
		i = j;
	}
}

/* The flash map of the chip as it is (tool_map.c): blank or used, write
 * protection, the tune region. alone: info --map, the map is the whole
 * output (with json, a whole object). */
static int print_map(struct dfu_dev *dev, const struct dfu_dev_info *d,
		     const struct dfu_alt_info *flash, bool json, bool alone)
{
	char num[8], title[300];
	int err;

	if (!flash)
		return tool_fail(TOOL_REFUSED, "refused: the device has no \"Internal Flash\" "
				 "alternate setting to draw a map of");
	snprintf(num, sizeof(num), "%u", flash->alt);
	err = dfu_dev_select_alt(dev, num);
	if (err)
		return err;
	if (json && alone) {
		printf("{\"serial\":");
		tool_json_string(stdout, d->serial);
	}
	snprintf(title, sizeof(title), "flash map of %s, %04x:%04x serial %s, as it is now",
		 flash->layout->name, d->id_vendor, d->id_product, d->serial[0] ? d->serial : "-");
	err = tool_print_map(dev, TOOL_MAP_CHIP, NULL, title, json);
	if (json && alone)
		printf("}\n");
	return err;
}

/* The identity and layouts as the start of a JSON object. */
static void info_json(const struct dfu_dev_info *d, const struct dfu_chip_info *chip)
{
	size_t i, j;

	printf("{\"vid\":\"%04x\",\"pid\":\"%04x\",\"bcd_device\":\"%04x\",\"serial\":",
	       d->id_vendor, d->id_product, d->bcd_device);
	tool_json_string(stdout, d->serial);
	printf(",\"path\":");
	tool_json_string(stdout, d->path);
	printf(",\"chip\":");
	tool_json_string(stdout, chip->name);
	printf(",\"flash_base\":%u,\"flash_size\":%u,\"dfuse\":%s,\"transfer_size\":%u,"
	       "\"alts\":[", (unsigned)chip->flash_base, (unsigned)chip->flash_size,
	       d->dfuse ? "true" : "false", d->func.w_transfer_size);
	for (i = 0; i < d->alt_count; i++) {
		const struct dfu_alt_info *a = &d->alts[i];

		printf("%s{\"alt\":%u,\"name\":", i ? "," : "", a->alt);
		tool_json_string(stdout, a->name);
		printf(",\"sectors\":[");
		for (j = 0; a->layout && j < a->layout->count; j++) {
			const struct dfu_sector *s = &a->layout->sectors[j];

			printf("%s{\"number\":%u,\"address\":%u,\"size\":%u,\"flags\":%u}",
			       j ? "," : "", s->number, (unsigned)s->address, (unsigned)s->size,
			       s->flags);
		}
		printf("]}");
	}
	printf("]");
}

/* `dfuflash info`: identity, chip, layouts, option bytes, flash map (as
 * text, or as one JSON object with --json). */
int tool_info(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_dev *dev = NULL;
	struct dfu_dev_info d;
	struct dfu_chip_info chip;
	const struct dfu_alt_info *flash, *obalt;
	struct options o;
	bool json;
	size_t i;
	int err = tool_parse_options(TOOL_CMD_INFO, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	json = tool_globals.json;
	tool_setup_log(ctx);
	err = tool_open_device(ctx, &o, &dev);
	if (err)
		return err;
	dfu_dev_info(dev, &d);
	flash = find_alt(&d, "Internal Flash");
	dfu_chip_identify(d.id_product, d.bcd_device, flash ? flash->layout : NULL, &chip);
	if (o.map) {
		err = print_map(dev, &d, flash, json, true);
		dfu_dev_close(dev);
		return err;
	}
	if (json) {
		info_json(&d, &chip);
	} else {
		printf("device     %04x:%04x  %s / %s\n", d.id_vendor, d.id_product,
		       d.manufacturer, d.product);
		printf("serial     %s\npath       %s\n", d.serial[0] ? d.serial : "-", d.path);
		printf("chip       %s\n", chip.name);
		printf("ROM        version %x.%x (bcdDevice 0x%04x), %s, DFU %x.%02x, transfer "
		       "size %u\n", d.bcd_device >> 12, (d.bcd_device >> 8) & 0xF, d.bcd_device,
		       d.dfuse ? "DfuSe" : "plain DFU", d.func.bcd_dfu >> 8, d.func.bcd_dfu & 0xFF,
		       d.func.w_transfer_size);
		if (chip.flash_size)
			printf("flash      %u KiB at 0x%08X\n", (unsigned)(chip.flash_size / 1024),
			       (unsigned)chip.flash_base);
		for (i = 0; i < d.alt_count; i++) {
			const struct dfu_alt_info *a = &d.alts[i];

			printf("alt %u      %s\n", a->alt, a->name);
			if (a->layout)
				print_runs(a->layout);
		}
	}
	obalt = find_alt(&d, "Option Bytes");
	if (obalt) {
		struct dfu_option_bytes ob;

		err = dfu_ob_read(dev, &ob);
		if (json) {
			printf(",\"option_bytes\":");
			if (err) {
				printf("null");
			} else {
				printf("\"");
				for (i = 0; i < ob.len; i++)
					printf("%02x", ob.raw[i]);
				printf("\",\"rdp_level\":%d,\"option_bytes_decoded\":",
				       dfu_ob_rdp_level(ob.raw[1]));
				tool_print_option_bytes(&ob, true);
			}
		} else if (!err) {
			print_option_bytes(&ob);
		} else if (err == DFU_ERR_PROTECTED) {
			printf("option bytes: unreadable: %s\n", dfu_detail(ctx));
		} else {
			printf("option bytes: not shown: %s\n", dfu_detail(ctx));
		}
		err = DFU_OK;
	}
	if (flash)
		err = print_map(dev, &d, flash, json, false);
	if (json)
		printf("}\n");
	dfu_dev_close(dev);
	return err;
}
