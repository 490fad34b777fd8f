/* Child processes (proc.h). */
#include "sys/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/fd.h"

/* In the child, between fork() and exec: stdio, then the environment. */
static void
child_setup(const struct proc_opts *opts)
{
	int null = -1;

	for (int i = 0; i < 3; i++) {
		int src = opts->std_fd[i];

		if (src == PROC_DEVNULL) {
			if (null < 0)
				null = open("/dev/null", O_RDWR | O_CLOEXEC);
			src = null;
		}
		if (src < 0)
			continue;
		if (src != i)
			(void)dup2(src, i); /* dup2 clears close-on-exec */
		else
			(void)fcntl(i, F_SETFD, 0);
	}
	for (const char *const *e = opts->env; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char name[128];
		size_t n;

		if (eq == NULL) {
			(void)unsetenv(*e);
			continue;
		}
		n = (size_t)(eq - *e);
		if (n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		(void)setenv(name, eq + 1, 1);
	}
}

int
proc_spawn(char *const argv[], const struct proc_opts *opts, pid_t *pid)
{
	pid_t p = fork();

	if (p < 0)
		return -errno;
	if (p == 0) {
		if (opts != NULL)
			child_setup(opts);
		execvp(argv[0], argv);
		_exit(127); /* the shell's "command not found" */
	}
	*pid = p;
	return 0;
}

int
proc_wait(pid_t pid, int *status, int *signo)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (status != NULL)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (signo != NULL)
		*signo = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	return 0;
}

int
proc_try_wait(pid_t pid, int *status)
{
	pid_t r;
	int st;

	while ((r = waitpid(pid, &st, WNOHANG)) < 0)
		if (errno != EINTR)
			return -errno;
	if (r == 0)
		return -EAGAIN;
	if (status != NULL)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

int
proc_kill(pid_t pid, int sig)
{
	return kill(pid, sig) < 0 ? -errno : 0;
}

int
proc_run(char *const argv[], bool quiet)
{
	struct proc_opts o = PROC_OPTS_INHERIT;
	pid_t pid;
	int rc, st;

	if (quiet)
		o.std_fd[0] = o.std_fd[1] = o.std_fd[2] = PROC_DEVNULL;
	if ((rc = proc_spawn(argv, &o, &pid)) < 0)
		return rc;
	if ((rc = proc_wait(pid, &st, NULL)) < 0)
		return rc;
	return st;
}

int
proc_capture(char *const argv[], char *out, size_t cap)
{
	struct proc_opts o = {
		.std_fd = {PROC_DEVNULL, PROC_INHERIT, PROC_DEVNULL}};
	size_t n = 0;
	pid_t pid;
	int p[2], rc, st;

	if (cap == 0)
		return -EINVAL;
	if ((rc = fd_pipe(p)) < 0)
		return rc;
	o.std_fd[1] = p[1];
	rc = proc_spawn(argv, &o, &pid);
	fd_close(p[1]);
	if (rc < 0) {
		fd_close(p[0]);
		return rc;
	}
	for (;;) {
		size_t r;

		if (fd_read(p[0], out + n, cap - 1 - n, &r) < 0 || r == 0)
			break;
		n += r;
		if (n == cap - 1) {
			char sink[256];

			/* Drain: a child blocked on a full pipe never exits. */
			while (fd_read(p[0], sink, sizeof(sink), &r) == 0 &&
			       r > 0)
				;
			break;
		}
	}
	out[n] = '\0';
	fd_close(p[0]);
	if ((rc = proc_wait(pid, &st, NULL)) < 0)
		return rc;
	return st;
}

int
proc_fork(pid_t *pid)
{
	pid_t p = fork();

	if (p < 0)
		return -errno;
	*pid = p;
	return 0;
}

int
proc_exec(char *const argv[])
{
	execvp(argv[0], argv);
	return -errno;
}

int
proc_detach(void)
{
	/* Both steps even if the first fails: stdio must leave the tty. */
	int rc = setsid() < 0 ? -errno : 0;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return rc < 0 ? rc : -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(null, i) < 0 && rc == 0)
			rc = -errno;
	close(null);
	return rc;
}

int
proc_self_exe(char *buf, size_t cap)
{
	ssize_t n;

	if (cap == 0)
		return -EINVAL;
	n = readlink("/proc/self/exe", buf, cap - 1);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOENT;
	buf[n] = '\0';
	return 0;
}
