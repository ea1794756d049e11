/*
 * tool_hints.c - what the tool adds to a library error: the flag of ours
 * that helps. The library's messages say what went wrong; they do not know
 * our command line, so the hints live here, in one table keyed by error
 * and command. main.c appends the hint unless the message already names
 * the flag (the key).
 */
#include "tool.h"

#include <string.h>

/* The command name main passes for dfu-util's command line. */
#define COMPAT "dfu-util"

struct tool_hint {
	int err;             /* enum dfu_err */
	const char *cmd;     /* a command name, COMPAT, or NULL for every one */
	const char *hint;
	const char *key;     /* the message already helps when it holds this */
	const char *when;    /* the hint fits only a message holding this; NULL: any */
};

/* The first entry that matches wins: specific commands before NULL. */
static const struct tool_hint hints[] = {
	{ DFU_ERR_MISMATCH, "flash", "(--force writes it anyway)", "--force", NULL },
	{ DFU_ERR_MISMATCH, COMPAT, "(dfuflash flash FILE --force writes it anyway)", "--force",
	  NULL },
	{ DFU_ERR_MISMATCH, NULL, "(dfuflash flash FILE --force writes it anyway)", "--force",
	  NULL },
	{ DFU_ERR_PROTECTED, COMPAT,
	  "(-s :unprotect:force removes it, wiping the flash)", ":unprotect:force", NULL },
	{ DFU_ERR_PROTECTED, NULL,
	  "(dfuflash unprotect --force removes it, wiping the flash)", "unprotect --force",
	  NULL },
	{ DFU_ERR_VERIFY, "flash",
	  "(the device stays in DFU mode: run the same command again)",
	  "run the same command again", NULL },
	{ DFU_ERR_VERIFY, COMPAT,
	  "(the device stays in DFU mode: run the same command again)",
	  "run the same command again", NULL },
	{ DFU_ERR_AMBIGUOUS, COMPAT, "(choose one with -S SERIAL or -p BUS-PORT)", " -S ",
	  NULL },
	{ DFU_ERR_AMBIGUOUS, NULL, "(choose one with -S SERIAL or -p BUS-PORT)", " -S ",
	  NULL },
	{ DFU_ERR_NOT_FOUND, COMPAT, "(-a takes a number or a name, as dfuflash -l shows)",
	  "-a takes", NULL },
	{ DFU_ERR_NOT_FOUND, NULL, "(--alt takes a number or a name, as dfuflash list shows)",
	  "--alt takes", NULL },
	{ DFU_ERR_FORMAT, COMPAT, "(a raw binary goes where -s ADDRESS says)", "-s ",
	  "load address" },
	{ DFU_ERR_FORMAT, NULL, "(--address A says where a raw binary goes)", "--address",
	  "load address" },
	{ DFU_ERR_INVALID_ARG, "convert", "(--out-format FMT names it)", "--out-format",
	  "name the format" },
	{ DFU_ERR_RANGE, "flash", "(dfuflash info shows the memory layout)", "dfuflash info",
	  NULL },
	{ DFU_ERR_RANGE, "read", "(dfuflash info shows the memory layout)", "dfuflash info",
	  NULL },
	{ DFU_ERR_RANGE, "erase", "(dfuflash info shows the memory layout)", "dfuflash info",
	  NULL },
	{ DFU_ERR_RANGE, COMPAT, "(dfuflash info shows the memory layout)", "dfuflash info",
	  NULL },
};

/* The hint for err in command cmd_name, or NULL when there is none or the
 * message already names what it would say. */
const char *tool_hint(int err, const char *cmd_name, const char *message)
{
	size_t i;

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if (hints[i].err != err)
			continue;
		if (hints[i].when && !strstr(message, hints[i].when))
			continue;
		if (!hints[i].cmd || (cmd_name && !strcmp(hints[i].cmd, cmd_name)))
			return strstr(message, hints[i].key) ? NULL : hints[i].hint;
	}
	return NULL;
}
