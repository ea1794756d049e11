/*
 * fault.c - faults on demand: what goes wrong, and when.
 *
 * Grammar of a spec (dfusim_add_fault, dfusim run --fault):
 *
 *   spec    := action '@' trigger [',repeat']
 *   action  := 'disconnect'        the device drops off the bus and stays off
 *                                  (outcome GONE, event DISCONNECT)
 *            | 'stall'             the request stalls; the device goes to
 *                                  dfuERROR/errSTALLEDPKT as DFU 1.1 says
 *            | 'timeout'           the device never answers; nothing changes
 *            | 'status=' STATUS    the operation fails with that status: a
 *                                  DNLOAD's operation answers dfuERROR/STATUS
 *                                  at the GETSTATUS that ends it; a GETSTATUS
 *                                  answers it at once; any other request
 *                                  stalls and leaves dfuERROR/STATUS
 *            | 'powerloss'         the chip loses power: a DNLOAD's operation
 *                                  is half done (the first half of the bytes
 *                                  written, or of the sector erased) when the
 *                                  device vanishes, then it comes back in the
 *                                  ROM (event RESET_TO_DFU); on other requests
 *                                  it vanishes at that request
 *            | 'unplug'            the same as disconnect (the cable pulled)
 *            | 'power'             the same as powerloss
 *            | 'error'             (serial triggers only) the request fails:
 *                                  OpenBLT answers FE 31 (ERR_GENERIC, what
 *                                  a failed erase or write gives), the
 *                                  console a frame with status 0x83
 *            | 'misdirect'         (trigger 'erase' only) the sector erase
 *                                  reports success but erases the sector
 *                                  before the one asked (by the true map),
 *                                  or nothing when sector 0 is asked: a ROM
 *                                  that erases the wrong place
 *   STATUS  := errTARGET | errFILE | errWRITE | errERASE | errCHECK_ERASED |
 *              errPROG | errVERIFY | errADDRESS | errNOTDONE | errFIRMWARE |
 *              errVENDOR | errUSBR | errPOR | errUNKNOWN | errSTALLEDPKT
 *              (the "err" may be left out; a number 1-15 works too)
 *   trigger := KIND [':' N]         the Nth request of that kind, from 1
 *                                   (default 1); with ',repeat' the Nth and
 *                                   every later one
 *            | 'addr:' A ['-' B]    the first data write (DNLOAD block >=
 *                                   2), sector erase or data read (UPLOAD
 *                                   block >= 2) whose bytes meet [A, B] (B
 *                                   inclusive; A alone is one byte; an
 *                                   erase covers its whole sector); with
 *                                   ',repeat' every one
 *   KIND    := control (any request) | descriptor | standard | detach |
 *              dnload | upload | getstatus | clrstatus | getstate | abort |
 *              setaddr | erase (sector erase) | masserase | unprotect |
 *              write (data DNLOAD to flash/OTP) | read (data UPLOAD) |
 *              leave | optionbytes (a write to the option bytes)
 *            | the serial port (--boot flash, after leave, reboot commands):
 *              ts (every console request) | ts-signature ('S', 'Q') |
 *              ts-bootloader ('L') | ts-reboot ('E' reboot_dfu /
 *              reboot_openblt, 'Z' 00 BA / 00 BC) | xcp (every XCP packet) |
 *              xcp-connect | xcp-status | xcp-set-mta | xcp-upload (UPLOAD,
 *              SHORT_UPLOAD) | xcp-start (PROGRAM_START) | xcp-clear
 *              (PROGRAM_CLEAR) | xcp-program (PROGRAM, PROGRAM_MAX) |
 *              xcp-reset (PROGRAM_RESET) | xcp-other
 *              On the serial port 'stall' and 'timeout' mean no answer and
 *              nothing done; 'powerloss' at xcp-clear leaves the first half
 *              of the first sector erased, at xcp-program the first half
 *              of the bytes written, then the chip restarts (BOOT pin and
 *              flash decide what comes back).
 *
 * Examples: "disconnect@dnload:5", "stall@getstatus:3",
 * "status=errWRITE@addr:0x08004000-0x08007fff", "timeout@upload:2",
 * "powerloss@write:40", "status=errVERIFY@write:1,repeat", "misdirect@erase:2",
 * "unplug@xcp-clear:2", "power@xcp-program:40", "stall@xcp-upload:1",
 * "error@xcp-program:3", "unplug@ts-reboot:1".
 * A request that is of several kinds (a SET_ADDRESS is a dnload and a
 * setaddr) counts for each; the first armed fault that matches fires.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_names[DFUSIM_K_COUNT] = {
	[DFUSIM_K_CONTROL] = "control",
	[DFUSIM_K_DESCRIPTOR] = "descriptor",
	[DFUSIM_K_STANDARD] = "standard",
	[DFUSIM_K_DETACH] = "detach",
	[DFUSIM_K_DNLOAD] = "dnload",
	[DFUSIM_K_UPLOAD] = "upload",
	[DFUSIM_K_GETSTATUS] = "getstatus",
	[DFUSIM_K_CLRSTATUS] = "clrstatus",
	[DFUSIM_K_GETSTATE] = "getstate",
	[DFUSIM_K_ABORT] = "abort",
	[DFUSIM_K_SETADDR] = "setaddr",
	[DFUSIM_K_ERASE] = "erase",
	[DFUSIM_K_MASSERASE] = "masserase",
	[DFUSIM_K_UNPROTECT] = "unprotect",
	[DFUSIM_K_WRITE] = "write",
	[DFUSIM_K_READ] = "read",
	[DFUSIM_K_LEAVE] = "leave",
	[DFUSIM_K_OPTIONBYTES] = "optionbytes",
	[DFUSIM_K_TS] = "ts",
	[DFUSIM_K_TS_SIGNATURE] = "ts-signature",
	[DFUSIM_K_TS_BOOTLOADER] = "ts-bootloader",
	[DFUSIM_K_TS_REBOOT] = "ts-reboot",
	[DFUSIM_K_XCP] = "xcp",
	[DFUSIM_K_XCP_CONNECT] = "xcp-connect",
	[DFUSIM_K_XCP_STATUS] = "xcp-status",
	[DFUSIM_K_XCP_SET_MTA] = "xcp-set-mta",
	[DFUSIM_K_XCP_UPLOAD] = "xcp-upload",
	[DFUSIM_K_XCP_START] = "xcp-start",
	[DFUSIM_K_XCP_CLEAR] = "xcp-clear",
	[DFUSIM_K_XCP_PROGRAM] = "xcp-program",
	[DFUSIM_K_XCP_RESET] = "xcp-reset",
	[DFUSIM_K_XCP_OTHER] = "xcp-other",
};

/* A request kind's name as the grammar and the stats spell it. */
const char *sim_kind_name(enum dfusim_kind kind)
{
	return (unsigned)kind < DFUSIM_K_COUNT ? kind_names[kind] : "?";
}

