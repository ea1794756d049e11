/*
 * openblt.c - OpenBLT's XCP target as FOME builds it, on the chip's flash.
 *
 * Sources: openblt Target/Source/xcp.c (the command handlers, reply
 * layouts, error codes), fome-fw firmware/bootloader/openblt_chibios/
 * openblt_usb.cpp (the packet reader on the CDC port),
 * openblt_flash*.cpp (the flash glue) and firmware/hw_layer/openblt/
 * blt_conf.h (240-byte packets, Intel byte order, no seed/key, no
 * calibration or paging).
 *
 * Packets are [len][len bytes], no checksum. The reader drops a length
 * byte of 0 or over 240. Its 100 ms timeout for an unfinished packet
 * (RS232_CTO_RX_PACKET_TIMEOUT_MS) never fires in FOME's build: its
 * TimerGet() (openblt_chibios.cpp) always returns 0, so the bytes of the
 * next packet complete an unfinished one, as here. Before CONNECT nothing
 * but CONNECT gets an answer. Replies [len][FF ...] or [len][FE code]:
 *   CONNECT        FF 10 00 F0 F0 00 01 01 (PGM; Intel; CTO 240; DTO 240 LE;
 *                  protocol and transport layer 1)
 *   DISCONNECT     FF
 *   GET_STATUS     FF 00 00 00 00 00
 *   SYNCH          FE 00
 *   GET_ID         FF 00 00 00 07 00 00 00 (MTA -> "OpenBLT")
 *   SET_MTA        FF (address in bytes 4-7, extension ignored)
 *   UPLOAD n       FF + n bytes from the MTA, MTA += n; n > 239: FE 22
 *   SHORT_UPLOAD   the same from the address in bytes 4-7
 *   BUILD_CHECKSUM FF 01 00 00 + the byte sum as u32 (ADD11, 8 bits)
 *   PROGRAM_START  FF 00 00 F0 00 00 00
 *   PROGRAM_CLEAR  FF; erase failed (below the application base, outside
 *                  flash, protected): FE 31
 *   PROGRAM_MAX    239 bytes at the MTA: FF, MTA += 239; failed: FE 31
 *   PROGRAM n      n bytes: FF, MTA += n; n > 238: FE 22; failed: FE 31;
 *                  n = 0 ends programming (NvmDone; H7 flushes its block)
 *   PROGRAM_RESET  the application's CRC checks out: no answer, the
 *                  application starts; else FF and OpenBLT stays
 *   PROGRAM_PREPARE FE 31; USER FE 20; anything else FE 20
 *
 * FOME's flash glue: FlashErase refuses an address below the application
 * base, skips a range that is already blank, else erases every sector
 * that [addr, addr+len) touches (the quirk openblt-cross-erase: only the
 * first, rusEFI issue 8515); FlashWrite refuses a start below the base
 * (no upper bound) and programs NOR-wise (new = old & data). On H7 writes
 * collect in a 1 KiB RAM block that is programmed when the next write
 * leaves it or at PROGRAM n = 0, and read back (openblt_flash_h7.cpp).
 */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

#define XCP_RES_PGM 0x10
#define XCP_CMD_PROGRAM_PREPARE 0xCC
#define XCP_CMD_USER 0xF1  /* BootCommander's info-table check */
#define XCP_CS_ADD11 0x01
#define XCP_STATION_ID "OpenBLT"
/* Where GET_ID points the MTA: the string's place in OpenBLT's image is
 * unknown, a RAM address stands for it [model]. */
#define XCP_STATION_ID_ADDR 0x20000100u
/* OpenBLT's turnaround for a packet: no measurement [guess]. */
#define XCP_ANSWER_US 200u
/* FlashVerifyChecksum: a CRC over up to 1 MiB with the CRC unit [guess]. */
#define XCP_CRC_CHECK_US 10000u
#define H7_NO_BLOCK 0xFFFFFFFFu
#define XCP_CHECKSUM_MAX (2u * 1024u * 1024u)

