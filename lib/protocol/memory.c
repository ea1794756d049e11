/*
 * memory.c - memory as runs of DfuSe blocks: writing a range (one
 * SET_ADDRESS, then consecutive blocks 2, 3, 4, ...; AN3156 6.2), reading
 * one (AN3156 6.6), and sampling single blocks across a sector map
 * without a SET_ADDRESS each (block numbers address memory directly).
 * Every run reports progress after each block and stops between two
 * requests when the progress callback asks to.
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

/* See protocol.h. */
void dfu_mem_phase(struct dfu_mem_progress *pr, enum dfu_phase phase, uint64_t total)
{
	if (!pr)
		return;
	pr->p.phase = phase;
	pr->p.total = total;
	pr->p.done = 0;
}

/* See protocol.h. */
int dfu_mem_report(struct dfu_dev *dev, struct dfu_mem_progress *pr, uint64_t n,
		   uint32_t address)
{
	if (!pr)
		return DFU_OK;
	pr->p.done += n;
	pr->p.address = address;
	if (pr->fn && pr->fn(pr->user, &pr->p))
		return dfu_fail(dev->ctx, DFU_ERR_CANCELLED,
				"stopped on request during %s at 0x%08X",
				dfu_phase_name(pr->p.phase), (unsigned)address);
	return DFU_OK;
}

/* See protocol.h. */
int dfu_mem_write(struct dfu_dev *dev, uint32_t address, const uint8_t *data, size_t len,
		  struct dfu_mem_progress *pr)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	uint16_t block = DFUSE_FIRST_BLOCK;
	size_t off = 0;
	char what[64];
	int err;

	if (dev->route_xcp)
		return dfu_xcp_dev_write(dev, address, data, len, pr);
	snprintf(what, sizeof(what), "write at 0x%08X", (unsigned)address);
	err = dfuse_set_address(dev, address);
	if (err)
		return dfu_fail_during(dev->ctx, err, what);
	while (off < len) {
		uint16_t n = (uint16_t)(len - off < xfer ? len - off : xfer);

		snprintf(what, sizeof(what), "write at 0x%08X", (unsigned)(address + off));
		if (block == 0xFFFF) {
			/* wValue is 16 bits: start a new run. */
			block = DFUSE_FIRST_BLOCK;
			err = dfuse_set_address(dev, address + (uint32_t)off);
			if (err)
				return dfu_fail_during(dev->ctx, err, what);
		}
		err = dfu_dnload(dev, block, data + off, n);
		if (err)
			return dfu_fail_during(dev->ctx, err, what);
		err = dfu_poll_done_op(dev, DFU_POLL_COMMAND, DFU_BUSY_WRITE, n, what, NULL);
		if (err)
			return err;
		off += n;
		block++;
		err = dfu_mem_report(dev, pr, n, address + (uint32_t)off);
		if (err)
			return err;
	}
	return DFU_OK;
}

/* A stalled UPLOAD usually means dfuERROR: say which. Only after a stall:
 * a device that is gone or silent would cost another failure (and a
 * timeout) here. */
static int upload_failed(struct dfu_dev *dev, int n, const char *what)
{
	struct dfu_status st;
	char why[256];

	if (n != DFU_ERR_STALL)
		return dfu_fail_during(dev->ctx, n, what);
	snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
	if (dfu_get_status(dev, &st) == DFU_OK && st.state == DFU_STATE_ERROR)
		return dfu_status_error(dev, &st, what);
	return dfu_fail(dev->ctx, n, "%s: %s", what, why);
}

/* See protocol.h. */
int dfu_mem_window_open(struct dfu_dev *dev, uint32_t base)
{
	char what[64];
	int err;

	/* XCP reads address memory directly: no window to open. */
	if (dev->route_xcp)
		return DFU_OK;
	snprintf(what, sizeof(what), "read at 0x%08X", (unsigned)base);
	err = dfuse_set_address(dev, base);
	if (!err)
		err = dfu_abort(dev);
	return err ? dfu_fail_during(dev->ctx, err, what) : DFU_OK;
}

