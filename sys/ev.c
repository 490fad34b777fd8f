/*
 * The event loop: epoll + a binary min-heap of timers + signalfd.
 * See ev.h for the contract.
 */
#include "sys/ev.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Events collected per epoll_wait(); more simply wait for the next turn. */
#define EV_BATCH 64

/* Highest fd we index directly; far above any RLIMIT_NOFILE in practice. */
#define EV_FD_MAX (1 << 24)

struct ev_fd_slot {
	ev_fd_cb *cb;
	void *arg;
	uint32_t mask;
	/*
	 * Bumped on every ev_fd_add() and carried in the epoll cookie, so an
	 * event collected for an fd that a callback then deleted (and maybe
	 * re-added for another object) in the same turn is recognised stale.
	 */
	uint32_t gen;
	bool used;
	bool in_epoll; /* mask 0 is kept out of epoll: no HUP busy loop */
};

struct ev_sig_slot {
	ev_signal_cb *cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	int sigfd;
	struct ev_fd_slot *fds;
	size_t fds_cap;
	struct ev_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	uint64_t timer_seq;
	struct ev_sig_slot sigs[_NSIG];
	sigset_t sig_watched;
	sigset_t sig_blocked_by_us;
	ev_hook_cb *before_sleep;
	void *before_sleep_arg;
	uint64_t now_ms;
	bool stop;
};

uint64_t
sys_now_ms(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
ev_nap_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000u,
			      .tv_nsec = (long)(us % 1000000u) * 1000};

	(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

uint64_t
ev_now_ms(const struct ev_loop *loop)
{
	return loop->now_ms;
}

uint64_t
ev_now_update(struct ev_loop *loop)
{
	loop->now_ms = sys_now_ms();
	return loop->now_ms;
}

int
ev_open(struct ev_loop **out)
{
	struct ev_loop *loop;

	*out = NULL;
	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return -ENOMEM;
	loop->sigfd = -1;
	sigemptyset(&loop->sig_watched);
	sigemptyset(&loop->sig_blocked_by_us);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;

		free(loop);
		return err;
	}
	ev_now_update(loop);
	*out = loop;
	return 0;
}

void
ev_close(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->sigfd >= 0) {
		struct signalfd_siginfo si;

		/*
		 * Discard what is pending before unblocking: a SIGTERM the
		 * daemon already decided to exit on must not kill it now.
		 */
		while (read(loop->sigfd, &si, sizeof(si)) == sizeof(si))
			continue;
		(void)close(loop->sigfd);
		(void)sigprocmask(SIG_UNBLOCK, &loop->sig_blocked_by_us, NULL);
	}
	(void)close(loop->epfd);
	free(loop->fds);
	free(loop->heap);
	free(loop);
}

static uint32_t
ev_to_epoll(uint32_t mask)
{
	return ((mask & EV_READ) ? (uint32_t)EPOLLIN : 0u) |
	       ((mask & EV_WRITE) ? (uint32_t)EPOLLOUT : 0u);
}

static int
ev_fd_grow(struct ev_loop *loop, int fd)
{
	size_t want = (size_t)fd + 1, cap = loop->fds_cap;
	struct ev_fd_slot *p;

	if (want <= cap)
		return 0;
	if (cap < 64)
		cap = 64;
	while (cap < want)
		cap *= 2;
	p = realloc(loop->fds, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memset(p + loop->fds_cap, 0, (cap - loop->fds_cap) * sizeof(*p));
	loop->fds = p;
	loop->fds_cap = cap;
	return 0;
}

static int
ev_epoll_sync(struct ev_loop *loop, int fd, struct ev_fd_slot *s, uint32_t mask)
{
	struct epoll_event ee;
	int op;

	memset(&ee, 0, sizeof(ee));
	ee.events = ev_to_epoll(mask);
	ee.data.u64 = (uint64_t)s->gen << 32 | (uint32_t)fd;
	if (mask == 0) {
		if (!s->in_epoll)
			return 0;
		op = EPOLL_CTL_DEL;
	} else {
		op = s->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	}
	if (epoll_ctl(loop->epfd, op, fd, &ee) < 0)
		return -errno;
	s->in_epoll = mask != 0;
	return 0;
}

int
ev_fd_add(struct ev_loop *loop, int fd, uint32_t mask, ev_fd_cb *cb, void *arg)
{
	struct ev_fd_slot *s;
	int err;

	if (fd < 0 || fd >= EV_FD_MAX || (mask & ~(EV_READ | EV_WRITE)) ||
	    cb == NULL)
		return -EINVAL;
	err = ev_fd_grow(loop, fd);
	if (err < 0)
		return err;
	s = &loop->fds[fd];
	if (s->used)
		return -EEXIST;
	s->gen++;
	s->in_epoll = false;
	err = ev_epoll_sync(loop, fd, s, mask);
	if (err < 0)
		return err;
	s->cb = cb;
	s->arg = arg;
	s->mask = mask;
	s->used = true;
	return 0;
}

static struct ev_fd_slot *
ev_fd_slot(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->fds_cap || !loop->fds[fd].used)
		return NULL;
	return &loop->fds[fd];
}

