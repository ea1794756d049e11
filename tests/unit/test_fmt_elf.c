/*
 * test_fmt_elf.c - ELF files linked at test time (a 32-bit ARM Cortex-M
 * firmware from clang + ld.lld with .data loaded in flash and run in RAM,
 * a 64-bit file from llvm-objcopy + ld.lld, the host compiler's own
 * executable) read to their PT_LOAD bytes at physical addresses; ours is an
 * ARM executable that binutils read back; malformed files fail clearly.
 */
#define _GNU_SOURCE  /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "testfiles.h"

static const char firmware_c[] =
	"int counter = 0x12345678;\n"
	"int zeros[64];\n"
	"const char msg[] = \"hello flash\";\n"
	"const char *use(void) { return msg; }\n"
	"void Reset_Handler(void) { for (;;) zeros[1] += counter; }\n";

/* .text and .rodata in flash; .data runs at 0x20000000 but is stored
 * (LMA, p_paddr) at 0x08000400; .bss takes memory but no file bytes. */
static const char firmware_ld[] =
	"SECTIONS {\n"
	"  .text 0x08000000 : { *(.text*) *(.rodata*) }\n"
	"  .data 0x20000000 : AT(0x08000400) { *(.data*) }\n"
	"  .bss : { *(.bss*) }\n"
	"  /DISCARD/ : { *(.ARM.exidx*) *(.comment) }\n"
	"}\n";

static void arm_firmware(void **state)
{
	static const uint8_t counter[4] = { 0x78, 0x56, 0x34, 0x12 };
	struct dfu_image *img = NULL;
	struct dfu_image_info info;
	struct dfu_segment text, data;
	struct dfu_ctx *ctx;
	uint8_t *bin;
	size_t binlen;

	(void)state;
	assert_true(tf_write_str("fw.c", firmware_c));
	assert_true(tf_write_str("fw.ld", firmware_ld));
	assert_int_equal(tf_run("clang --target=armv7m-none-eabi -mthumb -O1 -c fw.c -o fw.o && "
				"ld.lld -T fw.ld -e Reset_Handler fw.o -o fw.elf && "
				"llvm-objcopy -O binary fw.elf fw.bin"), 0);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("fw.elf"), NULL, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_int_equal(info.format, DFU_FORMAT_ELF);
	assert_true(info.has_entry);
	assert_int_equal(dfu_image_segment_count(img, 0), 2);
	assert_int_equal(dfu_image_segment(img, 0, 0, &text), DFU_OK);
	assert_int_equal(dfu_image_segment(img, 0, 1, &data), DFU_OK);
	assert_int_equal(text.address, 0x08000000);
	/* Reset_Handler, in .text, with the Thumb bit. */
	assert_in_range(info.entry, 0x08000001, 0x08000000 + text.size - 1);
	assert_int_equal(info.entry & 1, 1);
	assert_int_equal(data.address, 0x08000400);
	assert_int_equal(data.size, 4);  /* p_filesz, not p_memsz with .bss */
	assert_memory_equal(data.data, counter, 4);
	assert_non_null(memmem(text.data, text.size, "hello flash", 12));
	/* llvm-objcopy -O binary lays the same bytes out from 0x08000000. */
	bin = tf_read("fw.bin", &binlen);
	assert_non_null(bin);
	assert_int_equal(binlen, 0x404);
	assert_memory_equal(bin, text.data, text.size);
	assert_memory_equal(bin + 0x400, counter, 4);
	free(bin);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

static void elf64_and_host(void **state)
{
	struct dfu_image *img = NULL;
	struct dfu_image_info info;
	struct dfu_segment s;
	struct dfu_ctx *ctx;
	uint8_t bin[5000];

	(void)state;
	tf_random(bin, sizeof(bin), 64);
	assert_true(tf_write("b.bin", bin, sizeof(bin)));
	assert_true(tf_write_str("b.ld", "SECTIONS { .data 0x08000000 : { *(.data) } }\n"));
	assert_int_equal(tf_run("llvm-objcopy -I binary -O elf64-x86-64 b.bin b.o && "
				"ld.lld -T b.ld b.o -o b.elf"), 0);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("b.elf"), NULL, &img), DFU_OK);
	assert_int_equal(dfu_image_segment_count(img, 0), 1);
	assert_int_equal(dfu_image_segment(img, 0, 0, &s), DFU_OK);
	assert_int_equal(s.address, 0x08000000);
	assert_int_equal(s.size, sizeof(bin));
	assert_memory_equal(s.data, bin, sizeof(bin));
	dfu_image_free(img);

	/* The host compiler's executable: whatever it loads, we load. */
	assert_true(tf_write_str("h.c", "void _start(void) { for (;;); }\n"
					"const char tag[] = \"dfuflash host elf\";\n"));
	assert_int_equal(tf_run("cc -nostdlib -static -o h.elf h.c"), 0);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("h.elf"), NULL, &img), DFU_OK);
	dfu_image_get_info(img, &info);
	assert_true(info.has_entry);
	assert_true(dfu_image_segment_count(img, 0) >= 1);
	dfu_image_free(img);

	/* A relocatable object is refused with advice. */
	assert_int_equal(dfu_image_read_file(ctx, tf_path("b.o"), NULL, &img), DFU_ERR_FORMAT);
	assert_non_null(strstr(dfu_detail(ctx), "b.o: a relocatable object"));
	dfu_ctx_free(ctx);
}

