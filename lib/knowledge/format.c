/*
 * format.c - format names, detection from content, and the dispatch from
 * dfu_image_read_*()/dfu_image_write_*() to the fmt_*.c readers and writers,
 * with the file I/O around them.
 */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

/* Never read a file larger than this: no STM32 has 256 MiB of flash, and a
 * HEX file of a full 2 MiB part is under 6 MiB. */
#define DFU_FILE_MAX (256u * 1024 * 1024)

/* The short name --format takes; never NULL. */
const char *dfu_format_name(enum dfu_format fmt)
{
	switch (fmt) {
	case DFU_FORMAT_AUTO:
		return "auto";
	case DFU_FORMAT_BIN:
		return "bin";
	case DFU_FORMAT_DFU:
		return "dfu";
	case DFU_FORMAT_DFUSE:
		return "dfuse";
	case DFU_FORMAT_IHEX:
		return "ihex";
	case DFU_FORMAT_SREC:
		return "srec";
	case DFU_FORMAT_ELF:
		return "elf";
	}
	return "unknown";
}

static const struct {
	const char *name;
	enum dfu_format fmt;
} format_names[] = {
	{ "auto", DFU_FORMAT_AUTO }, { "bin", DFU_FORMAT_BIN },
	{ "dfu", DFU_FORMAT_DFU }, { "dfuse", DFU_FORMAT_DFUSE },
	{ "ihex", DFU_FORMAT_IHEX }, { "hex", DFU_FORMAT_IHEX },
	{ "srec", DFU_FORMAT_SREC }, { "s19", DFU_FORMAT_SREC },
	{ "s28", DFU_FORMAT_SREC }, { "s37", DFU_FORMAT_SREC },
	{ "mot", DFU_FORMAT_SREC }, { "elf", DFU_FORMAT_ELF },
};

/* Parses a format name as --format takes it (case does not matter). */
int dfu_format_parse(const char *name, enum dfu_format *out)
{
	size_t i;

	if (!name || !out)
		return DFU_ERR_INVALID_ARG;
	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (!strcasecmp(name, format_names[i].name)) {
			*out = format_names[i].fmt;
			return DFU_OK;
		}
	}
	return DFU_ERR_INVALID_ARG;
}

/* The format a path's extension names. ".dfu" means DfuSe because that is
 * what STM32 .dfu files are; a plain DFU file is asked for with "dfu". */
enum dfu_format dfu_format_from_path(const char *path)
{
	static const struct {
		const char *ext;
		enum dfu_format fmt;
	} exts[] = {
		{ "bin", DFU_FORMAT_BIN }, { "dfu", DFU_FORMAT_DFUSE },
		{ "hex", DFU_FORMAT_IHEX }, { "ihex", DFU_FORMAT_IHEX },
		{ "srec", DFU_FORMAT_SREC }, { "s19", DFU_FORMAT_SREC },
		{ "s28", DFU_FORMAT_SREC }, { "s37", DFU_FORMAT_SREC },
		{ "mot", DFU_FORMAT_SREC }, { "elf", DFU_FORMAT_ELF },
	};
	const char *dot, *slash;
	size_t i;

	if (!path)
		return DFU_FORMAT_AUTO;
	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (!dot || (slash && slash > dot))
		return DFU_FORMAT_AUTO;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcasecmp(dot + 1, exts[i].ext))
			return exts[i].fmt;
	return DFU_FORMAT_AUTO;
}

/* True when data ends in a 16-byte DFU suffix ("UFD", bLength 16). */
static bool has_suffix(const uint8_t *data, size_t len)
{
	return len >= DFU_SUFFIX_LEN && !memcmp(data + len - 8, "UFD", 3) &&
	       data[len - 5] == DFU_SUFFIX_LEN;
}

/* Detection from content, most specific signature first. */
static enum dfu_format detect(const uint8_t *data, size_t len)
{
	if (len >= 5 && !memcmp(data, "DfuSe", 5))
		return DFU_FORMAT_DFUSE;
	if (len >= 4 && !memcmp(data, "\177ELF", 4))
		return DFU_FORMAT_ELF;
	if (has_suffix(data, len))
		return DFU_FORMAT_DFU;
	if (len >= 1 && data[0] == ':')
		return DFU_FORMAT_IHEX;
	if (len >= 2 && data[0] == 'S' && data[1] >= '0' && data[1] <= '9')
		return DFU_FORMAT_SREC;
	return DFU_FORMAT_BIN;
}

/*
 * Reads a whole file from memory. The image gets one target for formats
 * that know none; on failure nothing is returned and ctx has the detail.
 */
