/*
 * tool_compat.c - dfu-util 0.11's command line, as the FOME docs write it:
 *     dfuflash -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
 *     dfuflash -v -d 0483:df11 -a 0 -s :mass-erase:force
 * Same options, same meaning, but the safe behaviour of dfuflash: a
 * download erases only the sectors the image touches, keeps the other bytes
 * of partly written sectors, and is verified by reading back. We say so.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct compat {
	struct options o;
	bool list, leave, mass_erase, force_mod, unprotect, reset, detach;
	bool force;              /* --force: -U may replace an existing file */
	const char *download;
	const char *upload;
	bool has_length;
	uint32_t length;
};

static const char compat_help[] =
	"usage: dfuflash [dfu-util options]   (dfu-util 0.11 compatible)\n"
	"  -l, --list                 list DFU devices\n"
	"  -d, --device VID:PID[,..]  select by USB ids\n"
	"  -p, --path BUS-PORT        select by USB path\n"
	"  -S, --serial SERIAL        select by serial number\n"
	"  -n, --devnum N             select by device number\n"
	"  -a, --alt ALT              alternate setting, number or name\n"
	"  -D, --download FILE        write FILE (.dfu, .bin, .hex, .srec, .elf)\n"
	"  -U, --upload FILE          read memory into FILE (raw bytes); an existing\n"
	"                             FILE is kept unless --force\n"
	"      --force                -U: replace an existing FILE\n"
	"      --json                 the result as one JSON object on stdout\n"
	"  -Z, --upload-size N        bytes to read\n"
	"  -s, --dfuse-address ADDRESS[:leave][:mass-erase][:force][:unprotect]\n"
	"                             [:will-reset][:LENGTH]\n"
	"  -t, --transfer-size N      accepted; the device's wTransferSize is used\n"
	"  -R, --reset                leave DFU mode at the end\n"
	"  -e, --detach               leave DFU mode\n"
	"  -w, --wait                 wait for the device to appear\n"
	"  -v, --verbose              say more;  -h, --help;  -V, --version\n"
	"Unlike dfu-util, dfuflash verifies what it writes, erases only the sectors\n"
	"the image touches and keeps the rest of those sectors (a stored tune).\n";

/* The short name of options dfu-util has only in long form (ours). */
#define LONG_ONLY_FORCE '\001'
#define LONG_ONLY_JSON '\002'

struct compat_opt {
	char short_name;
	const char *long_name;
	bool has_arg;
};

static const struct compat_opt copts[] = {
	{ 'l', "list", false }, { 'd', "device", true }, { 'p', "path", true },
	{ 'S', "serial", true }, { 'n', "devnum", true }, { 'a', "alt", true },
	{ 'D', "download", true }, { 'U', "upload", true }, { 'Z', "upload-size", true },
	{ 's', "dfuse-address", true }, { 't', "transfer-size", true }, { 'R', "reset", false },
	{ 'e', "detach", false }, { 'w', "wait", false }, { 'v', "verbose", false },
	{ 'h', "help", false }, { 'V', "version", false }, { 'c', "cfg", true },
	{ 'i', "intf", true }, { 'E', "detach-delay", true },
	{ LONG_ONLY_FORCE, "force", false }, { LONG_ONLY_JSON, "json", false },
};

/* Parses -s "ADDRESS:modifier:...:LENGTH". */
static int parse_dfuse_spec(const char *spec, struct compat *c)
{
	char buf[256], *tok, *rest;
	size_t n = strlen(spec);

	if (n >= sizeof(buf)) {
		tool_error("-s: too long");
		return TOOL_USAGE;
	}
	memcpy(buf, spec, n + 1);
	rest = buf;
	tok = rest;
	rest = strchr(rest, ':');
	if (rest)
		*rest++ = '\0';
	if (*tok) {
		if (!tool_parse_u32(tok, &c->o.address)) {
			tool_error("-s: bad address '%s'", tok);
			return TOOL_USAGE;
		}
		c->o.has_address = true;
	}
	while (rest) {
		tok = rest;
		rest = strchr(rest, ':');
		if (rest)
			*rest++ = '\0';
		if (!strcmp(tok, "leave"))
			c->leave = true;
		else if (!strcmp(tok, "mass-erase"))
			c->mass_erase = true;
		else if (!strcmp(tok, "force"))
			c->force_mod = true;
		else if (!strcmp(tok, "unprotect"))
			c->unprotect = true;
		else if (!strcmp(tok, "will-reset"))
			; /* we handle devices that reset whether told or not */
		else if (*tok && tool_parse_u32(tok, &c->length))
			c->has_length = true;
		else if (*tok) {
			tool_error("-s: unknown modifier '%s' (leave, mass-erase, force, unprotect, "
				   "will-reset or a length)", tok);
			return TOOL_USAGE;
		}
	}
	return 0;
}

