/*
 * test_image.c - the sparse image: merging, overlap rules, ranges,
 * relocation, targets; format names and detection; the .bin writer's gap
 * filling and its refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image.h"
#include "testfiles.h"

struct fixture {
	struct dfu_ctx *ctx;
	struct dfu_image *img;
	size_t t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(dfu_ctx_new(&f->ctx), DFU_OK);
	assert_int_equal(dfu_image_new(&f->img), DFU_OK);
	assert_int_equal(dfu_image_add_target(f->img, 0, NULL, &f->t), DFU_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dfu_image_free(f->img);
	dfu_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* One add: address, length, fill byte. */
struct add {
	uint32_t addr;
	uint32_t len;
	uint8_t fill;
};

struct merge_case {
	const char *name;
	struct add adds[5];
	size_t nadds;
	size_t nsegs;
	struct { uint32_t addr, size; } segs[4];
};

static const struct merge_case merge_cases[] = {
	{ "append adjacent", { { 0x1000, 16, 1 }, { 0x1010, 16, 2 } }, 2,
	  1, { { 0x1000, 32 } } },
	{ "prepend adjacent", { { 0x1010, 16, 1 }, { 0x1000, 16, 2 } }, 2,
	  1, { { 0x1000, 32 } } },
	{ "gap keeps two", { { 0x1000, 16, 1 }, { 0x1020, 16, 2 } }, 2,
	  2, { { 0x1000, 16 }, { 0x1020, 16 } } },
	{ "insert between", { { 0x3000, 4, 1 }, { 0x1000, 4, 2 }, { 0x2000, 4, 3 } }, 3,
	  3, { { 0x1000, 4 }, { 0x2000, 4 }, { 0x3000, 4 } } },
	{ "bridge joins three", { { 0x1000, 16, 1 }, { 0x1020, 16, 1 }, { 0x1010, 16, 1 } }, 3,
	  1, { { 0x1000, 48 } } },
	{ "identical overlap", { { 0x1000, 32, 7 }, { 0x1008, 8, 7 }, { 0x0FF8, 16, 7 } }, 3,
	  1, { { 0x0FF8, 40 } } },
	{ "covers several", { { 0x1000, 4, 9 }, { 0x1010, 4, 9 }, { 0x1020, 4, 9 },
			       { 0x0F00, 0x200, 9 } }, 4,
	  1, { { 0x0F00, 0x200 } } },
	{ "bridge overlapping both", { { 0x1000, 16, 4 }, { 0x1020, 16, 4 }, { 0x1008, 0x20, 4 } }, 3,
	  1, { { 0x1000, 48 } } },
	{ "extend both ends", { { 0x1010, 16, 6 }, { 0x1000, 0x40, 6 } }, 2,
	  1, { { 0x1000, 0x40 } } },
	{ "falling with gaps", { { 0x5000, 8, 1 }, { 0x4000, 8, 1 }, { 0x3000, 8, 1 },
				  { 0x2FF8, 8, 1 } }, 4,
	  3, { { 0x2FF8, 16 }, { 0x4000, 8 }, { 0x5000, 8 } } },
	{ "ends at 4 GiB", { { 0xFFFFFFF0, 16, 5 } }, 1, 1, { { 0xFFFFFFF0, 16 } } },
	{ "zero length", { { 0x1000, 0, 5 } }, 1, 0, { { 0, 0 } } },
};

/* Every case: the segments come out ordered, merged, with the bytes added. */
static void merge_table(void **state)
{
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(merge_cases) / sizeof(merge_cases[0]); c++) {
		const struct merge_case *mc = &merge_cases[c];
		struct dfu_image *img;
		struct dfu_ctx *ctx;
		size_t t;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		assert_int_equal(dfu_image_new(&img), DFU_OK);
		assert_int_equal(dfu_image_add_target(img, 0, "", &t), DFU_OK);
		for (i = 0; i < mc->nadds; i++) {
			uint8_t buf[0x200];

			memset(buf, mc->adds[i].fill, sizeof(buf));
			if (dfu_image_add_data(ctx, img, t, mc->adds[i].addr, buf,
					       mc->adds[i].len) != DFU_OK)
				fail_msg("%s: add %zu failed: %s", mc->name, i, dfu_detail(ctx));
		}
		if (dfu_image_segment_count(img, t) != mc->nsegs)
			fail_msg("%s: %zu segments, expected %zu", mc->name,
				 dfu_image_segment_count(img, t), mc->nsegs);
		for (i = 0; i < mc->nsegs; i++) {
			struct dfu_segment s;

			assert_int_equal(dfu_image_segment(img, t, i, &s), DFU_OK);
			if (s.address != mc->segs[i].addr || s.size != mc->segs[i].size)
				fail_msg("%s: segment %zu is 0x%X+%u, expected 0x%X+%u", mc->name,
					 i, s.address, s.size, mc->segs[i].addr,
					 mc->segs[i].size);
		}
		dfu_image_free(img);
		dfu_ctx_free(ctx);
	}
}

