/*
 * ops.c - what the ROM does when the first GETSTATUS after a DNLOAD arrives
 * (AN3156 section 6: the operation runs then, and that GETSTATUS answers
 * dfuDNBUSY with the poll timeout the ROM reports), uploads, and how long
 * each takes in model time.
 *
 * Status choices where the ROM's answer is not published:
 *  - an address outside the alternate setting's memory: errTARGET (AN3156);
 *    AN2662 (F105/F107 ROM) allows any flash, RAM, system-memory or
 *    option-byte address at SET_ADDRESS whatever the alt; we check
 *    against the alt, as this project's issue asks;
 *  - any flash access while RDP is level 1: errVENDOR (AN3156), except the
 *    option bytes, which stay readable and writable (how RDP is lowered).
 *    SET_ADDRESS on the flash alt too, as F4 logs show (REFERENCE.md),
 *    although AN2662 says the F105/F107 ROM executes it under ROP;
 *  - erasing a write-protected sector: errTARGET, because the ROM refuses
 *    the sector as a target before starting, as for a bad address;
 *  - programming into a write-protected sector: errWRITE, because the flash
 *    controller rejects the program operation (WRPERR) once started;
 *  - a mass erase with any protected sector: errERASE (the controller
 *    refuses the whole erase);
 *  - plain DFU 1.1 data past the end of flash: errADDRESS.
 */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

enum run_mode {
	RUN_FULL,   /* the operation completes */
	RUN_HALF,   /* power is lost halfway */
	RUN_NONE,   /* a fault makes it fail before it changes anything */
};

/* Full-speed bus time of a control transfer: its 64-byte data packets
 * plus setup and status, usb_packets_per_frame to a 1 ms frame, in whole
 * frames. */
uint64_t sim_transfer_us(const struct dfusim *sim, size_t len)
{
	uint64_t packets = (len + 63) / 64 + 2;  /* data + setup + status */
	uint64_t ppf = sim->chip->t.usb_packets_per_frame;

	if (!ppf)
		ppf = 1;
	return (packets + ppf - 1) / ppf * 1000;
}

/* AN3156: a data block's address is (wBlockNum - 2) * wTransferSize
 * from the address pointer. */
uint32_t sim_block_addr(const struct dfusim *sim, uint16_t block)
{
	return (uint32_t)(block - DFUSE_FIRST_BLOCK) * sim->chip->transfer_size + sim->addr_ptr;
}

/* Model time to erase a sector of this size. */
uint32_t sim_erase_time(const struct dfusim_timing *t, uint32_t size)
{
	size_t i;
	uint32_t best = 0;

	for (i = 0; i < DFUSIM_ARRAY_SIZE(t->erase) && t->erase[i].size; i++) {
		if (t->erase[i].size == size)
			return t->erase[i].us;
		best = t->erase[i].us;
	}
	return best;  /* a size the table lacks: the largest's time */
}

/* Model time to program len bytes, a flash word at a time. */
static uint32_t program_time(const struct dfusim_timing *t, uint32_t len)
{
	uint32_t wb = t->word_bytes ? t->word_bytes : 4;

	return (len + wb - 1) / wb * t->program_word_us;
}

/* Whether the current alternate setting is the flash. */
static bool flash_alt(const struct dfusim *sim)
{
	return sim->alt < sim->chip->nalts && sim->chip->alt_mem[sim->alt] == DFUSIM_MEM_FLASH;
}

/* SET_ADDRESS (0x21): the pointer must lie in the alt's memory. */
static void op_set_address(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	uint32_t avail;

	op->poll_ms = sim->chip->t.poll_set_address_ms;
	op->model_us = sim->chip->t.set_address_us;
	snprintf(op->what, sizeof(op->what), "SET_ADDRESS 0x%08x", (unsigned)op->addr);
	if (flash_alt(sim) && sim_rdp_level(sim))
		op->result = DFU_STATUS_ERR_VENDOR;
	else if (!sim_mem_at(sim, sim->alt, op->addr, &avail))
		op->result = DFU_STATUS_ERR_TARGET;
	else if (mode == RUN_FULL)
		sim->addr_ptr = op->addr;
}

/* Sector erase (0x41 + address): the sector holding the address, by the
 * true map, or by the f7-dualbank-erase quirk's arithmetic. */
