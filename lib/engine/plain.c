/*
 * plain.c - plain DFU 1.1 devices (no DfuSe): the whole image is one
 * download from block 0, ended by a zero-length DNLOAD that starts
 * manifestation (DFU 1.1 sections 6.1.1 and 7), and an upload from block
 * 0 until a short block (section 6.2). No addresses, no sectors: the
 * device decides where its firmware goes.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>

/* Plain DFU 1.1 (no DfuSe): download the target's bytes from block 0, then
 * the zero-length DNLOAD that ends the download and starts manifestation
 * (section 6.1.1, 7). A manifestation-tolerant device comes back to
 * dfuIDLE and is read back; any other waits for the reset that leaves. */
int dfu_plain_flash(struct dfu_dev *dev, const struct dfu_image *img,
		    const struct dfu_flash_opts *opts, struct dfu_mem_progress *pr,
		    struct dfu_flash_result *res)
{
	struct dfu_plan_opts popts = { 0 };
	struct dfu_segment seg;
	struct dfu_status st;
	uint16_t xfer = dfu_dev_transfer_size(dev), block = 0;
	size_t off = 0;
	char what[64];
	int err;

	if (dfu_image_segment_count(img, 0) != 1)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"a plain DFU device takes one piece of data; the image has %zu",
				dfu_image_segment_count(img, 0));
	popts.force = opts->force;
	popts.check_ids = true;
	popts.id_vendor = dev->info.id_vendor;
	popts.id_product = dev->info.id_product;
	err = dfu_plan_check_ids(dev->ctx, img, &popts);
	if (!err)
		err = dfu_image_segment(img, 0, 0, &seg);
	if (err)
		return err;
	dfu_mem_phase(pr, DFU_PHASE_WRITE, seg.size);
	while (off < seg.size) {
		uint16_t n = (uint16_t)(seg.size - off < xfer ? seg.size - off : xfer);

		err = dfu_dnload(dev, block++, seg.data + off, n);
		if (!err) {
			snprintf(what, sizeof(what), "download block %u", block - 1);
			err = dfu_poll_done(dev, what, NULL);
		}
		if (err)
			return err;
		off += n;
		err = dfu_mem_report(dev, pr, n, (uint32_t)off);
		if (err)
			return err;
	}
	res->bytes_written = off;
	err = dfu_dnload(dev, block, NULL, 0);
	if (!err)
		err = dfu_poll_done(dev, "manifestation", &st);
	if (err)
		return err;
	if (st.state == DFU_STATE_IDLE && !opts->no_verify &&
	    (dev->info.func.bm_attributes & DFU_ATTR_CAN_UPLOAD)) {
		uint8_t *buf = malloc(seg.size ? seg.size : 1);

		if (!buf)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		dfu_mem_phase(pr, DFU_PHASE_VERIFY, seg.size);
		err = dfu_plain_upload(dev, buf, seg.size, NULL);
		if (!err)
			err = dfu_engine_compare(dev, 0, seg.data, buf, seg.size);
		free(buf);
		if (err)
			return err;
		res->verified = true;
		res->bytes_verified = seg.size;
	} else if (!opts->no_verify) {
		dfu_log(dev->ctx, DFU_LOG_WARNING,
			"not verified: this DFU 1.1 device is not manifestation-tolerant, "
			"so it cannot be read back before it resets (verify it "
			"after it is back in DFU mode)");
	}
	if (opts->leave)
		return dfu_leave(dev, false, 0, DFU_LEAVE_WAIT_MS, res);
	return DFU_OK;
}

/* See engine.h. */
int dfu_plain_upload(struct dfu_dev *dev, uint8_t *buf, size_t len,
		     struct dfu_mem_progress *pr)
{
	uint16_t xfer = dfu_dev_transfer_size(dev), block = 0;
	size_t off = 0;
	int err;

	while (off < len) {
		uint16_t want = (uint16_t)(len - off < xfer ? len - off : xfer);
		int n = dfu_upload(dev, block++, buf + off, want);

		if (n < 0)
			return n;
		off += (size_t)n;
		if (n < want)
			break;
		err = dfu_mem_report(dev, pr, (uint64_t)n, (uint32_t)off);
		if (err)
			return err;
	}
	if (off < len)
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"the device has only %zu bytes to upload", off);
	return dfu_abort(dev);
}
