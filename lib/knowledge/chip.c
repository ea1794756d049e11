/*
 * chip.c - what we know about a part from its USB identity, the layout its
 * ROM reports and its option bytes (REFERENCE.md, "Other parts" and "F76x
 * sector maps"): its name, its TRUE sector map, and which sectors its
 * write protection covers. Pure: the probe at open (protocol/probe.c)
 * reads the option bytes and asks here.
 */
#include "knowledge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chip_shape {
	const char *name;
	size_t sectors;
	uint32_t first_size;
	uint32_t total;
};

/* Recognised by sector count, first sector size and total size. The 1 MB
 * F76x reports the F74x's map (its ROM string is not published; it is
 * the single-bank map of the part), so the two share a row. */
static const struct chip_shape shapes[] = {
	{ "STM32F405/407/415/417", 12, 16 * 1024, 1024 * 1024 },
	{ "STM32F42x/43x", 24, 16 * 1024, 2048 * 1024 },
	{ "STM32F72x/73x", 8, 16 * 1024, 512 * 1024 },
	{ "STM32F74x/75x or F76x/77x 1 MB", 8, 32 * 1024, 1024 * 1024 },
	{ "STM32F76x/77x", 12, 32 * 1024, 2048 * 1024 },
	{ "STM32H74x/75x", 16, 128 * 1024, 2048 * 1024 },
	{ "STM32H7 (1 MB)", 8, 128 * 1024, 1024 * 1024 },
};

/* Names the part from its flash layout's shape. */
int dfu_chip_identify(uint16_t id_product, uint16_t bcd_device,
		      const struct dfu_layout *flash, struct dfu_chip_info *out)
{
	struct dfu_chip_info info = { "unknown", 0, 0 };
	uint64_t total = 0;
	size_t i;

	(void)bcd_device;
	if (!out)
		return DFU_ERR_INVALID_ARG;
	if (flash && flash->count) {
		info.flash_base = flash->sectors[0].address;
		for (i = 0; i < flash->count; i++)
			total += flash->sectors[i].size;
		info.flash_size = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
		for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
			if (shapes[i].sectors == flash->count &&
			    shapes[i].first_size == flash->sectors[0].size &&
			    shapes[i].total == total)
				info.name = shapes[i].name;
		/* Unknown shape but an ST ROM: say so rather than nothing. */
		if (!strcmp(info.name, "unknown") && id_product == 0xDF11)
			info.name = "STM32 (unrecognised layout)";
	}
	*out = info;
	return DFU_OK;
}

/* The dual-bank maps of the F76x/F77x (RM0410 3.3.2, REFERENCE.md "F76x
 * sector maps"): bank 2's first sector is number 12 whatever the size
 * (the 1 MB part has no sectors 8-11). */
static const struct {
	uint32_t total;
	const char *layout;
	uint32_t bank2;
} f7_dual[] = {
	{ 2048 * 1024, "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg"
		       "/0x08100000/04*016Kg,01*064Kg,07*128Kg", 0x08100000u },
	{ 1024 * 1024, "@Internal Flash/0x08000000/04*016Kg,01*064Kg,03*128Kg"
		       "/0x08080000/04*016Kg,01*064Kg,03*128Kg", 0x08080000u },
};

/* The f7_dual row for a ROM map of an F76x-shaped part, or -1: a map at
 * 0x08000000 whose first sector is 32 KB, of 1 or 2 MB. */
static int f7_row(const struct dfu_layout *rom)
{
	uint64_t total = 0;
	size_t i, k;

	if (!rom || !rom->count || rom->sectors[0].address != 0x08000000u ||
	    rom->sectors[0].size != 32 * 1024)
		return -1;
	for (i = 0; i < rom->count; i++)
		total += rom->sectors[i].size;
	for (k = 0; k < sizeof(f7_dual) / sizeof(f7_dual[0]); k++)
		if (f7_dual[k].total == total)
			return (int)k;
	return -1;
}

/* See knowledge.h. */
bool dfu_chip_bank_mode_matters(const struct dfu_layout *rom)
{
	return f7_row(rom) >= 0;
}

/* See knowledge.h. */
int dfu_chip_true_map(struct dfu_ctx *ctx, const struct dfu_layout *rom, bool dual_bank,
		      struct dfu_layout **out)
{
	struct dfu_layout *lay = NULL;
	int k = f7_row(rom), err;
	size_t i;

	if (!dual_bank || k < 0)
		return dfu_layout_copy(ctx, rom, out);
	err = dfu_layout_parse(ctx, f7_dual[k].layout, &lay);
	if (err)
		return err;
	for (i = 0; i < lay->count; i++)
		if (lay->sectors[i].address >= f7_dual[k].bank2)
			lay->sectors[i].number = 12 + (unsigned)(i - lay->count / 2);
	*out = lay;
	return DFU_OK;
}

/* See dfuflash.h. nWRP bit i is 0 when sector i is protected (RM0090
 * 3.7.1, RM0410 3.4.1, RM0433 4.4.7). The F42x's second area (nWRP2)
 * covers sectors 12-23; on an F76x in dual-bank mode bit i protects sector
 * i of both banks ("nWRPi ... sectors i and i+12"); the H7's covers bank
 * 1's sectors 0-7. */
