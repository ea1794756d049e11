/*
 * test_quirks.c - the ROM-quirk table (lib/quirks.c): every quirk has a row
 * that dfusim models under the same name, rows match the families they
 * name, and the engine's waits follow the table: a mass erase whose
 * GETSTATUS blocks for 8 s behind a 100 ms answer completes on an F4 and
 * times out on a device the row does not cover; a bwPollTimeout of hours
 * costs at most the budget; the H7 CLRSTATUS pair. Time is virtual.
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
#include "dfusim.h"
#include "device.h"
#include "sim_transport.h"

/* ------------------------------------------------------------------------ */
/* The table                                                                 */
/* ------------------------------------------------------------------------ */

/* Every quirk has a row, each row says what and why, and dfusim knows it. */
static void table_complete(void **state)
{
	bool seen[DFU_QUIRK_COUNT] = { false };
	size_t i;

	(void)state;
	assert_true(dfu_quirk_count() >= DFU_QUIRK_COUNT);
	assert_null(dfu_quirk_at(dfu_quirk_count()));
	for (i = 0; i < dfu_quirk_count(); i++) {
		const struct dfu_quirk *q = dfu_quirk_at(i);

		assert_non_null(q);
		assert_true(q->id < DFU_QUIRK_COUNT);
		seen[q->id] = true;
		assert_string_equal(q->name, dfu_quirk_name(q->id));
		assert_true(strlen(q->handling) > 20);
		assert_true(strlen(q->report) > 20);
		if (!dfusim_quirk_report(q->name))
			fail_msg("dfusim has no quirk named %s", q->name);
	}
	for (i = 0; i < DFU_QUIRK_COUNT; i++)
		if (!seen[i])
			fail_msg("quirk %s has no row", dfu_quirk_name((enum dfu_quirk_id)i));
	assert_string_equal(dfu_quirk_name(DFU_QUIRK_COUNT), "unknown");
}

struct match_case {
	const char *what;
	struct dfu_quirk_device dev;
	enum dfu_quirk_id id;
	bool applies;
	uint32_t limit;
};

static const struct match_case match_cases[] = {
	{ "F405 mass erase: F4 maximum", { 0x0483, 0xDF11, 0x2200, "STM32F405/407/415/417" },
	  DFU_QUIRK_MASS_ERASE_SLOW, true, 16000 },
	{ "F429 mass erase: F4 maximum", { 0x0483, 0xDF11, 0x2200, "STM32F42x/43x" },
	  DFU_QUIRK_MASS_ERASE_SLOW, true, 16000 },
	{ "F767 mass erase: F7 maximum", { 0x0483, 0xDF11, 0x2100, "STM32F76x/77x" },
	  DFU_QUIRK_MASS_ERASE_SLOW, true, 32000 },
	{ "H743 mass erase: catch-all", { 0x0483, 0xDF11, 0x0200, "STM32H74x/75x" },
	  DFU_QUIRK_MASS_ERASE_SLOW, true, 32000 },
	{ "other vendor: no mass-erase row", { 0x1209, 0x0001, 0x0100, "unknown" },
	  DFU_QUIRK_MASS_ERASE_SLOW, false, 0 },
	{ "ST run-time PID: no mass-erase row", { 0x0483, 0x5740, 0x0200, "unknown" },
	  DFU_QUIRK_MASS_ERASE_SLOW, false, 0 },
	{ "stall as busy: anyone", { 0x1209, 0x0001, 0x0100, "unknown" },
	  DFU_QUIRK_STALL_BUSY, true, 5 },
	{ "H7 stuck busy", { 0x0483, 0xDF11, 0x0200, "STM32H74x/75x" },
	  DFU_QUIRK_STUCK_BUSY, true, 40 },
	{ "stuck busy: not for other vendors", { 0x1209, 0x0001, 0x0100, "unknown" },
	  DFU_QUIRK_STUCK_BUSY, false, 0 },
	{ "leave: anyone", { 0x1209, 0x0001, 0x0100, "unknown" },
	  DFU_QUIRK_LEAVE_GONE, true, 0 },
	{ "errFIRMWARE at start: ST", { 0x0483, 0xDF11, 0x2200, "STM32F405/407/415/417" },
	  DFU_QUIRK_FIRST_STATUS_ERROR, true, 0 },
	{ "errFIRMWARE at start: not others", { 0x1209, 0x0001, 0x0100, "unknown" },
	  DFU_QUIRK_FIRST_STATUS_ERROR, false, 0 },
};

