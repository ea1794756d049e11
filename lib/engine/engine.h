/*
 * engine.h - layer 4 of the library (lib/LAYERS.md): the one engine under
 * every command that touches flash. A job is "these bytes must be there
 * afterwards, every other byte as it was": plan on the true map (plan.c),
 * keep what partly covered sectors hold, save it in the recovery journal
 * (journal.c) before anything is erased, erase, check blank, recover if
 * the ROM erased the wrong place, write, verify, and only then drop the
 * journal (engine.c). flash, erase, read, verify, option bytes and
 * unprotect all start with dfu_engine_begin(), which finishes a job an
 * earlier run left in a journal. Users never see it.
 */
#ifndef DFU_ENGINE_H
#define DFU_ENGINE_H

#include "protocol.h"

/* How long to wait for the device to leave the bus after leave. */
#define DFU_LEAVE_WAIT_MS 3000u

/* A run of consecutive sectors a job writes, with every byte they will
 * hold afterwards (the image over what is kept, 0xFF elsewhere). */
struct dfu_group {
	uint32_t address;
	uint32_t size;
	uint8_t *data;
};

struct dfu_job {
	struct dfu_group *groups;
	size_t ngroups;
};

/* Frees the groups; the job is empty afterwards. */
void dfu_job_free(struct dfu_job *job);
/* The bytes job holds for [address, address + size), or NULL when no
 * group covers the whole range. */
uint8_t *dfu_job_bytes(const struct dfu_job *job, uint32_t address, uint32_t size);

/* plan.c: every sector is kept (read and written back) and the whole flash
 * mass-erased: for sectors the ROM cannot erase one by one. */
void dfu_plan_preserve_all(struct dfu_plan *plan);
/* plan.c: refuses a file whose DFU suffix names another device, unless
 * opts->force (used for plain DFU devices, which have no plan). */
int dfu_plan_check_ids(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_plan_opts *opts);

/* A journal read back from disk. */
struct dfu_journal {
	struct dfu_journal_info info;
	struct dfu_job job;
};

/* journal.c: where dev's journal lives (state dir, chip and serial). */
int dfu_journal_path(struct dfu_dev *dev, char *buf, size_t cap);
/* journal.c: writes job (every byte the job's sectors must hold) to dev's
 * journal: a temporary file, fsynced, renamed into place, the directory
 * fsynced, so that it is whole on disk before anything is erased. lost
 * (NULL or "") names bytes a wrong erase already wiped, for the run that
 * finishes the job to report. */
int dfu_journal_save(struct dfu_dev *dev, const struct dfu_job *job, bool mass_erase,
		     const char *what, const char *lost);
/* journal.c: reads and checks (CRC) a journal; *out is the caller's
 * (dfu_journal_clear()). */
int dfu_journal_load(struct dfu_ctx *ctx, const char *path, struct dfu_journal *out);
void dfu_journal_clear(struct dfu_journal *j);
/* journal.c: removes dev's journal (after a verified job). */
int dfu_journal_drop(struct dfu_dev *dev);

/* engine.c: how a job runs. */
struct dfu_job_opts {
	struct dfu_plan_opts plan;  /* mass_erase, force, ids */
	bool no_verify;             /* not with kept bytes: those are verified */
	bool no_smart;              /* erase and write every touched sector,
				       without reading first what it holds */
	const char *what;           /* "flash fome.bin", for the journal */
	bool journal_held;          /* the job comes from dev's journal, which
				       stays until it is verified (begin.c) */
	dfu_progress_fn progress;
	void *progress_user;
};

/* engine.c: what every command does first: selects alt (NULL: keep the
 * selection, or the flash alt), brings the device to dfuIDLE (a dfuERROR
 * found goes to res), and finishes a job an earlier run left in dev's
 * journal. */
int dfu_engine_begin(struct dfu_dev *dev, const char *alt, dfu_progress_fn progress,
		     void *progress_user, struct dfu_flash_result *res);
/* engine.c: the map jobs on the selected alt are planned on: the true map
 * for the main flash (or the probe's reason why it is unknown), the ROM's
 * layout for other alts. */
int dfu_engine_map(struct dfu_dev *dev, const struct dfu_layout **out);
/* engine.c: plans target 0 of img on the selected alt without changing
 * anything: validated, protection checked, and turned into "keep
 * everything, mass erase" where the ROM cannot erase a sector alone. */
int dfu_engine_plan(struct dfu_dev *dev, const struct dfu_image *img,
		    const struct dfu_plan_opts *opts, struct dfu_plan **out);
/* engine.c: runs a job: afterwards target 0 of img is in flash, verified,
 * and every other byte is as it was. */
int dfu_engine_run(struct dfu_dev *dev, const struct dfu_image *img,
		   const struct dfu_job_opts *opts, struct dfu_flash_result *res);

/* engine.c: DFU_ERR_VERIFY naming the first address where got (read
 * from the device at address) differs from want. */
