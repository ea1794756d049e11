/*
 * knowledge.h - layer 1 of the library (lib/LAYERS.md): what every file
 * shares (failing with a detail, logging) and the pure knowledge that
 * needs no device: layouts, chips and their true maps, option-byte
 * encoding (dfuflash.h), the quirk table (quirks.h), images and formats
 * (image.h). Nothing declared here does I/O on a device. Users never see
 * it.
 */
#ifndef DFU_KNOWLEDGE_H
#define DFU_KNOWLEDGE_H

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

/* layout.c: a copy of src; *out is the caller's (dfu_layout_free()). */
int dfu_layout_copy(struct dfu_ctx *ctx, const struct dfu_layout *src, struct dfu_layout **out);

/* chip.c: whether the part's sector map depends on its bank mode (an
 * STM32F76x/F77x, 2 MB or 1 MB, recognised by the ROM's map): then its
 * option byte nDBANK must be known before anything is planned. */
bool dfu_chip_bank_mode_matters(const struct dfu_layout *rom);

/* chip.c: the TRUE sector map of a part whose ROM reports rom: the
 * dual-bank map (bank 2 numbered from 12, RM0410) for an F76x in
 * dual-bank mode, else a copy of rom. *out is the caller's. */
int dfu_chip_true_map(struct dfu_ctx *ctx, const struct dfu_layout *rom, bool dual_bank,
		      struct dfu_layout **out);

/* chip.c: DFU_ERR_PROTECTED (with a detail naming the sector and the nWRP
 * bit) when the option bytes ob write-protect sector s of the true map;
 * families without nWRP knowledge pass. */
int dfu_chip_check_wrp(struct dfu_ctx *ctx, const struct dfu_option_bytes *ob, bool dual_bank,
		       const struct dfu_sector *s);

/* chip.c: how a part programs flash that is not blank. Returns the flash
 * word (bytes) that is programmed as a whole; *bits_only is true when a
 * programmed word may be programmed again to clear more bits (F4/F7),
 * false when only a blank word may be programmed (H7: ECC words). */
unsigned dfu_chip_program_word(const struct dfu_chip_info *chip, bool *bits_only);

#endif /* DFU_KNOWLEDGE_H */
