/*
 * tool_erase.c - `dfuflash erase` (an engine job like flash: exactly what
 * is named becomes blank, every other byte stays) and `dfuflash leave`.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "N" or "N-M". */
static bool parse_sectors(const char *s, unsigned *first, unsigned *last)
{
	char buf[32], *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!tool_parse_u32(buf, &a))
		return false;
	b = a;
	if (dash && !tool_parse_u32(dash + 1, &b))
		return false;
	*first = a;
	*last = b;
	return true;
}

/* Parses "ADDR:LEN". */
static bool parse_range(const char *s, uint32_t *address, uint32_t *len)
{
	char buf[64], *colon;

	if (strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	colon = strchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	return tool_parse_u32(buf, address) && tool_parse_u32(colon + 1, len);
}

/* Opens the device and selects the alt the options name. The engine
 * brings it to dfuIDLE (reporting a dfuERROR it held through the log). */
static int open_alt(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	int err;

	err = tool_open_device(ctx, o, &dev);
	if (!err && o->alt)
		err = dfu_dev_select_alt(dev, o->alt);
	if (err) {
		dfu_dev_close(dev);
		return err;
	}
	*out = dev;
	return DFU_OK;
}

/* What an erase job was asked for, from its plan: the sectors it makes
 * (partly) blank as "2, 3, 12-13", the bytes made blank, and the other
 * bytes of those sectors it keeps. */
struct erase_summary {
	char list[256];
	unsigned sectors;
	uint64_t blank;     /* bytes that read 0xFF afterwards by request */
	uint64_t kept;      /* other bytes of the same sectors, written back */
};

/* Whether plan entry i is one the request names (not one a mass erase
 * merely rewrites). */
static bool asked(const struct dfu_plan *plan, size_t i)
{
	const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

	return e && e->image_bytes > 0;
}

static void summarize(const struct dfu_plan *plan, struct erase_summary *sum)
{
	size_t i, n = dfu_plan_count(plan), used = 0;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		const struct dfu_plan_entry *e;
		unsigned first;
		int w;

		if (!asked(plan, i))
			continue;
		first = dfu_plan_entry(plan, i)->sector.number;
		for (;;) {
			e = dfu_plan_entry(plan, i);
			sum->sectors++;
			sum->blank += e->image_bytes;
			sum->kept += e->sector.size - e->image_bytes;
			if (!asked(plan, i + 1) ||
			    dfu_plan_entry(plan, i + 1)->sector.number != e->sector.number + 1)
				break;
			i++;
		}
		if (used + 1 >= sizeof(sum->list))
			continue;
		if (first == e->sector.number)
			w = snprintf(sum->list + used, sizeof(sum->list) - used, "%s%u",
				     used ? ", " : "", first);
		else
			w = snprintf(sum->list + used, sizeof(sum->list) - used, "%s%u-%u",
				     used ? ", " : "", first, e->sector.number);
		if (w > 0)
			used = used + (size_t)w < sizeof(sum->list) ? used + (size_t)w :
								     sizeof(sum->list) - 1;
	}
}

/* See tool.h: "2, 3, 12-13", the sectors the request names. */
void tool_erased_list(const struct dfu_plan *plan, char *buf, size_t cap)
{
	struct erase_summary sum;

	summarize(plan, &sum);
	snprintf(buf, cap, "%s", sum.list);
}

/* See tool.h. The plan is made first (nothing changes), so what is printed
 * afterwards names the real sectors of the chip's true map. */
int tool_run_erase(struct dfu_ctx *ctx, struct dfu_dev *dev, const struct dfu_erase_spec *spec)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_erase_spec s = *spec;
	struct dfu_plan *plan = NULL;
	struct erase_summary sum;
	struct tool_progress tp;
	bool by_mass, mass;

	/* sectors: the ones asked for; sectors_erased/bytes_erased: what the
	 * device erased (all of it, by a mass erase, where the ROM cannot
	 * erase a sector alone); bytes_blank: what was asked to read 0xFF;
	 * bytes_kept: the other bytes of the sectors asked for. */
	int err;

	(void)ctx;
	tool_progress_init(&tp);
	s.progress = tool_progress_cb;
	s.progress_user = &tp;
	err = dfu_erase_plan(dev, &s, &plan);
	if (err)
		return err;
	summarize(plan, &sum);
	/* The ROM cannot erase some of these sectors alone (bank 2 of a
	 * dual-bank F76x): the engine mass erases and writes the rest back. */
	mass = dfu_plan_mass_erase(plan);
	by_mass = mass && !spec->mass;
	dfu_plan_free(plan);
	err = dfu_erase(dev, &s, &res);
	tool_progress_end(&tp);
	if (err)
		return err;
	if (tool_globals.json) {
		printf("{\"erased\":true,\"sectors\":");
		tool_json_string(stdout, sum.list);
		printf(",\"sectors_erased\":%u,\"bytes_erased\":%llu,\"bytes_blank\":%llu,"
		       "\"bytes_kept\":%llu,\"mass_erase\":%s,\"verified\":%s}\n",
		       res.sectors_erased, (unsigned long long)res.bytes_erased,
		       (unsigned long long)sum.blank, (unsigned long long)sum.kept,
		       mass ? "true" : "false", res.verified ? "true" : "false");
	} else if (tool_globals.verbosity >= 0) {
		fprintf(stderr, "dfuflash: erased sector%s %s (%.1f KiB made blank)",
			sum.sectors == 1 ? "" : "s", sum.list, (double)sum.blank / 1024.0);
		if (sum.kept)
			fprintf(stderr, ", keeping and writing back the other %llu bytes of %s",
				(unsigned long long)sum.kept, sum.sectors == 1 ? "it" : "them");
		if (by_mass)
			fprintf(stderr, "; the ROM cannot erase %s alone (dual-bank mode), so "
				"the whole flash was saved, mass erased and written back",
				sum.sectors == 1 ? "it" : "them");
		fprintf(stderr, "%s\n", res.verified ? "; read back blank" : "");
	}
	return DFU_OK;
}

