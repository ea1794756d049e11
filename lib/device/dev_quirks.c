/*
 * dev_quirks.c - the quirk table (knowledge/quirks.c) applied to an open
 * device: which rows match it, how a wait for it is bounded, which
 * answers after leave are success. The device's chip was named once by
 * the probe at open; nothing here talks to the device.
 */
#include "device.h"

#include <string.h>

/* One control transfer's ordinary limit, and the longest wait of one
 * operation that is not a mass erase: an F7 256 KB sector erase is 4 s at
 * most, so 64 s is a hung device, not a slow one. */
#define COMMAND_BUDGET_MS 64000u
/* A busy device that asks for 0 ms this many times in a row is hung. */
#define MAX_ZERO_POLLS 10000u
/* How often a long wait says it is still waiting. */
#define REPORT_EVERY_MS 2000u

/* The layout of the device's main flash: the alt setting whose layout
 * starts where STM32 flash starts, else the first alt with a layout. */
static const struct dfu_layout *main_flash(const struct dfu_dev *dev)
{
	const struct dfu_layout *first = NULL;
	size_t i;

	if (!dev->layouts)
		return NULL;
	for (i = 0; i < dev->info.alt_count; i++) {
		const struct dfu_layout *l = dev->layouts[i];

		if (!l || !l->count)
			continue;
		if (l->sectors[0].address == DFUSE_DEFAULT_ADDRESS)
			return l;
		if (!first)
			first = l;
	}
	return first;
}

/* Matches an open device by its ids and the chip its layout names. */
const struct dfu_quirk *dfu_dev_quirk(const struct dfu_dev *dev, enum dfu_quirk_id id)
{
	struct dfu_quirk_device d;
	struct dfu_chip_info chip;

	if (!dev)
		return NULL;
	/* Named once by the probe at open. */
	if (dev->probe.quirk_dev.chip)
		return dfu_quirk_match(id, &dev->probe.quirk_dev);
	d.id_vendor = dev->info.id_vendor;
	d.id_product = dev->info.id_product;
	d.bcd_device = dev->info.bcd_device;
	d.chip = "unknown";
	if (dfu_chip_identify(d.id_product, d.bcd_device, main_flash(dev), &chip) == DFU_OK)
		d.chip = chip.name;
	return dfu_quirk_match(id, &d);
}

/* The bounds of one wait. Every wait has a total budget that no single
 * bwPollTimeout may exceed, so a device that asks for hours (24 bits of
 * milliseconds) costs at most the budget. */
void dfu_quirk_poll_rules(const struct dfu_dev *dev, enum dfu_poll_kind kind,
			  struct dfu_poll_rules *out)
{
	const struct dfu_quirk *q;
	struct dfu_poll_rules r;

	memset(&r, 0, sizeof(r));
	r.budget_ms = COMMAND_BUDGET_MS;
	r.status_timeout_ms = DFU_USB_TIMEOUT_MS;
	r.max_zero_polls = MAX_ZERO_POLLS;
	r.why = "";
	q = dfu_dev_quirk(dev, DFU_QUIRK_STALL_BUSY);
	if (q)
		r.stalls_as_busy = q->limit;
	q = dfu_dev_quirk(dev, DFU_QUIRK_STUCK_BUSY);
	if (q && kind != DFU_POLL_LEAVE)
		r.stuck_polls = q->limit;
	if (kind == DFU_POLL_MASS_ERASE) {
		q = dfu_dev_quirk(dev, DFU_QUIRK_MASS_ERASE_SLOW);
		if (q) {
			/* The datasheet's maximum plus a quarter for the
			 * bus and the host; the ROM's 100 ms means nothing. */
			r.budget_ms = q->limit + q->limit / 4;
			r.status_timeout_ms = r.budget_ms;
			r.timeout_is_busy = true;
			r.report_every_ms = REPORT_EVERY_MS;
			r.why = q->handling;
		}
	}
	*out = r;
}

/* See quirks.h. A timeout is included: a device resetting mid-transfer
 * sometimes leaves the host waiting for an answer that never comes. */
bool dfu_quirk_leave_error_ok(const struct dfu_dev *dev, int err)
{
	if (!dfu_dev_quirk(dev, DFU_QUIRK_LEAVE_GONE))
		return false;
	return err == DFU_ERR_STALL || err == DFU_ERR_DISCONNECTED ||
	       err == DFU_ERR_USB || err == DFU_ERR_TIMEOUT;
}

/* See quirks.h. */
bool dfu_quirk_first_error_expected(const struct dfu_dev *dev,
				    const struct dfu_status *st)
{
	if (!st || st->state != DFU_STATE_ERROR || st->status != DFU_STATUS_ERR_FIRMWARE)
		return false;
	return dfu_dev_quirk(dev, DFU_QUIRK_FIRST_STATUS_ERROR) != NULL;
}
