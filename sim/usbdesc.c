/*
 * usbdesc.c - the descriptors and strings the device shows: the ROM
 * bootloader's (USB 2.0 chapter 9, DFU 1.1 section 4.2, as lsusb shows the
 * ST ROM in REFERENCE.md) and, after leave, the application's (FOME's
 * CDC-ACM device, 0483:5740).
 *
 * ROM strings: 0 LANGID 0x0409, 1 manufacturer, 2 product, 3 serial, and
 * 4 + n for alternate setting n, as the F407's lsusb dump numbers them.
 */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

/* The string index of alternate setting 0's name (the F407's numbering). */
enum {
	STR_ALT0 = 4,
};

#define APP_VID 0x0483
#define APP_PID 0x5740
#define APP_BCD 0x0200

/* FOME's running firmware: CDC-ACM behind an interface association. */
static const uint8_t app_config[] = {
	0x09, 0x02, 75, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32,
	0x08, 0x0b, 0x00, 0x02, 0x02, 0x02, 0x01, 0x00,       /* IAD */
	0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x02, 0x01, 0x00, /* comm */
	0x05, 0x24, 0x00, 0x10, 0x01,                         /* header */
	0x05, 0x24, 0x01, 0x00, 0x01,                         /* call mgmt */
	0x04, 0x24, 0x02, 0x02,                               /* ACM */
	0x05, 0x24, 0x06, 0x00, 0x01,                         /* union */
	0x07, 0x05, 0x82, 0x03, 0x08, 0x00, 0xff,             /* notify */
	0x09, 0x04, 0x01, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, /* data */
	0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00,
	0x07, 0x05, 0x81, 0x02, 0x40, 0x00, 0x00,
};

/* The F2/F4 ROM's serial: (UID0 + UID2) as 8 hex digits, then UID1's upper
 * half as 4 (REFERENCE.md: 002d0030 3334510b 32313533 -> 325E35633334). */
void sim_default_serial(const struct dfusim_chip *chip, char *buf, size_t cap)
{
	if (chip->serial) {
		snprintf(buf, cap, "%s", chip->serial);
		return;
	}
	snprintf(buf, cap, "%08X%04X", (unsigned)(chip->uid[0] + chip->uid[2]),
		 (unsigned)(chip->uid[1] >> 16));
}

