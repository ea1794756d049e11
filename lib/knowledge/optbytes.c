/*
 * optbytes.c - option bytes per chip family: a table of their fields,
 * decoding them into (name, value, what the value does), encoding
 * NAME=VALUE changes with the complements kept right. Pure: reading and
 * writing them on a device is protocol/obio.c.
 *
 * Layouts (REFERENCE.md, "Option bytes as an upload of alt 1"; the
 * simulator's sim/flash.c models the same, and the two must agree):
 *  F4    16 bytes at 0x1FFFC000: 0 USER, 1 RDP, 2-3 their complement,
 *        8-9 nWRP[11:0] (bits 15:12 read 1), 10-11 complement, rest 0xFF.
 *  F42x  the same, plus USER bit 4 BFB2 and SPRMOD/DB1M in bits 15/14 of
 *        the nWRP half-word; then 16 bytes at 0x1FFEC000 whose bytes 8-9
 *        are nWRP for sectors 12-23.
 *  F7    32 bytes at 0x1FFF0000: each 16-bit value in the low half of a
 *        word, its complement in the high half. 0 USER, 1 RDP, 8-9 nWRP,
 *        nDBOOT, nDBANK, IWDG_STDBY, IWDG_STOP, 16-17 BOOT_ADD0, 24-25
 *        BOOT_ADD1 (an address >> 14).
 *  H7    128 bytes of flash registers at 0x5200201C: OPTSR_CUR at 0,
 *        OPTSR_PRG at 4, WPSN_CUR1 at 0x1C, WPSN_PRG1 at 0x20, BOOT_CUR at
 *        0x24, BOOT_PRG at 0x28. The _CUR ones say what is in force; a write
 *        programs what the _PRG ones hold.
 */
#include "knowledge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F4_OB_ADDRESS 0x1FFFC000u
#define F42X_OB2_ADDRESS 0x1FFEC000u
#define F7_OB_ADDRESS 0x1FFF0000u
#define H7_OB_ADDRESS 0x5200201Cu


#define FIELDS(t) (sizeof(t) / sizeof((t)[0]))

static const struct dfu_ob_field_def f4_fields[] = {
	{ "RDP", 1, 1, 1, 0xFF, "read protection level of the flash" },
	{ "BOR_LEV", 0, 0, 1, 0x0C, "brown-out reset threshold" },
	{ "WDG_SW", 0, 0, 1, 0x20, "whether the independent watchdog starts by software or at reset" },
	{ "nRST_STOP", 0, 0, 1, 0x40, "whether entering Stop mode resets the chip" },
	{ "nRST_STDBY", 0, 0, 1, 0x80, "whether entering Standby mode resets the chip" },
	{ "nWRP", 8, 8, 2, 0x0FFF, "write protection of sectors 0-11 (a 0 bit protects)" },
};

static const struct dfu_ob_field_def f42x_fields[] = {
	{ "RDP", 1, 1, 1, 0xFF, "read protection level of the flash" },
	{ "BOR_LEV", 0, 0, 1, 0x0C, "brown-out reset threshold" },
	{ "BFB2", 0, 0, 1, 0x10, "which bank the chip boots from" },
	{ "WDG_SW", 0, 0, 1, 0x20, "whether the independent watchdog starts by software or at reset" },
	{ "nRST_STOP", 0, 0, 1, 0x40, "whether entering Stop mode resets the chip" },
	{ "nRST_STDBY", 0, 0, 1, 0x80, "whether entering Standby mode resets the chip" },
	{ "nWRP", 8, 8, 2, 0x0FFF, "write protection of sectors 0-11 (a 0 bit protects)" },
	{ "DB1M", 8, 8, 2, 0x4000, "dual-bank mode of the 1 MB parts" },
	{ "SPRMOD", 8, 8, 2, 0x8000, "what the nWRP bits mean: write or PCROP protection" },
	{ "nWRP2", 24, 24, 2, 0x0FFF, "write protection of sectors 12-23 (a 0 bit protects)" },
};

