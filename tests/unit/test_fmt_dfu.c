/*
 * test_fmt_dfu.c - DfuSe and plain DFU files made by the real dfuse-pack and
 * dfu-suffix at test time: we read what they write, our files are
 * byte-identical to theirs, round trips keep the image, and every kind of
 * malformed file fails with its code and a detail naming file and byte.
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

/* One raw binary given to dfuse-pack with -b ADDR@ALT:FILE. */
struct piece {
	uint32_t addr;
	uint8_t alt;
	uint32_t len;
};

struct pack_case {
	const char *name;
	struct piece pieces[4];
	size_t npieces;
	size_t ntargets;
};

static const struct pack_case pack_cases[] = {
	{ "one element", { { 0x08000000, 0, 1000 } }, 1, 1 },
	{ "three elements", { { 0x08000000, 0, 300 }, { 0x08004000, 0, 500 },
			      { 0x08008000, 0, 17 } }, 3, 1 },
	{ "three targets", { { 0x08000000, 0, 256 }, { 0x1FFFC000, 1, 16 },
			     { 0x1FFF7800, 2, 32 } }, 3, 3 },
	{ "two targets, two elements", { { 0x08000000, 0, 64 }, { 0x08020000, 0, 64 },
					 { 0x1FFFC000, 1, 16 } }, 3, 2 },
	{ "200 KiB element", { { 0x08000000, 0, 200 * 1024 } }, 1, 1 },
};

/* Makes the case's binaries and the dfuse-pack file "pack.dfu". */
static void make_pack(const struct pack_case *pc, uint8_t **bins)
{
	char cmd[1024];
	size_t i, n = 0;

	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "dfuse-pack -D 0x0483:0xdf11");
	for (i = 0; i < pc->npieces; i++) {
		char name[32];

		bins[i] = malloc(pc->pieces[i].len);
		assert_non_null(bins[i]);
		tf_random(bins[i], pc->pieces[i].len, (uint32_t)(i + 1) * 77);
		snprintf(name, sizeof(name), "p%zu.bin", i);
		assert_true(tf_write(name, bins[i], pc->pieces[i].len));
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " -b 0x%08X@%u:%s",
				      pc->pieces[i].addr, pc->pieces[i].alt, name);
	}
	snprintf(cmd + n, sizeof(cmd) - n, " pack.dfu");
	if (tf_run("%s", cmd) != 0)
		fail_msg("%s: dfuse-pack failed: %s", pc->name, cmd);
}

/* The image holds exactly the case's pieces, grouped into targets by alt. */
static void check_pack_image(const struct pack_case *pc, const struct dfu_image *img,
			     uint8_t **bins)
{
	size_t i, t = 0, seg = 0;

	assert_int_equal(dfu_image_target_count(img), pc->ntargets);
	for (i = 0; i < pc->npieces; i++) {
		struct dfu_target_info ti;
		struct dfu_segment s;

		if (i > 0 && pc->pieces[i].alt != pc->pieces[i - 1].alt) {
			t++;
			seg = 0;
		}
		assert_int_equal(dfu_image_target(img, t, &ti), DFU_OK);
		assert_int_equal(ti.alt, pc->pieces[i].alt);
		assert_string_equal(ti.name, "ST...");
		assert_int_equal(dfu_image_segment(img, t, seg, &s), DFU_OK);
		assert_int_equal(s.address, pc->pieces[i].addr);
		assert_int_equal(s.size, pc->pieces[i].len);
		assert_memory_equal(s.data, bins[i], s.size);
		seg++;
	}
}

/* Images equal: same targets, alts, names, segments and bytes. */
static void assert_same_image(const struct dfu_image *a, const struct dfu_image *b)
{
	size_t t, s;

	assert_int_equal(dfu_image_target_count(a), dfu_image_target_count(b));
	for (t = 0; t < dfu_image_target_count(a); t++) {
		struct dfu_target_info ta, tb;

		assert_int_equal(dfu_image_target(a, t, &ta), DFU_OK);
		assert_int_equal(dfu_image_target(b, t, &tb), DFU_OK);
		assert_int_equal(ta.alt, tb.alt);
		assert_int_equal(ta.segment_count, tb.segment_count);
		for (s = 0; s < ta.segment_count; s++) {
			struct dfu_segment sa, sb;

			assert_int_equal(dfu_image_segment(a, t, s, &sa), DFU_OK);
			assert_int_equal(dfu_image_segment(b, t, s, &sb), DFU_OK);
			assert_int_equal(sa.address, sb.address);
			assert_int_equal(sa.size, sb.size);
			assert_memory_equal(sa.data, sb.data, sa.size);
		}
	}
}

/* Read dfuse-pack's file; ours from the same image is byte-identical; ours
 * reads back to the same image. */
