/*
 * lib/assist/desktop: the desktop capability's transitions, driven by the
 * real session engine (issue 13 point 6): the VNC server starts view-only
 * when the User accepts, follows grant / revoke / release / deny at the
 * event, stops when the session ends, and is never reachable before the
 * User accepted or after the end.
 */
#include "tap.h"

#include "assist/desktop.h"

#include <string.h>

#define is_str(got, want, ...)                                       \
	do {                                                         \
		const char *g_ = (got), *w_ = (want);                \
		if (!ok(strcmp(g_, w_) == 0, __VA_ARGS__))           \
			printf("#   got '%s', want '%s'\n", g_, w_); \
	} while (0)

static const uint8_t helper_src[4] = {192, 0, 2, 1};

/* The actions now queued, as letters: S start, V view-only, C control,
 * X stop. */
static const char *
acts(struct assist_desktop *d)
{
	static char buf[ASSIST_DESKTOP_ACTION_MAX + 1];
	enum assist_desktop_do a;
	size_t n = 0;

	while (assist_desktop_next(d, &a))
		buf[n++] = "SVCX"[a];
	buf[n] = '\0';
	return buf;
}

static void
drain_session(struct assist_session *s)
{
	struct assist_action a;

	while (assist_session_next(s, &a))
		;
}

/* One event of the session, then the desktop follows it. */
static const char *
step(struct assist_session *s, struct assist_desktop *d)
{
	drain_session(s);
	assist_desktop_follow(d, s->state);
	return acts(d);
}

static void
logged_in(struct assist_session *s, struct assist_desktop *d, unsigned *conn,
	  unsigned *shell)
{
	struct assist_session_cfg c = ASSIST_SESSION_CFG_DEFAULT;

	c.expires_ms = 3600000;
	assist_session_init(s, &c, 0);
	assist_desktop_init(d, true);
	if (assist_session_accept(s, helper_src, 4, 0, conn))
		ok(0, "accept");
	assist_session_spoke(s, *conn, 1);
	if (assist_session_password(s, *conn, true, 2) ||
	    assist_session_chan_open(s, shell) ||
	    assist_session_chan_kind(s, *shell, ASSIST_CHAN_SHELL, 3))
		ok(0, "login + shell");
}

static void
test_life(void)
{
	struct assist_session s;
	struct assist_desktop d;
	unsigned conn, shell, req;

	logged_in(&s, &d, &conn, &shell);
	is_int(d.state, ASSIST_DESKTOP_READY, "offered: ready, not running");
	is_str(step(&s, &d), "", "awaiting consent: nothing starts");
	ok(!assist_desktop_may_connect(&d),
	   "awaiting consent: the Helper cannot reach the server");
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 4), 0, "accept");
	is_str(step(&s, &d), "S", "accepted: the server starts");
	is_int(d.state, ASSIST_DESKTOP_VIEW_ONLY, "ready -> view only");
	ok(assist_desktop_may_connect(&d), "viewing: the Helper may connect");
	ok(!assist_desktop_may_input(&d), "viewing: no input");
	is_str(step(&s, &d), "", "nothing new: no action");

	if (assist_session_chan_open(&s, &req) ||
	    assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 5))
		ok(0, "control request");
	is_str(step(&s, &d), "", "a control request alone changes nothing");
	ok(!assist_desktop_may_input(&d), "asked, not granted: no input");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 6), 0, "grant");
	is_str(step(&s, &d), "C", "granted: control");
	is_int(d.state, ASSIST_DESKTOP_CONTROL, "view only -> control");
	ok(assist_desktop_may_input(&d), "control: input");

	ok(!assist_desktop_hold(&d), "granted, not yet applied: no hold");
	assist_desktop_applied(&d, true);
	ok(!assist_desktop_hold(&d), "in control: the Helper's bytes flow");
	is_int(assist_session_user(&s, ASSIST_USER_REVOKE, 7), 0, "revoke");
	is_str(step(&s, &d), "V", "revoked (F12, desktop panic): view only");
	ok(!assist_desktop_may_input(&d), "after the revoke: no input");
	ok(assist_desktop_hold(&d),
	   "revoked, the server not yet view-only: the Helper's bytes wait");
	assist_desktop_applied(&d, false);
	ok(!assist_desktop_hold(&d), "the server is view-only: they flow");
	is_int(assist_session_user(&s, ASSIST_USER_REVOKE, 8), 0,
	       "revoke twice");
	is_str(step(&s, &d), "", "revoke twice: nothing more");

	assist_session_chan_closed(&s, req);
	if (assist_session_chan_open(&s, &req) ||
	    assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 9))
		ok(0, "control request 2");
	is_int(assist_session_user(&s, ASSIST_USER_DENY, 10), 0, "deny");
	is_str(step(&s, &d), "", "denied: stays view only");
	ok(!assist_desktop_may_input(&d), "denied: no input");

	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 11), 0,
	       "grant without a request");
	is_str(step(&s, &d), "C", "control again");
	assist_session_chan_closed(&s, req);
	if (assist_session_chan_open(&s, &req) ||
	    assist_session_chan_kind(&s, req, ASSIST_CHAN_RELEASE, 12))
		ok(0, "release");
	is_str(step(&s, &d), "V", "released by the Helper: view only");

	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 13), 0, "grant");
	is_str(step(&s, &d), "C", "control");
	assist_session_closed(&s, conn, 14);
	is_str(step(&s, &d), "X", "the Helper left in control: stop");
	is_int(d.state, ASSIST_DESKTOP_STOPPED, "control -> stopped");
	ok(!assist_desktop_may_connect(&d) && !assist_desktop_may_input(&d),
	   "stopped: unreachable, no input");
	is_str(step(&s, &d), "", "stopped stays stopped");
}

