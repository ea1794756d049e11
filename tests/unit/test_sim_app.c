/*
 * test_sim_app.c - what runs after a reset (BOOT0 and the flash contents)
 * and the FOME application's TunerStudio console: S (framed and plain),
 * L, the reboot commands in text and binary form, bad frames, faults.
 */
#include "test_sim_ecu.h"

#define IMG 20000
static uint8_t img[IMG];

/* A chip booted from flash after fill() put something there. */
static struct dfusim *boot(const char *chip, void (*fill)(struct dfusim *))
{
	struct dfusim *sim = t_new(chip);

	if (fill)
		fill(sim);
	assert_int_equal(dfusim_set_boot_from_flash(sim, true), 0);
	dfusim_power_on(sim, t_now);
	return sim;
}

static void fill_garbage(struct dfusim *sim)
{
	memset(dfusim_flash(sim, NULL, NULL), 0x42, 4096);
}

static void fill_app_alone(struct dfusim *sim)
{
	t_fome_image(img, IMG, FOME_SIGNATURE_PREFIX "master.2026.01.02.alone.12345678", false, 1);
	t_put_image(sim, 0x08000000, img, IMG);
}

static void fill_blt_app(struct dfusim *sim)
{
	t_put_openblt(sim, APP_BASE_F4);
	t_fome_image(img, IMG, FOME_SIGNATURE_PREFIX "master.2026.01.02.proteus_f4.abcdef01", false, 2);
	t_put_image(sim, APP_BASE_F4, img, IMG);
}

static void fill_blt_bad_app(struct dfusim *sim)
{
	t_put_openblt(sim, APP_BASE_F4);
	t_fome_image(img, IMG, NULL, true, 3);
	t_put_image(sim, APP_BASE_F4, img, IMG);
}

static void fill_blt_only(struct dfusim *sim)
{
	t_put_openblt(sim, APP_BASE_F4);
}

/* A bootloader without its name in it is still known by the valid
 * application above it. */
static void fill_nameless_blt_app(struct dfusim *sim)
{
	memset(dfusim_flash(sim, NULL, NULL), 0x22, APP_BASE_F4 - 0x08000000u);
	t_fome_image(img, IMG, NULL, false, 4);
	t_put_image(sim, APP_BASE_F4, img, IMG);
}

static void fill_blt_app_h7(struct dfusim *sim)
{
	t_put_openblt(sim, APP_BASE_H7);
	t_fome_image(img, IMG, NULL, false, 5);
	t_put_image(sim, APP_BASE_H7, img, IMG);
}

static void boot_decision(void **state)
{
	static const struct {
		const char *name, *chip;
		void (*fill)(struct dfusim *);
		const char *mode;
	} cases[] = {
		{ "blank", "stm32f407", NULL, "none" },
		{ "arbitrary data", "stm32f407", fill_garbage, "application" },
		{ "application alone at the base", "stm32f407", fill_app_alone, "application" },
		{ "OpenBLT and a valid application", "stm32f407", fill_blt_app, "application" },
		{ "OpenBLT and a corrupt application", "stm32f407", fill_blt_bad_app, "openblt" },
		{ "OpenBLT alone", "stm32f767", fill_blt_only, "openblt" },
		{ "nameless OpenBLT, valid application", "stm32f407", fill_nameless_blt_app,
		  "application" },
		{ "H7: OpenBLT and application at 0x08020000", "stm32h743", fill_blt_app_h7,
		  "application" },
		{ "H7: the application at F4's base is not found", "stm32h743", fill_blt_app,
		  "openblt" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = boot(cases[i].chip, cases[i].fill);

		if (strcmp(dfusim_mode_name(sim), cases[i].mode))
			fail_msg("%s: %s, want %s", cases[i].name, dfusim_mode_name(sim), cases[i].mode);
		assert_int_equal(dfusim_on_bus(sim), strcmp(cases[i].mode, "none") != 0);
		dfusim_free(sim);
	}
	/* BOOT0 held: the ROM whatever flash holds */
	{
		struct dfusim *sim = t_new("stm32f407");
		struct dfusim_identity id;

		fill_blt_app(sim);
		dfusim_power_on(sim, t_now);
		assert_string_equal(dfusim_mode_name(sim), "rom");
		dfusim_identity(sim, &id);
		assert_int_equal(id.id_product, 0xdf11);
		dfusim_free(sim);
	}
}

static void identity_on_the_bus(void **state)
{
	struct dfusim *sim = boot("stm32f407", fill_blt_bad_app);
	struct dfusim_identity id;

	(void)state;
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_vendor, FOME_USB_VID);
	assert_int_equal(id.id_product, FOME_USB_PID);
	assert_int_equal(id.bcd_device, 0x0200);
	assert_string_equal(id.manufacturer, "FOME");
	assert_string_equal(id.product, "FOME Engine Management ECU");
	assert_string_equal(id.serial, "0041002E3438510C31383436");
	dfusim_free(sim);
	sim = boot("stm32f407", NULL);
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_vendor, 0);
	dfusim_free(sim);
}

