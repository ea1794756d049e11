/*
 * usbdevfs.c - the usbdevfs ioctls of a simulated device node.
 *
 * libusb talks to /dev/bus/usb/BBB/DDD with ioctls (linux/usbdevice_fs.h);
 * umockdev hands each one to us on its worker thread. A control URB is
 * answered by the model at SUBMITURB and queued; REAPURB hands it back once
 * the model says it is ready. The fake node is a plain file, so libusb's
 * poll() is always ready and it reaps in a loop: a REAPURB that finds only
 * URBs that are not ready yet is held (never slept on: one worker serves
 * every device) for at most FRONT_REAP_HOLD_US and then answered EAGAIN,
 * which keeps libusb's own timeouts and several devices working.
 *
 * Each attachment of the node (one per time the device enumerates) has its
 * own handler. Files opened on an older attachment belong to a device that
 * has left the bus: as with the kernel, they can still reap what completed,
 * everything else fails with ENODEV.
 */
#include "front.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>

#define FRONT_REAP_HOLD_US 10000
#define FRONT_NEVER UINT64_MAX

/* What usbfs on a full-speed device offers; REAP_AFTER_DISCONNECT because
 * in-flight URBs are reaped with -ENODEV when the device goes away. */
#define FRONT_CAPS (USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION | \
		    USBDEVFS_CAP_NO_PACKET_SIZE_LIM | \
		    USBDEVFS_CAP_REAP_AFTER_DISCONNECT)

/* USB_SPEED_FULL from linux/usb/ch9.h, the answer to USBDEVFS_GET_SPEED. */
#define FRONT_USB_SPEED_FULL 2

struct front_attach {
	struct front_dev *dev;
	unsigned gen;
	UMockdevIoctlBase *handler;
};

/* A submitted URB, answered by the model, waiting to be reaped. */
struct front_urb {
	UMockdevIoctlClient *client;
	UMockdevIoctlData *urb;      /* the client's struct usbdevfs_urb */
	UMockdevIoctlData *buffer;   /* its buffer (setup + data), or NULL */
	uint64_t ready_at_us;        /* FRONT_NEVER: only a discard ends it */
	int status;
	int actual_length;
};

/* A REAPURB held until a URB is ready or the hold time is over. */
struct front_reap {
	struct front_attach *att;
	UMockdevIoctlClient *client;
	UMockdevIoctlData *arg;      /* the client's `void *` to fill */
};

static bool on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
		     gpointer user);

/*
 * Creates the handler for the device's next appearance on the bus, tagged
 * with the current generation. The device keeps it (dev->attachments) until
 * the end of the run, since files opened on it may outlive the attachment.
 * Call with the host lock held.
 */
struct front_attach *front_attach_new(struct front_dev *dev)
{
	struct front_attach *att = g_new0(struct front_attach, 1);

	att->dev = dev;
	att->gen = dev->gen;
	att->handler = umockdev_ioctl_base_new();
	g_signal_connect(att->handler, "handle-ioctl", G_CALLBACK(on_ioctl), att);
	g_ptr_array_add(dev->attachments, att);
	return att;
}

/* The umockdev handler object of an attachment (owned by it). */
UMockdevIoctlBase *front_attach_handler(struct front_attach *att)
{
	return att->handler;
}

/* Frees an attachment; for g_ptr_array_new_with_free_func(). */
void front_attach_free(void *p)
{
	struct front_attach *att = p;

	if (!att)
		return;
	g_signal_handlers_disconnect_by_data(att->handler, att);
	g_object_unref(att->handler);
	g_free(att);
}

/* Drops a queued URB and the references it holds. */
static void urb_free(struct front_urb *u)
{
	g_object_unref(u->client);
	g_object_unref(u->urb);
	if (u->buffer)
		g_object_unref(u->buffer);
	g_free(u);
}

/*
 * The device has left the bus: every URB still in flight completes with
 * -ENODEV, as the kernel does on disconnect (libusb would wait forever if
 * only REAPURB failed). URBs that had already completed keep their status.
 * Call with the host lock held.
 */
