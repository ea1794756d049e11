/*
 * internal.h - what the library's files share and users never see.
 */
#ifndef DFU_INTERNAL_H
#define DFU_INTERNAL_H

#include "dfuflash.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define DFU_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define DFU_PRINTF(fmt_idx, arg_idx)
#endif

/* Sets the context's detail message and returns err, so a failure reads
 *     return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: line %u: ...", name, line);
 * ctx may be NULL (the message is then dropped). */
int dfu_fail(struct dfu_ctx *ctx, int err, const char *fmt, ...) DFU_PRINTF(3, 4);

/* Sends a message to the context's log callback, if its level passes. */
void dfu_log(struct dfu_ctx *ctx, enum dfu_log_level level, const char *fmt, ...)
	DFU_PRINTF(3, 4);

#endif /* DFU_INTERNAL_H */
