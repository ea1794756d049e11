/*
 * fmt_srec.c - Motorola S-records: "S" type count address data checksum.
 * S0 header, S1/S2/S3 data with 16/24/32-bit addresses, S5/S6 record count,
 * S7/S8/S9 termination with the entry point. S4 is reserved.
 */
#include "image.h"

#include <string.h>

#define SREC_MAX_BYTES (1 + 255)  /* count, then up to 255 more bytes */
#define SREC_LINE_BYTES 16        /* data bytes per S3 line, as objcopy */

/* Address bytes per record type; 0 for the reserved S4. */
static const uint8_t srec_addr_len[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };

/*
 * Reads an S-record file line by line. The termination record is optional
 * (srec_cat writes none when there is no entry point), but nothing may follow
 * it, and a count record must match the data records before it. An entry
 * point of 0 means none.
 */
int dfu_fmt_srec_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		      size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	uint8_t rec[SREC_MAX_BYTES];
	uint64_t ndata = 0;
	unsigned lineno = 0;
	bool ended = false, any = false;
	const uint8_t *line;
	size_t pos = 0, n, t;
	int ret;

	(void)opts;
	ret = dfu_image_add_target(img, 0, NULL, &t);
	if (ret)
		return dfu_fail(ctx, ret, "out of memory");
	while (dfu_text_line(data, len, &pos, &line, &n)) {
		size_t nbytes, i, alen;
		uint8_t count, type;
		uint32_t addr = 0;
		char cb[8];

		lineno++;
		if (n == 0)
			continue;
		if (ended)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: data after the "
					"termination record", name, lineno);
		any = true;
		if (line[0] != 'S')
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: %s where a record "
					"should start with 'S'", name, lineno,
					dfu_text_char(line[0], cb));
		if (n < 2 || line[1] < '0' || line[1] > '9' || line[1] == '4')
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u, column 2: %s is not a "
					"record type (S0-S3, S5-S9)", name, lineno,
					n < 2 ? "end of line" : dfu_text_char(line[1], cb));
		type = (uint8_t)(line[1] - '0');
		alen = srec_addr_len[type];
		ret = dfu_text_unhex(ctx, name, lineno, 3, line + 2, n - 2, rec, sizeof(rec));
		if (ret)
			return ret;
		if ((n - 2) % 2 || (n - 2) / 2 < alen + 2)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: an S%u record needs an "
					"even number of at least %zu hex digits, this has %zu",
					name, lineno, type, 2 * (alen + 2), n - 2);
		nbytes = (n - 2) / 2;
		count = rec[0];
		if (nbytes != (size_t)count + 1)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: the record's count says "
					"%u bytes follow but %zu do", name, lineno, count,
					nbytes - 1);
		ret = dfu_text_check_sum(ctx, name, lineno, DFU_TEXT_SUM_NOT, rec, nbytes);
		if (ret)
			return ret;
		for (i = 0; i < alen; i++)
			addr = addr << 8 | rec[1 + i];
		switch (type) {
		case 1:
		case 2:
		case 3: {
			size_t dlen = count - alen - 1;

			ret = dfu_image_add(ctx, img, t, addr, rec + 1 + alen, dlen, NULL);
			if (ret)
				return dfu_fail_prefix(ctx, ret, "%s: line %u", name, lineno);
			ndata++;
			break;
		}
		case 5:
		case 6:
			if (count != alen + 1)
				return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: an S%u count record "
						"carries no data, this one has %zu bytes", name,
						lineno, type, (size_t)count - alen - 1);
			if (addr != ndata)
				return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: the S%u record counts "
						"%u data records but %llu came before it (lines "
						"lost?)", name, lineno, type, addr,
						(unsigned long long)ndata);
			break;
		case 7:
		case 8:
		case 9:
			/* objcopy ends every file with one, 0 when there is no
			 * entry point: 0 means none, as for ELF's e_entry. */
			if (addr)
				dfu_image_set_entry(img, addr);
			ended = true;
			break;
		default:
			/* S0: a header (often the file's name); nothing to keep. */
			break;
		}
	}
	if (!any)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: the file holds no records", name);
	return DFU_OK;
}

/* Appends one record: type, count, address of alen bytes (big-endian),
 * data, checksum. */
static void srec_record(struct dfu_buf *out, unsigned type, size_t alen, uint32_t addr,
			const uint8_t *p, size_t n)
{
	const char lead[3] = { 'S', (char)('0' + type), 0 };
	uint8_t head[1 + 4];
	size_t i;

	head[0] = (uint8_t)(alen + n + 1);
	for (i = 0; i < alen; i++)
		head[1 + i] = (uint8_t)(addr >> (8 * (alen - 1 - i)));
	dfu_text_record(out, lead, DFU_TEXT_SUM_NOT, head, 1 + alen, p, n);
}

/*
 * Writes an S0 header, S3 records of 16 bytes, an S5/S6 record count (as
 * srec_cat does, so that lost lines are noticed) and an S7 terminator with
 * the entry point, 0 when there is none (as objcopy does).
 */
int dfu_fmt_srec_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	static const uint8_t header[] = "dfuflash";
	const struct dfu_target *t;
	struct dfu_text_walk w;
	uint64_t nrec = 0;
	const uint8_t *p;
	uint32_t addr;
	size_t n;
	int ret;

	(void)opts;
	ret = dfu_image_single_target(ctx, img, "an S-record file", &t);
	if (ret)
		return ret;
	/* 46 characters per 16-byte S3 line, a short line per segment, the
	 * header and the last record. */
	if (t && dfu_target_bytes(t) < SIZE_MAX / 4)
		dfu_buf_reserve(out, (size_t)(dfu_target_bytes(t) / 16 * 46 +
					      t->nsegs * 48 + 64));
	srec_record(out, 0, 2, 0, header, sizeof(header) - 1);
	w = (struct dfu_text_walk){ .t = t };
	while (dfu_text_next_piece(&w, SREC_LINE_BYTES, 0, &addr, &p, &n)) {
		srec_record(out, 3, 4, addr, p, n);
		nrec++;
	}
	if (nrec <= 0xFFFF)
		srec_record(out, 5, 2, (uint32_t)nrec, NULL, 0);
	else if (nrec <= 0xFFFFFF)
		srec_record(out, 6, 3, (uint32_t)nrec, NULL, 0);
	srec_record(out, 7, 4, img->info.has_entry ? img->info.entry : 0, NULL, 0);
	return DFU_OK;
}
