/*
 * assist offer: the User's side (issue 5 item 1; remote-assistance.md §0,
 * §3.2).  A per-invitation Ed25519 host key and a 128-bit one-time
 * password; a TCP listener on every candidate address (the Teredo address
 * from teredod's control socket, native IPv6, IPv4), unprivileged; the
 * User's shell in tmux on a private socket.  An embedded libssh server
 * takes one Helper: password authentication only (three wrong passwords
 * lock the invitation), then the User's consent (RA: "accept connection"),
 * then the Helper's own tmux client, read-only ("Screen Sharing"), until
 * the User grants control ("Control Sharing"); F12 in the User's tmux is
 * the panic key (RA used Esc, MS-RA §3.16.5) and revokes it at once.
 * With --allow-files, once the User accepted, an "sftp" subsystem request
 * runs OpenSSH's sftp-server as the User (issue 5: no file access unless
 * the User allows it).
 * Chat both ways; a session log on the User's side; the listeners close at
 * the first successful login or at expiry, and the process ends with the
 * session.
 *
 * Everything the User decides goes through one control socket
 * (`assist ctl -s DIR/ctl.sock accept|refuse|grant|deny|revoke|say|end`):
 * the tmux prompts and key bindings call it, and so can scripts and tests.
 *
 * One thread, one libssh event loop.  libssh callbacks only record what
 * happened; the loop acts on it between polls (a callback must not add or
 * remove poll handles while libssh iterates over them).
 */
#include "assist.h"

#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <sodium.h>

#include "sys/ctl.h"
#include "sys/rand.h"
#include "sys/fd.h"
#include "sys/tcp.h"
#include "sys/tty.h"

#define DEFAULT_TEREDO_SOCKET "/run/shipworm/teredod.sock"
#define DEFAULT_TTL_S 3600
#define CHAN_MAX 8
#define PREAUTH_MS 60000
/* ... but only this long while another connection waits for the slot: a
 * connection that never logs in cannot keep the Helper out. */
#define PREAUTH_CONTESTED_MS 10000
#define KEX_TIMEOUT_S 10
#define TEXT_MAX 200
#define ALLOW_MAX 4   /* ports the User lets the Helper forward to */
#define FWD_MAX 4     /* forwarded connections at once */
#define PENDING_MAX 4 /* connections waiting for the session slot */
/* OpenSSH's own SFTP server (Debian: openssh-sftp-server), rule 13. */
#define SFTP_SERVER "/usr/lib/openssh/sftp-server"

enum prompt {
	PROMPT_NONE,
	PROMPT_ACCEPT,	/* "let the Helper see your terminal?" */
	PROMPT_CONTROL, /* "let the Helper type?" */
};

enum chan_kind {
	CHAN_NONE,
	CHAN_SHELL,
	CHAN_CHAT,
	CHAN_CONTROL,
	CHAN_RELEASE,
	CHAN_SFTP,
};

struct chan {
	struct offer *o;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	enum chan_kind kind;
	bool pending;  /* an exec request to act on */
	bool answered; /* reply sent, channel closed */
	char text[TEXT_MAX + 1];
};

/* The "sftp" subsystem: sftp-server as the User, its stdin and stdout
 * pumped to and from one session channel (--allow-files). */
struct sftp {
	ssh_channel ch; /* NULL: none running */
	pid_t pid;
	int in_fd;    /* the child's stdin: what the Helper sends */
	int out_fd;   /* the child's stdout: what goes to the Helper */
	bool polled;  /* out_fd is in the event loop */
	bool out_eof; /* the child closed its stdout: it is ending */
	bool closed;  /* the Helper closed the channel */
};

/* A direct-tcpip channel to one of the User's allowed local ports. */
struct fwd {
	struct offer *o;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	int fd;
	bool polled; /* fd is in the event loop */
	bool closed; /* to tear down in the loop */
};

struct offer {
	/* Files, all in the private directory. */
	char dir[PATH_MAX - 32];
	char tmux_sock[PATH_MAX], ctl_path[PATH_MAX], log_path[PATH_MAX];
	char inv_path[PATH_MAX], conf_path[PATH_MAX];
	const char *shell_cmd;
	FILE *log;

	struct assist_invite inv;
	uint8_t secret[ASSIST_SECRET_LEN];
	ssh_bind bind;
	ssh_event event;
	struct ssh_server_callbacks_struct server_cb;

	int lfd[ASSIST_CAND_MAX];
	unsigned lfd_count;
	bool listening;
	int ctl_fd;
	/* Accepted, waiting for the loop, oldest first: a Helper's race may
	 * connect to several candidates at once, and the one it keeps need
	 * not be the first to arrive. */
	int pending_tcp[PENDING_MAX];
	char pending_peer[PENDING_MAX][TCP_ENDPOINT_TEXT];
	uint64_t pending_since_ms[PENDING_MAX];
	unsigned pending_count;
	int pending_ctl;

	/* The one session. */
	ssh_session session;
	char peer[TCP_ENDPOINT_TEXT];
	uint64_t session_start_ms;
	bool authed, lock_pending, used;
	unsigned failures;
	struct chan chans[CHAN_MAX];
	struct chan *shell;
	char term[64];
	int cols, rows;
	bool consent_asked, accepted, declined;
	enum prompt prompt;
	uint64_t prompt_deadline_ms;
	struct chan *control_req; /* the Helper's pending request */
	uint16_t allow[ALLOW_MAX];
	unsigned allow_count;
	struct fwd fwds[FWD_MAX];
	bool allow_files; /* --allow-files: SFTP once the User accepted */
	struct sftp sftp;
	bool control;
	int pty_fd;
	pid_t attach_pid;
	char helper_tty[64];
	bool pty_closed, helper_gone;

	bool done;
	const char *end_reason;
	char disconnect_msg[160];
	uint64_t next_tmux_check_ms;
	int exit_code;
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

__attribute__((format(printf, 2, 3))) static void
logf_(struct offer *o, const char *fmt, ...)
{
	char when[ASSIST_TIME_TEXT], line[512];
	va_list ap;

	if (assist_time_format(now_unix(), when) < 0)
		when[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (o->log != NULL) {
		fprintf(o->log, "%s %s\n", when, line);
		fflush(o->log);
	}
	fprintf(stderr, "assist: %s\n", line);
}

/* tmux on the User's private socket; quiet; the exit status. */
static int
tmux(struct offer *o, const char *a1, const char *a2, const char *a3,
     const char *a4, const char *a5, const char *a6, const char *a7)
{
	char *argv[12] = {"tmux", "-S", o->tmux_sock};
	const char *args[] = {a1, a2, a3, a4, a5, a6, a7};
	size_t n = 3;

	for (size_t i = 0; i < ARRAY_SIZE(args) && args[i] != NULL; i++)
		argv[n++] = (char *)(uintptr_t)args[i];
	argv[n] = NULL;
	return proc_run(argv, true);
}

/* '#' starts a tmux format (and "#(cmd)" runs a command): double it. */
static void
tmux_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in != '\0' && o + 2 < cap; in++) {
		char c = (*in >= 0x20 && *in <= 0x7e) ? *in : '?';

		if (c == '#')
			out[o++] = '#';
		out[o++] = c;
	}
	out[o] = '\0';
}

static void
set_state(struct offer *o, const char *state)
{
	(void)tmux(o, "set", "-g", "@assist_state", state, NULL, NULL, NULL);
}

/* Every tmux client but the Helper's: the User's terminals. */
static unsigned
user_clients(struct offer *o, char ttys[][64], unsigned max)
{
	char *argv[] = {
		"tmux",		 "-S", o->tmux_sock, "list-clients", "-F",
		"#{client_tty}", NULL};
	char out[2048], *save = NULL;
	unsigned n = 0;

	if (proc_capture(argv, out, sizeof(out)) != 0)
		return 0;
	for (char *t = strtok_r(out, "\n", &save); t != NULL && n < max;
	     t = strtok_r(NULL, "\n", &save)) {
		if (strcmp(t, o->helper_tty) == 0)
			continue;
		snprintf(ttys[n++], 64, "%s", t);
	}
	return n;
}