static const struct dfu_ob_field_def f7_fields[] = {
	{ "RDP", 1, 1, 1, 0xFF, "read protection level of the flash" },
	{ "BOR_LEV", 0, 0, 1, 0x0C, "brown-out reset threshold" },
	{ "WWDG_SW", 0, 0, 1, 0x10, "whether the window watchdog starts by software or at reset" },
	{ "IWDG_SW", 0, 0, 1, 0x20, "whether the independent watchdog starts by software or at reset" },
	{ "nRST_STOP", 0, 0, 1, 0x40, "whether entering Stop mode resets the chip" },
	{ "nRST_STDBY", 0, 0, 1, 0x80, "whether entering Standby mode resets the chip" },
	{ "nWRP", 8, 8, 2, 0x0FFF, "write protection of sectors 0-11 (a 0 bit protects)" },
	{ "nDBOOT", 8, 8, 2, 0x1000, "dual boot (F76x/F77x)" },
	{ "nDBANK", 8, 8, 2, 0x2000, "single or dual bank flash, and so the sector map (F76x/F77x)" },
	{ "IWDG_STDBY", 8, 8, 2, 0x4000, "whether the independent watchdog runs in Standby" },
	{ "IWDG_STOP", 8, 8, 2, 0x8000, "whether the independent watchdog runs in Stop" },
	{ "BOOT_ADD0", 16, 16, 2, 0xFFFF, "where the chip boots when BOOT0 is low (address >> 14)" },
	{ "BOOT_ADD1", 24, 24, 2, 0xFFFF, "where the chip boots when BOOT0 is high (address >> 14)" },
};

static const struct dfu_ob_field_def h7_fields[] = {
	{ "RDP", 0x00, 0x04, 4, 0x0000FF00, "read protection level of the flash" },
	{ "BOR_LEV", 0x00, 0x04, 4, 0x0000000C, "brown-out reset threshold" },
	{ "IWDG1_SW", 0x00, 0x04, 4, 0x00000010,
	  "whether the independent watchdog starts by software or at reset" },
	{ "NRST_STOP_D1", 0x00, 0x04, 4, 0x00000040, "whether entering Stop mode resets the chip" },
	{ "NRST_STBY_D1", 0x00, 0x04, 4, 0x00000080,
	  "whether entering Standby mode resets the chip" },
	{ "SWAP_BANK", 0x00, 0x04, 4, 0x80000000, "which bank is mapped at 0x08000000" },
	{ "nWRP", 0x1C, 0x20, 4, 0x000000FF, "write protection of bank 1's sectors 0-7 (a 0 bit protects)" },
	{ "BOOT_ADD0", 0x24, 0x28, 4, 0x0000FFFF, "where the chip boots when BOOT0 is low (address >> 16)" },
	{ "BOOT_ADD1", 0x24, 0x28, 4, 0xFFFF0000, "where the chip boots when BOOT0 is high (address >> 16)" },
};

/* Names a family after the parts that have it. */
const char *dfu_ob_family_name(enum dfu_ob_family family)
{
	switch (family) {
	case DFU_OB_UNKNOWN: return "unknown";
	case DFU_OB_F4: return "STM32F405/407";
	case DFU_OB_F42X: return "STM32F42x/43x";
	case DFU_OB_F7: return "STM32F74x/76x/77x";
	case DFU_OB_H7: return "STM32H74x/75x";
	}
	return "unknown";
}

/* The table of a family's fields. */
const struct dfu_ob_field_def *dfu_ob_fields(enum dfu_ob_family family, size_t *count)
{
	const struct dfu_ob_field_def *t = NULL;
	size_t n = 0;

	switch (family) {
	case DFU_OB_UNKNOWN:
		break;
	case DFU_OB_F4:
		t = f4_fields;
		n = FIELDS(f4_fields);
		break;
	case DFU_OB_F42X:
		t = f42x_fields;
		n = FIELDS(f42x_fields);
		break;
	case DFU_OB_F7:
		t = f7_fields;
		n = FIELDS(f7_fields);
		break;
	case DFU_OB_H7:
		t = h7_fields;
		n = FIELDS(h7_fields);
		break;
	}
	if (count)
		*count = n;
	return t;
}

