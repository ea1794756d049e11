/*
 * state.c - the flash and option bytes that outlive a run.
 *
 * STATE_FILE holds the raw flash from the flash base. A missing file is a
 * blank chip; a shorter one (a `dfu-util -U` dump of the first sectors)
 * fills the start of flash and the rest stays as the model made it. The
 * option bytes live beside it in STATE_FILE.optbytes, raw as the model
 * exposes them (dfusim_option_bytes()). Files are written whole to a
 * temporary name and renamed, so a test never cmp's a half-written file.
 */
#include "front.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Reads up to cap bytes of path into buf. Returns the length read, 0 with
 * *missing set if the file does not exist, -1 after printing why not
 * (unreadable, or longer than cap: a file bigger than the memory is a
 * mistake, not something to cut silently).
 */
static long read_file(const char *path, uint8_t *buf, size_t cap, bool *missing)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	long ret = -1;

	*missing = false;
	if (!f) {
		if (errno == ENOENT) {
			*missing = true;
			return 0;
		}
		fprintf(stderr, "dfusim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		fprintf(stderr, "dfusim: %s: read error\n", path);
	} else if (n == cap && fgetc(f) != EOF) {
		fprintf(stderr, "dfusim: %s: larger than the memory it holds (%zu bytes)\n",
			path, cap);
	} else {
		ret = (long)n;
	}
	fclose(f);
	return ret;
}

/* Writes len bytes to path through path.tmp and a rename. */
static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	char *tmp = g_strconcat(path, ".tmp", NULL);
	FILE *f = fopen(tmp, "wb");
	int ret = -1;

	if (!f) {
		fprintf(stderr, "dfusim: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "dfusim: %s: write error\n", tmp);
		fclose(f);
		goto out;
	}
	if (fclose(f)) {
		fprintf(stderr, "dfusim: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		fprintf(stderr, "dfusim: %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		remove(tmp);
	g_free(tmp);
	return ret;
}

/*
 * Loads the device's state files into its model. Returns 0 (also when
 * there are none) or -1 after printing why.
 */
int front_state_load(struct front_dev *dev)
{
	uint32_t base, addr;
	size_t size, ob_size;
	uint8_t *flash, *ob;
	bool missing;
	long n;

	if (!dev->state_path)
		return 0;
	flash = dfusim_flash(dev->sim, &base, &size);
	if (read_file(dev->state_path, flash, size, &missing) < 0)
		return -1;

	ob = dfusim_option_bytes(dev->sim, &addr, &ob_size);
	if (!ob || !ob_size)
		return 0;
	n = read_file(dev->optbytes_path, ob, ob_size, &missing);
	if (n < 0)
		return -1;
	if (!missing && (size_t)n != ob_size) {
		fprintf(stderr, "dfusim: %s: %ld bytes, this chip has %zu bytes of option bytes\n",
			dev->optbytes_path, n, ob_size);
		return -1;
	}
	return 0;
}

/* Saves the device's flash and option bytes. Returns 0 or -1. */
int front_state_save(struct front_dev *dev)
{
	uint32_t base, addr;
	size_t size, ob_size;
	const uint8_t *flash, *ob;
	int ret;

	if (!dev->state_path)
		return 0;
	flash = dfusim_flash(dev->sim, &base, &size);
	ret = write_file(dev->state_path, flash, size);
	ob = dfusim_option_bytes(dev->sim, &addr, &ob_size);
	if (ob && ob_size && write_file(dev->optbytes_path, ob, ob_size))
		ret = -1;
	return ret;
}
