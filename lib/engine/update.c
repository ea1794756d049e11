/*
 * update.c - the FOME journeys: a running ECU (or one already in a
 * bootloader, or not plugged in yet) -> bootloader -> the job -> running
 * firmware again. The job is a firmware update (dfu_update()), a tune
 * backup or a tune restore (tune.c); all of them go through the one
 * engine on whichever route the ECU offers:
 *
 *   find -> (running: signature, board check, 'L', reboot, wait for the
 *   bootloader by serial) -> open it (ROM DFU over USB, or OpenBLT over
 *   XCP) -> every check (image CRC, addresses fit the route, the tune
 *   outside every sector the image touches) -> tune backup on disk ->
 *   flash -> verify -> tune read back identical -> start -> wait for the
 *   firmware's new signature.
 *
 * Nothing is erased before every check has passed and the backup is on
 * disk; a failure says what state the ECU is left in and where the backup
 * and the journal are.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a rebooted ECU gets to come back, and how long the new
 * firmware gets to answer: the ROM enumerates in well under a second,
 * FOME's firmware in one or two (sim/README.md has the figures). */
#define BOOTLOADER_WAIT_MS 20000u
#define FIRMWARE_WAIT_MS 30000u
#define DEFAULT_FIND_MS 60000u

static const char hand_hint[] =
	"no FOME ECU found. Plug it in by USB; if it does not start its firmware, put it "
	"into the STM32's DFU bootloader by hand: hold the BOOT button (or short the BOOT0 "
	"pads) while you plug it in. Waiting for it (Ctrl-C to stop)";

/* See dfuflash.h. */
const char *dfu_step_name(enum dfu_step step)
{
	static const char *const names[] = {
		"search", "need-hand", "found", "reboot", "wait-bootloader", "open",
		"backup", "flash", "tune-check", "start", "wait-firmware", "done", "note",
	};

	return (unsigned)step < sizeof(names) / sizeof(names[0]) ? names[step] : "unknown";
}

static void say(const struct journey *j, enum dfu_step step, const char *fmt, ...)
	DFU_PRINTF(3, 4);
static void say(const struct journey *j, enum dfu_step step, const char *fmt, ...)
{
	char text[800];
	va_list ap;

	if (!j->opts->step)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	j->opts->step(j->opts->step_user, step, text);
}

/* The board field of a signature, or "". */
static void board_of(const char *signature, char *out, size_t cap)
{
	if (dfu_fome_signature_board(signature, out, cap))
		out[0] = '\0';
}

/* Finds the ECU, and if it runs its firmware, checks the board and
 * reboots it into the bootloader of the route; leaves the bootloader
 * found in j->ecu. */
