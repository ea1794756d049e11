/*
 * test_fome.c - what libdfuflash knows about FOME without a device: the
 * image CRC OpenBLT checks (good, corrupt, truncated, oversized, at each
 * base), where the application starts, where the tune lives on each chip
 * and bank mode, the board in real signatures from fome-fw's .ini files,
 * chips from their ID registers, and bundles: zips made at test time with
 * python3's zipfile (fome.bin with a CRC computed here, fome_update.srec by
 * srec_cat, an .ini with a signature line), broken ones, and plain files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "knowledge.h"
#include "testfiles.h"

/* ---- images with a FOME header ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Random bytes of size len with FOME's header: size at 0x20, the CRC over
 * everything but 0x1C-0x1F at 0x1C (as write_firmware_checksum.sh does). */
static uint8_t *make_app(uint32_t len, uint32_t seed)
{
	uint8_t *p = malloc(len);
	uLong crc;

	assert_non_null(p);
	tf_random(p, len, seed);
	put_le32(p + 0x20, len);
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, p, 0x1C);
	crc = crc32(crc, p + 0x20, len - 0x20);
	put_le32(p + 0x1C, (uint32_t)crc);
	return p;
}

/* A stand-in for OpenBLT: random code whose vector table's reserved slots
 * (0x1C-0x2B) are 0, as on a Cortex-M, with "OpenBLT" in it. */
static uint8_t *make_bootloader(uint32_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	tf_random(p, len, 77);
	memset(p + 0x1C, 0, 16);
	memcpy(p + 0x100, "OpenBLT", 7);
	return p;
}

static struct dfu_image *image_of(uint32_t addr, const uint8_t *data, size_t len)
{
	struct dfu_image *img = NULL;
	size_t t;

	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &t), DFU_OK);
	if (len)
		assert_int_equal(dfu_image_add_data(NULL, img, 0, addr, data, len), DFU_OK);
	return img;
}

struct crc_case {
	const char *name;
	uint32_t base;
	uint32_t len;           /* image size the header says */
	uint32_t have;          /* bytes in the image (truncation: fewer) */
	int flip;               /* offset of a byte to corrupt, -1 none */
	bool set_size;          /* overwrite the size (after the CRC) with: */
	uint32_t size_field;
	int err;
	const char *detail;
};

static const struct crc_case crc_cases[] = {
	{ "good at 0x08000000", 0x08000000, 40000, 40000, -1, false, 0, DFU_OK, "" },
	{ "good at 0x08008000", 0x08008000, 40000, 40000, -1, false, 0, DFU_OK, "" },
	{ "good at 0x08020000", 0x08020000, 40000, 40000, -1, false, 0, DFU_OK, "" },
	{ "good, data after the image", 0x08008000, 3000, 5000, -1, false, 0, DFU_OK, "" },
	{ "corrupt byte", 0x08008000, 40000, 40000, 30000, false, 0, DFU_ERR_CHECKSUM,
	  "the FOME image at 0x08008000 says CRC 0x" },
	{ "corrupt first byte", 0x08000000, 4000, 4000, 0, false, 0, DFU_ERR_CHECKSUM,
	  "the file is corrupt or truncated; nothing was erased" },
	{ "truncated", 0x08020000, 40000, 39000, -1, false, 0, DFU_ERR_CHECKSUM,
	  "says it is 40000 bytes, the file has only 39000 from there: the file is truncated" },
	{ "size over 1 MiB", 0x08008000, 4000, 4000, -1, true, 0x100001, DFU_ERR_FORMAT,
	  "reads 0x00100001, not 36 bytes to 1 MiB" },
	{ "size 0", 0x08008000, 4000, 4000, -1, true, 0, DFU_ERR_FORMAT,
	  "reads 0x00000000, not 36 bytes to 1 MiB" },
	{ "size blank", 0x08008000, 4000, 4000, -1, true, 0xFFFFFFFF, DFU_ERR_FORMAT,
	  "not a FOME firmware image" },
	{ "no header: too short", 0x08008000, 4000, 0x20, -1, false, 0, DFU_ERR_FORMAT,
	  "no image header at 0x0800801C" },
};

