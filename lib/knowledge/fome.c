/*
 * fome.c - what we know about FOME firmware without a device: the image
 * check OpenBLT does before it starts the application, where the
 * application starts on each route, where the tune lives, and the board
 * named in a signature. Pure: no I/O.
 *
 * Sources: fome-fw firmware/config/boards/write_firmware_checksum.sh (the
 * CRC at base + 0x1C), firmware/bootloader/openblt_chibios/openblt_flash.cpp
 * (checkFirmwareImageIntegrity() decides whether the application starts),
 * firmware/hw_layer/ports/stm32/stm32{f4,f7,h7}/mpu_util.cpp
 * (getFlashAddrFirstCopy/SecondCopy: the tune), java_tools ConfigDefinition
 * buildSignature() (the signature).
 */
#include "knowledge.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* The image header FOME's build writes into the vector table's reserved
 * slots: the CRC at base + 0x1C, the image size at base + 0x20. */
#define FOME_CRC_OFFSET 0x1Cu
#define FOME_SIZE_OFFSET 0x20u
#define FOME_MAX_SIZE (1024u * 1024u)

/* The bases a FOME application may start at: no bootloader, OpenBLT on
 * F4/F7 (32 KiB), OpenBLT on H7 (128 KiB). Tried in this order. */
static const uint32_t app_bases[] = { 0x08000000u, 0x08008000u, 0x08020000u };

/* The contiguous bytes of target 0 at addr: a pointer to them and how many
 * follow in the same segment (adjacent data is one segment), or NULL when
 * addr holds no data. */
static const uint8_t *bytes_at(const struct dfu_image *img, uint32_t addr, uint64_t *avail)
{
	struct dfu_segment seg;
	size_t i, n = dfu_image_segment_count(img, 0);

	for (i = 0; i < n; i++) {
		if (dfu_image_segment(img, 0, i, &seg) != DFU_OK)
			return NULL;
		if (addr >= seg.address && (uint64_t)addr < (uint64_t)seg.address + seg.size) {
			*avail = (uint64_t)seg.address + seg.size - addr;
			return seg.data + (addr - seg.address);
		}
	}
	return NULL;
}

static bool read_le32(const struct dfu_image *img, uint32_t addr, uint32_t *v)
{
	uint64_t avail = 0;
	const uint8_t *p = bytes_at(img, addr, &avail);

	if (!p || avail < 4)
		return false;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return true;
}

/* Bytes of data without a gap from addr on (0 when none). */
static uint64_t run_from(const struct dfu_image *img, uint32_t addr)
{
	uint64_t avail = 0;

	return bytes_at(img, addr, &avail) ? avail : 0;
}

/* See knowledge.h. */
int dfu_fome_check_at(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t base,
		      uint32_t *size_out)
{
	uint32_t stored, size, got;
	uint64_t avail;
	uLong crc;
	const uint8_t *p;

	if (!img)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no image to check");
	if (!read_le32(img, base + FOME_CRC_OFFSET, &stored) ||
	    !read_le32(img, base + FOME_SIZE_OFFSET, &size))
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"not a FOME firmware image: no image header at 0x%08X (the "
				"image has no data there)", (unsigned)(base + FOME_CRC_OFFSET));
	/* 0xFFFFFFFF (blank) and 0 are the usual "no header" values; a
	 * header smaller than itself or over 1 MiB is not one FOME writes. */
	if (size < FOME_SIZE_OFFSET + 4 || size > FOME_MAX_SIZE)
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"not a FOME firmware image: the image size at 0x%08X reads "
				"0x%08X, not 36 bytes to 1 MiB", (unsigned)(base + FOME_SIZE_OFFSET),
				(unsigned)size);
	/* A header whose size runs past the file's data: cut short in a
	 * download or a copy. Refused as corrupt, before anything is erased. */
	avail = run_from(img, base);
	if (avail < size)
		return dfu_fail(ctx, DFU_ERR_CHECKSUM,
				"the FOME image at 0x%08X says it is %u bytes, the file has "
				"only %llu from there: the file is truncated; nothing was "
				"erased. Download it again", (unsigned)base, (unsigned)size,
				(unsigned long long)avail);
	p = bytes_at(img, base, &avail);
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, p, FOME_CRC_OFFSET);
	crc = crc32(crc, p + FOME_SIZE_OFFSET, size - FOME_SIZE_OFFSET);
	got = (uint32_t)crc;
	if (got != stored)
		return dfu_fail(ctx, DFU_ERR_CHECKSUM,
				"the FOME image at 0x%08X says CRC 0x%08X, its bytes give "
				"0x%08X: the file is corrupt or truncated; nothing was erased. "
				"Download it again", (unsigned)base, (unsigned)stored,
				(unsigned)got);
	if (size_out)
		*size_out = size;
	return DFU_OK;
}

