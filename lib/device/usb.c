/*
 * usb.c - the libusb transport: finding DFU interfaces, choosing one
 * device, and carrying control transfers.
 *
 * A DFU interface is class 0xFE (application specific), subclass 1; protocol
 * 1 is run-time mode, 2 DFU mode (DFU 1.1 section 4.2.3). Errors from
 * libusb become enum dfu_err where they happen, with a sentence a user can
 * act on (a permission problem names the udev rule).
 */
#include "device.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A device we scanned, with what is needed to open it later. */
struct usb_found {
	struct dfu_dev *dev;
	libusb_device *udev;     /* referenced */
	bool access_denied;
};

/* The transport's state behind dfu_dev->user. */
struct usb_link {
	libusb_context *uctx;
	libusb_device *udev;     /* referenced */
	libusb_device_handle *handle;
	uint8_t interface;
	bool claimed;
	bool gone;               /* a request found the device gone */
};

/* Notes a transfer's result: a device that left the bus is gone for the
 * rest of the handle's life. */
static int seen(struct usb_link *l, int r)
{
	if (r == LIBUSB_ERROR_NO_DEVICE)
		l->gone = true;
	return r;
}

/* libusb's error codes as ours, where the call failed. */
static int map_error(int lerr)
{
	switch ((enum libusb_error)lerr) {
	case LIBUSB_SUCCESS: return DFU_OK;
	case LIBUSB_ERROR_PIPE: return DFU_ERR_STALL;
	case LIBUSB_ERROR_NO_DEVICE: return DFU_ERR_DISCONNECTED;
	case LIBUSB_ERROR_TIMEOUT: return DFU_ERR_TIMEOUT;
	case LIBUSB_ERROR_ACCESS: return DFU_ERR_ACCESS;
	case LIBUSB_ERROR_BUSY: return DFU_ERR_BUSY;
	case LIBUSB_ERROR_NO_MEM: return DFU_ERR_NO_MEM;
	case LIBUSB_ERROR_NOT_FOUND: return DFU_ERR_NO_DEVICE;
	case LIBUSB_ERROR_INVALID_PARAM: return DFU_ERR_INVALID_ARG;
	case LIBUSB_ERROR_IO:
	case LIBUSB_ERROR_OVERFLOW:
	case LIBUSB_ERROR_INTERRUPTED:
	case LIBUSB_ERROR_NOT_SUPPORTED:
	case LIBUSB_ERROR_OTHER:
		return DFU_ERR_USB;
	}
	return DFU_ERR_USB;
}

/* Transport op: a control OUT transfer through libusb. */
static int op_control_out(void *user, uint8_t type, uint8_t req, uint16_t value,
			  uint16_t index, const uint8_t *data, uint16_t len,
			  unsigned timeout_ms)
{
	struct usb_link *l = user;
	int r;

	/* libusb takes a non-const buffer for both directions; an OUT
	 * transfer only reads it. */
	r = libusb_control_transfer(l->handle, type, req, value, index,
				    (unsigned char *)(uintptr_t)data, len, timeout_ms);
	return r < 0 ? map_error(seen(l, r)) : r;
}

/* Transport op: a control IN transfer through libusb. */
static int op_control_in(void *user, uint8_t type, uint8_t req, uint16_t value,
			 uint16_t index, uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct usb_link *l = user;
	int r;

	r = libusb_control_transfer(l->handle, type, req, value, index, data, len,
				    timeout_ms);
	return r < 0 ? map_error(seen(l, r)) : r;
}

/* Transport op: SET_INTERFACE. */
static int op_present(void *user);

/* SET_INTERFACE. Never on a device that left the bus: libusb 1.0.26's
 * libusb_set_interface_alt_setting() unlocks the handle's lock it never
 * took when the device is detached, and the libusb_close() that follows
 * aborts on that lock (libusb issue 1199, fixed in 1.0.27). An ECU that
 * resets while it is being opened gets there. */
