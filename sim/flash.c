/*
 * flash.c - the chip's memories: NOR flash with its sector maps, option
 * bytes laid out as each family's ROM shows them, OTP and the device
 * feature word.
 *
 * NOR flash: erase sets a whole sector to 0xFF; programming can only clear
 * bits (new = old & data). The ROM does not verify what it wrote, so a
 * write over flash that was not erased silently leaves the AND of old and
 * new data, as on the real parts.
 *
 * Option bytes (REFERENCE.md, "Option bytes as an upload of alt 1"):
 *  F4   16 bytes at 0x1FFFC000: 0 USER, 1 RDP, 2-3 their complement [guess],
 *       8-9 nWRP[11:0] (bits 15:12 read 1), 10-11 complement [guess], the
 *       rest 0xFF [guess]. A write takes USER, RDP and nWRP from bytes 0, 1,
 *       8 and 9 of what it is given.
 *  F42x the same 16 bytes, followed in our image by the 16 bytes at
 *       0x1FFEC000, whose bytes 8-9 are nWRP for sectors 12-23; byte 9 of
 *       the first area has SPRMOD (bit 7) and DB1M (bit 6).
 *  F7   32 bytes at 0x1FFF0000, each 16-bit value with its complement in
 *       the upper half of its word: 0 USER, 1 RDP, 8 nWRP[7:0], 9 IWDG_STOP
 *       (7) IWDG_STDBY (6) nDBANK (5) nDBOOT (4) nWRP[11:8], 16-17
 *       BOOT_ADD0, 24-25 BOOT_ADD1; words at 4, 12, 20, 28 read 0xFF
 *       [guess]. Dual bank when (word at 8 & 0x2000) == 0. In dual-bank mode
 *       nWRP bit i protects sectors i and i + 12 [guess, RM0410 pairs].
 *  H7   128 bytes of flash registers from 0x5200201C: OPTSR_CUR at 0 (byte
 *       1 RDP), OPTSR_PRG at 4, WPSN_CUR1 at 0x1C (nWRP of bank 1's sectors),
 *       WPSN_PRG1 at 0x20, BOOT_CUR at 0x24, BOOT_PRG at 0x28. A write
 *       programs what the _PRG registers hold (they are copied to _CUR);
 *       the _CUR registers themselves are read-only. Bank 2 protection is
 *       not modelled. Factory values are guesses.
 */
#include "sim_internal.h"

#include <string.h>
#include <strings.h>

/* One past the highest sector number of a map: its sector count plus the
 * numbers it skips. */
size_t sim_map_end(const struct dfusim_map *map)
{
	size_t i, n = 0;

	for (i = 0; i < map->nruns; i++)
		n += (size_t)map->runs[i].skip + map->runs[i].count;
	return n;
}

/* Finds the sector that holds addr. Returns its number or -1. */
int sim_map_sector(const struct dfusim_map *map, uint32_t base, uint32_t addr,
		   uint32_t *start, uint32_t *size)
{
	uint64_t at = base;
	size_t i;
	int n = 0;

	for (i = 0; i < map->nruns; i++) {
		uint16_t k;

		n += map->runs[i].skip;
		for (k = 0; k < map->runs[i].count; k++, n++) {
			if (addr >= at && addr < at + map->runs[i].size) {
				*start = (uint32_t)at;
				*size = map->runs[i].size;
				return n;
			}
			at += map->runs[i].size;
		}
	}
	return -1;
}

/* Start and size of sector number n; -1 if the map has no such sector
 * (past the end, or a number the map skips). */
int sim_map_nth(const struct dfusim_map *map, uint32_t base, int n,
		uint32_t *start, uint32_t *size)
{
	uint64_t at = base;
	size_t i;
	int k = 0;

	if (n < 0)
		return -1;
	for (i = 0; i < map->nruns; i++) {
		k += map->runs[i].skip;
		if (n < k)
			return -1;
		if (n < k + map->runs[i].count) {
			*start = (uint32_t)(at + (uint64_t)(n - k) * map->runs[i].size);
			*size = map->runs[i].size;
			return 0;
		}
		k += map->runs[i].count;
		at += (uint64_t)map->runs[i].count * map->runs[i].size;
	}
	return -1;
}

