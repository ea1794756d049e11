/*
 * test_error.c - every error code has a name and a sentence, and the detail
 * message and log callback of a context carry what dfu_fail() says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "knowledge.h"

static void every_code_has_text(void **state)
{
	int err;

	(void)state;
	for (err = DFU_OK; err >= DFU_ERR_NOT_STARTED; err--) {
		assert_string_not_equal(dfu_strerror(err), "unknown error");
		assert_string_not_equal(dfu_errname(err), "UNKNOWN");
	}
	assert_string_equal(dfu_strerror(DFU_ERR_NOT_STARTED - 1), "unknown error");
	assert_string_equal(dfu_errname(1), "UNKNOWN");
	assert_string_equal(dfu_errname(DFU_ERR_CHECKSUM), "CHECKSUM");
}

struct captured {
	int calls;
	enum dfu_log_level level;
	char msg[256];
};

static void capture(void *user, enum dfu_log_level level, const char *msg)
{
	struct captured *c = user;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void fail_sets_detail_and_logs(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct captured c = { 0 };

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_string_equal(dfu_detail(ctx), "");
	dfu_ctx_set_log(ctx, capture, &c, DFU_LOG_DEBUG);
	assert_int_equal(dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: bad", "a.hex", 12u),
			 DFU_ERR_FORMAT);
	assert_string_equal(dfu_detail(ctx), "a.hex: line 12: bad");
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.msg, "error FORMAT: a.hex: line 12: bad");

	/* Above the level set, nothing reaches the callback. */
	dfu_ctx_set_log(ctx, capture, &c, DFU_LOG_WARNING);
	dfu_log(ctx, DFU_LOG_INFO, "quiet");
	assert_int_equal(c.calls, 1);
	dfu_log(ctx, DFU_LOG_WARNING, "loud %d", 7);
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.msg, "loud 7");
	dfu_ctx_free(ctx);
	dfu_ctx_free(NULL);
	assert_int_equal(dfu_fail(NULL, DFU_ERR_IO, "dropped"), DFU_ERR_IO);
}

static void fail_during_prefixes_the_detail(void **state)
{
	struct dfu_ctx *ctx = NULL;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	/* No detail yet: the error's sentence stands in. */
	assert_int_equal(dfu_fail_during(ctx, DFU_ERR_STALL, "erase at 0x08004000"),
			 DFU_ERR_STALL);
	assert_string_equal(dfu_detail(ctx), "erase at 0x08004000: device stalled the request");
	/* Otherwise the detail the failure left keeps its words behind the prefix. */
	dfu_fail(ctx, DFU_ERR_DISCONNECTED, "DNLOAD failed: no device");
	assert_int_equal(dfu_fail_during(ctx, DFU_ERR_DISCONNECTED, "write at 0x08000800"),
			 DFU_ERR_DISCONNECTED);
	assert_string_equal(dfu_detail(ctx), "write at 0x08000800: DNLOAD failed: no device");
	dfu_ctx_free(ctx);
	assert_int_equal(dfu_fail_during(NULL, DFU_ERR_IO, "dropped"), DFU_ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_text),
		cmocka_unit_test(fail_sets_detail_and_logs),
		cmocka_unit_test(fail_during_prefixes_the_detail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
