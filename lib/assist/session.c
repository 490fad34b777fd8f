/* The assist session engine: see session.h. */
#include "assist/session.h"

#include <string.h>

static void
push(struct assist_session *s, struct assist_action a)
{
	/* Every event queues a handful of actions and the caller drains
	 * them before the next one; the queue holds more than one event can
	 * produce (one CLOSE_CONN per slot plus four). */
	if (s->q_len == ASSIST_SESSION_ACTION_MAX)
		return;
	s->q[(s->q_head + s->q_len) % ASSIST_SESSION_ACTION_MAX] = a;
	s->q_len++;
}

static void
push_kind(struct assist_session *s, enum assist_action_kind kind,
	  const char *why)
{
	push(s, (struct assist_action){.kind = kind, .why = why});
}

bool
assist_session_next(struct assist_session *s, struct assist_action *a)
{
	if (s->q_len == 0)
		return false;
	*a = s->q[s->q_head];
	s->q_head = (s->q_head + 1) % ASSIST_SESSION_ACTION_MAX;
	s->q_len--;
	return true;
}

void
assist_session_init(struct assist_session *s,
		    const struct assist_session_cfg *cfg, uint64_t now_ms)
{
	(void)now_ms;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.preauth_max > ASSIST_SESSION_CONN_MAX)
		s->cfg.preauth_max = ASSIST_SESSION_CONN_MAX;
	if (s->cfg.chan_max > ASSIST_SESSION_CHAN_MAX)
		s->cfg.chan_max = ASSIST_SESSION_CHAN_MAX;
	if (s->cfg.tries_per_source == 0)
		s->cfg.tries_per_source = 1;
	if (s->cfg.preauth_per_source == 0)
		s->cfg.preauth_per_source = 1;
	s->state = ASSIST_LISTENING;
	s->listening = true;
	s->helper = -1;
	s->control_req = -1;
}

const char *
assist_state_name(enum assist_state st)
{
	switch (st) {
	case ASSIST_LISTENING:
		return "listening";
	case ASSIST_AUTHENTICATING:
		return "authenticating";
	case ASSIST_AWAITING_CONSENT:
		return "awaiting consent";
	case ASSIST_VIEWING:
		return "viewing";
	case ASSIST_IN_CONTROL:
		return "in control";
	case ASSIST_ENDED:
		return "ended";
	}
	return "?";
}

static unsigned
preauth_count(const struct assist_session *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ASSIST_SESSION_CONN_MAX; i++)
		n += s->conn[i].used && (int)i != s->helper;
	return n;
}

/* Frees a pre-login slot (the caller closed or will close it). */
static void
conn_free(struct assist_session *s, unsigned i)
{
	struct assist_conn *c = &s->conn[i];

	if (!c->used)
		return;
	if (s->source[c->source].conns > 0)
		s->source[c->source].conns--;
	memset(c, 0, sizeof(*c));
	if (s->state == ASSIST_AUTHENTICATING && preauth_count(s) == 0)
		s->state = ASSIST_LISTENING;
}

static void
conn_close(struct assist_session *s, unsigned i, const char *why)
{
	if (!s->conn[i].used)
		return;
	conn_free(s, i);
	push(s, (struct assist_action){
			.kind = ASSIST_DO_CLOSE_CONN, .conn = i, .why = why});
}

static void
close_listeners(struct assist_session *s, const char *why)
{
	if (!s->listening)
		return;
	s->listening = false;
	push_kind(s, ASSIST_DO_CLOSE_LISTENERS, why);
}

void
assist_session_end(struct assist_session *s, const char *why)
{
	if (s->state == ASSIST_ENDED)
		return;
	s->state = ASSIST_ENDED;
	s->end_reason = why;
	s->prompt = ASSIST_PROMPT_NONE;
	close_listeners(s, why);
	for (unsigned i = 0; i < ASSIST_SESSION_CONN_MAX; i++)
		if ((int)i != s->helper)
			conn_close(s, i, why);
	push_kind(s, ASSIST_DO_END, why);
}

/* The source with this key, made if new; -1 when the table is full of
 * sources that hold a slot (cannot happen: fewer slots than sources). */
