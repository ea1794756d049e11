/*
 * tool_options.c - the device commands' options, in one table that both
 * parses them and prints --help.
 */
#include "tool.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind {
	OPT_FLAG,      /* sets a bool */
	OPT_U32,       /* a number, and a bool saying it was given */
	OPT_STR,       /* a string */
	OPT_LIST,      /* a string that may be given several times: an array
			  of TOOL_MAX_LIST at off, its count at has_off */
	OPT_IDS,       /* -d VID:PID[,VID:PID] */
	OPT_SERIAL,
	OPT_PATH,
	OPT_DEVNUM,
	OPT_WAIT,      /* --wait[=SECONDS] */
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_JSON,
};

#define ALL_CMDS 0x1FFu
#define DEV_CMDS (ALL_CMDS & ~(unsigned)TOOL_CMD_LIST)

struct opt_def {
	const char *name;
	char short_name;
	enum opt_kind kind;
	unsigned cmds;           /* enum tool_cmd bits */
	size_t off;              /* where in struct options */
	size_t has_off;          /* OPT_U32: the "given" bool; OPT_LIST: count */
	const char *arg;         /* name of the argument for --help */
	const char *help;
};

#define OFF(f) offsetof(struct options, f)

static const struct opt_def defs[] = {
	{ "device", 'd', OPT_IDS, ALL_CMDS, 0, 0, "VID:PID[,VID:PID]",
	  "only devices with these USB ids" },
	{ "serial", 'S', OPT_SERIAL, ALL_CMDS, 0, 0, "SERIAL", "only the device with this serial" },
	{ "path", 'p', OPT_PATH, ALL_CMDS, 0, 0, "BUS-PORT", "only the device at this USB path" },
	{ "devnum", 0, OPT_DEVNUM, ALL_CMDS, 0, 0, "N", "only the device with this address" },
	{ "alt", 'a', OPT_STR, DEV_CMDS, OFF(alt), 0, "ALT",
	  "alternate setting by number or name (default 0)" },
	{ "address", 's', OPT_U32, TOOL_CMD_FLASH | TOOL_CMD_VERIFY | TOOL_CMD_READ | TOOL_CMD_LEAVE,
	  OFF(address), OFF(has_address), "ADDRESS",
	  "load address of a .bin (default 0x08000000); read: start; leave: jump there" },
	{ "length", 0, OPT_U32, TOOL_CMD_READ, OFF(length), OFF(has_length), "N",
	  "bytes to read (K and M suffixes work)" },
	{ "whole", 0, OPT_FLAG, TOOL_CMD_READ, OFF(whole), 0, NULL,
	  "read the whole memory of the alternate setting" },
	{ "all", 0, OPT_FLAG, TOOL_CMD_FLASH | TOOL_CMD_VERIFY | TOOL_CMD_READ | TOOL_CMD_ERASE,
	  OFF(all), 0, NULL,
	  "every DFU-mode device on the bus at once (read: OUT gets each serial)" },
	{ "format", 0, OPT_STR, TOOL_CMD_FLASH | TOOL_CMD_VERIFY, OFF(format), 0, "FMT",
	  "read FILE as FMT (bin, dfu, dfuse, ihex, srec, elf)" },
	{ "mass-erase", 0, OPT_FLAG, TOOL_CMD_FLASH, OFF(mass_erase), 0, NULL,
	  "erase the whole flash first (this also erases a stored tune)" },
	{ "mass", 0, OPT_FLAG, TOOL_CMD_ERASE, OFF(mass_erase), 0, NULL, "erase the whole flash" },
	{ "sector", 0, OPT_LIST, TOOL_CMD_ERASE, OFF(sectors), OFF(nsectors), "N[-M]",
	  "erase sectors N to M (may be given several times)" },
	{ "range", 0, OPT_LIST, TOOL_CMD_ERASE, OFF(ranges), OFF(nranges), "ADDR:LEN",
	  "erase the sectors this range touches (may be given several times)" },
	{ "no-verify", 0, OPT_FLAG, TOOL_CMD_FLASH, OFF(no_verify), 0, NULL,
	  "do not read back what was written" },
	{ "no-smart", 0, OPT_FLAG, TOOL_CMD_FLASH, OFF(no_smart), 0, NULL,
	  "erase and write every sector the image touches, without first reading "
	  "which already hold it" },
	{ "no-leave", 0, OPT_FLAG, TOOL_CMD_FLASH, OFF(no_leave), 0, NULL,
	  "stay in DFU mode afterwards" },
	{ "dry-run", 'n', OPT_FLAG, TOOL_CMD_FLASH | TOOL_CMD_ERASE, OFF(dry_run), 0, NULL,
	  "show the plan as a flash map; change nothing" },
	{ "map", 0, OPT_FLAG, TOOL_CMD_INFO, OFF(map), 0, NULL,
	  "only the flash map: blank or used, write protection, the tune region" },
	{ "force", 'f', OPT_FLAG,
	  TOOL_CMD_FLASH | TOOL_CMD_ERASE | TOOL_CMD_UNPROTECT | TOOL_CMD_READ | TOOL_CMD_RECOVER,
	  OFF(force), 0,
	  NULL, "write a file made for another device; read: replace an existing OUT; "
	  "unprotect: yes, wipe the flash" },
	{ "finish", 0, OPT_FLAG, TOOL_CMD_RECOVER, OFF(finish), 0, NULL,
	  "finish the interrupted job of the device in DFU mode" },
	{ "discard", 0, OPT_STR, TOOL_CMD_RECOVER, OFF(discard), 0, "JOURNAL",
	  "delete a journal without applying it (with --force)" },
	{ "wait", 'w', OPT_WAIT, ALL_CMDS, 0, 0, "[=SECONDS]",
	  "wait for a device to appear (forever, or SECONDS)" },
	{ "json", 0, OPT_JSON, ALL_CMDS, 0, 0, NULL, "results as JSON on stdout" },
	{ "verbose", 'v', OPT_VERBOSE, ALL_CMDS, 0, 0, NULL, "say more (twice: every request)" },
	{ "quiet", 'q', OPT_QUIET, ALL_CMDS, 0, 0, NULL, "only errors" },
};

