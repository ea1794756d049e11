/*
 * tool_option_bytes.c - `dfuflash option-bytes`: shows the option bytes
 * decoded, or changes them: says what each change will do, refuses the
 * ones that cannot be undone unless told in so many words, writes them
 * (the chip resets), waits for it to come back, reads them again and fails
 * if they are not what was written. This is how a user repairs an F7 left
 * with a bad nDBANK or BOOT_ADD0.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETS 16
/* Arguments this command takes at most. */
#define MAX_ARGS 64
/* How long the chip may take to enumerate again after its reset. */
#define REAPPEAR_SECONDS 20

/* What this command adds to the device selection options. */
struct ob_args {
	const char *sets[MAX_SETS];
	size_t set_count;
	bool yes;
	bool lock;      /* --permanently-lock-chip */
	bool all;       /* --all: every DFU-mode device at once */
};

/* --help: our own options, then the selection ones we share with info. */
static void print_help(void)
{
	printf("usage: dfuflash option-bytes [--json] [selection]\n"
	       "       dfuflash option-bytes --set NAME=VALUE [--set NAME=VALUE...] [--yes]\n\n"
	       "Shows the option bytes decoded, or changes them: says what each change\n"
	       "does, writes them (the chip resets), waits for it and reads them back.\n\n"
	       "options:\n"
	       "  --set NAME=VALUE                 change a field (names as shown; RDP takes a\n"
	       "                                   level 0/1/2 or a byte)\n"
	       "  -y, --yes                        write without asking\n"
	       "  --permanently-lock-chip          allow RDP level 2: locks the chip FOREVER\n"
	       "                                   (no DFU, no debugger, cannot be undone)\n"
	       "  --json                           results as JSON on stdout\n"
	       "  --all                            every DFU-mode device on the bus at once\n"
	       "                                   (--set needs --yes; never RDP level 2)\n"
	       "  -d, -S, -p, --devnum, --wait     choose the device, as for 'dfuflash info'\n"
	       "  -v, -q                           say more / only errors\n");
}

/* Takes our options out of argv (the rest goes to the shared parser).
 * Returns 0, TOOL_USAGE, or TOOL_HELP. */
static int take_args(int argc, char **argv, struct ob_args *a, int *rest_argc, char **rest)
{
	int i, n = 0;

	rest[n++] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			print_help();
			return TOOL_HELP;
		} else if (!strcmp(s, "--set") || !strncmp(s, "--set=", 6)) {
			const char *v = s[5] == '=' ? s + 6 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v || !*v) {
				tool_error("option-bytes: --set needs NAME=VALUE");
				return TOOL_USAGE;
			}
			if (a->set_count == MAX_SETS) {
				tool_error("option-bytes: at most %d --set", MAX_SETS);
				return TOOL_USAGE;
			}
			a->sets[a->set_count++] = v;
		} else if (!strcmp(s, "--yes") || !strcmp(s, "-y")) {
			a->yes = true;
		} else if (!strcmp(s, "--permanently-lock-chip")) {
			a->lock = true;
		} else if (!strcmp(s, "--all")) {
			a->all = true;
		} else {
			rest[n++] = argv[i];
		}
	}
	rest[n] = NULL;
	*rest_argc = n;
	return 0;
}

/* A field's value as people write it: bits in decimal, wider ones in hex. */
static const char *value_str(const struct dfu_ob_field_def *def, uint32_t v, char *buf,
			     size_t size)
{
	uint32_t m = def->mask;

	while (m && !(m & 1))
		m >>= 1;
	if (m == 1)
		snprintf(buf, size, "%u", (unsigned)v);
	else
		snprintf(buf, size, "0x%0*X", m > 0xFFF ? 4 : m > 0xFF ? 3 : 2, (unsigned)v);
	return buf;
}

