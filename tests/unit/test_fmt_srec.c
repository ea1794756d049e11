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

struct piece {
	uint32_t addr;
	uint32_t len;
};

struct tool_case {
	const char *name;
	const char *cmd;        /* makes out.srec from p0.bin, p1.bin */
	struct piece pieces[2];
	size_t npieces;
	bool has_entry;
	uint32_t entry;
};

static const struct tool_case tool_cases[] = {
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
	struct dfu_write_opts wo = { .format = DFU_FORMAT_SREC };
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
			tf_random(bins[i], tc->pieces[i].len, (uint32_t)(c * 10 + i + 7));
			snprintf(name, sizeof(name), "p%zu.bin", i);
			assert_true(tf_write(name, bins[i], tc->pieces[i].len));
		}
		if (tf_run("rm -f out.srec && %s", tc->cmd) != 0)
			fail_msg("%s: failed: %s", tc->name, tc->cmd);
		if (dfu_image_read_file(ctx, tf_path("out.srec"), NULL, &img) != DFU_OK)
			fail_msg("%s: %s", tc->name, dfu_detail(ctx));
		check_pieces(tc->name, img, tc->pieces, tc->npieces, bins);
		dfu_image_get_info(img, &info);
		assert_int_equal(info.format, DFU_FORMAT_SREC);
		assert_int_equal(info.has_entry, tc->has_entry);
		if (tc->has_entry)
			assert_int_equal(info.entry, tc->entry);

		assert_int_equal(dfu_image_write_file(ctx, img, tf_path("ours.srec"), &wo),
				 DFU_OK);
		assert_int_equal(dfu_image_read_file(ctx, tf_path("ours.srec"), NULL, &again),
				 DFU_OK);
		check_pieces(tc->name, again, tc->pieces, tc->npieces, bins);
		dfu_image_get_info(again, &info);
		assert_int_equal(info.has_entry, tc->has_entry);
		assert_int_equal(info.entry, tc->entry);
		if (tc->npieces == 1) {
			assert_int_equal(tf_run("objcopy -I srec -O binary ours.srec back.bin"), 0);
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

struct bad_case {
	const char *name;
	const char *text;
	int err;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
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
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
		const struct bad_case *bc = &bad_cases[c];
		struct dfu_read_opts ro = { .format = DFU_FORMAT_SREC };
		struct dfu_image *img = NULL;
		struct dfu_ctx *ctx;
		int ret;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		ret = dfu_image_read_mem(ctx, "x.srec", (const uint8_t *)bc->text,
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
		cmocka_unit_test(malformed),
	};

	if (!tf_have("srec_cat") || !tf_have("objcopy")) {
		fprintf(stderr, "srec_cat/objcopy missing: run scripts/setup.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
