/*
 * bundle.c - a FOME release as users download it: fome_bundle_<board>.zip
 * holds one folder (any name) with fome.bin (OpenBLT + application at
 * 0x08000000, or the application alone on boards without OpenBLT),
 * fome_update.srec (the application alone, for OpenBLT), fome_bl.srec,
 * the TunerStudio .ini whose `signature = "..."` names the board, and
 * console/ and drivers/ (fome-fw misc/jenkins/build_working_folder.sh). Or a
 * single firmware file. Every image is checked with FOME's own CRC when it
 * is read, so a corrupt download is refused before any device is touched.
 * No device I/O; the zip is read with libzip.
 */
#include "knowledge.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

/* No file of a bundle is near this; a bigger entry is not ours (and would
 * be a zip bomb's way to exhaust memory). */
#define BUNDLE_MAX_ENTRY (64u * 1024 * 1024)

struct dfu_fome_bundle {
	char *path;
	char *board;
	char *signature;
	struct dfu_image *full;
	struct dfu_image *update;
	uint32_t full_app_base;
	bool full_has_openblt;
};

void dfu_fome_bundle_free(struct dfu_fome_bundle *b)
{
	if (!b)
		return;
	dfu_image_free(b->full);
	dfu_image_free(b->update);
	free(b->path);
	free(b->board);
	free(b->signature);
	free(b);
}

void dfu_fome_bundle_info(const struct dfu_fome_bundle *b, struct dfu_fome_bundle_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!b)
		return;
	out->path = b->path;
	out->board = b->board;
	out->signature = b->signature;
	out->full = b->full;
	out->update = b->update;
	out->full_app_base = b->full_app_base;
	out->full_has_openblt = b->full_has_openblt;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

/* The last path component of a name inside the zip. */
static const char *base_name(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? slash + 1 : name;
}

/* How deep a name sits: "fome.bin" 0, "fome_bundle_x/fome.bin" 1. The
 * bundle's own files are at depth 0 or 1; console/ and drivers/ below. */
static unsigned depth(const char *name)
{
	unsigned d = 0;

	for (; *name; name++)
		if (*name == '/' && name[1])
			d++;
	return d;
}

/* The value of the .ini's `signature = "..."` line (the [MegaTune] one:
 * the first), with the quotes removed, or NULL. The line looks like
 *     signature = "rusEFI (FOME) master.2026.08.22.f407-discovery.27614" ; comment */
static char *ini_signature(const uint8_t *data, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		size_t start = pos, end;
		const char *p, *q, *e;

		while (pos < len && data[pos] != '\n')
			pos++;
		end = pos++;
		p = (const char *)data + start;
		e = (const char *)data + end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (e - p < 9 || strncmp(p, "signature", 9))
			continue;
		p += 9;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e || *p != '=')
			continue;
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e || *p != '"')
			continue;
		p++;
		for (q = p; q < e && *q != '"'; q++)
			;
		if (q == e)
			continue;
		return dup_n(p, (size_t)(q - p));
	}
	return NULL;
}

/* Reads entry idx of z (named name) into *data (malloc'd, the caller's). */
static int zip_read_entry(struct dfu_ctx *ctx, const char *path, zip_t *z, zip_uint64_t idx,
			  const char *name, uint8_t **data, size_t *len)
{
	zip_stat_t st;
	zip_file_t *f;
	uint8_t *buf;
	zip_int64_t got;

	zip_stat_init(&st);
	if (zip_stat_index(z, idx, 0, &st) || !(st.valid & ZIP_STAT_SIZE))
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: cannot read %s inside the zip: %s. "
				"Download the bundle again", path, name, zip_strerror(z));
	if (st.size > BUNDLE_MAX_ENTRY)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: %s inside the zip is %llu bytes, "
				"more than any FOME file: not a FOME bundle", path, name,
				(unsigned long long)st.size);
	buf = malloc(st.size ? (size_t)st.size : 1);
	if (!buf)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "%s: no memory for %s", path, name);
	f = zip_fopen_index(z, idx, 0);
	if (!f) {
		free(buf);
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: cannot open %s inside the zip: %s. "
				"Download the bundle again", path, name, zip_strerror(z));
	}
	got = zip_fread(f, buf, st.size);
	/* libzip checks the entry's CRC-32 when a read reaches its end: one
	 * more read, which must find nothing, makes a damaged zip fail here. */
	if (got >= 0 && (zip_uint64_t)got == st.size) {
		uint8_t extra;

		if (zip_fread(f, &extra, 1) != 0)
			got = -1;
	}
	if (got < 0 || (zip_uint64_t)got != st.size) {
		int err = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: reading %s inside the zip failed: "
				   "%s. The download is damaged: download the bundle again",
				   path, name, zip_file_strerror(f));
		zip_fclose(f);
		free(buf);
		return err;
	}
	zip_fclose(f);
	*data = buf;
	*len = (size_t)st.size;
	return DFU_OK;
}

