/*
 * journal.c - the recovery journal: the bytes a job must leave in the
 * sectors it erases, on disk before the first erase, so that a power cut,
 * an unplugged cable, Ctrl-C or a failed request cannot lose what the job
 * keeps (DESIGN.md, Flashing semantics). One file per device in the state
 * directory (dfu_ctx_state_dir()), named by chip and serial:
 *
 *   DFUFLASH JOURNAL 1\n
 *   serial=325E35633334\n chip=STM32F405/407/415/417\n ids=0483:df11\n
 *   dual_bank=0\n mass_erase=0\n created=2026-11-30T23:59:59Z\n
 *   what=flash\n lost=\n (what a wrong erase wiped, if anything) groups=2\n
 *   \n
 *   then per group: address (u32 LE), size (u32 LE), size bytes;
 *   then "END!" and the zlib CRC-32 (u32 LE) of everything before it.
 *
 * A journal is written to a temporary file, fsynced, renamed into place
 * and its directory fsynced, so it is either whole or absent; the CRC
 * catches a file damaged later. A journal is applied only to the device
 * it names (chip and serial).
 */
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "DFUFLASH JOURNAL 1\n"
#define TRAILER "END!"
/* A journal larger than this is not one of ours (flash is at most 2 MB). */
#define MAX_JOURNAL_BYTES (64u * 1024u * 1024u)

/* See engine.h. */
int dfu_journal_path(struct dfu_dev *dev, char *buf, size_t cap)
{
	char chip[64], serial[64];
	int n;

	dfu_state_slug(dev->probe.chip.name, chip, sizeof(chip));
	dfu_state_slug(dev->info.serial[0] ? dev->info.serial : "no-serial", serial, sizeof(serial));
	n = snprintf(buf, cap, "%s/journal-%04x-%04x-%s-%s.dfj", dfu_ctx_state_dir(dev->ctx),
		     dev->info.id_vendor, dev->info.id_product, chip, serial);
	if (n < 0 || (size_t)n >= cap)
		return dfu_fail(dev->ctx, DFU_ERR_IO, "journal path too long");
	return DFU_OK;
}

/* Writes all of buf to fd. */
static bool write_all(int fd, const void *buf, size_t len, uLong *crc)
{
	const uint8_t *p = buf;

	*crc = crc32(*crc, buf, (uInt)len);
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* See engine.h. */
int dfu_journal_save(struct dfu_dev *dev, const struct dfu_job *job, bool mass_erase,
		     const char *what, const char *lost)
{
	const char *dir = dfu_ctx_state_dir(dev->ctx);
	char path[700], tmp[720], head[1600], stamp[32];
	uint8_t b[8];
	uLong crc = crc32(0, NULL, 0);
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	bool ok;
	int fd, err, n;

	err = dfu_state_mkdirs(dev->ctx, dir);
	if (!err)
		err = dfu_journal_path(dev, path, sizeof(path));
	if (err)
		return err;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(head, sizeof(head),
		     MAGIC "serial=%s\nchip=%s\nids=%04x:%04x\ndual_bank=%d\nmass_erase=%d\n"
		     "created=%s\nwhat=%s\nlost=%s\ngroups=%zu\n\n",
		     dev->info.serial, dev->probe.chip.name, dev->info.id_vendor,
		     dev->info.id_product, dev->probe.dual_bank ? 1 : 0, mass_erase ? 1 : 0,
		     stamp, what ? what : "", lost ? lost : "", job->ngroups);
	if (n < 0 || (size_t)n >= sizeof(head))
		return dfu_fail(dev->ctx, DFU_ERR_IO, "journal header too long");
	for (i = 0; head[i]; i++)
		if (head[i] == '\r')
			head[i] = ' ';
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return dfu_fail(dev->ctx, DFU_ERR_IO, "cannot write the recovery journal %s: %s; "
				"nothing was erased", tmp, strerror(errno));
	ok = write_all(fd, head, (size_t)n, &crc);
	for (i = 0; ok && i < job->ngroups; i++) {
		put32(b, job->groups[i].address);
		put32(b + 4, job->groups[i].size);
		ok = write_all(fd, b, 8, &crc) &&
		     write_all(fd, job->groups[i].data, job->groups[i].size, &crc);
	}
	if (ok) {
		uLong dummy = 0;

		ok = write_all(fd, TRAILER, 4, &crc);
		put32(b, (uint32_t)crc);
		ok = ok && write_all(fd, b, 4, &dummy);
	}
	ok = ok && fsync(fd) == 0;
	if (close(fd))
		ok = false;
	if (!ok || rename(tmp, path)) {
		err = dfu_fail(dev->ctx, DFU_ERR_IO, "cannot write the recovery journal %s: %s; "
			       "nothing was erased", path, strerror(errno));
		unlink(tmp);
		return err;
	}
	dfu_state_sync_dir(dir);
	dfu_log(dev->ctx, DFU_LOG_INFO, "saved the bytes this job keeps in %s", path);
	return DFU_OK;
}

/* Frees what a loaded journal holds. */
void dfu_journal_clear(struct dfu_journal *j)
{
	if (!j)
		return;
	dfu_job_free(&j->job);
	memset(j, 0, sizeof(*j));
}

/* Copies the value of "key=value" lines of the header. */
static void header_field(const char *head, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = head;

	out[0] = '\0';
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t v = len - klen - 1;

			if (v >= cap)
				v = cap - 1;
			memcpy(out, p + klen + 1, v);
			out[v] = '\0';
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* Reads a whole file (at most MAX_JOURNAL_BYTES). */
static int slurp(struct dfu_ctx *ctx, const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f)
		return dfu_fail(ctx, errno == ENOENT ? DFU_ERR_NOT_FOUND : DFU_ERR_IO,
				"cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    (unsigned long)size > MAX_JOURNAL_BYTES || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: not a journal (size)", path);
	}
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return dfu_fail(ctx, DFU_ERR_IO, "cannot read %s", path);
	}
	fclose(f);
	*data = buf;
	*len = (size_t)size;
	return DFU_OK;
}

