/*
 * test_sim_quirks.c - each quirk on and off, and the profiles' defaults.
 */
#include "test_sim_util.h"

#define IMG_LEN (100 * 1024)
static uint8_t image[IMG_LEN];

static void fill_image(void)
{
	size_t i;

	for (i = 0; i < IMG_LEN; i++)
		image[i] = (uint8_t)(i * 13 + (i >> 9) + 0x5A);
}

/* Erases the sectors a host believes the image touches (sizes from the
 * layout it was told), then writes the image as dfu-util does. */
static void host_flash(struct dfusim *sim, const uint32_t *sector_starts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(t_erase(sim, sector_starts[i]), 0);
	assert_int_equal(t_write(sim, 0x08000000, image, IMG_LEN, 2048), 0);
}

/* The single-bank layout's sectors that cover 100 KB: 4 x 32 KB. */
static const uint32_t single_sectors[] = { 0x08000000, 0x08008000, 0x08010000, 0x08018000 };
/* The true dual-bank sectors that cover 100 KB: 4 x 16 KB + 64 KB. */
static const uint32_t dual_sectors[] = { 0x08000000, 0x08004000, 0x08008000, 0x0800C000,
					 0x08010000 };

static struct dfusim *f767_dual_with_old_data(bool quirk)
{
	struct dfusim *sim = t_new("stm32f767");
	size_t size;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);

	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), 0);
	assert_int_equal(dfusim_set_quirk(sim, "f7-dualbank-erase", quirk), 0);
	memset(flash, 0x00, size);  /* it held other data */
	return sim;
}

/* The seed's failure: dual-bank F767, the host erases by the single-bank
 * layout the ROM reports, the write "succeeds", the bytes are wrong. */
static void f7_dualbank_erase_on(void **state)
{
	struct dfusim *sim = f767_dual_with_old_data(true);
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);
	size_t i, wrong = 0;

	(void)state;
	fill_image();
	host_flash(sim, single_sectors, 4);
	for (i = 0; i < IMG_LEN; i++)
		wrong += flash[i] != image[i];
	assert_true(wrong > 0);
	/* exactly: erases of single sectors 0-3 hit dual sectors 0-3, the
	 * first 64 KB; 0x08010000 onwards kept the old zeros */
	assert_memory_equal(flash, image, 0x10000);
	for (i = 0x10000; i < IMG_LEN; i++)
		assert_int_equal(flash[i], 0x00);
	dfusim_free(sim);
}

/* Mass erase, then the same erases and write: correct. */
static void f7_dualbank_mass_erase_fixes(void **state)
{
	struct dfusim *sim = f767_dual_with_old_data(true);
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	fill_image();
	assert_int_equal(t_mass_erase(sim), 0);
	host_flash(sim, single_sectors, 4);
	assert_memory_equal(flash, image, IMG_LEN);
	dfusim_free(sim);
}

/* Without the quirk, erasing the true dual-bank sectors is right. */
static void f7_dualbank_erase_off(void **state)
{
	struct dfusim *sim = f767_dual_with_old_data(false);
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	fill_image();
	host_flash(sim, dual_sectors, 5);
	assert_memory_equal(flash, image, IMG_LEN);
	assert_int_equal(flash[0x20000], 0x00);  /* the next sector kept its data */
	dfusim_free(sim);
}

struct erase_map_case {
	uint32_t addr;
	uint32_t first, len;
};

