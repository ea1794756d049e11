/*
 * test_sim_ecu.h - helpers of the whole-ECU tests (test_sim_app.c,
 * test_sim_openblt.c): FOME images, a flash with OpenBLT, and the serial
 * port driven byte for byte with the test's clock.
 */
#ifndef TEST_SIM_ECU_H
#define TEST_SIM_ECU_H

#include "test_sim_util.h"

#define APP_BASE_F4 0x08008000u
#define APP_BASE_H7 0x08020000u

/* zlib's CRC-32, bit by bit: the tests' own, not the model's. */
static inline uint32_t t_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

static inline void t_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t t_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A FOME image of size bytes with sig at 0x100 (NULL: none); bad spoils
 * the CRC. */
static inline void t_fome_image(uint8_t *img, size_t size, const char *sig, bool bad, uint8_t seed)
{
	size_t i;
	uint32_t crc;

	for (i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 7 + seed);
	if (sig)
		memcpy(img + 0x100, sig, strlen(sig) + 1);
	t_put32(img + 0x20, (uint32_t)size);
	crc = t_crc32(0, img, 0x1C);
	crc = t_crc32(crc, img + 0x20, size - 0x20);
	t_put32(img + 0x1C, bad ? crc ^ 1 : crc);
}

/* OpenBLT in [base, app_base): its name and some code-like bytes. */
static inline void t_put_openblt(struct dfusim *sim, uint32_t app_base)
{
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	memset(flash, 0x11, app_base - 0x08000000u);
	memcpy(flash + 0x200, "OpenBLT", 7);
}

static inline void t_put_image(struct dfusim *sim, uint32_t addr, const uint8_t *img, size_t len)
{
	memcpy(dfusim_flash(sim, NULL, NULL) + (addr - 0x08000000u), img, len);
}

/* What the port says within ms of model time after the bytes (time scale
 * 0: everything is due at once). */
static inline size_t t_serial(struct dfusim *sim, const void *data, size_t len, uint8_t *out,
			      size_t cap, struct dfusim_reply *reply)
{
	struct dfusim_reply r;
	uint64_t next;

	t_now += 1000;
	dfusim_serial_input(sim, data, len, t_now, reply ? reply : &r);
	return dfusim_serial_output(sim, out, cap, t_now, &next);
}

/* One XCP packet: returns the answer's length byte (0: none) and its
 * bytes in res. */
static inline size_t t_xcp(struct dfusim *sim, const uint8_t *pkt, size_t len, uint8_t *res,
			   struct dfusim_reply *reply)
{
	uint8_t buf[1 + 256], out[512];
	size_t n;

	buf[0] = (uint8_t)len;
	memcpy(buf + 1, pkt, len);
	n = t_serial(sim, buf, len + 1, out, sizeof(out), reply);
	if (!n)
		return 0;
	assert_int_equal(n, (size_t)out[0] + 1);
	memcpy(res, out + 1, out[0]);
	return out[0];
}

/* A framed TunerStudio request; returns the reply payload's length. */
static inline size_t t_ts(struct dfusim *sim, const void *payload, size_t len, uint8_t *res,
			  struct dfusim_reply *reply)
{
	uint8_t buf[300], out[512];
	uint32_t crc = t_crc32(0, payload, len);
	size_t n, plen;

	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, payload, len);
	buf[2 + len] = (uint8_t)(crc >> 24);
	buf[3 + len] = (uint8_t)(crc >> 16);
	buf[4 + len] = (uint8_t)(crc >> 8);
	buf[5 + len] = (uint8_t)crc;
	n = t_serial(sim, buf, len + 6, out, sizeof(out), reply);
	if (!n)
		return 0;
	plen = (size_t)out[0] << 8 | out[1];
	assert_int_equal(n, plen + 6);
	crc = t_crc32(0, out + 2, plen);
	assert_int_equal(crc, (uint32_t)out[2 + plen] << 24 | (uint32_t)out[3 + plen] << 16 |
			 (uint32_t)out[4 + plen] << 8 | out[5 + plen]);
	memcpy(res, out + 2, plen);
	return plen;
}

/* Takes the chip through the event a reply named, as a front end does. */
static inline void t_follow(struct dfusim *sim, const struct dfusim_reply *r)
{
	assert_int_not_equal(r->event, DFUSIM_EV_NONE);
	t_now = r->back_at_us > t_now ? r->back_at_us : t_now + 1;
	dfusim_reenumerated(sim, t_now);
}

#endif /* TEST_SIM_ECU_H */
