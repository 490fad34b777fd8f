/* A state file kept open across a privilege drop (statefile.h). */
#include "sys/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
statefile_open(const char *path, int *fd)
{
	int f;

	do
		f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	while (f < 0 && errno == EINTR);
	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}

int
statefile_read(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	*len = 0;
	if (cap == 0)
		return -EINVAL;
	while (n < cap - 1) {
		ssize_t r = pread(fd, buf + n, cap - 1 - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	if (n == cap - 1) {
		char more;
		ssize_t r = pread(fd, &more, 1, (off_t)n);

		if (r > 0)
			return -EFBIG;
	}
	return 0;
}

int
statefile_write(int fd, const void *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t w =
			pwrite(fd, (const char *)buf + n, len - n, (off_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		n += (size_t)w;
	}
	if (ftruncate(fd, (off_t)len) < 0 || fdatasync(fd) < 0)
		return -errno;
	return 0;
}

void
statefile_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