/* A message in the status line of every client, the Helper's too. */
static void
broadcast(struct offer *o, const char *text)
{
	char *argv[] = {
		"tmux",		 "-S", o->tmux_sock, "list-clients", "-F",
		"#{client_tty}", NULL};
	char out[2048], esc[2 * TEXT_MAX + 64], *save = NULL;

	tmux_escape(text, esc, sizeof(esc));
	if (proc_capture(argv, out, sizeof(out)) != 0)
		return;
	for (char *t = strtok_r(out, "\n", &save); t != NULL;
	     t = strtok_r(NULL, "\n", &save))
		(void)tmux(o, "display-message", "-c", t, "-d", "15000", esc,
			   NULL);
}

/* Asks every User terminal a y/n question; the answer comes back through
 * the control socket ("answer y"). */
static void
ask_user(struct offer *o, enum prompt what, const char *question)
{
	char ttys[8][64], cmd[3 * PATH_MAX], esc[256];
	unsigned n = user_clients(o, ttys, ARRAY_SIZE(ttys));

	o->prompt = what;
	o->prompt_deadline_ms = now_ms() + ASSIST_PROMPT_MS;
	tmux_escape(question, esc, sizeof(esc));
	snprintf(
		cmd, sizeof(cmd),
		"run-shell -b \"'%s' ctl -s '%s' answer %%%% >/dev/null 2>&1\"",
		self_exe(), o->ctl_path);
	for (unsigned i = 0; i < n; i++) {
		char *argv[] = {"tmux", "-S", o->tmux_sock, "command-prompt",
				"-b",	"-1", "-t",	    ttys[i],
				"-p",	esc,  cmd,	    NULL};

		(void)!proc_run(argv, true); /* no answer counts as "no" */
	}
	if (n == 0)
		logf_(o,
		      "no User terminal attached: answer with "
		      "'assist ctl -s %s accept|refuse|grant|deny'",
		      o->ctl_path);
}

/* The Helper's tmux client read-only (true) or not; checked, not assumed. */
static int
set_readonly(struct offer *o, bool ro)
{
	char *argv[] = {"tmux",	      "-S",
			o->tmux_sock, "list-clients",
			"-F",	      "#{client_tty} #{client_readonly}",
			NULL};
	char out[2048], want[80];

	if (o->helper_tty[0] == '\0')
		return -ENOENT;
	for (int tries = 0; tries < 3; tries++) {
		if (proc_capture(argv, out, sizeof(out)) != 0)
			return -EIO;
		snprintf(want, sizeof(want), "%s %d\n", o->helper_tty, ro);
		if (strstr(out, want) != NULL)
			return 0;
		/* tmux 3.3: switch-client -r toggles read-only. */
		(void)tmux(o, "switch-client", "-c", o->helper_tty, "-r", NULL,
			   NULL, NULL);
	}
	return -EIO;
}

static void
close_listeners(struct offer *o, const char *why)
{
	if (!o->listening)
		return;
	for (unsigned i = 0; i < o->lfd_count; i++) {
		ssh_event_remove_fd(o->event, o->lfd[i]);
		fd_close(o->lfd[i]);
	}
	o->listening = false;
	logf_(o, "listeners closed: %s", why);
}

static void
stop_pty(struct offer *o)
{
	if (o->pty_fd >= 0) {
		ssh_event_remove_fd(o->event, o->pty_fd);
		fd_close(o->pty_fd);
		o->pty_fd = -1;
	}
	if (o->attach_pid > 0) {
		/* Gone already (-ESRCH) is fine: the wait reaps it anyway. */
		(void)!proc_kill(o->attach_pid, SIGTERM);
		(void)!proc_wait(o->attach_pid, NULL, NULL);
		o->attach_pid = 0;
	}
	o->helper_tty[0] = '\0';
}

/*
 * Ends the file access: the child killed unless it is ending by itself
 * (its stdout closed), then reaped.  tell: the channel still stands, so
 * the Helper gets the exit status, EOF and close (RFC 4254 §6.10).
 */
static void
stop_sftp(struct offer *o, bool tell)
{
	struct sftp *f = &o->sftp;
	int status = -1;

	if (f->ch == NULL)
		return;
	if (f->polled)
		ssh_event_remove_fd(o->event, f->out_fd);
	fd_close(f->in_fd);
	fd_close(f->out_fd);
	if (f->pid > 0) {
		/* Gone already (-ESRCH) is fine: the wait reaps it anyway. */
		if (!f->out_eof)
			(void)!proc_kill(f->pid, SIGTERM);
		if (proc_wait(f->pid, &status, NULL) < 0)
			status = -1;
	}
	if (tell && !f->closed && ssh_channel_is_open(f->ch)) {
		if (status >= 0)
			ssh_channel_request_send_exit_status(f->ch, status);
		ssh_channel_send_eof(f->ch);
		ssh_channel_close(f->ch);
	}
	logf_(o, "file access (sftp) closed (%s, exit status %d)",
	      f->closed	   ? "by the Helper"
	      : f->out_eof ? "sftp-server ended"
			   : "session ended",
	      status);
	memset(f, 0, sizeof(*f));
	f->in_fd = f->out_fd = -1;
}

/* Ends the current connection; after a login, the whole offer. */
static void
end_session(struct offer *o, const char *reason, const char *to_helper)
{
	if (o->session == NULL)
		return;
	logf_(o, "session with %s ended: %s", o->peer, reason);
	if (o->shell != NULL && o->shell->ch != NULL && to_helper != NULL &&
	    ssh_channel_is_open(o->shell->ch)) {
		char line[256];

		snprintf(line, sizeof(line), "\r\nassist: %s\r\n", to_helper);
		ssh_channel_write(o->shell->ch, line, (uint32_t)strlen(line));
		/* A clean end for ssh: exit status, EOF, close (RFC 4254
		 * §6.10), then the disconnect carrying the reason. */
		if (o->authed && o->accepted) {
			ssh_channel_request_send_exit_status(o->shell->ch, 0);
			ssh_channel_send_eof(o->shell->ch);
			ssh_channel_close(o->shell->ch);
		}
	}
	stop_pty(o);
	stop_sftp(o, o->authed && o->accepted);
	if (to_helper != NULL) {
		snprintf(o->disconnect_msg, sizeof(o->disconnect_msg),
			 "assist: %s", to_helper);
		ssh_session_set_disconnect_message(o->session,
						   o->disconnect_msg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++) {
		struct fwd *f = &o->fwds[i];

		if (f->polled)
			ssh_event_remove_fd(o->event, f->fd);
		if (f->fd >= 0 && f->ch != NULL)
			fd_close(f->fd);
		memset(f, 0, sizeof(*f));
	}
	ssh_event_remove_session(o->event, o->session);
	ssh_disconnect(o->session);
	ssh_free(o->session);
	o->session = NULL;
	memset(o->chans, 0, sizeof(o->chans));
	o->shell = NULL;
	o->control_req = NULL;
	o->prompt = PROMPT_NONE;
	if (o->authed) {
		o->done = true;
		o->end_reason = reason;
		set_state(o, "session ended");
		broadcast(o, "assist: the session has ended");
	}
}

/* --- libssh callbacks: record only ------------------------------------ */

static int
on_auth_password(ssh_session s, const char *user, const char *password,
		 void *arg)
{
	struct offer *o = arg;
	uint8_t got[ASSIST_SECRET_LEN];
	char u[ASSIST_USER_MAX + 1];
	int bad = assist_secret_parse(password, got) < 0;

	/* Constant time for the secret itself (libsodium). */
	bad |= sodium_memcmp(got, o->secret, sizeof(got)) != 0;
	bad |= strcmp(user, o->inv.user) != 0;
	sodium_memzero(got, sizeof(got));
	if (now_unix() >= o->inv.expires_s) {
		/* A login that started before the expiry ends after it. */
		logf_(o, "login from %s after the expiry refused", o->peer);
		ssh_session_set_disconnect_message(
			s, "assist: the invitation has expired");
		ssh_disconnect(s);
		return SSH_AUTH_DENIED;
	}
	if (!bad && !o->used) {
		o->authed = o->used = true;
		logf_(o, "%s logged in with the one-time password", o->peer);
		return SSH_AUTH_SUCCESS;
	}
	sanitize(user, u, sizeof(u));
	o->failures++;
	logf_(o, "wrong password from %s (user '%s'), %u of %d", o->peer, u,
	      o->failures, ASSIST_PASSWORD_TRIES);
	if (o->failures >= ASSIST_PASSWORD_TRIES) {
		/* Disconnect now, before the failure reply: the client then
		 * shows why (it stops reading after "Permission denied"). */
		o->lock_pending = true;
		ssh_session_set_disconnect_message(
			s, "assist: too many wrong passwords: the invitation "
			   "is locked; ask the User for a new one");
		ssh_disconnect(s);
	}
	return SSH_AUTH_DENIED;
}

static int
on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr,
	void *arg)
{
	struct chan *c = arg;
	struct offer *o = c->o;

	(void)s, (void)ch, (void)is_stderr;
	if (c->kind == CHAN_SFTP) {
		/* Blocking: sftp-server reads its stdin as long as it can
		 * queue the answers, and the client bounds what it has in
		 * flight; a dead child (-EPIPE) shows as its stdout's EOF. */
		if (o->sftp.ch == ch && o->sftp.in_fd >= 0)
			(void)!fd_write_all(o->sftp.in_fd, data, len);
		return (int)len;
	}
	/* Keys reach the Helper's tmux client, which drops them while it is
	 * read-only: tmux enforces view-only, not us. */
	if (c->kind != CHAN_SHELL || o->pty_fd < 0)
		return (int)len;
	/* A full pty drops the keys, as it always has: never block the
	 * loop on the Helper's typing. */
	(void)!fd_write_all(o->pty_fd, data, len);
	return (int)len;
}

