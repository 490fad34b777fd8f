/* assist offer's spawn requests and the spawner's policy.  See spawn.h. */
#include "privsep/spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "privsep/privsep.h"
#include "wire/rd.h"
#include "wire/wr.h"

#define REQ_FIXED 12 /* kind .. capture cap */
#define PID_BODY 8
#define ANSWER_FIXED 16
#define ERRNO_MAX 4095	    /* Linux's MAX_ERRNO */
#define STATUS_MAX 383	    /* 128 + the largest signal number */
#define SFTP_FILES "/files" /* where the jail binds --allow-files */

/* A string with no NUL inside (it becomes a C string in the spawner). */
static bool
is_text(const uint8_t *p, size_t n)
{
	return n == 0 || memchr(p, 0, n) == NULL;
}

/* TERM: letters, digits and ".+-_" (xterm-256color, screen.xterm). */
static bool
is_term(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '+' ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool
is_request(unsigned type)
{
	return type == PRIVSEP_SPAWN_RUN || type == PRIVSEP_SPAWN_START;
}

static int
read_request(struct rd *rd, struct privsep_spawn_msg *out)
{
	unsigned kind = rd_u8(rd);

	for (size_t i = 0; i < 3; i++) {
		unsigned mode = rd_u8(rd);

		/* CAPTURE: a RUN's stdout only. */
		if (mode > PRIVSEP_SPAWN_CAPTURE ||
		    (mode == PRIVSEP_SPAWN_CAPTURE &&
		     (i != 1 || out->type != PRIVSEP_SPAWN_RUN)))
			return -EBADMSG;
		out->std[i] = (enum privsep_spawn_mode)mode;
	}
	out->rows = rd_u16(rd);
	out->cols = rd_u16(rd);
	out->argc = rd_u8(rd);
	out->term_len = rd_u8(rd);
	out->capture_cap = rd_u16(rd);
	if (rd->bad || kind == 0 || kind > PRIVSEP_SPAWN_KIND_MAX ||
	    out->argc > PRIVSEP_SPAWN_ARGS_MAX ||
	    out->term_len > PRIVSEP_SPAWN_TERM_MAX ||
	    out->capture_cap > PRIVSEP_SPAWN_DATA_MAX ||
	    (out->capture_cap != 0) != (out->std[1] == PRIVSEP_SPAWN_CAPTURE))
		return -EBADMSG;
	out->kind = (enum privsep_spawn_kind)kind;
	out->term = rd_take(rd, out->term_len);
	if (out->term_len > 0 &&
	    (out->term == NULL || !is_term(out->term, out->term_len)))
		return -EBADMSG;
	for (unsigned i = 0; i < out->argc; i++) {
		size_t n = rd_u16(rd);

		if (rd->bad || n > PRIVSEP_SPAWN_ARG_MAX || n > rd_left(rd))
			return -EBADMSG;
		out->arg[i] = rd_take(rd, n);
		out->arg_len[i] = n;
		if (!is_text(out->arg[i], n))
			return -EBADMSG;
	}
	return 0;
}

int
privsep_spawn_read(const uint8_t *buf, size_t len,
		   struct privsep_spawn_msg *out)
{
	struct rd rd;
	const uint8_t *pad;
	unsigned version, type;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (len < PRIVSEP_SPAWN_HEADER_LEN)
		return -EMSGSIZE;
	rd_init(&rd, buf, len);
	version = rd_u8(&rd);
	type = rd_u8(&rd);
	if (version != PRIVSEP_SPAWN_VERSION)
		return -EPROTONOSUPPORT;
	/* The length field and the datagram's must both say it. */
	if (rd_u16(&rd) != len || len > PRIVSEP_SPAWN_MSG_MAX)
		return -EBADMSG;
	out->seq = rd_u32(&rd);
	out->status = -1;
	switch (type) {
	case PRIVSEP_SPAWN_RUN:
	case PRIVSEP_SPAWN_START:
		out->type = (enum privsep_spawn_type)type;
		rc = read_request(&rd, out);
		break;
	case PRIVSEP_SPAWN_KILL:
	case PRIVSEP_SPAWN_WAIT: {
		uint8_t flag;

		out->type = (enum privsep_spawn_type)type;
		out->pid = rd_u32(&rd);
		flag = rd_u8(&rd);
		pad = rd_take(&rd, 3);
		if (pad == NULL || !privsep_is_zero(pad, 3) ||
		    (type == PRIVSEP_SPAWN_WAIT && flag > 1))
			return -EBADMSG;
		if (type == PRIVSEP_SPAWN_KILL)
			out->signo = flag;
		else
			out->nohang = flag == 1;
		break;
	}
	case PRIVSEP_SPAWN_ANSWER: {
		uint32_t e, st;

		out->type = PRIVSEP_SPAWN_ANSWER;
		e = rd_u32(&rd);
		st = rd_u32(&rd);
		out->pid = rd_u32(&rd);
		out->data_len = rd_u16(&rd);
		pad = rd_take(&rd, 2);
		/* 0 or -1 .. -ERRNO_MAX, as two's complement. */
		if (pad == NULL || !privsep_is_zero(pad, 2) ||
		    (e != 0 && e < (uint32_t)-ERRNO_MAX) ||
		    (st != UINT32_MAX && st > STATUS_MAX) ||
		    out->data_len > PRIVSEP_SPAWN_DATA_MAX ||
		    out->data_len > rd_left(&rd))
			return -EBADMSG;
		out->error = e == 0 ? 0 : -(int32_t)(~e + 1u);
		out->status = st == UINT32_MAX ? -1 : (int32_t)st;
		out->data = rd_take(&rd, out->data_len);
		break;
	}
	default:
		return -EBADMSG;
	}
	if (rc < 0)
		return rc;
	return rd.bad || rd_left(&rd) != 0 ? -EBADMSG : 0;
}

/* What the parser would refuse in a request, checked before writing. */
static bool
request_ok(const struct privsep_spawn_msg *m)
{
	if (m->kind == 0 || m->kind > PRIVSEP_SPAWN_KIND_MAX ||
	    m->argc > PRIVSEP_SPAWN_ARGS_MAX ||
	    m->term_len > PRIVSEP_SPAWN_TERM_MAX ||
	    m->capture_cap > PRIVSEP_SPAWN_DATA_MAX ||
	    (m->capture_cap != 0) != (m->std[1] == PRIVSEP_SPAWN_CAPTURE) ||
	    (m->term_len > 0 && !is_term(m->term, m->term_len)))
		return false;
	for (size_t i = 0; i < 3; i++)
		if (m->std[i] > PRIVSEP_SPAWN_CAPTURE ||
		    (m->std[i] == PRIVSEP_SPAWN_CAPTURE &&
		     (i != 1 || m->type != PRIVSEP_SPAWN_RUN)))
			return false;
	for (unsigned i = 0; i < m->argc; i++)
		if (m->arg_len[i] > PRIVSEP_SPAWN_ARG_MAX ||
		    (m->arg_len[i] > 0 && m->arg[i] == NULL) ||
		    (m->arg_len[i] > 0 && !is_text(m->arg[i], m->arg_len[i])))
			return false;
	return true;
}

int
privsep_spawn_write(const struct privsep_spawn_msg *m, uint8_t *buf, size_t cap,
		    size_t *len)
{
	struct wr wr;
	int rc;

	*len = 0;
	wr_init(&wr, buf, cap);
	wr_u8(&wr, PRIVSEP_SPAWN_VERSION);
	wr_u8(&wr, (uint8_t)m->type);
	wr_u16(&wr, 0); /* patched below */
	wr_u32(&wr, m->seq);
	switch (m->type) {
	case PRIVSEP_SPAWN_RUN:
	case PRIVSEP_SPAWN_START:
		if (!request_ok(m))
			return -EINVAL;
		wr_u8(&wr, (uint8_t)m->kind);
		for (size_t i = 0; i < 3; i++)
			wr_u8(&wr, (uint8_t)m->std[i]);
		wr_u16(&wr, m->rows);
		wr_u16(&wr, m->cols);
		wr_u8(&wr, (uint8_t)m->argc);
		wr_u8(&wr, (uint8_t)m->term_len);
		wr_u16(&wr, m->capture_cap);
		wr_bytes(&wr, m->term, m->term_len);
		for (unsigned i = 0; i < m->argc; i++) {
			wr_u16(&wr, (uint16_t)m->arg_len[i]);
			wr_bytes(&wr, m->arg[i], m->arg_len[i]);
		}
		break;
	case PRIVSEP_SPAWN_KILL:
	case PRIVSEP_SPAWN_WAIT:
		wr_u32(&wr, m->pid);
		wr_u8(&wr, m->type == PRIVSEP_SPAWN_KILL ? m->signo
							 : (m->nohang ? 1 : 0));
		wr_zero(&wr, 3);
		break;
	case PRIVSEP_SPAWN_ANSWER:
		if (m->error > 0 || m->error < -ERRNO_MAX || m->status < -1 ||
		    m->status > STATUS_MAX ||
		    m->data_len > PRIVSEP_SPAWN_DATA_MAX)
			return -EINVAL;
		wr_u32(&wr, (uint32_t)m->error);
		wr_u32(&wr, (uint32_t)m->status);
		wr_u32(&wr, m->pid);
		wr_u16(&wr, (uint16_t)m->data_len);
		wr_zero(&wr, 2);
		wr_bytes(&wr, m->data, m->data_len);
		break;
	default:
		return -EINVAL;
	}
	if ((rc = wr_status(&wr)) < 0)
		return rc;
	if (wr.off > PRIVSEP_SPAWN_MSG_MAX)
		return -EINVAL;
	wr_patch_u16(&wr, 2, (uint16_t)wr.off);
	*len = wr.off;
	return 0;
}

unsigned
privsep_spawn_fd_count(const struct privsep_spawn_msg *m)
{
	unsigned n = 0;

	if (!is_request(m->type))
		return 0;
	for (size_t i = 0; i < 3; i++)
		n += m->std[i] == PRIVSEP_SPAWN_FD;
	return n;
}

/* Argument i is the C string s. */
static bool
arg_is(const struct privsep_spawn_msg *m, unsigned i, const char *s)
{
	size_t n = strlen(s);

	return i < m->argc && m->arg_len[i] == n &&
	       (n == 0 || memcmp(m->arg[i], s, n) == 0);
}

int
privsep_spawn_ctl_cmd(char *out, size_t cap, enum privsep_spawn_ctl which,
		      const char *exe, const char *ctl)
{
	int n;

	/* "%%": command-prompt puts the answer there (run-shell sees %). */
	if (which == PRIVSEP_SPAWN_CTL_REVOKE)
		n = snprintf(out, cap,
			     "'%s' ctl -s '%s' revoke >/dev/null 2>&1", exe,
			     ctl);
	else
		n = snprintf(out, cap,
			     "run-shell -b \"'%s' ctl -s '%s' answer %s %%%% "
			     ">/dev/null 2>&1\"",
			     exe, ctl,
			     which == PRIVSEP_SPAWN_CTL_ANSWER_CONTROL
				     ? "control"
				     : "consent");
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Text tmux expands as a format: printable, every '#' doubled (offer_term.c
 * tmux_escape), so no "#(cmd)" or "#{...}" is left. */
static bool
arg_is_escaped(const struct privsep_spawn_msg *m, unsigned i)
{
	if (i >= m->argc)
		return false;
	for (size_t k = 0; k < m->arg_len[i]; k++) {
		uint8_t c = m->arg[i][k];

		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == '#' && (++k == m->arg_len[i] || m->arg[i][k] != '#'))
			return false;
	}
	return true;
}

/* A tmux client, by its terminal: /dev/..., no format, no option. */
static bool
arg_is_tty(const struct privsep_spawn_msg *m, unsigned i)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-";

	if (i >= m->argc || m->arg_len[i] < 6 ||
	    memcmp(m->arg[i], "/dev/", 5) != 0)
		return false;
	for (size_t k = 0; k < m->arg_len[i]; k++)
		if (m->arg[i][k] == 0 || strchr(ok, m->arg[i][k]) == NULL)
			return false;
	return true;
}

