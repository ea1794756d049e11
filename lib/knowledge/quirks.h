/*
 * quirks.h - the one table of ROM misbehaviour the engine works around
 * (lib/quirks.c). The engine never tests for a chip itself: it asks here
 * how long to wait, how many stalls mean "busy", when a stuck device gets
 * its cure, and which answers after leave are success. Users never see it.
 */
#ifndef DFU_QUIRKS_H
#define DFU_QUIRKS_H

#include "knowledge.h"

/* Every quirk we know. The names match dfusim's (`dfusim run --quirk`),
 * so a test switches on in the model exactly what a row handles. */
enum dfu_quirk_id {
	DFU_QUIRK_MASS_ERASE_SLOW = 0, /* "f405-masserase-timeout" */
	DFU_QUIRK_STALL_BUSY,          /* "l4-stall-busy" */
	DFU_QUIRK_STUCK_BUSY,          /* "h7-stuck-busy" */
	DFU_QUIRK_LEAVE_GONE,          /* "leave-pipe-error" */
	DFU_QUIRK_FIRST_STATUS_ERROR,  /* "first-status-errfirmware" */
	DFU_QUIRK_COUNT
};

/* One row: which devices, what the engine does, why, and who saw it.
 * A quirk may have several rows (one per chip family, with its own
 * limit); the first row that matches a device is the one that applies. */
struct dfu_quirk {
	enum dfu_quirk_id id;
	const char *name;        /* dfusim's name for it */
	uint16_t id_vendor;      /* 0 = any */
	uint16_t id_product;     /* 0 = any */
	const char *chip;        /* prefix of dfu_chip_info.name; NULL = any */
	uint32_t limit;          /* the row's number: ms for MASS_ERASE_SLOW,
				    stalls for STALL_BUSY, busy answers for
				    STUCK_BUSY; unused otherwise */
	const char *handling;    /* what the engine does about it */
	const char *report;      /* the public report behind it */
};

/* What a device is matched by. */
struct dfu_quirk_device {
	uint16_t id_vendor;
	uint16_t id_product;
	uint16_t bcd_device;
	const char *chip;        /* dfu_chip_info.name; never NULL */
};

/* The table, for docs and tests: rows 0..dfu_quirk_count()-1. */
size_t dfu_quirk_count(void);
const struct dfu_quirk *dfu_quirk_at(size_t index);
/* "f405-masserase-timeout", ...; "unknown" outside the enum; never NULL. */
const char *dfu_quirk_name(enum dfu_quirk_id id);

/* The row of quirk id that applies to a device like d, or NULL. */
const struct dfu_quirk *dfu_quirk_match(enum dfu_quirk_id id,
					const struct dfu_quirk_device *d);
/* Which wait dfu_poll_done() is in. */
enum dfu_poll_kind {
	DFU_POLL_COMMAND = 0,    /* set address, sector erase, a data block */
	DFU_POLL_MASS_ERASE,     /* the whole chip */
	DFU_POLL_LEAVE,          /* manifestation */
};

/* How one wait for a busy device is bounded. */
struct dfu_poll_rules {
	uint32_t budget_ms;         /* total sleep before DFU_ERR_TIMEOUT; no
				       single bwPollTimeout sleeps beyond it */
	unsigned status_timeout_ms; /* control-transfer timeout of GETSTATUS */
	bool timeout_is_busy;       /* a GETSTATUS that times out: still busy */
	unsigned stalls_as_busy;    /* stalled GETSTATUS in a row taken as busy */
	unsigned stuck_polls;       /* dfuDNBUSY answers in a row before the
				       CLRSTATUS pair; 0 = never */
	unsigned max_zero_polls;    /* busy answers asking for 0 ms */
	uint32_t report_every_ms;   /* log "still busy" this often; 0 = never */
	const char *why;            /* the reason for a long wait, for the log */
};

#endif /* DFU_QUIRKS_H */
