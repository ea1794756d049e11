/*
 * test_sim_desc.c - dfusim's descriptors, strings and identities against
 * the bytes REFERENCE.md quotes from real ROMs (lsusb -v, dfu-util -l).
 */
#include "test_sim_util.h"

/* A string descriptor as ASCII, or "" if it stalls. */
static const char *get_string(struct dfusim *sim, uint8_t index, char *out, size_t cap)
{
	uint8_t buf[256];
	struct dfusim_reply r = t_desc(sim, DFU_USB_DT_STRING, index, 255, buf, sizeof(buf));
	size_t i, n = 0;

	out[0] = '\0';
	if (r.outcome != DFUSIM_ACK)
		return out;
	assert_int_equal(buf[0], r.len);
	assert_int_equal(buf[1], 3);
	for (i = 2; i + 1 < r.len && n + 1 < cap; i += 2) {
		assert_int_equal(buf[i + 1], 0);
		out[n++] = (char)buf[i];
	}
	out[n] = '\0';
	return out;
}

static void f407_device_descriptor(void **state)
{
	static const uint8_t want[18] = {
		0x12, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40, 0x83, 0x04, 0x11, 0xdf,
		0x00, 0x22, 0x01, 0x02, 0x03, 0x01,
	};
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[64];
	struct dfusim_reply r;

	(void)state;
	r = t_desc(sim, DFU_USB_DT_DEVICE, 0, 64, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(r.len, 18);
	assert_memory_equal(buf, want, 18);
	/* the host asks for 8 bytes first: only 8 come */
	r = t_desc(sim, DFU_USB_DT_DEVICE, 0, 8, buf, sizeof(buf));
	assert_int_equal(r.len, 8);
	dfusim_free(sim);
}

static void f407_config_descriptor(void **state)
{
	static const uint8_t want[54] = {
		0x09, 0x02, 0x36, 0x00, 0x01, 0x01, 0x00, 0xc0, 0x32,
		0x09, 0x04, 0x00, 0x00, 0x00, 0xfe, 0x01, 0x02, 0x04,
		0x09, 0x04, 0x00, 0x01, 0x00, 0xfe, 0x01, 0x02, 0x05,
		0x09, 0x04, 0x00, 0x02, 0x00, 0xfe, 0x01, 0x02, 0x06,
		0x09, 0x04, 0x00, 0x03, 0x00, 0xfe, 0x01, 0x02, 0x07,
		0x09, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x08, 0x1a, 0x01,
	};
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[256];
	struct dfusim_reply r;
	size_t n;

	(void)state;
	r = t_desc(sim, DFU_USB_DT_CONFIG, 0, 9, buf, sizeof(buf));
	assert_int_equal(r.len, 9);
	assert_int_equal(buf[2], 54);
	r = t_desc(sim, DFU_USB_DT_CONFIG, 0, 255, buf, sizeof(buf));
	assert_int_equal(r.len, 54);
	assert_memory_equal(buf, want, 54);
	/* DFU functional descriptor on its own (type 0x21) */
	r = t_desc_if(sim, DFU_USB_DT_DFU_FUNCTIONAL, 0, 255, buf, sizeof(buf));
	assert_int_equal(r.len, 9);
	assert_memory_equal(buf, want + 45, 9);
	/* the sysfs "descriptors" blob: device then configuration */
	n = dfusim_descriptors(sim, buf, sizeof(buf));
	assert_int_equal(n, 18 + 54);
	assert_memory_equal(buf + 18, want, 54);
	assert_int_equal(dfusim_descriptors(sim, buf, 4), 72);
	dfusim_free(sim);
}

static void f407_strings(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[16];
	char s[256];
	struct dfusim_reply r;

	(void)state;
	r = t_desc(sim, DFU_USB_DT_STRING, 0, 255, buf, sizeof(buf));
	assert_int_equal(r.len, 4);
	assert_memory_equal(buf, "\x04\x03\x09\x04", 4);
	assert_string_equal(get_string(sim, 1, s, sizeof(s)), "STMicroelectronics");
	assert_string_equal(get_string(sim, 2, s, sizeof(s)), "STM32  BOOTLOADER");
	assert_string_equal(get_string(sim, 4, s, sizeof(s)),
			    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
	assert_string_equal(get_string(sim, 5, s, sizeof(s)), "@Option Bytes  /0x1FFFC000/01*016 e");
	assert_string_equal(get_string(sim, 6, s, sizeof(s)),
			    "@OTP Memory /0x1FFF7800/01*512 e,01*016 e");
	assert_string_equal(get_string(sim, 7, s, sizeof(s)), "@Device Feature/0xFFFF0000/01*004 e");
	assert_string_equal(get_string(sim, 8, s, sizeof(s)), "");  /* stalls */
	assert_int_equal(strlen(get_string(sim, 3, s, sizeof(s))), 12);
	dfusim_free(sim);
}

/* The F2/F4 serial formula with REFERENCE.md's example UID. */
static void f405_serial_from_uid(void **state)
{
	struct dfusim *sim = t_new("stm32f405");
	struct dfusim_identity id;
	char s[64];

	(void)state;
	dfusim_identity(sim, &id);
	assert_string_equal(id.serial, "325E35633334");
	assert_string_equal(get_string(sim, 3, s, sizeof(s)), "325E35633334");
	assert_int_equal(dfusim_set_serial(sim, "ECU-1"), 0);
	assert_string_equal(get_string(sim, 3, s, sizeof(s)), "ECU-1");
	assert_int_equal(dfusim_set_serial(sim, ""), -1);
	assert_non_null(strstr(dfusim_error(sim), "serial"));
	dfusim_free(sim);
}

struct alt_case {
	const char *chip;
	size_t alt;
	const char *name;
};

static void alt_strings_per_chip(void **state)
{
	static const struct alt_case cases[] = {
		{ "stm32f429", 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg" },
		{ "stm32f429", 1, "@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e" },
		{ "stm32f746", 0, "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg" },
		{ "stm32f767", 0, "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg" },
		{ "stm32f767zg", 0, "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg" },
		{ "stm32f767zg", 1, "@Option Bytes  /0x1FFF0000/01*032 e" },
		{ "stm32h743", 0, "@Internal Flash   /0x08000000/16*128Kg" },
		{ "stm32h743", 1, "@Option Bytes   /0x5200201C/01*128 e" },
	};
	size_t i;
	char s[256];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfusim *sim = t_new(cases[i].chip);

		assert_string_equal(get_string(sim, (uint8_t)(4 + cases[i].alt), s, sizeof(s)),
				    cases[i].name);
		dfusim_free(sim);
	}
}

static void h743_identity(void **state)
{
	struct dfusim *sim = t_new("stm32h743");
	struct dfusim_identity id;
	uint8_t buf[256];
	struct dfusim_reply r;

	(void)state;
	dfusim_identity(sim, &id);
	assert_int_equal(id.id_vendor, 0x0483);
	assert_int_equal(id.id_product, 0xdf11);
	assert_int_equal(id.bcd_device, 0x0200);
	assert_string_equal(id.product, "DFU in FS Mode");
	assert_string_equal(id.serial, "200364500000");
	assert_string_equal(id.speed, "12");
	r = t_desc_if(sim, DFU_USB_DT_DFU_FUNCTIONAL, 0, 9, buf, sizeof(buf));
	assert_int_equal(r.len, 9);
	assert_memory_equal(buf, "\x09\x21\x0b\xff\x00\x00\x04\x1a\x01", 9);
	/* two alts: config is 9 + 2 * 9 + 9 */
	r = t_desc(sim, DFU_USB_DT_CONFIG, 0, 255, buf, sizeof(buf));
	assert_int_equal(r.len, 36);
	dfusim_free(sim);
}

/* F767: the alt 0 string follows nDBANK only without the quirk. */
static void f767_dual_bank_string(void **state)
{
	struct dfusim *sim = t_new("stm32f767");
	char s[256];

	(void)state;
	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), 0);
	assert_string_equal(get_string(sim, 4, s, sizeof(s)),
			    "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg");
	assert_int_equal(dfusim_set_quirk(sim, "f7-dualbank-erase", false), 0);
	assert_string_equal(get_string(sim, 4, s, sizeof(s)),
			    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg");
	dfusim_free(sim);
}

/* F767ZG (1 MB): the single-bank string in both modes while the quirk is
 * on (a guess: never published), the true dual-bank one only without it;
 * its own serial; its maps in the JSON with bank 2 numbered from 12. */
static void f767zg_strings_serial_json(void **state)
{
	static const char single[] = "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg";
	struct dfusim *sim = t_new("stm32f767zg");
	struct dfusim *big = t_new("stm32f767");
	struct dfusim_identity id, big_id;
	char *json = dfusim_chips_json();
	const char *p;
	char s[256];

	(void)state;
	assert_string_equal(get_string(sim, 4, s, sizeof(s)), single);
	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), 0);
	assert_string_equal(get_string(sim, 4, s, sizeof(s)), single);
	assert_int_equal(dfusim_set_quirk(sim, "f7-dualbank-erase", false), 0);
	assert_string_equal(get_string(sim, 4, s, sizeof(s)),
			    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg,"
			    "04*016Kg,01*064Kg,03*128Kg");
	dfusim_identity(sim, &id);
	dfusim_identity(big, &big_id);
	assert_string_not_equal(id.serial, big_id.serial);
	assert_non_null(json);
	p = strstr(json, "\"name\":\"stm32f767zg\"");
	assert_non_null(p);
	assert_non_null(strstr(p, "\"flash_size\":1048576"));
	assert_non_null(strstr(p, "\"sectors_dual_bank\":[{\"count\":4,\"size\":16384,\"first\":0}"));
	assert_non_null(strstr(p, "{\"count\":4,\"size\":16384,\"first\":12}"));
	free(json);
	dfusim_free(big);
	dfusim_free(sim);
}

