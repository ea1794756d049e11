/*
 * tool_all.c - `--all`: one job (flash, verify, read, erase, option-bytes)
 * on every DFU-mode device on the bus at once, for a tray of ECUs.
 *
 * The devices are listed once (dfu_usb_list); each gets a worker thread with
 * its own struct dfu_ctx, which opens it by its USB path and runs the same
 * library job as the single-device command. So each device keeps every
 * promise it has alone (its true map, its own recovery journal named by its
 * serial, verify, leave only after verify), and one failure does not stop
 * the others.
 *
 * What the workers share is read-only while they run (the options, the
 * image, the erase spec, tool_globals) or behind one mutex: stderr, where
 * each device has a status line (updated in place on a terminal) and every
 * message is written whole. The tool's failure messages and tool_where are
 * per thread (tool_util.c). stdout is written only after every worker has
 * ended: the option bytes, the --json devices.
 */
#define _GNU_SOURCE  /* strverscmp */
#include "tool.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define STATUS_CHARS 160        /* a status line, at most */
#define BAR_WIDTH 20
#define MAX_OB_FIELDS 32
#define REAPPEAR_SECONDS 20     /* as option-bytes waits for one chip */
#define REOPEN_POLL_MS 250

/* stderr, shared by the workers: one status line per device. On a terminal
 * the lines are drawn as a block and each is updated in place; a message
 * is printed above the block, which is then drawn again. Elsewhere a
 * device's line is printed when a phase ends. */
struct board {
	pthread_mutex_t lock;
	bool live;            /* a terminal and progress wanted: lines in place */
	bool show;            /* progress wanted at all (not -q, not --json) */
	bool drawn;           /* the block is on the screen, cursor below it */
	unsigned width;       /* the terminal's columns */
	size_t n;
	char (*lines)[STATUS_CHARS];
};

struct all_run;

/* One device and what its worker did. Written only by its worker until it
 * is joined. */
struct worker {
	struct all_run *run;
	size_t index;
	char label[128];       /* the serial, or the path when it has none */
	char serial[128];
	char path[32];
	char chip[64];
	char out[4096];        /* read: this device's OUT */
	bool accessible;
	pthread_t thread;
	bool started;
	struct dfu_ctx *ctx;
	int result;
	int exit;
	double seconds;
	uint64_t bytes;
	char message[1024];
	bool has_phase;        /* the phase a failure happened in */
	enum dfu_phase phase;
	int last_phase;        /* progress */
	int last_percent;
	double phase_start;
	struct dfu_flash_result fr;  /* flash, erase */
	char sectors[256];           /* erase: "2, 3, 12-13" */
	uint32_t address;            /* read */
	uint32_t length;
	struct dfu_option_bytes ob;  /* option-bytes: as they are now */
	bool has_ob;
	size_t ob_changes;
};

struct all_run {
	const struct tool_all_job *job;
	struct board board;
	struct worker *w;
	size_t n;
	size_t label_width;
	uint64_t image_bytes;        /* verify: bytes of target 0 */
};

/* ------------------------------------------------------------------------ */
/* stderr                                                                    */
/* ------------------------------------------------------------------------ */

/* Draws every line; the lock is held and the cursor is where the block
 * starts. */
static void board_draw_all(struct board *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		fprintf(stderr, "%.*s\x1b[K\n", (int)b->width, b->lines[i]);
	b->drawn = true;
}