static void crc_check(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(crc_cases) / sizeof(crc_cases[0]); i++) {
		const struct crc_case *c = &crc_cases[i];
		struct dfu_ctx *ctx = NULL;
		struct dfu_image *img;
		uint8_t *p = make_app(c->len, (uint32_t)i);  /* the header: len bytes */
		uint32_t size = 0;
		int ret;

		if (c->have > c->len) {
			p = realloc(p, c->have);
			assert_non_null(p);
			memset(p + c->len, 0x5A, c->have - c->len);
		}
		if (c->flip >= 0)
			p[c->flip] ^= 0x01;
		if (c->set_size)
			put_le32(p + 0x20, c->size_field);
		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		img = image_of(c->base, p, c->have);
		ret = dfu_fome_check_at(ctx, img, c->base, &size);
		if (ret != c->err)
			fail_msg("%s: got %s (%s), want %s", c->name, dfu_errname(ret),
				 dfu_detail(ctx), dfu_errname(c->err));
		if (!ret)
			assert_int_equal(size, c->len);
		else if (!strstr(dfu_detail(ctx), c->detail))
			fail_msg("%s: detail '%s' lacks '%s'", c->name, dfu_detail(ctx), c->detail);
		dfu_image_free(img);
		dfu_ctx_free(ctx);
		free(p);
	}
}

/* fome.bin with OpenBLT: bootloader at 0x08000000, application behind it. */
static struct dfu_image *full_image(uint32_t app_base, uint32_t app_len, bool corrupt)
{
	uint32_t bl_len = app_base - 0x08000000u;
	uint8_t *all = malloc(bl_len + app_len), *app = make_app(app_len, 5), *bl;
	struct dfu_image *img;

	assert_non_null(all);
	if (bl_len) {
		bl = make_bootloader(bl_len);
		memcpy(all, bl, bl_len);
		free(bl);
	}
	memcpy(all + bl_len, app, app_len);
	if (corrupt)
		all[bl_len + app_len - 1] ^= 0x80;
	img = image_of(0x08000000u, all, bl_len + app_len);
	free(app);
	free(all);
	return img;
}

static void find_app(void **state)
{
	static const uint32_t bases[] = { 0x08000000u, 0x08008000u, 0x08020000u };
	struct dfu_ctx *ctx = NULL;
	struct dfu_image *img;
	uint32_t base = 0, size = 0;
	uint8_t junk[0x30000];
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < 3; i++) {
		img = full_image(bases[i], 20000, false);
		assert_int_equal(dfu_fome_find_app(ctx, img, &base, &size), DFU_OK);
		assert_int_equal(base, bases[i]);
		assert_int_equal(size, 20000);
		dfu_image_free(img);

		img = full_image(bases[i], 20000, true);
		assert_int_equal(dfu_fome_find_app(ctx, img, &base, &size), DFU_ERR_CHECKSUM);
		assert_non_null(strstr(dfu_detail(ctx), "says CRC"));
		dfu_image_free(img);
	}
	/* an application alone at 0x08008000 (fome_update.srec) */
	{
		uint8_t *app = make_app(5000, 9);

		img = image_of(0x08008000u, app, 5000);
		assert_int_equal(dfu_fome_find_app(ctx, img, &base, NULL), DFU_OK);
		assert_int_equal(base, 0x08008000u);
		dfu_image_free(img);
		free(app);
	}
	/* bytes with no header anywhere (blank slots) */
	memset(junk, 0xFF, sizeof(junk));
	img = image_of(0x08000000u, junk, sizeof(junk));
	assert_int_equal(dfu_fome_find_app(ctx, img, &base, &size), DFU_ERR_FORMAT);
	assert_string_equal(dfu_detail(ctx), "not a FOME firmware image: no image header at "
			    "0x0800001C, 0x0800801C or 0x0802001C");
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