/* FOME's USB serial: the 12 UID bytes as 24 upper-case hex digits. */
void sim_app_serial(const uint32_t uid[3], char *buf, size_t cap)
{
	snprintf(buf, cap, "%08X%08X%08X", (unsigned)uid[0], (unsigned)uid[1], (unsigned)uid[2]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static size_t device_desc(const struct dfusim *sim, uint8_t *d)
{
	const struct dfusim_chip *c = sim->chip;

	d[0] = 18;
	d[1] = DFU_USB_DT_DEVICE;
	put16(d + 2, sim->app_mode ? 0x0200 : c->bcd_usb);
	d[4] = sim->app_mode ? 0xef : 0x00;
	d[5] = sim->app_mode ? 0x02 : 0x00;
	d[6] = sim->app_mode ? 0x01 : 0x00;
	d[7] = 64;
	put16(d + 8, sim->app_mode ? APP_VID : c->id_vendor);
	put16(d + 10, sim->app_mode ? APP_PID : c->id_product);
	put16(d + 12, sim->app_mode ? APP_BCD : c->bcd_device);
	d[14] = 1;
	d[15] = 2;
	d[16] = 3;
	d[17] = 1;
	return 18;
}

size_t sim_functional_desc(const struct dfusim *sim, uint8_t *d)
{
	const struct dfusim_chip *c = sim->chip;

	d[0] = 9;
	d[1] = DFU_USB_DT_DFU_FUNCTIONAL;
	d[2] = c->attributes;
	put16(d + 3, c->detach_timeout);
	put16(d + 5, c->transfer_size);
	put16(d + 7, c->bcd_dfu);
	return 9;
}

/* The whole configuration descriptor into d (at least 256 bytes). */
static size_t config_desc(const struct dfusim *sim, uint8_t *d)
{
	const struct dfusim_chip *c = sim->chip;
	size_t len = 9, a;

	if (sim->app_mode) {
		memcpy(d, app_config, sizeof(app_config));
		return sizeof(app_config);
	}
	d[0] = 9;
	d[1] = DFU_USB_DT_CONFIG;
	d[4] = 1;     /* one interface */
	d[5] = 1;     /* bConfigurationValue */
	d[6] = 0;
	d[7] = 0xc0;  /* self powered [lsusb] */
	d[8] = 0x32;  /* 100 mA */
	for (a = 0; a < c->nalts; a++) {
		uint8_t *i = d + len;

		i[0] = 9;
		i[1] = DFU_USB_DT_INTERFACE;
		i[2] = 0;
		i[3] = (uint8_t)a;
		i[4] = 0;
		i[5] = DFU_USB_CLASS_APP_SPECIFIC;
		i[6] = DFU_USB_SUBCLASS_DFU;
		i[7] = DFU_USB_PROTOCOL_DFU_MODE;
		i[8] = (uint8_t)(STR_ALT0 + a);
		len += 9;
	}
	len += sim_functional_desc(sim, d + len);
	put16(d + 2, (uint16_t)len);
	return len;
}

/* The text of string descriptor index, or NULL if there is none. */
static const char *string_text(const struct dfusim *sim, uint8_t index)
{
	const struct dfusim_chip *c = sim->chip;

	if (sim->app_mode) {
		switch (index) {
		case 1: return "FOME";
		case 2: return "FOME Engine Management ECU";
		case 3: return sim->app_serial;
		default: return NULL;
		}
	}
	switch (index) {
	case 1: return c->manufacturer;
	case 2: return c->product;
	case 3: return sim->serial;
	default:
		if (index >= STR_ALT0 && (size_t)(index - STR_ALT0) < c->nalts)
			return sim_alt_name(sim, (size_t)(index - STR_ALT0));
		return NULL;
	}
}

/* Answers GET_DESCRIPTOR: copies at most cap bytes of the descriptor and
 * returns how many, or -1 for a descriptor the device does not have (the
 * request stalls). The LANGID is not checked: the ROM has only 0x0409. */
int sim_get_descriptor(const struct dfusim *sim, uint8_t type, uint8_t index,
		       uint16_t langid, uint8_t *buf, size_t cap)
{
	uint8_t d[260];
	const char *s;
	size_t len, i;

	(void)langid;
	switch (type) {
	case DFU_USB_DT_DEVICE:
		len = device_desc(sim, d);
		break;
	case DFU_USB_DT_CONFIG:
		if (index != 0)
			return -1;
		len = config_desc(sim, d);
		break;
	case DFU_USB_DT_DFU_FUNCTIONAL:
		if (sim->app_mode)
			return -1;
		len = sim_functional_desc(sim, d);
		break;
	case DFU_USB_DT_STRING:
		if (index == 0) {
			d[0] = 4;
			d[1] = DFU_USB_DT_STRING;
			put16(d + 2, DFU_USB_LANGID_EN_US);
			len = 4;
			break;
		}
		s = string_text(sim, index);
		if (!s)
			return -1;
		for (i = 0; s[i] && i < 126; i++)
			put16(d + 2 + 2 * i, (uint8_t)s[i]);
		len = 2 + 2 * i;
		d[0] = (uint8_t)len;
		d[1] = DFU_USB_DT_STRING;
		break;
	default:
		return -1;
	}
	if (len > cap)
		len = cap;
	memcpy(buf, d, len);
	return (int)len;
}

void dfusim_identity(const struct dfusim *sim, struct dfusim_identity *out)
{
	const struct dfusim_chip *c = sim->chip;

	memset(out, 0, sizeof(*out));
	if (sim->mode == SIM_MODE_NONE)
		return;  /* nothing that enumerates */
	out->id_vendor = sim->app_mode ? APP_VID : c->id_vendor;
	out->id_product = sim->app_mode ? APP_PID : c->id_product;
	out->bcd_device = sim->app_mode ? APP_BCD : c->bcd_device;
	out->bcd_usb = sim->app_mode ? 0x0200 : c->bcd_usb;
	out->device_class = sim->app_mode ? 0xef : 0;
	out->max_packet_size0 = 64;
	out->configuration_value = 1;
	out->manufacturer = sim->app_mode ? "FOME" : c->manufacturer;
	out->product = sim->app_mode ? "FOME Engine Management ECU" : c->product;
	out->serial = sim->app_mode ? sim->app_serial : sim->serial;
	out->speed = "12";
}

size_t dfusim_descriptors(const struct dfusim *sim, uint8_t *buf, size_t cap)
{
	uint8_t d[18 + 260];
	size_t len = device_desc(sim, d);

	len += config_desc(sim, d + len);
	if (buf)
		memcpy(buf, d, len < cap ? len : cap);
	return len;
}
