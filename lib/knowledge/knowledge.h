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

/* ---- FOME firmware (fome.c) and chips by their registers (chip.c) ---- */

/* fome.c: checks the FOME image at base in target 0 of img, as OpenBLT
 * does before it starts an application: the CRC-32 (zlib) stored at
 * base + 0x1C over [base, base + 0x1C) and [base + 0x20, base + size),
 * size the u32 LE at base + 0x20. DFU_OK (*size_out, may be NULL, gets
 * the size); DFU_ERR_CHECKSUM when the CRC differs or the size runs past
 * the file's data (truncated); DFU_ERR_FORMAT when base holds no
 * plausible header (no data there, size 0, under 36 bytes or over 1 MiB). */
int dfu_fome_check_at(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t base,
		      uint32_t *size_out);
/* fome.c: where img's FOME application starts: tries 0x08000000,
 * 0x08008000, 0x08020000 in that order, the first whose CRC matches wins.
 * A plausible header with no match: the first one's DFU_ERR_CHECKSUM;
 * none plausible: DFU_ERR_FORMAT. */
int dfu_fome_find_app(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t *app_base,
		      uint32_t *size);
/* fome.c: the application base behind OpenBLT on a part named chip_name
 * (a dfu_chip_info name): 0x08008000 on F4/F7, 0x08020000 on H7, 0 when
 * unknown. OpenBLT refuses to erase or program below it. */
uint32_t dfu_fome_openblt_app_base(const char *chip_name);
/* fome.c: the flash [*start, *end) that holds FOME's tune (both copies of
 * the configuration) on chip in its bank mode. DFU_ERR_UNSUPPORTED for a
 * single-bank 1 MB F7 and for parts FOME does not run on. */
int dfu_fome_tune_region(struct dfu_ctx *ctx, const struct dfu_chip_info *chip, bool dual_bank,
			 uint32_t *start, uint32_t *end);

/* chip.c: a part from its DBGMCU_IDCODE DEV_ID (low 12 bits) and flash
 * size register (KiB), as read through OpenBLT: its name and the
 * single-bank map its ROM would report (*rom_map the caller's,
 * dfu_layout_free(); either out-parameter may be NULL). F405/407 1024/512,
 * F42x 2048/1024, F72x 512, F74x 1024/512, F76x 2048/1024, H743 2048/1024;
 * DFU_ERR_UNSUPPORTED for others. */
int dfu_chip_from_registers(uint16_t dev_id, uint32_t flash_kib, struct dfu_layout **rom_map,
			    struct dfu_chip_info *out);

/* image.c: a new image holding target 0 of img from address from on. */
int dfu_image_slice(struct dfu_ctx *ctx, const struct dfu_image *img, uint32_t from,
		    struct dfu_image **out);

#endif /* DFU_KNOWLEDGE_H */
