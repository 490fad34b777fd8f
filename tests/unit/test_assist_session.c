/*
 * lib/assist/session: every transition of the assist session engine, and
 * the hostile sequences of issue 10 (a stranger guessing passwords, silent
 * connections filling slots, input after a revoke, channels in a loop).
 */
#include "tap.h"

#include "assist/session.h"

static const uint8_t helper_src[4] = {192, 0, 2, 1};
static const uint8_t stranger_src[4] = {198, 51, 100, 7};

static struct assist_session_cfg
cfg(void)
{
	struct assist_session_cfg c = ASSIST_SESSION_CFG_DEFAULT;

	c.expires_ms = 3600000;
	return c;
}

/* Drains the queue; counts actions of kind k (and the last of them). */
static unsigned
drain(struct assist_session *s, enum assist_action_kind k,
      struct assist_action *last)
{
	struct assist_action a;
	unsigned n = 0;

	while (assist_session_next(s, &a))
		if (a.kind == k) {
			n++;
			if (last != NULL)
				*last = a;
		}
	return n;
}

/* Listening -> a logged-in, accepted Helper with a shell (viewing). */
static void
to_viewing(struct assist_session *s, unsigned *conn, unsigned *shell)
{
	struct assist_session_cfg c = cfg();

	assist_session_init(s, &c, 0);
	if (assist_session_accept(s, helper_src, sizeof(helper_src), 0, conn))
		ok(0, "accept");
	assist_session_spoke(s, *conn, 1);
	assist_session_kex_done(s, *conn, 1);
	if (assist_session_password(s, *conn, true, 2))
		ok(0, "login");
	if (assist_session_chan_open(s, shell) ||
	    assist_session_chan_kind(s, *shell, ASSIST_CHAN_SHELL, 3) ||
	    assist_session_user(s, ASSIST_USER_ACCEPT, 4))
		ok(0, "shell + accept");
	drain(s, ASSIST_DO_END, NULL);
}

static void
test_happy_path(void)
{
	struct assist_session s;
	struct assist_session_cfg c = cfg();
	struct assist_action a;
	unsigned conn, shell, req;

	assist_session_init(&s, &c, 0);
	is_int(s.state, ASSIST_LISTENING, "starts listening");
	ok(!assist_session_next(&s, &a), "no action at start");
	is_int(assist_session_accept(&s, helper_src, 4, 10, &conn), 0,
	       "a connection takes a slot");
	is_int(s.state, ASSIST_AUTHENTICATING, "listening -> authenticating");
	is_int(assist_session_chan_open(&s, &shell), -EPERM,
	       "no channel before the login");
	assist_session_spoke(&s, conn, 20);
	is_int(assist_session_password(&s, conn, true, 30), 0,
	       "the right password logs in");
	is_int(s.state, ASSIST_AWAITING_CONSENT,
	       "authenticating -> awaiting consent");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_CLOSE_LISTENERS,
	   "the listeners close at the login");
	is_int(assist_session_chan_open(&s, &shell), 0, "a channel opens");
	is_int(assist_session_chan_kind(&s, shell, ASSIST_CHAN_CHAT, 40),
	       -EPERM, "no chat before the User accepts");
	is_int(assist_session_chan_kind(&s, shell, ASSIST_CHAN_SHELL, 40), 0,
	       "a shell");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_ASK_CONSENT,
	   "the shell asks the User's consent");
	ok(!assist_session_may_type(&s), "no typing while awaiting consent");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 50), -ENOENT,
	       "no grant before the consent");
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 50), 0, "accept");
	is_int(s.state, ASSIST_VIEWING, "awaiting consent -> viewing");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_START_VIEW,
	   "accepting starts the view");
	ok(!assist_session_may_type(&s), "no typing while viewing");
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 50), -ENOENT,
	       "accept twice: nothing to decide");

	is_int(assist_session_chan_open(&s, &req), 0, "a second channel");
	is_int(assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 60), 0,
	       "a control request");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_ASK_CONTROL,
	   "asks the User");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 70), 0, "grant");
	is_int(s.state, ASSIST_IN_CONTROL, "viewing -> in control");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_WRITABLE,
	   "the Helper's input opens");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_CONTROL_REPLY &&
		   a.chan == req && a.ok,
	   "the request is answered: granted");
	ok(assist_session_may_type(&s), "typing in control");

	is_int(assist_session_user(&s, ASSIST_USER_REVOKE, 80), 0, "revoke");
	is_int(s.state, ASSIST_VIEWING, "in control -> viewing (revoke)");
	ok(!assist_session_may_type(&s),
	   "after the revoke no input reaches the terminal");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_READONLY,
	   "revoke says read-only");
	is_int(assist_session_user(&s, ASSIST_USER_REVOKE, 81), 0,
	       "revoke again: fine (F12 twice)");
	is_int(drain(&s, ASSIST_DO_READONLY, NULL), 1,
	       "and re-asserts read-only");

	is_int(assist_session_user(&s, ASSIST_USER_END, 90), 0, "end");
	is_int(s.state, ASSIST_ENDED, "viewing -> ended");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_END &&
		   strcmp(a.why, "ended by the User") == 0,
	   "END: ended by the User");
	is_int(assist_session_chan_open(&s, &req), -EPERM,
	       "no channel after the end");
	is_int(assist_session_user(&s, ASSIST_USER_ACCEPT, 91), -ENOENT,
	       "nothing to accept after the end");
}

