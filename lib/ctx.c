/*
 * ctx.c - the library context: log callback and the detail message of the
 * last failure.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

struct dfu_ctx {
	dfu_log_fn log_fn;
	void *log_user;
	enum dfu_log_level log_max;
	char detail[512];
};

int dfu_ctx_new(struct dfu_ctx **out)
{
	struct dfu_ctx *ctx;

	if (!out)
		return DFU_ERR_INVALID_ARG;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return DFU_ERR_NO_MEM;
	ctx->log_max = DFU_LOG_WARNING;
	*out = ctx;
	return DFU_OK;
}

void dfu_ctx_free(struct dfu_ctx *ctx)
{
	free(ctx);
}

void dfu_ctx_set_log(struct dfu_ctx *ctx, dfu_log_fn fn, void *user,
		     enum dfu_log_level max_level)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_user = user;
	ctx->log_max = max_level;
}

const char *dfu_detail(const struct dfu_ctx *ctx)
{
	return ctx ? ctx->detail : "";
}

int dfu_fail(struct dfu_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (!ctx)
		return err;
	va_start(ap, fmt);
	vsnprintf(ctx->detail, sizeof(ctx->detail), fmt, ap);
	va_end(ap);
	dfu_log(ctx, DFU_LOG_DEBUG, "error %s: %s", dfu_errname(err), ctx->detail);
	return err;
}

int dfu_fail_during(struct dfu_ctx *ctx, int err, const char *what)
{
	char why[sizeof(ctx->detail)];

	if (!ctx)
		return err;
	/* dfu_fail() rewrites the detail: copy it first. */
	snprintf(why, sizeof(why), "%s", ctx->detail[0] ? ctx->detail : dfu_strerror(err));
	return dfu_fail(ctx, err, "%s: %s", what, why);
}

void dfu_log(struct dfu_ctx *ctx, enum dfu_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx || !ctx->log_fn || level > ctx->log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_user, level, msg);
}