/* Parses an unsigned number (decimal or 0x hex) that spans [s, end). */
static int parse_u32(const char *s, const char *end, uint32_t *out)
{
	char buf[24];
	char *stop;
	unsigned long v;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf) || *s == '-' || *s == '+')
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &stop, 0);
	if (errno || *stop || v > 0xFFFFFFFFul)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Fills *out from spec, or writes why not into err and returns -1. */
int sim_fault_parse(const char *spec, struct dfusim_fault *out, char *err, size_t errcap)
{
	struct dfusim_fault f;
	const char *at, *trig, *end, *colon;
	size_t alen, klen, i;

	memset(&f, 0, sizeof(f));
	if (!spec || strlen(spec) >= sizeof(f.spec)) {
		snprintf(err, errcap, "fault spec missing or too long");
		return -1;
	}
	snprintf(f.spec, sizeof(f.spec), "%s", spec);
	at = strchr(spec, '@');
	if (!at) {
		snprintf(err, errcap, "fault '%s': expected ACTION@TRIGGER", spec);
		return -1;
	}
	alen = (size_t)(at - spec);
	if ((alen == 10 && strncmp(spec, "disconnect", alen) == 0) ||
	    (alen == 6 && strncmp(spec, "unplug", alen) == 0)) {
		f.action = DFUSIM_FA_DISCONNECT;
	} else if (alen == 5 && strncmp(spec, "error", alen) == 0) {
		f.action = DFUSIM_FA_ERROR;
	} else if (alen == 5 && strncmp(spec, "stall", alen) == 0) {
		f.action = DFUSIM_FA_STALL;
	} else if (alen == 7 && strncmp(spec, "timeout", alen) == 0) {
		f.action = DFUSIM_FA_TIMEOUT;
	} else if ((alen == 9 && strncmp(spec, "powerloss", alen) == 0) ||
		   (alen == 5 && strncmp(spec, "power", alen) == 0)) {
		f.action = DFUSIM_FA_POWERLOSS;
	} else if (alen == 9 && strncmp(spec, "misdirect", alen) == 0) {
		f.action = DFUSIM_FA_MISDIRECT;
	} else if (alen > 7 && strncmp(spec, "status=", 7) == 0) {
		char name[24];
		int st;

		if (alen - 7 >= sizeof(name)) {
			snprintf(err, errcap, "fault '%s': unknown status", spec);
			return -1;
		}
		memcpy(name, spec + 7, alen - 7);
		name[alen - 7] = '\0';
		st = sim_status_parse(name);
		if (st <= 0) {
			snprintf(err, errcap, "fault '%s': unknown status '%s' (errTARGET ... errSTALLEDPKT)",
				 spec, name);
			return -1;
		}
		f.action = DFUSIM_FA_STATUS;
		f.status = (enum dfu_status_code)st;
	} else {
		snprintf(err, errcap, "fault '%s': unknown action (disconnect, stall, timeout, "
			 "status=ERR, powerloss, misdirect, unplug, power, error)", spec);
		return -1;
	}

	trig = at + 1;
	end = trig + strlen(trig);
	if (end - trig >= 7 && strcmp(end - 7, ",repeat") == 0) {
		f.repeat = true;
		end -= 7;
	}
	colon = memchr(trig, ':', (size_t)(end - trig));
	klen = (size_t)((colon ? colon : end) - trig);
	if (klen == 4 && strncmp(trig, "addr", 4) == 0) {
		const char *dash;

		if (f.action == DFUSIM_FA_MISDIRECT) {
			snprintf(err, errcap, "fault '%s': misdirect takes the trigger erase[:N]",
				 spec);
			return -1;
		}

		if (!colon) {
			snprintf(err, errcap, "fault '%s': addr needs :A[-B]", spec);
			return -1;
		}
		dash = memchr(colon + 1, '-', (size_t)(end - colon - 1));
		f.by_addr = true;
		if (parse_u32(colon + 1, dash ? dash : end, &f.lo) ||
		    (dash && parse_u32(dash + 1, end, &f.hi))) {
			snprintf(err, errcap, "fault '%s': bad address range", spec);
			return -1;
		}
		if (!dash)
			f.hi = f.lo;
		if (f.hi < f.lo) {
			snprintf(err, errcap, "fault '%s': range ends before it starts", spec);
			return -1;
		}
		*out = f;
		return 0;
	}
	for (i = 0; i < DFUSIM_K_COUNT; i++)
		if (strlen(kind_names[i]) == klen && strncmp(kind_names[i], trig, klen) == 0)
			break;
	if (i == DFUSIM_K_COUNT) {
		snprintf(err, errcap, "fault '%s': unknown request kind", spec);
		return -1;
	}
	f.kind = (enum dfusim_kind)i;
	if (f.action == DFUSIM_FA_ERROR && f.kind < DFUSIM_K_TS) {
		snprintf(err, errcap, "fault '%s': error takes a serial trigger (ts-*, xcp-*); "
			 "DFU requests take status=ERR", spec);
		return -1;
	}
	if (f.action == DFUSIM_FA_MISDIRECT && f.kind != DFUSIM_K_ERASE) {
		snprintf(err, errcap, "fault '%s': misdirect takes the trigger erase[:N]", spec);
		return -1;
	}
	f.nth = 1;
	if (colon && (parse_u32(colon + 1, end, &f.nth) || f.nth == 0)) {
		snprintf(err, errcap, "fault '%s': the count must be a number from 1", spec);
		return -1;
	}
	*out = f;
	return 0;
}

