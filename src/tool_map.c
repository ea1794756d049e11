/*
 * tool_map.c - the flash map: one row per sector of the chip's true map
 * with what a plan does to it (flash --dry-run, erase --dry-run) or what
 * it holds now (info --map), write protection from the option bytes and
 * FOME's tune regions (knowledge/fome.c). Coloured on a terminal; plain on a
 * pipe or with NO_COLOR set (https://no-color.org).
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the map says about one sector. */
struct row {
	struct dfu_sector sector;
	enum dfu_sector_action action;  /* plans */
	uint32_t image_bytes;           /* plans: bytes of the image (erase: made blank) */
	int blank;                      /* chip: 1 blank, 0 used, -1 not readable */
	bool tune;
	int wrp_bit;                    /* the nWRP bit that protects it, or -1 */
};

/* SGR colours of the words. */
#define C_WRITE "32"      /* green */
#define C_MERGE "33"      /* yellow */
#define C_ERASE "31"      /* red */
#define C_PROTECTED "35"  /* magenta */
#define C_TUNE "36"       /* cyan */
#define C_QUIET "2"       /* dim */

/* Colour on stdout: a terminal, and NO_COLOR unset or empty. */
static bool use_colour(void)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no && *no)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(STDOUT_FILENO);
}

/* The word of a row, padded to 10 when more follows, coloured when
 * colour. */
static void word(bool colour, const char *sgr, const char *w, bool more)
{
	if (colour)
		printf("\033[%sm%s\033[0m", sgr, w);
	else
		printf("%s", w);
	if (more)
		printf("%*s", 10 - (int)strlen(w), "");
}

/* Whether the chip's map is a dual-bank one (an F7 in dual-bank mode: its
 * true map numbers bank 2 from 12). */
static bool dual_bank(const char *chip, const struct row *rows, size_t n)
{
	size_t i;

	if (strncmp(chip, "STM32F7", 7))
		return false;
	for (i = 0; i < n; i++)
		if (rows[i].sector.number >= 12)
			return true;
	return false;
}

/* FOME's tune on this chip (knowledge/fome.c), as first and last byte. */
struct tune_region {
	uint32_t first, last;
};

static const struct tune_region *tune_region(const struct dfu_chip_info *chip, bool dual,
					     struct tune_region *out)
{
	uint32_t start, end;

	if (dfu_fome_tune(chip, dual, &start, &end))
		return NULL;
	out->first = start;
	out->last = end - 1;
	return out;
}

/* Reads the sectors of rows and says which are blank (info --map), in
 * runs of contiguous readable sectors, with one progress bar. */
static int read_blank(struct dfu_dev *dev, struct row *rows, size_t n)
{
	struct tool_progress tp;
	size_t i = 0, j, k;
	int err = DFU_OK;

	tool_progress_init(&tp);
	while (i < n && !err) {
		uint64_t len = 0;
		uint8_t *buf;

		if (!(rows[i].sector.flags & DFU_SECTOR_READABLE)) {
			rows[i++].blank = -1;
			continue;
		}
		for (j = i; j < n && (rows[j].sector.flags & DFU_SECTOR_READABLE) &&
			    (j == i || rows[j].sector.address ==
					       rows[j - 1].sector.address + rows[j - 1].sector.size);
		     j++)
			len += rows[j].sector.size;
		buf = malloc(len ? (size_t)len : 1);
		if (!buf)
			return DFU_ERR_NO_MEM;
		err = dfu_read(dev, rows[i].sector.address, buf, (size_t)len, tool_progress_cb,
			       &tp);
		tool_progress_end(&tp);
		for (k = i; !err && k < j; k++) {
			const uint8_t *p = buf + (rows[k].sector.address - rows[i].sector.address);
			uint32_t b;

			rows[k].blank = 1;
			for (b = 0; b < rows[k].sector.size; b++)
				if (p[b] != 0xFF) {
					rows[k].blank = 0;
					break;
				}
		}
		free(buf);
		i = j;
	}
	return err;
}

/* "16 KiB", "512 B". */
static void size_text(char *buf, size_t cap, uint32_t size)
{
	if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, cap, "%u KiB", (unsigned)(size / 1024));
	else
		snprintf(buf, cap, "%u B", (unsigned)size);
}