/* See protocol.h. */
int dfu_mem_window_read(struct dfu_dev *dev, const char *verb, uint32_t base,
			uint32_t address, uint8_t *buf, size_t len, struct dfu_mem_progress *pr)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	size_t off = 0;
	char what[64];
	int err, n;

	if (dev->route_xcp)
		return dfu_xcp_dev_read(dev, verb, address, buf, len, pr);
	while (off < len) {
		uint32_t at = address + (uint32_t)off;
		uint32_t blk = (at - base) / xfer;
		uint16_t want = (uint16_t)(len - off < xfer ? len - off : xfer);

		snprintf(what, sizeof(what), "%s at 0x%08X", verb, (unsigned)at);
		if (at < base || (at - base) % xfer || blk > 0xFFFFu - DFUSE_FIRST_BLOCK)
			return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG,
					"%s: not a block of the window at 0x%08X", what,
					(unsigned)base);
		n = dfu_upload(dev, (uint16_t)(DFUSE_FIRST_BLOCK + blk), buf + off, want);
		if (n < 0)
			return upload_failed(dev, n, what);
		if (n != want)
			return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL,
					"%s returned %d of %u bytes", what, n, want);
		off += (size_t)n;
		err = dfu_mem_report(dev, pr, (uint64_t)n, at + (uint32_t)n);
		if (err)
			return err;
	}
	return DFU_OK;
}

/* See protocol.h. */
int dfu_mem_window_close(struct dfu_dev *dev)
{
	int err = dev->route_xcp ? DFU_OK : dfu_abort(dev);

	return err ? dfu_fail_during(dev->ctx, err, "read: end of the upload") : DFU_OK;
}

/* See protocol.h: windows of at most 0xFFFD blocks (wValue is 16 bits),
 * so one SET_ADDRESS per window. */
int dfu_mem_read(struct dfu_dev *dev, const char *verb, uint32_t address, uint8_t *buf,
		 size_t len, struct dfu_mem_progress *pr)
{
	size_t window = (size_t)(0xFFFFu - DFUSE_FIRST_BLOCK) * dfu_dev_transfer_size(dev);
	size_t off = 0, n;
	int err = DFU_OK;

	if (dev->route_xcp)
		return dfu_xcp_dev_read(dev, verb, address, buf, len, pr);
	while (!err && off < len) {
		uint32_t at = address + (uint32_t)off;
		char what[64];

		n = len - off < window ? len - off : window;
		err = dfu_mem_window_open(dev, at);
		if (err) {
			snprintf(what, sizeof(what), "%s at 0x%08X", verb, (unsigned)at);
			return dfu_fail_during(dev->ctx, err, what);
		}
		err = dfu_mem_window_read(dev, verb, at, at, buf + off, n, pr);
		if (!err)
			err = dfu_mem_window_close(dev);
		off += n;
	}
	return err;
}

/* See protocol.h. */
int dfu_mem_sample(struct dfu_dev *dev, uint32_t base, const uint32_t *addresses,
		   size_t count, uint8_t *out, uint16_t block_len)
{
	uint16_t xfer = dfu_dev_transfer_size(dev);
	size_t i;
	int err;

	if (block_len > xfer)
		block_len = xfer;
	err = dfu_mem_window_open(dev, base);
	for (i = 0; !err && i < count; i++)
		err = dfu_mem_window_read(dev, "read", base, addresses[i], out + i * block_len,
					  block_len, NULL);
	if (!err)
		err = dfu_mem_window_close(dev);
	return err;
}

/* See protocol.h. */
int dfu_mem_end_writes(struct dfu_dev *dev)
{
	return dev->route_xcp ? dfu_xcp_dev_end_writes(dev) : DFU_OK;
}
