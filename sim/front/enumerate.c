/*
 * enumerate.c - simulated devices arriving on and leaving the umockdev bus.
 *
 * libusb learns of devices only from sysfs and uevents (it never rescans),
 * so the order matters (TESTING.md section 1):
 *   add:    attach the ioctl handler to the /dev path, add the sysfs device
 *           with every attribute and the descriptors, make the node, and
 *           only then send the "add" uevent;
 *   remove: mark the device gone (its open files get ENODEV, URBs in flight
 *           complete with -ENODEV), send the "remove" uevent while the sysfs
 *           device still exists, remove it, detach the handler.
 * Bus events the model asks for (leave, reset, option-byte write, faults)
 * are timeouts on the main context, so the testbed is only ever changed by
 * the main thread.
 */
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glob.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

/* A bus event waiting for its time. */
struct front_event {
	struct front_dev *dev;
	enum dfusim_bus_event ev;
	uint64_t back_at_us;
	bool leaving;                /* false: the removal is done, comes back */
};

/* Appends the hex of bytes, as umockdev's "H:" lines want them. */
static void append_hex(GString *s, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", b[i]);
}

/*
 * The device as umockdev_testbed_add_from_string() reads it: P: sysfs path,
 * N: node, E: udev properties (libusb's hotplug reads DEVNAME, BUSNUM,
 * DEVNUM from the uevent), A: attributes (each value ends in a newline, as
 * the kernel writes them), H: the binary "descriptors" attribute.
 */
static char *describe(struct front_dev *dev, const struct dfusim_identity *id,
		      const uint8_t *desc, size_t desc_len)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "P: /devices/%s\n", dev->port);
	g_string_append_printf(s, "N: bus/usb/001/%03u\n", dev->devnum);
	g_string_append(s, "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n");
	g_string_append_printf(s, "E: DEVNAME=%s\n", dev->devnode);
	g_string_append_printf(s, "E: BUSNUM=001\nE: DEVNUM=%03u\n", dev->devnum);
	g_string_append_printf(s, "E: PRODUCT=%x/%x/%x\n", id->id_vendor,
			       id->id_product, id->bcd_device);
	g_string_append_printf(s, "E: TYPE=%u/0/0\n", id->device_class);
	g_string_append(s, "A: busnum=1\\n\n");
	g_string_append_printf(s, "A: devnum=%u\\n\n", dev->devnum);
	g_string_append_printf(s, "A: devpath=%s\\n\n", dev->port + 2);
	g_string_append_printf(s, "A: speed=%s\\n\n", id->speed ? id->speed : "12");
	g_string_append_printf(s, "A: idVendor=%04x\\n\n", id->id_vendor);
	g_string_append_printf(s, "A: idProduct=%04x\\n\n", id->id_product);
	g_string_append_printf(s, "A: bcdDevice=%04x\\n\n", id->bcd_device);
	g_string_append_printf(s, "A: version=%2x.%02x\\n\n", id->bcd_usb >> 8,
			       id->bcd_usb & 0xff);
	g_string_append_printf(s, "A: bDeviceClass=%02x\\n\n", id->device_class);
	g_string_append_printf(s, "A: bMaxPacketSize0=%u\\n\n", id->max_packet_size0);
	g_string_append_printf(s, "A: bConfigurationValue=%u\\n\n",
			       id->configuration_value);
	g_string_append(s, "A: bNumConfigurations=1\\n\n");
	if (id->manufacturer)
		g_string_append_printf(s, "A: manufacturer=%s\\n\n", id->manufacturer);
	if (id->product)
		g_string_append_printf(s, "A: product=%s\\n\n", id->product);
	if (id->serial)
		g_string_append_printf(s, "A: serial=%s\\n\n", id->serial);
	g_string_append(s, "H: descriptors=");
	append_hex(s, desc, desc_len);
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

/*
 * The address the hub gives a device that enumerates again: as Linux's
 * hub driver, the next one after the last given that no device on the bus
 * has, wrapping from 127 to 1's successor (1 is the root hub's). Call with
 * the host lock held.
 */
static void next_devnum(struct front_dev *dev)
{
	struct front_host *host = dev->host;
	unsigned cand = host->last_devnum, tries, i;
	bool used;

	for (tries = 0; tries < 126; tries++) {
		cand = cand >= 127 ? 2 : cand + 1;
		used = false;
		for (i = 0; i < host->n_devs; i++)
			used |= &host->devs[i] != dev && host->devs[i].devnum == cand;
		if (!used)
			break;
	}
	host->last_devnum = cand;
	dev->devnum = cand;
	g_snprintf(dev->devnode, sizeof(dev->devnode), "/dev/bus/usb/001/%03u", cand);
}