/* Later data lands where it belongs inside a merged segment. */
static void merged_bytes_are_right(void **state)
{
	struct fixture *f = *state;
	uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 }, c[4] = { 9, 9, 9, 9 };
	static const uint8_t want[12] = { 1, 2, 3, 4, 9, 9, 9, 9, 5, 6, 7, 8 };
	struct dfu_segment s;

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x100, a, 4), DFU_OK);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x108, b, 4), DFU_OK);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x104, c, 4), DFU_OK);
	assert_int_equal(dfu_image_segment_count(f->img, f->t), 1);
	assert_int_equal(dfu_image_segment(f->img, f->t, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x100);
	assert_memory_equal(s.data, want, sizeof(want));
}

/* Records in falling address order (some tools write them so) build one
 * segment with the right bytes, in linear time (a quadratic merge would
 * take minutes here under ASan). */
static void falling_order(void **state)
{
	struct fixture *f = *state;
	enum { CHUNK = 16, COUNT = 65536 };
	static uint8_t all[CHUNK * COUNT];
	struct dfu_segment s;
	size_t i;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(i * 7 + (i >> 8));
	for (i = COUNT; i-- > 0;)
		assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t,
						    0x08000000 + (uint32_t)(i * CHUNK),
						    all + i * CHUNK, CHUNK), DFU_OK);
	assert_int_equal(dfu_image_segment_count(f->img, f->t), 1);
	assert_int_equal(dfu_image_segment(f->img, f->t, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x08000000);
	assert_int_equal(s.size, sizeof(all));
	assert_memory_equal(s.data, all, sizeof(all));
}

/* Differing overlap fails, names both ranges and the first differing byte,
 * and leaves the image as it was. */
static void differing_overlap_fails(void **state)
{
	struct fixture *f = *state;
	uint8_t a[16], b[8];
	struct dfu_segment s;

	memset(a, 0x11, sizeof(a));
	memset(b, 0x11, sizeof(b));
	b[5] = 0x22;
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x08000000, a, 16), DFU_OK);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x08000004, b, 8),
			 DFU_ERR_OVERLAP);
	assert_string_equal(dfu_detail(f->ctx),
			    "data at 0x08000004-0x0800000B overlaps earlier data at "
			    "0x08000000-0x0800000F and differs at 0x08000009 (0x22, was 0x11)");
	assert_int_equal(dfu_image_segment(f->img, f->t, 0, &s), DFU_OK);
	assert_int_equal(s.size, 16);
	assert_int_equal(s.data[9], 0x11);
}

static void past_4gib_is_range(void **state)
{
	struct fixture *f = *state;
	uint8_t b[16] = { 0 };

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0xFFFFFFF8, b, 16),
			 DFU_ERR_RANGE);
	assert_non_null(strstr(dfu_detail(f->ctx), "past 0xFFFFFFFF"));
	assert_int_equal(dfu_image_segment_count(f->img, f->t), 0);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, 5, 0, b, 1), DFU_ERR_INVALID_ARG);
}

static void relocate_and_alt(void **state)
{
	struct fixture *f = *state;
	uint8_t b[16] = { 0 };
	struct dfu_target_info ti;
	struct dfu_segment s;
	size_t t2;

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x1000, b, 16), DFU_OK);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x2000, b, 16), DFU_OK);
	assert_int_equal(dfu_image_relocate(f->img, f->t, 0x08000000 - 0x1000), DFU_OK);
	assert_int_equal(dfu_image_segment(f->img, f->t, 1, &s), DFU_OK);
	assert_int_equal(s.address, 0x08001000);
	assert_int_equal(dfu_image_relocate(f->img, f->t, -0x08000001), DFU_ERR_RANGE);
	assert_int_equal(dfu_image_relocate(f->img, f->t, 0xF8000000), DFU_ERR_RANGE);
	assert_int_equal(dfu_image_segment(f->img, f->t, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x08000000);
	assert_int_equal(dfu_image_set_target_alt(f->img, f->t, 3), DFU_OK);
	assert_int_equal(dfu_image_add_target(f->img, 1, "@Option Bytes", &t2), DFU_OK);
	assert_int_equal(t2, 1);
	assert_int_equal(dfu_image_target_count(f->img), 2);
	assert_int_equal(dfu_image_target(f->img, 0, &ti), DFU_OK);
	assert_int_equal(ti.alt, 3);
	assert_string_equal(ti.name, "");
	assert_int_equal(ti.segment_count, 2);
	assert_int_equal(ti.total_size, 32);
	assert_int_equal(dfu_image_target(f->img, 1, &ti), DFU_OK);
	assert_string_equal(ti.name, "@Option Bytes");
	assert_int_equal(dfu_image_target(f->img, 2, &ti), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_image_set_target_alt(f->img, 9, 0), DFU_ERR_INVALID_ARG);
	dfu_image_free(NULL);
}

