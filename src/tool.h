/*
 * tool.h - what the dfuflash command's files share.
 *
 * Every command is `int tool_NAME(struct dfu_ctx *ctx, int argc, char **argv)`
 * with argv[0] the command's name. It returns DFU_OK, a negative enum dfu_err
 * (the message is printed by main from dfu_detail()), or TOOL_USAGE after
 * printing what was wrong with the command line. Only main.c turns these
 * into exit codes.
 */
#ifndef TOOL_H
#define TOOL_H

#include "dfuflash.h"

#include <stdbool.h>

#define TOOL_USAGE 1  /* a command-line mistake, already explained on stderr */

/* Exit codes, documented in README.md and docs/dfuflash.1.md. */
enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_FAILURE = 1,     /* anything not listed below */
	TOOL_EXIT_USAGE = 2,       /* bad command line */
	TOOL_EXIT_NO_DEVICE = 3,   /* no (single) matching device, or no access */
	TOOL_EXIT_FILE = 4,        /* the firmware file is unreadable or malformed */
	TOOL_EXIT_DEVICE = 5,      /* the device failed or reported an error */
	TOOL_EXIT_VERIFY = 6,      /* flash differs from the image */
	TOOL_EXIT_PROTECTED = 7,   /* read protection is on */
	TOOL_EXIT_REFUSED = 8,     /* the job is not possible as asked (address
				      outside flash, file for another device,
				      image too big); nothing was changed */
};

/* Program-wide settings from global flags (-v, -q, --json). */
struct tool_globals {
	int verbosity;  /* 0 normal, -1 quiet, 1.. verbose */
	bool json;      /* results as JSON on stdout */
};
extern struct tool_globals tool_globals;

/* Prints "dfuflash: <message>" to stderr, as every command reports. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a number in C notation (0x.., decimal), with an optional K/M
 * suffix (x1024). Returns false when s is not entirely such a number. */
bool tool_parse_u32(const char *s, uint32_t *out);

/* Commands. */
int tool_image(struct dfu_ctx *ctx, int argc, char **argv);    /* tool_image.c */
int tool_convert(struct dfu_ctx *ctx, int argc, char **argv);  /* tool_convert.c */

#endif /* TOOL_H */