static void
on_close(ssh_session s, ssh_channel ch, void *arg)
{
	struct chan *c = arg;

	(void)s;
	if (c->kind == CHAN_SHELL)
		c->o->helper_gone = true;
	if (c->kind == CHAN_SFTP && c->o->sftp.ch == ch)
		c->o->sftp.closed = true;
}

/* The Helper's EOF reaches sftp-server as the end of its stdin. */
static void
on_eof(ssh_session s, ssh_channel ch, void *arg)
{
	struct chan *c = arg;
	struct sftp *f = &c->o->sftp;

	(void)s;
	if (c->kind == CHAN_SFTP && f->ch == ch && f->in_fd >= 0) {
		fd_close(f->in_fd);
		f->in_fd = -1;
	}
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

	(void)s, (void)ch;
	if (c->o->shell != NULL)
		return 1; /* one view per session */
	c->kind = CHAN_SHELL;
	c->o->shell = c;
	return 0;
}

static int
on_exec_request(ssh_session s, ssh_channel ch, const char *command, void *arg)
{
	struct chan *c = arg;
	struct offer *o = c->o;
	char what[64];

	(void)s, (void)ch;
	if (o->accepted && strncmp(command, "assist-chat ", 12) == 0) {
		c->kind = CHAN_CHAT;
		sanitize(command + 12, c->text, sizeof(c->text));
	} else if (o->accepted &&
		   strcmp(command, "assist-request-control") == 0) {
		c->kind = CHAN_CONTROL;
	} else if (o->accepted &&
		   strcmp(command, "assist-release-control") == 0) {
		c->kind = CHAN_RELEASE;
	} else {
		sanitize(command, what, sizeof(what));
		logf_(o, "refused command '%s' from the Helper", what);
		return 1;
	}
	c->pending = true;
	return 0;
}

/* sftp-server as the User, its stdin and stdout on two pipes; the loop
 * polls the stdout one (serve_sftp).  Spawned here, not in the loop: the
 * Helper's first packet may follow the reply at once. */
static int
start_sftp(struct chan *c)
{
	struct offer *o = c->o;
	struct sftp *f = &o->sftp;
	char *home = getenv("HOME");
	/* -d: start in the User's home, as sshd would ('%' is sftp-server's
	 * escape: such a home is left out). */
	char *argv[] = {SFTP_SERVER, "-d", home, NULL};
	struct proc_opts opts = PROC_OPTS_INHERIT;
	int in[2], out[2], rc;

	if (home == NULL || home[0] != '/' || strchr(home, '%') != NULL)
		argv[1] = NULL;
	if ((rc = fd_pipe(in)) < 0)
		return rc;
	if ((rc = fd_pipe(out)) < 0) {
		fd_close(in[0]);
		fd_close(in[1]);
		return rc;
	}
	opts.std_fd[0] = in[0];
	opts.std_fd[1] = out[1];
	opts.std_fd[2] = PROC_DEVNULL;
	rc = proc_spawn(argv, &opts, &f->pid);
	fd_close(in[0]);
	fd_close(out[1]);
	if (rc < 0) {
		fd_close(in[1]);
		fd_close(out[0]);
		f->pid = 0;
		return rc;
	}
	f->ch = c->ch;
	f->in_fd = in[1];
	f->out_fd = out[0];
	f->polled = f->out_eof = f->closed = false;
	c->kind = CHAN_SFTP;
	logf_(o, "file access (sftp) opened (allowed by the User)");
	return 0;
}

/*
 * Issue 5: no file access unless the User allows it: "sftp" only with
 * --allow-files, only after the User accepted the Helper, one at a time;
 * every other subsystem is refused.
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
	if (strcmp(name, "sftp") != 0 || !o->allow_files) {
		logf_(o,
		      "refused subsystem '%s': no file access in this session",
		      what);
		return 1;
	}
	if (!o->accepted) {
		logf_(o, "refused subsystem 'sftp': the User has not "
			 "accepted the Helper");
		return 1;
	}
	if (c->kind != CHAN_NONE || o->sftp.ch != NULL) {
		logf_(o, "refused subsystem 'sftp': file access already open");
		return 1;
	}
	if ((rc = start_sftp(c)) < 0) {
		logf_(o, "refused subsystem 'sftp': %s: %s", SFTP_SERVER,
		      strerror(-rc));
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

static int
on_fwd_data(ssh_session s, ssh_channel ch, void *data, uint32_t len,
	    int is_stderr, void *arg)
{
	struct fwd *f = arg;

	(void)s, (void)ch, (void)is_stderr;
	if (!f->closed && fd_write_all(f->fd, data, len) < 0)
		f->closed = true;
	return (int)len;
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
	char buf[4096];
	size_t n;
	int rc;

	(void)revents;
	if (f->closed)
		return 0;
	rc = fd_read(fd, buf, sizeof(buf), &n);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		f->closed = true;
		return 0;
	}
	ssh_channel_write(f->ch, buf, (uint32_t)n);
	return 0;
}

static int
on_sftp_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	struct sftp *f = &o->sftp;
	char buf[16384];
	size_t n;
	int rc;

	(void)revents;
	if (f->out_eof)
		return 0;
	rc = fd_read(fd, buf, sizeof(buf), &n);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		f->out_eof = true; /* the loop reaps it and tells the Helper */
		return 0;
	}
	if (!f->closed && f->ch != NULL)
		ssh_channel_write(f->ch, buf, (uint32_t)n);
	return 0;
}

/*
 * Requests libssh has no server callback for: "direct-tcpip" channels
 * (ssh -L / -W).  Only to 127.0.0.1 or localhost, only to a port the User
 * allowed (--allow-port), only after the User accepted the Helper; all
 * else gets libssh's default answer, a refusal.
 */