static int reach_bootloader(struct journey *j)
{
	struct dfu_ctx *ctx = j->ctx;
	struct dfu_ecu_want want;
	struct dfu_update_result *res = j->res;
	char missing[400];
	bool to_openblt;
	int err;

	memset(&want, 0, sizeof(want));
	want.states = 1u << DFU_ECU_RUNNING | 1u << DFU_ECU_OPENBLT | 1u << DFU_ECU_DFU;
	want.port = j->opts->port;
	want.serial = j->opts->serial;
	want.timeout_ms = j->opts->find_timeout_ms ? j->opts->find_timeout_ms : DEFAULT_FIND_MS;
	want.hand_hint = hand_hint;
	want.cancel = j->opts->cancel;
	want.cancel_user = j->opts->cancel_user;
	want.what_missing = "no FOME ECU appeared: none runs its firmware on a USB serial "
			    "port, and no STM32 DFU bootloader is on the bus";
	if (j->opts->port) {
		snprintf(missing, sizeof(missing), "no FOME ECU appeared: neither its firmware "
			 "nor OpenBLT answered on %s, and no STM32 DFU bootloader is on the bus",
			 j->opts->port);
		want.what_missing = missing;
	}
	say(j, DFU_STEP_SEARCH, "looking for the ECU");
	err = dfu_ecu_find(ctx, &want, &j->ecu, j->opts->step, j->opts->step_user);
	if (err)
		return err;
	res->found_as = j->ecu.state;
	snprintf(res->serial, sizeof(res->serial), "%s", j->ecu.serial);
	if (j->ecu.state == DFU_ECU_DFU) {
		say(j, DFU_STEP_FOUND, "the ECU is in the ROM DFU bootloader (USB %s, serial %s)",
		    j->ecu.usb_path, j->ecu.serial);
		if (j->opts->route == DFU_ROUTE_OPENBLT)
			return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "the ECU is in the ROM DFU "
					"bootloader, not in OpenBLT; unplug it and plug it in "
					"without BOOT0 to reach OpenBLT, or use the DFU route");
		j->route = DFU_ROUTE_DFU;
		return DFU_OK;
	}
	if (j->ecu.state == DFU_ECU_OPENBLT) {
		say(j, DFU_STEP_FOUND, "the ECU is in OpenBLT on %s (serial %s)", j->ecu.port,
		    j->ecu.serial);
		if (j->opts->route == DFU_ROUTE_DFU)
			return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "the ECU is in OpenBLT, which "
					"cannot reboot into the ROM DFU bootloader; hold BOOT0 while "
					"plugging it in to reach it");
		j->route = DFU_ROUTE_OPENBLT;
		return DFU_OK;
	}
	/* Running: who is it, and is this bundle for it? */
	snprintf(res->old_signature, sizeof(res->old_signature), "%s", j->ecu.signature);
	board_of(j->ecu.signature, res->board, sizeof(res->board));
	say(j, DFU_STEP_FOUND, "the ECU runs \"%s\" on %s (serial %s)%s", j->ecu.signature,
	    j->ecu.port, j->ecu.serial, j->ecu.openblt ? "; it has OpenBLT" : "");
	if (j->check_board) {
		err = j->check_board(j);
		if (err)
			return err;
	}
	to_openblt = j->opts->route == DFU_ROUTE_OPENBLT ||
		     (j->opts->route == DFU_ROUTE_AUTO && j->ecu.openblt && j->openblt_possible);
	if (to_openblt && !j->ecu.openblt && j->ecu.openblt_known)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "this ECU has no OpenBLT bootloader "
				"(its firmware says so); use the DFU route");
	if (!j->ecu.openblt_known)
		say(j, DFU_STEP_NOTE, "the ECU did not answer whether it has OpenBLT%s",
		    to_openblt ? "; rebooting it into OpenBLT as asked" :
		    "; going through the ROM DFU bootloader");
	j->route = to_openblt ? DFU_ROUTE_OPENBLT : DFU_ROUTE_DFU;
	memset(&want, 0, sizeof(want));
	if (!to_openblt) {
		dfu_ecu_dfu_snapshot(ctx, &want);
		want.dfu_new_only = true;
	}
	say(j, DFU_STEP_REBOOT, "rebooting the ECU into %s",
	    to_openblt ? "OpenBLT" : "the ROM DFU bootloader");
	err = dfu_ecu_send_reboot(ctx, &j->ecu, to_openblt);
	if (err)
		return err;
	want.states = 1u << (to_openblt ? DFU_ECU_OPENBLT : DFU_ECU_DFU);
	/* OpenBLT shows the same USB serial as the firmware (the chip's
	 * UID), and may come back on another ttyACM: found by that serial
	 * when it is known (--port names the port it had), else on the port
	 * named. The ROM has its own serial, so it is the one that is new. */
	want.serial = to_openblt && j->ecu.serial[0] ? res->serial : NULL;
	want.port = to_openblt && !want.serial ? j->opts->port : NULL;
	want.timeout_ms = BOOTLOADER_WAIT_MS;
	want.cancel = j->opts->cancel;
	want.cancel_user = j->opts->cancel_user;
	want.what_missing = to_openblt ?
		"the ECU did not come back in OpenBLT after the reboot command" :
		"the ECU did not come back as a DFU bootloader after the reboot command";
	say(j, DFU_STEP_WAIT_BOOTLOADER, "waiting for %s", to_openblt ? "OpenBLT" :
	    "the DFU bootloader");
	return dfu_ecu_find(ctx, &want, &j->ecu, j->opts->step, j->opts->step_user);
}

