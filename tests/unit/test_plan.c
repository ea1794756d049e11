/*
 * test_plan.c - images x sector maps -> what happens to each sector, and
 * what is refused before anything would be erased.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dfuflash.h"

#define F407 "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
#define F767 "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg"
#define H743 "@Internal Flash   /0x08000000/16*128Kg"
#define OTP "@OTP Memory /0x1FFF7800/01*512 e,01*016 e"

struct span {
	uint32_t address;
	uint32_t size;
};

/* Actions written as one letter per sector: . keep, W write, M merge,
 * E erase. */
struct plan_case {
	const char *what;
	const char *layout;
	struct span spans[4];
	bool mass_erase;
	const char *actions;
};

static const struct plan_case cases[] = {
	{ "whole first sector", F407, { { 0x08000000, 0x4000 } }, false, "W..........." },
	{ "half of sector 0", F407, { { 0x08000000, 0x2000 } }, false, "M..........." },
	{ "900 KiB from the start", F407, { { 0x08000000, 900 * 1024 } }, false, "WWWWWWWWWWWM" },
	{ "a tune-sized piece in sector 1", F407, { { 0x08004100, 0x100 } }, false,
	  ".M.........." },
	{ "across sectors 3 and 4", F407, { { 0x0800C000 + 0x3000, 0x2000 } }, false,
	  "...MM......." },
	{ "two pieces, gap sector untouched", F407,
	  { { 0x08000000, 0x4000 }, { 0x08020000, 0x20000 } }, false, "W....W......" },
	{ "last byte of flash", F407, { { 0x080FFFFF, 1 } }, false, "...........M" },
	{ "whole flash", F407, { { 0x08000000, 0x100000 } }, false, "WWWWWWWWWWWW" },
	{ "mass erase: untouched sectors are erased", F407, { { 0x08000000, 0x2000 } }, true,
	  "WEEEEEEEEEEE" },
	{ "F767 single-bank map", F767, { { 0x08000000, 0x48000 } }, false, "WWWWWM......" },
	{ "H743 second bank", H743, { { 0x08100000, 0x20000 } }, false, "........W......." },
	{ "OTP is not erasable: written in place", OTP, { { 0x1FFF7800, 0x10 } }, false, "W." },
};

/* An image with one target holding the spans, bytes = low address bits. */
static struct dfu_image *make_image(const struct span *spans)
{
	struct dfu_image *img = NULL;
	size_t i, idx;

	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &idx), DFU_OK);
	for (i = 0; i < 4 && spans[i].size; i++) {
		uint8_t *d = malloc(spans[i].size);
		uint32_t j;

		assert_non_null(d);
		for (j = 0; j < spans[i].size; j++)
			d[j] = (uint8_t)(spans[i].address + j);
		assert_int_equal(dfu_image_add_data(NULL, img, idx, spans[i].address, d,
						    spans[i].size), DFU_OK);
		free(d);
	}
	return img;
}

static char action_letter(enum dfu_sector_action a)
{
	switch (a) {
	case DFU_ACTION_NONE: return '.';
	case DFU_ACTION_WRITE: return 'W';
	case DFU_ACTION_MERGE: return 'M';
	case DFU_ACTION_ERASE: return 'E';
	}
	return '?';
}

static void plans_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct plan_case *c = &cases[i];
		struct dfu_plan_opts opts = { .mass_erase = c->mass_erase };
		struct dfu_layout *lay = NULL;
		struct dfu_image *img = make_image(c->spans);
		struct dfu_plan *plan = NULL;
		char got[64] = "";
		uint64_t image_bytes = 0, want_bytes = 0;

		print_message("case: %s\n", c->what);
		assert_int_equal(dfu_layout_parse(NULL, c->layout, &lay), DFU_OK);
		assert_int_equal(dfu_plan_new(NULL, img, 0, lay, &opts, &plan), DFU_OK);
		assert_int_equal(dfu_plan_count(plan), lay->count);
		for (j = 0; j < dfu_plan_count(plan); j++) {
			const struct dfu_plan_entry *e = dfu_plan_entry(plan, j);

			got[j] = action_letter(e->action);
			assert_int_equal(e->sector.number, j);
			image_bytes += e->image_bytes;
		}
		got[j] = '\0';
		assert_string_equal(got, c->actions);
		for (j = 0; j < 4; j++)
			want_bytes += c->spans[j].size;
		assert_int_equal(image_bytes, want_bytes);
		assert_int_equal(dfu_plan_mass_erase(plan), c->mass_erase);
		assert_null(dfu_plan_entry(plan, lay->count));
		dfu_plan_free(plan);
		dfu_layout_free(lay);
		dfu_image_free(img);
	}
}