static int
source_find(struct assist_session *s, const uint8_t *key, size_t key_len,
	    uint64_t now_ms)
{
	int free_i = -1, lru = -1;

	if (key_len > ASSIST_SESSION_SOURCE_KEY)
		key_len = ASSIST_SESSION_SOURCE_KEY;
	for (unsigned i = 0; i < ASSIST_SESSION_SOURCE_MAX; i++) {
		struct assist_source *src = &s->source[i];

		if (!src->used) {
			if (free_i < 0)
				free_i = (int)i;
			continue;
		}
		if (src->key_len == key_len &&
		    memcmp(src->key, key, key_len) == 0) {
			src->last_ms = now_ms;
			return (int)i;
		}
		/* To reuse when full: idle and innocent first, oldest
		 * first; a guesser's entry only when nothing else is left
		 * (it then starts again from 0, with 128-bit odds). */
		if (src->conns > 0)
			continue;
		if (lru < 0)
			lru = (int)i;
		else {
			const struct assist_source *l = &s->source[lru];
			bool l_bad = l->failures > 0, bad = src->failures > 0;

			if ((!bad && l_bad) ||
			    (bad == l_bad && src->last_ms < l->last_ms))
				lru = (int)i;
		}
	}
	if (free_i < 0)
		free_i = lru;
	if (free_i < 0)
		return -1;
	memset(&s->source[free_i], 0, sizeof(s->source[free_i]));
	s->source[free_i].used = true;
	s->source[free_i].key_len = (uint8_t)key_len;
	memcpy(s->source[free_i].key, key, key_len);
	s->source[free_i].last_ms = now_ms;
	return free_i;
}

int
assist_session_accept(struct assist_session *s, const uint8_t *key,
		      size_t key_len, uint64_t now_ms, unsigned *conn)
{
	struct assist_source *src;
	int si, slot = -1, victim = -1;

	if (!s->listening || s->state == ASSIST_ENDED)
		return -ESHUTDOWN;
	if (s->used) {
		s->refused++;
		return -EBUSY; /* one Helper per invitation */
	}
	si = source_find(s, key, key_len, now_ms);
	if (si < 0) {
		s->refused++;
		return -EBUSY;
	}
	src = &s->source[si];
	if (src->failures >= s->cfg.tries_per_source) {
		s->refused++;
		return -EACCES;
	}
	if (src->conns >= s->cfg.preauth_per_source) {
		s->refused++;
		return -EBUSY;
	}
	for (unsigned i = 0; i < s->cfg.preauth_max; i++) {
		const struct assist_conn *c = &s->conn[i];

		if (!c->used) {
			if (slot < 0)
				slot = (int)i;
			continue;
		}
		if (c->source == (unsigned)si ||
		    now_ms - c->since_ms < s->cfg.contested_ms)
			continue;
		if (victim < 0 || c->since_ms < s->conn[victim].since_ms)
			victim = (int)i;
	}
	if (slot < 0 && victim >= 0) {
		/* Full: the oldest slot held for contested_ms by another
		 * source yields; a squatter cannot keep the Helper out. */
		s->evicted++;
		conn_close(s, (unsigned)victim,
			   "no login in time while another connection waited");
		slot = victim;
	}
	if (slot < 0) {
		s->refused++;
		return -EBUSY;
	}
	s->conn[slot] = (struct assist_conn){
		.used = true, .since_ms = now_ms, .source = (unsigned)si};
	src->conns++;
	if (s->state == ASSIST_LISTENING)
		s->state = ASSIST_AUTHENTICATING;
	*conn = (unsigned)slot;
	return 0;
}

void
assist_session_spoke(struct assist_session *s, unsigned conn, uint64_t now_ms)
{
	(void)now_ms;
	if (conn < ASSIST_SESSION_CONN_MAX && s->conn[conn].used)
		s->conn[conn].spoke = true;
}

void
assist_session_kex_done(struct assist_session *s, unsigned conn,
			uint64_t now_ms)
{
	(void)now_ms;
	if (conn < ASSIST_SESSION_CONN_MAX && s->conn[conn].used)
		s->conn[conn].spoke = s->conn[conn].kex_done = true;
}

