/*
 * dev.c - the device handle: identity, alternate settings, transport.
 *
 * A struct dfu_dev is made either by lib/usb.c (libusb) or by
 * dfu_dev_open_transport() over a caller's transport; everything above
 * (dfu.c, dfuse.c, flash.c) talks to it only through its ops table.
 */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* At most this many alternate settings; the ST ROMs have 2 to 4. */
#define DEV_MAX_ALTS 32

/* An empty device with no alternate setting selected. */
int dfu_dev_alloc(struct dfu_ctx *ctx, struct dfu_dev **out)
{
	struct dfu_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	dev->ctx = ctx;
	dev->cur_alt = -1;
	*out = dev;
	return DFU_OK;
}

/* Adds an alternate setting; a name that is not a DfuSe layout is kept
 * as a name only (plain DFU devices). */
int dfu_dev_add_alt(struct dfu_dev *dev, uint8_t alt, const char *name)
{
	struct dfu_alt_info *a;
	struct dfu_layout *lay = NULL;
	size_t n;

	if (dev->info.alt_count >= DEV_MAX_ALTS)
		return DFU_OK;
	if (dev->info.alt_count == dev->alt_cap) {
		size_t cap = dev->alt_cap ? dev->alt_cap * 2 : 4;
		struct dfu_alt_info *na = realloc(dev->alts, cap * sizeof(*na));
		struct dfu_layout **nl;

		if (!na)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		dev->alts = na;
		nl = realloc(dev->layouts, cap * sizeof(*nl));
		if (!nl)
			return dfu_fail(dev->ctx, DFU_ERR_NO_MEM, "out of memory");
		dev->layouts = nl;
		dev->alt_cap = cap;
	}
	if (name && name[0] == '@' && dfu_layout_parse(NULL, name, &lay) != DFU_OK)
		lay = NULL;
	a = &dev->alts[dev->info.alt_count];
	memset(a, 0, sizeof(*a));
	a->alt = alt;
	n = name ? strlen(name) : 0;
	if (n >= sizeof(a->name))
		n = sizeof(a->name) - 1;
	if (n)
		memcpy(a->name, name, n);
	a->name[n] = '\0';
	a->layout = lay;
	dev->layouts[dev->info.alt_count] = lay;
	dev->info.alt_count++;
	dev->info.alts = dev->alts;
	return DFU_OK;
}

/* Gives the device its transport (which it owns from now on). */
void dfu_dev_attach(struct dfu_dev *dev, const struct dfu_transport_ops *ops,
		    void *user)
{
	dev->ops = *ops;
	dev->user = user;
	dev->listed = false;
}

/* The DFU functional descriptor's fields (DFU 1.1 section 4.1.3). */
bool dfu_parse_func_desc(const uint8_t *p, size_t len, struct dfu_func_desc *out)
{
	/* DFU 1.0 devices send 7 bytes (no bcdDFU). */
	if (len < 7 || p[1] != DFU_USB_DT_DFU_FUNCTIONAL)
		return false;
	out->bm_attributes = p[2];
	out->w_detach_timeout = (uint16_t)(p[3] | p[4] << 8);
	out->w_transfer_size = (uint16_t)(p[5] | p[6] << 8);
	out->bcd_dfu = len >= 9 ? (uint16_t)(p[7] | p[8] << 8) : DFU_BCD_DFU_1_0;
	return true;
}

/* Reads string descriptor index as ASCII (UTF-16LE with non-ASCII as '?')
 * through the transport. An empty string when the device has none. */