struct refuse_case {
	const char *what;
	const char *layout;
	struct span spans[4];
	bool suffix;
	uint16_t vid, pid;
	bool force;
	int err;
	const char *detail_has;
};

static const struct refuse_case refusals[] = {
	{ "below flash", F407, { { 0x07FFFF00, 0x200 } }, false, 0, 0, false, DFU_ERR_RANGE,
	  "0x07FFFF00, outside \"Internal Flash\" (0x08000000-0x080FFFFF)" },
	{ "past the end", F407, { { 0x080FFF00, 0x200 } }, false, 0, 0, false, DFU_ERR_RANGE,
	  "0x08100000, outside" },
	{ "in RAM", F407, { { 0x20000000, 0x10 } }, false, 0, 0, false, DFU_ERR_RANGE,
	  "0x20000000" },
	{ "bigger than the flash", F407, { { 0x08000000, 0x100000 }, { 0x08100000, 0x10 } },
	  false, 0, 0, false, DFU_ERR_RANGE, "more than the 1048576 bytes" },
	{ "read-only memory", "@ROM/0x1FFF0000/01*030Ka,01*001Kg", { { 0x1FFF0000, 0x10 } }, false, 0, 0,
	  false, DFU_ERR_RANGE, "not writable" },
	{ "another vendor's file", F407, { { 0x08000000, 0x10 } }, true, 0x1209, 0xdf11, false,
	  DFU_ERR_MISMATCH, "made for device 1209:df11, this one is 0483:df11" },
	{ "another product's file", F407, { { 0x08000000, 0x10 } }, true, 0x0483, 0x5740, false,
	  DFU_ERR_MISMATCH, "forced" },
	{ "another product's file, forced", F407, { { 0x08000000, 0x10 } }, true, 0x0483, 0x5740,
	  true, DFU_OK, "" },
	{ "suffix for any device", F407, { { 0x08000000, 0x10 } }, true, 0xFFFF, 0xFFFF, false,
	  DFU_OK, "" },
	{ "suffix for this device", F407, { { 0x08000000, 0x10 } }, true, 0x0483, 0xdf11, false,
	  DFU_OK, "" },
};

static void refuses_before_erasing(void **state)
{
	struct dfu_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refuse_case *c = &refusals[i];
		struct dfu_plan_opts opts = {
			.force = c->force, .check_ids = true,
			.id_vendor = 0x0483, .id_product = 0xdf11,
		};
		struct dfu_layout *lay = NULL;
		struct dfu_image *img = make_image(c->spans);
		struct dfu_plan *plan = NULL;

		print_message("case: %s\n", c->what);
		if (c->suffix)
			dfu_image_set_suffix_ids(img, c->vid, c->pid, 0xFFFF);
		assert_int_equal(dfu_layout_parse(NULL, c->layout, &lay), DFU_OK);
		assert_int_equal(dfu_plan_new(ctx, img, 0, lay, &opts, &plan), c->err);
		if (c->err) {
			assert_null(plan);
			assert_non_null(strstr(dfu_detail(ctx), c->detail_has));
		} else {
			assert_non_null(plan);
		}
		dfu_plan_free(plan);
		dfu_layout_free(lay);
		dfu_image_free(img);
	}
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plans_table),
		cmocka_unit_test(refuses_before_erasing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
