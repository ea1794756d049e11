/*
 * access.c - reading and verifying, through the engine's front door
 * (dfu_engine_begin(): an interrupted job is finished first, so a read
 * never returns the half-written state of one), on the true map.
 */
#include "engine.h"

#include <stdlib.h>

/* Reads memory of the selected alt (DfuSe) or the upload (plain DFU). */
int dfu_read(struct dfu_dev *dev, uint32_t address, uint8_t *buf, size_t len,
	     dfu_progress_fn progress, void *progress_user)
{
	struct dfu_mem_progress pr = { progress, progress_user, { 0 } };
	const struct dfu_layout *lay;
	int err;

	if (!dev || (!buf && len))
		return DFU_ERR_INVALID_ARG;
	err = dfu_engine_begin(dev, NULL, progress, progress_user, NULL);
	if (err)
		return err;
	dfu_mem_phase(&pr, DFU_PHASE_READ, len);
	if (!dev->info.dfuse)
		return dfu_plain_upload(dev, buf, len, &pr);
	err = dfu_engine_map(dev, &lay);
	if (err)
		return err;
	if (len && (!dfu_layout_find(lay, address) ||
		    (uint64_t)address + len > (uint64_t)UINT32_MAX + 1 ||
		    !dfu_layout_find(lay, (uint32_t)(address + len - 1))))
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"0x%08X+%zu is outside \"%s\"", (unsigned)address, len, lay->name);
	err = dfu_mem_report(dev, &pr, 0, address);
	if (!err && len)
		err = dfu_mem_read(dev, "read", address, buf, len, &pr);
	return err;
}

/* Reads back every segment of the image and compares. */
int dfu_verify(struct dfu_dev *dev, const struct dfu_image *img,
	       dfu_progress_fn progress, void *progress_user)
{
	struct dfu_mem_progress pr = { progress, progress_user, { 0 } };
	struct dfu_target_info ti;
	const struct dfu_layout *lay;
	size_t i, nseg;
	uint8_t *buf = NULL;
	int err;

	if (!dev || !img)
		return DFU_ERR_INVALID_ARG;
	err = dfu_engine_begin(dev, NULL, progress, progress_user, NULL);
	if (err)
		return err;
	if (dfu_image_target(img, 0, &ti) || !ti.total_size)
		return dfu_fail(dev->ctx, DFU_ERR_FORMAT, "the image holds no data to verify");
	if (dev->info.dfuse) {
		err = dfu_engine_map(dev, &lay);
		if (err)
			return err;
	}
	dfu_mem_phase(&pr, DFU_PHASE_VERIFY, ti.total_size);
	nseg = dfu_image_segment_count(img, 0);
	for (i = 0; i < nseg && !err; i++) {
		struct dfu_segment seg;

		err = dfu_image_segment(img, 0, i, &seg);
		if (err)
			break;
		free(buf);
		buf = malloc(seg.size ? seg.size : 1);
		if (!buf) {
			err = dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
			break;
		}
		if (dev->info.dfuse) {
			if (!dfu_layout_find(lay, seg.address) ||
			    !dfu_layout_find(lay, (uint32_t)(seg.address + seg.size - 1)))
				err = dfu_fail(dev->ctx, DFU_ERR_RANGE,
					       "the image has data at 0x%08X, outside \"%s\"",
					       (unsigned)seg.address, lay->name);
			else
				err = dfu_mem_read(dev, "verify", seg.address, buf, seg.size, &pr);
		} else {
			err = dfu_plain_upload(dev, buf, seg.size, NULL);
			if (!err)
				err = dfu_mem_report(dev, &pr, seg.size, 0);
		}
		if (!err)
			err = dfu_engine_compare(dev, dev->info.dfuse ? seg.address : 0, seg.data,
						 buf, seg.size);
	}
	free(buf);
	return err;
}
