/*
 * Plain file descriptors the apps move bytes through outside an event
 * loop of ours (apps/assist: a pty master, forwarded TCP connections, a
 * control connection, a pipe from a child): read, write all, close, make
 * a pipe, set nonblocking, and poll a few fds with a timeout.  sys/ev.h
 * is the daemons' loop; these are for code driven by another loop
 * (libssh's) or by none.
 *
 * Every fallible function returns 0 (or a count) or -errno and retries
 * EINTR where that cannot change the meaning.
 */
#ifndef SHIPWORM_SYS_FD_H
#define SHIPWORM_SYS_FD_H

#include <poll.h>
#include <stddef.h>

#include "base/err.h"

/*
 * One read() of up to cap bytes; the count goes to *n (0: end of file).
 * -EAGAIN on an empty nonblocking fd, -EIO from a pty whose other side
 * closed, other -errno.  Retries EINTR.
 */
MUST_CHECK int fd_read(int fd, void *buf, size_t cap, size_t *n);

/*
 * Writes buf[0..len) whole, looping over short writes and EINTR.  -EIO if
 * write() returns 0, -errno (-EAGAIN on a full nonblocking fd, -EPIPE)
 * otherwise; some bytes may have gone out by then.
 */
/* Up to cap bytes from offset 0 (pread: the file position is kept). */
MUST_CHECK int fd_read_head(int fd, void *buf, size_t cap, size_t *n);
MUST_CHECK int fd_write_all(int fd, const void *buf, size_t len);

/* One write(2), retried on EINTR: *n bytes went (0 < *n <= len), or
 * -EAGAIN (a non-blocking fd is full), -EPIPE, -errno.  For loops that
 * must not block: the rest stays queued with the caller. */
MUST_CHECK int fd_write(int fd, const void *buf, size_t len, size_t *n);

/*
 * close(fd); negative fds are ignored.  No result: Linux releases the fd
 * even when close() fails, and a late write error is only news for files,
 * which path_write() checks.
 */
void fd_close(int fd);

/* A pipe, both ends close-on-exec: p[0] reads, p[1] writes.  -errno. */
MUST_CHECK int fd_pipe(int p[2]);

/* Sets O_NONBLOCK on fd, keeping its other status flags.  -errno. */
MUST_CHECK int fd_set_nonblocking(int fd);

/*
 * poll(2) over pf[0..n) for at most timeout_ms (-1: no limit): the number
 * of fds with revents, 0 on timeout, -EINTR when a signal came first,
 * other -errno.
 */
MUST_CHECK int fd_poll(struct pollfd *pf, size_t n, int timeout_ms);

/*
 * Waits until fd has one of events (POLLIN, POLLOUT) or an error or
 * hang-up: 1, or 0 on timeout, -errno.  A signal restarts the wait with
 * the whole timeout (callers use it for short, bounded waits).
 */
MUST_CHECK int fd_wait(int fd, short events, int timeout_ms);

#endif
