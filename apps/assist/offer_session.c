/*
 * Connections and channels: the embedded libssh server, non-blocking from
 * the first byte.  Every accepted connection gets its own libssh session
 * in its own pre-login slot (the engine's): the key exchange runs
 * non-blocking, driven by the loop (ssh_handle_key_exchange returns
 * SSH_AGAIN until it is done), so a Helper or a stranger who stalls
 * mid-exchange holds one slot for a bounded time, never the loop.  Then
 * password authentication only (the one-time password; wrong ones count
 * per source), and the logged-in Helper's channels, each a slot the
 * engine gives back when it closes.
 *
 * libssh callbacks only record and queue (they must not add or remove
 * poll handles); session_serve() and the engine's actions do the rest.
 */
#include "offer.h"

#include <string.h>

#include <sodium.h>

#include "sys/fd.h"
#include "sys/tty.h"

struct chan *
chan_by_slot(struct offer *o, unsigned slot)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++)
		if (o->chans[i].ch != NULL && o->chans[i].slot == slot)
			return &o->chans[i];
	return NULL;
}

void
chan_reply(struct chan *c, const char *text, int status)
{
	if (c == NULL || c->ch == NULL || c->answered || c->closed)
		return;
	c->answered = true;
	c->status = status;
	if (text != NULL)
		(void)chanq_push(&c->out, text, strlen(text));
	/* The text first, as the window allows; then the status, EOF and
	 * close (RFC 4254 §6.10), in session_serve once the queue drained. */
}

static void
chan_finish(struct chan *c)
{
	(void)ssh_channel_request_send_exit_status(c->ch, c->status);
	(void)ssh_channel_send_eof(c->ch);
	(void)ssh_channel_close(c->ch);
}

void
chan_free(struct chan *c)
{
	struct offer *o = c->o;

	if (c->ch == NULL)
		return;
	if (o->sftp.c == c)
		files_stop(o, false);
	if (o->shell == c)
		o->shell = NULL;
	assist_session_chan_closed(&o->eng, c->slot);
	/* Its callbacks point here, and this slot is for the next channel:
	 * cut them, then let libssh free the channel (it sends the close if
	 * the Helper has not). */
	ssh_remove_channel_callbacks(c->ch, &c->cb);
	ssh_channel_free(c->ch);
	memset(c, 0, sizeof(*c));
}

/* --- channel callbacks: record and queue only -------------------------- */

static int
on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr,
	void *arg)
{
	struct chan *c = arg;

	(void)s, (void)ch, (void)is_stderr;
	if (c->kind == CHAN_SFTP)
		/* What does not fit stays in libssh: backpressure. */
		return (int)chanq_push(&c->in, data, len);
	if (c->kind == CHAN_SHELL)
		term_helper_input(c, data, len);
	return (int)len;
}

static void
on_close(ssh_session s, ssh_channel ch, void *arg)
{
	struct chan *c = arg;

	(void)s, (void)ch;
	c->closed = true;
}

/* The Helper's EOF reaches sftp-server as the end of its stdin. */
static void
on_eof(ssh_session s, ssh_channel ch, void *arg)
{
	struct chan *c = arg;

	(void)s, (void)ch;
	if (c->kind == CHAN_SFTP && c->o->sftp.c == c)
		c->o->sftp.in_eof = true;
}

static int
on_pty_request(ssh_session s, ssh_channel ch, const char *term, int width,
	       int height, int pxw, int pxh, void *arg)
{
	struct chan *c = arg;

	(void)s, (void)ch, (void)pxw, (void)pxh;
	sanitize(term, c->o->term, sizeof(c->o->term));
	c->o->cols = width;
	c->o->rows = height;
	return 0;
}

static int
on_window_change(ssh_session s, ssh_channel ch, int width, int height, int pxw,
		 int pxh, void *arg)
{
	struct chan *c = arg;

	(void)s, (void)ch, (void)pxw, (void)pxh;
	c->o->cols = width;
	c->o->rows = height;
	/* Best effort: tmux keeps the old size if this fails. */
	if (c->o->pty_fd >= 0)
		(void)!tty_set_size(c->o->pty_fd, (unsigned)height,
				    (unsigned)width);
	return 0;
}

