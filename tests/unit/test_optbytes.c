/*
 * test_optbytes.c - option bytes per family (lib/optbytes.c): raw bytes as
 * the ROMs show them decode to the right fields (the real dual-bank F767ZI
 * dump from REFERENCE.md among them); NAME=VALUE changes encode with their
 * complements right and round-trip; our layouts agree byte for byte with
 * the simulator's model; and a write through the simulated ROM resets the
 * chip and reads back as written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dfuflash.h"
#include "sim_transport.h"

/* A field expected after decoding raw bytes. */
struct want_field {
	const char *name;
	uint32_t value;
	const char *text;   /* a substring of its sentence, or NULL */
};

struct decode_case {
	const char *what;
	enum dfu_ob_family family;
	uint8_t raw[DFU_OB_MAX_LEN];
	size_t len;
	struct want_field fields[6];
};

static const struct decode_case decode_cases[] = {
	{ "F405 factory", DFU_OB_F4,
	  { 0xFF, 0xAA, 0x00, 0x55, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
	    0xFF, 0xFF, 0xFF, 0xFF }, 16,
	  { { "RDP", 0xAA, "level 0" }, { "BOR_LEV", 3, "off" }, { "nWRP", 0xFFF, "no sector" },
	    { "WDG_SW", 1, NULL }, { "nRST_STDBY", 1, NULL }, { NULL, 0, NULL } } },
	{ "F405 level 1, BOR level 3, sectors 0 and 5 protected", DFU_OB_F4,
	  { 0xF3, 0x55, 0x0C, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xDE, 0xFF, 0x21, 0x00 }, 16,
	  { { "RDP", 0x55, "level 1" }, { "BOR_LEV", 0, "level 3" },
	    { "nWRP", 0xFDE, "sectors: 0 5" }, { "WDG_SW", 1, NULL }, { NULL, 0, NULL } } },
	{ "F405 level 2", DFU_OB_F4, { 0xFF, 0xCC }, 16,
	  { { "RDP", 0xCC, "locked for good" }, { NULL, 0, NULL } } },
	{ "F429 BFB2, DB1M, sector 13 protected in area 2", DFU_OB_F42X,
	  { 0xFF, 0xAA, 0x00, 0x55, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x80,
	    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	    0xFD, 0xFF, 0x02, 0x00, 0xFF, 0xFF, 0xFF, 0xFF }, 32,
	  { { "BFB2", 1, "bank 2" }, { "DB1M", 1, "two banks" }, { "SPRMOD", 0, "write protection" },
	    { "nWRP2", 0xFFD, "sectors: 13" }, { "nWRP", 0xFFF, "no sector" }, { NULL, 0, NULL } } },
	/* REFERENCE.md: 1fff0000: 5500aaff, 1fff0008: 2000dfff, 1fff0010:
	 * ff7f0080, 1fff0018: ffbf0040 (32-bit words, little-endian). */
	{ "F767ZI dual-bank dump", DFU_OB_F7,
	  { 0xFF, 0xAA, 0x00, 0x55, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xDF, 0x00, 0x20,
	    0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	    0x40, 0x00, 0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 32,
	  { { "nDBANK", 0, "dual bank" }, { "nDBOOT", 1, "dual boot off" },
	    { "BOOT_ADD0", 0x0080, "0x00200000 (flash through ITCM" },
	    { "BOOT_ADD1", 0x0040, "0x00100000 (system memory" }, { "RDP", 0xAA, "level 0" },
	    { "nWRP", 0xFFF, "no sector" } } },
	{ "F767 with a bad BOOT_ADD0", DFU_OB_F7,
	  { 0xFF, 0xAA, 0x00, 0x55, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
	    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x40, 0xFF, 0xBF, 0xFF, 0xFF, 0xFF, 0xFF,
	    0x40, 0x00, 0xBF, 0xFF }, 32,
	  { { "BOOT_ADD0", 0x4000, "NO MEMORY THERE" }, { "nDBANK", 1, "single bank" },
	    { "IWDG_STOP", 1, NULL }, { NULL, 0, NULL } } },
	/* sim/flash.c's factory H7 registers: OPTSR 0x1BC6AAF0, WPSN 0xFF,
	 * BOOT 0x1FF00800. */
	{ "H743 factory", DFU_OB_H7,
	  { 0xF0, 0xAA, 0xC6, 0x1B, 0xF0, 0xAA, 0xC6, 0x1B, [0x1C] = 0xFF, [0x20] = 0xFF,
	    [0x24] = 0x00, 0x08, 0xF0, 0x1F, 0x00, 0x08, 0xF0, 0x1F }, 128,
	  { { "RDP", 0xAA, "level 0" }, { "BOR_LEV", 0, "off" }, { "IWDG1_SW", 1, NULL },
	    { "SWAP_BANK", 0, "bank 1" }, { "BOOT_ADD0", 0x0800, "0x08000000 (flash" },
	    { "BOOT_ADD1", 0x1FF0, "0x1FF00000 (system memory" } } },
};

/* Fills an image of a family from raw bytes. */
static void load(struct dfu_option_bytes *ob, enum dfu_ob_family family, const uint8_t *raw,
		 size_t len)
{
	assert_int_equal(dfu_ob_init(ob, family), DFU_OK);
	assert_int_equal(ob->len, len);
	memcpy(ob->raw, raw, len);
}

/* The value and sentence of a field among decoded ones. */
static const struct dfu_ob_value *find(const struct dfu_ob_value *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].def->name, name))
			return &v[i];
	return NULL;
}