/* Dual-bank mode of an F76x/F77x: nDBANK (bit 5 of byte 9) cleared. */
bool sim_dual_bank(const struct dfusim *sim)
{
	if (!sim->chip->map_dual.nruns || sim->chip->ob_format != DFUSIM_OB_F7)
		return false;
	return !(sim->ob[9] & 0x20);
}

/* The map the flash really has now: dual bank when nDBANK says so. */
const struct dfusim_map *sim_true_map(const struct dfusim *sim)
{
	return sim_dual_bank(sim) ? &sim->chip->map_dual : &sim->chip->map_single;
}

/* How the F7 flash controller reads FLASH_CR.SNB (RM0410; ST's HAL
 * FLASH_Erase_Sector): single bank, SNB is the sector number; dual bank,
 * 0-11 are bank 1's sectors and bank 2's sectors 12-23 are written
 * 0x10-0x1B (the HAL adds 4 above 11), so 0x0C-0x0F name nothing. A 1 MB
 * part in dual-bank mode has only 0-7 and 12-19: SNB 8-11 name nothing
 * either. Other families: SNB is the sector number. */
int sim_snb_sector(const struct dfusim *sim, unsigned snb)
{
	const struct dfusim_map *map = sim_true_map(sim);
	uint32_t start, size;
	int n = (int)snb;

	if (sim_dual_bank(sim)) {
		if (snb >= 0x10)
			n = (int)snb - 4;
		else if (snb >= 12)
			return -1;
	}
	if (snb > 0xFF || sim_map_nth(map, sim->chip->flash_base, n, &start, &size))
		return -1;
	return n;
}

/* Read protection level from the RDP byte: 0xAA level 0, 0xCC level 2,
 * anything else level 1 (RM0090/RM0410). */
int sim_rdp_level(const struct dfusim *sim)
{
	uint8_t rdp;

	if (sim->chip->ob_format == DFUSIM_OB_NONE)
		return 0;
	rdp = sim->ob[1];  /* byte 1 in every family's layout */
	if (rdp == 0xAA)
		return 0;
	if (rdp == 0xCC)
		return 2;
	return 1;
}

/* Whether nWRP protects sector n of the true map (a cleared bit protects). */
bool sim_sector_protected(const struct dfusim *sim, int n)
{
	const uint8_t *ob = sim->ob;
	unsigned nwrp;

	switch (sim->chip->ob_format) {
	case DFUSIM_OB_NONE:
		return false;
	case DFUSIM_OB_F4:
		return n < 12 && !((ob[8] | (ob[9] << 8)) & (1u << n));
	case DFUSIM_OB_F42X:
		if (n < 12)
			return !((ob[8] | (ob[9] << 8)) & (1u << n));
		return n < 24 && !((ob[24] | (ob[25] << 8)) & (1u << (n - 12)));
	case DFUSIM_OB_F7:
		nwrp = ob[8] | ((ob[9] & 0x0F) << 8);
		if (sim_dual_bank(sim) && n >= 12)
			n -= 12;
		return n < 12 && !(nwrp & (1u << n));
	case DFUSIM_OB_H7:
		return n < 8 && !(ob[0x1C] & (1u << n));
	}
	return false;
}

/* NOR programming: bits can only go from 1 to 0. */
void sim_flash_program(struct dfusim *sim, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len && off + i < sim->chip->flash_size; i++)
		sim->flash[off + i] &= data[i];
}

/* Erase: the bytes read 0xFF again. Clipped to the flash. */
void sim_flash_erase_range(struct dfusim *sim, uint32_t off, uint32_t len)
{
	if (off >= sim->chip->flash_size)
		return;
	if (len > sim->chip->flash_size - off)
		len = sim->chip->flash_size - off;
	memset(sim->flash + off, 0xFF, len);
}

