/*
 * test_polltime.c - learning how long a busy device takes
 * (lib/protocol/polltime.c): against the simulator in-process (an F407
 * that stalls GETSTATUS while it works, l4-stall-busy, and one that holds
 * the answer, as the ST ROMs do), and against a device whose busy time is
 * set by the test, on a virtual clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"
#include "sim_transport.h"

/* The simulator transport, counting GETSTATUS requests. */
static struct sim_transport *g_st;
static unsigned g_getstatus;

static int count_in(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		    uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	if (req == DFU_REQ_GETSTATUS && (type & DFU_USB_DIR_IN) && (type & 0x60) == 0x20)
		g_getstatus++;
	return sim_transport_ops.control_in(user, type, req, value, index, data, len, timeout_ms);
}

static struct dfu_transport_ops counting_ops;

static struct dfu_dev *open_f407(struct dfu_ctx *ctx, bool stall_busy)
{
	uint8_t desc[1024];
	size_t len;
	struct dfu_dev *dev = NULL;

	g_st = sim_transport_new("stm32f407");
	assert_non_null(g_st);
	if (stall_busy)
		assert_int_equal(dfusim_set_quirk(g_st->sim, "l4-stall-busy", true), 0);
	len = dfusim_descriptors(g_st->sim, desc, sizeof(desc));
	assert_true(len <= sizeof(desc));
	dfusim_set_configuration(g_st->sim, 1, g_st->now_us);
	counting_ops = sim_transport_ops;
	counting_ops.control_in = count_in;
	assert_int_equal(dfu_dev_open_transport(ctx, &counting_ops, g_st, desc, len, &dev),
			 DFU_OK);
	assert_int_equal(dfu_dev_select_alt(dev, "0"), DFU_OK);
	return dev;
}

/* Every sleep that follows a dfuDNBUSY answer in the transcript is at least
 * the poll timeout that answer asked for. */
static void never_less_than_asked(const char *log)
{
	const char *p = log;
	unsigned asked = 0, slept;

	while ((p = strstr(p, "dfuDNBUSY poll=")) != NULL) {
		const char *s;

		assert_int_equal(sscanf(p, "dfuDNBUSY poll=%ums", &asked), 1);
		s = strstr(p, "sleep ");
		p += 10;
		if (!s)
			break;
		assert_int_equal(sscanf(s, "sleep %u ms", &slept), 1);
		assert_true(slept >= asked);
	}
}

/* Erases 0x08000000-0x0800FFFF (four 16 KiB sectors) and writes 64 KiB of
 * a pattern there (32 blocks of 2048 bytes); returns the GETSTATUS
 * requests of the write and checks the bytes. */
static unsigned erase_write_check(struct dfu_dev *dev)
{
	static uint8_t img[65536], back[65536];
	unsigned before, i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + (i >> 8));
	for (i = 0; i < 4; i++)
		assert_int_equal(dfuse_erase_page(dev, 0x08000000 + i * 16384), DFU_OK);
	sim_transport_record(g_st, true);
	before = g_getstatus;
	assert_int_equal(dfu_mem_write(dev, 0x08000000, img, sizeof(img), NULL), DFU_OK);
	i = g_getstatus - before;
	never_less_than_asked(g_st->log);
	sim_transport_record(g_st, false);
	assert_int_equal(dfu_mem_read(dev, "verify", 0x08000000, back, sizeof(back), NULL),
			 DFU_OK);
	assert_memory_equal(img, back, sizeof(img));
	return i;
}

/* An F4 asks 5 ms per block and programs for about 8: a device that stalls
 * GETSTATUS until then costs a stall per block unless the wait is learned.
 * Learned, the write takes two GETSTATUS per block (the one that starts
 * it and the one that finds it done) but for a few tries. */