/* What happens to a sector in a plan: the word, its colour, the detail. */
static void plan_words(enum tool_map_kind kind, bool mass, const struct row *r, const char **w,
		       const char **sgr, char *detail, size_t cap)
{
	uint32_t other = r->sector.size - r->image_bytes;

	detail[0] = '\0';
	switch (r->action) {
	case DFU_ACTION_WRITE:
		*w = kind == TOOL_MAP_ERASE ? "erase" : "write";
		*sgr = kind == TOOL_MAP_ERASE ? C_ERASE : C_WRITE;
		if (kind == TOOL_MAP_ERASE)
			snprintf(detail, cap, "made blank");
		else
			snprintf(detail, cap, "%u bytes of the image", (unsigned)r->image_bytes);
		break;
	case DFU_ACTION_MERGE:
		*w = "merge";
		*sgr = C_MERGE;
		if (!r->image_bytes)
			snprintf(detail, cap, "kept: read, %s, written back",
				 mass ? "mass erased" : "erased");
		else if (kind == TOOL_MAP_ERASE)
			snprintf(detail, cap, "%u bytes made blank, the other %u kept (read, "
				 "erased, written back)", (unsigned)r->image_bytes, (unsigned)other);
		else
			snprintf(detail, cap, "%u bytes of the image, the other %u kept (read, "
				 "erased, written back)", (unsigned)r->image_bytes, (unsigned)other);
		break;
	case DFU_ACTION_ERASE:
		*w = "erase";
		*sgr = C_ERASE;
		snprintf(detail, cap, "wiped by the mass erase");
		break;
	case DFU_ACTION_NONE:
	default:
		if (r->wrp_bit >= 0) {
			*w = "protected";
			*sgr = C_PROTECTED;
		} else if (r->tune) {
			*w = "tune";
			*sgr = C_TUNE;
		} else {
			*w = "untouched";
			*sgr = C_QUIET;
		}
		break;
	}
}

/* Appends the tune and protection notes of a row to detail. */
static void notes(const struct row *r, enum tool_map_kind kind, char *detail, size_t cap)
{
	bool touched = kind != TOOL_MAP_CHIP && r->action != DFU_ACTION_NONE;
	const char *state = kind == TOOL_MAP_CHIP ? "" : ", untouched";
	size_t n = strlen(detail);

	if (r->tune && n < cap)
		n += (size_t)snprintf(detail + n, cap - n, "%sFOME tune region%s", n ? "; " : "",
				      !touched ? state :
				      kind == TOOL_MAP_ERASE && r->image_bytes ? ": ERASED" :
				      r->image_bytes ? ": the image writes into it" : ", kept");
	if (r->wrp_bit >= 0 && n < cap)
		snprintf(detail + n, cap - n, "%swrite-protected (option bytes nWRP bit %d is 0)%s",
			 n ? "; " : "", r->wrp_bit, touched ? "" : state);
}

/* The rows as JSON fields: ,"plan":{...} or ,"flash_map":[...]. */
static void print_json(enum tool_map_kind kind, bool mass, const char *chip,
		       const struct tune_region *tune, const struct row *rows, size_t n)
{
	size_t i;

	if (kind == TOOL_MAP_CHIP) {
		printf(",\"flash_map\":[");
	} else {
		printf(",\"plan\":{\"chip\":");
		tool_json_string(stdout, chip);
		printf(",\"mass_erase\":%s,\"sectors\":[", mass ? "true" : "false");
	}
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%s{\"sector\":%u,\"address\":%u,\"size\":%u", i ? "," : "",
		       r->sector.number, (unsigned)r->sector.address, (unsigned)r->sector.size);
		if (kind == TOOL_MAP_CHIP) {
			if (r->blank < 0)
				printf(",\"blank\":null");
			else
				printf(",\"blank\":%s", r->blank ? "true" : "false");
		} else {
			const char *w, *sgr;
			char detail[8];

			plan_words(kind, mass, r, &w, &sgr, detail, sizeof(detail));
			printf(",\"action\":\"%s\",\"image_bytes\":%u", w, (unsigned)r->image_bytes);
		}
		printf(",\"tune\":%s,\"protected\":%s}", r->tune ? "true" : "false",
		       r->wrp_bit >= 0 ? "true" : "false");
	}
	printf("]");
	if (kind != TOOL_MAP_CHIP)
		printf("}");
	if (tune)
		printf(",\"tune_region\":{\"first\":%u,\"last\":%u}", (unsigned)tune->first,
		       (unsigned)tune->last);
	else
		printf(",\"tune_region\":null");
}