/* Looks a field up by name, ignoring case ("ndbank" is nDBANK). */
const struct dfu_ob_field_def *dfu_ob_field(enum dfu_ob_family family, const char *name)
{
	size_t i, n;
	const struct dfu_ob_field_def *t = dfu_ob_fields(family, &n);

	for (i = 0; name && i < n; i++)
		if (!strcasecmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* Recognises the family by where its ROM says the option bytes are. The
 * F42x reports two groups; sectors are in address order, so look each
 * address up rather than trusting the first sector. */
enum dfu_ob_family dfu_ob_family_from_layout(const struct dfu_layout *layout)
{
	const struct dfu_sector *s;

	if (!layout || !layout->count)
		return DFU_OB_UNKNOWN;
	s = dfu_layout_find(layout, F4_OB_ADDRESS);
	if (s && s->address == F4_OB_ADDRESS && s->size >= 16) {
		s = dfu_layout_find(layout, F42X_OB2_ADDRESS);
		if (s && s->address == F42X_OB2_ADDRESS && s->size >= 16)
			return DFU_OB_F42X;
		return DFU_OB_F4;
	}
	s = dfu_layout_find(layout, F7_OB_ADDRESS);
	if (s && s->address == F7_OB_ADDRESS && s->size >= 32)
		return DFU_OB_F7;
	s = dfu_layout_find(layout, H7_OB_ADDRESS);
	if (s && s->address == H7_OB_ADDRESS && s->size >= 128)
		return DFU_OB_H7;
	return DFU_OB_UNKNOWN;
}

/* Adds an area to an image being set up. */
static void add_area(struct dfu_option_bytes *ob, uint32_t address, uint16_t size)
{
	ob->area_address[ob->area_count] = address;
	ob->area_offset[ob->area_count] = (uint16_t)ob->len;
	ob->area_size[ob->area_count] = size;
	ob->area_count++;
	ob->len += size;
}

/* The family's areas, every byte 0xFF. */
int dfu_ob_init(struct dfu_option_bytes *ob, enum dfu_ob_family family)
{
	struct dfu_option_bytes o;

	memset(&o, 0, sizeof(o));
	memset(o.raw, 0xFF, sizeof(o.raw));
	o.family = family;
	switch (family) {
	case DFU_OB_UNKNOWN:
		return DFU_ERR_UNSUPPORTED;
	case DFU_OB_F4:
		add_area(&o, F4_OB_ADDRESS, 16);
		break;
	case DFU_OB_F42X:
		add_area(&o, F4_OB_ADDRESS, 16);
		add_area(&o, F42X_OB2_ADDRESS, 16);
		break;
	case DFU_OB_F7:
		add_area(&o, F7_OB_ADDRESS, 32);
		break;
	case DFU_OB_H7:
		add_area(&o, H7_OB_ADDRESS, 128);
		break;
	}
	*ob = o;
	return DFU_OK;
}

/* RDP byte to level: only 0xAA and 0xCC are exact; everything else is
 * level 1, which is why a corrupted RDP byte protects the chip. */
int dfu_ob_rdp_level(uint8_t rdp)
{
	if (rdp == 0xAA)
		return 0;
	if (rdp == 0xCC)
		return 2;
	return 1;
}

/* The little-endian value of width bytes at p. */
static uint32_t get_le(const uint8_t *p, unsigned width)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < width; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Stores v as width little-endian bytes at p. */
static void put_le(uint8_t *p, unsigned width, uint32_t v)
{
	unsigned i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The position of a mask's lowest bit. */
static unsigned mask_shift(uint32_t mask)
{
	unsigned s = 0;

	while (s < 31 && !(mask & (1u << s)))
		s++;
	return s;
}

/* A field's value in raw, shifted down. */
static uint32_t field_value(const struct dfu_option_bytes *ob, const struct dfu_ob_field_def *d)
{
	if ((size_t)d->offset + d->width > ob->len)
		return 0;
	return (get_le(ob->raw + d->offset, d->width) & d->mask) >> mask_shift(d->mask);
}

/* One field by name. */
int dfu_ob_get(const struct dfu_option_bytes *ob, const char *name, uint32_t *value)
{
	const struct dfu_ob_field_def *d = dfu_ob_field(ob->family, name);

	if (!d)
		return DFU_ERR_NOT_FOUND;
	*value = field_value(ob, d);
	return DFU_OK;
}

/* What a boot address means on an F7 (value << 14) or an H7 (value << 16):
 * which memory is there, and a warning when there is none to boot from,
 * since a wrong BOOT_ADD0 leaves a board that never starts its firmware. */
static void describe_boot(enum dfu_ob_family family, const char *pin, uint32_t value,
			  char *buf, size_t size)
{
	static const struct {
		enum dfu_ob_family family;
		uint32_t start, end;
		const char *what;
	} mem[] = {
		{ DFU_OB_F7, 0x00000000u, 0x00003FFFu, "ITCM RAM" },
		{ DFU_OB_F7, 0x00100000u, 0x0010FFFFu, "system memory: the ROM bootloader (DFU)" },
		{ DFU_OB_F7, 0x00200000u, 0x003FFFFFu, "flash through ITCM: the firmware" },
		{ DFU_OB_F7, 0x08000000u, 0x081FFFFFu, "flash through AXIM: the firmware" },
		{ DFU_OB_F7, 0x20000000u, 0x2007FFFFu, "SRAM" },
		{ DFU_OB_H7, 0x00000000u, 0x0000FFFFu, "ITCM RAM" },
		{ DFU_OB_H7, 0x08000000u, 0x081FFFFFu, "flash: the firmware" },
		{ DFU_OB_H7, 0x1FF00000u, 0x1FF1FFFFu, "system memory: the ROM bootloader (DFU)" },
		{ DFU_OB_H7, 0x20000000u, 0x2001FFFFu, "DTCM RAM" },
		{ DFU_OB_H7, 0x24000000u, 0x2407FFFFu, "AXI SRAM" },
	};
	uint32_t address = family == DFU_OB_H7 ? value << 16 : value << 14;
	size_t i;

	for (i = 0; i < FIELDS(mem); i++)
		if (mem[i].family == family && address >= mem[i].start && address <= mem[i].end) {
			snprintf(buf, size, "boots at 0x%08X (%s) when BOOT0 is %s",
				 (unsigned)address, mem[i].what, pin);
			return;
		}
	snprintf(buf, size, "boots at 0x%08X when BOOT0 is %s: NO MEMORY THERE, the chip cannot "
		 "start (factory value %s)", (unsigned)address, pin,
		 family == DFU_OB_H7 ? (*pin == 'l' ? "0x0800" : "0x1FF0") :
				       (*pin == 'l' ? "0x0080" : "0x0040"));
}

/* Lists the sectors a nWRP value protects (a cleared bit protects). */
static void describe_nwrp(uint32_t value, uint32_t mask, unsigned first, char *buf, size_t size)
{
	size_t used;
	unsigned i, bits = 0;

	while (bits < 32 && (mask >> bits))
		bits++;
	if ((value & mask) == mask) {
		snprintf(buf, size, "no sector is write-protected");
		return;
	}
	snprintf(buf, size, "write-protected sectors:");
	used = strlen(buf);
	for (i = 0; i < bits && used + 5 < size; i++)
		if (!(value & (1u << i))) {
			int n = snprintf(buf + used, size - used, " %u", first + i);

			if (n < 0)
				break;
			used += (size_t)n;
		}
}

/* One sentence per field and value: what the chip does with it. */
void dfu_ob_describe(enum dfu_ob_family family, const struct dfu_ob_field_def *def,
		     uint32_t value, char *buf, size_t size)
{
	const char *n = def->name;
	bool h7 = family == DFU_OB_H7;

	if (!size)
		return;
	if (!strcmp(n, "RDP")) {
		static const char *const levels[] = {
			"level 0: no read protection",
			("level 1: the flash cannot be read over DFU or a debugger; removing it "
			 "(a read unprotect) wipes the whole flash"),
			"level 2: the chip is locked for good: no DFU, no debugger, cannot be undone",
		};
		snprintf(buf, size, "%s", levels[dfu_ob_rdp_level((uint8_t)value)]);
	} else if (!strcmp(n, "BOR_LEV")) {
		/* F4/F7: 11 is off, 00 the highest threshold; the H7 counts up. */
		static const char *const bor[] = {
			"off (reset only at power-on, ~1.7 V)", "level 1 (reset below ~2.1 V)",
			"level 2 (reset below ~2.4 V)", "level 3 (reset below ~2.7 V)",
		};
		snprintf(buf, size, "brown-out reset %s", bor[h7 ? (value & 3) : 3 - (value & 3)]);
	} else if (!strcmp(n, "WDG_SW") || !strcmp(n, "IWDG_SW") || !strcmp(n, "IWDG1_SW")) {
		snprintf(buf, size, value ? "the independent watchdog runs only once the firmware "
					    "starts it" :
					    "hardware watchdog: the independent watchdog runs from reset");
	} else if (!strcmp(n, "WWDG_SW")) {
		snprintf(buf, size, value ? "the window watchdog runs only once the firmware starts it" :
					    "the window watchdog runs from reset");
	} else if (!strcmp(n, "nRST_STOP") || !strcmp(n, "NRST_STOP_D1")) {
		snprintf(buf, size, value ? "entering Stop mode does not reset the chip" :
					    "entering Stop mode resets the chip");
	} else if (!strcmp(n, "nRST_STDBY") || !strcmp(n, "NRST_STBY_D1")) {
		snprintf(buf, size, value ? "entering Standby mode does not reset the chip" :
					    "entering Standby mode resets the chip");
	} else if (!strcmp(n, "nWRP")) {
		describe_nwrp(value, def->mask, 0, buf, size);
	} else if (!strcmp(n, "nWRP2")) {
		describe_nwrp(value, def->mask, 12, buf, size);
	} else if (!strcmp(n, "BFB2")) {
		snprintf(buf, size, value ? "boots from bank 2 when it holds valid code" :
					    "boots from bank 1");
	} else if (!strcmp(n, "DB1M")) {
		snprintf(buf, size, value ? "1 MB parts run as two banks of 512 KB (2 MB parts "
					    "ignore it)" : "1 MB parts run as one bank");
	} else if (!strcmp(n, "SPRMOD")) {
		snprintf(buf, size, value ? "the nWRP bits select PCROP (read) protection, active "
					    "high" : "the nWRP bits are write protection");
	} else if (!strcmp(n, "nDBOOT")) {
		snprintf(buf, size, value ? "dual boot off: the chip boots where BOOT_ADDx points" :
					    "dual boot on: the chip boots from bank 2 when bank 1 "
					    "holds no valid code");
	} else if (!strcmp(n, "nDBANK")) {
		snprintf(buf, size, value ? "single bank: sectors 0-11 of 32/128/256 KB (2 MB parts)" :
					    "dual bank: two banks of 16/64/128 KB sectors, bank 2 is "
					    "sectors 12-23 (at 0x08100000 on 2 MB parts, 0x08080000 "
					    "on 1 MB)");
	} else if (!strcmp(n, "IWDG_STDBY")) {
		snprintf(buf, size, value ? "the independent watchdog runs in Standby" :
					    "the independent watchdog is frozen in Standby");
	} else if (!strcmp(n, "IWDG_STOP")) {
		snprintf(buf, size, value ? "the independent watchdog runs in Stop" :
					    "the independent watchdog is frozen in Stop");
	} else if (!strcmp(n, "SWAP_BANK")) {
		snprintf(buf, size, value ? "banks swapped: bank 2 is at 0x08000000" :
					    "bank 1 is at 0x08000000");
	} else if (!strcmp(n, "BOOT_ADD0")) {
		describe_boot(family, "low", value, buf, size);
	} else if (!strcmp(n, "BOOT_ADD1")) {
		describe_boot(family, "high", value, buf, size);
	} else {
		snprintf(buf, size, "%s", def->meaning);
	}
}

/* Every field with its value and sentence. */
size_t dfu_ob_decode(const struct dfu_option_bytes *ob, struct dfu_ob_value *out, size_t max)
{
	size_t i, n;
	const struct dfu_ob_field_def *t = dfu_ob_fields(ob->family, &n);

	for (i = 0; i < n && i < max; i++) {
		out[i].def = &t[i];
		out[i].value = field_value(ob, &t[i]);
		dfu_ob_describe(ob->family, &t[i], out[i].value, out[i].text, sizeof(out[i].text));
	}
	return n;
}

/* A 16-bit value and its complement in one word, as the F4/F7 keep them. */
static void put16c(uint8_t *p)
{
	p[2] = (uint8_t)~p[0];
	p[3] = (uint8_t)~p[1];
}

/* The derived bytes, exactly as the chips (and sim/flash.c) show them. */
void dfu_ob_canonical(struct dfu_option_bytes *ob)
{
	uint8_t *r = ob->raw;

	switch (ob->family) {
	case DFU_OB_UNKNOWN:
	case DFU_OB_H7:
		break;
	case DFU_OB_F4:
		r[0] |= 0x13;   /* USER bits 4 and 1:0 are unused and read 1 */
		r[9] |= 0xF0;   /* nWRP bits 15:12 read 1 */
		put16c(r);
		memset(r + 4, 0xFF, 4);
		put16c(r + 8);
		memset(r + 12, 0xFF, 4);
		break;
	case DFU_OB_F42X:
		r[0] |= 0x03;   /* bit 4 is BFB2 here */
		r[9] |= 0x30;   /* bits 15/14 are SPRMOD and DB1M */
		put16c(r);
		memset(r + 4, 0xFF, 4);
		put16c(r + 8);
		memset(r + 12, 0xFF, 12);
		r[25] |= 0xF0;
		put16c(r + 24);
		memset(r + 28, 0xFF, 4);
		break;
	case DFU_OB_F7:
		r[0] |= 0x03;
		put16c(r);
		memset(r + 4, 0xFF, 4);
		put16c(r + 8);
		memset(r + 12, 0xFF, 4);
		put16c(r + 16);
		memset(r + 20, 0xFF, 4);
		put16c(r + 24);
		memset(r + 28, 0xFF, 4);
		break;
	}
}

/* Lists a family's field names for an error message. */
static void list_names(enum dfu_ob_family family, char *buf, size_t size)
{
	size_t i, n, used = 0;
	const struct dfu_ob_field_def *t = dfu_ob_fields(family, &n);

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < size; i++) {
		int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t[i].name);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* Sets one field where it is in force and where a write takes it from. */
int dfu_ob_set(struct dfu_ctx *ctx, struct dfu_option_bytes *ob, const char *name,
	       uint32_t value)
{
	const struct dfu_ob_field_def *d = dfu_ob_field(ob->family, name);
	unsigned shift;
	uint32_t max, word;
	char names[256];

	if (!d) {
		list_names(ob->family, names, sizeof(names));
		return dfu_fail(ctx, DFU_ERR_NOT_FOUND,
				"no option byte \"%s\" on %s; there are: %s", name ? name : "",
				dfu_ob_family_name(ob->family), names);
	}
	shift = mask_shift(d->mask);
	max = d->mask >> shift;
	if (!strcmp(d->name, "RDP")) {
		/* A level, or the byte of one: any other byte would silently
		 * mean level 1 (RM0090 3.7.3), which nobody means by "3". */
		if (value <= 2)
			value = value == 0 ? 0xAA : value == 1 ? 0xBB : 0xCC;
		else if (value != 0xAA && value != 0xBB && value != 0xCC)
			return dfu_fail(ctx, DFU_ERR_RANGE,
					"RDP=0x%X is no read-protection level: give 0, 1 or 2 "
					"(or the bytes 0xAA, 0xBB, 0xCC)", (unsigned)value);
	}
	if (value > max)
		return dfu_fail(ctx, DFU_ERR_RANGE, "%s=0x%X is too large: at most 0x%X", d->name,
				(unsigned)value, (unsigned)max);
	if ((size_t)d->offset + d->width > ob->len || (size_t)d->write_offset + d->width > ob->len)
		return dfu_fail(ctx, DFU_ERR_RANGE, "%s is outside the option bytes", d->name);
	word = get_le(ob->raw + d->offset, d->width);
	word = (word & ~d->mask) | (value << shift);
	put_le(ob->raw + d->offset, d->width, word);
	if (d->write_offset != d->offset) {
		word = get_le(ob->raw + d->write_offset, d->width);
		word = (word & ~d->mask) | (value << shift);
		put_le(ob->raw + d->write_offset, d->width, word);
	}
	dfu_ob_canonical(ob);
	return DFU_OK;
}

/* "NAME=VALUE" with VALUE in C notation (0x.., decimal). */
int dfu_ob_set_str(struct dfu_ctx *ctx, struct dfu_option_bytes *ob, const char *assignment)
{
	const char *eq = assignment ? strchr(assignment, '=') : NULL;
	char name[32], *end;
	unsigned long v;
	size_t n;

	if (!eq || eq == assignment || !eq[1])
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "\"%s\" is not NAME=VALUE",
				assignment ? assignment : "");
	n = (size_t)(eq - assignment);
	if (n >= sizeof(name))
		return dfu_fail(ctx, DFU_ERR_NOT_FOUND, "no option byte \"%.*s\"", (int)n, assignment);
	memcpy(name, assignment, n);
	name[n] = '\0';
	if (eq[1] == '-')
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "%s: a value cannot be negative", name);
	v = strtoul(eq + 1, &end, 0);
	if (*end || v > UINT32_MAX)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "%s: \"%s\" is not a number", name, eq + 1);
	return dfu_ob_set(ctx, ob, name, (uint32_t)v);
}

