/*
 * tool_update.c - the FOME journeys on the command line:
 *
 *   dfuflash update BUNDLE.zip|FILE [--route auto|dfu|openblt] [--port PORT]
 *                   [--serial SN] [--force] [--no-smart] [--wait SECONDS]
 *   dfuflash tune backup|list|restore FILE [--port PORT] [--serial SN]
 *   dfuflash reboot --to dfu|openblt [--port PORT] [--serial SN]
 *
 * One display for the whole journey: a line per step ("[reboot] rebooting
 * the ECU into OpenBLT") and the byte phases (erase, write, verify, read)
 * as bars or plain lines (tool_progress.c); --json prints one object at
 * the end instead of the step lines.
 */
#include "tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ROUTE = 256,
	OPT_PORT,
	OPT_SERIAL,
	OPT_FORCE,
	OPT_NO_SMART,
	OPT_WAIT,
	OPT_TO,
	OPT_HELP,
	OPT_JSON,
};

static const struct option long_opts[] = {
	{ "route", required_argument, NULL, OPT_ROUTE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "no-smart", no_argument, NULL, OPT_NO_SMART },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "to", required_argument, NULL, OPT_TO },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

static const char update_help[] =
	"usage: dfuflash update BUNDLE.zip|FILE [OPTIONS]\n"
	"Updates a FOME ECU: finds it (running, in OpenBLT or in the DFU bootloader),\n"
	"checks the bundle is for its board, reboots it into a bootloader, backs up the\n"
	"tune, writes and verifies the firmware (only the sectors it touches are erased;\n"
	"never the tune), checks the tune is unchanged, starts the firmware and waits\n"
	"for its new signature.\n\n"
	"  --route R     auto (OpenBLT when the ECU has it, else DFU), dfu or openblt\n"
	"  --port PORT   the ECU's serial port, when it is not found by its USB ids\n"
	"  --serial SN   which ECU, when several are plugged in\n"
	"  --force       accept a bundle made for another board\n"
	"  --no-smart    erase and write every sector the image touches\n"
	"  --wait S      how long to wait for an ECU to appear (default 60)\n"
	"  --json        one JSON object on stdout\n\n"
	"Exit: 0 updated and running; 3 no ECU; 4 bad file or image CRC; 5 the device\n"
	"failed; 6 verify failed; 8 refused (another board, image outside the route);\n"
	"9 written and verified but the firmware did not come back; 130 interrupted.\n";

static const char tune_help[] =
	"usage: dfuflash tune backup [OPTIONS]\n"
	"       dfuflash tune restore FILE [OPTIONS]\n"
	"       dfuflash tune list\n"
	"backup reads the ECU's tune (its configuration sectors) into a new file in\n"
	"the state directory's tunes/; restore writes a backup back (only into the\n"
	"tune's sectors, after backing up what is there); list shows the backups,\n"
	"newest first. backup and restore reach a bootloader and start the firmware\n"
	"again as update does. Options: --route, --port, --serial, --wait, --json.\n";

static const char reboot_help[] =
	"usage: dfuflash reboot --to dfu|openblt [--port PORT] [--serial SN]\n"
	"Tells the running ECU to reboot into the ROM DFU bootloader or into OpenBLT,\n"
	"and waits until that bootloader is there.\n";

struct parsed {
	struct dfu_update_opts uo;
	enum dfu_route to;
	const char *args[2];
	int nargs;
};

static int parse_route(const char *s, enum dfu_route *out)
{
	if (!strcmp(s, "auto"))
		*out = DFU_ROUTE_AUTO;
	else if (!strcmp(s, "dfu"))
		*out = DFU_ROUTE_DFU;
	else if (!strcmp(s, "openblt"))
		*out = DFU_ROUTE_OPENBLT;
	else
		return -1;
	return 0;
}

/* Parses the journeys' options; TOOL_USAGE after a message, TOOL_HELP
 * after the help. */
