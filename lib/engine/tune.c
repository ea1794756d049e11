/*
 * tune.c - the FOME tune: the two copies of the configuration the
 * firmware keeps in its own flash sectors (knowledge/fome.c knows where,
 * per chip and bank mode). Before any update erases anything, the tune is
 * read and saved as an Intel HEX file (addresses included, readable by any
 * tool) in <state directory>/tunes, named by board, serial and time:
 *
 *   tunes/tune_<board>_<serial>_<yyyymmdd-hhmmss>[-N].hex
 *
 * After the flash it is read again and must be byte-identical. `tune
 * backup` and `tune restore FILE` are journeys of their own (update.c):
 * restore writes only inside the tune region and backs up what it
 * replaces first.
 */
#include "engine.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* See dfuflash.h. */
int dfu_tune_dir(struct dfu_ctx *ctx, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/tunes", dfu_ctx_state_dir(ctx));

	if (n < 0 || (size_t)n >= cap)
		return dfu_fail(ctx, DFU_ERR_IO, "state directory path too long");
	return DFU_OK;
}

/* Reads the tune region into a new buffer. */
static int read_tune(struct journey *j, uint8_t **out)
{
	size_t len = j->tune_end - j->tune_start;
	uint8_t *buf = malloc(len ? len : 1);
	int err;

	if (!buf)
		return dfu_fail(j->ctx, DFU_ERR_NO_MEM, "out of memory");
	err = dfu_read(j->dev, j->tune_start, buf, len, j->opts->progress,
		       j->opts->progress_user);
	if (err) {
		free(buf);
		return dfu_fail_during(j->ctx, err, "reading the tune");
	}
	*out = buf;
	return DFU_OK;
}

/* See engine.h. */
int dfu_tune_save(struct journey *j)
{
	struct dfu_image *img = NULL;
	struct dfu_write_opts wo = { .format = DFU_FORMAT_IHEX };
	char dir[600], board[64], serial[64], stamp[32];
	uint8_t *hex = NULL;
	size_t hex_len = 0, t;
	unsigned n;
	time_t now = time(NULL);
	struct tm tm;
	int err;

	err = read_tune(j, &j->tune);
	if (err)
		return dfu_fail(j->ctx, err, "%s; the tune could not be backed up, so nothing "
				"was erased", dfu_detail(j->ctx));
	err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, 0, "tune", &t);
	if (!err)
		err = dfu_image_add_data(j->ctx, img, t, j->tune_start, j->tune,
					 j->tune_end - j->tune_start);
	if (!err)
		err = dfu_image_write_mem(j->ctx, img, &wo, &hex, &hex_len);
	dfu_image_free(img);
	if (!err)
		err = dfu_tune_dir(j->ctx, dir, sizeof(dir));
	if (!err) {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		dfu_state_slug(j->res->board[0] ? j->res->board : "unknown", board, sizeof(board));
		dfu_state_slug(j->res->serial[0] ? j->res->serial : "no-serial", serial,
			       sizeof(serial));
		/* Never over an earlier backup made in the same second. */
		snprintf(j->res->backup_path, sizeof(j->res->backup_path),
			 "%s/tune_%s_%s_%s.hex", dir, board, serial, stamp);
		for (n = 2; access(j->res->backup_path, F_OK) == 0 && n < 1000; n++)
			snprintf(j->res->backup_path, sizeof(j->res->backup_path),
				 "%s/tune_%s_%s_%s-%u.hex", dir, board, serial, stamp, n);
		err = dfu_state_write_file(j->ctx, j->res->backup_path, hex, hex_len);
		if (err)
			j->res->backup_path[0] = '\0';
	}
	free(hex);
	if (err)
		return dfu_fail(j->ctx, err, "%s; the tune could not be backed up, so nothing "
				"was erased", dfu_detail(j->ctx));
	if (j->opts->step)
		j->opts->step(j->opts->step_user, DFU_STEP_BACKUP, j->res->backup_path);
	return DFU_OK;
}

/* See engine.h. */
int dfu_tune_check(struct journey *j)
{
	uint8_t *now = NULL;
	size_t i, len = j->tune_end - j->tune_start;
	char text[200];
	int err;

	err = read_tune(j, &now);
	if (err)
		return err;
	for (i = 0; i < len && now[i] == j->tune[i]; i++)
		;
	free(now);
	if (i < len)
		return dfu_fail(j->ctx, DFU_ERR_VERIFY, "the tune changed at 0x%08X although "
				"nothing was written there; restore it from %s",
				(unsigned)(j->tune_start + i), j->res->backup_path);
	j->res->tune_kept = true;
	snprintf(text, sizeof(text), "the tune (0x%08X-0x%08X) reads back byte-identical",
		 (unsigned)j->tune_start, (unsigned)(j->tune_end - 1));
	if (j->opts->step)
		j->opts->step(j->opts->step_user, DFU_STEP_TUNE_CHECK, text);
	return DFU_OK;
}