static int
on_shell_request(ssh_session s, ssh_channel ch, void *arg)
{
	struct chan *c = arg;
	struct offer *o = c->o;

	(void)s, (void)ch;
	if (c->kind != CHAN_NONE ||
	    assist_session_chan_kind(&o->eng, c->slot, ASSIST_CHAN_SHELL,
				     offer_now(o)) < 0)
		return 1; /* one view per session */
	c->kind = CHAN_SHELL;
	o->shell = c;
	return 0;
}

static int
on_exec_request(ssh_session s, ssh_channel ch, const char *command, void *arg)
{
	struct chan *c = arg;
	struct offer *o = c->o;
	enum assist_chan_kind k = ASSIST_CHAN_FREE;
	enum chan_kind mine = CHAN_NONE;
	char what[64];

	(void)s, (void)ch;
	if (strncmp(command, "assist-chat ", 12) == 0) {
		k = ASSIST_CHAN_CHAT, mine = CHAN_CHAT;
		sanitize(command + 12, c->text, sizeof(c->text));
	} else if (strcmp(command, "assist-request-control") == 0) {
		k = ASSIST_CHAN_CONTROL, mine = CHAN_CONTROL;
	} else if (strcmp(command, "assist-release-control") == 0) {
		k = ASSIST_CHAN_RELEASE, mine = CHAN_RELEASE;
	}
	if (c->kind != CHAN_NONE || k == ASSIST_CHAN_FREE ||
	    assist_session_chan_kind(&o->eng, c->slot, k, offer_now(o)) < 0) {
		sanitize(command, what, sizeof(what));
		offer_log(o, "refused command '%s' from the Helper", what);
		return 1;
	}
	c->kind = mine;
	c->pending = mine != CHAN_CONTROL; /* control: the engine answers */
	return 0;
}

/*
 * No file access unless the User allows it: "sftp" only with
 * --allow-files DIR, only after the User accepted the Helper, one at a
 * time; every other subsystem is refused.  sftp-server is spawned here,
 * not in the loop: the Helper's first packet may follow the reply at once.
 */
static int
on_subsystem_request(ssh_session s, ssh_channel ch, const char *name, void *arg)
{
	struct chan *c = arg;
	struct offer *o = c->o;
	char what[64];
	int rc;

	(void)s, (void)ch;
	sanitize(name, what, sizeof(what));
	if (strcmp(name, "sftp") != 0 || o->files_dir[0] == '\0') {
		offer_log(o,
			  "refused subsystem '%s': no file access in this "
			  "session",
			  what);
		return 1;
	}
	if (c->kind != CHAN_NONE || o->sftp.c != NULL) {
		offer_log(o, "refused subsystem 'sftp': file access already "
			     "open");
		return 1;
	}
	if (assist_session_chan_kind(&o->eng, c->slot, ASSIST_CHAN_FILES,
				     offer_now(o)) < 0) {
		offer_log(o, "refused subsystem 'sftp': the User has not "
			     "accepted the Helper");
		return 1;
	}
	if ((rc = files_start(c)) < 0) {
		offer_log(o, "refused subsystem 'sftp': sftp-server: %s",
			  strerror(-rc));
		c->closed = true; /* its slot comes back in the loop */
		return 1;
	}
	return 0;
}

static int
on_env_request(ssh_session s, ssh_channel ch, const char *name,
	       const char *value, void *arg)
{
	(void)s, (void)ch, (void)name, (void)value, (void)arg;
	return 1; /* the Helper sets nothing in the User's environment */
}

static ssh_channel
on_channel_open(ssh_session s, void *arg)
{
	struct conn *cn = arg;
	struct offer *o = cn->o;
	unsigned slot;

	if (o->helper != cn)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++) {
		struct chan *c = &o->chans[i];

		if (c->ch != NULL)
			continue;
		if (assist_session_chan_open(&o->eng, &slot) < 0)
			break;
		memset(c, 0, sizeof(*c));
		c->o = o;
		c->slot = slot;
		c->ch = ssh_channel_new(s);
		if (c->ch == NULL) {
			assist_session_chan_closed(&o->eng, slot);
			return NULL;
		}
		c->cb.userdata = c;
		c->cb.channel_data_function = on_data;
		c->cb.channel_close_function = on_close;
		c->cb.channel_eof_function = on_eof;
		c->cb.channel_pty_request_function = on_pty_request;
		c->cb.channel_shell_request_function = on_shell_request;
		c->cb.channel_pty_window_change_function = on_window_change;
		c->cb.channel_exec_request_function = on_exec_request;
		c->cb.channel_subsystem_request_function = on_subsystem_request;
		c->cb.channel_env_request_function = on_env_request;
		ssh_callbacks_init(&c->cb);
		ssh_set_channel_callbacks(c->ch, &c->cb);
		return c->ch;
	}
	offer_log(o, "refused a channel: %d open", CHAN_MAX);
	return NULL;
}

