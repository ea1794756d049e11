/*
 * chips.c - the chip profiles: identity, strings, memories, timing and the
 * quirks each real ROM has, and their listing as JSON.
 *
 * Sources (all as collected in docs REFERENCE.md, which cites them):
 *  [ds-f4]   STM32F405/407 datasheet flash characteristics: word program
 *            16 us typ / 100 us max; sector erase (x32) 16 KB 250 ms typ /
 *            500 ms max, 64 KB 1.1 s max, 128 KB 1-2 s (2 s max).
 *  [meas-f4] measured chip erase: ~8 s on an F407, ~15 s on an F439.
 *  [log-f4]  dfu-util logs of the F4 ROM: bwPollTimeout erase 100 ms,
 *            SET_ADDRESS 104 ms, leave 104 ms, mass erase 100 ms (the
 *            "STM32F405 lies about mass erase timeout" comment in dfu-util).
 *  [log-f7]  F745 ROM: erase reports 100 ms (a 32 KB sector took ~350 ms end
 *            to end), SET_ADDRESS and write report 5 ms (a 1832-byte write
 *            took ~14 ms end to end, which fits 16 us/word, not 100 us).
 *  [ds-f7]   F7 single-bank maxima: 32 KB 800 ms, 128 KB 2.4 s, 256 KB 4 s,
 *            mass erase 32 s, 100 us per word.
 *  [ds-h7]   H743: 128 KB sector erase 1-2 s typ, 256-bit word program
 *            100-290 us typ.
 *  [lsusb]   lsusb -v / dfu-util -l dumps: ids, bcdDevice, strings, layouts
 *            (REFERENCE.md "More ROM identity" table).
 *  [guess]   no public number found; the value is an estimate, said so.
 * USB: full speed, 64-byte EP0; the transfer model counts the setup and
 * status stages as packets too and fits usb_packets_per_frame of them in a
 * 1 ms frame [guess: 8, which gives the ~14 ms of [log-f7]'s write].
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define KB(n) ((uint32_t)(n) * 1024u)

static const struct dfusim_run map_f4_1m[] = { { 4, KB(16), 0 }, { 1, KB(64), 0 }, { 7, KB(128), 0 } };
static const struct dfusim_run map_f42x_2m[] = {
	{ 4, KB(16), 0 }, { 1, KB(64), 0 }, { 7, KB(128), 0 },
	{ 4, KB(16), 0 }, { 1, KB(64), 0 }, { 7, KB(128), 0 },
};
static const struct dfusim_run map_f74x_1m[] = { { 4, KB(32), 0 }, { 1, KB(128), 0 }, { 3, KB(256), 0 } };
static const struct dfusim_run map_f76x_single[] = { { 4, KB(32), 0 }, { 1, KB(128), 0 }, { 7, KB(256), 0 } };
/* RM0410 dual-bank map of a 2 MB part: two banks of 04*16K,01*64K,07*128K;
 * bank 2's sectors are numbered 12-23 and follow bank 1's 0-11 directly. */
static const struct dfusim_run map_f76x_dual[] = {
	{ 4, KB(16), 0 }, { 1, KB(64), 0 }, { 7, KB(128), 0 },
	{ 4, KB(16), 0 }, { 1, KB(64), 0 }, { 7, KB(128), 0 },
};
/* RM0410 dual-bank map of a 1 MB part (F767xG, F765xG...): two banks of
 * 04*16K,01*64K,03*128K; bank 2 at 0x08080000 follows bank 1 directly but
 * its sectors are numbered 12-19 as on the 2 MB part (no sectors 8-11). */
static const struct dfusim_run map_f76x_1m_dual[] = {
	{ 4, KB(16), 0 }, { 1, KB(64), 0 }, { 3, KB(128), 0 },
	{ 4, KB(16), 4 }, { 1, KB(64), 0 }, { 3, KB(128), 0 },
};
static const struct dfusim_run map_h743[] = { { 16, KB(128), 0 } };
static const struct dfusim_run map_generic[] = { { 128, KB(1), 0 } };

#define MAP(a) { (a), DFUSIM_ARRAY_SIZE(a) }