/* Argument i is the C string s, which is set. */
static bool
arg_is_set(const struct privsep_spawn_msg *m, unsigned i, const char *s)
{
	return s != NULL && arg_is(m, i, s);
}

/* The tmux commands the offer runs (offer_term.c, offer.c), each with its
 * exact arguments after "-S" <socket>: nothing that loads a file, starts
 * or kills a server, changes another option, or runs another command. */
static bool
tmux_command_allowed(const struct privsep_spawn_policy *p,
		     const struct privsep_spawn_msg *m)
{
	unsigned n = m->argc;

	if (arg_is(m, 2, "has-session"))
		return n == 5 && arg_is(m, 3, "-t") && arg_is(m, 4, "assist");
	if (arg_is(m, 2, "set"))
		return n == 6 && arg_is(m, 3, "-g") &&
		       arg_is(m, 4, "@assist_state") && arg_is_escaped(m, 5);
	if (arg_is(m, 2, "list-clients"))
		return n == 5 && arg_is(m, 3, "-F") &&
		       (arg_is(m, 4, "#{client_tty}") ||
			arg_is(m, 4, "#{client_readonly} #{client_tty}") ||
			arg_is(m, 4, "#{client_tty} #{client_readonly}"));
	if (arg_is(m, 2, "display-message"))
		return n == 8 && arg_is(m, 3, "-c") && arg_is_tty(m, 4) &&
		       arg_is(m, 5, "-d") && arg_is(m, 6, "15000") &&
		       arg_is_escaped(m, 7);
	if (arg_is(m, 2, "command-prompt"))
		return n == 10 && arg_is(m, 3, "-b") && arg_is(m, 4, "-k") &&
		       arg_is(m, 5, "-t") && arg_is_tty(m, 6) &&
		       arg_is(m, 7, "-p") && arg_is_escaped(m, 8) &&
		       (arg_is_set(m, 9, p->ctl_answer_consent) ||
			arg_is_set(m, 9, p->ctl_answer_control));
	if (arg_is(m, 2, "bind-key"))
		return n == 8 && arg_is(m, 3, "-n") && arg_is(m, 4, "F12") &&
		       arg_is(m, 5, "run-shell") && arg_is(m, 6, "-b") &&
		       arg_is_set(m, 7, p->ctl_revoke);
	if (arg_is(m, 2, "switch-client"))
		return n == 6 && arg_is(m, 3, "-c") && arg_is_tty(m, 4) &&
		       arg_is(m, 5, "-r");
	if (arg_is(m, 2, "detach-client"))
		return n == 5 && arg_is(m, 3, "-t") && arg_is_tty(m, 4);
	return false;
}

