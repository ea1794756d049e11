/*
 * tool_device.c - what the device commands share: opening the selected
 * device (waiting for it with --wait), reading a firmware file, the
 * library's log on stderr, JSON strings.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How often --wait looks for the device again. */
#define WAIT_POLL_MS 250

/* Monotonic seconds. */
double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The library's log lines on stderr. */
static void log_to_stderr(void *user, enum dfu_log_level level, const char *msg)
{
	(void)user;
	if (level == DFU_LOG_WARNING || level == DFU_LOG_ERROR)
		fprintf(stderr, "dfuflash: warning: %s\n", msg);
	else
		fprintf(stderr, "dfuflash: %s\n", msg);
}

/* Library log level from -q/-v. */
void tool_setup_log(struct dfu_ctx *ctx)
{
	enum dfu_log_level max = DFU_LOG_WARNING;

	if (tool_globals.verbosity < 0)
		max = DFU_LOG_ERROR;
	else if (tool_globals.verbosity == 1)
		max = DFU_LOG_INFO;
	else if (tool_globals.verbosity > 1)
		max = DFU_LOG_DEBUG;
	dfu_ctx_set_log(ctx, log_to_stderr, NULL, max);
}

/* s as a JSON string (quotes and escapes included). */
void tool_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7F)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* Opens the selected device; with --wait, keeps looking (and says what to do). */
int tool_open_device(struct dfu_ctx *ctx, const struct options *o, struct dfu_dev **out)
{
	double deadline = tool_now() + o->wait_seconds;
	bool told = false;
	int err;

	for (;;) {
		err = dfu_usb_open(ctx, &o->match, out);
		if (err != DFU_ERR_NO_DEVICE || !o->wait)
			return err;
		if (o->wait_seconds && tool_now() >= deadline)
			return err;
		if (!told && tool_globals.verbosity >= 0) {
			fprintf(stderr, "dfuflash: waiting for a DFU device%s: put the ECU in "
				"bootloader mode: hold BOOT, then connect USB\n",
				o->wait_seconds ? "" : " (Ctrl-C to stop)");
			told = true;
		}
		nanosleep(&(struct timespec){ 0, WAIT_POLL_MS * 1000000L }, NULL);
	}
}

/* Reads FILE as flash and verify take it. */
int tool_read_image(struct dfu_ctx *ctx, const struct options *o, const char *path,
		    struct dfu_image **out)
{
	struct dfu_read_opts ropts = { 0 };

	/* A .bin is raw whatever its first bytes look like (random data can
	 * start with ':' or 'S'); every other file is recognised by content,
	 * so a plain DFU file called .dfu works too. */
	ropts.format = dfu_format_from_path(path) == DFU_FORMAT_BIN ? DFU_FORMAT_BIN :
								     DFU_FORMAT_AUTO;
	if (o->format && dfu_format_parse(o->format, &ropts.format) != DFU_OK) {
		tool_error("%s: unknown format '%s'", o->cmd_name, o->format);
		return TOOL_USAGE;
	}
	/* A raw binary needs an address; FOME's fome.bin goes to the start
	 * of flash, where the ROM's address pointer starts too. */
	ropts.has_base_address = true;
	ropts.base_address = o->has_address ? o->address : 0x08000000u;
	ropts.force = o->force;
	return dfu_image_read_file(ctx, path, &ropts, out);
}