/* A 16-bit option value and its complement, as the F4/F7 store them. */
static void put16c(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)~v;
	p[3] = (uint8_t)(~v >> 8);
}

/* A little-endian 32-bit register value. */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recomputes the bytes a family derives (complements, bits that read 1)
 * from the fields that are stored. */
static void ob_canonical(struct dfusim *sim)
{
	uint8_t *ob = sim->ob;

	switch (sim->chip->ob_format) {
	case DFUSIM_OB_NONE:
	case DFUSIM_OB_H7:
		break;
	case DFUSIM_OB_F42X:
		ob[0] |= 0x03;        /* bit 4 is BFB2 here */
		ob[9] |= 0x30;
		memset(ob + 16, 0xFF, 8);
		put16c(ob + 24, (uint16_t)(ob[24] | ((ob[25] | 0xF0) << 8)));
		memset(ob + 28, 0xFF, 4);
		put16c(ob, (uint16_t)(ob[0] | (ob[1] << 8)));
		memset(ob + 4, 0xFF, 4);
		put16c(ob + 8, (uint16_t)(ob[8] | (ob[9] << 8)));
		memset(ob + 12, 0xFF, 4);
		break;
	case DFUSIM_OB_F4:
		ob[0] |= 0x13;
		ob[9] |= 0xF0;
		put16c(ob, (uint16_t)(ob[0] | (ob[1] << 8)));
		memset(ob + 4, 0xFF, 4);
		put16c(ob + 8, (uint16_t)(ob[8] | (ob[9] << 8)));
		memset(ob + 12, 0xFF, 4);
		break;
	case DFUSIM_OB_F7:
		ob[0] |= 0x03;
		if (!sim->chip->map_dual.nruns)
			ob[9] |= 0x30;  /* no nDBANK/nDBOOT on F74x */
		put16c(ob, (uint16_t)(ob[0] | (ob[1] << 8)));
		memset(ob + 4, 0xFF, 4);
		put16c(ob + 8, (uint16_t)(ob[8] | (ob[9] << 8)));
		memset(ob + 12, 0xFF, 4);
		put16c(ob + 16, (uint16_t)(ob[16] | (ob[17] << 8)));
		memset(ob + 20, 0xFF, 4);
		put16c(ob + 24, (uint16_t)(ob[24] | (ob[25] << 8)));
		memset(ob + 28, 0xFF, 4);
		break;
	}
}

/* Factory option bytes: RDP level 0, nothing protected, single bank,
 * BOR off, hardware watchdogs off, F7 boot addresses 0x0080 / 0x0040. */
void sim_ob_defaults(struct dfusim *sim)
{
	uint8_t *ob = sim->ob;

	memset(ob, 0xFF, sizeof(sim->ob));
	sim->ob_len = (uint32_t)(sim->chip->ob_region_len * sim->chip->ob_regions);
	switch (sim->chip->ob_format) {
	case DFUSIM_OB_NONE:
		sim->ob_len = 0;
		return;
	case DFUSIM_OB_F4:
		ob[0] = 0xFF;
		ob[1] = 0xAA;
		ob[8] = 0xFF;
		ob[9] = 0xFF;
		break;
	case DFUSIM_OB_F42X:
		ob[0] = 0xEF;   /* BFB2 = 0 */
		ob[1] = 0xAA;
		ob[8] = 0xFF;
		ob[9] = 0x3F;   /* SPRMOD = 0, DB1M = 0 */
		ob[24] = 0xFF;
		ob[25] = 0xFF;
		break;
	case DFUSIM_OB_F7:
		ob[0] = 0xFF;
		ob[1] = 0xAA;
		ob[8] = 0xFF;
		ob[9] = 0xFF;
		ob[16] = 0x80;
		ob[17] = 0x00;
		ob[24] = 0x40;
		ob[25] = 0x00;
		break;
	case DFUSIM_OB_H7:
		memset(ob, 0, sizeof(sim->ob));
		put32(ob + 0x00, 0x1BC6AAF0);  /* OPTSR_CUR [guess], RDP 0xAA */
		put32(ob + 0x04, 0x1BC6AAF0);  /* OPTSR_PRG */
		put32(ob + 0x1C, 0x000000FF);  /* WPSN_CUR1 */
		put32(ob + 0x20, 0x000000FF);  /* WPSN_PRG1 */
		put32(ob + 0x24, 0x1FF00800);  /* BOOT_CUR */
		put32(ob + 0x28, 0x1FF00800);  /* BOOT_PRG */
		break;
	}
	ob_canonical(sim);
}

