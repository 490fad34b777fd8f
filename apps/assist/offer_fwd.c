/*
 * Port forwards (ssh -L / -W): "direct-tcpip" channels only to 127.0.0.1
 * or localhost, only to a port the User allowed (--allow-port), only after
 * the User accepted the Helper; all else gets libssh's default answer, a
 * refusal.  Each forward has a bounded queue each way (issue 10 point 5):
 * a local service that does not read, or a Helper who does not, fills
 * them and stops the other side from being read; data is never dropped
 * on EAGAIN and the forward is not torn down for it.
 */
#include "offer.h"

#include <string.h>

#include "sys/fd.h"

static int
on_fwd_data(ssh_session s, ssh_channel ch, void *data, uint32_t len,
	    int is_stderr, void *arg)
{
	struct fwd *f = arg;

	(void)s, (void)ch, (void)is_stderr;
	/* What does not fit stays in libssh (its window closes). */
	return (int)chanq_push(&f->to_local, data, len);
}

static void
on_fwd_eof(ssh_session s, ssh_channel ch, void *arg)
{
	struct fwd *f = arg;

	(void)s, (void)ch;
	f->to_local.eof = true;
}

static void
on_fwd_close(ssh_session s, ssh_channel ch, void *arg)
{
	struct fwd *f = arg;

	(void)s, (void)ch;
	f->closed = true;
}

static int
on_fwd_readable(socket_t fd, int revents, void *arg)
{
	struct fwd *f = arg;
	uint8_t buf[16384];
	size_t n, want = chanq_space(&f->to_helper);
	int rc;

	(void)revents;
	if (f->closed || want == 0) {
		f->reading = false;
		return 0;
	}
	if (want > sizeof(buf))
		want = sizeof(buf);
	rc = fd_read(fd, buf, want, &n);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		f->to_helper.eof = true;
		f->reading = false;
		return 0;
	}
	(void)chanq_push(&f->to_helper, buf, n);
	return 0;
}

int
fwd_on_message(ssh_session s, ssh_message m, void *arg)
{
	struct offer *o = arg;
	struct tcp_endpoint ep = {.a4 = 0x7f000001u};
	const char *host;
	char h[64];
	int port, fd, rc;
	bool allowed = false, desk;
	unsigned slot;

	(void)s;
	if (ssh_message_type(m) != SSH_REQUEST_CHANNEL_OPEN ||
	    ssh_message_subtype(m) != SSH_CHANNEL_DIRECT_TCPIP)
		return 1;
	host = ssh_message_channel_request_open_destination(m);
	port = ssh_message_channel_request_open_destination_port(m);
	sanitize(host ? host : "", h, sizeof(h));
	/* The desktop (offer_desktop.c): its own name, its own rule. */
	desk = desktop_fwd_target(h);
	for (unsigned i = 0; i < o->allow_count && !desk; i++)
		allowed |= o->allow[i] == port;
	if (o->eng.state != ASSIST_VIEWING && o->eng.state != ASSIST_IN_CONTROL)
		allowed = false;
	if (desk)
		allowed = o->eng.state == ASSIST_VIEWING ||
			  o->eng.state == ASSIST_IN_CONTROL;
	if (!allowed || (!desk && strcmp(h, "127.0.0.1") != 0 &&
			 strcmp(h, "localhost") != 0)) {
		offer_log(o,
			  "refused forwarding to %s:%d (not allowed by the "
			  "User)",
			  h, port);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++) {
		struct fwd *f = &o->fwds[i];

		if (f->ch != NULL)
			continue;
		if (assist_session_chan_open(&o->eng, &slot) < 0 ||
		    assist_session_chan_kind(&o->eng, slot, ASSIST_CHAN_FORWARD,
					     offer_now(o)) < 0) {
			offer_log(o, "refused forwarding: no channel slot");
			return 1;
		}
		ep.port = (uint16_t)port;
		/* Non-blocking connect to loopback; the loop learns the
		 * result as the socket becomes writable or readable. */
		rc = desk ? desktop_connect(o, &fd)
			  : tcp_connect_start(&ep, &fd);
		if (rc < 0) {
			assist_session_chan_closed(&o->eng, slot);
			if (desk)
				offer_log(o,
					  "refused forwarding to %s:%d: the "
					  "desktop is not shared (%s)",
					  h, port, strerror(-rc));
			else
				offer_log(o, "forwarding to 127.0.0.1:%d: %s",
					  port, strerror(-rc));
			return 1;
		}
		memset(f, 0, sizeof(*f));
		f->o = o;
		f->fd = fd;
		f->slot = slot;
		f->ch = ssh_message_channel_request_open_reply_accept(m);
		if (f->ch == NULL) {
			fd_close(fd);
			assist_session_chan_closed(&o->eng, slot);
			memset(f, 0, sizeof(*f));
			return 0;
		}
		f->cb.userdata = f;
		f->cb.channel_data_function = on_fwd_data;
		f->cb.channel_eof_function = on_fwd_eof;
		f->cb.channel_close_function = on_fwd_close;
		ssh_callbacks_init(&f->cb);
		ssh_set_channel_callbacks(f->ch, &f->cb);
		f->reading = true;
		f->desk = desk;
		if (desk) {
			/* The Helper's input reaches the server only in
			 * control, message by message (rfbfilter.h). */
			assist_rfb_filter_init(&f->rfb);
			f->to_local.rfb = &f->rfb;
		}
		if (desk)
			snprintf(f->peer, sizeof(f->peer), "the desktop");
		else
			snprintf(f->peer, sizeof(f->peer), "127.0.0.1:%d",
				 port);
		offer_log(o, "the Helper forwards to %s (allowed by the User)",
			  f->peer);
		return 0;
	}
	offer_log(o, "refused forwarding to 127.0.0.1:%d: %d already open",
		  port, FWD_MAX);
	return 1;
}

