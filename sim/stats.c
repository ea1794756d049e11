/*
 * stats.c - what the model counts (requests by kind, bytes, erases, busy
 * and transfer time in unscaled model microseconds) and the one log line
 * per request that golden transcripts compare.
 */
#include "sim_internal.h"

#include <stdio.h>

/* Counts one request of every kind set in kinds. */
void sim_count(struct dfusim *sim, uint64_t kinds)
{
	size_t k;

	for (k = 0; k < DFUSIM_K_COUNT; k++)
		if (kinds & (1ull << k))
			sim->stats.requests[k]++;
}

void sim_log(struct dfusim *sim, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!sim->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sim->log_fn(sim->log_user, line);
}

void dfusim_set_log(struct dfusim *sim, dfusim_log_fn fn, void *user)
{
	if (!sim)
		return;
	sim->log_fn = fn;
	sim->log_user = user;
}

/* Statistics as one JSON object; the caller frees it. Times are model
 * microseconds, before the time scale: what the real chip would need. */
char *dfusim_stats_json(const struct dfusim *sim)
{
	const struct dfusim_stats *st;
	const struct dfusim_map *map;
	struct sb sb = { 0 };
	size_t k, n;
	bool first = true;

	if (!sim)
		return NULL;
	st = &sim->stats;
	map = sim_true_map(sim);
	sb_printf(&sb, "{\"chip\":\"%s\",\"requests\":{", sim->chip->name);
	for (k = 0; k < DFUSIM_K_COUNT; k++)
		sb_printf(&sb, "%s\"%s\":%llu", k ? "," : "", sim_kind_name((enum dfusim_kind)k),
			  (unsigned long long)st->requests[k]);
	sb_printf(&sb, "},\"bytes_down\":%llu,\"bytes_up\":%llu,\"erases\":[",
		  (unsigned long long)st->bytes_down, (unsigned long long)st->bytes_up);
	for (n = 0; n < DFUSIM_MAX_SECTORS; n++) {
		uint32_t start = 0, size = 0;

		if (!st->erases[n])
			continue;
		sim_map_nth(map, sim->chip->flash_base, (int)n, &start, &size);
		sb_printf(&sb, "%s{\"sector\":%zu,\"address\":\"0x%08x\",\"size\":%u,\"count\":%u}",
			  first ? "" : ",", n, (unsigned)start, (unsigned)size,
			  (unsigned)st->erases[n]);
		first = false;
	}
	sb_printf(&sb, "],\"mass_erases\":%u,\"unprotects\":%u,\"option_writes\":%u,"
		  "\"resets\":%u,\"stalls\":%u,\"busy_us\":%llu,\"transfer_us\":%llu,"
		  "\"model_us\":%llu,\"poll_reported_ms\":%llu,\"time_scale\":%g}\n",
		  (unsigned)st->mass_erases, (unsigned)st->unprotects,
		  (unsigned)st->option_writes, (unsigned)st->resets, (unsigned)st->stalls,
		  (unsigned long long)st->busy_model_us,
		  (unsigned long long)st->transfer_model_us,
		  (unsigned long long)(st->busy_model_us + st->transfer_model_us),
		  (unsigned long long)st->poll_reported_ms, sim->scale);
	return sb_take(&sb);
}