void sim_xcp_enter(struct dfusim *sim)
{
	memset(&sim->xcp, 0, sizeof(sim->xcp));
	sim->xcp.block_base = H7_NO_BLOCK;
}

static bool is_h7(const struct dfusim *sim)
{
	return sim->chip->ob_format == DFUSIM_OB_H7;
}

static bool in_flash(const struct dfusim *sim, uint32_t addr, uint32_t len)
{
	const struct dfusim_chip *c = sim->chip;

	return addr >= c->flash_base && addr - c->flash_base <= c->flash_size &&
	       len <= c->flash_size - (addr - c->flash_base);
}

static uint64_t program_us(const struct dfusim *sim, uint32_t len)
{
	const struct dfusim_timing *t = &sim->chip->t;
	uint32_t w = t->word_bytes ? t->word_bytes : 4;

	return (uint64_t)((len + w - 1) / w) * t->program_word_us;
}

/* Programs NOR-wise; half: only the first half (power lost midway). */
static bool flash_program(struct dfusim *sim, uint32_t addr, const uint8_t *data, uint32_t len,
			  uint64_t *us, bool half)
{
	if (!in_flash(sim, addr, len))
		return false;
	sim_flash_program(sim, addr - sim->chip->flash_base, data, half ? len / 2 : len);
	*us += program_us(sim, half ? len / 2 : len);
	return true;
}

/* FlashWriteBlock (H7): program the block, read it back. */
static bool h7_write_block(struct dfusim *sim, uint64_t *us)
{
	struct sim_xcp *x = &sim->xcp;

	if (!flash_program(sim, x->block_base, x->block, SIM_XCP_H7_BLOCK, us, false))
		return false;
	return !memcmp(sim->flash + (x->block_base - sim->chip->flash_base), x->block,
		       SIM_XCP_H7_BLOCK);
}

/* FlashInitBlock: the block holding base starts as flash holds it. */
static bool h7_init_block(struct dfusim *sim, uint32_t base)
{
	struct sim_xcp *x = &sim->xcp;

	if (base % SIM_XCP_H7_BLOCK)
		return false;
	if (x->block_base != base) {
		x->block_base = base;
		sim_cpu_read(sim, base, x->block, SIM_XCP_H7_BLOCK);
	}
	return true;
}

/* FlashAddToBlock, with its quirk kept: a switch to a block that is not
 * the next one ignores whether the old one programmed. */
static bool h7_write(struct dfusim *sim, uint32_t addr, const uint8_t *data, uint32_t len,
		     uint64_t *us)
{
	struct sim_xcp *x = &sim->xcp;
	uint32_t cur = addr / SIM_XCP_H7_BLOCK * SIM_XCP_H7_BLOCK, pos;

	if (x->block_base == H7_NO_BLOCK) {
		if (!h7_init_block(sim, cur))
			return false;
	} else if (x->block_base != cur) {
		h7_write_block(sim, us);
		h7_init_block(sim, cur);
	}
	pos = addr - x->block_base;
	while (len) {
		if (pos >= SIM_XCP_H7_BLOCK) {
			if (!h7_write_block(sim, us) ||
			    !h7_init_block(sim, cur + SIM_XCP_H7_BLOCK))
				return false;
			pos = 0;
		}
		x->block[pos++] = *data++;
		len--;
	}
	return true;
}

/* NvmWrite: FlashWrite of FOME's port. */
static bool nvm_write(struct dfusim *sim, uint32_t addr, const uint8_t *data, uint32_t len,
		      uint64_t *us, bool half)
{
	if (addr < sim_openblt_app_base(sim))
		return false;
	if (is_h7(sim))
		return half ? true : h7_write(sim, addr, data, len, us);
	return flash_program(sim, addr, data, len, us, half);
}

/* NvmDone: FlashWriteChecksum (H7: flush the block), FlashDone. */
static bool nvm_done(struct dfusim *sim, uint64_t *us)
{
	if (is_h7(sim) && sim->xcp.block_base != H7_NO_BLOCK)
		return h7_write_block(sim, us);
	return true;
}