/* --- connections ------------------------------------------------------- */

static int
on_auth_password(ssh_session s, const char *user, const char *password,
		 void *arg)
{
	struct conn *cn = arg;
	struct offer *o = cn->o;
	uint8_t got[ASSIST_SECRET_LEN];
	char u[ASSIST_USER_MAX + 1];
	unsigned idx = (unsigned)(cn - o->conns);
	int bad = assist_secret_parse(password, got) < 0, rc;

	/* Constant time for the secret itself (libsodium). */
	bad |= sodium_memcmp(got, o->secret, sizeof(got)) != 0;
	bad |= strcmp(user, o->inv.user) != 0;
	sodium_memzero(got, sizeof(got));
	rc = assist_session_password(&o->eng, idx, !bad, offer_now(o));
	switch (rc) {
	case 0:
		o->helper = cn;
		offer_log(o, "%s logged in with the one-time password",
			  cn->peer);
		return SSH_AUTH_SUCCESS;
	case -ETIME:
		/* A login that started before the expiry ends after it. */
		offer_log(o, "login from %s after the expiry refused",
			  cn->peer);
		ssh_session_set_disconnect_message(
			s, "assist: the invitation has expired");
		ssh_disconnect(s);
		return SSH_AUTH_DENIED;
	case -EALREADY:
		return SSH_AUTH_DENIED;
	default:
		break;
	}
	sanitize(user, u, sizeof(u));
	offer_log(o, "wrong password from %s (user '%s'), %u of %u from there",
		  cn->peer, u, o->eng.source[o->eng.conn[idx].source].failures,
		  o->eng.cfg.tries_per_source);
	if (rc == -EACCES) {
		/* Disconnect now, before the failure reply: the client then
		 * shows why (it stops reading after "Permission denied"). */
		offer_log(o,
			  "%s: too many wrong passwords, that address is "
			  "refused from now on (the invitation stays open "
			  "for others)",
			  cn->peer);
		ssh_session_set_disconnect_message(
			s, "assist: too many wrong passwords from your "
			   "address; ask the User for a new invitation");
		ssh_disconnect(s);
	}
	return SSH_AUTH_DENIED;
}

static int
on_conn_readable(socket_t fd, int revents, void *arg)
{
	struct conn *cn = arg;

	(void)fd, (void)revents;
	cn->o->accept_ready = true; /* any wake-up: the loop steps it */
	return 0;
}

/* Out of the loop, disconnected (the reason, if libssh can still write
 * it) and freed; the slot is free again. */
static void
conn_free(struct offer *o, struct conn *cn)
{
	if (cn->fd_polled)
		ssh_event_remove_fd(o->event, cn->fd);
	else if (cn->kex_done)
		ssh_event_remove_session(o->event, cn->s);
	ssh_disconnect(cn->s);
	ssh_free(cn->s); /* closes the socket */
	if (o->helper == cn)
		o->helper = NULL;
	memset(cn, 0, sizeof(*cn));
	cn->fd = -1;
}

void
session_close_conn(struct offer *o, unsigned i, const char *why)
{
	struct conn *cn = &o->conns[i];

	if (cn->s == NULL)
		return;
	offer_log(o, "connection from %s closed: %s", cn->peer, why);
	snprintf(o->disconnect_msg, sizeof(o->disconnect_msg), "assist: %s",
		 why);
	ssh_session_set_disconnect_message(cn->s, o->disconnect_msg);
	conn_free(o, cn);
}

