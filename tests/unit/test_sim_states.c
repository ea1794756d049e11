/*
 * test_sim_states.c - every DFU class request in every state, allowed and
 * not: a table of state x request -> outcome, state after and status
 * (DFU 1.1 appendix A, with the DfuSe choices core.c documents), for the
 * DfuSe ROM (stm32f407) and the plain DFU 1.1 profile (generic-dfu11).
 */
#include "test_sim_util.h"

enum req {
	Q_DETACH, Q_DNLOAD, Q_DNLOAD0, Q_UPLOAD, Q_GETSTATUS, Q_CLRSTATUS, Q_GETSTATE, Q_ABORT,
	Q_UNKNOWN, Q_COUNT,
};

static const char *const req_names[Q_COUNT] = {
	"DETACH", "DNLOAD", "DNLOAD(0)", "UPLOAD", "GETSTATUS", "CLRSTATUS", "GETSTATE",
	"ABORT", "request 7",
};

/* Expected result of one request: outcome, then the state after. */
struct expect {
	enum dfusim_outcome out;
	int state;
};

/* S(IDLE) is DFU_STATE_IDLE (dfu_wire.h), to keep the table one row a line. */
#define S(s) DFU_STATE_##s
#define A(s) { DFUSIM_ACK, S(s) }
#define X { DFUSIM_STALL, S(ERROR) }
#define W { DFUSIM_STALL, S(MANIFEST_WAIT_RESET) }

struct row {
	int state;
	struct expect e[Q_COUNT];
};

/*                DETACH            DNLOAD              DNLOAD(0)               UPLOAD              GETSTATUS              CLRSTATUS       GETSTATE               ABORT           7 */
static const struct row dfuse_rows[] = {
	{ S(IDLE), { A(IDLE), A(DNLOAD_SYNC), A(MANIFEST_SYNC), A(UPLOAD_IDLE), A(IDLE), X, A(IDLE), A(IDLE), X } },
	{ S(DNLOAD_SYNC), { A(IDLE), X, X, X, A(DNBUSY), X, A(DNLOAD_SYNC), A(IDLE), X } },
	{ S(DNBUSY), { X, X, X, X, A(DNLOAD_IDLE), X, X, X, X } },
	{ S(DNLOAD_IDLE), { A(IDLE), A(DNLOAD_SYNC), A(MANIFEST_SYNC), X, A(DNLOAD_IDLE), X, A(DNLOAD_IDLE), A(IDLE), X } },
	{ S(MANIFEST_SYNC), { A(IDLE), X, X, X, A(MANIFEST), X, A(MANIFEST_SYNC), A(IDLE), X } },
	{ S(UPLOAD_IDLE), { A(IDLE), X, X, A(UPLOAD_IDLE), A(UPLOAD_IDLE), X, A(UPLOAD_IDLE), A(IDLE), X } },
	{ S(ERROR), { X, X, X, X, A(ERROR), A(IDLE), A(ERROR), X, X } },
};

static const struct row plain_rows[] = {
	{ S(IDLE), { X, A(DNLOAD_SYNC), X, A(UPLOAD_IDLE), A(IDLE), X, A(IDLE), A(IDLE), X } },
	{ S(DNLOAD_SYNC), { X, X, X, X, A(DNBUSY), X, A(DNLOAD_SYNC), X, X } },
	{ S(DNBUSY), { X, X, X, X, A(DNLOAD_IDLE), X, X, X, X } },
	{ S(DNLOAD_IDLE), { X, A(DNLOAD_SYNC), A(MANIFEST_SYNC), X, A(DNLOAD_IDLE), X, A(DNLOAD_IDLE), A(IDLE), X } },
	{ S(MANIFEST_SYNC), { X, X, X, X, A(MANIFEST), X, A(MANIFEST_SYNC), X, X } },
	{ S(MANIFEST), { X, X, X, X, A(MANIFEST_WAIT_RESET), X, X, X, X } },
	{ S(MANIFEST_WAIT_RESET), { W, W, W, W, A(MANIFEST_WAIT_RESET), W, W, W, W } },
	{ S(UPLOAD_IDLE), { X, X, X, A(UPLOAD_IDLE), A(UPLOAD_IDLE), X, A(UPLOAD_IDLE), A(IDLE), X } },
	{ S(ERROR), { X, X, X, X, A(ERROR), A(IDLE), A(ERROR), X, X } },
};