/* Applies one dfu-util option. */
static int apply(struct compat *c, char opt, const char *arg)
{
	uint32_t v;

	switch (opt) {
	case 'l': c->list = true; return 0;
	case 'd':
		if (!tool_parse_ids(arg, &c->o.match)) {
			tool_error("-d: bad device ids '%s' (want VID:PID, e.g. 0483:df11)", arg);
			return TOOL_USAGE;
		}
		return 0;
	case 'p': c->o.match.path = arg; return 0;
	case 'S': c->o.match.serial = arg; return 0;
	case 'n':
		if (!tool_parse_u32(arg, &v) || v > 127) {
			tool_error("-n: bad device number '%s'", arg);
			return TOOL_USAGE;
		}
		c->o.match.devnum = (int)v;
		return 0;
	case 'a': c->o.alt = arg; return 0;
	case 'D': c->download = arg; return 0;
	case 'U': c->upload = arg; return 0;
	case 'Z':
		if (!tool_parse_u32(arg, &c->length)) {
			tool_error("-Z: bad size '%s'", arg);
			return TOOL_USAGE;
		}
		c->has_length = true;
		return 0;
	case 's': return parse_dfuse_spec(arg, c);
	case 't':
	case 'c':
	case 'i':
	case 'E':
		if (!tool_parse_u32(arg, &v)) {
			tool_error("-%c: bad number '%s'", opt, arg);
			return TOOL_USAGE;
		}
		return 0;
	case LONG_ONLY_FORCE: c->force = true; return 0;
	case LONG_ONLY_JSON: tool_globals.json = true; return 0;
	case 'R': c->reset = true; return 0;
	case 'e': c->detach = true; return 0;
	case 'w': c->o.wait = true; return 0;
	case 'v': tool_globals.verbosity++; return 0;
	case 'h': fputs(compat_help, stdout); return TOOL_HELP;
	case 'V': printf("dfuflash %s (dfu-util 0.11 compatible)\n", DFUFLASH_VERSION);
		return TOOL_HELP;
	default:
		break;
	}
	return TOOL_USAGE;
}

/* Takes one option d with its value (NULL when none): an option with a
 * value given twice is refused. */
static int take(struct compat *c, const struct compat_opt *d, const char *val, const char **given)
{
	size_t k = (size_t)(d - copts);

	if (d->has_arg && given[k]) {
		tool_error("-%c/--%s given twice ('%s', then '%s'): give it once",
			   d->short_name, d->long_name, given[k], val);
		return TOOL_USAGE;
	}
	given[k] = val;
	return apply(c, d->short_name, val);
}

/* The dfu-util option with this short name, or NULL. */
static const struct compat_opt *find_short(char ch)
{
	size_t k;

	for (k = 0; k < sizeof(copts) / sizeof(copts[0]); k++)
		if (copts[k].short_name == ch && ch > ' ')
			return &copts[k];
	return NULL;
}

/* Parses dfu-util's command line (short and long options, as 0.11 has them,
 * with getopt's combined short options: -vv, -lv, -vd 0483:df11).
 * An option with a value given twice is refused: dfu-util keeps the last,
 * silently dropping the first. */
