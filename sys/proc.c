/* Child processes (proc.h). */
#include "sys/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/ev.h"
#include "sys/fd.h"

/* In a child about to exec: nothing but stdin, stdout and stderr goes
 * through, whatever the parent inherited or forgot to mark close-on-exec
 * (issue 10 point 7: tmux and sftp-server hold no fd of the offer). */
void
proc_close_extra_fds(void)
{
	(void)close_range(3, ~0U, 0);
}

void
proc_close_fds_except(int keep)
{
	if (keep > 3)
		(void)close_range(3, (unsigned)keep - 1, 0);
	if (keep >= 3)
		(void)close_range((unsigned)keep + 1, ~0U, 0);
	else
		proc_close_extra_fds();
}

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
	if (null > 2)
		close(null);
	proc_close_extra_fds();
}

/* Writes text to a /proc file, or a new file; 0 or -1. */
static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n, len = (ssize_t)strlen(text);

	if (fd < 0)
		return -1;
	n = write(fd, text, (size_t)len);
	close(fd);
	return n == len ? 0 : -1;
}

/* Binds src on dst (made first: a directory), read-only unless rw.  The
 * flags a user namespace may not drop (nosuid, nodev, noexec) are kept. */
static int
bind_mount(const char *src, const char *dst, bool rw)
{
	struct statvfs sv;
	unsigned long keep = 0;

	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return -1;
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	if (rw)
		return 0;
	if (statvfs(src, &sv) == 0) {
		keep |= (sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
		keep |= (sv.f_flag & ST_NODEV) ? MS_NODEV : 0;
		keep |= (sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
	}
	return mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep,
		     NULL);
}

/* The jail of proc_opts (in the child, after fork).  0 or -1. */
static int
jail_enter(const struct proc_opts *opts)
{
	static const char *const top[] = {"bin",   "sbin",  "lib",
					  "lib32", "lib64", "libx32"};
	uid_t uid = getuid();
	gid_t gid = getgid();
	char path[4096], link[256], map[64];

	if (unshare(CLONE_NEWNS | (uid != 0 ? CLONE_NEWUSER : 0)) < 0)
		return -1;
	if (uid != 0) {
		/* The same ids inside: files keep their owners. */
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid,
			 (unsigned)uid);
		if (write_file("/proc/self/uid_map", map) < 0 ||
		    write_file("/proc/self/setgroups", "deny") < 0)
			return -1;
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid,
			 (unsigned)gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("shipworm-jail", opts->jail_root, "tmpfs", MS_NOSUID,
		  "size=64k,mode=0755") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/usr", opts->jail_root);
	if (bind_mount("/usr", path, false) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char src[32];
		ssize_t n;

		snprintf(src, sizeof(src), "/%s", top[i]);
		snprintf(path, sizeof(path), "%s/%s", opts->jail_root, top[i]);
		n = readlink(src, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			if (symlink(link, path) < 0)
				return -1;
		} else if (access(src, F_OK) == 0 &&
			   bind_mount(src, path, false) < 0) {
			return -1;
		}
	}
	/* /dev/null alone of /dev (programs reopen stdio on it). */
	snprintf(path, sizeof(path), "%s/dev", opts->jail_root);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/dev/null", opts->jail_root);
	if (write_file(path, "") < 0 ||
	    mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
		return -1;
	/* Who the child is (sftp-server needs its passwd entry), and
	 * nothing else of /etc. */
	snprintf(path, sizeof(path), "%s/etc", opts->jail_root);
	if (mkdir(path, 0755) < 0)
		return -1;
	{
		struct passwd *pw = getpwuid(uid);
		char line[512];

		snprintf(line, sizeof(line), "%s:x:%u:%u::/files:/bin/false\n",
			 pw != NULL ? pw->pw_name : "user", (unsigned)uid,
			 (unsigned)gid);
		snprintf(path, sizeof(path), "%s/etc/passwd", opts->jail_root);
		if (write_file(path, line) < 0)
			return -1;
		snprintf(line, sizeof(line), "%s:x:%u:\n",
			 pw != NULL ? pw->pw_name : "user", (unsigned)gid);
		snprintf(path, sizeof(path), "%s/etc/group", opts->jail_root);
		if (write_file(path, line) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/files", opts->jail_root);
	if (bind_mount(opts->jail_files, path, opts->jail_files_rw) < 0 ||
	    chdir(opts->jail_root) < 0 || chroot(".") < 0 ||
	    chdir("/files") < 0)
		return -1;
	return 0;
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
		if (opts != NULL && opts->jail_root != NULL &&
		    jail_enter(opts) < 0)
			_exit(126); /* fail closed: no jail, no child */
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
	proc_close_extra_fds();
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
proc_keeper_start(proc_keeper_fn *keeper, const void *arg, int wait_ms,
		  void *res, size_t res_len, int *hold, int *report)
{
	uint64_t end;
	size_t got = 0;
	int hp[2], rp[2], rc;
	pid_t pid;

	*hold = *report = -1;
	memset(res, 0, res_len);
	if ((rc = fd_pipe(hp)) < 0)
		return rc;
	if ((rc = fd_pipe(rp)) < 0) {
		fd_close(hp[0]);
		fd_close(hp[1]);
		return rc;
	}
	pid = fork();
	if (pid == 0) {
		/* The middle child: gone at once, the keeper is orphaned. */
		fd_close(hp[1]);
		fd_close(rp[0]);
		if (fork() == 0)
			keeper(arg, hp[0], rp[1]);
		_exit(0);
	}
	rc = pid < 0 ? -errno : 0;
	fd_close(hp[0]);
	fd_close(rp[1]);
	if (rc < 0) {
		fd_close(hp[1]);
		fd_close(rp[0]);
		return rc;
	}
	(void)!proc_wait(pid, NULL, NULL);
	end = sys_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
	while (got < res_len) {
		struct pollfd p = {.fd = rp[0], .events = POLLIN};
		uint64_t now = sys_now_ms();
		size_t n;

		rc = fd_poll(&p, 1, now < end ? (int)(end - now) : 0);
		if (rc == -EINTR)
			continue;
		if (rc <= 0 ||
		    fd_read(rp[0], (char *)res + got, res_len - got, &n) < 0 ||
		    n == 0)
			break; /* time is up, or the keeper ended */
		got += n;
	}
	if (got < res_len) {
		memset(res, 0, res_len);
		fd_close(hp[1]);
		fd_close(rp[0]);
		return -ETIMEDOUT;
	}
	*hold = hp[1];
	*report = rp[0];
	return 0;
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
