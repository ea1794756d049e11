/*
 * sim_transport.c - the engine's transport over libdfusim, in-process.
 *
 * Requests go straight to dfusim_control(); the clock is virtual: a sleep
 * advances it, a reply that is ready later moves it forward. The transcript
 * holds the model's own log lines plus one "sleep N ms" line per sleep of
 * the engine, so a test can see both what was asked and how long the host
 * waited between requests.
 */
#include "sim_transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends one line to the transcript when recording. */
static void add_line(struct sim_transport *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_line(struct sim_transport *st, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;
	int w;

	if (!st->record)
		return;
	va_start(ap, fmt);
	w = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	n = strlen(line);
	if (st->log_len + n + 2 > st->log_cap) {
		size_t cap = (st->log_cap + n + 2) * 2;
		char *p = realloc(st->log, cap);

		if (!p)
			return;
		st->log = p;
		st->log_cap = cap;
	}
	memcpy(st->log + st->log_len, line, n);
	st->log_len += n;
	st->log[st->log_len++] = '\n';
	st->log[st->log_len] = '\0';
}

/* The model's log lines into the transcript. */
static void sim_log(void *user, const char *line)
{
	add_line(user, "%s", line);
}

/* One transfer through the model; applies its timing and bus events. */
static int transfer(struct sim_transport *st, uint8_t type, uint8_t req, uint16_t value,
		    uint16_t index, uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct dfusim_setup setup = { type, req, value, index, len };
	struct dfusim_reply reply;

	if (st->gone)
		return DFU_ERR_DISCONNECTED;
	st->requests++;
	memset(&reply, 0, sizeof(reply));
	dfusim_control(st->sim, &setup, data, len, st->now_us, &reply);
	if (reply.ready_at_us > st->now_us)
		st->now_us = reply.ready_at_us;
	if (reply.event != DFUSIM_EV_NONE) {
		if (reply.event_at_us > st->now_us)
			st->now_us = reply.event_at_us;
		st->gone = true;
	}
	switch (reply.outcome) {
	case DFUSIM_ACK:
		return (type & DFU_USB_DIR_IN) ? (int)reply.len : len;
	case DFUSIM_STALL:
		return DFU_ERR_STALL;
	case DFUSIM_NO_ANSWER:
		st->now_us += (uint64_t)timeout_ms * 1000;
		return DFU_ERR_TIMEOUT;
	case DFUSIM_GONE:
		st->gone = true;
		return DFU_ERR_DISCONNECTED;
	}
	return DFU_ERR_USB;
}

/* Transport op: an OUT transfer (the model may write to its buffer). */
static int op_control_out(void *user, uint8_t type, uint8_t req, uint16_t value,
			  uint16_t index, const uint8_t *data, uint16_t len,
			  unsigned timeout_ms)
{
	uint8_t buf[4096];

	if (len > sizeof(buf))
		return DFU_ERR_INVALID_ARG;
	if (len)
		memcpy(buf, data, len);
	return transfer(user, type, req, value, index, buf, len, timeout_ms);
}

/* Transport op: an IN transfer. */
static int op_control_in(void *user, uint8_t type, uint8_t req, uint16_t value,
			 uint16_t index, uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	return transfer(user, type, req, value, index, data, len, timeout_ms);
}

/* Transport op: SET_INTERFACE, as usbdevfs carries it. */
static int op_set_alt(void *user, uint8_t interface, uint8_t alt)
{
	struct sim_transport *st = user;

	if (st->gone)
		return DFU_ERR_DISCONNECTED;
	add_line(st, "SET_INTERFACE %u alt %u", interface, alt);
	if (dfusim_set_interface(st->sim, interface, alt, st->now_us) != 0)
		return DFU_ERR_STALL;
	return DFU_OK;
}

/* Transport op: a bus reset; a device that resets away is gone. */
static int op_reset(void *user)
{
	struct sim_transport *st = user;

	if (st->gone)
		return DFU_ERR_DISCONNECTED;
	add_line(st, "RESET");
	if (dfusim_bus_reset(st->sim, st->now_us) != DFUSIM_EV_NONE)
		st->gone = true;
	return DFU_OK;
}

/* Transport op: on the bus until an event took it away. */
static int op_present(void *user)
{
	struct sim_transport *st = user;

	return st->gone ? 0 : 1;
}

/* Transport op: advances the virtual clock, noted in the transcript. */
static void op_sleep(void *user, unsigned ms)
{
	struct sim_transport *st = user;

	add_line(st, "sleep %u ms", ms);
	st->slept_ms += ms;
	st->now_us += (uint64_t)ms * 1000;
}

const struct dfu_transport_ops sim_transport_ops = {
	.control_out = op_control_out,
	.control_in = op_control_in,
	.set_alt = op_set_alt,
	.reset = op_reset,
	.present = op_present,
	.sleep_ms = op_sleep,
	.close = NULL,   /* the test owns the transport */
};

/* A simulator at time scale 1 behind the transport. */
struct sim_transport *sim_transport_new(const char *chip)
{
	struct sim_transport *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->sim = dfusim_new(chip);
	if (!st->sim || dfusim_set_time_scale(st->sim, 1.0) != 0) {
		dfusim_free(st->sim);
		free(st);
		return NULL;
	}
	st->now_us = 1000000;
	dfusim_set_log(st->sim, sim_log, st);
	return st;
}

/* Frees the simulator and the transcript. */
void sim_transport_free(struct sim_transport *st)
{
	if (!st)
		return;
	dfusim_free(st->sim);
	free(st->log);
	free(st);
}

/* Starts or stops the transcript, empty. */
void sim_transport_record(struct sim_transport *st, bool on)
{
	st->record = on;
	st->log_len = 0;
	if (st->log)
		st->log[0] = '\0';
}

/* A dfu_dev on the simulator, from its own descriptors. */
int sim_transport_open(struct dfu_ctx *ctx, struct sim_transport *st,
		       struct dfu_dev **out)
{
	uint8_t desc[1024];
	size_t len = dfusim_descriptors(st->sim, desc, sizeof(desc));

	if (len > sizeof(desc))
		return DFU_ERR_NO_MEM;
	dfusim_set_configuration(st->sim, 1, st->now_us);
	return dfu_dev_open_transport(ctx, &sim_transport_ops, st, desc, len, out);
}
