/*
 * test_serial_protocols.c - the ECU's serial port, the TunerStudio console
 * and OpenBLT's XCP over a pty pair: the library opens the pty's slave as
 * it would /dev/ttyACM0, and a peer thread on the master plays the device
 * byte for byte from a script: it checks every byte the library sends and
 * answers (or stays silent, or answers a byte at a time, or hangs up).
 * Also the busy port, whose message must name the process holding it.
 */
#define _GNU_SOURCE  /* posix_openpt, ptsname */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol.h"

/* ---- the peer: a pty master and a script ---- */

enum peer_act {
	PEER_REPLY,      /* write the reply at once */
	PEER_BYTEWISE,   /* write it a byte at a time, 2 ms apart */
	PEER_SILENT,     /* say nothing */
	PEER_CLOSE,      /* hang up (close the master) */
};

struct peer_step {
	uint8_t expect[300];
	size_t expect_len;
	uint8_t reply[300];
	size_t reply_len;
	enum peer_act act;
};

struct peer {
	int master;
	char slave[128];
	struct peer_step steps[16];
	size_t count;
	size_t done;                 /* steps the peer finished */
	/* Plays OpenBLT (set: the library's packets are read one by one, and
	 * a CONNECT the script does not expect gets this answer). */
	const uint8_t *connect_reply;
	size_t connect_reply_len;
	char error[512];             /* what the library sent wrong */
	pthread_t thread;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool peer_read(int fd, uint8_t *buf, size_t len, unsigned timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)timeout_ms) <= 0)
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	size_t i, k;

	for (i = 0; i < p->count; i++) {
		struct peer_step *s = &p->steps[i];
		uint8_t got[300];

		if (p->connect_reply) {
			/* packet by packet, as OpenBLT reads them: [len][len bytes] */
			for (;;) {
				if (!peer_read(p->master, got, 1, 3000) ||
				    !peer_read(p->master, got + 1, got[0], 3000)) {
					snprintf(p->error, sizeof(p->error), "step %zu: no packet", i);
					return NULL;
				}
				if (memcmp(got, "\x02\xFF\x00", 3) ||
				    !memcmp(s->expect, "\x02\xFF\x00", 3))
					break;
				/* a CONNECT the script did not expect (the library
				 * tried again because this thread was slow to answer
				 * the first): a connected OpenBLT answers it */
				if (write(p->master, p->connect_reply, p->connect_reply_len) !=
				    (ssize_t)p->connect_reply_len)
					break;
			}
			if ((size_t)got[0] + 1 != s->expect_len) {
				snprintf(p->error, sizeof(p->error), "step %zu: a packet of %u bytes",
					 i, got[0]);
				return NULL;
			}
		} else if (s->expect_len && !peer_read(p->master, got, s->expect_len, 3000)) {
			snprintf(p->error, sizeof(p->error), "step %zu: fewer than %zu bytes came", i,
				 s->expect_len);
			return NULL;
		}
		if (memcmp(got, s->expect, s->expect_len)) {
			int o = snprintf(p->error, sizeof(p->error), "step %zu: got", i);

			for (k = 0; k < s->expect_len && o < (int)sizeof(p->error) - 4; k++)
				o += snprintf(p->error + o, sizeof(p->error) - (size_t)o, " %02X", got[k]);
			return NULL;
		}
		switch (s->act) {
		case PEER_REPLY:
			if (write(p->master, s->reply, s->reply_len) != (ssize_t)s->reply_len)
				snprintf(p->error, sizeof(p->error), "step %zu: write failed", i);
			break;
		case PEER_BYTEWISE:
			for (k = 0; k < s->reply_len; k++) {
				if (write(p->master, s->reply + k, 1) != 1)
					snprintf(p->error, sizeof(p->error), "step %zu: write", i);
				sleep_ms(2);
			}
			break;
		case PEER_SILENT:
			break;
		case PEER_CLOSE:
			close(p->master);
			p->master = -1;
			break;
		}
		p->done = i + 1;
	}
	return NULL;
}

