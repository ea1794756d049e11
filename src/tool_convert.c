/*
 * tool_convert.c - `dfuflash convert IN OUT`: any firmware format to any
 * other (what dfuse-pack, dfu-suffix and srec_cat do, in one command).
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define ST_VID 0x0483      /* STMicroelectronics */
#define ST_DFU_PID 0xDF11  /* the STM32 ROM bootloader in DFU mode */

static const char convert_usage[] =
	"usage: dfuflash convert IN OUT [--format F] [--out-format F] [--address A]\n"
	"                        [--vid V --pid P [--bcd B]] [--alt N] [--force]\n"
	"                        [--drop addresses,entry,alt] [--json]\n"
	"\n"
	"Reads IN (format detected from its content) and writes OUT (format from\n"
	"its extension: .bin .dfu .hex .srec/.s19/.s28/.s37/.mot .elf).\n"
	"\n"
	"  --format F      read IN as F (bin, dfu, dfuse, ihex, srec, elf)\n"
	"  --out-format F  write OUT as F; 'dfu' is a raw binary with a DFU\n"
	"                  suffix, 'dfuse' (and the .dfu extension) ST's DfuSe\n"
	"  --address A     for a raw binary (or plain DFU) IN: where it loads;\n"
	"                  for any other IN: move the image so it starts at A\n"
	"  --vid V --pid P USB ids for the DFU suffix of a .dfu OUT (default: the\n"
	"                  ids IN has, else what dfuse-pack writes for DfuSe,\n"
	"                  0483:df11 bcdDevice 0, and what dfu-suffix writes for\n"
	"                  plain DFU, 0xFFFF \"any\")\n"
	"  --bcd B         bcdDevice for that suffix (default as above)\n"
	"  --alt N         DFU alternate setting of the (single) target\n"
	"  --force         accept an IN whose DFU suffix CRC is wrong\n"
	"  --drop WHAT     write OUT although its format cannot hold this part of IN\n"
	"                  (comma-separated): 'addresses' (.bin and plain DFU have\n"
	"                  none), 'entry' (the start address; .bin and .dfu have\n"
	"                  none), 'alt' (a target's alternate setting; only .dfu\n"
	"                  has it). Without it such a conversion is refused.\n"
	"  --json          the result as one JSON object on stdout\n"
	"\n"
	"Example (the same file as dfuse-pack -b 0x08000000:fome.bin fome.dfu):\n"
	"  dfuflash convert fome.bin fome.dfu --address 0x08000000\n";

/* Library warnings (a forced CRC, ...) go to stderr like the tool's own. */
static void log_warning(void *user, enum dfu_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	tool_warn("%s", msg);
}

/* What the command line asked for beyond the read options. */
struct convert_args {
	struct dfu_read_opts in;
	struct dfu_write_opts out;
	bool has_vid, has_pid, has_bcd, has_alt;
	uint32_t vid, pid, bcd, alt;
	bool drop_addresses, drop_entry, drop_alt;  /* --drop */
};

/* Parses --drop's comma-separated list. */
static bool parse_drop(const char *s, struct convert_args *a)
{
	while (*s) {
		size_t n = strcspn(s, ",");

		if (n == 9 && !strncmp(s, "addresses", n))
			a->drop_addresses = true;
		else if (n == 5 && !strncmp(s, "entry", n))
			a->drop_entry = true;
		else if (n == 3 && !strncmp(s, "alt", n))
			a->drop_alt = true;
		else
			return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return true;
}

/* Parses options into a; returns DFU_OK or TOOL_USAGE (already explained),
 * or 2 when --help was asked for. */
static int parse_args(int argc, char **argv, struct convert_args *a)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out-format", required_argument, NULL, 'o' },
		{ "address", required_argument, NULL, 'a' },
		{ "vid", required_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'P' },
		{ "bcd", required_argument, NULL, 'B' },
		{ "alt", required_argument, NULL, 'A' },
		{ "force", no_argument, NULL, 'F' },
		{ "drop", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		uint32_t *num = NULL;
		bool *flag = NULL;
		uint32_t max = UINT32_MAX;
		const char *what = "";

		switch (c) {
		case 'f':
		case 'o':
			if (dfu_format_parse(optarg, c == 'f' ? &a->in.format :
								&a->out.format) != DFU_OK) {
				tool_error("convert: unknown format '%s'", optarg);
				return TOOL_USAGE;
			}
			continue;
		case 'a':
			what = "address";
			num = &a->in.base_address;
			flag = &a->in.has_base_address;
			break;
		case 'V':
			what = "vid";
			num = &a->vid;
			flag = &a->has_vid;
			max = 0xFFFF;
			break;
		case 'P':
			what = "pid";
			num = &a->pid;
			flag = &a->has_pid;
			max = 0xFFFF;
			break;
		case 'B':
			what = "bcd";
			num = &a->bcd;
			flag = &a->has_bcd;
			max = 0xFFFF;
			break;
		case 'A':
			what = "alt";
			num = &a->alt;
			flag = &a->has_alt;
			max = 255;
			break;
		case 'F':
			a->in.force = true;
			continue;
		case 'D':
			if (!parse_drop(optarg, a)) {
				tool_error("convert: --drop takes addresses, entry or alt "
					   "(comma-separated), not '%s'", optarg);
				return TOOL_USAGE;
			}
			continue;
		case 'h':
			return 2;
		case 'J':
			tool_globals.json = true;
			continue;
		default:
			tool_error("convert: unknown or incomplete option '%s'", argv[optind - 1]);
			fputs(convert_usage, stderr);
			return TOOL_USAGE;
		}
		if (!tool_parse_u32(optarg, num) || *num > max) {
			tool_error("convert: bad number '%s' for --%s (at most 0x%x)", optarg,
				   what, max);
			return TOOL_USAGE;
		}
		*flag = true;
	}
	if (argc - optind != 2) {
		tool_error("convert: expected IN and OUT");
		fputs(convert_usage, stderr);
		return TOOL_USAGE;
	}
	if (a->has_vid != a->has_pid || (a->has_bcd && !a->has_vid)) {
		tool_error("convert: --vid and --pid go together (and --bcd needs them)");
		return TOOL_USAGE;
	}
	return DFU_OK;
}

