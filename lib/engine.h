/*
 * engine.h - what the device, protocol and engine files share (dev.c,
 * dfu.c, dfuse.c, usb.c, plan.c, flash.c). Users never see it.
 */
#ifndef DFU_ENGINE_H
#define DFU_ENGINE_H

#include "internal.h"

/* How long one control transfer may take before we give up on it. */
#define DFU_USB_TIMEOUT_MS 5000

struct dfu_dev {
	struct dfu_ctx *ctx;
	struct dfu_transport_ops ops;
	void *user;                 /* the transport's; NULL for listed devices */
	struct dfu_dev_info info;
	struct dfu_alt_info *alts;
	struct dfu_layout **layouts;  /* one per alt, may be NULL */
	size_t alt_cap;
	int cur_alt;                /* index into alts, -1 before selection */
	uint32_t dfuse_address;     /* the address pointer as we last set it */
	bool address_known;
	/* Option bytes as read once per session (chip.c), by address. */
	uint32_t ob_address[2];
	uint8_t ob[2][32];
	size_t ob_count;
};

/* dev.c */
int dfu_dev_alloc(struct dfu_ctx *ctx, struct dfu_dev **out);
/* Adds an alternate setting named name (layout parsed if it is one). */
int dfu_dev_add_alt(struct dfu_dev *dev, uint8_t alt, const char *name);
/* Attaches a transport: dev owns user from now on. */
void dfu_dev_attach(struct dfu_dev *dev, const struct dfu_transport_ops *ops,
		    void *user);
/* Parses a raw DFU functional descriptor (7 or 9 bytes). */
bool dfu_parse_func_desc(const uint8_t *p, size_t len, struct dfu_func_desc *out);
void dfu_dev_sleep(struct dfu_dev *dev, unsigned ms);
/* The wTransferSize to use: the descriptor's, else 2048, at most 4096. */
uint16_t dfu_dev_transfer_size(const struct dfu_dev *dev);
/* The selected alt's layout or NULL. */
const struct dfu_layout *dfu_dev_layout(const struct dfu_dev *dev);

/* dfu.c */
int dfu_dnload(struct dfu_dev *dev, uint16_t block, const uint8_t *data, uint16_t len);
int dfu_upload(struct dfu_dev *dev, uint16_t block, uint8_t *data, uint16_t len);
/* Polls GETSTATUS after a DNLOAD until the device is no longer busy,
 * sleeping exactly the bwPollTimeout it asks for. what names the operation
 * in error details ("erase at 0x08004000"). */
int dfu_poll_done(struct dfu_dev *dev, const char *what, struct dfu_status *out);
/* Turns a dfuERROR status into an error with a detail. */
int dfu_status_error(struct dfu_dev *dev, const struct dfu_status *st, const char *what);

/* chip.c: the part's true sector map when it differs from the one the ROM
 * reports (an F76x/F77x in dual-bank mode, read from its option bytes), else
 * *out = NULL. The selected alt stays selected. *out is the caller's. */
int dfu_chip_true_layout(struct dfu_dev *dev, const struct dfu_layout *rom,
			 struct dfu_layout **out);

/* chip.c: refuses (DFU_ERR_PROTECTED) a plan that would erase or write a
 * write-protected sector, from the option bytes' nWRP bits, before
 * anything is erased. Parts whose option bytes we do not know pass. */
int dfu_chip_check_protection(struct dfu_dev *dev, const struct dfu_plan *plan);

/* optbytes.c: reads len option bytes at address through the "Option
 * Bytes" alt that holds them; the alt selected before stays selected. */
int dfu_ob_read_at(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len);

/* plan.c: every sector is kept (read and written back) and the whole flash
 * mass-erased: for sectors the ROM cannot erase one by one. */
void dfu_plan_preserve_all(struct dfu_plan *plan);

/* plan.c: refuses a file whose DFU suffix names another device, unless
 * opts->force (used for plain DFU devices, which have no plan). */
int dfu_plan_check_ids(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_plan_opts *opts);

#endif /* DFU_ENGINE_H */
