/*
 * run.c - `dfusim run`: simulated chips on a umockdev bus while a command
 * runs.
 *
 * The process runs under libumockdev-preload (main.c re-execs itself), so
 * the uevents the testbed sends go through the emulated netlink that the
 * command's libusb listens on. The command inherits the preload and the
 * testbed's environment (UMOCKDEV_DIR). The main thread waits for it in a
 * GLib main loop that also carries the bus events; umockdev's worker
 * thread answers the ioctls.
 */
#include "front.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <glib-unix.h>

extern char **environ;

/* Monotonic microseconds: the clock every model call is given. */
uint64_t front_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The command and how it ended. */
struct front_child {
	GPid pid;
	int status;
	GMainLoop *loop;
};

/* One request line from a model into the --log file (host lock held). */
static void log_line(void *user, const char *line)
{
	struct front_dev *dev = user;
	FILE *f = dev->host->log;

	if (dev->host->n_devs > 1)
		fprintf(f, "[%u] %s\n", dev->index, line);
	else
		fprintf(f, "%s\n", line);
}

/*
 * The serial of device i (0-based) when several share one base serial:
 * the first keeps it, the others replace its last two characters by their
 * number in hex, so each is distinct and as long as the ROM's.
 */
static char *derive_serial(const char *base, unsigned i)
{
	size_t len = strlen(base);

	if (i == 0)
		return g_strdup(base);
	if (len < 2)
		return g_strdup_printf("%s%02X", base, i);
	return g_strdup_printf("%.*s%02X", (int)(len - 2), base, i);
}

/*
 * Applies the command line to one model: time scale, serial, quirks,
 * faults, state files, then option bytes (so that the command line wins
 * over a saved .optbytes). Returns 0 or -1 after printing why.
 */
static int configure(struct front_dev *dev, const struct front_opts *o,
		     const char *serial)
{
	struct dfusim *sim = dev->sim;
	size_t i;

	if (dfusim_set_time_scale(sim, o->time_scale))
		goto bad;
	if (dfusim_set_boot_from_flash(sim, o->boot_flash))
		goto bad;
	if (serial && dfusim_set_serial(sim, serial))
		goto bad;
	for (i = 0; i < o->n_quirks; i++)
		if (dfusim_set_quirk(sim, o->quirks[i].name, o->quirks[i].on))
			goto bad;
	for (i = 0; i < o->n_faults; i++)
		if (dfusim_add_fault(sim, o->faults[i]))
			goto bad;
	if (front_state_load(dev))
		return -1;
	for (i = 0; i < o->n_option_bytes; i++) {
		const char *spec = o->option_bytes[i];
		const char *eq = strchr(spec, '=');
		char *name = g_strndup(spec, (size_t)(eq - spec));
		unsigned long v = strtoul(eq + 1, NULL, 0);
		int r = dfusim_set_option(sim, name, (uint32_t)v);

		g_free(name);
		if (r)
			goto bad;
	}
	/* The chip powers up with its flash and option bytes in place. */
	dfusim_power_on(sim, front_now_us());
	return 0;
bad:
	fprintf(stderr, "dfusim: %s\n", dfusim_error(sim));
	return -1;
}

/*
 * Creates and configures the models of every device. Returns 0, or 2 (a
 * usage error: unknown chip, quirk, fault, option) after printing why.
 */