static int op_set_alt(void *user, uint8_t interface, uint8_t alt)
{
	struct usb_link *l = user;

	if (l->gone || op_present(l) == 0) {
		l->gone = true;
		return DFU_ERR_DISCONNECTED;
	}
	return map_error(seen(l, libusb_set_interface_alt_setting(l->handle, interface, alt)));
}

/* Transport op: a USB bus reset. */
static int op_reset(void *user)
{
	struct usb_link *l = user;
	int r = libusb_reset_device(l->handle);

	/* A device that re-enumerates as something else is "not found". */
	if (r == LIBUSB_ERROR_NOT_FOUND)
		return DFU_ERR_DISCONNECTED;
	return map_error(r);
}

/* Whether our device is still in libusb's list (libusb follows removals
 * through hotplug events). */
static int op_present(void *user)
{
	struct usb_link *l = user;
	libusb_device **list;
	ssize_t n, i;
	int found = 0;

	libusb_handle_events_timeout_completed(l->uctx, &(struct timeval){ 0, 0 }, NULL);
	n = libusb_get_device_list(l->uctx, &list);
	if (n < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (list[i] == l->udev)
			found = 1;
	libusb_free_device_list(list, 1);
	return found;
}

/* Releases the interface, the handle, the device and libusb, in that order. */
static void link_free(struct usb_link *l)
{
	struct timeval now = { 0, 0 };
	int i;

	if (!l)
		return;
	/* A device that left the bus: let libusb handle the disconnect in
	 * this thread before the handle goes, and release nothing on it (see
	 * op_set_alt()). */
	if (!l->gone && l->uctx && l->udev && op_present(l) == 0)
		l->gone = true;
	for (i = 0; l->gone && l->uctx && i < 2; i++)
		libusb_handle_events_timeout_completed(l->uctx, &now, NULL);
	if (l->claimed && !l->gone)
		libusb_release_interface(l->handle, l->interface);
	if (l->handle)
		libusb_close(l->handle);
	if (l->udev)
		libusb_unref_device(l->udev);
	if (l->uctx)
		libusb_exit(l->uctx);
	free(l);
}

/* Transport op: everything the link holds goes. */
static void op_close(void *user)
{
	link_free(user);
}

static const struct dfu_transport_ops usb_ops = {
	.control_out = op_control_out,
	.control_in = op_control_in,
	.set_alt = op_set_alt,
	.reset = op_reset,
	.present = op_present,
	.sleep_ms = NULL,
	.close = op_close,
};

/* "BUS-PORT.PORT..." as dfu-util's -p takes it. */
static void device_path(libusb_device *udev, char *buf, size_t cap)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(udev, ports, sizeof(ports));
	size_t used;
	int i;

	snprintf(buf, cap, "%u", libusb_get_bus_number(udev));
	for (i = 0; i < n; i++) {
		used = strlen(buf);
		snprintf(buf + used, cap - used, "%c%u", i ? '.' : '-', ports[i]);
	}
}

/* A string descriptor as ASCII; "" when absent or unreadable. */
static void get_string(libusb_device_handle *h, uint8_t index, char *buf, size_t cap)
{
	int n;

	buf[0] = '\0';
	if (!index)
		return;
	n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf, (int)cap);
	if (n < 0)
		buf[0] = '\0';
	else
		buf[n < (int)cap ? n : (int)cap - 1] = '\0';
}

/* Whether vid:pid is one of the -d pairs (any, when none were given). */
static bool ids_match(const struct dfu_match *m, uint16_t vid, uint16_t pid)
{
	size_t i;

	if (!m || !m->id_count)
		return true;
	for (i = 0; i < m->id_count && i < DFU_MATCH_MAX_IDS; i++)
		if (m->id_vendor[i] == vid && (m->any_product[i] || m->id_product[i] == pid))
			return true;
	return false;
}

/* The DFU functional descriptor: in the interface's extra bytes, or (on
 * some devices) in the configuration's. */
