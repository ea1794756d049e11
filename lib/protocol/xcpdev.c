/*
 * xcpdev.c - the OpenBLT route: a device handle whose memory is reached
 * through OpenBLT's XCP on the ECU's serial port instead of the ROM's DFU.
 *
 * The engine does not know the difference: the handle has one "alt", the
 * main flash, with the chip's TRUE sector map (identified from the chip's
 * own registers, read with UPLOAD), and the memory functions of memory.c
 * and dfuse.c hand XCP devices to the functions here. What differs:
 *  - an erase is one PROGRAM_CLEAR of exactly one sector of the true map,
 *    so no erase request ever crosses a sector boundary (rusEFI 8515: one
 *    that did erased only its first sector on some F7 boards);
 *  - the sectors below the application base hold OpenBLT itself, which
 *    refuses to erase or program them: the map marks them read-only, so
 *    a plan that touches them is refused before anything changes;
 *  - writes go in PROGRAM_MAX packets (239 bytes), or in PROGRAM packets
 *    of whole flash words on parts that program 32-byte words (H7), and
 *    PROGRAM with no data ends programming before anything is read back;
 *  - there is no mass erase, no option-byte access, and "leave" is
 *    PROGRAM_RESET.
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long OpenBLT may take to answer its first CONNECT after it came up
 * (dfu_xcp_connect() retries within it). */
#define XCP_CONNECT_MS 2000u

/* The identity registers (REFERENCE.md "FOME specifics"; RM0090, RM0410,
 * RM0433): DBGMCU_IDCODE, flash size in KiB, the 96-bit unique ID and the
 * option control register, read through UPLOAD. */
struct id_regs {
	uint32_t idcode, flash_kib_at, uid, optcr;
};
static const struct id_regs regs_f4f7[] = {
	{ 0xE0042000u, 0x1FFF7A22u, 0x1FFF7A10u, 0x40023C14u },  /* F4 */
	{ 0xE0042000u, 0x1FF0F442u, 0x1FF0F420u, 0x40023C14u },  /* F7 */
};
static const struct id_regs regs_h7 = { 0x5C001000u, 0x1FF1E880u, 0x1FF1E800u, 0x5200201Cu };

/* What an XCP device keeps: the port and the XCP session on it. */
struct xcp_link {
	struct dfu_serial *port;
	struct dfu_xcp xcp;
	bool programming;          /* PROGRAM packets sent since the last end */
};

static struct xcp_link *link_of(struct dfu_dev *dev)
{
	return dev->user;
}

/* The transport ops of an XCP device: it has no control endpoint. */
static int no_control_out(void *user, uint8_t type, uint8_t request, uint16_t value,
			  uint16_t index, const uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	(void)user, (void)type, (void)request, (void)value, (void)index, (void)data, (void)len;
	(void)timeout_ms;
	return DFU_ERR_UNSUPPORTED;
}

static int no_control_in(void *user, uint8_t type, uint8_t request, uint16_t value,
			 uint16_t index, uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	(void)user, (void)type, (void)request, (void)value, (void)index, (void)data, (void)len;
	(void)timeout_ms;
	return DFU_ERR_UNSUPPORTED;
}

static void link_close(void *user)
{
	struct xcp_link *l = user;

	if (!l)
		return;
	dfu_serial_close(l->port);
	free(l);
}

/* See protocol.h. */
int dfu_xcp_dev_read(struct dfu_dev *dev, const char *verb, uint32_t address, uint8_t *buf,
		     size_t len, struct dfu_mem_progress *pr)
{
	struct dfu_xcp *x = &link_of(dev)->xcp;
	size_t max = (size_t)(x->max_dto ? x->max_dto : XCP_MAX_DTO) - 1, off = 0, step = 0;
	char what[64];
	int err;

	if (max > 255)
		max = 255;
	err = dfu_xcp_set_mta(x, address);
	while (!err && off < len) {
		uint8_t n = (uint8_t)(len - off < max ? len - off : max);

		err = dfu_xcp_upload(x, buf + off, n);
		off += n;
		step += n;
		/* Report about every 4 KiB: the callback is the cancel point. */
		if (!err && (step >= 4096 || off == len)) {
			err = dfu_mem_report(dev, pr, step, address + (uint32_t)off);
			step = 0;
		}
	}
	if (err && err != DFU_ERR_CANCELLED) {
		snprintf(what, sizeof(what), "%s at 0x%08X", verb, (unsigned)(address + off));
		return dfu_fail_during(dev->ctx, err, what);
	}
	return err;
}