static int
on_message(ssh_session s, ssh_message m, void *arg)
{
	struct offer *o = arg;
	struct tcp_endpoint ep = {.a4 = 0x7f000001u};
	const char *host;
	char h[64], peer[TCP_ENDPOINT_TEXT];
	int port, fd, rc;
	bool allowed = false;

	(void)s;
	if (ssh_message_type(m) != SSH_REQUEST_CHANNEL_OPEN ||
	    ssh_message_subtype(m) != SSH_CHANNEL_DIRECT_TCPIP)
		return 1;
	host = ssh_message_channel_request_open_destination(m);
	port = ssh_message_channel_request_open_destination_port(m);
	sanitize(host ? host : "", h, sizeof(h));
	for (unsigned i = 0; i < o->allow_count; i++)
		allowed |= o->allow[i] == port;
	if (!o->accepted || !allowed ||
	    (strcmp(h, "127.0.0.1") != 0 && strcmp(h, "localhost") != 0)) {
		logf_(o,
		      "refused forwarding to %s:%d (not allowed by the User)",
		      h, port);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++) {
		struct fwd *f = &o->fwds[i];

		if (f->ch != NULL)
			continue;
		ep.port = (uint16_t)port;
		/* Local and allowed: connect() completes or fails at once. */
		rc = tcp_connect_start(&ep, &fd);
		if (rc == 0) {
			rc = fd_wait(fd, POLLOUT, 1000) == 1
				     ? tcp_connect_result(fd)
				     : -ETIMEDOUT;
			if (rc < 0)
				fd_close(fd);
		}
		if (rc < 0) {
			logf_(o, "forwarding to 127.0.0.1:%d: %s", port,
			      strerror(-rc));
			return 1;
		}
		memset(f, 0, sizeof(*f));
		f->o = o;
		f->fd = fd;
		f->ch = ssh_message_channel_request_open_reply_accept(m);
		if (f->ch == NULL) {
			fd_close(fd);
			memset(f, 0, sizeof(*f));
			return 0;
		}
		f->cb.userdata = f;
		f->cb.channel_data_function = on_fwd_data;
		f->cb.channel_close_function = on_fwd_close;
		ssh_callbacks_init(&f->cb);
		ssh_set_channel_callbacks(f->ch, &f->cb);
		snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
		logf_(o, "the Helper forwards to %s (allowed by the User)",
		      peer);
		return 0;
	}
	logf_(o, "refused forwarding to 127.0.0.1:%d: %d already open", port,
	      FWD_MAX);
	return 1;
}

/* Polls a new sftp-server's stdout; ends it when it or the Helper did. */
static void
serve_sftp(struct offer *o)
{
	struct sftp *f = &o->sftp;

	if (f->ch == NULL)
		return;
	if (f->out_eof || f->closed) {
		stop_sftp(o, true);
		return;
	}
	if (!f->polled) {
		/* The loop must never block on the child; this cannot fail
		 * on a pipe we hold. */
		(void)!fd_set_nonblocking(f->out_fd);
		ssh_event_add_fd(o->event, f->out_fd, POLLIN, on_sftp_readable,
				 o);
		f->polled = true;
	}
}

/* Adds new forwarding sockets to the loop, tears down ended ones. */
static void
serve_fwds(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->fwds); i++) {
		struct fwd *f = &o->fwds[i];

		if (f->ch == NULL)
			continue;
		if (f->closed) {
			if (f->polled)
				ssh_event_remove_fd(o->event, f->fd);
			fd_close(f->fd);
			if (ssh_channel_is_open(f->ch)) {
				ssh_channel_send_eof(f->ch);
				ssh_channel_close(f->ch);
			}
			memset(f, 0, sizeof(*f));
			continue;
		}
		if (!f->polled) {
			/* The loop must never block on one connection; this
			 * cannot fail on a socket we hold. */
			(void)!fd_set_nonblocking(f->fd);
			ssh_event_add_fd(o->event, f->fd, POLLIN,
					 on_fwd_readable, f);
			f->polled = true;
		}
	}
}

static ssh_channel
on_channel_open(ssh_session s, void *arg)
{
	struct offer *o = arg;

	if (!o->authed)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++) {
		struct chan *c = &o->chans[i];

		if (c->ch != NULL)
			continue;
		memset(c, 0, sizeof(*c));
		c->o = o;
		c->ch = ssh_channel_new(s);
		if (c->ch == NULL)
			return NULL;
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
	return NULL;
}

static int
on_listen_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	char peer[TCP_ENDPOINT_TEXT];
	int cfd;

	(void)revents;
	if (tcp_accept(fd, &cfd, peer) < 0)
		return 0;
	if (o->used || o->pending_count == PENDING_MAX) {
		/* One Helper at a time (RA: "all subsequent connect attempts
		 * will be blocked until the first helper disconnects"). */
		logf_(o, "refused a connection from %s: busy", peer);
		fd_close(cfd);
		return 0;
	}
	o->pending_tcp[o->pending_count] = cfd;
	memcpy(o->pending_peer[o->pending_count], peer, sizeof(peer));
	o->pending_since_ms[o->pending_count] = now_ms();
	o->pending_count++;
	return 0;
}

static int
on_ctl_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	int cfd;

	(void)revents;
	if (o->pending_ctl >= 0 || ctl_accept(fd, &cfd) < 0)
		return 0;
	o->pending_ctl = cfd;
	return 0;
}

static int
on_pty_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	char buf[4096];
	size_t n;
	int rc = fd_read(fd, buf, sizeof(buf), &n);

	(void)revents;
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		o->pty_closed = true; /* -EIO: the tmux client exited */
		return 0;
	}
	if (o->shell != NULL && o->shell->ch != NULL)
		ssh_channel_write(o->shell->ch, buf, (uint32_t)n);
	return 0;
}

/* --- the loop's actions ------------------------------------------------ */

/* Takes waiting connection i out of the list (its fd is the caller's). */
static void
pending_remove(struct offer *o, unsigned i)
{
	unsigned after = o->pending_count - i - 1;

	memmove(o->pending_tcp + i, o->pending_tcp + i + 1,
		after * sizeof(o->pending_tcp[0]));
	memmove(o->pending_peer + i, o->pending_peer + i + 1,
		after * sizeof(o->pending_peer[0]));
	memmove(o->pending_since_ms + i, o->pending_since_ms + i + 1,
		after * sizeof(o->pending_since_ms[0]));
	o->pending_count--;
}

static void
start_session(struct offer *o, unsigned i)
{
	long timeout = KEX_TIMEOUT_S;
	ssh_session s = ssh_new();
	int fd = o->pending_tcp[i];

	memcpy(o->peer, o->pending_peer[i], sizeof(o->peer));
	pending_remove(o, i);
	if (s == NULL) {
		fd_close(fd);
		return;
	}
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_bind_accept_fd(o->bind, s, fd) != SSH_OK) {
		logf_(o, "connection from %s: %s", o->peer,
		      ssh_get_error(o->bind));
		ssh_free(s);
		fd_close(fd);
		return;
	}
	ssh_set_auth_methods(s, SSH_AUTH_METHOD_PASSWORD);
	ssh_set_server_callbacks(s, &o->server_cb);
	ssh_set_message_callback(s, on_message, o);
	/* Blocking, bounded by the timeout, once the client has spoken
	 * (start_ready_session): one Helper at a time anyway. */
	if (ssh_handle_key_exchange(s) != SSH_OK) {
		logf_(o, "connection from %s: no SSH key exchange (%s)",
		      o->peer, ssh_get_error(s));
		ssh_disconnect(s);
		ssh_free(s);
		return;
	}
	o->session = s;
	o->session_start_ms = now_ms();
	ssh_event_add_session(o->event, s);
	logf_(o, "connection from %s: SSH key exchange done", o->peer);
}

/*
 * An SSH client sends its identification string as soon as it connects
 * (RFC 4253 §4.2; OpenSSH does), so only a connection that has sent
 * something, or closed, enters the key exchange, which blocks this loop
 * for up to KEX_TIMEOUT_S.  A silent one is closed after KEX_TIMEOUT_S
 * without holding anything up.  Oldest first.
 */