static bool func_desc_in(const unsigned char *p, int len, struct dfu_func_desc *out)
{
	while (len >= 2 && p[0] >= 2 && p[0] <= len) {
		if (p[1] == DFU_USB_DT_DFU_FUNCTIONAL && dfu_parse_func_desc(p, p[0], out))
			return true;
		len -= p[0];
		p += p[0];
	}
	return false;
}

/* It follows the last alternate setting on the ST ROM, so libusb files it
 * under that one; look in each, then in the configuration's extra bytes. */
static void find_func_desc(const struct libusb_interface *itf,
			   const struct libusb_config_descriptor *cfg,
			   struct dfu_func_desc *out)
{
	int i;

	for (i = 0; i < itf->num_altsetting; i++)
		if (func_desc_in(itf->altsetting[i].extra, itf->altsetting[i].extra_length, out))
			return;
	func_desc_in(cfg->extra, cfg->extra_length, out);
}

/* Makes a struct dfu_dev describing udev's DFU interface, or none when the
 * device has no DFU interface or does not match. */
static int describe(struct dfu_ctx *ctx, libusb_device *udev, const struct dfu_match *m,
		    struct usb_found *found, bool *matched)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg = NULL;
	libusb_device_handle *h = NULL;
	struct dfu_dev *dev = NULL;
	const struct libusb_interface *dfu_if = NULL;
	int i, j, r, err = DFU_OK;

	*matched = false;
	if (libusb_get_device_descriptor(udev, &dd) != 0 ||
	    !ids_match(m, dd.idVendor, dd.idProduct))
		return DFU_OK;
	if (libusb_get_active_config_descriptor(udev, &cfg) != 0 &&
	    libusb_get_config_descriptor(udev, 0, &cfg) != 0)
		return DFU_OK;
	for (i = 0; i < cfg->bNumInterfaces && !dfu_if; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];

		for (j = 0; j < itf->num_altsetting; j++)
			if (itf->altsetting[j].bInterfaceClass == DFU_USB_CLASS_APP_SPECIFIC &&
			    itf->altsetting[j].bInterfaceSubClass == DFU_USB_SUBCLASS_DFU)
				dfu_if = itf;
	}
	if (!dfu_if)
		goto out;
	err = dfu_dev_alloc(ctx, &dev);
	if (err)
		goto out;
	dev->listed = true;
	dev->info.id_vendor = dd.idVendor;
	dev->info.id_product = dd.idProduct;
	dev->info.bcd_device = dd.bcdDevice;
	dev->info.bus = libusb_get_bus_number(udev);
	dev->info.devnum = libusb_get_device_address(udev);
	device_path(udev, dev->info.path, sizeof(dev->info.path));
	dev->info.interface = dfu_if->altsetting[0].bInterfaceNumber;
	dev->info.dfu_mode = dfu_if->altsetting[0].bInterfaceProtocol == DFU_USB_PROTOCOL_DFU_MODE;
	find_func_desc(dfu_if, cfg, &dev->info.func);
	dev->info.dfuse = dev->info.func.bcd_dfu == DFU_BCD_DFUSE;
	if ((m && m->path && strcmp(m->path, dev->info.path)) ||
	    (m && m->devnum && m->devnum != dev->info.devnum))
		goto out;

	r = libusb_open(udev, &h);
	if (r == 0) {
		get_string(h, dd.iManufacturer, dev->info.manufacturer,
			   sizeof(dev->info.manufacturer));
		get_string(h, dd.iProduct, dev->info.product, sizeof(dev->info.product));
		get_string(h, dd.iSerialNumber, dev->info.serial, sizeof(dev->info.serial));
		dev->info.strings_read = true;
	} else {
		found->access_denied = r == LIBUSB_ERROR_ACCESS;
	}
	for (j = 0; j < dfu_if->num_altsetting && !err; j++) {
		char name[256] = "";

		if (h)
			get_string(h, dfu_if->altsetting[j].iInterface, name, sizeof(name));
		err = dfu_dev_add_alt(dev, dfu_if->altsetting[j].bAlternateSetting, name);
	}
	if (err)
		goto out;
	if (m && m->serial && strcmp(m->serial, dev->info.serial))
		goto out;
	*matched = true;
	found->dev = dev;
	found->udev = libusb_ref_device(udev);
	dev = NULL;