static void dfuse_pack_files(void **state)
{
	struct dfu_write_opts wo = { .format = DFU_FORMAT_DFUSE, .has_suffix_ids = true,
				     .id_vendor = 0x0483, .id_product = 0xdf11,
				     .bcd_device = 0 };
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(pack_cases) / sizeof(pack_cases[0]); c++) {
		const struct pack_case *pc = &pack_cases[c];
		struct dfu_image *img = NULL, *again = NULL;
		struct dfu_image_info info;
		struct dfu_ctx *ctx;
		uint8_t *bins[4] = { 0 }, *ours = NULL;
		size_t ourlen = 0;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		make_pack(pc, bins);
		if (dfu_image_read_file(ctx, tf_path("pack.dfu"), NULL, &img) != DFU_OK)
			fail_msg("%s: %s", pc->name, dfu_detail(ctx));
		check_pack_image(pc, img, bins);
		dfu_image_get_info(img, &info);
		assert_int_equal(info.format, DFU_FORMAT_DFUSE);
		assert_true(info.has_suffix);
		assert_true(info.suffix_crc_ok);
		assert_int_equal(info.suffix.id_vendor, 0x0483);
		assert_int_equal(info.suffix.id_product, 0xdf11);
		assert_int_equal(info.suffix.bcd_device, 0);
		assert_int_equal(info.suffix.bcd_dfu, DFU_BCD_DFUSE);

		assert_int_equal(dfu_image_write_mem(ctx, img, &wo, &ours, &ourlen), DFU_OK);
		tf_assert_file_equal("pack.dfu", ours, ourlen);

		assert_int_equal(dfu_image_read_mem(ctx, "ours.dfu", ours, ourlen, NULL, &again),
				 DFU_OK);
		assert_same_image(img, again);
		dfu_image_free(again);
		free(ours);
		dfu_image_free(img);
		for (i = 0; i < pc->npieces; i++)
			free(bins[i]);
		dfu_ctx_free(ctx);
	}
}

/* dfu-suffix's plain DFU files: ids read as written ("any" by default), our
 * DFU writer makes the same bytes, --address moves the load address. */