static void generic_dfu11(void **state)
{
	struct dfusim *sim = t_new("generic-dfu11");
	uint8_t buf[64];
	struct dfusim_reply r;

	(void)state;
	r = t_desc_if(sim, DFU_USB_DT_DFU_FUNCTIONAL, 0, 9, buf, sizeof(buf));
	assert_int_equal(r.len, 9);
	assert_memory_equal(buf, "\x09\x21\x03\xff\x00\x00\x04\x10\x01", 9);
	dfusim_free(sim);
	sim = t_new("generic-dfu11-tolerant");
	r = t_desc_if(sim, DFU_USB_DT_DFU_FUNCTIONAL, 0, 9, buf, sizeof(buf));
	assert_int_equal(buf[2], 0x07);
	dfusim_free(sim);
}

static void standard_requests(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[8];
	struct dfusim_reply r;
	const uint8_t std_out = DFU_USB_TYPE_STANDARD | DFU_USB_RECIP_DEVICE;
	const uint8_t if_out = DFU_USB_TYPE_STANDARD | DFU_USB_RECIP_INTERFACE;
	const uint8_t if_in = DFU_RT_STD_IN | DFU_USB_RECIP_INTERFACE;

	(void)state;
	r = t_ctl(sim, DFU_RT_STD_IN, DFU_USB_REQ_GET_STATUS, 0, 0, 2, buf, sizeof(buf));
	assert_int_equal(r.len, 2);
	assert_memory_equal(buf, "\x01\x00", 2);              /* self powered */
	r = t_ctl(sim, DFU_RT_STD_IN, DFU_USB_REQ_GET_CONFIGURATION, 0, 0, 1, buf, sizeof(buf));
	assert_int_equal(buf[0], 1);
	r = t_ctl(sim, std_out, DFU_USB_REQ_SET_CONFIGURATION, 0, 0, 0, NULL, 0);
	assert_int_equal(r.outcome, DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_STD_IN, DFU_USB_REQ_GET_CONFIGURATION, 0, 0, 1, buf, sizeof(buf));
	assert_int_equal(buf[0], 0);
	/* unconfigured: DFU requests stall */
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATE, 0, 0, 1, buf, 1).outcome, DFUSIM_STALL);
	r = t_ctl(sim, std_out, DFU_USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL, 0);
	assert_int_equal(r.outcome, DFUSIM_ACK);
	r = t_ctl(sim, std_out, DFU_USB_REQ_SET_CONFIGURATION, 2, 0, 0, NULL, 0);
	assert_int_equal(r.outcome, DFUSIM_STALL);
	assert_int_equal(t_ctl(sim, if_out, DFU_USB_REQ_SET_INTERFACE, 3, 0, 0, NULL, 0).outcome,
			 DFUSIM_ACK);
	r = t_ctl(sim, if_in, DFU_USB_REQ_GET_INTERFACE, 0, 0, 1, buf, sizeof(buf));
	assert_int_equal(buf[0], 3);
	assert_int_equal(t_ctl(sim, if_out, DFU_USB_REQ_SET_INTERFACE, 4, 0, 0, NULL, 0).outcome,
			 DFUSIM_STALL);
	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(dfusim_set_interface(sim, 1, 0, t_now), -1);
	/* DEVICE_QUALIFIER (6): a full-speed-only device has none */
	assert_int_equal(t_desc(sim, 6, 0, 10, buf, sizeof(buf)).outcome, DFUSIM_STALL);
	/* vendor request */
	assert_int_equal(t_ctl(sim, 0xc0, 1, 0, 0, 1, buf, sizeof(buf)).outcome, DFUSIM_STALL);
	dfusim_free(sim);
}

