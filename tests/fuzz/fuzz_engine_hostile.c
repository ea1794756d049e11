/*
 * fuzz_engine_hostile.c - the whole engine against a device that lies.
 *
 * The device is a small honest DfuSe model (64 KB of NOR-like flash at
 * 0x08000000, the DFU state machine) whose every answer the fuzz input may
 * replace: descriptors, strings and layouts, the functional descriptor,
 * GETSTATUS replies (states, statuses, poll timeouts up to 24 bits of
 * milliseconds), upload data and lengths, stalls, timeouts and
 * disconnects. When the input runs out the device answers honestly, so
 * every run ends. Time is virtual (the transport's sleep_ms): a fuzzed
 * bwPollTimeout of hours costs nothing, and the target aborts if the
 * engine's total wait or its request count is not bounded.
 *
 * The engine runs as the tool does: open, identify, true layout, plan,
 * flash (erase, write, verify, leave), read, leave again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuflash.h"

#define MEM_BASE 0x08000000u
#define MEM_SIZE (64u * 1024u)
/* Far beyond anything the engine may do for one small image: reaching
 * either is a hang the fuzzer must report. */
#define MAX_VIRTUAL_MS (30ull * 60ull * 1000ull)
#define MAX_REQUESTS 400000u

struct fuzz_in {
	const uint8_t *p;
	size_t len;
};

struct hostile {
	struct fuzz_in in;
	uint8_t mem[MEM_SIZE];
	uint32_t sector_size;     /* what an honest erase wipes */
	uint32_t pointer;         /* DfuSe address pointer */
	uint16_t xfer;            /* wTransferSize as described */
	uint8_t state;
	uint8_t status;
	uint8_t alt;
	uint8_t nstrings;
	char strings[8][160];     /* indexes 1..7; 0 unused */
	bool gone;
	bool busy_next;           /* a DNLOAD was just sent */
	uint64_t slept_ms;
	unsigned requests;
};

/* Next input byte, or dflt when the input is used up. */
static uint8_t take(struct fuzz_in *in, uint8_t dflt)
{
	uint8_t b;

	if (!in->len)
		return dflt;
	b = *in->p++;
	in->len--;
	return b;
}

/* Up to n input bytes into out; returns how many there were. */
static size_t take_bytes(struct fuzz_in *in, uint8_t *out, size_t n)
{
	if (n > in->len)
		n = in->len;
	memcpy(out, in->p, n);
	in->p += n;
	in->len -= n;
	return n;
}

/* What the device does with one request, from one input byte: mostly
 * honest, sometimes hostile. */
enum act { ACT_HONEST, ACT_STALL, ACT_TIMEOUT, ACT_GONE, ACT_RAW, ACT_SHORT };

static enum act next_act(struct hostile *h)
{
	uint8_t b = take(&h->in, 0);

	if (b < 0xB0)
		return ACT_HONEST;
	if (b < 0xC0)
		return ACT_RAW;
	if (b < 0xD0)
		return ACT_STALL;
	if (b < 0xD8)
		return ACT_SHORT;
	if (b < 0xE8)
		return ACT_TIMEOUT;
	if (b < 0xEC)
		return ACT_GONE;
	return ACT_RAW;
}

/* Counts a request; aborts the run when the engine does not stop. */
static void count_request(struct hostile *h)
{
	if (++h->requests > MAX_REQUESTS) {
		fprintf(stderr, "engine sent %u requests: unbounded loop\n", h->requests);
		abort();
	}
}