/* Which bytes one erase clears with the quirk, address by address. */
static void f7_dualbank_erase_map(void **state)
{
	static const struct erase_map_case cases[] = {
		{ 0x08000000, 0x08000000, 0x4000 },
		{ 0x08008000, 0x08004000, 0x4000 },
		{ 0x08020000, 0x08010000, 0x10000 },
		{ 0x08040000, 0x08020000, 0x20000 },
		{ 0x08080000, 0x08040000, 0x20000 },
		{ 0x08100000, 0x08080000, 0x20000 },  /* bank 2 never erased */
		{ 0x081C0000, 0x080E0000, 0x20000 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = f767_dual_with_old_data(true);
		size_t size;
		uint8_t *flash = dfusim_flash(sim, NULL, &size);
		uint32_t off = cases[i].first - 0x08000000;

		assert_int_equal(t_erase(sim, cases[i].addr), 0);
		for (k = 0; k < size; k += 0x1000) {
			bool in = k >= off && k < off + cases[i].len;

			if (flash[k] != (in ? 0xFF : 0x00))
				fail_msg("erase at 0x%08x: byte at +0x%zx is 0x%02x",
					 (unsigned)cases[i].addr, k, flash[k]);
		}
		dfusim_free(sim);
	}
}

static void f7_single_bank_unaffected(void **state)
{
	struct dfusim *sim = t_new("stm32f767");
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	fill_image();
	memset(flash, 0, IMG_LEN + 0x10000);
	host_flash(sim, single_sectors, 4);
	assert_memory_equal(flash, image, IMG_LEN);
	dfusim_free(sim);
}

/* The 1 MB STM32F767ZG: flash_size bytes of old data (0x00), nDBANK as
 * asked, the quirk as asked. */
static struct dfusim *f767zg_with_old_data(bool dual, bool quirk)
{
	struct dfusim *sim = t_new("stm32f767zg");
	size_t size;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);

	assert_int_equal(size, 1024 * 1024);
	assert_int_equal(dfusim_set_option(sim, "nDBANK", dual ? 0 : 1), 0);
	assert_int_equal(dfusim_set_quirk(sim, "f7-dualbank-erase", quirk), 0);
	memset(flash, 0x00, size);
	return sim;
}

/* Whether the model logged this erase line (sector number, start, size). */
static bool logged_erase(uint32_t addr, int sector, uint32_t start, uint32_t size)
{
	char want[96];
	size_t i;

	snprintf(want, sizeof(want), "ERASE 0x%08x sector %d 0x%08x+%u", (unsigned)addr,
		 sector, (unsigned)start, (unsigned)size);
	for (i = 0; i < t_nlog; i++)
		if (strstr(t_log[i], want))
			return true;
	return false;
}

/* After one erase, exactly [first, first + len) of the old zeros reads
 * 0xFF (checked every 4 KB, the smallest sector is 16 KB); len 0: none. */
static void assert_erased_only(const uint8_t *flash, size_t size, uint32_t addr,
			       uint32_t first, uint32_t len)
{
	size_t k;
	uint32_t off = first - 0x08000000;

	for (k = 0; k < size; k += 0x1000) {
		bool in = len && k >= off && k < off + len;

		if (flash[k] != (in ? 0xFF : 0x00) || flash[k + 0xFFF] != flash[k])
			fail_msg("erase at 0x%08x: byte at 0x%08zx is 0x%02x", (unsigned)addr,
				 0x08000000 + k, flash[k]);
	}
}

struct zg_map_case {
	bool dual;
	uint32_t addr;     /* any address in the sector */
	int sector;        /* RM0410's number */
	uint32_t start, size;
};

/* RM0410's maps of the 1 MB part, as the controller erases them (quirk
 * off, so the erase goes to the true sector): single bank 0-3 x32K, 4
 * x128K, 5-7 x256K; dual bank 0-3 x16K, 4 x64K, 5-7 x128K in bank 1 and
 * 12-15 x16K, 16 x64K, 17-19 x128K in bank 2 from 0x08080000. */