static int parse(int argc, char **argv, struct compat *c)
{
	const char *given[sizeof(copts) / sizeof(copts[0])] = { NULL };
	int i, err;
	size_t k, j;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct compat_opt *d = NULL;

		if (a[0] != '-' || !a[1]) {
			tool_error("unexpected '%s' (dfu-util style: options only)", a);
			return TOOL_USAGE;
		}
		if (a[1] != '-') {
			/* One or more short options in one word. */
			for (j = 1; a[j]; j++) {
				d = find_short(a[j]);
				if (!d) {
					if (j == 1)
						tool_error("unknown option '%s' (dfuflash -h lists "
							   "dfu-util's options)", a);
					else
						tool_error("unknown option '-%c' in '%s' (dfuflash "
							   "-h lists dfu-util's options)", a[j], a);
					return TOOL_USAGE;
				}
				if (!d->has_arg) {
					err = take(c, d, NULL, given);
					if (err)
						return err;
					continue;
				}
				val = a + j + 1;
				if (!*val) {
					if (i + 1 >= argc) {
						tool_error("-%c needs a value", a[j]);
						return TOOL_USAGE;
					}
					val = argv[++i];
				}
				err = take(c, d, val, given);
				if (err)
					return err;
				break;
			}
			continue;
		}
		{
			size_t n = strcspn(a + 2, "=");

			for (k = 0; k < sizeof(copts) / sizeof(copts[0]); k++)
				if (strlen(copts[k].long_name) == n &&
				    !strncmp(copts[k].long_name, a + 2, n))
					d = &copts[k];
			if (d && a[2 + n] == '=')
				val = a + 3 + n;
		}
		if (!d) {
			tool_error("unknown option '%s' (dfuflash -h lists dfu-util's options)", a);
			return TOOL_USAGE;
		}
		if (d->has_arg && !val) {
			if (i + 1 >= argc) {
				tool_error("%s needs a value", a);
				return TOOL_USAGE;
			}
			val = argv[++i];
		}
		err = take(c, d, val, given);
		if (err)
			return err;
	}
	return 0;
}

/* -U: reads memory (raw bytes, as dfu-util writes them). */
static int do_upload(struct dfu_ctx *ctx, struct compat *c, struct dfu_dev *dev)
{
	struct dfu_write_opts wo = { 0 };
	struct dfu_image *img = NULL;
	const struct dfu_alt_info *alt;
	struct tool_progress tp;
	uint8_t *buf = NULL;
	uint32_t address = c->o.has_address ? c->o.address : 0x08000000u, length = c->length;
	size_t target;
	int err;

	err = dfu_dev_select_alt(dev, c->o.alt);
	if (err)
		return err;
	alt = dfu_dev_alt(dev);
	if (alt->layout && alt->layout->count) {
		const struct dfu_sector *last = &alt->layout->sectors[alt->layout->count - 1];

		if (!c->o.has_address)
			address = alt->layout->sectors[0].address;
		if (!c->has_length)
			length = last->address + last->size - address;
	} else if (!c->has_length) {
		tool_error("-U: give the size with -Z (the device has no memory layout)");
		return TOOL_USAGE;
	}
	buf = malloc(length ? length : 1);
	if (!buf)
		return DFU_ERR_NO_MEM;
	tool_progress_init(&tp);
	err = dfu_read(dev, address, buf, length, tool_progress_cb, &tp);
	tool_progress_end(&tp);
	if (!err)
		err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, alt->alt, NULL, &target);
	if (!err)
		err = dfu_image_add_data(ctx, img, target, address, buf, length);
	/* dfu-util -U writes the raw bytes whatever the file is called. */
	wo.format = DFU_FORMAT_BIN;
	if (!err)
		err = tool_write_output(ctx, img, c->upload, &wo, c->force, "-U");
	if (!err && tool_globals.json) {
		printf("{\"file\":");
		tool_json_string(stdout, c->upload);
		printf(",\"address\":%u,\"bytes_read\":%u}\n", (unsigned)address, (unsigned)length);
	} else if (!err && tool_globals.verbosity >= 0) {
		fprintf(stderr, "dfuflash: read %u bytes from 0x%08X into %s\n",
			(unsigned)length, (unsigned)address, c->upload);
	}
	dfu_image_free(img);
	free(buf);
	return err;
}

/* Brings the device to dfuIDLE on the chosen alt, reporting dfuERROR. */
static int select_idle(struct compat *c, struct dfu_dev *dev)
{
	int err = dfu_dev_select_alt(dev, c->o.alt);

	if (!err)
		err = dfu_make_idle(dev, NULL);
	return err;
}

