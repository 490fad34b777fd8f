/*
 * The assist session engine (issue 10): the policy of one `assist offer`,
 * sans-I/O.  Events and a monotonic now_ms go in; the state and a queue of
 * actions come out.  apps/assist/offer.c owns the sockets, libssh, tmux
 * and sftp-server, tells the engine what happened, and carries out what
 * the engine says.  Nothing the Helper does can make the engine wait.
 *
 *   LISTENING ──accept──▶ AUTHENTICATING (one or more connections before
 *       ▲                     │  their login, each in its own slot)
 *       └──all gone───────────┤ right password
 *                             ▼
 *                      AWAITING_CONSENT ──User refuses / no answer──▶ ENDED
 *                             │ User accepts
 *                             ▼
 *            ┌────────── VIEWING ◀──revoke / F12 / release / deny──┐
 *            │                │ User grants                         │
 *            │                ▼                                     │
 *            │            IN_CONTROL ───────────────────────────────┘
 *            └──end / Helper gone / expiry / shell exit──▶ ENDED
 *
 * Hostile Helpers and strangers (issue 10 points 1, 5, 6):
 * - Wrong passwords count per source (an IPv4 address, an IPv6 /64, a
 *   Teredo client's own mapped address: the caller makes the key); a source
 *   that reaches tries_per_source is refused from then on, others are not.
 *   The secret is 128-bit: the limit stops guessing, it is no kill switch.
 * - Pre-login connections hold one of preauth_max slots, at most
 *   preauth_per_source per source; one that has not spoken within
 *   silent_ms, finished its key exchange within kex_ms or logged in within
 *   preauth_ms is closed; when the slots are
 *   full a newcomer from another source evicts the oldest connection that
 *   has held its slot for contested_ms.
 * - Channels (chat, control requests, shell, files, forwards) take one of
 *   chan_max slots and give it back when closed.
 * - The Helper's input reaches the shared terminal only IN_CONTROL
 *   (assist_session_may_type); a revoke takes effect at the event, before
 *   any later byte is looked at.
 */
#ifndef SHIPWORM_ASSIST_SESSION_H
#define SHIPWORM_ASSIST_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ASSIST_SESSION_CONN_MAX 16
#define ASSIST_SESSION_SOURCE_MAX 64
#define ASSIST_SESSION_SOURCE_KEY 16 /* bytes of a source key */
#define ASSIST_SESSION_CHAN_MAX 32
#define ASSIST_SESSION_ACTION_MAX 32

enum assist_state {
	ASSIST_LISTENING,
	ASSIST_AUTHENTICATING,
	ASSIST_AWAITING_CONSENT,
	ASSIST_VIEWING,
	ASSIST_IN_CONTROL,
	ASSIST_ENDED,
};

struct assist_session_cfg {
	unsigned tries_per_source; /* wrong passwords before a source is out */
	unsigned preauth_max;	   /* pre-login connection slots */
	unsigned preauth_per_source; /* of which one source may hold */
	unsigned chan_max;	     /* channel slots of the logged-in Helper */
	uint32_t silent_ms;	     /* no SSH version line within: closed */
	uint32_t kex_ms;       /* no finished key exchange within: closed */
	uint32_t preauth_ms;   /* no login within: closed */
	uint32_t contested_ms; /* a slot older than this yields to a newcomer */
	uint32_t prompt_ms;    /* an unanswered prompt is a "no" */
	uint64_t expires_ms;   /* the invitation's end (monotonic) */
};

/* The defaults assist offer uses. */
#define ASSIST_SESSION_CFG_DEFAULT        \
	((struct assist_session_cfg){     \
		.tries_per_source = 3,    \
		.preauth_max = 8,         \
		.preauth_per_source = 2,  \
		.chan_max = 16,           \
		.silent_ms = 10000,       \
		.kex_ms = 10000,          \
		.preauth_ms = 60000,      \
		.contested_ms = 10000,    \
		.prompt_ms = 120000,      \
		.expires_ms = UINT64_MAX, \
	})

enum assist_action_kind {
	ASSIST_DO_CLOSE_CONN,	   /* conn: close it (why) */
	ASSIST_DO_CLOSE_LISTENERS, /* used, expired or ended */
	ASSIST_DO_ASK_CONSENT,	   /* ask the User "let them see?" */
	ASSIST_DO_ASK_CONTROL,	   /* ask the User "let them type?" */
	ASSIST_DO_START_VIEW,	   /* the Helper's read-only view */
	ASSIST_DO_READONLY,	   /* the Helper's input stops now */
	ASSIST_DO_WRITABLE,	   /* the Helper may type */
	ASSIST_DO_CONTROL_REPLY,   /* chan: answer the request (ok) */
	ASSIST_DO_END,		   /* the offer ends (why) */
};

struct assist_action {
	enum assist_action_kind kind;
	unsigned conn; /* CLOSE_CONN */
	unsigned chan; /* CONTROL_REPLY */
	bool ok;       /* CONTROL_REPLY: granted */
	const char *why;
};