static void
start_ready_session(struct offer *o, uint64_t now)
{
	for (unsigned i = 0; i < o->pending_count; i++)
		if (fd_wait(o->pending_tcp[i], POLLIN, 0) != 0) {
			start_session(o, i);
			return;
		}
	for (unsigned i = 0; i < o->pending_count;) {
		if (now - o->pending_since_ms[i] < KEX_TIMEOUT_S * 1000u) {
			i++;
			continue;
		}
		logf_(o, "connection from %s: silent for %d s, closed",
		      o->pending_peer[i], KEX_TIMEOUT_S);
		fd_close(o->pending_tcp[i]);
		pending_remove(o, i);
	}
}

static void
start_view(struct offer *o)
{
	char name[TTY_PATH_MAX], term[sizeof(o->term) + 8];
	const char *env[] = {term, "TMUX", NULL};
	/* attach -r: read-only, and the Helper's size is ignored. */
	char *argv[] = {"tmux", "-S", o->tmux_sock, "attach-session",
			"-r",	"-t", "assist",	    NULL};
	int master, rc;
	pid_t pid;

	snprintf(term, sizeof(term), "TERM=%s", o->term[0] ? o->term : "xterm");
	rc = tty_spawn(argv, env, (unsigned)(o->rows > 0 ? o->rows : 24),
		       (unsigned)(o->cols > 0 ? o->cols : 80), &master, &pid,
		       name);
	if (rc < 0) {
		logf_(o, "forkpty: %s", strerror(-rc));
		end_session(o, "no terminal for the Helper",
			    "the User's side could not open a terminal");
		return;
	}
	o->pty_fd = master;
	o->attach_pid = pid;
	snprintf(o->helper_tty, sizeof(o->helper_tty), "%s", name);
	ssh_event_add_fd(o->event, master, POLLIN, on_pty_readable, o);
	set_state(o, "Helper watching (view only)");
	logf_(o, "the Helper sees the terminal, read-only (%s)", name);
}

static void
chan_reply(struct chan *c, const char *text, int status)
{
	if (c->ch == NULL || c->answered)
		return;
	c->answered = true;
	if (text != NULL)
		ssh_channel_write(c->ch, text, (uint32_t)strlen(text));
	ssh_channel_request_send_exit_status(c->ch, status);
	ssh_channel_send_eof(c->ch);
	ssh_channel_close(c->ch);
}

static void
grant(struct offer *o, bool yes, const char *how)
{
	o->prompt = PROMPT_NONE;
	if (yes && set_readonly(o, false) == 0) {
		o->control = true;
		logf_(o, "control granted to the Helper (%s)", how);
		set_state(o, "HELPER HAS CONTROL - F12 takes it back");
		broadcast(o, "assist: the Helper has control; F12 takes it "
			     "back at once");
		if (o->control_req != NULL)
			chan_reply(o->control_req,
				   "assist: control granted by the User (F12 "
				   "on their side takes it back)\n",
				   0);
	} else {
		logf_(o, "control request refused (%s)", how);
		if (o->control_req != NULL)
			chan_reply(o->control_req,
				   "assist: control refused by the User\n", 1);
	}
	o->control_req = NULL;
}

static void
take_back(struct offer *o, const char *how)
{
	if (set_readonly(o, true) < 0 && o->helper_tty[0] != '\0')
		logf_(o, "WARNING: could not make the Helper read-only");
	if (o->control)
		logf_(o, "control revoked (%s)", how);
	o->control = false;
	if (o->helper_tty[0] != '\0') {
		set_state(o, "Helper watching (view only)");
		broadcast(o, "assist: control taken back by the User");
	}
}

static void
decide_accept(struct offer *o, bool yes, const char *how)
{
	o->prompt = PROMPT_NONE;
	if (yes) {
		o->accepted = true;
		logf_(o, "the User accepted the Helper (%s)", how);
		return;
	}
	o->declined = true;
	logf_(o, "the User declined the Helper (%s)", how);
}

static void
chat_from_user(struct offer *o, const char *text)
{
	char t[TEXT_MAX + 1], line[TEXT_MAX + 32];

	sanitize(text, t, sizeof(t));
	logf_(o, "chat User: %s", t);
	snprintf(line, sizeof(line), "User says: %s", t);
	broadcast(o, line);
}

static size_t
ctl_answer(struct offer *o, const char *req, char *out, size_t cap)
{
	bool yes;

	if (strcmp(req, "answer y") == 0 || strcmp(req, "answer Y") == 0)
		req = o->prompt == PROMPT_CONTROL ? "grant" : "accept";
	else if (strncmp(req, "answer", 6) == 0)
		req = o->prompt == PROMPT_CONTROL ? "deny" : "refuse";

	if (strcmp(req, "status") == 0)
		return (size_t)snprintf(
			out, cap,
			"id=%02x%02x%02x%02x%02x%02x%02x%02x listening=%d "
			"session=%s accepted=%d control=%d prompt=%d "
			"failures=%u\n",
			o->inv.id[0], o->inv.id[1], o->inv.id[2], o->inv.id[3],
			o->inv.id[4], o->inv.id[5], o->inv.id[6], o->inv.id[7],
			o->listening, o->session ? o->peer : "-", o->accepted,
			o->control, (int)o->prompt, o->failures);
	if ((yes = strcmp(req, "accept") == 0) || strcmp(req, "refuse") == 0) {
		if (!o->authed || o->accepted || o->declined)
			return (size_t)snprintf(
				out, cap, "error: no Helper is waiting\n");
		decide_accept(o, yes, "control socket");
		return (size_t)snprintf(out, cap, "ok\n");
	}
	if ((yes = strcmp(req, "grant") == 0) || strcmp(req, "deny") == 0) {
		if (o->helper_tty[0] == '\0')
			return (size_t)snprintf(
				out, cap, "error: no Helper is watching\n");
		grant(o, yes, "control socket");
		return (size_t)snprintf(out, cap, "ok\n");
	}
	if (strcmp(req, "revoke") == 0) {
		take_back(o, "panic key");
		return (size_t)snprintf(out, cap, "ok\n");
	}
	if (strncmp(req, "say ", 4) == 0) {
		chat_from_user(o, req + 4);
		return (size_t)snprintf(out, cap, "ok\n");
	}
	if (strcmp(req, "end") == 0) {
		if (o->session != NULL)
			end_session(o, "ended by the User",
				    "the User ended the session");
		o->done = true;
		o->end_reason =
			o->end_reason ? o->end_reason : "ended by the User";
		return (size_t)snprintf(out, cap, "ok\n");
	}
	return (size_t)snprintf(out, cap, "error: unknown request\n");
}

/* One request per connection, as sys/ctl.h frames it. */
static void
serve_ctl(struct offer *o)
{
	char req[CTL_REQUEST_MAX + 1], out[512];
	size_t n = 0, len;
	int fd = o->pending_ctl;

	o->pending_ctl = -1;
	while (n < CTL_REQUEST_MAX) {
		size_t r;
		int rc;

		if (fd_wait(fd, POLLIN, CTL_TIMEOUT_MS) <= 0)
			break;
		rc = fd_read(fd, req + n, CTL_REQUEST_MAX - n, &r);
		if (rc == -EAGAIN)
			continue;
		if (rc < 0 || r == 0)
			break;
		n += r;
		if (memchr(req, '\n', n) != NULL)
			break;
	}
	req[n] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	len = ctl_answer(o, req, out, sizeof(out));
	if (len >= sizeof(out))
		len = sizeof(out) - 1;
	/* The client may have gone; nothing to tell it then. */
	(void)!fd_write_all(fd, out, len);
	fd_close(fd);
}

