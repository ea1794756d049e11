/*
 * testfiles.c - see testfiles.h.
 */
#include "testfiles.h"

#include <stdarg.h>
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