/* Parses a spec and arms it; at most DFUSIM_MAX_FAULTS. */
int dfusim_add_fault(struct dfusim *sim, const char *spec)
{
	char err[160];

	if (!sim)
		return -1;
	if (sim->nfaults == DFUSIM_MAX_FAULTS)
		return sim_fail(sim, "too many faults (at most %d)", DFUSIM_MAX_FAULTS);
	if (sim_fault_parse(spec, &sim->faults[sim->nfaults], err, sizeof(err)))
		return sim_fail(sim, "%s", err);
	sim->nfaults++;
	return 0;
}

/* The first armed count fault whose kind this request is and whose count
 * has come (the request was counted already); marks it fired. */
struct dfusim_fault *sim_fault_by_count(struct dfusim *sim, uint64_t kinds)
{
	size_t i;

	for (i = 0; i < sim->nfaults; i++) {
		struct dfusim_fault *f = &sim->faults[i];
		uint64_t seen;

		if (f->by_addr || !(kinds & (1ull << f->kind)))
			continue;
		if (f->fired && !f->repeat)
			continue;
		seen = sim->stats.requests[f->kind];
		if (seen == f->nth || (f->repeat && seen > f->nth)) {
			f->fired = true;
			return f;
		}
	}
	return NULL;
}

/* The first armed address fault whose range meets [lo, hi]; marks it
 * fired. */
struct dfusim_fault *sim_fault_by_addr(struct dfusim *sim, uint32_t lo, uint32_t hi)
{
	size_t i;

	for (i = 0; i < sim->nfaults; i++) {
		struct dfusim_fault *f = &sim->faults[i];

		if (!f->by_addr || (f->fired && !f->repeat))
			continue;
		if (lo <= f->hi && hi >= f->lo) {
			f->fired = true;
			return f;
		}
	}
	return NULL;
}