static void op_erase(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_chip *c = sim->chip;
	const struct dfusim_map *map = sim_true_map(sim);
	uint32_t start = 0, size = 0;
	int n;
	bool quirk = false;

	op->poll_ms = c->t.poll_erase_ms;
	snprintf(op->what, sizeof(op->what), "ERASE 0x%08x", (unsigned)op->addr);
	if (!flash_alt(sim)) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	if (sim_rdp_level(sim)) {
		op->result = DFU_STATUS_ERR_VENDOR;
		return;
	}
	n = sim_map_sector(map, c->flash_base, op->addr, &start, &size);
	if (n >= 0 && sim_dual_bank(sim) && sim->quirk[DFUSIM_Q_F7_DUALBANK_ERASE]) {
		/* The ROM numbers the sector by the single-bank map and puts
		 * that number in FLASH_CR.SNB as it is; the controller reads
		 * SNB by the dual-bank map. The number is always below 12, so
		 * bank 2 (SNB 0x10 and up) is never erased; a number the
		 * dual-bank map lacks (8-11 on a 1 MB part) erases nothing,
		 * and the ROM reports success all the same. */
		uint32_t s_start, s_size;
		int rom_n = sim_map_sector(&c->map_single, c->flash_base, op->addr,
					   &s_start, &s_size);

		quirk = true;
		n = rom_n < 0 ? -1 : sim_snb_sector(sim, (unsigned)rom_n);
		if (rom_n >= 0 && n < 0) {
			snprintf(op->what, sizeof(op->what),
				 "ERASE 0x%08x SNB %d: no such sector, nothing erased "
				 "(f7-dualbank-erase)", (unsigned)op->addr, rom_n);
			return;
		}
		if (n >= 0)
			sim_map_nth(map, c->flash_base, n, &start, &size);
	}
	if (n >= 0 && mode == RUN_FULL && op->fault && op->fault->action == DFUSIM_FA_MISDIRECT) {
		/* The misdirect fault: the ROM says it erased the sector but
		 * erased the one before it (nothing before sector 0). */
		int before = -1;

		snprintf(op->what, sizeof(op->what), "ERASE 0x%08x misdirected to %s (misdirect)",
			 (unsigned)op->addr, start > c->flash_base ? "the sector before" : "nothing");
		op->model_us = sim_erase_time(&c->t, size);
		if (start > c->flash_base)
			before = sim_map_sector(map, c->flash_base, start - 1, &start, &size);
		if (before < 0)
			return;
		sim_flash_erase_range(sim, start - c->flash_base, size);
		if (before < DFUSIM_MAX_SECTORS)
			sim->stats.erases[before]++;
		return;
	}
	if (n < 0) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	if (sim_sector_protected(sim, n)) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	snprintf(op->what, sizeof(op->what), "ERASE 0x%08x sector %d 0x%08x+%u%s",
		 (unsigned)op->addr, n, (unsigned)start, (unsigned)size,
		 quirk ? " (f7-dualbank-erase)" : "");
	op->model_us = sim_erase_time(&c->t, size);
	if (mode == RUN_NONE)
		return;
	sim_flash_erase_range(sim, start - c->flash_base, mode == RUN_HALF ? size / 2 : size);
	if (n < DFUSIM_MAX_SECTORS)
		sim->stats.erases[n]++;
	if (sim->quirk[DFUSIM_Q_H7_STUCK_BUSY] && start - c->flash_base >= 1024u * 1024u)
		op->stuck = true;
}

/* Whether nWRP protects any sector. */
static bool any_protected(const struct dfusim *sim)
{
	const struct dfusim_map *map = sim_true_map(sim);
	size_t n, end = sim_map_end(map);
	uint32_t start, size;

	for (n = 0; n < end; n++)
		if (!sim_map_nth(map, sim->chip->flash_base, (int)n, &start, &size) &&
		    sim_sector_protected(sim, (int)n))
			return true;
	return false;
}

/* Mass erase (0x41 alone): the whole flash, both banks. */
static void op_mass_erase(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_timing *t = &sim->chip->t;

	snprintf(op->what, sizeof(op->what), "MASS_ERASE");
	op->model_us = t->mass_erase_us;
	/* The F4 ROM says 100 ms whatever the erase takes; an honest ROM
	 * would say how long it really needs. */
	op->poll_ms = sim->quirk[DFUSIM_Q_F405_MASSERASE_TIMEOUT] ?
		      t->poll_mass_erase_ms : (t->mass_erase_us + 999) / 1000;
	if (sim_rdp_level(sim)) {
		op->result = DFU_STATUS_ERR_VENDOR;
		return;
	}
	if (any_protected(sim)) {
		op->result = DFU_STATUS_ERR_ERASE;
		return;
	}
	if (mode == RUN_NONE)
		return;
	sim_flash_erase_range(sim, 0, mode == RUN_HALF ? sim->chip->flash_size / 2 :
			      sim->chip->flash_size);
	sim->stats.mass_erases++;
}

