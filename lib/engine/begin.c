/*
 * begin.c - the front door of every command on a device
 * (dfu_engine_begin()): select the alternate setting, bring the device to
 * dfuIDLE, and finish a job an earlier run left in this device's journal
 * before anything else happens; and dfu_dev_recover(), the same finish on
 * its own.
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

/* Finishes the job dev's journal holds: every byte of it written and
 * verified, then the journal removed. *found says whether there was one. */
static int finish_journal(struct dfu_dev *dev, struct dfu_mem_progress *pr, bool *found)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_journal j;
	struct dfu_image *img = NULL;
	struct dfu_job_opts jo;
	char path[700];
	size_t t, i;
	int err;

	*found = false;
	err = dfu_journal_path(dev, path, sizeof(path));
	if (err)
		return err;
	memset(&j, 0, sizeof(j));
	err = dfu_journal_load(dev->ctx, path, &j);
	if (err == DFU_ERR_NOT_FOUND)
		return DFU_OK;
	if (err == DFU_ERR_IO) {
		/* Cannot even look (an unreadable state directory): no journal
		 * can be finished, and none can be written either, so a job
		 * that would need one is refused before it erases. */
		dfu_log(dev->ctx, DFU_LOG_WARNING, "cannot look for a recovery journal: %s",
			dfu_detail(dev->ctx));
		return DFU_OK;
	}
	*found = true;
	if (err) {
		char why[600];

		snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
		return dfu_fail(dev->ctx, err, "%s; it was not applied. Remove it once you "
				"are sure the flash holds what it should", why);
	}
	if (j.info.id_vendor != dev->info.id_vendor || j.info.id_product != dev->info.id_product ||
	    strcmp(j.info.serial, dev->info.serial) || strcmp(j.info.chip, dev->probe.chip.name)) {
		dfu_journal_clear(&j);
		return dfu_fail(dev->ctx, DFU_ERR_MISMATCH, "the journal %s is not this device's",
				path);
	}
	if (j.info.dual_bank != dev->probe.dual_bank) {
		dfu_journal_clear(&j);
		return dfu_fail(dev->ctx, DFU_ERR_MISMATCH,
				"the journal %s was made in %s mode and the device is in %s mode "
				"now; it was not applied", path,
				j.info.dual_bank ? "dual-bank" : "single-bank",
				dev->probe.dual_bank ? "dual-bank" : "single-bank");
	}
	dfu_log(dev->ctx, DFU_LOG_WARNING,
		"an earlier job on this device was interrupted (%s, %s): finishing it "
		"from %s first", j.info.what, j.info.created, path);
	err = dfu_image_new(&img);
	if (!err)
		err = dfu_image_add_target(img, 0, "", &t);
	for (i = 0; !err && i < j.job.ngroups; i++)
		err = dfu_image_add_data(dev->ctx, img, t, j.job.groups[i].address,
					 j.job.groups[i].data, j.job.groups[i].size);
	memset(&jo, 0, sizeof(jo));
	jo.plan.mass_erase = j.info.mass_erase;
	jo.journal_held = true;
	jo.what = j.info.what;
	jo.progress = pr ? pr->fn : NULL;
	jo.progress_user = pr ? pr->user : NULL;
	/* The journal's groups are whole sectors: the job keeps nothing, so
	 * it writes no journal of its own; this one stays until verified. */
	if (!err)
		err = dfu_engine_run(dev, img, &jo, &res);
	if (!err && !res.verified)
		err = dfu_fail(dev->ctx, DFU_ERR_VERIFY, "the finished job was not verified");
	if (!err)
		err = dfu_journal_drop(dev);
	if (!err) {
		dfu_log(dev->ctx, DFU_LOG_WARNING, "finished the interrupted job: %llu bytes "
			"written back and verified", (unsigned long long)j.info.bytes);
		/* Said once, by the run that finishes the job: the journal is
		 * gone afterwards. */
		if (j.info.lost[0])
			err = dfu_fail(dev->ctx, DFU_ERR_DEVICE, "finished the interrupted job "
				       "from %s, but before it was interrupted %s", path,
				       j.info.lost);
	} else {
		char why[600];

		snprintf(why, sizeof(why), "%s", dfu_detail(dev->ctx));
		err = dfu_fail(dev->ctx, err, "finishing the interrupted job from %s failed: %s",
			       path, why);
	}
	dfu_image_free(img);
	dfu_journal_clear(&j);
	return err;
}

/* See engine.h. */
int dfu_engine_begin(struct dfu_dev *dev, const char *alt, dfu_progress_fn progress,
		     void *progress_user, struct dfu_flash_result *res)
{
	struct dfu_mem_progress pr = { progress, progress_user, { 0 } };
	struct dfu_status found;
	bool had;
	int err, back;

	err = dfu_dev_check_usable(dev);
	if (err)
		return err;
	if (dev->info.dfuse && !dev->probe.done) {
		/* The probe at open could not talk to the device: try again,
		 * and stop with its reason if it still cannot. */
		err = dfu_dev_probe(dev);
		if (!err && !dev->probe.done)
			err = dfu_fail(dev->ctx, dev->probe.map_err ? dev->probe.map_err :
				       DFU_ERR_PROTOCOL, "%s", dev->probe.map_why);
		if (err)
			return err;
	}
	if (alt || dev->cur_alt < 0) {
		err = dfu_dev_select_alt(dev, alt);
		if (err)
			return err;
	}
	err = dfu_make_idle(dev, &found);
	if (err)
		return err;
	if (res && dev->probe.found_error) {
		res->found_error = true;
		res->found_status = dev->probe.found_status;
	} else if (res && found.state == DFU_STATE_ERROR) {
		res->found_error = true;
		res->found_status = found.status;
	}
	if (!dev->info.dfuse || dev->probe.flash_index < 0 || !dev->probe.true_map)
		return DFU_OK;
	/* The journal is about the main flash: finish it there. */
	back = dev->cur_alt;
	if (back != dev->probe.flash_index) {
		err = dfu_dev_select_index(dev, dev->probe.flash_index);
		if (err)
			return err;
	}
	err = finish_journal(dev, &pr, &had);
	if (!err && back != dev->cur_alt)
		err = dfu_dev_select_index(dev, back);
	return err;
}

/* Finishes this device's journal, if it has one (dfuflash.h). */
int dfu_dev_recover(struct dfu_dev *dev, dfu_progress_fn progress, void *progress_user,
		    bool *finished)
{
	struct dfu_mem_progress pr = { progress, progress_user, { 0 } };
	bool had = false;
	int err;

	err = dfu_dev_check_usable(dev);
	if (err)
		return err;
	if (!dev->info.dfuse || dev->probe.flash_index < 0)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED, "this device has no flash we journal");
	if (!dev->probe.true_map)
		return dfu_engine_map(dev, &(const struct dfu_layout *){ NULL });
	err = dfu_dev_select_index(dev, dev->probe.flash_index);
	if (!err)
		err = dfu_make_idle(dev, NULL);
	if (!err)
		err = finish_journal(dev, &pr, &had);
	if (!err && finished)
		*finished = had;
	return err;
}
