/*
 * test_sim_faults.c - faults on demand (grammar in sim/fault.c): each
 * action, count and address triggers, once and repeating.
 */
#include "test_sim_util.h"

static void parse_table(void **state)
{
	static const struct {
		const char *spec;
		int rc;
	} cases[] = {
		{ "disconnect@dnload:5", 0 },
		{ "stall@getstatus:3", 0 },
		{ "status=errWRITE@addr:0x08004000-0x08007fff", 0 },
		{ "timeout@upload:2", 0 },
		{ "powerloss@dnload:40", 0 },
		{ "status=VERIFY@write", 0 },
		{ "status=7@write:1,repeat", 0 },
		{ "stall@addr:0x08000000", 0 },
		{ "status=errERASE@masserase:1", 0 },
		{ "disconnect@leave", 0 },
		{ "stall@optionbytes:1", 0 },
		{ "", -1 },
		{ "disconnect", -1 },
		{ "explode@dnload:1", -1 },
		{ "status=errBOGUS@dnload:1", -1 },
		{ "status=OK@dnload:1", -1 },
		{ "stall@frobnicate:1", -1 },
		{ "stall@dnload:0", -1 },
		{ "stall@dnload:x", -1 },
		{ "stall@dnload:-1", -1 },
		{ "stall@addr:", -1 },
		{ "stall@addr:0x2000-0x1000", -1 },
		{ "stall@addr:0x100000000", -1 },
		{ "stall@dnload:1,again", -1 },
		{ "misdirect@erase:2", 0 },
		{ "misdirect@erase", 0 },
		{ "misdirect@write:1", -1 },
		{ "misdirect@addr:0x08000000", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = t_new("stm32f407");
		int rc = dfusim_add_fault(sim, cases[i].spec);

		if (rc != cases[i].rc)
			fail_msg("'%s': %d, want %d", cases[i].spec, rc, cases[i].rc);
		if (rc)
			assert_non_null(strstr(dfusim_error(sim), "fault"));
		dfusim_free(sim);
	}
}

static void disconnect_at_nth_dnload(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];
	struct dfusim_reply r;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "disconnect@dnload:2"), 0);
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	r = t_ctl(sim, DFU_RT_OUT, DFU_REQ_DNLOAD, 2, 0, 4, (uint8_t *)"abcd", 4);
	assert_int_equal(r.outcome, DFUSIM_GONE);
	assert_int_equal(r.event, DFUSIM_EV_DISCONNECT);
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	assert_int_equal(dfusim_set_interface(sim, 0, 0, t_now), -1);
	dfusim_free(sim);
}

static void stall_at_nth_getstatus(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "stall@getstatus:3"), 0);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_STALL);
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_ERROR);
	assert_int_equal(dfusim_dfu_status(sim), DFU_STATUS_ERR_STALLEDPKT);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);  /* once only */
	dfusim_free(sim);
}

static void timeout_at_upload(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[64];

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "timeout@upload:2"), 0);
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 2, 0, 64, buf, 64).outcome, DFUSIM_ACK);
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 3, 0, 64, buf, 64).outcome,
			 DFUSIM_NO_ANSWER);
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_UPLOAD_IDLE);
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 3, 0, 64, buf, 64).outcome, DFUSIM_ACK);
	dfusim_free(sim);
}

static void status_at_address_range(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t data[16];
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	memset(data, 0x33, sizeof(data));
	assert_int_equal(dfusim_add_fault(sim, "status=errWRITE@addr:0x08004000-0x08007fff"), 0);
	assert_int_equal(t_write(sim, 0x08000000, data, 16, 2048), 0);
	assert_int_equal(t_write(sim, 0x08004010, data, 16, 2048), DFU_STATUS_ERR_WRITE);
	assert_int_equal(flash[0x4010], 0xFF);  /* nothing written */
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	/* fired once; the second time it works */
	assert_int_equal(t_write(sim, 0x08004010, data, 16, 2048), 0);
	assert_int_equal(flash[0x4010], 0x33);
	dfusim_free(sim);
}

static void repeating_status(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t data[4] = { 1, 2, 3, 4 };
	int i;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "status=errVERIFY@write:2,repeat"), 0);
	assert_int_equal(t_write(sim, 0x08000000, data, 4, 2048), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(t_write(sim, 0x08000010, data, 4, 2048), DFU_STATUS_ERR_VERIFY);
		assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	}
	dfusim_free(sim);
}

static void status_at_erase_and_masserase(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	flash[0] = 0;
	assert_int_equal(dfusim_add_fault(sim, "status=errERASE@erase:1"), 0);
	assert_int_equal(dfusim_add_fault(sim, "status=errCHECK_ERASED@masserase:1"), 0);
	assert_int_equal(t_erase(sim, 0x08000000), DFU_STATUS_ERR_ERASE);
	assert_int_equal(flash[0], 0x00);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_mass_erase(sim), 5);
	assert_int_equal(flash[0], 0x00);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	assert_int_equal(flash[0], 0xFF);
	dfusim_free(sim);
}

/* misdirect: the 2nd sector erase reports success but erases the sector
 * before the one asked; one at sector 0 erases nothing. */