static void dfu_suffix_files(void **state)
{
	struct dfu_write_opts wo = { .format = DFU_FORMAT_DFU };
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	struct dfu_image_info info;
	struct dfu_segment s;
	struct dfu_ctx *ctx;
	uint8_t bin[3000], *ours = NULL;
	size_t ourlen = 0;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	tf_random(bin, sizeof(bin), 5);
	assert_true(tf_write("ids.dfu", bin, sizeof(bin)));
	assert_true(tf_write("any.dfu", bin, sizeof(bin)));
	assert_int_equal(tf_run("dfu-suffix -v 0483 -p df11 -d 0x2200 -a ids.dfu"), 0);
	assert_int_equal(tf_run("dfu-suffix -a any.dfu"), 0);

	assert_int_equal(dfu_image_read_file(ctx, tf_path("ids.dfu"), &ro, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, DFU_FORMAT_DFU);
	assert_int_equal(info.suffix.id_vendor, 0x0483);
	assert_int_equal(info.suffix.id_product, 0xdf11);
	assert_int_equal(info.suffix.bcd_device, 0x2200);
	assert_int_equal(info.suffix.bcd_dfu, DFU_BCD_DFU_1_0);
	assert_true(info.suffix_crc_ok);
	assert_int_equal(dfu_image_segment(img, 0, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x08000000);
	assert_int_equal(s.size, sizeof(bin));
	assert_memory_equal(s.data, bin, sizeof(bin));
	assert_int_equal(dfu_image_write_mem(ctx, img, &wo, &ours, &ourlen), DFU_OK);
	tf_assert_file_equal("ids.dfu", ours, ourlen);
	free(ours);
	dfu_image_free(img);

	ro.has_base_address = true;
	ro.base_address = 0x08010000;
	assert_int_equal(dfu_image_read_file(ctx, tf_path("any.dfu"), &ro, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.suffix.id_vendor, DFU_SUFFIX_ANY);
	assert_int_equal(info.suffix.id_product, DFU_SUFFIX_ANY);
	assert_int_equal(info.suffix.bcd_device, DFU_SUFFIX_ANY);
	assert_int_equal(dfu_image_segment(img, 0, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x08010000);
	/* Ours must pass dfu-suffix's own check. */
	assert_int_equal(dfu_image_write_file(ctx, img, tf_path("ours.dfu"), &wo), DFU_OK);
	assert_int_equal(tf_run("dfu-suffix -c ours.dfu | grep -q 'Vendor ID:.0xFFFF'"), 0);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

/* dfuse-pack -i: a HEX file with two pieces becomes one target with two
 * elements; reading the HEX and writing DfuSe gives the same bytes. */
static void dfuse_pack_from_hex(void **state)
{
	struct dfu_write_opts wo = { .format = DFU_FORMAT_DFUSE, .has_suffix_ids = true,
				     .id_vendor = 0x0483, .id_product = 0xdf11 };
	struct dfu_image *hex = NULL, *dfu = NULL;
	struct dfu_ctx *ctx;
	uint8_t a[300], b[77], *ours = NULL;
	size_t ourlen = 0;

	(void)state;
	tf_random(a, sizeof(a), 31);
	tf_random(b, sizeof(b), 32);
	assert_true(tf_write("ha.bin", a, sizeof(a)));
	assert_true(tf_write("hb.bin", b, sizeof(b)));
	assert_int_equal(tf_run("srec_cat ha.bin -binary -offset 0x08000000 hb.bin -binary "
				"-offset 0x08010000 -o h.hex -intel && "
				"dfuse-pack -i h.hex -D 0x0483:0xdf11 h.dfu"), 0);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("h.hex"), NULL, &hex), DFU_OK);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("h.dfu"), NULL, &dfu), DFU_OK);
	assert_same_image(hex, dfu);
	assert_int_equal(dfu_image_segment_count(dfu, 0), 2);
	assert_int_equal(dfu_image_write_mem(ctx, hex, &wo, &ours, &ourlen), DFU_OK);
	tf_assert_file_equal("h.dfu", ours, ourlen);
	free(ours);
	dfu_image_free(hex);
	dfu_image_free(dfu);
	dfu_ctx_free(ctx);
}

/* Overlapping elements with different bytes name the element and both
 * address ranges. */
static void dfuse_overlap(void **state)
{
	struct dfu_image *img = NULL;
	struct dfu_ctx *ctx;
	uint8_t a[64], b[64];

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	tf_random(a, sizeof(a), 1);
	tf_random(b, sizeof(b), 2);
	assert_true(tf_write("a.bin", a, sizeof(a)));
	assert_true(tf_write("b.bin", b, sizeof(b)));
	assert_int_equal(tf_run("dfuse-pack -b 0x08000000:a.bin -b 0x08000020:b.bin ov.dfu"), 0);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("ov.dfu"), NULL, &img),
			 DFU_ERR_OVERLAP);
	assert_non_null(strstr(dfu_detail(ctx), "ov.dfu: byte 365: element 1: data at "
				     "0x08000020-0x0800005F overlaps earlier data at "
				     "0x08000000-0x0800003F"));
	dfu_ctx_free(ctx);
}

