/*
 * polltime.c - how long a busy device really takes, learned during the
 * run, per kind of operation (a sector erase by its size, a data block by
 * its length, a set address).
 *
 * A device answers the GETSTATUS that starts an operation with dfuDNBUSY
 * and the bwPollTimeout it wants the host to wait (DFU 1.1 6.1.2). Some
 * ask for less than they take (an F4 asks 5 ms for a 2 KiB block and
 * programs for about 8): a device that answers the next GETSTATUS at once
 * with dfuDNBUSY again (or stalls it, l4-stall-busy) costs a request and
 * another poll timeout per operation. Once an operation of a kind has been
 * seen busy past its first wait, the first wait of the next one of that
 * kind is the time it took (what was slept after the first answer until
 * it was done), never less than the device asks for.
 *
 * A learned wait may be too long (the first block of a run was slower, or
 * the poll granularity overshot): as long as the gap between the longest
 * wait that was too short (lo) and the shortest that was enough (hi) is
 * wide, the next wait tries the middle. A try that was too short is
 * followed by a wait up to hi (or what the device asks, if more), so a
 * wrong guess costs one extra GETSTATUS and nothing more. After 32
 * operations in a row done at the first look, the lower bound is
 * forgotten and shorter waits are tried again, so a device that became
 * faster is noticed.
 *
 * A device that holds the GETSTATUS until it is done (the ST ROMs as
 * dfusim models them) is never busy at the second look: nothing is
 * learned and every wait is the one it asks for.
 */
#include "protocol.h"

#include <string.h>

/* Operations done at the first look in a row before a shorter wait is
 * tried again. */
#define FORGET_AFTER 32u

/* The gap between lo and hi under which the middle is not tried: a
 * millisecond, or an eighth of what the device asks for. */
static uint32_t close_enough(uint32_t asked)
{
	return asked / 8 > 1 ? asked / 8 : 1;
}

/* The slot of (op, size), made if there is room; NULL for operations that
 * are not learned or when the table is full. */
static struct dfu_busy_learned *slot_of(struct dfu_dev *dev, enum dfu_busy_op op,
					uint32_t size)
{
	size_t i;

	if (op == DFU_BUSY_OTHER)
		return NULL;
	for (i = 0; i < DFU_BUSY_SLOTS; i++) {
		struct dfu_busy_learned *s = &dev->busy[i];

		if (s->op == op && s->size == size)
			return s;
		if (s->op == DFU_BUSY_OTHER) {
			memset(s, 0, sizeof(*s));
			s->op = (uint8_t)op;
			s->size = size;
			return s;
		}
	}
	return NULL;
}

/* See protocol.h. */
void dfu_busy_begin(struct dfu_dev *dev, enum dfu_busy_op op, uint32_t size,
		    struct dfu_busy_wait *bw)
{
	memset(bw, 0, sizeof(*bw));
	bw->slot = dev ? slot_of(dev, op, size) : NULL;
}

/* See protocol.h. */
uint32_t dfu_busy_next_wait(struct dfu_busy_wait *bw, uint64_t waited, uint32_t asked)
{
	struct dfu_busy_learned *s = bw->slot;
	uint32_t w = asked;

	if (bw->looks++ == 0) {
		/* The operation's first answer: the learned wait, or the
		 * middle of what is known, never less than asked. */
		if (s && s->hi_ms > asked) {
			/* asked itself is a candidate until it was seen to
			 * be too short. */
			bool seen = s->lo_ms >= asked;
			uint32_t lo = seen ? s->lo_ms : asked;

			if (s->hi_ms - lo > close_enough(asked))
				w = lo + (s->hi_ms - lo) / 2;
			else
				w = seen ? s->hi_ms : asked;
		}
		bw->first_wait = w;
		return w;
	}
	/* Busy again: a try that was too short waits on up to where it was
	 * done before, unless the device asks for more. */
	bw->last_busy = waited;
	bw->again = true;
	if (s && s->hi_ms > waited && s->hi_ms - waited > w)
		w = (uint32_t)(s->hi_ms - waited);
	return w;
}

/* See protocol.h. */
void dfu_busy_end(struct dfu_busy_wait *bw, uint64_t waited)
{
	struct dfu_busy_learned *s = bw->slot;

	if (!s || bw->stuck || !bw->looks)
		return;
	if (waited > UINT32_MAX)
		waited = UINT32_MAX;
	if (!bw->again) {
		/* Done at the first look: the wait was enough. */
		if (!s->hi_ms)
			return;  /* within its own poll timeout */
		if (bw->first_wait < s->hi_ms) {
			s->hi_ms = bw->first_wait;
			s->streak = 0;
		} else if (++s->streak >= FORGET_AFTER) {
			/* Try shorter again: the middle between what the
			 * device asks for and the learned wait. */
			s->lo_ms = 0;
			s->streak = 0;
		}
		if (s->lo_ms >= s->hi_ms)
			s->lo_ms = 0;
		return;
	}
	/* Busy after its first wait: at least that long; done by waited. */
	s->streak = 0;
	if (bw->last_busy > s->lo_ms)
		s->lo_ms = (uint32_t)bw->last_busy;
	if (!s->hi_ms || bw->last_busy >= s->hi_ms)
		s->hi_ms = (uint32_t)waited;
	if (s->lo_ms >= s->hi_ms)
		s->lo_ms = 0;
}