static void
serve_chans(struct offer *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->chans); i++) {
		struct chan *c = &o->chans[i];

		if (c->ch == NULL || !c->pending)
			continue;
		c->pending = false;
		switch (c->kind) {
		case CHAN_CHAT: {
			char line[TEXT_MAX + 32];

			logf_(o, "chat Helper: %s", c->text);
			snprintf(line, sizeof(line), "Helper says: %s",
				 c->text);
			broadcast(o, line);
			chan_reply(c, "assist: sent\n", 0);
			break;
		}
		case CHAN_CONTROL:
			if (o->control) {
				chan_reply(c, "assist: you have control\n", 0);
				break;
			}
			if (o->control_req != NULL ||
			    o->helper_tty[0] == '\0') {
				chan_reply(c, "assist: not now\n", 1);
				break;
			}
			o->control_req = c;
			logf_(o, "the Helper asks for control");
			ask_user(o, PROMPT_CONTROL,
				 "assist: the Helper asks to TYPE in your "
				 "terminal. Allow? (y/n)");
			break;
		case CHAN_RELEASE:
			take_back(o, "released by the Helper");
			chan_reply(c, "assist: control given back\n", 0);
			break;
		default:
			break;
		}
	}
}

static void
tick(struct offer *o)
{
	uint64_t now = now_ms();

	if (o->pending_ctl >= 0)
		serve_ctl(o);
	/* After a login, the waiting connections are refused. */
	while (o->used && o->pending_count > 0) {
		o->pending_count--;
		logf_(o, "refused a connection from %s: busy",
		      o->pending_peer[o->pending_count]);
		fd_close(o->pending_tcp[o->pending_count]);
	}
	if (o->pending_count > 0 && o->session == NULL) {
		start_ready_session(o, now); /* may block for a key exchange */
		now = now_ms();
	}
	if (o->session == NULL)
		goto idle;

	if (o->lock_pending) {
		o->lock_pending = false;
		end_session(o, "three wrong passwords",
			    "too many wrong passwords: the invitation is "
			    "locked; ask the User for a new one");
		close_listeners(o, "invitation locked after three wrong "
				   "passwords");
		o->done = true;
		o->end_reason = "locked";
		return;
	}
	if (!ssh_is_connected(o->session) ||
	    (ssh_get_status(o->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		end_session(o, "the Helper disconnected", NULL);
		goto idle;
	}
	if (!o->authed && o->pending_count > 0 &&
	    now - o->session_start_ms > PREAUTH_CONTESTED_MS) {
		end_session(o,
			    "no login within 10 s while another connection "
			    "waited",
			    "no login in time: another connection is waiting");
		goto idle;
	}
	if (!o->authed && now - o->session_start_ms > PREAUTH_MS) {
		end_session(o, "no login within 60 s", "no login within 60 s");
		goto idle;
	}
	if (o->authed && o->listening)
		close_listeners(o, "the invitation is used (one Helper per "
				   "invitation)");
	if (o->shell != NULL && !o->consent_asked) {
		char q[256];

		o->consent_asked = true;
		snprintf(q, sizeof(q),
			 "assist: a Helper (%s) wants to SEE your terminal. "
			 "Accept? (y/n)",
			 o->peer);
		logf_(o, "asking the User to accept %s", o->peer);
		set_state(o, "a Helper is asking to watch");
		if (o->shell->ch != NULL)
			ssh_channel_write(
				o->shell->ch,
				"assist: waiting for the User to accept...\r\n",
				43);
		ask_user(o, PROMPT_ACCEPT, q);
	}
	if (o->prompt != PROMPT_NONE && now >= o->prompt_deadline_ms) {
		if (o->prompt == PROMPT_ACCEPT)
			decide_accept(o, false, "no answer within 120 s");
		else
			grant(o, false, "no answer within 120 s");
	}
	if (o->declined) {
		end_session(o, "declined by the User", "declined by the User");
		return;
	}
	if (o->accepted && o->shell != NULL && o->pty_fd < 0 &&
	    o->attach_pid == 0)
		start_view(o);
	serve_chans(o);
	serve_fwds(o);
	serve_sftp(o);
	if (o->pty_closed) {
		/* The Helper's tmux client ended: either the Helper detached
		 * (the User's session lives on) or the User's shell exited. */
		if (tmux(o, "has-session", "-t", "assist", NULL, NULL, NULL,
			 NULL) == 0)
			end_session(o, "the Helper left (detached)",
				    "you left the session");
		else
			end_session(o, "the shared terminal closed",
				    "the User's terminal session ended");
		return;
	}
	if (o->helper_gone) {
		end_session(o, "the Helper closed the session", NULL);
		return;
	}
idle:
	if (o->listening && now_unix() >= o->inv.expires_s) {
		close_listeners(o, "the invitation expired");
		if (o->session == NULL) {
			o->done = true;
			o->end_reason = "expired";
		}
	}
	if (!o->done && now >= o->next_tmux_check_ms) {
		o->next_tmux_check_ms = now + 2000;
		if (tmux(o, "has-session", "-t", "assist", NULL, NULL, NULL,
			 NULL) != 0) {
			if (o->session != NULL)
				end_session(
					o, "the User's shell exited",
					"the User's terminal session ended");
			o->done = true;
			o->end_reason = "the User's shell exited";
		}
	}
}

/* --- setup ------------------------------------------------------------- */

/* The Teredo address teredod reports ("address" in show state --json). */
static int
teredo_address(const char *sock, struct ip6_addr *out, char *why, size_t cap)
{
	static char resp[CTL_RESPONSE_MAX + 1];
	char text[IP6_ADDR_TEXT_LEN];
	const char *p, *q;
	size_t len = 0;
	int rc = ctl_request(sock, "show state --json", resp, sizeof(resp),
			     &len, 2000);

	if (rc < 0) {
		snprintf(why, cap, "teredod at %s: %s", sock, strerror(-rc));
		return rc;
	}
	p = strstr(resp, "\"address\":\"");
	if (p == NULL) {
		snprintf(why, cap, "teredod is not qualified (no address)");
		return -ENOENT;
	}
	p += strlen("\"address\":\"");
	q = strchr(p, '"');
	if (q == NULL || (size_t)(q - p) >= sizeof(text)) {
		snprintf(why, cap, "teredod: unreadable address");
		return -EBADMSG;
	}
	memcpy(text, p, (size_t)(q - p));
	text[q - p] = '\0';
	if (ip6_addr_parse(text, out) < 0) {
		snprintf(why, cap, "teredod: unreadable address");
		return -EBADMSG;
	}
	return 0;
}

static bool
is_teredo(const uint8_t a[16])
{
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0;
}

/* Candidates: native IPv6 first, then Teredo, then IPv4 (remote-
 * assistance.md §3.5 order); the race interleaves families anyway. */
static void
gather(struct offer *o, const char *teredo_sock, bool native)
{
	struct assist_invite *inv = &o->inv;
	struct ifaddrs *ifa = NULL;
	struct ip6_addr t;
	char why[160];

	if (native && getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
			struct assist_cand *c = &inv->cand[inv->cand_count];

			if (i->ifa_addr == NULL ||
			    inv->cand_count == ASSIST_CAND_MAX - 1)
				continue;
			memset(c, 0, sizeof(*c));
			if (i->ifa_addr->sa_family == AF_INET6) {
				const struct sockaddr_in6 *s6 =
					(const void *)i->ifa_addr;

				memcpy(c->a6.bytes, &s6->sin6_addr, 16);
				if (is_teredo(c->a6.bytes) ||
				    ip6_addr_is_link_local(&c->a6) ||
				    ip6_addr_is_multicast(&c->a6) ||
				    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
				    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
					continue;
				c->kind = ASSIST_CAND_IPV6;
				c->is_v6 = true;
				inv->cand_count++;
			}
		}
	}
	if (teredo_address(teredo_sock, &t, why, sizeof(why)) == 0) {
		struct assist_cand *c = &inv->cand[inv->cand_count++];

		memset(c, 0, sizeof(*c));
		c->kind = ASSIST_CAND_TEREDO;
		c->is_v6 = true;
		c->a6 = t;
	} else {
		fprintf(stderr, "assist: no Teredo candidate: %s\n", why);
	}
	if (native && ifa != NULL) {
		for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
			struct assist_cand *c = &inv->cand[inv->cand_count];
			const struct sockaddr_in *s4;
			uint32_t a;

			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    inv->cand_count == ASSIST_CAND_MAX)
				continue;
			s4 = (const void *)i->ifa_addr;
			a = ntohl(s4->sin_addr.s_addr);
			if ((a >> 24) == 127 || (a >> 16) == 0xa9fe ||
			    (a >> 24) == 0)
				continue;
			memset(c, 0, sizeof(*c));
			c->kind = ASSIST_CAND_IPV4;
			c->a4 = a;
			inv->cand_count++;
		}
	}
	if (ifa != NULL)
		freeifaddrs(ifa);
}

