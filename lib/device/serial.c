/*
 * serial.c - the ECU's USB serial port (CDC-ACM /dev/ttyACMn, or any tty
 * the user names): the running FOME firmware's TunerStudio console and
 * OpenBLT's XCP both live on it. POSIX termios, non-blocking I/O with
 * poll() so every read and write has a deadline, and the list of USB
 * serial ports from sysfs.
 *
 * Opening follows what OpenBLT's reference host does
 * (Host/Source/LibOpenBLT/port/linux/serialport.c: O_RDWR | O_NOCTTY,
 * raw 8N1) and adds exclusivity: TIOCEXCL keeps other (non-root) programs
 * out, and flock() is the advisory lock serial programs honour, so two of
 * them never interleave their bytes on one ECU.
 */
#define _GNU_SOURCE  /* strverscmp */
#include "device.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct dfu_serial {
	struct dfu_ctx *ctx;
	int fd;
	char path[PATH_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads a short text file (a sysfs attribute, /proc/PID/comm) into buf
 * without its trailing newline; false when it cannot be read. */
static bool read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return true;
}

/* Who holds the port: the first other process with an fd on the same
 * character device (/proc/PID/fd/N stat()s to it: the same device
 * number, or the same inode). Writes "pid 1234
 * (java, probably the FOME console or TunerStudio)" into buf; false when
 * none is found (another user's process, whose fds we may not see). */
static bool find_holder(const char *path, char *buf, size_t cap)
{
	struct stat want, st;
	struct dirent *p, *f;
	DIR *proc, *fds;
	char dir[64], link[320], comm[64];
	long self = (long)getpid();
	bool found = false;

	if (stat(path, &want) || !S_ISCHR(want.st_mode))
		return false;
	proc = opendir("/proc");
	if (!proc)
		return false;
	while (!found && (p = readdir(proc))) {
		char *end;
		long pid = strtol(p->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, f->d_name);
			/* The same device number, or the same node: under
			 * umockdev (the tests) stat() of the path reports the
			 * emulated device number, the fd the pty's own. */
			if (stat(link, &st) || !S_ISCHR(st.st_mode) ||
			    (st.st_rdev != want.st_rdev &&
			     (st.st_dev != want.st_dev || st.st_ino != want.st_ino)))
				continue;
			snprintf(link, sizeof(link), "/proc/%ld/comm", pid);
			if (!read_text(link, comm, sizeof(comm)))
				snprintf(comm, sizeof(comm), "?");
			/* The FOME console and TunerStudio are Java programs. */
			snprintf(buf, cap, "pid %ld (%s%s)", pid, comm,
				 strcmp(comm, "java") ? "" :
				 ", probably the FOME console or TunerStudio");
			found = true;
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static int fail_busy(struct dfu_ctx *ctx, const char *path)
{
	char who[160];

	if (find_holder(path, who, sizeof(who)))
		return dfu_fail(ctx, DFU_ERR_BUSY,
				"%s is in use by another program: %s. Close it (disconnect "
				"in TunerStudio, close the FOME console) and try again",
				path, who);
	return dfu_fail(ctx, DFU_ERR_BUSY,
			"%s is in use by another program (not one of this user's, or it "
			"could not be found). Close the program that has the ECU's port "
			"open (TunerStudio, the FOME console) and try again", path);
}

/* See device.h. */
int dfu_serial_open(struct dfu_ctx *ctx, const char *path, struct dfu_serial **out)
{
	struct dfu_serial *s;
	struct termios tio;
	int fd, bits = TIOCM_DTR | TIOCM_RTS, e;

	if (!path || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "no serial port given");
	if (strlen(path) >= PATH_MAX)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "serial port path too long");
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return dfu_fail(ctx, DFU_ERR_NO_DEVICE,
					"%s: no such serial port (%s). Is the ECU plugged in?",
					path, strerror(e));
		if (e == EACCES || e == EPERM)
			return dfu_fail(ctx, DFU_ERR_ACCESS,
					"%s: permission denied. Add yourself to the dialout "
					"group (sudo usermod -aG dialout $USER, then log in "
					"again)", path);
		if (e == EBUSY)  /* another program set TIOCEXCL */
			return fail_busy(ctx, path);
		return dfu_fail(ctx, DFU_ERR_IO, "%s: cannot open: %s", path, strerror(e));
	}
	/* flock first: a program that holds it is using the port, whatever
	 * TIOCEXCL says (root passes TIOCEXCL). */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return fail_busy(ctx, path);
		return dfu_fail(ctx, DFU_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
	}
	if (tcgetattr(fd, &tio)) {
		e = errno;
		close(fd);
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "%s is not a serial port: %s", path,
				strerror(e));
	}
	ioctl(fd, TIOCEXCL);
	/* Raw 8N1. The baud rate means nothing to CDC-ACM, but a real UART
	 * needs one; OpenBLT's reference host defaults to 57600 on UARTs and
	 * FOME's console to 115200. VMIN 1 makes a non-blocking read say
	 * EAGAIN when nothing is there and 0 only on hang-up. */
	cfmakeraw(&tio);
	cfsetispeed(&tio, B115200);
	cfsetospeed(&tio, B115200);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(tcflag_t)CRTSCTS;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio)) {
		e = errno;
		close(fd);
		return dfu_fail(ctx, DFU_ERR_IO, "%s: cannot set raw mode: %s", path, strerror(e));
	}
	/* Some CDC-ACM firmware sends nothing until the host raises DTR (the
	 * "port open" signal). A pty has no modem lines (ENOTTY). */
	if (ioctl(fd, TIOCMBIS, &bits) && errno != ENOTTY && errno != EINVAL)
		dfu_log(ctx, DFU_LOG_DEBUG, "%s: cannot raise DTR/RTS: %s", path, strerror(errno));
	/* Stale input only: on a pty, TCOFLUSH would also throw away what
	 * the last program (or our own previous open) wrote that the other
	 * end has not read yet - a reboot command sent just before, say. */
	tcflush(fd, TCIFLUSH);
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "no memory for the serial port");
	}
	s->ctx = ctx;
	s->fd = fd;
	snprintf(s->path, sizeof(s->path), "%s", path);
	*out = s;
	return DFU_OK;
}