static const struct {
	unsigned cmd;
	const char *usage;
} usages[] = {
	{ TOOL_CMD_LIST, "list [--json]" },
	{ TOOL_CMD_INFO, "info [--map] [selection]" },
	{ TOOL_CMD_FLASH, "flash FILE [--address A] [--alt X] [--mass-erase] [--no-verify] "
			  "[--no-leave] [--dry-run] [--force] [--all]" },
	{ TOOL_CMD_VERIFY, "verify FILE [--address A] [--all]" },
	{ TOOL_CMD_READ, "read OUT (--address A --length N | --whole) [--force] [--all]" },
	{ TOOL_CMD_ERASE, "erase (--mass | --sector N[-M]... | --range A:LEN...) [--dry-run] [--all]" },
	{ TOOL_CMD_LEAVE, "leave [--address A]" },
	{ TOOL_CMD_UNPROTECT, "unprotect --force" },
	{ TOOL_CMD_RECOVER, "recover [--finish [selection] | --discard JOURNAL --force]" },
};

/* --help of a command, from the table. */
static void print_help(unsigned cmd)
{
	size_t i;

	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (usages[i].cmd == cmd)
			printf("usage: dfuflash %s\n\noptions:\n", usages[i].usage);
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		char left[64];

		if (!(defs[i].cmds & cmd))
			continue;
		if (defs[i].short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", defs[i].short_name,
				 defs[i].name, defs[i].arg && defs[i].kind != OPT_WAIT ? " " : "",
				 defs[i].arg ? defs[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", defs[i].name,
				 defs[i].arg && defs[i].kind != OPT_WAIT ? " " : "",
				 defs[i].arg ? defs[i].arg : "");
		printf("  %-32s %s\n", left, defs[i].help);
	}
}

