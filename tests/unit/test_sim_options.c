/*
 * test_sim_options.c - option bytes through the "@Option Bytes" alternate
 * setting: layouts per family, round trip, the reset a write causes, read
 * protection (errVENDOR, READ UNPROTECT) and write protection.
 */
#include "test_sim_util.h"

/* Reads n option bytes at addr through alt 1. */
static void read_ob(struct dfusim *sim, uint32_t addr, uint8_t *out, uint16_t n)
{
	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(t_read(sim, addr, out, n, 2048), n);
	assert_int_equal(dfusim_set_interface(sim, 0, 0, t_now), 0);
}

/* Writes option bytes: the first GETSTATUS says dfuDNBUSY and the device
 * then resets; returns the event. */
static enum dfusim_bus_event write_ob(struct dfusim *sim, uint32_t addr, const uint8_t *ob,
				      uint16_t n)
{
	uint8_t st[6], buf[6];
	struct dfusim_reply r;

	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(t_set_address(sim, addr), 0);
	assert_int_equal(t_dnload(sim, 2, ob, n), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_ACK);
	assert_int_equal(buf[4], DFU_STATE_DNBUSY);
	/* the next request finds the device gone */
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	if (r.event != DFUSIM_EV_DISCONNECT)
		dfusim_reenumerated(sim, t_now);
	return r.event;
}

static void f407_defaults_and_round_trip(void **state)
{
	static const uint8_t factory[16] = {
		0xFF, 0xAA, 0x00, 0x55, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
	};
	struct dfusim *sim = t_new("stm32f407");
	uint8_t ob[16], w[16];
	uint32_t addr;
	size_t size;

	(void)state;
	read_ob(sim, 0x1FFFC000, ob, 16);
	assert_memory_equal(ob, factory, 16);
	assert_memory_equal(dfusim_option_bytes(sim, &addr, &size), factory, 16);
	assert_int_equal(addr, 0x1FFFC000);
	assert_int_equal(size, 16);
	/* as dfu-util or CubeProgrammer write it: [USER, RDP, FF x6, WRP0, WRP1, FF x6] */
	memset(w, 0xFF, sizeof(w));
	w[0] = 0xE0;  /* BOR_LEV 00 (level 3), unused bits written 0 */
	w[1] = 0xAA;
	w[8] = 0xFD;  /* protect sector 1 */
	w[9] = 0xFF;
	assert_int_equal(write_ob(sim, 0x1FFFC000, w, 16), DFUSIM_EV_RESET_TO_DFU);
	read_ob(sim, 0x1FFFC000, ob, 16);
	assert_int_equal(ob[0], 0xF3);  /* unused bits read 1 */
	assert_int_equal(ob[1], 0xAA);
	assert_int_equal(ob[2], 0x0C);  /* complement */
	assert_int_equal(ob[8], 0xFD);
	assert_int_equal(ob[9], 0xFF);
	assert_int_equal(ob[10], 0x02);
	dfusim_free(sim);
}

/* Write protection: erase refused with errTARGET, programming with
 * errWRITE, mass erase with errERASE; other sectors work. */
static void write_protection(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t data[16];
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	memset(data, 0, sizeof(data));
	assert_int_equal(dfusim_set_option(sim, "nWRP", 0xFFD), 0);
	assert_int_equal(t_erase(sim, 0x08004000), DFU_STATUS_ERR_TARGET);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_write(sim, 0x08004000, data, 16, 2048), DFU_STATUS_ERR_WRITE);
	assert_int_equal(flash[0x4000], 0xFF);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	/* a write that straddles sectors 0 and 1 is refused as a whole */
	assert_int_equal(t_write(sim, 0x08003FF8, data, 16, 2048), DFU_STATUS_ERR_WRITE);
	assert_int_equal(flash[0x3FF8], 0xFF);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_mass_erase(sim), DFU_STATUS_ERR_ERASE);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_erase(sim, 0x08000000), 0);
	assert_int_equal(t_write(sim, 0x08000000, data, 16, 2048), 0);
	assert_int_equal(flash[0], 0x00);
	dfusim_free(sim);
}