/* An honest DfuSe DNLOAD: block 0 commands, data blocks, leave. */
static void honest_dnload(struct hostile *h, uint16_t block, const uint8_t *d, uint16_t len)
{
	uint32_t a, off, i;

	h->busy_next = true;
	h->state = DFU_STATE_DNLOAD_SYNC;
	if (len == 0) {
		h->state = DFU_STATE_MANIFEST_SYNC;
		return;
	}
	if (block == 0) {
		if (d[0] == DFUSE_CMD_SET_ADDRESS && len == 5) {
			h->pointer = (uint32_t)d[1] | (uint32_t)d[2] << 8 |
				     (uint32_t)d[3] << 16 | (uint32_t)d[4] << 24;
		} else if (d[0] == DFUSE_CMD_ERASE && len == 1) {
			memset(h->mem, 0xFF, sizeof(h->mem));
		} else if (d[0] == DFUSE_CMD_ERASE && len == 5) {
			a = (uint32_t)d[1] | (uint32_t)d[2] << 8 |
			    (uint32_t)d[3] << 16 | (uint32_t)d[4] << 24;
			if (a >= MEM_BASE && a - MEM_BASE < MEM_SIZE) {
				off = (a - MEM_BASE) / h->sector_size * h->sector_size;
				for (i = off; i < off + h->sector_size && i < MEM_SIZE; i++)
					h->mem[i] = 0xFF;
			}
		}
		return;
	}
	if (block < 2)
		return;
	a = h->pointer + (uint32_t)(block - 2) * h->xfer;
	for (i = 0; i < len; i++, a++)
		if (a >= MEM_BASE && a - MEM_BASE < MEM_SIZE)
			h->mem[a - MEM_BASE] &= d[i]; /* NOR: bits only clear */
}

static int op_control_out(void *user, uint8_t type, uint8_t req, uint16_t value,
			  uint16_t index, const uint8_t *data, uint16_t len,
			  unsigned timeout_ms)
{
	struct hostile *h = user;

	(void)type;
	(void)index;
	count_request(h);
	if (h->gone)
		return DFU_ERR_DISCONNECTED;
	switch (next_act(h)) {
	case ACT_STALL:
		return DFU_ERR_STALL;
	case ACT_TIMEOUT:
		h->slept_ms += timeout_ms;
		return DFU_ERR_TIMEOUT;
	case ACT_GONE:
		h->gone = true;
		return DFU_ERR_DISCONNECTED;
	case ACT_SHORT:
		return len ? len - 1 : 0;
	case ACT_RAW:
	case ACT_HONEST:
		break;
	}
	switch (req) {
	case DFU_REQ_DNLOAD:
		honest_dnload(h, value, data, len);
		break;
	case DFU_REQ_CLRSTATUS:
		h->state = DFU_STATE_IDLE;
		h->status = DFU_STATUS_OK;
		break;
	case DFU_REQ_ABORT:
		h->state = DFU_STATE_IDLE;
		break;
	default:
		break;
	}
	return len;
}

/* A string descriptor from one of ours, in UTF-16LE. */
static int put_string(const char *s, uint8_t *data, uint16_t len)
{
	uint8_t buf[255];
	size_t n = strlen(s), i;

	if (n > 126)
		n = 126;
	buf[0] = (uint8_t)(2 + 2 * n);
	buf[1] = 3;
	for (i = 0; i < n; i++) {
		buf[2 + 2 * i] = (uint8_t)s[i];
		buf[3 + 2 * i] = 0;
	}
	n = buf[0];
	if (n > len)
		n = len;
	memcpy(data, buf, n);
	return (int)n;
}

