/*
 * console.c - the CDC-ACM serial port of what runs on the chip: the FOME
 * application's TunerStudio console or OpenBLT's XCP.
 *
 * A device whose configuration has a CDC-ACM interface (class 2, subclass
 * 2) gets, as the cdc_acm driver and udev would make them, a tty child in
 * sysfs and a /dev/ttyACM<k-1> node, which umockdev backs with a pty. A
 * thread per port moves bytes between the pty master and the model
 * (dfusim_serial_input/output): what the host writes goes in as it
 * arrives, the answers go out when the model says they are due, and the
 * bus events the model returns (reboots, PROGRAM_RESET, faults) are
 * scheduled like those of control transfers.
 *
 * With no program holding the slave open the master reports HUP without
 * end, so the thread then sleeps between polls instead of spinning.
 */
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* The longest the thread sleeps: the model needs the time to pass for a
 * lone plain 'S' (10 ms) and for packet timeouts. */
#define FRONT_CONSOLE_IDLE_MS 5

/* Writes what the model has due; keeps what the pty does not take. */
static void console_flush(struct front_dev *dev, uint64_t now, uint64_t *next)
{
	struct front_host *host = dev->host;
	size_t n;
	ssize_t w;

	g_mutex_lock(&host->lock);
	n = dfusim_serial_output(dev->sim, dev->tty_out + dev->tty_out_len,
				 sizeof(dev->tty_out) - dev->tty_out_len, now, next);
	g_mutex_unlock(&host->lock);
	dev->tty_out_len += n;
	while (dev->tty_out_len) {
		w = write(dev->tty_fd, dev->tty_out, dev->tty_out_len);
		if (w <= 0)
			break;  /* full (nobody reads) or no client: later */
		memmove(dev->tty_out, dev->tty_out + w, dev->tty_out_len - (size_t)w);
		dev->tty_out_len -= (size_t)w;
	}
}

/* Gives the model what the host wrote (len 0: the time only) and
 * schedules the bus event it may answer with. */
static void console_feed(struct front_dev *dev, const uint8_t *buf, size_t len)
{
	struct front_host *host = dev->host;
	struct dfusim_reply reply;

	g_mutex_lock(&host->lock);
	dfusim_serial_input(dev->sim, buf, len, front_now_us(), &reply);
	if (reply.event != DFUSIM_EV_NONE)
		front_schedule_event(dev, reply.event, reply.event_at_us, reply.back_at_us);
	g_mutex_unlock(&host->lock);
}

/* The port's thread: until front_console_remove() stops it. */
static gpointer console_thread(gpointer p)
{
	struct front_dev *dev = p;
	uint8_t buf[512];
	uint64_t next = 0, now;
	struct pollfd pfd;
	int timeout;
	ssize_t n;

	while (!g_atomic_int_get(&dev->tty_stop)) {
		now = front_now_us();
		timeout = FRONT_CONSOLE_IDLE_MS;
		if (next && next > now && (next - now) / 1000 < (uint64_t)timeout)
			timeout = (int)((next - now + 999) / 1000);
		else if (next && next <= now)
			timeout = 0;
		pfd.fd = dev->tty_fd;
		pfd.events = POLLIN | (dev->tty_out_len ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, timeout) > 0 && (pfd.revents & POLLHUP) &&
		    !(pfd.revents & POLLIN))
			g_usleep(FRONT_CONSOLE_IDLE_MS * 1000);
		while ((n = read(dev->tty_fd, buf, sizeof(buf))) > 0)
			console_feed(dev, buf, (size_t)n);
		console_feed(dev, NULL, 0);
		console_flush(dev, front_now_us(), &next);
	}
	return NULL;
}

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
 * Adds the serial port of what is on the bus: the USB interface, the tty
 * under it, the pty-backed node, their uevents, and the thread that serves
 * it. Returns 0 or -1 (then a message went to stderr and the device
 * is on the bus without a console). Main thread only.
 */
int front_console_add(struct front_dev *dev, const struct dfusim_identity *id)
{
	struct front_host *host = dev->host;
	GError *err = NULL;
	GString *s = g_string_new(NULL);
	char intf[48], tty[64], node[80];
	unsigned node_minor;
	int ret = -1;

	/* Device k's first port is ttyACM<k-1>, as cdc_acm numbers the
	 * boards of a tray. umockdev never lets a node name be made twice
	 * in one testbed, so a port that comes back (a reboot into OpenBLT,
	 * PROGRAM_RESET, the application again) gets the next unused number,
	 * as a real host may give when the old node is still held open. */
	g_mutex_lock(&host->lock);
	if (!dev->tty_uses++)
		g_snprintf(dev->tty_name, sizeof(dev->tty_name), "ttyACM%u", dev->index - 1);
	else
		g_snprintf(dev->tty_name, sizeof(dev->tty_name), "ttyACM%u",
			   host->n_devs + host->ttys_reused++);
	g_mutex_unlock(&host->lock);
	g_snprintf(intf, sizeof(intf), "/devices/%s/%s:1.0", dev->port, dev->port);
	g_snprintf(tty, sizeof(tty), "%s/tty/%s", intf, dev->tty_name);
	node_minor = (unsigned)strtoul(dev->tty_name + 6, NULL, 10);

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
			       node_minor);
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
		dev->tty_out_len = 0;
		g_atomic_int_set(&dev->tty_stop, 0);
		dev->tty_thread = g_thread_new("dfusim-tty", console_thread, dev);
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

/* Stops the port's thread (no-op without one); main thread only. */
void front_console_stop(struct front_dev *dev)
{
	if (dev->tty_thread) {
		g_atomic_int_set(&dev->tty_stop, 1);
		g_thread_join(dev->tty_thread);
		dev->tty_thread = NULL;
	}
}

/* Takes the console off the bus, child first (no-op without one). */
void front_console_remove(struct front_dev *dev)
{
	struct front_host *host = dev->host;

	front_console_stop(dev);
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
