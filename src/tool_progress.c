/*
 * tool_progress.c - progress on stderr, so that a person (or a CI log)
 * can watch every phase that lasts more than a moment:
 *  - on a terminal a bar per phase with bytes, rate and time left;
 *  - on a pipe a plain line at least every PLAIN_EVERY seconds while a
 *    phase runs (phase, percent, bytes, elapsed), and one when it ends;
 *  - during one long request that sends no progress (a mass erase: up to
 *    32 s, announced by dfu_progress.busy_max_ms), a ticker thread says
 *    "mass erase: still erasing after N s (at most M s)" every
 *    TICK_PIPE_MS on a pipe, or keeps the bar's text current on a
 *    terminal. The next progress report (or the end of the command)
 *    stops it.
 */
#include "tool.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
/* Seconds between two plain lines of one phase on a pipe. */
#define PLAIN_EVERY 2.0
/* How often the ticker speaks on a pipe, and redraws on a terminal. */
#define TICK_PIPE_MS 2000
#define TICK_TTY_MS 500

/* A ticker: one thread waiting on a condition variable until it is told
 * to stop, printing at each timeout. */
struct tool_ticker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool tty;
	double start;           /* tool_now() when the request started */
	unsigned max_s;         /* what the library says it may take */
	char what[32];          /* "mass erase" */
	char doing[64];         /* "still erasing" */
	char bar[64];           /* the bar as drawn when it started (tty) */
};

/* The running ticker (one request at a time is in flight), for
 * tool_progress_stop_all(). */
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tool_ticker *active;

/* Progress output state; bars only when stderr is a terminal. */
void tool_progress_init(struct tool_progress *tp)
{
	tp->silent = false;
	tp->tty = isatty(STDERR_FILENO);
	tp->last_phase = -1;
	tp->last_percent = -1;
	tp->phase_start = tool_now();
	tp->last_line = 0;
	tp->ticker = NULL;
}

/* "12.3 KiB", "1.5 MiB". */
static void human(char *buf, size_t cap, double bytes)
{
	if (bytes >= 1024.0 * 1024.0)
		snprintf(buf, cap, "%.1f MiB", bytes / (1024.0 * 1024.0));
	else if (bytes >= 1024.0)
		snprintf(buf, cap, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, cap, "%.0f B", bytes);
}

