/* Plain file descriptors (fd.h). */
#include "sys/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
fd_read(int fd, void *buf, size_t cap, size_t *n)
{
	ssize_t r;

	*n = 0;
	do
		r = read(fd, buf, cap);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*n = (size_t)r;
	return 0;
}

int
fd_read_head(int fd, void *buf, size_t cap, size_t *n)
{
	ssize_t r;

	*n = 0;
	do
		r = pread(fd, buf, cap, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*n = (size_t)r;
	return 0;
}

int
fd_write(int fd, const void *buf, size_t len, size_t *n)
{
	ssize_t w;

	*n = 0;
	do
		w = write(fd, buf, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (w == 0 && len > 0)
		return -EIO;
	*n = (size_t)w;
	return 0;
}

int
fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void
fd_close(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

int
fd_pipe(int p[2])
{
	return pipe2(p, O_CLOEXEC) < 0 ? -errno : 0;
}

int
fd_set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int
fd_poll(struct pollfd *pf, size_t n, int timeout_ms)
{
	int r = poll(pf, (nfds_t)n, timeout_ms);

	return r < 0 ? -errno : r;
}

int
fd_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}
