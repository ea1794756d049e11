/*
 * run.h - what engine.c and survey.c share about one running job. Users
 * never see it.
 */
#ifndef DFU_RUN_H
#define DFU_RUN_H

#include "engine.h"

/* Writes are aligned to this (the H7 programs 32-byte flash words; every
 * sector size is a multiple of it): the unit of the write masks. */
#define WRITE_ALIGN 32u
/* A run of chunks not to write at least this long splits a write in two:
 * writing it costs more than the SET_ADDRESS (104 ms on an F4) that
 * skipping it costs. */
#define WRITE_GAP_SPLIT (32u * 1024u)
/* A sector bigger than this is a broken layout, not a chip. */
#define MAX_SECTOR_SIZE (16u * 1024u * 1024u)
/* The largest transfer block (dfu_dev_transfer_size() caps it there). */
#define MAX_XFER 4096u

/* What happens to a sector the plan touches. */
enum fate {
	FATE_NONE = 0,    /* not touched */
	FATE_ERASE,       /* erased (if erasable), then its non-blank chunks written */
	FATE_PROGRAM,     /* smart: only 1->0 changes (or blank words): the
			     differing chunks are written, no erase */
	FATE_SKIP,        /* smart: already holds what it must; read = verified */
};

/* Per WRITE_ALIGN chunk of a group: what the write does with it. */
enum chunk {
	CHUNK_BRIDGE = 0, /* not needed, but a write may run through it (blank
			     after an erase, or identical on a part that may
			     program a word again) */
	CHUNK_WRITE = 1,  /* must be written */
	CHUNK_BARRIER = 2,/* must not be written (a programmed word that cannot
			     be programmed again, or a skipped sector) */
};

/* Everything the run of one job carries between its steps. */
struct run {
	struct dfu_dev *dev;
	const struct dfu_layout *map;   /* the true map */
	const struct dfu_layout *rom;   /* the ROM's, where erases are sent */
	const struct dfu_job_opts *opts;
	struct dfu_plan *plan;
	struct dfu_job job;
	uint8_t *fate;                  /* enum fate per plan entry */
	uint8_t **mask;                 /* enum chunk per chunk, per group */
	bool smart;                     /* read back first, skip what it can */
	struct dfu_mem_progress pr;
	struct dfu_flash_result *res;
	bool journaled;                 /* the journal holds job */
	bool erasing;                   /* an erase was sent: flash has changed */
	/* Sectors outside the plan and their samples before the first erase
	 * (a wrong erase that hits one of them is named afterwards). */
	const struct dfu_sector **outside;
	size_t noutside;
	uint8_t *before;
	const struct dfu_sector *dirty; /* still held data after its erase */
	char loss[400];                 /* what a wrong erase wiped, or "" */
};

/* engine.c */
bool dfu_run_touches(const struct dfu_plan_entry *e);
bool dfu_run_blank(const uint8_t *p, size_t n);
/* Lays target 0 of img over the job's groups, within [lo, hi). */
void dfu_run_overlay(struct dfu_job *job, const struct dfu_image *img, uint64_t lo,
		     uint64_t hi);
/* The mask byte of address in the job (NULL when no group holds it). */
uint8_t *dfu_run_mask(const struct run *r, uint32_t address);
/* Sets the masks of sector s for an erase: chunks that are not blank in
 * the target are written, the rest may be bridged. */
void dfu_run_mask_erase(struct run *r, const struct dfu_sector *s);

/* write.c: writes every span the masks ask for. */
int dfu_run_write(struct run *r);
/* write.c: reads back what was erased or programmed, and compares. */
int dfu_run_verify(struct run *r);

/* survey.c: reads what the job needs before anything changes, with one
 * SET_ADDRESS: what partly covered sectors keep, the samples of the
 * sectors outside the job, and (smart) what the sectors to write hold now,
 * to decide each one's fate. Fills r->fate and r->mask. */
int dfu_survey(struct run *r, const struct dfu_image *img);

#endif /* DFU_RUN_H */