/* Reads one firmware image from memory (name names it in messages; a .bin
 * goes to 0x08000000, as fome.bin is built) and checks its FOME CRC. */
static int read_image(struct dfu_ctx *ctx, const char *where, const char *name,
		      const uint8_t *data, size_t len, struct dfu_image **out,
		      uint32_t *app_base)
{
	struct dfu_read_opts opts = { 0 };
	struct dfu_image *img = NULL;
	int err;

	if (ends_with(name, ".bin")) {
		opts.format = DFU_FORMAT_BIN;
		opts.has_base_address = true;
		opts.base_address = 0x08000000u;
	}
	err = dfu_image_read_mem(ctx, where, data, len, &opts, &img);
	if (err)
		return err;
	err = dfu_fome_find_app(ctx, img, app_base, NULL);
	if (err) {
		dfu_image_free(img);
		return dfu_fail_during(ctx, err, where);
	}
	*out = img;
	return DFU_OK;
}

/* The signature and board of the bundle's .ini; a bundle without one (or
 * with a signature that names no board) reads, with board NULL. */
static int take_ini(struct dfu_ctx *ctx, struct dfu_fome_bundle *b, const uint8_t *data,
		    size_t len)
{
	char board[128];

	b->signature = ini_signature(data, len);
	if (!b->signature)
		return DFU_OK;
	if (dfu_fome_signature_board(b->signature, board, sizeof(board)) == DFU_OK) {
		b->board = dup_n(board, strlen(board));
		if (!b->board)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "no memory for the board name");
	}
	return DFU_OK;
}

/* The indices of the bundle's files: the shallowest of each name. */
struct bundle_entries {
	zip_int64_t bin, srec;
	unsigned bin_depth, srec_depth;
};

static void pick(zip_int64_t *slot, unsigned *slot_depth, zip_int64_t idx, unsigned d)
{
	if (*slot < 0 || d < *slot_depth) {
		*slot = idx;
		*slot_depth = d;
	}
}

