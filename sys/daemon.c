/*
 * daemonize() and the pidfile.  See daemon.h.
 */
#include "sys/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int
pidfile_open(const char *path, int *fd_out)
{
	char buf[24];
	int fd, n;

	*fd_out = -1;
	if (path == NULL || path[0] != '/')
		return -EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* The lock, not the file's existence, says "running". */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EEXIST : -errno;

		(void)close(fd);
		return err;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0) {
		int err = -errno;

		(void)close(fd);
		return err;
	}
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    pwrite(fd, buf, (size_t)n, 0) != n) {
		(void)close(fd);
		return -EIO;
	}
	*fd_out = fd;
	return 0;
}

void
pidfile_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	/* Unlink while still locked, so no new owner loses its file. */
	if (path != NULL)
		(void)unlink(path);
	(void)close(fd);
}

/* The original process: exit with the daemon's verdict. */
__attribute__((noreturn)) static void
daemonize_wait(int rd, pid_t child)
{
	char c = 0;
	ssize_t n;
	int status;

	(void)waitpid(child, &status, 0); /* the intermediate child */
	do
		n = read(rd, &c, 1);
	while (n < 0 && errno == EINTR);
	_exit(n == 1 && c == 'R' ? 0 : 1);
}

int
daemonize(const char *pidfile, int *ready_fd, int *pidfile_fd)
{
	int p[2], err;
	pid_t pid;

	*ready_fd = -1;
	*pidfile_fd = -1;
	if (pidfile != NULL && pidfile[0] != '/')
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Nothing buffered may be written twice. */
	(void)fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		(void)close(p[0]);
		(void)close(p[1]);
		return err;
	}
	if (pid > 0) {
		(void)close(p[1]);
		daemonize_wait(p[0], pid);
	}
	(void)close(p[0]);
	/* A new session: no controlling terminal, no terminal signals. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0); /* not a session leader: can never regain a tty */
	(void)umask(022);
	if (chdir("/") < 0) {
		err = -errno;
		(void)close(p[1]);
		return err;
	}
	if (pidfile != NULL) {
		err = pidfile_open(pidfile, pidfile_fd);
		if (err < 0) {
			(void)close(p[1]);
			return err;
		}
	}
	*ready_fd = p[1];
	return 0;
}

int
daemonize_ready(int ready_fd)
{
	int fd, err = 0;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++)
		if (dup2(fd, i) < 0)
			err = -errno;
	if (fd > STDERR_FILENO)
		(void)close(fd);
	else if (fcntl(fd, F_SETFD, 0) < 0) /* it is a std fd now: keep it */
		err = -errno;
	if (err < 0)
		return err;
	if (write(ready_fd, "R", 1) != 1)
		err = -errno;
	(void)close(ready_fd);
	return err;
}