/*
 * Applies --address (for an addressed input: move the image so that its
 * lowest address is A), --alt and the suffix ids to a freshly read image.
 */
static int adjust(struct dfu_image *img, struct convert_args *a, enum dfu_format outfmt)
{
	struct dfu_image_info info;
	size_t ntargets = dfu_image_target_count(img);

	dfu_image_get_info(img, &info);
	if ((a->in.has_base_address && info.format != DFU_FORMAT_BIN &&
	     info.format != DFU_FORMAT_DFU) || a->has_alt) {
		if (ntargets != 1) {
			tool_error("convert: --address and --alt need an image with one target, "
				   "this one has %zu", ntargets);
			return TOOL_USAGE;
		}
	}
	if (a->in.has_base_address && info.format != DFU_FORMAT_BIN &&
	    info.format != DFU_FORMAT_DFU && dfu_image_segment_count(img, 0)) {
		struct dfu_segment first;

		dfu_image_segment(img, 0, 0, &first);
		if (dfu_image_relocate(img, 0, (int64_t)a->in.base_address -
					       (int64_t)first.address) != DFU_OK) {
			tool_error("convert: moving the image to 0x%08x takes it past "
				   "0xFFFFFFFF", a->in.base_address);
			return DFU_ERR_RANGE;
		}
	}
	if (a->has_alt)
		dfu_image_set_target_alt(img, 0, (uint8_t)a->alt);
	/* Ids the command line does not give come from the input's suffix, or
	 * else are what the peer tool would write: dfuse-pack 0483:df11 with
	 * bcdDevice 0 for DfuSe, dfu-suffix 0xFFFF ("any") for plain DFU. */
	if (a->has_vid || (!info.has_suffix && outfmt == DFU_FORMAT_DFUSE)) {
		a->out.has_suffix_ids = true;
		a->out.id_vendor = a->has_vid ? (uint16_t)a->vid : ST_VID;
		a->out.id_product = a->has_vid ? (uint16_t)a->pid : ST_DFU_PID;
		a->out.bcd_device = a->has_bcd ? (uint16_t)a->bcd :
				    info.has_suffix ? info.suffix.bcd_device :
				    outfmt == DFU_FORMAT_DFUSE ? 0 : DFU_SUFFIX_ANY;
	}
	return DFU_OK;
}

/* A format as people call the file. */
static const char *kind(enum dfu_format f)
{
	switch (f) {
	case DFU_FORMAT_BIN: return "raw binary (.bin)";
	case DFU_FORMAT_DFU: return "plain DFU";
	case DFU_FORMAT_DFUSE: return "DfuSe (.dfu)";
	case DFU_FORMAT_IHEX: return "Intel HEX";
	case DFU_FORMAT_SREC: return "S-record";
	case DFU_FORMAT_ELF: return "ELF";
	case DFU_FORMAT_AUTO: break;
	}
	return dfu_format_name(f);
}

/*
 * Nothing IN holds is dropped silently: where OUT's format cannot hold the
 * image's addresses (a .bin or plain DFU file loads wherever it is told,
 * 0x08000000 by default), its entry point (.bin, DFU, DfuSe have none) or
 * a target's alternate setting (only DfuSe has targets), the conversion is
 * refused, naming what would be lost and what to do, unless --drop names
 * it. What only identifies the file (suffix ids, target names) is noted.
 */
