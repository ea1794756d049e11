/*
 * fmt_text.c - what the line-based formats (Intel HEX, S-record) share:
 * splitting lines and hex digits, with positions for the messages; record
 * checksums; making a record line; and cutting a target into records.
 */
#include "image.h"

#include <stdio.h>
#include <string.h>

static const char hexdigits[16] = "0123456789ABCDEF";

/* 1 + the value of each hex digit, 0 for anything else (a table: this is
 * the inner loop of reading a HEX or S-record file). */
static const uint8_t hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13,
	['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12, ['c'] = 13,
	['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* 0..15 for a hex digit, 0xFF for anything else. */
static uint8_t hexval(uint8_t c)
{
	return (uint8_t)(hexval1[c] - 1);
}

/* See image.h: the next line without its end of line and surrounding blanks. */
bool dfu_text_line(const uint8_t *data, size_t len, size_t *pos,
		   const uint8_t **line, size_t *n)
{
	const uint8_t *start, *nl;
	size_t end;

	if (*pos >= len)
		return false;
	start = data + *pos;
	nl = memchr(start, '\n', len - *pos);
	end = nl ? (size_t)(nl - data) : len;
	*pos = nl ? end + 1 : len;
	while (end > (size_t)(start - data) &&
	       (data[end - 1] == '\r' || data[end - 1] == ' ' || data[end - 1] == '\t'))
		end--;
	while (end > (size_t)(start - data) && (start[0] == ' ' || start[0] == '\t'))
		start++;
	*line = start;
	*n = end - (size_t)(start - data);
	return true;
}

/* A character for a message: quoted if printable, \xHH if not. */
const char *dfu_text_char(uint8_t c, char buf[8])
{
	if (c >= 0x20 && c < 0x7F && c != '\'')
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02X", c);
	return buf;
}

/* Hex digits to bytes, naming the column of the first bad character; a
 * line longer than out can hold is refused before any is decoded. */
int dfu_text_unhex(struct dfu_ctx *ctx, const char *name, unsigned line,
		   size_t col0, const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
	size_t i;

	if (n > 2 * cap)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: %zu characters is "
				"longer than any record", name, line, col0 - 1 + n);
	for (i = 0; i < n; i += 2) {
		uint8_t hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : 0;

		if ((hi | lo) > 0xF) {
			size_t bad = hi > 0xF ? i : i + 1;
			char cb[8];

			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u, column %zu: %s is not "
					"a hex digit", name, line, col0 + bad,
					dfu_text_char(s[bad], cb));
		}
		if (i + 1 < n)
			out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return DFU_OK;
}

/* Two upper-case hex digits, as srec_cat and objcopy write them. */
char *dfu_text_hex8(char *p, uint8_t v)
{
	p[0] = hexdigits[v >> 4];
	p[1] = hexdigits[v & 0xF];
	return p + 2;
}

/* The byte sum of p[0..n) added to sum. */
static uint8_t text_sum(uint8_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* A record's checksum from the sum of its bytes: the two's complement for
 * Intel HEX, the one's complement for S-records. */
static uint8_t text_checksum(enum dfu_text_sum kind, uint8_t sum)
{
	return kind == DFU_TEXT_SUM_NEG ? (uint8_t)-sum : (uint8_t)~sum;
}

/* See image.h: the last of a record's n bytes is the checksum of the rest. */
int dfu_text_check_sum(struct dfu_ctx *ctx, const char *name, unsigned line,
		       enum dfu_text_sum kind, const uint8_t *rec, size_t n)
{
	uint8_t want = text_checksum(kind, text_sum(0, rec, n - 1));

	if (want != rec[n - 1])
		return dfu_fail(ctx, DFU_ERR_CHECKSUM, "%s: line %u: record checksum is "
				"0x%02X, expected 0x%02X", name, line, rec[n - 1], want);
	return DFU_OK;
}

/* See image.h: one record line, built whole and appended in one put. */
void dfu_text_record(struct dfu_buf *out, const char *lead, enum dfu_text_sum kind,
		     const uint8_t *head, size_t nhead, const uint8_t *data, size_t ndata)
{
	char line[2 + 2 * DFU_TEXT_MAX_RECORD + 1], *c = line;
	uint8_t sum = text_sum(text_sum(0, head, nhead), data, ndata);
	size_t i;

	for (; *lead; lead++)
		*c++ = *lead;
	for (i = 0; i < nhead; i++)
		c = dfu_text_hex8(c, head[i]);
	for (i = 0; i < ndata; i++)
		c = dfu_text_hex8(c, data[i]);
	c = dfu_text_hex8(c, text_checksum(kind, sum));
	*c++ = '\n';
	dfu_buf_put(out, line, (size_t)(c - line));
}

/* See image.h: the next piece of a target's data for one record. */
bool dfu_text_next_piece(struct dfu_text_walk *w, size_t max, uint64_t split,
			 uint32_t *addr, const uint8_t **p, size_t *n)
{
	const struct dfu_seg *s;
	uint64_t at, len;

	while (w->t && w->seg < w->t->nsegs && w->off >= w->t->segs[w->seg].size) {
		w->seg++;
		w->off = 0;
	}
	if (!w->t || w->seg >= w->t->nsegs)
		return false;
	s = &w->t->segs[w->seg];
	at = s->addr + w->off;
	len = s->size - w->off;
	if (len > max)
		len = max;
	if (split && len > split - at % split)
		len = split - at % split;
	*addr = (uint32_t)at;
	*p = s->data + w->off;
	*n = (size_t)len;
	w->off += len;
	return true;
}