/* The F4 ROM (bootloader v2.2) timing [ds-f4] [meas-f4] [log-f4]. */
#define F4_TIMING(mass_us) {						\
	.erase = { { KB(16), 250000 },	/* [ds-f4] typ */		\
		   { KB(64), 550000 },	/* [guess] half the 1.1 s max */ \
		   { KB(128), 1000000 } },/* [ds-f4] 1-2 s */		\
	.mass_erase_us = (mass_us),					\
	.program_word_us = 16, .word_bytes = 4,	/* [ds-f4] typ */	\
	.set_address_us = 50,		/* [guess] */			\
	.option_write_us = 30000,	/* [guess] */			\
	.reset_us = 100000,		/* [guess] */			\
	.app_boot_us = 1000000,		/* [guess] */			\
	.usb_packets_per_frame = 8,	/* [guess] */			\
	.poll_set_address_ms = 104,	/* [log-f4] */			\
	.poll_erase_ms = 100,		/* [log-f4] */			\
	.poll_mass_erase_ms = 100,	/* [log-f4] (the lie) */	\
	.poll_write_ms = 5,		/* [guess] as the F745 */	\
	.poll_leave_ms = 104,		/* [log-f4] */			\
	.poll_unprotect_ms = 100,	/* [guess] */			\
	.poll_option_ms = 100,		/* [guess] */			\
	.source = "F405/407 datasheet (erase 16K 250 ms typ, 128K 1-2 s, word 16 us typ); " \
		  "measured chip erase F407 8 s, F439 15 s; dfu-util logs for poll timeouts " \
		  "(erase/mass erase 100 ms, SET_ADDRESS/leave 104 ms); 64K erase, write poll, " \
		  "reset and option times are guesses" }

/* The F7 ROM [log-f7] [ds-f7]. */
#define F7_TIMING {							\
	.erase = { { KB(16), 250000 },	/* [guess] as F4 (dual bank) */	\
		   { KB(32), 300000 },	/* [log-f7] ~350 ms end to end */ \
		   { KB(64), 550000 },	/* [guess] as F4 (dual bank) */	\
		   { KB(128), 1100000 },/* [guess] below the 2.4 s max */ \
		   { KB(256), 2000000 } },/* [guess] half the 4 s max */ \
	.mass_erase_us = 16000000,	/* [guess] half the 32 s max */	\
	.program_word_us = 16, .word_bytes = 4,	/* [log-f7] fits 16 us */ \
	.set_address_us = 50,		/* [guess] */			\
	.option_write_us = 30000,	/* [guess] */			\
	.reset_us = 100000,		/* [guess] */			\
	.app_boot_us = 1000000,		/* [guess] */			\
	.usb_packets_per_frame = 8,	/* [guess] */			\
	.poll_set_address_ms = 5,	/* [log-f7] */			\
	.poll_erase_ms = 100,		/* [log-f7] */			\
	.poll_mass_erase_ms = 100,	/* [guess] as erase */		\
	.poll_write_ms = 5,		/* [log-f7] */			\
	.poll_leave_ms = 5,		/* [guess] as SET_ADDRESS */	\
	.poll_unprotect_ms = 100,	/* [guess] */			\
	.poll_option_ms = 100,		/* [guess] */			\
	.source = "F745 dfu-util logs (erase poll 100 ms, 32K erase ~350 ms end to end, " \
		  "SET_ADDRESS/write poll 5 ms, 1832-byte write ~14 ms); F7 datasheet maxima " \
		  "(32K 800 ms, 128K 2.4 s, 256K 4 s, mass 32 s); typical values below the " \
		  "maxima, 16K/64K, reset and option times are guesses" }