/* See tool.h. */
int tool_print_map(struct dfu_dev *dev, enum tool_map_kind kind, const struct dfu_plan *plan,
		   const char *title, bool json)
{
	const struct dfu_alt_info *alt = dfu_dev_alt(dev);
	const struct tune_region *tune;
	struct tune_region tune_at;
	struct dfu_layout *lay = NULL;
	struct dfu_option_bytes ob;
	struct dfu_chip_info chip;
	struct dfu_dev_info d;
	struct row *rows;
	uint64_t flash_size = 0;
	unsigned counts[5] = { 0 }, tunes = 0, protects = 0, blanks = 0, used = 0;
	bool colour = !json && use_colour(), mass = dfu_plan_mass_erase(plan), dual, have_ob;
	size_t i, n;
	int err = DFU_OK;

	dfu_dev_info(dev, &d);
	dfu_chip_identify(d.id_product, d.bcd_device, alt ? alt->layout : NULL, &chip);
	if (kind == TOOL_MAP_CHIP) {
		err = dfu_dev_true_layout(dev, &lay);
		if (err)
			return err;
		n = lay->count;
	} else {
		n = dfu_plan_count(plan);
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		dfu_layout_free(lay);
		return DFU_ERR_NO_MEM;
	}
	for (i = 0; i < n; i++) {
		if (lay) {
			rows[i].sector = lay->sectors[i];
		} else {
			const struct dfu_plan_entry *e = dfu_plan_entry(plan, i);

			rows[i].sector = e->sector;
			rows[i].action = e->action;
			rows[i].image_bytes = e->image_bytes;
		}
		rows[i].wrp_bit = -1;
		flash_size += rows[i].sector.size;
	}
	dfu_layout_free(lay);
	dual = dual_bank(chip.name, rows, n);
	chip.flash_size = flash_size > UINT32_MAX ? UINT32_MAX : (uint32_t)flash_size;
	tune = tune_region(&chip, dual, &tune_at);
	/* Write protection: from the option bytes, when they can be read
	 * (the selected alt stays selected). */
	have_ob = dfu_ob_read(dev, &ob) == DFU_OK;
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		uint64_t end = (uint64_t)r->sector.address + r->sector.size;

		r->tune = tune && r->sector.address <= tune->last && end > tune->first;
		if (have_ob)
			r->wrp_bit = dfu_ob_wrp_bit(&ob, &r->sector, dual);
	}
	if (kind == TOOL_MAP_CHIP)
		err = read_blank(dev, rows, n);
	if (err) {
		free(rows);
		return err;
	}
	if (json) {
		print_json(kind, mass, chip.name, tune, rows, n);
		free(rows);
		return DFU_OK;
	}
	printf("%s\n", title);
	printf("  %s, %llu KiB, %s%s%s\n", chip.name, (unsigned long long)(flash_size / 1024),
	       dual ? "dual bank" : "single bank",
	       have_ob ? "" : ", write protection unknown (option bytes not read)",
	       mass ? "; MASS ERASE first" : "");
	printf("  sector  address      size     %s\n",
	       kind == TOOL_MAP_CHIP ? "holds" : "what happens");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const char *w, *sgr;
		char detail[200], size[16];

		size_text(size, sizeof(size), r->sector.size);
		printf("  %6u  0x%08X  %8s  ", r->sector.number, (unsigned)r->sector.address, size);
		if (kind == TOOL_MAP_CHIP) {
			w = r->blank > 0 ? "blank" : r->blank == 0 ? "used" : "unreadable";
			sgr = r->blank > 0 ? C_QUIET : "1";
			detail[0] = '\0';
			if (r->blank > 0)
				blanks++;
			else if (!r->blank)
				used++;
		} else {
			plan_words(kind, mass, r, &w, &sgr, detail, sizeof(detail));
			counts[r->action < 4 ? r->action : 4]++;
		}
		notes(r, kind, detail, sizeof(detail));
		tunes += r->tune;
		protects += r->wrp_bit >= 0;
		word(colour, sgr, w, detail[0] != '\0');
		if (detail[0])
			printf("  %s", detail);
		printf("\n");
	}
	if (kind == TOOL_MAP_FLASH)
		printf("  %u to write, %u to merge, %u erased only, %u untouched", counts[1],
		       counts[2], counts[3], counts[0]);
	else if (kind == TOOL_MAP_ERASE)
		printf("  %u to erase, %u to merge (partly kept), %u untouched",
		       counts[1] + counts[3], counts[2], counts[0]);
	else
		printf("  %u blank, %u used", blanks, used);
	if (tune)
		printf("; FOME tune region 0x%08X-0x%08X (%u sector%s)", (unsigned)tune->first,
		       (unsigned)tune->last, tunes, tunes == 1 ? "" : "s");
	printf("; %u write-protected\n", protects);
	free(rows);
	return DFU_OK;
}
