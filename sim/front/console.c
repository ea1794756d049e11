/*
 * console.c - the running application's USB serial console.
 *
 * After leave the chip runs its application; FOME's enumerates as a CDC-ACM
 * device. On Linux the cdc_acm driver then makes /dev/ttyACMn, and that is
 * where a host sends FOME's "reboot into the bootloader" command. We do the
 * same: a device whose configuration has a CDC-ACM interface (class 2,
 * subclass 2) gets a tty child in sysfs and a /dev/ttyACM<k-1> node, which
 * umockdev backs with a pty. What the host writes is scanned for the
 * TunerStudio-framed command (REFERENCE.md "FOME specifics"):
 *   00 0b | 'E' "reboot_dfu" | CRC-32 (zlib) of the payload, big-endian
 * and when it arrives the model is told (dfusim_app_reboot_to_dfu()): the
 * application leaves the bus and the ROM bootloader enumerates.
 *
 * The pty master is read from a timer on the main context rather than
 * watched: with no client holding the slave open it reports HUP without
 * end, which would spin a watch.
 */
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define FRONT_CONSOLE_POLL_MS 20

/* The framed reboot_dfu command, byte for byte. */
static const uint8_t reboot_dfu_frame[] = {
	0x00, 0x0b, 'E', 'r', 'e', 'b', 'o', 'o', 't', '_', 'd', 'f', 'u',
	0xfd, 0x68, 0xc0, 0xdf,
};

/*
 * Whether the device's configuration descriptor (after the 18-byte device
 * descriptor) has a CDC-ACM communication interface.
 */
bool front_console_wanted(const uint8_t *desc, size_t len)
{
	size_t off = 18;

	while (off + 2 <= len && desc[off] >= 2) {
		const uint8_t *d = desc + off;

		if (d[1] == 0x04 && d[0] >= 9 && off + 9 <= len &&
		    d[5] == 0x02 && d[6] == 0x02)
			return true;
		off += d[0];
	}
	return false;
}

/*
 * Reads what the host wrote and looks for the command across reads (the
 * last frame-length - 1 bytes are kept). Main thread, from the timer.
 */
static gboolean console_poll(gpointer p)
{
	struct front_dev *dev = p;
	struct front_host *host = dev->host;
	uint8_t buf[256];
	uint64_t back;
	ssize_t n;
	size_t i;

	while ((n = read(dev->tty_fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)n; i++) {
			memmove(dev->tty_tail, dev->tty_tail + 1, sizeof(dev->tty_tail) - 1);
			dev->tty_tail[sizeof(dev->tty_tail) - 1] = buf[i];
			if (memcmp(dev->tty_tail, reboot_dfu_frame, sizeof(reboot_dfu_frame)))
				continue;
			g_mutex_lock(&host->lock);
			back = dfusim_app_reboot_to_dfu(dev->sim, front_now_us());
			front_schedule_event(dev, DFUSIM_EV_RESET_TO_DFU, front_now_us(), back);
			g_mutex_unlock(&host->lock);
			memset(dev->tty_tail, 0, sizeof(dev->tty_tail));
			return G_SOURCE_CONTINUE;
		}
	}
	return G_SOURCE_CONTINUE;
}

/*
 * Adds the console of an application that is on the bus: the USB interface,
 * the tty under it, the pty-backed node, their uevents, and the timer that
 * reads it. Returns 0 or -1 (then a message went to stderr and the device
 * is on the bus without a console). Main thread only.
 */
int front_console_add(struct front_dev *dev, const struct dfusim_identity *id)
{
	struct front_host *host = dev->host;
	GError *err = NULL;
	GString *s = g_string_new(NULL);
	char intf[48], tty[64], node[80];
	int ret = -1;

	g_snprintf(dev->tty_name, sizeof(dev->tty_name), "ttyACM%u", dev->index - 1);
	g_snprintf(intf, sizeof(intf), "/devices/%s/%s:1.0", dev->port, dev->port);
	g_snprintf(tty, sizeof(tty), "%s/tty/%s", intf, dev->tty_name);

	/* The interface the cdc_acm driver binds to, then its tty. */
	g_string_append_printf(s, "P: %s\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n"
			       "E: DRIVER=cdc_acm\nE: INTERFACE=2/2/1\n"
			       "A: bInterfaceNumber=00\\n\nA: bInterfaceClass=02\\n\n"
			       "A: bInterfaceSubClass=02\\n\nA: bInterfaceProtocol=01\\n\n", intf);
	if (!umockdev_testbed_add_from_string(host->testbed, s->str, &err))
		goto fail;
	g_string_truncate(s, 0);
	g_string_append_printf(s, "P: %s\nN: %s\nE: SUBSYSTEM=tty\nE: DEVNAME=/dev/%s\n"
			       "E: ID_VENDOR_ID=%04x\nE: ID_MODEL_ID=%04x\n"
			       "E: ID_SERIAL_SHORT=%s\nE: ID_USB_INTERFACE_NUM=00\n"
			       "E: ID_BUS=usb\nA: dev=166:%u\\n\n",
			       tty, dev->tty_name, dev->tty_name, id->id_vendor,
			       id->id_product, id->serial ? id->serial : "",
			       dev->index - 1);
	if (!umockdev_testbed_add_from_string(host->testbed, s->str, &err)) {
		g_snprintf(node, sizeof(node), "/sys%s", intf);
		umockdev_testbed_remove_device(host->testbed, node);
		goto fail;
	}
	dev->intf_syspath = g_strconcat("/sys", intf, NULL);
	dev->tty_syspath = g_strconcat("/sys", tty, NULL);
	g_snprintf(node, sizeof(node), "/dev/%s", dev->tty_name);
	dev->tty_fd = umockdev_testbed_get_dev_fd(host->testbed, node);
	if (dev->tty_fd >= 0) {
		fcntl(dev->tty_fd, F_SETFL, fcntl(dev->tty_fd, F_GETFL) | O_NONBLOCK);
		memset(dev->tty_tail, 0, sizeof(dev->tty_tail));
		dev->tty_timer = g_timeout_add(FRONT_CONSOLE_POLL_MS, console_poll, dev);
	} else {
		fprintf(stderr, "dfusim: no pty behind /dev/%s\n", dev->tty_name);
	}
	front_send_uevent(host, dev->intf_syspath, "add");
	front_send_uevent(host, dev->tty_syspath, "add");
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "dfusim: cannot add the console of %s: %s\n", dev->port,
		err ? err->message : "?");
out:
	g_clear_error(&err);
	g_string_free(s, TRUE);
	return ret;
}

/* Takes the console off the bus, child first (no-op without one). */
void front_console_remove(struct front_dev *dev)
{
	struct front_host *host = dev->host;

	if (dev->tty_timer) {
		g_source_remove(dev->tty_timer);
		dev->tty_timer = 0;
	}
	dev->tty_fd = -1;
	if (dev->tty_syspath) {
		front_send_uevent(host, dev->tty_syspath, "remove");
		umockdev_testbed_remove_device(host->testbed, dev->tty_syspath);
		g_clear_pointer(&dev->tty_syspath, g_free);
	}
	if (dev->intf_syspath) {
		front_send_uevent(host, dev->intf_syspath, "remove");
		umockdev_testbed_remove_device(host->testbed, dev->intf_syspath);
		g_clear_pointer(&dev->intf_syspath, g_free);
	}
}