static void
test_refused_and_off(void)
{
	struct assist_session s;
	struct assist_desktop d;
	unsigned conn, shell;

	logged_in(&s, &d, &conn, &shell);
	is_int(assist_session_user(&s, ASSIST_USER_REFUSE, 4), 0, "refuse");
	is_str(step(&s, &d), "", "refused: the server never ran");
	is_int(d.state, ASSIST_DESKTOP_STOPPED, "ready -> stopped");
	ok(!assist_desktop_may_connect(&d), "refused: unreachable");

	logged_in(&s, &d, &conn, &shell);
	assist_desktop_init(&d, false);
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 4), 0, "accept");
	is_str(step(&s, &d), "", "no --desktop: nothing starts");
	ok(!assist_desktop_may_connect(&d), "no --desktop: unreachable");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 5), 0, "grant");
	is_str(step(&s, &d), "", "no --desktop: control changes nothing");
	ok(!assist_desktop_may_input(&d), "no --desktop: no input");

	/* The engine may be told of a grant in the same event as the
	 * accept (the desktop follows only the state it sees). */
	assist_desktop_init(&d, true);
	is_str(step(&s, &d), "SC", "seen first in control: start, control");
	is_int(assist_session_user(&s, ASSIST_USER_END, 6), 0, "end");
	is_str(step(&s, &d), "X", "ended by the User: stop");
}

static void
test_server_exits(void)
{
	struct assist_session s;
	struct assist_desktop d;
	unsigned conn, shell;

	logged_in(&s, &d, &conn, &shell);
	assist_desktop_server_exited(&d);
	is_int(d.state, ASSIST_DESKTOP_READY,
	       "an exit before the start is not a failure");
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 4), 0, "accept");
	is_str(step(&s, &d), "S", "start");
	assist_desktop_applied(&d, true); /* a stray ack */
	assist_desktop_server_exited(&d);
	is_int(d.state, ASSIST_DESKTOP_FAILED, "the server died: failed");
	ok(!assist_desktop_hold(&d), "failed: nothing to hold for");
	ok(!assist_desktop_may_connect(&d), "failed: unreachable");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 5), 0, "grant");
	is_str(step(&s, &d), "", "failed: no restart, no control");
	ok(!assist_desktop_may_input(&d), "failed: no input");
	is_int(assist_session_user(&s, ASSIST_USER_END, 6), 0, "end");
	is_str(step(&s, &d), "", "failed then ended: nothing to stop");
	is_int(d.state, ASSIST_DESKTOP_STOPPED, "failed -> stopped");
	is_str(assist_desktop_state_name(d.state), "stopped", "state name");
}

int
main(void)
{
	test_life();
	test_refused_and_off();
	test_server_exits();
	return done_testing();
}