/* Parses and checks a journal file's bytes into j. */
static int parse(struct dfu_ctx *ctx, const char *path, const uint8_t *d, size_t len,
		 struct dfu_journal *j)
{
	struct dfu_journal_info *in = &j->info;
	char head[1600], v[64];
	const uint8_t *end;
	size_t hl, off, i, n;
	unsigned vid = 0, pid = 0;

	if (len < strlen(MAGIC) + 8 || memcmp(d, MAGIC, strlen(MAGIC)))
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: not a recovery journal", path);
	end = d + len - 8;
	if (memcmp(end, TRAILER, 4) || get32(end + 4) != (uint32_t)crc32(0, d, (uInt)(len - 4)))
		return dfu_fail(ctx, DFU_ERR_CHECKSUM, "%s: the journal is damaged (its CRC "
				"does not match)", path);
	for (hl = 0; hl + 1 < len && hl + 1 < sizeof(head); hl++)
		if (d[hl] == '\n' && d[hl + 1] == '\n')
			break;
	if (hl + 1 >= len || hl + 1 >= sizeof(head))
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: journal header unterminated", path);
	memcpy(head, d, hl + 1);
	head[hl + 1] = '\0';
	snprintf(in->path, sizeof(in->path), "%s", path);
	header_field(head, "serial", in->serial, sizeof(in->serial));
	header_field(head, "chip", in->chip, sizeof(in->chip));
	header_field(head, "created", in->created, sizeof(in->created));
	header_field(head, "what", in->what, sizeof(in->what));
	header_field(head, "lost", in->lost, sizeof(in->lost));
	header_field(head, "ids", v, sizeof(v));
	{
		char *colon = NULL;

		vid = (unsigned)strtoul(v, &colon, 16);
		if (colon && *colon == ':')
			pid = (unsigned)strtoul(colon + 1, NULL, 16);
		if (!colon || *colon != ':' || vid > 0xFFFF || pid > 0xFFFF)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: journal has no device ids",
					path);
	}
	in->id_vendor = (uint16_t)vid;
	in->id_product = (uint16_t)pid;
	header_field(head, "dual_bank", v, sizeof(v));
	in->dual_bank = v[0] == '1';
	header_field(head, "mass_erase", v, sizeof(v));
	in->mass_erase = v[0] == '1';
	header_field(head, "groups", v, sizeof(v));
	n = (size_t)strtoul(v, NULL, 10);
	if (n > 4096)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: %zu groups is not a journal", path, n);
	j->job.groups = calloc(n ? n : 1, sizeof(*j->job.groups));
	if (!j->job.groups)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	off = hl + 2;
	for (i = 0; i < n; i++) {
		struct dfu_group *g = &j->job.groups[i];

		if ((size_t)(end - d) - off < 8)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: journal truncated", path);
		g->address = get32(d + off);
		g->size = get32(d + off + 4);
		off += 8;
		if ((size_t)(end - d) - off < g->size || !g->size)
			return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: journal truncated", path);
		g->data = malloc(g->size);
		if (!g->data)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
		memcpy(g->data, d + off, g->size);
		off += g->size;
		j->job.ngroups++;
		in->bytes += g->size;
	}
	in->groups = n;
	in->valid = true;
	return DFU_OK;
}