/* erase --dry-run: the erase plan as a flash map, nothing changed. */
static int erase_dry_run(struct dfu_dev *dev, const struct dfu_erase_spec *spec, int argc,
			 char **argv)
{
	struct dfu_plan *plan = NULL;
	char title[512];
	size_t used;
	int err, i;

	err = dfu_erase_plan(dev, spec, &plan);
	if (err)
		return err;
	if (tool_globals.json) {
		printf("{\"dry_run\":true");
		err = tool_print_map(dev, TOOL_MAP_ERASE, plan, NULL, true);
		printf("}\n");
	} else {
		/* The title repeats what was asked: "erase --sector 3 --range ...". */
		used = (size_t)snprintf(title, sizeof(title), "flash map: what 'erase");
		for (i = 1; i < argc && used < sizeof(title); i++)
			if (strcmp(argv[i], "--dry-run") && strcmp(argv[i], "-n"))
				used += (size_t)snprintf(title + used, sizeof(title) - used, " %s",
							 argv[i]);
		if (used < sizeof(title))
			snprintf(title + used, sizeof(title) - used, "' would do");
		err = tool_print_map(dev, TOOL_MAP_ERASE, plan, title, false);
		if (!err)
			printf("dry run: nothing was changed\n");
	}
	dfu_plan_free(plan);
	return err;
}

/* `dfuflash erase (--mass | --sector N[-M]... | --range A:LEN...)`. */
int tool_erase(struct dfu_ctx *ctx, int argc, char **argv)
{
	unsigned first[TOOL_MAX_LIST], last[TOOL_MAX_LIST];
	uint32_t address[TOOL_MAX_LIST], len[TOOL_MAX_LIST];
	struct dfu_erase_spec spec;
	struct dfu_dev *dev = NULL;
	struct options o;
	size_t i;
	int err = tool_parse_options(TOOL_CMD_ERASE, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	if ((!o.mass_erase && !o.nsectors && !o.nranges) || o.file ||
	    (o.mass_erase && (o.nsectors || o.nranges))) {
		tool_error("erase: say what to erase: --mass, or --sector N[-M] and --range "
			   "A:LEN (each as often as you like)");
		return TOOL_USAGE;
	}
	memset(&spec, 0, sizeof(spec));
	for (i = 0; i < o.nsectors; i++)
		if (!parse_sectors(o.sectors[i], &first[i], &last[i])) {
			tool_error("erase: bad sector range '%s' (want N or N-M)", o.sectors[i]);
			return TOOL_USAGE;
		}
	for (i = 0; i < o.nranges; i++)
		if (!parse_range(o.ranges[i], &address[i], &len[i])) {
			tool_error("erase: bad range '%s' (want ADDRESS:LENGTH)", o.ranges[i]);
			return TOOL_USAGE;
		}
	spec.mass = o.mass_erase;
	spec.sector_count = o.nsectors;
	spec.sector_first = first;
	spec.sector_last = last;
	spec.range_count = o.nranges;
	spec.range_address = address;
	spec.range_len = len;
	spec.no_verify = o.no_verify;
	tool_setup_log(ctx);
	if (o.all) {
		struct tool_all_job job = { .kind = TOOL_ALL_ERASE, .o = &o, .erase = &spec };

		return tool_all_run(ctx, &job);
	}
	err = open_alt(ctx, &o, &dev);
	if (err)
		return err;
	if (o.dry_run)
		err = erase_dry_run(dev, &spec, argc, argv);
	else
		err = tool_run_erase(ctx, dev, &spec);
	dfu_dev_close(dev);
	return err;
}

/* `dfuflash leave [--address A]`. */
int tool_leave(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_dev *dev = NULL;
	struct options o;
	int err = tool_parse_options(TOOL_CMD_LEAVE, argc, argv, &o);

	if (err)
		return err == TOOL_HELP ? DFU_OK : err;
	tool_setup_log(ctx);
	err = open_alt(ctx, &o, &dev);
	if (!err)
		err = dfu_make_idle(dev, NULL);
	if (err) {
		dfu_dev_close(dev);
		return err;
	}
	err = dfu_leave(dev, o.has_address, o.address, 3000, &res);
	if (!err && tool_globals.json)
		printf("{\"left\":true,\"gone\":%s}\n", res.gone ? "true" : "false");
	else if (!err && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: left DFU mode: %s\n",
			res.gone ? "the device is starting its firmware" :
				   "the device is still on the bus (reset it by hand)");
	dfu_dev_close(dev);
	return err;
}