/* An absolute CLOCK_MONOTONIC time ms from now. */
static struct timespec deadline_in(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* The ticker thread: every tick until told to stop, one line (pipe) or
 * the bar's text (terminal). */
static void *ticker_main(void *arg)
{
	struct tool_ticker *t = arg;
	unsigned every = t->tty ? TICK_TTY_MS : TICK_PIPE_MS;
	struct timespec next = deadline_in(every);

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		unsigned secs;

		if (pthread_cond_timedwait(&t->cond, &t->lock, &next) == 0 || t->stop)
			continue;   /* woken (or spurious): look at stop again */
		next = deadline_in(every);
		secs = (unsigned)(tool_now() - t->start + 0.5);
		if (t->tty)
			fprintf(stderr, "\r%s%s%s: %s after %u s (at most %u s)\033[K", t->bar,
				t->bar[0] ? " " : "", t->what, t->doing, secs, t->max_s);
		else
			fprintf(stderr, "dfuflash: %s: %s after %u s (at most %u s)\n", t->what,
				t->doing, secs, t->max_s);
		fflush(stderr);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Starts a ticker for a request that may keep the device busy max_ms. */
static void ticker_start(struct tool_progress *tp, const char *what, const char *doing,
			 uint32_t max_ms, const char *bar)
{
	struct tool_ticker *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	sigset_t block, old;
	bool started;

	if (!t)
		return;   /* no ticker is no disaster: the job goes on */
	t->tty = tp->tty;
	t->start = tool_now();
	t->max_s = (unsigned)((max_ms + 999) / 1000);
	snprintf(t->what, sizeof(t->what), "%s", what);
	snprintf(t->doing, sizeof(t->doing), "%s", doing);
	snprintf(t->bar, sizeof(t->bar), "%s", bar);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Ctrl-C and the like go to the main thread, as without a ticker:
	 * the new thread starts with them blocked. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	started = pthread_create(&t->thread, NULL, ticker_main, t) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return;
	}
	tp->ticker = t;
	pthread_mutex_lock(&active_lock);
	active = t;
	pthread_mutex_unlock(&active_lock);
}

/* Stops a ticker and waits for its thread. */
static void ticker_stop(struct tool_ticker *t)
{
	pthread_mutex_lock(&active_lock);
	if (active == t)
		active = NULL;
	pthread_mutex_unlock(&active_lock);
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void tool_progress_wait(struct tool_progress *tp, const char *what, const char *doing,
			uint32_t max_ms)
{
	tool_progress_end(tp);
	if (tp->silent || tool_globals.verbosity < 0)
		return;
	ticker_start(tp, what, doing, max_ms, "");
}

void tool_progress_end(struct tool_progress *tp)
{
	if (tp->ticker) {
		ticker_stop(tp->ticker);
		tp->ticker = NULL;
	}
}

void tool_progress_stop_all(void)
{
	struct tool_ticker *t;

	pthread_mutex_lock(&active_lock);
	t = active;
	pthread_mutex_unlock(&active_lock);
	if (t)
		ticker_stop(t);
}

/* The bar of a phase at percent, into buf: "erase  [#####.....]  50%". */
static void draw_bar(char *buf, size_t cap, enum dfu_phase phase, int percent)
{
	int fill = percent * BAR_WIDTH / 100, i;
	size_t n;

	snprintf(buf, cap, "%-6s [", dfu_phase_name(phase));
	n = strlen(buf);
	for (i = 0; i < BAR_WIDTH && n + 1 < cap; i++)
		buf[n++] = i < fill ? '#' : '.';
	snprintf(buf + n, cap - n, "] %3d%%", percent);
}

/*
 * A dfu_progress_fn: a bar per phase, or plain lines. It also notes where
 * the library is (tool_where, for the --json result of a failure) and,
 * once a signal arrived, returns 1: the library then stops before its next
 * request with DFU_ERR_CANCELLED. A report with busy_max_ms starts the
 * ticker; any report stops the one running.
 */
int tool_progress_cb(void *user, const struct dfu_progress *p)
{
	struct tool_progress *tp = user;
	double now, elapsed, rate;
	int percent;
	char done[32], total[32], rates[32], bar[64];

	/* The long request is over: the library speaks again. */
	tool_progress_end(tp);
	/* A phase that has reported its end is no longer where a failure
	 * happens. */
	tool_where.has_phase = p->done < p->total;
	tool_where.phase = p->phase;
	if (tool_interrupted()) {
		tool_where.has_phase = true;
		tool_where.has_address = true;
		tool_where.address = p->address;
		return 1;
	}
	if (tp->silent || tool_globals.verbosity < 0)
		return 0;
	now = tool_now();
	if ((int)p->phase != tp->last_phase) {
		if (tp->tty && tp->last_phase >= 0 && tp->last_percent < 100)
			fputc('\n', stderr);
		tp->last_phase = (int)p->phase;
		tp->last_percent = -1;
		tp->phase_start = now;
		tp->last_line = now;
	}
	percent = p->total ? (int)(p->done * 100 / p->total) : 100;
	elapsed = now - tp->phase_start;
	if (p->busy_max_ms) {
		const char *what = p->phase == DFU_PHASE_ERASE ? "mass erase" : "busy";

		draw_bar(bar, sizeof(bar), p->phase, percent);
		if (tp->tty)
			fprintf(stderr, "\r%s %s: one request of up to %u s\033[K", bar, what,
				(unsigned)((p->busy_max_ms + 999) / 1000));
		else
			fprintf(stderr, "dfuflash: %s: started; the device reports nothing until "
				"it is done (at most %u s)\n", what,
				(unsigned)((p->busy_max_ms + 999) / 1000));
		fflush(stderr);
		tp->last_percent = percent;
		ticker_start(tp, what, "still erasing", p->busy_max_ms, bar);
		return 0;
	}
	if (percent == tp->last_percent)
		return 0;
	rate = elapsed > 0.05 ? (double)p->done / elapsed : 0;
	human(done, sizeof(done), (double)p->done);
	human(total, sizeof(total), (double)p->total);
	human(rates, sizeof(rates), rate);
	if (tp->tty) {
		draw_bar(bar, sizeof(bar), p->phase, percent);
		fprintf(stderr, "\r%s %s/%s", bar, done, total);
		if (rate > 0 && p->done < p->total)
			fprintf(stderr, " %s/s %.0fs left", rates,
				(double)(p->total - p->done) / rate);
		else
			fprintf(stderr, " %.1fs", elapsed);
		fputs("\033[K", stderr);
		if (percent == 100)
			fputc('\n', stderr);
	} else if (percent == 100) {
		/* Not a terminal: a line when the phase is done... */
		fprintf(stderr, "dfuflash: %s: %s in %.1fs\n", dfu_phase_name(p->phase),
			total, elapsed);
	} else if (now - tp->last_line >= PLAIN_EVERY) {
		/* ...and every few seconds while it runs. */
		fprintf(stderr, "dfuflash: %s: %d%% (%s of %s", dfu_phase_name(p->phase),
			percent, done, total);
		if (rate > 0)
			fprintf(stderr, ", %s/s, %.0fs left", rates,
				(double)(p->total - p->done) / rate);
		fprintf(stderr, ") after %.1fs\n", elapsed);
		tp->last_line = now;
	}
	tp->last_percent = percent;
	fflush(stderr);
	return 0;
}
