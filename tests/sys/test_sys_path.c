/*
 * sys/path, sys/fd, sys/proc, sys/tty: what apps/assist relies on.  A
 * file round-trips with its mode (narrowed on an existing file), a full
 * buffer is -EFBIG, a private directory is 0700 with its parents made;
 * a pipe carries bytes and shows EOF; children get their argv, env and
 * stdio, and their exit status or signal comes back as the shell says; a
 * capture larger than the buffer is cut and drained; a program on a pty
 * sees its size.  Everything in a per-run directory under /tmp.
 */
#include "sys_test.h"

#include <limits.h>
#include <sys/stat.h>

#include "sys/fd.h"
#include "sys/path.h"
#include "sys/proc.h"
#include "sys/tty.h"

static char dir[64];

static void
path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static unsigned
mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

static void
test_file(void)
{
	char p[128], sub[128], buf[16];
	size_t len = 99;

	path(p, sizeof(p), "f");
	is_int(path_read(p, buf, sizeof(buf), &len), -ENOENT, "missing file");
	is_int((int)len, 0, "missing file: length 0");
	is_int(path_write(p, "hello", 5, 0644), 0, "write");
	is_int((int)mode_of(p), 0644, "mode 0644");
	is_int(path_read(p, buf, sizeof(buf), &len), 0, "read back");
	is_mem(buf, len, "hello", 5, "same bytes");
	is_int(path_write(p, "secret", 6, 0600), 0, "rewrite");
	is_int((int)mode_of(p), 0600, "existing file narrowed to 0600");
	is_int(path_read(p, buf, 6, &len), -EFBIG, "file filling the buffer");
	is_int((int)len, 6, "-EFBIG keeps what it read");
	is_int(path_unlink(p), 0, "unlink");
	is_int(path_unlink(p), -ENOENT, "unlink again: -ENOENT");

	path(sub, sizeof(sub), "a/b/private");
	is_int(path_mkdir_private(sub), 0, "mkdir -p private");
	is_int((int)mode_of(sub), 0700, "private dir is 0700");
	path(p, sizeof(p), "a");
	is_int((int)mode_of(p), 0755, "parent is 0755");
	is_int(path_mkdir(p, 0755), 0, "existing dir is fine");
	chmod(sub, 0755);
	is_int(path_mkdir_private(sub), 0, "again");
	is_int((int)mode_of(sub), 0700, "existing dir narrowed to 0700");
	path(p, sizeof(p), "nodir/x");
	is_int(path_write(p, "x", 1, 0600), -ENOENT, "write into no dir");
}

