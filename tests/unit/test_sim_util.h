/*
 * test_sim_util.h - helpers the dfusim unit tests share: one control
 * transfer at a time against the model, with a clock the test owns.
 * Included by tests/unit/test_sim_*.c (each a cmocka program).
 */
#ifndef TEST_SIM_UTIL_H
#define TEST_SIM_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfusim.h"
#include "dfu_wire.h"

/* The test's clock: every transfer happens 1 ms after the one before. */
static uint64_t t_now = 1000000;

/* The log lines the model wrote, kept for golden comparisons. */
static char t_log[256][160];
static size_t t_nlog;

static inline void t_log_fn(void *user, const char *line)
{
	(void)user;
	if (t_nlog < sizeof(t_log) / sizeof(t_log[0]))
		snprintf(t_log[t_nlog++], sizeof(t_log[0]), "%s", line);
}

static inline struct dfusim_reply t_ctl(struct dfusim *sim, uint8_t type, uint8_t req, uint16_t value,
				 uint16_t index, uint16_t len, uint8_t *data, size_t cap)
{
	struct dfusim_setup s = { type, req, value, index, len };
	struct dfusim_reply r;

	t_now += 1000;
	dfusim_control(sim, &s, data, cap, t_now, &r);
	if (r.outcome == DFUSIM_ACK && (type & DFU_USB_DIR_IN))
		assert_true(r.len <= len && r.len <= cap);
	if (r.ready_at_us > t_now)
		t_now = r.ready_at_us;
	return r;
}

/* GET_DESCRIPTOR of type and index, to the device (t_desc) or to the
 * interface (t_desc_if, the DFU functional descriptor's way); strings are
 * asked in US English as every host does. */
static inline struct dfusim_reply t_desc_to(struct dfusim *sim, uint8_t recipient, uint8_t type,
					    uint8_t index, uint16_t len, uint8_t *buf, size_t cap)
{
	return t_ctl(sim, DFU_RT_STD_IN | recipient, DFU_USB_REQ_GET_DESCRIPTOR,
		     (uint16_t)(type << 8 | index),
		     type == DFU_USB_DT_STRING ? DFU_USB_LANGID_EN_US : 0, len, buf, cap);
}

static inline struct dfusim_reply t_desc(struct dfusim *sim, uint8_t type, uint8_t index,
					 uint16_t len, uint8_t *buf, size_t cap)
{
	return t_desc_to(sim, DFU_USB_RECIP_DEVICE, type, index, len, buf, cap);
}

static inline struct dfusim_reply t_desc_if(struct dfusim *sim, uint8_t type, uint8_t index,
					    uint16_t len, uint8_t *buf, size_t cap)
{
	return t_desc_to(sim, DFU_USB_RECIP_INTERFACE, type, index, len, buf, cap);
}

/* A fresh simulator with time scale 0 (nothing waits) and, unless the
 * test wants them, no quirk that changes the first status. */
static inline struct dfusim *t_new(const char *chip)
{
	struct dfusim *sim = dfusim_new(chip);

	assert_non_null(sim);
	assert_int_equal(dfusim_set_time_scale(sim, 0), 0);
	assert_int_equal(dfusim_set_quirk(sim, "first-status-errfirmware", false), 0);
	t_nlog = 0;
	dfusim_set_log(sim, t_log_fn, NULL);
	return sim;
}

/* GETSTATUS; returns the outcome, fills st[6] on ACK. */
static inline enum dfusim_outcome t_status(struct dfusim *sim, uint8_t st[6])
{
	uint8_t buf[6] = { 0 };
	struct dfusim_reply r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));

	if (r.outcome == DFUSIM_ACK)
		assert_int_equal(r.len, 6);
	memcpy(st, buf, 6);
	return r.outcome;
}

static inline int t_state(struct dfusim *sim)
{
	uint8_t b = 0xee;
	struct dfusim_reply r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATE, 0, 0, 1, &b, 1);

	return r.outcome == DFUSIM_ACK ? b : -1;
}

static inline uint32_t t_poll(const uint8_t st[6])
{
	return st[1] | st[2] << 8 | (uint32_t)st[3] << 16;
}

