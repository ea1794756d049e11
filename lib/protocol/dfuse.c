/*
 * dfuse.c - ST DfuSe commands (AN3156 section 6): set address, erase,
 * mass erase, read unprotect, and leaving DFU mode.
 *
 * A command is a DNLOAD with wValue 0 carrying the command byte and a
 * little-endian address; the ROM carries it out on the first GETSTATUS
 * that follows (dfuDNBUSY with a poll timeout), and the next GETSTATUS
 * reports the result.
 */
#include "protocol.h"

#include <stdio.h>

/* Sends one command with an optional address and waits for its result;
 * op and size name it for learning its busy time (polltime.c). */
static int dfuse_command(struct dfu_dev *dev, uint8_t cmd, bool has_address,
			 uint32_t address, enum dfu_poll_kind kind, enum dfu_busy_op op,
			 uint32_t size, const char *what)
{
	uint8_t b[5];
	uint16_t len = 1;
	int err;

	b[0] = cmd;
	if (has_address) {
		b[1] = (uint8_t)address;
		b[2] = (uint8_t)(address >> 8);
		b[3] = (uint8_t)(address >> 16);
		b[4] = (uint8_t)(address >> 24);
		len = 5;
	}
	err = dfu_dnload(dev, 0, b, len);
	/* Name the command, as dfu_poll_done() does for its failures: a
	 * stall or a disconnect here is as much the erase's as a dfuERROR
	 * status is. */
	if (err)
		return dfu_fail_during(dev->ctx, err, what);
	return dfu_poll_done_op(dev, kind, op, size, what, NULL);
}

/* AN3156 6.2: "Set Address Pointer" (0x21); later data blocks count from
 * here. */
int dfuse_set_address(struct dfu_dev *dev, uint32_t address)
{
	char what[64];
	int err;

	snprintf(what, sizeof(what), "set address 0x%08X", (unsigned)address);
	err = dfuse_command(dev, DFUSE_CMD_SET_ADDRESS, true, address, DFU_POLL_COMMAND,
			    DFU_BUSY_SET_ADDRESS, 0, what);
	if (err) {
		dev->address_known = false;
		return err;
	}
	dev->dfuse_address = address;
	dev->address_known = true;
	return DFU_OK;
}

/* AN3156 6.3: "Erase" (0x41 + address) erases the page holding address. */
int dfuse_erase_page(struct dfu_dev *dev, uint32_t address)
{
	const struct dfu_layout *l = dfu_dev_layout(dev);
	const struct dfu_sector *s = l ? dfu_layout_find(l, address) : NULL;
	char what[64];

	if (dev->route_xcp)
		return dfu_xcp_dev_erase(dev, address);
	snprintf(what, sizeof(what), "erase at 0x%08X", (unsigned)address);
	/* ST's device library (usbd_dfu.c) moves the address pointer to
	 * the sector erased; dfusim leaves it. Either way it is no longer
	 * known. */
	dev->address_known = false;
	/* Erases of one size take one time: learned by the size the ROM's
	 * layout gives the sector. */
	return dfuse_command(dev, DFUSE_CMD_ERASE, true, address, DFU_POLL_COMMAND,
			     DFU_BUSY_ERASE, s ? s->size : 0, what);
}

/* AN3156 6.3: 0x41 alone is a mass erase. The STM32F405 answers with a
 * 100 ms poll timeout and then erases for seconds: the quirk table's
 * mass-erase rules say how long to wait (f405-masserase-timeout). */
int dfuse_mass_erase(struct dfu_dev *dev)
{
	if (dev->route_xcp)
		return dfu_fail(dev->ctx, DFU_ERR_UNSUPPORTED,
				"OpenBLT has no mass erase (and cannot erase itself); "
				"a mass erase needs the ROM DFU bootloader");
	dev->address_known = false;
	return dfuse_command(dev, DFUSE_CMD_ERASE, false, 0, DFU_POLL_MASS_ERASE,
			     DFU_BUSY_OTHER, 0, "mass erase");
}

