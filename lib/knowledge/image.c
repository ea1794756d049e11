/*
 * image.c - the sparse firmware image: targets, each an ordered list of
 * non-overlapping segments with adjacent ones merged, plus what the image
 * knows about the file it came from.
 */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_LIMIT 0x100000000ull  /* one past the last 32-bit address */

/* Creates an empty image with no targets. */
int dfu_image_new(struct dfu_image **out)
{
	struct dfu_image *img;

	if (!out)
		return DFU_ERR_INVALID_ARG;
	img = calloc(1, sizeof(*img));
	if (!img)
		return DFU_ERR_NO_MEM;
	img->info.format = DFU_FORMAT_AUTO;
	*out = img;
	return DFU_OK;
}

/* Frees every target's segments and names, then the image; NULL is fine. */
void dfu_image_free(struct dfu_image *img)
{
	size_t i, j;

	if (!img)
		return;
	for (i = 0; i < img->ntargets; i++) {
		struct dfu_target *t = &img->targets[i];

		for (j = 0; j < t->nsegs; j++)
			free(t->segs[j].base);
		free(t->segs);
		free(t->name);
	}
	free(img->targets);
	free(img);
}

/* Copies out what the image knows about its file. */
void dfu_image_get_info(const struct dfu_image *img, struct dfu_image_info *out)
{
	if (!img || !out)
		return;
	*out = img->info;
}

/* Sets the ids that a DFU suffix written from this image will carry. The
 * CRC is computed when writing, so the stored one is only marked unknown. */
void dfu_image_set_suffix_ids(struct dfu_image *img, uint16_t id_vendor,
			      uint16_t id_product, uint16_t bcd_device)
{
	if (!img)
		return;
	if (!img->info.has_suffix) {
		img->info.has_suffix = true;
		img->info.suffix.bcd_dfu = DFU_BCD_DFU_1_0;
		img->info.suffix_crc_ok = false;
	}
	img->info.suffix.id_vendor = id_vendor;
	img->info.suffix.id_product = id_product;
	img->info.suffix.bcd_device = bcd_device;
}

/* Sets the entry point (HEX start address, S7/S8/S9, ELF e_entry). */
void dfu_image_set_entry(struct dfu_image *img, uint32_t entry)
{
	if (!img)
		return;
	img->info.has_entry = true;
	img->info.entry = entry;
}

/* How many targets (alternate settings) the image has; 0 for NULL. */
size_t dfu_image_target_count(const struct dfu_image *img)
{
	return img ? img->ntargets : 0;
}

/* Describes one target; the name stays owned by the image. */
int dfu_image_target(const struct dfu_image *img, size_t target,
		     struct dfu_target_info *out)
{
	const struct dfu_target *t;
	uint64_t total = 0;
	size_t i;

	if (!img || !out || target >= img->ntargets)
		return DFU_ERR_INVALID_ARG;
	t = &img->targets[target];
	for (i = 0; i < t->nsegs; i++)
		total += t->segs[i].size;
	out->alt = t->alt;
	out->name = t->name;
	out->segment_count = t->nsegs;
	out->total_size = total;
	return DFU_OK;
}

/* Appends a target with no data. A NULL name means unnamed (""). */
int dfu_image_add_target(struct dfu_image *img, uint8_t alt, const char *name,
			 size_t *index)
{
	struct dfu_target *targets;
	char *copy;

	if (!img)
		return DFU_ERR_INVALID_ARG;
	copy = strdup(name ? name : "");
	if (!copy)
		return DFU_ERR_NO_MEM;
	targets = realloc(img->targets, (img->ntargets + 1) * sizeof(*targets));
	if (!targets) {
		free(copy);
		return DFU_ERR_NO_MEM;
	}
	img->targets = targets;
	memset(&targets[img->ntargets], 0, sizeof(*targets));
	targets[img->ntargets].alt = alt;
	targets[img->ntargets].name = copy;
	if (index)
		*index = img->ntargets;
	img->ntargets++;
	return DFU_OK;
}

