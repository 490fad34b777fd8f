/*
 * The control socket: everything the User decides goes through it
 * (`assist ctl -s DIR/ctl.sock accept|refuse|grant|deny|revoke|say|end|
 * status`); the tmux prompts, F12 and the key bindings call it, and so can
 * scripts and tests.  One request per connection, as sys/ctl.h frames it.
 * Non-blocking: at most CTL_CLIENTS at once, each read as it arrives and
 * dropped after CTL_TIMEOUT_MS, so a client that connects and says nothing
 * holds up nothing (issue 10 point 1: the User's controls always answer).
 */
#include "offer.h"

#include <string.h>

#include "sys/ctl.h"
#include "sys/fd.h"

static int
on_ctl_client(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;

	(void)fd, (void)revents;
	o->ctl_ready = true;
	return 0;
}

static int
on_ctl_listen(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;

	(void)fd, (void)revents;
	o->accept_ready = true;
	return 0;
}

void
ctl_on_listen(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->ctl); i++)
		o->ctl[i].fd = -1;
	ssh_event_add_fd(o->event, o->ctl_fd, POLLIN, on_ctl_listen, o);
}

static void
client_close(struct offer *o, struct ctl_client *c)
{
	ssh_event_remove_fd(o->event, c->fd);
	fd_close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void
ctl_close_all(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->ctl); i++)
		if (o->ctl[i].fd >= 0)
			client_close(o, &o->ctl[i]);
}

static size_t
reply(char *out, size_t cap, int rc, const char *none)
{
	if (rc == 0)
		return (size_t)snprintf(out, cap, "ok\n");
	return (size_t)snprintf(out, cap, "error: %s\n", none);
}

static size_t
ctl_answer(struct offer *o, const char *req, char *out, size_t cap)
{
	struct assist_session *e = &o->eng;
	uint64_t now = offer_now(o);
	int rc;

	/* "answer consent|control KEY", from a tmux prompt (offer_term.c):
	 * F12 is the panic key whatever the question; an answer to a
	 * question no longer open is ignored (a stale prompt on another
	 * terminal must not grant what it did not ask). */
	if (strncmp(req, "answer ", 7) == 0) {
		const char *kind = req + 7, *key = strchr(kind, ' ');
		enum assist_prompt open = strncmp(kind, "control ", 8) == 0
						  ? ASSIST_PROMPT_CONTROL
					  : strncmp(kind, "consent ", 8) == 0
						  ? ASSIST_PROMPT_CONSENT
						  : ASSIST_PROMPT_NONE;
		bool yes;

		key = key != NULL ? key + 1 : "";
		yes = strcmp(key, "y") == 0 || strcmp(key, "Y") == 0;
		if (strcmp(key, "F12") == 0)
			req = "revoke";
		else if (open == ASSIST_PROMPT_NONE || open != e->prompt)
			return (size_t)snprintf(out, cap,
						"error: that question is "
						"closed\n");
		else if (open == ASSIST_PROMPT_CONTROL)
			req = yes ? "grant" : "deny";
		else
			req = yes ? "accept" : "refuse";
	}

	if (strcmp(req, "status") == 0)
		return (size_t)snprintf(
			out, cap,
			"id=%02x%02x%02x%02x%02x%02x%02x%02x listening=%d "
			"session=%s accepted=%d control=%d prompt=%d "
			"failures=%u state=%s\n",
			o->inv.id[0], o->inv.id[1], o->inv.id[2], o->inv.id[3],
			o->inv.id[4], o->inv.id[5], o->inv.id[6], o->inv.id[7],
			o->listening, o->helper ? o->helper->peer : "-",
			e->state == ASSIST_VIEWING ||
				e->state == ASSIST_IN_CONTROL,
			e->state == ASSIST_IN_CONTROL, (int)e->prompt,
			e->failures, assist_state_name(e->state));
	if (strcmp(req, "accept") == 0 || strcmp(req, "refuse") == 0) {
		bool yes = req[0] == 'a';

		rc = assist_session_user(
			e, yes ? ASSIST_USER_ACCEPT : ASSIST_USER_REFUSE, now);
		if (rc == 0)
			offer_log(o, "the User %s the Helper (control socket)",
				  yes ? "accepted" : "declined");
		return reply(out, cap, rc, "no Helper is waiting");
	}
	if (strcmp(req, "grant") == 0 || strcmp(req, "deny") == 0) {
		bool yes = req[0] == 'g';

		rc = assist_session_user(
			e, yes ? ASSIST_USER_GRANT : ASSIST_USER_DENY, now);
		return reply(out, cap, rc, "no Helper is watching");
	}
	if (strcmp(req, "revoke") == 0) {
		bool had = e->state == ASSIST_IN_CONTROL;

		rc = assist_session_user(e, ASSIST_USER_REVOKE, now);
		if (had)
			offer_log(o, "control revoked (panic key)");
		return reply(out, cap, rc, "nothing to revoke");
	}
	if (strncmp(req, "say ", 4) == 0) {
		chat_from_user(o, req + 4);
		return reply(out, cap, 0, "");
	}
	if (strcmp(req, "end") == 0) {
		rc = assist_session_user(e, ASSIST_USER_END, now);
		o->done = true;
		if (o->end_reason == NULL)
			o->end_reason = "ended by the User";
		return reply(out, cap, 0, "");
	}
	return (size_t)snprintf(out, cap, "error: unknown request\n");
}

void
ctl_decide(struct offer *o, const char *req)
{
	char out[512];

	(void)ctl_answer(o, req, out, sizeof(out));
}

/* Reads what each client sent; answers a complete request at once. */
void
ctl_serve(struct offer *o)
{
	uint64_t now = now_ms();

	if (o->accept_ready) {
		int cfd;

		o->accept_ready = false;
		for (size_t i = 0; i < ARRAY_SIZE(o->ctl); i++) {
			struct ctl_client *c = &o->ctl[i];

			if (c->fd >= 0)
				continue;
			if (ctl_accept(o->ctl_fd, &cfd) < 0)
				break;
			c->fd = cfd;
			c->len = 0;
			c->since_ms = now;
			ssh_event_add_fd(o->event, cfd, POLLIN, on_ctl_client,
					 o);
		}
	}
	o->ctl_ready = false;
	for (size_t i = 0; i < ARRAY_SIZE(o->ctl); i++) {
		struct ctl_client *c = &o->ctl[i];
		char out[512];
		size_t n, len;
		int rc;

		if (c->fd < 0)
			continue;
		rc = fd_read(c->fd, c->req + c->len,
			     sizeof(c->req) - 1 - c->len, &n);
		if (rc == -EAGAIN) {
			if (now - c->since_ms > CTL_TIMEOUT_MS)
				client_close(o, c);
			continue;
		}
		if (rc < 0 || (n == 0 && c->len == 0)) {
			client_close(o, c);
			continue;
		}
		c->len += n;
		c->req[c->len] = '\0';
		if (n != 0 && memchr(c->req, '\n', c->len) == NULL &&
		    c->len < CTL_REQUEST_MAX)
			continue;
		c->req[strcspn(c->req, "\r\n")] = '\0';
		len = ctl_answer(o, c->req, out, sizeof(out));
		if (len >= sizeof(out))
			len = sizeof(out) - 1;
		/* A local socket with room for the short answer; a client
		 * that went away gets nothing. */
		(void)!fd_write(c->fd, out, len, &n);
		client_close(o, c);
	}
}
