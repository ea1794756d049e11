/*
 * test_fmt_srec.c - Motorola S-record files made by srec_cat and objcopy at
 * test time (S1/S2/S3 data, S5 counts, S7/S8/S9 entries) read to the right
 * bytes; ours round-trip and read back in objcopy; every malformed record
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
	{ "srec_cat S3, S5 count, no S7",
	  "srec_cat p0.bin -binary -offset 0x08000000 -o out.srec -motorola -address-length=4",
	  { { 0x08000000, 5000 } }, 1, false, 0 },
	{ "objcopy S3 and S7",
	  "objcopy -I binary -O srec --change-addresses 0x08000000 p0.bin out.srec",
	  { { 0x08000000, 3001 } }, 1, true, 0x08000000 },
	{ "srec_cat S1 and S9",
	  "srec_cat p0.bin -binary -offset 0x1000 -execution-start-address=0x1234 "
	  "-o out.srec -motorola -address-length=2",
	  { { 0x1000, 777 } }, 1, true, 0x1234 },
	{ "srec_cat S2 and S8",
	  "srec_cat p0.bin -binary -offset 0x81000 -execution-start-address=0x81234 "
	  "-o out.srec -motorola -address-length=3",
	  { { 0x81000, 1500 } }, 1, true, 0x81234 },
	{ "srec_cat S3 and S7",
	  "srec_cat p0.bin -binary -offset 0x08000000 -execution-start-address=0x08000199 "
	  "-o out.srec -motorola -address-length=4",
	  { { 0x08000000, 64 } }, 1, true, 0x08000199 },
	{ "objcopy S9 0000: no entry point",
	  "objcopy -I binary -O srec p0.bin out.srec",
	  { { 0, 100 } }, 1, false, 0 },
	{ "two pieces with a gap",
	  "srec_cat p0.bin -binary -offset 0x08000000 p1.bin -binary -offset 0x08020000 "
	  "-o out.srec -motorola -address-length=4",
	  { { 0x08000000, 100 }, { 0x08020000, 300 } }, 2, false, 0 },
};

/* Files srec_cat and objcopy make read to the right pieces and entry
 * point; ours round-trip and read back in objcopy (testfiles.h). */
static void tool_files(void **state)
{
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(tool_cases) / sizeof(tool_cases[0]); c++)
		tf_check_tool_case(&tool_cases[c], (uint32_t)(c * 10 + 7), DFU_FORMAT_SREC, "srec",
				   "srec");
}

/* Our writer's exact lines: S0 "dfuflash", S3 records of 16 bytes, an S5
 * count, an S7 with the entry point or 0 (which reads back as none). */
static void writer_lines(void **state)
{
	static const char body[] =
		"S00B0000646675666C617368A7\n"
		"S31508000000000102030405060708090A0B0C0D0E0F6A\n"
		"S307080000101011BF\n";
	static const char with_count[] = "S5030002FA\n";
	static const char with_entry[] = "S7050800019958\n";
	static const char no_entry[] = "S70500000000FA\n";
	struct dfu_write_opts wo = { .format = DFU_FORMAT_SREC };
	struct dfu_image *img;
	struct dfu_ctx *ctx;
	uint8_t data[18], *out = NULL;
	size_t len = 0, t, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &t), DFU_OK);
	assert_int_equal(dfu_image_add_data(ctx, img, t, 0x08000000, data, sizeof(data)),
			 DFU_OK);
	assert_int_equal(dfu_image_write_mem(ctx, img, &wo, &out, &len), DFU_OK);
	assert_int_equal(len, strlen(body) + strlen(with_count) + strlen(no_entry));
	assert_memory_equal(out, body, strlen(body));
	assert_memory_equal(out + strlen(body), with_count, strlen(with_count));
	assert_memory_equal(out + strlen(body) + strlen(with_count), no_entry,
			    strlen(no_entry));
	free(out);
	dfu_image_set_entry(img, 0x08000199);
	assert_int_equal(dfu_image_write_mem(ctx, img, &wo, &out, &len), DFU_OK);
	assert_int_equal(len, strlen(body) + strlen(with_count) + strlen(with_entry));
	assert_memory_equal(out + strlen(body) + strlen(with_count), with_entry,
			    strlen(with_entry));
	free(out);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

static const struct tf_bad_text bad_cases[] = {
	{ "record checksum", "S10710000102030400\n", DFU_ERR_CHECKSUM,
	  "x.srec: line 1: record checksum is 0x00, expected 0xDE" },
	{ "not a hex digit", "S10710000102G304DE\n", DFU_ERR_FORMAT,
	  "x.srec: line 1, column 13: 'G' is not a hex digit" },
	{ "stray characters after a record", "S107100001020304DE x\n", DFU_ERR_FORMAT,
	  "x.srec: line 1, column 19: ' ' is not a hex digit" },
	{ "reserved S4", "S107100001020304DE\nS4030000FC\n", DFU_ERR_FORMAT,
	  "x.srec: line 2, column 2: '4' is not a record type" },
	{ "not an S", "S107100001020304DE\nX107100001020304DE\n", DFU_ERR_FORMAT,
	  "x.srec: line 2: 'X' where a record should start with 'S'" },
	{ "count says more than the record has", "S109100001020304DC\n", DFU_ERR_FORMAT,
	  "x.srec: line 1: the record's count says 9 bytes follow but 7 do" },
	{ "truncated mid-record", "S107100001020304DE\nS3090800000001", DFU_ERR_FORMAT,
	  "x.srec: line 2: the record's count says 9 bytes follow but 5 do" },
	{ "count record disagrees (lines lost)", "S107100001020304DE\nS5030002FA\n",
	  DFU_ERR_FORMAT, "x.srec: line 2: the S5 record counts 2 data records but 1 came" },
	{ "data after the termination record", "S9031234B6\nS107100001020304DE\n",
	  DFU_ERR_FORMAT, "x.srec: line 2: data after the termination record" },
	{ "past 4 GiB", "S309FFFFFFFE01020304F1\n", DFU_ERR_RANGE,
	  "x.srec: line 1: 4 bytes at 0xFFFFFFFE go past 0xFFFFFFFF" },
	{ "overlap with other bytes", "S3090800000001020304E4\nS3090800000001020305E3\n",
	  DFU_ERR_OVERLAP, "x.srec: line 2: data at 0x08000000-0x08000003 overlaps earlier "
	  "data at 0x08000000-0x08000003 and differs at 0x08000003 (0x05, was 0x04)" },
	{ "empty file", "\n\n", DFU_ERR_FORMAT, "x.srec: the file holds no records" },
};

static void malformed(void **state)
{
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++)
		tf_check_bad_text(&bad_cases[c], DFU_FORMAT_SREC, "x.srec");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tool_files),
		cmocka_unit_test(writer_lines),
		cmocka_unit_test(malformed),
	};

	if (!tf_have("srec_cat") || !tf_have("objcopy")) {
		fprintf(stderr, "srec_cat/objcopy missing: run scripts/setup.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
