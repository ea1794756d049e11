/*
 * fmt_ihex.c - Intel HEX (Intel's "Hexadecimal Object File Format", rev A):
 * records ":LLAAAATT<data>CC", types 00 data, 01 end of file, 02 extended
 * segment address, 03 start segment address, 04 extended linear address,
 * 05 start linear address.
 */
#include "image.h"

#include <string.h>

enum ihex_type {
	IHEX_DATA = 0x00,
	IHEX_EOF = 0x01,
	IHEX_EXT_SEGMENT = 0x02,
	IHEX_START_SEGMENT = 0x03,
	IHEX_EXT_LINEAR = 0x04,
	IHEX_START_LINEAR = 0x05,
};

#define IHEX_MAX_BYTES (1 + 2 + 1 + 255 + 1)  /* count, address, type, data, sum */
#define IHEX_LINE_BYTES 16                     /* data bytes per line, as objcopy */

/* The number of data bytes a record of this type must carry; -1 for data. */
static int ihex_fixed_count(uint8_t type)
{
	switch (type) {
	case IHEX_EOF:
		return 0;
	case IHEX_EXT_SEGMENT:
	case IHEX_EXT_LINEAR:
		return 2;
	case IHEX_START_SEGMENT:
	case IHEX_START_LINEAR:
		return 4;
	}
	return -1;
}

/*
 * Reads an Intel HEX file line by line. Blank lines are skipped; anything
 * else that is not a whole, well-formed record is an error naming its line
 * (and column for a bad character). The file must end with an end-of-file
 * record, which is how a truncated file is told from a whole one.
 */
int dfu_fmt_ihex_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		      size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	uint8_t rec[IHEX_MAX_BYTES];
	uint64_t base = 0;
	unsigned lineno = 0;
	bool seen_eof = false;
	const uint8_t *line;
	size_t pos = 0, n, t;
	int ret;

	(void)opts;
	ret = dfu_image_add_target(img, 0, NULL, &t);
	if (ret)
		return dfu_fail(ctx, ret, "out of memory");
	while (dfu_text_line(data, len, &pos, &line, &n)) {
		size_t nbytes, i;
		uint8_t sum = 0, count, type;
		uint32_t offset, entry;
		char cb[8];

		lineno++;
		while (n && (line[0] == ' ' || line[0] == '\t')) {
			line++;
			n--;
		}
		if (n == 0)
			continue;
		if (seen_eof)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: data after the "
					"end-of-file record", name, lineno);
		if (line[0] != ':')
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: %s where a record "
					"should start with ':'", name, lineno,
					dfu_text_char(line[0], cb));
		if (n - 1 > 2 * IHEX_MAX_BYTES)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: %zu characters is "
					"longer than any record", name, lineno, n);
		ret = dfu_text_unhex(ctx, name, lineno, 2, line + 1, n - 1, rec);
		if (ret)
			return ret;
		if ((n - 1) % 2 || n - 1 < 10)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: a record needs an even "
					"number of at least 10 hex digits, this has %zu",
					name, lineno, n - 1);
		nbytes = (n - 1) / 2;
		count = rec[0];
		if (nbytes != (size_t)count + 5)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: the record says %u data "
					"bytes but holds %zu", name, lineno, count,
					nbytes < 5 ? 0 : nbytes - 5);
		for (i = 0; i < nbytes - 1; i++)
			sum = (uint8_t)(sum + rec[i]);
		sum = (uint8_t)-sum;
		if (sum != rec[nbytes - 1])
			return dfu_fail(ctx, DFU_ERR_CHECKSUM, "%s: line %u: record checksum is "
					"0x%02X, expected 0x%02X", name, lineno,
					rec[nbytes - 1], sum);
		offset = (uint32_t)rec[1] << 8 | rec[2];
		type = rec[3];
		if (type > IHEX_START_LINEAR)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: unknown record type "
					"0x%02X", name, lineno, type);
		if (ihex_fixed_count(type) >= 0 && count != ihex_fixed_count(type))
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: a type %02X record "
					"has %d data bytes, this has %u", name, lineno, type,
					ihex_fixed_count(type), count);
		switch ((enum ihex_type)type) {
		case IHEX_DATA:
			if (base + offset + count > 0x100000000ull)
				return dfu_fail(ctx, DFU_ERR_RANGE, "%s: line %u: data at 0x%llX "
						"goes past 0xFFFFFFFF", name, lineno,
						(unsigned long long)(base + offset));
			ret = dfu_image_add(ctx, img, t, (uint32_t)(base + offset), rec + 4,
					    count, NULL);
			if (ret)
				return dfu_fail_prefix(ctx, ret, "%s: line %u", name, lineno);
			break;
		case IHEX_EOF:
			seen_eof = true;
			break;
		case IHEX_EXT_SEGMENT:
			base = ((uint64_t)rec[4] << 8 | rec[5]) << 4;
			break;
		case IHEX_START_SEGMENT:
			entry = (((uint32_t)rec[4] << 8 | rec[5]) << 4) +
				((uint32_t)rec[6] << 8 | rec[7]);
			if (entry)  /* 0 means none, as for S-records and ELF */
				dfu_image_set_entry(img, entry);
			break;
		case IHEX_EXT_LINEAR:
			base = ((uint64_t)rec[4] << 8 | rec[5]) << 16;
			break;
		case IHEX_START_LINEAR:
			entry = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 |
				(uint32_t)rec[6] << 8 | rec[7];
			if (entry)
				dfu_image_set_entry(img, entry);
			break;
		}
	}
	if (!seen_eof)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: the file ends without an "
				"end-of-file record (:00000001FF); it is truncated", name,
				lineno);
	return DFU_OK;
}

