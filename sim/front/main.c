/*
 * main.c - dfusim's command line.
 *
 *   dfusim run [OPTIONS] -- COMMAND ARGS...
 *   dfusim chips [--json]
 *   dfusim --help
 *
 * Every option of `run` is described once, in run_options[], which makes
 * both the getopt table and --help. Usage errors exit with status 2.
 */
#include "front.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRELOAD_LIB "libumockdev-preload.so.0"

enum {
	OPT_CHIP = 'c',
	OPT_FLASH = 'f',
	OPT_OPTION_BYTES = 'o',
	OPT_TIME_SCALE = 't',
	OPT_QUIRK = 'q',
	OPT_NO_QUIRK = 'Q',
	OPT_FAULT = 'F',
	OPT_SERIAL = 's',
	OPT_DEVICES = 'n',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_STATS = 256,
	OPT_LOG,
	OPT_CLAIMED,
	OPT_NODE_MODE,
	OPT_BOOT,
	OPT_PLUG_IN_AFTER,
};

struct run_option {
	const char *name;
	int val;
	const char *arg;             /* NULL: takes no argument */
	const char *help;
};

static const struct run_option run_options[] = {
	{ "chip", OPT_CHIP, "NAME", "chip profile (default stm32f407; see `dfusim chips`)" },
	{ "flash", OPT_FLASH, "FILE", "state file: raw flash, loaded at start and saved at exit;\n"
	  "option bytes in FILE.optbytes; device N>1 uses FILE.N" },
	{ "option-bytes", OPT_OPTION_BYTES, "NAME=VALUE", "set an option-byte field (RDP=0xBB, nDBANK=0, ...)" },
	{ "time-scale", OPT_TIME_SCALE, "X", "1 = the real chip's timing, 0 = instant (default 0)" },
	{ "quirk", OPT_QUIRK, "Q", "switch a quirk on" },
	{ "no-quirk", OPT_NO_QUIRK, "Q", "switch a quirk off" },
	{ "fault", OPT_FAULT, "F", "inject a fault, e.g. stall@getstatus:3 (grammar: sim/fault.c)" },
	{ "boot", OPT_BOOT, "dfu|flash", "what the chip powers up into: dfu (default) = BOOT0\n"
	  "held, the ROM bootloader; flash = what flash holds\n"
	  "(OpenBLT, the FOME application, or nothing if blank)" },
	{ "plug-in-after", OPT_PLUG_IN_AFTER, "MS", "nothing on the bus until MS milliseconds after\n"
	  "the command started (the board plugged in later)" },
	{ "serial", OPT_SERIAL, "SN", "serial number (device N>1: last two digits = N-1 in hex)" },
	{ "devices", OPT_DEVICES, "N", "simulate N independent chips (1-32), /dev/bus/usb/001/002..." },
	{ "stats", OPT_STATS, "FILE", "write the model's statistics (JSON) at exit" },
	{ "log", OPT_LOG, "FILE", "write every request the device sees, one line each" },
	{ "claimed", OPT_CLAIMED, NULL, "the DFU interface is held by another program:\n"
	  "CLAIMINTERFACE fails with EBUSY, as the kernel answers" },
	{ "node-mode", OPT_NODE_MODE, "MODE", "octal mode of /dev/bus/usb/001/NNN (0664: no udev\n"
	  "rule); opens the testbed to other users" },
	{ "verbose", OPT_VERBOSE, NULL, "report unhandled ioctls on stderr" },
	{ "help", OPT_HELP, NULL, "this help" },
};

#define N_RUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

/* Prints the usage, with every option of run_options[]. */
static void usage(FILE *f)
{
	size_t i;

	fputs("usage: dfusim run [OPTIONS] -- COMMAND ARGS...\n"
	      "       dfusim chips [--json]\n"
	      "       dfusim --help\n\n"
	      "run: COMMAND runs with simulated STM32 ROM DFU bootloaders on a umockdev USB\n"
	      "bus (real libusb sees them as /dev/bus/usb/001/002, ...); dfusim exits with\n"
	      "COMMAND's status.\n\n", f);
	for (i = 0; i < N_RUN_OPTIONS; i++) {
		const struct run_option *o = &run_options[i];
		char left[40];
		const char *h;

		if (o->val < 256)
			g_snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name,
				   o->arg ? " " : "", o->arg ? o->arg : "");
		else
			g_snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				   o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-28s ", left);
		for (h = o->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "  %-28s ", "");
		}
		fputc('\n', f);
	}
	fputs("\nOptions that take a list (--option-bytes, --quirk, --no-quirk, --fault) may be\n"
	      "repeated. Bad options exit with status 2. Docs: docs/dfusim-run.md\n", f);
}