/* The option bytes decoded: a table, or one JSON object (no newline). */
void tool_print_option_bytes(const struct dfu_option_bytes *ob, bool json)
{
	struct dfu_ob_value v[32];
	size_t i, n = dfu_ob_decode(ob, v, 32);
	uint32_t rdp = 0xAA;

	if (n > 32)
		n = 32;
	dfu_ob_get(ob, "RDP", &rdp);
	if (json) {
		printf("{\"family\":");
		tool_json_string(stdout, dfu_ob_family_name(ob->family));
		printf(",\"areas\":[");
		for (i = 0; i < ob->area_count; i++)
			printf("%s{\"address\":%u,\"size\":%u}", i ? "," : "",
			       (unsigned)ob->area_address[i], ob->area_size[i]);
		printf("],\"raw\":\"");
		for (i = 0; i < ob->len; i++)
			printf("%02x", ob->raw[i]);
		printf("\",\"rdp_level\":%d,\"fields\":[", dfu_ob_rdp_level((uint8_t)rdp));
		for (i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			tool_json_string(stdout, v[i].def->name);
			printf(",\"value\":%u,\"text\":", (unsigned)v[i].value);
			tool_json_string(stdout, v[i].text);
			printf("}");
		}
		printf("]}");
		return;
	}
	printf("option bytes  %s\n", dfu_ob_family_name(ob->family));
	for (i = 0; i < ob->area_count; i++) {
		size_t k;

		printf("  0x%08X:", (unsigned)ob->area_address[i]);
		for (k = 0; k < ob->area_size[i] && k < 32; k++)
			printf("%s%02x", k % 4 ? "" : " ", ob->raw[ob->area_offset[i] + k]);
		printf("%s\n", ob->area_size[i] > 32 ? " ..." : "");
	}
	for (i = 0; i < n; i++) {
		char val[16];

		printf("  %-12s %-7s %s\n", v[i].def->name,
		       value_str(v[i].def, v[i].value, val, sizeof(val)), v[i].text);
	}
}

/* The command's output: the table, or the JSON object on its line. */
static void print_ob(const struct dfu_option_bytes *ob)
{
	tool_print_option_bytes(ob, tool_globals.json);
	if (tool_globals.json)
		printf("\n");
}

/* Says what changing one field does, with the warnings that matter.
 * Returns false when the change is refused. */
static bool announce(const struct dfu_ob_value *old, const struct dfu_ob_value *new,
		     const struct ob_args *a)
{
	const char *name = new->def->name;
	char from_s[16], to_s[16];
	bool say = tool_globals.verbosity >= 0;

	if (say)
		fprintf(stderr, "  %s: %s -> %s: %s\n", name,
			value_str(old->def, old->value, from_s, sizeof(from_s)),
			value_str(new->def, new->value, to_s, sizeof(to_s)), new->text);
	if (!strcmp(name, "RDP")) {
		int from = dfu_ob_rdp_level((uint8_t)old->value);
		int to = dfu_ob_rdp_level((uint8_t)new->value);

		if (to == 2 && !a->lock) {
			tool_error("option-bytes: refusing RDP level 2: it locks the chip FOREVER "
				   "(no more DFU, no debugger, it cannot be undone). Add "
				   "--permanently-lock-chip if that is really what you want");
			return false;
		}
		if (to == 2 && say)
			fprintf(stderr, "    THIS LOCKS THE CHIP FOREVER: it will never answer DFU or "
				"a debugger again.\n");
		if (to == 1 && from == 0 && say)
			fprintf(stderr, "    After this the flash cannot be read (no verify, no read, "
				"no flashing), and removing the protection ('dfuflash unprotect "
				"--force', or RDP=0) wipes the whole flash, tune included.\n");
		if (to == 0 && from == 1 && say)
			fprintf(stderr, "    Lowering RDP to level 0 makes the chip mass-erase the whole "
				"flash (firmware and tune) first.\n");
	} else if (!strcmp(name, "nDBANK") && say) {
		fprintf(stderr, "    The sector map changes (%s); the flash contents in the sectors "
			"that move should be flashed again afterwards.\n",
			new->value ? "to single bank, sectors 0-11" :
				     "to dual bank, sectors 0-11 and 12-23");
	} else if ((!strcmp(name, "nWRP") || !strcmp(name, "nWRP2")) && say) {
		fprintf(stderr, "    Protected sectors cannot be erased or written until this is "
			"set back.\n");
	}
	return true;
}