/* RDP level 1: flash access answers errVENDOR; READ UNPROTECT wipes the
 * flash, sets level 0 and resets. */
static void rdp1_then_unprotect(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t buf[64], st[6], ob[16];
	uint8_t unprotect = DFUSE_CMD_READ_UNPROTECT;
	struct dfusim_reply r;
	size_t size, i;
	uint8_t *flash = dfusim_flash(sim, NULL, &size);

	(void)state;
	memset(flash, 0x42, size);
	assert_int_equal(dfusim_set_option(sim, "RDP", 1), 0);
	assert_int_equal(t_set_address(sim, 0x08000000), DFU_STATUS_ERR_VENDOR);
	assert_int_equal(t_state(sim), DFU_STATE_ERROR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_erase(sim, 0x08000000), DFU_STATUS_ERR_VENDOR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_mass_erase(sim), DFU_STATUS_ERR_VENDOR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_UPLOAD, 2, 0, 64, buf, sizeof(buf));
	assert_int_equal(r.outcome, DFUSIM_STALL);
	assert_int_equal(dfusim_dfu_status(sim), DFU_STATUS_ERR_VENDOR);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	/* the option bytes stay readable */
	read_ob(sim, 0x1FFFC000, ob, 16);
	assert_int_equal(ob[1], 0xBB);
	assert_int_equal(flash[0], 0x42);
	/* READ UNPROTECT */
	assert_int_equal(t_dnload(sim, 0, &unprotect, 1), DFUSIM_ACK);
	r = t_ctl(sim, DFU_RT_IN, DFU_REQ_GETSTATUS, 0, 0, 6, buf, sizeof(buf));
	assert_int_equal(buf[4], DFU_STATE_DNBUSY);
	assert_int_equal(r.event, DFUSIM_EV_RESET_TO_DFU);
	assert_int_equal(t_status(sim, st), DFUSIM_GONE);
	dfusim_reenumerated(sim, t_now);
	for (i = 0; i < size; i += 1024)
		assert_int_equal(flash[i], 0xFF);
	read_ob(sim, 0x1FFFC000, ob, 16);
	assert_int_equal(ob[1], 0xAA);
	assert_int_equal(t_read(sim, 0x08000000, buf, 64, 2048), 64);
	dfusim_free(sim);
}

/* Writing RDP back to 0xAA through the option bytes mass-erases too. */
static void rdp_regression_by_option_write(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t ob[16];
	uint8_t *flash = dfusim_flash(sim, NULL, NULL);

	(void)state;
	flash[100] = 0x11;
	assert_int_equal(dfusim_set_option(sim, "RDP", 0xBB), 0);
	read_ob(sim, 0x1FFFC000, ob, 16);
	ob[1] = 0xAA;
	assert_int_equal(write_ob(sim, 0x1FFFC000, ob, 16), DFUSIM_EV_RESET_TO_DFU);
	assert_int_equal(flash[100], 0xFF);
	assert_int_equal(t_set_address(sim, 0x08000000), 0);
	dfusim_free(sim);
}

/* Level 2 disables the bootloader: after the reset it never comes back. */
static void rdp2_disconnects(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	uint8_t ob[16];

	(void)state;
	read_ob(sim, 0x1FFFC000, ob, 16);
	ob[1] = 0xCC;
	assert_int_equal(write_ob(sim, 0x1FFFC000, ob, 16), DFUSIM_EV_DISCONNECT);
	dfusim_free(sim);
}