static void decodes_table(void **state)
{
	size_t c, k;

	(void)state;
	for (c = 0; c < sizeof(decode_cases) / sizeof(decode_cases[0]); c++) {
		const struct decode_case *dc = &decode_cases[c];
		struct dfu_option_bytes ob;
		struct dfu_ob_value v[32];
		size_t n;

		load(&ob, dc->family, dc->raw, dc->len);
		n = dfu_ob_decode(&ob, v, 32);
		assert_true(n > 0 && n <= 32);
		for (k = 0; k < 6 && dc->fields[k].name; k++) {
			const struct dfu_ob_value *f = find(v, n, dc->fields[k].name);
			uint32_t got = 0;

			if (!f || f->value != dc->fields[k].value ||
			    (dc->fields[k].text && !strstr(f->text, dc->fields[k].text)))
				fail_msg("%s: %s = 0x%X \"%s\", expected 0x%X \"%s\"", dc->what,
					 dc->fields[k].name, f ? (unsigned)f->value : 0u,
					 f ? f->text : "(missing)", (unsigned)dc->fields[k].value,
					 dc->fields[k].text ? dc->fields[k].text : "");
			assert_int_equal(dfu_ob_get(&ob, dc->fields[k].name, &got), DFU_OK);
			assert_int_equal(got, dc->fields[k].value);
		}
	}
}

/* nDBANK=0 on a factory F767 gives the real dual-bank dump's word at 8. */
static void complements_match_real_dump(void **state)
{
	static const uint8_t word8[4] = { 0xFF, 0xDF, 0x00, 0x20 };
	struct dfu_option_bytes ob;
	struct dfu_ctx *ctx = NULL;
	uint32_t v = 1;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_ob_init(&ob, DFU_OB_F7), DFU_OK);
	ob.raw[1] = 0xAA;
	ob.raw[16] = 0x80;
	ob.raw[17] = 0x00;
	ob.raw[24] = 0x40;
	ob.raw[25] = 0x00;
	dfu_ob_canonical(&ob);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "ndbank=0"), DFU_OK);
	assert_memory_equal(ob.raw + 8, word8, 4);
	assert_int_equal(dfu_ob_get(&ob, "nDBANK", &v), DFU_OK);
	assert_int_equal(v, 0);
	/* every F7 half-word is followed by its complement */
	for (i = 0; i < 32; i += 8) {
		assert_int_equal(ob.raw[i + 2], (uint8_t)~ob.raw[i]);
		assert_int_equal(ob.raw[i + 3], (uint8_t)~ob.raw[i + 1]);
	}
	/* the other words of the dump */
	assert_int_equal(ob.raw[3], 0x55);
	assert_int_equal(ob.raw[18], 0x7F);
	assert_int_equal(ob.raw[27], 0xFF);
	assert_int_equal(ob.raw[26], 0xBF);
	dfu_ctx_free(ctx);
}

