/*
 * test_sim_dfuse.c - dfusim's DfuSe commands (AN3156), NOR flash
 * semantics, leave, time scaling and the log transcript.
 */
#include "test_sim_util.h"

static uint8_t pattern[8192];

static void fill_pattern(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
}

static void get_commands(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[16];
	struct dfusim_reply r;

	(void)state;
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 0, 0, 16, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.len, 4);
	assert_memory_equal(buf, "\x00\x21\x41\x92", 4);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);  /* short: upload over */
	dfusim_free(sim);
}

static void write_then_read_back(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t back[8192];
	uint32_t base;
	size_t size;
	uint8_t *flash = dfusim_flash(sim, &base, &size);

	(void)state;
	fill_pattern();
	assert_int_equal(base, 0x08000000);
	assert_int_equal(size, 1024 * 1024);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	assert_int_equal(t_write(sim, 0x08000000, pattern, 5000, 2048), 0);
	assert_memory_equal(flash, pattern, 5000);
	assert_int_equal(flash[5000], 0xFF);
	assert_int_equal(t_read(sim, 0x08000000, back, 5000, 2048), 5000);
	assert_memory_equal(back, pattern, 5000);
	dfusim_free(sim);
}

/* Programming only clears bits: a write over unerased data leaves the AND
 * and nobody complains (the ROM does not verify). */
static void nor_and_semantics(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t a[16], b[16], back[16];
	size_t i;
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	for (i = 0; i < 16; i++) {
		a[i] = (uint8_t)(0xF0 | i);
		b[i] = (uint8_t)(0x3C ^ i);
	}
	assert_int_equal(t_write(sim, 0x08004000, a, 16, 2048), 0);
	assert_int_equal(t_write(sim, 0x08004000, b, 16, 2048), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(flash[0x4000 + i], a[i] & b[i]);
	assert_int_equal(t_read(sim, 0x08004000, back, 16, 2048), 16);
	assert_memory_not_equal(back, b, 16);
	/* erase brings the whole 16 KB sector 1 back to 0xFF, not sector 0 */
	flash[0x3FFF] = 0x00;
	assert_int_equal(t_erase(sim, 0x08005000), 0);
	for (i = 0x4000; i < 0x8000; i++)
		assert_int_equal(flash[i], 0xFF);
	assert_int_equal(flash[0x3FFF], 0x00);
	dfusim_free(sim);
}

static void mass_erase_wipes_all(void **state)
{
	struct dfusim *sim = t_new("stm32f429");
	size_t size, i;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);

	(void)state;
	memset(flash, 0x12, size);
	assert_int_equal(t_mass_erase(sim), 0);
	for (i = 0; i < size; i += 4096)
		assert_int_equal(flash[i], 0xFF);
	assert_int_equal(flash[size - 1], 0xFF);
	dfusim_free(sim);
}

struct target_case {
	const char *what;
	uint8_t alt;
	uint32_t addr;
	int status;
};

/* errTARGET for addresses outside the alt's memory, at SET_ADDRESS, at
 * erase and at a data block that runs off the end. */
static void err_target(void **state)
{
	static const struct target_case cases[] = {
		{ "below flash", 0, 0x07FFFFFF, DFU_STATUS_ERR_TARGET },
		{ "past flash", 0, 0x08100000, DFU_STATUS_ERR_TARGET },
		{ "option bytes on alt 0", 0, 0x1FFFC000, DFU_STATUS_ERR_TARGET },
		{ "flash on alt 1", 1, 0x08000000, DFU_STATUS_ERR_TARGET },
		{ "option bytes on alt 1", 1, 0x1FFFC000, DFU_STATUS_OK },
		{ "OTP on alt 2", 2, 0x1FFF7800, DFU_STATUS_OK },
		{ "feature on alt 3", 3, 0xFFFF0000, DFU_STATUS_OK },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = t_new("stm32f407");
		int st;

		assert_int_equal(dfusim_set_interface(sim, 0, cases[i].alt, t_now), 0);
		st = t_set_address(sim, cases[i].addr);
		if (st != cases[i].status)
			fail_msg("%s: status %d, want %d", cases[i].what, st, cases[i].status);
		dfusim_free(sim);
	}
}

static void err_target_erase_and_overrun(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];
	uint8_t data[2048];

	(void)state;
	memset(data, 0, sizeof(data));
	assert_int_equal(t_erase(sim, 0x08100000), DFU_STATUS_ERR_TARGET);
	assert_int_equal(t_state(sim), DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	/* a block that runs past the last byte */
	assert_int_equal(t_set_address(sim, 0x080FFC00), 0);
	assert_int_equal(t_dnload(sim, 2, data, 2048), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], DFU_STATUS_ERR_TARGET);
	assert_int_equal(st[4], DFU_STATE_ERROR);
	/* erase on the option-byte alt is not a flash erase */
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(t_erase(sim, 0x08000000), DFU_STATUS_ERR_TARGET);
	dfusim_free(sim);
}