/* Moves a target to another alternate setting (a conversion to another alternate setting). */
int dfu_image_set_target_alt(struct dfu_image *img, size_t target, uint8_t alt)
{
	if (!img || target >= img->ntargets)
		return DFU_ERR_INVALID_ARG;
	img->targets[target].alt = alt;
	return DFU_OK;
}

/* How many segments a target has; 0 for a target that does not exist. */
size_t dfu_image_segment_count(const struct dfu_image *img, size_t target)
{
	if (!img || target >= img->ntargets)
		return 0;
	return img->targets[target].nsegs;
}

/* Describes one segment; its data stays owned by the image. */
int dfu_image_segment(const struct dfu_image *img, size_t target, size_t index,
		      struct dfu_segment *out)
{
	const struct dfu_seg *s;

	if (!img || !out || target >= img->ntargets ||
	    index >= img->targets[target].nsegs)
		return DFU_ERR_INVALID_ARG;
	s = &img->targets[target].segs[index];
	out->address = s->addr;
	out->size = s->size;
	out->data = s->data;
	return DFU_OK;
}

/* One past a segment's last address, in 64 bits: it can be 2^32. */
static uint64_t seg_end(const struct dfu_seg *s)
{
	return (uint64_t)s->addr + s->size;
}

/* Makes room for `after` more bytes behind segment s's data and `before`
 * bytes in front of it, at least doubling the block when it must grow so
 * that many small additions cost linear time. */
static int seg_room(struct dfu_seg *s, size_t before, size_t after)
{
	size_t head = (size_t)(s->data - s->base);
	size_t tail = s->cap - head - s->size;
	uint64_t nhead, ncap;
	uint8_t *p;

	if (before <= head && after <= tail)
		return DFU_OK;
	/* Sizes stay below 2^33 (a segment is under 4 GiB), so this is exact. */
	if (before > UINT32_MAX || after > UINT32_MAX)
		return DFU_ERR_NO_MEM;
	if (before == 0 && head == 0) {
		/* Growing at the end only: realloc can often extend in place. */
		ncap = s->cap ? s->cap : 256;
		while (ncap < (uint64_t)s->size + after)
			ncap *= 2;
		if (ncap > SIZE_MAX)
			return DFU_ERR_NO_MEM;
		p = realloc(s->base, (size_t)ncap);
		if (!p)
			return DFU_ERR_NO_MEM;
		s->base = s->data = p;
		s->cap = (size_t)ncap;
		return DFU_OK;
	}
	/* Room in front as large as the data (and the request) for later
	 * prepends; behind, what was asked. */
	nhead = before ? (uint64_t)before + s->size : head;
	ncap = nhead + s->size + (after > tail ? (uint64_t)after + s->size : tail);
	if (ncap > SIZE_MAX)
		return DFU_ERR_NO_MEM;
	p = malloc((size_t)ncap);
	if (!p)
		return DFU_ERR_NO_MEM;
	if (s->size)
		memcpy(p + nhead, s->data, s->size);
	free(s->base);
	s->base = p;
	s->data = p + nhead;
	s->cap = (size_t)ncap;
	return DFU_OK;
}

/* Makes room for one more segment at position pos and fills it with a copy
 * of [addr, addr+len). */
static int seg_insert(struct dfu_target *t, size_t pos, uint32_t addr,
		      const uint8_t *data, size_t len)
{
	struct dfu_seg s = { .addr = addr };

	if (t->nsegs == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct dfu_seg *segs = realloc(t->segs, cap * sizeof(*segs));

		if (!segs)
			return DFU_ERR_NO_MEM;
		t->segs = segs;
		t->cap = cap;
	}
	if (seg_room(&s, 0, len) != DFU_OK)
		return DFU_ERR_NO_MEM;
	memcpy(s.data, data, len);
	s.size = (uint32_t)len;
	memmove(&t->segs[pos + 1], &t->segs[pos], (t->nsegs - pos) * sizeof(s));
	t->segs[pos] = s;
	t->nsegs++;
	return DFU_OK;
}