void front_urbs_fail_pending(struct front_dev *dev, uint64_t now_us)
{
	GList *l;

	for (l = dev->urbs.head; l; l = l->next) {
		struct front_urb *u = l->data;

		if (u->ready_at_us > now_us) {
			u->ready_at_us = now_us;
			u->status = -ENODEV;
			u->actual_length = 0;
		}
	}
}

/* Drops every queued URB (end of the run). Call with the host lock held. */
void front_urbs_clear(struct front_dev *dev)
{
	struct front_urb *u;

	while ((u = g_queue_pop_head(&dev->urbs)))
		urb_free(u);
}

/* Forgets URBs of clients that closed their file. */
static void urbs_prune(struct front_dev *dev)
{
	GList *l = dev->urbs.head;

	while (l) {
		GList *next = l->next;
		struct front_urb *u = l->data;

		if (!umockdev_ioctl_client_get_connected(u->client)) {
			g_queue_delete_link(&dev->urbs, l);
			urb_free(u);
		}
		l = next;
	}
}

/*
 * The client's oldest ready URB, or NULL. *earliest gets the earliest time
 * one of its pending URBs becomes ready (FRONT_NEVER if none will).
 */
static GList *urb_find_ready(struct front_dev *dev, UMockdevIoctlClient *client,
			     uint64_t now_us, uint64_t *earliest)
{
	GList *l;

	*earliest = FRONT_NEVER;
	for (l = dev->urbs.head; l; l = l->next) {
		struct front_urb *u = l->data;

		if (u->client != client)
			continue;
		if (u->ready_at_us <= now_us)
			return l;
		if (u->ready_at_us < *earliest)
			*earliest = u->ready_at_us;
	}
	return NULL;
}

/* Whether the client has any URB queued at all. */
static bool urb_any(struct front_dev *dev, UMockdevIoctlClient *client)
{
	GList *l;

	for (l = dev->urbs.head; l; l = l->next) {
		struct front_urb *u = l->data;

		if (u->client == client)
			return true;
	}
	return false;
}

/*
 * Hands a ready URB back through REAPURB: its status and length go into the
 * client's struct, and the client's pointer is set to it. umockdev writes
 * both back when the ioctl completes.
 */
static void urb_deliver(struct front_dev *dev, GList *link,
			UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	struct front_urb *u = link->data;
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->urb->data;

	g_queue_delete_link(&dev->urbs, link);
	urb->status = u->status;
	urb->actual_length = u->actual_length;
	urb->error_count = 0;
	umockdev_ioctl_data_set_ptr(arg, 0, u->urb);
	umockdev_ioctl_client_complete(client, 0, 0);
	urb_free(u);
}

/* Frees a held REAPURB; the destroy notify of its timer, so it is freed
 * also when the worker's context goes away with the timer pending. */
static void reap_free(gpointer p)
{
	struct front_reap *r = p;

	g_object_unref(r->client);
	g_object_unref(r->arg);
	g_free(r);
}

/*
 * The hold of a REAPURB is over: answer it with a URB if one is ready now,
 * with EAGAIN otherwise (libusb then polls and asks again).
 */
static gboolean reap_timeout(gpointer p)
{
	struct front_reap *r = p;
	struct front_dev *dev = r->att->dev;
	struct front_host *host = dev->host;
	uint64_t earliest;
	GList *link;

	g_mutex_lock(&host->lock);
	link = urb_find_ready(dev, r->client, front_now_us(), &earliest);
	if (link)
		urb_deliver(dev, link, r->client, r->arg);
	else
		umockdev_ioctl_client_complete(r->client, -1, EAGAIN);
	g_mutex_unlock(&host->lock);
	return G_SOURCE_REMOVE;
}

/*
 * REAPURB / REAPURBNDELAY: deliver the client's oldest ready URB; hold the
 * call if it has URBs that will be ready soon; EAGAIN if it has none (or,
 * on a device that has gone, ENODEV as the kernel answers).
 */