static void
test_refuse_and_timeouts(void)
{
	struct assist_session s;
	struct assist_session_cfg c = cfg();
	struct assist_action a;
	unsigned conn, shell, req;

	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, helper_src, 4, 0, &conn);
	(void)!assist_session_password(&s, conn, true, 0);
	(void)!assist_session_chan_open(&s, &shell);
	(void)!assist_session_chan_kind(&s, shell, ASSIST_CHAN_SHELL, 0);
	is_int(assist_session_user(&s, ASSIST_USER_REFUSE, 5), 0, "refuse");
	is_int(s.state, ASSIST_ENDED, "awaiting consent -> ended (refused)");
	is_int(drain(&s, ASSIST_DO_END, &a), 1, "one END");
	ok(strcmp(a.why, "declined by the User") == 0, "declined by the User");

	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, helper_src, 4, 0, &conn);
	(void)!assist_session_password(&s, conn, true, 0);
	(void)!assist_session_chan_open(&s, &shell);
	(void)!assist_session_chan_kind(&s, shell, ASSIST_CHAN_SHELL, 1000);
	ok(assist_session_tick(&s, 1000) == 1000 + c.prompt_ms,
	   "the next deadline is the prompt's");
	(void)assist_session_tick(&s, 1000 + c.prompt_ms);
	is_int(s.state, ASSIST_ENDED, "no answer to the consent: ended");

	to_viewing(&s, &conn, &shell);
	(void)!assist_session_chan_open(&s, &req);
	(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 10);
	(void)assist_session_tick(&s, 10 + c.prompt_ms);
	is_int(s.state, ASSIST_VIEWING, "no answer to control: still viewing");
	drain(&s, ASSIST_DO_CONTROL_REPLY, &a);
	ok(a.kind == ASSIST_DO_CONTROL_REPLY && !a.ok && a.chan == req,
	   "and the request is refused");

	/* Deny; a second request while one is open: "not now". */
	(void)!assist_session_chan_open(&s, &req);
	(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 20);
	drain(&s, ASSIST_DO_END, NULL);
	{
		unsigned req2;

		(void)!assist_session_chan_open(&s, &req2);
		(void)!assist_session_chan_kind(&s, req2, ASSIST_CHAN_CONTROL,
						21);
		ok(drain(&s, ASSIST_DO_CONTROL_REPLY, &a) == 1 && !a.ok &&
			   a.chan == req2,
		   "a second request while one waits: not now");
	}
	is_int(assist_session_user(&s, ASSIST_USER_DENY, 22), 0, "deny");
	ok(drain(&s, ASSIST_DO_CONTROL_REPLY, &a) == 1 && !a.ok &&
		   a.chan == req,
	   "the request is refused");
	ok(!assist_session_may_type(&s), "denied: no typing");

	/* The Helper gives control back. */
	(void)!assist_session_chan_open(&s, &req);
	(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 30);
	(void)!assist_session_user(&s, ASSIST_USER_GRANT, 31);
	drain(&s, ASSIST_DO_END, NULL);
	(void)!assist_session_chan_open(&s, &req);
	is_int(assist_session_chan_kind(&s, req, ASSIST_CHAN_RELEASE, 32), 0,
	       "release");
	is_int(s.state, ASSIST_VIEWING, "in control -> viewing (release)");
	is_int(drain(&s, ASSIST_DO_READONLY, NULL), 1, "read-only again");

	/* The Helper disconnects. */
	assist_session_closed(&s, conn, 40);
	is_int(s.state, ASSIST_ENDED, "the Helper's connection closed: ended");

	/* The shell exits / the Helper detaches. */
	to_viewing(&s, &conn, &shell);
	assist_session_end(&s, "the Helper left (detached)");
	ok(s.state == ASSIST_ENDED && drain(&s, ASSIST_DO_END, &a) == 1 &&
		   strcmp(a.why, "the Helper left (detached)") == 0,
	   "end with a reason");
}

