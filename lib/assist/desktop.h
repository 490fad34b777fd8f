/*
 * The desktop capability of an assist session (issue 13), sans-I/O: the
 * life of the User's VNC server and its view-only switch, as a function
 * of the session engine's state (lib/assist/session.h).  The engine says
 * who may do what; this says what the VNC server must be doing for that.
 * apps/assist/offer_desktop.c carries out the actions (x11vnc, started on
 * the User's display, reachable only through the session).
 *
 *   OFF (no --desktop: nothing, ever; forwards to it refused)
 *
 *   READY ──session VIEWING──▶ VIEW_ONLY ◀──VIEWING (revoke, F12, release,
 *     │   (START: view-only)       │ ▲        deny)──┐  (DO_VIEW_ONLY)
 *     │                 IN_CONTROL │ │               │
 *     │              (DO_CONTROL)  ▼ │               │
 *     │                          CONTROL ────────────┘
 *     └──session ENDED──▶ STOPPED ◀──ENDED (DO_STOP)── VIEW_ONLY, CONTROL
 *                                    server exited on its own ──▶ FAILED
 *
 * The server starts view-only and only when the User has accepted the
 * Helper; control follows IN_CONTROL and nothing else; a revoke returns
 * DO_VIEW_ONLY in the same event that made the session VIEWING.  The
 * Helper reaches the server only in VIEW_ONLY and CONTROL
 * (assist_desktop_may_connect).
 */
#ifndef SHIPWORM_ASSIST_DESKTOP_H
#define SHIPWORM_ASSIST_DESKTOP_H

#include <stdbool.h>

#include "assist/session.h"

enum assist_desktop_state {
	ASSIST_DESKTOP_OFF,
	ASSIST_DESKTOP_READY,
	ASSIST_DESKTOP_VIEW_ONLY,
	ASSIST_DESKTOP_CONTROL,
	ASSIST_DESKTOP_STOPPED,
	ASSIST_DESKTOP_FAILED,
};

enum assist_desktop_do {
	ASSIST_DESKTOP_DO_START,     /* start the server, view-only */
	ASSIST_DESKTOP_DO_VIEW_ONLY, /* the Helper's input stops now */
	ASSIST_DESKTOP_DO_CONTROL,   /* the Helper's input reaches the screen */
	ASSIST_DESKTOP_DO_STOP,	     /* stop the server */
};

#define ASSIST_DESKTOP_ACTION_MAX 4

struct assist_desktop {
	enum assist_desktop_state state;
	bool server_input; /* the server said it takes input */
	enum assist_desktop_do q[ASSIST_DESKTOP_ACTION_MAX];
	unsigned q_len, q_head;
};

/* enabled: the User offered the desktop (--desktop). */
void assist_desktop_init(struct assist_desktop *d, bool enabled);

/* The session engine's state now (call after every event). */
void assist_desktop_follow(struct assist_desktop *d, enum assist_state st);

/* The server ended without being told to (crash, display gone). */
void assist_desktop_server_exited(struct assist_desktop *d);

/* The server confirmed DO_CONTROL (true) or DO_VIEW_ONLY (false). */
void assist_desktop_applied(struct assist_desktop *d, bool input);

/*
 * Whether the Helper's bytes toward the server must wait: the session
 * took control back but the server has not yet confirmed it is view-only
 * again.  The caller holds them (backpressure), so input sent after a
 * revoke reaches only a view-only server: the revoke is at the event,
 * not at the server's next loop.
 */
static inline bool
assist_desktop_hold(const struct assist_desktop *d)
{
	return d->server_input && d->state != ASSIST_DESKTOP_CONTROL;
}

/* The next action; false when there is none. */
bool assist_desktop_next(struct assist_desktop *d, enum assist_desktop_do *a);

/* Whether the Helper may open a connection to the server now. */
static inline bool
assist_desktop_may_connect(const struct assist_desktop *d)
{
	return d->state == ASSIST_DESKTOP_VIEW_ONLY ||
	       d->state == ASSIST_DESKTOP_CONTROL;
}

/* Whether the Helper's keys and pointer reach the User's screen. */
static inline bool
assist_desktop_may_input(const struct assist_desktop *d)
{
	return d->state == ASSIST_DESKTOP_CONTROL;
}

const char *assist_desktop_state_name(enum assist_desktop_state st);

#endif