/* Checks that new data [addr, addr+len) agrees with every byte segments
 * first..last already hold where they overlap it. */
static int check_overlap(struct dfu_ctx *ctx, const struct dfu_target *t,
			 size_t first, size_t last, uint32_t addr,
			 const uint8_t *data, size_t len, const char *where)
{
	uint64_t end = (uint64_t)addr + len;
	size_t i;

	for (i = first; i <= last; i++) {
		const struct dfu_seg *s = &t->segs[i];
		uint64_t lo = s->addr > addr ? s->addr : addr;
		uint64_t hi = seg_end(s) < end ? seg_end(s) : end;
		uint64_t a;

		for (a = lo; a < hi; a++) {
			uint8_t now = data[a - addr], was = s->data[a - s->addr];

			if (now == was)
				continue;
			return dfu_fail(ctx, DFU_ERR_OVERLAP,
					"%s%sdata at 0x%08X-0x%08llX overlaps earlier data at "
					"0x%08X-0x%08llX and differs at 0x%08llX (0x%02X, was 0x%02X)",
					where ? where : "", where ? ": " : "", addr,
					(unsigned long long)(end - 1), s->addr,
					(unsigned long long)(seg_end(s) - 1),
					(unsigned long long)a, now, was);
		}
	}
	return DFU_OK;
}

/* Grows segment s to also hold [addr, addr+len), which overlaps or touches
 * it and whose overlap is already checked: only the new bytes are copied. */
static int seg_extend(struct dfu_ctx *ctx, struct dfu_seg *s, uint32_t addr,
		      const uint8_t *data, size_t len)
{
	uint64_t end = (uint64_t)addr + len, send = seg_end(s);
	size_t before = addr < s->addr ? s->addr - addr : 0;
	size_t after = end > send ? (size_t)(end - send) : 0;

	if ((uint64_t)s->size + before + after > UINT32_MAX)
		return dfu_fail(ctx, DFU_ERR_RANGE, "a segment of 4 GiB or more");
	if (seg_room(s, before, after) != DFU_OK)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	if (before) {
		s->data -= before;
		memcpy(s->data, data, before);
		s->addr = addr;
		s->size += (uint32_t)before;
	}
	if (after) {
		memcpy(s->data + s->size, data + (len - after), after);
		s->size += (uint32_t)after;
	}
	return DFU_OK;
}

/* Joins segments first..last, which new data [addr, addr+len) overlaps or
 * touches, into segment first: the new bytes fill the gaps between them. */
static int merge_segments(struct dfu_ctx *ctx, struct dfu_target *t, size_t first,
			  size_t last, uint32_t addr, const uint8_t *data, size_t len)
{
	struct dfu_seg *s = &t->segs[first];
	size_t i;
	int ret;

	for (i = first + 1; i <= last; i++) {
		/* Fill from the new data up to segment i, then take i's bytes. */
		const struct dfu_seg *n = &t->segs[i];
		uint64_t from = seg_end(s);

		ret = seg_extend(ctx, s, (uint32_t)from, data + (from - addr),
				 (size_t)(n->addr - from));
		if (ret)
			return ret;
		ret = seg_extend(ctx, s, n->addr, n->data, n->size);
		if (ret)
			return ret;
	}
	ret = seg_extend(ctx, s, addr, data, len);
	if (ret)
		return ret;
	for (i = first + 1; i <= last; i++)
		free(t->segs[i].base);
	memmove(&t->segs[first + 1], &t->segs[last + 1],
		(t->nsegs - last - 1) * sizeof(*s));
	t->nsegs -= last - first;
	return DFU_OK;
}

/*
 * Adds bytes to a target. The common cases (the next record of a HEX file
 * continues the last segment, or starts a new one above it) take constant
 * time; anything else finds the segments that the new data overlaps or
 * touches by binary search, checks the overlap and merges them.
 */
