/*
 * sys/ev: timers fire in deadline order (with cancel and re-arm), the heap
 * keeps order under load, signals arrive through signalfd, fd readiness
 * and hang-up are reported, stale events are not delivered.  Deadlines
 * are short and real, but only the order is asserted, never the timing.
 */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "sys_test.h"
#include "sys/ev.h"

/* A bound on every ev_run(): if reached, the test failed. */
#define GUARD_MS 5000

struct order {
	int fired[16];
	size_t n;
	int stop_after;
	bool guard_hit;
};

static void
guard_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct order *o = arg;

	(void)t;
	o->guard_hit = true;
	ev_stop(loop);
}

struct tagged {
	struct ev_timer t;
	int tag;
	struct order *o;
};

static void
record_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct tagged *x = arg;

	(void)t;
	if (x->o->n < ARRAY_SIZE(x->o->fired))
		x->o->fired[x->o->n++] = x->tag;
	if ((int)x->o->n == x->o->stop_after)
		ev_stop(loop);
}

static void
run_guarded(struct ev_loop *loop, struct order *o)
{
	struct ev_timer guard;

	ev_timer_init(&guard, guard_cb, o);
	if (ev_timer_arm(loop, &guard, ev_now_update(loop) + GUARD_MS) < 0)
		abort();
	is_int(ev_run(loop), 0, "ev_run returns 0 after ev_stop");
	ev_timer_cancel(loop, &guard);
}

static void
test_timer_order(struct ev_loop *loop)
{
	/* Deadlines (ms from now) and what the test does to each. */
	static const int delay[] = {30, 10, 20, 40, 50, 25};
	struct tagged x[ARRAY_SIZE(delay)];
	struct order o = {.stop_after = 5};
	uint64_t now = ev_now_update(loop);
	bool armed = true;

	for (size_t i = 0; i < ARRAY_SIZE(delay); i++) {
		x[i].tag = delay[i];
		x[i].o = &o;
		ev_timer_init(&x[i].t, record_cb, &x[i]);
		armed &= ev_timer_arm(loop, &x[i].t,
				      now + (uint64_t)delay[i]) == 0;
	}
	ok(armed, "six timers armed");
	ev_timer_cancel(loop, &x[3].t); /* 40: cancelled */
	ev_timer_cancel(loop, &x[3].t); /* cancelling twice is a no-op */
	ok(!ev_timer_is_armed(&x[3].t), "cancelled timer is idle");
	/* 10 moves after 30: re-arming an armed timer. */
	is_int(ev_timer_arm(loop, &x[1].t, now + 35), 0, "re-arm 10 -> 35");
	/* 25 moves before 20. */
	is_int(ev_timer_arm(loop, &x[5].t, now + 15), 0, "re-arm 25 -> 15");
	run_guarded(loop, &o);
	ok(!o.guard_hit, "timers fired before the guard");
	is_int(o.n, 5, "five timers fired");
	ok(o.n == 5 && o.fired[0] == 25 && o.fired[1] == 20 &&
		   o.fired[2] == 30 && o.fired[3] == 10 && o.fired[4] == 50,
	   "fired in deadline order: 25(15) 20 30 10(35) 50");
	for (size_t i = 0; i < ARRAY_SIZE(delay); i++)
		ok(!ev_timer_is_armed(&x[i].t), "timer %zu idle after firing",
		   i);
}

static void
test_timer_fifo(struct ev_loop *loop)
{
	struct tagged x[4];
	struct order o = {.stop_after = 4};
	uint64_t when = ev_now_update(loop) + 5;
	bool armed = true;

	/* Equal deadlines fire in arming order. */
	for (size_t i = 0; i < ARRAY_SIZE(x); i++) {
		x[i].tag = (int)i;
		x[i].o = &o;
		ev_timer_init(&x[i].t, record_cb, &x[i]);
		armed &= ev_timer_arm(loop, &x[i].t, when) == 0;
	}
	ok(armed, "four timers with one deadline");
	run_guarded(loop, &o);
	ok(o.n == 4 && o.fired[0] == 0 && o.fired[1] == 1 && o.fired[2] == 2 &&
		   o.fired[3] == 3,
	   "equal deadlines fire first-armed first");
}

struct periodic {
	struct ev_timer t;
	int count;
};

static void
periodic_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct periodic *p = arg;

	if (++p->count == 3) {
		ev_stop(loop);
		return;
	}
	/* Re-arming itself from its own callback, in the past even. */
	if (ev_timer_arm(loop, t, ev_now_ms(loop) - 1) < 0)
		abort();
}

