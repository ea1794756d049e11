/*
 * ctx.c - the library context: log callback, the detail message of the
 * last failure, and the state directory where recovery journals live.
 */
#include "knowledge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dfu_ctx {
	dfu_log_fn log_fn;
	void *log_user;
	enum dfu_log_level log_max;
	char detail[2048];
	char state_dir[512];   /* "" until set or first asked for */
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

/* See dfuflash.h. */
int dfu_ctx_set_state_dir(struct dfu_ctx *ctx, const char *dir)
{
	if (!ctx)
		return DFU_ERR_INVALID_ARG;
	if (!dir) {
		ctx->state_dir[0] = '\0';
		return DFU_OK;
	}
	if (!*dir || strlen(dir) >= sizeof(ctx->state_dir))
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "state directory \"%s\" is empty or "
				"too long", dir);
	memcpy(ctx->state_dir, dir, strlen(dir) + 1);
	return DFU_OK;
}

/* See dfuflash.h: $DFUFLASH_STATE_DIR, else $XDG_STATE_HOME/dfuflash, else
 * $HOME/.local/state/dfuflash (the XDG base directory specification's
 * place for state that should survive a restart), else ./.dfuflash. */
const char *dfu_ctx_state_dir(struct dfu_ctx *ctx)
{
	const char *env;

	if (!ctx)
		return "";
	if (ctx->state_dir[0])
		return ctx->state_dir;
	env = getenv("DFUFLASH_STATE_DIR");
	if (env && *env)
		snprintf(ctx->state_dir, sizeof(ctx->state_dir), "%s", env);
	else if ((env = getenv("XDG_STATE_HOME")) && *env == '/')
		snprintf(ctx->state_dir, sizeof(ctx->state_dir), "%s/dfuflash", env);
	else if ((env = getenv("HOME")) && *env)
		snprintf(ctx->state_dir, sizeof(ctx->state_dir), "%s/.local/state/dfuflash", env);
	else
		snprintf(ctx->state_dir, sizeof(ctx->state_dir), ".dfuflash");
	return ctx->state_dir;
}