static void
test_expiry(void)
{
	struct assist_session s;
	struct assist_session_cfg c = cfg();
	struct assist_action a;
	unsigned conn, shell;

	c.expires_ms = 5000;
	assist_session_init(&s, &c, 0);
	ok(assist_session_tick(&s, 0) == 5000, "next deadline: the expiry");
	(void)assist_session_tick(&s, 5000);
	is_int(s.state, ASSIST_ENDED, "listening -> ended at the expiry");
	ok(assist_session_next(&s, &a) && a.kind == ASSIST_DO_CLOSE_LISTENERS,
	   "the listeners close");
	is_int(assist_session_accept(&s, helper_src, 4, 5001, &conn),
	       -ESHUTDOWN, "no connection after the expiry");

	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, helper_src, 4, 4000, &conn);
	assist_session_spoke(&s, conn, 4000);
	is_int(assist_session_password(&s, conn, true, 5000), -ETIME,
	       "a login begun before the expiry fails after it");

	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, helper_src, 4, 0, &conn);
	(void)!assist_session_password(&s, conn, true, 100);
	(void)!assist_session_chan_open(&s, &shell);
	(void)!assist_session_chan_kind(&s, shell, ASSIST_CHAN_SHELL, 100);
	(void)!assist_session_user(&s, ASSIST_USER_ACCEPT, 100);
	(void)assist_session_tick(&s, 6000);
	is_int(s.state, ASSIST_VIEWING,
	       "a session that began goes on past the expiry");
}

/* Issue 10 point 6: three wrong passwords from a stranger. */
static void
test_stranger_guesses(void)
{
	struct assist_session s;
	struct assist_session_cfg c = cfg();
	struct assist_action a;
	unsigned conn, hc;

	assist_session_init(&s, &c, 0);
	for (int i = 0; i < 3; i++) {
		(void)!assist_session_accept(&s, stranger_src, 4, 10, &conn);
		assist_session_spoke(&s, conn, 10);
		is_int(assist_session_password(&s, conn, false, 11),
		       i < 2 ? -EPERM : -EACCES, "stranger's wrong password %d",
		       i + 1);
		if (i < 2)
			assist_session_closed(&s, conn, 12);
	}
	ok(drain(&s, ASSIST_DO_CLOSE_CONN, &a) == 1 && a.conn == conn,
	   "the third closes the stranger's connection");
	is_int(assist_session_accept(&s, stranger_src, 4, 20, &conn), -EACCES,
	       "and the stranger's source is refused from then on");
	ok(s.listening && s.state != ASSIST_ENDED,
	   "the invitation is not locked for everyone");
	is_int(assist_session_accept(&s, helper_src, 4, 30, &hc), 0,
	       "the real Helper from another source connects");
	assist_session_spoke(&s, hc, 31);
	is_int(assist_session_password(&s, hc, false, 32), -EPERM,
	       "a typo of the Helper counts for its own source only");
	is_int(assist_session_password(&s, hc, true, 33), 0,
	       "and the Helper logs in");

	/* Many sources: the table stays bounded; each source still has its
	 * own count. */
	assist_session_init(&s, &c, 0);
	for (unsigned i = 0; i < 3 * ASSIST_SESSION_SOURCE_MAX; i++) {
		uint8_t k[4] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i};

		if (assist_session_accept(&s, k, 4, i, &conn) == 0) {
			assist_session_spoke(&s, conn, i);
			(void)!assist_session_password(&s, conn, false, i);
			assist_session_closed(&s, conn, i);
		}
		drain(&s, ASSIST_DO_END, NULL);
	}
	is_int(assist_session_accept(&s, helper_src, 4, 1000, &hc), 0,
	       "192 guessing sources: the Helper still connects");
	is_int(assist_session_password(&s, hc, true, 1001), 0, "and logs in");
	ok(s.failures == 3 * ASSIST_SESSION_SOURCE_MAX,
	   "every wrong password counted (%u)", s.failures);
}