static const struct dfusim_chip chips[] = {
	{
		.name = "stm32f405",
		.description = "STM32F405 1 MB, ROM bootloader v2.2",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200, .bcd_usb = 0x0100, .bcd_dfu = 0x011a, /* [lsusb] */
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x002d0030, 0x3334510b, 0x32313533 },
		.flash_base = 0x08000000, .flash_size = KB(1024),
		.map_single = MAP(map_f4_1m),
		.flash_name_single = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
		.nalts = 4,
		.alt_names = { NULL, "@Option Bytes  /0x1FFFC000/01*016 e",
			       "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F4, .ob_addr = { 0x1FFFC000 }, .ob_region_len = 16, .ob_regions = 1,
		.otp_addr = 0x1FFF7800, .otp_size = 528,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F4_TIMING(8000000),  /* mass erase: [meas-f4] F407 */
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_F405_MASSERASE_TIMEOUT) |
				  DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		.notes = "Same die and ROM as the F407.",
	},
	{
		.name = "stm32f407",
		.description = "STM32F407 1 MB, ROM bootloader v2.2",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200, .bcd_usb = 0x0100, .bcd_dfu = 0x011a, /* [lsusb] */
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x0041002e, 0x3438510c, 0x31383436 },
		.flash_base = 0x08000000, .flash_size = KB(1024),
		.map_single = MAP(map_f4_1m),
		.flash_name_single = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
		.nalts = 4,
		.alt_names = { NULL, "@Option Bytes  /0x1FFFC000/01*016 e",
			       "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F4, .ob_addr = { 0x1FFFC000 }, .ob_region_len = 16, .ob_regions = 1,
		.otp_addr = 0x1FFF7800, .otp_size = 528,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F4_TIMING(8000000),  /* mass erase: [meas-f4] */
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_F405_MASSERASE_TIMEOUT) |
				  DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		.notes = "Functional descriptor 09 21 0b ff 00 00 08 1a 01 [lsusb].",
	},
	{
		.name = "stm32f429",
		.description = "STM32F429 2 MB (dual bank, 24 sectors), ROM bootloader v2.2",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200, .bcd_usb = 0x0100, .bcd_dfu = 0x011a, /* [lsusb] */
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x00380027, 0x3136470d, 0x34353739 },
		.flash_base = 0x08000000, .flash_size = KB(2048),
		.map_single = MAP(map_f42x_2m),
		.flash_name_single = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg",
		.nalts = 4,
		.alt_names = { NULL, "@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e",
			       "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F42X, .ob_addr = { 0x1FFFC000, 0x1FFEC000 },
		.ob_region_len = 16, .ob_regions = 2,
		.otp_addr = 0x1FFF7800, .otp_size = 528,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F4_TIMING(15000000),  /* mass erase: [meas-f4] F439 */
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_F405_MASSERASE_TIMEOUT) |
				  DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		.notes = "Same F4 ROM family as the F405, so the same mass-erase poll lie.",
	},
	{
		.name = "stm32f746",
		.description = "STM32F746 1 MB",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200,  /* [guess] from the F722 */
		.bcd_usb = 0x0100, .bcd_dfu = 0x011a,
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x00230041, 0x3236510e, 0x33373938 },
		.flash_base = 0x08000000, .flash_size = KB(1024),
		.map_single = MAP(map_f74x_1m),
		.flash_name_single = "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg",
		.nalts = 4,
		/* alts 1-3 [guess]: F722's option string with the F74x's 32
		 * option bytes, RM0385's OTP (1024 + 32 lock bytes) */
		.alt_names = { NULL, "@Option Bytes  /0x1FFF0000/01*032 e",
			       "@OTP Memory /0x1FF0F000/01*1056 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F7, .ob_addr = { 0x1FFF0000 }, .ob_region_len = 32, .ob_regions = 1,
		.otp_addr = 0x1FF0F000, .otp_size = 1056,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F7_TIMING,
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		.notes = "The F745 logs show a second GETSTATUS blocking until an erase ends.",
	},
	{
		.name = "stm32f767",
		.description = "STM32F767 2 MB, single or dual bank by nDBANK",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200,  /* [guess] from the F722 */
		.bcd_usb = 0x0100, .bcd_dfu = 0x011a,
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x00440029, 0x3137510f, 0x36323532 },
		.flash_base = 0x08000000, .flash_size = KB(2048),
		.map_single = MAP(map_f76x_single),
		.map_dual = MAP(map_f76x_dual),
		.flash_name_single = "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg",
		/* Nobody has published the dual-bank string; a ROM that knew
		 * the bank mode would report this (only without the quirk). */
		.flash_name_dual = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg",
		.nalts = 4,
		.alt_names = { NULL, "@Option Bytes  /0x1FFF0000/01*032 e",
			       "@OTP Memory /0x1FF0F000/01*1056 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F7, .ob_addr = { 0x1FFF0000 }, .ob_region_len = 32, .ob_regions = 1,
		.otp_addr = 0x1FF0F000, .otp_size = 1056,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F7_TIMING,
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_F7_DUALBANK_ERASE) |
				  DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		.notes = "Factory nDBANK=1 (single bank); --option-bytes nDBANK=0 for dual bank.",
	},
	{
		/* The 1 MB F76x (FOME's F767ZG boards; FOME refuses to run in
		 * single-bank mode there). Same ROM family, USB identity,
		 * option bytes and timing as the 2 MB stm32f767. */
		.name = "stm32f767zg",
		.description = "STM32F767ZG 1 MB (also F765xG/F767xG/F769xG), single or dual bank by nDBANK",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x2200,  /* [guess] from the F722 */
		.bcd_usb = 0x0100, .bcd_dfu = 0x011a,
		.transfer_size = 2048, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
		.uid = { 0x0036003c, 0x3137511b, 0x33383730 },  /* [guess] made up */
		.flash_base = 0x08000000, .flash_size = KB(1024),
		.map_single = MAP(map_f74x_1m),     /* RM0410: 1 MB single bank */
		.map_dual = MAP(map_f76x_1m_dual),  /* RM0410: 1 MB dual bank */
		/* [guess] Nobody has published this ROM's string in either mode.
		 * The 2 MB F767's single-bank string is known and a dual-bank
		 * string never appears in any report; the public reports of this
		 * part (tools erasing "sector 8" at 0x08080000, bank 2 never
		 * erased) fit a ROM that keeps the single-bank view, so it
		 * reports the single-bank string in both modes. */
		.flash_name_single = "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg",
		/* Only a ROM without f7-dualbank-erase (one that knew the bank
		 * mode) would report this; the addresses are contiguous, the
		 * string cannot show that bank 2 is numbered from 12. */
		.flash_name_dual = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg,04*016Kg,01*064Kg,03*128Kg",
		.nalts = 4,
		/* alts 1-3 as the stm32f767 ([guess] but option bytes, which
		 * RM0410 gives the same 32 bytes on every F76x) */
		.alt_names = { NULL, "@Option Bytes  /0x1FFF0000/01*032 e",
			       "@OTP Memory /0x1FF0F000/01*1056 e",
			       "@Device Feature/0xFFFF0000/01*004 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION, DFUSIM_MEM_OTP, DFUSIM_MEM_FEATURE },
		.ob_format = DFUSIM_OB_F7, .ob_addr = { 0x1FFF0000 }, .ob_region_len = 32, .ob_regions = 1,
		.otp_addr = 0x1FF0F000, .otp_size = 1056,
		.feature_addr = 0xFFFF0000, .feature_size = 4,
		.t = F7_TIMING,
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_F7_DUALBANK_ERASE) |
				  DFUSIM_QUIRK_BIT(DFUSIM_Q_FIRST_STATUS_ERRFIRMWARE),
		/* Factory nDBANK=1: RM0410 gives FLASH_OPTCR the reset value
		 * 0xFFFF AAFD on every F76x/F77x, 1 MB or 2 MB (bit 29 nDBANK
		 * set, single bank). */
		.notes = "Factory nDBANK=1 (single bank, RM0410 FLASH_OPTCR 0xFFFFAAFD); FOME needs "
			 "--option-bytes nDBANK=0. Dual bank: bank 2 at 0x08080000 is sectors 12-19. "
			 "The alt 0 string is a guess (the single-bank one in both modes).",
	},
	{
		.name = "stm32h743",
		.description = "STM32H743 2 MB (two banks of 8 x 128 KB), ROM v2.0",
		.dfuse = true,
		.id_vendor = 0x0483, .id_product = 0xdf11,
		.bcd_device = 0x0200, .bcd_usb = 0x0100, /* bcdUSB [guess] */
		.bcd_dfu = 0x011a,
		.transfer_size = 1024, .detach_timeout = 255, .attributes = 0x0b,
		.manufacturer = "STMicroelectronics", .product = "DFU in FS Mode",
		.serial = "200364500000",  /* rev V parts all say this */
		.uid = { 0x00200036, 0x4650000a, 0x20364500 },
		.flash_base = 0x08000000, .flash_size = KB(2048),
		.map_single = MAP(map_h743),
		.flash_name_single = "@Internal Flash   /0x08000000/16*128Kg",
		.nalts = 2,
		.alt_names = { NULL, "@Option Bytes   /0x5200201C/01*128 e" },
		.alt_mem = { DFUSIM_MEM_FLASH, DFUSIM_MEM_OPTION },
		.ob_format = DFUSIM_OB_H7, .ob_addr = { 0x5200201C }, .ob_region_len = 128, .ob_regions = 1,
		.t = {
			.erase = { { KB(128), 1500000 } },  /* [ds-h7] 1-2 s */
			.mass_erase_us = 4000000,  /* [guess] two bank erases */
			.program_word_us = 150, .word_bytes = 32, /* [ds-h7] */
			.set_address_us = 50,      /* [guess] */
			.option_write_us = 100000, /* [guess] */
			.reset_us = 100000,        /* [guess] */
			.app_boot_us = 1000000,    /* [guess] */
			.usb_packets_per_frame = 8,/* [guess] */
			.poll_set_address_ms = 5,  /* [guess] as F7 */
			.poll_erase_ms = 100,      /* [guess] as F4/F7 */
			.poll_mass_erase_ms = 100, /* [guess] */
			.poll_write_ms = 5,        /* [guess] */
			.poll_leave_ms = 5,        /* [guess] */
			.poll_unprotect_ms = 100,  /* [guess] */
			.poll_option_ms = 100,     /* [guess] */
			.source = "H743 datasheet (128K erase 1-2 s typ, 256-bit word 100-290 us); "
				  "every poll timeout and the mass erase are guesses",
		},
		.default_quirks = DFUSIM_QUIRK_BIT(DFUSIM_Q_H7_STUCK_BUSY),
		.notes = "Rev V: erasing beyond 1 MB leaves dfuDNBUSY until a CLRSTATUS pair.",
	},
	{
		.name = "generic-dfu11",
		.description = "A plain DFU 1.1 device (no DfuSe): blocks in order, 128 KB; "
			       "a USB reset after manifestation starts the app",
		.dfuse = false,
		.id_vendor = 0x1209, .id_product = 0x0001,  /* pid.codes test PID */
		.bcd_device = 0x0100, .bcd_usb = 0x0200, .bcd_dfu = 0x0110,
		.transfer_size = 1024, .detach_timeout = 255,
		.attributes = 0x03,  /* CanDnload | CanUpload: needs a USB reset */
		.manufacturer = "dfusim", .product = "Generic DFU 1.1 device",
		.serial = "0001",
		.uid = { 1, 2, 3 },
		.flash_base = 0x08000000, .flash_size = KB(128),
		.map_single = MAP(map_generic),
		.flash_name_single = "Flash",
		.nalts = 1,
		.alt_mem = { DFUSIM_MEM_FLASH },
		.ob_format = DFUSIM_OB_NONE,
		.t = {
			.erase = { { KB(1), 20000 } },  /* [guess] */
			.mass_erase_us = 100000,        /* [guess] */
			.program_word_us = 16, .word_bytes = 4,
			.reset_us = 100000, .app_boot_us = 500000,
			.usb_packets_per_frame = 8,
			.poll_erase_ms = 100, .poll_write_ms = 10, .poll_leave_ms = 10,
			.source = "made up: a model of no particular part",
		},
		.notes = "The first block of a download erases the whole flash. After manifestation "
			 "it waits in dfuMANIFEST-WAIT-RESET for a USB reset "
			 "(dfu-util 0.11 exits 74 after \"Done!\" here: its reset finds the app).",
	},
	{
		.name = "generic-dfu11-tolerant",
		.description = "generic-dfu11, manifestation tolerant: back in dfuIDLE after manifestation",
		.dfuse = false,
		.id_vendor = 0x1209, .id_product = 0x0002,  /* pid.codes test PID */
		.bcd_device = 0x0100, .bcd_usb = 0x0200, .bcd_dfu = 0x0110,
		.transfer_size = 1024, .detach_timeout = 255,
		.attributes = 0x07,  /* CanDnload | CanUpload | ManifestationTolerant */
		.manufacturer = "dfusim", .product = "Generic DFU 1.1 device",
		.serial = "0002",
		.uid = { 1, 2, 3 },
		.flash_base = 0x08000000, .flash_size = KB(128),
		.map_single = MAP(map_generic),
		.flash_name_single = "Flash",
		.nalts = 1,
		.alt_mem = { DFUSIM_MEM_FLASH },
		.ob_format = DFUSIM_OB_NONE,
		.t = {
			.erase = { { KB(1), 20000 } },  /* [guess] */
			.mass_erase_us = 100000,        /* [guess] */
			.program_word_us = 16, .word_bytes = 4,
			.reset_us = 100000, .app_boot_us = 500000,
			.usb_packets_per_frame = 8,
			.poll_erase_ms = 100, .poll_write_ms = 10, .poll_leave_ms = 10,
			.source = "made up: a model of no particular part",
		},
		.notes = "The first block of a download erases the whole flash; after manifestation "
			 "it is back in dfuIDLE.",
	},
};