static int op_control_in(void *user, uint8_t type, uint8_t req, uint16_t value,
			 uint16_t index, uint8_t *data, uint16_t len,
			 unsigned timeout_ms)
{
	struct hostile *h = user;
	enum act act;
	uint32_t a, i;

	(void)index;
	count_request(h);
	if (h->gone)
		return DFU_ERR_DISCONNECTED;
	act = next_act(h);
	switch (act) {
	case ACT_STALL:
		return DFU_ERR_STALL;
	case ACT_TIMEOUT:
		h->slept_ms += timeout_ms;
		return DFU_ERR_TIMEOUT;
	case ACT_GONE:
		h->gone = true;
		return DFU_ERR_DISCONNECTED;
	case ACT_RAW: {
		/* Any length up to what was asked, any bytes. */
		uint16_t n = take(&h->in, 0);

		n = (uint16_t)(n | take(&h->in, 0) << 8);
		if (len)
			n %= (uint16_t)(len + 1);
		else
			n = 0;
		memset(data, 0, n);
		take_bytes(&h->in, data, n);
		return n;
	}
	case ACT_SHORT:
	case ACT_HONEST:
		break;
	}
	if (type == DFU_RT_STD_IN && req == DFU_USB_REQ_GET_DESCRIPTOR) { /* strings */
		uint8_t idx = (uint8_t)value;
		int n;

		if (idx == 0) {
			static const uint8_t langs[4] = { 4, 3, 0x09, 0x04 };

			n = len < 4 ? len : 4;
			memcpy(data, langs, (size_t)n);
		} else if (idx < 8) {
			n = put_string(h->strings[idx], data, len);
		} else {
			return DFU_ERR_STALL;
		}
		return act == ACT_SHORT && n ? n - 1 : n;
	}
	switch (req) {
	case DFU_REQ_GETSTATUS: {
		uint8_t b[DFU_STATUS_LEN] = { h->status, 0, 0, 0, h->state, 0 };

		if (h->state == DFU_STATE_DNLOAD_SYNC) {
			h->state = DFU_STATE_DNLOAD_IDLE;
		} else if (h->state == DFU_STATE_MANIFEST_SYNC) {
			h->state = DFU_STATE_MANIFEST; /* the device resets */
			h->gone = true;
		}
		b[4] = h->state == DFU_STATE_MANIFEST ? DFU_STATE_MANIFEST : b[4];
		if (h->busy_next) {
			/* A busy answer with a fuzzed poll timeout. */
			uint8_t t = take(&h->in, 0);

			h->busy_next = false;
			if (t & 0x80) {
				b[1] = take(&h->in, 0);
				b[2] = take(&h->in, 0);
				b[3] = (t & 0x40) ? take(&h->in, 0) : 0;
			}
		}
		if (len < DFU_STATUS_LEN)
			return DFU_ERR_USB;
		memcpy(data, b, DFU_STATUS_LEN);
		return act == ACT_SHORT ? DFU_STATUS_LEN - 1 : DFU_STATUS_LEN;
	}
	case DFU_REQ_GETSTATE:
		if (!len)
			return 0;
		data[0] = h->state;
		return 1;
	case DFU_REQ_UPLOAD:
		if (value == 0) {
			static const uint8_t cmds[4] = { DFUSE_CMD_GET, DFUSE_CMD_SET_ADDRESS,
							 DFUSE_CMD_ERASE, DFUSE_CMD_READ_UNPROTECT };
			uint16_t n = len < 4 ? len : 4;

			memcpy(data, cmds, n);
			return n;
		}
		h->state = DFU_STATE_UPLOAD_IDLE;
		a = h->pointer + (uint32_t)(value - DFUSE_FIRST_BLOCK) * h->xfer;
		for (i = 0; i < len; i++, a++) {
			if (h->alt == 0 && a >= MEM_BASE && a - MEM_BASE < MEM_SIZE)
				data[i] = h->mem[a - MEM_BASE];
			else
				data[i] = take(&h->in, 0xFF);
		}
		return act == ACT_SHORT && len ? len - 1 : len;
	default:
		return DFU_ERR_STALL;
	}
}

static int op_set_alt(void *user, uint8_t interface, uint8_t alt)
{
	struct hostile *h = user;

	(void)interface;
	count_request(h);
	if (h->gone)
		return DFU_ERR_DISCONNECTED;
	switch (next_act(h)) {
	case ACT_STALL:
		return DFU_ERR_STALL;
	case ACT_GONE:
		h->gone = true;
		return DFU_ERR_DISCONNECTED;
	case ACT_TIMEOUT:
	case ACT_RAW:
	case ACT_SHORT:
	case ACT_HONEST:
		break;
	}
	h->alt = alt;
	return 0;
}

static int op_reset(void *user)
{
	struct hostile *h = user;

	count_request(h);
	h->gone = true;
	return DFU_ERR_DISCONNECTED;
}

static int op_present(void *user)
{
	struct hostile *h = user;

	count_request(h);
	return !h->gone;
}

/* Virtual time: the engine's waits cost nothing but are counted. */
static void op_sleep(void *user, unsigned ms)
{
	struct hostile *h = user;

	h->slept_ms += ms;
	if (h->slept_ms > MAX_VIRTUAL_MS) {
		fprintf(stderr, "engine waited %llu ms in total: unbounded wait\n",
			(unsigned long long)h->slept_ms);
		abort();
	}
}

