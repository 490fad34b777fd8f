/* Whole files by path (path.h). */
#include "sys/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
path_read(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	size_t n = 0;

	*len = 0;
	if (fd < 0)
		return -errno;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* Filled to the brim: the file may go on, so refuse it whole. */
	if (rc == 0 && n == cap)
		rc = -EFBIG;
	*len = n;
	return rc;
}

int
path_write(const char *path, const void *data, size_t len, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      (mode_t)mode);
	const char *p = data;
	int rc = 0;

	if (fd < 0)
		return -errno;
	/* open() applies the mode only to a new file (and the umask). */
	if (fchmod(fd, (mode_t)mode) < 0)
		rc = -errno;
	while (rc == 0 && len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int
path_open_log(const char *path, unsigned mode, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		   (mode_t)mode);
	if (*fd < 0)
		return -errno;
	if (fchmod(*fd, (mode_t)mode) < 0) {
		int rc = -errno;

		close(*fd);
		*fd = -1;
		return rc;
	}
	return 0;
}

int
path_mkdir(const char *path, unsigned mode)
{
	if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
path_mkdir_private(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);
	int rc;

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if ((rc = path_mkdir(tmp, 0755)) < 0)
			return rc;
		*p = '/';
	}
	if ((rc = path_mkdir(tmp, 0700)) < 0)
		return rc;
	/* It may have existed, with a wider mode. */
	if (chmod(tmp, 0700) < 0)
		return -errno;
	return 0;
}

int
path_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

int
path_realpath(const char *path, char *out)
{
	return realpath(path, out) == NULL ? -errno : 0;
}

int
path_is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