static void read_string(struct dfu_dev *dev, uint8_t index, uint16_t langid,
			char *buf, size_t cap)
{
	uint8_t raw[255];
	size_t i, n = 0;
	int got;

	buf[0] = '\0';
	if (!index || !dev->ops.control_in)
		return;
	got = dev->ops.control_in(dev->user, DFU_RT_STD_IN, DFU_USB_REQ_GET_DESCRIPTOR,
				  (uint16_t)(DFU_USB_DT_STRING << 8 | index), langid,
				  raw, sizeof(raw), DFU_USB_TIMEOUT_MS);
	if (got < 2 || raw[1] != DFU_USB_DT_STRING)
		return;
	if ((size_t)got > raw[0])
		got = raw[0];
	for (i = 2; i + 1 < (size_t)got && n + 1 < cap; i += 2) {
		uint16_t c = (uint16_t)(raw[i] | raw[i + 1] << 8);

		buf[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	buf[n] = '\0';
}

/* Walks a device descriptor and a configuration descriptor: identity and
 * the first DFU interface's alternate settings (strings read later). */
static int parse_descriptors(struct dfu_dev *dev, const uint8_t *d, size_t len,
			     uint8_t alt_strings[DEV_MAX_ALTS], uint8_t *alt_nums,
			     size_t *alt_n, uint8_t str_idx[3])
{
	size_t off, total;
	bool found = false;
	int iface = -1;

	if (len < 18 || d[0] < 18 || d[1] != DFU_USB_DT_DEVICE)
		return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL, "bad device descriptor");
	dev->info.id_vendor = (uint16_t)(d[8] | d[9] << 8);
	dev->info.id_product = (uint16_t)(d[10] | d[11] << 8);
	dev->info.bcd_device = (uint16_t)(d[12] | d[13] << 8);
	str_idx[0] = d[14];
	str_idx[1] = d[15];
	str_idx[2] = d[16];
	/* bLength is the device's word, not ours: it may point past the end. */
	off = d[0];
	if (off > len || len - off < 9 || d[off + 1] != DFU_USB_DT_CONFIG)
		return dfu_fail(dev->ctx, DFU_ERR_PROTOCOL, "bad configuration descriptor");
	total = (size_t)(d[off + 2] | d[off + 3] << 8);
	if (total > len - off)
		total = len - off;
	total += off;
	*alt_n = 0;
	while (off + 2 <= total) {
		const uint8_t *p = d + off;
		size_t dl = p[0];

		if (dl < 2 || dl > total - off)
			break;
		if (p[1] == DFU_USB_DT_INTERFACE && dl >= 9) {
			bool is_dfu = p[5] == DFU_USB_CLASS_APP_SPECIFIC &&
				      p[6] == DFU_USB_SUBCLASS_DFU;

			if (is_dfu && (iface < 0 || iface == p[2])) {
				iface = p[2];
				found = true;
				dev->info.interface = p[2];
				dev->info.dfu_mode = p[7] == DFU_USB_PROTOCOL_DFU_MODE;
				if (*alt_n < DEV_MAX_ALTS) {
					alt_nums[*alt_n] = p[3];
					alt_strings[*alt_n] = p[8];
					(*alt_n)++;
				}
			}
		} else if (p[1] == DFU_USB_DT_DFU_FUNCTIONAL && found) {
			dfu_parse_func_desc(p, dl, &dev->info.func);
		}
		off += dl;
	}
	if (!found)
		return dfu_fail(dev->ctx, DFU_ERR_NO_DEVICE, "no DFU interface in the descriptors");
	dev->info.dfuse = dev->info.func.bcd_dfu == DFU_BCD_DFUSE;
	return DFU_OK;
}

/* A device over a caller's transport, described by its raw descriptors;
 * the probe is protocol/probe.c's. */
int dfu_dev_open_raw(struct dfu_ctx *ctx, const struct dfu_transport_ops *ops,
			   void *user, const uint8_t *descriptors, size_t len,
			   struct dfu_dev **out)
{
	struct dfu_dev *dev = NULL;
	uint8_t alt_strings[DEV_MAX_ALTS], alt_nums[DEV_MAX_ALTS], str_idx[3] = { 0 };
	uint8_t langs[8];
	uint16_t langid = DFU_USB_LANGID_EN_US;
	size_t alt_n = 0, i;
	int err;

	if (!ops || !ops->control_in || !ops->control_out || !descriptors || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "transport lacks control ops");
	err = dfu_dev_alloc(ctx, &dev);
	if (err)
		return err;
	dev->ops = *ops;
	dev->user = user;
	err = parse_descriptors(dev, descriptors, len, alt_strings, alt_nums, &alt_n,
				str_idx);
	if (err)
		goto fail;
	if (ops->control_in(user, DFU_RT_STD_IN, DFU_USB_REQ_GET_DESCRIPTOR, DFU_USB_DT_STRING << 8, 0,
			    langs, sizeof(langs), DFU_USB_TIMEOUT_MS) >= 4)
		langid = (uint16_t)(langs[2] | langs[3] << 8);
	read_string(dev, str_idx[0], langid, dev->info.manufacturer,
		    sizeof(dev->info.manufacturer));
	read_string(dev, str_idx[1], langid, dev->info.product, sizeof(dev->info.product));
	read_string(dev, str_idx[2], langid, dev->info.serial, sizeof(dev->info.serial));
	for (i = 0; i < alt_n; i++) {
		char name[256];

		read_string(dev, alt_strings[i], langid, name, sizeof(name));
		err = dfu_dev_add_alt(dev, alt_nums[i], name);
		if (err)
			goto fail;
	}
	dev->info.strings_read = true;
	*out = dev;
	return DFU_OK;
fail:
	/* The caller keeps user on failure. */
	dev->ops.close = NULL;
	dfu_dev_close(dev);
	return err;
}

/* Closes the transport and frees the device; NULL is fine. */
void dfu_dev_close(struct dfu_dev *dev)
{
	size_t i;

	if (!dev)
		return;
	if (dev->ops.close)
		dev->ops.close(dev->user);
	for (i = 0; i < dev->info.alt_count; i++)
		dfu_layout_free(dev->layouts[i]);
	dfu_layout_free(dev->probe.true_map);
	free(dev->layouts);
	free(dev->alts);
	free(dev);
}

/* Frees a list from dfu_usb_list(). */
void dfu_dev_list_free(struct dfu_dev **list, size_t count)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < count; i++)
		dfu_dev_close(list[i]);
	free(list);
}