/* Setting every field of every family to a value reads back that value,
 * changes no other field, and keeps F4/F7 complements right. */
static void encode_round_trips(void **state)
{
	static const enum dfu_ob_family fams[] = { DFU_OB_F4, DFU_OB_F42X, DFU_OB_F7, DFU_OB_H7 };
	struct dfu_ctx *ctx = NULL;
	size_t f, i, j, n;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		const struct dfu_ob_field_def *t = dfu_ob_fields(fams[f], &n);

		assert_non_null(t);
		for (i = 0; i < n; i++) {
			struct dfu_option_bytes ob, before;
			uint32_t max = t[i].mask, value, got;
			unsigned shift = 0;

			while (!(max & 1)) {
				max >>= 1;
				shift++;
			}
			assert_int_equal(dfu_ob_init(&ob, fams[f]), DFU_OK);
			ob.raw[1] = 0xAA;       /* F4/F7 RDP level 0 */
			if (fams[f] == DFU_OB_H7) {
				memset(ob.raw, 0, sizeof(ob.raw));
				ob.raw[1] = ob.raw[5] = 0xAA;
			}
			dfu_ob_canonical(&ob);
			before = ob;
			/* a value with its low bit flipped from what is there */
			assert_int_equal(dfu_ob_get(&ob, t[i].name, &value), DFU_OK);
			value = (value ^ 1) & max;
			if (!strcmp(t[i].name, "RDP"))
				value = 0xBB;   /* the byte of level 1 */
			assert_int_equal(dfu_ob_set(ctx, &ob, t[i].name, value), DFU_OK);
			assert_int_equal(dfu_ob_get(&ob, t[i].name, &got), DFU_OK);
			if (got != value)
				fail_msg("%s %s: set 0x%X, got 0x%X", dfu_ob_family_name(fams[f]),
					 t[i].name, (unsigned)value, (unsigned)got);
			for (j = 0; j < n; j++) {
				uint32_t a, b;

				if (j == i)
					continue;
				dfu_ob_get(&before, t[j].name, &a);
				dfu_ob_get(&ob, t[j].name, &b);
				if (a != b)
					fail_msg("%s: setting %s changed %s", dfu_ob_family_name(fams[f]),
						 t[i].name, t[j].name);
			}
			if (fams[f] == DFU_OB_H7) {
				/* what is in force and what a write programs agree */
				assert_memory_equal(ob.raw + t[i].offset, ob.raw + t[i].write_offset,
						    t[i].width);
			} else {
				for (j = 0; j < ob.len; j += 8) {
					if (fams[f] == DFU_OB_F42X && j == 16)
						continue;   /* area 2's first word is 0xFF */
					assert_int_equal(ob.raw[j + 2], (uint8_t)~ob.raw[j]);
					assert_int_equal(ob.raw[j + 3], (uint8_t)~ob.raw[j + 1]);
				}
			}
			assert_int_equal(dfu_ob_compare(ctx, &ob, &ob), DFU_OK);
			if (dfu_ob_compare(ctx, &ob, &before) != DFU_ERR_VERIFY)
				fail_msg("compare missed a change of %s", t[i].name);
			assert_non_null(strstr(dfu_detail(ctx), t[i].name));
		}
	}
	dfu_ctx_free(ctx);
}

/* RDP takes levels or raw bytes; bad names and values are refused with
 * a reason and nothing changed. */