static int check_losses(const char *in, const char *out, const struct dfu_image *img,
			const struct convert_args *a, enum dfu_format outfmt)
{
	struct dfu_image_info info;
	struct dfu_target_info ti;
	struct dfu_segment first, last;
	bool addressed = outfmt != DFU_FORMAT_BIN && outfmt != DFU_FORMAT_DFU;
	bool entry = outfmt == DFU_FORMAT_IHEX || outfmt == DFU_FORMAT_SREC ||
		     outfmt == DFU_FORMAT_ELF;
	size_t n;

	dfu_image_get_info(img, &info);
	if (outfmt == DFU_FORMAT_DFUSE || dfu_image_target_count(img) != 1 ||
	    dfu_image_target(img, 0, &ti))
		goto ids;  /* DfuSe keeps targets; several need it (the library says so) */
	if (ti.alt && !a->drop_alt)
		return tool_fail(TOOL_REFUSED, "refused: %s's data is for alternate setting %u "
				 "(not the flash's 0), and a %s file has no alternate settings. "
				 "Write a .dfu to keep it, or add --drop alt", in, ti.alt,
				 kind(outfmt));
	if (ti.name[0] && strcmp(ti.name, "ST...") && tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: note: %s has no target names; \"%s\" is not kept\n",
			out, ti.name);
	n = dfu_image_segment_count(img, 0);
	if (!addressed && n) {
		dfu_image_segment(img, 0, 0, &first);
		dfu_image_segment(img, 0, n - 1, &last);
		if (first.address != 0x08000000u && !a->drop_addresses)
			return tool_fail(TOOL_REFUSED, "refused: %s holds data at 0x%08X-0x%08X, "
					 "and a %s file holds no addresses: it would be flashed "
					 "to 0x08000000 unless --address 0x%08X is given every "
					 "time. Write a .dfu, .hex or .srec to keep the "
					 "addresses, or add --drop addresses",
					 in, (unsigned)first.address,
					 (unsigned)(last.address + last.size - 1),
					 kind(outfmt),
					 (unsigned)first.address);
		if (info.format != DFU_FORMAT_BIN && info.format != DFU_FORMAT_DFU &&
		    tool_globals.verbosity >= 0)
			fprintf(stderr, "dfuflash: note: %s holds no addresses; it starts at "
				"0x08000000, where dfuflash and dfu-util load it by default\n", out);
	}
ids:
	if (info.has_entry && !entry && !a->drop_entry)
		return tool_fail(TOOL_REFUSED, "refused: %s names an entry point (0x%08X), and a "
				 "%s file cannot hold one. Write a .hex, .srec or .elf to keep "
				 "it, or add --drop entry (the STM32 starts from the vector "
				 "table, so flashing does not need it)", in, (unsigned)info.entry,
				 kind(outfmt));
	if (info.has_suffix && outfmt != DFU_FORMAT_DFU && outfmt != DFU_FORMAT_DFUSE &&
	    (info.suffix.id_vendor != DFU_SUFFIX_ANY || info.suffix.id_product != DFU_SUFFIX_ANY) &&
	    tool_globals.verbosity >= 0)
		fprintf(stderr, "dfuflash: note: %s has no DFU suffix; the device ids %04x:%04x "
			"%s names are not kept\n", out, info.suffix.id_vendor,
			info.suffix.id_product, in);
	return DFU_OK;
}

/* `convert IN OUT ...`; argv[0] is "convert". */
int tool_convert(struct dfu_ctx *ctx, int argc, char **argv)
{
	struct convert_args a = { .in.format = DFU_FORMAT_AUTO,
				  .out.format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	enum dfu_format outfmt;
	const char *in, *out;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret == 2) {
		fputs(convert_usage, stdout);
		return DFU_OK;
	}
	if (ret)
		return ret;
	in = argv[optind];
	out = argv[optind + 1];
	outfmt = a.out.format != DFU_FORMAT_AUTO ? a.out.format : dfu_format_from_path(out);
	if (outfmt == DFU_FORMAT_AUTO) {
		tool_error("convert: cannot tell the format of '%s' from its name; "
			   "use --out-format", out);
		return TOOL_USAGE;
	}
	if (a.has_vid && outfmt != DFU_FORMAT_DFU && outfmt != DFU_FORMAT_DFUSE)
		tool_warn("--vid/--pid only matter for .dfu output; %s has no suffix",
			  dfu_format_name(outfmt));
	dfu_ctx_set_log(ctx, log_warning, NULL, DFU_LOG_WARNING);
	ret = dfu_image_read_file(ctx, in, &a.in, &img);
	if (ret)
		return ret;
	ret = adjust(img, &a, outfmt);
	if (!ret)
		ret = check_losses(in, out, img, &a, outfmt);
	if (ret)
		goto out;
	a.out.format = outfmt;
	ret = dfu_image_write_file(ctx, img, out, &a.out);
	if (ret)
		goto out;
	if (tool_globals.json) {
		struct dfu_image_info info;

		dfu_image_get_info(img, &info);
		printf("{\"in\":");
		tool_json_string(stdout, in);
		printf(",\"in_format\":\"%s\",\"out\":", dfu_format_name(info.format));
		tool_json_string(stdout, out);
		printf(",\"out_format\":\"%s\"}\n", dfu_format_name(outfmt));
	} else if (tool_globals.verbosity >= 0) {
		struct dfu_image_info info;

		dfu_image_get_info(img, &info);
		printf("%s (%s) -> %s (%s)\n", in, dfu_format_name(info.format), out,
		       dfu_format_name(outfmt));
	}
out:
	dfu_image_free(img);
	return ret;
}
