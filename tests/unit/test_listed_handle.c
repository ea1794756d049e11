/*
 * test_listed_handle.c - a handle that cannot talk is refused, never a crash.
 *
 * 1. A handle from dfu_usb_list() only describes a device. Every request
 *    function called on it must return DFU_ERR_INVALID_ARG with a message
 *    (dfu_detail) saying so, and must not touch the device. No real device
 *    is on the bus here, so the test runs itself again under
 *    `$DFUSIM run --chip stm32f407` (DFUSIM comes from ctest), where libusb
 *    sees the simulated ROM bootloader; it is skipped when DFUSIM is unset.
 * 2. A device opened with dfu_dev_open_transport() whose transport, once
 *    open, fails every request (stall, disconnect, timeout, any USB error)
 *    or answers with nothing: every request function returns an error with
 *    a message and nothing crashes or loops forever (run under ASan in CI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfuflash.h"
#include "dfu_wire.h"

#define INNER_ARG "--inner-listed"

/* ---- 1. a listed handle ------------------------------------------------ */

/* The calls made on a listed handle, by name. */
enum call {
	C_GET_STATUS, C_CLEAR_STATUS, C_GET_STATE, C_ABORT, C_MAKE_IDLE, C_SELECT_ALT,
	C_TRUE_LAYOUT, C_READ, C_VERIFY, C_FLASH, C_DEV_PLAN, C_ERASE, C_ERASE_PLAN,
	C_ERASE_SECTORS, C_ERASE_RANGE, C_RECOVER, C_LEAVE, C_OB_READ, C_SET_ADDRESS,
	C_ERASE_PAGE, C_MASS_ERASE, C_UNPROTECT, C_COUNT
};

static const char *const call_names[C_COUNT] = {
	"dfu_get_status", "dfu_clear_status", "dfu_get_state", "dfu_abort", "dfu_make_idle",
	"dfu_dev_select_alt", "dfu_dev_true_layout", "dfu_read", "dfu_verify", "dfu_flash",
	"dfu_dev_plan", "dfu_erase", "dfu_erase_plan", "dfu_erase_sectors", "dfu_erase_range",
	"dfu_dev_recover", "dfu_leave", "dfu_ob_read", "dfuse_set_address",
	"dfuse_erase_page", "dfuse_mass_erase", "dfuse_unprotect",
};

/* 16 bytes at 0x08000000 as target 0 of a new image. */
static struct dfu_image *small_image(void)
{
	struct dfu_image *img = NULL;
	uint8_t d[16];
	size_t t;

	memset(d, 0x5A, sizeof(d));
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &t), DFU_OK);
	assert_int_equal(dfu_image_add_data(NULL, img, t, 0x08000000, d, sizeof(d)), DFU_OK);
	return img;
}

/* Makes call c on dev; returns what it returned. */
static int make_call(enum call c, struct dfu_dev *dev, const struct dfu_image *img)
{
	struct dfu_status st;
	struct dfu_flash_result res;
	struct dfu_option_bytes ob;
	struct dfu_layout *lay = NULL;
	struct dfu_plan *plan = NULL;
	struct dfu_erase_spec spec;
	unsigned first = 0, last = 0;
	uint32_t ra = 0x08000000, rl = 16;
	uint8_t buf[64], state;
	bool done;
	int err = DFU_OK;

	memset(&spec, 0, sizeof(spec));
	spec.sector_count = 1;
	spec.sector_first = &first;
	spec.sector_last = &last;
	spec.range_count = 1;
	spec.range_address = &ra;
	spec.range_len = &rl;
	switch (c) {
	case C_GET_STATUS: err = dfu_get_status(dev, &st); break;
	case C_CLEAR_STATUS: err = dfu_clear_status(dev); break;
	case C_GET_STATE: err = dfu_get_state(dev, &state); break;
	case C_ABORT: err = dfu_abort(dev); break;
	case C_MAKE_IDLE: err = dfu_make_idle(dev, &st); break;
	case C_SELECT_ALT: err = dfu_dev_select_alt(dev, "0"); break;
	case C_TRUE_LAYOUT: err = dfu_dev_true_layout(dev, &lay); break;
	case C_READ: err = dfu_read(dev, 0x08000000, buf, sizeof(buf), NULL, NULL); break;
	case C_VERIFY: err = dfu_verify(dev, img, NULL, NULL); break;
	case C_FLASH: err = dfu_flash(dev, img, NULL, &res); break;
	case C_DEV_PLAN: err = dfu_dev_plan(dev, img, NULL, &plan); break;
	case C_ERASE: err = dfu_erase(dev, &spec, &res); break;
	case C_ERASE_PLAN: err = dfu_erase_plan(dev, &spec, &plan); break;
	case C_ERASE_SECTORS: err = dfu_erase_sectors(dev, 1, 1, NULL, NULL); break;
	case C_ERASE_RANGE: err = dfu_erase_range(dev, 0x08000000, 16, NULL, NULL); break;
	case C_RECOVER: err = dfu_dev_recover(dev, NULL, NULL, &done); break;
	case C_LEAVE: err = dfu_leave(dev, false, 0, 0, &res); break;
	case C_OB_READ: err = dfu_ob_read(dev, &ob); break;
	case C_SET_ADDRESS: err = dfuse_set_address(dev, 0x08000000); break;
	case C_ERASE_PAGE: err = dfuse_erase_page(dev, 0x08000000); break;
	case C_MASS_ERASE: err = dfuse_mass_erase(dev); break;
	case C_UNPROTECT: err = dfuse_unprotect(dev); break;
	case C_COUNT: break;
	}
	if (!err && lay)
		dfu_layout_free(lay);
	if (!err && plan)
		dfu_plan_free(plan);
	return err;
}

