/*
 * tool.h - what the dfuflash command's files share.
 *
 * Every command is `int tool_NAME(struct dfu_ctx *ctx, int argc, char **argv)`
 * with argv[0] the command's name. It returns DFU_OK, a negative enum dfu_err
 * (the message is printed by main from dfu_detail(), or from tool_fail()
 * when the tool found the failure itself), TOOL_USAGE after printing what
 * was wrong with the command line, or TOOL_REFUSED from tool_fail(). Only
 * main.c turns these into exit codes and prints the --json result.
 */
#ifndef TOOL_H
#define TOOL_H

#include "dfuflash.h"

#include <stdbool.h>
#include <stdio.h>

#define TOOL_USAGE 1    /* a command-line mistake, already explained on stderr */
#define TOOL_REFUSED 3  /* the job is refused before anything was touched;
			   the message is tool_fail()'s */

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
				      image too big, output file exists);
				      nothing was changed */
	TOOL_EXIT_NOT_STARTED = 9, /* update: written and verified, but the
				      firmware did not come back running */
	/* 128 + signal number: stopped by SIGINT (130), SIGTERM (143) or
	   SIGHUP (129) between two requests. */
	TOOL_EXIT_SIGNAL = 128,
};

/* Program-wide settings from global flags (-v, -q, --json). Set while the
 * command line is parsed, read-only afterwards (--all's workers read it). */
struct tool_globals {
	int verbosity;  /* 0 normal, -1 quiet, 1.. verbose */
	bool json;      /* results as JSON on stdout */
};
extern struct tool_globals tool_globals;

/* Prints "dfuflash: <message>" to stderr, as every command reports, and
 * keeps the message for the --json result (tool_last_error()). The kept
 * messages of tool_error() and tool_fail() are per thread. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message tool_error() printed ("" when none); never NULL. */
const char *tool_last_error(void);

/* A failure the tool found itself (a refusal, an interruption outside the
 * library): keeps the message for main to print (with its hint and in the
 * --json result) and returns code (TOOL_REFUSED or a negative enum
 * dfu_err), so that `return tool_fail(TOOL_REFUSED, "...");` is the idiom.
 * Prints nothing. */
int tool_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of the last tool_fail() whose code was code, or NULL. */
const char *tool_failure(int code);

/* Where a failure happened, as far as the tool knows: the phase the
 * library was in (from its progress reports) and the address it had
 * reached. main.c adds them to the --json result. Per thread. */
struct tool_where {
	bool has_phase;
	enum dfu_phase phase;
	bool has_address;
	uint32_t address;
};
extern _Thread_local struct tool_where tool_where;

/* Nonzero (the signal number) once SIGINT, SIGTERM or SIGHUP arrived: the
 * job stops between two requests. main.c installs the handlers. */
int tool_interrupted(void);

/* The hint the tool adds to a library error for command cmd_name (a flag
 * of ours that helps), or NULL when none or message already says it.
 * tool_hints.c */
const char *tool_hint(int err, const char *cmd_name, const char *message);

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
int tool_recover(struct dfu_ctx *ctx, int argc, char **argv);  /* tool_recover.c */
/* Runs an erase job (tool_erase.c; also dfu-util's :mass-erase) and prints
 * what it erased in real sectors and bytes. */
int tool_run_erase(struct dfu_ctx *ctx, struct dfu_dev *dev, const struct dfu_erase_spec *spec);
/* `unprotect`: reads the RDP level first (tool_unprotect.c). */
int tool_unprotect_cmd(struct dfu_ctx *ctx, int argc, char **argv); /* tool_unprotect.c */
/* Removes read protection from dev (alt selected, dfuIDLE) only when it is
 * on: at RDP level 0 it says so and changes nothing (*wiped false). At
 * level 1 it sends read unprotect, which wipes the flash (*wiped true).
 * tool_unprotect.c */
int tool_unprotect_device(struct dfu_ctx *ctx, struct dfu_dev *dev, bool *wiped);
int tool_option_bytes(struct dfu_ctx *ctx, int argc, char **argv); /* tool_option_bytes.c */
/* Option bytes decoded, as a table or one JSON object without a newline
 * (tool_option_bytes.c; also used by info). */
void tool_print_option_bytes(const struct dfu_option_bytes *ob, bool json);
/* The FOME journeys (tool_update.c). */
int tool_update(struct dfu_ctx *ctx, int argc, char **argv);
int tool_tune(struct dfu_ctx *ctx, int argc, char **argv);
int tool_reboot(struct dfu_ctx *ctx, int argc, char **argv);
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
	TOOL_CMD_RECOVER = 1 << 8,
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
	bool all;                     /* --all: every DFU-mode device at once */
	bool whole;                   /* read --whole: the whole memory */
	bool mass_erase;              /* flash --mass-erase, erase --mass */
	bool no_verify;
	bool no_smart;                /* flash --no-smart */
	bool no_leave;
	bool dry_run;                 /* flash, erase: the plan as a map only */
	bool map;                     /* info --map */
	bool force;
	bool finish;                  /* recover --finish */
	const char *discard;          /* recover --discard JOURNAL */
	bool dfu_util;                /* parsed from dfu-util's command line
					 (messages name -s, not --address) */
#define TOOL_MAX_LIST 16
	const char *sectors[TOOL_MAX_LIST]; /* erase --sector N[-M], repeatable */
	size_t nsectors;
	const char *ranges[TOOL_MAX_LIST];  /* erase --range A:LEN, repeatable */
	size_t nranges;
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
 * --address or 0x08000000). A file that holds its own addresses (HEX,
 * S-record, ELF, DfuSe) together with an explicit address is refused
 * (TOOL_REFUSED): the address would be ignored. */
int tool_read_image(struct dfu_ctx *ctx, const struct options *o, const char *path,
		    struct dfu_image **out);