static struct peer *peer_new(void)
{
	struct peer *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	snprintf(p->slave, sizeof(p->slave), "%s", ptsname(p->master));
	return p;
}

static struct peer_step *peer_step(struct peer *p, const void *expect, size_t elen,
				   const void *reply, size_t rlen, enum peer_act act)
{
	struct peer_step *s = &p->steps[p->count++];

	assert_true(p->count <= sizeof(p->steps) / sizeof(p->steps[0]));
	memcpy(s->expect, expect, elen);
	s->expect_len = elen;
	if (rlen)
		memcpy(s->reply, reply, rlen);
	s->reply_len = rlen;
	s->act = act;
	return s;
}

static void peer_start(struct peer *p)
{
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

/* Joins the peer and checks it got every byte it expected. */
static void peer_finish(struct peer *p)
{
	pthread_join(p->thread, NULL);
	if (p->error[0])
		fail_msg("the peer: %s", p->error);
	assert_int_equal(p->done, p->count);
	if (p->master >= 0)
		close(p->master);
	free(p);
}

/* A TunerStudio frame of payload into out; returns its length. */
static size_t ts_frame(uint8_t *out, const void *payload, size_t len)
{
	uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, (uInt)len);

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, payload, len);
	out[2 + len] = (uint8_t)(crc >> 24);
	out[3 + len] = (uint8_t)(crc >> 16);
	out[4 + len] = (uint8_t)(crc >> 8);
	out[5 + len] = (uint8_t)crc;
	return len + 6;
}

struct fixture {
	struct dfu_ctx *ctx;
	struct peer *peer;
	struct dfu_serial *port;
};

static void open_fixture(struct fixture *f)
{
	assert_int_equal(dfu_ctx_new(&f->ctx), DFU_OK);
	f->peer = peer_new();
	if (dfu_serial_open(f->ctx, f->peer->slave, &f->port) != DFU_OK)
		fail_msg("open %s: %s", f->peer->slave, dfu_detail(f->ctx));
	assert_string_equal(dfu_serial_path(f->port), f->peer->slave);
}

static void close_fixture(struct fixture *f)
{
	peer_finish(f->peer);
	dfu_serial_close(f->port);
	dfu_ctx_free(f->ctx);
}

static void assert_detail(struct dfu_ctx *ctx, const char *want)
{
	if (!strstr(dfu_detail(ctx), want))
		fail_msg("detail '%s' lacks '%s'", dfu_detail(ctx), want);
}

/* ---- the serial port ---- */

static void open_errors(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_serial *s = NULL;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(dfu_serial_open(ctx, "/dev/ttyNOSUCH9", &s), DFU_ERR_NO_DEVICE);
	assert_detail(ctx, "/dev/ttyNOSUCH9: no such serial port");
	assert_int_equal(dfu_serial_open(ctx, "/dev/null", &s), DFU_ERR_UNSUPPORTED);
	assert_detail(ctx, "/dev/null is not a serial port");
	assert_null(s);
	dfu_serial_close(NULL);
	dfu_ctx_free(ctx);
}

/* Another process holds the port (flock, as a serial program does): the
 * message names it by pid and name. */
static void busy_port_names_holder(void **state)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_serial *s = NULL;
	struct peer *p = peer_new();
	int ready[2], status;
	char want[64], c;
	pid_t child;

	(void)state;
	assert_int_equal(dfu_ctx_new(&ctx), DFU_OK);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(p->slave, O_RDWR | O_NOCTTY);

		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(dfu_serial_open(ctx, p->slave, &s), DFU_ERR_BUSY);
	snprintf(want, sizeof(want), "in use by another program: pid %d (", (int)child);
	assert_detail(ctx, want);
	assert_detail(ctx, "test_serial_pro");  /* comm: the first 15 characters */
	assert_null(s);
	kill(child, SIGTERM);
	waitpid(child, &status, 0);
	/* free again: it opens */
	assert_int_equal(dfu_serial_open(ctx, p->slave, &s), DFU_OK);
	dfu_serial_close(s);
	close(ready[0]);
	close(ready[1]);
	close(p->master);
	free(p);
	dfu_ctx_free(ctx);
}