static void openblt_app_base(void **state)
{
	(void)state;
	assert_int_equal(dfu_fome_openblt_app_base("STM32F405/407/415/417"), 0x08008000u);
	assert_int_equal(dfu_fome_openblt_app_base("STM32F42x/43x"), 0x08008000u);
	assert_int_equal(dfu_fome_openblt_app_base("STM32F76x/77x"), 0x08008000u);
	assert_int_equal(dfu_fome_openblt_app_base("STM32F74x/75x or F76x/77x 1 MB"), 0x08008000u);
	assert_int_equal(dfu_fome_openblt_app_base("STM32H74x/75x"), 0x08020000u);
	assert_int_equal(dfu_fome_openblt_app_base("unknown"), 0);
	assert_int_equal(dfu_fome_openblt_app_base(NULL), 0);
}

struct tune_case {
	const char *chip;
	uint32_t kib;
	bool dual;
	int err;
	uint32_t start, end;
};

static const struct tune_case tune_cases[] = {
	{ "STM32F405/407/415/417", 1024, false, DFU_OK, 0x080C0000, 0x08100000 },
	{ "STM32F405/407/415/417", 512, false, DFU_OK, 0x08060000, 0x08080000 },
	{ "STM32F42x/43x", 2048, false, DFU_OK, 0x080C0000, 0x08100000 },
	{ "STM32F42x/43x", 1024, false, DFU_OK, 0x080C0000, 0x08100000 },
	{ "STM32F74x/75x or F76x/77x 1 MB", 1024, true, DFU_OK, 0x080C0000, 0x08100000 },
	{ "STM32F74x/75x or F76x/77x 1 MB", 1024, false, DFU_ERR_UNSUPPORTED, 0, 0 },
	{ "STM32F76x/77x", 2048, true, DFU_OK, 0x08100000, 0x08110000 },
	{ "STM32F76x/77x", 2048, false, DFU_OK, 0x08100000, 0x08180000 },
	{ "STM32H74x/75x", 2048, false, DFU_OK, 0x08100000, 0x08140000 },
	{ "STM32H7 (1 MB)", 1024, false, DFU_ERR_UNSUPPORTED, 0, 0 },
	{ "STM32F72x/73x", 512, false, DFU_ERR_UNSUPPORTED, 0, 0 },
	{ "unknown", 0, false, DFU_ERR_UNSUPPORTED, 0, 0 },
};

static void tune_region(void **state)
{
	struct dfu_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(tune_cases) / sizeof(tune_cases[0]); i++) {
		const struct tune_case *c = &tune_cases[i];
		struct dfu_chip_info chip = { c->chip, 0x08000000u, c->kib * 1024 };
		uint32_t s = 1, e = 1;
		int ret = dfu_fome_tune_region(ctx, &chip, c->dual, &s, &e);

		if (ret != c->err)
			fail_msg("%s %u KiB %s: got %s", c->chip, c->kib,
				 c->dual ? "dual" : "single", dfu_errname(ret));
		if (!ret) {
			assert_int_equal(s, c->start);
			assert_int_equal(e, c->end);
		} else {
			assert_int_equal(s, 1);  /* untouched on failure */
		}
	}
	{
		struct dfu_chip_info chip = { "STM32F74x/75x or F76x/77x 1 MB", 0x08000000u,
					      1024 * 1024 };
		uint32_t s, e;

		dfu_fome_tune_region(ctx, &chip, false, &s, &e);
		assert_non_null(strstr(dfu_detail(ctx), "FOME needs a 1 MB F7 in dual-bank mode"));
	}
	dfu_ctx_free(ctx);
}

struct sig_case {
	const char *sig;
	int err;
	const char *board;
};

/* The first ones are signature lines of fome-fw's generated .ini files
 * (firmware/tunerstudio/generated/), as they are. */