/* Opens the bootloader found; j->dev. */
static int open_bootloader(struct journey *j)
{
	struct dfu_dev_info info;
	int err;

	if (j->ecu.state == DFU_ECU_OPENBLT) {
		err = dfu_xcp_dev_open(j->ctx, j->ecu.port, &j->dev);
	} else {
		struct dfu_match m;

		memset(&m, 0, sizeof(m));
		m.id_count = 1;
		m.id_vendor[0] = 0x0483;
		m.id_product[0] = 0xDF11;
		m.path = j->ecu.usb_path[0] ? j->ecu.usb_path : NULL;
		err = dfu_usb_open(j->ctx, &m, &j->dev);
		if (!err)
			err = dfu_engine_begin(j->dev, NULL, j->opts->progress,
					       j->opts->progress_user, NULL);
	}
	if (err)
		return err;
	dfu_dev_info(j->dev, &info);
	snprintf(j->res->chip, sizeof(j->res->chip), "%s", j->dev->probe.chip.name);
	if (!j->res->serial[0])
		snprintf(j->res->serial, sizeof(j->res->serial), "%s", info.serial);
	j->res->route = j->route;
	say(j, DFU_STEP_OPEN, "opened %s: %s%s", j->route == DFU_ROUTE_OPENBLT ? "OpenBLT" :
	    "the ROM DFU bootloader", j->dev->probe.chip.name,
	    j->dev->probe.dual_bank ? " (dual bank)" : "");
	if (j->route == DFU_ROUTE_OPENBLT) {
		/* A job left by an earlier run over this route is finished
		 * first, as on DFU. */
		err = dfu_engine_begin(j->dev, NULL, j->opts->progress, j->opts->progress_user,
				       NULL);
		if (err)
			return err;
	}
	return dfu_fome_tune_region(j->ctx, &j->dev->probe.chip, j->dev->probe.dual_bank,
				    &j->tune_start, &j->tune_end) ?
	       dfu_fail(j->ctx, DFU_ERR_UNSUPPORTED, "%s; nothing was erased or written",
			dfu_detail(j->ctx)) : DFU_OK;
}

/* Starts the firmware and waits until it answers. */
static int start_firmware(struct journey *j)
{
	struct dfu_ecu_want want;
	struct dfu_ecu back;
	int err;

	say(j, DFU_STEP_START, "starting the firmware");
	err = dfu_leave(j->dev, j->route == DFU_ROUTE_DFU, j->dev->probe.chip.flash_base ?
			j->dev->probe.chip.flash_base : 0x08000000u, DFU_LEAVE_WAIT_MS,
			&j->res->flash);
	dfu_dev_close(j->dev);
	j->dev = NULL;
	if (err)
		return dfu_fail_during(j->ctx, err, "starting the firmware");
	memset(&want, 0, sizeof(want));
	want.states = 1u << DFU_ECU_RUNNING | 1u << DFU_ECU_OPENBLT;
	/* The firmware's serial is known when the ECU was found running or in
	 * OpenBLT (the ROM's is another one). */
	want.serial = j->res->serial[0] && j->res->found_as != DFU_ECU_DFU ? j->res->serial : NULL;
	/* by its serial when known: the firmware may come back on another
	 * ttyACM than the one --port named */
	want.port = want.serial ? NULL : j->opts->port;
	want.timeout_ms = FIRMWARE_WAIT_MS;
	want.cancel = j->opts->cancel;
	want.cancel_user = j->opts->cancel_user;
	want.what_missing = "the firmware did not come back on a USB serial port after it "
			    "was started; unplug the ECU and plug it in again";
	say(j, DFU_STEP_WAIT_FIRMWARE, "waiting for the firmware");
	err = dfu_ecu_find(j->ctx, &want, &back, j->opts->step, j->opts->step_user);
	if (err)
		return dfu_fail(j->ctx, DFU_ERR_NOT_STARTED, "%s", dfu_detail(j->ctx));
	if (back.state == DFU_ECU_OPENBLT)
		return dfu_fail(j->ctx, DFU_ERR_NOT_STARTED, "OpenBLT did not start the firmware "
				"(it checks the image's CRC at its start and found it wrong) and "
				"stays in the bootloader on %s", back.port);
	j->res->started = true;
	snprintf(j->res->new_signature, sizeof(j->res->new_signature), "%s", back.signature);
	if (!j->res->board[0])
		board_of(back.signature, j->res->board, sizeof(j->res->board));
	say(j, DFU_STEP_DONE, "the ECU runs \"%s\"", back.signature);
	return DFU_OK;
}