/* Manifestation tolerant (generic-dfu11-tolerant): dfuMANIFEST returns to
 * dfuMANIFEST-SYNC, whose next GETSTATUS says dfuIDLE. */
static const struct row tolerant_rows[] = {
	{ S(DNLOAD_IDLE), { X, A(DNLOAD_SYNC), A(MANIFEST_SYNC), X, A(DNLOAD_IDLE), X, A(DNLOAD_IDLE), A(IDLE), X } },
	{ S(MANIFEST_SYNC), { X, X, X, X, A(MANIFEST), X, A(MANIFEST_SYNC), X, X } },
	{ S(MANIFEST), { X, X, X, X, A(MANIFEST_SYNC), X, X, X, X } },
};

static const uint8_t set_addr[5] = { DFUSE_CMD_SET_ADDRESS, 0x00, 0x00, 0x00, 0x08 };
static uint8_t block[1024];

/* Drives a fresh simulator into state st, the way a host gets there. */
static void drive_to(struct dfusim *sim, bool dfuse, int st)
{
	uint8_t buf[64], s[6];

	switch (st) {
	case DFU_STATE_IDLE:
		break;
	case DFU_STATE_ERROR:
		assert_int_equal(t_ctl(sim, DFU_RT_OUT, 7, 0, 0, 0, NULL, 0).outcome, DFUSIM_STALL);
		break;
	case DFU_STATE_UPLOAD_IDLE:
		assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, dfuse ? 2 : 0, 0, 64, buf, 64).outcome,
				 DFUSIM_ACK);
		break;
	case DFU_STATE_DNLOAD_SYNC:
	case DFU_STATE_DNBUSY:
	case DFU_STATE_DNLOAD_IDLE:
	case DFU_STATE_MANIFEST_SYNC:
	case DFU_STATE_MANIFEST:
	case DFU_STATE_MANIFEST_WAIT_RESET:
		if (dfuse)
			assert_int_equal(t_dnload(sim, 0, set_addr, 5), DFUSIM_ACK);
		else
			assert_int_equal(t_dnload(sim, 0, block, 1024), DFUSIM_ACK);
		if (st == DFU_STATE_DNLOAD_SYNC)
			break;
		assert_int_equal(t_status(sim, s), DFUSIM_ACK);
		if (st == DFU_STATE_DNBUSY)
			break;
		assert_int_equal(t_status(sim, s), DFUSIM_ACK);
		if (st == DFU_STATE_DNLOAD_IDLE)
			break;
		assert_int_equal(t_dnload(sim, 1, NULL, 0), DFUSIM_ACK);
		if (st == DFU_STATE_MANIFEST_SYNC)
			break;
		assert_int_equal(t_status(sim, s), DFUSIM_ACK);
		if (st == DFU_STATE_MANIFEST)
			break;
		assert_int_equal(t_status(sim, s), DFUSIM_ACK);
		break;
	}
	assert_int_equal(dfusim_dfu_state(sim), st);
}

static enum dfusim_outcome send(struct dfusim *sim, bool dfuse, enum req q)
{
	uint8_t buf[64];

