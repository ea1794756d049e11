/*
 * tool_recover.c - `dfuflash recover`: the recovery journals an
 * interrupted job left (docs/dfuflash.md, "Recovery journal"). Without
 * options it lists them; --finish writes back and verifies the journal of
 * the device in DFU mode (any other command on that device does the same
 * first); --discard JOURNAL --force deletes one the user gave up on.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>

/* Prints the journals in the state directory. */
static int list_journals(struct dfu_ctx *ctx)
{
	struct dfu_journal_info *list = NULL;
	size_t n = 0, i;
	int err = dfu_journal_list(ctx, &list, &n);

	if (err)
		return err;
	if (tool_globals.json) {
		printf("{\"state_dir\":");
		tool_json_string(stdout, dfu_ctx_state_dir(ctx));
		printf(",\"journals\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"path\":", i ? "," : "");
			tool_json_string(stdout, list[i].path);
			printf(",\"valid\":%s", list[i].valid ? "true" : "false");
			if (list[i].valid) {
				printf(",\"ids\":\"%04x:%04x\",\"serial\":", list[i].id_vendor,
				       list[i].id_product);
				tool_json_string(stdout, list[i].serial);
				printf(",\"chip\":");
				tool_json_string(stdout, list[i].chip);
				printf(",\"job\":");
				tool_json_string(stdout, list[i].what);
				printf(",\"created\":");
				tool_json_string(stdout, list[i].created);
				printf(",\"bytes\":%llu,\"mass_erase\":%s",
				       (unsigned long long)list[i].bytes,
				       list[i].mass_erase ? "true" : "false");
			} else {
				printf(",\"problem\":");
				tool_json_string(stdout, list[i].problem);
			}
			printf("}");
		}
		printf("]}\n");
	} else if (!n) {
		printf("no interrupted jobs (journals in %s)\n", dfu_ctx_state_dir(ctx));
	} else {
		for (i = 0; i < n; i++) {
			const struct dfu_journal_info *j = &list[i];

			printf("%s\n", j->path);
			if (!j->valid) {
				printf("  unreadable: %s\n", j->problem);
				continue;
			}
			printf("  device %04x:%04x %s serial %s, %s mode\n", j->id_vendor,
			       j->id_product, j->chip, j->serial[0] ? j->serial : "(none)",
			       j->dual_bank ? "dual-bank" : "single-bank");
			printf("  job \"%s\" interrupted, started %s; holds %llu bytes%s\n", j->what,
			       j->created, (unsigned long long)j->bytes,
			       j->mass_erase ? " (the whole flash)" : "");
		}
		printf("Put that device in DFU mode and run 'dfuflash recover --finish' (any "
		       "dfuflash command on it finishes the job first).\n");
	}
	free(list);
	return DFU_OK;
}

/* `dfuflash recover [--finish | --discard JOURNAL --force]`. */
int tool_recover(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct tool_progress tp;
	struct dfu_dev *dev = NULL;
	struct options o;
	bool finished = false;
	int err = tool_parse_options(TOOL_CMD_RECOVER, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if (o.file || (o.finish && o.discard)) {
		tool_error("recover: give --finish, or --discard JOURNAL --force, or nothing to "
			   "list the journals");
		return TOOL_USAGE;
	}
	if (o.discard) {
		if (!o.force) {
			tool_error("recover: --discard deletes the bytes the interrupted job kept "
				   "(your tune may be among them); add --force to do it");
			return TOOL_USAGE;
		}
		err = dfu_journal_discard(ctx, o.discard);
		if (!err && !tool_globals.json && tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: deleted %s\n", o.discard);
		if (!err && tool_globals.json)
			printf("{\"discarded\":true}\n");
		return err;
	}
	if (!o.finish)
		return list_journals(ctx);
	tool_setup_log(ctx);
	tool_progress_init(&tp);
	err = tool_open_device(ctx, &o, &dev);
	if (!err)
		err = dfu_dev_recover(dev, tool_progress_cb, &tp, &finished);
	tool_progress_end(&tp);
	if (!err && tool_globals.json)
		printf("{\"finished\":%s}\n", finished ? "true" : "false");
	else if (!err && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: %s\n", finished ?
			"the interrupted job is finished: written back and verified" :
			"this device has no interrupted job");
	dfu_dev_close(dev);
	return err;
}