static void signature_and_bootloader_query(void **state)
{
	struct dfusim *sim = boot("stm32f407", fill_blt_app);
	uint8_t res[300], out[300];
	size_t n;

	(void)state;
	n = t_ts(sim, "S", 1, res, NULL);
	assert_int_equal(res[0], TS_RESPONSE_OK);
	assert_string_equal((char *)res + 1, FOME_SIGNATURE_PREFIX "master.2026.01.02.proteus_f4.abcdef01");
	assert_int_equal(n, 2 + strlen((char *)res + 1));
	n = t_ts(sim, "Q", 1, res, NULL);
	assert_string_equal((char *)res + 1, FOME_SIGNATURE_PREFIX "master.2026.01.02.proteus_f4.abcdef01");
	n = t_ts(sim, "L", 1, res, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], TS_QUERY_BOOTLOADER_OPENBLT);

	/* plain 'S': nothing until 10 ms of silence, then signature + NUL */
	assert_int_equal(t_serial(sim, "S", 1, out, sizeof(out), NULL), 0);
	t_now += 10000;
	n = t_serial(sim, NULL, 0, out, sizeof(out), NULL);
	assert_int_equal(n, strlen(FOME_SIGNATURE_PREFIX "master.2026.01.02.proteus_f4.abcdef01") + 1);
	assert_string_equal((char *)out, FOME_SIGNATURE_PREFIX "master.2026.01.02.proteus_f4.abcdef01");
	dfusim_free(sim);

	/* no signature in the image, no OpenBLT */
	sim = boot("stm32f767", fill_garbage);
	t_ts(sim, "S", 1, res, NULL);
	assert_string_equal((char *)res + 1, FOME_SIGNATURE_PREFIX "sim.2026.01.01.stm32f767.00000000");
	n = t_ts(sim, "L", 1, res, NULL);
	assert_int_equal(res[1], TS_QUERY_BOOTLOADER_NONE);
	dfusim_free(sim);
}