/* After leave the application is on the bus: FOME's CDC-ACM device. */
static void application_descriptors(void **state)
{
	struct dfusim *sim = t_new("stm32f405");
	uint8_t buf[256];
	char s[64];
	struct dfusim_reply r;

	(void)state;
	memset(dfusim_flash(sim, NULL, NULL), 0x42, 16);  /* an application */
	assert_int_equal(t_dnload(sim, 2, NULL, 0), DFUSIM_ACK);
	assert_int_equal(t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, 6).event,
			 DFUSIM_EV_RUN_APP);
	dfusim_reenumerated(sim, t_now);
	r = t_desc(sim, DFU_USB_DT_DEVICE, 0, 18, buf, sizeof(buf));
	assert_int_equal(r.len, 18);
	assert_memory_equal(buf, "\x12\x01\x00\x02\xef\x02\x01\x40\x83\x04\x40\x57\x00\x02", 14);
	r = t_desc(sim, DFU_USB_DT_CONFIG, 0, 255, buf, sizeof(buf));
	assert_int_equal(r.len, 75);
	assert_int_equal(buf[4], 2);  /* two interfaces */
	assert_string_equal(get_string(sim, 1, s, sizeof(s)), "FOME");
	assert_string_equal(get_string(sim, 3, s, sizeof(s)), "002D00303334510B32313533");
	/* no DFU functional descriptor, CDC line coding works */
	assert_int_equal(t_desc_if(sim, DFU_USB_DT_DFU_FUNCTIONAL, 0, 9, buf, 9).outcome, DFUSIM_STALL);
	memcpy(buf, "\x80\x25\x00\x00\x00\x00\x08", 7);
	/* CDC SET_LINE_CODING (0x20) and GET_LINE_CODING (0x21): class
	 * requests to an interface, the request types DFU's have */
	assert_int_equal(t_ctl(sim, DFU_RT_OUT, 0x20, 0, 0, 7, buf, 7).outcome, DFUSIM_ACK);
	memset(buf, 0, 7);
	r = t_ctl(sim, DFU_RT_IN, 0x21, 0, 0, 7, buf, 7);
	assert_int_equal(r.len, 7);
	assert_memory_equal(buf, "\x80\x25\x00\x00\x00\x00\x08", 7);
	dfusim_free(sim);
}