/* AN3156 6.5: "Read Unprotect" (0x92): the ROM wipes the flash, clears
 * the protection and resets, so the device leaves the bus on the way. */
int dfuse_unprotect(struct dfu_dev *dev)
{
	uint8_t cmd = DFUSE_CMD_READ_UNPROTECT;
	struct dfu_status st;
	int err;

	dev->address_known = false;
	err = dfu_dnload(dev, 0, &cmd, 1);
	if (err)
		return err;
	err = dfu_get_status(dev, &st);
	if (err == DFU_ERR_DISCONNECTED || err == DFU_ERR_STALL || err == DFU_ERR_USB)
		return DFU_OK;
	if (err)
		return err;
	if (st.state == DFU_STATE_ERROR)
		return dfu_status_error(dev, &st, "read unprotect");
	return DFU_OK;
}

/* Leaves DFU mode: DfuSe's zero-length DNLOAD (AN3156 6.4), or a bus
 * reset for plain DFU; then waits, bounded, for the device to go. */
int dfu_leave(struct dfu_dev *dev, bool has_address, uint32_t address,
	      unsigned wait_ms, struct dfu_flash_result *out)
{
	struct dfu_flash_result res = { 0 };
	struct dfu_status st;
	unsigned waited = 0;
	char what[64] = "leave";
	int err;

	if (out)
		res = *out;
	if (dev->route_xcp) {
		/* OpenBLT: PROGRAM_RESET starts the firmware if its CRC is
		 * right; the reply may never come. */
		err = dfu_xcp_dev_reset(dev);
		if (err)
			return err;
		res.left = true;
		if (out)
			*out = res;
		return DFU_OK;
	}
	if (!dev->info.dfuse) {
		/* Plain DFU 1.1 (section 7): after manifestation the host
		 * resets the device, which then runs the new firmware. */
		if (dev->ops.reset) {
			err = dev->ops.reset(dev->user);
			if (err && !dfu_quirk_leave_error_ok(dev, err))
				return dfu_fail(dev->ctx, err, "USB reset failed: %s",
						dfu_strerror(err));
		}
		goto wait;
	}
	if (has_address) {
		snprintf(what, sizeof(what), "leave (start at 0x%08X)", (unsigned)address);
		/* The ROM starts the application at its address pointer: set
		 * it, unless the last SET_ADDRESS put it there and nothing
		 * has moved it since (a verify's read window usually has:
		 * 104 ms saved on an F4). */
		if (!dev->address_known || dev->dfuse_address != address)
			err = dfuse_set_address(dev, address);
		else
			err = DFU_OK;
		if (err)
			return err;
	}
	/* AN3156 6.4: a zero-length DNLOAD, then GETSTATUS -> dfuMANIFEST and
	 * the ROM jumps to the address pointer. dfu-util sends it as block 2. */
	err = dfu_dnload(dev, DFUSE_FIRST_BLOCK, NULL, 0);
	if (err && !dfu_quirk_leave_error_ok(dev, err))
		return err;
	if (!err) {
		err = dfu_get_status(dev, &st);
		if (!err && st.state == DFU_STATE_ERROR)
			return dfu_status_error(dev, &st, what);
		if (err && !dfu_quirk_leave_error_ok(dev, err))
			return err;
	}
wait:
	res.left = true;
	if (dev->ops.present) {
		/* Looked at every 10 ms: the ROM goes within a few (the
		 * host's removal of the device is most of it), and a coarser
		 * step is time the user waits for nothing. */
		while (dev->ops.present(dev->user) == 1 && waited < wait_ms) {
			dfu_dev_sleep(dev, 10);
			waited += 10;
		}
		res.gone = dev->ops.present(dev->user) == 0;
	}
	dfu_log(dev->ctx, DFU_LOG_INFO, "left DFU mode%s",
		res.gone ? "; the device left the bus" :
		dev->ops.present ? "; the device is still on the bus" : "");
	if (out)
		*out = res;
	return DFU_OK;
}