static void
test_timer_rearm_self(struct ev_loop *loop)
{
	struct periodic p = {.count = 0};
	struct order o = {0};

	ev_timer_init(&p.t, periodic_cb, &p);
	is_int(ev_timer_arm(loop, &p.t, ev_now_update(loop)), 0, "arm now");
	run_guarded(loop, &o);
	is_int(p.count, 3, "a self re-arming timer fired three times");
	ok(!o.guard_hit, "without starving the loop");
}

/* Sorted-order check of the heap with many timers, all already due. */
struct many {
	struct ev_timer t;
	uint64_t key;
};

static uint64_t last_key;
static size_t fired_many;
static bool many_sorted = true;

static void
many_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct many *m = arg;

	(void)loop;
	(void)t;
	if (m->key < last_key)
		many_sorted = false;
	last_key = m->key;
	fired_many++;
}

static void
stop_when_idle(struct ev_loop *loop, void *arg)
{
	size_t *turns = arg;

	/* Second sleep: the first turn has dispatched everything due. */
	if (++*turns == 2)
		ev_stop(loop);
}

static void
test_heap_many(struct ev_loop *loop)
{
	enum { N = 2000 };
	static struct many m[N];
	uint32_t seed = 12345;
	size_t turns = 0, armed_ok = 0, arms = N, live = 0;

	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		m[i].key = (seed >> 8) % 997u; /* many equal keys too */
		ev_timer_init(&m[i].t, many_cb, &m[i]);
		/* Deadlines far in the past: all due on the first turn. */
		armed_ok += ev_timer_arm(loop, &m[i].t, m[i].key) == 0;
	}
	/* Cancel every third, move every fifth. */
	for (size_t i = 0; i < N; i++) {
		if (i % 3 == 0) {
			ev_timer_cancel(loop, &m[i].t);
		} else if (i % 5 == 0) {
			m[i].key = (m[i].key * 7u) % 997u;
			armed_ok += ev_timer_arm(loop, &m[i].t, m[i].key) == 0;
			arms++;
		}
		if (i % 3 != 0)
			live++;
	}
	is_int(armed_ok, arms, "all arms succeeded");
	ev_set_before_sleep(loop, stop_when_idle, &turns);
	is_int(ev_run(loop), 0, "ev_run");
	ev_set_before_sleep(loop, NULL, NULL);
	is_int(fired_many, live, "every live timer fired once");
	ok(many_sorted, "in non-decreasing deadline order");
}

/* ---- signals ---- */

struct sigs {
	int got[4];
	size_t n;
};

static void
sig_cb(struct ev_loop *loop, int signo, void *arg)
{
	struct sigs *s = arg;

	if (s->n < ARRAY_SIZE(s->got))
		s->got[s->n++] = signo;
	if (signo == SIGTERM)
		ev_stop(loop);
}

static void
test_signals(struct ev_loop *loop)
{
	struct sigs s = {.n = 0};
	struct order o = {0};
	bool hup = false, usr1 = false;

	is_int(ev_signal(loop, SIGHUP, sig_cb, &s), 0, "watch SIGHUP");
	is_int(ev_signal(loop, SIGUSR1, sig_cb, &s), 0, "watch SIGUSR1");
	is_int(ev_signal(loop, SIGTERM, sig_cb, &s), 0, "watch SIGTERM");
	is_int(ev_signal(loop, SIGKILL, sig_cb, &s), -EINVAL,
	       "SIGKILL cannot be watched");
	is_int(ev_signal(loop, 0, sig_cb, &s), -EINVAL, "signal 0 refused");
	/* Blocked now, so raise() leaves them pending for the signalfd. */
	raise(SIGHUP);
	raise(SIGUSR1);
	raise(SIGTERM);
	run_guarded(loop, &o);
	ok(!o.guard_hit, "signals delivered before the guard");
	is_int(s.n, 3, "three signals delivered");
	for (size_t i = 0; i < s.n; i++) {
		hup |= s.got[i] == SIGHUP;
		usr1 |= s.got[i] == SIGUSR1;
	}
	ok(hup && usr1, "SIGHUP and SIGUSR1 reached their callback");
	/* Pending at close: discarded, not delivered with SIGTERM's default. */
	raise(SIGTERM);
}

/* ---- file descriptors ---- */

struct pipe_state {
	int rd, wr;
	char got[16];
	size_t len;
	int write_events;
	int calls;
	bool eof;
};

static void
pipe_read_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct pipe_state *p = arg;
	ssize_t n;

	p->calls++;
	if (!(events & EV_READ))
		return;
	n = read(fd, p->got + p->len, sizeof(p->got) - p->len);
	if (n > 0)
		p->len += (size_t)n;
	if (n == 0)
		p->eof = true;
	ev_stop(loop);
}

static void
pipe_write_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct pipe_state *p = arg;

	(void)fd;
	if (events & EV_WRITE)
		p->write_events++;
	ev_stop(loop);
}

