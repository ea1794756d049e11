/*
 * boot.c - what the chip runs after a reset, and the serial port it then
 * offers.
 *
 * The STM32 samples BOOT0 at reset: held high it starts the ROM DFU
 * bootloader, low it starts whatever flash holds at 0x08000000. On a FOME
 * board that is OpenBLT (F4/F7: 0x08000000-0x08007FFF, H7: up to
 * 0x0801FFFF) or the application itself. OpenBLT starts the application
 * when the FOME image at the application base checks out (fome-fw
 * firmware/bootloader/openblt_chibios/openblt_flash.cpp,
 * FlashVerifyChecksum: first word not blank, then
 * checkFirmwareImageIntegrity), unless the application asked to stay in
 * OpenBLT before its reset (the shared parameter that BackDoorEntryHook in
 * fome-fw firmware/hw_layer/openblt/hooks.c reads); otherwise OpenBLT
 * stays and enumerates its own CDC port.
 *
 * The model cannot run code, so it decides from the flash bytes what code
 * is there: OpenBLT is present when [base, app base) is not blank, base
 * holds no valid FOME image of its own, and either the application base
 * holds a valid FOME image or the region contains the ASCII "OpenBLT"
 * (every OpenBLT build carries its name). Without OpenBLT any non-blank
 * flash at base counts as an application (so a leave into arbitrary data
 * still shows the FOME CDC device, as dfusim always did); blank flash runs
 * nothing that enumerates.
 *
 * FOME's image check (fome-fw): CRC-32 (zlib) at image+0x1C, the image
 * size at image+0x20, both little-endian; the CRC covers [image, +0x1C)
 * and [+0x20, +size). Sizes over 1 MiB are invalid.
 */
#include "sim_internal.h"

#include <zlib.h>

#include <string.h>

#define FOME_CRC_OFFSET 0x1C
#define FOME_SIZE_OFFSET 0x20
#define FOME_MAX_IMAGE (1024u * 1024u)

/* OpenBLT's start-up until its CDC port enumerates: no measurement;
 * ChibiOS's USB start plus the host's enumeration [guess]. */
#define OPENBLT_BOOT_US 500000u

/* FOME's OpenBLT ports: the application 32 KiB up on F4/F7
 * (openblt_flash_f4_f7.cpp), 128 KiB up on H7 (openblt_flash_h7.cpp).
 * The generic profiles are no FOME boards. */
uint32_t sim_openblt_app_base(const struct dfusim *sim)
{
	const char *n = sim->chip->name;

	if (!strncmp(n, "stm32h7", 7))
		return sim->chip->flash_base + 128u * 1024u;
	if (!strncmp(n, "stm32f4", 7) || !strncmp(n, "stm32f7", 7))
		return sim->chip->flash_base + 32u * 1024u;
	return 0;
}

/* The FOME image check at addr (fome-fw checkFirmwareImageIntegrity). */
bool sim_fome_image_valid(const struct dfusim *sim, uint32_t addr)
{
	const struct dfusim_chip *c = sim->chip;
	const uint8_t *img;
	uint32_t off, size, crc;

	if (addr < c->flash_base || addr - c->flash_base + FOME_SIZE_OFFSET + 4 > c->flash_size)
		return false;
	off = addr - c->flash_base;
	img = sim->flash + off;
	size = sim_get32(img + FOME_SIZE_OFFSET);
	if (size < FOME_SIZE_OFFSET + 4 || size > FOME_MAX_IMAGE || size > c->flash_size - off)
		return false;
	crc = crc32(0, img, FOME_CRC_OFFSET);
	crc = crc32(crc, img + FOME_SIZE_OFFSET, size - FOME_SIZE_OFFSET);
	return crc == sim_get32(img + FOME_CRC_OFFSET);
}

/* Where needle first occurs in [hay, hay+len), or NULL (memmem is not
 * ISO C). */