/* The profile by its lower-case name, or NULL. */
const struct dfusim_chip *sim_chip_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < DFUSIM_ARRAY_SIZE(chips); i++)
		if (strcmp(chips[i].name, name) == 0)
			return &chips[i];
	return NULL;
}

/* How many profiles there are. */
size_t dfusim_chip_count(void)
{
	return DFUSIM_ARRAY_SIZE(chips);
}

/* A profile's name by index, NULL past the end. */
const char *dfusim_chip_name(size_t index)
{
	return index < DFUSIM_ARRAY_SIZE(chips) ? chips[index].name : NULL;
}

/* Writes s as a JSON string; the profile strings hold no control
 * characters, but quotes and backslashes are escaped anyway. */
static void json_str(struct sb *sb, const char *s)
{
	sb_printf(sb, "\"");
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(sb, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_printf(sb, "\\u%04x", (unsigned)(unsigned char)*s);
		else
			sb_printf(sb, "%c", *s);
	}
	sb_printf(sb, "\"");
}

/* A sector map as a JSON array of {count, size, first} runs; first is the
 * number of the run's first sector (the 1 MB F76x's bank 2 starts at 12). */
static void json_map(struct sb *sb, const struct dfusim_map *map)
{
	size_t i;
	unsigned first = 0;

	sb_printf(sb, "[");
	for (i = 0; i < map->nruns; i++) {
		first += map->runs[i].skip;
		sb_printf(sb, "%s{\"count\":%u,\"size\":%u,\"first\":%u}", i ? "," : "",
			  (unsigned)map->runs[i].count, (unsigned)map->runs[i].size, first);
		first += map->runs[i].count;
	}
	sb_printf(sb, "]");
}

