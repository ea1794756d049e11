/*
 * tool_progress.c - progress on stderr: one bar per phase on a terminal
 * (bytes, rate, time left), one line per phase otherwise.
 */
#include "tool.h"

#include <stdio.h>
#include <unistd.h>

#define BAR_WIDTH 30

/* Progress output state; bars only when stderr is a terminal. */
void tool_progress_init(struct tool_progress *tp)
{
	tp->silent = false;
	tp->tty = isatty(STDERR_FILENO);
	tp->last_phase = -1;
	tp->last_percent = -1;
	tp->phase_start = tool_now();
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

/*
 * A dfu_progress_fn: a bar per phase, or a line when a phase ends. It also
 * notes where the library is (tool_where, for the --json result of a
 * failure) and, once a signal arrived, returns 1: the library then stops
 * before its next request with DFU_ERR_CANCELLED.
 */
int tool_progress_cb(void *user, const struct dfu_progress *p)
{
	struct tool_progress *tp = user;
	double now, elapsed, rate;
	int percent;
	char done[32], total[32], rates[32];

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
	if (tp->silent || tool_globals.verbosity < 0 || tool_globals.json)
		return 0;
	now = tool_now();
	if ((int)p->phase != tp->last_phase) {
		if (tp->tty && tp->last_phase >= 0 && tp->last_percent < 100)
			fputc('\n', stderr);
		tp->last_phase = (int)p->phase;
		tp->last_percent = -1;
		tp->phase_start = now;
	}
	percent = p->total ? (int)(p->done * 100 / p->total) : 100;
	if (percent == tp->last_percent)
		return 0;
	elapsed = now - tp->phase_start;
	rate = elapsed > 0.05 ? (double)p->done / elapsed : 0;
	human(done, sizeof(done), (double)p->done);
	human(total, sizeof(total), (double)p->total);
	human(rates, sizeof(rates), rate);
	if (tp->tty) {
		int fill = percent * BAR_WIDTH / 100, i;

		fprintf(stderr, "\r%-6s [", dfu_phase_name(p->phase));
		for (i = 0; i < BAR_WIDTH; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%% %s/%s", percent, done, total);
		if (rate > 0 && p->done < p->total)
			fprintf(stderr, " %s/s %.0fs left   ", rates,
				(double)(p->total - p->done) / rate);
		else
			fprintf(stderr, " %.1fs             ", elapsed);
		if (percent == 100)
			fputc('\n', stderr);
	} else if (percent == 100) {
		/* Not a terminal: one line when the phase is done. */
		fprintf(stderr, "dfuflash: %s: %s in %.1fs\n", dfu_phase_name(p->phase),
			total, elapsed);
	}
	tp->last_percent = percent;
	fflush(stderr);
	return 0;
}