/* Whether base holds a header check_at would compute a CRC for (or call
 * truncated): anything else means "no FOME image here". */
static bool plausible_at(const struct dfu_image *img, uint32_t base)
{
	uint32_t stored, size;

	return read_le32(img, base + FOME_CRC_OFFSET, &stored) &&
	       read_le32(img, base + FOME_SIZE_OFFSET, &size) &&
	       size >= FOME_SIZE_OFFSET + 4 && size <= FOME_MAX_SIZE;
}

/* See knowledge.h. A fome.bin with OpenBLT has the bootloader's vector
 * table at 0x08000000, whose reserved slots 0x1C-0x2B are 0: no header
 * there, so the application's at 0x08008000 (or 0x08020000) is found. */
int dfu_fome_find_app(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t *app_base,
		      uint32_t *size)
{
	size_t i, first_plausible = SIZE_MAX;
	uint32_t n = 0;

	if (!img)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no image to check");
	for (i = 0; i < sizeof(app_bases) / sizeof(app_bases[0]); i++) {
		if (!plausible_at(img, app_bases[i]))
			continue;
		if (first_plausible == SIZE_MAX)
			first_plausible = i;
		if (dfu_fome_check_at(NULL, img, app_bases[i], &n) == DFU_OK) {
			if (app_base)
				*app_base = app_bases[i];
			if (size)
				*size = n;
			return DFU_OK;
		}
	}
	if (first_plausible != SIZE_MAX)  /* again, for its detail */
		return dfu_fome_check_at(ctx, img, app_bases[first_plausible], &n);
	return dfu_fail(ctx, DFU_ERR_FORMAT,
			"not a FOME firmware image: no image header at 0x0800001C, 0x0800801C "
			"or 0x0802001C");
}

/* See knowledge.h. The chip names are chip.c's shapes (and
 * dfu_chip_from_registers()'s, which uses the same strings). */
uint32_t dfu_fome_openblt_app_base(const char *chip_name)
{
	if (!chip_name)
		return 0;
	if (!strncmp(chip_name, "STM32F4", 7) || !strncmp(chip_name, "STM32F7", 7))
		return 0x08008000u;
	if (!strncmp(chip_name, "STM32H7", 7))
		return 0x08020000u;
	return 0;
}

/* See knowledge.h. Both copies of the configuration, from fome-fw's
 * getFlashAddrFirstCopy()/getFlashAddrSecondCopy() and the sectors they
 * sit in:
 *   F4 >= 1 MB   0x080C0000 + 0x080E0000  sectors 10-11
 *   F4 512 KB    0x08060000 only          sector 7
 *   F7 1 MB dual 0x080C0000 + 0x080E0000  sectors 18-19
 *   F7 2 MB dual 0x08100000 + 0x08108000  sectors 12-15 (16 KB each)
 *   F7 2 MB single 0x08100000 + 0x08140000 sectors 8-9 (256 KB each)
 *   H743         0x08100000 + 0x08120000  bank 2 sectors 0-1
 * fome-fw gives a single-bank 1 MB F7 one copy at 0x080C0000 and no
 * second; FOME's build for those boards requires dual-bank mode, so we
 * refuse it rather than guess. */