static void set_refusals(void **state)
{
	struct dfu_option_bytes ob, before;
	struct dfu_ctx *ctx = NULL;
	uint32_t v = 0;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_ob_init(&ob, DFU_OB_F4), DFU_OK);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "RDP=1"), DFU_OK);
	assert_int_equal(ob.raw[1], 0xBB);
	assert_int_equal(ob.raw[3], 0x44);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "RDP=2"), DFU_OK);
	assert_int_equal(ob.raw[1], 0xCC);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "rdp=0"), DFU_OK);
	assert_int_equal(ob.raw[1], 0xAA);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "RDP=0xCC"), DFU_OK);
	assert_int_equal(dfu_ob_rdp_level(ob.raw[1]), 2);
	assert_int_equal(dfu_ob_rdp_level(0x00), 1);
	assert_int_equal(dfu_ob_rdp_level(0xAA), 0);
	before = ob;
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "RDP=0x100"), DFU_ERR_RANGE);
	/* "3" is no level: refused, not taken as the raw byte 0x03. */
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "RDP=3"), DFU_ERR_RANGE);
	assert_non_null(strstr(dfu_detail(ctx), "give 0, 1 or 2"));
	assert_int_equal(ob.raw[1], 0xCC);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "BOR_LEV=4"), DFU_ERR_RANGE);
	assert_non_null(strstr(dfu_detail(ctx), "at most 0x3"));
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "nDBANK=0"), DFU_ERR_NOT_FOUND);
	assert_non_null(strstr(dfu_detail(ctx), "nWRP"));
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "nWRP"), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "=1"), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "nWRP=12abc"), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_ob_set_str(ctx, &ob, "nWRP=-1"), DFU_ERR_INVALID_ARG);
	assert_memory_equal(ob.raw, before.raw, sizeof(ob.raw));
	assert_int_equal(dfu_ob_get(&ob, "nDBANK", &v), DFU_ERR_NOT_FOUND);
	assert_int_equal(dfu_ob_init(&ob, DFU_OB_UNKNOWN), DFU_ERR_UNSUPPORTED);
	dfu_ctx_free(ctx);
}

/* The family from the option-byte alt strings the ROMs send. */
static void family_from_layouts(void **state)
{
	static const struct {
		const char *str;
		enum dfu_ob_family family;
	} cases[] = {
		{ "@Option Bytes  /0x1FFFC000/01*016 e", DFU_OB_F4 },
		{ "@Option Bytes  /0x1FFFC000/01*016 g", DFU_OB_F4 },
		{ "@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e", DFU_OB_F42X },
		{ "@Option Bytes  /0x1FFF0000/01*032 e", DFU_OB_F7 },
		{ "@Option Bytes  /0x1FFF0000/01*048 e", DFU_OB_F7 },
		{ "@Option Bytes   /0x5200201C/01*128 e", DFU_OB_H7 },
		{ "@Option Bytes  /0x1FFF0000/01*016 e", DFU_OB_UNKNOWN },
		{ "@Option Bytes  /0x40022000/01*016 e", DFU_OB_UNKNOWN },
	};
	struct dfu_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfu_layout *l = NULL;

		assert_int_equal(dfu_layout_parse(ctx, cases[i].str, &l), DFU_OK);
		if (dfu_ob_family_from_layout(l) != cases[i].family)
			fail_msg("%s: family %s", cases[i].str,
				 dfu_ob_family_name(dfu_ob_family_from_layout(l)));
		dfu_layout_free(l);
	}
	assert_int_equal(dfu_ob_family_from_layout(NULL), DFU_OB_UNKNOWN);
	dfu_ctx_free(ctx);
}

/* Our layout and the simulator's model agree: its factory bytes are
 * canonical for us, and a field set on either side gives the same bytes. */