/* Ours: an ARM EXEC file readelf and llvm-objcopy agree with, that reads
 * back to the same image and entry. */
static void writer(void **state)
{
	struct dfu_write_opts wo = { .format = DFU_FORMAT_ELF };
	struct dfu_image *img, *again = NULL;
	struct dfu_image_info info;
	struct dfu_segment s;
	struct dfu_ctx *ctx;
	uint8_t a[300], b[40];
	size_t t;

	(void)state;
	tf_random(a, sizeof(a), 11);
	tf_random(b, sizeof(b), 12);
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_image_new(&img), DFU_OK);
	assert_int_equal(dfu_image_add_target(img, 0, NULL, &t), DFU_OK);
	assert_int_equal(dfu_image_add_data(ctx, img, t, 0x08000000, a, sizeof(a)), DFU_OK);
	dfu_image_set_entry(img, 0x08000199);
	assert_int_equal(dfu_image_write_file(ctx, img, tf_path("one.elf"), &wo), DFU_OK);
	assert_int_equal(tf_run("readelf -h one.elf | grep -q 'Machine:.*ARM' && "
				"readelf -h one.elf | grep -q 'Type:.*EXEC' && "
				"readelf -h one.elf | grep -q 'Entry point address:.*0x8000199' && "
				"readelf -h one.elf | grep -q 'Class:.*ELF32' && "
				"llvm-objcopy -O binary one.elf one.bin"), 0);
	tf_assert_file_equal("one.bin", a, sizeof(a));

	assert_int_equal(dfu_image_add_data(ctx, img, t, 0x08004000, b, sizeof(b)), DFU_OK);
	assert_int_equal(dfu_image_write_file(ctx, img, tf_path("two.elf"), &wo), DFU_OK);
	assert_int_equal(tf_run("test $(readelf -lW two.elf | grep -c LOAD) = 2"), 0);
	assert_int_equal(dfu_image_read_file(ctx, tf_path("two.elf"), NULL, &again), DFU_OK);
	assert_int_equal(dfu_image_segment_count(again, 0), 2);
	assert_int_equal(dfu_image_segment(again, 0, 1, &s), DFU_OK);
	assert_int_equal(s.address, 0x08004000);
	assert_memory_equal(s.data, b, sizeof(b));
	dfu_image_get_info(again, &info);
	assert_int_equal(info.entry, 0x08000199);
	dfu_image_free(again);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)dfu_get_le32(p) | (uint64_t)dfu_get_le32(p + 4) << 32;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Truncated data, a physical address past 4 GiB, and a broken header. */
static void malformed(void **state)
{
	struct dfu_image *img = NULL;
	struct dfu_ctx *ctx;
	uint8_t *elf, *ph = NULL;
	size_t len, i, phnum;
	uint64_t off;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	elf = tf_read("b.elf", &len);  /* made by elf64_and_host */
	assert_non_null(elf);
	phnum = dfu_get_le16(elf + 56);
	for (i = 0; i < phnum; i++) {
		uint8_t *p = elf + le64(elf + 32) + i * 56;

		if (dfu_get_le32(p) == 1 /* PT_LOAD */)
			ph = p;
	}
	assert_non_null(ph);
	off = le64(ph + 8);

	assert_int_equal(dfu_image_read_mem(ctx, "cut.elf", elf, (size_t)off + 50, NULL, &img),
			 DFU_ERR_FORMAT);
	assert_non_null(strstr(dfu_detail(ctx), "cut.elf: program header"));
	assert_non_null(strstr(dfu_detail(ctx), "go past the end of the"));

	put_le64(ph + 24, 0xFFFFFFFF00000000ull);
	assert_int_equal(dfu_image_read_mem(ctx, "high.elf", elf, len, NULL, &img),
			 DFU_ERR_RANGE);
	assert_non_null(strstr(dfu_detail(ctx), "high.elf: program header"));
	assert_non_null(strstr(dfu_detail(ctx), "past 0xFFFFFFFF"));

	put_le64(ph + 24, 0x08000000);
	put_le64(ph + 32, 0xFFFFFFFFFFFFull);  /* p_filesz: absurd */
	assert_int_equal(dfu_image_read_mem(ctx, "huge.elf", elf, len, NULL, &img),
			 DFU_ERR_FORMAT);
	assert_non_null(strstr(dfu_detail(ctx), "huge.elf: program header"));

	assert_int_equal(dfu_image_read_mem(ctx, "head.elf", elf, 20, NULL, &img),
			 DFU_ERR_FORMAT);
	assert_non_null(strstr(dfu_detail(ctx), "head.elf: not a valid ELF file"));
	assert_null(img);
	free(elf);
	dfu_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arm_firmware),
		cmocka_unit_test(elf64_and_host),
		cmocka_unit_test(writer),
		cmocka_unit_test(malformed),
	};

	if (!tf_have("clang") || !tf_have("ld.lld") || !tf_have("llvm-objcopy")) {
		fprintf(stderr, "clang/ld.lld/llvm-objcopy missing: run scripts/setup.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
