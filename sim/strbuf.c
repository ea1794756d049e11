/*
 * strbuf.c - a growable string for the JSON the simulator hands out.
 */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Appends formatted text. After an allocation failure every later call does
 * nothing, so a caller checks once, at sb_take(). */
void sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->failed)
		return;
	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->failed = true;
			return;
		}
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		size_t want = sb->cap ? sb->cap * 2 : 1024;

		while (want - sb->len <= (size_t)n)
			want *= 2;
		char *grown = realloc(sb->buf, want);

		if (!grown) {
			sb->failed = true;
			return;
		}
		sb->buf = grown;
		sb->cap = want;
	}
}

/* Gives the string to the caller, who frees it; NULL if anything failed or
 * nothing was written. The buffer is reset either way. */
char *sb_take(struct sb *sb)
{
	char *out = sb->failed ? NULL : sb->buf;

	if (!out)
		free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->failed = false;
	return out;
}