/* Under dfusim: lists the devices with a fresh context for every call (so
 * that a message can only come from that call) and checks each one. */
static void listed_inner(void **state)
{
	struct dfu_image *img = small_image();
	struct dfu_match match;
	char bad[4096] = "";
	size_t used = 0;
	int c;

	(void)state;
	memset(&match, 0, sizeof(match));
	for (c = 0; c < C_COUNT; c++) {
		struct dfu_ctx *ctx = NULL;
		struct dfu_dev **list = NULL;
		struct dfu_dev_info info;
		size_t count = 0;
		const char *detail;
		int err;

		assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
		assert_int_equal(dfu_usb_list(ctx, &match, &list, &count), DFU_OK);
		assert_true(count >= 1);
		/* The listing itself works: it describes the simulated ROM. */
		dfu_dev_info(list[0], &info);
		assert_int_equal(info.id_vendor, 0x0483);
		assert_int_equal(info.id_product, 0xdf11);
		assert_true(info.alt_count >= 1);
		err = make_call((enum call)c, list[0], img);
		detail = dfu_detail(ctx);
		if (err != DFU_ERR_INVALID_ARG || !detail || !detail[0]) {
			int n = snprintf(bad + used, sizeof(bad) - used,
					 "\n  %s on a listed handle: returned %d (%s), detail \"%s\"",
					 call_names[c], err, dfu_errname(err), detail ? detail : "(null)");

			if (n > 0 && used + (size_t)n < sizeof(bad))
				used += (size_t)n;
		}
		dfu_dev_list_free(list, count);
		dfu_ctx_free(ctx);
	}
	dfu_image_free(img);
	if (used)
		fail_msg("expected DFU_ERR_INVALID_ARG with a message:%s", bad);
}

