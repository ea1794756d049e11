/*
 * main.c - dfuflash: parse the command, run it, turn its result into an
 * exit code. Nothing else lives here.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>

struct tool_command {
	const char *name;
	int (*run)(struct dfu_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct tool_command commands[] = {
	{ "list", tool_list, "list DFU devices [--json]" },
	{ "info", tool_info, "device, chip, layouts, option bytes, flash map" },
	{ "flash", tool_flash, "write a firmware file, verify it, leave DFU mode" },
	{ "verify", tool_verify, "compare the device with a firmware file" },
	{ "read", tool_read, "read memory into a file (bin, hex, srec, dfu)" },
	{ "erase", tool_erase, "erase --mass, --sector N[-M] or --range A:LEN" },
	{ "leave", tool_leave, "leave DFU mode and start the firmware" },
	{ "unprotect", tool_unprotect, "remove read protection (wipes the flash)" },
	{ "option-bytes", tool_option_bytes, "show or --set the option bytes (RDP, nDBANK, BOOT_ADDx)" },
	{ "image", tool_image, "show what a firmware file holds (image info FILE)" },
	{ "convert", tool_convert, "convert a firmware file to another format" },
};

/* The command list, from the table. */
static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: dfuflash COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'dfuflash COMMAND --help' says more about each.\n"
		"dfu-util's options work too: dfuflash -d 0483:df11 -a 0 -D fome.dfu -s :leave\n"
		"(dfuflash -h lists them).\n");
}

/* The one place where library errors become exit codes. */
static int exit_code(int result)
{
	if (result == TOOL_USAGE)
		return TOOL_EXIT_USAGE;
	switch ((enum dfu_err)result) {
	case DFU_OK:
		return TOOL_EXIT_OK;
	case DFU_ERR_INVALID_ARG:
		return TOOL_EXIT_USAGE;
	case DFU_ERR_IO:
	case DFU_ERR_FORMAT:
	case DFU_ERR_CHECKSUM:
	case DFU_ERR_OVERLAP:
		return TOOL_EXIT_FILE;
	case DFU_ERR_NO_DEVICE:
	case DFU_ERR_AMBIGUOUS:
	case DFU_ERR_ACCESS:
	case DFU_ERR_BUSY:
		return TOOL_EXIT_NO_DEVICE;
	case DFU_ERR_USB:
	case DFU_ERR_TIMEOUT:
	case DFU_ERR_STALL:
	case DFU_ERR_DISCONNECTED:
	case DFU_ERR_DEVICE:
	case DFU_ERR_PROTOCOL:
		return TOOL_EXIT_DEVICE;
	case DFU_ERR_VERIFY:
		return TOOL_EXIT_VERIFY;
	case DFU_ERR_PROTECTED:
		return TOOL_EXIT_PROTECTED;
	case DFU_ERR_RANGE:
	case DFU_ERR_MISMATCH:
	case DFU_ERR_UNSUPPORTED:
	case DFU_ERR_NOT_FOUND:
		return TOOL_EXIT_REFUSED;
	case DFU_ERR_NO_MEM:
	case DFU_ERR_CANCELLED:
		return TOOL_EXIT_FAILURE;
	}
	return TOOL_EXIT_FAILURE;
}

/* Parses the command, runs it, maps its result to an exit code. */
int main(int argc, char **argv)
{
	struct dfu_ctx *ctx = NULL;
	const struct tool_command *cmd = NULL;
	bool compat = false;
	size_t i;
	int result;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? TOOL_EXIT_USAGE : TOOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dfuflash %s\n", DFUFLASH_VERSION);
		return TOOL_EXIT_OK;
	}
	/* dfu-util's command line: options only, no command word. */
	if (argv[1][0] == '-')
		compat = true;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd && !compat) {
		tool_error("unknown command '%s'", argv[1]);
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	if (dfu_ctx_new(&ctx) != DFU_OK) {
		tool_error("out of memory");
		return TOOL_EXIT_FAILURE;
	}
	if (compat)
		result = tool_compat(ctx, argc, argv);
	else
		result = cmd->run(ctx, argc - 1, argv + 1);
	if (result < 0) {
		const char *detail = dfu_detail(ctx);
		tool_error("%s", *detail ? detail : dfu_strerror(result));
	}
	dfu_ctx_free(ctx);
	return exit_code(result);
}
