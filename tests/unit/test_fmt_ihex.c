/*
 * test_fmt_ihex.c - Intel HEX files made by srec_cat and objcopy at test
 * time read to the right bytes and entry point; ours round-trip and read
 * back in objcopy; hand-made record types 02/03; every malformed record
 * fails with its code and a detail naming file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "testfiles.h"

struct piece {
	uint32_t addr;
	uint32_t len;
};

struct tool_case {
	const char *name;
	const char *cmd;        /* makes out.hex from p0.bin, p1.bin */
	struct piece pieces[2];
	size_t npieces;
	bool has_entry;
	uint32_t entry;
};

static const struct tool_case tool_cases[] = {
	{ "srec_cat, 32 bytes a line",
	  "srec_cat p0.bin -binary -offset 0x08000000 -o out.hex -intel",
	  { { 0x08000000, 5000 } }, 1, false, 0 },
	{ "objcopy, 16 bytes a line, start address",
	  "objcopy -I binary -O ihex --change-addresses 0x08000000 p0.bin out.hex",
	  { { 0x08000000, 3001 } }, 1, true, 0x08000000 },
	{ "across a 64 KiB boundary",
	  "srec_cat p0.bin -binary -offset 0x0800F800 -o out.hex -intel",
	  { { 0x0800F800, 4096 } }, 1, false, 0 },
	{ "two pieces with a gap",
	  "srec_cat p0.bin -binary -offset 0x08000000 p1.bin -binary -offset 0x08010000 "
	  "-o out.hex -intel",
	  { { 0x08000000, 100 }, { 0x08010000, 200 } }, 2, false, 0 },
	{ "srec_cat start address",
	  "srec_cat p0.bin -binary -offset 0x08000000 -execution-start-address=0x08000199 "
	  "-o out.hex -intel",
	  { { 0x08000000, 64 } }, 1, true, 0x08000199 },
	{ "low addresses, no type 04",
	  "srec_cat p0.bin -binary -offset 0x100 -o out.hex -intel",
	  { { 0x100, 999 } }, 1, false, 0 },
};

/* img's one target holds exactly pieces with bins' bytes. */
static void check_pieces(const char *name, const struct dfu_image *img,
			 const struct piece *pieces, size_t n, uint8_t **bins)
{
	size_t i;

	assert_int_equal(dfu_image_target_count(img), 1);
	if (dfu_image_segment_count(img, 0) != n)
		fail_msg("%s: %zu segments, expected %zu", name,
			 dfu_image_segment_count(img, 0), n);
	for (i = 0; i < n; i++) {
		struct dfu_segment s;

		assert_int_equal(dfu_image_segment(img, 0, i, &s), DFU_OK);
		if (s.address != pieces[i].addr || s.size != pieces[i].len)
			fail_msg("%s: segment %zu is 0x%X+%u", name, i, s.address, s.size);
		assert_memory_equal(s.data, bins[i], s.size);
	}
}