static void do_reap(struct front_attach *att, UMockdevIoctlClient *client,
		    UMockdevIoctlData *arg, bool gone)
{
	struct front_dev *dev = att->dev;
	uint64_t now = front_now_us(), earliest, wait;
	struct front_reap *r;
	GSource *src;
	GList *link;

	urbs_prune(dev);
	link = urb_find_ready(dev, client, now, &earliest);
	if (link) {
		urb_deliver(dev, link, client, arg);
		return;
	}
	if (!urb_any(dev, client)) {
		umockdev_ioctl_client_complete(client, -1, gone ? ENODEV : EAGAIN);
		return;
	}
	wait = earliest == FRONT_NEVER ? FRONT_REAP_HOLD_US : earliest - now;
	if (wait > FRONT_REAP_HOLD_US)
		wait = FRONT_REAP_HOLD_US;
	r = g_new0(struct front_reap, 1);
	r->att = att;
	r->client = g_object_ref(client);
	r->arg = g_object_ref(arg);
	/* Millisecond sources are late by up to a millisecond; round up so
	 * the URB is ready when the timer fires. */
	src = g_timeout_source_new((guint)((wait + 999) / 1000));
	g_source_set_callback(src, reap_timeout, r, reap_free);
	g_source_attach(src, g_main_context_get_thread_default());
	g_source_unref(src);
}