static void chips_json_lists_all(void **state)
{
	char *json = dfusim_chips_json();
	size_t i;

	(void)state;
	assert_non_null(json);
	assert_true(dfusim_chip_count() >= 8);
	for (i = 0; i < dfusim_chip_count(); i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "\"name\":\"%s\"", dfusim_chip_name(i));
		assert_non_null(strstr(json, needle));
	}
	assert_null(dfusim_chip_name(dfusim_chip_count()));
	assert_non_null(strstr(json, "\"mass_erase_us\":8000000"));
	assert_non_null(strstr(json, "\"set_address\":104"));
	assert_non_null(strstr(json, "f7-dualbank-erase"));
	assert_null(dfusim_new("stm32f999"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f407_device_descriptor),
		cmocka_unit_test(f407_config_descriptor),
		cmocka_unit_test(f407_strings),
		cmocka_unit_test(f405_serial_from_uid),
		cmocka_unit_test(alt_strings_per_chip),
		cmocka_unit_test(h743_identity),
		cmocka_unit_test(f767_dual_bank_string),
		cmocka_unit_test(f767zg_strings_serial_json),
		cmocka_unit_test(generic_dfu11),
		cmocka_unit_test(standard_requests),
		cmocka_unit_test(application_descriptors),
		cmocka_unit_test(chips_json_lists_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