/* Every timing number of a profile, with its source, as a JSON object.
 * After the profile's numbers come what the model derives from them, for
 * hosts that compute time from this listing (bench/bench_limit.py):
 *  - usb: the full-speed transfer model of sim_transfer_us() (ops.c): a
 *    control transfer is ceil(len / packet_bytes) data packets plus
 *    extra_packets (setup, status), packets_per_frame of them to a frame
 *    of frame_us, in whole frames; transfer_us lists what sim_transfer_us()
 *    itself gives for the lengths a host sends most (a check on the
 *    formula);
 *  - mass_erase_poll_reported_ms: the bwPollTimeout a mass erase reports
 *    with the profile's default quirks (op_mass_erase(): the F4 ROM's
 *    100 ms lie, else the true duration);
 *  - stuck_busy_from_offset: with h7-stuck-busy on by default, erasing a
 *    sector from this flash offset on leaves GETSTATUS busy until two
 *    CLRSTATUS (op_erase() in ops.c, core.c). */
static void json_timing(struct sb *sb, const struct dfusim_chip *c)
{
	const struct dfusim_timing *t = &c->t;
	static const size_t lens[] = { 0, 5, 6, 32, 1024, 2048 };
	struct dfusim probe;
	size_t i;
	bool first = true;

	sb_printf(sb, "{\"erase_us\":[");
	for (i = 0; i < DFUSIM_ARRAY_SIZE(t->erase) && t->erase[i].size; i++)
		sb_printf(sb, "%s{\"size\":%u,\"us\":%u}", i ? "," : "",
			  (unsigned)t->erase[i].size, (unsigned)t->erase[i].us);
	sb_printf(sb, "],\"mass_erase_us\":%u,\"program_word_us\":%u,\"word_bytes\":%u,"
		  "\"set_address_us\":%u,\"option_write_us\":%u,\"reset_us\":%u,"
		  "\"app_boot_us\":%u,\"usb_packets_per_frame\":%u,",
		  (unsigned)t->mass_erase_us, (unsigned)t->program_word_us,
		  (unsigned)t->word_bytes, (unsigned)t->set_address_us,
		  (unsigned)t->option_write_us, (unsigned)t->reset_us,
		  (unsigned)t->app_boot_us, (unsigned)t->usb_packets_per_frame);
	sb_printf(sb, "\"poll_ms\":{\"set_address\":%u,\"erase\":%u,\"mass_erase\":%u,"
		  "\"write\":%u,\"leave\":%u,\"unprotect\":%u,\"option_write\":%u},\"source\":",
		  (unsigned)t->poll_set_address_ms, (unsigned)t->poll_erase_ms,
		  (unsigned)t->poll_mass_erase_ms, (unsigned)t->poll_write_ms,
		  (unsigned)t->poll_leave_ms, (unsigned)t->poll_unprotect_ms,
		  (unsigned)t->poll_option_ms);
	json_str(sb, t->source);
	memset(&probe, 0, sizeof(probe));
	probe.chip = c;
	sb_printf(sb, ",\"usb\":{\"packet_bytes\":64,\"extra_packets\":2,\"frame_us\":1000,"
		  "\"packets_per_frame\":%u,\"transfer_us\":{", (unsigned)t->usb_packets_per_frame);
	for (i = 0; i < DFUSIM_ARRAY_SIZE(lens); i++) {
		if (lens[i] > c->transfer_size)
			continue;
		sb_printf(sb, "%s\"%zu\":%llu", first ? "" : ",", lens[i],
			  (unsigned long long)sim_transfer_us(&probe, lens[i]));
		first = false;
	}
	sb_printf(sb, "}},\"mass_erase_poll_reported_ms\":%u",
		  c->default_quirks & DFUSIM_QUIRK_BIT(DFUSIM_Q_F405_MASSERASE_TIMEOUT) ?
		  (unsigned)t->poll_mass_erase_ms : (unsigned)((t->mass_erase_us + 999) / 1000));
	if (c->default_quirks & DFUSIM_QUIRK_BIT(DFUSIM_Q_H7_STUCK_BUSY))
		sb_printf(sb, ",\"stuck_busy_from_offset\":%u", 1024u * 1024u);
	sb_printf(sb, "}");
}