/* Does what dfu-util would, the safe way. */
static int run(struct dfu_ctx *ctx, struct compat *c)
{
	struct dfu_image *img = NULL;
	struct dfu_dev *dev = NULL;
	bool leave = c->leave || c->reset || c->detach;
	int err;

	if (c->list)
		return tool_list_devices(ctx, &c->o.match, !tool_globals.json);
	if (c->mass_erase && !c->force_mod) {
		tool_error("-s :mass-erase erases the whole flash (and a stored tune): "
			   "add :force as dfu-util wants");
		return TOOL_USAGE;
	}
	if (c->unprotect && !c->force_mod) {
		tool_error("-s :unprotect wipes the whole flash: add :force as dfu-util wants");
		return TOOL_USAGE;
	}
	if (c->download && c->upload) {
		tool_error("-D and -U together: one at a time");
		return TOOL_USAGE;
	}
	if (!c->download && !c->upload && !c->mass_erase && !c->unprotect && !leave) {
		tool_error("nothing to do: -l, -D FILE, -U FILE or -s ...:mass-erase:force "
			   "(dfuflash -h)");
		return TOOL_USAGE;
	}
	if (c->force && !c->upload) {
		tool_error("--force only lets -U replace an existing file (for a file made for "
			   "another device: dfuflash flash FILE --force)");
		return TOOL_USAGE;
	}
	if (c->upload) {
		err = tool_check_output(c->upload, c->force, "-U");
		if (err)
			return err;
	}
	if (c->download) {
		c->o.mass_erase = c->mass_erase;
		c->o.force = false;
		err = tool_read_image(ctx, &c->o, c->download, &img);
		if (err)
			return err;
	}
	err = tool_open_device(ctx, &c->o, &dev);
	if (err)
		goto out;
	if (c->unprotect) {
		bool wiped;

		/* A protected chip may refuse to become idle; the RDP read
		 * in tool_unprotect_device() tells. */
		err = select_idle(c, dev);
		if (err == DFU_ERR_PROTECTED)
			err = DFU_OK;
		if (!err)
			err = tool_unprotect_device(ctx, dev, &wiped);
		if (!err && tool_globals.json)
			printf("{\"was_protected\":%s,\"wiped\":%s}\n", wiped ? "true" : "false",
			       wiped ? "true" : "false");
		goto out;
	}
	if (c->download) {
		if (tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: note: unlike dfu-util, erasing only the sectors "
				"the image touches, keeping their other bytes, and verifying by "
				"read-back%s\n", leave ? "; leaving DFU mode only if that passes" : "");
		c->o.file = c->download;   /* named in the result */
		err = tool_run_flash(ctx, &c->o, dev, img, leave);
		goto out;
	}
	if (c->upload) {
		err = do_upload(ctx, c, dev);
		if (err)
			goto out;
	}
	/* Between two steps: a signal stops here (the mass erase itself
	 * is one request the ROM finishes whatever we do). */
	if (c->mass_erase && tool_interrupted()) {
		err = tool_fail(DFU_ERR_CANCELLED, "stopped before the mass erase; the flash is "
				"unchanged");
		goto out;
	}
	if (c->mass_erase) {
		struct dfu_erase_spec spec;

		memset(&spec, 0, sizeof(spec));
		spec.mass = true;
		err = select_idle(c, dev);
		if (!err && tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: mass erase (this can take 30 s on an F7), then "
				"reading the flash back blank\n");
		if (!err)
			err = tool_run_erase(ctx, dev, &spec);
		if (err)
			goto out;
	}
	if (leave && tool_interrupted()) {
		err = tool_fail(DFU_ERR_CANCELLED, "stopped before leaving DFU mode; the device "
				"stays in DFU mode");
		goto out;
	}
	if (leave) {
		struct dfu_flash_result res = { 0 };

		err = select_idle(c, dev);
		if (!err)
			err = dfu_leave(dev, c->o.has_address, c->o.address, 3000, &res);
		if (!err && tool_globals.json && !c->upload && !c->mass_erase)
			printf("{\"left\":true,\"gone\":%s}\n", res.gone ? "true" : "false");
		else if (!err && tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: left DFU mode: %s\n",
				res.gone ? "the device is starting its firmware" :
					   "the device is still on the bus");
	}
out:
	dfu_dev_close(dev);
	dfu_image_free(img);
	return err;
}

/* dfu-util compatibility mode: parse, then run. */
int tool_compat(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct compat c;
	int err;

	memset(&c, 0, sizeof(c));
	c.o.cmd_name = "dfuflash";
	c.o.cmd = TOOL_CMD_FLASH;
	c.o.dfu_util = true;
	err = parse(argc, argv, &c);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	tool_setup_log(ctx);
	return run(ctx, &c);
}