int dfu_ob_wrp_bit(const struct dfu_option_bytes *ob, const struct dfu_sector *s,
		   bool dual_bank)
{
	const char *field = "nWRP";
	unsigned num = s->number, bit;
	uint32_t v;

	switch (ob->family) {
	case DFU_OB_F4:
		if (num >= 12)
			return -1;
		bit = num;
		break;
	case DFU_OB_F42X:
		if (num >= 24)
			return -1;
		field = num < 12 ? "nWRP" : "nWRP2";
		bit = num % 12;
		break;
	case DFU_OB_F7:
		if (num < 12)
			bit = num;
		else if (dual_bank && num < 24)
			bit = num - 12;
		else
			return -1;
		break;
	case DFU_OB_H7:
		if (num >= 8)
			return -1;
		bit = num;
		break;
	case DFU_OB_UNKNOWN:
	default:
		return -1;
	}
	if (dfu_ob_get(ob, field, &v) != DFU_OK)
		return -1;
	return v & (1u << bit) ? -1 : (int)bit;
}

/* See knowledge.h. */
int dfu_chip_check_wrp(struct dfu_ctx *ctx, const struct dfu_option_bytes *ob, bool dual_bank,
		       const struct dfu_sector *s)
{
	int bit = dfu_ob_wrp_bit(ob, s, dual_bank);

	if (bit < 0)
		return DFU_OK;
	return dfu_fail(ctx, DFU_ERR_PROTECTED,
			"sector %u (0x%08X) is write-protected (option bytes nWRP bit %d is 0); "
			"nothing was erased. Remove the write protection in the option bytes "
			"first", s->number, (unsigned)s->address, bit);
}

/* See knowledge.h. The F4 and F7 program their flash through a 32-bit (or
 * smaller) bus with no ECC: a programmed location may be programmed again
 * as long as bits only go from 1 to 0 (ST's EEPROM emulation for the F4,
 * AN3969, writes 0x0000 over 0xEEEE). The H7 programs 256-bit flash words
 * with ECC: a word may be programmed once after its erase (RM0433 4.3.9),
 * so only a blank word may be written without an erase. Unknown parts are
 * treated like the H7. */
unsigned dfu_chip_program_word(const struct dfu_chip_info *chip, bool *bits_only)
{
	bool f4f7 = chip && !strncmp(chip->name, "STM32F", 6);

	*bits_only = f4f7;
	return f4f7 ? 1 : 32;
}

/* The parts FOME runs on, by the DEV_ID in DBGMCU_IDCODE and the flash
 * size register (RM0090 38.6.1 and 39.2, RM0410 40.6.1 and 45.2, RM0433
 * 61.5.8 and 62.2), with the map their ROM bootloader reports in
 * single-bank mode: OpenBLT has no DfuSe layout string to tell us, so the
 * chip read through XCP gets the same map the DFU route would see, and
 * dfu_chip_true_map() and the rest apply unchanged. The names are the
 * shapes' above, so both routes name a part alike. */
static const struct {
	uint16_t dev_id;
	uint32_t kib;
	const char *name;
	const char *layout;
} by_register[] = {
	{ 0x413, 1024, "STM32F405/407/415/417",
	  "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg" },
	{ 0x413, 512, "STM32F405/407/415/417",
	  "@Internal Flash/0x08000000/04*016Kg,01*064Kg,03*128Kg" },
	{ 0x419, 2048, "STM32F42x/43x",
	  "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg" },
	{ 0x419, 1024, "STM32F42x/43x",
	  "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg" },
	{ 0x452, 512, "STM32F72x/73x",
	  "@Internal Flash/0x08000000/04*016Kg,01*064Kg,03*128Kg" },
	{ 0x449, 1024, "STM32F74x/75x or F76x/77x 1 MB",
	  "@Internal Flash/0x08000000/04*032Kg,01*128Kg,03*256Kg" },
	{ 0x449, 512, "STM32F74x/75x",
	  "@Internal Flash/0x08000000/04*032Kg,01*128Kg,01*256Kg" },
	{ 0x451, 2048, "STM32F76x/77x",
	  "@Internal Flash/0x08000000/04*032Kg,01*128Kg,07*256Kg" },
	{ 0x451, 1024, "STM32F74x/75x or F76x/77x 1 MB",
	  "@Internal Flash/0x08000000/04*032Kg,01*128Kg,03*256Kg" },
	{ 0x450, 2048, "STM32H74x/75x", "@Internal Flash/0x08000000/16*128Kg" },
	{ 0x450, 1024, "STM32H7 (1 MB)", "@Internal Flash/0x08000000/08*128Kg" },
};

/* See knowledge.h. */
int dfu_chip_from_registers(uint16_t dev_id, uint32_t flash_kib, struct dfu_layout **rom_map,
			    struct dfu_chip_info *out)
{
	struct dfu_layout *lay = NULL;
	size_t i;
	int err;

	dev_id &= 0x0FFF;
	for (i = 0; i < sizeof(by_register) / sizeof(by_register[0]); i++) {
		if (by_register[i].dev_id != dev_id || by_register[i].kib != flash_kib)
			continue;
		if (rom_map) {
			err = dfu_layout_parse(NULL, by_register[i].layout, &lay);
			if (err)
				return err;
			*rom_map = lay;
		}
		if (out) {
			out->name = by_register[i].name;
			out->flash_base = 0x08000000u;
			out->flash_size = flash_kib * 1024;
		}
		return DFU_OK;
	}
	return DFU_ERR_UNSUPPORTED;
}