/* Whether area i of a and b differs. */
static bool area_differs(const struct dfu_option_bytes *a, const struct dfu_option_bytes *b,
			 size_t i)
{
	return memcmp(a->raw + a->area_offset[i], b->raw + b->area_offset[i], a->area_size[i]) != 0;
}

/* Asks on a terminal; elsewhere --yes is required. */
static bool confirm(const struct ob_args *a)
{
	char line[16];

	if (a->yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		tool_error("option-bytes: not writing without --yes (stdin is not a terminal)");
		return false;
	}
	fprintf(stderr, "Write these option bytes? The chip resets. [y/N] ");
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* Opens the device again after its reset: the same one (ids, serial,
 * bus path), waiting as --wait does, quietly. */
static int reopen(struct dfu_ctx *ctx, const struct options *o, const struct dfu_dev_info *d,
		  struct dfu_dev **out)
{
	struct options again = *o;
	int verbosity = tool_globals.verbosity, err;

	memset(&again.match, 0, sizeof(again.match));
	again.match.id_count = 1;
	again.match.id_vendor[0] = d->id_vendor;
	again.match.id_product[0] = d->id_product;
	again.match.serial = d->serial[0] ? d->serial : NULL;
	again.match.path = d->path[0] ? d->path : NULL;
	again.wait = true;
	again.wait_seconds = REAPPEAR_SECONDS;
	/* tool_open_device's "put the ECU in bootloader mode" hint is wrong
	 * here: the chip is on its way back by itself. */
	tool_globals.verbosity = -1;
	err = tool_open_device(ctx, &again, out);
	tool_globals.verbosity = verbosity;
	return err;
}

/* Writes want over cur, area by area (each write resets the chip), and
 * reads the result into *got. *dev is closed and reopened on the way. */
static int write_all(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev **dev,
		     const struct dfu_dev_info *d, const struct dfu_option_bytes *cur,
		     const struct dfu_option_bytes *want, struct dfu_option_bytes *got,
		     bool *locked)
{
	struct tool_progress tp;
	bool reset = false;
	uint32_t rdp = 0xAA;
	size_t i;
	int err = DFU_OK;

	dfu_ob_get(want, "RDP", &rdp);
	*locked = dfu_ob_rdp_level((uint8_t)rdp) == 2;
	for (i = 0; i < want->area_count; i++) {
		if (!area_differs(cur, want, i))
			continue;
		if (!*dev) {
			err = reopen(ctx, o, d, dev);
			if (err)
				return err;
		}
		if (tool_globals.verbosity >= 0 && !tool_globals.json)
			fprintf(stderr, "dfuflash: writing the option bytes at 0x%08X; the chip "
				"resets\n", (unsigned)want->area_address[i]);
		err = dfu_ob_write_area(*dev, want, i, &reset);
		dfu_dev_close(*dev);
		*dev = NULL;
		if (err)
			return err;
	}
	if (*locked)
		return DFU_OK;  /* it will not come back to be read */
	if (tool_globals.verbosity >= 0 && !tool_globals.json)
		fprintf(stderr, "dfuflash: waiting for the chip to come back (up to %d s)\n",
			REAPPEAR_SECONDS);
	tool_progress_init(&tp);
	tool_progress_wait(&tp, "option bytes", "still waiting for the chip to come back",
			   REAPPEAR_SECONDS * 1000u);
	err = reopen(ctx, o, d, dev);
	tool_progress_end(&tp);
	if (!err)
		err = dfu_ob_read(*dev, got);
	return err;
}

/* `dfuflash option-bytes [--set NAME=VALUE...] [--yes]`. */
int tool_option_bytes(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct ob_args a = { { NULL }, 0, false, false, false };
	struct dfu_option_bytes cur, want, got;
	struct dfu_ob_value before[32], after[32];
	struct dfu_dev *dev = NULL;
	struct dfu_dev_info d;
	struct options o;
	char *rest[MAX_ARGS + 1];
	int rest_argc = 0, err;
	size_t i, n, changes = 0;
	bool locked = false;
	struct tool_progress tp;

	if (argc > MAX_ARGS) {
		tool_error("option-bytes: too many arguments");
		return TOOL_USAGE;
	}
	err = take_args(argc, argv, &a, &rest_argc, rest);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	err = tool_parse_options(TOOL_CMD_INFO, rest_argc, rest, &o);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	o.cmd_name = "option-bytes";
	if (o.map) {
		tool_error("option-bytes: unknown option '--map' (dfuflash info --map draws the "
			   "flash map)");
		return TOOL_USAGE;
	}
	tool_setup_log(ctx);
	if (a.all) {
		struct tool_all_job job = { .kind = TOOL_ALL_OPTION_BYTES, .o = &o,
					    .ob_sets = a.sets, .ob_set_count = a.set_count };

		o.all = true;
		if (a.set_count && !a.yes) {
			tool_error("option-bytes: --set with --all writes every device without "
				   "asking: add --yes");
			return TOOL_USAGE;
		}
		if (a.lock) {
			tool_error("option-bytes: --permanently-lock-chip is for one chip at a "
				   "time: choose it with -S SERIAL, not --all");
			return TOOL_USAGE;
		}
		return tool_all_run(ctx, &job);
	}
	err = tool_open_device(ctx, &o, &dev);
	if (err)
		return err;
	dfu_dev_info(dev, &d);
	err = dfu_ob_read(dev, &cur);
	if (err || !a.set_count) {
		if (!err)
			print_ob(&cur);
		goto out;
	}
	want = cur;
	for (i = 0; i < a.set_count && !err; i++)
		err = dfu_ob_set_str(ctx, &want, a.sets[i]);
	if (err)
		goto out;
	n = dfu_ob_decode(&cur, before, 32);
	dfu_ob_decode(&want, after, 32);
	if (n > 32)
		n = 32;
	if (tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: option-byte changes on %s:\n",
			dfu_ob_family_name(cur.family));
	for (i = 0; i < n; i++) {
		if (before[i].value == after[i].value)
			continue;
		changes++;
		if (!announce(&before[i], &after[i], &a)) {
			err = TOOL_USAGE;
			goto out;
		}
	}
	if (!changes) {
		if (tool_globals.verbosity >= 0)
			fprintf(stderr, "  none: the option bytes already say so; nothing written\n");
		print_ob(&cur);
		goto out;
	}
	if (!confirm(&a)) {
		err = TOOL_USAGE;
		goto out;
	}
	/* A job an earlier run left in a journal belongs to the bank mode it
	 * was planned in: finish it before the option bytes change the map. */
	tool_progress_init(&tp);
	err = dfu_dev_recover(dev, tool_progress_cb, &tp, NULL);
	tool_progress_end(&tp);
	if (err == DFU_ERR_UNSUPPORTED)
		err = DFU_OK;
	if (!err)
		err = write_all(ctx, &o, &dev, &d, &cur, &want, &got, &locked);
	if (err)
		goto out;
	if (locked) {
		if (tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: RDP level 2 written: the chip is locked for good "
				"and no longer answers in DFU mode\n");
		goto out;
	}
	print_ob(&got);
	err = dfu_ob_compare(ctx, &want, &got);
	if (!err && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: option bytes written and read back as asked (%zu "
			"change%s)\n", changes, changes == 1 ? "" : "s");
out:
	dfu_dev_close(dev);
	return err;
}