int dfu_image_add(struct dfu_ctx *ctx, struct dfu_image *img, size_t target,
		  uint32_t addr, const uint8_t *data, size_t len, const char *where)
{
	const char *w = where ? where : "";
	const char *sep = where ? ": " : "";
	struct dfu_target *t;
	struct dfu_seg *tail;
	uint64_t end = (uint64_t)addr + len;
	size_t first, last, lo, hi;

	if (!img || target >= img->ntargets || (!data && len))
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no such image target");
	if (len == 0)
		return DFU_OK;
	if (len > UINT32_MAX || end > ADDR_LIMIT)
		return dfu_fail(ctx, DFU_ERR_RANGE,
				"%s%s%zu bytes at 0x%08X go past 0xFFFFFFFF", w, sep, len, addr);
	t = &img->targets[target];
	tail = t->nsegs ? &t->segs[t->nsegs - 1] : NULL;
	if (tail && seg_end(tail) == addr)
		return seg_extend(ctx, tail, addr, data, len);
	if (!tail || seg_end(tail) < addr) {
		if (seg_insert(t, t->nsegs, addr, data, len) != DFU_OK)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
		return DFU_OK;
	}
	/* first: the first segment that ends at or after addr. */
	lo = 0;
	hi = t->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (seg_end(&t->segs[mid]) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	/* last + 1: the first segment that starts after end. */
	hi = t->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->segs[mid].addr <= end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == first) {
		if (seg_insert(t, first, addr, data, len) != DFU_OK)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
		return DFU_OK;
	}
	last = lo - 1;
	if (check_overlap(ctx, t, first, last, addr, data, len, where) != DFU_OK)
		return DFU_ERR_OVERLAP;
	return merge_segments(ctx, t, first, last, addr, data, len);
}

/* The public form of dfu_image_add(): no place in a file to name. */
int dfu_image_add_data(struct dfu_ctx *ctx, struct dfu_image *img, size_t target,
		       uint32_t address, const uint8_t *data, size_t len)
{
	return dfu_image_add(ctx, img, target, address, data, len, NULL);
}

/* Moves a whole target; nothing changes unless every segment still fits
 * below 4 GiB afterwards. Order and adjacency do not change with a shift. */
int dfu_image_relocate(struct dfu_image *img, size_t target, int64_t delta)
{
	struct dfu_target *t;
	uint32_t lo;
	uint64_t hi;
	size_t i;

	if (!img || target >= img->ntargets)
		return DFU_ERR_INVALID_ARG;
	t = &img->targets[target];
	if (!dfu_target_span(t, &lo, &hi))
		return DFU_OK;
	if ((int64_t)lo + delta < 0 || (int64_t)hi + delta > (int64_t)ADDR_LIMIT)
		return DFU_ERR_RANGE;
	for (i = 0; i < t->nsegs; i++)
		t->segs[i].addr = (uint32_t)((int64_t)t->segs[i].addr + delta);
	return DFU_OK;
}

/* Sums the segment sizes; 64 bits because a target can hold 4 GiB. */
uint64_t dfu_target_bytes(const struct dfu_target *t)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; t && i < t->nsegs; i++)
		total += t->segs[i].size;
	return total;
}

/* Segments are ordered, so the span is first start to last end. */
bool dfu_target_span(const struct dfu_target *t, uint32_t *lo, uint64_t *hi)
{
	if (!t->nsegs)
		return false;
	*lo = t->segs[0].addr;
	*hi = seg_end(&t->segs[t->nsegs - 1]);
	return true;
}

/* For writers of formats without targets: the one target, or an error
 * that says to write DfuSe instead. */
int dfu_image_single_target(struct dfu_ctx *ctx, const struct dfu_image *img,
			    const char *fmt, const struct dfu_target **t)
{
	if (img->ntargets > 1)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED,
				"the image has %zu targets (alternate settings) and %s holds "
				"only one: write a DfuSe .dfu", img->ntargets, fmt);
	*t = img->ntargets ? &img->targets[0] : NULL;
	return DFU_OK;
}