static void f767zg_sector_maps(void **state)
{
	static const struct zg_map_case cases[] = {
		{ false, 0x08000000, 0, 0x08000000, 0x8000 },
		{ false, 0x08008000, 1, 0x08008000, 0x8000 },
		{ false, 0x08010000, 2, 0x08010000, 0x8000 },
		{ false, 0x0801FFFF, 3, 0x08018000, 0x8000 },
		{ false, 0x08020000, 4, 0x08020000, 0x20000 },
		{ false, 0x08040000, 5, 0x08040000, 0x40000 },
		{ false, 0x08080000, 6, 0x08080000, 0x40000 },
		{ false, 0x080FFFFF, 7, 0x080C0000, 0x40000 },
		{ true, 0x08000000, 0, 0x08000000, 0x4000 },
		{ true, 0x08004000, 1, 0x08004000, 0x4000 },
		{ true, 0x08008000, 2, 0x08008000, 0x4000 },
		{ true, 0x0800C000, 3, 0x0800C000, 0x4000 },
		{ true, 0x08010000, 4, 0x08010000, 0x10000 },
		{ true, 0x08020000, 5, 0x08020000, 0x20000 },
		{ true, 0x08040000, 6, 0x08040000, 0x20000 },
		{ true, 0x0807FFFF, 7, 0x08060000, 0x20000 },
		{ true, 0x08080000, 12, 0x08080000, 0x4000 },
		{ true, 0x08084000, 13, 0x08084000, 0x4000 },
		{ true, 0x08088000, 14, 0x08088000, 0x4000 },
		{ true, 0x0808C000, 15, 0x0808C000, 0x4000 },
		{ true, 0x08090000, 16, 0x08090000, 0x10000 },
		{ true, 0x080A0000, 17, 0x080A0000, 0x20000 },
		{ true, 0x080C0000, 18, 0x080C0000, 0x20000 },
		{ true, 0x080FFFFF, 19, 0x080E0000, 0x20000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct zg_map_case *c = &cases[i];
		struct dfusim *sim = f767zg_with_old_data(c->dual, false);
		size_t size;
		uint8_t *flash = dfusim_flash(sim, NULL, &size);

		t_nlog = 0;
		assert_int_equal(t_erase(sim, c->addr), 0);
		if (!logged_erase(c->addr, c->sector, c->start, c->size))
			fail_msg("%s erase at 0x%08x: not sector %d 0x%08x+%u (log: %s)",
				 c->dual ? "dual" : "single", (unsigned)c->addr, c->sector,
				 (unsigned)c->start, (unsigned)c->size, t_nlog ? t_log[t_nlog - 1] : "");
		assert_erased_only(flash, size, c->addr, c->start, c->size);
		dfusim_free(sim);
	}
	/* past the end: errTARGET in both modes */
	for (i = 0; i < 2; i++) {
		struct dfusim *sim = f767zg_with_old_data(i == 1, false);

		assert_int_equal(t_erase(sim, 0x08100000), DFU_STATUS_ERR_TARGET);
		dfusim_free(sim);
	}
}

/* The quirk on the 1 MB part in dual-bank mode: the ROM numbers the sector
 * by the single-bank map (0-7), the controller erases that number in the
 * dual-bank map, which for 0-7 lies in bank 1. */
static void f767zg_dualbank_erase_map(void **state)
{
	static const struct zg_map_case cases[] = {
		/* addr = what the host erases; sector/start/size = what goes */
		{ true, 0x08000000, 0, 0x08000000, 0x4000 },
		{ true, 0x08008000, 1, 0x08004000, 0x4000 },
		{ true, 0x08010000, 2, 0x08008000, 0x4000 },
		{ true, 0x08018000, 3, 0x0800C000, 0x4000 },
		{ true, 0x08020000, 4, 0x08010000, 0x10000 },
		{ true, 0x08040000, 5, 0x08020000, 0x20000 },
		{ true, 0x08080000, 6, 0x08040000, 0x20000 },  /* bank 2's first address */
		{ true, 0x08090000, 6, 0x08040000, 0x20000 },  /* true sector 16 */
		{ true, 0x080C0000, 7, 0x08060000, 0x20000 },  /* the tune's sector 18 */
		{ true, 0x080FFFFF, 7, 0x08060000, 0x20000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct zg_map_case *c = &cases[i];
		struct dfusim *sim = f767zg_with_old_data(true, true);
		size_t size;
		uint8_t *flash = dfusim_flash(sim, NULL, &size);

		t_nlog = 0;
		assert_int_equal(t_erase(sim, c->addr), 0);  /* the ROM says OK */
		if (!logged_erase(c->addr, c->sector, c->start, c->size))
			fail_msg("quirk erase at 0x%08x: not sector %d 0x%08x+%u (log: %s)",
				 (unsigned)c->addr, c->sector, (unsigned)c->start,
				 (unsigned)c->size, t_nlog ? t_log[t_nlog - 1] : "");
		assert_erased_only(flash, size, c->addr, c->start, c->size);
		dfusim_free(sim);
	}
}

/* The seed's 1 MB case: erasing 0x08080000 (bank 2's sector 12) in
 * dual-bank mode leaves bank 2 as it was, so does erasing every sector the
 * reported layout has, and a write over bank 2 then holds old & new. */
static void f767zg_bank2_never_erased(void **state)
{
	static const uint32_t layout_sectors[] = {
		0x08000000, 0x08008000, 0x08010000, 0x08018000,
		0x08020000, 0x08040000, 0x08080000, 0x080C0000,
	};
	struct dfusim *sim = f767zg_with_old_data(true, true);
	size_t size, i, wrong = 0;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);
	uint8_t *before = malloc(size), *img = malloc(0x20000);

	(void)state;
	assert_non_null(before);
	assert_non_null(img);
	for (i = 0; i < size; i++)
		flash[i] = (uint8_t)(i * 7 + (i >> 11) + 1);
	memcpy(before, flash, size);
	assert_int_equal(t_erase(sim, 0x08080000), 0);
	assert_memory_equal(flash + 0x80000, before + 0x80000, 0x80000);
	for (i = 0; i < sizeof(layout_sectors) / sizeof(layout_sectors[0]); i++)
		assert_int_equal(t_erase(sim, layout_sectors[i]), 0);
	assert_memory_equal(flash + 0x80000, before + 0x80000, 0x80000);
	for (i = 0; i < 0x80000; i++)
		assert_int_equal(flash[i], 0xFF);  /* bank 1: all erased, by chance */
	/* 128 KB written at 0x08080000: success, and wrong bytes */
	for (i = 0; i < 0x20000; i++)
		img[i] = (uint8_t)(i * 13 + 0x5A);
	assert_int_equal(t_write(sim, 0x08080000, img, 0x20000, 2048), 0);
	for (i = 0; i < 0x20000; i++) {
		assert_int_equal(flash[0x80000 + i], before[0x80000 + i] & img[i]);
		wrong += flash[0x80000 + i] != img[i];
	}
	assert_true(wrong > 0);
	/* without the quirk the true sector 12 goes */
	assert_int_equal(dfusim_set_quirk(sim, "f7-dualbank-erase", false), 0);
	assert_int_equal(t_erase(sim, 0x08080000), 0);
	for (i = 0; i < 0x4000; i++)
		assert_int_equal(flash[0x80000 + i], 0xFF);
	assert_int_not_equal(flash[0x84000], 0xFF);
	free(before);
	free(img);
	dfusim_free(sim);
}

/* Mass erase: 100 ms reported, 8 s of work, the next GETSTATUS held. */
static void f405_masserase_timeout(void **state)
{
	static const bool on[] = { true, false };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct dfusim *sim = t_new("stm32f405");
		uint8_t cmd = DFUSE_CMD_ERASE, st[6], buf[6];
		struct dfusim_reply r;
		uint64_t start;

		assert_int_equal(dfusim_set_time_scale(sim, 1.0), 0);
		assert_int_equal(dfusim_set_quirk(sim, "f405-masserase-timeout", on[i]), 0);
		assert_int_equal(t_dnload(sim, 0, &cmd, 1), DFUSIM_ACK);
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		start = t_now;
		assert_int_equal(t_poll(st), on[i] ? 100 : 8000);
		r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
		assert_int_equal(buf[4], DFU_STATE_DNLOAD_IDLE);
		assert_true(r.ready_at_us >= start + 8000000 - 10000);
		dfusim_free(sim);
	}
}

