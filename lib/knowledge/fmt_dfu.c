/*
 * fmt_dfu.c - the DFU suffix (DFU 1.1 appendix B) and ST's DfuSe file format
 * (UM0391): a prefix, targets (one per alternate setting, with a name) and
 * elements (address, size, data), then the suffix.
 *
 * No size field in a DfuSe file is trusted: each one is checked against the
 * bytes that are really left before it is used, so a 4 GB element in a 1 KB
 * file is an error and never an allocation.
 */
#include "image.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define DFUSE_PREFIX_LEN 11    /* "DfuSe", bVersion, DFUImageSize, bTargets */
#define DFUSE_TARGET_LEN 274   /* "Target", alt, bTargetNamed, name[255], size, count */
#define DFUSE_NAME_LEN 255
#define DFUSE_ELEMENT_LEN 8    /* dwElementAddress, dwElementSize */
#define DFUSE_VERSION 1
/* dfuse-pack names every target this way; unnamed targets get it too so
 * that our files are byte-identical to its files. */
#define DFUSE_DEFAULT_NAME "ST..."

/* CRC-32 (reflected, poly 0xEDB88320, init 0xFFFFFFFF) without the final
 * inversion: zlib's crc32() inverts at the end, so invert it back. */
uint32_t dfu_suffix_crc(const uint8_t *data, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	while (len) {
		size_t n = len > 0x40000000u ? 0x40000000u : len;

		crc = crc32(crc, data, (uInt)n);
		data += n;
		len -= n;
	}
	return (uint32_t)crc ^ 0xFFFFFFFFu;
}

/* Checks the 16-byte suffix at the end of data and records it in img. */
int dfu_fmt_suffix_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
			size_t len, const struct dfu_read_opts *opts,
			struct dfu_image *img)
{
	struct dfu_suffix s;
	const uint8_t *p;
	uint32_t crc;

	if (len < DFU_SUFFIX_LEN)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: %zu bytes is too short for a DFU "
				"suffix (16 bytes)", name, len);
	p = data + len - DFU_SUFFIX_LEN;
	if (memcmp(p + 8, "UFD", 3))
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: no DFU suffix (no \"UFD\" "
				"signature in the last 16 bytes; truncated?)", name,
				len - DFU_SUFFIX_LEN + 8);
	if (p[11] != DFU_SUFFIX_LEN)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "%s: byte %zu: DFU suffix length is "
				"%u, only 16 is supported", name, len - 5, p[11]);
	s.bcd_device = dfu_get_le16(p);
	s.id_product = dfu_get_le16(p + 2);
	s.id_vendor = dfu_get_le16(p + 4);
	s.bcd_dfu = dfu_get_le16(p + 6);
	s.crc = dfu_get_le32(p + 12);
	crc = dfu_suffix_crc(data, len - 4);
	if (crc != s.crc) {
		if (!opts->force)
			return dfu_fail(ctx, DFU_ERR_CHECKSUM, "%s: byte %zu: DFU suffix CRC is "
					"0x%08X but the file's CRC is 0x%08X (corrupt or edited; "
					"a forced read accepts it)", name, len - 4, s.crc, crc);
		dfu_log(ctx, DFU_LOG_WARNING, "%s: DFU suffix CRC is 0x%08X but the file's "
			"CRC is 0x%08X; accepted because the read was forced", name, s.crc, crc);
	}
	img->info.has_suffix = true;
	img->info.suffix = s;
	img->info.suffix_crc_ok = crc == s.crc;
	return DFU_OK;
}

/*
 * A plain DFU file is a raw binary with a suffix, so like a .bin it has no
 * address: the base address is the caller's, or 0x08000000, which is where
 * the STM32 ROM's address pointer starts and so where dfu-util would write it.
 */
int dfu_fmt_dfu_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	uint32_t base = opts->has_base_address ? opts->base_address : 0x08000000u;
	size_t t;
	int ret;

	ret = dfu_fmt_suffix_read(ctx, name, data, len, opts, img);
	if (ret)
		return ret;
	ret = dfu_image_add_target(img, 0, NULL, &t);
	if (ret)
		return dfu_fail(ctx, ret, "out of memory");
	return dfu_image_add(ctx, img, t, base, data, len - DFU_SUFFIX_LEN, name);
}

/* Reads one target's elements from p[0..size), which starts at file offset
 * off. Every element size is checked against what is left of the target. */
