/*
 * The shared terminal (remote-assistance.md §3.2): the User's shell in
 * tmux on a private socket; the Helper's own tmux client, read-only
 * (`attach -r`), on a pty the offer holds.  Its output goes to the
 * Helper's shell channel through a bounded queue (nothing is read from the
 * pty while the queue is full: backpressure to tmux, not to the loop).
 *
 * Revocation holds (issue 10 point 2): the Helper's keys reach that pty
 * only while the engine says IN_CONTROL (assist_session_may_type); tmux's
 * read-only flag is a second lock, not the first.  So a Helper who, while
 * in control, made their client writable again (switch-client -r) or
 * unbound F12 gains nothing after a revoke: the offer drops every byte.
 * The only key a viewing Helper has is tmux's detach (C-b d), which the
 * offer recognizes and carries out itself.  While the Helper has control,
 * the offer binds F12 again every second, and again at every revoke, so a
 * shell that unbound or rebound it cannot keep the User from it.
 */
#include "offer.h"

#include <signal.h>
#include <string.h>

#include "sys/fd.h"
#include "sys/tty.h"

/* tmux on the User's private socket; quiet; the exit status. */
int
tmux(struct offer *o, const char *a1, const char *a2, const char *a3,
     const char *a4, const char *a5, const char *a6, const char *a7)
{
	char *argv[12] = {"tmux", "-S", o->tmux_sock};
	const char *args[] = {a1, a2, a3, a4, a5, a6, a7};
	size_t n = 3;

	for (size_t i = 0; i < ARRAY_SIZE(args) && args[i] != NULL; i++)
		argv[n++] = (char *)(uintptr_t)args[i];
	argv[n] = NULL;
	return spawn_run(PRIVSEP_SPAWN_TMUX, argv);
}

/* '#' starts a tmux format (and "#(cmd)" runs a command): double it. */
void
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

void
term_set_state(struct offer *o, const char *state)
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

	if (spawn_capture(PRIVSEP_SPAWN_TMUX, argv, out, sizeof(out)) != 0)
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
void
term_broadcast(struct offer *o, const char *text)
{
	char *argv[] = {
		"tmux",		 "-S", o->tmux_sock, "list-clients", "-F",
		"#{client_tty}", NULL};
	char out[2048], esc[2 * TEXT_MAX + 64], *save = NULL;

	tmux_escape(text, esc, sizeof(esc));
	if (spawn_capture(PRIVSEP_SPAWN_TMUX, argv, out, sizeof(out)) != 0)
		return;
	for (char *t = strtok_r(out, "\n", &save); t != NULL;
	     t = strtok_r(NULL, "\n", &save))
		(void)tmux(o, "display-message", "-c", t, "-d", "15000", esc,
			   NULL);
}

/* Asks every User terminal a y/n question; the answer comes back through
 * the control socket ("answer y"). */
void
term_ask(struct offer *o, bool control, const char *question)
{
	char ttys[8][64], cmd[3 * PATH_MAX], esc[256];
	unsigned n = user_clients(o, ttys, ARRAY_SIZE(ttys));

	tmux_escape(question, esc, sizeof(esc));
	/* -k: one key, by name, so F12 on an open question (or a stale one,
	 * already answered elsewhere) still reaches the offer, as "F12". */
	if (privsep_spawn_ctl_cmd(cmd, sizeof(cmd),
				  control ? PRIVSEP_SPAWN_CTL_ANSWER_CONTROL
					  : PRIVSEP_SPAWN_CTL_ANSWER_CONSENT,
				  self_exe(), o->ctl_path) < 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		char *argv[] = {"tmux", "-S", o->tmux_sock, "command-prompt",
				"-b",	"-k", "-t",	    ttys[i],
				"-p",	esc,  cmd,	    NULL};

		/* no answer counts as "no" */
		(void)!spawn_run(PRIVSEP_SPAWN_TMUX, argv);
	}
	if (n == 0)
		offer_log(o,
			  "no User terminal attached: answer with "
			  "'assist ctl -s %s accept|refuse|grant|deny'",
			  o->ctl_path);
}

/* The panic key, bound (again), and every User terminal able to press it
 * (a shell in control could have made them read-only): see the top. */
void
term_bind_keys(struct offer *o)
{
	char *argv[] = {"tmux",	      "-S",
			o->tmux_sock, "list-clients",
			"-F",	      "#{client_readonly} #{client_tty}",
			NULL};
	char cmd[3 * PATH_MAX], out[2048], *save = NULL;

	if (privsep_spawn_ctl_cmd(cmd, sizeof(cmd), PRIVSEP_SPAWN_CTL_REVOKE,
				  self_exe(), o->ctl_path) < 0)
		return;
	(void)tmux(o, "bind-key", "-n", "F12", "run-shell", "-b", cmd, NULL);
	if (spawn_capture(PRIVSEP_SPAWN_TMUX, argv, out, sizeof(out)) != 0)
		return;
	for (char *t = strtok_r(out, "\n", &save); t != NULL;
	     t = strtok_r(NULL, "\n", &save)) {
		if (strncmp(t, "1 ", 2) != 0 ||
		    strcmp(t + 2, o->helper_tty) == 0)
			continue;
		(void)tmux(o, "switch-client", "-c", t + 2, "-r", NULL, NULL,
			   NULL);
		offer_log(o,
			  "the User's terminal %s was made read-only: writable "
			  "again (the panic key works there)",
			  t + 2);
	}
}

