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

static const struct tf_tool_case tool_cases[] = {
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

/* Files srec_cat and objcopy make read to the right pieces and entry
 * point; ours round-trip and read back in objcopy (testfiles.h). */
static void tool_files(void **state)
{
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(tool_cases) / sizeof(tool_cases[0]); c++)
		tf_check_tool_case(&tool_cases[c], (uint32_t)(c * 10 + 1), DFU_FORMAT_IHEX, "hex",
				   "ihex");
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

static const struct tf_bad_text bad_cases[] = {
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
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++)
		tf_check_bad_text(&bad_cases[c], DFU_FORMAT_IHEX, "x.hex");
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
