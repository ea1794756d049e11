/*
 * tool_image.c - `dfuflash image info FILE`: what a firmware file holds
 * (format, targets, segments, CRC, DFU suffix ids, entry point), as text or
 * as JSON.
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char image_usage[] =
	"usage: dfuflash image info FILE [--format F] [--address A] [--force] [--json]\n"
	"\n"
	"Shows what a firmware file holds: its format, targets (DFU alternate\n"
	"settings and names), segments (address, size, end), total bytes, the\n"
	"file's CRC-32, its DFU suffix (VID/PID/bcdDevice, \"any\" for 0xFFFF, CRC\n"
	"ok or bad) and the entry point when the file has one.\n"
	"\n"
	"  --format F    read as F (bin, dfu, dfuse, ihex, srec, elf) instead of\n"
	"                detecting the format from the content\n"
	"  --address A   load address of a raw binary (or of a plain DFU file,\n"
	"                which otherwise loads at 0x08000000)\n"
	"  --force       accept a DFU suffix whose CRC is wrong (with a warning)\n"
	"  --json        print the result as one JSON object\n";

/* Prints s as a JSON string, quotes included. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7F)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* An id of the DFU suffix as text: "any" for 0xFFFF, else 0xNNNN. */
static const char *suffix_id(uint16_t v, char buf[8])
{
	if (v == DFU_SUFFIX_ANY)
		return "any";
	snprintf(buf, 8, "0x%04x", v);
	return buf;
}

/* One JSON object: addresses and sizes as numbers, ids as strings. */
static void print_json(const char *path, const struct dfu_image *img)
{
	struct dfu_image_info info;
	uint64_t total = 0;
	size_t t, s;
	char b1[8], b2[8], b3[8];

	dfu_image_get_info(img, &info);
	printf("{\"file\":");
	json_string(path);
	printf(",\"format\":\"%s\",\"file_size\":%zu,\"file_crc32\":\"0x%08x\",",
	       dfu_format_name(info.format), info.file_size, info.file_crc32);
	if (info.has_suffix)
		printf("\"suffix\":{\"vid\":\"%s\",\"pid\":\"%s\",\"bcd_device\":\"%s\","
		       "\"bcd_dfu\":\"0x%04x\",\"crc\":\"0x%08x\",\"crc_ok\":%s},",
		       suffix_id(info.suffix.id_vendor, b1),
		       suffix_id(info.suffix.id_product, b2),
		       suffix_id(info.suffix.bcd_device, b3), info.suffix.bcd_dfu,
		       info.suffix.crc, info.suffix_crc_ok ? "true" : "false");
	else
		printf("\"suffix\":null,");
	if (info.has_entry)
		printf("\"entry\":%u,", info.entry);
	else
		printf("\"entry\":null,");
	printf("\"targets\":[");
	for (t = 0; t < dfu_image_target_count(img); t++) {
		struct dfu_target_info ti;

		dfu_image_target(img, t, &ti);
		printf("%s{\"alt\":%u,\"name\":", t ? "," : "", ti.alt);
		json_string(ti.name);
		printf(",\"total\":%llu,\"segments\":[", (unsigned long long)ti.total_size);
		for (s = 0; s < ti.segment_count; s++) {
			struct dfu_segment seg;

			dfu_image_segment(img, t, s, &seg);
			printf("%s{\"address\":%u,\"size\":%u,\"end\":%llu}", s ? "," : "",
			       seg.address, seg.size,
			       (unsigned long long)seg.address + seg.size);
		}
		printf("]}");
		total += ti.total_size;
	}
	printf("],\"total\":%llu}\n", (unsigned long long)total);
}

/* The human-readable form: one line per fact, one per segment. */
static void print_text(const char *path, const struct dfu_image *img)
{
	struct dfu_image_info info;
	uint64_t total = 0;
	size_t t, s;
	char b1[8], b2[8], b3[8];

	dfu_image_get_info(img, &info);
	printf("file:    %s\n", path);
	printf("format:  %s\n", dfu_format_name(info.format));
	printf("size:    %zu bytes, CRC-32 0x%08x\n", info.file_size, info.file_crc32);
	if (info.has_suffix)
		printf("suffix:  VID %s, PID %s, bcdDevice %s, bcdDFU 0x%04x, CRC 0x%08x %s\n",
		       suffix_id(info.suffix.id_vendor, b1),
		       suffix_id(info.suffix.id_product, b2),
		       suffix_id(info.suffix.bcd_device, b3), info.suffix.bcd_dfu,
		       info.suffix.crc, info.suffix_crc_ok ? "ok" : "BAD");
	if (info.has_entry)
		printf("entry:   0x%08x\n", info.entry);
	for (t = 0; t < dfu_image_target_count(img); t++) {
		struct dfu_target_info ti;

		dfu_image_target(img, t, &ti);
		printf("target %zu: alt %u%s%s%s, %zu segment%s, %llu bytes\n", t, ti.alt,
		       *ti.name ? ", name \"" : "", ti.name, *ti.name ? "\"" : "",
		       ti.segment_count, ti.segment_count == 1 ? "" : "s",
		       (unsigned long long)ti.total_size);
		for (s = 0; s < ti.segment_count; s++) {
			struct dfu_segment seg;

			dfu_image_segment(img, t, s, &seg);
			printf("  0x%08x  %10u bytes  end 0x%08llx\n", seg.address, seg.size,
			       (unsigned long long)seg.address + seg.size);
		}
		total += ti.total_size;
	}
	printf("total:   %llu bytes\n", (unsigned long long)total);
}

/* Library warnings (a forced CRC, ...) go to stderr like the tool's own. */
static void log_warning(void *user, enum dfu_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	tool_warn("%s", msg);
}

/* `image info FILE ...`; argv[0] is "image". */
int tool_image(struct dfu_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "address", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dfu_read_opts opts = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	bool json = tool_globals.json;
	int c, ret;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(image_usage, stdout);
		return DFU_OK;
	}
	if (argc < 2 || strcmp(argv[1], "info")) {
		tool_error("image: expected 'info'");
		fputs(image_usage, stderr);
		return TOOL_USAGE;
	}
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (dfu_format_parse(optarg, &opts.format) != DFU_OK) {
				tool_error("image info: unknown format '%s'", optarg);
				return TOOL_USAGE;
			}
			break;
		case 'a':
			if (!tool_parse_u32(optarg, &opts.base_address)) {
				tool_error("image info: bad address '%s'", optarg);
				return TOOL_USAGE;
			}
			opts.has_base_address = true;
			break;
		case 'F':
			opts.force = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(image_usage, stdout);
			return DFU_OK;
		default:
			tool_error("image info: unknown or incomplete option '%s'",
				   argv[optind - 1]);
			fputs(image_usage, stderr);
			return TOOL_USAGE;
		}
	}
	if (argc - optind != 1) {
		tool_error("image info: expected one FILE");
		fputs(image_usage, stderr);
		return TOOL_USAGE;
	}
	dfu_ctx_set_log(ctx, log_warning, NULL, DFU_LOG_WARNING);
	ret = dfu_image_read_file(ctx, argv[optind], &opts, &img);
	if (ret)
		return ret;
	if (json)
		print_json(argv[optind], img);
	else
		print_text(argv[optind], img);
	dfu_image_free(img);
	return DFU_OK;
}
