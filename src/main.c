/*
 * main.c - dfuflash: parse the command, run it, turn its result into an
 * exit code, a message with its hint, and with --json exactly one JSON
 * object on stdout. Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the job
 * between two requests, never in the middle of one.
 */
#include "tool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first signal that arrived; 0 while none did. */
static volatile sig_atomic_t caught_signal;

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
	{ "unprotect", tool_unprotect_cmd, "remove read protection (wipes the flash)" },
	{ "recover", tool_recover, "list, finish or discard interrupted jobs' journals" },
	{ "option-bytes", tool_option_bytes, "show or --set the option bytes (RDP, nDBANK, BOOT_ADDx)" },
	{ "update", tool_update, "update a FOME ECU from its bundle, keeping the tune" },
	{ "tune", tool_tune, "back up, restore or list a FOME ECU's tune" },
	{ "reboot", tool_reboot, "reboot a running FOME ECU into DFU or OpenBLT" },
	{ "image", tool_image, "show what a firmware file holds (image info FILE)" },
	{ "convert", tool_convert, "convert a firmware file to another format" },
};

/* The command list, from the table. */
static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: dfuflash COMMAND [ARGS...]\n"
		"       dfuflash --help | --version\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'dfuflash COMMAND --help' says more about each.\n"
		"dfu-util's options work too: dfuflash -d 0483:df11 -a 0 -D fome.dfu -s :leave\n"
		"(dfuflash -h lists them).\n");
}

/*
 * SIGINT, SIGTERM, SIGHUP: note the signal (the progress callback then
 * stops the library before its next request) and say so. Only
 * async-signal-safe calls here: write(2) of fixed strings.
 */
static void on_signal(int sig)
{
	static const char first[] = "\ndfuflash: interrupted: stopping after the current "
				    "request\n";
	static const char again[] = "dfuflash: already stopping after the current request; "
				    "interrupting a request could leave the flash half "
				    "written\n";
	int saved = errno;
	ssize_t n;

	if (!caught_signal) {
		caught_signal = sig;
		n = write(STDERR_FILENO, first, sizeof(first) - 1);
	} else {
		n = write(STDERR_FILENO, again, sizeof(again) - 1);
	}
	(void)n;
	errno = saved;
}

/* Installs on_signal for the signals that ask us to stop. No SA_RESTART:
 * a wait (--wait's sleep) returns early and sees the flag. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int tool_interrupted(void)
{
	return caught_signal;
}

/* The one place where library errors become exit codes (--all asks it
 * for each device's). */
int tool_exit_code(int result)
{
	/* Stopped by a signal: the shell's convention, 128 + its number. */
	if (result != DFU_OK && caught_signal)
		return TOOL_EXIT_SIGNAL + caught_signal;
	if (result == TOOL_USAGE)
		return TOOL_EXIT_USAGE;
	if (result == TOOL_REFUSED)
		return TOOL_EXIT_REFUSED;
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
	case DFU_ERR_NOT_STARTED:
		return TOOL_EXIT_NOT_STARTED;
	case DFU_ERR_NO_MEM:
	case DFU_ERR_CANCELLED:
		return TOOL_EXIT_FAILURE;
	}
	return TOOL_EXIT_FAILURE;
}

/* The error's name for --json: the library's, or the tool's own. */
static const char *error_name(int result)
{
	if (result == TOOL_USAGE)
		return "USAGE";
	if (result == TOOL_REFUSED)
		return "REFUSED";
	return dfu_errname(result);
}

/*
 * After a failure that did not say so itself: an interrupted job whose
 * kept bytes wait in a journal (the device may have failed before the
 * library got to it). Appended to msg, so nobody stops at a failure
 * without knowing that a tune is waiting to be written back.
 */
static void pending_journals(struct dfu_ctx *ctx, char *msg, size_t size)
{
	struct dfu_journal_info *list = NULL;
	size_t n = 0, i, used = strlen(msg);

	if (strstr(msg, ".dfj") || dfu_journal_list(ctx, &list, &n) || !n) {
		free(list);
		return;
	}
	for (i = 0; i < n && used + 1 < size; i++) {
		int w = snprintf(msg + used, size - used,
				 i ? ", %s" : ". An interrupted job's kept bytes are saved in %s",
				 list[i].path);

		if (w < 0)
			break;
		used = used + (size_t)w < size ? used + (size_t)w : size - 1;
	}
	if (used + 1 < size)
		snprintf(msg + used, size - used, "; the next run on %s finishes it "
			 "(dfuflash recover lists them)", n == 1 ? "that device" : "those devices");
	free(list);
}

/*
 * The failure's message: the tool's own (tool_fail()), the library's detail
 * (or its strerror), or the usage message already printed. With the hint
 * our flags give, unless the message already says it. Printed on stderr
 * unless it was already; written into msg for --json.
 */
static void report_failure(struct dfu_ctx *ctx, const char *cmd_name, int result, char *msg,
			   size_t size)
{
	const char *text = tool_failure(result), *hint;

	if (result == TOOL_USAGE) {
		snprintf(msg, size, "%s", tool_last_error());
		return;
	}
	if (!text && result < 0)
		text = *dfu_detail(ctx) ? dfu_detail(ctx) : dfu_strerror(result);
	if (!text)
		text = "failed";
	hint = tool_hint(result, cmd_name, text);
	if (hint)
		snprintf(msg, size, "%s %s", text, hint);
	else
		snprintf(msg, size, "%s", text);
	pending_journals(ctx, msg, size);
	if (result == DFU_ERR_CANCELLED && caught_signal)
		tool_error("interrupted by %s: %s", caught_signal == SIGINT ? "SIGINT" :
			   caught_signal == SIGTERM ? "SIGTERM" : "SIGHUP", msg);
	else
		tool_error("%s", msg);
}