static bool
std_are(const struct privsep_spawn_msg *m, enum privsep_spawn_mode in,
	enum privsep_spawn_mode out, enum privsep_spawn_mode err)
{
	return m->std[0] == in && m->std[1] == out && m->std[2] == err;
}

/* x11vnc's whole command line: the server (view only, on the offer's
 * socket, no TCP, logging to its file) or the view-only toggle. */
static bool
x11vnc_args_ok(const struct privsep_spawn_policy *p,
	       const struct privsep_spawn_msg *m)
{
	static const char *const server[] = {PRIVSEP_SPAWN_X11VNC_ARGS};
	unsigned n = ARRAY_SIZE(server);

	if (!arg_is(m, 0, "-display") || !arg_is(m, 1, p->display))
		return false;
	if (m->argc == 5)
		return arg_is(m, 2, "-sync") && arg_is(m, 3, "-R") &&
		       (arg_is(m, 4, "viewonly") || arg_is(m, 4, "noviewonly"));
	if (p->vnc_sock == NULL || p->vnc_log == NULL || m->argc != n + 6 ||
	    !arg_is(m, 2, "-unixsock") || !arg_is(m, 3, p->vnc_sock))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!arg_is(m, 4 + i, server[i]))
			return false;
	return arg_is(m, 4 + n, "-o") && arg_is(m, 5 + n, p->vnc_log);
}