int dfu_engine_compare(struct dfu_dev *dev, uint32_t address, const uint8_t *want,
		       const uint8_t *got, size_t len);

/* plain.c: plain DFU 1.1 devices (no DfuSe, no addresses). */
/* Downloads target 0 (one piece) and manifests; reads it back when the
 * device is manifestation-tolerant and can upload. */
int dfu_plain_flash(struct dfu_dev *dev, const struct dfu_image *img,
		    const struct dfu_flash_opts *opts, struct dfu_mem_progress *pr,
		    struct dfu_flash_result *res);
/* Uploads len bytes from the start (section 6.2): DFU_ERR_RANGE when the
 * device has fewer. */
int dfu_plain_upload(struct dfu_dev *dev, uint8_t *buf, size_t len,
		     struct dfu_mem_progress *pr);

/* ecu.c: finding a FOME ECU and moving it between its states. */
#define DFU_ECU_MAX_BEFORE 8
struct dfu_ecu {
	enum dfu_ecu_state state;
	char port[64];              /* its serial port (running, OpenBLT) */
	char serial[128];           /* the USB serial there, or the ROM's */
	char usb_path[32];          /* the ROM's bus path */
	char signature[160];        /* running: what 'S' answered */
	bool openblt;               /* OpenBLT is there */
	bool openblt_known;
	bool ambiguous;
};
/* What a search accepts. */
struct dfu_ecu_want {
	unsigned states;            /* bits 1 << enum dfu_ecu_state */
	const char *port;           /* only this serial port */
	const char *serial;         /* only this USB serial */
	bool dfu_new_only;          /* a ROM that was not in dfu_before[] */
	char dfu_before[DFU_ECU_MAX_BEFORE][128];
	size_t n_dfu_before;
	unsigned timeout_ms;
	const char *hand_hint;      /* told once when nothing is there */
	const char *what_missing;   /* the detail when the wait ends */
	int (*cancel)(void *user);  /* nonzero: stop waiting */
	void *cancel_user;
};
/* Looks (polling) until an ECU want accepts is there or the time is up. */
int dfu_ecu_find(struct dfu_ctx *ctx, const struct dfu_ecu_want *want, struct dfu_ecu *out,
		 dfu_step_fn step, void *step_user);
/* Sends the running firmware its reboot command. */
int dfu_ecu_send_reboot(struct dfu_ctx *ctx, const struct dfu_ecu *ecu, bool to_openblt);
/* Notes the ROM DFU devices on the bus now (want->dfu_before). */
void dfu_ecu_dfu_snapshot(struct dfu_ctx *ctx, struct dfu_ecu_want *want);
uint64_t dfu_ecu_now_ms(void);
void dfu_ecu_sleep_ms(unsigned ms);

/* update.c: one journey of an ECU: find it, reach a bootloader, run the
 * job on the open device, start the firmware and wait for it. */
struct journey {
	struct dfu_ctx *ctx;
	const struct dfu_update_opts *opts;
	struct dfu_update_result *res;
	const struct dfu_fome_bundle *bundle;   /* update only */
	/* Checks the running ECU (res->board, res->old_signature) before it
	 * is rebooted; NULL: no check. */
	int (*check_board)(struct journey *j);
	bool openblt_possible;      /* the job can go through OpenBLT */
	int (*job)(struct journey *j);
	const char *restore_file;   /* tune restore */
	enum dfu_route route;
	struct dfu_ecu ecu;         /* the bootloader found */
	struct dfu_dev *dev;        /* open while the job runs */
	uint32_t tune_start, tune_end;
	uint8_t *tune;              /* the tune as saved, tune_end - tune_start */
};
int dfu_journey_run(struct journey *j);
/* dfu_flash() of img on the open device, with the journey's options. */
int dfu_journey_flash(struct journey *j, const struct dfu_image *img);

/* tune.c: reads the tune region and saves it (j->res->backup_path,
 * j->tune) before anything is erased. */
int dfu_tune_save(struct journey *j);
/* Reads the tune region again: DFU_ERR_VERIFY unless identical. */
int dfu_tune_check(struct journey *j);
void dfu_tune_free(struct journey *j);

/* statedir.c: the state directory's durable files. */
/* Creates dir and its parents (mode 0700). */
int dfu_state_mkdirs(struct dfu_ctx *ctx, const char *dir);
/* Keeps letters, digits and '-' of s; anything else becomes '_'. */
void dfu_state_slug(const char *s, char *out, size_t cap);
/* fsyncs a directory, so a rename in it is durable. */
void dfu_state_sync_dir(const char *dir);
/* Writes path whole or not at all: temporary file, fsync, rename, the
 * directory fsynced; creates the directory. */
int dfu_state_write_file(struct dfu_ctx *ctx, const char *path, const void *data, size_t len);

#endif /* DFU_ENGINE_H */
