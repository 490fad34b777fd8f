/* The desktop capability of an assist session: see desktop.h. */
#include "assist/desktop.h"

#include <string.h>

static void
push(struct assist_desktop *d, enum assist_desktop_do a)
{
	/* One event queues at most two actions (START then CONTROL); the
	 * caller drains them before the next. */
	if (d->q_len == ASSIST_DESKTOP_ACTION_MAX)
		return;
	d->q[(d->q_head + d->q_len) % ASSIST_DESKTOP_ACTION_MAX] = a;
	d->q_len++;
}

void
assist_desktop_init(struct assist_desktop *d, bool enabled)
{
	memset(d, 0, sizeof(*d));
	d->state = enabled ? ASSIST_DESKTOP_READY : ASSIST_DESKTOP_OFF;
}

bool
assist_desktop_next(struct assist_desktop *d, enum assist_desktop_do *a)
{
	if (d->q_len == 0)
		return false;
	*a = d->q[d->q_head];
	d->q_head = (d->q_head + 1) % ASSIST_DESKTOP_ACTION_MAX;
	d->q_len--;
	return true;
}

void
assist_desktop_follow(struct assist_desktop *d, enum assist_state st)
{
	switch (d->state) {
	case ASSIST_DESKTOP_OFF:
	case ASSIST_DESKTOP_STOPPED:
		return;
	case ASSIST_DESKTOP_FAILED:
		/* Nothing runs; the end is only remembered. */
		if (st == ASSIST_ENDED)
			d->state = ASSIST_DESKTOP_STOPPED;
		return;
	case ASSIST_DESKTOP_READY:
		if (st == ASSIST_ENDED) {
			d->state = ASSIST_DESKTOP_STOPPED;
			return;
		}
		if (st != ASSIST_VIEWING && st != ASSIST_IN_CONTROL)
			return;
		push(d, ASSIST_DESKTOP_DO_START);
		d->server_input = false; /* it starts view-only */
		d->state = ASSIST_DESKTOP_VIEW_ONLY;
		if (st == ASSIST_IN_CONTROL) {
			push(d, ASSIST_DESKTOP_DO_CONTROL);
			d->state = ASSIST_DESKTOP_CONTROL;
		}
		return;
	case ASSIST_DESKTOP_VIEW_ONLY:
	case ASSIST_DESKTOP_CONTROL:
		if (st == ASSIST_ENDED) {
			push(d, ASSIST_DESKTOP_DO_STOP);
			d->state = ASSIST_DESKTOP_STOPPED;
		} else if (st == ASSIST_IN_CONTROL &&
			   d->state == ASSIST_DESKTOP_VIEW_ONLY) {
			push(d, ASSIST_DESKTOP_DO_CONTROL);
			d->state = ASSIST_DESKTOP_CONTROL;
		} else if (st != ASSIST_IN_CONTROL &&
			   d->state == ASSIST_DESKTOP_CONTROL) {
			/* VIEWING (revoke, release, deny) or anything else
			 * that is not control: view-only at once. */
			push(d, ASSIST_DESKTOP_DO_VIEW_ONLY);
			d->state = ASSIST_DESKTOP_VIEW_ONLY;
		}
		return;
	}
}

void
assist_desktop_applied(struct assist_desktop *d, bool input)
{
	d->server_input = input;
}

void
assist_desktop_server_exited(struct assist_desktop *d)
{
	if (d->state == ASSIST_DESKTOP_VIEW_ONLY ||
	    d->state == ASSIST_DESKTOP_CONTROL)
		d->state = ASSIST_DESKTOP_FAILED;
	d->server_input = false; /* nothing left to take input */
}

const char *
assist_desktop_state_name(enum assist_desktop_state st)
{
	switch (st) {
	case ASSIST_DESKTOP_OFF:
		return "off";
	case ASSIST_DESKTOP_READY:
		return "ready";
	case ASSIST_DESKTOP_VIEW_ONLY:
		return "view only";
	case ASSIST_DESKTOP_CONTROL:
		return "control";
	case ASSIST_DESKTOP_STOPPED:
		return "stopped";
	case ASSIST_DESKTOP_FAILED:
		return "failed";
	}
	return "?";
}