static void drain_discards_chatter(void **state)
{
	struct fixture f;
	uint8_t frame[64], reply[64], buf[8];
	size_t n;

	(void)state;
	open_fixture(&f);
	/* the firmware's chatter before we ask */
	assert_int_equal(write(f.peer->master, "noise noise noise", 17), 17);
	n = ts_frame(frame, "S", 1);
	peer_step(f.peer, frame, n, "\x00\x02OK", 4, PEER_REPLY);
	peer_start(f.peer);
	sleep_ms(20);
	dfu_serial_drain(f.port, 30, 500);
	assert_int_equal(dfu_serial_write(f.port, frame, n, 500), DFU_OK);
	assert_int_equal(dfu_serial_read(f.port, buf, 4, 500), DFU_OK);
	assert_memory_equal(buf, "\x00\x02OK", 4);
	/* nothing more: a read times out, naming what came */
	assert_int_equal(dfu_serial_read(f.port, reply, 2, 100), DFU_ERR_TIMEOUT);
	assert_detail(f.ctx, "no answer from the ECU in 100 ms (0 of 2 bytes came)");
	close_fixture(&f);
}

static void list_ports(void **state)
{
	struct dfu_serial_port *list = NULL;
	size_t count = 99, i;

	(void)state;
	/* whatever this machine has: every entry a /dev path with ids */
	assert_int_equal(dfu_serial_list(NULL, &list, &count), DFU_OK);
	for (i = 0; i < count; i++) {
		assert_true(!strncmp(list[i].path, "/dev/", 5));
		assert_true(list[i].id_vendor != 0);
	}
	free(list);
}

/* ---- TunerStudio ---- */

static const char signature[] = "rusEFI (FOME) master.2026.08.22.f407-discovery.2761473362";

static void ts_signature_and_bootloader(void **state)
{
	struct fixture f;
	uint8_t req[16], rep[128], payload[128];
	size_t nreq, nrep;
	char sig[128];
	bool present = false;

	(void)state;
	open_fixture(&f);
	payload[0] = TS_RESPONSE_OK;
	memcpy(payload + 1, signature, sizeof(signature));  /* with its NUL */
	/* 'S' with the four bytes that make its CRC 0 (ts.c: harmless to
	 * OpenBLT), exactly */
	nreq = ts_frame(req, "S\x5E\xE5\xB9\x4D", 5);
	assert_memory_equal(req + 7, "\x00\x00\x00\x00", 4);
	nrep = ts_frame(rep, payload, 1 + sizeof(signature));
	peer_step(f.peer, req, nreq, rep, nrep, PEER_REPLY);
	/* the same, a byte at a time (USB packets may split anywhere) */
	peer_step(f.peer, req, nreq, rep, nrep, PEER_BYTEWISE);
	nreq = ts_frame(req, "L", 1);
	nrep = ts_frame(rep, "\x00\x01", 2);
	peer_step(f.peer, req, nreq, rep, nrep, PEER_REPLY);
	nrep = ts_frame(rep, "\x00\x00", 2);
	peer_step(f.peer, req, nreq, rep, nrep, PEER_REPLY);
	peer_start(f.peer);

	assert_int_equal(dfu_ts_signature(f.port, sig, sizeof(sig), 1000), DFU_OK);
	assert_string_equal(sig, signature);
	memset(sig, 0, sizeof(sig));
	assert_int_equal(dfu_ts_signature(f.port, sig, sizeof(sig), 1000), DFU_OK);
	assert_string_equal(sig, signature);
	assert_int_equal(dfu_ts_openblt_present(f.port, &present, 1000), DFU_OK);
	assert_true(present);
	assert_int_equal(dfu_ts_openblt_present(f.port, &present, 1000), DFU_OK);
	assert_false(present);
	close_fixture(&f);
}