int
assist_session_password(struct assist_session *s, unsigned conn, bool right,
			uint64_t now_ms)
{
	struct assist_source *src;

	if (conn >= ASSIST_SESSION_CONN_MAX || !s->conn[conn].used ||
	    (int)conn == s->helper)
		return -EINVAL;
	if (s->used || s->state == ASSIST_ENDED)
		return -EALREADY;
	if (now_ms >= s->cfg.expires_ms)
		return -ETIME; /* a login begun before the expiry, after it */
	src = &s->source[s->conn[conn].source];
	if (right) {
		s->used = true;
		s->helper = (int)conn;
		if (src->conns > 0)
			src->conns--;
		s->state = ASSIST_AWAITING_CONSENT;
		close_listeners(s, "the invitation is used (one Helper per "
				   "invitation)");
		for (unsigned i = 0; i < ASSIST_SESSION_CONN_MAX; i++)
			if (i != conn)
				conn_close(s, i,
					   "another connection logged in");
		return 0;
	}
	s->failures++;
	src->failures++;
	src->last_ms = now_ms;
	if (src->failures >= s->cfg.tries_per_source) {
		conn_close(s, conn,
			   "too many wrong passwords from this source");
		return -EACCES;
	}
	return -EPERM;
}

void
assist_session_closed(struct assist_session *s, unsigned conn, uint64_t now_ms)
{
	(void)now_ms;
	if (conn >= ASSIST_SESSION_CONN_MAX || !s->conn[conn].used)
		return;
	if ((int)conn == s->helper) {
		assist_session_end(s, "the Helper disconnected");
		return;
	}
	conn_free(s, conn);
}

static bool
accepted(const struct assist_session *s)
{
	return s->state == ASSIST_VIEWING || s->state == ASSIST_IN_CONTROL;
}

int
assist_session_chan_open(struct assist_session *s, unsigned *chan)
{
	if (s->helper < 0 || s->state == ASSIST_ENDED)
		return -EPERM;
	for (unsigned i = 0; i < s->cfg.chan_max; i++)
		if (s->chan[i] == ASSIST_CHAN_FREE) {
			s->chan[i] = ASSIST_CHAN_SESSION;
			s->chan_count++;
			*chan = i;
			return 0;
		}
	return -ENOSPC;
}

static void
ask(struct assist_session *s, enum assist_prompt what, uint64_t now_ms)
{
	s->prompt = what;
	s->prompt_deadline_ms = now_ms + s->cfg.prompt_ms;
	push_kind(s,
		  what == ASSIST_PROMPT_CONSENT ? ASSIST_DO_ASK_CONSENT
						: ASSIST_DO_ASK_CONTROL,
		  NULL);
}

static void
control_reply(struct assist_session *s, unsigned chan, bool yes,
	      const char *why)
{
	push(s, (struct assist_action){.kind = ASSIST_DO_CONTROL_REPLY,
				       .chan = chan,
				       .ok = yes,
				       .why = why});
}

static void
start_view(struct assist_session *s)
{
	if (s->view_started || !s->has_shell || !accepted(s))
		return;
	s->view_started = true;
	push_kind(s, ASSIST_DO_START_VIEW, NULL);
}

int
assist_session_chan_kind(struct assist_session *s, unsigned chan,
			 enum assist_chan_kind kind, uint64_t now_ms)
{
	if (chan >= s->cfg.chan_max || s->chan[chan] != ASSIST_CHAN_SESSION ||
	    kind == ASSIST_CHAN_FREE || kind == ASSIST_CHAN_SESSION ||
	    s->state == ASSIST_ENDED)
		return -EPERM;
	if (kind == ASSIST_CHAN_SHELL) {
		if (s->has_shell)
			return -EPERM; /* one view per session */
		s->has_shell = true;
		s->chan[chan] = kind;
		if (s->state == ASSIST_AWAITING_CONSENT && !s->consent_asked) {
			s->consent_asked = true;
			ask(s, ASSIST_PROMPT_CONSENT, now_ms);
		}
		start_view(s);
		return 0;
	}
	/* Everything else only once the User accepted the Helper. */
	if (!accepted(s))
		return -EPERM;
	s->chan[chan] = kind;
	if (kind == ASSIST_CHAN_CONTROL) {
		if (s->state == ASSIST_IN_CONTROL)
			control_reply(s, chan, true, "you have control");
		else if (s->control_req >= 0 || !s->view_started ||
			 s->prompt != ASSIST_PROMPT_NONE)
			control_reply(s, chan, false, "not now");
		else {
			s->control_req = (int)chan;
			ask(s, ASSIST_PROMPT_CONTROL, now_ms);
		}
	} else if (kind == ASSIST_CHAN_RELEASE) {
		if (s->state == ASSIST_IN_CONTROL) {
			s->state = ASSIST_VIEWING;
			push_kind(s, ASSIST_DO_READONLY,
				  "released by the Helper");
		}
	}
	return 0;
}