/* See protocol.h. */
int dfu_xcp_dev_write(struct dfu_dev *dev, uint32_t address, const uint8_t *data, size_t len,
		      struct dfu_mem_progress *pr)
{
	struct xcp_link *l = link_of(dev);
	struct dfu_xcp *x = &l->xcp;
	size_t cto = x->max_cto ? x->max_cto : XCP_MAX_CTO;
	size_t off = 0, step = 0;
	bool bits_only;
	unsigned word = dfu_chip_program_word(&dev->probe.chip, &bits_only);
	char what[64];
	int err;

	err = dfu_xcp_set_mta(x, address);
	l->programming = true;
	while (!err && off < len) {
		size_t left = len - off, n;

		if (word <= 4 && left >= cto - 1) {
			/* The common case: a full PROGRAM_MAX. */
			n = cto - 1;
			err = dfu_xcp_program_max(x, data + off);
		} else {
			/* PROGRAM carries at most cto - 2 bytes; on a part
			 * that programs whole flash words (H7: 32 bytes,
			 * once each) a packet never splits a word. */
			n = cto - 2;
			if (word > 4)
				n -= n % word;
			if (n > left)
				n = left;
			err = dfu_xcp_program(x, data + off, (uint8_t)n);
		}
		off += n;
		step += n;
		if (!err && (step >= 4096 || off == len)) {
			err = dfu_mem_report(dev, pr, step, address + (uint32_t)off);
			step = 0;
		}
	}
	if (err && err != DFU_ERR_CANCELLED) {
		snprintf(what, sizeof(what), "write at 0x%08X", (unsigned)(address + off));
		return dfu_fail_during(dev->ctx, err, what);
	}
	return err;
}

/* See protocol.h. */
int dfu_xcp_dev_end_writes(struct dfu_dev *dev)
{
	struct xcp_link *l = link_of(dev);
	int err;

	if (!l->programming)
		return DFU_OK;
	/* PROGRAM with no data: OpenBLT finishes programming (writes what it
	 * buffered) before anything is read back. */
	err = dfu_xcp_program(&l->xcp, NULL, 0);
	if (err)
		return dfu_fail_during(dev->ctx, err, "the end of programming");
	l->programming = false;
	return DFU_OK;
}

/* See protocol.h. */
int dfu_xcp_dev_erase(struct dfu_dev *dev, uint32_t address)
{
	const struct dfu_sector *s = dev->probe.true_map ?
				     dfu_layout_find(dev->probe.true_map, address) : NULL;
	struct dfu_xcp *x = &link_of(dev)->xcp;
	char what[80];
	int err;

	if (!s || s->address != address)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG,
				"0x%08X is not the start of a sector", (unsigned)address);
	if (!(s->flags & DFU_SECTOR_ERASABLE))
		return dfu_fail(dev->ctx, DFU_ERR_RANGE,
				"sector %u (0x%08X) holds OpenBLT itself, which cannot erase it",
				s->number, (unsigned)address);
	snprintf(what, sizeof(what), "erase of sector %u (0x%08X, %u KiB)", s->number,
		 (unsigned)address, (unsigned)(s->size / 1024));
	/* Exactly one sector per request: never across a boundary. */
	err = dfu_xcp_set_mta(x, address);
	if (!err)
		err = dfu_xcp_program_clear(x, s->size);
	return err ? dfu_fail_during(dev->ctx, err, what) : DFU_OK;
}

/* See protocol.h. */
int dfu_xcp_dev_reset(struct dfu_dev *dev)
{
	int err = dfu_xcp_dev_end_writes(dev);

	if (!err)
		err = dfu_xcp_program_reset(&link_of(dev)->xcp);
	return err ? dfu_fail_during(dev->ctx, err, "the reset into the firmware") : DFU_OK;
}

/* Reads a little-endian u32 (or u16 when n == 2) at address. */
static int read_reg(struct dfu_dev *dev, uint32_t address, unsigned n, uint32_t *out)
{
	uint8_t b[4] = { 0 };
	int err = dfu_xcp_dev_read(dev, "read", address, b, n, NULL);

	*out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return err;
}

/* The chip from its registers: F4/F7 first (the same IDCODE address),
 * then the H7's. Fills dev->probe and the device's one alt. */