/* Every profile with every number, as one JSON array. The caller frees. */
char *dfusim_chips_json(void)
{
	struct sb sb = { 0 };
	size_t i, a;

	sb_printf(&sb, "[");
	for (i = 0; i < DFUSIM_ARRAY_SIZE(chips); i++) {
		const struct dfusim_chip *c = &chips[i];
		char serial[32];

		sim_default_serial(c, serial, sizeof(serial));
		sb_printf(&sb, "%s\n{\"name\":", i ? "," : "");
		json_str(&sb, c->name);
		sb_printf(&sb, ",\"description\":");
		json_str(&sb, c->description);
		sb_printf(&sb, ",\"protocol\":\"%s\",\"idVendor\":\"%04x\",\"idProduct\":\"%04x\","
			  "\"bcdDevice\":\"%04x\",\"bcdUSB\":\"%04x\",\"bcdDFU\":\"%04x\","
			  "\"wTransferSize\":%u,\"wDetachTimeout\":%u,\"bmAttributes\":%u,",
			  c->dfuse ? "dfuse" : "dfu11", c->id_vendor, c->id_product,
			  c->bcd_device, c->bcd_usb, c->bcd_dfu, c->transfer_size,
			  c->detach_timeout, c->attributes);
		sb_printf(&sb, "\"manufacturer\":");
		json_str(&sb, c->manufacturer);
		sb_printf(&sb, ",\"product\":");
		json_str(&sb, c->product);
		sb_printf(&sb, ",\"serial\":");
		json_str(&sb, serial);
		sb_printf(&sb, ",\"flash_base\":%u,\"flash_size\":%u,\"sectors\":",
			  (unsigned)c->flash_base, (unsigned)c->flash_size);
		json_map(&sb, &c->map_single);
		if (c->map_dual.nruns) {
			sb_printf(&sb, ",\"sectors_dual_bank\":");
			json_map(&sb, &c->map_dual);
		}
		sb_printf(&sb, ",\"alts\":[");
		for (a = 0; a < c->nalts; a++) {
			sb_printf(&sb, "%s", a ? "," : "");
			json_str(&sb, a ? c->alt_names[a] : c->flash_name_single);
		}
		sb_printf(&sb, "]");
		if (c->flash_name_dual) {
			sb_printf(&sb, ",\"alt0_dual_bank\":");
			json_str(&sb, c->flash_name_dual);
		}
		sb_printf(&sb, ",\"timing\":");
		json_timing(&sb, c);
		sb_printf(&sb, ",\"quirks\":");
		sim_quirks_json(&sb, c->default_quirks);
		sb_printf(&sb, ",\"notes\":");
		json_str(&sb, c->notes);
		sb_printf(&sb, "}");
	}
	sb_printf(&sb, "\n]\n");
	return sb_take(&sb);
}