/* A listener per candidate, the same port on all where it is free. */
static int
listen_all(struct offer *o, uint16_t want_port)
{
	struct assist_invite *inv = &o->inv;
	unsigned kept = 0;
	uint16_t port = want_port;

	for (unsigned i = 0; i < inv->cand_count; i++) {
		struct assist_cand *c = &inv->cand[i];
		struct tcp_endpoint ep = {
			.is_v6 = c->is_v6, .a4 = c->a4, .port = port};
		char text[ASSIST_CAND_TEXT];
		uint16_t got;
		int fd, rc;

		memcpy(ep.a6, c->a6.bytes, 16);
		rc = tcp_listen(&ep, 4, &fd, &got);
		if (rc == -EADDRINUSE && port != 0) {
			ep.port = 0;
			rc = tcp_listen(&ep, 4, &fd, &got);
		}
		c->port = got;
		assist_cand_format(c, text);
		if (rc < 0) {
			fprintf(stderr, "assist: cannot listen on %s: %s\n",
				text, strerror(-rc));
			continue;
		}
		if (port == 0)
			port = got;
		o->lfd[o->lfd_count++] = fd;
		inv->cand[kept++] = *c;
	}
	inv->cand_count = kept;
	return kept > 0 ? 0 : -EADDRNOTAVAIL;
}

static int
write_tmux_conf(struct offer *o)
{
	char conf[4096];
	int n = snprintf(
		conf, sizeof(conf),
		"# Written by assist offer: the User's side of a session.\n"
		"set -g status-right-length 90\n"
		"set -g status-right \"assist: #{@assist_state} | "
		"F12: panic, C-b m: chat \"\n"
		"set -g @assist_state \"waiting for the Helper\"\n"
		"set -g display-time 4000\n"
		"bind -n F12 run-shell -b \"'%s' ctl -s '%s' revoke "
		">/dev/null 2>&1\"\n"
		/* The text goes through a tmux option and #{q:}, never inside
		 * shell quotes ("%%%" escapes only tmux's quoting). */
		"bind m command-prompt -p \"chat to the Helper:\" "
		"\"set -g @assist_chat \\\"%%%%%%\\\" ; "
		"run-shell -b \\\"'%s' ctl -s '%s' say #{q:@assist_chat} "
		">/dev/null 2>&1\\\"\"\n"
		"bind a run-shell -b \"'%s' ctl -s '%s' accept "
		">/dev/null 2>&1\"\n"
		"bind g run-shell -b \"'%s' ctl -s '%s' grant "
		">/dev/null 2>&1\"\n"
		"bind X run-shell -b \"'%s' ctl -s '%s' end "
		">/dev/null 2>&1\"\n",
		self_exe(), o->ctl_path, self_exe(), o->ctl_path, self_exe(),
		o->ctl_path, self_exe(), o->ctl_path, self_exe(), o->ctl_path);

	if (n < 0 || (size_t)n >= sizeof(conf))
		return -ENAMETOOLONG;
	return path_write(o->conf_path, conf, (size_t)n, 0600);
}

static int
usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: assist offer [options]\n"
		"  -d, --dir DIR          private directory (default "
		"$XDG_RUNTIME_DIR or /tmp, shipworm-assist-ID)\n"
		"  -o, --output FILE      also write the invitation to FILE\n"
		"  -t, --ttl SECONDS      lifetime of the invitation "
		"(default 3600)\n"
		"  -s, --teredo-socket P  teredod's control socket (default "
		"%s)\n"
		"  -p, --port PORT        listen on PORT where free "
		"(default: any)\n"
		"  -n, --no-native        only the Teredo address\n"
		"  -c, --command CMD      the shell to share (default "
		"$SHELL)\n"
		"  -D, --no-attach        do not open the shared terminal "
		"here (serve in the foreground)\n"
		"  -a, --allow-port PORT  let the Helper forward to "
		"127.0.0.1:PORT (ssh -L/-W; repeatable, at most 4;\n"
		"                         default: no forwarding at all)\n"
		"      --allow-files      let the Helper get and put files "
		"as you (SFTP), once you\n"
		"                         accept them (default: no file "
		"access)\n",
		DEFAULT_TEREDO_SOCKET);
	return status;
}

/* dir/name into out (PATH_MAX); dir is shorter than PATH_MAX - 32. */
static void
path_join(char out[static PATH_MAX], const char *dir, const char *name)
{
	size_t d = strnlen(dir, PATH_MAX - 32), n = strnlen(name, 16);

	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, name, n);
	out[d + 1 + n] = '\0';
}

static bool
path_is_safe(const char *p)
{
	/* Paths go into tmux commands between single quotes. */
	return strpbrk(p, "'\"\\\n#;") == NULL;
}

