/*
 * test_engine.c - the flashing engine against the simulator core, in-process
 * (tests/unit/support/sim_transport.c): the bytes in the simulated flash,
 * the exact request sequence (a golden transcript), the poll timeouts
 * honoured exactly, and what happens on refusals, verify failures, dfuERROR,
 * read protection and the quirks of real ROMs.
 *
 * DFU_GOLDEN_UPDATE=1 rewrites the golden files instead of comparing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuflash.h"
#include "sim_transport.h"

struct fixture {
	char state[64];   /* this case's own journal directory */
	struct dfu_ctx *ctx;
	struct sim_transport *st;
	struct dfu_dev *dev;
	uint8_t *flash;
	uint32_t base;
	size_t size;
};

static void open_chip(struct fixture *f, const char *chip)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(dfu_ctx_new(&f->ctx), DFU_OK);
	snprintf(f->state, sizeof(f->state), "%s/dfu-engine.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->state));
	assert_int_equal(dfu_ctx_set_state_dir(f->ctx, f->state), DFU_OK);
	f->st = sim_transport_new(chip);
	assert_non_null(f->st);
	f->flash = dfusim_flash(f->st->sim, &f->base, &f->size);
	assert_non_null(f->flash);
}

static void open_dev(struct fixture *f)
{
	assert_int_equal(sim_transport_open(f->ctx, f->st, &f->dev), DFU_OK);
}

static void close_chip(struct fixture *f)
{
	char cmd[128];

	dfu_dev_close(f->dev);
	sim_transport_free(f->st);
	dfu_ctx_free(f->ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->state);
	assert_int_equal(system(cmd), 0);
}

/* An image of len bytes at address; byte i is (i * 7 + seed). */
static struct dfu_image *pattern_image(uint32_t address, size_t len, unsigned seed)
{
	struct dfu_image *img = NULL;
	uint8_t *d = malloc(len);
	size_t i, idx;

	assert_non_null(d);
	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + seed);
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &idx), DFU_OK);
	assert_int_equal(dfu_image_add_data(NULL, img, idx, address, d, len), DFU_OK);
	free(d);
	return img;
}

static void check_pattern(const uint8_t *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 7 + seed))
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, p[i],
				 (uint8_t)(i * 7 + seed));
}

static void check_fill(const uint8_t *p, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, p[i], v);
}

/* Every "poll=N ms" busy answer is followed by a sleep of exactly N ms
 * before the next request. */