static void learns_block_time(void **state)
{
	struct dfu_ctx *ctx;
	struct dfu_dev *dev;
	unsigned n;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = open_f407(ctx, true);
	n = erase_write_check(dev);
	/* The SET_ADDRESS and 32 blocks: 66 without a stall; the first
	 * block's stall and a few wrong tries on the way down. Without
	 * learning every block stalls once: 98. */
	print_message("GETSTATUS during the write: %u\n", n);
	assert_true(n >= 66);
	assert_true(n <= 66 + 6);
	dfu_dev_close(dev);
	sim_transport_free(g_st);
	dfu_ctx_free(ctx);
}

/* A device that holds the answer until it is done (the ST ROMs) is never
 * busy at the second look: nothing is learned, every wait is the 5 ms
 * asked for, two GETSTATUS per block and two for the SET_ADDRESS. */
static void held_answer_learns_nothing(void **state)
{
	struct dfu_ctx *ctx;
	struct dfu_dev *dev;
	size_t i;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = open_f407(ctx, false);
	assert_int_equal(erase_write_check(dev), 66);
	for (i = 0; i < DFU_BUSY_SLOTS; i++)
		assert_int_equal(dev->busy[i].hi_ms, 0);
	dfu_dev_close(dev);
	sim_transport_free(g_st);
	dfu_ctx_free(ctx);
}

/* One operation on a device that stays busy for busy_ms after its first
 * answer and asks for asked ms each time: the looks it took (busy answers
 * after the first wait) and the first wait. */
static unsigned one_op(struct dfu_dev *dev, uint32_t busy_ms, uint32_t asked,
		       uint32_t *first)
{
	struct dfu_busy_wait bw;
	uint64_t waited = 0;
	unsigned again = 0;

	dfu_busy_begin(dev, DFU_BUSY_WRITE, 2048, &bw);
	waited += *first = dfu_busy_next_wait(&bw, waited, asked);
	assert_true(*first >= asked);
	while (waited < busy_ms) {
		uint32_t w = dfu_busy_next_wait(&bw, waited, asked);

		assert_true(w >= asked);
		waited += w;
		again++;
	}
	dfu_busy_end(&bw, waited);
	return again;
}

/* The learned wait follows the device: longer when it is slower than it
 * asks, shorter again when it becomes faster, never below what it asks,
 * and a wrong guess costs one extra look. */
static void follows_the_device(void **state)
{
	struct dfu_ctx *ctx;
	struct dfu_dev *dev;
	uint32_t first = 0;
	unsigned i, extra = 0;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	dev = open_f407(ctx, false);

	/* Slower than asked (9 ms for 5): one extra look at first, then
	 * the wait settles on 9 within a few operations. */
	assert_int_equal(one_op(dev, 9, 5, &first), 1);
	assert_int_equal(first, 5);
	for (i = 0; i < 10; i++) {
		unsigned a = one_op(dev, 9, 5, &first);

		assert_true(a <= 1);
		extra += a;
	}
	assert_true(extra <= 3);
	for (i = 0; i < 20; i++) {
		assert_int_equal(one_op(dev, 9, 5, &first), 0);
		assert_int_equal(first, 9);
	}

	/* Faster than learned (done within the 5 ms asked): within the next
	 * FORGET_AFTER operations and a few tries the wait is back at 5 ms,
	 * and no operation needed more than one extra look. */
	for (i = 0; i < 40; i++)
		assert_true(one_op(dev, 4, 5, &first) == 0);
	assert_int_equal(first, 5);

	/* Another kind of operation learns on its own. */
	{
		struct dfu_busy_wait bw;

		dfu_busy_begin(dev, DFU_BUSY_ERASE, 16384, &bw);
		assert_int_equal(dfu_busy_next_wait(&bw, 0, 100), 100);
		dfu_busy_end(&bw, 100);
		dfu_busy_begin(dev, DFU_BUSY_OTHER, 0, &bw);
		assert_null(bw.slot);
	}
	dfu_dev_close(dev);
	sim_transport_free(g_st);
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(learns_block_time),
		cmocka_unit_test(held_answer_learns_nothing),
		cmocka_unit_test(follows_the_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