/* An option-byte write as the ROM performs it: merge, apply, recompute. */
bool sim_ob_write(struct dfusim *sim, uint32_t off, const uint8_t *data, uint32_t len)
{
	bool was_protected = sim_rdp_level(sim) == 1;

	if (off >= sim->ob_len)
		return false;
	if (len > sim->ob_len - off)
		len = sim->ob_len - off;
	memcpy(sim->ob + off, data, len);
	if (sim->chip->ob_format == DFUSIM_OB_H7) {
		memcpy(sim->ob + 0x00, sim->ob + 0x04, 4);
		memcpy(sim->ob + 0x1C, sim->ob + 0x20, 4);
		memcpy(sim->ob + 0x24, sim->ob + 0x28, 4);
	}
	ob_canonical(sim);
	return was_protected && sim_rdp_level(sim) == 0;
}

/* Sets the mask bits if value is non-zero, else clears them. */
static int set_bits(uint8_t *p, uint8_t mask, uint32_t value)
{
	*p = (uint8_t)((*p & ~mask) | (value ? mask : 0));
	return 0;
}

/* Sets one named option-byte field, as an --option-bytes NAME=VALUE would
 * on a chip that was programmed so before the run. RDP takes 0, 1, 2 (the
 * level) or the raw byte. */
int sim_ob_set_field(struct dfusim *sim, const char *name, uint32_t value)
{
	enum dfusim_ob_format f = sim->chip->ob_format;
	uint8_t *ob = sim->ob;
	bool h7 = f == DFUSIM_OB_H7;
	bool f7 = f == DFUSIM_OB_F7;
	int rc = -1;

	if (f == DFUSIM_OB_NONE)
		return sim_fail(sim, "%s has no option bytes", sim->chip->name);
	if (strcasecmp(name, "RDP") == 0) {
		uint8_t raw = value == 0 ? 0xAA : value == 1 ? 0xBB : value == 2 ? 0xCC :
			      (uint8_t)value;

		if (value > 0xFF)
			return sim_fail(sim, "RDP must be 0, 1, 2 or a byte");
		ob[1] = raw;
		if (h7)
			ob[5] = raw;
		rc = 0;
	} else if (strcasecmp(name, "USER") == 0 && value <= 0xFF) {
		ob[0] = (uint8_t)value;
		if (h7)
			ob[4] = (uint8_t)value;
		rc = 0;
	} else if (strcasecmp(name, "BOR_LEV") == 0 && value <= 3) {
		ob[0] = (uint8_t)((ob[0] & ~0x0C) | (value << 2));
		if (h7)
			ob[4] = ob[0];
		rc = 0;
	} else if (strcasecmp(name, "nWRP") == 0 && value <= 0xFFF) {
		if (h7) {
			ob[0x1C] = ob[0x20] = (uint8_t)value;
		} else {
			ob[8] = (uint8_t)value;
			ob[9] = (uint8_t)((ob[9] & 0xF0) | ((value >> 8) & 0x0F));
		}
		rc = 0;
	} else if (strcasecmp(name, "nWRP2") == 0 && f == DFUSIM_OB_F42X && value <= 0xFFF) {
		ob[24] = (uint8_t)value;
		ob[25] = (uint8_t)((value >> 8) & 0x0F);
		rc = 0;
	} else if (strcasecmp(name, "nDBANK") == 0 && f7 && sim->chip->map_dual.nruns && value <= 1) {
		rc = set_bits(&ob[9], 0x20, value);
	} else if (strcasecmp(name, "nDBOOT") == 0 && f7 && sim->chip->map_dual.nruns && value <= 1) {
		rc = set_bits(&ob[9], 0x10, value);
	} else if (strcasecmp(name, "BOOT_ADD0") == 0 && f7 && value <= 0xFFFF) {
		ob[16] = (uint8_t)value;
		ob[17] = (uint8_t)(value >> 8);
		rc = 0;
	} else if (strcasecmp(name, "BOOT_ADD1") == 0 && f7 && value <= 0xFFFF) {
		ob[24] = (uint8_t)value;
		ob[25] = (uint8_t)(value >> 8);
		rc = 0;
	}
	if (rc)
		return sim_fail(sim, "option '%s=%u' does not exist on %s or is out of range",
				name, (unsigned)value, sim->chip->name);
	ob_canonical(sim);
	return 0;
}