/* The device's identity; the alt array stays owned by the device. */
void dfu_dev_info(const struct dfu_dev *dev, struct dfu_dev_info *out)
{
	*out = dev->info;
	out->alts = dev->alts;
}

/* Compares an alt's name with spec, ignoring '@', the layout part and
 * blanks around the name ("Internal Flash" matches "@Internal Flash  /0x..."). */
static bool alt_name_matches(const struct dfu_alt_info *a, const char *spec)
{
	const char *n = a->name;
	size_t len;

	if (*n == '@')
		n++;
	len = strcspn(n, "/");
	while (len && n[len - 1] == ' ')
		len--;
	return strlen(spec) == len && !strncmp(n, spec, len);
}

/* Selects an alternate setting by number or name (SET_INTERFACE). */
int dfu_dev_select_alt(struct dfu_dev *dev, const char *spec)
{
	char list[512];
	size_t i, used = 0;
	int idx = -1, err;
	uint32_t num;

	if (!dev->info.alt_count)
		return dfu_fail(dev->ctx, DFU_ERR_NOT_FOUND, "the device has no alternate settings");
	if (!spec) {
		idx = 0;
	} else {
		char *end;
		unsigned long v = strtoul(spec, &end, 0);
		bool numeric = *spec && !*end && *spec != '-';

		num = (uint32_t)v;
		for (i = 0; i < dev->info.alt_count && idx < 0; i++) {
			if (numeric ? dev->alts[i].alt == num
				    : alt_name_matches(&dev->alts[i], spec))
				idx = (int)i;
		}
	}
	if (idx < 0) {
		list[0] = '\0';
		for (i = 0; i < dev->info.alt_count && used + 1 < sizeof(list); i++) {
			int n = snprintf(list + used, sizeof(list) - used, "%s%u \"%s\"",
					 i ? ", " : "", dev->alts[i].alt, dev->alts[i].name);

			if (n < 0)
				break;
			used += (size_t)n;
		}
		return dfu_fail(dev->ctx, DFU_ERR_NOT_FOUND,
				"no alternate setting \"%s\"; the device has: %s", spec, list);
	}
	err = dfu_dev_check_usable(dev);
	if (err)
		return err;
	if (dev->ops.set_alt) {
		err = dev->ops.set_alt(dev->user, dev->info.interface, dev->alts[idx].alt);
		if (err < 0)
			return dfu_fail(dev->ctx, err, "selecting alternate setting %u failed: %s",
					dev->alts[idx].alt, dfu_strerror(err));
	}
	dev->cur_alt = idx;
	dev->address_known = false;
	return DFU_OK;
}

/* The selected alternate setting, or NULL. */
const struct dfu_alt_info *dfu_dev_alt(const struct dfu_dev *dev)
{
	if (dev->cur_alt < 0)
		return NULL;
	return &dev->alts[dev->cur_alt];
}

/* The selected alternate setting's layout, or NULL. */
const struct dfu_layout *dfu_dev_layout(const struct dfu_dev *dev)
{
	if (dev->cur_alt < 0)
		return NULL;
	return dev->layouts[dev->cur_alt];
}

/* Sleeps exactly ms (through the transport when it keeps its own clock). */
void dfu_dev_sleep(struct dfu_dev *dev, unsigned ms)
{
	struct timespec ts;

	if (dev->ops.sleep_ms) {
		dev->ops.sleep_ms(dev->user, ms);
		return;
	}
	if (!ms)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The wTransferSize to use for data blocks. */
uint16_t dfu_dev_transfer_size(const struct dfu_dev *dev)
{
	uint16_t n = dev->info.func.w_transfer_size;

	if (!n)
		return 2048;
	return n > 4096 ? 4096 : n;
}

/* Selects alt index idx by its number. */
int dfu_dev_select_index(struct dfu_dev *dev, int idx)
{
	char num[8];

	if (idx < 0 || (size_t)idx >= dev->info.alt_count)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG, "no alternate setting index %d", idx);
	snprintf(num, sizeof(num), "%u", dev->alts[idx].alt);
	return dfu_dev_select_alt(dev, num);
}

/* A listed device has a description but no transport: asking it anything
 * is a caller's mistake, reported instead of crashing. */
int dfu_dev_check_usable(const struct dfu_dev *dev)
{
	if (!dev)
		return DFU_ERR_INVALID_ARG;
	if (dev->listed || !dev->ops.control_in || !dev->ops.control_out)
		return dfu_fail(dev->ctx, DFU_ERR_INVALID_ARG,
				"this device handle comes from a device list and only describes "
				"the device; open the device (dfu_usb_open) to talk to it");
	return DFU_OK;
}
