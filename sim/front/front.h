/*
 * front.h - dfusim's umockdev front end: the pieces shared by its files.
 *
 *   main.c       command line: `dfusim run|chips|--help`
 *   run.c        one run: simulators, testbed, the command, exit status
 *   state.c      state files (flash and option bytes kept between runs)
 *   usbdevfs.c   the usbdevfs ioctls of one device node: URB queue, timing
 *   enumerate.c  putting devices on the bus and taking them off (sysfs,
 *                uevents, bus events the model asks for)
 *   console.c    the CDC-ACM serial port of the application or OpenBLT
 *
 * Threads: umockdev calls the ioctl handlers on its worker thread; the main
 * thread runs the command and the bus events (testbed changes). Everything
 * in struct front_host and struct front_dev is guarded by host->lock; the
 * testbed itself is only touched by the main thread.
 */
#ifndef DFUSIM_FRONT_H
#define DFUSIM_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <umockdev.h>

#include "dfusim.h"

/* The most simulated devices one run can have (devnums 2..33). */
#define FRONT_MAX_DEVICES 32

/* A quirk switched on or off on the command line. */
struct front_quirk {
	const char *name;
	bool on;
};

/* `dfusim run` options, pointing into argv. */
struct front_opts {
	const char *chip;
	const char *flash_path;
	const char *serial;
	const char *stats_path;
	const char *log_path;
	double time_scale;
	unsigned devices;
	bool verbose;
	bool claimed;                /* another program holds the interface */
	bool boot_flash;             /* --boot flash: BOOT0 low */
	unsigned plug_in_after_ms;   /* --plug-in-after */
	int node_mode;               /* mode of the /dev nodes, -1: default */
	const char **option_bytes;   /* "NAME=VALUE" */
	size_t n_option_bytes;
	struct front_quirk *quirks;
	size_t n_quirks;
	const char **faults;
	size_t n_faults;
	char **command;              /* NULL-terminated */
};

struct front_host;

/* One simulated chip and its place on the bus. */
struct front_dev {
	struct front_host *host;
	struct dfusim *sim;
	unsigned index;              /* 1-based */
	unsigned devnum;             /* a new one at every enumeration */
	bool enumerated;             /* has been on the bus before */
	char port[16];               /* sysfs name, "1-1" */
	char devnode[32];            /* "/dev/bus/usb/001/002" */
	char *syspath;               /* testbed path while on the bus */
	bool present;                /* on the bus and answering */
	unsigned gen;                /* bumped at every removal */
	unsigned pending_events;     /* bus events scheduled, not yet done */
	GQueue urbs;                 /* struct front_urb, oldest first */
	GPtrArray *attachments;      /* struct front_attach, one per gen */
	char tty_name[16];           /* "ttyACM0": the serial port now */
	unsigned tty_uses;           /* ports it has had on the bus */
	char *intf_syspath;          /* its USB interface and tty while on */
	char *tty_syspath;           /*   the bus, else NULL */
	int tty_fd;                  /* pty master (the testbed's), or -1 */
	GThread *tty_thread;         /* moves bytes between tty_fd and the
					model; NULL when off */
	gint tty_stop;               /* tells it to end (atomic) */
	uint8_t tty_out[4096];       /* answers the pty has not taken yet */
	size_t tty_out_len;          /*   (the thread's own) */
	char *state_path;            /* NULL: no state file */
	char *optbytes_path;
};

struct front_host {
	GMutex lock;
	UMockdevTestbed *testbed;
	GMainContext *main_ctx;      /* bus events run here */
	struct front_dev *devs;
	unsigned n_devs;
	unsigned last_devnum;        /* the bus's address counter */
	unsigned ttys_reused;        /* ttyACM numbers past n_devs given */
	GPtrArray *stale_nodes;      /* paths of removed devices whose ioctl
					handlers stay attached (see
					front_dev_remove()); main thread */
	FILE *log;
	bool verbose;
	bool claimed;                /* --claimed */
	int node_mode;               /* --node-mode, or -1 */
};

/* run.c: `dfusim run`; returns dfusim's exit status. */
int front_run(const struct front_opts *o);

/* Monotonic time in microseconds: the model's clock. */
uint64_t front_now_us(void);

/* state.c */
int front_state_load(struct front_dev *dev);
int front_state_save(struct front_dev *dev);

/* usbdevfs.c */
struct front_attach *front_attach_new(struct front_dev *dev);
UMockdevIoctlBase *front_attach_handler(struct front_attach *att);
void front_attach_free(void *att);
void front_urbs_fail_pending(struct front_dev *dev, uint64_t now_us);
void front_urbs_clear(struct front_dev *dev);

/* console.c */
bool front_console_wanted(const uint8_t *desc, size_t len);
int front_console_add(struct front_dev *dev, const struct dfusim_identity *id);
void front_console_remove(struct front_dev *dev);
void front_console_stop(struct front_dev *dev);

/* enumerate.c */
int front_dev_add(struct front_dev *dev);
void front_dev_remove(struct front_dev *dev);
/* Sends a uevent for syspath, first unlinking the event sockets of
 * programs that have exited (umockdev aborts on them). enumerate.c */
void front_send_uevent(struct front_host *host, const char *syspath, const char *action);
void front_schedule_event(struct front_dev *dev, enum dfusim_bus_event ev,
			  uint64_t event_at_us, uint64_t back_at_us);

#endif /* DFUSIM_FRONT_H */