/* Output files (read OUT, -U FILE) are never overwritten without --force.
 * tool_check_output() refuses an existing regular file before the device
 * is touched (TOOL_REFUSED, what names the option: "read", "-U");
 * tool_write_output() writes img in format fmt, creating the file
 * exclusively unless force. */
int tool_check_output(const char *path, bool force, const char *what);
int tool_write_output(struct dfu_ctx *ctx, const struct dfu_image *img, const char *path,
		      const struct dfu_write_opts *wo, bool force, const char *what);
/* Sends the library's log to stderr by verbosity. */
void tool_setup_log(struct dfu_ctx *ctx);
/* The most detailed library log level -q/-v ask for. */
enum dfu_log_level tool_log_level(void);

/* Progress on stderr (also with --json, whose result is on stdout): bars
 * on a terminal, plain lines at least every 2 s otherwise, nothing with
 * -q. A report with busy_max_ms (a mass erase) starts a ticker thread that
 * says "still erasing after N s" until the next report. A dfu_progress_fn;
 * user is a struct tool_progress. It returns nonzero once a signal arrived
 * (tool_interrupted()), which stops the library between two requests with
 * DFU_ERR_CANCELLED; every long library call gets it. */
struct tool_ticker;
struct tool_progress {
	bool silent;    /* only watch for an interruption (info's reads) */
	bool tty;
	int last_phase;
	int last_percent;
	double phase_start;
	double last_line;             /* when the last plain line was printed */
	struct tool_ticker *ticker;   /* running during one long request */
};
void tool_progress_init(struct tool_progress *tp);
int tool_progress_cb(void *user, const struct dfu_progress *p);
/* Starts a ticker by hand for a wait the library reports nothing about:
 * "WHAT: DOING after N s (at most M s)" every 2 s (a line on a pipe, the
 * same text redrawn on a terminal) until tool_progress_end(). */
void tool_progress_wait(struct tool_progress *tp, const char *what, const char *doing,
			uint32_t max_ms);
/* Stops tp's ticker, if one runs (the library failed before its next
 * report). Call it after every library call that got tp. */
void tool_progress_end(struct tool_progress *tp);
/* Stops whatever ticker still runs (main, once the command returned). */
void tool_progress_stop_all(void);

/* Lists DFU devices, ours or dfu-util -l's way. tool_list.c */
int tool_list_devices(struct dfu_ctx *ctx, const struct dfu_match *match, bool dfu_util_style);

/* Flashes img with o's settings and progress; prints the result. tool_flash.c */
int tool_run_flash(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev *dev,
		   const struct dfu_image *img, bool leave);

/* read: the span OUT gets, from --address/--length or --whole (the whole
 * layout of alt). false with why written when it cannot be told.
 * tool_read.c */
bool tool_read_span(const struct options *o, const struct dfu_alt_info *alt,
		    uint32_t *address, uint32_t *length, char *why, size_t cap);
/* read: reads [address, address + length) of dev's selected alt and writes
 * it into path in wo->format (the device's ids go into a DFU suffix). */
int tool_read_into(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev *dev,
		   uint32_t address, uint32_t length, const char *path,
		   const struct dfu_write_opts *wo, dfu_progress_fn progress, void *user);
/* "2, 3, 12-13": the sectors a plan erases, into buf. tool_erase.c */
void tool_erased_list(const struct dfu_plan *plan, char *buf, size_t cap);

/* The exit code of a command's result (main.c; also --all's per device). */
int tool_exit_code(int result);

/*
 * --all: one job on every DFU-mode device on the bus at once, a worker
 * thread each with its own context and handle (tool_all.c). Returns DFU_OK
 * when every device succeeded, else the result of the worst failure (its
 * message kept with tool_fail()); the --json output is one object whose
 * "devices" array holds one object per device.
 */
enum tool_all_kind {
	TOOL_ALL_FLASH,
	TOOL_ALL_VERIFY,
	TOOL_ALL_READ,
	TOOL_ALL_ERASE,
	TOOL_ALL_OPTION_BYTES,
	/* `update` (not a command yet) gets a kind and a worker here. */
};
struct tool_all_job {
	enum tool_all_kind kind;
	const struct options *o;
	const struct dfu_image *img;         /* flash, verify; read-only */
	const struct dfu_erase_spec *erase;  /* erase; read-only */
	const struct dfu_write_opts *wo;     /* read: OUT's format */
	const char *const *ob_sets;          /* option-bytes --set NAME=VALUE */
	size_t ob_set_count;
};
int tool_all_run(struct dfu_ctx *ctx, const struct tool_all_job *job);

/* ------------------------------------------------------------------------ */
/* Flash maps (tool_map.c)                                                  */
/* ------------------------------------------------------------------------ */


/* What a flash map shows: a plan (flash or erase --dry-run) or the chip as
 * it is (info --map). */
enum tool_map_kind {
	TOOL_MAP_FLASH,
	TOOL_MAP_ERASE,
	TOOL_MAP_CHIP,
};
/* Draws the map of dev's selected alt (its true sector map): for a plan
 * what happens to each sector, for the chip which sectors are blank; with
 * write protection from the option bytes and FOME's tune regions. Text on
 * stdout (coloured on a terminal unless NO_COLOR is set), or with json the
 * fields ,"map":{...} to continue the command's object (no braces around,
 * no newline). plan is NULL for TOOL_MAP_CHIP. */
int tool_print_map(struct dfu_dev *dev, enum tool_map_kind kind, const struct dfu_plan *plan,
		   const char *title, bool json);

/* Prints s as a JSON string with its quotes. */
void tool_json_string(FILE *out, const char *s);
/* Monotonic seconds. */
double tool_now(void);

#endif /* TOOL_H */