/* L4: GETSTATUS stalls while busy instead of blocking; the state stays. */
static void l4_stall_busy(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];

	(void)state;
	assert_int_equal(dfusim_set_time_scale(sim, 1.0), 0);
	assert_int_equal(dfusim_set_quirk(sim, "l4-stall-busy", true), 0);
	assert_int_equal(t_dnload(sim, 0, "\x41\x00\x00\x00\x08", 5), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_STALL);
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_DNBUSY);
	assert_int_equal(t_status(sim, st), DFUSIM_STALL);
	t_now += 300000;  /* the 250 ms erase is over */
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[4], DFU_STATE_DNLOAD_IDLE);
	/* off: never a stall */
	assert_int_equal(dfusim_set_quirk(sim, "l4-stall-busy", false), 0);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	dfusim_free(sim);
}

/* H743: an erase in bank 2 leaves dfuDNBUSY until a CLRSTATUS pair. */
static void h7_stuck_busy(void **state)
{
	struct dfusim *sim = t_new("stm32h743");
	uint8_t st[6];
	int i;
	size_t size;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);

	(void)state;
	memset(flash, 0, size);
	assert_int_equal(t_erase(sim, 0x08000000), 0);  /* bank 1: fine */
	assert_int_equal(t_dnload(sim, 0, "\x41\x00\x00\x10\x08", 5), DFUSIM_ACK);
	for (i = 0; i < 5; i++) {
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		assert_int_equal(st[4], DFU_STATE_DNBUSY);
	}
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], DFU_STATUS_ERR_UNKNOWN);
	assert_int_equal(st[4], DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], DFU_STATUS_OK);
	assert_int_equal(st[4], DFU_STATE_IDLE);
	assert_int_equal(flash[0x100000], 0xFF);  /* the erase was done */
	assert_int_equal(flash[0x120000], 0x00);
	/* off */
	assert_int_equal(dfusim_set_quirk(sim, "h7-stuck-busy", false), 0);
	assert_int_equal(t_erase(sim, 0x08120000), 0);
	dfusim_free(sim);
}