/* Sets worker w's status line; on a terminal it is drawn in place. */
static void status(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void status(struct worker *w, const char *fmt, ...)
{
	struct board *b = &w->run->board;
	va_list ap;
	size_t up;

	if (!b->live)
		return;
	pthread_mutex_lock(&b->lock);
	va_start(ap, fmt);
	vsnprintf(b->lines[w->index], sizeof(b->lines[w->index]), fmt, ap);
	va_end(ap);
	if (!b->drawn) {
		board_draw_all(b);
	} else {
		up = b->n - w->index;
		fprintf(stderr, "\x1b[%zuA\r%.*s\x1b[K\x1b[%zuB\r", up, (int)b->width,
			b->lines[w->index], up);
	}
	fflush(stderr);
	pthread_mutex_unlock(&b->lock);
}

/* "dfuflash: LABEL: message" on stderr, whole; on a terminal above the
 * status lines. */
static void message(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void message(struct worker *w, const char *fmt, ...)
{
	struct board *b = &w->run->board;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&b->lock);
	if (b->live && b->drawn)
		fprintf(stderr, "\x1b[%zuA\r\x1b[J", b->n);
	fprintf(stderr, "dfuflash: %s: %s\n", w->label, text);
	if (b->live && b->drawn)
		board_draw_all(b);
	fflush(stderr);
	pthread_mutex_unlock(&b->lock);
}

/* "12.3 KiB", "1.5 MiB". */
static void human(char *buf, size_t cap, double bytes)
{
	if (bytes >= 1024.0 * 1024.0)
		snprintf(buf, cap, "%.1f MiB", bytes / (1024.0 * 1024.0));
	else if (bytes >= 1024.0)
		snprintf(buf, cap, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, cap, "%.0f B", bytes);
}

/* A dfu_progress_fn per device: its status line, or a line when a phase
 * ends. Once a signal arrived it stops the job (as tool_progress_cb). */
static int worker_progress(void *user, const struct dfu_progress *p)
{
	struct worker *w = user;
	struct all_run *run = w->run;
	char done[32], total[32], bar[BAR_WIDTH + 1];
	double now;
	int percent, fill, i;

	w->has_phase = p->done < p->total;
	w->phase = p->phase;
	if (tool_interrupted()) {
		w->has_phase = true;
		return 1;
	}
	if (!run->board.show)
		return 0;
	now = tool_now();
	if ((int)p->phase != w->last_phase) {
		w->last_phase = (int)p->phase;
		w->last_percent = -1;
		w->phase_start = now;
	}
	percent = p->total ? (int)(p->done * 100 / p->total) : 100;
	if (percent == w->last_percent)
		return 0;
	w->last_percent = percent;
	human(done, sizeof(done), (double)p->done);
	human(total, sizeof(total), (double)p->total);
	if (run->board.live) {
		fill = percent * BAR_WIDTH / 100;
		for (i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		if (p->busy_max_ms && p->done < p->total)
			status(w, "%-*s  %-6s [%s] %3d%%  busy, up to %us", (int)run->label_width,
			       w->label, dfu_phase_name(p->phase), bar, percent,
			       (p->busy_max_ms + 999) / 1000);
		else
			status(w, "%-*s  %-6s [%s] %3d%%  %s/%s", (int)run->label_width, w->label,
			       dfu_phase_name(p->phase), bar, percent, done, total);
	} else if (percent == 100) {
		message(w, "%s: %s in %.1fs", dfu_phase_name(p->phase), total,
			now - w->phase_start);
	}
	return 0;
}

/* The library's log of one device, labelled. */
static void worker_log(void *user, enum dfu_log_level level, const char *msg)
{
	struct worker *w = user;

	message(w, "%s%s", level <= DFU_LOG_WARNING ? "warning: " : "", msg);
}

/* ------------------------------------------------------------------------ */
/* The jobs, one device each                                                 */
/* ------------------------------------------------------------------------ */

static int job_flash(struct worker *w, struct dfu_dev *dev)
{
	const struct options *o = w->run->job->o;
	struct dfu_flash_opts fo = { 0 };
	int err;

	fo.alt = o->alt;
	fo.mass_erase = o->mass_erase;
	fo.no_verify = o->no_verify;
	fo.leave = !o->no_leave;
	fo.force = o->force;
	fo.progress = worker_progress;
	fo.progress_user = w;
	err = dfu_flash(dev, w->run->job->img, &fo, &w->fr);
	w->bytes = w->fr.bytes_written;
	if (!err && tool_globals.verbosity >= 0)
		message(w, "wrote %llu bytes (%u sectors erased, %u partly kept)%s%s",
			(unsigned long long)w->fr.bytes_written, w->fr.sectors_erased,
			w->fr.sectors_kept, w->fr.verified ? ", verified" : ", NOT verified",
			!w->fr.left ? "" : w->fr.gone ? "; left DFU mode" :
			"; left DFU mode, still on the bus (reset it by hand)");
	return err;
}

static int job_verify(struct worker *w, struct dfu_dev *dev)
{
	int err = dfu_dev_select_alt(dev, w->run->job->o->alt);

	if (!err)
		err = dfu_verify(dev, w->run->job->img, worker_progress, w);
	if (!err) {
		w->bytes = w->run->image_bytes;
		if (tool_globals.verbosity >= 0)
			message(w, "holds %s", w->run->job->o->file);
	}
	return err;
}

static int job_read(struct worker *w, struct dfu_dev *dev)
{
	const struct options *o = w->run->job->o;
	char why[256];
	int err = dfu_dev_select_alt(dev, o->alt);

	if (err)
		return err;
	if (!tool_read_span(o, dfu_dev_alt(dev), &w->address, &w->length, why, sizeof(why)))
		return tool_fail(TOOL_REFUSED, "%s", why);
	err = tool_read_into(w->ctx, o, dev, w->address, w->length, w->out, w->run->job->wo,
			     worker_progress, w);
	if (!err) {
		w->bytes = w->length;
		if (tool_globals.verbosity >= 0)
			message(w, "read %u bytes from 0x%08X into %s", (unsigned)w->length,
				(unsigned)w->address, w->out);
	}
	return err;
}

static int job_erase(struct worker *w, struct dfu_dev *dev)
{
	const struct options *o = w->run->job->o;
	struct dfu_erase_spec spec = *w->run->job->erase;
	struct dfu_plan *plan = NULL;
	int err = DFU_OK;

	spec.progress = worker_progress;
	spec.progress_user = w;
	if (o->alt)
		err = dfu_dev_select_alt(dev, o->alt);
	if (!err)
		err = dfu_erase_plan(dev, &spec, &plan);
	if (err)
		return err;
	tool_erased_list(plan, w->sectors, sizeof(w->sectors));
	dfu_plan_free(plan);
	err = dfu_erase(dev, &spec, &w->fr);
	w->bytes = w->fr.bytes_erased;
	if (!err && tool_globals.verbosity >= 0)
		message(w, "erased sector%s %s (%.1f KiB, %llu bytes kept)%s",
			w->fr.sectors_erased == 1 ? "" : "s", w->sectors,
			(double)w->fr.bytes_erased / 1024.0, (unsigned long long)w->fr.bytes_kept,
			w->fr.verified ? "; read back blank" : "");
	return err;
}

/* Opens the device again after the reset an option-byte write causes: the
 * same path and serial, for up to REAPPEAR_SECONDS. */
static int reopen(struct worker *w, const struct dfu_dev_info *d, struct dfu_dev **out)
{
	struct dfu_match m;
	double deadline = tool_now() + REAPPEAR_SECONDS;
	int err;

	memset(&m, 0, sizeof(m));
	m.id_count = 1;
	m.id_vendor[0] = d->id_vendor;
	m.id_product[0] = d->id_product;
	m.serial = d->serial[0] ? d->serial : NULL;
	m.path = w->path;
	for (;;) {
		err = dfu_usb_open(w->ctx, &m, out);
		if (err != DFU_ERR_NO_DEVICE || tool_now() >= deadline)
			return err;
		if (tool_interrupted())
			return tool_fail(DFU_ERR_CANCELLED, "interrupted while waiting for the "
					 "chip to come back after its option-byte write");
		nanosleep(&(struct timespec){ 0, REOPEN_POLL_MS * 1000000L }, NULL);
	}
}

/* option-bytes: read them; with --set, change them as the single-device
 * command does (recover a pending job first, write each area that differs,
 * the chip resets, open it again, read back, compare). */
static int job_option_bytes(struct worker *w, struct dfu_dev **devp)
{
	const struct tool_all_job *job = w->run->job;
	struct dfu_option_bytes cur, want, got;
	struct dfu_ob_value before[MAX_OB_FIELDS], after[MAX_OB_FIELDS];
	struct dfu_dev_info d;
	uint32_t rdp = 0xAA;
	bool reset = false;
	size_t i, n;
	int err;

	dfu_dev_info(*devp, &d);
	err = dfu_ob_read(*devp, &cur);
	if (err)
		return err;
	want = cur;
	for (i = 0; !err && i < job->ob_set_count; i++)
		err = dfu_ob_set_str(w->ctx, &want, job->ob_sets[i]);
	if (err)
		return err;
	w->ob = cur;
	w->has_ob = true;
	if (!job->ob_set_count)
		return DFU_OK;
	n = dfu_ob_decode(&cur, before, MAX_OB_FIELDS);
	dfu_ob_decode(&want, after, MAX_OB_FIELDS);
	if (n > MAX_OB_FIELDS)
		n = MAX_OB_FIELDS;
	for (i = 0; i < n; i++)
		if (before[i].value != after[i].value) {
			w->ob_changes++;
			if (tool_globals.verbosity >= 0)
				message(w, "%s: 0x%X -> 0x%X: %s", after[i].def->name,
					(unsigned)before[i].value, (unsigned)after[i].value,
					after[i].text);
		}
	dfu_ob_get(&want, "RDP", &rdp);
	if (dfu_ob_rdp_level((uint8_t)rdp) == 2)
		return tool_fail(TOOL_REFUSED, "refused: RDP level 2 locks the chip forever; not "
				 "with --all (one chip at a time: -S SERIAL)");
	if (!w->ob_changes) {
		if (tool_globals.verbosity >= 0)
			message(w, "the option bytes already say so; nothing written");
		return DFU_OK;
	}
	/* A job an earlier run left in a journal belongs to the bank mode it
	 * was planned in: finish it before the option bytes change the map. */
	err = dfu_dev_recover(*devp, worker_progress, w, NULL);
	if (err && err != DFU_ERR_UNSUPPORTED)
		return err;
	for (i = 0; i < want.area_count; i++) {
		if (!memcmp(cur.raw + cur.area_offset[i], want.raw + want.area_offset[i],
			    cur.area_size[i]))
			continue;
		if (!*devp) {
			err = reopen(w, &d, devp);
			if (err)
				return err;
		}
		status(w, "%-*s  writing the option bytes at 0x%08X; the chip resets",
		       (int)w->run->label_width, w->label, (unsigned)want.area_address[i]);
		err = dfu_ob_write_area(*devp, &want, i, &reset);
		dfu_dev_close(*devp);
		*devp = NULL;
		if (err)
			return err;
	}
	status(w, "%-*s  waiting for the chip to come back (up to %d s)",
	       (int)w->run->label_width, w->label, REAPPEAR_SECONDS);
	err = reopen(w, &d, devp);
	if (!err)
		err = dfu_ob_read(*devp, &got);
	if (err)
		return err;
	w->ob = got;
	err = dfu_ob_compare(w->ctx, &want, &got);
	if (!err && tool_globals.verbosity >= 0)
		message(w, "option bytes written and read back as asked (%zu change%s)",
			w->ob_changes, w->ob_changes == 1 ? "" : "s");
	return err;
}

/* A worker: open the device by its path, run the job, note the result. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct tool_all_job *job = w->run->job;
	struct dfu_dev *dev = NULL;
	struct dfu_match m = job->o->match;
	const char *text, *hint;
	double start = tool_now();
	int err;

	w->last_phase = -1;
	w->last_percent = -1;
	err = dfu_ctx_new(&w->ctx);
	if (err) {
		w->result = err;
		snprintf(w->message, sizeof(w->message), "out of memory");
		goto done;
	}
	dfu_ctx_set_log(w->ctx, worker_log, w, tool_log_level());
	/* This device, by its path; the -d ids still apply. */
	m.serial = NULL;
	m.devnum = 0;
	m.path = w->path;
	status(w, "%-*s  opening %s", (int)w->run->label_width, w->label, w->path);
	err = dfu_usb_open(w->ctx, &m, &dev);
	if (!err) {
		switch (job->kind) {
		case TOOL_ALL_FLASH:
			err = job_flash(w, dev);
			break;
		case TOOL_ALL_VERIFY:
			err = job_verify(w, dev);
			break;
		case TOOL_ALL_READ:
			err = job_read(w, dev);
			break;
		case TOOL_ALL_ERASE:
			err = job_erase(w, dev);
			break;
		case TOOL_ALL_OPTION_BYTES:
			err = job_option_bytes(w, &dev);
			break;
		}
	}
	dfu_dev_close(dev);
	w->result = err;
	if (err) {
		text = tool_failure(err);
		if (!text)
			text = *dfu_detail(w->ctx) ? dfu_detail(w->ctx) : dfu_strerror(err);
		hint = tool_hint(err, job->o->cmd_name, text);
		snprintf(w->message, sizeof(w->message), "%s%s%s%s",
			 err == DFU_ERR_CANCELLED && tool_interrupted() ? "interrupted: " : "",
			 text, hint ? " " : "", hint ? hint : "");
	}
done:
	w->seconds = tool_now() - start;
	w->exit = tool_exit_code(w->result);
	if (w->result) {
		status(w, "%-*s  FAILED (%s, exit %d) after %.1fs", (int)w->run->label_width,
		       w->label, dfu_errname(w->result), w->exit, w->seconds);
		message(w, "%s", w->message);
	} else {
		status(w, "%-*s  done in %.1fs", (int)w->run->label_width, w->label, w->seconds);
	}
	dfu_ctx_free(w->ctx);
	w->ctx = NULL;
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Finding the devices                                                       */
/* ------------------------------------------------------------------------ */

/* OUT with the label inserted before the extension: dump.bin and
 * 325E35633334 make dump-325E35633334.bin. */
static void out_name(const char *out, const char *label, char *buf, size_t cap)
{
	const char *slash = strrchr(out, '/');
	const char *dot = strrchr(slash ? slash + 1 : out, '.');
	char safe[128];
	size_t i;

	/* A path as label ("1-2.3") must not make a new extension or
	 * directory. */
	for (i = 0; label[i] && i + 1 < sizeof(safe); i++)
		safe[i] = label[i] == '/' || label[i] == '.' ? '_' : label[i];
	safe[i] = '\0';
	if (dot && dot != (slash ? slash + 1 : out))
		snprintf(buf, cap, "%.*s-%s%s", (int)(dot - out), out, safe, dot);
	else
		snprintf(buf, cap, "%s-%s", out, safe);
}

/* Workers in the order of their USB paths (1-2 before 1-10). */
static int by_path(const void *a, const void *b)
{
	return strverscmp(((const struct worker *)a)->path, ((const struct worker *)b)->path);
}

/* The DFU-mode devices that match, one worker each (by path: one device
 * may list more than one DFU interface). Refuses, before any device is
 * touched, what cannot be done for all of them. */
static int find_devices(struct dfu_ctx *ctx, struct all_run *run)
{
	const struct options *o = run->job->o;
	struct dfu_dev **list = NULL;
	size_t count = 0, i, j, runtime = 0;
	int err;

	err = dfu_usb_list(ctx, &o->match, &list, &count);
	if (err)
		return err;
	run->w = calloc(count ? count : 1, sizeof(*run->w));
	if (!run->w) {
		dfu_dev_list_free(list, count);
		return DFU_ERR_NO_MEM;
	}
	for (i = 0; i < count; i++) {
		struct dfu_dev_info d;
		struct dfu_chip_info ci;
		struct worker *w;
		bool seen = false;

		dfu_dev_info(list[i], &d);
		if (!d.dfu_mode) {
			runtime++;
			continue;
		}
		for (j = 0; j < run->n; j++)
			seen = seen || !strcmp(run->w[j].path, d.path);
		if (seen)
			continue;
		w = &run->w[run->n];
		w->run = run;
		w->index = run->n++;
		w->accessible = d.strings_read;
		snprintf(w->serial, sizeof(w->serial), "%s", d.serial);
		snprintf(w->path, sizeof(w->path), "%s", d.path);
		snprintf(w->label, sizeof(w->label), "%s", d.serial[0] ? d.serial : d.path);
		if (!dfu_chip_identify(d.id_product, d.bcd_device,
				       d.alt_count ? d.alts[0].layout : NULL, &ci))
			snprintf(w->chip, sizeof(w->chip), "%s", ci.name);
		else
			snprintf(w->chip, sizeof(w->chip), "unknown");
		if (strlen(w->label) > run->label_width)
			run->label_width = strlen(w->label);
	}
	dfu_dev_list_free(list, count);
	qsort(run->w, run->n, sizeof(*run->w), by_path);
	for (i = 0; i < run->n; i++)
		run->w[i].index = i;
	if (!run->n && runtime)
		return tool_fail(DFU_ERR_NO_DEVICE, "%zu device%s running %s application (DFU "
				 "run-time mode), none in the bootloader: put the ECUs in "
				 "bootloader mode: hold BOOT, then connect USB", runtime,
				 runtime == 1 ? " is" : "s are", runtime == 1 ? "its" : "their");
	if (!run->n)
		return tool_fail(DFU_ERR_NO_DEVICE, "no DFU device found: put the ECUs in "
				 "bootloader mode (hold BOOT on each, then connect USB)%s",
				 o->match.id_count || o->match.serial || o->match.path ?
				 " and check which devices were asked for (ids, serial, path)" : "");
	/* A recovery journal is named by the device's serial: two devices
	 * with one serial would share it. */
	for (i = 0; i < run->n; i++)
		for (j = i + 1; j < run->n; j++)
			if (run->w[i].accessible && run->w[j].accessible &&
			    !strcmp(run->w[i].serial, run->w[j].serial))
				return tool_fail(TOOL_REFUSED, "refused: the devices at %s and %s "
						 "both report serial \"%s\", and a device's "
						 "recovery journal is named by its serial; nothing "
						 "was touched. Do them one at a time: -p PATH",
						 run->w[i].path, run->w[j].path, run->w[i].serial);
	if (run->job->kind == TOOL_ALL_READ)
		for (i = 0; i < run->n; i++) {
			out_name(o->file, run->w[i].label, run->w[i].out, sizeof(run->w[i].out));
			err = tool_check_output(run->w[i].out, o->force, "read");
			if (err)
				return err;
		}
	return DFU_OK;
}

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

/* How bad an exit code is, for the one --all exits with: a device whose
 * flash may be wrong is worse than one that was not touched. */
static int severity(int code)
{
	static const int order[] = {
		TOOL_EXIT_OK, TOOL_EXIT_USAGE, TOOL_EXIT_REFUSED, TOOL_EXIT_FILE,
		TOOL_EXIT_NO_DEVICE, TOOL_EXIT_PROTECTED, TOOL_EXIT_FAILURE, TOOL_EXIT_DEVICE,
		TOOL_EXIT_VERIFY,
	};
	size_t i;

	if (code >= TOOL_EXIT_SIGNAL)
		return 100;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == code)
			return (int)i;
	return 6;
}

/* One device's JSON object: who, how it went, what the command did. */
static void json_device(const struct worker *w)
{
	const struct tool_all_job *job = w->run->job;

	printf("{\"serial\":");
	tool_json_string(stdout, w->serial);
	printf(",\"path\":");
	tool_json_string(stdout, w->path);
	printf(",\"chip\":");
	tool_json_string(stdout, w->chip);
	printf(",\"ok\":%s,\"exit\":%d,\"seconds\":%.3f,\"bytes\":%llu",
	       w->result ? "false" : "true", w->exit, w->seconds, (unsigned long long)w->bytes);
	if (w->result) {
		printf(",\"error\":");
		tool_json_string(stdout, w->result == TOOL_REFUSED ? "REFUSED" :
					 dfu_errname(w->result));
		if (w->result < 0)
			printf(",\"code\":%d", w->result);
		else
			printf(",\"code\":null");
		printf(",\"message\":");
		tool_json_string(stdout, w->message);
		if (w->has_phase) {
			printf(",\"phase\":");
			tool_json_string(stdout, dfu_phase_name(w->phase));
		}
	}
	switch (job->kind) {
	case TOOL_ALL_FLASH:
		printf(",\"file\":");
		tool_json_string(stdout, job->o->file);
		printf(",\"bytes_written\":%llu,\"bytes_verified\":%llu,\"sectors_erased\":%u,"
		       "\"sectors_kept\":%u,\"verified\":%s,\"left\":%s,\"gone\":%s",
		       (unsigned long long)w->fr.bytes_written,
		       (unsigned long long)w->fr.bytes_verified, w->fr.sectors_erased,
		       w->fr.sectors_kept, w->fr.verified ? "true" : "false",
		       w->fr.left ? "true" : "false", w->fr.gone ? "true" : "false");
		break;
	case TOOL_ALL_VERIFY:
		printf(",\"file\":");
		tool_json_string(stdout, job->o->file);
		printf(",\"verified\":%s", w->result ? "false" : "true");
		break;
	case TOOL_ALL_READ:
		printf(",\"file\":");
		tool_json_string(stdout, w->out);
		if (!w->result)
			printf(",\"address\":%u,\"length\":%u", (unsigned)w->address,
			       (unsigned)w->length);
		break;
	case TOOL_ALL_ERASE:
		printf(",\"sectors\":");
		tool_json_string(stdout, w->sectors);
		printf(",\"sectors_erased\":%u,\"bytes_erased\":%llu,\"bytes_kept\":%llu,"
		       "\"verified\":%s", w->fr.sectors_erased,
		       (unsigned long long)w->fr.bytes_erased,
		       (unsigned long long)w->fr.bytes_kept, w->fr.verified ? "true" : "false");
		break;
	case TOOL_ALL_OPTION_BYTES:
		if (w->has_ob) {
			printf(",\"changes\":%zu,\"option_bytes\":", w->ob_changes);
			tool_print_option_bytes(&w->ob, true);
		}
		break;
	}
	printf("}");
}

/* The summary on stderr (a table) and, with --json, the devices on
 * stdout; option-bytes' tables on stdout. */
static void report(const struct all_run *run, size_t failed)
{
	size_t i, chip_width = 4;
	char bytes[32];

	if (tool_globals.json) {
		printf("{\"devices\":[");
		for (i = 0; i < run->n; i++) {
			printf("%s", i ? "," : "");
			json_device(&run->w[i]);
		}
		printf("],\"succeeded\":%zu,\"failed\":%zu}\n", run->n - failed, failed);
		return;
	}
	if (run->job->kind == TOOL_ALL_OPTION_BYTES)
		for (i = 0; i < run->n; i++)
			if (run->w[i].has_ob) {
				printf("%s== %s (%s) ==\n", i ? "\n" : "", run->w[i].label,
				       run->w[i].path);
				tool_print_option_bytes(&run->w[i].ob, false);
			}
	fflush(stdout);
	if (tool_globals.verbosity < 0)
		return;
	for (i = 0; i < run->n; i++)
		if (strlen(run->w[i].chip) > chip_width)
			chip_width = strlen(run->w[i].chip);
	fprintf(stderr, "dfuflash: %s on %zu device%s: %zu succeeded, %zu failed\n",
		run->job->o->cmd_name, run->n, run->n == 1 ? "" : "s", run->n - failed, failed);
	fprintf(stderr, "  %-*s  %-*s  %-18s  %10s  %7s\n", (int)run->label_width, "serial",
		(int)chip_width, "chip", "result", "bytes", "time");
	for (i = 0; i < run->n; i++) {
		const struct worker *w = &run->w[i];
		char result[32];

		if (w->result)
			snprintf(result, sizeof(result), "FAILED %s (%d)",
				 w->result == TOOL_REFUSED ? "REFUSED" : dfu_errname(w->result),
				 w->exit);
		else
			snprintf(result, sizeof(result), "ok");
		human(bytes, sizeof(bytes), (double)w->bytes);
		fprintf(stderr, "  %-*s  %-*s  %-18s  %10s  %6.1fs\n", (int)run->label_width,
			w->label, (int)chip_width, w->chip, result, bytes, w->seconds);
	}
}

/* The bytes of target 0 of img (what verify compares). */
static uint64_t image_bytes(const struct dfu_image *img)
{
	uint64_t total = 0;
	size_t i, n = img && dfu_image_target_count(img) ? dfu_image_segment_count(img, 0) : 0;

	for (i = 0; i < n; i++) {
		struct dfu_segment s;

		dfu_image_segment(img, 0, i, &s);
		total += s.size;
	}
	return total;
}

/* The terminal's width, 80 when it cannot be told. */
static unsigned term_width(void)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 1)
		return ws.ws_col - 1u;
	return 79;
}