static void op_close(void *user)
{
	free(user);
}

static const struct dfu_transport_ops hostile_ops = {
	.control_out = op_control_out,
	.control_in = op_control_in,
	.set_alt = op_set_alt,
	.reset = op_reset,
	.present = op_present,
	.sleep_ms = op_sleep,
	.close = op_close,
};

/* Layout strings real ROMs report, as starting points the input mutates. */
static const char *const layouts[] = {
	"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
	"@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg",
	"@Internal Flash   /0x08000000/16*128Kg",
	"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg",
	"@Internal Flash  /0x08000000/64*001Kg",
	"@Option Bytes  /0x1FFF0000/01*032 e",
};

/* Builds the device's descriptors and strings from the input. Returns the
 * descriptor length in d. */
static size_t build_device(struct hostile *h, uint8_t *d, size_t cap)
{
	uint8_t mode = take(&h->in, 0), nalts, i;
	uint16_t total;
	size_t off = 0, n;

	if (mode >= 0xF0) {
		/* Entirely raw descriptors. */
		n = take(&h->in, 0);
		return take_bytes(&h->in, d, n < cap ? n : cap);
	}
	nalts = (uint8_t)(1 + (mode & 3));
	/* device descriptor */
	{
		const uint8_t dev[18] = { 18, 1, 0x00, 0x02, 0, 0, 0, 64,
					  0x83, 0x04, 0x11, 0xDF, 0x00, 0x22, 1, 2, 3, 1 };

		memcpy(d, dev, sizeof(dev));
		off = sizeof(dev);
	}
	if (mode & 0x04) {
		d[10] = take(&h->in, 0x11); /* idProduct */
		d[12] = take(&h->in, 0);    /* bcdDevice */
		d[13] = take(&h->in, 0x22);
	}
	total = (uint16_t)(9 + nalts * 9 + 9);
	{
		const uint8_t cfg[9] = { 9, 2, (uint8_t)total, (uint8_t)(total >> 8),
					 1, 1, 0, 0xC0, 50 };

		memcpy(d + off, cfg, sizeof(cfg));
		if (mode & 0x08)
			d[off + 2] = take(&h->in, 0); /* a wTotalLength that lies */
		off += sizeof(cfg);
	}
	for (i = 0; i < nalts; i++) {
		const uint8_t ifd[9] = { 9, 4, 0, i, 0, 0xFE, 1, 2, (uint8_t)(4 + i) };

		memcpy(d + off, ifd, sizeof(ifd));
		off += sizeof(ifd);
	}
	{
		uint8_t fd[9] = { 9, 0x21, 0x0B, 0xFF, 0, 0x00, 0x08, 0x1A, 0x01 };

		if (mode & 0x10) {
			fd[0] = (uint8_t)(7 + (take(&h->in, 2) % 3)); /* 7..9 */
			fd[2] = take(&h->in, 0x0B);
			fd[5] = take(&h->in, 0);    /* wTransferSize */
			fd[6] = take(&h->in, 8);
			fd[7] = take(&h->in, 0x1A); /* bcdDFU */
			fd[8] = take(&h->in, 1);
		}
		memcpy(d + off, fd, sizeof(fd));
		off += sizeof(fd);
		h->xfer = (uint16_t)(fd[5] | fd[6] << 8);
		if (!h->xfer)
			h->xfer = 2048;
		if (h->xfer > 4096)
			h->xfer = 4096;
	}
	/* strings: manufacturer, product, serial, then one per alt */
	snprintf(h->strings[1], sizeof(h->strings[1]), "STMicroelectronics");
	snprintf(h->strings[2], sizeof(h->strings[2]), "STM32  BOOTLOADER");
	snprintf(h->strings[3], sizeof(h->strings[3]), "325E35633334");
	for (i = 0; i < nalts && 4 + i < 8; i++) {
		uint8_t pick = take(&h->in, 0);
		char *s = h->strings[4 + i];

		if (pick < 0xC0 || i > 0) {
			snprintf(s, sizeof(h->strings[0]), "%s",
				 i == 0 ? layouts[pick % 5] : layouts[5]);
		} else {
			/* A fuzzed layout string. */
			n = take(&h->in, 0) % (sizeof(h->strings[0]) - 1);
			n = take_bytes(&h->in, (uint8_t *)s, n);
			s[n] = '\0';
		}
		/* Mutate a byte of it now and then. */
		if (pick & 0x20) {
			size_t at = take(&h->in, 0), sl = strlen(s);

			if (sl)
				s[at % sl] = (char)take(&h->in, '0');
		}
	}
	h->sector_size = 16 * 1024;
	return off;
}