static void agrees_with_simulator(void **state)
{
	static const struct {
		const char *chip;
		enum dfu_ob_family family;
		const char *name;
		uint32_t value;
	} cases[] = {
		{ "stm32f405", DFU_OB_F4, "nWRP", 0xFDE },
		{ "stm32f407", DFU_OB_F4, "BOR_LEV", 1 },
		{ "stm32f429", DFU_OB_F42X, "nWRP2", 0x7FF },
		{ "stm32f746", DFU_OB_F7, "BOOT_ADD0", 0x2000 },
		{ "stm32f767", DFU_OB_F7, "nDBANK", 0 },
		{ "stm32f767", DFU_OB_F7, "BOOT_ADD1", 0x0080 },
		{ "stm32f767", DFU_OB_F7, "RDP", 1 },
		{ "stm32h743", DFU_OB_H7, "nWRP", 0xF0 },
	};
	struct dfu_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = dfusim_new(cases[i].chip);
		struct dfu_option_bytes ob, canon;
		uint32_t address = 0;
		size_t size = 0;
		uint8_t *raw;

		assert_non_null(sim);
		raw = dfusim_option_bytes(sim, &address, &size);
		load(&ob, cases[i].family, raw, size);
		assert_int_equal(ob.area_address[0], address);
		canon = ob;
		dfu_ob_canonical(&canon);
		if (memcmp(canon.raw, ob.raw, ob.len))
			fail_msg("%s: the model's factory bytes are not canonical for us",
				 cases[i].chip);
		assert_int_equal(dfu_ob_set(ctx, &ob, cases[i].name, cases[i].value), DFU_OK);
		assert_int_equal(dfusim_set_option(sim, cases[i].name, cases[i].value), 0);
		raw = dfusim_option_bytes(sim, NULL, NULL);
		if (memcmp(raw, ob.raw, ob.len))
			fail_msg("%s %s=0x%X: the model and we disagree", cases[i].chip,
				 cases[i].name, (unsigned)cases[i].value);
		dfusim_free(sim);
	}
	dfu_ctx_free(ctx);
}

/* Reads, writes (the chip resets), reads back through the simulated ROM
 * in-process: what the model holds is what we wrote. */
static void write_through_rom(void **state)
{
	static const struct {
		const char *chip;
		const char *set;
		size_t area;
	} cases[] = {
		{ "stm32f767", "nDBANK=0", 0 },
		{ "stm32f767", "BOOT_ADD0=0x2000", 0 },
		{ "stm32f429", "nWRP2=0xFFE", 1 },
		{ "stm32f405", "nWRP=0xFFD", 0 },
		{ "stm32h743", "BOOT_ADD0=0x0810", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfu_ctx *ctx = NULL;
		struct sim_transport *st = sim_transport_new(cases[i].chip);
		struct dfu_dev *dev = NULL;
		struct dfu_option_bytes cur, want, got;
		bool reset = false;
		uint8_t *model;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		assert_non_null(st);
		assert_int_equal(sim_transport_open(ctx, st, &dev), DFU_OK);
		assert_int_equal(dfu_dev_select_alt(dev, "0"), DFU_OK);
		assert_int_equal(dfu_ob_read(dev, &cur), DFU_OK);
		model = dfusim_option_bytes(st->sim, NULL, NULL);
		assert_memory_equal(cur.raw, model, cur.len);
		assert_int_equal(dfu_dev_alt(dev)->alt, 0);  /* alt 0 still selected */
		want = cur;
		assert_int_equal(dfu_ob_set_str(ctx, &want, cases[i].set), DFU_OK);
		if (dfu_ob_write_area(dev, &want, cases[i].area, &reset) != DFU_OK)
			fail_msg("%s %s: %s", cases[i].chip, cases[i].set, dfu_detail(ctx));
		assert_true(reset);
		assert_true(st->gone);
		dfu_dev_close(dev);
		dev = NULL;
		dfusim_reenumerated(st->sim, st->now_us);
		st->gone = false;
		assert_int_equal(sim_transport_open(ctx, st, &dev), DFU_OK);
		assert_int_equal(dfu_ob_read(dev, &got), DFU_OK);
		if (dfu_ob_compare(ctx, &want, &got) != DFU_OK)
			fail_msg("%s %s: %s", cases[i].chip, cases[i].set, dfu_detail(ctx));
		assert_memory_equal(model, want.raw, want.len);
		assert_int_equal(dfu_ob_compare(ctx, &cur, &got), DFU_ERR_VERIFY);
		dfu_dev_close(dev);
		sim_transport_free(st);
		dfu_ctx_free(ctx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_table),
		cmocka_unit_test(complements_match_real_dump),
		cmocka_unit_test(encode_round_trips),
		cmocka_unit_test(set_refusals),
		cmocka_unit_test(family_from_layouts),
		cmocka_unit_test(agrees_with_simulator),
		cmocka_unit_test(write_through_rom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
