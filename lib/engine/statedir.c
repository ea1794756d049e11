/*
 * statedir.c - files in the state directory (dfu_ctx_state_dir()) that must
 * survive a power cut: the recovery journals (journal.c) and the tune
 * backups (tune.c). A file is written to a temporary name, fsynced, renamed
 * into place and its directory fsynced, so it is either whole or absent.
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates dir and its parents (mode 0700). */
int dfu_state_mkdirs(struct dfu_ctx *ctx, const char *dir)
{
	char buf[600];
	size_t i, n = strlen(dir);

	if (n >= sizeof(buf))
		return dfu_fail(ctx, DFU_ERR_IO, "state directory path too long");
	memcpy(buf, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return dfu_fail(ctx, DFU_ERR_IO, "cannot create %s: %s", buf,
					strerror(errno));
		buf[i] = i < n ? '/' : '\0';
	}
	return DFU_OK;
}

/* Keeps letters, digits, '-' and '_' of s; anything else becomes '_'. */
void dfu_state_slug(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++) {
		char c = s[i];

		out[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-') ? c : '_';
	}
	out[i] = '\0';
}

/* fsyncs the directory that holds path, so the rename itself is durable. */
void dfu_state_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* See engine.h. */
int dfu_state_write_file(struct dfu_ctx *ctx, const char *path, const void *data, size_t len)
{
	char tmp[720], dir[700];
	const uint8_t *p = data;
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (slash && dfu_state_mkdirs(ctx, dir))
		return DFU_ERR_IO;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return dfu_fail(ctx, DFU_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
	if (len || fsync(fd)) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return dfu_fail(ctx, DFU_ERR_IO, "cannot write %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return dfu_fail(ctx, DFU_ERR_IO, "cannot rename %s to %s: %s", tmp, path,
				strerror(e));
	}
	if (slash)
		dfu_state_sync_dir(dir);
	return DFU_OK;
}
