/*
 * version.c - which libdfuflash and which libusb a program runs with
 * (dfuflash --version prints both).
 */
#include "device.h"

#include <libusb.h>
#include <pthread.h>
#include <stdio.h>

const char *dfu_version(void)
{
	return DFUFLASH_VERSION;
}

/* "major.minor.micro" and libusb's release-candidate suffix, made once. */
static char libusb_version[64];

static void format_libusb_version(void)
{
	const struct libusb_version *v = libusb_get_version();

	snprintf(libusb_version, sizeof(libusb_version), "%u.%u.%u%s", (unsigned)v->major,
		 (unsigned)v->minor, (unsigned)v->micro, v->rc ? v->rc : "");
}

const char *dfu_libusb_version(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, format_libusb_version);
	return libusb_version;
}