static int
check_request(const struct privsep_spawn_policy *p,
	      const struct privsep_spawn_msg *m)
{
	bool run = m->type == PRIVSEP_SPAWN_RUN;

	/* Only a pty child has a size and a TERM. */
	if (m->kind != PRIVSEP_SPAWN_TMUX_PTY &&
	    (m->term_len != 0 || m->rows != 0 || m->cols != 0))
		return -EPERM;
	switch (m->kind) {
	case PRIVSEP_SPAWN_TMUX:
		/* Always the offer's own server: its private socket. */
		if (p->tmux_sock == NULL || !arg_is(m, 0, "-S") ||
		    !arg_is(m, 1, p->tmux_sock) || !tmux_command_allowed(p, m))
			return -EPERM;
		return std_are(m, PRIVSEP_SPAWN_DEVNULL,
			       run && m->std[1] == PRIVSEP_SPAWN_CAPTURE
				       ? PRIVSEP_SPAWN_CAPTURE
				       : PRIVSEP_SPAWN_DEVNULL,
			       PRIVSEP_SPAWN_DEVNULL)
			       ? 0
			       : -EPERM;
	case PRIVSEP_SPAWN_TMUX_PTY:
		/* The Helper's client: read-only (remote-assistance.md
		 * §3.2), on the pty the spawner makes. */
		if (run || p->tmux_sock == NULL || !arg_is(m, 0, "-S") ||
		    !arg_is(m, 1, p->tmux_sock) || m->argc != 6 ||
		    !arg_is(m, 2, "attach-session") || !arg_is(m, 3, "-r") ||
		    !arg_is(m, 4, "-t") || !arg_is(m, 5, "assist") ||
		    m->term_len == 0 || m->rows == 0 || m->cols == 0 ||
		    !std_are(m, PRIVSEP_SPAWN_INHERIT, PRIVSEP_SPAWN_INHERIT,
			     PRIVSEP_SPAWN_INHERIT))
			return -EPERM;
		return 0;
	case PRIVSEP_SPAWN_SFTP:
		/* Confined to /files in its jail; read-only (-R) unless the
		 * User said --allow-files-rw. */
		if (run || !p->files || m->argc != (p->files_rw ? 2u : 3u) ||
		    !arg_is(m, 0, "-d") || !arg_is(m, 1, SFTP_FILES) ||
		    (!p->files_rw && !arg_is(m, 2, "-R")) ||
		    !std_are(m, PRIVSEP_SPAWN_FD, PRIVSEP_SPAWN_FD,
			     PRIVSEP_SPAWN_DEVNULL))
			return -EPERM;
		return 0;
	case PRIVSEP_SPAWN_X11VNC:
		if (run || p->display == NULL ||
		    !std_are(m, PRIVSEP_SPAWN_DEVNULL, PRIVSEP_SPAWN_DEVNULL,
			     PRIVSEP_SPAWN_DEVNULL))
			return -EPERM;
		return x11vnc_args_ok(p, m) ? 0 : -EPERM;
	case PRIVSEP_SPAWN_WAYVNC:
		if (run || p->wayvnc_conf == NULL || m->argc != 4 ||
		    !arg_is(m, 0, "-C") || !arg_is(m, 1, p->wayvnc_conf) ||
		    !arg_is(m, 2, "-u") || p->vnc_sock == NULL ||
		    !arg_is(m, 3, p->vnc_sock) ||
		    !std_are(m, PRIVSEP_SPAWN_DEVNULL, PRIVSEP_SPAWN_DEVNULL,
			     PRIVSEP_SPAWN_FD))
			return -EPERM;
		return 0;
	case PRIVSEP_SPAWN_DIALOG:
		if (run || !p->dialogs ||
		    !std_are(m, PRIVSEP_SPAWN_DEVNULL, PRIVSEP_SPAWN_FD,
			     PRIVSEP_SPAWN_DEVNULL))
			return -EPERM;
		return 0;
	default:
		return -EPERM;
	}
}

int
privsep_spawn_check(const struct privsep_spawn_policy *p,
		    const struct privsep_spawn_msg *m)
{
	switch (m->type) {
	case PRIVSEP_SPAWN_RUN:
	case PRIVSEP_SPAWN_START:
		return check_request(p, m);
	case PRIVSEP_SPAWN_KILL:
		return m->signo == SIGTERM || m->signo == SIGKILL ? 0 : -EPERM;
	case PRIVSEP_SPAWN_WAIT:
		return 0;
	case PRIVSEP_SPAWN_ANSWER:
	default:
		return -EPERM;
	}
}