static inline enum dfusim_outcome t_dnload(struct dfusim *sim, uint16_t block, const void *data,
				    uint16_t len)
{
	uint8_t buf[4096];

	if (len)
		memcpy(buf, data, len);
	return t_ctl(sim, DFU_RT_OUT, DFU_REQ_DNLOAD, block, 0, len, buf, len).outcome;
}

static inline enum dfusim_outcome t_simple(struct dfusim *sim, uint8_t req)
{
	return t_ctl(sim, DFU_RT_OUT, req, 0, 0, 0, NULL, 0).outcome;
}

/* A DfuSe command and the two GETSTATUS that finish it; returns the
 * second status's bStatus (state in *state). */
static inline int t_cmd(struct dfusim *sim, const uint8_t *cmd, uint16_t len, int *state)
{
	uint8_t st[6];

	assert_int_equal(t_dnload(sim, 0, cmd, len), DFUSIM_ACK);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	assert_int_equal(st[4], DFU_STATE_DNBUSY);
	assert_int_equal(t_status(sim, st), DFUSIM_ACK);
	if (state)
		*state = st[4];
	return st[0];
}

static inline int t_set_address(struct dfusim *sim, uint32_t a)
{
	uint8_t cmd[5] = { DFUSE_CMD_SET_ADDRESS, (uint8_t)a, (uint8_t)(a >> 8), (uint8_t)(a >> 16),
			   (uint8_t)(a >> 24) };

	return t_cmd(sim, cmd, 5, NULL);
}

static inline int t_erase(struct dfusim *sim, uint32_t a)
{
	uint8_t cmd[5] = { DFUSE_CMD_ERASE, (uint8_t)a, (uint8_t)(a >> 8), (uint8_t)(a >> 16),
			   (uint8_t)(a >> 24) };

	return t_cmd(sim, cmd, 5, NULL);
}

static inline int t_mass_erase(struct dfusim *sim)
{
	uint8_t cmd[1] = { DFUSE_CMD_ERASE };

	return t_cmd(sim, cmd, 1, NULL);
}

/* Writes data at addr the way dfu-util does: SET_ADDRESS, then blocks
 * 2, 3, ... of xfer bytes; returns the first non-OK status or 0. */
static inline int t_write(struct dfusim *sim, uint32_t addr, const uint8_t *data, size_t len,
		   uint16_t xfer)
{
	uint8_t st[6];
	size_t off;
	uint16_t block = 2;
	int rc = t_set_address(sim, addr);

	if (rc)
		return rc;
	for (off = 0; off < len; off += xfer, block++) {
		uint16_t n = (uint16_t)(len - off < xfer ? len - off : xfer);

		assert_int_equal(t_dnload(sim, block, data + off, n), DFUSIM_ACK);
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		assert_int_equal(st[4], DFU_STATE_DNBUSY);
		assert_int_equal(t_status(sim, st), DFUSIM_ACK);
		if (st[0])
			return st[0];
		assert_int_equal(st[4], DFU_STATE_DNLOAD_IDLE);
	}
	return 0;
}

/* Reads len bytes at addr as dfu-util -U does: SET_ADDRESS, ABORT, then
 * UPLOAD blocks 2, 3, ...; returns bytes read or -1 on a stall. */
static inline long t_read(struct dfusim *sim, uint32_t addr, uint8_t *out, size_t len, uint16_t xfer)
{
	size_t off = 0;
	uint16_t block = 2;

	if (t_set_address(sim, addr))
		return -1;
	assert_int_equal(t_simple(sim, DFU_REQ_ABORT), DFUSIM_ACK);
	while (off < len) {
		uint16_t n = (uint16_t)(len - off < xfer ? len - off : xfer);
		struct dfusim_reply r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, block++, 0, n, out + off, n);

		if (r.outcome != DFUSIM_ACK)
			return -1;
		off += r.len;
		if (r.len < n)
			break;
	}
	assert_int_equal(t_simple(sim, DFU_REQ_ABORT), DFUSIM_ACK);
	return (long)off;
}

#endif /* TEST_SIM_UTIL_H */