void dfu_serial_close(struct dfu_serial *s)
{
	if (!s)
		return;
	close(s->fd);  /* drops the flock too */
	free(s);
}

const char *dfu_serial_path(const struct dfu_serial *s)
{
	return s ? s->path : "";
}

struct dfu_ctx *dfu_serial_ctx(const struct dfu_serial *s)
{
	return s ? s->ctx : NULL;
}

static int fail_gone(struct dfu_serial *s, const char *why)
{
	return dfu_fail(s->ctx, DFU_ERR_DISCONNECTED,
			"%s went away (%s): the ECU reset or was unplugged", s->path, why);
}

/* Waits until fd is ready for events or the deadline passes: 1 ready, 0
 * timed out, a negative error when the port went away. */
static int wait_ready(struct dfu_serial *s, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = s->fd, .events = events };
	uint64_t now;
	int r;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			return 0;
		r = poll(&pfd, 1, (int)(deadline - now > INT_MAX ? INT_MAX : deadline - now));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return dfu_fail(s->ctx, DFU_ERR_IO, "%s: poll: %s", s->path, strerror(errno));
		}
		if (r == 0)
			return 0;
		/* Data that arrived before the hang-up is still read. */
		if (pfd.revents & events)
			return 1;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			return fail_gone(s, "hang-up");
	}
}

static bool gone_errno(int e)
{
	return e == EIO || e == ENODEV || e == ENXIO || e == EPIPE;
}

/* See device.h. */
int dfu_serial_write(struct dfu_serial *s, const void *buf, size_t len, unsigned timeout_ms)
{
	const uint8_t *p = buf;
	uint64_t deadline = now_ms() + timeout_ms;
	ssize_t n;
	int r;

	while (len) {
		n = write(s->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && gone_errno(errno))
			return fail_gone(s, strerror(errno));
		if (n < 0 && errno != EAGAIN)
			return dfu_fail(s->ctx, DFU_ERR_IO, "%s: write: %s", s->path, strerror(errno));
		r = wait_ready(s, POLLOUT, deadline);
		if (r < 0)
			return r;
		if (r == 0)
			return dfu_fail(s->ctx, DFU_ERR_TIMEOUT,
					"%s: the ECU took no data for %u ms (%zu bytes left to "
					"send)", s->path, timeout_ms, len);
	}
	return DFU_OK;
}