static int dfuse_read_elements(struct dfu_ctx *ctx, const char *name,
			       const uint8_t *p, size_t size, size_t off,
			       uint32_t count, struct dfu_image *img, size_t t)
{
	char where[300];
	size_t pos = 0;
	uint32_t i;
	int ret;

	for (i = 0; i < count; i++) {
		uint32_t addr, esize;

		if (size - pos < DFUSE_ELEMENT_LEN)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: target %zu says it "
					"has %u elements but element %u's header does not fit "
					"in the target's %zu bytes", name, off + pos, t, count,
					i, size);
		addr = dfu_get_le32(p + pos);
		esize = dfu_get_le32(p + pos + 4);
		if (esize > size - pos - DFUSE_ELEMENT_LEN)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: element %u of target "
					"%zu is %u bytes but only %zu are left in the target",
					name, off + pos + 4, i, t, esize,
					size - pos - DFUSE_ELEMENT_LEN);
		snprintf(where, sizeof(where), "%s: byte %zu: element %u", name,
			 off + pos + DFUSE_ELEMENT_LEN, i);
		ret = dfu_image_add(ctx, img, t, addr, p + pos + DFUSE_ELEMENT_LEN, esize,
				    where);
		if (ret)
			return ret;
		pos += DFUSE_ELEMENT_LEN + esize;
	}
	if (pos != size)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: %zu bytes of target %zu are "
				"left after its %u elements", name, off + pos, size - pos, t,
				count);
	return DFU_OK;
}

/*
 * Reads a DfuSe file: suffix first (its CRC covers everything), then the
 * prefix, then each target in turn. DFUImageSize is not checked: tools
 * disagree on whether it counts the suffix.
 */
int dfu_fmt_dfuse_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		       size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	size_t body_end, pos;
	unsigned ntargets, i;
	int ret;

	if (len < DFUSE_PREFIX_LEN + DFU_SUFFIX_LEN)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: %zu bytes is too short for a DfuSe "
				"file (prefix 11 + suffix 16 bytes; truncated?)", name, len);
	if (memcmp(data, "DfuSe", 5))
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte 0: no \"DfuSe\" signature",
				name);
	ret = dfu_fmt_suffix_read(ctx, name, data, len, opts, img);
	if (ret)
		return ret;
	if (data[5] != DFUSE_VERSION)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "%s: byte 5: DfuSe version %u, only "
				"version 1 is known", name, data[5]);
	ntargets = data[10];
	if (ntargets == 0)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte 10: the file has zero targets",
				name);
	body_end = len - DFU_SUFFIX_LEN;
	pos = DFUSE_PREFIX_LEN;
	for (i = 0; i < ntargets; i++) {
		const uint8_t *p = data + pos;
		char tname[DFUSE_NAME_LEN + 1];
		uint32_t tsize, count;
		size_t t;

		if (body_end - pos < DFUSE_TARGET_LEN)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: target %u of %u is "
					"missing or cut short (truncated?)", name, pos, i,
					ntargets);
		if (memcmp(p, "Target", 6))
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: target %u has no "
					"\"Target\" signature", name, pos, i);
		tname[0] = '\0';
		if (dfu_get_le32(p + 7)) {
			memcpy(tname, p + 11, DFUSE_NAME_LEN);
			tname[DFUSE_NAME_LEN] = '\0';
		}
		tsize = dfu_get_le32(p + 266);
		count = dfu_get_le32(p + 270);
		if (tsize > body_end - pos - DFUSE_TARGET_LEN)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: target %u is %u bytes "
					"but only %zu are left before the suffix", name,
					pos + 266, i, tsize,
					body_end - pos - DFUSE_TARGET_LEN);
		ret = dfu_image_add_target(img, p[6], tname, &t);
		if (ret)
			return dfu_fail(ctx, ret, "out of memory");
		ret = dfuse_read_elements(ctx, name, p + DFUSE_TARGET_LEN, tsize,
					  pos + DFUSE_TARGET_LEN, count, img, t);
		if (ret)
			return ret;
		pos += DFUSE_TARGET_LEN + (size_t)tsize;
	}
	if (pos != body_end)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %zu: %zu stray bytes after the "
				"last of %u targets", name, pos, body_end - pos, ntargets);
	return DFU_OK;
}

