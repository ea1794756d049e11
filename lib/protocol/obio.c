/*
 * obio.c - option bytes on the device: reading every area of a family
 * through the "@Option Bytes" alternate setting, and writing one area
 * (AN3156 6.2: a data download to the option-byte address; the chip
 * applies it and resets). Decoding and encoding is knowledge/optbytes.c.
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

/* How long a written chip may take to leave the bus on its reset. */
#define OB_RESET_WAIT_MS 5000u
/* GETSTATUS answers we accept while the write is busy, at most. */
#define OB_POLL_MAX 50

/* The index of the alt named "Option Bytes" whose layout holds address,
 * or -1. */
static int ob_alt(const struct dfu_dev *dev, uint32_t address)
{
	size_t i;

	for (i = 0; i < dev->info.alt_count; i++) {
		const struct dfu_layout *l = dev->layouts[i];

		if (l && !strcmp(l->name, "Option Bytes") && dfu_layout_find(l, address))
			return (int)i;
	}
	return -1;
}

/* Reads len option bytes at address through their alt, then selects the
 * alt that was selected before (if any). */
int dfu_ob_read_at(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len)
{
	int idx = ob_alt(dev, address), back = dev->cur_alt, err, err2 = DFU_OK;

	if (idx < 0)
		return dfu_fail(dev->ctx, DFU_ERR_NOT_FOUND,
				"no \"Option Bytes\" alternate setting holds 0x%08X",
				(unsigned)address);
	err = dfu_dev_select_index(dev, idx);
	if (!err)
		err = dfu_make_idle(dev, NULL);
	if (!err)
		err = dfu_mem_read(dev, "option-byte read", address, buf, len, NULL);
	if (back >= 0 && back != idx)
		err2 = dfu_dev_select_index(dev, back);
	return err ? err : err2;
}

/* Every area of the family the device's option-byte alt says it is. */
int dfu_ob_read(struct dfu_dev *dev, struct dfu_option_bytes *out)
{
	enum dfu_ob_family family = DFU_OB_UNKNOWN;
	struct dfu_option_bytes ob;
	size_t i;
	int err;

	for (i = 0; i < dev->info.alt_count && family == DFU_OB_UNKNOWN; i++)
		if (dev->layouts[i] && !strcmp(dev->layouts[i]->name, "Option Bytes"))
			family = dfu_ob_family_from_layout(dev->layouts[i]);
	if (!dev->info.dfuse || family == DFU_OB_UNKNOWN)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"the device has no \"Option Bytes\" alternate setting of a part "
				"we know (F405/F407, F42x/F43x, F74x/F76x/F77x, H74x/H75x)");
	err = dfu_ob_init(&ob, family);
	for (i = 0; !err && i < ob.area_count; i++)
		err = dfu_ob_read_at(dev, ob.area_address[i], ob.raw + ob.area_offset[i],
				     ob.area_size[i]);
	if (err)
		return err;
	*out = ob;
	return DFU_OK;
}

/* Whether an error after the write means the chip reset as it should. */
static bool reset_is_fine(int err)
{
	return err == DFU_ERR_DISCONNECTED || err == DFU_ERR_STALL || err == DFU_ERR_USB ||
	       err == DFU_ERR_TIMEOUT;
}

/* AN3156 6.2 data download to the option-byte address: the ROM programs
 * the option bytes and resets the chip instead of going to dfuDNLOAD-IDLE
 * (REFERENCE.md), so losing the device here is the expected end. */
int dfu_ob_write_area(struct dfu_dev *dev, const struct dfu_option_bytes *ob, size_t area,
		      bool *reset)
{
	struct dfu_status st;
	uint32_t address;
	char what[64];
	unsigned waited = 0;
	struct dfu_poll_rules rules;
	uint64_t slept = 0, nap;
	bool went = false;
	int idx, err, tries;

	if (area >= ob->area_count)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG, "no option-byte area %zu", area);
	address = ob->area_address[area];
	idx = ob_alt(dev, address);
	if (idx < 0)
		return dfu_fail(dev->ctx, DFU_ERR_NOT_FOUND,
				"no \"Option Bytes\" alternate setting holds 0x%08X",
				(unsigned)address);
	snprintf(what, sizeof(what), "option-byte write at 0x%08X", (unsigned)address);
	err = dfu_dev_select_index(dev, idx);
	if (!err)
		err = dfu_make_idle(dev, NULL);
	if (!err)
		err = dfuse_set_address(dev, address);
	if (!err)
		err = dfu_dnload(dev, DFUSE_FIRST_BLOCK, ob->raw + ob->area_offset[area],
				 ob->area_size[area]);
	if (err)
		return dfu_fail_during(dev->ctx, err, what);
	dfu_log(dev->ctx, DFU_LOG_INFO, "wrote %u option bytes at 0x%08X; the chip applies "
		"them and resets", ob->area_size[area], (unsigned)address);
	/* A device may ask for any bwPollTimeout, up to hours: the total
	 * sleep is bounded by the quirk table's budget for a command. */
	dfu_quirk_poll_rules(dev, DFU_POLL_COMMAND, &rules);
	for (tries = 0; tries < OB_POLL_MAX && !went; tries++) {
		err = dfu_get_status(dev, &st);
		if (err && reset_is_fine(err)) {
			went = true;
			break;
		}
		if (err)
			return dfu_fail_during(dev->ctx, err, what);
		if (st.state == DFU_STATE_ERROR)
			return dfu_status_error(dev, &st, what);
		if (st.state != DFU_STATE_DNBUSY && st.state != DFU_STATE_DNLOAD_SYNC)
			break;  /* applied without a reset */
		nap = st.poll_timeout_ms ? st.poll_timeout_ms : 10;
		if (slept + nap > rules.budget_ms) {
			tries = OB_POLL_MAX;
			break;
		}
		dfu_dev_sleep(dev, (unsigned)nap);
		slept += nap;
	}
	if (!went && tries >= OB_POLL_MAX)
		return dfu_fail(dev->ctx, DFU_ERR_TIMEOUT, "%s: the device stays busy", what);
	if (went && dev->ops.present) {
		while (dev->ops.present(dev->user) == 1 && waited < OB_RESET_WAIT_MS) {
			dfu_dev_sleep(dev, 50);
			waited += 50;
		}
	}
	if (!went)
		dfu_log(dev->ctx, DFU_LOG_INFO, "the device did not reset after the %s (%s)",
			what, dfu_state_name(st.state));
	if (reset)
		*reset = went;
	return DFU_OK;
}