/* Writing .bin fills gaps with 0xFF, refuses several targets and spans
 * beyond 64 MiB; writing to memory without a format is refused. */
static void bin_writer(void **state)
{
	struct fixture *f = *state;
	struct dfu_write_opts wo = { .format = DFU_FORMAT_BIN };
	uint8_t a[2] = { 0xA1, 0xA2 }, b[1] = { 0xB1 }, *out = NULL;
	static const uint8_t want[6] = { 0xA1, 0xA2, 0xFF, 0xFF, 0xFF, 0xB1 };
	size_t len = 0, t2;

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x08000000, a, 2), DFU_OK);
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x08000005, b, 1), DFU_OK);
	assert_int_equal(dfu_image_write_mem(f->ctx, f->img, &wo, &out, &len), DFU_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x1FFFC000, b, 1), DFU_OK);
	assert_int_equal(dfu_image_write_mem(f->ctx, f->img, &wo, &out, &len),
			 DFU_ERR_UNSUPPORTED);
	assert_non_null(strstr(dfu_detail(f->ctx), "too far apart for a raw binary"));

	assert_int_equal(dfu_image_add_target(f->img, 1, NULL, &t2), DFU_OK);
	wo.format = DFU_FORMAT_IHEX;
	assert_int_equal(dfu_image_write_mem(f->ctx, f->img, &wo, &out, &len),
			 DFU_ERR_UNSUPPORTED);
	assert_non_null(strstr(dfu_detail(f->ctx), "2 targets"));
	wo.format = DFU_FORMAT_AUTO;
	assert_int_equal(dfu_image_write_mem(f->ctx, f->img, &wo, &out, &len),
			 DFU_ERR_INVALID_ARG);
}

static void format_names(void **state)
{
	static const struct {
		const char *text;
		enum dfu_format fmt;
	} names[] = {
		{ "bin", DFU_FORMAT_BIN }, { "DFU", DFU_FORMAT_DFU }, { "dfuse", DFU_FORMAT_DFUSE },
		{ "hex", DFU_FORMAT_IHEX }, { "ihex", DFU_FORMAT_IHEX }, { "s19", DFU_FORMAT_SREC },
		{ "s28", DFU_FORMAT_SREC }, { "s37", DFU_FORMAT_SREC }, { "mot", DFU_FORMAT_SREC },
		{ "srec", DFU_FORMAT_SREC }, { "elf", DFU_FORMAT_ELF }, { "auto", DFU_FORMAT_AUTO },
	};
	static const struct {
		const char *path;
		enum dfu_format fmt;
	} paths[] = {
		{ "fome.bin", DFU_FORMAT_BIN }, { "fome.dfu", DFU_FORMAT_DFUSE },
		{ "a/b.HEX", DFU_FORMAT_IHEX }, { "x.ihex", DFU_FORMAT_IHEX },
		{ "fome_update.srec", DFU_FORMAT_SREC }, { "x.s19", DFU_FORMAT_SREC },
		{ "x.elf", DFU_FORMAT_ELF }, { "noext", DFU_FORMAT_AUTO },
		{ "dir.hex/file", DFU_FORMAT_AUTO }, { "x.txt", DFU_FORMAT_AUTO },
	};
	enum dfu_format fmt;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(dfu_format_parse(names[i].text, &fmt), DFU_OK);
		assert_int_equal(fmt, names[i].fmt);
	}
	assert_int_equal(dfu_format_parse("zip", &fmt), DFU_ERR_INVALID_ARG);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (dfu_format_from_path(paths[i].path) != paths[i].fmt)
			fail_msg("%s: got %s", paths[i].path,
				 dfu_format_name(dfu_format_from_path(paths[i].path)));
	assert_string_equal(dfu_format_name(DFU_FORMAT_DFUSE), "dfuse");
	assert_string_equal(dfu_format_name(DFU_FORMAT_AUTO), "auto");
	assert_string_equal(dfu_format_name(DFU_FORMAT_ELF), "elf");
}

