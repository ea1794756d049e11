/*
 * quirks.c - every ROM misbehaviour the engine works around, in one table,
 * each row with what we do about it and the public report behind it
 * (REFERENCE.md "Observed host pitfalls"; sim/quirks.c models the same
 * quirks under the same names). dfu.c and dfuse.c ask here instead of
 * testing for chips themselves, so there is one place to read and to change.
 */
#include "quirks.h"

#include <string.h>

#define ST_VID 0x0483
#define ST_DFU_PID 0xDF11


static const struct dfu_quirk table[] = {
	/* Rows of one quirk: the first that matches wins, so the specific
	 * families come before the catch-all. */
	{ DFU_QUIRK_MASS_ERASE_SLOW, "f405-masserase-timeout", ST_VID, ST_DFU_PID,
	  "STM32F4", 16000,
	  "mass erase: keep polling up to the F4 datasheet's chip-erase maximum (16 s) "
	  "and take a GETSTATUS that blocks or times out meanwhile as still erasing",
	  "dfu-util dfuse.c: 'STM32F405 lies about mass erase timeout'; the ROM answers "
	  "bwPollTimeout 100 ms and erases for ~8 s (F407), ~15 s (F439), 16 s (F411)" },
	{ DFU_QUIRK_MASS_ERASE_SLOW, "f405-masserase-timeout", ST_VID, ST_DFU_PID,
	  "STM32F7", 32000,
	  "mass erase: keep polling up to the F7 datasheet's chip-erase maximum (32 s)",
	  "F7 reference manual: mass erase 32 s max; a dual-bank F767ZI's mass erase "
	  "'returned a timeout although it worked' (REFERENCE.md)" },
	{ DFU_QUIRK_MASS_ERASE_SLOW, "f405-masserase-timeout", ST_VID, ST_DFU_PID,
	  NULL, 32000,
	  "mass erase on any other ST ROM: the slowest known chip erase (32 s)",
	  "as above; H7 bank erases take seconds as well" },
	{ DFU_QUIRK_STALL_BUSY, "l4-stall-busy", 0, 0, NULL, 5,
	  "a stalled GETSTATUS while an operation runs is taken as busy, five times in a "
	  "row at most, waiting the last poll timeout (or 10 ms) in between",
	  "STM32L4 ROMs stall GETSTATUS during erase; hosts treat a stall as busy a few "
	  "times (REFERENCE.md 'Observed host pitfalls')" },
	{ DFU_QUIRK_STUCK_BUSY, "h7-stuck-busy", ST_VID, ST_DFU_PID, NULL, 40,
	  "after 40 dfuDNBUSY answers in a row, CLRSTATUS twice: the first answers "
	  "dfuERROR/errUNKNOWN, the second dfuIDLE, and the operation is done",
	  "H743 rev V: erasing beyond the first 1 MB leaves dfuDNBUSY; two CLRSTATUS "
	  "requests recover (REFERENCE.md, STM32H7 DFU reports)" },
	{ DFU_QUIRK_LEAVE_GONE, "leave-pipe-error", 0, 0, NULL, 0,
	  "after the leave request a stall, pipe error, timeout or disconnect is success: "
	  "the device is resetting into the application",
	  "many hosts see LIBUSB_ERROR_PIPE or a disconnect on leave (AN3156 6.4; dfu-util "
	  "'unable to read DFU status after completion')" },
	{ DFU_QUIRK_FIRST_STATUS_ERROR, "first-status-errfirmware", ST_VID, 0, NULL, 0,
	  "the dfuERROR/errFIRMWARE an ST ROM holds after enumeration is cleared with "
	  "CLRSTATUS and noted, not reported as a failure of an earlier run",
	  "dfu-util logs of F4/F7 boards: 'DFU state(10) = dfuERROR, status(10) = Device's "
	  "firmware is corrupt. Clearing status'" },
};

/* Number of rows in the table. */
size_t dfu_quirk_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

/* Row index of the table, or NULL past its end. */
const struct dfu_quirk *dfu_quirk_at(size_t index)
{
	return index < dfu_quirk_count() ? &table[index] : NULL;
}

/* The model's name for a quirk, so logs and tests say the same word. */
const char *dfu_quirk_name(enum dfu_quirk_id id)
{
	switch (id) {
	case DFU_QUIRK_MASS_ERASE_SLOW: return "f405-masserase-timeout";
	case DFU_QUIRK_STALL_BUSY: return "l4-stall-busy";
	case DFU_QUIRK_STUCK_BUSY: return "h7-stuck-busy";
	case DFU_QUIRK_LEAVE_GONE: return "leave-pipe-error";
	case DFU_QUIRK_FIRST_STATUS_ERROR: return "first-status-errfirmware";
	case DFU_QUIRK_COUNT: break;
	}
	return "unknown";
}

/* Whether row q covers device d: ids equal where the row names them, and
 * the chip's name starting with the row's family. */
static bool row_matches(const struct dfu_quirk *q, const struct dfu_quirk_device *d)
{
	if (q->id_vendor && q->id_vendor != d->id_vendor)
		return false;
	if (q->id_product && q->id_product != d->id_product)
		return false;
	if (q->chip && strncmp(d->chip, q->chip, strlen(q->chip)) != 0)
		return false;
	return true;
}

/* The first row of quirk id that covers d. */
const struct dfu_quirk *dfu_quirk_match(enum dfu_quirk_id id,
					const struct dfu_quirk_device *d)
{
	size_t i;

	if (!d || !d->chip)
		return NULL;
	for (i = 0; i < dfu_quirk_count(); i++)
		if (table[i].id == id && row_matches(&table[i], d))
			return &table[i];
	return NULL;
}