static int devices_init(struct front_host *host, const struct front_opts *o)
{
	struct dfusim_identity id;
	char *base = NULL;
	unsigned i;
	int ret = 0;

	host->devs = g_new0(struct front_dev, o->devices);
	host->n_devs = o->devices;
	host->last_devnum = o->devices + 1;
	for (i = 0; i < o->devices; i++) {
		struct front_dev *dev = &host->devs[i];

		dev->host = host;
		dev->index = i + 1;
		dev->devnum = i + 2;
		g_snprintf(dev->port, sizeof(dev->port), "1-%u", i + 1);
		g_snprintf(dev->devnode, sizeof(dev->devnode), "/dev/bus/usb/001/%03u",
			   dev->devnum);
		g_queue_init(&dev->urbs);
		dev->tty_fd = -1;
		dev->attachments = g_ptr_array_new_with_free_func(front_attach_free);
		dev->sim = dfusim_new(o->chip);
		if (!dev->sim) {
			fprintf(stderr, "dfusim: unknown chip '%s' (see `dfusim chips`)\n",
				o->chip);
			return 2;
		}
		if (o->flash_path) {
			dev->state_path = i ? g_strdup_printf("%s.%u", o->flash_path, i + 1)
					    : g_strdup(o->flash_path);
			dev->optbytes_path = g_strconcat(dev->state_path, ".optbytes", NULL);
		}
	}

	/* Several chips need several serials: from --serial, or else from
	 * the serial the first chip's ROM would report. */
	if (o->serial) {
		base = g_strdup(o->serial);
	} else if (o->devices > 1) {
		dfusim_identity(host->devs[0].sim, &id);
		base = g_strdup(id.serial ? id.serial : "000000000000");
	}
	for (i = 0; i < o->devices && !ret; i++) {
		char *serial = base ? derive_serial(base, i) : NULL;

		/* the chips of a tray are different chips: each its own UID,
		 * so each FOME serial differs too (the last word + N-1) */
		if (i) {
			uint32_t uid[3];

			dfusim_uid(host->devs[i].sim, uid);
			uid[2] += i;
			dfusim_set_uid(host->devs[i].sim, uid);
		}
		if (configure(&host->devs[i], o, serial))
			ret = 2;
		g_free(serial);
	}
	g_free(base);
	return ret;
}