/* "VID:PID[,VID:PID]" in hex; "VID:" or "VID:*" matches any product. */
bool tool_parse_ids(const char *s, struct dfu_match *m)
{
	const char *p = s;

	m->id_count = 0;
	while (*p) {
		char part[32], *colon;
		size_t n = strcspn(p, ",");
		uint32_t vid, pid = 0;
		bool any = false;

		if (!n || n >= sizeof(part) || m->id_count >= DFU_MATCH_MAX_IDS)
			return false;
		memcpy(part, p, n);
		part[n] = '\0';
		colon = strchr(part, ':');
		if (!colon)
			return false;
		*colon = '\0';
		/* USB ids are hex, with or without 0x, as lsusb and dfu-util
		 * write them. */
		{
			char *end;
			unsigned long v = strtoul(part, &end, 16);

			if (!*part || *end || v > 0xFFFF)
				return false;
			vid = (uint32_t)v;
			if (!colon[1] || !strcmp(colon + 1, "*")) {
				any = true;
			} else {
				v = strtoul(colon + 1, &end, 16);
				if (*end || v > 0xFFFF)
					return false;
				pid = (uint32_t)v;
			}
		}
		m->id_vendor[m->id_count] = (uint16_t)vid;
		m->id_product[m->id_count] = (uint16_t)pid;
		m->any_product[m->id_count] = any;
		m->id_count++;
		p += n;
		if (*p == ',')
			p++;
	}
	return m->id_count > 0;
}

/* Applies one option with its argument (NULL when it has none). */
static int apply(const struct opt_def *d, const char *arg, struct options *o,
		 const char *as_written)
{
	char *base = (char *)o;
	uint32_t v;

	switch (d->kind) {
	case OPT_FLAG:
		*(bool *)(base + d->off) = true;
		return 0;
	case OPT_U32:
		if (!tool_parse_u32(arg, &v)) {
			tool_error("%s: bad number '%s' for %s", o->cmd_name, arg, as_written);
			return TOOL_USAGE;
		}
		*(uint32_t *)(base + d->off) = v;
		*(bool *)(base + d->has_off) = true;
		return 0;
	case OPT_STR:
		*(const char **)(base + d->off) = arg;
		return 0;
	case OPT_LIST: {
		size_t *n = (size_t *)(base + d->has_off);

		if (*n >= TOOL_MAX_LIST) {
			tool_error("%s: --%s at most %d times", o->cmd_name, d->name,
				   TOOL_MAX_LIST);
			return TOOL_USAGE;
		}
		((const char **)(base + d->off))[(*n)++] = arg;
		return 0;
	}
	case OPT_IDS:
		if (!tool_parse_ids(arg, &o->match)) {
			tool_error("%s: bad device ids '%s' (want VID:PID, e.g. 0483:df11)",
				   o->cmd_name, arg);
			return TOOL_USAGE;
		}
		return 0;
	case OPT_SERIAL:
		o->match.serial = arg;
		return 0;
	case OPT_PATH:
		o->match.path = arg;
		return 0;
	case OPT_DEVNUM:
		if (!tool_parse_u32(arg, &v) || v > 127) {
			tool_error("%s: bad device number '%s'", o->cmd_name, arg);
			return TOOL_USAGE;
		}
		o->match.devnum = (int)v;
		return 0;
	case OPT_WAIT:
		o->wait = true;
		if (arg && (!tool_parse_u32(arg, &v) || v > 86400)) {
			tool_error("%s: bad --wait seconds '%s'", o->cmd_name, arg);
			return TOOL_USAGE;
		}
		o->wait_seconds = arg ? v : 0;
		return 0;
	case OPT_VERBOSE:
		tool_globals.verbosity++;
		return 0;
	case OPT_QUIET:
		tool_globals.verbosity = -1;
		return 0;
	case OPT_JSON:
		tool_globals.json = true;
		return 0;
	}
	return 0;
}

/* Whether an option kind takes a value. */
static bool takes_arg(const struct opt_def *d)
{
	return d->kind == OPT_U32 || d->kind == OPT_STR || d->kind == OPT_LIST ||
	       d->kind == OPT_IDS || d->kind == OPT_SERIAL || d->kind == OPT_PATH ||
	       d->kind == OPT_DEVNUM;
}

/* Whether giving an option a second time would replace its first value:
 * those are refused. Flags (-v counts, --force twice is still --force) and
 * lists may repeat. */
static bool single_value(const struct opt_def *d)
{
	return d->kind != OPT_FLAG && d->kind != OPT_LIST && d->kind != OPT_VERBOSE &&
	       d->kind != OPT_QUIET && d->kind != OPT_JSON;
}

/* Takes one option d with its value val (NULL when none), as_written
 * naming it in messages: refuses a second value of a single-value option. */
