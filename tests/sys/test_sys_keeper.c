/*
 * sys/proc's proc_keeper_start(), the start of sys/upnpkeep's and
 * sys/portlease's keepers: a keeper that reports at once hands over its
 * result and both ends, is no child of ours, and ends (EOF on report) when
 * hold is closed; a keeper that reports in two pieces, or late under a
 * storm of signals, is still heard; a silent keeper gives -ETIMEDOUT no
 * sooner than the bound, nothing leaked, and ends with hold; a keeper that
 * dies without a word gives -ETIMEDOUT at once.  Every keeper here waits
 * at most 20 s for its hold.
 */
#include "sys_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "sys/fd.h"
#include "sys/proc.h"

#define MAGIC 0x6b656570u

enum mode { PROMPT, TWO_PIECES, LATE, SILENT, DIES };

struct spec {
	enum mode mode;
	int side; /* the write end of a pipe: the keeper's pid, then EOF */
};

struct out {
	uint32_t magic;
	int32_t pid;
	char pad[100];
};

static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
nap_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
keeper(const void *arg, int hold, int report)
{
	const struct spec *s = arg;
	struct out o = {.magic = MAGIC, .pid = (int32_t)getpid()};
	struct pollfd p = {.fd = hold, .events = POLLIN};
	int32_t pid = (int32_t)getpid();

	if (s->side >= 0 && write(s->side, &pid, sizeof(pid)) < 0)
		_exit(2);
	switch (s->mode) {
	case PROMPT:
		if (write(report, &o, sizeof(o)) != (ssize_t)sizeof(o))
			_exit(2);
		break;
	case TWO_PIECES:
		if (write(report, &o, 10) != 10)
			_exit(2);
		nap_ms(50);
		if (write(report, (char *)&o + 10, sizeof(o) - 10) !=
		    (ssize_t)(sizeof(o) - 10))
			_exit(2);
		break;
	case LATE:
		nap_ms(300);
		if (write(report, &o, sizeof(o)) != (ssize_t)sizeof(o))
			_exit(2);
		break;
	case SILENT:
		break;
	case DIES:
		_exit(3);
	}
	/* Until the caller's hold is gone (bounded). */
	for (int i = 0; i < 200 && poll(&p, 1, 100) == 0; i++)
		;
	_exit(0);
}

/* Waits at most 5 s for EOF on fd: 1 EOF, 0 not. */
static int
eof_within(int fd)
{
	char c;
	size_t n;

	return fd_wait(fd, POLLIN, 5000) > 0 && fd_read(fd, &c, 1, &n) == 0 &&
	       n == 0;
}

static void
test_prompt(enum mode mode, const char *name)
{
	struct spec s = {.mode = mode, .side = -1};
	struct out o;
	int before = fd_count(), hold = -7, report = -7, rc;

	rc = proc_keeper_start(keeper, &s, 5000, &o, sizeof(o), &hold, &report);
	is_int(rc, 0, "%s: result received", name);
	ok(o.magic == MAGIC && o.pid > 0, "%s: the keeper's bytes", name);
	ok(hold >= 0 && report >= 0, "%s: hold and report kept", name);
	is_int(fd_count(), before + 2, "%s: just those two fds are new", name);
	if (rc != 0)
		return;
	ok(fcntl(hold, F_GETFD) == FD_CLOEXEC &&
		   fcntl(report, F_GETFD) == FD_CLOEXEC,
	   "%s: both close-on-exec", name);
	ok(waitpid(o.pid, NULL, WNOHANG) < 0 && errno == ECHILD,
	   "%s: the keeper is no child of ours (double fork)", name);
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	   "%s: no child left to reap", name);
	is_int(fd_wait(report, POLLIN, 100), 0,
	       "%s: the keeper lives while hold is open", name);
	fd_close(hold);
	ok(eof_within(report), "%s: closing hold ends the keeper (EOF)", name);
	fd_close(report);
	is_int(fd_count(), before, "%s: fds back as before", name);
}

static void
on_alarm(int signo)
{
	(void)signo;
}

/* A signal every 20 ms (no SA_RESTART) for the next call; off after. */
static void
signal_storm(bool on)
{
	struct sigaction sa = {.sa_handler = on ? on_alarm : SIG_DFL};
	struct itimerval it = {.it_interval = {0, on ? 20000 : 0},
			       .it_value = {0, on ? 20000 : 0}};

	sigemptyset(&sa.sa_mask);
	(void)setitimer(ITIMER_REAL, &it, NULL);
	if (on)
		(void)sigaction(SIGALRM, &sa, NULL);
	else
		(void)signal(SIGALRM, SIG_IGN);
}

static void
test_late_under_signals(void)
{
	struct spec s = {.mode = LATE, .side = -1};
	struct out o;
	int hold, report, rc;

	signal_storm(true);
	rc = proc_keeper_start(keeper, &s, 5000, &o, sizeof(o), &hold, &report);
	signal_storm(false);
	is_int(rc, 0, "late keeper under signals: result received");
	ok(o.magic == MAGIC, "late keeper under signals: the keeper's bytes");
	if (rc != 0)
		return;
	fd_close(hold);
	ok(eof_within(report), "late keeper: closing hold ends it");
	fd_close(report);
}

/* SILENT or DIES: -ETIMEDOUT, res zeroed, nothing leaked, keeper gone. */
static void
test_no_report(enum mode mode, int wait_ms, bool storm, const char *name)
{
	struct spec s = {.mode = mode};
	struct out o, zero = {0};
	int side[2], before, hold = -7, report = -7, rc;
	int32_t pid = 0;
	uint64_t t0, took;
	size_t n;

	if (fd_pipe(side) < 0) {
		ok(false, "%s: pipe", name);
		return;
	}
	s.side = side[1];
	memset(&o, 0xa5, sizeof(o));
	before = fd_count();
	t0 = sys_now_ms();
	if (storm)
		signal_storm(true);
	rc = proc_keeper_start(keeper, &s, wait_ms, &o, sizeof(o), &hold,
			       &report);
	if (storm)
		signal_storm(false);
	took = sys_now_ms() - t0;
	is_int(rc, -ETIMEDOUT, "%s: -ETIMEDOUT", name);
	ok(hold == -1 && report == -1, "%s: hold and report -1", name);
	is_int(fd_count(), before, "%s: no fd leaked", name);
	ok(memcmp(&o, &zero, sizeof(o)) == 0, "%s: res zeroed", name);
	if (mode == SILENT)
		ok(took >= (uint64_t)wait_ms,
		   "%s: waited the whole %d ms (took %llu)", name, wait_ms,
		   (unsigned long long)took);
	else
		ok(took < (uint64_t)wait_ms,
		   "%s: did not wait for the bound of %d ms (took %llu)", name,
		   wait_ms, (unsigned long long)took);
	fd_close(side[1]);
	ok(fd_read(side[0], &pid, sizeof(pid), &n) == 0 && n == sizeof(pid),
	   "%s: the keeper ran", name);
	ok(eof_within(side[0]), "%s: the keeper has ended", name);
	fd_close(side[0]);
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	   "%s: no child left to reap", name);
}

int
main(void)
{
	test_prompt(PROMPT, "prompt keeper");
	test_prompt(TWO_PIECES, "keeper writing in two pieces");
	test_late_under_signals();
	test_no_report(SILENT, 300, false, "silent keeper");
	test_no_report(SILENT, 300, true, "silent keeper under signals");
	test_no_report(DIES, 10000, false, "keeper dying silent");
	return done_testing();
}
