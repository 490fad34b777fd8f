/*
 * sys/daemon: the launcher exits 0 only once the daemon is ready, the
 * daemon runs in its own session with the pidfile locked, a second
 * instance is refused (and its launcher exits 1), and a stale pidfile is
 * reused.  The test is a child subreaper so it can reap the daemon.
 */
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "sys_test.h"
#include "sys/daemon.h"

static char dir[] = "/tmp/shipworm-daemon-XXXXXX";
static char pidfile[128];

/* Runs in the launcher child: daemonizes; the daemon waits for SIGTERM. */
__attribute__((noreturn)) static void
launcher(int report_fd)
{
	sigset_t set;
	int ready = -1, pfd = -1, sig = 0, err;
	pid_t sid_before = getsid(0);

	err = daemonize(pidfile, &ready, &pfd);
	/* Only the daemon gets here. */
	if (err < 0)
		_exit(1); /* the launcher then exits 1 too */
	child_report_fd = report_fd;
	cok(getsid(0) != sid_before, "daemon: a new session");
	cok(getsid(0) != getpid(), "daemon: not a session leader");
	{
		char cwd[8];

		cok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0,
		    "daemon: cwd is /");
	}
	cok(pfd >= 0, "daemon: holds the pidfile fd");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	cis_int(daemonize_ready(ready), 0, "daemon: ready");
	close(report_fd);
	alarm(10); /* the daemon's own bound */
	sigwait(&set, &sig);
	pidfile_close(pfd, pidfile);
	_exit(0);
}

static long
read_pid(void)
{
	char buf[32] = {0};
	int fd = open(pidfile, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static bool
reap(pid_t pid, int *status, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

int
main(void)
{
	int rfd, status = -1, fd = -1;
	pid_t launch, daemon_pid;

	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	snprintf(pidfile, sizeof(pidfile), "%s/test.pid", dir);
	/* Orphans (the daemon) are reparented to us, not to init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	is_int(pidfile_open("relative.pid", &fd), -EINVAL,
	       "a relative pidfile path: -EINVAL");

	launch = child_start(&rfd);
	if (launch == 0)
		launcher(child_report_fd);
	/* The launcher's status tells whether the daemon became ready. */
	ok(reap(launch, &status, 10000), "launcher exited");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "launcher exit status 0: daemon ready");
	daemon_pid = (pid_t)read_pid();
	ok(daemon_pid > 0 && daemon_pid != launch && kill(daemon_pid, 0) == 0,
	   "pidfile names the live daemon (%ld)", (long)daemon_pid);
	is_int(pidfile_open(pidfile, &fd), -EEXIST,
	       "pidfile of a live daemon: -EEXIST");

	{
		/* A second instance: refused, its launcher reports 1. */
		int rfd2;
		pid_t l2 = child_start(&rfd2);

		if (l2 == 0)
			launcher(child_report_fd);
		close(rfd2);
		ok(reap(l2, &status, 10000) && WIFEXITED(status) &&
			   WEXITSTATUS(status) == 1,
		   "second instance: launcher exits 1");
		/* Its would-be daemon exited at once; reaped at the end. */
	}

	kill(daemon_pid, SIGTERM);
	child_collect(daemon_pid, rfd, 10000, "daemon");
	{
		struct stat st;

		ok(stat(pidfile, &st) < 0 && errno == ENOENT,
		   "pidfile_close removed the pidfile");
	}

	/* A stale pidfile (owner gone, no lock) is simply reused. */
	{
		FILE *f = fopen(pidfile, "w");

		if (f != NULL) {
			fprintf(f, "999999\n");
			fclose(f);
		}
	}
	is_int(pidfile_open(pidfile, &fd), 0, "stale pidfile reused");
	is_int(read_pid(), getpid(), "and now holds our pid");
	pidfile_close(fd, pidfile);
	while (waitpid(-1, &status, WNOHANG) > 0)
		continue;
	rmdir(dir);
	return done_testing();
}