/* See engine.h. */
void dfu_tune_free(struct journey *j)
{
	free(j->tune);
	j->tune = NULL;
}

static int backup_job(struct journey *j)
{
	return dfu_tune_save(j);
}

/* A tune journey: either route, no bundle, job() on the open device. */
static int run_tune_journey(struct dfu_ctx *ctx, const struct dfu_update_opts *opts,
			    struct dfu_update_result *res, const char *file,
			    int (*job)(struct journey *j))
{
	struct journey j;
	int err;

	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.opts = opts;
	j.res = res;
	j.openblt_possible = true;
	j.restore_file = file;
	j.job = job;
	err = dfu_journey_run(&j);
	dfu_tune_free(&j);
	return err;
}

/* See dfuflash.h. */
int dfu_tune_backup(struct dfu_ctx *ctx, const struct dfu_update_opts *opts,
		    struct dfu_update_result *res)
{
	if (!ctx || !opts || !res)
		return DFU_ERR_INVALID_ARG;
	return run_tune_journey(ctx, opts, res, NULL, backup_job);
}

/* Writes the file's bytes into the tune region: only there. */
static int restore_job(struct journey *j)
{
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *img = NULL;
	size_t s, n;
	int err;

	err = dfu_image_read_file(j->ctx, j->restore_file, &ro, &img);
	if (err)
		return err;
	n = dfu_image_segment_count(img, 0);
	for (s = 0; s < n; s++) {
		struct dfu_segment seg;

		if (dfu_image_segment(img, 0, s, &seg))
			continue;
		if (seg.address < j->tune_start ||
		    (uint64_t)seg.address + seg.size > j->tune_end) {
			dfu_image_free(img);
			return dfu_fail(j->ctx, DFU_ERR_RANGE, "%s holds bytes at 0x%08X-0x%08X, "
					"outside this ECU's tune (0x%08X-0x%08X): it is not a tune "
					"backup for this chip; nothing was changed", j->restore_file,
					(unsigned)seg.address,
					(unsigned)(seg.address + seg.size - 1),
					(unsigned)j->tune_start, (unsigned)(j->tune_end - 1));
		}
	}
	if (!n) {
		dfu_image_free(img);
		return dfu_fail(j->ctx, DFU_ERR_FORMAT, "%s holds no data", j->restore_file);
	}
	err = dfu_tune_save(j);
	if (!err)
		err = dfu_journey_flash(j, img);
	dfu_image_free(img);
	return err;
}

/* See dfuflash.h. */
int dfu_tune_restore(struct dfu_ctx *ctx, const char *file, const struct dfu_update_opts *opts,
		     struct dfu_update_result *res)
{
	struct dfu_read_opts ro = { .format = DFU_FORMAT_AUTO };
	struct dfu_image *probe = NULL;
	int err;

	if (!ctx || !file || !opts || !res)
		return DFU_ERR_INVALID_ARG;
	/* The file must be readable before the ECU is touched. */
	err = dfu_image_read_file(ctx, file, &ro, &probe);
	dfu_image_free(probe);
	if (err)
		return err;
	return run_tune_journey(ctx, opts, res, file, restore_job);
}

struct tune_entry {
	char *path;
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct tune_entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
	return strcmp(y->path, x->path);
}

/* See dfuflash.h. */
int dfu_tune_list(struct dfu_ctx *ctx, char ***paths, size_t *count)
{
	struct tune_entry *e = NULL;
	char dir[600], path[900];
	struct dirent *d;
	size_t n = 0, cap = 0, i;
	DIR *dp;
	int err;

	*paths = NULL;
	*count = 0;
	err = dfu_tune_dir(ctx, dir, sizeof(dir));
	if (err)
		return err;
	dp = opendir(dir);
	if (!dp)
		return DFU_OK;
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		struct stat st;

		if (len < 5 || strcmp(d->d_name + len - 4, ".hex") || strncmp(d->d_name, "tune_", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct tune_entry *ne = realloc(e, (cap ? cap * 2 : 8) * sizeof(*e));

			if (!ne)
				break;
			e = ne;
			cap = cap ? cap * 2 : 8;
		}
		e[n].path = strdup(path);
		e[n].mtime = st.st_mtim;
		if (e[n].path)
			n++;
	}
	closedir(dp);
	qsort(e, n, sizeof(*e), newest_first);
	*paths = calloc(n ? n : 1, sizeof(char *));
	if (!*paths) {
		for (i = 0; i < n; i++)
			free(e[i].path);
		free(e);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		(*paths)[i] = e[i].path;
	*count = n;
	free(e);
	return DFU_OK;
}

/* See dfuflash.h. */
void dfu_tune_list_free(char **paths, size_t count)
{
	size_t i;

	for (i = 0; paths && i < count; i++)
		free(paths[i]);
	free(paths);
}