static void misdirect_erase(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	memset(flash, 0x00, 0x10000);
	assert_int_equal(dfusim_add_fault(sim, "misdirect@erase:2"), 0);
	assert_int_equal(dfusim_add_fault(sim, "misdirect@erase:3"), 0);
	assert_int_equal(t_erase(sim, 0x08004000), 0);
	assert_int_equal(flash[0x4000], 0xFF);
	assert_int_equal(flash[0x7fff], 0xFF);
	memset(flash, 0x00, 0x10000);
	assert_int_equal(t_erase(sim, 0x08008000), 0);
	assert_int_equal(flash[0x8000], 0x00);
	assert_int_equal(flash[0xbfff], 0x00);
	assert_int_equal(flash[0x4000], 0xFF);
	assert_int_equal(flash[0x7fff], 0xFF);
	assert_int_equal(flash[0x3fff], 0x00);
	memset(flash, 0x00, 0x10000);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	assert_int_equal(flash[0], 0x00);
	assert_int_equal(flash[0x3fff], 0x00);
	assert_int_equal(dfusim_dfu_status(sim), 0);
	dfusim_free(sim);
}

static void status_at_getstatus(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t st[6];

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "status=errFIRMWARE@getstatus:1"), 0);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[0], DFU_STATUS_ERR_FIRMWARE);
	assert_int_equal(st[4], DFU_STATE_ERROR);
	dfusim_free(sim);
}

/* Power lost halfway through a write: half the bytes landed, the device
 * vanishes and comes back in the ROM. */
static void powerloss_mid_write(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t data[2048], buf[6], st[6];
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);
	struct dfusim_reply r;

	(void)state;
	memset(data, 0x00, sizeof(data));
	assert_int_equal(dfusim_add_fault(sim, "powerloss@write:1"), 0);
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	assert_int_equal(t_dnload(sim, 2, data, 2048), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.event, DFUSIM_EV_RESET_TO_DFU);
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	assert_int_equal(flash[0], 0x00);
	assert_int_equal(flash[1023], 0x00);
	assert_int_equal(flash[1024], 0xFF);
	dfusim_reenumerated(sim, t_now);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);
}

static void powerloss_at_getstatus(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[6];
	struct dfusim_reply r;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "powerloss@getstatus:2"), 0);
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6).outcome, DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6);
	assert_int_equal(r.outcome, DFUSIM_GONE);
	assert_int_equal(r.event, DFUSIM_EV_RESET_TO_DFU);
	assert_true(r.back_at_us >= r.event_at_us);
	dfusim_free(sim);
}

/* A standard request can fail too; the DFU state is not touched. */
static void stall_descriptor(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[18];

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "stall@descriptor:2"), 0);
	assert_int_equal(t_desc(sim, DFU_USB_DT_DEVICE, 0, 18, buf, 18).outcome, DFUSIM_ACK);
	assert_int_equal(t_desc(sim, DFU_USB_DT_DEVICE, 0, 18, buf, 18).outcome, DFUSIM_STALL);
	assert_int_equal(dfusim_dfu_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);
}

static void read_fault_by_address(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[512];

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "status=errTARGET@addr:0x08000100"), 0);
	assert_int_equal(t_read(sim, 0x08000000, buf, 512, 2048), -1);
	assert_int_equal(dfusim_dfu_status(sim), DFU_STATUS_ERR_TARGET);
	dfusim_free(sim);
}

static void leave_and_option_kinds(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t ob[16];
	struct dfusim_reply r;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "stall@optionbytes:1"), 0);
	assert_int_equal(dfusim_add_fault(sim, "disconnect@leave"), 0);
	memset(ob, 0xFF, sizeof(ob));
	ob[1] = 0xAA;
	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(t_set_address(sim, 0x1FFFC000), 0);
	assert_int_equal(t_dnload(sim, 2, ob, 16), DFUSIM_STALL);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_OUT, DFU_REQ_DNLOAD, 2, 0, 0, NULL, 0);
	assert_int_equal(r.outcome, DFUSIM_GONE);
	assert_int_equal(r.event, DFUSIM_EV_DISCONNECT);
	dfusim_free(sim);
}

/* A status fault on the leave: dfuERROR, the chip stays in the ROM; a
 * power loss there brings it back in the ROM rather than the app. */
static void faults_on_leave(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[6];
	struct dfusim_reply r;

	(void)state;
	assert_int_equal(dfusim_add_fault(sim, "status=errNOTDONE@leave:1"), 0);
	assert_int_equal(dfusim_add_fault(sim, "powerloss@leave:2"), 0);
	assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6);
	assert_int_equal(r.event, DFUSIM_EV_NONE);
	assert_int_equal(buf[0], 9);
	assert_int_equal(buf[4], DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6);
	assert_int_equal(buf[4], DFU_STATE_MANIFEST);
	assert_int_equal(r.event, DFUSIM_EV_RESET_TO_DFU);
	dfusim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(disconnect_at_nth_dnload),
		cmocka_unit_test(stall_at_nth_getstatus),
		cmocka_unit_test(timeout_at_upload),
		cmocka_unit_test(status_at_address_range),
		cmocka_unit_test(repeating_status),
		cmocka_unit_test(status_at_erase_and_masserase),
		cmocka_unit_test(misdirect_erase),
		cmocka_unit_test(status_at_getstatus),
		cmocka_unit_test(powerloss_mid_write),
		cmocka_unit_test(powerloss_at_getstatus),
		cmocka_unit_test(stall_descriptor),
		cmocka_unit_test(read_fault_by_address),
		cmocka_unit_test(leave_and_option_kinds),
		cmocka_unit_test(faults_on_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