int
ev_fd_mod(struct ev_loop *loop, int fd, uint32_t mask)
{
	struct ev_fd_slot *s = ev_fd_slot(loop, fd);
	int err;

	if (s == NULL)
		return -ENOENT;
	if (mask & ~(EV_READ | EV_WRITE))
		return -EINVAL;
	if (mask == s->mask)
		return 0;
	err = ev_epoll_sync(loop, fd, s, mask);
	if (err < 0)
		return err;
	s->mask = mask;
	return 0;
}

int
ev_fd_del(struct ev_loop *loop, int fd)
{
	struct ev_fd_slot *s = ev_fd_slot(loop, fd);
	int err;

	if (s == NULL)
		return -ENOENT;
	err = ev_epoll_sync(loop, fd, s, 0);
	s->used = false;
	s->cb = NULL;
	s->arg = NULL;
	s->mask = 0;
	/* Forget it either way: a failed DEL means the fd is gone already. */
	s->in_epoll = false;
	return err;
}

/* ---- timers: a binary min-heap ordered by (deadline_ms, seq) ---- */

static bool
ev_timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	if (a->deadline_ms != b->deadline_ms)
		return a->deadline_ms < b->deadline_ms;
	return a->seq < b->seq;
}

static void
ev_heap_set(struct ev_loop *loop, size_t i, struct ev_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void
ev_heap_up(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ev_timer_before(t, loop->heap[parent]))
			break;
		ev_heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	ev_heap_set(loop, i, t);
}

static void
ev_heap_down(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n &&
		    ev_timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!ev_timer_before(loop->heap[child], t))
			break;
		ev_heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	ev_heap_set(loop, i, t);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
	t->heap_index = EV_TIMER_IDLE;
}

int
ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t deadline_ms)
{
	size_t i;

	if (t->cb == NULL)
		return -EINVAL;
	t->deadline_ms = deadline_ms;
	t->seq = loop->timer_seq++;
	if (ev_timer_is_armed(t)) {
		/* The key moved either way; one of the two is a no-op. */
		i = t->heap_index;
		ev_heap_up(loop, i);
		ev_heap_down(loop, t->heap_index);
		return 0;
	}
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct ev_timer **p;

		if (cap > SIZE_MAX / sizeof(*p))
			return -ENOMEM;
		p = realloc(loop->heap, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		loop->heap = p;
		loop->heap_cap = cap;
	}
	i = loop->heap_len++;
	ev_heap_set(loop, i, t);
	ev_heap_up(loop, i);
	return 0;
}

void
ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
	size_t i = t->heap_index;
	struct ev_timer *last;

	if (!ev_timer_is_armed(t))
		return;
	t->heap_index = EV_TIMER_IDLE;
	last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	/* Move the last leaf into the hole and restore the heap order. */
	ev_heap_set(loop, i, last);
	ev_heap_up(loop, i);
	ev_heap_down(loop, last->heap_index);
}

/* ---- signals ---- */

static void
ev_signal_read(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	/* Bounded: at most one pending instance per standard signal. */
	for (int i = 0; i < _NSIG; i++) {
		ssize_t n = read(fd, &si, sizeof(si));

		if (n != (ssize_t)sizeof(si))
			break;
		if (si.ssi_signo < (uint32_t)_NSIG &&
		    loop->sigs[si.ssi_signo].cb != NULL)
			loop->sigs[si.ssi_signo].cb(
				loop, (int)si.ssi_signo,
				loop->sigs[si.ssi_signo].arg);
	}
}

