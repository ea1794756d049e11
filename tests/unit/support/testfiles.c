/*
 * testfiles.c - see testfiles.h.
 */
#include "testfiles.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char dir[256];
static char pathbuf[512];

/* Removes the directory at exit; a test never leaves files behind. */
static void tf_cleanup(void)
{
	char cmd[300];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "testfiles: could not remove %s\n", dir);
}

const char *tf_dir(void)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/dfutest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			abort();
		}
		atexit(tf_cleanup);
	}
	return dir;
}

const char *tf_path(const char *name)
{
	snprintf(pathbuf, sizeof(pathbuf), "%s/%s", tf_dir(), name);
	return pathbuf;
}

int tf_run(const char *fmt, ...)
{
	char cmd[4096], full[4400];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s ; } >/dev/null 2>&1", tf_dir(), cmd);
	st = system(full);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

bool tf_have(const char *program)
{
	return tf_run("command -v %s", program) == 0;
}

bool tf_write(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(tf_path(name), "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

bool tf_write_str(const char *name, const char *text)
{
	return tf_write(name, text, strlen(text));
}

uint8_t *tf_read(const char *name, size_t *len)
{
	FILE *f = fopen(tf_path(name), "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = 0;
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

void tf_random(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x12345678u;
	size_t i;

	for (i = 0; i < len; i++) {
		/* xorshift32 */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)(x >> 24);
	}
}

void tf_assert_file_equal(const char *name, const void *data, size_t len)
{
	uint8_t *buf;
	size_t n;

	buf = tf_read(name, &n);
	assert_non_null(buf);
	assert_int_equal(len, n);
	assert_memory_equal(data, buf, n);
	free(buf);
}

void tf_assert_read_failed(struct dfu_ctx *ctx, int ret, const struct dfu_image *img,
			   const char *what, int err, const char *detail)
{
	if (ret != err || !strstr(dfu_detail(ctx), detail))
		fail_msg("%s: got %s \"%s\", expected %s \"%s\"", what, dfu_errname(ret),
			 dfu_detail(ctx), dfu_errname(err), detail);
	assert_null(img);
}

void tf_check_bad_text(const struct tf_bad_text *bc, enum dfu_format format,
		       const char *file)
{
	struct dfu_read_opts ro = { .format = format };
	struct dfu_image *img = NULL;
	struct dfu_ctx *ctx;
	int ret;

	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	ret = dfu_image_read_mem(ctx, file, (const uint8_t *)bc->text, strlen(bc->text),
				 &ro, &img);
	tf_assert_read_failed(ctx, ret, img, bc->name, bc->err, bc->detail);
	dfu_ctx_free(ctx);
}

/* img's one target holds exactly pieces with bins' bytes. */
static void tf_check_pieces(const char *name, const struct dfu_image *img,
			    const struct tf_piece *pieces, size_t n, uint8_t **bins)
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

void tf_check_tool_case(const struct tf_tool_case *tc, uint32_t seed,
			enum dfu_format format, const char *ext, const char *bfd)
{
	struct dfu_write_opts wo = { .format = format };
	struct dfu_image *img = NULL, *again = NULL;
	struct dfu_image_info info;
	struct dfu_ctx *ctx;
	uint8_t *bins[2] = { 0 };
	char out[32], ours[32];
	size_t i;

	snprintf(out, sizeof(out), "out.%s", ext);
	snprintf(ours, sizeof(ours), "ours.%s", ext);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (i = 0; i < tc->npieces; i++) {
		char name[16];

		bins[i] = malloc(tc->pieces[i].len);
		assert_non_null(bins[i]);
		tf_random(bins[i], tc->pieces[i].len, seed + (uint32_t)i);
		snprintf(name, sizeof(name), "p%zu.bin", i);
		assert_true(tf_write(name, bins[i], tc->pieces[i].len));
	}
	if (tf_run("rm -f %s && %s", out, tc->cmd) != 0)
		fail_msg("%s: failed: %s", tc->name, tc->cmd);
	if (dfu_image_read_file(ctx, tf_path(out), NULL, &img) != DFU_OK)
		fail_msg("%s: %s", tc->name, dfu_detail(ctx));
	tf_check_pieces(tc->name, img, tc->pieces, tc->npieces, bins);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, format);
	assert_int_equal(info.has_entry, tc->has_entry);
	if (tc->has_entry)
		assert_int_equal(info.entry, tc->entry);

	/* Round trip through our writer, and objcopy reads ours. */
	assert_int_equal(dfu_image_write_file(ctx, img, tf_path(ours), &wo), DFU_OK);
	assert_int_equal(dfu_image_read_file(ctx, tf_path(ours), NULL, &again), DFU_OK);
	tf_check_pieces(tc->name, again, tc->pieces, tc->npieces, bins);
	dfu_image_get_info(again, &info);
	assert_int_equal(info.has_entry, tc->has_entry);
	assert_int_equal(info.entry, tc->entry);
	if (tc->npieces == 1) {
		assert_int_equal(tf_run("objcopy -I %s -O binary %s back.bin", bfd, ours), 0);
		tf_assert_file_equal("back.bin", bins[0], tc->pieces[0].len);
	}
	dfu_image_free(again);
	dfu_image_free(img);
	for (i = 0; i < tc->npieces; i++)
		free(bins[i]);
	dfu_ctx_free(ctx);
}
