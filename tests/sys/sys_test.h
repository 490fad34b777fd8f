/*
 * Helpers for the sys/ tests on top of tests/unit/tap.h: running checks in
 * a forked child (irreversible things: network namespaces, privilege
 * drops, daemonizing) and reporting them through the parent's TAP stream,
 * with every wait bounded.
 */
#ifndef SHIPWORM_TESTS_SYS_TEST_H
#define SHIPWORM_TESTS_SYS_TEST_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "sys/ev.h"

/* In a child: the pipe its results go to (-1 in the parent). */
static int child_report_fd = -1;

/* In a child: one check, forwarded to the parent as "1 name" / "0 name". */
__attribute__((format(printf, 2, 3))) static inline bool
cok(bool cond, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	line[0] = cond ? '1' : '0';
	line[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(line + 2, sizeof(line) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 4)
		n = (int)sizeof(line) - 4;
	line[2 + n] = '\n';
	if (write(child_report_fd, line, (size_t)n + 3) < 0)
		_exit(3);
	return cond;
}

/* In a child: an integer comparison; name is a plain string. */
#define cis_int(got, want, name)                                              \
	do {                                                                  \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		cok(got_ == want_, "%s (got %lld, want %lld)", name, got_,    \
		    want_);                                                   \
	} while (0)

/*
 * Forks.  Returns 0 in the child (whose cok() lines go to the parent) and
 * the child's pid in the parent, with *rfd the read end of its reports.
 */
static inline pid_t
child_start(int *rfd)
{
	int p[2];
	pid_t pid;

	fflush(NULL);
	if (pipe(p) < 0) {
		perror("pipe");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(p[0]);
		child_report_fd = p[1];
		return 0;
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * Parent: forwards the child's checks to TAP until it closes the pipe or
 * timeout_ms passes (then it is killed), and checks its exit status.
 */
static inline void
child_collect(pid_t pid, int rfd, int timeout_ms, const char *what)
{
	char buf[8192];
	size_t len = 0;
	uint64_t deadline = sys_now_ms() + (uint64_t)timeout_ms;
	bool timed_out = false;
	int status = 0;

	for (;;) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		uint64_t now = sys_now_ms();
		ssize_t n;
		char *nl;

		if (now >= deadline) {
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = read(rfd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			ok(buf[0] == '1', "%s", buf + 2);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a runaway line: drop it */
	}
	close(rfd);
	if (timed_out)
		kill(pid, SIGKILL);
	ok(!timed_out, "%s: finished in time", what);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: child exited cleanly (status %#x)", what, status);
}

/* Runs a shell command and captures up to cap - 1 bytes of its stdout. */
static inline int
run_capture(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	out[0] = '\0';
	if (f == NULL)
		return -1;
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	return pclose(f);
}

__attribute__((noreturn)) static inline void
skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

#endif
