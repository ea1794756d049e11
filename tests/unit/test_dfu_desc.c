/*
 * test_dfu_desc.c - a device described by its raw descriptors (as a
 * caller's transport gives them): identity, alternate settings and their
 * layouts, the functional descriptor; and descriptors that lie about their
 * lengths, are cut short or are scrambled are refused or read safely
 * (run under ASan in CI).
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

static void from_simulator(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct sim_transport *st = sim_transport_new("stm32h743");
	struct dfu_dev *dev = NULL;
	struct dfu_dev_info d;

	(void)state;
	assert_non_null(st);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(sim_transport_open(ctx, st, &dev), DFU_OK);
	dfu_dev_info(dev, &d);
	assert_int_equal(d.id_vendor, 0x0483);
	assert_int_equal(d.id_product, 0xdf11);
	assert_true(d.dfu_mode);
	assert_true(d.dfuse);
	assert_int_equal(d.func.bcd_dfu, 0x011A);
	assert_int_equal(d.func.w_transfer_size, 1024);
	assert_true(d.alt_count >= 2);
	assert_string_equal(d.alts[0].name, "@Internal Flash   /0x08000000/16*128Kg");
	assert_non_null(d.alts[0].layout);
	assert_int_equal(d.alts[0].layout->count, 16);
	assert_true(d.strings_read);
	dfu_dev_close(dev);
	sim_transport_free(st);
	dfu_ctx_free(ctx);
}

/* A transport that answers every string request with "@X/0x08000000/1*1Kg"
 * and fails everything else. */
static int str_in(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		  uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	static const char s[] = "@X/0x08000000/1*1Kg";
	size_t i, n = 2 + 2 * strlen(s);

	(void)user;
	(void)index;
	(void)timeout_ms;
	if (type != DFU_RT_STD_IN || req != DFU_USB_REQ_GET_DESCRIPTOR ||
	    (value >> 8) != DFU_USB_DT_STRING)
		return DFU_ERR_STALL;
	if ((value & 0xFF) == 0) {
		uint8_t langs[4] = { 4, 3, 0x09, 0x04 };

		memcpy(data, langs, len < 4 ? len : 4);
		return len < 4 ? len : 4;
	}
	if (n > len)
		n = len;
	data[0] = (uint8_t)(2 + 2 * strlen(s));
	data[1] = DFU_USB_DT_STRING;
	for (i = 2; i + 1 < n; i += 2) {
		data[i] = (uint8_t)s[(i - 2) / 2];
		data[i + 1] = 0;
	}
	return (int)n;
}

static int no_out(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		  const uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	(void)user;
	(void)type;
	(void)req;
	(void)value;
	(void)index;
	(void)data;
	(void)len;
	(void)timeout_ms;
	return DFU_ERR_STALL;
}

static const struct dfu_transport_ops str_ops = {
	.control_out = no_out,
	.control_in = str_in,
};

/* A device and configuration descriptor with one DFU interface, two alts
 * and a functional descriptor. */
static const uint8_t good[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0x00, 0x22, 1, 2, 3, 1,
	9, 2, 36, 0, 1, 1, 0, 0xC0, 50,
	9, 4, 0, 0, 0, 0xFE, 1, 2, 4,
	9, 4, 0, 1, 0, 0xFE, 1, 2, 5,
	9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01,
};

static void from_raw_bytes(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_dev *dev = NULL;
	struct dfu_dev_info d;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_dev_open_transport(ctx, &str_ops, NULL, good, sizeof(good), &dev),
			 DFU_OK);
	dfu_dev_info(dev, &d);
	assert_int_equal(d.bcd_device, 0x2200);
	assert_int_equal(d.alt_count, 2);
	assert_int_equal(d.alts[1].alt, 1);
	assert_int_equal(d.func.w_transfer_size, 2048);
	assert_true(d.dfuse);
	assert_string_equal(d.alts[1].name, "@X/0x08000000/1*1Kg");
	assert_int_equal(d.alts[1].layout->count, 1);
	assert_int_equal(dfu_dev_select_alt(dev, "X"), DFU_OK);
	assert_int_equal(dfu_dev_alt(dev)->alt, 0);
	dfu_dev_close(dev);
	dfu_ctx_free(ctx);
}

static void no_dfu_interface(void **state)
{
	uint8_t d[sizeof(good)];
	struct dfu_ctx *ctx = NULL;
	struct dfu_dev *dev = (struct dfu_dev *)0x1;

	(void)state;
	memcpy(d, good, sizeof(d));
	d[18 + 9 + 5] = 0x02;  /* first alt: CDC, not DFU */
	d[18 + 9 + 9 + 5] = 0x02;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_dev_open_transport(ctx, &str_ops, NULL, d, sizeof(d), &dev),
			 DFU_ERR_NO_DEVICE);
	assert_ptr_equal(dev, (struct dfu_dev *)0x1);
	dfu_ctx_free(ctx);
}

/* Every truncation and many scrambles: no crash, no leak, and an error or
 * a device whose fields came from the bytes given. */
static void hostile_bytes(void **state)
{
	struct dfu_ctx *ctx = NULL;
	uint8_t d[sizeof(good)];
	size_t len, i;
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	for (len = 0; len <= sizeof(good); len++) {
		struct dfu_dev *dev = NULL;
		int err = dfu_dev_open_transport(ctx, &str_ops, NULL, good, len, &dev);

		if (len < 18 + 9 + 9)
			assert_int_not_equal(err, DFU_OK);
		dfu_dev_close(dev);
	}
	for (i = 0; i < 20000; i++) {
		struct dfu_dev *dev = NULL;
		size_t k;

		memcpy(d, good, sizeof(d));
		for (k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			d[(seed >> 8) % sizeof(d)] = (uint8_t)(seed >> 20);
		}
		if (dfu_dev_open_transport(ctx, &str_ops, NULL, d, sizeof(d), &dev) == DFU_OK) {
			struct dfu_dev_info info;

			dfu_dev_info(dev, &info);
			assert_true(info.alt_count <= 2);
		}
		dfu_dev_close(dev);
	}
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_simulator),
		cmocka_unit_test(from_raw_bytes),
		cmocka_unit_test(no_dfu_interface),
		cmocka_unit_test(hostile_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