/* Block numbering: address = (block - 2) * wTransferSize + pointer. */
static void block_addressing(void **state)
{
	struct dfusim *sim = t_new("stm32h743");
	uint8_t st[6], data[16];
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	memset(data, 0x5A, sizeof(data));
	assert_int_equal(t_set_address(sim, 0x08000100), 0);
	assert_int_equal(t_dnload(sim, 5, data, 16), DFUSIM_ACK);  /* 3 * 1024 + 0x100 */
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], 0);
	assert_int_equal(flash[0x0D00], 0x5A);
	assert_int_equal(flash[0x0CFF], 0xFF);
	assert_int_equal(flash[0x0D10], 0xFF);
	dfusim_free(sim);
}

/* Leave: zero-length DNLOAD, GETSTATUS says dfuMANIFEST, and the chip
 * resets into the application, which then enumerates as FOME. */
static void leave_runs_app(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	struct dfusim_identity id;
	uint8_t st[6];
	struct dfusim_reply r;
	uint8_t buf[6];

	(void)state;
	/* something to run: blank flash runs nothing that enumerates */
	memset(dfusim_flash(sim, NULL, NULL), 0x42, 16);
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
	assert_int_equal(t_state(sim), DFU_STATE_MANIFEST_SYNC);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(buf[4], DFU_STATE_MANIFEST);
	assert_int_equal(r.event, DFUSIM_EV_RUN_APP);
	assert_true(r.back_at_us >= r.event_at_us);
	/* afterwards it is gone */
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	dfusim_reenumerated(sim, t_now);
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_product, 0x5740);
	assert_string_equal(id.product, "FOME Engine Management ECU");
	assert_int_equal(strlen(id.serial), 24);
	/* the application has no DFU interface */
	assert_int_equal(t_status(sim, st), DFUSIM_STALL);
	/* and back: the console's reboot_dfu */
	assert_true(dfusim_app_reboot_to_dfu(sim, t_now) >= t_now);
	dfusim_reenumerated(sim, t_now);
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_product, 0xdf11);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);

	/* leave into blank flash: nothing comes back on the bus */
	sim = t_new("stm32f407");
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(r.event, DFUSIM_EV_RUN_APP);
	dfusim_reenumerated(sim, t_now);
	assert_false(dfusim_on_bus(sim));
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_vendor, 0);
	dfusim_free(sim);
}

/* The F4 ROM's poll timeouts, scaled, and the held second GETSTATUS. */
static void poll_timeouts_and_scale(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6], buf[6];
	uint8_t cmd[5] = { DFUSE_CMD_SET_ADDRESS, 0, 0, 0, 0x08 };
	uint8_t er[5] = { DFUSE_CMD_ERASE, 0, 0, 0, 0x08 };
	struct dfusim_reply r;
	uint64_t sent;

	(void)state;
	assert_int_equal(dfusim_set_time_scale(sim, 1.0), 0);
	assert_int_equal(t_dnload(sim, 0, cmd, 5), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_poll(st), 104);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_poll(st), 0);
	/* erase of a 16 KB sector: reports 100 ms, busy 250 ms */
	assert_int_equal(t_dnload(sim, 0, er, 5), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_poll(st), 100);
	sent = t_now + 1000;
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(buf[4], DFU_STATE_DNLOAD_IDLE);
	assert_true(r.ready_at_us >= sent - 1000 + 250000 - 1000);
	/* half speed: everything the host sees is halved */
	assert_int_equal(dfusim_set_time_scale(sim, 0.5), 0);
	assert_int_equal(t_dnload(sim, 0, er, 5), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_poll(st), 50);
	sent = t_now + 1000;
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_true(r.ready_at_us >= sent - 1000 + 125000 - 1000);
	assert_true(r.ready_at_us < sent + 250000);
	/* scale 0: nothing is reported or held */
	assert_int_equal(dfusim_set_time_scale(sim, 0), 0);
	assert_int_equal(t_dnload(sim, 0, er, 5), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_poll(st), 0);
	sent = t_now + 1000;
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(r.ready_at_us, sent);
	assert_int_equal(dfusim_set_time_scale(sim, -1), -1);
	dfusim_free(sim);
}