static const struct sig_case sig_cases[] = {
	{ "rusEFI (FOME) master.2026.08.22.alphax-2chan.1619606517", DFU_OK, "alphax-2chan" },
	{ "rusEFI (FOME) master.2026.08.22.f407-discovery.2761473362", DFU_OK, "f407-discovery" },
	{ "rusEFI (FOME) master.2026.08.22.frankenso_na6.1736760568", DFU_OK, "frankenso_na6" },
	{ "rusEFI (FOME) master.2026.08.22.hellen-gm-e67.750719713", DFU_OK, "hellen-gm-e67" },
	{ "rusEFI (FOME) master.2026.08.22.core8.2112958852", DFU_OK, "core8" },
	/* git branch names may hold dots */
	{ "rusEFI (FOME) release.2024.10.2025.01.31.proteus_f7.12", DFU_OK, "proteus_f7" },
	{ "rusEFI (FOME) sim.2026.01.01.f407.00000000", DFU_OK, "f407" },
	{ "rusEFI master.2021.09.22.all.3378169541", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) 2026.08.22.core8.2112958852", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) master.2026.8.22.core8.2112958852", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) master.2026.08.22.core8.21129x", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) master.2026.08.22..2112958852", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) master.2026.08.22.core 8.2112958852", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) master.2026.08.22.core8.", DFU_ERR_FORMAT, NULL },
	{ "rusEFI (FOME) ", DFU_ERR_FORMAT, NULL },
	{ "", DFU_ERR_FORMAT, NULL },
};

static void signature_board(void **state)
{
	char board[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		int ret = dfu_fome_signature_board(sig_cases[i].sig, board, sizeof(board));

		if (ret != sig_cases[i].err)
			fail_msg("'%s': got %s", sig_cases[i].sig, dfu_errname(ret));
		if (!ret)
			assert_string_equal(board, sig_cases[i].board);
	}
	assert_int_equal(dfu_fome_signature_board(sig_cases[0].sig, board, 12), DFU_ERR_RANGE);
	assert_int_equal(dfu_fome_signature_board(sig_cases[0].sig, board, 13), DFU_OK);
	assert_int_equal(dfu_fome_signature_board(NULL, board, 13), DFU_ERR_FORMAT);
}

struct reg_case {
	uint16_t dev_id;
	uint32_t kib;
	const char *name;
	size_t sectors;
	bool bank_mode_matters;
};

static const struct reg_case reg_cases[] = {
	{ 0x413, 1024, "STM32F405/407/415/417", 12, false },
	{ 0x413, 512, "STM32F405/407/415/417", 8, false },
	{ 0x419, 2048, "STM32F42x/43x", 24, false },
	{ 0x419, 1024, "STM32F42x/43x", 12, false },
	{ 0x452, 512, "STM32F72x/73x", 8, false },
	{ 0x449, 1024, "STM32F74x/75x or F76x/77x 1 MB", 8, true },
	{ 0x449, 512, "STM32F74x/75x", 6, false },
	{ 0x451, 2048, "STM32F76x/77x", 12, true },
	{ 0x451, 1024, "STM32F74x/75x or F76x/77x 1 MB", 8, true },
	{ 0x6451, 1024, "STM32F74x/75x or F76x/77x 1 MB", 8, true },  /* REV_ID bits */
	{ 0x450, 2048, "STM32H74x/75x", 16, false },
	{ 0x450, 1024, "STM32H7 (1 MB)", 8, false },
};

static void chip_from_registers(void **state)
{
	struct dfu_layout *map = NULL, *true_map = NULL;
	struct dfu_chip_info chip, by_map;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reg_cases) / sizeof(reg_cases[0]); i++) {
		const struct reg_case *c = &reg_cases[i];
		uint64_t total = 0;
		size_t k;

		assert_int_equal(dfu_chip_from_registers(c->dev_id, c->kib, &map, &chip), DFU_OK);
		assert_string_equal(chip.name, c->name);
		assert_int_equal(chip.flash_base, 0x08000000u);
		assert_int_equal(chip.flash_size, c->kib * 1024);
		assert_int_equal(map->count, c->sectors);
		for (k = 0; k < map->count; k++) {
			assert_int_equal(map->sectors[k].number, k);
			total += map->sectors[k].size;
		}
		assert_int_equal(total, (uint64_t)c->kib * 1024);
		assert_int_equal(dfu_chip_bank_mode_matters(map), c->bank_mode_matters);
		/* the DFU route names the part alike where the shapes know it */
		assert_int_equal(dfu_chip_identify(0xDF11, 0x2200, map, &by_map), DFU_OK);
		if (strcmp(by_map.name, "STM32 (unrecognised layout)") &&
		    !(c->dev_id == 0x413 && c->kib == 512) &&  /* the F72x's shape */
		    !(c->dev_id == 0x419 && c->kib == 1024))   /* the F405's */
			assert_string_equal(by_map.name, c->name);
		dfu_layout_free(map);
		map = NULL;
	}
	/* the 1 MB F767 in dual-bank mode: bank 2 numbered from 12 */
	assert_int_equal(dfu_chip_from_registers(0x451, 1024, &map, NULL), DFU_OK);
	assert_int_equal(dfu_chip_true_map(NULL, map, true, &true_map), DFU_OK);
	assert_int_equal(true_map->count, 16);
	assert_int_equal(true_map->sectors[8].address, 0x08080000u);
	assert_int_equal(true_map->sectors[8].number, 12);
	assert_int_equal(true_map->sectors[15].number, 19);
	dfu_layout_free(true_map);
	dfu_layout_free(map);

	assert_int_equal(dfu_chip_from_registers(0x451, 512, &map, &chip), DFU_ERR_UNSUPPORTED);
	assert_int_equal(dfu_chip_from_registers(0x411, 1024, NULL, NULL), DFU_ERR_UNSUPPORTED);
	assert_int_equal(dfu_chip_from_registers(0x413, 1024, NULL, &chip), DFU_OK);
}

