/*
 * tool_device.c - what the device commands share: opening the selected
 * device (waiting for it with --wait), reading a firmware file, the
 * library's log on stderr, JSON strings.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
enum dfu_log_level tool_log_level(void)
{
	if (tool_globals.verbosity < 0)
		return DFU_LOG_ERROR;
	if (tool_globals.verbosity == 1)
		return DFU_LOG_INFO;
	if (tool_globals.verbosity > 1)
		return DFU_LOG_DEBUG;
	return DFU_LOG_WARNING;
}

/* The library's log on stderr, as -q/-v ask. */
void tool_setup_log(struct dfu_ctx *ctx)
{
	dfu_ctx_set_log(ctx, log_to_stderr, NULL, tool_log_level());
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
		/* With --wait, a device that left the bus between being listed
		 * and being opened (a chip still resetting) is waited for too. */
		if ((err != DFU_ERR_NO_DEVICE && err != DFU_ERR_DISCONNECTED) || !o->wait)
			return err;
		if (o->wait_seconds && tool_now() >= deadline)
			return err;
		if (tool_interrupted())
			return tool_fail(DFU_ERR_CANCELLED, "interrupted while waiting for a DFU "
					 "device; nothing was done");
		if (!told && tool_globals.verbosity >= 0) {
			fprintf(stderr, "dfuflash: waiting for a DFU device%s: put the ECU in "
				"bootloader mode: hold BOOT, then connect USB\n",
				o->wait_seconds ? "" : " (Ctrl-C to stop)");
			told = true;
		}
		nanosleep(&(struct timespec){ 0, WAIT_POLL_MS * 1000000L }, NULL);
	}
}

/*
 * A file that says where its bytes go (HEX, S-record, ELF, DfuSe) is
 * written there; an explicit address with it would be ignored, so it is
 * refused, naming the file's own range and how to move the image.
 * dfu-util 0.11 refuses -s ADDRESS with a DfuSe file too ("This is a DfuSe
 * file, not meant for raw download"), and writes a .hex given with -s as
 * raw text: neither is what the user meant.
 */
static int refuse_own_addresses(const struct options *o, const char *path,
				const struct dfu_image *img)
{
	struct dfu_image_info info;
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t t, n;
	char flag[32];

	dfu_image_get_info(img, &info);
	if (!o->has_address || info.format == DFU_FORMAT_BIN || info.format == DFU_FORMAT_DFU)
		return DFU_OK;
	for (t = 0; t < dfu_image_target_count(img); t++) {
		n = dfu_image_segment_count(img, t);
		if (n) {
			struct dfu_segment first, last;

			dfu_image_segment(img, t, 0, &first);
			dfu_image_segment(img, t, n - 1, &last);
			if (first.address < lo)
				lo = first.address;
			if ((uint64_t)last.address + last.size > hi)
				hi = (uint64_t)last.address + last.size;
		}
	}
	if (lo > hi)
		lo = hi = 0;
	snprintf(flag, sizeof(flag), o->dfu_util ? "-s 0x%08X" : "--address 0x%08X",
		 (unsigned)o->address);
	return tool_fail(TOOL_REFUSED, "refused: %s (%s) holds its own addresses "
			 "(0x%08X-0x%08X), and goes there; %s would be ignored%s. %s, or "
			 "move the image first: dfuflash convert %s moved%s --address 0x%08X",
			 path, info.format == DFU_FORMAT_DFUSE ? "DfuSe" :
			       info.format == DFU_FORMAT_IHEX ? "Intel HEX" :
			       info.format == DFU_FORMAT_SREC ? "S-record" : "ELF",
			 (unsigned)lo, (unsigned)(hi ? hi - 1 : 0), flag,
			 o->dfu_util && info.format == DFU_FORMAT_DFUSE ?
				 " (dfu-util refuses it too)" : "",
			 o->dfu_util ? "Leave the address out of -s (as in -s :leave)" :
				       "Drop --address",
			 path, info.format == DFU_FORMAT_DFUSE ? ".dfu" :
			       info.format == DFU_FORMAT_ELF ? ".hex" :
			       info.format == DFU_FORMAT_SREC ? ".srec" : ".hex",
			 (unsigned)o->address);
}

/* Reads FILE as flash and verify take it. */
int tool_read_image(struct dfu_ctx *ctx, const struct options *o, const char *path,
		    struct dfu_image **out)
{
	struct dfu_read_opts ropts = { 0 };
	struct dfu_image *img = NULL;
	int err;

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
	err = dfu_image_read_file(ctx, path, &ropts, &img);
	if (err)
		return err;
	err = refuse_own_addresses(o, path, img);
	if (err) {
		dfu_image_free(img);
		return err;
	}
	*out = img;
	return DFU_OK;
}

/* Refuses an existing regular file unless force: checked before the device
 * is opened, so nothing is read for a file that would not be written. */
int tool_check_output(const char *path, bool force, const char *what)
{
	struct stat st;

	if (force || stat(path, &st) || !S_ISREG(st.st_mode))
		return DFU_OK;
	return tool_fail(TOOL_REFUSED, "%s: %s exists; refused to overwrite it (nothing was "
			 "read). Give another file name, or add --force to replace it",
			 what, path);
}

/* Writes all of data to fd; false (errno set) when it cannot. */
static bool write_all(int fd, const uint8_t *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Writes img into path. The file is created exclusively (O_EXCL) unless
 * force, so a file that appeared since tool_check_output() is not
 * overwritten either; a non-regular file (a FIFO, /dev/stdout) is written
 * as it is. A file we created is removed when writing it fails.
 */
int tool_write_output(struct dfu_ctx *ctx, const struct dfu_image *img, const char *path,
		      const struct dfu_write_opts *wo, bool force, const char *what)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;
	int fd, flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL), err;
	bool created;

	err = dfu_image_write_mem(ctx, img, wo, &data, &len);
	if (err)
		return err;
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		flags = O_WRONLY;
	created = flags & O_EXCL;
	fd = open(path, flags | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST) {
		free(data);
		return tool_fail(TOOL_REFUSED, "%s: %s appeared while reading; refused to "
				 "overwrite it. Give another file name, or add --force to "
				 "replace it", what, path);
	}
	if (fd < 0) {
		err = tool_fail(DFU_ERR_IO, "%s: cannot create %s: %s", what, path,
				strerror(errno));
		free(data);
		return err;
	}
	if (!write_all(fd, data, len)) {
		err = tool_fail(DFU_ERR_IO, "%s: writing %s failed: %s", what, path,
				strerror(errno));
		close(fd);
		if (created)
			unlink(path);
		free(data);
		return err;
	}
	free(data);
	if (close(fd)) {
		err = tool_fail(DFU_ERR_IO, "%s: writing %s failed: %s", what, path,
				strerror(errno));
		if (created)
			unlink(path);
		return err;
	}
	return DFU_OK;
}