static void check_polls_honoured(const char *log)
{
	const char *p = log;
	unsigned busy = 0;

	while ((p = strstr(p, "dfuDNBUSY poll=")) != NULL) {
		unsigned ms = (unsigned)strtoul(p + strlen("dfuDNBUSY poll="), NULL, 10);
		const char *eol = strchr(p, '\n');
		char want[32];

		assert_non_null(eol);
		snprintf(want, sizeof(want), "\nsleep %u ms\n", ms);
		if (strncmp(eol, want, strlen(want)))
			fail_msg("a busy answer with poll=%u ms is not followed by \"sleep %u ms\"",
				 ms, ms);
		busy++;
		p = eol;
	}
	assert_true(busy > 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

/* Compares the transcript with tests/data/golden/NAME, line by line. */
static void check_golden(const char *name, const char *got)
{
	const char *dir = getenv("DFU_TEST_DATA");
	const char *update = getenv("DFU_GOLDEN_UPDATE");
	char path[1024];
	char *want;
	const char *a, *b;
	unsigned line = 1;

	if (!dir)
		skip();
	snprintf(path, sizeof(path), "%s/golden/%s", dir, name);
	if (update && !strcmp(update, "1")) {
		FILE *fp = fopen(path, "wb");

		assert_non_null(fp);
		fputs(got, fp);
		fclose(fp);
		return;
	}
	want = slurp(path);
	if (!want)
		fail_msg("no golden file %s (DFU_GOLDEN_UPDATE=1 makes it)", path);
	for (a = want, b = got; *a && *b; a++, b++) {
		if (*a != *b)
			fail_msg("%s differs at line %u", path, line);
		if (*a == '\n')
			line++;
	}
	if (*a || *b)
		fail_msg("%s differs at line %u (one of them is longer)", path, line);
	free(want);
}

/* A 20 KiB image over sector 0 and part of sector 1, with a "tune" in the
 * rest of sector 1 and in sector 2: sector 0 is written, sector 1 read,
 * erased and written back with the tune, sector 2 untouched. */
static void small_flash_golden(void **state)
{
	/* The classic path, request by request (smart flash has its own
	 * test below: on this mostly blank chip it would erase nothing). */
	struct dfu_flash_opts fo = { .leave = true, .no_smart = true };
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	memset(f.flash + 0x6000, 0x5A, 0x100);   /* tune in sector 1 */
	memset(f.flash + 0x8000, 0xA5, 0x4000);  /* sector 2 full */
	open_dev(&f);
	img = pattern_image(0x08000000, 20 * 1024, 3);
	sim_transport_record(f.st, true);
	assert_int_equal(dfu_flash(f.dev, img, &fo, &res), DFU_OK);
	check_pattern(f.flash, 20 * 1024, 3);
	check_fill(f.flash + 0x5000, 0x1000, 0xFF);
	check_fill(f.flash + 0x6000, 0x100, 0x5A);
	check_fill(f.flash + 0x6100, 0x1F00, 0xFF);
	check_fill(f.flash + 0x8000, 0x4000, 0xA5);
	check_fill(f.flash + 0xC000, f.size - 0xC000, 0xFF);
	assert_true(res.verified);
	assert_true(res.left);
	assert_true(res.gone);
	assert_int_equal(res.sectors_erased, 2);
	assert_int_equal(res.sectors_kept, 1);
	/* The F407 ROM comes up in dfuERROR/errFIRMWARE: cleared and reported. */
	assert_true(res.found_error);
	assert_int_equal(res.found_status, DFU_STATUS_ERR_FIRMWARE);
	check_polls_honoured(f.st->log);
	check_golden("flash_f407_small.txt", f.st->log);
	dfu_image_free(img);
	close_chip(&f);
}

/* The request after the line at p that is a DNLOAD, UPLOAD or ABORT. */
static const char *next_transfer(const char *p)
{
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (!strncmp(p, "DNLOAD", 6) || !strncmp(p, "UPLOAD", 6) || !strncmp(p, "ABORT", 5))
			return p;
	}
	return NULL;
}

/* One SET_ADDRESS per contiguous run of writes, then blocks 2, 3, 4, ...
 * (SET_ADDRESS before reads, for the blank check, are not counted). */
static void one_set_address_per_run(void **state)
{
	struct dfu_flash_opts fo = { .no_verify = true };
	struct fixture f;
	struct dfu_image *img;
	const char *p;
	unsigned write_runs = 0, block = 2;

	(void)state;
	open_chip(&f, "stm32f407");
	open_dev(&f);
	img = pattern_image(0x08000000, 64 * 1024, 1);
	sim_transport_record(f.st, true);
	assert_int_equal(dfu_flash(f.dev, img, &fo, NULL), DFU_OK);
	for (p = f.st->log; (p = strstr(p, "DNLOAD block=")) != NULL; p++) {
		unsigned b = (unsigned)strtoul(p + strlen("DNLOAD block="), NULL, 10);

		if (b == 0) {
			const char *eol = strchr(p, '\n'), *sa = strstr(p, "SET_ADDRESS"), *nx;

			nx = next_transfer(p);
			if (sa && sa < eol && nx && !strncmp(nx, "DNLOAD block=2 ", 15))
				write_runs++;
			continue;
		}
		assert_int_equal(b, block);
		block++;
	}
	assert_int_equal(write_runs, 1);
	assert_int_equal(block, 2 + 32);   /* 64 KiB in 2 KiB blocks */
	check_pattern(f.flash, 64 * 1024, 1);
	dfu_image_free(img);
	close_chip(&f);
}

/* Dual-bank F767 (nDBANK=0) whose ROM erases by the single-bank map: the
 * engine uses the true map, names each sector so the ROM erases the right
 * one, keeps the bytes around the image, and the result is exact. */
static void f767_dual_bank(void **state)
{
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f767");
	assert_int_equal(dfusim_set_option(f.st->sim, "nDBANK", 0), 0);
	memset(f.flash, 0x00, f.size);
	memset(f.flash + 0x9000, 0x77, 0x100);   /* in true sector 2 */
	open_dev(&f);
	img = pattern_image(0x08000000, 600 * 1024, 5);
	assert_int_equal(dfu_flash(f.dev, img, NULL, &res), DFU_OK);
	check_pattern(f.flash, 600 * 1024, 5);
	/* 600 KiB ends inside true sector 8 (0x08080000-0x0809FFFF)... */
	check_fill(f.flash + 600 * 1024, 0xA0000 - 600 * 1024, 0x00);
	/* ...and nothing after it was touched. */
	check_fill(f.flash + 0xA0000, f.size - 0xA0000, 0x00);
	assert_true(res.verified);
	assert_int_equal(res.sectors_erased, 9);
	dfu_image_free(img);

	/* Bank 2 cannot be erased sector by sector: mass erase, keeping
	 * every other byte. */
	memset(f.flash + 0x9000, 0x77, 0x100);
	img = pattern_image(0x08100000, 4096, 6);
	assert_int_equal(dfu_flash(f.dev, img, NULL, &res), DFU_OK);
	check_pattern(f.flash, 0x9000, 5);
	check_fill(f.flash + 0x9000, 0x100, 0x77);
	check_pattern(f.flash + 0x100000, 4096, 6);
	check_fill(f.flash + 0x101000, f.size - 0x101000, 0x00);
	dfu_image_free(img);
	close_chip(&f);
}

/* A refused plan sends nothing that changes the device. */
static void refusal_changes_nothing(void **state)
{
	struct fixture f;
	struct dfu_image *img;
	int err;

	(void)state;
	open_chip(&f, "stm32f407");
	memset(f.flash, 0x11, f.size);
	open_dev(&f);
	img = pattern_image(0x080FF000, 0x2000, 1);   /* runs past the end */
	sim_transport_record(f.st, true);
	err = dfu_flash(f.dev, img, NULL, NULL);
	assert_int_equal(err, DFU_ERR_RANGE);
	assert_non_null(strstr(dfu_detail(f.ctx), "0x08100000"));
	assert_null(strstr(f.st->log, "DNLOAD"));
	check_fill(f.flash, f.size, 0x11);
	dfu_image_free(img);
	close_chip(&f);
}

static int corrupt_at_verify(void *user, const struct dfu_progress *p)
{
	struct fixture *f = user;

	if (p->phase == DFU_PHASE_VERIFY && p->done == 0)
		f->flash[0x123] ^= 0x01;
	return 0;
}

/* A failed verify never ends in leave. */
static void failed_verify_stays(void **state)
{
	struct dfu_flash_opts fo = { .leave = true };
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	open_dev(&f);
	fo.progress = corrupt_at_verify;
	fo.progress_user = &f;
	img = pattern_image(0x08000000, 4096, 9);
	sim_transport_record(f.st, true);
	assert_int_equal(dfu_flash(f.dev, img, &fo, &res), DFU_ERR_VERIFY);
	assert_non_null(strstr(dfu_detail(f.ctx), "verify failed at 0x08000123"));
	assert_non_null(strstr(dfu_detail(f.ctx), "stays in DFU mode"));
	assert_null(strstr(f.st->log, "(leave)"));
	assert_false(f.st->gone);
	assert_false(res.left);
	dfu_image_free(img);
	close_chip(&f);
}

/* Read protection: errVENDOR becomes DFU_ERR_PROTECTED with the way out. */
static void read_protection(void **state)
{
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	assert_int_equal(dfusim_set_option(f.st->sim, "RDP", 0xBB), 0);
	memset(f.flash, 0x22, f.size);
	open_dev(&f);
	img = pattern_image(0x08000000, 4096, 1);
	assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_ERR_PROTECTED);
	if (!strstr(dfu_detail(f.ctx), "unprotect"))
		fail_msg("detail \"%s\"", dfu_detail(f.ctx));
	assert_non_null(strstr(dfu_detail(f.ctx), "wipes the whole flash"));
	check_fill(f.flash, f.size, 0x22);
	dfu_image_free(img);
	close_chip(&f);
}

