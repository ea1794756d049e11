/*
 * chip.c - what we know about a part from its USB identity and the layout
 * its ROM reports (REFERENCE.md, "Other parts"). Kept small on purpose:
 * option-byte decoding and the dual-bank maps of the F76x come later.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chip_shape {
	const char *name;
	size_t sectors;
	uint32_t first_size;
	uint32_t total;
};

/* Recognised by sector count, first sector size and total size. */
static const struct chip_shape shapes[] = {
	{ "STM32F405/407/415/417", 12, 16 * 1024, 1024 * 1024 },
	{ "STM32F42x/43x", 24, 16 * 1024, 2048 * 1024 },
	{ "STM32F72x/73x", 8, 16 * 1024, 512 * 1024 },
	{ "STM32F74x/75x", 8, 32 * 1024, 1024 * 1024 },
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
		if (!info.name[0] || info.name[0] == 'u') {
			/* Unknown shape but an ST ROM: say so rather than nothing. */
			if (id_product == 0xDF11)
				info.name = "STM32 (unrecognised layout)";
		}
	}
	*out = info;
	return DFU_OK;
}

/* F76x/F77x option bytes: nDBANK is bit 5 of byte 9 (RM0410, REFERENCE.md);
 * cleared means dual bank. */
#define F7_OPTION_BYTES 0x1FFF0000u
#define F7_NDBANK_BYTE 9
#define F7_NDBANK_BIT 0x20

/* The dual-bank maps of the F76x/F77x (RM0410): bank 2's first sector is
 * number 12 whatever the size (the 1 MB part has no sectors 8-11). */
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

/* Reads len (at most 32) option bytes at address through the alt named
 * "Option Bytes", then selects the alt that was selected before. Kept on
 * the device: the option bytes do not change while we hold it. */
static int read_option_bytes(struct dfu_dev *dev, uint32_t address, uint8_t *buf,
			     size_t len)
{
	const struct dfu_alt_info *cur = dfu_dev_alt(dev);
	size_t i;
	int err;

	if (!cur || len > sizeof(dev->ob[0]))
		return DFU_ERR_INVALID_ARG;
	for (i = 0; i < dev->ob_count; i++)
		if (dev->ob_address[i] == address) {
			memcpy(buf, dev->ob[i], len);
			return DFU_OK;
		}
	err = dfu_ob_read_at(dev, address, buf, len);  /* optbytes.c */
	if (!err && dev->ob_count < 2) {
		memset(dev->ob[dev->ob_count], 0xFF, sizeof(dev->ob[0]));
		memcpy(dev->ob[dev->ob_count], buf, len);
		dev->ob_address[dev->ob_count++] = address;
	}
	return err;
}

/* nWRP of an F4 option-byte area (bytes 8-9, bit i = sector i, 0 means
 * protected), or of an F7 one (byte 8 and the low nibble of byte 9). */
static unsigned nwrp_bits(const uint8_t *ob)
{
	return ((unsigned)ob[8] | (unsigned)(ob[9] & 0x0F) << 8) & 0xFFF;
}

/* Refuses a plan touching a write-protected sector (nWRP bit 0). */
int dfu_chip_check_protection(struct dfu_dev *dev, const struct dfu_plan *plan)
{
	static const struct {
		uint32_t address;   /* option bytes holding nWRP */
		unsigned first;     /* sector number of nWRP bit 0 */
		unsigned wrap;      /* F7 dual bank: bit i also protects i + 12 */
	} areas[] = {
		{ 0x1FFFC000u, 0, 0 },   /* F405/F407, F42x bank 1 */
		{ 0x1FFEC000u, 12, 0 },  /* F42x sectors 12-23 */
		{ F7_OPTION_BYTES, 0, 12 },
	};
	size_t a, i, n = dfu_plan_count(plan);
	uint8_t ob[16];
	bool have_alt;
	int err;

	for (a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
		unsigned nwrp;

		have_alt = false;
		for (i = 0; i < dev->info.alt_count; i++)
			if (dev->layouts[i] && dfu_layout_find(dev->layouts[i], areas[a].address) &&
			    !strcmp(dev->layouts[i]->name, "Option Bytes"))
				have_alt = true;
		if (!have_alt)
			continue;
		err = read_option_bytes(dev, areas[a].address, ob, sizeof(ob));
		if (err == DFU_ERR_PROTECTED)
			return err;
		if (err) {
			dfu_log(dev->ctx, DFU_LOG_WARNING,
				"cannot read the option bytes at 0x%08X (%s); write protection "
				"not checked", (unsigned)areas[a].address, dfu_strerror(err));
			err = dfu_make_idle(dev, NULL);
			if (err)
				return err;
			continue;
		}
		nwrp = nwrp_bits(ob);
		for (i = 0; i < n; i++) {
			const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);
			unsigned num = e->sector.number, bit;

			if (e->action == DFU_ACTION_NONE && !dfu_plan_mass_erase(plan))
				continue;
			if (num >= areas[a].first && num < areas[a].first + 12)
				bit = num - areas[a].first;
			else if (areas[a].wrap && num >= areas[a].wrap && num < areas[a].wrap + 12)
				bit = num - areas[a].wrap;
			else
				continue;
			if (!(nwrp & (1u << bit)))
				return dfu_fail(dev->ctx, DFU_ERR_PROTECTED,
						"sector %u (0x%08X) is write-protected (option bytes "
						"nWRP bit %u is 0); nothing was erased. Remove the write "
						"protection in the option bytes first",
						num, (unsigned)e->sector.address, bit);
		}
	}
	return DFU_OK;
}

