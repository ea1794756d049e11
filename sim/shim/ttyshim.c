/*
 * ttyshim.c - libdfusim-ttyshim.so: the modem-control ioctls of a real
 * ttyACM on dfusim's pty-backed serial ports.
 *
 * A host opening /dev/ttyACMn raises DTR and RTS (TIOCMBIS; OpenBLT's
 * reference host, pyserial, dfuflash) or reads them back (TIOCMGET). The
 * cdc_acm driver answers these; a pty has no modem lines and answers
 * ENOTTY, which some hosts take for a broken port. `dfusim run` preloads
 * this library ahead of umockdev's, so in the command these requests on a
 * pty succeed: the bits are kept per file descriptor (DTR and RTS after
 * open, as the tty layer raises them). Everything else, and any request
 * the kernel itself answers, goes on to the next ioctl in the chain
 * (umockdev's, then libc's).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* UNIX 98 pty slaves: majors 136-143 (Documentation/admin-guide/devices.txt). */
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST 143
#define SHIM_MAX_FDS 1024

/* The lines per fd; 0 = not seen yet (then DTR | RTS, as after open). */
static int lines[SHIM_MAX_FDS];
static int seen[SHIM_MAX_FDS];

typedef int (*ioctl_fn)(int, unsigned long, ...);

static int is_pty_slave(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return 0;
	return major(st.st_rdev) >= PTY_SLAVE_MAJOR_FIRST &&
	       major(st.st_rdev) <= PTY_SLAVE_MAJOR_LAST;
}

/* Answers a modem request for a pty fd as cdc_acm would. */
static int modem(int fd, unsigned long req, int *arg)
{
	if (fd < 0 || fd >= SHIM_MAX_FDS || !arg) {
		errno = EINVAL;
		return -1;
	}
	if (!seen[fd]) {
		seen[fd] = 1;
		lines[fd] = TIOCM_DTR | TIOCM_RTS;
	}
	switch (req) {
	case TIOCMGET:
		*arg = lines[fd];
		return 0;
	case TIOCMSET:
		lines[fd] = *arg & (TIOCM_DTR | TIOCM_RTS);
		return 0;
	case TIOCMBIS:
		lines[fd] |= *arg & (TIOCM_DTR | TIOCM_RTS);
		return 0;
	case TIOCMBIC:
		lines[fd] &= ~(*arg & (TIOCM_DTR | TIOCM_RTS));
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	static ioctl_fn next;
	va_list ap;
	void *arg;
	int ret, saved;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		next = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	ret = next(fd, req, arg);
	if (ret == 0 || (req != TIOCMGET && req != TIOCMSET && req != TIOCMBIS && req != TIOCMBIC))
		return ret;
	saved = errno;
	if ((saved == ENOTTY || saved == EINVAL) && is_pty_slave(fd))
		return modem(fd, req, arg);
	errno = saved;
	return ret;
}