static void ts_bad_replies(void **state)
{
	struct fixture f;
	uint8_t req[16], rep[64];
	size_t nreq, nrep;
	char sig[64];
	bool present;

	(void)state;
	open_fixture(&f);
	nreq = ts_frame(req, "S\x5E\xE5\xB9\x4D", 5);
	/* a bad CRC */
	nrep = ts_frame(rep, "\x00rusEFI", 7);
	rep[nrep - 1] ^= 0x01;
	peer_step(f.peer, req, nreq, rep, nrep, PEER_REPLY);
	/* status 0x83: unrecognized command */
	nreq = ts_frame(req, "L", 1);
	nrep = ts_frame(rep, "\x83", 1);
	peer_step(f.peer, req, nreq, rep, nrep, PEER_REPLY);
	/* silence */
	peer_step(f.peer, req, nreq, NULL, 0, PEER_SILENT);
	/* hang-up */
	peer_step(f.peer, req, nreq, NULL, 0, PEER_CLOSE);
	peer_start(f.peer);

	assert_int_equal(dfu_ts_signature(f.port, sig, sizeof(sig), 1000), DFU_ERR_PROTOCOL);
	assert_detail(f.ctx, "the ECU's reply to 'S' has CRC 0x");
	assert_int_equal(dfu_ts_openblt_present(f.port, &present, 1000), DFU_ERR_DEVICE);
	assert_detail(f.ctx, "refused 'L' with status 0x83 (unrecognized command");
	assert_int_equal(dfu_ts_openblt_present(f.port, &present, 200), DFU_ERR_TIMEOUT);
	/* the time left of the 200 ms when the read began (199 on a slow run) */
	assert_detail(f.ctx, "no answer from the ECU in ");
	assert_int_equal(dfu_ts_openblt_present(f.port, &present, 1000), DFU_ERR_DISCONNECTED);
	assert_detail(f.ctx, "went away");
	close_fixture(&f);
}

static void ts_reboot_frames(void **state)
{
	/* reboot_dfu, byte for byte as REFERENCE.md and dfusim know it */
	static const uint8_t dfu_frame[] = {
		0x00, 0x0b, 'E', 'r', 'e', 'b', 'o', 'o', 't', '_', 'd', 'f', 'u',
		0xfd, 0x68, 0xc0, 0xdf,
	};
	struct fixture f;
	uint8_t req[32];
	size_t nreq;

	(void)state;
	open_fixture(&f);
	peer_step(f.peer, dfu_frame, sizeof(dfu_frame), NULL, 0, PEER_SILENT);
	nreq = ts_frame(req, "Ereboot_openblt", 15);
	peer_step(f.peer, req, nreq, NULL, 0, PEER_CLOSE);
	peer_start(f.peer);
	assert_int_equal(dfu_ts_reboot(f.port, false), DFU_OK);
	assert_int_equal(dfu_ts_reboot(f.port, true), DFU_OK);
	close_fixture(&f);
}

/* ---- XCP ---- */

/* [len][bytes], as the library sends and OpenBLT answers. */
static size_t xcp_pkt(uint8_t *out, const uint8_t *bytes, size_t len)
{
	out[0] = (uint8_t)len;
	memcpy(out + 1, bytes, len);
	return len + 1;
}

#define XCP_STEP(p, req, rep, act)                                                   \
	do {                                                                          \
		uint8_t q_[300], r_[300];                                             \
		size_t nq_ = xcp_pkt(q_, req, sizeof(req));                           \
		size_t nr_ = sizeof(rep) ? xcp_pkt(r_, rep, sizeof(rep)) : 0;         \
		peer_step(p, q_, nq_, r_, nr_, act);                                  \
	} while (0)

static const uint8_t x_connect[] = { 0xFF, 0x00 };
static const uint8_t x_connect_ok[] = { 0xFF, 0x10, 0x00, 0xF0, 0xF0, 0x00, 0x01, 0x01 };
static const uint8_t x_ok[] = { 0xFF };