/* Issue 10 point 6: silent connections cannot fill the slots. */
static void
test_slots(void)
{
	struct assist_session s;
	struct assist_session_cfg c = cfg();
	struct assist_action a;
	unsigned conn, hc, n = 0;

	assist_session_init(&s, &c, 0);
	for (int i = 0; i < 5; i++)
		n += assist_session_accept(&s, stranger_src, 4, 0, &conn) == 0;
	is_int(n, c.preauth_per_source,
	       "one source holds at most %u pre-login slots",
	       c.preauth_per_source);
	for (unsigned i = 0; i < 20; i++) {
		uint8_t k[4] = {203, 0, 113, (uint8_t)i};

		n += assist_session_accept(&s, k, 4, 0, &conn) == 0;
	}
	is_int(n, c.preauth_max, "all %u slots full", c.preauth_max);
	is_int(assist_session_accept(&s, helper_src, 4, 100, &hc), -EBUSY,
	       "full, and nobody held a slot 10 s: the newcomer waits");
	is_int(assist_session_accept(&s, helper_src, 4, c.contested_ms, &hc), 0,
	       "after 10 s the oldest squatter yields its slot");
	ok(drain(&s, ASSIST_DO_CLOSE_CONN, &a) == 1 && a.conn == hc,
	   "the squatter is closed, the Helper takes its slot");
	is_int(s.evicted, 1, "one eviction counted");
	assist_session_spoke(&s, hc, c.contested_ms + 1);
	assist_session_kex_done(&s, hc, c.contested_ms + 1);
	(void)assist_session_tick(&s, c.silent_ms + 1);
	is_int(drain(&s, ASSIST_DO_CLOSE_CONN, NULL), c.preauth_max - 1,
	       "silent connections are closed after %u ms", c.silent_ms);
	is_int(assist_session_password(&s, hc, true, c.silent_ms + 2), 0,
	       "the Helper, who spoke, stays and logs in");

	/* Spoke, then stalled in the key exchange: closed after kex_ms. */
	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, stranger_src, 4, 0, &conn);
	assist_session_spoke(&s, conn, 1);
	is_int(assist_session_tick(&s, 2), c.kex_ms,
	       "next deadline: the key exchange's");
	(void)assist_session_tick(&s, c.kex_ms);
	ok(drain(&s, ASSIST_DO_CLOSE_CONN, &a) == 1 && a.conn == conn &&
		   strcmp(a.why, "no key exchange in time") == 0,
	   "stalled mid key exchange: closed after %u ms", c.kex_ms);

	/* Spoke, never logged in: closed after preauth_ms. */
	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, stranger_src, 4, 0, &conn);
	assist_session_spoke(&s, conn, 1);
	assist_session_kex_done(&s, conn, 1);
	ok(assist_session_tick(&s, 2) == c.preauth_ms,
	   "next deadline: the login's");
	(void)assist_session_tick(&s, c.preauth_ms);
	ok(drain(&s, ASSIST_DO_CLOSE_CONN, &a) == 1 && a.conn == conn,
	   "no login within %u ms: closed", c.preauth_ms);
	is_int(s.state, ASSIST_LISTENING, "authenticating -> listening");

	/* Two at once: the first to log in wins, the other is closed. */
	assist_session_init(&s, &c, 0);
	(void)!assist_session_accept(&s, stranger_src, 4, 0, &conn);
	(void)!assist_session_accept(&s, helper_src, 4, 0, &hc);
	is_int(assist_session_password(&s, hc, true, 5), 0, "one logs in");
	ok(drain(&s, ASSIST_DO_CLOSE_CONN, &a) == 1 && a.conn == conn,
	   "the other is closed");
	is_int(assist_session_accept(&s, helper_src, 4, 6, &conn), -ESHUTDOWN,
	       "one Helper per invitation");
	is_int(assist_session_password(&s, conn, true, 7), -EINVAL,
	       "a closed connection cannot log in");
}