/* The suffix ids to write: the caller's, else the input file's, else "any". */
static void suffix_ids(const struct dfu_image *img, const struct dfu_write_opts *opts,
		       uint16_t *vid, uint16_t *pid, uint16_t *bcd)
{
	if (opts->has_suffix_ids) {
		*vid = opts->id_vendor;
		*pid = opts->id_product;
		*bcd = opts->bcd_device;
	} else if (img->info.has_suffix) {
		*vid = img->info.suffix.id_vendor;
		*pid = img->info.suffix.id_product;
		*bcd = img->info.suffix.bcd_device;
	} else {
		*vid = *pid = *bcd = DFU_SUFFIX_ANY;
	}
}

/* Appends the suffix to what out holds, CRC last. */
static void put_suffix(struct dfu_buf *out, const struct dfu_image *img,
		       const struct dfu_write_opts *opts, uint16_t bcd_dfu)
{
	uint16_t vid, pid, bcd;

	suffix_ids(img, opts, &vid, &pid, &bcd);
	dfu_buf_put_le16(out, bcd);
	dfu_buf_put_le16(out, pid);
	dfu_buf_put_le16(out, vid);
	dfu_buf_put_le16(out, bcd_dfu);
	dfu_buf_put(out, "UFD", 3);
	dfu_buf_put_u8(out, DFU_SUFFIX_LEN);
	if (!out->failed)
		dfu_buf_put_le32(out, dfu_suffix_crc(out->data, out->len));
}

/* A plain DFU file: the raw binary (as fmt_bin writes it) plus a suffix. */
int dfu_fmt_dfu_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	int ret = dfu_fmt_bin_write(ctx, img, opts, out);

	if (ret)
		return ret;
	put_suffix(out, img, opts, DFU_BCD_DFU_1_0);
	return DFU_OK;
}

/*
 * A DfuSe file laid out exactly as dfuse-pack lays it out: every target
 * named (unnamed ones "ST..."), one element per segment, DFUImageSize
 * counting the whole file with its suffix.
 */
int dfu_fmt_dfuse_write(struct dfu_ctx *ctx, const struct dfu_image *img,
			const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	uint64_t total = DFUSE_PREFIX_LEN + DFU_SUFFIX_LEN;
	size_t i, j;

	if (img->ntargets == 0)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "the image is empty: a DfuSe file "
				"needs at least one target");
	if (img->ntargets > 255)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "%zu targets: a DfuSe file holds "
				"at most 255", img->ntargets);
	for (i = 0; i < img->ntargets; i++) {
		uint64_t tsize = 0;

		for (j = 0; j < img->targets[i].nsegs; j++)
			tsize += DFUSE_ELEMENT_LEN + (uint64_t)img->targets[i].segs[j].size;
		if (tsize > UINT32_MAX)
			return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "target %zu holds %llu bytes: "
					"more than a DfuSe target can", i,
					(unsigned long long)tsize);
		total += DFUSE_TARGET_LEN + tsize;
	}
	if (total > UINT32_MAX)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "the image is too big for DfuSe");
	dfu_buf_reserve(out, (size_t)total);
	dfu_buf_put(out, "DfuSe", 5);
	dfu_buf_put_u8(out, DFUSE_VERSION);
	dfu_buf_put_le32(out, (uint32_t)total);
	dfu_buf_put_u8(out, (uint8_t)img->ntargets);
	for (i = 0; i < img->ntargets; i++) {
		const struct dfu_target *t = &img->targets[i];
		const char *tname = t->name[0] ? t->name : DFUSE_DEFAULT_NAME;
		size_t nlen = strnlen(tname, DFUSE_NAME_LEN);
		uint32_t tsize = 0;

		for (j = 0; j < t->nsegs; j++)
			tsize += DFUSE_ELEMENT_LEN + t->segs[j].size;
		dfu_buf_put(out, "Target", 6);
		dfu_buf_put_u8(out, t->alt);
		dfu_buf_put_le32(out, 1);
		dfu_buf_put(out, tname, nlen);
		dfu_buf_put_fill(out, 0, DFUSE_NAME_LEN - nlen);
		dfu_buf_put_le32(out, tsize);
		dfu_buf_put_le32(out, (uint32_t)t->nsegs);
		for (j = 0; j < t->nsegs; j++) {
			dfu_buf_put_le32(out, t->segs[j].addr);
			dfu_buf_put_le32(out, t->segs[j].size);
			dfu_buf_put(out, t->segs[j].data, t->segs[j].size);
		}
	}
	put_suffix(out, img, opts, DFU_BCD_DFUSE);
	return DFU_OK;
}
