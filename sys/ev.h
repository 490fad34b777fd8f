/*
 * A one-thread event loop in the style of Redis' ae and OpenBSD daemons:
 * epoll for file descriptors, a binary min-heap of caller-embedded timers,
 * signalfd for signals, and a before_sleep hook where a daemon flushes the
 * datagrams it batched during the turn.
 *
 * One turn of ev_run():
 *
 *   before_sleep hook -> epoll_wait(timeout = nearest deadline)
 *     -> refresh the cached clock -> fd and signal callbacks
 *     -> timer callbacks whose deadline has passed
 *
 * Ownership: the loop owns its epoll and signalfd descriptors and its
 * tables; it never owns a registered fd (the caller closes it after
 * ev_fd_del) and never owns a timer (struct ev_timer lives inside the
 * caller's object, e.g. a relay's peer entry; the caller must cancel it
 * before freeing that object).  Callbacks may add, modify or delete any fd
 * and arm or cancel any timer, including their own.
 *
 * Not thread-safe: one loop, one thread.
 */
#ifndef SHIPWORM_SYS_EV_H
#define SHIPWORM_SYS_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ev_loop;

/* Interest and readiness bits (a hang-up or error is reported as both). */
#define EV_READ 0x1u
#define EV_WRITE 0x2u

typedef void ev_fd_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg);
struct ev_timer;
typedef void ev_timer_cb(struct ev_loop *loop, struct ev_timer *t, void *arg);
typedef void ev_signal_cb(struct ev_loop *loop, int signo, void *arg);
typedef void ev_hook_cb(struct ev_loop *loop, void *arg);

/*
 * A timer embedded in the caller's object.  Initialise it once with
 * ev_timer_init(); the loop only touches heap_index while it is armed.
 */
struct ev_timer {
	uint64_t deadline_ms; /* on the ev_now_ms() clock */
	ev_timer_cb *cb;
	void *arg;
	uint64_t seq;	   /* arming order: equal deadlines fire FIFO */
	size_t heap_index; /* EV_TIMER_IDLE when not armed */
};

#define EV_TIMER_IDLE SIZE_MAX

/*
 * Creates a loop.  -ENOMEM, or -errno from epoll_create1().  The caller
 * frees it with ev_close().
 */
MUST_CHECK int ev_open(struct ev_loop **out);

/*
 * Closes the loop's own descriptors and frees it; registered fds stay open
 * and armed timers are simply forgotten.  Signals that ev_signal() blocked
 * are unblocked again (a pending one is then delivered with its default
 * action).  NULL is a no-op.
 */
void ev_close(struct ev_loop *loop);

/*
 * Watches fd for the events in mask (EV_READ | EV_WRITE; 0 keeps it
 * registered but silent).  -EEXIST if fd is already watched, -EINVAL for a
 * negative fd or unknown bits, -ENOMEM, or -errno from epoll_ctl().
 */
MUST_CHECK int ev_fd_add(struct ev_loop *loop, int fd, uint32_t mask,
			 ev_fd_cb *cb, void *arg);

/* Changes the interest mask of a watched fd.  -ENOENT if not watched. */
MUST_CHECK int ev_fd_mod(struct ev_loop *loop, int fd, uint32_t mask);

/*
 * Stops watching fd; call it before close(fd).  Events already collected
 * for fd in the current turn are not delivered.  -ENOENT if not watched.
 */
MUST_CHECK int ev_fd_del(struct ev_loop *loop, int fd);

/* Prepares a timer (not armed).  Cannot fail. */
void ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg);

/*
 * Arms t to fire once at deadline_ms (ev_now_ms() clock; a deadline in the
 * past fires on the next turn).  Re-arming an armed timer moves it and
 * never fails; arming an idle one may need to grow the heap: -ENOMEM.
 * -EINVAL if t was never ev_timer_init()ed with a callback.  O(log n).
 */
MUST_CHECK int ev_timer_arm(struct ev_loop *loop, struct ev_timer *t,
			    uint64_t deadline_ms);

/* Disarms t; a no-op when it is idle.  O(log n). */
void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);

static inline bool
ev_timer_is_armed(const struct ev_timer *t)
{
	return t->heap_index != EV_TIMER_IDLE;
}

/*
 * Calls cb when signo is delivered (SIGINT, SIGTERM, SIGHUP, ...).  The
 * signal is blocked for the process and read through a signalfd, so it
 * never interrupts a system call; children forked later inherit the
 * blocked mask and must unblock it before exec.  Registering a signal
 * again replaces its callback.  -EINVAL for SIGKILL, SIGSTOP or an
 * invalid number, or -errno from sigprocmask()/signalfd().
 */
MUST_CHECK int ev_signal(struct ev_loop *loop, int signo, ev_signal_cb *cb,
			 void *arg);

/* Calls cb before every sleep in epoll_wait (NULL removes it). */
void ev_set_before_sleep(struct ev_loop *loop, ev_hook_cb *cb, void *arg);

/*
 * Runs until ev_stop() (returns 0) or until epoll_wait() fails with
 * something other than EINTR (returns -errno).  A stop requested before
 * ev_run() is forgotten: each run starts afresh.
 */
MUST_CHECK int ev_run(struct ev_loop *loop);

/* Makes ev_run() return after the current turn's callbacks. */
void ev_stop(struct ev_loop *loop);

/*
 * CLOCK_MONOTONIC in milliseconds, as read at the start of this turn's
 * dispatch (cheap; every callback of one turn sees the same "now").
 */
uint64_t ev_now_ms(const struct ev_loop *loop);

/* Re-reads the clock into the loop's cache and returns it. */
uint64_t ev_now_update(struct ev_loop *loop);

/* CLOCK_MONOTONIC in milliseconds, read now; for code without a loop. */
uint64_t sys_now_ms(void);

/*
 * Sleeps `us` microseconds (EINTR ends it early: a signal is pending and
 * the loop will see it).  For interrupt-moderation style batching: after a
 * wake-up, let more datagrams arrive before reading them all at once.
 */
void ev_nap_us(unsigned us);

#endif