/* A new TCP connection on a listener. */
void
session_on_listen(struct offer *o, int lfd)
{
	struct tcp_endpoint ep;
	char peer[TCP_ENDPOINT_TEXT];
	uint8_t key[ASSIST_SESSION_SOURCE_KEY];
	unsigned idx;
	struct conn *cn;
	ssh_session s;
	int fd, rc;

	if (tcp_accept(lfd, &fd, peer) < 0)
		return;
	if ((rc = tcp_peer(fd, &ep)) == 0)
		rc = assist_session_accept(&o->eng, key,
					   cand_source_key(&ep, key),
					   offer_now(o), &idx);
	if (rc < 0) {
		offer_log(o, "refused a connection from %s: %s", peer,
			  rc == -EACCES	 ? "too many wrong passwords from there"
			  : rc == -EBUSY ? "busy"
					 : strerror(-rc));
		fd_close(fd);
		return;
	}
	if ((rc = fd_set_nonblocking(fd)) < 0) {
		offer_log(o, "connection from %s: %s", peer, strerror(-rc));
		fd_close(fd);
		assist_session_closed(&o->eng, idx, offer_now(o));
		return;
	}
	offer_run_actions(o); /* an older connection may have yielded */
	cn = &o->conns[idx];
	memset(cn, 0, sizeof(*cn));
	cn->o = o;
	cn->fd = fd;
	memcpy(cn->peer, peer, sizeof(cn->peer));
	s = ssh_new();
	if (s == NULL || ssh_bind_accept_fd(o->bind, s, fd) != SSH_OK) {
		offer_log(o, "connection from %s: %s", peer,
			  s ? ssh_get_error(o->bind) : "no memory");
		if (s != NULL)
			ssh_free(s);
		fd_close(fd);
		cn->fd = -1;
		assist_session_closed(&o->eng, idx, offer_now(o));
		return;
	}
	cn->s = s;
	ssh_set_blocking(s, 0);
	ssh_set_auth_methods(s, SSH_AUTH_METHOD_PASSWORD);
	cn->cb.userdata = cn;
	cn->cb.auth_password_function = on_auth_password;
	cn->cb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&cn->cb);
	ssh_set_server_callbacks(s, &cn->cb);
	ssh_set_message_callback(s, fwd_on_message, o);
	ssh_event_add_fd(o->event, fd, POLLIN, on_conn_readable, cn);
	cn->fd_polled = true;
	offer_log(o, "connection from %s", peer);
}

/* One non-blocking step of a key exchange. */
static void
conn_kex(struct offer *o, unsigned i)
{
	struct conn *cn = &o->conns[i];
	int rc = ssh_handle_key_exchange(cn->s);

	if (!cn->spoke && ssh_get_clientbanner(cn->s) != NULL) {
		cn->spoke = true;
		assist_session_spoke(&o->eng, i, offer_now(o));
	}
	if (rc == SSH_AGAIN)
		return;
	if (rc != SSH_OK) {
		char why[160];

		sanitize(ssh_get_error(cn->s), why, sizeof(why));
		offer_log(o, "connection from %s: no SSH key exchange (%s)",
			  cn->peer, why);
		assist_session_closed(&o->eng, i, offer_now(o));
		cn->want_close = true;
		return;
	}
	ssh_event_remove_fd(o->event, cn->fd);
	cn->fd_polled = false;
	cn->kex_done = true;
	assist_session_kex_done(&o->eng, i, offer_now(o));
	ssh_event_add_session(o->event, cn->s);
	offer_log(o, "connection from %s: SSH key exchange done", cn->peer);
}

/*
 * Ends the Helper's session (the engine ended it).  Nothing is closed
 * here: libssh writes only when the loop polls the socket, and a close()
 * now would beat the Helper's ssh to its own end of the session: its
 * CHANNEL_CLOSE and DISCONNECT would meet a reset, which OpenSSH reports
 * as a failure (exit 255, "send disconnect: Broken pipe").  The
 * connection stays in the loop, closing, until session_drain() sees the
 * Helper's side close or SESSION_CLOSE_MS pass.
 */