/* Writes --stats: one device's JSON object, or an array of them. */
static int write_stats(struct front_host *host, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f) {
		fprintf(stderr, "dfusim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (host->n_devs > 1)
		fputs("[\n", f);
	for (i = 0; i < host->n_devs; i++) {
		char *json = dfusim_stats_json(host->devs[i].sim);

		fprintf(f, "%s%s", i ? ",\n" : "", json ? json : "null");
		free(json);
	}
	fputs(host->n_devs > 1 ? "\n]\n" : "\n", f);
	if (fclose(f)) {
		fprintf(stderr, "dfusim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The command has ended: keep its wait status and stop the main loop. */
static void on_child_exit(GPid pid, gint status, gpointer user)
{
	struct front_child *child = user;

	(void)pid;
	child->status = status;
	g_main_loop_quit(child->loop);
}

/* SIGINT/SIGTERM to dfusim go to the command; it decides when we end. */
static gboolean on_signal(gpointer user)
{
	struct front_child *child = user;

	kill(child->pid, SIGTERM);
	return G_SOURCE_CONTINUE;
}

/*
 * Runs the command with the devices on the bus and waits for it. Returns
 * its exit status (128 + signal if killed), 127 if it cannot be started.
 */
static int run_command(struct front_host *host, char **argv)
{
	struct front_child child = { 0 };
	guint sig_int, sig_term;
	pid_t pid;
	int err;

	(void)host;
	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "dfusim: cannot run %s: %s\n", argv[0], strerror(err));
		return 127;
	}
	child.pid = pid;
	child.loop = g_main_loop_new(NULL, FALSE);
	g_child_watch_add(pid, on_child_exit, &child);
	sig_int = g_unix_signal_add(SIGINT, on_signal, &child);
	sig_term = g_unix_signal_add(SIGTERM, on_signal, &child);
	g_main_loop_run(child.loop);
	g_source_remove(sig_int);
	g_source_remove(sig_term);
	g_main_loop_unref(child.loop);

	if (WIFEXITED(child.status))
		return WEXITSTATUS(child.status);
	if (WIFSIGNALED(child.status))
		return 128 + WTERMSIG(child.status);
	return 1;
}

/*
 * --node-mode: the command may run as another user (to meet a node it cannot
 * open), so it must be able to use the testbed at all. Its root is mkdtemp's
 * 0700; the preload binds the command's emulated netlink sockets in it
 * ("event<fd>", libusb's hotplug monitor) and connects to the ioctl sockets
 * under ioctl/, so the root becomes sticky and world-writable like /tmp and
 * the sockets world-connectable (make_node() does the device's own). Only
 * the node's mode then decides, as on a real system. Returns 0 or -1 after
 * printing why.
 */
static int testbed_share(struct front_host *host)
{
	char *root = umockdev_testbed_get_root_dir(host->testbed);
	char *def = g_strconcat(root, "/ioctl/_default", NULL);
	int ret = 0;

	if (chmod(root, 01777)) {
		fprintf(stderr, "dfusim: cannot open the testbed %s to other users: %s\n",
			root, strerror(errno));
		ret = -1;
	}
	/* umockdev's fallback socket, for any other /dev path */
	chmod(def, 0666);
	g_free(def);
	g_free(root);
	return ret;
}

/* Puts every chip that has something to show on the bus (a blank chip
 * booted from flash has not). Returns 0 or -1 (the testbed refused). */
static int plug_in_all(struct front_host *host)
{
	unsigned i;
	bool on;

	for (i = 0; i < host->n_devs; i++) {
		g_mutex_lock(&host->lock);
		on = dfusim_on_bus(host->devs[i].sim);
		g_mutex_unlock(&host->lock);
		if (on && front_dev_add(&host->devs[i]))
			return -1;
	}
	return 0;
}

/* --plug-in-after: the user plugs the board in while the command runs. */
static gboolean plug_in(gpointer p)
{
	plug_in_all(p);
	return G_SOURCE_REMOVE;
}

/* Frees the devices (after the testbed is gone: nothing calls in). */
static void devices_free(struct front_host *host)
{
	unsigned i;

	for (i = 0; i < host->n_devs; i++) {
		struct front_dev *dev = &host->devs[i];

		front_urbs_clear(dev);
		g_free(dev->tty_syspath);
		g_free(dev->intf_syspath);
		if (dev->attachments)
			g_ptr_array_unref(dev->attachments);
		dfusim_free(dev->sim);
		g_free(dev->syspath);
		g_free(dev->state_path);
		g_free(dev->optbytes_path);
	}
	g_free(host->devs);
}

/*
 * `dfusim run`: returns the exit status of dfusim (the command's, or 2 for
 * a usage error, 1 if the simulator itself failed).
 */
int front_run(const struct front_opts *o)
{
	struct front_host host;
	int status = 1, ret;
	unsigned i;

	memset(&host, 0, sizeof(host));
	g_mutex_init(&host.lock);
	host.verbose = o->verbose;
	host.claimed = o->claimed;
	host.node_mode = o->node_mode;
	host.main_ctx = g_main_context_default();
	/* The path adds ~0.8 ms per transfer; 1 us timer slack takes a
	 * quarter off it (TESTING.md). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	ret = devices_init(&host, o);
	if (ret) {
		status = ret;
		goto out;
	}
	if (o->log_path) {
		host.log = fopen(o->log_path, "w");
		if (!host.log) {
			fprintf(stderr, "dfusim: %s: %s\n", o->log_path, strerror(errno));
			goto out;
		}
		setvbuf(host.log, NULL, _IOLBF, 0);
		for (i = 0; i < host.n_devs; i++)
			dfusim_set_log(host.devs[i].sim, log_line, &host.devs[i]);
	}

	host.testbed = umockdev_testbed_new();
	if (o->node_mode >= 0 && testbed_share(&host))
		goto out;
	if (o->plug_in_after_ms)
		g_timeout_add(o->plug_in_after_ms, plug_in, &host);
	else if (plug_in_all(&host))
		goto out;

	status = run_command(&host, o->command);

	g_mutex_lock(&host.lock);
	for (i = 0; i < host.n_devs; i++)
		if (front_state_save(&host.devs[i]) && status == 0)
			status = 1;
	if (o->stats_path && write_stats(&host, o->stats_path) && status == 0)
		status = 1;
	g_mutex_unlock(&host.lock);
out:
	/* the ports' threads use the testbed's ptys: they end first */
	for (i = 0; i < host.n_devs; i++)
		front_console_stop(&host.devs[i]);
	if (host.testbed)
		g_object_unref(host.testbed);
	if (host.stale_nodes)
		g_ptr_array_free(host.stale_nodes, TRUE);
	if (host.log) {
		for (i = 0; i < host.n_devs; i++)
			dfusim_set_log(host.devs[i].sim, NULL, NULL);
		fclose(host.log);
	}
	devices_free(&host);
	g_mutex_clear(&host.lock);
	return status;
}