/* The device address of the value a field is in. */
static uint32_t field_address(const struct dfu_option_bytes *ob, const struct dfu_ob_field_def *d)
{
	size_t k;

	for (k = ob->area_count; k-- > 0;)
		if (d->offset >= ob->area_offset[k])
			return ob->area_address[k] + (d->offset - ob->area_offset[k]);
	return d->offset;
}

/* Field by field: the read-back must say what was written. */
int dfu_ob_compare(struct dfu_ctx *ctx, const struct dfu_option_bytes *want,
		   const struct dfu_option_bytes *got)
{
	size_t i, n;
	const struct dfu_ob_field_def *t = dfu_ob_fields(want->family, &n);

	if (want->family != got->family || want->len != got->len)
		return dfu_fail(ctx, DFU_ERR_VERIFY, "the option bytes read back are of another kind");
	for (i = 0; i < n; i++) {
		uint32_t w = field_value(want, &t[i]), g = field_value(got, &t[i]);

		if (w != g)
			return dfu_fail(ctx, DFU_ERR_VERIFY,
					"option byte %s at 0x%08X reads 0x%X after the write, "
					"expected 0x%X: the chip left the bus and came back without "
					"taking the change", t[i].name,
					(unsigned)field_address(want, &t[i]), (unsigned)g, (unsigned)w);
	}
	return DFU_OK;
}