int dfu_fome_tune_region(struct dfu_ctx *ctx, const struct dfu_chip_info *chip, bool dual_bank,
			 uint32_t *start, uint32_t *end)
{
	const char *name = chip && chip->name ? chip->name : "unknown";
	uint32_t kib = chip ? chip->flash_size / 1024 : 0;
	uint32_t s = 0, e = 0;

	if (!strncmp(name, "STM32F405", 9) || !strncmp(name, "STM32F42", 8)) {
		if (kib >= 1024) {
			s = 0x080C0000u;
			e = 0x08100000u;
		} else if (kib == 512) {
			s = 0x08060000u;
			e = 0x08080000u;
		}
	} else if (!strncmp(name, "STM32F74", 8) || !strncmp(name, "STM32F76", 8)) {
		if (kib == 1024 && !dual_bank)
			return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
					"FOME needs a 1 MB F7 in dual-bank mode (option byte "
					"nDBANK = 0); this %s is in single-bank mode. Set nDBANK "
					"to 0 first", name);
		if (kib == 1024) {
			s = 0x080C0000u;
			e = 0x08100000u;
		} else if (kib == 2048) {
			s = 0x08100000u;
			e = dual_bank ? 0x08110000u : 0x08180000u;
		}
	} else if (!strncmp(name, "STM32H74", 8) && kib == 2048) {
		s = 0x08100000u;
		e = 0x08140000u;
	}
	if (!s)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
				"no known FOME tune location on a %s with %u KiB of flash: "
				"FOME runs on STM32F405/407, F42x, F76x/F77x and H743",
				name, (unsigned)kib);
	*start = s;
	*end = e;
	return DFU_OK;
}

/* See knowledge.h. fome-fw builds the signature as
 *   "rusEFI (FOME) " + branch + "." + yyyy.MM.dd + "." + board + "." + hash
 * (ConfigDefinition.buildSignature); the branch is `git branch
 * --show-current`, which may itself hold dots, the board is the board
 * directory's short name (letters, digits, '-', '_'), the hash a decimal
 * number. So it is read from the right: hash, board, then three date
 * fields, and whatever is left is the branch. */
int dfu_fome_signature_board(const char *signature, char *board, size_t cap)
{
	const char *p, *end, *dot[5];
	size_t n, i, prefix = strlen(FOME_SIGNATURE_PREFIX);
	static const size_t date_len[3] = { 4, 2, 2 };

	if (!signature || strncmp(signature, FOME_SIGNATURE_PREFIX, prefix))
		return DFU_ERR_FORMAT;
	p = signature + prefix;
	end = p + strlen(p);
	/* dot[0] before the hash, dot[1] before the board, dot[2..4] before
	 * dd, MM, yyyy */
	for (i = 0; i < 5; i++) {
		const char *q = end;

		if (i)
			q = dot[i - 1];
		while (q > p && q[-1] != '.')
			q--;
		if (q <= p)
			return DFU_ERR_FORMAT;
		dot[i] = q - 1;
	}
	if (dot[4] == p)  /* no branch */
		return DFU_ERR_FORMAT;
	for (i = 0; i < 3; i++) {  /* dd, MM, yyyy */
		const char *f = dot[2 + i] + 1, *fe = dot[1 + i];
		const char *c;

		if ((size_t)(fe - f) != date_len[2 - i])
			return DFU_ERR_FORMAT;
		for (c = f; c < fe; c++)
			if (*c < '0' || *c > '9')
				return DFU_ERR_FORMAT;
	}
	if (dot[0] + 1 == end)
		return DFU_ERR_FORMAT;
	for (p = dot[0] + 1; p < end; p++)
		if (*p < '0' || *p > '9')
			return DFU_ERR_FORMAT;
	n = (size_t)(dot[0] - dot[1] - 1);
	if (!n)
		return DFU_ERR_FORMAT;
	for (p = dot[1] + 1; p < dot[0]; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return DFU_ERR_FORMAT;
	if (!board || n + 1 > cap)
		return DFU_ERR_RANGE;
	memcpy(board, dot[1] + 1, n);
	board[n] = '\0';
	return DFU_OK;
}

/* See dfuflash.h. */
int dfu_fome_tune(const struct dfu_chip_info *chip, bool dual_bank, uint32_t *start,
		  uint32_t *end)
{
	return dfu_fome_tune_region(NULL, chip, dual_bank, start, end);
}
