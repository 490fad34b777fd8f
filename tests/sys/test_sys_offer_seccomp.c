/*
 * assist offer's engine allowlist (apps/assist/offer_seccomp.c, issue 11
 * B3), the very policy offer_sandbox_enter() installs, applied in a
 * forked child (a filter cannot be removed): what the engine does once
 * set up works (sockets of its families, pipes, the spawner's channel,
 * reaping); starting a program, forking, tracing, signalling another
 * process kill it with SIGSYS; opening a file, unlinking one, a netlink
 * or packet socket fail with EPERM.  Needs no root.  Skipped where the
 * build has the filters off (sanitizers).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sys_test.h"
#include "offer_seccomp.h"
#include "sys/seccomp.h"

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
		    seccomp_policy_apply(&offer_engine_seccomp) < 0)
			_exit(90);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static int
engine_calls(void)
{
	int p[2], st;
	char c;

	if (syscall(SYS_socket, AF_INET, SOCK_STREAM, 0) < 0 ||
	    syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0) < 0)
		return 1;
	if (syscall(SYS_pipe2, p, O_CLOEXEC) < 0)
		return 2;
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1)
		return 4;
	/* No child to reap: ECHILD, not SIGSYS. */
	if (syscall(SYS_wait4, -1, &st, WNOHANG, NULL) != -1 || errno != ECHILD)
		return 5;
	return 0;
}

static int
do_execve(void)
{
	static char *const argv[] = {"/bin/true", NULL};

	execve("/bin/true", argv, NULL);
	return 5;
}

static int
do_fork(void)
{
	/* fork() is clone() in glibc; either way it must not pass. */
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	return 6;
}

static int
do_ptrace(void)
{
	(void)syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
	return 7;
}

static int
do_kill(void)
{
	(void)syscall(SYS_kill, 1, 0);
	return 8;
}

static int
do_open_unlink(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);

	if (fd >= 0 || errno != EPERM)
		return 9;
#ifdef SYS_unlink
	if (syscall(SYS_unlink, "/nonexistent-x") == 0 || errno != EPERM)
		return 10;
#endif
	return 0;
}

static int
do_netlink(void)
{
	if (syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0) >= 0 || errno != EPERM)
		return 11;
	if (syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM)
		return 12;
	/* The listeners exist already: no new IPv6 socket either. */
	if (syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0) >= 0 ||
	    errno != EPERM)
		return 13;
	return 0;
}

/* The table itself, in every build (the sanitizers' too): none of the
 * calls that would let a captured engine start or reach anything. */
static void
test_table(void)
{
	static const char *const never[] = {
		"execve", "execveat", "fork",	"vfork",    "clone",
		"clone3", "ptrace",   "kill",	"tkill",    "open",
		"openat", "openat2",  "unlink", "unlinkat", "bind",
		"listen", "mount",    "chroot", "setuid",   "process_vm_writev",
	};
	const struct seccomp_policy *p = &offer_engine_seccomp;
	unsigned bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(never); i++)
		for (size_t k = 0; k < p->n_allow; k++)
			bad += strcmp(p->allow[k], never[i]) == 0;
	ok(bad == 0,
	   "the engine's allowlist has no exec, fork, clone, ptrace, kill, "
	   "open, unlink, bind or listen (%u found)",
	   bad);
	bad = 0;
	for (size_t k = 0; k < p->n_socket_families; k++)
		bad += p->socket_families[k] != AF_UNIX &&
		       p->socket_families[k] != AF_INET;
	ok(bad == 0, "its sockets: AF_UNIX and AF_INET only");
}

int
main(void)
{
	int st;

	test_table();
	if (!seccomp_policy_enabled()) {
		ok(true, "# SKIP seccomp is off in this build (sanitizers)");
		return done_testing();
	}
	st = in_filtered_child(engine_calls);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the engine's calls work: inet/unix sockets, pipe2, "
	   "read/write, wait4 (status %d)",
	   st);
	st = in_filtered_child(do_execve);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "execve(): killed by SIGSYS (status %d)", st);
	st = in_filtered_child(do_fork);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "fork (clone): killed by SIGSYS (status %d)", st);
	st = in_filtered_child(do_ptrace);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "ptrace(): killed by SIGSYS (status %d)", st);
	st = in_filtered_child(do_kill);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	   "kill() of another process: killed by SIGSYS (status %d)", st);
	st = in_filtered_child(do_open_unlink);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "openat() and unlink(): EPERM (status %d)", st);
	st = in_filtered_child(do_netlink);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "socket(AF_NETLINK), socket(AF_PACKET), socket(AF_INET6): EPERM "
	   "(status %d)",
	   st);
	return done_testing();
}