/*
 * --json: stdout goes to a temporary file while the command runs, so main
 * can print exactly one object whatever happens: the command's object with
 * "ok":true and "command" put first, or {"ok":false,...} on failure.
 * Returns the file (NULL when it could not be made: then the command
 * prints straight to stdout).
 */
static FILE *json_capture(int *saved_fd)
{
	FILE *tmp = tmpfile();

	fflush(stdout);
	*saved_fd = tmp ? dup(STDOUT_FILENO) : -1;
	if (!tmp || *saved_fd < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
		if (*saved_fd >= 0)
			close(*saved_fd);
		if (tmp)
			fclose(tmp);
		return NULL;
	}
	return tmp;
}

/* What the command printed, with stdout given back; malloc'd, or NULL. */
static char *json_release(FILE *tmp, int saved_fd)
{
	char *text = NULL;
	long len;

	fflush(stdout);
	dup2(saved_fd, STDOUT_FILENO);
	close(saved_fd);
	if (fseek(tmp, 0, SEEK_END) == 0 && (len = ftell(tmp)) >= 0 &&
	    fseek(tmp, 0, SEEK_SET) == 0) {
		text = malloc((size_t)len + 1);
		if (text)
			text[fread(text, 1, (size_t)len, tmp)] = '\0';
	}
	fclose(tmp);
	return text;
}

/* The --json result: one object on stdout, success or not. With --all the
 * command's object (its "devices") is kept on failure too. */
static void json_result(const char *cmd_name, int result, int code, const char *msg,
			char *out, bool all)
{
	size_t len = out ? strlen(out) : 0;

	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	printf("{\"ok\":%s,\"command\":", result == DFU_OK ? "true" : "false");
	tool_json_string(stdout, cmd_name);
	if (result == DFU_OK) {
		/* The command's own object, continued; any other text as
		 * "output". */
		if (len >= 2 && out[0] == '{' && out[len - 1] == '}' && !strchr(out, '\n'))
			printf("%s%s\n", len > 2 ? "," : "", out + 1);
		else if (len) {
			printf(",\"output\":");
			tool_json_string(stdout, out);
			printf("}\n");
		} else {
			printf("}\n");
		}
		return;
	}
	printf(",\"error\":");
	tool_json_string(stdout, error_name(result));
	if (result < 0)
		printf(",\"code\":%d", result);
	else
		printf(",\"code\":null");
	printf(",\"exit\":%d,\"message\":", code);
	tool_json_string(stdout, msg);
	if (tool_where.has_phase) {
		printf(",\"phase\":");
		tool_json_string(stdout, dfu_phase_name(tool_where.phase));
	}
	if (tool_where.has_address)
		printf(",\"address\":%u", (unsigned)tool_where.address);
	if (caught_signal)
		printf(",\"signal\":%d", (int)caught_signal);
	if (all && len > 2 && out[0] == '{' && out[len - 1] == '}' && !strchr(out, '\n'))
		printf(",%.*s", (int)(len - 2), out + 1);
	printf("}\n");
}

/* Whether flag (--json, --all) is among a command's arguments from
 * argv[first] (seen before the command parses them, so that a usage error
 * is a JSON object too; dfu-util's command line has no command word). */
static bool wants(int argc, char **argv, int first, const char *flag)
{
	int i;

	for (i = first; i < argc; i++)
		if (!strcmp(argv[i], flag))
			return true;
	return false;
}

/* Parses the command, runs it, maps its result to an exit code. */
int main(int argc, char **argv)
{
	struct dfu_ctx *ctx = NULL;
	const struct tool_command *cmd = NULL;
	const char *cmd_name;
	bool compat = false, json;
	char msg[2048] = "";
	char *out = NULL;
	FILE *capture = NULL;
	int saved_fd = -1;
	size_t i;
	int result, code;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? TOOL_EXIT_USAGE : TOOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dfuflash %s (libdfuflash %s, libusb %s)\n", DFUFLASH_VERSION, dfu_version(),
		       dfu_libusb_version());
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
	cmd_name = compat ? "dfu-util" : cmd->name;
	json = wants(argc, argv, compat ? 1 : 2, "--json");
	if (json)
		capture = json_capture(&saved_fd);
	catch_signals();
	if (compat)
		result = tool_compat(ctx, argc, argv);
	else
		result = cmd->run(ctx, argc - 1, argv + 1);
	tool_progress_stop_all();
	if (capture)
		out = json_release(capture, saved_fd);
	code = tool_exit_code(result);
	if (result != DFU_OK)
		report_failure(ctx, cmd_name, result, msg, sizeof(msg));
	if (capture)
		json_result(cmd_name, result, code, msg, out,
			    !compat && (wants(argc, argv, 2, "--all") || cmd->run == tool_update ||
					 cmd->run == tool_tune));
	free(out);
	dfu_ctx_free(ctx);
	return code;
}
