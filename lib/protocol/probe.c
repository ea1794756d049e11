/*
 * probe.c - opening a device, and probing it once: what the engine needs
 * to know before it plans anything (DESIGN.md, the device layer). The
 * probe brings the device to dfuIDLE (noting a dfuERROR it held), names
 * the chip from its flash layout, reads the option bytes (with retries),
 * and from them builds the TRUE sector map: on an STM32F76x in dual-bank
 * mode that is not the map the ROM reports. What it cannot learn it keeps
 * with the reason, so that a command that needs it refuses with that
 * reason instead of guessing.
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

/* Tries at reading the option bytes before giving up on them. */
#define PROBE_OB_TRIES 3

/* The index of the main flash alt: the one whose layout starts where STM32
 * flash starts, else the first with a layout; -1 when none has one. */
static int flash_index(const struct dfu_dev *dev)
{
	int first = -1;
	size_t i;

	for (i = 0; i < dev->info.alt_count; i++) {
		const struct dfu_layout *l = dev->layouts[i];

		if (!l || !l->count || !strcmp(l->name, "Option Bytes"))
			continue;
		if (l->sectors[0].address == DFUSE_DEFAULT_ADDRESS)
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first;
}

/* Reads the option bytes, retrying after a failure that may pass (a
 * stall, a timeout); read protection does not pass. */
static void probe_option_bytes(struct dfu_dev *dev)
{
	struct dfu_probe *p = &dev->probe;
	int tries, err = DFU_ERR_UNSUPPORTED;

	for (tries = 0; tries < PROBE_OB_TRIES; tries++) {
		err = dfu_ob_read(dev, &p->ob);
		if (!err || err == DFU_ERR_UNSUPPORTED || err == DFU_ERR_PROTECTED ||
		    err == DFU_ERR_DISCONNECTED)
			break;
		dfu_log(dev->ctx, DFU_LOG_WARNING, "reading the option bytes failed (%s); "
			"trying again", dfu_detail(dev->ctx));
		/* The failed read may have left dfuERROR behind. */
		if (dfu_make_idle(dev, NULL))
			break;
	}
	p->ob_err = err;
	if (err)
		snprintf(p->ob_why, sizeof(p->ob_why), "%s", dfu_detail(dev->ctx));
}

/* The true map from the ROM's and the bank mode. */
static int probe_map(struct dfu_dev *dev, const struct dfu_layout *rom)
{
	struct dfu_probe *p = &dev->probe;
	uint32_t ndbank = 1;

	if (dfu_chip_bank_mode_matters(rom)) {
		if (p->ob_err || dfu_ob_get(&p->ob, "nDBANK", &ndbank)) {
			/* Never fall back to the ROM's map here: on a part in
			 * dual-bank mode that map erases the wrong sectors. */
			p->map_err = p->ob_err == DFU_ERR_PROTECTED ? DFU_ERR_PROTECTED
								   : DFU_ERR_DEVICE;
			snprintf(p->map_why, sizeof(p->map_why),
				 "the sector map of this %s depends on its option byte nDBANK, "
				 "which could not be read after %d tries (%s); nothing was "
				 "erased or written", p->chip.name, PROBE_OB_TRIES,
				 p->ob_why[0] ? p->ob_why : "no option bytes");
			return DFU_OK;
		}
		p->dual_bank = ndbank == 0;
	}
	p->map_err = dfu_chip_true_map(dev->ctx, rom, p->dual_bank, &p->true_map);
	if (p->map_err)
		snprintf(p->map_why, sizeof(p->map_why), "%s", dfu_detail(dev->ctx));
	else if (p->dual_bank)
		dfu_log(dev->ctx, DFU_LOG_INFO,
			"dual-bank mode (nDBANK=0): planning on the dual-bank sector map "
			"(%zu sectors), not the ROM's", p->true_map->count);
	return DFU_OK;
}

/* See protocol.h. A device that does not come to dfuIDLE is kept open
 * unprobed (done false, map_err and map_why say why). */
int dfu_dev_probe(struct dfu_dev *dev)
{
	struct dfu_probe *p = &dev->probe;
	const struct dfu_layout *rom;
	struct dfu_status found;
	int err;

	memset(p, 0, sizeof(*p));
	p->flash_index = -1;
	if (!dev->info.dfuse)
		return DFU_OK;
	p->flash_index = flash_index(dev);
	rom = p->flash_index >= 0 ? dev->layouts[p->flash_index] : NULL;
	dfu_chip_identify(dev->info.id_product, dev->info.bcd_device, rom, &p->chip);
	p->quirk_dev.id_vendor = dev->info.id_vendor;
	p->quirk_dev.id_product = dev->info.id_product;
	p->quirk_dev.bcd_device = dev->info.bcd_device;
	p->quirk_dev.chip = p->chip.name;
	err = dfu_make_idle(dev, &found);
	if (err) {
		/* Keep the device open (its description is still good for
		 * info and list); every job re-probes and fails the same way
		 * if the device still does not answer. */
		p->map_err = err;
		snprintf(p->map_why, sizeof(p->map_why), "%s", dfu_detail(dev->ctx));
		return DFU_OK;
	}
	if (found.state == DFU_STATE_ERROR) {
		p->found_error = true;
		p->found_status = found.status;
	}
	probe_option_bytes(dev);
	if (rom) {
		err = probe_map(dev, rom);
		if (err)
			return err;
		err = dfu_dev_select_index(dev, p->flash_index);
		if (err)
			return err;
	}
	p->done = true;
	return DFU_OK;
}

/* Opens the one matching DFU-mode device over libusb and probes it. */
int dfu_usb_open(struct dfu_ctx *ctx, const struct dfu_match *match, struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	int err;

	if (!out)
		return DFU_ERR_INVALID_ARG;
	err = dfu_usb_open_raw(ctx, match, &dev);
	if (!err)
		err = dfu_dev_probe(dev);
	if (err) {
		dfu_dev_close(dev);
		return err;
	}
	*out = dev;
	return DFU_OK;
}

/* A device over a caller's transport, probed. */
int dfu_dev_open_transport(struct dfu_ctx *ctx, const struct dfu_transport_ops *ops,
			   void *user, const uint8_t *descriptors, size_t len,
			   struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	int err;

	err = dfu_dev_open_raw(ctx, ops, user, descriptors, len, &dev);
	if (err)
		return err;
	err = dfu_dev_probe(dev);
	if (err) {
		/* On failure the caller keeps user (dfuflash.h). */
		dev->ops.close = NULL;
		dfu_dev_close(dev);
		return err;
	}
	*out = dev;
	return DFU_OK;
}

/* The map the engine plans with, as a copy the caller frees. */
int dfu_dev_true_layout(struct dfu_dev *dev, struct dfu_layout **out)
{
	const struct dfu_layout *rom;
	int err = dfu_dev_check_usable(dev);

	if (err)
		return err;
	rom = dfu_dev_layout(dev);
	if (!out)
		return DFU_ERR_INVALID_ARG;
	if (!rom || !dev->info.dfuse)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"the selected alternate setting has no DfuSe memory layout");
	if (dev->cur_alt != dev->probe.flash_index)
		return dfu_layout_copy(dev->ctx, rom, out);
	if (!dev->probe.true_map)
		return dfu_fail(dev->ctx, dev->probe.map_err ? dev->probe.map_err : DFU_ERR_DEVICE,
				"%s", dev->probe.map_why);
	return dfu_layout_copy(dev->ctx, dev->probe.true_map, out);
}