static bool blank(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

/* NvmErase: FlashErase of FOME's port; half: power lost during the first
 * sector, whose first half is then erased (as the DFU side models it). */
static bool nvm_erase(struct dfusim *sim, uint32_t addr, uint32_t len, uint64_t *us,
		      bool half, char *what, size_t cap)
{
	const struct dfusim_chip *c = sim->chip;
	const struct dfusim_map *map = sim_true_map(sim);
	uint32_t a = addr, end, start, size;
	int n, count = 0;

	if (addr < sim_openblt_app_base(sim)) {
		snprintf(what, cap, "below the application base");
		return false;
	}
	if (len == 0 || (in_flash(sim, addr, len) && blank(sim->flash + (addr - c->flash_base), len))) {
		snprintf(what, cap, "already blank");
		return true;
	}
	end = addr + len - 1 < addr ? 0xFFFFFFFFu : addr + len - 1;
	while (a <= end) {
		n = sim_map_sector(map, c->flash_base, a, &start, &size);
		if (n < 0 || sim_sector_protected(sim, n)) {
			snprintf(what, cap, "%s at 0x%08x", n < 0 ? "no sector" : "protected sector",
				 (unsigned)a);
			return false;
		}
		*us += sim_erase_time(&c->t, size);
		sim_flash_erase_range(sim, start - c->flash_base, half ? size / 2 : size);
		if (n < DFUSIM_MAX_SECTORS)
			sim->stats.erases[n]++;
		count++;
		if (half)
			break;
		if (sim->quirk[DFUSIM_Q_OPENBLT_CROSS_ERASE]) {
			if (start + size - 1 < end)
				snprintf(what, cap, "sector %d only (openblt-cross-erase)", n);
			else
				snprintf(what, cap, "sector %d", n);
			return true;
		}
		if (start + size - 1 >= end || start + size == 0)
			break;
		a = start + size;
	}
	snprintf(what, cap, "%d sector%s", count, count == 1 ? "" : "s");
	return true;
}

/* The kinds a packet counts as. */
static uint64_t kinds_of(uint8_t cmd)
{
	uint64_t k = SIM_KIND(DFUSIM_K_XCP);

	switch (cmd) {
	case XCP_CMD_CONNECT: return k | SIM_KIND(DFUSIM_K_XCP_CONNECT);
	case XCP_CMD_GET_STATUS: return k | SIM_KIND(DFUSIM_K_XCP_STATUS);
	case XCP_CMD_SET_MTA: return k | SIM_KIND(DFUSIM_K_XCP_SET_MTA);
	case XCP_CMD_UPLOAD:
	case XCP_CMD_SHORT_UPLOAD: return k | SIM_KIND(DFUSIM_K_XCP_UPLOAD);
	case XCP_CMD_PROGRAM_START: return k | SIM_KIND(DFUSIM_K_XCP_START);
	case XCP_CMD_PROGRAM_CLEAR: return k | SIM_KIND(DFUSIM_K_XCP_CLEAR);
	case XCP_CMD_PROGRAM:
	case XCP_CMD_PROGRAM_MAX: return k | SIM_KIND(DFUSIM_K_XCP_PROGRAM);
	case XCP_CMD_PROGRAM_RESET: return k | SIM_KIND(DFUSIM_K_XCP_RESET);
	default: return k | SIM_KIND(DFUSIM_K_XCP_OTHER);
	}
}

/* Reads n bytes at addr as UPLOAD does (the station id at its stand-in). */
static void upload(struct dfusim *sim, uint32_t addr, uint8_t *buf, uint32_t n)
{
	uint32_t i;

	sim_cpu_read(sim, addr, buf, n);
	for (i = 0; i < n; i++)
		if (addr + i >= XCP_STATION_ID_ADDR && addr + i < XCP_STATION_ID_ADDR + 8)
			buf[i] = (uint8_t)XCP_STATION_ID[addr + i - XCP_STATION_ID_ADDR];
}

/* What one packet did, for the reply and the log. */
struct xcp_result {
	uint8_t res[XCP_MAX_CTO];
	size_t len;            /* 0: no answer */
	uint64_t model_us;     /* the work before the answer */
	bool start_app;        /* PROGRAM_RESET with a valid application */
	char what[80];
};

static void err(struct xcp_result *r, uint8_t code)
{
	r->res[0] = XCP_PID_ERR;
	r->res[1] = code;
	r->len = 2;
}

static void ok(struct xcp_result *r, size_t len)
{
	r->res[0] = XCP_PID_RES;
	r->len = len;
}

/* XcpPacketReceived for a connected target (or CONNECT); half: the power
 * goes midway through an erase or write. */
static void packet(struct dfusim *sim, const uint8_t *p, size_t len, struct xcp_result *r, bool half)
{
	struct sim_xcp *x = &sim->xcp;
	uint32_t n, i, sum;

	(void)len;
	switch (p[0]) {
	case XCP_CMD_CONNECT:
		x->connected = true;
		ok(r, 8);
		r->res[1] = XCP_RES_PGM;
		r->res[2] = 0x00;  /* Intel byte order, byte granularity */
		r->res[3] = XCP_MAX_CTO;
		r->res[4] = (uint8_t)XCP_MAX_DTO;
		r->res[5] = (uint8_t)(XCP_MAX_DTO >> 8);
		r->res[6] = 0x01;
		r->res[7] = 0x01;
		return;
	case XCP_CMD_DISCONNECT:
		x->connected = false;
		ok(r, 1);
		return;
	case XCP_CMD_GET_STATUS:
		ok(r, 6);
		return;
	case XCP_CMD_SYNCH:
		err(r, XCP_ERR_CMD_SYNCH);
		return;
	case XCP_CMD_GET_ID:
		x->mta = XCP_STATION_ID_ADDR;
		ok(r, 8);
		sim_put32(r->res + 4, (uint32_t)strlen(XCP_STATION_ID));
		return;
	case XCP_CMD_SET_MTA:
		x->mta = sim_get32(p + 4);
		snprintf(r->what, sizeof(r->what), "0x%08x", (unsigned)x->mta);
		ok(r, 1);
		return;
	case XCP_CMD_SHORT_UPLOAD:
	case XCP_CMD_UPLOAD:
		if (p[1] > XCP_MAX_CTO - 1) {
			err(r, XCP_ERR_OUT_OF_RANGE);
			return;
		}
		if (p[0] == XCP_CMD_SHORT_UPLOAD)
			x->mta = sim_get32(p + 4);
		snprintf(r->what, sizeof(r->what), "0x%08x+%u", (unsigned)x->mta, p[1]);
		upload(sim, x->mta, r->res + 1, p[1]);
		sim->stats.bytes_up += p[1];
		x->mta += p[1];
		ok(r, 1u + p[1]);
		return;
	case XCP_CMD_BUILD_CHECKSUM: {
		uint8_t b[256];
		uint32_t k, chunk;

		/* The real target sums whatever it is asked for; past the
		 * memories it would fault. The model sums at most 2 MiB. */
		n = sim_get32(p + 4);
		if (n > XCP_CHECKSUM_MAX)
			n = XCP_CHECKSUM_MAX;
		for (i = 0, sum = 0; i < n; i += chunk) {
			chunk = n - i < sizeof(b) ? n - i : (uint32_t)sizeof(b);
			sim_cpu_read(sim, x->mta + i, b, chunk);
			for (k = 0; k < chunk; k++)
				sum = (sum + b[k]) & 0xFF;
		}
		ok(r, 8);
		r->res[1] = XCP_CS_ADD11;
		sim_put32(r->res + 4, sum);
		return;
	}
	case XCP_CMD_PROGRAM_START:
		ok(r, 7);
		r->res[3] = XCP_MAX_CTO;
		return;
	case XCP_CMD_PROGRAM_CLEAR: {
		char what[56];

		n = sim_get32(p + 4);
		if (!nvm_erase(sim, x->mta, n, &r->model_us, half, what, sizeof(what)))
			err(r, XCP_ERR_GENERIC);
		else
			ok(r, 1);
		snprintf(r->what, sizeof(r->what), "0x%08x+%u: %s", (unsigned)x->mta, (unsigned)n, what);
		return;
	}
	case XCP_CMD_PROGRAM_MAX:
		snprintf(r->what, sizeof(r->what), "0x%08x+%u", (unsigned)x->mta, XCP_MAX_CTO - 1);
		if (!nvm_write(sim, x->mta, p + 1, XCP_MAX_CTO - 1, &r->model_us, half)) {
			err(r, XCP_ERR_GENERIC);
			return;
		}
		sim->stats.bytes_down += XCP_MAX_CTO - 1;
		x->mta += XCP_MAX_CTO - 1;
		ok(r, 1);
		return;
	case XCP_CMD_PROGRAM:
		if (p[1] > XCP_MAX_CTO - 2) {
			err(r, XCP_ERR_OUT_OF_RANGE);
			return;
		}
		snprintf(r->what, sizeof(r->what), "0x%08x+%u%s", (unsigned)x->mta, p[1],
			 p[1] ? "" : " (end)");
		ok(r, 1);
		if (p[1] == 0) {
			if (!nvm_done(sim, &r->model_us))
				err(r, XCP_ERR_GENERIC);
			return;
		}
		if (!nvm_write(sim, x->mta, p + 2, p[1], &r->model_us, half)) {
			err(r, XCP_ERR_GENERIC);
			return;
		}
		sim->stats.bytes_down += p[1];
		x->mta += p[1];
		return;
	case XCP_CMD_PROGRAM_RESET:
		/* CpuStartUserProgram: FlashVerifyChecksum, then the jump */
		r->model_us += XCP_CRC_CHECK_US;
		if (sim_flash_boot_mode(sim) == SIM_MODE_APP) {
			r->start_app = true;
			snprintf(r->what, sizeof(r->what), "application valid: starts");
			return;
		}
		snprintf(r->what, sizeof(r->what), "no valid application: OpenBLT stays");
		ok(r, 1);
		return;
	case XCP_CMD_PROGRAM_PREPARE:
		err(r, XCP_ERR_GENERIC);
		return;
	default:
		err(r, XCP_ERR_CMD_UNKNOWN);
		return;
	}
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case XCP_CMD_CONNECT: return "CONNECT";
	case XCP_CMD_DISCONNECT: return "DISCONNECT";
	case XCP_CMD_GET_STATUS: return "GET_STATUS";
	case XCP_CMD_SYNCH: return "SYNCH";
	case XCP_CMD_GET_ID: return "GET_ID";
	case XCP_CMD_SET_MTA: return "SET_MTA";
	case XCP_CMD_UPLOAD: return "UPLOAD";
	case XCP_CMD_SHORT_UPLOAD: return "SHORT_UPLOAD";
	case XCP_CMD_BUILD_CHECKSUM: return "BUILD_CHECKSUM";
	case XCP_CMD_PROGRAM_START: return "PROGRAM_START";
	case XCP_CMD_PROGRAM_CLEAR: return "PROGRAM_CLEAR";
	case XCP_CMD_PROGRAM: return "PROGRAM";
	case XCP_CMD_PROGRAM_RESET: return "PROGRAM_RESET";
	case XCP_CMD_PROGRAM_MAX: return "PROGRAM_MAX";
	case XCP_CMD_PROGRAM_PREPARE: return "PROGRAM_PREPARE";
	case XCP_CMD_USER: return "USER";
	default: return "?";
	}
}