out:
	if (h)
		libusb_close(h);
	dfu_dev_close(dev);
	libusb_free_config_descriptor(cfg);
	return err;
}

/* Frees what scan() found. */
static void found_free(struct usb_found *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		dfu_dev_close(f[i].dev);
		if (f[i].udev)
			libusb_unref_device(f[i].udev);
	}
	free(f);
}

/* Every matching DFU interface on the bus. */
static int scan(struct dfu_ctx *ctx, libusb_context *uctx, const struct dfu_match *m,
		struct usb_found **out, size_t *count, bool *denied)
{
	libusb_device **list = NULL;
	struct usb_found *found;
	ssize_t n, i;
	size_t k = 0;
	int err = DFU_OK;

	*denied = false;
	n = libusb_get_device_list(uctx, &list);
	if (n < 0)
		return dfu_fail(ctx, map_error((int)n), "cannot list USB devices: %s",
				libusb_strerror((int)n));
	found = calloc((size_t)n + 1, sizeof(*found));
	if (!found) {
		libusb_free_device_list(list, 1);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	for (i = 0; i < n && !err; i++) {
		bool matched;
		struct usb_found f = { NULL, NULL, false };

		err = describe(ctx, list[i], m, &f, &matched);
		if (f.access_denied)
			*denied = true;
		if (matched)
			found[k++] = f;
	}
	libusb_free_device_list(list, 1);
	if (err) {
		found_free(found, k);
		return err;
	}
	*out = found;
	*count = k;
	return DFU_OK;
}

/* A libusb context of our own (never the default one). */
static int usb_init(struct dfu_ctx *ctx, libusb_context **uctx)
{
	int r = libusb_init(uctx);

	if (r)
		return dfu_fail(ctx, DFU_ERR_USB, "cannot start libusb: %s", libusb_strerror(r));
	return DFU_OK;
}

/* Lists the matching DFU interfaces; the devices carry no transport. */
int dfu_usb_list(struct dfu_ctx *ctx, const struct dfu_match *match,
		 struct dfu_dev ***list, size_t *count)
{
	libusb_context *uctx = NULL;
	struct usb_found *found = NULL;
	struct dfu_dev **devs;
	size_t n = 0, i;
	bool denied;
	int err;

	if (!list || !count)
		return DFU_ERR_INVALID_ARG;
	err = usb_init(ctx, &uctx);
	if (err)
		return err;
	err = scan(ctx, uctx, match, &found, &n, &denied);
	if (err)
		goto out;
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs) {
		err = dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		devs[i] = found[i].dev;
		found[i].dev = NULL;
	}
	*list = devs;
	*count = n;
out:
	found_free(found, n);
	libusb_exit(uctx);
	return err;
}

/* Opens and claims the interface of the one device found. */
static int open_found(struct dfu_ctx *ctx, libusb_context *uctx, struct usb_found *f,
		      struct dfu_dev **out)
{
	struct usb_link *l = calloc(1, sizeof(*l));
	int r, err;