/* Content decides the format, not the name; an unknown binary without an
 * address is refused with a hint. */
static void detection(void **state)
{
	static const char hex[] = ":0400000001020304F2\n:00000001FF\n";
	static const char srec[] = "S107000001020304EE\n";
	static const uint8_t raw[] = { 0x00, 0x50, 0x00, 0x20 };
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO };
	struct dfu_image_info info;
	struct dfu_image *img = NULL;
	struct dfu_ctx *ctx;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_read_mem(ctx, "x.bin", (const uint8_t *)hex,
					    strlen(hex), &ro, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, DFU_FORMAT_IHEX);
	assert_int_equal(info.file_size, strlen(hex));
	dfu_image_free(img);
	assert_int_equal(dfu_image_read_mem(ctx, "x.hex", (const uint8_t *)srec,
					    strlen(srec), &ro, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, DFU_FORMAT_SREC);
	dfu_image_free(img);
	assert_int_equal(dfu_image_read_mem(ctx, "fw.bin", raw, sizeof(raw), &ro, &img),
			 DFU_ERR_FORMAT);
	assert_non_null(strstr(dfu_detail(ctx), "fw.bin: "));
	assert_non_null(strstr(dfu_detail(ctx), "load address"));
	ro.has_base_address = true;
	ro.base_address = 0x08000000;
	assert_int_equal(dfu_image_read_mem(ctx, "fw.bin", raw, sizeof(raw), &ro, &img),
			 DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, DFU_FORMAT_BIN);
	assert_int_equal(info.file_crc32, (uint32_t)crc32(0L, raw, sizeof(raw)));
	assert_int_equal(dfu_image_segment_count(img, 0), 1);
	dfu_image_free(img);
	ro.has_base_address = false;
	ro.format = DFU_FORMAT_BIN;
	assert_int_equal(dfu_image_read_mem(ctx, "fw.bin", raw, sizeof(raw), &ro, &img),
			 DFU_ERR_FORMAT);
	assert_int_equal(dfu_image_read_file(ctx, "/nonexistent/fw.hex", NULL, &img),
			 DFU_ERR_IO);
	assert_non_null(strstr(dfu_detail(ctx), "/nonexistent/fw.hex: cannot open"));
	dfu_ctx_free(ctx);
}

/* write_file: the format from the extension, clear errors naming the path,
 * and no file (nor .tmp) left behind by a failure. */
static void write_file(void **state)
{
	struct fixture *f = *state;
	struct dfu_write_opts wo = { .format = DFU_FORMAT_AUTO };
	uint8_t b[4] = { 1, 2, 3, 4 }, *back;
	size_t len;

	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x08000000, b, 4), DFU_OK);
	assert_int_equal(dfu_image_write_file(f->ctx, f->img, tf_path("w.hex"), &wo), DFU_OK);
	back = tf_read("w.hex", &len);
	assert_non_null(back);
	assert_string_equal((char *)back, ":020000040800F2\n:0400000001020304F2\n:00000001FF\n");
	free(back);
	assert_null(tf_read("w.hex.tmp", &len));
	assert_int_equal(dfu_image_write_file(f->ctx, f->img, tf_path("w.txt"), &wo),
			 DFU_ERR_INVALID_ARG);
	assert_non_null(strstr(dfu_detail(f->ctx), "w.txt: cannot tell the format"));
	assert_int_equal(dfu_image_write_file(f->ctx, f->img, "/nonexistent/dir/w.bin", &wo),
			 DFU_ERR_IO);
	assert_non_null(strstr(dfu_detail(f->ctx), "/nonexistent/dir/w.bin.tmp: cannot create"));
	/* A refused write leaves nothing. */
	assert_int_equal(dfu_image_add_data(f->ctx, f->img, f->t, 0x1FFFC000, b, 4), DFU_OK);
	assert_int_equal(dfu_image_write_file(f->ctx, f->img, tf_path("w.bin"), &wo),
			 DFU_ERR_UNSUPPORTED);
	assert_null(tf_read("w.bin", &len));
	assert_null(tf_read("w.bin.tmp", &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merge_table),
		cmocka_unit_test_setup_teardown(merged_bytes_are_right, setup, teardown),
		cmocka_unit_test_setup_teardown(falling_order, setup, teardown),
		cmocka_unit_test_setup_teardown(differing_overlap_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(past_4gib_is_range, setup, teardown),
		cmocka_unit_test_setup_teardown(relocate_and_alt, setup, teardown),
		cmocka_unit_test_setup_teardown(bin_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(write_file, setup, teardown),
		cmocka_unit_test(format_names),
		cmocka_unit_test(detection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