/* A usage error: the message, a hint, status 2. */
static int bad_usage(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("dfusim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'dfusim --help'.\n", stderr);
	va_end(ap);
	return 2;
}

/* Parses a whole unsigned number (base from its prefix). */
static bool parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Parses a file mode: octal digits only, at most 0777. */
static bool parse_mode(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "01234567") != strlen(s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return false;
	*out = v;
	return true;
}

/*
 * Whether a serial number can go into sysfs and udev properties as it is
 * (umockdev's text format gives backslashes and line ends a meaning).
 */
static bool serial_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '\\')
			return false;
	return true;
}

/*
 * Fills opts from `dfusim run` arguments (argv[0] is "run"). Returns -1 to
 * go on, or the exit status (0 after --help, 2 for a usage error).
 */
static int parse_run(int argc, char **argv, struct front_opts *opts)
{
	struct option longopts[N_RUN_OPTIONS + 1];
	char shortopts[3 * N_RUN_OPTIONS + 3];
	size_t i, n = 0;
	unsigned long v;
	char *end;
	int c;

	memset(longopts, 0, sizeof(longopts));
	shortopts[n++] = '+';        /* stop at COMMAND: its options are its own */
	shortopts[n++] = ':';        /* a missing argument is ':', not '?' */
	for (i = 0; i < N_RUN_OPTIONS; i++) {
		longopts[i].name = run_options[i].name;
		longopts[i].has_arg = run_options[i].arg ? required_argument : no_argument;
		longopts[i].val = run_options[i].val;
		if (run_options[i].val < 256) {
			shortopts[n++] = (char)run_options[i].val;
			if (run_options[i].arg)
				shortopts[n++] = ':';
		}
	}
	shortopts[n] = '\0';

	opts->chip = "stm32f407";
	opts->devices = 1;
	opts->node_mode = -1;
	opts->option_bytes = g_new0(const char *, (size_t)argc);
	opts->quirks = g_new0(struct front_quirk, (size_t)argc);
	opts->faults = g_new0(const char *, (size_t)argc);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CHIP:
			opts->chip = optarg;
			break;
		case OPT_FLASH:
			opts->flash_path = optarg;
			break;
		case OPT_OPTION_BYTES: {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || !parse_ulong(eq + 1, &v) || v > UINT32_MAX)
				return bad_usage("--option-bytes wants NAME=VALUE, not '%s'", optarg);
			opts->option_bytes[opts->n_option_bytes++] = optarg;
			break;
		}
		case OPT_TIME_SCALE:
			errno = 0;
			opts->time_scale = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(opts->time_scale) ||
			    opts->time_scale < 0)
				return bad_usage("--time-scale wants a number >= 0, not '%s'", optarg);
			break;
		case OPT_QUIRK:
		case OPT_NO_QUIRK:
			opts->quirks[opts->n_quirks].name = optarg;
			opts->quirks[opts->n_quirks++].on = c == OPT_QUIRK;
			break;
		case OPT_FAULT:
			opts->faults[opts->n_faults++] = optarg;
			break;
		case OPT_SERIAL:
			if (!serial_ok(optarg))
				return bad_usage("--serial wants 1 to 63 printable ASCII characters "
						 "without spaces or backslashes, not '%s'", optarg);
			opts->serial = optarg;
			break;
		case OPT_DEVICES:
			if (!parse_ulong(optarg, &v) || v < 1 || v > FRONT_MAX_DEVICES)
				return bad_usage("--devices wants 1 to 32, not '%s'", optarg);
			opts->devices = (unsigned)v;
			break;
		case OPT_STATS:
			opts->stats_path = optarg;
			break;
		case OPT_LOG:
			opts->log_path = optarg;
			break;
		case OPT_CLAIMED:
			opts->claimed = true;
			break;
		case OPT_NODE_MODE:
			if (!parse_mode(optarg, &v))
				return bad_usage("--node-mode wants an octal mode up to 0777, "
						 "not '%s'", optarg);
			opts->node_mode = (int)v;
			break;
		case OPT_BOOT:
			if (!strcmp(optarg, "dfu"))
				opts->boot_flash = false;
			else if (!strcmp(optarg, "flash"))
				opts->boot_flash = true;
			else
				return bad_usage("--boot wants dfu or flash, not '%s'", optarg);
			break;
		case OPT_PLUG_IN_AFTER:
			if (!parse_ulong(optarg, &v) || v > 3600000)
				return bad_usage("--plug-in-after wants milliseconds (0-3600000), "
						 "not '%s'", optarg);
			opts->plug_in_after_ms = (unsigned)v;
			break;
		case OPT_VERBOSE:
			opts->verbose = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case ':':
			return bad_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("run: no COMMAND given (dfusim run [OPTIONS] -- COMMAND)");
	opts->command = argv + optind;
	return -1;
}