/* See tool.h. */
int tool_all_run(struct dfu_ctx *ctx, const struct tool_all_job *job)
{
	struct all_run run;
	size_t i, failed = 0, worst = 0;
	int err;

	if (job->o->wait) {
		tool_error("%s: --all takes the devices in DFU mode now; --wait is for one device",
			   job->o->cmd_name);
		return TOOL_USAGE;
	}
	memset(&run, 0, sizeof(run));
	run.job = job;
	run.image_bytes = image_bytes(job->img);
	err = find_devices(ctx, &run);
	if (err) {
		free(run.w);
		return err;
	}
	run.board.n = run.n;
	run.board.show = tool_globals.verbosity >= 0 && !tool_globals.json;
	run.board.live = run.board.show && isatty(STDERR_FILENO);
	run.board.width = run.board.live ? term_width() : 0;
	run.board.lines = calloc(run.n, sizeof(*run.board.lines));
	if (!run.board.lines) {
		free(run.w);
		return DFU_ERR_NO_MEM;
	}
	for (i = 0; i < run.n; i++)
		snprintf(run.board.lines[i], STATUS_CHARS, "%-*s  waiting", (int)run.label_width,
			 run.w[i].label);
	pthread_mutex_init(&run.board.lock, NULL);
	if (run.board.show && !run.board.live)
		fprintf(stderr, "dfuflash: %s on %zu device%s at once\n", job->o->cmd_name,
			run.n, run.n == 1 ? "" : "s");
	for (i = 0; i < run.n; i++) {
		if (pthread_create(&run.w[i].thread, NULL, worker_main, &run.w[i])) {
			run.w[i].result = DFU_ERR_NO_MEM;
			run.w[i].exit = tool_exit_code(DFU_ERR_NO_MEM);
			snprintf(run.w[i].message, sizeof(run.w[i].message),
				 "cannot start a thread for this device; nothing was done");
			continue;
		}
		run.w[i].started = true;
	}
	for (i = 0; i < run.n; i++)
		if (run.w[i].started)
			pthread_join(run.w[i].thread, NULL);
	pthread_mutex_destroy(&run.board.lock);
	for (i = 0; i < run.n; i++)
		if (run.w[i].result) {
			failed++;
			if (severity(run.w[i].exit) > severity(run.w[worst].exit) ||
			    !run.w[worst].result)
				worst = i;
		}
	report(&run, failed);
	err = DFU_OK;
	if (failed) {
		char names[512];
		size_t used = 0;

		names[0] = '\0';
		for (i = 0; i < run.n && used + 1 < sizeof(names); i++) {
			int k;

			if (!run.w[i].result)
				continue;
			k = snprintf(names + used, sizeof(names) - used, "%s%s (%s)",
				     used ? ", " : "", run.w[i].label,
				     run.w[i].result == TOOL_REFUSED ? "REFUSED" :
				     dfu_errname(run.w[i].result));
			if (k < 0)
				break;
			used += (size_t)k;
		}
		err = tool_fail(run.w[worst].result, "%zu of %zu devices failed: %s", failed,
				run.n, names);
	}
	free(run.board.lines);
	free(run.w);
	return err;
}