/* F767: the layout of REFERENCE.md's real dual-bank dump. */
static void f767_layout(void **state)
{
	static const uint8_t dump[32] = {
		0xff, 0xaa, 0x00, 0x55, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xdf, 0x00, 0x20, 0xff, 0xff, 0xff, 0xff,
		0x80, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x40, 0x00, 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	struct dfusim *sim = t_new("stm32f767");
	uint8_t ob[32];

	(void)state;
	read_ob(sim, 0x1FFF0000, ob, 32);
	assert_int_equal(ob[9], 0xFF);  /* factory: single bank */
	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), 0);
	read_ob(sim, 0x1FFF0000, ob, 32);
	assert_memory_equal(ob, dump, 32);
	/* and back to single bank through an option-byte write */
	ob[9] |= 0x20;
	assert_int_equal(write_ob(sim, 0x1FFF0000, ob, 32), DFUSIM_EV_RESET_TO_DFU);
	read_ob(sim, 0x1FFF0000, ob, 32);
	assert_int_equal(ob[9], 0xFF);
	assert_int_equal(ob[11], 0x00);
	/* BOOT_ADD0 */
	assert_int_equal(dfusim_set_option(sim, "BOOT_ADD0", 0x2000), 0);
	read_ob(sim, 0x1FFF0000, ob, 32);
	assert_memory_equal(ob + 16, "\x00\x20\xff\xdf", 4);
	dfusim_free(sim);
}

/* F429: two option-byte areas in one alt; nWRP of bank 2 in the second. */
static void f429_two_areas(void **state)
{
	struct dfusim *sim = t_new("stm32f429");
	uint8_t ob[16];

	(void)state;
	assert_int_equal(dfusim_set_option(sim, "nWRP2", 0xFFE), 0);  /* sector 12 */
	read_ob(sim, 0x1FFEC000, ob, 16);
	assert_int_equal(ob[8], 0xFE);
	assert_int_equal(t_erase(sim, 0x08100000), DFU_STATUS_ERR_TARGET);
	assert_int_equal(t_simple(sim, DFU_REQ_CLRSTATUS), DFUSIM_ACK);
	assert_int_equal(t_erase(sim, 0x080E0000), 0);
	/* a read across the gap between the areas stops at the area's end */
	assert_int_equal(dfusim_set_interface(sim, 0, 1, t_now), 0);
	assert_int_equal(t_set_address(sim, 0x1FFFC008), 0);
	dfusim_free(sim);
}

/* H7: the _PRG registers are what a write programs. */
static void h743_rdp_via_prg(void **state)
{
	struct dfusim *sim = t_new("stm32h743");
	uint8_t ob[128];

	(void)state;
	read_ob(sim, 0x5200201C, ob, 128);
	assert_int_equal(ob[1], 0xAA);
	ob[5] = 0xBB;  /* OPTSR_PRG RDP */
	assert_int_equal(write_ob(sim, 0x5200201C, ob, 128), DFUSIM_EV_RESET_TO_DFU);
	read_ob(sim, 0x5200201C, ob, 128);
	assert_int_equal(ob[1], 0xBB);
	assert_int_equal(t_set_address(sim, 0x08000000), DFU_STATUS_ERR_VENDOR);
	dfusim_free(sim);
}

static void option_names(void **state)
{
	struct dfusim *sim = t_new("stm32f407");
	struct dfusim *gen = t_new("generic-dfu11");

	(void)state;
	assert_int_equal(dfusim_set_option(sim, "nDBANK", 0), -1);  /* no such bit on F4 */
	assert_non_null(strstr(dfusim_error(sim), "nDBANK"));
	assert_int_equal(dfusim_set_option(sim, "bogus", 1), -1);
	assert_int_equal(dfusim_set_option(sim, "rdp", 0), 0);  /* case-insensitive */
	assert_int_equal(dfusim_set_option(sim, "BOR_LEV", 4), -1);
	assert_int_equal(dfusim_set_option(gen, "RDP", 1), -1);
	dfusim_free(sim);
	dfusim_free(gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f407_defaults_and_round_trip),
		cmocka_unit_test(write_protection),
		cmocka_unit_test(rdp1_then_unprotect),
		cmocka_unit_test(rdp_regression_by_option_write),
		cmocka_unit_test(rdp2_disconnects),
		cmocka_unit_test(f767_layout),
		cmocka_unit_test(f429_two_areas),
		cmocka_unit_test(h743_rdp_via_prg),
		cmocka_unit_test(option_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
