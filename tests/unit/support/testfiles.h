/*
 * testfiles.h - helpers for tests that make firmware files with the real
 * tools (dfuse-pack, dfu-suffix, srec_cat, objcopy, clang/ld.lld) at test
 * time: a private temporary directory, shell commands run in it, files in
 * and out of memory, and repeatable pseudo-random data; and the cmocka
 * checks the format tests share (a file's exact bytes, a read that must
 * fail, a tool-made text file that must read and round-trip).
 */
#ifndef TESTFILES_H
#define TESTFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuflash.h"

/* The test program's temporary directory (made on first use, removed with
 * everything in it at exit). */
const char *tf_dir(void);

/* "DIR/name" in a static buffer that the next call reuses. */
const char *tf_path(const char *name);

/* Runs a shell command in tf_dir() with stdout and stderr to /dev/null;
 * returns its exit status (-1 if it did not run or was killed). */
int tf_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when the program is on PATH. */
bool tf_have(const char *program);

/* Writes len bytes to DIR/name; true on success. */
bool tf_write(const char *name, const void *data, size_t len);
/* Writes a NUL-terminated string to DIR/name. */
bool tf_write_str(const char *name, const char *text);

/* Reads DIR/name into a malloc()ed buffer (NUL-terminated beyond len);
 * NULL on failure. */
uint8_t *tf_read(const char *name, size_t *len);

/* Fills buf with bytes from a fixed generator, so failures repeat. */
void tf_random(uint8_t *buf, size_t len, uint32_t seed);

/* Asserts (cmocka) that DIR/name holds exactly the len bytes at data. */
void tf_assert_file_equal(const char *name, const void *data, size_t len);

/* Asserts that a read that gave ret and img failed as it should: with err,
 * a detail message containing detail, and no image; what names the case. */
void tf_assert_read_failed(struct dfu_ctx *ctx, int ret, const struct dfu_image *img,
			   const char *what, int err, const char *detail);

/* A malformed text file and how reading it must fail. */
struct tf_bad_text {
	const char *name;
	const char *text;
	int err;
	const char *detail;
};

/* Reads bc->text as format under the file name file (for the messages) and
 * asserts that it fails as bc says. */
void tf_check_bad_text(const struct tf_bad_text *bc, enum dfu_format format,
		       const char *file);

/* A run of bytes an image must hold. */
struct tf_piece {
	uint32_t addr;
	uint32_t len;
};

/* A file a real tool (srec_cat, objcopy) makes at test time from random
 * binaries p0.bin, p1.bin, and what it must read as. */
struct tf_tool_case {
	const char *name;
	const char *cmd;        /* makes out.EXT from p0.bin, p1.bin */
	struct tf_piece pieces[2];
	size_t npieces;
	bool has_entry;
	uint32_t entry;
};

/*
 * The check the one-target text formats (Intel HEX, S-record) share: makes
 * piece i's binary from seed + i, runs tc->cmd, and asserts that out.EXT
 * reads as format with exactly the case's pieces and entry point; that ours
 * (ours.EXT, written as format) reads back the same; and, for one piece,
 * that `objcopy -I bfd` turns ours back into the same bytes.
 */
void tf_check_tool_case(const struct tf_tool_case *tc, uint32_t seed,
			enum dfu_format format, const char *ext, const char *bfd);

#endif /* TESTFILES_H */