static void xcp_peer(struct peer *p)
{
	static uint8_t reply[9];

	p->connect_reply_len = xcp_pkt(reply, x_connect_ok, sizeof(x_connect_ok));
	p->connect_reply = reply;
}

static void xcp_session(void **state)
{
	static const uint8_t status[] = { 0xFD }, status_ok[] = { 0xFF, 0, 0, 0, 0, 0 };
	static const uint8_t start[] = { 0xD2 }, start_ok[] = { 0xFF, 0, 0, 0xF0, 0, 0, 0 };
	static const uint8_t mta[] = { 0xF6, 0, 0, 0, 0x00, 0x80, 0x00, 0x08 };
	static const uint8_t clear[] = { 0xD1, 0, 0, 0, 0x00, 0x40, 0x00, 0x00 };
	static const uint8_t end[] = { 0xD0, 0x00 };
	static const uint8_t upload[] = { 0xF5, 0x10 };
	static const uint8_t reset[] = { 0xCF };
	uint8_t max[240], prog[2 + 238], up_ok[17], data[239], got[16];
	struct fixture f;
	struct dfu_xcp x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	max[0] = 0xC9;
	memcpy(max + 1, data, 239);
	prog[0] = 0xD0;
	prog[1] = 238;
	memcpy(prog + 2, data, 238);
	up_ok[0] = 0xFF;
	memcpy(up_ok + 1, data, 16);

	open_fixture(&f);
	xcp_peer(f.peer);
	/* OpenBLT still starting: the first CONNECT gets no answer */
	XCP_STEP(f.peer, x_connect, x_ok, PEER_SILENT);
	XCP_STEP(f.peer, x_connect, x_connect_ok, PEER_REPLY);
	XCP_STEP(f.peer, status, status_ok, PEER_REPLY);
	{
		/* a late CONNECT reply before the status, as the reference
		 * host expects one may come */
		uint8_t q[4], r[32];
		size_t nq = xcp_pkt(q, status, sizeof(status));
		size_t nr = xcp_pkt(r, x_connect_ok, sizeof(x_connect_ok));

		nr += xcp_pkt(r + nr, status_ok, sizeof(status_ok));
		peer_step(f.peer, q, nq, r, nr, PEER_REPLY);
	}
	XCP_STEP(f.peer, start, start_ok, PEER_BYTEWISE);
	XCP_STEP(f.peer, mta, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, clear, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, max, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, prog, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, end, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, mta, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, upload, up_ok, PEER_REPLY);
	XCP_STEP(f.peer, reset, x_ok, PEER_SILENT);  /* the chip resets instead */
	peer_start(f.peer);

	if (dfu_xcp_connect(&x, f.ctx, f.port, 2000) != DFU_OK)
		fail_msg("connect: %s", dfu_detail(f.ctx));
	assert_true(x.connected);
	assert_int_equal(x.max_cto, 240);
	assert_int_equal(x.max_dto, 240);
	assert_int_equal(dfu_xcp_get_status(&x), DFU_OK);
	assert_int_equal(dfu_xcp_get_status(&x), DFU_OK);
	assert_int_equal(dfu_xcp_program_start(&x), DFU_OK);
	assert_int_equal(dfu_xcp_set_mta(&x, 0x08008000u), DFU_OK);
	assert_int_equal(x.mta, 0x08008000u);
	assert_int_equal(dfu_xcp_program_clear(&x, 0x4000), DFU_OK);
	assert_int_equal(x.mta, 0x08008000u);
	assert_int_equal(dfu_xcp_program_max(&x, data), DFU_OK);
	assert_int_equal(x.mta, 0x08008000u + 239);
	assert_int_equal(dfu_xcp_program(&x, data, 238), DFU_OK);
	assert_int_equal(x.mta, 0x08008000u + 239 + 238);
	assert_int_equal(dfu_xcp_program(&x, NULL, 0), DFU_OK);
	assert_int_equal(dfu_xcp_set_mta(&x, 0x08008000u), DFU_OK);
	assert_int_equal(dfu_xcp_upload(&x, got, 16), DFU_OK);
	assert_memory_equal(got, data, 16);
	assert_int_equal(x.mta, 0x08008010u);
	assert_int_equal(dfu_xcp_program_reset(&x), DFU_OK);
	assert_false(x.connected);
	close_fixture(&f);
}