/* See engine.h. */
int dfu_journey_run(struct journey *j)
{
	int err;

	memset(j->res, 0, sizeof(*j->res));
	err = reach_bootloader(j);
	if (!err)
		err = open_bootloader(j);
	if (!err) {
		j->res->tune_address = j->tune_start;
		j->res->tune_size = j->tune_end - j->tune_start;
		err = j->job(j);
	}
	if (!err)
		err = start_firmware(j);
	if (j->dev)
		dfu_dev_close(j->dev);
	j->dev = NULL;
	return err;
}

/* The board check of an update: the bundle's .ini names the board. */
static int check_bundle_board(struct journey *j)
{
	struct dfu_fome_bundle_info bi;

	dfu_fome_bundle_info(j->bundle, &bi);
	if (!bi.board || !j->res->board[0] || !strcmp(bi.board, j->res->board))
		return DFU_OK;
	if (j->opts->force) {
		say(j, DFU_STEP_NOTE, "the bundle is for board %s, the ECU is a %s: going on "
		    "as forced", bi.board, j->res->board);
		return DFU_OK;
	}
	return dfu_fail(j->ctx, DFU_ERR_MISMATCH, "the bundle is for board \"%s\" but the "
			"ECU runs firmware for board \"%s\"; nothing was changed", bi.board,
			j->res->board);
}

/* The image this route writes: the whole fome.bin on DFU; the
 * application alone through OpenBLT (fome_update.srec, or fome.bin from
 * its application base). *owned is set when the image was made here. */
static int route_image(struct journey *j, const struct dfu_image **img, struct dfu_image **owned)
{
	struct dfu_fome_bundle_info bi;
	uint32_t app_base;

	dfu_fome_bundle_info(j->bundle, &bi);
	*owned = NULL;
	if (j->route == DFU_ROUTE_DFU) {
		*img = bi.full ? bi.full : bi.update;
		return DFU_OK;
	}
	app_base = dfu_fome_openblt_app_base(j->dev->probe.chip.name);
	if (bi.update) {
		*img = bi.update;
		return DFU_OK;
	}
	if (bi.full && bi.full_has_openblt && bi.full_app_base == app_base) {
		int err = dfu_image_slice(j->ctx, bi.full, app_base, owned);

		*img = *owned;
		return err;
	}
	return dfu_fail(j->ctx, DFU_ERR_UNSUPPORTED, "the bundle has no image for OpenBLT "
			"(no fome_update.srec, and its fome.bin holds no OpenBLT before an "
			"application at 0x%08X); flash it through the ROM DFU bootloader",
			(unsigned)app_base);
}

/* Every check before anything is erased: the image fits the route and
 * stays out of the tune's sectors. */