/* See engine.h. */
int dfu_journal_load(struct dfu_ctx *ctx, const char *path, struct dfu_journal *out)
{
	struct dfu_journal j;
	uint8_t *data = NULL;
	size_t len = 0;
	int err;

	memset(&j, 0, sizeof(j));
	err = slurp(ctx, path, &data, &len);
	if (err)
		return err;
	err = parse(ctx, path, data, len, &j);
	free(data);
	if (err) {
		dfu_journal_clear(&j);
		return err;
	}
	*out = j;
	return DFU_OK;
}

/* See engine.h. */
int dfu_journal_drop(struct dfu_dev *dev)
{
	char path[700];
	int err = dfu_journal_path(dev, path, sizeof(path));

	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return dfu_fail(dev->ctx, DFU_ERR_IO, "cannot remove the journal %s: %s", path,
				strerror(errno));
	dfu_state_sync_dir(dfu_ctx_state_dir(dev->ctx));
	return DFU_OK;
}

/* Every journal in the state directory, readable or not. */
int dfu_journal_list(struct dfu_ctx *ctx, struct dfu_journal_info **out, size_t *count)
{
	const char *dir = dfu_ctx_state_dir(ctx);
	struct dfu_journal_info *list = NULL;
	struct dirent *e;
	size_t n = 0, cap = 0;
	DIR *d;

	if (!out || !count)
		return DFU_ERR_INVALID_ARG;
	*out = NULL;
	*count = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? DFU_OK :
		       dfu_fail(ctx, DFU_ERR_IO, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct dfu_journal j;
		char path[700];

		if (l < 4 || strcmp(e->d_name + l - 4, ".dfj") || strncmp(e->d_name, "journal-", 8))
			continue;
		if (n == cap) {
			struct dfu_journal_info *g;

			cap = cap ? cap * 2 : 8;
			g = realloc(list, cap * sizeof(*list));
			if (!g) {
				free(list);
				closedir(d);
				return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
			}
			list = g;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		memset(&j, 0, sizeof(j));
		if (dfu_journal_load(ctx, path, &j)) {
			memset(&list[n], 0, sizeof(list[n]));
			snprintf(list[n].path, sizeof(list[n].path), "%s", path);
			snprintf(list[n].problem, sizeof(list[n].problem), "%s", dfu_detail(ctx));
		} else {
			list[n] = j.info;
		}
		dfu_journal_clear(&j);
		n++;
	}
	closedir(d);
	*out = list;
	*count = n;
	return DFU_OK;
}

/* Removes a journal the user gave up on. Only files that look like ours. */
int dfu_journal_discard(struct dfu_ctx *ctx, const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	if (!base || strncmp(base, "journal-", 8) || strlen(base) < 12 ||
	    strcmp(base + strlen(base) - 4, ".dfj"))
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "%s is not a journal file",
				path ? path : "(null)");
	if (unlink(path))
		return dfu_fail(ctx, errno == ENOENT ? DFU_ERR_NOT_FOUND : DFU_ERR_IO,
				"cannot remove %s: %s", path, strerror(errno));
	return DFU_OK;
}