	switch (q) {
	case Q_DETACH:
		return t_ctl(sim, DFU_RT_OUT, DFU_REQ_DETACH, 1000, 0, 0, NULL, 0).outcome;
	case Q_DNLOAD:
		return dfuse ? t_dnload(sim, 0, set_addr, 5) : t_dnload(sim, 1, block, 1024);
	case Q_DNLOAD0:
		return t_dnload(sim, 2, NULL, 0);
	case Q_UPLOAD:
		return t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, dfuse ? 2 : 0, 0, 64, buf, 64).outcome;
	case Q_GETSTATUS:
		return t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6).outcome;
	case Q_CLRSTATUS:
		return t_simple(sim, DFU_REQ_CLRSTATUS);
	case Q_GETSTATE:
		return t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATE, 0, 0, 1, buf, 1).outcome;
	case Q_ABORT:
		return t_simple(sim, DFU_REQ_ABORT);
	case Q_UNKNOWN:
	case Q_COUNT:
		break;
	}
	return t_ctl(sim, DFU_RT_OUT, 7, 0, 0, 0, NULL, 0).outcome;
}

static void run_table(const char *chip, bool dfuse, const struct row *rows, size_t nrows)
{
	size_t i, q;

	for (i = 0; i < nrows; i++) {
		for (q = 0; q < Q_COUNT; q++) {
			struct dfusim *sim = t_new(chip);
			const struct expect *e = &rows[i].e[q];
			enum dfusim_outcome out;

			drive_to(sim, dfuse, rows[i].state);
			out = send(sim, dfuse, (enum req)q);
			if (out != e->out || dfusim_dfu_state(sim) != e->state)
				fail_msg("%s: %s in state %d: outcome %d state %d, want %d state %d",
					 chip, req_names[q], rows[i].state, out,
					 dfusim_dfu_state(sim), e->out, e->state);
			if (out == DFUSIM_STALL && e->state == DFU_STATE_ERROR)
				assert_int_equal(dfusim_dfu_status(sim), DFU_STATUS_ERR_STALLEDPKT);
			dfusim_free(sim);
		}
	}
}

static void dfuse_state_table(void **state)
{
	(void)state;
	run_table("stm32f407", true, dfuse_rows, sizeof(dfuse_rows) / sizeof(dfuse_rows[0]));
}

static void plain_state_table(void **state)
{
	(void)state;
	run_table("generic-dfu11", false, plain_rows, sizeof(plain_rows) / sizeof(plain_rows[0]));
	run_table("generic-dfu11-tolerant", false, tolerant_rows,
		  sizeof(tolerant_rows) / sizeof(tolerant_rows[0]));
}

/* The tolerant device's whole manifestation: back in dfuIDLE. */
static void tolerant_manifest_ends_idle(void **state)
{
	struct dfusim *sim = t_new("generic-dfu11-tolerant");
	uint8_t s[6];

	(void)state;
	drive_to(sim, false, DFU_STATE_MANIFEST);
	assert_int_equal(t_status(sim, s), DFUSIM_ACK);
	assert_int_equal(s[4], DFU_STATE_MANIFEST_SYNC);
	assert_int_equal(t_status(sim, s), DFUSIM_ACK);
	assert_int_equal(s[4], DFU_STATE_IDLE);
	assert_int_equal(dfusim_bus_reset(sim, t_now), DFUSIM_EV_NONE);
	dfusim_free(sim);
}

struct bad_case {
	const char *what;
	uint8_t type, req;
	uint16_t value, index, len;
};