/* The byte at addr in alt's memory, and how many follow it in the same
 * region; NULL (avail 0) outside every region. */
uint8_t *sim_mem_at(struct dfusim *sim, uint8_t alt, uint32_t addr, uint32_t *avail)
{
	const struct dfusim_chip *c = sim->chip;
	size_t i;

	*avail = 0;
	if (alt >= c->nalts)
		return NULL;
	switch (c->alt_mem[alt]) {
	case DFUSIM_MEM_FLASH:
		if (addr < c->flash_base || addr - c->flash_base >= c->flash_size)
			return NULL;
		*avail = c->flash_size - (addr - c->flash_base);
		return sim->flash + (addr - c->flash_base);
	case DFUSIM_MEM_OPTION:
		for (i = 0; i < c->ob_regions; i++) {
			if (addr >= c->ob_addr[i] && addr - c->ob_addr[i] < c->ob_region_len) {
				uint32_t off = addr - c->ob_addr[i];

				*avail = c->ob_region_len - off;
				return sim->ob + i * c->ob_region_len + off;
			}
		}
		return NULL;
	case DFUSIM_MEM_OTP:
		if (addr < c->otp_addr || addr - c->otp_addr >= c->otp_size)
			return NULL;
		*avail = c->otp_size - (addr - c->otp_addr);
		return sim->otp + (addr - c->otp_addr);
	case DFUSIM_MEM_FEATURE:
		if (addr < c->feature_addr || addr - c->feature_addr >= c->feature_size)
			return NULL;
		*avail = c->feature_size - (addr - c->feature_addr);
		return sim->feature + (addr - c->feature_addr);
	}
	return NULL;
}

/* Alt 0's name follows the bank mode only on a ROM without the
 * f7-dualbank-erase quirk: the quirky ROM believes it is single bank. */
const char *sim_alt_name(const struct dfusim *sim, size_t alt)
{
	const struct dfusim_chip *c = sim->chip;

	if (alt >= c->nalts)
		return NULL;
	if (alt == 0) {
		if (c->flash_name_dual && sim_dual_bank(sim) &&
		    !sim->quirk[DFUSIM_Q_F7_DUALBANK_ERASE])
			return c->flash_name_dual;
		return c->flash_name_single;
	}
	return c->alt_names[alt];
}

/* The flash array, its base address and size. */
uint8_t *dfusim_flash(struct dfusim *sim, uint32_t *base, size_t *size)
{
	if (base)
		*base = sim->chip->flash_base;
	if (size)
		*size = sim->chip->flash_size;
	return sim->flash;
}

/* The option-byte image as alt 1 reads it (F42x: both areas, in order). */
uint8_t *dfusim_option_bytes(struct dfusim *sim, uint32_t *address, size_t *size)
{
	if (address)
		*address = sim->chip->ob_addr[0];
	if (size)
		*size = sim->ob_len;
	return sim->ob;
}

/* NAME=VALUE before the run, as if the chip had been programmed so. */
int dfusim_set_option(struct dfusim *sim, const char *name, uint32_t value)
{
	if (!sim || !name)
		return -1;
	return sim_ob_set_field(sim, name, value);
}