int
offer_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"ttl", required_argument, NULL, 't'},
		{"teredo-socket", required_argument, NULL, 's'},
		{"port", required_argument, NULL, 'p'},
		{"no-native", no_argument, NULL, 'n'},
		{"command", required_argument, NULL, 'c'},
		{"no-attach", no_argument, NULL, 'D'},
		{"allow-port", required_argument, NULL, 'a'},
		{"allow-files", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct offer off;
	struct offer *o = &off;
	const char *dir = NULL, *output = NULL,
		   *teredo_sock = DEFAULT_TEREDO_SOCKET;
	char text[ASSIST_INVITE_MAX + 1], line[ASSIST_INVITE_LINE_CAP];
	char secret[ASSIST_SECRET_TEXT], when[ASSIST_TIME_TEXT];
	char hostkey[ASSIST_HOSTKEY_TEXT], fp[128];
	long ttl = DEFAULT_TTL_S, port = 0;
	bool native = true, attach = true;
	ssh_key key = NULL;
	char *b64 = NULL;
	size_t len;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "d:o:t:s:p:nc:Da:h", opts,
				 NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 't':
			ttl = strtol(optarg, NULL, 10);
			break;
		case 's':
			teredo_sock = optarg;
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'n':
			native = false;
			break;
		case 'c':
			o->shell_cmd = optarg;
			break;
		case 'D':
			attach = false;
			break;
		case 'a': {
			long v = strtol(optarg, NULL, 10);

			if (v < 1 || v > 65535 || o->allow_count == ALLOW_MAX) {
				fprintf(stderr,
					"assist: --allow-port: 1..65535, "
					"at most 4\n");
				return 2;
			}
			o->allow[o->allow_count++] = (uint16_t)v;
			break;
		}
		case 'F': /* long option only */
			o->allow_files = true;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (ttl < 10 || ttl > 7 * 86400 || port < 0 || port > 65535) {
		fprintf(stderr, "assist: --ttl 10..604800, --port 0..65535\n");
		return 2;
	}
	if (o->shell_cmd == NULL)
		o->shell_cmd = getenv("SHELL") ? getenv("SHELL") : "/bin/sh";
	o->pty_fd = o->ctl_fd = o->pending_ctl = -1;
	o->sftp.in_fd = o->sftp.out_fd = -1;
	if (sodium_init() < 0 || ssh_init() != SSH_OK) {
		fprintf(stderr, "assist: libsodium/libssh init failed\n");
		return 1;
	}

	/* The invitation: id, secret, expiry, key (RA's KH, pinned). */
	o->inv.version = ASSIST_INVITE_VERSION;
	snprintf(o->inv.user, sizeof(o->inv.user), "helper");
	if ((rc = rand_bytes(o->inv.id, sizeof(o->inv.id))) < 0 ||
	    (rc = rand_bytes(o->secret, sizeof(o->secret))) < 0) {
		fprintf(stderr, "assist: getrandom: %s\n", strerror(-rc));
		return 1;
	}
	o->inv.expires_s = now_unix() + ttl;
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    assist_hostkey_parse_b64(b64, strlen(b64), o->inv.hostkey) < 0) {
		fprintf(stderr, "assist: cannot make an Ed25519 host key\n");
		return 1;
	}
	ssh_string_free_char(b64);

	if (dir != NULL) {
		snprintf(o->dir, sizeof(o->dir), "%s", dir);
	} else {
		const char *base = getenv("XDG_RUNTIME_DIR");

		snprintf(o->dir, sizeof(o->dir),
			 "%s/shipworm-assist-%02x%02x%02x%02x%02x%02x%02x%02x",
			 base ? base : "/tmp", o->inv.id[0], o->inv.id[1],
			 o->inv.id[2], o->inv.id[3], o->inv.id[4], o->inv.id[5],
			 o->inv.id[6], o->inv.id[7]);
	}
	if (!path_is_safe(o->dir) || !path_is_safe(self_exe())) {
		fprintf(stderr, "assist: %s: quotes, '#' or ';' in a path\n",
			o->dir);
		return 2;
	}
	if ((rc = path_mkdir_private(o->dir)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", o->dir, strerror(-rc));
		return 1;
	}
	path_join(o->tmux_sock, o->dir, "tmux.sock");
	path_join(o->ctl_path, o->dir, "ctl.sock");
	path_join(o->log_path, o->dir, "session.log");
	path_join(o->inv_path, o->dir, "invitation");
	path_join(o->conf_path, o->dir, "tmux.conf");
	o->log = fopen(o->log_path, "a");
	if (o->log == NULL) {
		fprintf(stderr, "assist: %s: %s\n", o->log_path,
			strerror(errno));
		return 1;
	}

	gather(o, teredo_sock, native);
	if (listen_all(o, (uint16_t)port) < 0) {
		fprintf(stderr, "assist: no candidate address to listen on\n");
		return 1;
	}
	o->listening = true;
	if ((rc = assist_invite_format(&o->inv, text, sizeof(text), &len)) <
		    0 ||
	    (rc = assist_invite_format_line(&o->inv, line, sizeof(line))) < 0 ||
	    (rc = path_write(o->inv_path, text, len, 0644)) < 0 ||
	    (output != NULL &&
	     (rc = path_write(output, text, len, 0644)) < 0)) {
		fprintf(stderr, "assist: invitation: %s\n", strerror(-rc));
		return 1;
	}

	o->bind = ssh_bind_new();
	ssh_bind_options_set(o->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key);
	o->server_cb.userdata = o;
	o->server_cb.auth_password_function = on_auth_password;
	o->server_cb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&o->server_cb);
	o->event = ssh_event_new();
	if ((rc = ctl_listen(o->ctl_path, 0600, &o->ctl_fd)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", o->ctl_path, strerror(-rc));
		return 1;
	}
	ssh_event_add_fd(o->event, o->ctl_fd, POLLIN, on_ctl_readable, o);
	for (unsigned i = 0; i < o->lfd_count; i++)
		ssh_event_add_fd(o->event, o->lfd[i], POLLIN,
				 on_listen_readable, o);

	/* The User's shell in tmux, on a socket in the private directory. */
	if ((rc = write_tmux_conf(o)) < 0) {
		fprintf(stderr, "assist: tmux.conf: %s\n", strerror(-rc));
		return 1;
	}
	{
		char *targv[] = {"tmux",       "-S",
				 o->tmux_sock, "-f",
				 o->conf_path, "new-session",
				 "-d",	       "-s",
				 "assist",     "-x",
				 "80",	       "-y",
				 "24",	       (char *)(uintptr_t)o->shell_cmd,
				 NULL};

		unsetenv("TMUX");
		if (proc_run(targv, false) != 0) {
			fprintf(stderr, "assist: cannot start tmux\n");
			return 1;
		}
	}

	assist_hostkey_format(o->inv.hostkey, hostkey);
	{
		unsigned char h[crypto_hash_sha256_BYTES];
		uint8_t blob[51];
		char b[64];
		size_t bl = 0;

		/* The fingerprint ssh-keygen -l shows: SHA-256 of the blob. */
		(void)bl;
		blob[0] = 0, blob[1] = 0, blob[2] = 0, blob[3] = 11;
		memcpy(blob + 4, "ssh-ed25519", 11);
		blob[15] = 0, blob[16] = 0, blob[17] = 0, blob[18] = 32;
		memcpy(blob + 19, o->inv.hostkey, 32);
		crypto_hash_sha256(h, blob, sizeof(blob));
		sodium_bin2base64(b, sizeof(b), h, sizeof(h),
				  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(fp, sizeof(fp), "SHA256:%s", b);
	}
	assist_secret_format(o->secret, secret);
	if (assist_time_format(o->inv.expires_s, when) < 0)
		when[0] = '\0';
	printf("Invitation (also in %s%s%s):\n%s\n", o->inv_path,
	       output ? " and " : "", output ? output : "", text);
	printf("As one line:\n%s\n\n", line);
	printf("Password (tell your Helper separately, e.g. by phone):\n"
	       "  %s\n\n",
	       secret);
	printf("Host key %s; expires %s.\n", fp, when);
	for (unsigned i = 0; i < o->allow_count; i++)
		printf("The Helper may forward to 127.0.0.1:%u.\n",
		       o->allow[i]);
	if (o->allow_files)
		printf("The Helper may get and put files as you (SFTP) once "
		       "you accept them.\n");
	printf("Session log: %s\nControl: %s ctl -s %s "
	       "accept|refuse|grant|deny|revoke|say TEXT|end\n",
	       o->log_path, self_exe(), o->ctl_path);
	fflush(stdout);
	logf_(o,
	      "invitation %02x%02x%02x%02x%02x%02x%02x%02x offered, "
	      "expires %s, host key %s, %u candidates",
	      o->inv.id[0], o->inv.id[1], o->inv.id[2], o->inv.id[3],
	      o->inv.id[4], o->inv.id[5], o->inv.id[6], o->inv.id[7], when, fp,
	      o->inv.cand_count);
	for (unsigned i = 0; i < o->inv.cand_count; i++) {
		char c[ASSIST_CAND_TEXT];

		assist_cand_format(&o->inv.cand[i], c);
		logf_(o, "listening on %s", c);
	}

	if (attach) {
		pid_t pid;

		printf("\nPress Enter to open your shared terminal (tmux; F12 "
		       "is the panic key).\n");
		fflush(stdout);
		if (proc_fork(&pid) < 0)
			return 1;
		if (pid > 0) {
			char buf[16];
			char *aargv[] = {"tmux",       "-S",
					 o->tmux_sock, "attach-session",
					 "-t",	       "assist",
					 NULL};

			/* The User's terminal: tmux attach in the foreground;
			 * the server runs on in the child. */
			if (isatty(0))
				(void)!fgets(buf, sizeof(buf), stdin);
			(void)!proc_exec(aargv);
			_exit(127);
		}
		/* Our stdio was the User's terminal, which tmux now owns. */
		(void)!proc_detach();
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!o->done && !got_signal) {
		ssh_event_dopoll(o->event, 250);
		tick(o);
	}
	if (got_signal && o->session != NULL)
		end_session(o, "stopped", "the User's side stopped");
	logf_(o, "offer closed: %s", o->end_reason ? o->end_reason : "stopped");
	close_listeners(o, "offer closed");
	ssh_event_remove_fd(o->event, o->ctl_fd);
	fd_close(o->ctl_fd);
	(void)!path_unlink(o->ctl_path); /* gone already: fine */
	ssh_event_free(o->event);
	ssh_bind_free(o->bind);
	ssh_finalize();
	sodium_memzero(o->secret, sizeof(o->secret));
	fclose(o->log);
	return 0;
}