/* The stats keep unscaled model time whatever the scale. */
static void stats_model_time(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	char *json;

	(void)state;
	assert_int_equal(t_erase(sim, 0x08020000), 0);  /* 128 KB: 1 s */
	assert_int_equal(t_mass_erase(sim), 0);          /* 8 s */
	json = dfusim_stats_json(sim);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"erases\":[{\"sector\":5,\"address\":\"0x08020000\","
				     "\"size\":131072,\"count\":1}]"));
	assert_non_null(strstr(json, "\"mass_erases\":1"));
	assert_non_null(strstr(json, "\"busy_us\":9000000"));
	assert_non_null(strstr(json, "\"erase\":1,"));
	assert_non_null(strstr(json, "\"masserase\":1,"));
	assert_non_null(strstr(json, "\"getstatus\":4,"));
	free(json);
	dfusim_free(sim);
}

/* The log: one stable line per request. */
static void golden_transcript(void **state)
{
	static const char *const want[] = {
		"DNLOAD block=0 len=5 cmd=SET_ADDRESS 0x08000000 -> ACK",
		"GETSTATUS -> OK dfuDNBUSY poll=104ms SET_ADDRESS 0x08000000",
		"GETSTATUS -> OK dfuDNLOAD-IDLE poll=0ms",
		"DNLOAD block=0 len=5 cmd=ERASE 0x08000000 -> ACK",
		"GETSTATUS -> OK dfuDNBUSY poll=100ms ERASE 0x08000000 sector 0 0x08000000+16384",
		"GETSTATUS -> OK dfuDNLOAD-IDLE poll=0ms",
		"DNLOAD block=2 len=4 -> ACK",
		"GETSTATUS -> OK dfuDNBUSY poll=5ms WRITE 0x08000000+4",
		"GETSTATUS -> OK dfuDNLOAD-IDLE poll=0ms",
		"DNLOAD block=1 len=4 -> STALL dfuERROR errSTALLEDPKT",
		"GETSTATUS -> errSTALLEDPKT dfuERROR poll=0ms",
		"CLRSTATUS -> ACK dfuIDLE",
		"DNLOAD block=0 len=0 (leave) -> ACK",
		"GETSTATUS -> OK dfuMANIFEST poll=104ms LEAVE 0x08000000 event=RUN_APP",
	};
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];
	size_t i;

	(void)state;
	/* poll timeouts as the ROM reports them, but nothing waits long */
	assert_int_equal(dfusim_set_time_scale(sim, 1.0), 0);
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	assert_int_equal(t_dnload(sim, 2, "\x01\x02\x03\x04", 4), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_dnload(sim, 1, "\x01\x02\x03\x04", 4), DFUSIM_STALL);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_dnload(sim, 0, NULL, 0), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_nlog, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < t_nlog; i++)
		assert_string_equal(t_log[i], want[i]);
	dfusim_free(sim);
}

/* Plain DFU 1.1: blocks in order, manifest, USB reset starts the app. */
static void plain_dfu11(void **state)
{
	struct dfusim *sim = t_new("generic-dfu11");
	uint8_t st[6], back[4096];
	struct dfusim_reply r;
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);
	size_t off;
	uint16_t block = 0;

	(void)state;
	fill_pattern();
	memset(flash, 0x00, 4096);  /* old data: the download erases first */
	for (off = 0; off < 3000; off += 1024, block++) {
		uint16_t n = (uint16_t)(3000 - off < 1024 ? 3000 - off : 1024);

		assert_int_equal(t_dnload(sim, block, pattern + off, n), DFUSIM_ACK);
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		assert_int_equal(st[4], DFU_STATE_DNBUSY);
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		assert_int_equal(st[4], DFU_STATE_DNLOAD_IDLE);
	}
	assert_memory_equal(flash, pattern, 3000);
	assert_int_equal(flash[3000], 0xFF);
	assert_int_equal(t_dnload(sim, block, NULL, 0), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[4], DFU_STATE_MANIFEST);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[4], DFU_STATE_MANIFEST_WAIT_RESET);
	assert_int_equal(dfusim_bus_reset(sim, t_now), DFUSIM_EV_RUN_APP);
	dfusim_reenumerated(sim, t_now);
	/* back in DFU for the upload */
	assert_true(dfusim_app_reboot_to_dfu(sim, t_now) >= t_now);
	dfusim_reenumerated(sim, t_now);
	for (off = 0, block = 0;; block++) {
		r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, block, 0, 1024, back + off, 1024);
		assert_int_equal(r.outcome, DFUSIM_ACK);
		off += r.len;
		if (off >= 3000)
			break;
	}
	assert_memory_equal(back, pattern, 3000);
	/* plain DFU: a zero-length DNLOAD in dfuIDLE is an error */
	assert_int_equal(t_simple(sim, DFU_REQ_ABORT), DFUSIM_ACK);
	assert_int_equal(t_dnload(sim, 0, NULL, 0), DFUSIM_STALL);
	assert_int_equal(t_state(sim), DFU_STATE_ERROR);
	dfusim_free(sim);
}