/* The Helper's tmux client read-only (true) or not; checked, not assumed.
 * A second lock: the first is the offer dropping the Helper's keys. */
int
term_set_readonly(struct offer *o, bool ro)
{
	char *argv[] = {"tmux",	      "-S",
			o->tmux_sock, "list-clients",
			"-F",	      "#{client_tty} #{client_readonly}",
			NULL};
	char out[2048], want[80];

	if (o->helper_tty[0] == '\0')
		return -ENOENT;
	for (int tries = 0; tries < 3; tries++) {
		if (spawn_capture(PRIVSEP_SPAWN_TMUX, argv, out, sizeof(out)) !=
		    0)
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

static int
on_pty_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	struct chanq *q = o->shell != NULL ? &o->shell->out : NULL;
	uint8_t buf[16384];
	size_t n, want;
	int rc;

	(void)revents;
	if (q == NULL || chanq_space(q) == 0) {
		o->pty_reading = false; /* the loop stops polling it */
		return 0;
	}
	want = chanq_space(q) < sizeof(buf) ? chanq_space(q) : sizeof(buf);
	rc = fd_read(fd, buf, want, &n);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		o->pty_closed = true; /* -EIO: the tmux client exited */
		o->pty_reading = false;
		return 0;
	}
	(void)chanq_push(q, buf, n);
	return 0;
}

int
term_start_view(struct offer *o)
{
	char name[TTY_PATH_MAX];
	/* attach -r: read-only, and the Helper's size is ignored. */
	char *argv[] = {"tmux", "-S", o->tmux_sock, "attach-session",
			"-r",	"-t", "assist",	    NULL};
	int master, rc;
	pid_t pid;

	rc = spawn_pty(argv, o->term[0] ? o->term : "xterm",
		       (unsigned)(o->rows > 0 ? o->rows : 24),
		       (unsigned)(o->cols > 0 ? o->cols : 80), &master, &pid,
		       name);
	if (rc < 0) {
		offer_log(o, "forkpty: %s", strerror(-rc));
		return rc;
	}
	o->pty_fd = master;
	o->attach_pid = pid;
	o->pty_reading = true;
	snprintf(o->helper_tty, sizeof(o->helper_tty), "%s", name);
	term_set_state(o, "Helper watching (view only)");
	offer_log(o, "the Helper sees the terminal, read-only (%s)", name);
	return 0;
}

void
term_stop_view(struct offer *o)
{
	if (o->pty_fd >= 0) {
		if (o->pty_polled)
			ssh_event_remove_fd(o->event, o->pty_fd);
		fd_close(o->pty_fd);
		o->pty_fd = -1;
		o->pty_polled = false;
	}
	if (o->attach_pid > 0) {
		/* Gone already (-ESRCH) is fine: the wait reaps it anyway. */
		(void)!spawn_kill(o->attach_pid, SIGTERM);
		(void)!spawn_wait(o->attach_pid, NULL);
		o->attach_pid = 0;
	}
	o->helper_tty[0] = '\0';
}

/*
 * The Helper's keys (a libssh data callback): queued for the pty only in
 * control; otherwise dropped, but for tmux's detach (C-b d), which the
 * offer does itself.  Everything is taken (never left in libssh): a
 * Helper flooding keys while viewing fills nothing.
 */
void
term_helper_input(struct chan *c, const uint8_t *data, size_t len)
{
	struct offer *o = c->o;

	if (assist_session_may_type(&o->eng)) {
		o->detach_prefix = false;
		if (chanq_push(&c->in, data, len) < len && !o->keys_dropped) {
			o->keys_dropped = true; /* once: no log flood */
			offer_log(o, "the Helper types faster than the "
				     "terminal reads: keys dropped");
		}
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (o->detach_prefix && data[i] == 'd' &&
		    o->helper_tty[0] != '\0')
			(void)tmux(o, "detach-client", "-t", o->helper_tty,
				   NULL, NULL, NULL, NULL);
		o->detach_prefix = data[i] == 0x02; /* C-b */
	}
}

/* Moves the terminal's bytes both ways; polls the pty only while the
 * Helper's queue has room. */
void
term_serve(struct offer *o)
{
	struct chan *sh = o->shell;
	uint64_t now = now_ms();

	if (o->pty_fd < 0 || sh == NULL || sh->ch == NULL)
		return;
	if (assist_session_may_type(&o->eng)) {
		if (chanq_to_fd(&sh->in, o->pty_fd) < 0)
			chanq_reset(&sh->in);
		if (now >= o->next_rebind_ms) {
			o->next_rebind_ms = now + 1000;
			term_bind_keys(o);
		}
	} else {
		chanq_reset(&sh->in); /* not one byte after a revoke */
	}
	if (chanq_to_channel(&sh->out, sh->ch) < 0)
		o->pty_closed = true;
	if (!o->pty_reading && chanq_space(&sh->out) > 0 && !o->pty_closed)
		o->pty_reading = true;
	if (o->pty_reading && !o->pty_polled) {
		ssh_event_add_fd(o->event, o->pty_fd, POLLIN, on_pty_readable,
				 o);
		o->pty_polled = true;
	} else if (!o->pty_reading && o->pty_polled) {
		ssh_event_remove_fd(o->event, o->pty_fd);
		o->pty_polled = false;
	}
}

int
term_write_conf(struct offer *o)
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