/* A write-protected sector in the plan: refused before anything is erased. */
static void write_protection(void **state)
{
	static const struct {
		const char *chip;
		uint32_t nwrp;
		uint32_t address;
		const char *detail;
	} cases[] = {
		{ "stm32f407", 0xFFD, 0x08000000, "sector 1 (0x08004000) is write-protected" },
		{ "stm32f767", 0xFF7, 0x08010000, "sector 3 (0x08018000) is write-protected" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		struct dfu_image *img;

		print_message("case: %s\n", cases[i].chip);
		open_chip(&f, cases[i].chip);
		assert_int_equal(dfusim_set_option(f.st->sim, "nWRP", cases[i].nwrp), 0);
		memset(f.flash, 0x42, f.size);
		open_dev(&f);
		img = pattern_image(cases[i].address, 0x10000, 1);
		assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_ERR_PROTECTED);
		if (!strstr(dfu_detail(f.ctx), cases[i].detail))
			fail_msg("detail \"%s\"", dfu_detail(f.ctx));
		check_fill(f.flash, f.size, 0x42);
		dfu_image_free(img);
		close_chip(&f);
	}
}

/* H743 rev V stays dfuDNBUSY after erasing in bank 2: recovered. */
static void h7_stuck_busy(void **state)
{
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32h743");
	open_dev(&f);
	img = pattern_image(0x08100000, 8192, 4);
	assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_OK);
	check_pattern(f.flash + 0x100000, 8192, 4);
	dfu_image_free(img);
	close_chip(&f);
}