/* Runs this program again under dfusim, in the inner mode above. */
static void listed_handle_refused(void **state)
{
	const char *sim = getenv("DFUSIM");
	char self[4096], cmd[9000];
	ssize_t n;
	int rc;

	(void)state;
	if (!sim || access(sim, X_OK) != 0) {
		print_message("DFUSIM not set: no device list to take a handle from\n");
		skip();
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(cmd, sizeof(cmd), "'%s' run --chip stm32f407 --time-scale 0 -- '%s' %s",
		 sim, self, INNER_ARG);
	rc = system(cmd);
	assert_true(rc != -1 && WIFEXITED(rc));
	if (WEXITSTATUS(rc) != 0)
		fail_msg("the listed-handle checks under dfusim failed (exit %d; see above)",
			 WEXITSTATUS(rc));
}

/* ---- 2. a transport that fails --------------------------------------- */

/* How the transport answers once the device is open. */
struct failing {
	bool open;             /* false while dfu_dev_open_transport runs */
	int answer;            /* a negative dfu_err, or 0: an empty reply */
	unsigned long calls;   /* requests after open: bounded, or a loop */
	unsigned long slept;
};

#define MAX_CALLS 100000ul

static int f_in(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	static const char s[] = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";
	struct failing *f = user;
	size_t i, n = 2 + 2 * strlen(s);

	(void)index;
	(void)timeout_ms;
	if (f->open) {
		if (++f->calls > MAX_CALLS)
			fail_msg("more than %lu requests: the library loops", MAX_CALLS);
		return f->answer;
	}
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

static int f_out(void *user, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		 const uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct failing *f = user;

	(void)type;
	(void)req;
	(void)value;
	(void)index;
	(void)data;
	(void)timeout_ms;
	if (!f->open)
		return DFU_ERR_STALL;
	if (++f->calls > MAX_CALLS)
		fail_msg("more than %lu requests: the library loops", MAX_CALLS);
	/* 0: nothing of the data was sent. */
	(void)len;
	return f->answer;
}

static int f_set_alt(void *user, uint8_t interface, uint8_t alt)
{
	struct failing *f = user;

	(void)interface;
	(void)alt;
	return f->open && f->answer ? f->answer : 0;
}

static int f_reset(void *user)
{
	struct failing *f = user;

	return f->open && f->answer ? f->answer : 0;
}

static int f_present(void *user)
{
	(void)user;
	return 1;
}

static void f_sleep(void *user, unsigned ms)
{
	struct failing *f = user;

	f->slept += ms;
}

static const struct dfu_transport_ops failing_ops = {
	.control_out = f_out,
	.control_in = f_in,
	.set_alt = f_set_alt,
	.reset = f_reset,
	.present = f_present,
	.sleep_ms = f_sleep,
};

/* An STM32 ROM's descriptors: 0483:df11, bcdDevice 0x2200, DfuSe, one
 * alt (its layout string above). */
static const uint8_t st_rom[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0x00, 0x22, 1, 2, 3, 1,
	9, 2, 27, 0, 1, 1, 0, 0xC0, 50,
	9, 4, 0, 0, 0, 0xFE, 1, 2, 4,
	9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01,
};

static void failing_transport(void **state)
{
	static const int answers[] = {
		DFU_ERR_STALL, DFU_ERR_DISCONNECTED, DFU_ERR_TIMEOUT, DFU_ERR_USB, 0,
	};
	struct dfu_image *img = small_image();
	char bad[8192] = "";
	size_t used = 0, a;
	int c;

	(void)state;
	for (a = 0; a < sizeof(answers) / sizeof(answers[0]); a++) {
		for (c = 0; c < C_COUNT; c++) {
			struct failing f = { false, answers[a], 0, 0 };
			struct dfu_ctx *ctx = NULL;
			struct dfu_dev *dev = NULL;
			const char *detail;
			bool ok_allowed;
			int err;

			/* dfu_leave: any failure of the leave request is how the
			 * ROM resets (the leave-pipe-error quirk): success by
			 * design, not a case here. */
			if (c == C_LEAVE && answers[a] != 0)
				continue;
			assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
			err = dfu_dev_open_transport(ctx, &failing_ops, &f, st_rom, sizeof(st_rom),
						     &dev);
			if (err) {
				fail_msg("dfu_dev_open_transport: %d (%s) %s", err, dfu_errname(err),
					 dfu_detail(ctx));
			}
			f.open = true;
			err = make_call((enum call)c, dev, img);
			detail = dfu_detail(ctx);
			/* Nothing answered: nothing may be reported done, except
			 * what needs no answer (selecting an alt, the map known at
			 * open, a zero-length request that "sent" its 0 bytes). */
			ok_allowed = c == C_SELECT_ALT || c == C_TRUE_LAYOUT ||
				     (answers[a] == 0 && (c == C_CLEAR_STATUS || c == C_ABORT));
			if ((err == DFU_OK && !ok_allowed) || (err && (!detail || !detail[0]))) {
				int n = snprintf(bad + used, sizeof(bad) - used,
						 "\n  %s, transport answering %d (%s): returned %d "
						 "(%s), detail \"%s\"", call_names[c], answers[a],
						 answers[a] ? dfu_errname(answers[a]) : "empty reply",
						 err, dfu_errname(err), detail ? detail : "(null)");

				if (n > 0 && used + (size_t)n < sizeof(bad))
					used += (size_t)n;
			}
			dfu_dev_close(dev);
			dfu_ctx_free(ctx);
		}
	}
	dfu_image_free(img);
	if (used)
		fail_msg("a request on a failing transport:%s", bad);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listed_handle_refused),
		cmocka_unit_test(failing_transport),
	};
	const struct CMUnitTest inner[] = {
		cmocka_unit_test(listed_inner),
	};

	if (argc > 1 && strcmp(argv[1], INNER_ARG) == 0)
		return cmocka_run_group_tests(inner, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