/* ---- bundles ---- */

/* Zips the files named in DIR into DIR/zipname, each under folder/ (or
 * at the top when folder is ""). */
static void make_zip(const char *zipname, const char *folder, const char *files)
{
	assert_int_equal(tf_run("python3 -c 'import sys, zipfile\n"
				"z = zipfile.ZipFile(sys.argv[1], \"w\", zipfile.ZIP_DEFLATED)\n"
				"for f in sys.argv[3:]: z.write(f, sys.argv[2] + f)\n"
				"z.writestr(sys.argv[2] + \"drivers/readme.txt\", \"drivers\")\n"
				"z.close()' %s '%s' %s", zipname, folder, files), 0);
}

static const char ini_text[] =
	";-------------------------------------------------------------------------------\n"
	"[MegaTune]\n"
	"   ; https://rusefi.com/forum/viewtopic.php?p=36201#p36201\n"
	"	signature = \"rusEFI (FOME) master.2026.08.22.f407-discovery.2761473362\" ; "
	"signature is expected to be 7 or more characters\n"
	"\n[TunerStudio]\n"
	"	signature = \"not this one\"\n";

/* fome.bin (OpenBLT + application), fome_update.srec (the application),
 * fome_bl.srec, the .ini, in DIR. bad_srec corrupts the .srec's app. */
static void make_bundle_files(uint32_t app_base, bool bad_srec)
{
	uint32_t bl_len = app_base - 0x08000000u, app_len = 50000;
	uint8_t *bl = bl_len ? make_bootloader(bl_len) : NULL, *app = make_app(app_len, 21);
	uint8_t *all = malloc(bl_len + app_len);

	assert_non_null(all);
	if (bl_len)
		memcpy(all, bl, bl_len);
	memcpy(all + bl_len, app, app_len);
	assert_true(tf_write("fome.bin", all, bl_len + app_len));
	if (bad_srec)
		app[40000] ^= 0xFF;
	assert_true(tf_write("app.bin", app, app_len));
	assert_int_equal(tf_run("srec_cat app.bin -binary -offset 0x%08X -o fome_update.srec "
				"-motorola -address-length=4", (unsigned)app_base), 0);
	assert_true(tf_write_str("fome_f407-discovery.ini", ini_text));
	free(bl);
	free(app);
	free(all);
}