/* Mass erase: everything else goes; the F405's lie about its duration is
 * survived by polling as long as the device says busy. */
static void mass_erase(void **state)
{
	struct dfu_flash_opts fo = { .mass_erase = true };
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f405");
	memset(f.flash, 0x33, f.size);
	open_dev(&f);
	img = pattern_image(0x08000000, 3000, 2);
	assert_int_equal(dfu_flash(f.dev, img, &fo, NULL), DFU_OK);
	check_pattern(f.flash, 3000, 2);
	check_fill(f.flash + 3000, f.size - 3000, 0xFF);
	dfu_image_free(img);
	close_chip(&f);
}

/* Alt settings by number and by name; a wrong one lists what exists. */
static void alt_selection(void **state)
{
	struct fixture f;
	const struct dfu_alt_info *a;

	(void)state;
	open_chip(&f, "stm32f407");
	open_dev(&f);
	assert_int_equal(dfu_dev_select_alt(f.dev, "Option Bytes"), DFU_OK);
	a = dfu_dev_alt(f.dev);
	assert_int_equal(a->alt, 1);
	assert_int_equal(dfu_dev_select_alt(f.dev, "0"), DFU_OK);
	a = dfu_dev_alt(f.dev);
	assert_non_null(a->layout);
	assert_int_equal(a->layout->count, 12);
	assert_int_equal(dfu_dev_select_alt(f.dev, "7"), DFU_ERR_NOT_FOUND);
	assert_non_null(strstr(dfu_detail(f.ctx), "0 \"@Internal Flash"));
	assert_int_equal(dfu_dev_select_alt(f.dev, "Nope"), DFU_ERR_NOT_FOUND);
	close_chip(&f);
}