/* Logs a line to stderr in verbose mode. */
static void front_debug(struct front_host *host, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);
static void front_debug(struct front_host *host, const char *fmt, ...)
{
	va_list ap;

	if (!host->verbose)
		return;
	va_start(ap, fmt);
	fputs("dfusim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * SUBMITURB: a control transfer on endpoint 0 is run through the model at
 * once and queued with its result; the DFU bootloader has no other
 * endpoint, so anything else fails as the kernel fails an unknown endpoint.
 */
static void do_submit(struct front_attach *att, UMockdevIoctlClient *client,
		      UMockdevIoctlData *data)
{
	struct front_dev *dev = att->dev;
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)data->data;
	UMockdevIoctlData *buffer = NULL;
	struct dfusim_setup setup;
	struct dfusim_reply reply;
	struct front_urb *u;
	uint64_t now = front_now_us();
	const uint8_t *b;
	GError *err = NULL;
	size_t len;

	if (urb->type != USBDEVFS_URB_TYPE_CONTROL || (urb->endpoint & 0x7f) != 0) {
		umockdev_ioctl_client_complete(client, -1, ENOENT);
		return;
	}
	if (urb->buffer_length < 8 || !urb->buffer) {
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}
	len = (size_t)urb->buffer_length;
	buffer = umockdev_ioctl_data_resolve(data, offsetof(struct usbdevfs_urb, buffer),
					     len, &err);
	if (!buffer) {
		front_debug(dev->host, "cannot read URB buffer: %s",
			    err ? err->message : "?");
		g_clear_error(&err);
		umockdev_ioctl_client_complete(client, -1, EFAULT);
		return;
	}
	b = buffer->data;
	setup.bm_request_type = b[0];
	setup.b_request = b[1];
	setup.w_value = (uint16_t)(b[2] | b[3] << 8);
	setup.w_index = (uint16_t)(b[4] | b[5] << 8);
	setup.w_length = (uint16_t)(b[6] | b[7] << 8);
	if (dev->host->claimed && (setup.bm_request_type & 0x1f) == 1) {
		/* a request to an interface someone else holds: usbfs's
		 * check_ctrlrecip() cannot claim it and fails the submit */
		g_object_unref(buffer);
		umockdev_ioctl_client_complete(client, -1, EBUSY);
		return;
	}
	if (setup.w_length > len - 8) {
		/* usbfs refuses a wLength the buffer cannot hold */
		g_object_unref(buffer);
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}

	memset(&reply, 0, sizeof(reply));
	dfusim_control(dev->sim, &setup, buffer->data + 8, len - 8, now, &reply);

	u = g_new0(struct front_urb, 1);
	u->client = g_object_ref(client);
	u->urb = g_object_ref(data);
	u->buffer = buffer;
	u->ready_at_us = reply.ready_at_us > now ? reply.ready_at_us : now;
	switch (reply.outcome) {
	case DFUSIM_ACK:
		if (setup.bm_request_type & 0x80)
			u->actual_length = (int)(reply.len < setup.w_length ?
						 reply.len : setup.w_length);
		else
			u->actual_length = setup.w_length;
		break;
	case DFUSIM_STALL:
		u->status = -EPIPE;
		break;
	case DFUSIM_NO_ANSWER:
		u->ready_at_us = FRONT_NEVER;
		break;
	case DFUSIM_GONE:
		u->status = -ENODEV;
		u->ready_at_us = now;
		if (reply.event == DFUSIM_EV_NONE) {
			reply.event = DFUSIM_EV_DISCONNECT;
			reply.event_at_us = now;
		}
		break;
	}
	g_queue_push_tail(&dev->urbs, u);
	umockdev_ioctl_client_complete(client, 0, 0);

	if (reply.event != DFUSIM_EV_NONE)
		front_schedule_event(dev, reply.event, reply.event_at_us,
				     reply.back_at_us);
}

/*
 * DISCARDURB: the argument is the client's URB address. A URB in flight
 * completes with -ENOENT (libusb's timeouts and cancels rely on it); one
 * that has already completed cannot be discarded (EINVAL, which libusb
 * takes as "reap it").
 */
static void do_discard(struct front_attach *att, UMockdevIoctlClient *client,
		       UMockdevIoctlData *arg)
{
	struct front_dev *dev = att->dev;
	unsigned long addr = 0;
	uint64_t now = front_now_us();
	GList *l;

	memcpy(&addr, arg->data, MIN(sizeof(addr), (size_t)arg->data_len));
	for (l = dev->urbs.head; l; l = l->next) {
		struct front_urb *u = l->data;

		if (u->client != client || u->urb->client_addr != addr)
			continue;
		if (u->ready_at_us <= now)
			break;
		u->ready_at_us = now;
		u->status = -ENOENT;
		u->actual_length = 0;
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
	umockdev_ioctl_client_complete(client, -1, EINVAL);
}

/* USBDEVFS_RESET: a bus reset; it re-enumerates the device if the model
 * says so, and then the reset fails with ENODEV as on Linux. */
static void do_reset(struct front_attach *att, UMockdevIoctlClient *client)
{
	struct front_dev *dev = att->dev;
	uint64_t now = front_now_us();
	enum dfusim_bus_event ev = dfusim_bus_reset(dev->sim, now);

	if (ev == DFUSIM_EV_NONE) {
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
	front_schedule_event(dev, ev, now, now);
	umockdev_ioctl_client_complete(client, -1, ENODEV);
}

/*
 * The ioctls that take a plain (or no) argument and answer at once.
 * Returns false for a request this device does not know.
 */
static bool do_simple(struct front_attach *att, UMockdevIoctlClient *client,
		      unsigned long req, UMockdevIoctlData *data)
{
	struct front_dev *dev = att->dev;
	uint64_t now = front_now_us();
	int r;

	switch (req) {
	case USBDEVFS_GET_CAPABILITIES:
		*(uint32_t *)data->data = FRONT_CAPS;
		umockdev_ioctl_client_complete(client, 0, 0);
		return true;
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
		/* the bootloader has one interface, number 0; with --claimed
		 * another program's usbfs handle holds it: the kernel's
		 * claimintf() answers EBUSY, releaseintf() EINVAL (not ours) */
		if (*(unsigned int *)data->data != 0)
			umockdev_ioctl_client_complete(client, -1, EINVAL);
		else if (dev->host->claimed)
			umockdev_ioctl_client_complete(client, -1,
						       req == USBDEVFS_CLAIMINTERFACE ? EBUSY : EINVAL);
		else
			umockdev_ioctl_client_complete(client, 0, 0);
		return true;
	case USBDEVFS_SETINTERFACE: {
		struct usbdevfs_setinterface *si = (void *)data->data;

		/* usbfs claims the interface first (checkintf()) */
		if (dev->host->claimed) {
			umockdev_ioctl_client_complete(client, -1, EBUSY);
			return true;
		}
		r = dfusim_set_interface(dev->sim, (uint8_t)si->interface,
					 (uint8_t)si->altsetting, now);
		umockdev_ioctl_client_complete(client, r ? -1 : 0, r ? EINVAL : 0);
		return true;
	}
	case USBDEVFS_SETCONFIGURATION:
		r = dfusim_set_configuration(dev->sim,
					     (uint8_t)*(unsigned int *)data->data, now);
		umockdev_ioctl_client_complete(client, r ? -1 : 0, r ? EINVAL : 0);
		return true;
	case USBDEVFS_CONNECTINFO: {
		struct usbdevfs_connectinfo *ci = (void *)data->data;

		ci->devnum = dev->devnum;
		ci->slow = 0;
		umockdev_ioctl_client_complete(client, 0, 0);
		return true;
	}
	case USBDEVFS_GETDRIVER:
		/* the holder of a claimed interface is usbfs itself */
		if (dev->host->claimed) {
			struct usbdevfs_getdriver *gd = (void *)data->data;

			g_strlcpy(gd->driver, "usbfs", sizeof(gd->driver));
			umockdev_ioctl_client_complete(client, 0, 0);
			return true;
		}
		/* no kernel driver is bound to the interface */
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		return true;
	case USBDEVFS_IOCTL:
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		return true;
	case USBDEVFS_DISCONNECT_CLAIM:
		/* libusb asks to take it from any driver but usbfs: EBUSY */
		umockdev_ioctl_client_complete(client, dev->host->claimed ? -1 : 0,
					       dev->host->claimed ? EBUSY : 0);
		return true;
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
		umockdev_ioctl_client_complete(client, 0, 0);
		return true;
	case USBDEVFS_GET_SPEED:
		umockdev_ioctl_client_complete(client, FRONT_USB_SPEED_FULL, 0);
		return true;
	}
	return false;
}

/*
 * The "handle-ioctl" signal of an attachment's handler (worker thread).
 * Resolves the argument by the size encoded in the request and dispatches.
 */
static bool on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
		     gpointer user)
{
	struct front_attach *att = user;
	struct front_dev *dev = att->dev;
	struct front_host *host = dev->host;
	unsigned long req = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	UMockdevIoctlData *data = NULL;
	size_t size = _IOC_SIZE(req);
	GError *err = NULL;
	bool gone;

	(void)handler;
	if (size) {
		data = umockdev_ioctl_data_resolve(arg, 0, size, &err);
		if (!data) {
			front_debug(host, "ioctl 0x%lx: bad argument: %s", req,
				    err ? err->message : "NULL");
			g_clear_error(&err);
			umockdev_ioctl_client_complete(client, -1, EFAULT);
			return true;
		}
	}

	g_mutex_lock(&host->lock);
	gone = !dev->present || att->gen != dev->gen;
	if (req == USBDEVFS_REAPURB || req == USBDEVFS_REAPURBNDELAY) {
		do_reap(att, client, data, gone);
	} else if (gone) {
		umockdev_ioctl_client_complete(client, -1, ENODEV);
	} else if (req == USBDEVFS_SUBMITURB) {
		do_submit(att, client, data);
	} else if (req == USBDEVFS_DISCARDURB) {
		do_discard(att, client, arg);
	} else if (req == USBDEVFS_RESET) {
		do_reset(att, client);
	} else if (!do_simple(att, client, req, data)) {
		front_debug(host, "%s: unknown ioctl 0x%lx", dev->devnode, req);
		umockdev_ioctl_client_complete(client, -1, ENOTTY);
	}
	g_mutex_unlock(&host->lock);

	if (data)
		g_object_unref(data);
	return true;
}