static void xcp_errors(void **state)
{
	static const uint8_t mta_low[] = { 0xF6, 0, 0, 0, 0x00, 0x40, 0x00, 0x08 };
	static const uint8_t clear[] = { 0xD1, 0, 0, 0, 0x00, 0x40, 0x00, 0x00 };
	static const uint8_t fe31[] = { 0xFE, 0x31 }, fe20[] = { 0xFE, 0x20 };
	static const uint8_t fe10[] = { 0xFE, 0x10 }, odd[] = { 0x12 };
	static const uint8_t status[] = { 0xFD }, upload[] = { 0xF5, 0x08 };
	static const uint8_t short_up[] = { 0xFF, 1, 2 }, reset[] = { 0xCF };
	uint8_t buf[240];
	struct fixture f;
	struct dfu_xcp x;

	(void)state;
	open_fixture(&f);
	xcp_peer(f.peer);
	XCP_STEP(f.peer, x_connect, x_connect_ok, PEER_REPLY);
	XCP_STEP(f.peer, mta_low, x_ok, PEER_REPLY);
	XCP_STEP(f.peer, clear, fe31, PEER_REPLY);     /* below the app base */
	XCP_STEP(f.peer, status, fe20, PEER_REPLY);
	XCP_STEP(f.peer, status, fe10, PEER_REPLY);
	XCP_STEP(f.peer, status, odd, PEER_REPLY);
	XCP_STEP(f.peer, upload, short_up, PEER_REPLY);
	XCP_STEP(f.peer, upload, x_ok, PEER_SILENT);
	XCP_STEP(f.peer, reset, x_ok, PEER_CLOSE);     /* the chip resets: fine */
	peer_start(f.peer);

	assert_int_equal(dfu_xcp_connect(&x, f.ctx, f.port, 1000), DFU_OK);
	assert_int_equal(dfu_xcp_set_mta(&x, 0x08004000u), DFU_OK);
	assert_int_equal(dfu_xcp_program_clear(&x, 0x4000), DFU_ERR_DEVICE);
	assert_detail(f.ctx, "XCP PROGRAM_CLEAR at 0x08004000: OpenBLT answered error 0x31");
	assert_detail(f.ctx, "below the application base");
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_DEVICE);
	assert_detail(f.ctx, "error 0x20 (unknown command");
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_DEVICE);
	assert_detail(f.ctx, "error 0x10 (busy");
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_PROTOCOL);
	assert_detail(f.ctx, "neither a reply (FF) nor an error (FE)");
	assert_int_equal(dfu_xcp_upload(&x, buf, 8), DFU_ERR_PROTOCOL);
	assert_detail(f.ctx, "reply is 3 bytes, expected 9");
	assert_int_equal(dfu_xcp_upload(&x, buf, 8), DFU_ERR_TIMEOUT);
	assert_detail(f.ctx, "XCP UPLOAD at 0x08004000: ");
	/* arguments no packet can carry: refused without a word on the wire */
	assert_int_equal(dfu_xcp_program(&x, buf, 239), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_xcp_upload(&x, buf, 240), DFU_ERR_INVALID_ARG);
	assert_int_equal(dfu_xcp_upload(&x, buf, 0), DFU_ERR_INVALID_ARG);
	/* a late reply to the silent UPLOAD must not be taken for the next one */
	dfu_serial_drain(f.port, 20, 100);
	assert_int_equal(dfu_xcp_program_reset(&x), DFU_OK);
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_INVALID_ARG);
	assert_detail(f.ctx, "before CONNECT");
	close_fixture(&f);
}