/* Reading and erasing ranges. */
static void read_and_erase(void **state)
{
	struct fixture f;
	uint8_t buf[5000];

	(void)state;
	open_chip(&f, "stm32f407");
	memset(f.flash, 0x44, f.size);
	f.flash[0x4001] = 0x99;
	open_dev(&f);
	assert_int_equal(dfu_dev_select_alt(f.dev, "0"), DFU_OK);
	assert_int_equal(dfu_read(f.dev, 0x08004000, buf, sizeof(buf), NULL, NULL), DFU_OK);
	assert_int_equal(buf[1], 0x99);
	assert_int_equal(buf[4999], 0x44);
	assert_int_equal(dfu_read(f.dev, 0x080FFFF0, buf, 32, NULL, NULL), DFU_ERR_RANGE);
	/* Exactly the range is blank; the rest of sector 2 is kept. */
	assert_int_equal(dfu_erase_range(f.dev, 0x08004000, 0x4001, NULL, NULL), DFU_OK);
	check_fill(f.flash, 0x4000, 0x44);
	check_fill(f.flash + 0x4000, 0x4001, 0xFF);
	check_fill(f.flash + 0x8001, f.size - 0x8001, 0x44);
	assert_int_equal(dfu_erase_sectors(f.dev, 11, 12, NULL, NULL), DFU_ERR_RANGE);
	if (!strstr(dfu_detail(f.ctx), "sector 12 does not exist") ||
	    !strstr(dfu_detail(f.ctx), "its sectors are 0-11"))
		fail_msg("detail \"%s\"", dfu_detail(f.ctx));
	check_fill(f.flash + 0x8001, f.size - 0x8001, 0x44);
	assert_int_equal(dfu_erase_sectors(f.dev, 3, 4, NULL, NULL), DFU_OK);
	check_fill(f.flash + 0xC000, 0x14000, 0xFF);
	check_fill(f.flash + 0x20000, f.size - 0x20000, 0x44);
	close_chip(&f);
}

/* Keeps the recovery's warning. */
static void keep_warning(void *user, enum dfu_log_level level, const char *msg)
{
	char *buf = user;

	if (level == DFU_LOG_WARNING && strstr(msg, "still held data"))
		snprintf(buf, 512, "%s", msg);
}

/* How many mass erases the simulated device did. */
static unsigned mass_erases(struct fixture *f)
{
	char *json = dfusim_stats_json(f->st->sim);
	const char *p;
	unsigned n;

	assert_non_null(json);
	p = strstr(json, "\"mass_erases\":");
	assert_non_null(p);
	n = (unsigned)strtoul(p + strlen("\"mass_erases\":"), NULL, 10);
	free(json);
	return n;
}

/* When the bank mode of an F76x cannot be read (its option bytes stall),
 * the engine cannot know the true map: it refuses before anything is
 * erased instead of trusting the ROM's map (the very trap). */
static void unknown_bank_mode_refused(void **state)
{
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f767");
	assert_int_equal(dfusim_set_option(f.st->sim, "nDBANK", 0), 0);
	assert_int_equal(dfusim_add_fault(f.st->sim, "status=errTARGET@addr:0x1FFF0000,repeat"), 0);
	memset(f.flash, 0x00, f.size);
	open_dev(&f);
	img = pattern_image(0x08000000, 0x10000, 5);
	assert_int_not_equal(dfu_flash(f.dev, img, NULL, &res), DFU_OK);
	if (!strstr(dfu_detail(f.ctx), "nDBANK") || !strstr(dfu_detail(f.ctx), "nothing was erased"))
		fail_msg("detail \"%s\"", dfu_detail(f.ctx));
	assert_false(res.verified);
	check_fill(f.flash, f.size, 0x00);
	assert_int_equal(mass_erases(&f), 0);
	dfu_image_free(img);
	close_chip(&f);
}

/* misdirect: the 3rd sector erase (sector 2) erases sector 1 instead,
 * which the image replaces anyway; sector 3 (the "tune") is kept. */
static void misdirected_erase_recovered(void **state)
{
	struct fixture f;
	struct dfu_image *img;
	char warning[512] = "";

	(void)state;
	open_chip(&f, "stm32f407");
	assert_int_equal(dfusim_add_fault(f.st->sim, "misdirect@erase:3"), 0);
	memset(f.flash, 0x5A, f.size);
	dfu_ctx_set_log(f.ctx, keep_warning, warning, DFU_LOG_WARNING);
	open_dev(&f);
	img = pattern_image(0x08000000, 0xA000, 9);
	assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_OK);
	check_pattern(f.flash, 0xA000, 9);
	check_fill(f.flash + 0xA000, f.size - 0xA000, 0x5A);
	assert_int_equal(mass_erases(&f), 1);
	assert_non_null(strstr(warning, "sector 2 at 0x08008000 still held data"));
	assert_null(strstr(warning, "cannot be restored"));
	dfu_image_free(img);
	close_chip(&f);
}