static int check_image(struct journey *j, const struct dfu_image *img)
{
	const struct dfu_layout *map = j->dev->probe.true_map;
	size_t s, i, nseg = dfu_image_segment_count(img, 0);
	uint32_t app_base = dfu_fome_openblt_app_base(j->dev->probe.chip.name);

	for (s = 0; s < nseg; s++) {
		struct dfu_segment seg;
		uint64_t end;

		if (dfu_image_segment(img, 0, s, &seg))
			continue;
		end = (uint64_t)seg.address + seg.size;
		if (j->route == DFU_ROUTE_OPENBLT && seg.address < app_base)
			return dfu_fail(j->ctx, DFU_ERR_RANGE, "the image writes 0x%08X, below "
					"OpenBLT's application base 0x%08X: OpenBLT cannot write "
					"there (it is OpenBLT itself); nothing was erased",
					(unsigned)seg.address, (unsigned)app_base);
		for (i = 0; map && i < map->count; i++) {
			const struct dfu_sector *sec = &map->sectors[i];
			uint64_t sec_end = (uint64_t)sec->address + sec->size;

			if (seg.address >= sec_end || end <= sec->address)
				continue;
			if (sec->address < j->tune_end && sec_end > j->tune_start)
				return dfu_fail(j->ctx, DFU_ERR_RANGE, "the image writes into "
						"sector %u (0x%08X), which holds the tune "
						"(0x%08X-0x%08X); an update must not erase it. "
						"Nothing was erased", sec->number,
						(unsigned)sec->address, (unsigned)j->tune_start,
						(unsigned)(j->tune_end - 1));
		}
	}
	return DFU_OK;
}

/* See engine.h. */
int dfu_journey_flash(struct journey *j, const struct dfu_image *img)
{
	struct dfu_flash_opts fo;
	int err;

	memset(&fo, 0, sizeof(fo));
	fo.no_smart = j->opts->no_smart;
	fo.progress = j->opts->progress;
	fo.progress_user = j->opts->progress_user;
	say(j, DFU_STEP_FLASH, "flashing through %s", j->route == DFU_ROUTE_OPENBLT ?
	    "OpenBLT" : "the ROM DFU bootloader");
	err = dfu_flash(j->dev, img, &fo, &j->res->flash);
	if (err && j->res->backup_path[0]) {
		char why[1200];

		snprintf(why, sizeof(why), "%s", dfu_detail(j->ctx));
		return dfu_fail(j->ctx, err, "%s. The tune was saved before anything was "
				"erased: %s", why, j->res->backup_path);
	}
	return err;
}

/* The job of an update. */
static int update_job(struct journey *j)
{
	const struct dfu_image *img = NULL;
	struct dfu_image *owned = NULL;
	int err;

	err = route_image(j, &img, &owned);
	if (!err)
		err = check_image(j, img);
	if (!err)
		err = dfu_tune_save(j);
	if (!err)
		err = dfu_journey_flash(j, img);
	if (!err)
		err = dfu_tune_check(j);
	dfu_image_free(owned);
	return err;
}

/* See dfuflash.h. */
int dfu_update(struct dfu_ctx *ctx, const struct dfu_fome_bundle *bundle,
	       const struct dfu_update_opts *opts, struct dfu_update_result *res)
{
	struct dfu_fome_bundle_info bi;
	struct journey j;
	int err;

	if (!ctx || !bundle || !opts || !res)
		return DFU_ERR_INVALID_ARG;
	dfu_fome_bundle_info(bundle, &bi);
	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.opts = opts;
	j.res = res;
	j.bundle = bundle;
	j.check_board = check_bundle_board;
	j.openblt_possible = bi.update || bi.full_has_openblt;
	j.job = update_job;
	err = dfu_journey_run(&j);
	dfu_tune_free(&j);
	return err;
}

/* See dfuflash.h. */
int dfu_ecu_reboot(struct dfu_ctx *ctx, enum dfu_route to, const struct dfu_update_opts *opts,
		   struct dfu_update_result *res)
{
	struct dfu_update_opts o = *opts;
	struct journey j;

	if (!ctx || !opts || !res || to == DFU_ROUTE_AUTO)
		return DFU_ERR_INVALID_ARG;
	o.route = to;
	memset(&j, 0, sizeof(j));
	memset(res, 0, sizeof(*res));
	j.ctx = ctx;
	j.opts = &o;
	j.res = res;
	j.openblt_possible = true;
	return reach_bootloader(&j);
}