/* READ UNPROTECT (0x92): mass erase, RDP to 0xAA, reset. */
static void op_unprotect(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_timing *t = &sim->chip->t;

	snprintf(op->what, sizeof(op->what), "READ_UNPROTECT");
	op->model_us = (uint64_t)t->mass_erase_us + t->option_write_us;
	op->poll_ms = t->poll_unprotect_ms;
	op->event = DFUSIM_EV_RESET_TO_DFU;
	if (mode == RUN_NONE)
		return;
	sim_flash_erase_range(sim, 0, mode == RUN_HALF ? sim->chip->flash_size / 2 :
			      sim->chip->flash_size);
	if (mode == RUN_FULL) {
		uint8_t aa = 0xAA;

		/* RDP is byte 1 of every family's image; on the H7 the
		 * programmed value comes from OPTSR_PRG. */
		sim_ob_write(sim, sim->chip->ob_format == DFUSIM_OB_H7 ? 5 : 1, &aa, 1);
		sim->stats.unprotects++;
	}
}

/* A data block to the option bytes: applied, then the chip resets. */
static void op_option_write(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_timing *t = &sim->chip->t;
	uint32_t avail;
	uint8_t *p = sim_mem_at(sim, sim->alt, op->addr, &avail);

	snprintf(op->what, sizeof(op->what), "OPTION_WRITE 0x%08x+%u", (unsigned)op->addr,
		 (unsigned)op->len);
	op->model_us = t->option_write_us;
	op->poll_ms = t->poll_option_ms;
	if (!p || avail < op->len) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	/* Writing the option bytes always ends in a reset (REFERENCE.md). */
	op->event = DFUSIM_EV_RESET_TO_DFU;
	if (mode != RUN_FULL)
		return;
	if (sim_ob_write(sim, (uint32_t)(p - sim->ob), sim->opbuf, op->len)) {
		/* RDP 1 -> 0: the hardware mass-erases first. */
		sim_flash_erase_range(sim, 0, sim->chip->flash_size);
		op->model_us += t->mass_erase_us;
	}
	sim->stats.option_writes++;
	if (sim_rdp_level(sim) == 2)
		op->event = DFUSIM_EV_DISCONNECT;  /* level 2 disables the ROM */
}

/* A DfuSe data block to flash or OTP: NOR programming, no verify. */
static void op_write(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_chip *c = sim->chip;
	uint32_t avail, off, end;
	uint8_t *p;
	int n;

	snprintf(op->what, sizeof(op->what), "WRITE 0x%08x+%u", (unsigned)op->addr,
		 (unsigned)op->len);
	op->poll_ms = c->t.poll_write_ms;
	op->model_us = program_time(&c->t, op->len);
	if (sim->alt >= c->nalts) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	switch (c->alt_mem[sim->alt]) {
	case DFUSIM_MEM_FEATURE:
	case DFUSIM_MEM_OPTION:  /* handled by op_option_write */
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	case DFUSIM_MEM_OTP:
		p = sim_mem_at(sim, sim->alt, op->addr, &avail);
		if (!p || avail < op->len) {
			op->result = DFU_STATUS_ERR_TARGET;
			return;
		}
		if (mode != RUN_NONE) {
			uint32_t i, len = mode == RUN_HALF ? op->len / 2 : op->len;

			for (i = 0; i < len; i++)
				p[i] &= sim->opbuf[i];
		}
		return;
	case DFUSIM_MEM_FLASH:
		break;
	}
	/* AN2662's Write Memory flow (the F105/F107 ROM, the only one
	 * drawn): the address is checked before read protection. */
	if (!sim_mem_at(sim, sim->alt, op->addr, &avail) || avail < op->len) {
		op->result = DFU_STATUS_ERR_TARGET;
		return;
	}
	if (sim_rdp_level(sim)) {
		op->result = DFU_STATUS_ERR_VENDOR;
		return;
	}
	off = op->addr - c->flash_base;
	end = off + op->len;
	for (; off < end; ) {
		uint32_t start, size;

		n = sim_map_sector(sim_true_map(sim), c->flash_base, c->flash_base + off,
				   &start, &size);
		if (n < 0 || sim_sector_protected(sim, n)) {
			op->result = DFU_STATUS_ERR_WRITE;
			return;
		}
		off = start - c->flash_base + size;
	}
	if (mode != RUN_NONE)
		sim_flash_program(sim, op->addr - c->flash_base, sim->opbuf,
				  mode == RUN_HALF ? op->len / 2 : op->len);
}

/* Plain DFU 1.1: blocks go one after another from the flash base; the first
 * block of a download erases the whole flash first. */