const uint8_t *sim_find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n && i + n <= len; i++)
		if (hay[i] == (uint8_t)needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

static bool blank(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

bool sim_openblt_present(const struct dfusim *sim)
{
	uint32_t app = sim_openblt_app_base(sim);
	size_t len;

	if (!app)
		return false;
	len = app - sim->chip->flash_base;
	if (blank(sim->flash, len) || sim_fome_image_valid(sim, sim->chip->flash_base))
		return false;
	if (sim_fome_image_valid(sim, app))
		return true;
	return sim_find(sim->flash, len, "OpenBLT") != NULL;
}

enum sim_mode sim_flash_boot_mode(const struct dfusim *sim)
{
	if (sim_openblt_present(sim)) {
		if (sim->openblt_backdoor)
			return SIM_MODE_OPENBLT;
		/* FlashVerifyChecksum: a blank first word is no program */
		if (!blank(sim->flash + (sim_openblt_app_base(sim) - sim->chip->flash_base), 4) &&
		    sim_fome_image_valid(sim, sim_openblt_app_base(sim)))
			return SIM_MODE_APP;
		return SIM_MODE_OPENBLT;
	}
	return blank(sim->flash, 4) ? SIM_MODE_NONE : SIM_MODE_APP;
}

/*
 * What an event starts: RUN_APP is a jump or software reset into flash
 * (the ROM's leave, OpenBLT's start of the application, FOME's reboot into
 * OpenBLT); RESET_TO_DFU is a reset that samples BOOT0 (power loss, the
 * ROM's own resets) unless it was asked for the ROM (reboot_dfu jumps
 * there whatever BOOT0 says).
 */
enum sim_mode sim_event_target(const struct dfusim *sim, enum dfusim_bus_event ev)
{
	switch (ev) {
	case DFUSIM_EV_RUN_APP:
		return sim_flash_boot_mode(sim);
	case DFUSIM_EV_RESET_TO_DFU:
		if (sim->rom_requested || !sim->boot_flash)
			return SIM_MODE_ROM;
		return sim_flash_boot_mode(sim);
	case DFUSIM_EV_DISCONNECT:
	case DFUSIM_EV_NONE:
		break;
	}
	return SIM_MODE_NONE;
}

/* Model microseconds from the reset until that mode is on the bus. */
uint32_t sim_mode_boot_us(const struct dfusim *sim, enum sim_mode mode)
{
	switch (mode) {
	case SIM_MODE_ROM:
		return sim->chip->t.reset_us;
	case SIM_MODE_APP:
		return sim->chip->t.app_boot_us;
	case SIM_MODE_OPENBLT:
		return OPENBLT_BOOT_US;
	case SIM_MODE_NONE:
		break;
	}
	return 0;
}

void sim_serial_send(struct dfusim *sim, uint64_t at, const uint8_t *data, size_t len)
{
	while (len) {
		struct sim_out_chunk *c;
		size_t n = len < DFUSIM_SERIAL_CHUNK ? len : DFUSIM_SERIAL_CHUNK;

		if (sim->nout == DFUSIM_SERIAL_QUEUE)
			return;  /* a host that never reads: the CDC buffer is full */
		c = &sim->out[sim->nout++];
		c->at = at;
		c->len = (uint16_t)n;
		memcpy(c->data, data, n);
		data += n;
		len -= n;
	}
}

void sim_serial_event(struct dfusim *sim, struct dfusim_reply *reply,
		      enum dfusim_bus_event ev, uint64_t at)
{
	reply->event = ev;
	reply->event_at_us = at;
	reply->back_at_us = 0;
	if (ev != DFUSIM_EV_DISCONNECT)
		reply->back_at_us = at + sim_scaled_us(sim, sim_mode_boot_us(sim, sim_event_target(sim, ev)));
	sim->pending = ev;
	sim->pending_at = at;
	sim->pending_back = reply->back_at_us;
}

/* The chip's identity registers (RM0090 39.6.1 / 39.1, RM0410 45.6.1 /
 * 45.1, RM0433 61.5.8 / 61.2): DBGMCU_IDCODE (REV_ID << 16 | DEV_ID), the
 * flash size in KiB (u16), the 96-bit UID. REV_IDs are one silicon
 * revision each [guess]. */
struct chip_ids {
	const char *prefix;
	uint32_t idcode;
	uint32_t idcode_addr, flash_kib_addr, uid_addr;
};

static const struct chip_ids chip_ids[] = {
	{ "stm32f405", 0x10070413, 0xE0042000, 0x1FFF7A22, 0x1FFF7A10 },
	{ "stm32f407", 0x10070413, 0xE0042000, 0x1FFF7A22, 0x1FFF7A10 },
	{ "stm32f429", 0x10030419, 0xE0042000, 0x1FFF7A22, 0x1FFF7A10 },
	{ "stm32f746", 0x10010449, 0xE0042000, 0x1FF0F442, 0x1FF0F420 },
	{ "stm32f767", 0x10010451, 0xE0042000, 0x1FF0F442, 0x1FF0F420 },
	{ "stm32h743", 0x20030450, 0x5C001000, 0x1FF1E880, 0x1FF1E800 },
};

#define F4F7_FLASH_OPTCR 0x40023C14u
#define H7_FLASH_OPTSR_CUR 0x5200201Cu

static const struct chip_ids *ids_of(const struct dfusim *sim)
{
	size_t i;

	for (i = 0; i < DFUSIM_ARRAY_SIZE(chip_ids); i++)
		if (!strncmp(sim->chip->name, chip_ids[i].prefix, strlen(chip_ids[i].prefix)))
			return &chip_ids[i];
	return NULL;
}

/* FLASH_OPTCR as the F4/F7 show it: the factory value (RM0090 3.9.10
 * 0x0FFFAAED; RM0410 3.7.6 0xFFFFAAFD) with RDP from the option bytes
 * and, on F7, nDBANK (bit 29) as the option bytes say. */
static uint32_t optcr(const struct dfusim *sim)
{
	static const uint8_t rdp_byte[3] = { 0xAA, 0x55, 0xCC };
	uint32_t v;
	int rdp = sim_rdp_level(sim);

	if (sim->chip->ob_format == DFUSIM_OB_F7) {
		v = 0xFFFFAAFDu;
		if (sim_dual_bank(sim))
			v &= ~(1u << 29);
	} else {
		v = 0x0FFFAAEDu;
	}
	v = (v & ~0xFF00u) | (uint32_t)rdp_byte[rdp >= 0 && rdp <= 2 ? rdp : 0] << 8;
	return v;
}

/* One byte as the CPU reads it. */
static uint8_t cpu_byte(const struct dfusim *sim, uint32_t a, const struct chip_ids *ids)
{
	const struct dfusim_chip *c = sim->chip;
	uint8_t w[4];

	if (a >= c->flash_base && a - c->flash_base < c->flash_size)
		return sim->flash[a - c->flash_base];
	if (!ids)
		return 0;
	if (a >= ids->idcode_addr && a < ids->idcode_addr + 4) {
		sim_put32(w, ids->idcode);
		return w[a - ids->idcode_addr];
	}
	if (a >= ids->flash_kib_addr && a < ids->flash_kib_addr + 2) {
		uint32_t kib = c->flash_size / 1024u;

		return (uint8_t)(a == ids->flash_kib_addr ? kib : kib >> 8);
	}
	if (a >= ids->uid_addr && a < ids->uid_addr + 12) {
		sim_put32(w, sim->uid[(a - ids->uid_addr) / 4]);
		return w[(a - ids->uid_addr) % 4];
	}
	if (c->ob_format == DFUSIM_OB_H7) {
		/* the live option registers from FLASH_OPTSR_CUR on */
		if (a >= H7_FLASH_OPTSR_CUR && a - H7_FLASH_OPTSR_CUR < sim->ob_len)
			return sim->ob[a - H7_FLASH_OPTSR_CUR];
	} else if (a >= F4F7_FLASH_OPTCR && a < F4F7_FLASH_OPTCR + 4) {
		sim_put32(w, optcr(sim));
		return w[a - F4F7_FLASH_OPTCR];
	}
	return 0;
}

void sim_cpu_read(const struct dfusim *sim, uint32_t addr, uint8_t *buf, size_t len)
{
	const struct chip_ids *ids = ids_of(sim);
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = cpu_byte(sim, addr + (uint32_t)i, ids);
}


/* Another chip of the same part: its UID (the FOME serial, the UID
 * registers OpenBLT shows). The ROM's serial stays dfusim_set_serial()'s. */
int dfusim_set_uid(struct dfusim *sim, const uint32_t uid[3])
{
	if (!sim || !uid)
		return -1;
	memcpy(sim->uid, uid, sizeof(sim->uid));
	sim_app_serial(sim->uid, sim->app_serial, sizeof(sim->app_serial));
	return 0;
}

void dfusim_uid(const struct dfusim *sim, uint32_t uid[3])
{
	if (sim && uid)
		memcpy(uid, sim->uid, sizeof(sim->uid));
}

int dfusim_set_boot_from_flash(struct dfusim *sim, bool from_flash)
{
	if (!sim)
		return -1;
	sim->boot_flash = from_flash;
	return 0;
}

/* Power on: BOOT0 and, from flash, its contents decide. */
void dfusim_power_on(struct dfusim *sim, uint64_t now_us)
{
	enum sim_mode mode;

	if (!sim)
		return;
	mode = sim->boot_flash ? sim_flash_boot_mode(sim) : SIM_MODE_ROM;
	sim->pending = mode == SIM_MODE_ROM ? DFUSIM_EV_RESET_TO_DFU : DFUSIM_EV_RUN_APP;
	sim->rom_requested = mode == SIM_MODE_ROM;
	dfusim_reenumerated(sim, now_us);
	sim->stats.resets--;  /* a power-on is no reset */
}

bool dfusim_on_bus(const struct dfusim *sim)
{
	return sim && !sim->off_bus && sim->mode != SIM_MODE_NONE;
}

const char *dfusim_mode_name(const struct dfusim *sim)
{
	if (!sim)
		return "none";
	switch (sim->mode) {
	case SIM_MODE_ROM: return "rom";
	case SIM_MODE_APP: return "application";
	case SIM_MODE_OPENBLT: return "openblt";
	case SIM_MODE_NONE: return "none";
	}
	return "none";
}

/* Bytes from the host on the CDC port; the mode's parser answers. */
void dfusim_serial_input(struct dfusim *sim, const uint8_t *data, size_t len,
			 uint64_t now_us, struct dfusim_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	/* A chip on its way off the bus takes nothing more. */
	if (!sim || sim->off_bus || sim->pending != DFUSIM_EV_NONE) {
		reply->outcome = DFUSIM_GONE;
		return;
	}
	if (sim->mode == SIM_MODE_APP)
		sim_app_input(sim, data, len, now_us, reply);
	else if (sim->mode == SIM_MODE_OPENBLT)
		sim_xcp_input(sim, data, len, now_us, reply);
}

size_t dfusim_serial_output(struct dfusim *sim, uint8_t *buf, size_t cap, uint64_t now_us,
			    uint64_t *next_us)
{
	size_t n = 0;

	if (next_us)
		*next_us = 0;
	if (!sim)
		return 0;
	while (sim->nout && sim->out[0].at <= now_us && cap - n >= sim->out[0].len) {
		memcpy(buf + n, sim->out[0].data, sim->out[0].len);
		n += sim->out[0].len;
		sim->nout--;
		memmove(&sim->out[0], &sim->out[1], sim->nout * sizeof(sim->out[0]));
	}
	if (next_us && sim->nout)
		*next_us = sim->out[0].at;
	return n;
}