int dfu_image_read_mem(struct dfu_ctx *ctx, const char *name,
		       const uint8_t *data, size_t len,
		       const struct dfu_read_opts *opts, struct dfu_image **out)
{
	struct dfu_read_opts defaults = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	enum dfu_format fmt;
	int ret;

	if (!out || (!data && len))
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no data to read");
	if (!name)
		name = "(memory)";
	if (!opts)
		opts = &defaults;
	fmt = opts->format == DFU_FORMAT_AUTO ? detect(data, len) : opts->format;
	ret = dfu_image_new(&img);
	if (ret)
		return dfu_fail(ctx, ret, "out of memory");
	img->info.format = fmt;
	img->info.file_size = len;
	/* zlib takes lengths as uInt: feed large files in pieces. */
	{
		size_t off = 0;
		uLong crc = crc32(0L, Z_NULL, 0);

		while (off < len) {
			size_t n = len - off > 0x40000000u ? 0x40000000u : len - off;

			crc = crc32(crc, data + off, (uInt)n);
			off += n;
		}
		img->info.file_crc32 = (uint32_t)crc;
	}
	switch (fmt) {
	case DFU_FORMAT_BIN:
		if (!opts->has_base_address && opts->format == DFU_FORMAT_AUTO) {
			ret = dfu_fail(ctx, DFU_ERR_FORMAT,
				       "%s: not a DfuSe, DFU, ELF, Intel HEX or S-record file; "
				       "if it is a raw binary, it needs a load address",
				       name);
			goto out;
		}
		ret = dfu_fmt_bin_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_DFU:
		ret = dfu_fmt_dfu_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_DFUSE:
		ret = dfu_fmt_dfuse_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_IHEX:
		ret = dfu_fmt_ihex_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_SREC:
		ret = dfu_fmt_srec_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_ELF:
		ret = dfu_fmt_elf_read(ctx, name, data, len, opts, img);
		break;
	case DFU_FORMAT_AUTO:
	default:
		ret = dfu_fail(ctx, DFU_ERR_INVALID_ARG, "%s: unknown format %d", name,
			       (int)fmt);
		break;
	}
out:
	if (ret) {
		dfu_image_free(img);
		return ret;
	}
	*out = img;
	return DFU_OK;
}

/* Reads a whole file into memory, refusing ones no firmware could need.
 * Reads to the end rather than trusting the size stat() gives, so pipes
 * (`image info /dev/stdin`) work too. */
static int slurp(struct dfu_ctx *ctx, const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL, *p;
	size_t got = 0, cap;
	FILE *f;
	int ret = DFU_OK;

	f = fopen(path, "rb");
	if (!f)
		return dfu_fail(ctx, DFU_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: is a directory", path);
		goto out;
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= (off_t)DFU_FILE_MAX ?
	      (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf) {
		ret = dfu_fail(ctx, DFU_ERR_NO_MEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		got += fread(buf + got, 1, cap - got, f);
		if (got < cap)
			break;  /* end of file or an error: fread() stops only there */
		if (cap > DFU_FILE_MAX) {
			ret = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: more than %u MiB is too big "
				       "for a firmware file", path, DFU_FILE_MAX >> 20);
			goto out;
		}
		p = realloc(buf, cap * 2);
		if (!p) {
			ret = dfu_fail(ctx, DFU_ERR_NO_MEM, "%s: out of memory", path);
			goto out;
		}
		buf = p;
		cap *= 2;
	}
	if (ferror(f))
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: read error: %s", path, strerror(errno));
out:
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = got;
	return DFU_OK;
}

/* Reads a file from disk; the path names it in every message. */
int dfu_image_read_file(struct dfu_ctx *ctx, const char *path,
			const struct dfu_read_opts *opts, struct dfu_image **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (!path || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no file name");
	ret = slurp(ctx, path, &data, &len);
	if (ret)
		return ret;
	ret = dfu_image_read_mem(ctx, path, data, len, opts, out);
	free(data);
	return ret;
}

/* Writes img in opts->format (which must not be AUTO here) to memory. */
int dfu_image_write_mem(struct dfu_ctx *ctx, const struct dfu_image *img,
			const struct dfu_write_opts *opts,
			uint8_t **data, size_t *len)
{
	struct dfu_buf buf = { 0 };
	int ret;

	if (!img || !opts || !data || !len)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "nothing to write");
	switch (opts->format) {
	case DFU_FORMAT_BIN:
		ret = dfu_fmt_bin_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_DFU:
		ret = dfu_fmt_dfu_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_DFUSE:
		ret = dfu_fmt_dfuse_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_IHEX:
		ret = dfu_fmt_ihex_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_SREC:
		ret = dfu_fmt_srec_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_ELF:
		ret = dfu_fmt_elf_write(ctx, img, opts, &buf);
		break;
	case DFU_FORMAT_AUTO:
	default:
		ret = dfu_fail(ctx, DFU_ERR_INVALID_ARG,
			       "no output format given");
		break;
	}
	if (!ret && buf.failed)
		ret = dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory writing %s",
			       dfu_format_name(opts->format));
	if (ret) {
		dfu_buf_free(&buf);
		return ret;
	}
	if (!buf.data) {
		buf.data = malloc(1);
		if (!buf.data)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	*data = buf.data;
	*len = buf.len;
	return DFU_OK;
}

/*
 * Writes img to path, in opts->format or the one the extension names. The
 * file is written whole to "path.tmp" and renamed, so a failure never leaves
 * half a firmware file under the real name.
 */
int dfu_image_write_file(struct dfu_ctx *ctx, const struct dfu_image *img,
			 const char *path, const struct dfu_write_opts *opts)
{
	struct dfu_write_opts o;
	uint8_t *data = NULL;
	size_t len = 0, plen;
	char *tmp = NULL;
	FILE *f = NULL;
	bool created = false;
	int ret;

	if (!img || !path || !opts)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "nothing to write");
	o = *opts;
	if (o.format == DFU_FORMAT_AUTO)
		o.format = dfu_format_from_path(path);
	if (o.format == DFU_FORMAT_AUTO)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "%s: cannot tell the format from "
				"the name; name the format (dfu_write_opts.format)", path);
	ret = dfu_image_write_mem(ctx, img, &o, &data, &len);
	if (ret)
		return ret;
	plen = strlen(path);
	tmp = malloc(plen + 5);
	if (!tmp) {
		ret = dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	f = fopen(tmp, "wb");
	if (!f) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: write error: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: write error: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		ret = dfu_fail(ctx, DFU_ERR_IO, "%s: cannot rename to %s: %s", tmp, path,
			       strerror(errno));
out:
	if (f)
		fclose(f);
	if (ret && created)
		remove(tmp);
	free(tmp);
	free(data);
	return ret;
}