static int parse(int argc, char **argv, const char *help, struct parsed *p)
{
	uint32_t secs;
	int c;

	memset(p, 0, sizeof(*p));
	/* 0: GNU getopt starts afresh and takes options after the bundle or
	 * file too (`update fome_bundle_x.zip --json`), as the other commands
	 * do. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vq", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROUTE:
			if (parse_route(optarg, &p->uo.route)) {
				tool_error("--route takes auto, dfu or openblt, not \"%s\"", optarg);
				return TOOL_USAGE;
			}
			break;
		case OPT_TO:
			if (parse_route(optarg, &p->to) || p->to == DFU_ROUTE_AUTO) {
				tool_error("--to takes dfu or openblt, not \"%s\"", optarg);
				return TOOL_USAGE;
			}
			break;
		case OPT_PORT:
			p->uo.port = optarg;
			break;
		case OPT_SERIAL:
			p->uo.serial = optarg;
			break;
		case OPT_FORCE:
			p->uo.force = true;
			break;
		case OPT_NO_SMART:
			p->uo.no_smart = true;
			break;
		case OPT_WAIT:
			if (!tool_parse_u32(optarg, &secs) || secs > 86400) {
				tool_error("--wait takes seconds (0-86400), not \"%s\"", optarg);
				return TOOL_USAGE;
			}
			p->uo.find_timeout_ms = secs ? secs * 1000u : 1u;
			break;
		case OPT_HELP:
			fputs(help, stdout);
			return TOOL_HELP;
		case OPT_JSON:
			tool_globals.json = true;
			break;
		case 'v':
			tool_globals.verbosity++;
			break;
		case 'q':
			tool_globals.verbosity = -1;
			break;
		default:
			tool_error("unknown option %s; see --help", argv[optind - 1]);
			return TOOL_USAGE;
		}
	}
	while (optind < argc && p->nargs < 2)
		p->args[p->nargs++] = argv[optind++];
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"; see --help", argv[optind]);
		return TOOL_USAGE;
	}
	return 0;
}

/* Step lines on stderr (not with --json or -q). */
static void on_step(void *user, enum dfu_step step, const char *text)
{
	struct tool_progress *tp = user;

	if (tool_globals.json || tool_globals.verbosity < 0)
		return;
	tool_progress_end(tp);
	fprintf(stderr, "[%s] %s\n", dfu_step_name(step), text);
	tool_progress_init(tp);
}

static int on_cancel(void *user)
{
	(void)user;
	return tool_interrupted() != 0;
}

static void wire(struct parsed *p, struct tool_progress *tp)
{
	tool_progress_init(tp);
	p->uo.progress = tool_progress_cb;
	p->uo.progress_user = tp;
	p->uo.step = on_step;
	p->uo.step_user = tp;
	p->uo.cancel = on_cancel;
}

/* The result: text lines, or one JSON object. */
static void print_result(const char *what, int err, const struct dfu_update_result *r)
{
	if (tool_globals.json) {
		printf("{\"found_as\":\"%s\",\"route\":\"%s\",\"serial\":",
		       dfu_ecu_state_name(r->found_as), dfu_route_name(r->route));
		tool_json_string(stdout, r->serial);
		printf(",\"board\":");
		tool_json_string(stdout, r->board);
		printf(",\"chip\":");
		tool_json_string(stdout, r->chip);
		printf(",\"old_signature\":");
		tool_json_string(stdout, r->old_signature);
		printf(",\"new_signature\":");
		tool_json_string(stdout, r->new_signature);
		printf(",\"backup\":");
		tool_json_string(stdout, r->backup_path);
		printf(",\"tune_address\":%u,\"tune_size\":%u,\"tune_kept\":%s,\"started\":%s,"
		       "\"bytes_written\":%llu,\"bytes_verified\":%llu,\"sectors_erased\":%u,"
		       "\"sectors_skipped\":%u,\"verified\":%s",
		       (unsigned)r->tune_address, (unsigned)r->tune_size,
		       r->tune_kept ? "true" : "false", r->started ? "true" : "false",
		       (unsigned long long)r->flash.bytes_written,
		       (unsigned long long)r->flash.bytes_verified, r->flash.sectors_erased,
		       r->flash.sectors_skipped, r->flash.verified ? "true" : "false");
		printf("}\n");
		return;
	}
	if (err || tool_globals.verbosity < 0)
		return;
	if (!strcmp(what, "update"))
		printf("updated %s (serial %s) through %s: %llu bytes written and verified, "
		       "%u sectors erased, %u already held the image\n",
		       r->board[0] ? r->board : "the ECU", r->serial,
		       r->route == DFU_ROUTE_OPENBLT ? "OpenBLT" : "the DFU bootloader",
		       (unsigned long long)r->flash.bytes_written, r->flash.sectors_erased,
		       r->flash.sectors_skipped);
	if (r->backup_path[0])
		printf("tune backup: %s\n", r->backup_path);
	if (r->tune_kept)
		printf("tune: unchanged (0x%08X, %u bytes)\n", (unsigned)r->tune_address,
		       (unsigned)r->tune_size);
	if (r->new_signature[0])
		printf("running: %s\n", r->new_signature);
}

/* `dfuflash update`. */
int tool_update(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_fome_bundle *bundle = NULL;
	struct dfu_update_result res;
	struct tool_progress tp;
	struct parsed p;
	int err;

	err = parse(argc, argv, update_help, &p);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (p.nargs != 1) {
		tool_error("update needs one bundle (fome_bundle_BOARD.zip) or firmware file");
		return TOOL_USAGE;
	}
	/* The whole bundle is read and every image's CRC checked before the
	 * ECU is touched. */
	err = dfu_fome_bundle_read(ctx, p.args[0], &bundle);
	if (err)
		return err;
	wire(&p, &tp);
	memset(&res, 0, sizeof(res));
	err = dfu_update(ctx, bundle, &p.uo, &res);
	tool_progress_end(&tp);
	print_result("update", err, &res);
	dfu_fome_bundle_free(bundle);
	return err;
}

/* `dfuflash tune`. */
int tool_tune(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_update_result res;
	struct tool_progress tp;
	struct parsed p;
	char **paths = NULL;
	size_t n = 0, i;
	int err;

	err = parse(argc, argv, tune_help, &p);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (p.nargs < 1) {
		tool_error("tune needs backup, restore FILE or list; see --help");
		return TOOL_USAGE;
	}
	if (!strcmp(p.args[0], "list")) {
		err = dfu_tune_list(ctx, &paths, &n);
		if (err)
			return err;
		if (tool_globals.json) {
			printf("{\"backups\":[");
			for (i = 0; i < n; i++) {
				if (i)
					putchar(',');
				tool_json_string(stdout, paths[i]);
			}
			printf("]}\n");
		} else if (!n) {
			char dir[600];

			dfu_tune_dir(ctx, dir, sizeof(dir));
			printf("no tune backups in %s\n", dir);
		}
		for (i = 0; !tool_globals.json && i < n; i++)
			printf("%s\n", paths[i]);
		dfu_tune_list_free(paths, n);
		return DFU_OK;
	}
	wire(&p, &tp);
	memset(&res, 0, sizeof(res));
	if (!strcmp(p.args[0], "backup") && p.nargs == 1) {
		err = dfu_tune_backup(ctx, &p.uo, &res);
	} else if (!strcmp(p.args[0], "restore") && p.nargs == 2) {
		err = dfu_tune_restore(ctx, p.args[1], &p.uo, &res);
	} else {
		tool_progress_end(&tp);
		tool_error("tune takes backup, restore FILE or list, not \"%s\"%s", p.args[0],
			   !strcmp(p.args[0], "restore") ? " without a file" : "");
		return TOOL_USAGE;
	}
	tool_progress_end(&tp);
	print_result(!strcmp(p.args[0], "backup") ? "tune backup" : "tune restore", err, &res);
	return err;
}

/* `dfuflash reboot`. */
int tool_reboot(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_update_result res;
	struct tool_progress tp;
	struct parsed p;
	int err;

	err = parse(argc, argv, reboot_help, &p);
	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (p.to == DFU_ROUTE_AUTO || p.nargs) {
		tool_error("reboot needs --to dfu or --to openblt");
		return TOOL_USAGE;
	}
	wire(&p, &tp);
	err = dfu_ecu_reboot(ctx, p.to, &p.uo, &res);
	tool_progress_end(&tp);
	if (err)
		return err;
	if (tool_globals.json)
		printf("{\"to\":\"%s\"}\n", dfu_route_name(p.to));
	else if (tool_globals.verbosity >= 0)
		printf("the ECU is in %s\n", p.to == DFU_ROUTE_OPENBLT ? "OpenBLT" :
		       "the ROM DFU bootloader");
	return DFU_OK;
}