/* Rows match by ids and chip family; the first matching row wins. */
static void rows_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		const struct dfu_quirk *q = dfu_quirk_match(c->id, &c->dev);

		print_message("case: %s\n", c->what);
		if (!c->applies) {
			assert_null(q);
			continue;
		}
		assert_non_null(q);
		assert_int_equal(q->id, c->id);
		if (c->limit)
			assert_int_equal(q->limit, c->limit);
	}
	assert_null(dfu_quirk_match(DFU_QUIRK_LEAVE_GONE, NULL));
}

struct rules_case {
	const char *chip;
	uint32_t mass_budget;    /* 0: the ordinary budget */
};

/* The rules for the simulator's real profiles, identified by their
 * descriptors and layouts as the engine sees them. */
static void rules_for_profiles(void **state)
{
	static const struct rules_case cases[] = {
		{ "stm32f405", 20000 },
		{ "stm32f429", 20000 },
		{ "stm32f767", 40000 },
		{ "stm32h743", 40000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfu_poll_rules cmd, mass, leave;
		struct sim_transport *st;
		struct dfu_ctx *ctx;
		struct dfu_dev *dev;

		print_message("chip: %s\n", cases[i].chip);
		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		st = sim_transport_new(cases[i].chip);
		assert_non_null(st);
		assert_int_equal(sim_transport_open(ctx, st, &dev), DFU_OK);
		dfu_quirk_poll_rules(dev, DFU_POLL_COMMAND, &cmd);
		dfu_quirk_poll_rules(dev, DFU_POLL_MASS_ERASE, &mass);
		dfu_quirk_poll_rules(dev, DFU_POLL_LEAVE, &leave);
		assert_int_equal(mass.budget_ms, cases[i].mass_budget);
		assert_true(mass.timeout_is_busy);
		assert_true(mass.status_timeout_ms >= mass.budget_ms);
		assert_true(mass.report_every_ms > 0);
		assert_false(cmd.timeout_is_busy);
		assert_int_equal(cmd.stalls_as_busy, 5);
		assert_int_equal(cmd.stuck_polls, 40);
		assert_int_equal(leave.stuck_polls, 0);
		assert_true(dfu_quirk_leave_error_ok(dev, DFU_ERR_STALL));
		assert_true(dfu_quirk_leave_error_ok(dev, DFU_ERR_DISCONNECTED));
		assert_false(dfu_quirk_leave_error_ok(dev, DFU_ERR_DEVICE));
		dfu_dev_close(dev);
		sim_transport_free(st);
		dfu_ctx_free(ctx);
	}
}

/* ------------------------------------------------------------------------ */
/* A scripted device with a virtual clock, for the waits                     */
/* ------------------------------------------------------------------------ */

enum script {
	SCRIPT_SLOW_MASS_ERASE, /* 100 ms answer, GETSTATUS blocks 8 s */
	SCRIPT_HUGE_POLL,       /* dfuDNBUSY asking for 0xFFFFFF ms, forever */
	SCRIPT_STUCK_BUSY,      /* dfuDNBUSY until two CLRSTATUS */
};

struct scripted {
	enum script script;
	uint64_t now_ms;
	uint64_t busy_until;
	uint64_t slept_ms;
	uint8_t state;
	uint8_t status;
	unsigned clears;
	bool started;
};

static const char *const f4_layout = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";

static int s_out(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		 const uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct scripted *s = user;

	(void)type;
	(void)value;
	(void)index;
	(void)data;
	(void)timeout_ms;
	if (req == DFU_REQ_DNLOAD) {  /* a command starts */
		s->state = DFU_STATE_DNLOAD_SYNC;
		s->started = false;
	} else if (req == DFU_REQ_CLRSTATUS) {
		s->clears++;
		if (s->script == SCRIPT_STUCK_BUSY && s->clears == 1) {
			s->state = DFU_STATE_ERROR;
			s->status = DFU_STATUS_ERR_UNKNOWN; /* as the H743 answers */
		} else {
			s->state = DFU_STATE_IDLE;
			s->status = DFU_STATUS_OK;
		}
	} else if (req == DFU_REQ_ABORT) {
		s->state = DFU_STATE_IDLE;
	}
	return len;
}

static int s_in(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct scripted *s = user;
	uint32_t poll = 0;

	(void)index;
	if (type == DFU_RT_STD_IN && req == DFU_USB_REQ_GET_DESCRIPTOR) { /* strings */
		const char *str = (value & 0xFF) == 4 ? f4_layout : "ST";
		size_t n = strlen(str), i;

		if ((value & 0xFF) == 0) {
			static const uint8_t langs[4] = { 4, 3, 0x09, 0x04 };

			memcpy(data, langs, 4);
			return 4;
		}
		data[0] = (uint8_t)(2 + 2 * n);
		data[1] = DFU_USB_DT_STRING;
		for (i = 0; i < n; i++) {
			data[2 + 2 * i] = (uint8_t)str[i];
			data[3 + 2 * i] = 0;
		}
		return data[0] < len ? data[0] : len;
	}
	if (req != DFU_REQ_GETSTATUS || len < DFU_STATUS_LEN)
		return DFU_ERR_STALL;
	if (s->state == DFU_STATE_DNLOAD_SYNC && !s->started) {
		/* The first GETSTATUS after the DNLOAD starts the work. */
		s->started = true;
		s->state = DFU_STATE_DNBUSY;
		switch (s->script) {
		case SCRIPT_SLOW_MASS_ERASE:
			s->busy_until = s->now_ms + 8000;
			poll = 100;
			break;
		case SCRIPT_HUGE_POLL:
			poll = 0xFFFFFF;
			break;
		case SCRIPT_STUCK_BUSY:
			poll = 5;
			break;
		}
	} else if (s->state == DFU_STATE_DNBUSY) {
		switch (s->script) {
		case SCRIPT_SLOW_MASS_ERASE:
			/* The F405: the answer waits for the erase. */
			if (s->busy_until - s->now_ms > timeout_ms) {
				s->now_ms += timeout_ms;
				return DFU_ERR_TIMEOUT;
			}
			s->now_ms = s->busy_until;
			s->state = DFU_STATE_DNLOAD_IDLE;
			break;
		case SCRIPT_HUGE_POLL:
			poll = 0xFFFFFF;
			break;
		case SCRIPT_STUCK_BUSY:
			poll = 5;
			break;
		}
	}
	data[0] = s->status;
	data[1] = (uint8_t)poll;
	data[2] = (uint8_t)(poll >> 8);
	data[3] = (uint8_t)(poll >> 16);
	data[4] = s->state;
	data[5] = 0;
	return DFU_STATUS_LEN;
}

static void s_sleep(void *user, unsigned ms)
{
	struct scripted *s = user;

	s->now_ms += ms;
	s->slept_ms += ms;
}

static const struct dfu_transport_ops scripted_ops = {
	.control_out = s_out,
	.control_in = s_in,
	.sleep_ms = s_sleep,
};

/* An ST DfuSe device (or another vendor's) with one F4 flash alt. */
static struct dfu_dev *scripted_open(struct dfu_ctx *ctx, struct scripted *s, uint16_t vid)
{
	uint8_t d[18 + 9 + 9 + 9] = {
		18, 1, 0x00, 0x02, 0, 0, 0, 64, (uint8_t)vid, (uint8_t)(vid >> 8), 0x11, 0xDF,
		0x00, 0x22, 1, 2, 0,
		1,
		9, 2, 27, 0, 1, 1, 0, 0xC0, 50,
		9, 4, 0, 0, 0, 0xFE, 1, 2, 4,
		9, 0x21, 0x0B, 0xFF, 0, 0x00, 0x08, 0x1A, 0x01,
	};
	struct dfu_dev *dev = NULL;

	s->state = DFU_STATE_IDLE;
	assert_int_equal(dfu_dev_open_transport(ctx, &scripted_ops, s, d, sizeof(d), &dev),
			 DFU_OK);
	assert_int_equal(dfu_dev_select_alt(dev, "0"), DFU_OK);
	return dev;
}

/* F405: the mass erase outlasts a 5 s transfer timeout; the table's 16 s
 * (+ a quarter) covers it, on an ST ROM only. */
static void slow_mass_erase(void **state)
{
	struct dfu_ctx *ctx;
	struct scripted st = { .script = SCRIPT_SLOW_MASS_ERASE };
	struct scripted other = { .script = SCRIPT_SLOW_MASS_ERASE };
	struct dfu_dev *dev;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = scripted_open(ctx, &st, 0x0483);
	assert_int_equal(dfuse_mass_erase(dev), DFU_OK);
	assert_int_equal(st.state, 5);
	assert_true(st.now_ms >= 8000);
	dfu_dev_close(dev);

	/* Not an ST ROM: the row does not apply and the ordinary limit does. */
	dev = scripted_open(ctx, &other, 0x1209);
	assert_int_equal(dfuse_mass_erase(dev), DFU_ERR_TIMEOUT);
	assert_non_null(strstr(dfu_detail(ctx), "mass erase"));
	dfu_dev_close(dev);
	dfu_ctx_free(ctx);
}

/* A device asking for 0xFFFFFF ms (4.6 hours) per poll, forever: the
 * engine gives up after its budget, having slept no more than that. */
static void huge_poll_bounded(void **state)
{
	struct dfu_ctx *ctx;
	struct scripted s = { .script = SCRIPT_HUGE_POLL };
	struct dfu_poll_rules r;
	struct dfu_dev *dev;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = scripted_open(ctx, &s, 0x0483);
	dfu_quirk_poll_rules(dev, DFU_POLL_COMMAND, &r);
	assert_int_equal(dfuse_set_address(dev, 0x08000000), DFU_ERR_TIMEOUT);
	assert_true(s.slept_ms <= r.budget_ms);
	assert_true(s.slept_ms > 0);
	assert_non_null(strstr(dfu_detail(ctx), "set address 0x08000000"));
	dfu_dev_close(dev);
	dfu_ctx_free(ctx);
}

/* H743 rev V: dfuDNBUSY until a CLRSTATUS pair; the erase succeeds after
 * exactly the row's number of busy answers, with two clears. */
static void stuck_busy_cured(void **state)
{
	struct dfu_ctx *ctx;
	struct scripted s = { .script = SCRIPT_STUCK_BUSY };
	struct dfu_dev *dev;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = scripted_open(ctx, &s, 0x0483);
	assert_int_equal(dfuse_erase_page(dev, 0x08000000), DFU_OK);
	assert_int_equal(s.clears, 2);
	assert_int_equal(s.state, 2);
	dfu_dev_close(dev);
	dfu_ctx_free(ctx);
}

/* The errFIRMWARE an ST ROM starts with is expected; other statuses are
 * not, and neither is it from another vendor's device. */
static void first_error_expected(void **state)
{
	struct dfu_ctx *ctx;
	struct scripted s = { .script = SCRIPT_STUCK_BUSY };
	struct scripted o = { .script = SCRIPT_STUCK_BUSY };
	struct dfu_status fw = { DFU_STATUS_ERR_FIRMWARE, 0, DFU_STATE_ERROR, 0 };
	struct dfu_status wr = { DFU_STATUS_ERR_WRITE, 0, DFU_STATE_ERROR, 0 };
	struct dfu_dev *dev;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = scripted_open(ctx, &s, 0x0483);
	assert_true(dfu_quirk_first_error_expected(dev, &fw));
	assert_false(dfu_quirk_first_error_expected(dev, &wr));
	dfu_dev_close(dev);
	dev = scripted_open(ctx, &o, 0x1209);
	assert_false(dfu_quirk_first_error_expected(dev, &fw));
	dfu_dev_close(dev);
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_complete),
		cmocka_unit_test(rows_match),
		cmocka_unit_test(rules_for_profiles),
		cmocka_unit_test(slow_mass_erase),
		cmocka_unit_test(huge_poll_bounded),
		cmocka_unit_test(stuck_busy_cured),
		cmocka_unit_test(first_error_expected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
