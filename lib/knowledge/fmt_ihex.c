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
		size_t nbytes;
		uint8_t count, type;
		uint32_t offset, entry;
		char cb[8];

		lineno++;
		if (n == 0)
			continue;
		if (seen_eof)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: data after the "
					"end-of-file record", name, lineno);
		if (line[0] != ':')
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: %s where a record "
					"should start with ':'", name, lineno,
					dfu_text_char(line[0], cb));
		ret = dfu_text_unhex(ctx, name, lineno, 2, line + 1, n - 1, rec, sizeof(rec));
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
		ret = dfu_text_check_sum(ctx, name, lineno, DFU_TEXT_SUM_NEG, rec, nbytes);
		if (ret)
			return ret;
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
	const uint8_t head[4] = { n, (uint8_t)(addr >> 8), (uint8_t)addr, type };

	dfu_text_record(out, ":", DFU_TEXT_SUM_NEG, head, sizeof(head), p, n);
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
	struct dfu_text_walk w;
	uint32_t upper = 0, addr;
	const uint8_t *p;
	size_t n;
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
	w = (struct dfu_text_walk){ .t = t };
	while (dfu_text_next_piece(&w, IHEX_LINE_BYTES, 0x10000, &addr, &p, &n)) {
		if ((addr >> 16) != upper) {
			uint8_t b[2] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16) };

			upper = addr >> 16;
			ihex_record(out, IHEX_EXT_LINEAR, 0, b, 2);
		}
		ihex_record(out, IHEX_DATA, (uint16_t)addr, p, (uint8_t)n);
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
