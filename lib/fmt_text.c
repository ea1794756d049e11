/*
 * fmt_text.c - what the line-based formats (Intel HEX, S-record) share:
 * splitting lines and hex digits, with positions for the messages.
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

/* See image.h: the next line without its end of line. */
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

/* Hex digits to bytes, naming the column of the first bad character. */
int dfu_text_unhex(struct dfu_ctx *ctx, const char *name, unsigned line,
		   size_t col0, const uint8_t *s, size_t n, uint8_t *out)
{
	size_t i;

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