/* One whole packet from the host: count, faults, run, answer. */
static void handle(struct dfusim *sim, const uint8_t *p, size_t len, uint64_t now,
		   struct dfusim_reply *reply)
{
	const struct dfusim_fault *f;
	struct xcp_result r;
	uint64_t kinds = kinds_of(p[0]), start, at;
	uint8_t out[1 + XCP_MAX_CTO];
	bool power = false;

	sim_count(sim, kinds);
	if (p[0] != XCP_CMD_CONNECT && !sim->xcp.connected) {
		sim_log(sim, "XCP %s (not connected) -> no answer", cmd_name(p[0]));
		return;
	}
	memset(&r, 0, sizeof(r));
	start = now > sim->serial_busy_until ? now : sim->serial_busy_until;
	f = sim_fault_by_count(sim, kinds);
	if (f) {
		switch (f->action) {
		case DFUSIM_FA_DISCONNECT:
			sim_log(sim, "XCP %s -> GONE (%s)", cmd_name(p[0]), f->spec);
			sim_serial_event(sim, reply, DFUSIM_EV_DISCONNECT, start);
			return;
		case DFUSIM_FA_STALL:
		case DFUSIM_FA_TIMEOUT:
		case DFUSIM_FA_MISDIRECT:
			sim_log(sim, "XCP %s -> no answer (%s)", cmd_name(p[0]), f->spec);
			return;
		case DFUSIM_FA_STATUS:
		case DFUSIM_FA_ERROR:
			err(&r, XCP_ERR_GENERIC);
			snprintf(r.what, sizeof(r.what), "(%s)", f->spec);
			goto answer;
		case DFUSIM_FA_POWERLOSS:
			power = true;
			break;
		}
	}
	packet(sim, p, len, &r, power);
	if (power) {
		sim_log(sim, "XCP %s %s -> power lost (%s)", cmd_name(p[0]), r.what, f->spec);
		sim->rom_requested = false;
		sim_serial_event(sim, reply, DFUSIM_EV_RESET_TO_DFU,
				 start + sim_scaled_us(sim, r.model_us / 2));
		return;
	}
answer:
	sim->stats.busy_model_us += r.model_us;
	at = start + sim_scaled_us(sim, XCP_ANSWER_US + r.model_us);
	if (r.start_app) {
		sim_log(sim, "XCP %s %s -> no answer event=RUN_APP", cmd_name(p[0]), r.what);
		sim_serial_event(sim, reply, DFUSIM_EV_RUN_APP, at);
		return;
	}
	if (r.len) {
		out[0] = (uint8_t)r.len;
		memcpy(out + 1, r.res, r.len);
		at += sim_scaled_us(sim, (r.len / 64 + 1) * 1000u /
				    (sim->chip->t.usb_packets_per_frame ? sim->chip->t.usb_packets_per_frame : 1));
		sim_serial_send(sim, at, out, r.len + 1);
	}
	sim->serial_busy_until = at;
	sim_log(sim, "XCP %s%s%s -> %s%02X", cmd_name(p[0]), r.what[0] ? " " : "", r.what,
		r.res[0] == XCP_PID_ERR ? "FE " : "", r.res[0] == XCP_PID_ERR ? r.res[1] : r.res[0]);
}

/* The packet reader of openblt_usb.cpp, over what arrived. */
void sim_xcp_input(struct dfusim *sim, const uint8_t *data, size_t len, uint64_t now_us,
		   struct dfusim_reply *reply)
{
	struct sim_xcp *x = &sim->xcp;
	size_t want, take;

	while (len && reply->event == DFUSIM_EV_NONE) {
		if (!x->have) {
			if (data[0] == 0 || data[0] > XCP_MAX_CTO) {
				data++;
				len--;
				continue;
			}
			x->pkt[0] = data[0];
			x->have = 1;
			data++;
			len--;
			continue;
		}
		want = (size_t)x->pkt[0] + 1 - x->have;
		take = len < want ? len : want;
		memcpy(x->pkt + x->have, data, take);
		x->have += take;
		data += take;
		len -= take;
		if (x->have == (size_t)x->pkt[0] + 1) {
			x->have = 0;
			handle(sim, x->pkt + 1, x->pkt[0], now_us, reply);
		}
	}
}