/* Makes the /dev node, which umockdev's add does not always create. */
static void make_node(struct front_host *host, const struct front_dev *dev)
{
	char *root = umockdev_testbed_get_root_dir(host->testbed);
	char *path = g_strconcat(root, dev->devnode, NULL);
	char *dir = g_path_get_dirname(path);
	int fd;

	g_mkdir_with_parents(dir, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	if (host->node_mode >= 0) {
		char *sock = g_strconcat(root, "/ioctl", dev->devnode, NULL);

		/* The node's mode is what a user meets (0664, root's, without
		 * a udev rule); the ioctl socket behind it must not add a
		 * check of its own (see testbed_share() in run.c). */
		chmod(path, (mode_t)host->node_mode);
		chmod(sock, 0666);
		g_free(sock);
	}
	g_free(dir);
	g_free(path);
	g_free(root);
}

/* Removes the /dev node of a device that has left the bus, as udev does. */
static void remove_node(struct front_host *host, const char *devnode)
{
	char *root = umockdev_testbed_get_root_dir(host->testbed);
	char *path = g_strconcat(root, devnode, NULL);

	unlink(path);
	g_free(path);
	g_free(root);
}

/*
 * Puts the device on the bus as the model describes it now. Returns 0, or
 * -1 if the model has nothing on the bus (an application without USB) or
 * the testbed refused (then a message went to stderr). Main thread only.
 */
int front_dev_add(struct front_dev *dev)
{
	struct front_host *host = dev->host;
	struct dfusim_identity id;
	struct front_attach *att;
	GError *err = NULL;
	uint8_t desc[1024];
	size_t desc_len;
	guint i;
	char *text;
	int ret = -1;

	g_mutex_lock(&host->lock);
	dfusim_identity(dev->sim, &id);
	if (id.id_vendor == 0 && id.id_product == 0) {
		g_mutex_unlock(&host->lock);
		return -1;
	}
	if (dev->enumerated)
		next_devnum(dev);
	dev->enumerated = true;
	desc_len = dfusim_descriptors(dev->sim, desc, sizeof(desc));
	if (desc_len > sizeof(desc))
		desc_len = sizeof(desc);
	text = describe(dev, &id, desc, desc_len);
	att = front_attach_new(dev);
	dev->present = true;
	g_mutex_unlock(&host->lock);

	for (i = 0; host->stale_nodes && i < host->stale_nodes->len; i++)
		if (!strcmp(g_ptr_array_index(host->stale_nodes, i), dev->devnode)) {
			umockdev_testbed_detach_ioctl(host->testbed, dev->devnode, NULL);
			g_ptr_array_remove_index(host->stale_nodes, i);
			break;
		}
	if (!umockdev_testbed_attach_ioctl(host->testbed, dev->devnode,
					   front_attach_handler(att), &err)) {
		fprintf(stderr, "dfusim: cannot attach %s: %s\n", dev->devnode,
			err->message);
		goto out;
	}
	if (!umockdev_testbed_add_from_string(host->testbed, text, &err)) {
		fprintf(stderr, "dfusim: cannot add %s: %s\n", dev->port, err->message);
		umockdev_testbed_detach_ioctl(host->testbed, dev->devnode, NULL);
		goto out;
	}
	make_node(host, dev);
	g_free(dev->syspath);
	dev->syspath = g_strconcat("/sys/devices/", dev->port, NULL);
	front_send_uevent(host, dev->syspath, "add");
	if (front_console_wanted(desc, desc_len))
		front_console_add(dev, &id);
	ret = 0;
out:
	if (ret) {
		g_mutex_lock(&host->lock);
		dev->present = false;
		dev->gen++;
		g_mutex_unlock(&host->lock);
	}
	g_clear_error(&err);
	g_free(text);
	return ret;
}

/*
 * umockdev's uevent sender sends every uevent to each event socket a
 * program under the preload bound in the testbed (ROOT/eventN), and aborts
 * dfusim when one refuses: the program that bound it has exited (dfu-util
 * right after its leave request, while the chip resets). Such a socket has
 * nobody behind it any more: unlinked here before each uevent, so a
 * program that is done cannot take the simulator down with it.
 */
void front_send_uevent(struct front_host *host, const char *syspath, const char *action)
{
	char *root = umockdev_testbed_get_root_dir(host->testbed);
	char *pattern = g_strdup_printf("%s/event[0-9]*", root);
	glob_t g;
	size_t i;

	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			struct sockaddr_un sa;
			int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || strlen(g.gl_pathv[i]) >= sizeof(sa.sun_path)) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			memset(&sa, 0, sizeof(sa));
			sa.sun_family = AF_UNIX;
			memcpy(sa.sun_path, g.gl_pathv[i], strlen(g.gl_pathv[i]) + 1);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
			    errno == ECONNREFUSED)
				unlink(g.gl_pathv[i]);
			close(fd);
		}
		globfree(&g);
	}
	g_free(pattern);
	g_free(root);
	/* A program may still close its socket between the check above and
	 * the send (libusb opens and closes one per context, and a program
	 * waiting for a chip to come back makes many): the send runs in a
	 * child, so umockdev's abort on it ends the child, not dfusim. The
	 * uevent is lost only for the program that was going away. */
	pid_t pid = fork();

	if (pid == 0) {
		umockdev_testbed_uevent(host->testbed, syspath, action);
		_exit(0);
	}
	if (pid < 0) {
		umockdev_testbed_uevent(host->testbed, syspath, action);
		return;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Takes the device off the bus (no-op if it is not on it). Main thread
 * only.
 */
void front_dev_remove(struct front_dev *dev)
{
	struct front_host *host = dev->host;
	char *syspath;

	g_mutex_lock(&host->lock);
	dev->present = false;
	dev->gen++;
	front_urbs_fail_pending(dev, front_now_us());
	syspath = dev->syspath;
	dev->syspath = NULL;
	g_mutex_unlock(&host->lock);
	if (!syspath)
		return;

	front_console_remove(dev);
	front_send_uevent(host, syspath, "remove");
	umockdev_testbed_remove_device(host->testbed, syspath);
	/* The old handler stays attached: a program may still have the node
	 * open and be inside an ioctl (waiting for the chip to come back),
	 * and umockdev's preload aborts the program when the socket behind
	 * an open node goes away. The handler answers it ENODEV, as a gone
	 * device does. It is detached when the path is used again. */
	if (!host->stale_nodes)
		host->stale_nodes = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(host->stale_nodes, g_strdup(dev->devnode));
	remove_node(host, dev->devnode);
	g_free(syspath);
}

/* Milliseconds from now until t (0 if past), for a GLib timeout. */
static guint ms_until(uint64_t t)
{
	uint64_t now = front_now_us();

	if (t <= now)
		return 0;
	return (guint)MIN((t - now + 999) / 1000, (uint64_t)G_MAXUINT);
}

static gboolean event_fire(gpointer p);

/* Arms one step of a bus event on the main context. The step is freed by
 * its source, also if the run ends before it fires. */
static void event_arm(struct front_dev *dev, enum dfusim_bus_event ev,
		      bool leaving, uint64_t at_us, uint64_t back_at_us)
{
	struct front_event *e = g_new0(struct front_event, 1);
	guint delay_ms = ms_until(at_us);
	GSource *src = delay_ms ? g_timeout_source_new(delay_ms) : g_idle_source_new();

	e->dev = dev;
	e->ev = ev;
	e->leaving = leaving;
	e->back_at_us = back_at_us;
	g_source_set_callback(src, event_fire, e, g_free);
	g_source_attach(src, dev->host->main_ctx);
	g_source_unref(src);
}

/*
 * One step of a bus event (main thread): first the device leaves the bus;
 * then, unless it stays off, it comes back at back_at_us in the mode the
 * model now describes (after leave that may be an application, or
 * nothing).
 */
static gboolean event_fire(gpointer p)
{
	struct front_event *e = p;
	struct front_dev *dev = e->dev;
	struct front_host *host = dev->host;

	if (e->leaving) {
		front_dev_remove(dev);
		if (e->ev != DFUSIM_EV_DISCONNECT) {
			event_arm(dev, e->ev, false, e->back_at_us, e->back_at_us);
			return G_SOURCE_REMOVE;
		}
	} else {
		/* The event is over before the device is back: a host quick
		 * to use the new port (a reboot command at once) must be able
		 * to schedule the next one, which runs after this add. */
		g_mutex_lock(&host->lock);
		dfusim_reenumerated(dev->sim, front_now_us());
		dev->pending_events--;
		g_mutex_unlock(&host->lock);
		front_dev_add(dev);
		return G_SOURCE_REMOVE;
	}
	g_mutex_lock(&host->lock);
	dev->pending_events--;
	g_mutex_unlock(&host->lock);
	return G_SOURCE_REMOVE;
}

/*
 * Schedules a bus event the model returned (any thread; the caller holds
 * the host lock). A device already on its way off the bus ignores further
 * events until it is back.
 */
void front_schedule_event(struct front_dev *dev, enum dfusim_bus_event ev,
			  uint64_t event_at_us, uint64_t back_at_us)
{
	if (ev == DFUSIM_EV_NONE || dev->pending_events)
		return;
	dev->pending_events++;
	event_arm(dev, ev, true, event_at_us,
		  back_at_us < event_at_us ? event_at_us : back_at_us);
}