static int read_zip(struct dfu_ctx *ctx, struct dfu_fome_bundle *b, zip_t *z)
{
	struct bundle_entries e = { -1, -1, 0, 0 };
	zip_int64_t i, n = zip_get_num_entries(z, 0);
	char where[PATH_MAX + 80];
	uint8_t *data = NULL;
	size_t len = 0;
	uint32_t base = 0;
	int err;

	for (i = 0; i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		const char *bn;
		unsigned d;

		if (!name)
			continue;
		bn = base_name(name);
		d = depth(name);
		if (d > 1)  /* console/, drivers/ */
			continue;
		if (!strcasecmp(bn, "fome.bin"))
			pick(&e.bin, &e.bin_depth, i, d);
		else if (!strcasecmp(bn, "fome_update.srec"))
			pick(&e.srec, &e.srec_depth, i, d);
	}
	if (e.bin < 0)
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"%s: no fome.bin inside: not a FOME bundle (a bundle is "
				"fome_bundle_<board>.zip from the FOME releases)", b->path);

	snprintf(where, sizeof(where), "%s: %s", b->path, zip_get_name(z, (zip_uint64_t)e.bin, 0));
	err = zip_read_entry(ctx, b->path, z, (zip_uint64_t)e.bin, "fome.bin", &data, &len);
	if (!err)
		err = read_image(ctx, where, "fome.bin", data, len, &b->full, &base);
	free(data);
	data = NULL;
	if (err)
		return err;
	b->full_app_base = base;
	b->full_has_openblt = base != 0x08000000u;

	if (e.srec >= 0) {
		snprintf(where, sizeof(where), "%s: %s", b->path,
			 zip_get_name(z, (zip_uint64_t)e.srec, 0));
		err = zip_read_entry(ctx, b->path, z, (zip_uint64_t)e.srec, "fome_update.srec",
				     &data, &len);
		if (!err)
			err = read_image(ctx, where, "fome_update.srec", data, len, &b->update,
					 &base);
		free(data);
		data = NULL;
		if (err)
			return err;
	}
	/* The TunerStudio .ini beside fome.bin (build_working_folder.sh copies
	 * one, rusefi.ini or the board's): the first with a signature line. */
	for (i = 0; i < n && !b->signature; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if (!name || depth(name) > 1 || !ends_with(name, ".ini"))
			continue;
		err = zip_read_entry(ctx, b->path, z, (zip_uint64_t)i, name, &data, &len);
		if (!err)
			err = take_ini(ctx, b, data, len);
		free(data);
		data = NULL;
		if (err)
			return err;
	}
	return DFU_OK;
}

/* A plain firmware file: full when it starts at 0x08000000, else update. */
static int read_plain(struct dfu_ctx *ctx, struct dfu_fome_bundle *b)
{
	struct dfu_read_opts opts = { 0 };
	struct dfu_image *img = NULL;
	struct dfu_segment seg;
	uint32_t base = 0;
	int err;

	if (dfu_format_from_path(b->path) == DFU_FORMAT_BIN) {
		opts.format = DFU_FORMAT_BIN;
		opts.has_base_address = true;
		opts.base_address = 0x08000000u;
	}
	err = dfu_image_read_file(ctx, b->path, &opts, &img);
	if (err)
		return err;
	err = dfu_fome_find_app(ctx, img, &base, NULL);
	if (err) {
		dfu_image_free(img);
		return dfu_fail_during(ctx, err, b->path);
	}
	if (dfu_image_segment(img, 0, 0, &seg) == DFU_OK && seg.address == 0x08000000u) {
		b->full = img;
		b->full_app_base = base;
		b->full_has_openblt = base != 0x08000000u;
	} else {
		b->update = img;
	}
	return DFU_OK;
}

/* A zip starts with a local file header "PK\3\4" (or is an empty zip's
 * end record "PK\5\6"). */
static bool looks_like_zip(struct dfu_ctx *ctx, const char *path, bool *is_zip)
{
	unsigned char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		dfu_fail(ctx, DFU_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	*is_zip = n == 4 && magic[0] == 'P' && magic[1] == 'K' &&
		  ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
	return true;
}

int dfu_fome_bundle_read(struct dfu_ctx *ctx, const char *path, struct dfu_fome_bundle **out)
{
	struct dfu_fome_bundle *b;
	bool is_zip = false;
	int err, zerr = 0;
	zip_t *z;

	if (!path || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no bundle path");
	if (!looks_like_zip(ctx, path, &is_zip))
		return DFU_ERR_IO;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = dup_n(path, strlen(path)))) {
		free(b);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "no memory for the bundle");
	}
	if (!is_zip) {
		err = read_plain(ctx, b);
	} else {
		z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
		if (!z) {
			zip_error_t ze;

			zip_error_init_with_code(&ze, zerr);
			err = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: not a readable zip: %s. Download "
				       "the bundle again", path, zip_error_strerror(&ze));
			zip_error_fini(&ze);
		} else {
			err = read_zip(ctx, b, z);
			zip_discard(z);
		}
	}
	if (err) {
		dfu_fome_bundle_free(b);
		return err;
	}
	*out = b;
	return DFU_OK;
}