enum assist_chan_kind {
	ASSIST_CHAN_FREE,
	ASSIST_CHAN_SESSION, /* opened, not yet told what it is */
	ASSIST_CHAN_SHELL,
	ASSIST_CHAN_CHAT,
	ASSIST_CHAN_CONTROL,
	ASSIST_CHAN_RELEASE,
	ASSIST_CHAN_FILES,
	ASSIST_CHAN_FORWARD,
};

enum assist_prompt {
	ASSIST_PROMPT_NONE,
	ASSIST_PROMPT_CONSENT,
	ASSIST_PROMPT_CONTROL,
};

struct assist_conn {
	bool used;
	bool spoke;    /* sent its SSH version line */
	bool kex_done; /* finished its key exchange */
	uint64_t since_ms;
	unsigned source; /* index into sources[] */
};

struct assist_source {
	bool used;
	uint8_t key_len;
	uint8_t key[ASSIST_SESSION_SOURCE_KEY];
	unsigned failures;
	unsigned conns; /* pre-login connections held now */
	uint64_t last_ms;
};

struct assist_session {
	struct assist_session_cfg cfg;
	enum assist_state state;
	struct assist_conn conn[ASSIST_SESSION_CONN_MAX];
	struct assist_source source[ASSIST_SESSION_SOURCE_MAX];
	int helper;	    /* the logged-in connection, or -1 */
	bool used;	    /* a login happened: the invitation is spent */
	bool listening;	    /* the listeners are open */
	bool has_shell;	    /* the Helper asked for the terminal */
	bool consent_asked; /* ASK_CONSENT was issued */
	bool view_started;  /* START_VIEW was issued */
	enum assist_prompt prompt; /* the question open to the User */
	uint64_t prompt_deadline_ms;
	int control_req; /* channel waiting for the User, or -1 */
	enum assist_chan_kind chan[ASSIST_SESSION_CHAN_MAX];
	unsigned chan_count;
	/* Counters for `assist ctl status` and the tests. */
	unsigned failures, refused, evicted;
	const char *end_reason;
	struct assist_action q[ASSIST_SESSION_ACTION_MAX];
	unsigned q_head, q_len;
};

void assist_session_init(struct assist_session *s,
			 const struct assist_session_cfg *cfg, uint64_t now_ms);

/* The next action to carry out; false when there is none. */
bool assist_session_next(struct assist_session *s, struct assist_action *a);

/*
 * A TCP connection arrived from source key (key_len bytes, at most
 * ASSIST_SESSION_SOURCE_KEY).  0 and *conn: it holds a slot (actions may
 * close an older one); -EACCES: its source guessed too often; -EBUSY: no
 * slot for it (or the invitation is used); -ESHUTDOWN: not listening.
 */
MUST_CHECK int assist_session_accept(struct assist_session *s,
				     const uint8_t *key, size_t key_len,
				     uint64_t now_ms, unsigned *conn);

/* The connection sent its SSH version line (it may enter the key exchange). */
void assist_session_spoke(struct assist_session *s, unsigned conn,
			  uint64_t now_ms);

/* The connection finished its key exchange (it may try a password). */
void assist_session_kex_done(struct assist_session *s, unsigned conn,
			     uint64_t now_ms);

/*
 * A password attempt on conn.  0: logged in, the Helper; -EPERM: wrong,
 * try again; -EACCES: wrong, and the source is out (a CLOSE_CONN follows);
 * -EALREADY: someone else logged in first; -ETIME: the invitation expired.
 */
MUST_CHECK int assist_session_password(struct assist_session *s, unsigned conn,
				       bool right, uint64_t now_ms);

/* conn closed (by the peer, or after a CLOSE_CONN). */
void assist_session_closed(struct assist_session *s, unsigned conn,
			   uint64_t now_ms);

/* Channels of the logged-in Helper.  -ENOSPC: every slot in use. */
MUST_CHECK int assist_session_chan_open(struct assist_session *s,
					unsigned *chan);
/* What the channel turned out to be (shell: asks the User's consent). 0,
 * or -EPERM when that is not allowed in this state. */
MUST_CHECK int assist_session_chan_kind(struct assist_session *s, unsigned chan,
					enum assist_chan_kind kind,
					uint64_t now_ms);
void assist_session_chan_closed(struct assist_session *s, unsigned chan);

/* The User's decisions (control socket, prompts, F12). */
enum assist_user {
	ASSIST_USER_ACCEPT,
	ASSIST_USER_REFUSE,
	ASSIST_USER_GRANT,
	ASSIST_USER_DENY,
	ASSIST_USER_REVOKE,
	ASSIST_USER_END,
};
/* 0, or -ENOENT when there is nothing to decide (no Helper waiting...). */
MUST_CHECK int assist_session_user(struct assist_session *s,
				   enum assist_user what, uint64_t now_ms);

/* The Helper's view ended: it left, or the shared terminal closed. */
void assist_session_end(struct assist_session *s, const char *why);

/* Timers; returns the next deadline (UINT64_MAX: none). */
uint64_t assist_session_tick(struct assist_session *s, uint64_t now_ms);

/* Whether the Helper's keys may reach the shared terminal now. */
static inline bool
assist_session_may_type(const struct assist_session *s)
{
	return s->state == ASSIST_IN_CONTROL;
}

const char *assist_state_name(enum assist_state st);

#endif