	if (!l)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	l->uctx = uctx;
	l->udev = libusb_ref_device(f->udev);
	l->interface = f->dev->info.interface;
	r = libusb_open(f->udev, &l->handle);
	if (r == 0) {
		r = libusb_claim_interface(l->handle, l->interface);
		l->claimed = r == 0;
	}
	if (r) {
		err = map_error(r);
		if (err == DFU_ERR_ACCESS)
			err = dfu_fail(ctx, err,
				       "%04x:%04x at %s: permission denied. Install the udev rule "
				       "(contrib/50-dfuflash.rules into /etc/udev/rules.d, then "
				       "'udevadm control --reload' and reconnect) or run as root",
				       f->dev->info.id_vendor, f->dev->info.id_product,
				       f->dev->info.path);
		else if (err == DFU_ERR_BUSY)
			err = dfu_fail(ctx, err,
				       "%04x:%04x at %s is in use by another program "
				       "(close STM32CubeProgrammer, dfu-util or the like)",
				       f->dev->info.id_vendor, f->dev->info.id_product,
				       f->dev->info.path);
		else
			err = dfu_fail(ctx, err, "cannot open %04x:%04x at %s: %s",
				       f->dev->info.id_vendor, f->dev->info.id_product,
				       f->dev->info.path, libusb_strerror(r));
		l->uctx = NULL;   /* the caller still owns it */
		link_free(l);
		return err;
	}
	dfu_dev_attach(f->dev, &usb_ops, l);
	*out = f->dev;
	f->dev = NULL;
	return DFU_OK;
}

/* Opens the one matching DFU-mode device, or says why not (none, several,
 * no permission, busy). */
int dfu_usb_open_raw(struct dfu_ctx *ctx, const struct dfu_match *match,
		     struct dfu_dev **out)
{
	libusb_context *uctx = NULL;
	struct usb_found *found = NULL;
	size_t n = 0, i, ndfu = 0, pick = 0;
	bool denied;
	int err;

	if (!out)
		return DFU_ERR_INVALID_ARG;
	err = usb_init(ctx, &uctx);
	if (err)
		return err;
	err = scan(ctx, uctx, match, &found, &n, &denied);
	if (err)
		goto fail;
	for (i = 0; i < n; i++)
		if (found[i].dev->info.dfu_mode) {
			ndfu++;
			pick = i;
		}
	if (ndfu == 0) {
		if (denied)
			err = dfu_fail(ctx, DFU_ERR_ACCESS,
				       "a USB device is there but cannot be opened: permission "
				       "denied. Install the udev rule (contrib/50-dfuflash.rules "
				       "into /etc/udev/rules.d, then 'udevadm control --reload' and "
				       "reconnect) or run as root");
		else if (n)
			err = dfu_fail(ctx, DFU_ERR_NO_DEVICE,
				       "%04x:%04x at %s is running its application (DFU run-time "
				       "mode), not the bootloader: put the ECU in bootloader mode: "
				       "hold BOOT, then connect USB",
				       found[0].dev->info.id_vendor, found[0].dev->info.id_product,
				       found[0].dev->info.path);
		else
			err = dfu_fail(ctx, DFU_ERR_NO_DEVICE,
				       "no DFU device found: put the ECU in bootloader mode "
				       "(hold BOOT, then connect USB)%s",
				       match && (match->id_count || match->serial || match->path) ?
				       " and check which devices were asked for (ids, serial, path)" : "");
		goto fail;
	}
	if (ndfu > 1) {
		char msg[400];
		size_t used = 0;

		msg[0] = '\0';
		for (i = 0; i < n && used + 1 < sizeof(msg); i++) {
			const struct dfu_dev_info *d = &found[i].dev->info;
			int w;

			if (!d->dfu_mode)
				continue;
			w = snprintf(msg + used, sizeof(msg) - used, "\n  %04x:%04x path %s serial %s",
				     d->id_vendor, d->id_product, d->path,
				     d->serial[0] ? d->serial : "(none)");
			if (w < 0)
				break;
			used += (size_t)w;
			if (used >= sizeof(msg))
				used = sizeof(msg) - 1;
		}
		err = dfu_fail(ctx, DFU_ERR_AMBIGUOUS,
			       "%zu DFU devices match; choose one by serial number or USB path:%s",
			       ndfu, msg);
		goto fail;
	}
	err = open_found(ctx, uctx, &found[pick], out);
	if (err)
		goto fail;
	found_free(found, n);
	return DFU_OK;
fail:
	found_free(found, n);
	libusb_exit(uctx);
	return err;
}