/* Malformed requests: stall and dfuERROR/errSTALLEDPKT, never a crash. */
static void bad_requests(void **state)
{
	static const struct bad_case cases[] = {
		{ "GETSTATUS as OUT", DFU_RT_OUT, DFU_REQ_GETSTATUS, 0, 0, 0 },
		{ "GETSTATUS short", DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 5 },
		{ "GETSTATE as OUT", DFU_RT_OUT, DFU_REQ_GETSTATE, 0, 0, 0 },
		{ "DNLOAD as IN", DFU_RT_IN, DFU_REQ_DNLOAD, 2, 0, 16 },
		{ "UPLOAD as OUT", DFU_RT_OUT, DFU_REQ_UPLOAD, 2, 0, 16 },
		{ "UPLOAD too long", DFU_RT_IN, DFU_REQ_UPLOAD, 2, 0, 4096 },
		{ "UPLOAD block 1", DFU_RT_IN, DFU_REQ_UPLOAD, 1, 0, 16 },
		{ "DNLOAD too long", DFU_RT_OUT, DFU_REQ_DNLOAD, 2, 0, 2049 },
		{ "DNLOAD block 1", DFU_RT_OUT, DFU_REQ_DNLOAD, 1, 0, 16 },
		{ "CLRSTATUS with data", DFU_RT_OUT, DFU_REQ_CLRSTATUS, 0, 0, 4 },
		{ "ABORT with data", DFU_RT_OUT, DFU_REQ_ABORT, 0, 0, 4 },
		{ "class request 200", DFU_RT_IN, 200, 0, 0, 8 },
	};
	static uint8_t buf[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = t_new("stm32f407");
		struct dfusim_reply r;

		memset(buf, 0, sizeof(buf));
		r = t_ctl(sim, cases[i].type, cases[i].req, cases[i].value, cases[i].index,
			  cases[i].len, buf, sizeof(buf));
		if (r.outcome != DFUSIM_STALL || dfusim_dfu_state(sim) != DFU_STATE_ERROR ||
		    dfusim_dfu_status(sim) != DFU_STATUS_ERR_STALLEDPKT)
			fail_msg("%s: outcome %d state %d status %d", cases[i].what, r.outcome,
				 dfusim_dfu_state(sim), dfusim_dfu_status(sim));
		dfusim_free(sim);
	}
}

/* DfuSe commands the ROM does not know, or with the wrong length. */
static void bad_dfuse_commands(void **state)
{
	static const struct {
		const char *what;
		uint8_t cmd[6];
		uint16_t len;
	} cases[] = {
		{ "SET_ADDRESS short", { DFUSE_CMD_SET_ADDRESS, 0, 0, 0 }, 4 },
		{ "SET_ADDRESS long", { DFUSE_CMD_SET_ADDRESS, 0, 0, 0, 8, 0 }, 6 },
		{ "ERASE 3 bytes", { DFUSE_CMD_ERASE, 0, 0 }, 3 },
		{ "unknown 0x55", { 0x55 }, 1 },
		{ "UNPROTECT with address", { DFUSE_CMD_READ_UNPROTECT, 0, 0, 0, 8 }, 5 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = t_new("stm32f407");

		if (t_dnload(sim, 0, cases[i].cmd, cases[i].len) != DFUSIM_STALL ||
		    dfusim_dfu_state(sim) != DFU_STATE_ERROR)
			fail_msg("%s: not stalled", cases[i].what);
		dfusim_free(sim);
	}
}

/* DETACH in the DfuSe ROM re-enumerates it (WillDetach). */
static void dfuse_detach_reenumerates(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	struct dfusim_reply r;
	uint8_t st[6];

	(void)state;
	r = t_ctl(sim, DFU_RT_OUT, DFU_REQ_DETACH, 1000, 0, 0, NULL, 0);
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.event, DFUSIM_EV_RESET_TO_DFU);
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	dfusim_reenumerated(sim, t_now);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);
}

/* A USB reset: the ROM stays in DFU mode, back in dfuIDLE. */
static void bus_reset_in_rom(void **state)
{
	struct dfusim *sim = t_new("stm32f407");

	(void)state;
	drive_to(sim, true, DFU_STATE_ERROR);
	assert_int_equal(dfusim_bus_reset(sim, t_now), DFUSIM_EV_NONE);
	assert_int_equal(t_state(sim), DFU_STATE_IDLE);
	dfusim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dfuse_state_table),
		cmocka_unit_test(plain_state_table),
		cmocka_unit_test(tolerant_manifest_ends_idle),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(bad_dfuse_commands),
		cmocka_unit_test(dfuse_detach_reenumerates),
		cmocka_unit_test(bus_reset_in_rom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