static void
writer_timer_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct pipe_state *p = arg;

	(void)loop;
	(void)t;
	if (write(p->wr, "ping", 4) != 4)
		abort();
}

static void
test_fds(struct ev_loop *loop)
{
	struct pipe_state p = {.len = 0};
	struct ev_timer w;
	struct order o = {0};
	int fds[2];

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
	p.rd = fds[0];
	p.wr = fds[1];
	is_int(ev_fd_add(loop, p.rd, EV_READ, pipe_read_cb, &p), 0,
	       "watch pipe read end");
	is_int(ev_fd_add(loop, p.rd, EV_READ, pipe_read_cb, &p), -EEXIST,
	       "watching twice is -EEXIST");
	is_int(ev_fd_add(loop, -1, EV_READ, pipe_read_cb, &p), -EINVAL,
	       "negative fd is -EINVAL");
	is_int(ev_fd_mod(loop, p.wr, EV_READ), -ENOENT,
	       "modifying an unwatched fd is -ENOENT");
	/* The write happens from a timer, after the loop went to sleep. */
	ev_timer_init(&w, writer_timer_cb, &p);
	is_int(ev_timer_arm(loop, &w, ev_now_update(loop) + 10), 0,
	       "arm writer");
	run_guarded(loop, &o);
	ok(!o.guard_hit && p.len == 4 && memcmp(p.got, "ping", 4) == 0,
	   "read end became readable with the timer's bytes");

	/* EV_WRITE on the write end is immediate. */
	is_int(ev_fd_add(loop, p.wr, EV_WRITE, pipe_write_cb, &p), 0,
	       "watch write end");
	run_guarded(loop, &o);
	is_int(p.write_events, 1, "write end writable");
	/* Mask 0: registered but silent (and out of epoll). */
	is_int(ev_fd_mod(loop, p.wr, 0), 0, "silence write end");

	/* Closing the write end: hang-up reaches the reader as EOF. */
	is_int(ev_fd_del(loop, p.wr), 0, "unwatch write end");
	is_int(ev_fd_del(loop, p.wr), -ENOENT, "unwatching twice is -ENOENT");
	close(p.wr);
	run_guarded(loop, &o);
	ok(!o.guard_hit && p.eof, "hang-up delivered as readable EOF");
	is_int(ev_fd_del(loop, p.rd), 0, "unwatch read end");
	close(p.rd);
}

/* Two readable pipes; whichever callback runs first deletes the other. */
struct pair {
	int rd[2];
	int calls;
};

static void
pair_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct pair *p = arg;
	int other = fd == p->rd[0] ? p->rd[1] : p->rd[0];

	(void)events;
	p->calls++;
	if (ev_fd_del(loop, other) < 0)
		abort();
	if (ev_fd_del(loop, fd) < 0)
		abort();
}

static void
count_turns(struct ev_loop *loop, void *arg)
{
	size_t *turns = arg;

	/* Turn 2 would sleep forever: nothing else is watched. */
	if (++*turns == 2)
		ev_stop(loop);
}

static void
test_stale_event(struct ev_loop *loop)
{
	struct pair p = {.calls = 0};
	int a[2], b[2];
	size_t turns = 0;

	if (pipe2(a, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    pipe2(b, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
	if (write(a[1], "x", 1) != 1 || write(b[1], "y", 1) != 1)
		abort();
	p.rd[0] = a[0];
	p.rd[1] = b[0];
	is_int(ev_fd_add(loop, a[0], EV_READ, pair_cb, &p), 0, "watch a");
	is_int(ev_fd_add(loop, b[0], EV_READ, pair_cb, &p), 0, "watch b");
	ev_set_before_sleep(loop, count_turns, &turns);
	is_int(ev_run(loop), 0, "ev_run");
	ev_set_before_sleep(loop, NULL, NULL);
	is_int(p.calls, 1, "an fd deleted during the turn gets no event");
	is_int(turns, 2, "before_sleep ran before each turn");
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

int
main(void)
{
	struct ev_loop *loop;
	uint64_t t0, t1;

	t0 = sys_now_ms();
	t1 = sys_now_ms();
	ok(t1 >= t0, "sys_now_ms is monotonic");
	is_int(ev_open(&loop), 0, "ev_open");
	ok(ev_now_ms(loop) >= t0, "ev_now_ms starts at the current time");
	test_timer_order(loop);
	test_timer_fifo(loop);
	test_timer_rearm_self(loop);
	test_heap_many(loop);
	test_fds(loop);
	test_stale_event(loop);
	test_signals(loop);
	ev_close(loop);
	ok(true, "still alive after ev_close with a SIGTERM pending");
	return done_testing();
}
