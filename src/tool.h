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
#include <stdio.h>

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
int tool_list(struct dfu_ctx *ctx, int argc, char **argv);     /* tool_list.c */
int tool_info(struct dfu_ctx *ctx, int argc, char **argv);     /* tool_info.c */
int tool_flash(struct dfu_ctx *ctx, int argc, char **argv);    /* tool_flash.c */
int tool_verify(struct dfu_ctx *ctx, int argc, char **argv);   /* tool_flash.c */
int tool_read(struct dfu_ctx *ctx, int argc, char **argv);     /* tool_read.c */
int tool_erase(struct dfu_ctx *ctx, int argc, char **argv);    /* tool_erase.c */
int tool_leave(struct dfu_ctx *ctx, int argc, char **argv);    /* tool_erase.c */
int tool_unprotect(struct dfu_ctx *ctx, int argc, char **argv); /* tool_erase.c */
int tool_option_bytes(struct dfu_ctx *ctx, int argc, char **argv); /* tool_option_bytes.c */
/* Option bytes decoded, as a table or one JSON object without a newline
 * (tool_option_bytes.c; also used by info). */
void tool_print_option_bytes(const struct dfu_option_bytes *ob, bool json);
/* dfu-util's command line (argv[1] starts with '-'). tool_compat.c */
int tool_compat(struct dfu_ctx *ctx, int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* Options of the device commands (tool_options.c)                           */
/* ------------------------------------------------------------------------ */

/* Which commands take an option: a bit per command. */
enum tool_cmd {
	TOOL_CMD_LIST = 1 << 0,
	TOOL_CMD_INFO = 1 << 1,
	TOOL_CMD_FLASH = 1 << 2,
	TOOL_CMD_VERIFY = 1 << 3,
	TOOL_CMD_READ = 1 << 4,
	TOOL_CMD_ERASE = 1 << 5,
	TOOL_CMD_LEAVE = 1 << 6,
	TOOL_CMD_UNPROTECT = 1 << 7,
};

/* Everything a device command can be told, parsed from one table. */
struct options {
	unsigned cmd;                 /* enum tool_cmd of the command */
	const char *cmd_name;
	struct dfu_match match;       /* -d, -S, -p, --devnum */
	const char *alt;              /* -a/--alt: number or name */
	const char *file;             /* the positional FILE or OUT */
	bool has_address;
	uint32_t address;
	bool has_length;
	uint32_t length;
	bool all;                     /* read --all */
	bool mass_erase;              /* flash --mass-erase, erase --mass */
	bool no_verify;
	bool no_leave;
	bool dry_run;
	bool force;
	const char *sectors;          /* erase --sector N[-M] */
	const char *range;            /* erase --range A:LEN */
	bool wait;                    /* --wait[=SECONDS] */
	unsigned wait_seconds;        /* 0 = forever */
	const char *format;           /* --format for FILE */
};

/* Parses argv (argv[0] the command) into o. Returns 0 or TOOL_USAGE after
 * saying what is wrong; --help prints the command's options and returns
 * TOOL_HELP. */
#define TOOL_HELP 2
int tool_parse_options(unsigned cmd, int argc, char **argv, struct options *o);
/* Parses "VID:PID[,VID:PID...]" into o->match. */
bool tool_parse_ids(const char *s, struct dfu_match *m);

/* Opens the device the options select, waiting for it with --wait. */
int tool_open_device(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev **out);
/* Reads a firmware file the way flash/verify take it (.bin needs an address:
 * --address or 0x08000000). */
int tool_read_image(struct dfu_ctx *ctx, const struct options *o, const char *path,
		    struct dfu_image **out);
/* Sends the library's log to stderr by verbosity. */
void tool_setup_log(struct dfu_ctx *ctx);

/* Progress on stderr: bars on a terminal, plain lines otherwise, nothing
 * with -q or --json. A dfu_progress_fn; user is a struct tool_progress. */
struct tool_progress {
	bool tty;
	int last_phase;
	int last_percent;
	double phase_start;
};
void tool_progress_init(struct tool_progress *tp);
int tool_progress_cb(void *user, const struct dfu_progress *p);

/* Lists DFU devices, ours or dfu-util -l's way. tool_list.c */
int tool_list_devices(struct dfu_ctx *ctx, const struct dfu_match *match, bool dfu_util_style);

/* Flashes img with o's settings and progress; prints the result. tool_flash.c */
int tool_run_flash(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev *dev,
		   const struct dfu_image *img, bool leave);

/* Prints s as a JSON string with its quotes. */
void tool_json_string(FILE *out, const char *s);
/* Monotonic seconds. */
double tool_now(void);

#endif /* TOOL_H */
