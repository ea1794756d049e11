/*
 * test_layout.c - DfuSe layout strings as the ST ROMs send them (REFERENCE.md)
 * become the right sector maps; malformed ones are refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dfuflash.h"

struct layout_case {
	const char *what;
	const char *str;
	const char *name;
	size_t count;
	uint32_t first;          /* address of sector 0 */
	uint32_t end;            /* address after the last sector */
	unsigned flags;          /* of sector 0 */
	/* one sector checked in detail */
	unsigned probe;
	uint32_t probe_address;
	uint32_t probe_size;
};

#define RWE (DFU_SECTOR_READABLE | DFU_SECTOR_ERASABLE | DFU_SECTOR_WRITABLE)

static const struct layout_case good[] = {
	{ "F407 flash", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
	  "Internal Flash", 12, 0x08000000, 0x08100000, RWE, 5, 0x08020000, 131072 },
	{ "F407 option bytes (old ROM, 'g' after a blank)", "@Option Bytes  /0x1FFFC000/01*016 g",
	  "Option Bytes", 1, 0x1FFFC000, 0x1FFFC010, RWE, 0, 0x1FFFC000, 16 },
	{ "F407 option bytes (v2.2 ROM, 'e')", "@Option Bytes  /0x1FFFC000/01*016 e",
	  "Option Bytes", 1, 0x1FFFC000, 0x1FFFC010, DFU_SECTOR_READABLE | DFU_SECTOR_WRITABLE,
	  0, 0x1FFFC000, 16 },
	{ "OTP, two runs", "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "OTP Memory", 2,
	  0x1FFF7800, 0x1FFF7A10, DFU_SECTOR_READABLE | DFU_SECTOR_WRITABLE, 1, 0x1FFF7A00, 16 },
	{ "F722 OTP without a unit", "@OTP Memory /0x1FF07800/01*528e", "OTP Memory", 1,
	  0x1FF07800, 0x1FF07A10, DFU_SECTOR_READABLE | DFU_SECTOR_WRITABLE, 0, 0x1FF07800, 528 },
	{ "F429 two banks", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg",
	  "Internal Flash", 24, 0x08000000, 0x08200000, RWE, 12, 0x08100000, 16384 },
	{ "F429 option bytes: two groups", "@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e",
	  "Option Bytes", 2, 0x1FFFC000, 0x1FFEC010, DFU_SECTOR_READABLE | DFU_SECTOR_WRITABLE,
	  1, 0x1FFEC000, 16 },
	{ "F767 single bank", "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg",
	  "Internal Flash", 12, 0x08000000, 0x08200000, RWE, 11, 0x081C0000, 262144 },
	{ "H743, three blanks", "@Internal Flash   /0x08000000/16*128Kg", "Internal Flash", 16,
	  0x08000000, 0x08200000, RWE, 8, 0x08100000, 131072 },
	{ "device feature", "@Device Feature/0xFFFF0000/01*004 e", "Device Feature", 1,
	  0xFFFF0000, 0xFFFF0004, DFU_SECTOR_READABLE | DFU_SECTOR_WRITABLE, 0, 0xFFFF0000, 4 },
	{ "megabytes, 'a' read-only", "@X/0x00000000/2*1Ma", "X", 2, 0, 0x200000,
	  DFU_SECTOR_READABLE, 1, 0x100000, 1048576 },
};

static void parses_rom_strings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct layout_case *c = &good[i];
		struct dfu_layout *lay = NULL;
		const struct dfu_sector *last;

		print_message("case: %s\n", c->what);
		assert_int_equal(dfu_layout_parse(NULL, c->str, &lay), DFU_OK);
		assert_string_equal(lay->name, c->name);
		assert_int_equal(lay->count, c->count);
		assert_int_equal(lay->sectors[0].address, c->first);
		assert_int_equal(lay->sectors[0].flags, c->flags);
		last = &lay->sectors[lay->count - 1];
		assert_int_equal(last->address + last->size, c->end);
		assert_int_equal(lay->sectors[c->probe].number, c->probe);
		assert_int_equal(lay->sectors[c->probe].address, c->probe_address);
		assert_int_equal(lay->sectors[c->probe].size, c->probe_size);
		dfu_layout_free(lay);
	}
}

