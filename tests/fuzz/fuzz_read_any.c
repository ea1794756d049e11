/*
 * fuzz_read_any.c - every firmware reader, and the writers behind them.
 *
 * Input: byte 0 picks the format (0 detect from content, 1 bin, 2 dfu,
 * 3 dfuse, 4 ihex, 5 srec, 6 elf), byte 1 bit 0 is --force; the rest is the
 * file. A file that reads is written again as DfuSe, Intel HEX, S-record and
 * ELF, and each must read back to the same image (the round-trip property
 * the unit tests check on real tools' files), or the target aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same targets, alternate settings, segments and bytes; names where the
 * writer keeps them (DfuSe names unnamed targets "ST..."). */
static void check_same(const struct dfu_image *a, const struct dfu_image *b)
{
	size_t t, s;

	if (a->ntargets != b->ntargets)
		abort();
	for (t = 0; t < a->ntargets; t++) {
		const struct dfu_target *ta = &a->targets[t], *tb = &b->targets[t];

		if (ta->nsegs != tb->nsegs)
			abort();
		for (s = 0; s < ta->nsegs; s++) {
			if (ta->segs[s].addr != tb->segs[s].addr ||
			    ta->segs[s].size != tb->segs[s].size ||
			    memcmp(ta->segs[s].data, tb->segs[s].data, ta->segs[s].size))
				abort();
		}
	}
}

static void round_trip(struct dfu_ctx *ctx, const struct dfu_image *img,
		       enum dfu_format fmt)
{
	struct dfu_write_opts wo = { .format = fmt };
	struct dfu_read_opts ro = { .format = fmt };
	struct dfu_image *again = NULL;
	uint8_t *out = NULL;
	size_t len = 0, t;

	if (dfu_image_write_mem(ctx, img, &wo, &out, &len) != DFU_OK)
		return;  /* e.g. several targets as HEX: refused, fine */
	if (dfu_image_read_mem(ctx, "again", out, len, &ro, &again) != DFU_OK)
		abort();
	check_same(img, again);
	if (fmt == DFU_FORMAT_DFUSE) {
		for (t = 0; t < img->ntargets; t++)
			if (img->targets[t].alt != again->targets[t].alt ||
			    (img->targets[t].name[0] &&
			     strcmp(img->targets[t].name, again->targets[t].name)))
				abort();
	} else if (img->info.has_entry != again->info.has_entry ||
		   img->info.entry != again->info.entry) {
		abort();
	}
	dfu_image_free(again);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dfu_format formats[] = {
		DFU_FORMAT_AUTO, DFU_FORMAT_BIN, DFU_FORMAT_DFU, DFU_FORMAT_DFUSE,
		DFU_FORMAT_IHEX, DFU_FORMAT_SREC, DFU_FORMAT_ELF,
	};
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	struct dfu_ctx *ctx = NULL;

	if (size < 2)
		return 0;
	ro.format = formats[data[0] % 7];
	ro.force = data[1] & 1;
	ro.has_base_address = data[1] & 2;
	ro.base_address = 0x08000000;
	if (dfu_ctx_new(&ctx) != DFU_OK)
		return 0;
	if (dfu_image_read_mem(ctx, "fuzz", data + 2, size - 2, &ro, &img) == DFU_OK) {
		round_trip(ctx, img, DFU_FORMAT_DFUSE);
		round_trip(ctx, img, DFU_FORMAT_IHEX);
		round_trip(ctx, img, DFU_FORMAT_SREC);
		if (data[1] & 4)  /* libelf writes through a temporary file: slower */
			round_trip(ctx, img, DFU_FORMAT_ELF);
		dfu_image_free(img);
	}
	dfu_ctx_free(ctx);
	return 0;
}