static void tool_files(void **state)
{
	struct dfu_write_opts wo = { .format = DFU_FORMAT_IHEX };
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(tool_cases) / sizeof(tool_cases[0]); c++) {
		const struct tool_case *tc = &tool_cases[c];
		struct dfu_image *img = NULL, *again = NULL;
		struct dfu_image_info info;
		struct dfu_ctx *ctx;
		uint8_t *bins[2] = { 0 }, *back;
		size_t backlen;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		for (i = 0; i < tc->npieces; i++) {
			char name[16];

			bins[i] = malloc(tc->pieces[i].len);
			assert_non_null(bins[i]);
			tf_random(bins[i], tc->pieces[i].len, (uint32_t)(c * 10 + i + 1));
			snprintf(name, sizeof(name), "p%zu.bin", i);
			assert_true(tf_write(name, bins[i], tc->pieces[i].len));
		}
		if (tf_run("rm -f out.hex && %s", tc->cmd) != 0)
			fail_msg("%s: failed: %s", tc->name, tc->cmd);
		if (dfu_image_read_file(ctx, tf_path("out.hex"), NULL, &img) != DFU_OK)
			fail_msg("%s: %s", tc->name, dfu_detail(ctx));
		check_pieces(tc->name, img, tc->pieces, tc->npieces, bins);
		dfu_image_get_info(img, &info);
		assert_int_equal(info.format, DFU_FORMAT_IHEX);
		assert_int_equal(info.has_entry, tc->has_entry);
		if (tc->has_entry)
			assert_int_equal(info.entry, tc->entry);

		/* Round trip through our writer, and objcopy reads ours. */
		assert_int_equal(dfu_image_write_file(ctx, img, tf_path("ours.hex"), &wo),
				 DFU_OK);
		assert_int_equal(dfu_image_read_file(ctx, tf_path("ours.hex"), NULL, &again),
				 DFU_OK);
		check_pieces(tc->name, again, tc->pieces, tc->npieces, bins);
		dfu_image_get_info(again, &info);
		assert_int_equal(info.has_entry, tc->has_entry);
		assert_int_equal(info.entry, tc->entry);
		if (tc->npieces == 1) {
			assert_int_equal(tf_run("objcopy -I ihex -O binary ours.hex back.bin"), 0);
			back = tf_read("back.bin", &backlen);
			assert_non_null(back);
			assert_int_equal(backlen, tc->pieces[0].len);
			assert_memory_equal(back, bins[0], backlen);
			free(back);
		}
		dfu_image_free(again);
		dfu_image_free(img);
		for (i = 0; i < tc->npieces; i++)
			free(bins[i]);
		dfu_ctx_free(ctx);
	}
}

/* Our writer's exact lines: type 04 before the first record above 64 KiB,
 * 16 bytes a line, records split at 64 KiB, type 05, end of file. */