static void bundle_good(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_fome_bundle *b = NULL;
	struct dfu_fome_bundle_info info;
	struct dfu_segment seg;

	(void)state;
	if (!tf_have("srec_cat") || !tf_have("python3"))
		skip();
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	make_bundle_files(0x08008000u, false);
	/* an .ini without a signature first: the one with it names the board */
	assert_true(tf_write_str("aaa.ini", "[Settings]\nfoo = 1\n"));
	make_zip("good.zip", "fome_bundle_f407-discovery/",
		 "aaa.ini fome.bin fome_update.srec fome_f407-discovery.ini");
	if (dfu_fome_bundle_read(ctx, tf_path("good.zip"), &b) != DFU_OK)
		fail_msg("%s", dfu_detail(ctx));
	dfu_fome_bundle_info(b, &info);
	assert_string_equal(info.path, tf_path("good.zip"));
	assert_string_equal(info.board, "f407-discovery");
	assert_string_equal(info.signature,
			    "rusEFI (FOME) master.2026.08.22.f407-discovery.2761473362");
	assert_non_null(info.full);
	assert_non_null(info.update);
	assert_true(info.full_has_openblt);
	assert_int_equal(info.full_app_base, 0x08008000u);
	assert_int_equal(dfu_image_segment(info.update, 0, 0, &seg), DFU_OK);
	assert_int_equal(seg.address, 0x08008000u);
	assert_int_equal(seg.size, 50000);
	assert_int_equal(dfu_image_segment(info.full, 0, 0, &seg), DFU_OK);
	assert_int_equal(seg.address, 0x08000000u);
	assert_int_equal(seg.size, 0x8000 + 50000);
	dfu_fome_bundle_free(b);

	/* H7: OpenBLT's 128 KiB; a zip with its files at the top level */
	make_bundle_files(0x08020000u, false);
	make_zip("h7.zip", "", "fome.bin fome_update.srec fome_f407-discovery.ini");
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("h7.zip"), &b), DFU_OK);
	dfu_fome_bundle_info(b, &info);
	assert_int_equal(info.full_app_base, 0x08020000u);
	assert_true(info.full_has_openblt);
	dfu_fome_bundle_free(b);

	/* a board without OpenBLT: fome.bin is the application, no .srec, no .ini */
	make_bundle_files(0x08000000u, false);
	make_zip("noblt.zip", "fome_bundle_x/", "fome.bin");
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("noblt.zip"), &b), DFU_OK);
	dfu_fome_bundle_info(b, &info);
	assert_false(info.full_has_openblt);
	assert_int_equal(info.full_app_base, 0x08000000u);
	assert_null(info.update);
	assert_null(info.board);
	assert_null(info.signature);
	dfu_fome_bundle_free(b);
	dfu_fome_bundle_free(NULL);
	dfu_ctx_free(ctx);
}

struct bad_bundle {
	const char *name;
	void (*make)(void);
	const char *file;
	int err;
	const char *detail;
};

static void mk_bad_srec(void)
{
	make_bundle_files(0x08008000u, true);
	make_zip("bad.zip", "fome_bundle_f407-discovery/",
		 "fome.bin fome_update.srec fome_f407-discovery.ini");
}

static void mk_bad_bin(void)
{
	uint8_t *p;
	size_t len;

	make_bundle_files(0x08008000u, false);
	p = tf_read("fome.bin", &len);
	assert_non_null(p);
	p[len - 3] ^= 1;
	assert_true(tf_write("fome.bin", p, len));
	free(p);
	make_zip("bad.zip", "fome_bundle_f407-discovery/",
		 "fome.bin fome_update.srec fome_f407-discovery.ini");
}

static void mk_no_bin(void)
{
	make_bundle_files(0x08008000u, false);
	make_zip("bad.zip", "fome_bundle_f407-discovery/",
		 "fome_update.srec fome_f407-discovery.ini");
}

static void mk_broken_zip(void)
{
	static const uint8_t junk[] = "PK\003\004this is not the rest of a zip";

	assert_true(tf_write("bad.zip", junk, sizeof(junk)));
}

static void mk_damaged_zip(void)
{
	uint8_t *p;
	size_t len;

	make_bundle_files(0x08008000u, false);
	assert_int_equal(tf_run("python3 -c 'import zipfile\n"
				"z = zipfile.ZipFile(\"bad.zip\", \"w\", zipfile.ZIP_STORED)\n"
				"z.write(\"fome.bin\", \"b/fome.bin\")\nz.close()'"), 0);
	/* one byte of the stored fome.bin changed: the zip's own CRC fails */
	p = tf_read("bad.zip", &len);
	assert_non_null(p);
	p[30 + 10 + 20000] ^= 0x40;
	assert_true(tf_write("bad.zip", p, len));
	free(p);
}