int
ev_signal(struct ev_loop *loop, int signo, ev_signal_cb *cb, void *arg)
{
	sigset_t one, old;
	int fd, err;

	if (signo <= 0 || signo >= _NSIG || signo == SIGKILL ||
	    signo == SIGSTOP || cb == NULL)
		return -EINVAL;
	sigemptyset(&one);
	if (sigaddset(&one, signo) < 0)
		return -EINVAL;
	/* Blocked, the signal queues for the signalfd instead of a handler. */
	if (sigprocmask(SIG_BLOCK, &one, &old) < 0)
		return -errno;
	if (sigismember(&loop->sig_watched, signo)) {
		/* Already in the signalfd's mask: only the callback changes. */
		loop->sigs[signo].cb = cb;
		loop->sigs[signo].arg = arg;
		return 0;
	}
	sigaddset(&loop->sig_watched, signo);
	fd = signalfd(loop->sigfd, &loop->sig_watched,
		      SFD_NONBLOCK | SFD_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	if (err == 0 && loop->sigfd < 0) {
		err = ev_fd_add(loop, fd, EV_READ, ev_signal_read, NULL);
		if (err < 0)
			(void)close(fd);
		else
			loop->sigfd = fd;
	}
	if (err < 0) {
		/* Leave the process as it was. */
		sigdelset(&loop->sig_watched, signo);
		if (!sigismember(&old, signo))
			(void)sigprocmask(SIG_UNBLOCK, &one, NULL);
		return err;
	}
	if (!sigismember(&old, signo))
		sigaddset(&loop->sig_blocked_by_us, signo);
	loop->sigs[signo].cb = cb;
	loop->sigs[signo].arg = arg;
	return 0;
}

/* ---- the loop ---- */

void
ev_set_before_sleep(struct ev_loop *loop, ev_hook_cb *cb, void *arg)
{
	loop->before_sleep = cb;
	loop->before_sleep_arg = arg;
}

void
ev_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

static int
ev_timeout_ms(struct ev_loop *loop)
{
	uint64_t now, deadline;

	if (loop->stop)
		return 0;
	if (loop->heap_len == 0)
		return -1;
	deadline = loop->heap[0]->deadline_ms;
	now = ev_now_update(loop);
	if (deadline <= now)
		return 0;
	if (deadline - now > (uint64_t)INT_MAX)
		return INT_MAX;
	return (int)(deadline - now);
}

static void
ev_dispatch_fds(struct ev_loop *loop, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
		struct ev_fd_slot *s = ev_fd_slot(loop, fd);
		uint32_t got = 0;

		if (s == NULL || s->gen != gen || s->mask == 0)
			continue;
		if (ev[i].events & EPOLLIN)
			got |= EV_READ;
		if (ev[i].events & EPOLLOUT)
			got |= EV_WRITE;
		/* An error or hang-up surfaces through the next read/write. */
		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			got |= EV_READ | EV_WRITE;
		got &= s->mask;
		if (got != 0)
			s->cb(loop, fd, got, s->arg);
	}
}

static void
ev_dispatch_timers(struct ev_loop *loop)
{
	/*
	 * At most as many firings as timers were armed when the phase began:
	 * a callback that re-arms itself in the past cannot starve the loop;
	 * it fires again next turn (which then does not sleep).
	 */
	size_t budget = loop->heap_len;

	while (budget-- > 0 && loop->heap_len > 0) {
		struct ev_timer *t = loop->heap[0];

		if (t->deadline_ms > loop->now_ms)
			break;
		ev_timer_cancel(loop, t);
		t->cb(loop, t, t->arg);
	}
}

int
ev_run(struct ev_loop *loop)
{
	struct epoll_event ev[EV_BATCH];

	loop->stop = false;
	while (!loop->stop) {
		int n;

		if (loop->before_sleep != NULL)
			loop->before_sleep(loop, loop->before_sleep_arg);
		n = epoll_wait(loop->epfd, ev, (int)ARRAY_SIZE(ev),
			       ev_timeout_ms(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ev_now_update(loop);
		ev_dispatch_fds(loop, ev, n);
		ev_dispatch_timers(loop);
	}
	return 0;
}