static int take(const struct opt_def *d, const char *val, const char *as_written,
		const char **given, struct options *o)
{
	size_t k = (size_t)(d - defs);

	if (single_value(d) && given[k]) {
		tool_error("%s: --%s given twice ('%s', then '%s'): give it once", o->cmd_name,
			   d->name, given[k], val ? val : as_written);
		return TOOL_USAGE;
	}
	given[k] = val ? val : as_written;
	return apply(d, val, o, as_written);
}

/* The option with this short name that cmd takes, or NULL. */
static const struct opt_def *find_short(char c, unsigned cmd)
{
	size_t k;

	for (k = 0; k < sizeof(defs) / sizeof(defs[0]); k++)
		if (defs[k].short_name == c && (defs[k].cmds & cmd))
			return &defs[k];
	return NULL;
}

/*
 * Short options combined as getopt does it: "-vv" is -v -v, "-vq" is -v
 * -q, and an option that takes a value takes the rest of the word or the
 * next argument ("-vd0483:df11", "-vd 0483:df11"). *i is advanced past a
 * value taken from the next argument.
 */
static int take_short(int argc, char **argv, int *i, const char **given, struct options *o)
{
	const char *a = argv[*i];
	size_t j;

	for (j = 1; a[j]; j++) {
		const struct opt_def *d = find_short(a[j], o->cmd);
		char as_written[3] = { '-', a[j], '\0' };

		if (!d) {
			if (j == 1)
				tool_error("%s: unknown option '%s' (see dfuflash %s --help)",
					   o->cmd_name, a, o->cmd_name);
			else
				tool_error("%s: unknown option '%s' in '%s' (see dfuflash %s "
					   "--help)", o->cmd_name, as_written, a, o->cmd_name);
			return TOOL_USAGE;
		}
		if (takes_arg(d) || (d->kind == OPT_WAIT && a[j + 1] >= '0' && a[j + 1] <= '9')) {
			const char *val = a + j + 1;

			if (!*val) {
				if (d->kind == OPT_WAIT)
					val = NULL;
				else if (*i + 1 >= argc) {
					tool_error("%s: %s needs %s", o->cmd_name, as_written,
						   d->arg);
					return TOOL_USAGE;
				} else {
					val = argv[++*i];
				}
			}
			return take(d, val, as_written, given, o);
		}
		if (take(d, NULL, as_written, given, o))
			return TOOL_USAGE;
	}
	return 0;
}

/* Parses a command's argv against the table. */
int tool_parse_options(unsigned cmd, int argc, char **argv, struct options *o)
{
	/* What each single-value option was given as, to refuse a second one. */
	const char *given[sizeof(defs) / sizeof(defs[0])] = { NULL };
	int i, err;
	size_t k;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->cmd_name = argv[0];
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct opt_def *d = NULL;
		char name[64];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_help(cmd);
			return TOOL_HELP;
		}
		if (a[0] != '-' || !a[1]) {
			if (o->file) {
				tool_error("%s: one file only ('%s' and '%s')", o->cmd_name,
					   o->file, a);
				return TOOL_USAGE;
			}
			o->file = a;
			continue;
		}
		if (a[1] != '-') {
			err = take_short(argc, argv, &i, given, o);
			if (err)
				return err;
			continue;
		}
		{
			size_t n = strcspn(a + 2, "=");

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, a + 2, n);
			name[n] = '\0';
			if (a[2 + n] == '=')
				val = a + 3 + n;
			for (k = 0; k < sizeof(defs) / sizeof(defs[0]); k++)
				if (!strcmp(defs[k].name, name))
					d = &defs[k];
		}
		if (!d || !(d->cmds & cmd)) {
			tool_error("%s: unknown option '%s' (see dfuflash %s --help)",
				   o->cmd_name, a, o->cmd_name);
			return TOOL_USAGE;
		}
		if (takes_arg(d) && !val) {
			if (i + 1 >= argc) {
				tool_error("%s: %s needs %s", o->cmd_name, a, d->arg);
				return TOOL_USAGE;
			}
			val = argv[++i];
		} else if (!takes_arg(d) && val && d->kind != OPT_WAIT) {
			tool_error("%s: %s takes no value", o->cmd_name, a);
			return TOOL_USAGE;
		}
		err = take(d, val, a, given, o);
		if (err)
			return err;
	}
	return 0;
}