static void
fwd_stop(struct offer *o, struct fwd *f, bool tell)
{
	if (f->desk)
		offer_log(o,
			  "desktop: the Helper's viewer closed: %llu messages, "
			  "%llu input ones withheld (no control)",
			  (unsigned long long)f->rfb.msgs,
			  (unsigned long long)f->rfb.dropped);
	if (f->polled)
		ssh_event_remove_fd(o->event, f->fd);
	fd_close(f->fd);
	if (tell && ssh_channel_is_open(f->ch)) {
		(void)ssh_channel_send_eof(f->ch);
		(void)ssh_channel_close(f->ch);
	}
	/* The slot is for the next forward: cut libssh's way back here. */
	ssh_remove_channel_callbacks(f->ch, &f->cb);
	ssh_channel_free(f->ch);
	assist_session_chan_closed(&o->eng, f->slot);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

void
fwd_stop_all(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++)
		if (o->fwds[i].ch != NULL)
			fwd_stop(o, &o->fwds[i], false);
}

/* Moves each forward's queues; polls a socket only while its queue toward
 * the Helper has room; ends a forward when both sides are done. */
void
fwd_serve(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++) {
		struct fwd *f = &o->fwds[i];
		int rc;

		if (f->ch == NULL)
			continue;
		if (f->closed) {
			/* The Helper closed (RFC 4254 §5.3: it sends nothing
			 * more), but what it sent before still goes to the
			 * local side, then the forward ends. */
			chanq_from_channel(&f->to_local, f->ch);
			if (f->to_local.len > 0 &&
			    chanq_to_fd(&f->to_local, f->fd) == 0 &&
			    f->to_local.len > 0)
				continue; /* the local side is slow: later */
			fwd_stop(o, f, false);
			continue;
		}
		if (chanq_overrun(f->ch)) {
			offer_log(o,
				  "forwarding to %s: the Helper sends past "
				  "the SSH window: closed",
				  f->peer);
			fwd_stop(o, f, true);
			continue;
		}
		chanq_from_channel(&f->to_local, f->ch);
		if (f->to_local.rfb_bad) {
			offer_log(o,
				  "desktop: the Helper's viewer sent RFB the "
				  "offer cannot follow (version, security type "
				  "or message type unknown): closed, fail "
				  "closed");
			fwd_stop(o, f, true);
			continue;
		}
		/* After a revoke the Helper's input waits until x11vnc is
		 * view-only again (offer_desktop.c). */
		rc = f->desk && desktop_hold()
			     ? 0
			     : chanq_to_fd(&f->to_local, f->fd);
		/* The Helper's EOF once every byte before it went: libssh
		 * may still hold what did not fit in the queue. */
		if (rc == 0 && f->to_local.eof && f->to_local.len == 0 &&
		    !f->shut && ssh_channel_poll(f->ch, 0) <= 0) {
			f->shut = true;
			rc = tcp_shutdown_write(f->fd);
		}
		if (rc < 0 && rc != -ENOTCONN) {
			offer_log(o, "forwarding to %s: %s", f->peer,
				  strerror(-rc));
			fwd_stop(o, f, true);
			continue;
		}
		if (chanq_to_channel(&f->to_helper, f->ch) < 0) {
			fwd_stop(o, f, false);
			continue;
		}
		if (f->to_helper.eof && f->to_helper.len == 0) {
			/* The local side is done: so is the forward. */
			fwd_stop(o, f, true);
			continue;
		}
		if (!f->reading && !f->to_helper.eof &&
		    chanq_space(&f->to_helper) > 0)
			f->reading = true;
		if (f->reading && !f->polled) {
			ssh_event_add_fd(o->event, f->fd, POLLIN,
					 on_fwd_readable, f);
			f->polled = true;
		} else if (!f->reading && f->polled) {
			ssh_event_remove_fd(o->event, f->fd);
			f->polled = false;
		}
	}
}