/* A file whose target names alt 2 (OTP) is written there: not erasable,
 * so written in place, and read back. Two targets are refused. */
static void target_alt(void **state)
{
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img = NULL;
	uint8_t data[32], back[32];
	size_t idx, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xA0 + i);
	open_chip(&f, "stm32f407");
	open_dev(&f);
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 2, "OTP", &idx), DFU_OK);
	assert_int_equal(dfu_image_add_data(NULL, img, idx, 0x1FFF7800, data, sizeof(data)),
			 DFU_OK);
	sim_transport_record(f.st, true);
	assert_int_equal(dfu_flash(f.dev, img, NULL, &res), DFU_OK);
	assert_non_null(strstr(f.st->log, "SET_INTERFACE 0 alt 2"));
	assert_null(strstr(f.st->log, "cmd=ERASE"));
	assert_true(res.verified);
	assert_int_equal(dfu_read(f.dev, 0x1FFF7800, back, sizeof(back), NULL, NULL), DFU_OK);
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &idx), DFU_OK);
	assert_int_equal(dfu_image_add_data(NULL, img, idx, 0x08000000, data, sizeof(data)),
			 DFU_OK);
	assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_ERR_UNSUPPORTED);
	assert_non_null(strstr(dfu_detail(f.ctx), "2 targets"));
	dfu_image_free(img);
	close_chip(&f);
}

struct progress_log {
	int phases[16];
	size_t nphases;
	uint64_t last_done, last_total;
	bool bad;
};

static int record_progress(void *user, const struct dfu_progress *p)
{
	struct progress_log *l = user;

	if (!l->nphases || l->phases[l->nphases - 1] != (int)p->phase) {
		if (l->nphases && l->last_done != l->last_total)
			l->bad = true;   /* the previous phase did not finish */
		if (l->nphases < 16)
			l->phases[l->nphases++] = (int)p->phase;
	} else if (p->done < l->last_done) {
		l->bad = true;           /* went backwards */
	}
	if (p->done > p->total)
		l->bad = true;
	l->last_done = p->done;
	l->last_total = p->total;
	return 0;
}

/* Progress: read (what is kept), erase, write, verify, each from 0 to its
 * total, never backwards. */
static void progress_phases(void **state)
{
	struct progress_log log = { { 0 }, 0, 0, 0, false };
	struct dfu_flash_opts fo = { .progress = record_progress, .progress_user = &log };
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	memset(f.flash + 0x6000, 0x12, 0x10);
	open_dev(&f);
	img = pattern_image(0x08000000, 0x5000, 1);
	fo.progress_user = &log;
	assert_int_equal(dfu_flash(f.dev, img, &fo, NULL), DFU_OK);
	assert_false(log.bad);
	assert_int_equal(log.nphases, 4);
	assert_int_equal(log.phases[0], DFU_PHASE_READ);
	assert_int_equal(log.phases[1], DFU_PHASE_ERASE);
	assert_int_equal(log.phases[2], DFU_PHASE_WRITE);
	assert_int_equal(log.phases[3], DFU_PHASE_VERIFY);
	assert_int_equal(log.last_done, log.last_total);
	assert_int_equal(log.last_total, 0x8000);   /* sectors 0 and 1 read back */
	dfu_image_free(img);
	close_chip(&f);
}

/* A progress callback that says stop: nothing more is sent. */
static int stop_at_write(void *user, const struct dfu_progress *p)
{
	(void)user;
	return p->phase == DFU_PHASE_WRITE && p->done > 0;
}

static void cancel(void **state)
{
	struct dfu_flash_opts fo = { .progress = stop_at_write, .leave = true };
	struct dfu_flash_result res;
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	open_dev(&f);
	img = pattern_image(0x08000000, 0x5000, 1);
	assert_int_equal(dfu_flash(f.dev, img, &fo, &res), DFU_ERR_CANCELLED);
	assert_false(res.left);
	assert_int_equal(res.bytes_written, 2048);
	/* Only the first block was written. */
	check_pattern(f.flash, 2048, 1);
	check_fill(f.flash + 2048, 0x5000 - 2048, 0xFF);
	dfu_image_free(img);
	close_chip(&f);
}