static void mk_not_fome_bin(void)
{
	uint8_t junk[4096];

	memset(junk, 0, sizeof(junk));
	assert_true(tf_write("bad.bin", junk, sizeof(junk)));
}

static void mk_truncated_bin(void)
{
	uint8_t *app = make_app(30000, 3);

	assert_true(tf_write("bad.bin", app, 20000));
	free(app);
}

static const struct bad_bundle bad_bundles[] = {
	{ "bad CRC in fome_update.srec", mk_bad_srec, "bad.zip", DFU_ERR_CHECKSUM,
	  "fome_bundle_f407-discovery/fome_update.srec: the FOME image at 0x08008000 says CRC" },
	{ "bad CRC in fome.bin", mk_bad_bin, "bad.zip", DFU_ERR_CHECKSUM,
	  "fome_bundle_f407-discovery/fome.bin: the FOME image at 0x08008000 says CRC" },
	{ "no fome.bin", mk_no_bin, "bad.zip", DFU_ERR_FORMAT,
	  "no fome.bin inside: not a FOME bundle" },
	{ "not a zip after all", mk_broken_zip, "bad.zip", DFU_ERR_FORMAT,
	  "not a readable zip" },
	{ "damaged entry", mk_damaged_zip, "bad.zip", DFU_ERR_FORMAT,
	  "download the bundle again" },
	{ "plain .bin without a header", mk_not_fome_bin, "bad.bin", DFU_ERR_FORMAT,
	  "not a FOME firmware image: no image header at 0x0800001C, 0x0800801C or 0x0802001C" },
	{ "plain .bin truncated", mk_truncated_bin, "bad.bin", DFU_ERR_CHECKSUM,
	  "the file is truncated" },
};

static void bundle_bad(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_fome_bundle *b;
	size_t i;

	(void)state;
	if (!tf_have("srec_cat") || !tf_have("python3"))
		skip();
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(bad_bundles) / sizeof(bad_bundles[0]); i++) {
		const struct bad_bundle *c = &bad_bundles[i];
		int ret;

		b = NULL;
		c->make();
		ret = dfu_fome_bundle_read(ctx, tf_path(c->file), &b);
		if (ret != c->err || !strstr(dfu_detail(ctx), c->detail))
			fail_msg("%s: got %s '%s', want %s '%s'", c->name, dfu_errname(ret),
				 dfu_detail(ctx), dfu_errname(c->err), c->detail);
		assert_null(b);
	}
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("missing.zip"), &b), DFU_ERR_IO);
	dfu_ctx_free(ctx);
}

static void bundle_plain(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_fome_bundle *b = NULL;
	struct dfu_fome_bundle_info info;

	(void)state;
	if (!tf_have("srec_cat"))
		skip();
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	make_bundle_files(0x08008000u, false);
	/* .bin: at 0x08000000, the full image */
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("fome.bin"), &b), DFU_OK);
	dfu_fome_bundle_info(b, &info);
	assert_non_null(info.full);
	assert_null(info.update);
	assert_null(info.board);
	assert_true(info.full_has_openblt);
	assert_int_equal(info.full_app_base, 0x08008000u);
	dfu_fome_bundle_free(b);
	/* .srec at the application base: the update */
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("fome_update.srec"), &b), DFU_OK);
	dfu_fome_bundle_info(b, &info);
	assert_null(info.full);
	assert_non_null(info.update);
	assert_null(info.signature);
	dfu_fome_bundle_free(b);
	/* the application alone as a .bin (board without OpenBLT) */
	assert_int_equal(dfu_fome_bundle_read(ctx, tf_path("app.bin"), &b), DFU_OK);
	dfu_fome_bundle_info(b, &info);
	assert_non_null(info.full);
	assert_false(info.full_has_openblt);
	dfu_fome_bundle_free(b);
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_check),
		cmocka_unit_test(find_app),
		cmocka_unit_test(openblt_app_base),
		cmocka_unit_test(tune_region),
		cmocka_unit_test(signature_board),
		cmocka_unit_test(chip_from_registers),
		cmocka_unit_test(bundle_good),
		cmocka_unit_test(bundle_bad),
		cmocka_unit_test(bundle_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