static void xcp_connect_fails(void **state)
{
	static const uint8_t status[] = { 0xFD };
	struct fixture f;
	struct dfu_xcp x = { 0 };
	size_t i;

	(void)state;
	/* nothing answers: TIMEOUT after the time given */
	open_fixture(&f);
	for (i = 0; i < 5; i++)
		XCP_STEP(f.peer, x_connect, x_ok, PEER_SILENT);
	peer_start(f.peer);
	assert_int_equal(dfu_xcp_connect(&x, f.ctx, f.port, 300), DFU_ERR_TIMEOUT);
	assert_detail(f.ctx, "OpenBLT did not answer XCP CONNECT");
	assert_false(x.connected);
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_INVALID_ARG);
	close_fixture(&f);

	/* the port goes away: DISCONNECTED at once */
	open_fixture(&f);
	XCP_STEP(f.peer, x_connect, x_ok, PEER_CLOSE);
	peer_start(f.peer);
	assert_int_equal(dfu_xcp_connect(&x, f.ctx, f.port, 5000), DFU_ERR_DISCONNECTED);
	assert_detail(f.ctx, "XCP CONNECT at 0x00000000: ");
	close_fixture(&f);

	/* the port goes away in the middle of a session */
	open_fixture(&f);
	xcp_peer(f.peer);
	XCP_STEP(f.peer, x_connect, x_connect_ok, PEER_REPLY);
	XCP_STEP(f.peer, status, x_ok, PEER_CLOSE);
	peer_start(f.peer);
	assert_int_equal(dfu_xcp_connect(&x, f.ctx, f.port, 1000), DFU_OK);
	assert_int_equal(dfu_xcp_get_status(&x), DFU_ERR_DISCONNECTED);
	assert_detail(f.ctx, "went away");
	close_fixture(&f);
}

/* `test_serial_protocols --list-ports` prints dfu_serial_list() one port
 * a line, for the end-to-end test that runs it on dfusim's bus
 * (tests/e2e/test_serial_list.sh), as the next mode is. */
static int list_ports_main(void)
{
	struct dfu_serial_port *list = NULL;
	struct dfu_ctx *ctx = NULL;
	size_t count = 0, i;

	if (dfu_ctx_new(&ctx) || dfu_serial_list(ctx, &list, &count)) {
		fprintf(stderr, "dfu_serial_list: %s\n", ctx ? dfu_detail(ctx) : "no memory");
		return 1;
	}
	for (i = 0; i < count; i++)
		printf("%s %04x:%04x if=%d serial=%s manufacturer=%s product=%s\n", list[i].path,
		       list[i].id_vendor, list[i].id_product, list[i].interface, list[i].serial,
		       list[i].manufacturer, list[i].product);
	free(list);
	dfu_ctx_free(ctx);
	return 0;
}

/* `test_serial_protocols --reboot-dfu PORT` opens PORT as the library
 * opens an ECU's and sends the console's reboot_dfu command. */
static int reboot_dfu_main(const char *path)
{
	struct dfu_serial *port = NULL;
	struct dfu_ctx *ctx = NULL;
	int err;

	if (dfu_ctx_new(&ctx))
		return 1;
	err = dfu_serial_open(ctx, path, &port);
	if (!err)
		err = dfu_ts_reboot(port, false);
	if (err)
		fprintf(stderr, "%s: %s\n", dfu_errname(err), dfu_detail(ctx));
	dfu_serial_close(port);
	dfu_ctx_free(ctx);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_errors),
		cmocka_unit_test(busy_port_names_holder),
		cmocka_unit_test(drain_discards_chatter),
		cmocka_unit_test(list_ports),
		cmocka_unit_test(ts_signature_and_bootloader),
		cmocka_unit_test(ts_bad_replies),
		cmocka_unit_test(ts_reboot_frames),
		cmocka_unit_test(xcp_session),
		cmocka_unit_test(xcp_errors),
		cmocka_unit_test(xcp_connect_fails),
	};

	if (argc == 2 && !strcmp(argv[1], "--list-ports"))
		return list_ports_main();
	if (argc == 3 && !strcmp(argv[1], "--reboot-dfu"))
		return reboot_dfu_main(argv[2]);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
