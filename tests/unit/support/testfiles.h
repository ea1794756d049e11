/*
 * testfiles.h - helpers for tests that make firmware files with the real
 * tools (dfuse-pack, dfu-suffix, srec_cat, objcopy, clang/ld.lld) at test
 * time: a private temporary directory, shell commands run in it, files in
 * and out of memory, and repeatable pseudo-random data.
 */
#ifndef TESTFILES_H
#define TESTFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif /* TESTFILES_H */