/* dfusim_factory_reset: back to a new chip without reallocating. */
static void factory_reset(void **state)
{
	struct dfusim *sim = t_new("stm32f767");
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);
	uint8_t *ob = dfusim_option_bytes(sim, NULL, NULL);
	uint8_t st[6];
	char *json;

	(void)state;
	flash[12345] = 0;
	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), 0);
	assert_int_equal(dfusim_add_fault(sim, "stall@getstatus:1"), 0);
	assert_int_equal(t_dnload(sim, 0, "\x21\x00\x00\x00\x08", 5), DFUSIM_ACK);
	dfusim_factory_reset(sim);
	assert_ptr_equal(dfusim_flash(sim, NULL, NULL), flash);
	assert_int_equal(flash[12345], 0xFF);
	assert_int_equal(ob[9], 0xFF);
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_IDLE);
	json = dfusim_stats_json(sim);
	assert_non_null(strstr(json, "\"control\":0,"));
	assert_non_null(strstr(json, "\"time_scale\":1}"));
	free(json);
	/* quirks back to the profile's: the first status is errFIRMWARE */
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);  /* no stall fault */
	assert_int_equal(st[0], DFU_STATUS_ERR_FIRMWARE);
	dfusim_free(sim);
}

/* USB full speed: 64-byte packets plus setup and status, 8 to a 1 ms
 * frame; the answer is due when the bus would have carried it. */
static void transfer_time_model(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t data[2048], buf[8];
	struct dfusim_setup s = { DFU_RT_OUT, DFU_REQ_DNLOAD, 2, 0, 2048 };
	struct dfusim_reply r;
	char *json;

	(void)state;
	memset(data, 0, sizeof(data));
	assert_int_equal(dfusim_set_time_scale(sim, 1.0), 0);
	dfusim_control(sim, &s, data, sizeof(data), 5000000, &r);
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.ready_at_us, 5000000 + 5000);  /* 34 packets: 5 frames */
	s = (struct dfusim_setup){ DFU_RT_OUT, DFU_REQ_ABORT, 0, 0, 0 };
	dfusim_control(sim, &s, NULL, 0, 6000000, &r);
	assert_int_equal(r.ready_at_us, 6000000 + 1000);
	s = (struct dfusim_setup){ DFU_RT_STD_IN, DFU_USB_REQ_GET_DESCRIPTOR,
				   DFU_USB_DT_DEVICE << 8, 0, 8 };
	dfusim_control(sim, &s, buf, sizeof(buf), 7000000, &r);
	assert_int_equal(r.ready_at_us, 7000000 + 1000);
	json = dfusim_stats_json(sim);
	assert_non_null(strstr(json, "\"transfer_us\":7000,"));
	assert_non_null(strstr(json, "\"bytes_down\":2048,"));
	free(json);
	/* half speed halves it */
	assert_int_equal(dfusim_set_time_scale(sim, 0.5), 0);
	dfusim_control(sim, &s, buf, sizeof(buf), 8000000, &r);
	assert_int_equal(r.ready_at_us, 8000000 + 500);
	dfusim_free(sim);
}

/* An upload that runs past the end of flash comes back short, which ends
 * the upload (dfuIDLE). */
static void upload_past_end(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[2048];
	struct dfusim_reply r;

	(void)state;
	assert_int_equal(t_set_address(sim, 0x080FFC00), 0);
	assert_int_equal(t_simple(sim, DFU_REQ_ABORT), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 2, 0, 2048, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.len, 1024);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	/* the next block starts past the end: errTARGET */
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 3, 0, 2048, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_STALL);
	assert_int_equal(dfusim_dfu_status(sim), DFU_STATUS_ERR_TARGET);
	dfusim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_commands),
		cmocka_unit_test(write_then_read_back),
		cmocka_unit_test(nor_and_semantics),
		cmocka_unit_test(mass_erase_wipes_all),
		cmocka_unit_test(err_target),
		cmocka_unit_test(err_target_erase_and_overrun),
		cmocka_unit_test(block_addressing),
		cmocka_unit_test(leave_runs_app),
		cmocka_unit_test(poll_timeouts_and_scale),
		cmocka_unit_test(stats_model_time),
		cmocka_unit_test(golden_transcript),
		cmocka_unit_test(plain_dfu11),
		cmocka_unit_test(factory_reset),
		cmocka_unit_test(transfer_time_model),
		cmocka_unit_test(upload_past_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