/* Leave: a stall on the GETSTATUS after the request is success. */
static void leave_pipe_error(void **state)
{
	struct dfu_flash_result res = { 0 };
	struct fixture f;

	(void)state;
	open_chip(&f, "stm32f407");
	assert_int_equal(dfusim_set_quirk(f.st->sim, "leave-pipe-error", true), 0);
	open_dev(&f);
	assert_int_equal(dfu_dev_select_alt(f.dev, "0"), DFU_OK);
	assert_int_equal(dfu_make_idle(f.dev, NULL), DFU_OK);
	sim_transport_record(f.st, true);
	assert_int_equal(dfu_leave(f.dev, true, 0x08000000, 1000, &res), DFU_OK);
	assert_non_null(strstr(f.st->log, "SET_ADDRESS 0x08000000"));
	assert_true(res.left);
	assert_true(res.gone);
	close_chip(&f);
}

/* A device that stalls GETSTATUS while busy (STM32L4) is polled on. */
static void l4_stall_busy(void **state)
{
	struct fixture f;
	struct dfu_image *img;

	(void)state;
	open_chip(&f, "stm32f407");
	assert_int_equal(dfusim_set_quirk(f.st->sim, "l4-stall-busy", true), 0);
	open_dev(&f);
	img = pattern_image(0x08000000, 10000, 8);
	assert_int_equal(dfu_flash(f.dev, img, NULL, NULL), DFU_OK);
	check_pattern(f.flash, 10000, 8);
	dfu_image_free(img);
	close_chip(&f);
}

struct fault_case {
	const char *what;
	const char *fault;
	int err;
	const char *detail_has;
};

static const struct fault_case faults[] = {
	{ "errWRITE at the second block", "status=errWRITE@write:2", DFU_ERR_DEVICE,
	  "write at 0x08000800: the device reports errWRITE" },
	{ "errTARGET when sector 1 is first touched", "status=errTARGET@addr:0x08004000-0x08007fff",
	  DFU_ERR_DEVICE, "at 0x08004000: the device reports errTARGET" },
	{ "errERASE", "status=errERASE@erase:2", DFU_ERR_DEVICE,
	  "erase at 0x08004000: the device reports errERASE" },
	{ "disconnect during the write", "disconnect@write:3", DFU_ERR_DISCONNECTED,
	  "device disconnected" },
	{ "no answer to an upload", "timeout@upload:2", DFU_ERR_TIMEOUT, "UPLOAD failed" },
};

/* Device failures become errors that say what and where; nothing leaves. */
static void device_faults(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct dfu_flash_opts fo = { .leave = true };
		struct dfu_flash_result res;
		struct fixture f;
		struct dfu_image *img;

		print_message("case: %s\n", faults[i].what);
		open_chip(&f, "stm32f407");
		memset(f.flash, 0x00, f.size);   /* every sector needs its erase */
		assert_int_equal(dfusim_add_fault(f.st->sim, faults[i].fault), 0);
		open_dev(&f);
		img = pattern_image(0x08000000, 40000, 2);
		assert_int_equal(dfu_flash(f.dev, img, &fo, &res), faults[i].err);
		if (!strstr(dfu_detail(f.ctx), faults[i].detail_has))
			fail_msg("detail \"%s\" lacks \"%s\"", dfu_detail(f.ctx),
				 faults[i].detail_has);
		assert_false(res.left);
		dfu_image_free(img);
		close_chip(&f);
	}
}

/* How many requests of a kind the simulated device saw. */
static unsigned stat_of(struct fixture *f, const char *kind)
{
	char *json = dfusim_stats_json(f->st->sim), key[64];
	const char *p;
	unsigned n;

	assert_non_null(json);
	snprintf(key, sizeof(key), "\"%s\":", kind);
	p = strstr(json, key);
	assert_non_null(p);
	n = (unsigned)strtoul(p + strlen(key), NULL, 10);
	free(json);
	return n;
}