static void writer_lines(void **state)
{
	static const char want[] =
		":020000040800F2\n"
		":10FFE800000102030405060708090A0B0C0D0E0F91\n"
		":08FFF800101112131415161765\n"
		":020000040801F1\n"
		":020000001819CD\n"
		":040000050800019955\n"
		":00000001FF\n";
	struct dfu_write_opts wo = { .format = DFU_FORMAT_IHEX };
	struct dfu_image *img;
	struct dfu_ctx *ctx;
	uint8_t data[26], *out = NULL;
	size_t len = 0, t, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &t), DFU_OK);
	assert_int_equal(dfu_image_add_data(ctx, img, t, 0x0800FFE8, data, sizeof(data)),
			 DFU_OK);
	dfu_image_set_entry(img, 0x08000199);
	assert_int_equal(dfu_image_write_mem(ctx, img, &wo, &out, &len), DFU_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

/* Types 02 (segment base) and 03 (CS:IP start), CRLF line ends, blank
 * lines, lower-case digits. */
static void segment_records(void **state)
{
	static const char text[] =
		":020000021000EC\r\n"
		"\r\n"
		":04000000deadbeefc4\r\n"
		":0400000300001234B3\r\n"
		":00000001FF\r\n";
	static const uint8_t want[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
	struct dfu_image *img = NULL;
	struct dfu_image_info info;
	struct dfu_segment s;
	struct dfu_ctx *ctx;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_read_mem(ctx, "seg.hex", (const uint8_t *)text,
					    strlen(text), NULL, &img), DFU_OK);
	assert_int_equal(dfu_image_segment(img, 0, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x10000);
	assert_int_equal(s.size, 4);
	assert_memory_equal(s.data, want, 4);
	dfu_image_get_info(img, &info);
	assert_true(info.has_entry);
	assert_int_equal(info.entry, 0x1234);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

struct bad_case {
	const char *name;
	const char *text;
	int err;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
	{ "record checksum", ":040000000102030400\n:00000001FF\n", DFU_ERR_CHECKSUM,
	  "x.hex: line 1: record checksum is 0x00, expected 0xF2" },
	{ "not a hex digit", ":0400000001G20304F2\n:00000001FF\n", DFU_ERR_FORMAT,
	  "x.hex: line 1, column 12: 'G' is not a hex digit" },
	{ "stray characters after a record", ":0400000001020304F2 junk\n:00000001FF\n",
	  DFU_ERR_FORMAT, "x.hex: line 1, column 20: ' ' is not a hex digit" },
	{ "binary junk", ":04\001\n", DFU_ERR_FORMAT,
	  "x.hex: line 1, column 4: \\x01 is not a hex digit" },
	{ "truncated: no end-of-file record", ":0400000001020304F2\n", DFU_ERR_FORMAT,
	  "x.hex: line 1: the file ends without an end-of-file record" },
	{ "truncated mid-record", ":0400000001020304F2\n:04000400010", DFU_ERR_FORMAT,
	  "x.hex: line 2: a record needs an even number of at least 10 hex digits" },
	{ "empty file", "", DFU_ERR_FORMAT, "x.hex: line 0: the file ends without" },
	{ "data after end of file", ":00000001FF\n:0400000001020304F2\n", DFU_ERR_FORMAT,
	  "x.hex: line 2: data after the end-of-file record" },
	{ "count says more than the record has", ":0500000001020304F1\n:00000001FF\n",
	  DFU_ERR_FORMAT, "x.hex: line 1: the record says 5 data bytes but holds 4" },
	{ "unknown record type", ":00000006FA\n:00000001FF\n", DFU_ERR_FORMAT,
	  "x.hex: line 1: unknown record type 0x06" },
	{ "type 04 with 4 bytes", ":0400000400000000F8\n:00000001FF\n", DFU_ERR_FORMAT,
	  "x.hex: line 1: a type 04 record has 2 data bytes, this has 4" },
	{ "end of file with data", ":01000001AA54\n", DFU_ERR_FORMAT,
	  "x.hex: line 1: a type 01 record has 0 data bytes, this has 1" },
	{ "no colon", "0400000001020304F2\n:00000001FF\n", DFU_ERR_FORMAT,
	  "x.hex: line 1: '0' where a record should start with ':'" },
	{ "past 4 GiB", ":02000004FFFFFC\n:04FFFE0001020304F5\n:00000001FF\n", DFU_ERR_RANGE,
	  "x.hex: line 2: data at 0xFFFFFFFE goes past 0xFFFFFFFF" },
	{ "overlap with other bytes", ":0400000001020304F2\n:0400000001020305F1\n:00000001FF\n",
	  DFU_ERR_OVERLAP, "x.hex: line 2: data at 0x00000000-0x00000003 overlaps earlier "
	  "data at 0x00000000-0x00000003 and differs at 0x00000003 (0x05, was 0x04)" },
};

static void malformed(void **state)
{
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
		const struct bad_case *bc = &bad_cases[c];
		struct dfu_read_opts ro = { .format = DFU_FORMAT_IHEX };
		struct dfu_image *img = NULL;
		struct dfu_ctx *ctx;
		int ret;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		ret = dfu_image_read_mem(ctx, "x.hex", (const uint8_t *)bc->text,
					 strlen(bc->text), &ro, &img);
		if (ret != bc->err || !strstr(dfu_detail(ctx), bc->detail))
			fail_msg("%s: got %s \"%s\", expected %s \"%s\"", bc->name,
				 dfu_errname(ret), dfu_detail(ctx), dfu_errname(bc->err),
				 bc->detail);
		assert_null(img);
		dfu_ctx_free(ctx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tool_files),
		cmocka_unit_test(writer_lines),
		cmocka_unit_test(segment_records),
		cmocka_unit_test(malformed),
	};

	if (!tf_have("srec_cat") || !tf_have("objcopy")) {
		fprintf(stderr, "srec_cat/objcopy missing: run scripts/setup.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
