/*
 * sim_transport.h - a struct dfu_transport_ops over the simulator core,
 * in-process, with a virtual clock: the engine's tests run the real
 * protocol against the model without USB and without waiting.
 */
#ifndef SIM_TRANSPORT_H
#define SIM_TRANSPORT_H

#include "dfuflash.h"
#include "dfusim.h"

struct sim_transport {
	struct dfusim *sim;
	uint64_t now_us;         /* the virtual clock */
	bool gone;               /* the device has left the bus */
	bool record;             /* append requests and sleeps to log */
	char *log;               /* transcript, one line per event */
	size_t log_len;
	size_t log_cap;
	uint64_t slept_ms;       /* sum of the engine's sleeps */
	unsigned requests;       /* control transfers seen */
};

/* A transport on a new simulator of chip at time scale 1 (the real ROM's
 * poll timeouts; the clock is virtual so nothing waits). NULL on failure. */
struct sim_transport *sim_transport_new(const char *chip);
void sim_transport_free(struct sim_transport *st);

/* Opens a dfu_dev on it. The device does not own st: close the device
 * first, then free st. */
int sim_transport_open(struct dfu_ctx *ctx, struct sim_transport *st,
		       struct dfu_dev **out);

/* Starts (or restarts) recording the transcript from empty. */
void sim_transport_record(struct sim_transport *st, bool on);

/* The transport table itself, for tests that build a device by hand. */
extern const struct dfu_transport_ops sim_transport_ops;

#endif /* SIM_TRANSPORT_H */
