/*
 * fuzz_fome.c - the FOME parsers on hostile input: the signature's board,
 * the image header and CRC at every base, and a whole bundle (a zip with
 * its .ini, or a plain file) read from the input.
 *
 * Input: byte 0 picks what (0 a signature string, 1 a .bin at 0x08000000
 * checked at each base and searched for its application, 2 a file read as
 * a bundle); the rest is the data. Any crash, leak or sanitizer report is
 * the finding; a result that contradicts itself aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knowledge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void signature(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), board[64];

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dfu_fome_signature_board(s, board, sizeof(board)) == DFU_OK &&
	    (!board[0] || !strstr(s, board)))
		abort();
	free(s);
}

static void image(const uint8_t *data, size_t size)
{
	static const uint32_t bases[] = { 0x08000000u, 0x08008000u, 0x08020000u };
	struct dfu_image *img = NULL;
	size_t t, i;
	uint32_t base = 0, n = 0;

	if (dfu_image_new(&img) || dfu_image_add_target(img, 0, NULL, &t))
		goto out;
	if (size && dfu_image_add_data(NULL, img, 0, 0x08000000u, data, size))
		goto out;
	for (i = 0; i < 3; i++)
		dfu_fome_check_at(NULL, img, bases[i], &n);
	if (dfu_fome_find_app(NULL, img, &base, &n) == DFU_OK &&
	    dfu_fome_check_at(NULL, img, base, NULL) != DFU_OK)
		abort();
out:
	dfu_image_free(img);
}

static void bundle(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_fome.XXXXXX";
	struct dfu_fome_bundle *b = NULL;
	struct dfu_fome_bundle_info info;
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		if (dfu_fome_bundle_read(NULL, path, &b) == DFU_OK) {
			dfu_fome_bundle_info(b, &info);
			if (!info.full && !info.update)
				abort();
		}
		dfu_fome_bundle_free(b);
	}
	close(fd);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		signature(data + 1, size - 1);
		break;
	case 1:
		image(data + 1, size - 1);
		break;
	default:
		bundle(data + 1, size - 1);
		break;
	}
	return 0;
}