/* See device.h. */
int dfu_serial_read(struct dfu_serial *s, void *buf, size_t len, unsigned timeout_ms)
{
	uint8_t *p = buf;
	size_t want = len;
	uint64_t deadline = now_ms() + timeout_ms;
	ssize_t n;
	int r;

	while (len) {
		n = read(s->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)  /* VMIN 1: only a hang-up reads 0 */
			return fail_gone(s, "hang-up");
		if (errno == EINTR)
			continue;
		if (gone_errno(errno))
			return fail_gone(s, strerror(errno));
		if (errno != EAGAIN)
			return dfu_fail(s->ctx, DFU_ERR_IO, "%s: read: %s", s->path, strerror(errno));
		r = wait_ready(s, POLLIN, deadline);
		if (r < 0)
			return r;
		if (r == 0)
			return dfu_fail(s->ctx, DFU_ERR_TIMEOUT,
					"%s: no answer from the ECU in %u ms (%zu of %zu bytes "
					"came)", s->path, timeout_ms, want - len, want);
	}
	return DFU_OK;
}

/* See device.h. */
void dfu_serial_drain(struct dfu_serial *s, unsigned quiet_ms, unsigned max_ms)
{
	uint64_t end = now_ms() + max_ms, quiet_end;
	uint8_t junk[256];
	ssize_t n;

	for (;;) {
		uint64_t now = now_ms();

		quiet_end = now + quiet_ms;
		if (quiet_end > end)
			quiet_end = end;
		if (now >= end)
			return;
		if (wait_ready(s, POLLIN, quiet_end) != 1)
			return;
		n = read(s->fd, junk, sizeof(junk));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (n > 0)
			dfu_log(s->ctx, DFU_LOG_DEBUG, "%s: discarded %zd bytes", s->path, n);
	}
}

/* ---- The list of USB serial ports, from sysfs ---- */

/* A USB device's hex attribute (idVendor) as a number. */
static uint16_t read_hex16(const char *dir, const char *name)
{
	char path[PATH_MAX + 32], text[16], *end;
	unsigned long v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_text(path, text, sizeof(text)))
		return 0;
	v = strtoul(text, &end, 16);
	return end == text ? 0 : (uint16_t)v;
}

static void read_attr(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_text(path, buf, cap))
		buf[0] = '\0';
}

static bool has_attr(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Fills *port for the tty called name when its sysfs device sits under a
 * USB interface: /sys/class/tty/ttyACM0 resolves to
 * /sys/devices/.../1-2/1-2:1.0/tty/ttyACM0 (cdc_acm) or
 * .../1-2:1.0/ttyUSB0/tty/ttyUSB0 (usb-serial); the first directory up
 * that has bInterfaceNumber is the interface, its parent the USB device. */
static bool usb_port(const char *name, struct dfu_serial_port *port)
{
	char link[PATH_MAX], dir[PATH_MAX], *slash, num[16];
	int up;

	snprintf(link, sizeof(link), "/sys/class/tty/%s", name);
	if (!realpath(link, dir))
		return false;
	for (up = 0; up < 4; up++) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return false;
		*slash = '\0';
		if (has_attr(dir, "bInterfaceNumber"))
			break;
	}
	if (up == 4)
		return false;
	read_attr(dir, "bInterfaceNumber", num, sizeof(num));
	memset(port, 0, sizeof(*port));
	port->interface = num[0] ? (int)strtol(num, NULL, 16) : -1;
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (!has_attr(dir, "idVendor"))
		return false;
	snprintf(port->path, sizeof(port->path), "/dev/%s", name);
	port->id_vendor = read_hex16(dir, "idVendor");
	port->id_product = read_hex16(dir, "idProduct");
	read_attr(dir, "serial", port->serial, sizeof(port->serial));
	read_attr(dir, "manufacturer", port->manufacturer, sizeof(port->manufacturer));
	read_attr(dir, "product", port->product, sizeof(port->product));
	return true;
}

/* ttyACM2 before ttyACM10. */
static int port_cmp(const void *a, const void *b)
{
	const struct dfu_serial_port *x = a, *y = b;

	return strverscmp(x->path, y->path);
}

/* See dfuflash.h. */
int dfu_serial_list(struct dfu_ctx *ctx, struct dfu_serial_port **out, size_t *count)
{
	struct dfu_serial_port *list = NULL, *grown, port;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	if (!out || !count)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "nowhere to put the port list");
	dir = opendir("/sys/class/tty");
	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.' || !usb_port(d->d_name, &port))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				grown = realloc(list, cap * sizeof(*list));
				if (!grown) {
					closedir(dir);
					free(list);
					return dfu_fail(ctx, DFU_ERR_NO_MEM, "no memory for the port list");
				}
				list = grown;
			}
			list[n++] = port;
		}
		closedir(dir);
	}
	if (n)
		qsort(list, n, sizeof(*list), port_cmp);
	*out = list;
	*count = n;
	return DFU_OK;
}
