/*
 * tool_util.c - small helpers every command uses: messages and numbers.
 */
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct tool_globals tool_globals;
/* Per thread: with --all every device's worker has its own (tool_all.c). */
_Thread_local struct tool_where tool_where;

/* The last tool_error() message, and the last tool_fail() with its code,
 * of this thread. */
static _Thread_local char last_error[512];
static _Thread_local char failure[512];
static _Thread_local int failure_code;

/* Prints "dfuflash: <message>" on stderr and keeps it for --json. */
void tool_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dfuflash: %s\n", last_error);
}

/* The last message tool_error() printed. */
const char *tool_last_error(void)
{
	return last_error;
}

/* Keeps a failure the tool found for main to report; returns code. */
int tool_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
	failure_code = code;
	return code;
}

/* The kept failure message when it belongs to code. */
const char *tool_failure(int code)
{
	return failure_code == code && failure[0] ? failure : NULL;
}

/* "dfuflash: warning: <message>" on stderr, unless -q. */
void tool_warn(const char *fmt, ...)
{
	va_list ap;

	if (tool_globals.verbosity < 0)
		return;
	fputs("dfuflash: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A number in C notation with an optional K or M suffix. */
bool tool_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (*end == 'K' || *end == 'k') {
		v *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v *= 1024 * 1024;
		end++;
	}
	if (*end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}