static void leave_pipe_error(void **state)
{
	static const bool on[] = { true, false };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct dfusim *sim = t_new("stm32f407");
		uint8_t buf[6];
		struct dfusim_reply r;

		assert_int_equal(dfusim_set_quirk(sim, "leave-pipe-error", on[i]), 0);
		assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
		r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
		assert_int_equal(r.outcome, on[i] ? DFUSIM_STALL : DFUSIM_ACK);
		assert_int_equal(r.event, DFUSIM_EV_RUN_APP);
		dfusim_free(sim);
	}
}

static void first_status_errfirmware(void **state)
{
	struct dfusim *sim = dfusim_new("stm32f407");  /* default quirks */
	uint8_t st[6];

	(void)state;
	assert_non_null(sim);
	assert_int_equal(dfusim_set_time_scale(sim, 0), 0);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], DFU_STATUS_ERR_FIRMWARE);
	assert_int_equal(st[4], DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[4], DFU_STATE_IDLE);
	/* again after every enumeration */
	dfusim_reenumerated(sim, t_now);
	assert_int_equal(t_state(sim), DFU_STATE_ERROR);
	dfusim_reenumerated(sim, t_now);
	assert_int_equal(dfusim_set_quirk(sim, "first-status-errfirmware", false), 0);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);
}

struct default_case {
	const char *chip;
	const char *quirk;
	bool on;
};

/* The defaults decided from REFERENCE.md. */
static void defaults_per_chip(void **state)
{
	static const struct default_case cases[] = {
		{ "stm32f405", "f405-masserase-timeout", true },
		{ "stm32f407", "f405-masserase-timeout", true },
		{ "stm32f429", "f405-masserase-timeout", true },
		{ "stm32f767", "f405-masserase-timeout", false },
		{ "stm32f767", "f7-dualbank-erase", true },
		{ "stm32f767zg", "f7-dualbank-erase", true },
		{ "stm32f767zg", "f405-masserase-timeout", false },
		{ "stm32f746", "f7-dualbank-erase", false },
		{ "stm32h743", "h7-stuck-busy", true },
		{ "stm32h743", "first-status-errfirmware", false },
		{ "stm32f407", "leave-pipe-error", false },
	};
	char *json = dfusim_chips_json();
	size_t i;

	(void)state;
	assert_non_null(json);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = strstr(json, cases[i].chip);
		const char *q = p ? strstr(p, "\"quirks\":[") : NULL;
		const char *end = q ? strchr(q, ']') : NULL;
		const char *hit;

		assert_non_null(end);
		hit = strstr(q, cases[i].quirk);
		if ((hit && hit < end) != cases[i].on)
			fail_msg("%s: %s should be %s", cases[i].chip, cases[i].quirk,
				 cases[i].on ? "on" : "off");
	}
	free(json);
}

static void quirk_names(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	size_t i;

	(void)state;
	assert_int_equal(dfusim_set_quirk(sim, "no-such-quirk", true), -1);
	assert_non_null(strstr(dfusim_error(sim), "h7-stuck-busy"));
	assert_int_equal(dfusim_quirk_count(), 7);
	for (i = 0; i < dfusim_quirk_count(); i++) {
		assert_non_null(dfusim_quirk_report(dfusim_quirk_name(i)));
		assert_int_equal(dfusim_set_quirk(sim, dfusim_quirk_name(i), true), 0);
	}
	assert_null(dfusim_quirk_name(i));
	assert_null(dfusim_quirk_report("x"));
	dfusim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f7_dualbank_erase_on),
		cmocka_unit_test(f7_dualbank_mass_erase_fixes),
		cmocka_unit_test(f7_dualbank_erase_off),
		cmocka_unit_test(f7_dualbank_erase_map),
		cmocka_unit_test(f7_single_bank_unaffected),
		cmocka_unit_test(f767zg_sector_maps),
		cmocka_unit_test(f767zg_dualbank_erase_map),
		cmocka_unit_test(f767zg_bank2_never_erased),
		cmocka_unit_test(f405_masserase_timeout),
		cmocka_unit_test(l4_stall_busy),
		cmocka_unit_test(h7_stuck_busy),
		cmocka_unit_test(leave_pipe_error),
		cmocka_unit_test(first_status_errfirmware),
		cmocka_unit_test(defaults_per_chip),
		cmocka_unit_test(quirk_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
