/*
 * quirks.c - real ROM misbehaviour the model reproduces, one row each with
 * the public report it comes from. A profile turns on the quirks its real
 * ROM has (chips.c, default_quirks); dfusim_set_quirk() switches any of them.
 * The behaviour itself lives where it happens (ops.c, core.c), keyed by
 * enum dfusim_quirk.
 */
#include "sim_internal.h"

#include <string.h>

struct quirk_row {
	enum dfusim_quirk id;
	const char *name;
	const char *report;
};

static const struct quirk_row quirks[] = {
	{ DFUSIM_Q_F7_DUALBANK_ERASE, "f7-dualbank-erase",
	  "F76x/F77x in dual-bank mode (nDBANK=0): the ROM still reports the single-bank "
	  "layout and turns an erase address into a sector number by the single-bank map "
	  "(2 MB: 32K x4, 128K, 256K x7; 1 MB: 32K x4, 128K, 256K x3), which it puts in "
	  "FLASH_CR.SNB unchanged; the flash controller then erases that number's sector "
	  "of the dual-bank map (16K x4, 64K, 128K x7 or x3 per bank; bank 2 is SNB 0x10 "
	  "and up), and a number that map lacks (8-11 on 1 MB) erases nothing. 2 MB: an "
	  "erase at 0x08008000 (single sector 1) erases 0x08004000-0x08007FFF, one at "
	  "0x08100000 (single 8) erases bank 1's 0x08080000-0x0809FFFF. 1 MB: one at "
	  "0x08080000 (bank 2's first address, single 6) erases 0x08040000-0x0805FFFF. "
	  "Bank 2 is never erased. Reports: dfu-util writes on a dual-bank F767ZI failing "
	  "silently unless mass-erased first; FOME docs telling F7 users to mass-erase; "
	  "STM32CubeProgrammer erasing 'sectors 0-8' on a dual-bank F767ZG, sector 12 at "
	  "0x08080000 never erased (ST STM32Cube_MCU_Overall_Offer issues 11 and 34; "
	  "rusEFI issues 3566 and 3775)." },
	{ DFUSIM_Q_F405_MASSERASE_TIMEOUT, "f405-masserase-timeout",
	  "Mass erase reports bwPollTimeout 100 ms but runs for seconds (F407 ~8 s, F439 "
	  "~15 s); the next GETSTATUS blocks until it is done. dfu-util: 'STM32F405 lies "
	  "about mass erase timeout'. Off, the ROM reports the true duration." },
	{ DFUSIM_Q_L4_STALL_BUSY, "l4-stall-busy",
	  "STM32L4 ROM stalls GETSTATUS while an erase or write is still running, instead "
	  "of blocking (hosts treat a stall as busy a few times). No L4 profile has it on; "
	  "switch it on to test hosts." },
	{ DFUSIM_Q_H7_STUCK_BUSY, "h7-stuck-busy",
	  "H743 rev V: after an erase beyond the first 1 MB (bank 2) GETSTATUS keeps "
	  "answering dfuDNBUSY; a CLRSTATUS pair recovers (the first leaves "
	  "dfuERROR/errUNKNOWN, the second OK/dfuIDLE). The erase itself is done." },
	{ DFUSIM_Q_LEAVE_PIPE_ERROR, "leave-pipe-error",
	  "The GETSTATUS after the leave request stalls (hosts see LIBUSB_ERROR_PIPE) and "
	  "the device resets into the application anyway. Seen by many hosts "
	  "(REFERENCE.md: 'Known unreliable'); off by default because most F4 logs show "
	  "dfuMANIFEST answered." },
	{ DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE, "first-status-errfirmware",
	  "After every enumeration into the ROM the device is in dfuERROR with status "
	  "errFIRMWARE (10) until a CLRSTATUS, as many dfu-util logs of F4/F7 boards show "
	  "('dfuERROR, clearing status')." },
	{ DFUSIM_Q_OPENBLT_CROSS_ERASE, "openblt-cross-erase",
	  "OpenBLT (FOME's build): one PROGRAM_CLEAR whose range crosses a sector boundary "
	  "erases only the first sector and answers OK; the rest keeps its old bytes and "
	  "the programming that follows leaves a corrupt image ('happy update but device "
	  "does not reboot', rusEFI issue 8515; FOME's console erases in 4 KiB requests "
	  "for that reason). Seen on F7 boards; which builds have it is not known, so it "
	  "is off on every profile." },
};

const char *sim_quirk_name(enum dfusim_quirk q)
{
	size_t i;

	for (i = 0; i < DFUSIM_ARRAY_SIZE(quirks); i++)
		if (quirks[i].id == q)
			return quirks[i].name;
	return "?";
}

int sim_quirk_find(const char *name)
{
	size_t i;

	for (i = 0; i < DFUSIM_ARRAY_SIZE(quirks); i++)
		if (strcmp(quirks[i].name, name) == 0)
			return (int)quirks[i].id;
	return -1;
}

void sim_quirks_defaults(struct dfusim *sim)
{
	size_t q;

	for (q = 0; q < DFUSIM_Q_COUNT; q++)
		sim->quirk[q] = (sim->chip->default_quirks & DFUSIM_QUIRK_BIT(q)) != 0;
}

void sim_quirks_json(struct sb *sb, uint32_t mask)
{
	size_t i;
	bool first = true;

	sb_printf(sb, "[");
	for (i = 0; i < DFUSIM_ARRAY_SIZE(quirks); i++) {
		if (!(mask & DFUSIM_QUIRK_BIT(quirks[i].id)))
			continue;
		sb_printf(sb, "%s\"%s\"", first ? "" : ",", quirks[i].name);
		first = false;
	}
	sb_printf(sb, "]");
}

/* Switches a quirk by name; an unknown name lists the known ones. */
int dfusim_set_quirk(struct dfusim *sim, const char *name, bool on)
{
	char known[256] = "";
	size_t i, len = 0;
	int q;

	if (!sim || !name)
		return -1;
	q = sim_quirk_find(name);
	if (q >= 0) {
		sim->quirk[q] = on;
		return 0;
	}
	for (i = 0; i < DFUSIM_ARRAY_SIZE(quirks); i++) {
		size_t n = strlen(quirks[i].name);

		if (len + n + 3 >= sizeof(known))
			break;
		if (len) {
			memcpy(known + len, ", ", 2);
			len += 2;
		}
		memcpy(known + len, quirks[i].name, n);
		len += n;
		known[len] = '\0';
	}
	return sim_fail(sim, "unknown quirk '%s'; known: %s", name, known);
}

/* The report text of every quirk, for docs and `dfusim chips`. */
const char *dfusim_quirk_report(const char *name)
{
	size_t i;

	for (i = 0; name && i < DFUSIM_ARRAY_SIZE(quirks); i++)
		if (strcmp(quirks[i].name, name) == 0)
			return quirks[i].report;
	return NULL;
}

size_t dfusim_quirk_count(void)
{
	return DFUSIM_ARRAY_SIZE(quirks);
}

const char *dfusim_quirk_name(size_t index)
{
	return index < DFUSIM_ARRAY_SIZE(quirks) ? quirks[index].name : NULL;
}