/* A malformed variant of a good one-element DfuSe file. */
struct bad_case {
	const char *name;
	void (*mutate)(uint8_t *buf, size_t *len);
	bool fix_crc;
	int err;
	const char *detail;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Layout of the good file: prefix 0..10, target 11..284 (size at 277,
 * count at 281), element header 285..292, data 293.., suffix last 16. */
static void cut_one(uint8_t *b, size_t *len) { (void)b; *len -= 1; }
static void cut_to_20(uint8_t *b, size_t *len) { (void)b; *len = 20; }
static void flip_data(uint8_t *b, size_t *len) { (void)len; b[300] ^= 0x01; }
static void zero_targets(uint8_t *b, size_t *len) { (void)len; b[10] = 0; }
static void three_targets(uint8_t *b, size_t *len) { (void)len; b[10] = 3; }
static void huge_element(uint8_t *b, size_t *len) { (void)len; put_le32(b + 289, 0xFFFFFFF0u); }
static void huge_target(uint8_t *b, size_t *len) { (void)len; put_le32(b + 277, 0x7FFFFFFFu); }
static void two_elements(uint8_t *b, size_t *len) { (void)len; put_le32(b + 281, 2); }
static void no_elements(uint8_t *b, size_t *len) { (void)len; put_le32(b + 281, 0); }
static void bad_signature(uint8_t *b, size_t *len) { (void)len; b[11] = 't'; }
static void version_two(uint8_t *b, size_t *len) { (void)len; b[5] = 2; }
static void long_suffix(uint8_t *b, size_t *len) { b[*len - 5] = 20; }

/* Three stray bytes between the last target and the suffix. */
static void stray_bytes(uint8_t *b, size_t *len)
{
	memmove(b + *len - 16 + 3, b + *len - 16, 16);
	memset(b + *len - 16, 0xAB, 3);
	*len += 3;
}

static const struct bad_case bad_cases[] = {
	{ "truncated by one byte", cut_one, false, DFU_ERR_FORMAT,
	  "bad.dfu: byte 1036: no DFU suffix" },
	{ "truncated to 20 bytes", cut_to_20, false, DFU_ERR_FORMAT,
	  "bad.dfu: 20 bytes is too short for a DfuSe file" },
	{ "data byte changed", flip_data, false, DFU_ERR_CHECKSUM,
	  "bad.dfu: byte 1041: DFU suffix CRC is 0x" },
	{ "zero targets", zero_targets, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 10: the file has zero targets" },
	{ "more targets than the file has", three_targets, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 1029: target 1 of 3 is missing" },
	{ "4 GB element in a 1 KB file", huge_element, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 289: element 0 of target 0 is 4294967280 bytes but only 736 are left" },
	{ "target larger than the file", huge_target, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 277: target 0 is 2147483647 bytes but only 744 are left" },
	{ "element count too high", two_elements, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 1029: target 0 says it has 2 elements" },
	{ "element count too low", no_elements, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 285: 744 bytes of target 0 are left after its 0 elements" },
	{ "no Target signature", bad_signature, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 11: target 0 has no \"Target\" signature" },
	{ "DfuSe version 2", version_two, true, DFU_ERR_UNSUPPORTED,
	  "bad.dfu: byte 5: DfuSe version 2" },
	{ "suffix length 20", long_suffix, true, DFU_ERR_UNSUPPORTED,
	  "bad.dfu: byte 1040: DFU suffix length is 20" },
	{ "stray bytes before the suffix", stray_bytes, true, DFU_ERR_FORMAT,
	  "bad.dfu: byte 1029: 3 stray bytes after the last of 1 targets" },
};

static void malformed_dfuse(void **state)
{
	uint8_t bin[736], *good;
	size_t goodlen, c;

	(void)state;
	tf_random(bin, sizeof(bin), 9);
	assert_true(tf_write("m.bin", bin, sizeof(bin)));
	assert_int_equal(tf_run("dfuse-pack -b 0x08000000:m.bin good.dfu"), 0);
	good = tf_read("good.dfu", &goodlen);
	assert_non_null(good);
	assert_int_equal(goodlen, 11 + 274 + 8 + sizeof(bin) + 16);
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
		const struct bad_case *bc = &bad_cases[c];
		struct dfu_image *img = NULL;
		struct dfu_ctx *ctx;
		uint8_t buf[2048];
		size_t len = goodlen;
		int ret;

		memcpy(buf, good, goodlen);
		bc->mutate(buf, &len);
		if (bc->fix_crc)
			put_le32(buf + len - 4, dfu_suffix_crc(buf, len - 4));
		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		ret = dfu_image_read_mem(ctx, "bad.dfu", buf, len, NULL, &img);
		tf_assert_read_failed(ctx, ret, img, bc->name, bc->err, bc->detail);
		dfu_ctx_free(ctx);
	}
	free(good);
}

/* --force accepts a wrong CRC, warns, and says the CRC is bad. */
static void force_accepts_bad_crc(void **state)
{
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO, .force = true };
	struct dfu_image *img = NULL;
	struct dfu_image_info info;
	struct dfu_ctx *ctx;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	buf = malloc(700);
	assert_non_null(buf);
	tf_random(buf, 700, 3);
	assert_true(tf_write("f.bin", buf, 700));
	free(buf);
	assert_int_equal(tf_run("dfuse-pack -b 0x08000000:f.bin f.dfu"), 0);
	buf = tf_read("f.dfu", &len);
	assert_non_null(buf);
	buf[300] ^= 0x80;
	assert_int_equal(dfu_image_read_mem(ctx, "f.dfu", buf, len, &ro, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_false(info.suffix_crc_ok);
	dfu_image_free(img);
	/* The same for a plain DFU file, and without force it is refused. */
	ro.force = false;
	buf[len - 1] ^= 0x01;
	assert_int_equal(dfu_image_read_mem(ctx, "f.dfu", buf + 11, len - 11,
					    &ro, &img), DFU_ERR_CHECKSUM);
	assert_non_null(strstr(dfu_detail(ctx), "f.dfu: byte"));
	assert_non_null(strstr(dfu_detail(ctx), "a forced read accepts it"));
	free(buf);
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dfuse_pack_files),
		cmocka_unit_test(dfuse_pack_from_hex),
		cmocka_unit_test(dfu_suffix_files),
		cmocka_unit_test(dfuse_overlap),
		cmocka_unit_test(malformed_dfuse),
		cmocka_unit_test(force_accepts_bad_crc),
	};

	if (!tf_have("dfuse-pack") || !tf_have("dfu-suffix") || !tf_have("srec_cat") ||
	    tf_run("/usr/bin/python3 -c 'import intelhex'") != 0) {
		fprintf(stderr, "dfuse-pack/dfu-suffix/srec_cat/python3-intelhex missing: "
			"run scripts/setup.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