/* Appends one record: count, 16-bit address, type, data, checksum. */
static void ihex_record(struct dfu_buf *out, uint8_t type, uint16_t addr,
			const uint8_t *p, uint8_t n)
{
	char line[1 + 2 * IHEX_MAX_BYTES + 1], *c = line;
	uint8_t sum = (uint8_t)(n + (addr >> 8) + addr + type);
	uint8_t i;

	*c++ = ':';
	c = dfu_text_hex8(c, n);
	c = dfu_text_hex8(c, (uint8_t)(addr >> 8));
	c = dfu_text_hex8(c, (uint8_t)addr);
	c = dfu_text_hex8(c, type);
	for (i = 0; i < n; i++) {
		c = dfu_text_hex8(c, p[i]);
		sum = (uint8_t)(sum + p[i]);
	}
	c = dfu_text_hex8(c, (uint8_t)-sum);
	*c++ = '\n';
	dfu_buf_put(out, line, (size_t)(c - line));
}

/*
 * Writes the single target as objcopy does: 16 data bytes per line, a
 * type 04 record whenever the upper 16 address bits change (records never
 * cross a 64 KiB boundary), a type 05 record for the entry point, and the
 * end-of-file record.
 */
int dfu_fmt_ihex_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	const struct dfu_target *t;
	uint32_t upper = 0;
	size_t i;
	int ret;

	(void)opts;
	ret = dfu_image_single_target(ctx, img, "Intel HEX", &t);
	if (ret)
		return ret;
	/* 44 characters per 16-byte line, a type 04 line per 64 KiB and per
	 * segment, the start address and end-of-file lines. */
	if (t && dfu_target_bytes(t) < SIZE_MAX / 4)
		dfu_buf_reserve(out, (size_t)(dfu_target_bytes(t) / 16 * 44 +
					      dfu_target_bytes(t) / 65536 * 16 +
					      t->nsegs * 60 + 64));
	for (i = 0; t && i < t->nsegs; i++) {
		const struct dfu_seg *s = &t->segs[i];
		uint64_t addr = s->addr, end = (uint64_t)s->addr + s->size;

		while (addr < end) {
			uint64_t n = end - addr;
			uint64_t to_boundary = 0x10000 - (addr & 0xFFFF);

			if (n > IHEX_LINE_BYTES)
				n = IHEX_LINE_BYTES;
			if (n > to_boundary)
				n = to_boundary;
			if ((addr >> 16) != upper) {
				uint8_t b[2] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16) };

				upper = (uint32_t)(addr >> 16);
				ihex_record(out, IHEX_EXT_LINEAR, 0, b, 2);
			}
			ihex_record(out, IHEX_DATA, (uint16_t)addr, s->data + (addr - s->addr),
				    (uint8_t)n);
			addr += n;
		}
	}
	if (img->info.has_entry && img->info.entry) {
		uint32_t e = img->info.entry;
		uint8_t b[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8),
				 (uint8_t)e };

		ihex_record(out, IHEX_START_LINEAR, 0, b, 4);
	}
	ihex_record(out, IHEX_EOF, 0, NULL, 0);
	return DFU_OK;
}