void
session_end(struct offer *o, const char *to_helper)
{
	struct conn *cn = o->helper;
	struct chan *sh = o->shell;

	if (cn == NULL || cn->s == NULL)
		return;
	offer_log(o, "session with %s ended: %s", cn->peer,
		  o->end_reason ? o->end_reason : "stopped");
	cn->wait_peer = false;
	if (sh != NULL && sh->ch != NULL && to_helper != NULL &&
	    ssh_channel_is_open(sh->ch)) {
		char line[256];

		snprintf(line, sizeof(line), "\r\nassist: %s\r\n", to_helper);
		chanq_reset(&sh->in);
		(void)chanq_push(&sh->out, line, strlen(line));
		(void)!chanq_to_channel(&sh->out, sh->ch);
		/* A clean end for ssh: exit status, EOF, close (RFC 4254
		 * §6.10); the Helper's ssh then ends the connection. */
		if (o->eng.view_started) {
			(void)ssh_channel_request_send_exit_status(sh->ch, 0);
			(void)ssh_channel_send_eof(sh->ch);
			(void)ssh_channel_close(sh->ch);
			cn->wait_peer = true;
		}
	}
	term_stop_view(o);
	files_stop(o, o->eng.view_started);
	fwd_stop_all(o);
	/* From here on the Helper's packets are read and dropped: libssh
	 * keeps the channels (ssh_free frees them), our slots go. */
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++)
		if (o->chans[i].ch != NULL)
			ssh_remove_channel_callbacks(o->chans[i].ch,
						     &o->chans[i].cb);
	memset(o->chans, 0, sizeof(o->chans));
	o->shell = NULL;
	ssh_set_message_callback(cn->s, NULL, NULL);
	if (to_helper != NULL) {
		snprintf(o->disconnect_msg, sizeof(o->disconnect_msg),
			 "assist: %s", to_helper);
		ssh_session_set_disconnect_message(cn->s, o->disconnect_msg);
	}
	cn->closing = true;
	cn->drained = false;
	cn->close_by_ms = offer_now(o) + SESSION_CLOSE_MS;
	o->helper = NULL;
	term_set_state(o, "session ended");
	term_broadcast(o, "assist: the session has ended");
}

/*
 * One step of an ended session's close, from the loop: done when the
 * Helper's side has closed (its ssh got the channel close), or, with no
 * channel to close, once what we queued is written and the loop has
 * polled the socket again (libssh then writes the DISCONNECT at once);
 * at the latest after SESSION_CLOSE_MS.
 */
static void
session_drain(struct offer *o, struct conn *cn)
{
	bool gone = !ssh_is_connected(cn->s) ||
		    (ssh_get_status(cn->s) & (SSH_CLOSED | SSH_CLOSED_ERROR));

	if (!gone && offer_now(o) < cn->close_by_ms) {
		if (cn->wait_peer)
			return;
		/* Timeout 0: a look, never a wait. */
		if (ssh_blocking_flush(cn->s, 0) != SSH_OK) {
			cn->drained = false;
			return;
		}
		if (!cn->drained) {
			cn->drained = true;
			return;
		}
	}
	conn_free(o, cn);
}

/* An ended session still closing (the loop keeps polling for it). */
bool
session_closing(struct offer *o)
{
	bool any = false;

	for (size_t i = 0; i < ARRAY_SIZE(o->conns); i++) {
		struct conn *cn = &o->conns[i];

		if (cn->s == NULL || !cn->closing)
			continue;
		session_drain(o, cn);
		any |= cn->s != NULL;
	}
	return any;
}

/* Key exchanges, dead connections, channels to answer or free. */
void
session_serve(struct offer *o)
{
	uint64_t now = offer_now(o);

	for (unsigned i = 0; i < ARRAY_SIZE(o->conns); i++) {
		struct conn *cn = &o->conns[i];

		if (cn->s == NULL || cn->closing)
			continue;
		if (!cn->kex_done && !cn->want_close)
			conn_kex(o, i);
		if (cn->want_close) {
			session_close_conn(o, i, "closed");
			continue;
		}
		if (cn->kex_done && (!ssh_is_connected(cn->s) ||
				     (ssh_get_status(cn->s) &
				      (SSH_CLOSED | SSH_CLOSED_ERROR)))) {
			if (cn == o->helper) {
				assist_session_closed(&o->eng, i, now);
				continue; /* the END action tears it down */
			}
			assist_session_closed(&o->eng, i, now);
			session_close_conn(o, i, "the peer went away");
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++) {
		struct chan *c = &o->chans[i];

		if (c->ch == NULL)
			continue;
		if (c->closed) {
			if (c == o->shell) {
				assist_session_end(
					&o->eng,
					"the Helper closed the session");
				continue;
			}
			chan_free(c);
			continue;
		}
		if (c->pending) {
			c->pending = false;
			if (c->kind == CHAN_CHAT) {
				chat_from_helper(o, c->text);
				chan_reply(c, "assist: sent\n", 0);
			} else if (c->kind == CHAN_RELEASE) {
				chan_reply(c, "assist: control given back\n",
					   0);
			}
		}
		if (c->kind != CHAN_SHELL && c->kind != CHAN_SFTP &&
		    chanq_to_channel(&c->out, c->ch) < 0)
			c->closed = true;
		if (c->answered && c->out.len == 0 &&
		    ssh_channel_is_open(c->ch)) {
			chan_finish(c);
			c->closed = true; /* freed next time round */
		}
	}
}