/* Grows buf to hold n more bytes; marks it failed if it cannot. */
static bool buf_room(struct dfu_buf *buf, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (buf->failed)
		return false;
	if (n <= buf->cap - buf->len)
		return true;
	if (n > SIZE_MAX / 2 - buf->len) {
		buf->failed = true;
		return false;
	}
	cap = buf->cap ? buf->cap : 4096;
	while (cap - buf->len < n)
		cap *= 2;
	p = realloc(buf->data, cap);
	if (!p) {
		buf->failed = true;
		return false;
	}
	buf->data = p;
	buf->cap = cap;
	return true;
}

/* Grows the buffer to exactly len + n bytes when it is smaller; a failure
 * here is not one (the puts will try again and mark the buffer failed). */
void dfu_buf_reserve(struct dfu_buf *buf, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (buf->failed || n <= buf->cap - buf->len || n > SIZE_MAX / 2 - buf->len)
		return;
	cap = buf->len + n;
	p = realloc(buf->data, cap);
	if (!p)
		return;  /* not an error: growing later may still work */
	buf->data = p;
	buf->cap = cap;
}

/* Appends n bytes; after a failed growth, drops them (see failed). */
void dfu_buf_put(struct dfu_buf *buf, const void *p, size_t n)
{
	if (!n || !buf_room(buf, n))
		return;
	memcpy(buf->data + buf->len, p, n);
	buf->len += n;
}

/* Appends one byte. */
void dfu_buf_put_u8(struct dfu_buf *buf, uint8_t v)
{
	dfu_buf_put(buf, &v, 1);
}

/* Appends a 16-bit value, little-endian as USB and DfuSe want it. */
void dfu_buf_put_le16(struct dfu_buf *buf, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	dfu_buf_put(buf, b, sizeof(b));
}

/* Appends a 32-bit value, little-endian. */
void dfu_buf_put_le32(struct dfu_buf *buf, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	dfu_buf_put(buf, b, sizeof(b));
}

/* Appends n copies of v (0xFF gap filling, zero padding). */
void dfu_buf_put_fill(struct dfu_buf *buf, uint8_t v, size_t n)
{
	if (!n || !buf_room(buf, n))
		return;
	memset(buf->data + buf->len, v, n);
	buf->len += n;
}

/* Frees the bytes and leaves an empty buffer. */
void dfu_buf_free(struct dfu_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* Keeps the callee's message and puts the caller's place before it. The
 * old message is copied first: it lives in the buffer being rewritten. */
int dfu_fail_prefix(struct dfu_ctx *ctx, int err, const char *fmt, ...)
{
	char place[256], old[512];
	va_list ap;

	snprintf(old, sizeof(old), "%s", dfu_detail(ctx));
	va_start(ap, fmt);
	vsnprintf(place, sizeof(place), fmt, ap);
	va_end(ap);
	return dfu_fail(ctx, err, "%s: %s", place, old);
}

/* See knowledge.h. */
int dfu_image_slice(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t from,
		    struct dfu_image **out)
{
	struct dfu_image *cut = NULL;
	size_t s, t, n = dfu_image_segment_count(img, 0);
	int err;

	*out = NULL;
	err = dfu_image_new(&cut);
	if (!err)
		err = dfu_image_add_target(cut, 0, "", &t);
	for (s = 0; !err && s < n; s++) {
		struct dfu_segment seg;
		uint64_t end;

		if (dfu_image_segment(img, 0, s, &seg))
			continue;
		end = (uint64_t)seg.address + seg.size;
		if (end <= from)
			continue;
		if (seg.address < from)
			err = dfu_image_add_data(ctx, cut, t, from, seg.data + (from - seg.address),
						 (size_t)(end - from));
		else
			err = dfu_image_add_data(ctx, cut, t, seg.address, seg.data, seg.size);
	}
	if (err) {
		dfu_image_free(cut);
		return err;
	}
	*out = cut;
	return DFU_OK;
}