static int identify(struct dfu_dev *dev)
{
	const struct id_regs *regs = NULL;
	struct dfu_layout *rom = NULL;
	uint32_t idcode = 0, kib = 0, optcr = 0;
	uint8_t uid[12];
	size_t i;
	int err;

	err = read_reg(dev, regs_f4f7[0].idcode, 4, &idcode);
	if (!err && (idcode & 0xFFF) != 0) {
		uint16_t id = idcode & 0xFFF;

		regs = (id == 0x449 || id == 0x451 || id == 0x452) ? &regs_f4f7[1] : &regs_f4f7[0];
	} else if (!err || err == DFU_ERR_DEVICE) {
		err = read_reg(dev, regs_h7.idcode, 4, &idcode);
		regs = &regs_h7;
	}
	if (!err)
		err = read_reg(dev, regs->flash_kib_at, 2, &kib);
	if (!err)
		err = dfu_xcp_dev_read(dev, "read", regs->uid, uid, sizeof(uid), NULL);
	if (!err)
		err = read_reg(dev, regs->optcr, 4, &optcr);
	if (err)
		return dfu_fail_during(dev->ctx, err, "reading the chip's identity through OpenBLT");
	err = dfu_chip_from_registers((uint16_t)(idcode & 0xFFF), kib & 0xFFFF, &rom,
				      &dev->probe.chip);
	if (err)
		return dfu_fail(dev->ctx, err, "OpenBLT runs on a chip we do not know (DEV_ID "
				"0x%03X, %u KiB of flash): its sector map is unknown, so nothing "
				"can be planned on it", (unsigned)(idcode & 0xFFF),
				(unsigned)(kib & 0xFFFF));
	/* F76x/F77x: FLASH_OPTCR bit 29 is nDBANK (RM0410 3.7.12); 0 means
	 * dual bank. */
	dev->probe.dual_bank = (idcode & 0xFFF) == 0x451 && !(optcr & (1u << 29));
	err = dfu_chip_true_map(dev->ctx, rom, dev->probe.dual_bank, &dev->probe.true_map);
	dfu_layout_free(rom);
	if (err)
		return err;
	/* The serial FOME's USB descriptor shows: the UID bytes in memory
	 * order, two upper-case hex digits each (usbPopulateSerialNumber()). */
	for (i = 0; i < sizeof(uid); i++)
		snprintf(dev->info.serial + 2 * i, sizeof(dev->info.serial) - 2 * i, "%02X", uid[i]);
	return dfu_dev_add_alt(dev, 0, "Internal Flash, through OpenBLT");
}

/* Marks the sectors below the application base read-only: OpenBLT is
 * there and refuses to erase or program them. */
static void protect_bootloader(struct dfu_dev *dev, uint32_t app_base)
{
	struct dfu_layout *m = dev->probe.true_map;
	size_t i;

	for (i = 0; m && i < m->count; i++)
		if (m->sectors[i].address < app_base)
			m->sectors[i].flags &= ~(unsigned)(DFU_SECTOR_ERASABLE | DFU_SECTOR_WRITABLE);
}

/* See protocol.h. */
int dfu_xcp_dev_open(struct dfu_ctx *ctx, const char *port_path, struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	struct xcp_link *l;
	struct dfu_transport_ops ops;
	uint32_t app_base;
	int err;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	err = dfu_serial_open(ctx, port_path, &l->port);
	if (err) {
		free(l);
		return err;
	}
	/* OpenBLT answers CONNECT once it is up; it may still be starting. */
	err = dfu_xcp_connect(&l->xcp, ctx, l->port, XCP_CONNECT_MS);
	if (!err)
		err = dfu_xcp_program_start(&l->xcp);
	if (err) {
		char why[400];

		snprintf(why, sizeof(why), "%s", dfu_detail(ctx));
		link_close(l);
		return dfu_fail(ctx, err, "%s does not answer as OpenBLT: %s", port_path, why);
	}
	err = dfu_dev_alloc(ctx, &dev);
	if (err) {
		link_close(l);
		return err;
	}
	memset(&ops, 0, sizeof(ops));
	ops.control_out = no_control_out;
	ops.control_in = no_control_in;
	ops.close = link_close;
	dfu_dev_attach(dev, &ops, l);
	dev->route_xcp = true;
	dev->info.id_vendor = FOME_USB_VID;
	dev->info.id_product = FOME_USB_PID;
	dev->info.dfuse = true;
	snprintf(dev->info.product, sizeof(dev->info.product), "OpenBLT on %s", port_path);
	err = identify(dev);
	if (!err) {
		app_base = dfu_fome_openblt_app_base(dev->probe.chip.name);
		if (!app_base)
			err = dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "where OpenBLT's application starts "
				       "on a %s is unknown", dev->probe.chip.name);
		else
			protect_bootloader(dev, app_base);
	}
	if (!err)
		err = dfu_layout_copy(ctx, dev->probe.true_map, &dev->layouts[0]);
	if (!err)
		dev->alts[0].layout = dev->layouts[0];
	if (err) {
		dfu_dev_close(dev);
		return err;
	}
	dev->probe.done = true;
	dev->probe.flash_index = 0;
	dev->probe.ob_err = DFU_ERR_UNSUPPORTED;
	snprintf(dev->probe.ob_why, sizeof(dev->probe.ob_why),
		 "option bytes cannot be read through OpenBLT");
	dev->cur_alt = 0;
	*out = dev;
	return DFU_OK;
}