static void bad_frames(void **state)
{
	struct dfusim *sim = boot("stm32f407", fill_blt_app);
	uint8_t res[300], out[64];
	static const uint8_t bad_crc[] = { 0x00, 0x01, 'S', 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(t_serial(sim, bad_crc, sizeof(bad_crc), out, sizeof(out), NULL), 7);
	assert_int_equal(out[2], 0x82);
	assert_int_equal(t_ts(sim, "k", 1, res, NULL), 1);
	assert_int_equal(res[0], TS_RESPONSE_UNRECOGNIZED_COMMAND);
	/* text that is no frame ("help\r\n") is dropped, the next frame works */
	assert_int_equal(t_serial(sim, "help\r\n", 6, out, sizeof(out), NULL), 0);
	assert_int_equal(t_ts(sim, "L", 1, res, NULL), 2);
	/* a frame split in two writes */
	{
		uint32_t crc = t_crc32(0, (const uint8_t *)"L", 1);
		uint8_t f[7] = { 0, 1, 'L', (uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
				 (uint8_t)(crc >> 8), (uint8_t)crc };

		assert_int_equal(t_serial(sim, f, 3, out, sizeof(out), NULL), 0);
		assert_int_equal(t_serial(sim, f + 3, 4, out, sizeof(out), NULL), 8);
	}
	dfusim_free(sim);
}

/* The reboot commands, text and binary, and where each lands. */
static void reboots(void **state)
{
	static const struct {
		const char *name;
		const char *payload;
		size_t len;
		void (*fill)(struct dfusim *);
		bool answers;
		const char *lands;
	} cases[] = {
		{ "E reboot_dfu", "Ereboot_dfu", 11, fill_blt_app, false, "rom" },
		{ "E reboot_openblt", "Ereboot_openblt", 15, fill_blt_app, false, "openblt" },
		{ "E reboot_openblt without OpenBLT", "Ereboot_openblt", 15, fill_app_alone, false,
		  "application" },
		{ "Z 00 BA", "Z\x00\xba\x00\x00", 5, fill_blt_app, true, "rom" },
		{ "Z 00 BC", "Z\x00\xbc\x00\x00", 5, fill_blt_app, true, "openblt" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = boot("stm32f407", cases[i].fill);
		struct dfusim_reply r;
		uint8_t res[64];
		size_t n = t_ts(sim, cases[i].payload, cases[i].len, res, &r);

		assert_int_equal(n, cases[i].answers ? 1 : 0);
		if (cases[i].answers)
			assert_int_equal(res[0], TS_RESPONSE_OK);
		t_follow(sim, &r);
		if (strcmp(dfusim_mode_name(sim), cases[i].lands))
			fail_msg("%s: %s, want %s", cases[i].name, dfusim_mode_name(sim), cases[i].lands);
		/* OpenBLT's backdoor is for one start only */
		if (!strcmp(cases[i].lands, "openblt")) {
			uint8_t pkt[2] = { XCP_CMD_CONNECT, 0 };

			assert_int_equal(t_xcp(sim, pkt, 2, res, &r), 8);
			pkt[0] = XCP_CMD_PROGRAM_RESET;
			assert_int_equal(t_xcp(sim, pkt, 1, res, &r), 0);
			t_follow(sim, &r);
			assert_string_equal(dfusim_mode_name(sim), "application");
		}
		dfusim_free(sim);
	}
}

static void console_faults(void **state)
{
	struct dfusim *sim = boot("stm32f407", fill_blt_app);
	struct dfusim_reply r;
	uint8_t res[300];
	char *json;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "stall@ts-signature:1"), 0);
	assert_int_equal(dfusim_add_fault(sim, "error@ts-signature:2"), 0);
	assert_int_equal(dfusim_add_fault(sim, "unplug@ts-reboot:1"), 0);
	assert_int_equal(dfusim_add_fault(sim, "error@dnload:1"), -1);
	assert_int_equal(t_ts(sim, "S", 1, res, NULL), 0);
	assert_int_equal(t_ts(sim, "S", 1, res, NULL), 1);
	assert_int_equal(res[0], TS_RESPONSE_UNRECOGNIZED_COMMAND);
	assert_true(t_ts(sim, "S", 1, res, NULL) > 10);
	assert_int_equal(t_ts(sim, "Ereboot_dfu", 11, res, &r), 0);
	assert_int_equal(r.event, DFUSIM_EV_DISCONNECT);
	json = dfusim_stats_json(sim);
	assert_non_null(strstr(json, "\"ts-signature\":3"));
	assert_non_null(strstr(json, "\"ts-reboot\":1"));
	free(json);
	dfusim_free(sim);

	/* power loss on the console: the chip starts again from flash */
	sim = boot("stm32f407", fill_blt_app);
	assert_int_equal(dfusim_add_fault(sim, "power@ts-bootloader:1"), 0);
	assert_int_equal(t_ts(sim, "L", 1, res, &r), 0);
	t_follow(sim, &r);
	assert_string_equal(dfusim_mode_name(sim), "application");
	dfusim_free(sim);
}

/* The ROM's leave and its power-loss reset follow BOOT0 and flash. */
static void rom_resets(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];

	(void)state;
	/* BOOT0 held: a power loss in the ROM comes back in the ROM */
	assert_int_equal(dfusim_add_fault(sim, "powerloss@getstatus:1"), 0);
	fill_blt_app(sim);
	dfusim_power_on(sim, t_now);
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	t_now += 1000000;
	dfusim_reenumerated(sim, t_now);
	assert_string_equal(dfusim_mode_name(sim), "rom");
	dfusim_free(sim);

	/* BOOT0 low (the ROM entered by reboot_dfu): flash decides */
	sim = boot("stm32f407", fill_blt_app);
	assert_int_equal(dfusim_add_fault(sim, "powerloss@getstatus:1"), 0);
	{
		struct dfusim_reply r;
		uint8_t res[8];

		t_ts(sim, "Ereboot_dfu", 11, res, &r);
		t_follow(sim, &r);
	}
	assert_string_equal(dfusim_mode_name(sim), "rom");
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	t_now += 5000000;
	dfusim_reenumerated(sim, t_now);
	assert_string_equal(dfusim_mode_name(sim), "application");
	dfusim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(boot_decision),
		cmocka_unit_test(identity_on_the_bus),
		cmocka_unit_test(signature_and_bootloader_query),
		cmocka_unit_test(bad_frames),
		cmocka_unit_test(reboots),
		cmocka_unit_test(console_faults),
		cmocka_unit_test(rom_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