/* Progress must stay inside its own totals. */
static int check_progress(void *user, const struct dfu_progress *p)
{
	(void)user;
	if (p->done > p->total) {
		fprintf(stderr, "progress done %llu > total %llu\n",
			(unsigned long long)p->done, (unsigned long long)p->total);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_dev *dev = NULL;
	struct dfu_image *img = NULL;
	struct dfu_plan *plan = NULL;
	struct dfu_layout *lay = NULL;
	struct dfu_flash_opts fo = { 0 };
	struct dfu_flash_result res;
	struct dfu_dev_info info;
	struct hostile *h;
	uint8_t desc[512], fw[3000], buf[4096];
	size_t dlen, fwlen, idx, i;
	uint32_t addr = MEM_BASE;
	uint8_t flags;

	if (dfu_ctx_new(&ctx))
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto out;
	h->in.p = data;
	h->in.len = size;
	h->state = DFU_STATE_IDLE;
	h->pointer = MEM_BASE;
	/* Old contents, so partly covered sectors have something to keep. */
	for (i = 0; i < sizeof(h->mem); i++)
		h->mem[i] = (uint8_t)(i * 13);
	dlen = build_device(h, desc, sizeof(desc));
	flags = take(&h->in, 0);
	fwlen = 1 + (size_t)take(&h->in, 0) * 11;
	if (fwlen > sizeof(fw))
		fwlen = sizeof(fw);
	for (i = 0; i < fwlen; i++)
		fw[i] = (uint8_t)(i ^ 0x5A);
	if (flags & 0x01)
		addr += (uint32_t)take(&h->in, 0) * 0x400;
	if (dfu_dev_open_transport(ctx, &hostile_ops, h, desc, dlen, &dev)) {
		free(h);
		goto out;
	}
	dfu_dev_info(dev, &info);
	if (dfu_dev_select_alt(dev, (flags & 0x02) ? "Internal Flash" : NULL))
		goto out;
	if (dfu_dev_true_layout(dev, &lay) == DFU_OK) {
		for (i = 0; i < lay->count; i++)
			if (lay->sectors[i].size == 0)
				abort();
		dfu_layout_free(lay);
	}
	if (dfu_image_new(&img) || dfu_image_add_target(img, 0, NULL, &idx) ||
	    dfu_image_add_data(NULL, img, idx, addr, fw, fwlen))
		goto out;
	fo.mass_erase = (flags & 0x04) != 0;
	fo.no_verify = (flags & 0x08) != 0;
	fo.leave = (flags & 0x10) != 0;
	fo.progress = check_progress;
	if (dfu_dev_plan(dev, img, &fo, &plan) == DFU_OK)
		dfu_plan_free(plan);
	memset(&res, 0, sizeof(res));
	/* A DfuSe write always reads back; success without it is a lie of
	 * ours. (A plain DFU 1.1 device that resets after manifestation
	 * cannot be read back: the engine warns instead.) */
	if (dfu_flash(dev, img, &fo, &res) == DFU_OK && !fo.no_verify && info.dfuse &&
	    !res.verified)
		abort();
	dfu_read(dev, addr, buf, 1 + (size_t)(flags >> 5) * 500, check_progress, NULL);
	dfu_verify(dev, img, check_progress, NULL);
	dfu_leave(dev, (flags & 0x20) != 0, addr, 1000, &res);
out:
	dfu_dev_close(dev);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
	return 0;
}