static void finds_sectors(void **state)
{
	struct dfu_layout *lay = NULL;
	const struct dfu_sector *s;

	(void)state;
	assert_int_equal(dfu_layout_parse(NULL,
		"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", &lay), DFU_OK);
	s = dfu_layout_find(lay, 0x08000000);
	assert_non_null(s);
	assert_int_equal(s->number, 0);
	s = dfu_layout_find(lay, 0x0800FFFF);
	assert_int_equal(s->number, 3);
	s = dfu_layout_find(lay, 0x08010000);
	assert_int_equal(s->number, 4);
	s = dfu_layout_find(lay, 0x080FFFFF);
	assert_int_equal(s->number, 11);
	assert_null(dfu_layout_find(lay, 0x08100000));
	assert_null(dfu_layout_find(lay, 0x07FFFFFF));
	dfu_layout_free(lay);
}

struct bad_case {
	const char *str;
	const char *detail_has;
};

static const struct bad_case bad[] = {
	{ "Internal Flash /0x08000000/04*016Kg", "'@'" },
	{ "@Internal Flash", "no address" },
	{ "@Flash/08000000/04*016Kg", "0xADDRESS" },
	{ "@Flash/0x08000000/04*016K", "sector type" },
	{ "@Flash/0x08000000/04*016Kz", "sector type" },
	{ "@Flash/0x08000000/04016Kg", "N*SIZE" },
	{ "@Flash/0x08000000/*016Kg", "N*SIZE" },
	{ "@Flash/0x08000000/00*016Kg", "empty" },
	{ "@Flash/0x08000000/04*000Kg", "empty" },
	{ "@Flash/0x08000000/04*016Kg,", "N*SIZE" },
	{ "@Flash/0x08000000/04*016Kg;x", "unexpected" },
	{ "@Flash/0xF0000000/04*1024Mg", "4 GiB" },
	{ "@Flash/0x08000000/99999999*1g", "sectors" },
	{ "@Flash/0x08000000/99999999999*1g", "N*SIZE" },
	{ "@Flash/0x1FFFFFFFF/1*1g", "0xADDRESS" },
};

static void refuses_malformed(void **state)
{
	struct dfu_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dfu_layout *lay = (struct dfu_layout *)0x1;

		print_message("case: %s\n", bad[i].str);
		assert_int_equal(dfu_layout_parse(ctx, bad[i].str, &lay), DFU_ERR_FORMAT);
		/* Out-parameters are written only on success. */
		assert_ptr_equal(lay, (struct dfu_layout *)0x1);
		assert_non_null(strstr(dfu_detail(ctx), bad[i].detail_has));
	}
	dfu_ctx_free(ctx);
}

/* Scrambled ROM strings: never a crash or a leak (ASan in CI); whatever
 * parses is a sane map. */
static void scrambled(void **state)
{
	static const char alphabet[] = "@/0x*,KMBgae 0123456789ABCDEFxz";
	unsigned seed = 99;
	size_t i, k;

	(void)state;
	for (i = 0; i < 50000; i++) {
		const struct layout_case *c = &good[i % (sizeof(good) / sizeof(good[0]))];
		char buf[128];
		size_t n = strlen(c->str);
		struct dfu_layout *lay = NULL;

		memcpy(buf, c->str, n + 1);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % n] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (i % 7 == 0)
			buf[(seed >> 4) % n] = '\0';
		if (dfu_layout_parse(NULL, buf, &lay) == DFU_OK) {
			size_t j;

			assert_true(lay->count > 0 && lay->count <= 4096);
			for (j = 0; j < lay->count; j++) {
				assert_true(lay->sectors[j].size > 0);
				assert_int_equal(lay->sectors[j].number, j);
			}
			dfu_layout_free(lay);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_rom_strings),
		cmocka_unit_test(finds_sectors),
		cmocka_unit_test(refuses_malformed),
		cmocka_unit_test(scrambled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