/* Issue 10 point 5: channel slots come back. */
static void
test_channels(void)
{
	struct assist_session s;
	unsigned conn, shell, ch, opened = 0;

	to_viewing(&s, &conn, &shell);
	for (int i = 0; i < 100; i++) {
		if (assist_session_chan_open(&s, &ch) < 0)
			break;
		if (assist_session_chan_kind(&s, ch,
					     i % 2 ? ASSIST_CHAN_CHAT
						   : ASSIST_CHAN_CONTROL,
					     (uint64_t)i) < 0)
			break;
		(void)!assist_session_user(&s, ASSIST_USER_DENY, (uint64_t)i);
		drain(&s, ASSIST_DO_END, NULL);
		assist_session_chan_closed(&s, ch);
		opened++;
	}
	is_int(opened, 100, "100 chat and control channels, one after another");
	is_int(s.chan_count, 1, "only the shell holds a slot after them");
	for (opened = 0; assist_session_chan_open(&s, &ch) == 0; opened++)
		;
	is_int(opened, s.cfg.chan_max - 1,
	       "open at once: bounded (%u), the rest refused", opened);
	is_int(assist_session_chan_kind(&s, shell, ASSIST_CHAN_SHELL, 0),
	       -EPERM, "one shell per session");
}

/* Issue 10 point 1: the revoke holds whatever comes after it. */
static void
test_revoke(void)
{
	struct assist_session s;
	struct assist_action a;
	unsigned conn, shell, req;

	to_viewing(&s, &conn, &shell);
	(void)!assist_session_chan_open(&s, &req);
	(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 1);
	(void)!assist_session_user(&s, ASSIST_USER_GRANT, 2);
	drain(&s, ASSIST_DO_END, NULL);
	ok(assist_session_may_type(&s), "granted");
	(void)!assist_session_user(&s, ASSIST_USER_REVOKE, 3);
	ok(!assist_session_may_type(&s), "revoked: input dropped at once");
	/* The Helper asks again and again: only the User can grant. */
	for (int i = 0; i < 5; i++) {
		assist_session_chan_closed(&s, req);
		(void)!assist_session_chan_open(&s, &req);
		(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL,
						4);
	}
	ok(!assist_session_may_type(&s), "requests alone never grant");
	is_int(drain(&s, ASSIST_DO_WRITABLE, NULL), 0, "never writable");
	ok(s.prompt == ASSIST_PROMPT_CONTROL, "one question open");
	(void)!assist_session_user(&s, ASSIST_USER_REVOKE, 5);
	ok(s.prompt == ASSIST_PROMPT_NONE && !assist_session_may_type(&s),
	   "a revoke also answers the open question: no");
	(void)!assist_session_chan_open(&s, &req);
	(void)!assist_session_chan_kind(&s, req, ASSIST_CHAN_CONTROL, 5);
	(void)!assist_session_user(&s, ASSIST_USER_REVOKE, 5);
	ok(drain(&s, ASSIST_DO_CONTROL_REPLY, &a) >= 1 && !a.ok &&
		   a.chan == req,
	   "and tells the waiting request");
	is_int(assist_session_user(&s, ASSIST_USER_GRANT, 6), 0,
	       "a grant without a request is the User's choice");
	ok(assist_session_may_type(&s), "granted again");
	assist_session_closed(&s, conn, 7);
	ok(!assist_session_may_type(&s), "ended: no input");
}

int
main(void)
{
	test_happy_path();
	test_refuse_and_timeouts();
	test_expiry();
	test_stranger_guesses();
	test_slots();
	test_channels();
	test_revoke();
	return done_testing();
}
