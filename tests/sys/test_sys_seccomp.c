/*
 * sys/seccomp: a policy installed in a forked child (a filter cannot be
 * removed).  What it allows works; execve() kills the process with SIGSYS
 * (the default action); socket(AF_PACKET) fails with EPERM while the
 * listed family works; an ioctl() request outside the list kills;
 * openat() fails with EPERM.  Also the control socket's peer rule
 * (ctl_peer_allowed).  Needs no root: no_new_privs is enough.  Skipped
 * where the build has the filters off (sanitizers).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include "sys_test.h"
#include "sys/ctl.h"
#include "sys/seccomp.h"

static const char *const allow[] = {"getppid"};
static const int families[] = {AF_UNIX};
static const unsigned long ioctls[] = {SIOCGIFINDEX};
static const struct seccomp_policy policy = {
	.allow = allow,
	.n_allow = ARRAY_SIZE(allow),
	.socket_families = families,
	.n_socket_families = ARRAY_SIZE(families),
	.ioctls = ioctls,
	.n_ioctls = ARRAY_SIZE(ioctls),
};

/*
 * Runs fn in a child under the policy; the child's exit code carries its
 * verdict (0 good), or a signal its death.  Returns the wait status.
 */
static int
in_filtered_child(int (*fn)(void))
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(10);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    seccomp_policy_apply(&policy) < 0)
			_exit(90);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static int
allowed_calls(void)
{
	if (syscall(SYS_getppid) <= 0 || syscall(SYS_getpid) <= 0)
		return 1;
	/* The listed family works. */
	if (syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0) < 0)
		return 2;
	return 0;
}

static int
do_execve(void)
{
	static char *const argv[] = {"/bin/true", NULL};

	execve("/bin/true", argv, NULL);
	return 5; /* not killed: the filter let it through (and it failed) */
}

static int
do_packet_socket(void)
{
	long fd = syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0);

	if (fd >= 0)
		return 6;
	if (errno != EPERM)
		return 7;
	/* And the process lives on: a listed family still works. */
	return syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0) >= 0 ? 0 : 8;
}

static int
do_open(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);

	return fd < 0 && errno == EPERM ? 0 : 9;
}

static int
do_ioctl(void)
{
	/* TIOCSTI (type into a terminal) is no listed request. */
	char c = 'x';

	(void)syscall(SYS_ioctl, 0, TIOCSTI, &c);
	return 10;
}

static void
test_seccomp(void)
{
	int st;

	st = in_filtered_child(allowed_calls);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the base and the listed calls work under the filter (status %d)",
	   st);
	st = in_filtered_child(do_execve);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "execve(): the process is killed by SIGSYS (status %d)", st);
	st = in_filtered_child(do_packet_socket);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "socket(AF_PACKET): EPERM, and AF_UNIX still works (status %d)", st);
	st = in_filtered_child(do_open);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "openat(): EPERM (status %d)",
	   st);
	st = in_filtered_child(do_ioctl);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "ioctl(TIOCSTI), not listed: killed by SIGSYS (status %d)", st);
}

static void
test_peer_rule(void)
{
	const gid_t groups[] = {100, 995};

	ok(ctl_peer_allowed(0, 0, NULL, 0, 999, 995), "root may ask");
	ok(ctl_peer_allowed(999, 999, NULL, 0, 999, 995),
	   "the daemon's user may ask");
	ok(ctl_peer_allowed(1000, 995, NULL, 0, 999, 995),
	   "primary group = the control group: may ask");
	ok(ctl_peer_allowed(1000, 1000, groups, ARRAY_SIZE(groups), 999, 995),
	   "a supplementary group = the control group: may ask");
	ok(!ctl_peer_allowed(1000, 1000, groups, 1, 999, 995),
	   "anyone else: refused");
	ok(!ctl_peer_allowed(65534, 65534, NULL, 0, 999, 995),
	   "nobody: refused");
}

int
main(void)
{
	test_peer_rule();
	/* Sanitizer builds: their runtime makes calls no filter lists, so
	 * this build has the filters off (meson -Dseccomp, README). */
	if (seccomp_policy_enabled())
		test_seccomp();
	else
		ok(true, "# SKIP seccomp is off in this build (sanitizers)");
	return done_testing();
}