/* Smart flash: a sector already right is skipped (read, not erased or
 * written), a blank one is programmed without an erase, one that needs
 * only 1->0 changes too on an F4 (not on an H7, whose ECC words cannot be
 * programmed twice), and one that needs a 0->1 change is erased. Every
 * byte ends right, and --no-smart erases everything the image touches. */
static void smart_flash(void **state)
{
	static const struct {
		const char *what;
		const char *chip;
		uint8_t before;     /* fill of the flash before */
		uint8_t image;      /* fill of the image */
		bool no_smart;
		unsigned erases, writes_min, skipped;
	} cases[] = {
		{ "identical: nothing erased or written", "stm32f407", 0x5A, 0x5A, false, 0, 0, 2 },
		{ "blank: programmed, not erased", "stm32f407", 0xFF, 0x5A, false, 0, 1, 0 },
		{ "1->0 only on an F4: programmed", "stm32f407", 0x7E, 0x5A, false, 0, 1, 0 },
		{ "1->0 only on an H7: erased (ECC words)", "stm32h743", 0x7E, 0x5A, false, 1, 1, 0 },
		{ "0->1 needed: erased", "stm32f407", 0x00, 0x5A, false, 2, 1, 0 },
		{ "--no-smart: erased although identical", "stm32f407", 0x5A, 0x5A, true, 2, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfu_flash_opts fo = { .no_smart = cases[i].no_smart };
		struct dfu_flash_result res;
		struct dfu_image *img = NULL;
		struct fixture f;
		uint8_t *d;
		size_t idx;
		uint32_t len = 0x8000;   /* two F4 sectors, part of one H7 sector */

		print_message("case: %s\n", cases[i].what);
		open_chip(&f, cases[i].chip);
		memset(f.flash, cases[i].before, f.size);
		memset(f.flash + len, 0x33, 0x100);   /* data after the image */
		open_dev(&f);
		d = malloc(len);
		assert_non_null(d);
		memset(d, cases[i].image, len);
		assert_int_equal(dfu_image_new(&img), DFU_OK);
		assert_int_equal(dfu_image_add_target(img, 0, NULL, &idx), DFU_OK);
		assert_int_equal(dfu_image_add_data(NULL, img, idx, 0x08000000, d, len), DFU_OK);
		assert_int_equal(dfu_flash(f.dev, img, &fo, &res), DFU_OK);
		check_fill(f.flash, len, cases[i].image);
		check_fill(f.flash + len, 0x100, 0x33);
		assert_true(res.verified);
		if (stat_of(&f, "erase") != cases[i].erases)
			fail_msg("%u erases, expected %u", stat_of(&f, "erase"), cases[i].erases);
		if (cases[i].writes_min ? stat_of(&f, "write") < cases[i].writes_min :
					  stat_of(&f, "write") != 0)
			fail_msg("%u writes", stat_of(&f, "write"));
		assert_int_equal(res.sectors_skipped, cases[i].skipped);
		free(d);
		dfu_image_free(img);
		close_chip(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_flash_golden),
		cmocka_unit_test(smart_flash),
		cmocka_unit_test(one_set_address_per_run),
		cmocka_unit_test(f767_dual_bank),
		cmocka_unit_test(refusal_changes_nothing),
		cmocka_unit_test(failed_verify_stays),
		cmocka_unit_test(read_protection),
		cmocka_unit_test(write_protection),
		cmocka_unit_test(h7_stuck_busy),
		cmocka_unit_test(mass_erase),
		cmocka_unit_test(alt_selection),
		cmocka_unit_test(read_and_erase),
		cmocka_unit_test(unknown_bank_mode_refused),
		cmocka_unit_test(misdirected_erase_recovered),
		cmocka_unit_test(target_alt),
		cmocka_unit_test(progress_phases),
		cmocka_unit_test(cancel),
		cmocka_unit_test(leave_pipe_error),
		cmocka_unit_test(l4_stall_busy),
		cmocka_unit_test(device_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