void
assist_session_chan_closed(struct assist_session *s, unsigned chan)
{
	if (chan >= s->cfg.chan_max || s->chan[chan] == ASSIST_CHAN_FREE)
		return;
	if ((int)chan == s->control_req)
		s->control_req = -1; /* the answer has nowhere to go */
	s->chan[chan] = ASSIST_CHAN_FREE;
	s->chan_count--;
}

static void
control_answer(struct assist_session *s, bool yes, const char *why)
{
	if (s->prompt == ASSIST_PROMPT_CONTROL)
		s->prompt = ASSIST_PROMPT_NONE;
	if (yes && s->state == ASSIST_VIEWING) {
		s->state = ASSIST_IN_CONTROL;
		push_kind(s, ASSIST_DO_WRITABLE, why);
	}
	if (s->control_req >= 0)
		control_reply(s, (unsigned)s->control_req, yes, why);
	s->control_req = -1;
}

int
assist_session_user(struct assist_session *s, enum assist_user what,
		    uint64_t now_ms)
{
	(void)now_ms;
	switch (what) {
	case ASSIST_USER_ACCEPT:
	case ASSIST_USER_REFUSE:
		if (s->state != ASSIST_AWAITING_CONSENT)
			return -ENOENT;
		s->prompt = ASSIST_PROMPT_NONE;
		if (what == ASSIST_USER_REFUSE) {
			assist_session_end(s, "declined by the User");
			return 0;
		}
		s->state = ASSIST_VIEWING;
		start_view(s);
		return 0;
	case ASSIST_USER_GRANT:
	case ASSIST_USER_DENY:
		if (!accepted(s) || !s->view_started)
			return -ENOENT;
		control_answer(s, what == ASSIST_USER_GRANT,
			       what == ASSIST_USER_GRANT
				       ? "granted by the User"
				       : "refused by the User");
		return 0;
	case ASSIST_USER_REVOKE:
		/* At once, whatever the Helper is doing: the caller drops
		 * the Helper's input from this event on. */
		if (s->state == ASSIST_IN_CONTROL)
			s->state = ASSIST_VIEWING;
		if (s->prompt == ASSIST_PROMPT_CONTROL)
			control_answer(s, false, "refused by the User");
		if (s->view_started)
			push_kind(s, ASSIST_DO_READONLY, "revoked by the User");
		return 0;
	case ASSIST_USER_END:
		assist_session_end(s, "ended by the User");
		return 0;
	}
	return -EINVAL;
}

uint64_t
assist_session_tick(struct assist_session *s, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	if (s->state == ASSIST_ENDED)
		return next;
	if (s->listening && now_ms >= s->cfg.expires_ms) {
		close_listeners(s, "the invitation expired");
		for (unsigned i = 0; i < ASSIST_SESSION_CONN_MAX; i++)
			if ((int)i != s->helper)
				conn_close(s, i, "the invitation expired");
		if (s->helper < 0) {
			assist_session_end(s, "expired");
			return next;
		}
	}
	if (s->listening && s->cfg.expires_ms < next)
		next = s->cfg.expires_ms;
	for (unsigned i = 0; i < ASSIST_SESSION_CONN_MAX; i++) {
		const struct assist_conn *c = &s->conn[i];
		uint64_t silent, kex, late;

		if (!c->used || (int)i == s->helper)
			continue;
		silent = c->since_ms + s->cfg.silent_ms;
		kex = c->since_ms + s->cfg.kex_ms;
		late = c->since_ms + s->cfg.preauth_ms;
		if (!c->spoke && now_ms >= silent) {
			conn_close(s, i, "silent (no SSH version line)");
			continue;
		}
		if (!c->kex_done && now_ms >= kex) {
			conn_close(s, i, "no key exchange in time");
			continue;
		}
		if (!c->kex_done && kex < next)
			next = kex;
		if (now_ms >= late) {
			conn_close(s, i, "no login in time");
			continue;
		}
		if (!c->spoke && silent < next)
			next = silent;
		if (late < next)
			next = late;
	}
	if (s->prompt != ASSIST_PROMPT_NONE) {
		if (now_ms >= s->prompt_deadline_ms) {
			if (s->prompt == ASSIST_PROMPT_CONSENT)
				assist_session_end(s, "no answer from the "
						      "User (declined)");
			else
				control_answer(s, false,
					       "no answer from the "
					       "User");
		} else if (s->prompt_deadline_ms < next) {
			next = s->prompt_deadline_ms;
		}
	}
	return next;
}