static void
test_fd(void)
{
	struct pollfd pf[1];
	char buf[8];
	size_t n = 99;
	int p[2];

	is_int(fd_pipe(p), 0, "pipe");
	is_int(fd_set_nonblocking(p[0]), 0, "nonblocking");
	is_int(fd_read(p[0], buf, sizeof(buf), &n), -EAGAIN, "empty: -EAGAIN");
	is_int(fd_wait(p[0], POLLIN, 10), 0, "wait times out");
	is_int(fd_write_all(p[1], "abc", 3), 0, "write all");
	is_int(fd_wait(p[0], POLLIN, 1000), 1, "readable");
	pf[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	is_int(fd_poll(pf, 1, 1000), 1, "poll: one ready");
	is_int(fd_read(p[0], buf, sizeof(buf), &n), 0, "read");
	is_mem(buf, n, "abc", 3, "the bytes");
	fd_close(p[1]);
	is_int(fd_read(p[0], buf, sizeof(buf), &n), 0, "EOF is 0 ...");
	is_int((int)n, 0, "... with no bytes");
	fd_close(p[0]);
	fd_close(-1); /* ignored */
}

static void
test_proc(void)
{
	char *t[] = {"true", NULL}, *f[] = {"sh", "-c", "exit 7", NULL};
	char *none[] = {"/nonexistent/program", NULL};
	char *env[] = {"sh", "-c", "printf '%s|%s' \"$A\" \"${B-unset}\"",
		       NULL};
	char *big[] = {"sh", "-c", "yes | head -c 100000", NULL};
	char *sleeper[] = {"sleep", "30", NULL};
	char *errp[] = {"sh", "-c", "echo oops >&2", NULL};
	const char *e[] = {"A=x y", "B", NULL};
	struct proc_opts o = PROC_OPTS_INHERIT;
	char out[64], buf[64], exe[PATH_MAX];
	int p[2], st = -1, sig = -1;
	size_t n;
	pid_t pid;

	is_int(proc_run(t, true), 0, "true: 0");
	is_int(proc_run(f, true), 7, "exit 7: 7");
	is_int(proc_run(none, true), 127, "not found: 127");
	setenv("B", "inherited", 1);
	o.env = e;
	o.std_fd[0] = PROC_DEVNULL;
	if (fd_pipe(p) == 0) {
		size_t got = 0;

		o.std_fd[1] = p[1];
		is_int(proc_spawn(env, &o, &pid), 0, "spawn with env, stdout");
		fd_close(p[1]);
		while (got < sizeof(buf) - 1 &&
		       fd_read(p[0], buf + got, sizeof(buf) - 1 - got, &n) ==
			       0 &&
		       n > 0)
			got += n;
		fd_close(p[0]);
		is_int(proc_wait(pid, &st, &sig), 0, "wait");
		is_int(st, 0, "exit 0");
		is_int(sig, 0, "no signal");
		is_mem(buf, got, "x y|unset", 9, "A set, B unset, child only");
		ok(getenv("A") == NULL, "our environment untouched");
	}
	is_int(proc_capture(env, out, sizeof(out)), 0, "capture exit 0");
	is_mem(out, strlen(out), "|inherited", 10, "no env: B inherited");
	is_int(proc_capture(big, out, sizeof(out)), 0, "big output drained");
	is_int((int)strlen(out), 63, "cut at cap - 1");
	is_int(proc_capture(errp, out, sizeof(out)), 0, "stderr to /dev/null");
	is_int((int)strlen(out), 0, "nothing captured from stderr");
	is_int(proc_capture(t, out, 0), -EINVAL, "cap 0");

	is_int(proc_spawn(sleeper, NULL, &pid), 0, "spawn sleep");
	is_int(proc_kill(pid, SIGTERM), 0, "kill");
	is_int(proc_wait(pid, &st, &sig), 0, "wait");
	is_int(st, 128 + SIGTERM, "status 128 + SIGTERM");
	is_int(sig, SIGTERM, "signo SIGTERM");
	is_int(proc_wait(pid, &st, NULL), -ECHILD, "reaped: -ECHILD");
	is_int(proc_self_exe(exe, sizeof(exe)), 0, "self exe");
	ok(strstr(exe, "test_sys_path") != NULL, "self exe is us (%s)", exe);
}

static void
test_tty(void)
{
	char *argv[] = {"sh", "-c", "stty size; echo \"$T\"", NULL};
	const char *env[] = {"T=on a pty", NULL};
	char name[TTY_PATH_MAX], out[256];
	size_t got = 0, n;
	int m, st = -1;
	pid_t pid;

	if (tty_spawn(argv, env, 33, 101, &m, &pid, name) != 0) {
		ok(false, "tty_spawn");
		return;
	}
	ok(strncmp(name, "/dev/pts/", 9) == 0, "pty name %s", name);
	/* Bounded: 50 waits of 100 ms at most; EIO once the child is done. */
	for (int i = 0; i < 50 && got < sizeof(out) - 1; i++) {
		int rc;

		if (fd_wait(m, POLLIN, 100) <= 0)
			continue;
		rc = fd_read(m, out + got, sizeof(out) - 1 - got, &n);
		if (rc == -EAGAIN)
			continue;
		if (rc < 0 || n == 0)
			break;
		got += n;
	}
	out[got] = '\0';
	ok(strstr(out, "33 101") != NULL, "the child sees 33 x 101");
	ok(strstr(out, "on a pty") != NULL, "and its environment");
	is_int(tty_set_size(m, 40, 120), 0, "resize");
	fd_close(m);
	is_int(proc_wait(pid, &st, NULL), 0, "reaped");
	is_int(st, 0, "exit 0");
	is_int(tty_set_size(-1, 1, 1), -EBADF, "resize a bad fd: -EBADF");
}

int
main(void)
{
	char rm[128];

	umask(022); /* the modes checked below are exact */
	snprintf(dir, sizeof(dir), "/tmp/shipworm-test-file-%d", (int)getpid());
	if (mkdir(dir, 0700) < 0)
		skip_all("cannot make a directory in /tmp");
	test_file();
	test_fd();
	test_proc();
	test_tty();
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir); /* this run's only */
	(void)!system(rm);
	return done_testing();
}
