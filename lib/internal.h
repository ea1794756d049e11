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

/* Prefixes the context's current detail with what was being done
 * ("write at 0x08004000: DNLOAD failed: ...") and returns err, so a stall,
 * a timeout or a disconnect names its phase and address as a dfuERROR
 * status does. With no detail yet, the error's sentence stands in. */
int dfu_fail_during(struct dfu_ctx *ctx, int err, const char *what);

/* Sends a message to the context's log callback, if its level passes. */
void dfu_log(struct dfu_ctx *ctx, enum dfu_log_level level, const char *fmt, ...)
	DFU_PRINTF(3, 4);

#endif /* DFU_INTERNAL_H */
