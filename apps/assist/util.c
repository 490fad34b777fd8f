/* Small process, file and clock helpers for assist (assist.h). */
#include "assist.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t
now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return "assist";
	path[n] = '\0';
	return path;
}

int
run_argv(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_RDWR);

			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	size_t n = 0;

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
	if (rc == 0 && n == cap)
		rc = -EFBIG;
	*len = n;
	return rc;
}

int
write_file(const char *path, const void *data, size_t len, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      (mode_t)mode);
	const char *p = data;
	int rc = 0;

	if (fd < 0)
		return -errno;
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
make_private_dir(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (chmod(tmp, 0700) < 0)
		return -errno;
	return 0;
}

void
sanitize(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (; *in != '\0' && o + 1 < cap; in++)
		out[o++] = (*in >= 0x20 && *in <= 0x7e) ? *in : '?';
	out[o] = '\0';
}

int
invitation_load(const char *arg, struct assist_invite *inv,
		struct assist_invite_err *err)
{
	static char buf[ASSIST_FILE_MAX];
	size_t len = 0;
	int rc;

	if (strncmp(arg, ASSIST_INVITE_LINE_PREFIX,
		    strlen(ASSIST_INVITE_LINE_PREFIX)) == 0)
		return assist_invite_parse(arg, strlen(arg), inv, err);
	rc = read_file(arg, buf, sizeof(buf), &len);
	if (rc == -EFBIG) {
		err->line = 0;
		err->why = "file longer than 4096 bytes";
		return -EMSGSIZE;
	}
	if (rc < 0)
		return rc == -ENOENT ? -ENOENT : rc;
	return assist_invite_parse(buf, len, inv, err);
}

int
run_capture(char *const argv[], char *out, size_t cap)
{
	int p[2], st;
	size_t n = 0;
	pid_t pid;

	if (cap == 0 || pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(p[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], out + n, cap - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			char sink[256];

			while (read(p[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[n] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
