/*
 * tool_fome.c - FOME's facts the tool shows, as data only (no code), so
 * that the table moves as it is into the library layer that will own FOME
 * facts.
 *
 * Tune regions: where FOME firmware keeps the tune (calibration) on each
 * chip. A flash map marks the sectors in these ranges "tune" (flash
 * --dry-run, erase --dry-run, info --map), so that a user sees before
 * anything happens whether a job touches the tune. A row applies when the
 * chip's name starts with family, its main flash size is within
 * [flash_min, flash_max] and its bank mode is banks.
 */
#include "tool.h"

const struct tool_tune_region tool_tune_regions[] = {
	/* family     flash min       flash max       bank mode          first        last */
	{ "STM32F4", 1024 * 1024, 0xFFFFFFFFu, TOOL_BANKS_ANY, 0x080C0000u, 0x080FFFFFu,
	  "F4 with 1 MB or more: sectors 10-11" },
	{ "STM32F4", 512 * 1024, 512 * 1024, TOOL_BANKS_ANY, 0x08060000u, 0x0807FFFFu,
	  "F4 with 512 KB: sector 7" },
	{ "STM32F7", 1024 * 1024, 1024 * 1024, TOOL_BANKS_DUAL, 0x080C0000u, 0x080FFFFFu,
	  "F7 1 MB, dual bank: sectors 18-19" },
	{ "STM32F7", 2048 * 1024, 2048 * 1024, TOOL_BANKS_DUAL, 0x08100000u, 0x0810FFFFu,
	  "F7 2 MB, dual bank: sectors 12-15" },
	{ "STM32F7", 2048 * 1024, 2048 * 1024, TOOL_BANKS_SINGLE, 0x08100000u, 0x0817FFFFu,
	  "F7 2 MB, single bank: sectors 8-9" },
	{ "STM32H74", 0, 0xFFFFFFFFu, TOOL_BANKS_ANY, 0x08100000u, 0x0813FFFFu,
	  "H743: bank 2's first two sectors" },
};

const size_t tool_tune_region_count = sizeof(tool_tune_regions) / sizeof(tool_tune_regions[0]);