/* Frees the lists parse_run() allocated (the strings are argv's). */
static void opts_free(struct front_opts *opts)
{
	g_free(opts->option_bytes);
	g_free(opts->quirks);
	g_free(opts->faults);
}

/* `dfusim chips [--json]`: the profiles, by name or with all numbers. */
static int cmd_chips(int argc, char **argv)
{
	size_t i;
	char *json;

	if (argc == 2 && !strcmp(argv[1], "--json")) {
		json = dfusim_chips_json();
		if (!json) {
			fputs("dfusim: out of memory\n", stderr);
			return 1;
		}
		puts(json);
		free(json);
		return 0;
	}
	if (argc != 1)
		return bad_usage("chips: unknown argument '%s'", argv[1]);
	for (i = 0; i < dfusim_chip_count(); i++)
		puts(dfusim_chip_name(i));
	return 0;
}

/*
 * libdfusim-ttyshim.so (the modem-control ioctls on the simulated ttyACM
 * ptys): beside dfusim in a build tree, else where it is installed
 * relative to dfusim's bin directory (an install under any prefix), else
 * at the configured prefix; NULL if none has it (the ports then answer
 * those ioctls ENOTTY, as ptys do). Free with g_free().
 */
static char *find_ttyshim(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	char *dir = exe ? g_path_get_dirname(exe) : NULL;
	char *cand[2] = { NULL, NULL };
	char *found = NULL;
	size_t i;

	if (dir) {
		cand[0] = g_build_filename(dir, "libdfusim-ttyshim.so", NULL);
#ifdef DFUSIM_TTYSHIM_RELATIVE
		cand[1] = g_build_filename(dir, DFUSIM_TTYSHIM_RELATIVE, NULL);
#endif
	}
	for (i = 0; i < 2; i++) {
		if (!found && cand[i] && access(cand[i], R_OK) == 0)
			found = g_steal_pointer(&cand[i]);
		g_free(cand[i]);
	}
	g_free(exe);
	g_free(dir);
	if (found)
		return found;
#ifdef DFUSIM_TTYSHIM_INSTALLED
	if (access(DFUSIM_TTYSHIM_INSTALLED, R_OK) == 0)
		return g_strdup(DFUSIM_TTYSHIM_INSTALLED);
#endif
	return NULL;
}

/*
 * The uevents that tell libusb about devices must be made inside a process
 * running under the umockdev preload (TESTING.md), so `run` re-executes
 * itself with the library preloaded, the tty shim ahead of it (its ioctl
 * then sees the command's requests first). Returns only if that failed.
 */
static int reexec_preloaded(char **argv)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload, *shim, *first;

	if (old && strstr(old, "libumockdev-preload"))
		return 0;
	shim = find_ttyshim();
	first = shim ? g_strconcat(shim, ":", PRELOAD_LIB, NULL) : g_strdup(PRELOAD_LIB);
	g_free(shim);
	preload = old && *old ? g_strconcat(first, ":", old, NULL) : g_strdup(first);
	g_free(first);
	setenv("LD_PRELOAD", preload, 1);
	g_free(preload);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "dfusim: cannot re-execute under %s: %s\n", PRELOAD_LIB,
		strerror(errno));
	return 1;
}

/* Dispatches to `run`, `chips` or the help; returns the exit status. */
int main(int argc, char **argv)
{
	struct front_opts opts;
	int ret;

	if (argc < 2)
		return bad_usage("no command (run, chips)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "chips"))
		return cmd_chips(argc - 1, argv + 1);
	if (strcmp(argv[1], "run"))
		return bad_usage("unknown command '%s' (run, chips)", argv[1]);

	memset(&opts, 0, sizeof(opts));
	ret = parse_run(argc - 1, argv + 1, &opts);
	if (ret < 0) {
		ret = reexec_preloaded(argv);
		if (!ret)
			ret = front_run(&opts);
	}
	opts_free(&opts);
	return ret;
}