static void op_plain_write(struct dfusim *sim, struct dfusim_op *op, enum run_mode mode)
{
	const struct dfusim_chip *c = sim->chip;

	snprintf(op->what, sizeof(op->what), "WRITE block %u at +%u len %u",
		 (unsigned)op->block, (unsigned)sim->plain_offset, (unsigned)op->len);
	op->poll_ms = c->t.poll_write_ms;
	op->model_us = program_time(&c->t, op->len);
	if (sim->plain_offset > c->flash_size || op->len > c->flash_size - sim->plain_offset) {
		op->result = DFU_STATUS_ERR_ADDRESS;
		return;
	}
	if (!sim->plain_erased) {
		op->model_us += c->t.mass_erase_us;
		op->poll_ms += c->t.poll_erase_ms;
	}
	if (mode == RUN_NONE)
		return;
	if (!sim->plain_erased) {
		sim_flash_erase_range(sim, 0, c->flash_size);
		sim->stats.mass_erases++;
		sim->plain_erased = true;
	}
	sim_flash_program(sim, sim->plain_offset, sim->opbuf,
			  mode == RUN_HALF ? op->len / 2 : op->len);
	sim->plain_offset += op->len;
}

/* Runs the pending op as the ROM does at the first GETSTATUS after the
 * DNLOAD; a status fault makes it fail untouched, a power-loss fault
 * stops it halfway and resets the chip. */
void sim_op_run(struct dfusim *sim)
{
	struct dfusim_op *op = &sim->op;
	enum run_mode mode = RUN_FULL;

	op->result = DFU_STATUS_OK;
	op->model_us = 0;
	op->poll_ms = 0;
	op->event = DFUSIM_EV_NONE;
	op->stuck = false;
	op->what[0] = '\0';
	if (op->fault && op->fault->action == DFUSIM_FA_STATUS)
		mode = RUN_NONE;
	else if (op->fault && op->fault->action == DFUSIM_FA_POWERLOSS)
		mode = RUN_HALF;

	switch (op->kind) {
	case DFUSIM_OP_NONE:
		break;
	case DFUSIM_OP_GET_COMMANDS:
		snprintf(op->what, sizeof(op->what), "GET_COMMANDS");
		op->poll_ms = sim->chip->t.poll_set_address_ms;
		break;
	case DFUSIM_OP_SET_ADDRESS:
		op_set_address(sim, op, mode);
		break;
	case DFUSIM_OP_ERASE:
		op_erase(sim, op, mode);
		break;
	case DFUSIM_OP_MASS_ERASE:
		op_mass_erase(sim, op, mode);
		break;
	case DFUSIM_OP_UNPROTECT:
		op_unprotect(sim, op, mode);
		break;
	case DFUSIM_OP_WRITE:
		if (sim->chip->dfuse)
			op_write(sim, op, mode);
		else
			op_plain_write(sim, op, mode);
		break;
	case DFUSIM_OP_OPTION_WRITE:
		op_option_write(sim, op, mode);
		break;
	case DFUSIM_OP_LEAVE:
		snprintf(op->what, sizeof(op->what), "LEAVE 0x%08x", (unsigned)sim->addr_ptr);
		op->poll_ms = sim->chip->t.poll_leave_ms;
		op->model_us = sim->chip->t.set_address_us;
		op->event = DFUSIM_EV_RUN_APP;
		break;
	}
	if (mode == RUN_NONE) {
		op->result = op->fault->status;
		op->stuck = false;
		if (op->event != DFUSIM_EV_RUN_APP)
			op->event = DFUSIM_EV_NONE;
	} else if (mode == RUN_HALF) {
		op->model_us /= 2;
		op->stuck = false;
		op->event = DFUSIM_EV_RESET_TO_DFU;
		op->result = DFU_STATUS_OK;
	} else if (op->result != DFU_STATUS_OK && op->event != DFUSIM_EV_RUN_APP) {
		op->event = DFUSIM_EV_NONE;
	}
	sim->stats.busy_model_us += op->model_us;
}

/* Reads an UPLOAD block's bytes, or says why it stalls. */
int sim_upload(struct dfusim *sim, uint16_t block, uint8_t *buf, uint32_t len,
	       enum dfu_status_code *status)
{
	const struct dfusim_chip *c = sim->chip;
	uint32_t addr, avail, n;
	uint8_t *p;

	if (!c->dfuse) {
		n = sim->plain_offset < c->flash_size ? c->flash_size - sim->plain_offset : 0;
		if (n > len)
			n = len;
		memcpy(buf, sim->flash + sim->plain_offset, n);
		sim->plain_offset += n;
		return (int)n;
	}
	addr = sim_block_addr(sim, block);
	if (flash_alt(sim) && sim_rdp_level(sim)) {
		*status = DFU_STATUS_ERR_VENDOR;
		return -1;
	}
	p = sim_mem_at(sim, sim->alt, addr, &avail);
	if (!p) {
		*status = DFU_STATUS_ERR_TARGET;
		return -1;
	}
	/* A read that runs past the end of the memory comes back short,
	 * which ends the upload for every host. */
	n = len < avail ? len : avail;
	memcpy(buf, p, n);
	return (int)n;
}
