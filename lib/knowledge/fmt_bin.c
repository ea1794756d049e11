/*
 * fmt_bin.c - raw binary files: bytes at a base address the user gives.
 */
#include "image.h"

/* A raw binary says nothing about where it goes, so a base address is a must
 * (dfu-util's "-s 0x08000000" is the same thing). */
int dfu_fmt_bin_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	size_t t;
	int ret;

	if (!opts->has_base_address)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: a raw binary has no addresses: "
				"it needs a load address (dfu_read_opts.base_address)", name);
	ret = dfu_image_add_target(img, 0, NULL, &t);
	if (ret)
		return dfu_fail(ctx, ret, "out of memory");
	return dfu_image_add(ctx, img, t, opts->base_address, data, len, name);
}

/*
 * Writes the single target from its lowest address to its highest, gaps
 * filled with 0xFF (erased flash). A span beyond DFU_BIN_MAX_SPAN is refused:
 * it is two memories far apart, e.g. flash and option bytes.
 */
int dfu_fmt_bin_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	const struct dfu_target *t;
	uint64_t hi, pos;
	uint32_t lo;
	size_t i;
	int ret;

	(void)opts;
	ret = dfu_image_single_target(ctx, img, "a raw binary", &t);
	if (ret)
		return ret;
	if (!t || !dfu_target_span(t, &lo, &hi))
		return DFU_OK;
	if (hi - lo > DFU_BIN_MAX_SPAN)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
				"the image spans 0x%08X-0x%08llX (%llu MiB, gaps filled with "
				"0xFF): too far apart for a raw binary; write .hex or .dfu",
				lo, (unsigned long long)(hi - 1),
				(unsigned long long)((hi - lo) >> 20));
	dfu_buf_reserve(out, (size_t)(hi - lo) + DFU_SUFFIX_LEN);
	pos = lo;
	for (i = 0; i < t->nsegs; i++) {
		dfu_buf_put_fill(out, 0xFF, (size_t)(t->segs[i].addr - pos));
		dfu_buf_put(out, t->segs[i].data, t->segs[i].size);
		pos = (uint64_t)t->segs[i].addr + t->segs[i].size;
	}
	return DFU_OK;
}