/* The dual-bank map of an F76x/F77x whose option bytes say nDBANK=0. */
int dfu_chip_true_layout(struct dfu_dev *dev, const struct dfu_layout *rom,
			 struct dfu_layout **out)
{
	struct dfu_layout *lay = NULL;
	uint8_t ob[16];
	uint64_t total = 0;
	size_t i, k;
	int err;

	*out = NULL;
	if (!rom->count || rom->sectors[0].address != 0x08000000u ||
	    rom->sectors[0].size != 32 * 1024)
		return DFU_OK;
	for (i = 0; i < rom->count; i++)
		total += rom->sectors[i].size;
	for (k = 0; k < sizeof(f7_dual) / sizeof(f7_dual[0]); k++)
		if (f7_dual[k].total == total)
			break;
	if (k == sizeof(f7_dual) / sizeof(f7_dual[0]))
		return DFU_OK;
	/* An F74x/F76x-shaped map: the option bytes say which bank mode. */
	err = read_option_bytes(dev, F7_OPTION_BYTES, ob, sizeof(ob));
	if (err) {
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"cannot read the option bytes (%s); trusting the ROM's sector map",
			dfu_strerror(err));
		if (err == DFU_ERR_PROTECTED)
			return err;
		/* The failed read may have left dfuERROR behind. */
		return dfu_make_idle(dev, NULL);
	}
	if (ob[F7_NDBANK_BYTE] & F7_NDBANK_BIT)
		return DFU_OK;
	err = dfu_layout_parse(dev->ctx, f7_dual[k].layout, &lay);
	if (err)
		return err;
	for (i = 0; i < lay->count; i++)
		if (lay->sectors[i].address >= f7_dual[k].bank2)
			lay->sectors[i].number = 12 + (unsigned)(i - lay->count / 2);
	dfu_log(dev->ctx, DFU_LOG_INFO,
		"dual-bank mode (nDBANK=0): using the dual-bank sector map, not the ROM's");
	*out = lay;
	return DFU_OK;
}

/* The map dfu_flash() plans with, as a copy the caller frees. */
int dfu_dev_true_layout(struct dfu_dev *dev, struct dfu_layout **out)
{
	const struct dfu_layout *rom = dfu_dev_layout(dev);
	struct dfu_layout *lay = NULL, *copy;
	int err;

	if (!rom || !dev->info.dfuse)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"the selected alternate setting has no DfuSe memory layout");
	err = dfu_make_idle(dev, NULL);
	if (!err)
		err = dfu_chip_true_layout(dev, rom, &lay);
	if (err)
		return err;
	if (lay) {
		*out = lay;
		return DFU_OK;
	}
	copy = calloc(1, sizeof(*copy));
	if (copy)
		copy->sectors = malloc((rom->count ? rom->count : 1) * sizeof(*copy->sectors));
	if (!copy || !copy->sectors) {
		free(copy);
		return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	memcpy(copy->name, rom->name, sizeof(copy->name));
	copy->count = rom->count;
	memcpy(copy->sectors, rom->sectors, rom->count * sizeof(*copy->sectors));
	*out = copy;
	return DFU_OK;
}
