/*
 * assist offer's privilege separation (issue 11 B3; ARCHITECTURE.md
 * "Privilege separation"): two processes once set up.
 *
 *   engine   (the offer's own pid) parses SSH from the network, runs the
 *            session; no capability, no_new_privs, a seccomp allowlist:
 *            it cannot execve, fork, ptrace or open a file.
 *   spawner  forked by offer_sandbox_enter(), unfiltered, holds nothing
 *            of the network (every fd but its channel closed, the password
 *            wiped); it starts, signals and reaps the children the engine
 *            asks for, one kind at a time (lib/privsep/spawn.h), each
 *            request checked against the policy fixed at the fork: tmux
 *            on the offer's own socket, its read-only client on a pty,
 *            sftp-server in its jail, x11vnc on the shared display, the
 *            zenity dialogs.  The kind names the program, never the
 *            engine.
 *
 * A seccomp filter is inherited across execve, so only the spawner may
 * start programs.  The engine's calls below mirror sys/proc.h
 * (proc_run -> spawn_run, proc_capture -> spawn_capture, proc_spawn ->
 * spawn_start, tty_spawn -> spawn_pty, proc_kill -> spawn_kill,
 * proc_try_wait/proc_wait -> spawn_try_wait/spawn_wait); before the
 * spawner exists (setup) they run the program directly.  A child's pipe
 * ends go to the spawner and its pty master comes back, as SCM_RIGHTS.
 *
 * Either end dying ends the other: the spawner reads EOF when the engine
 * is gone, stops every child it started (SIGTERM, then SIGKILL after
 * 2 s), removes the control socket and exits; the engine sees the channel
 * close (spawn_gone()) and ends the session.
 *
 * Adding a kind of child: a PRIVSEP_SPAWN_* kind and its rule in
 * lib/privsep/spawn.c, its program in kind_program() here.
 */
#include "offer.h"
#include "offer_seccomp.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <sodium.h>

#include "privsep/spawn.h"
#include "sys/fd.h"
#include "sys/ipc.h"
#include "sys/privdrop.h"
#include "sys/seccomp.h"
#include "sys/tty.h"

#define SPAWN_CHILDREN 16     /* children of the spawner at once */
#define SPAWN_ANSWER_MS 30000 /* a tmux command that hangs: give up */
#define SPAWN_STOP_MS 2000    /* SIGTERM, then SIGKILL */
#define SPAWN_SFTP_SERVER "/usr/lib/openssh/sftp-server"

/* The engine's end of the channel: -1 before the spawner starts. */
static int chan_fd = -1;
static pid_t spawner_pid;
static uint32_t next_seq;
static bool gone; /* the spawner ended: the session must end */

/* The program of each kind (argv[0] from the engine is ignored). */
static const char *
kind_program(enum privsep_spawn_kind k)
{
	switch (k) {
	case PRIVSEP_SPAWN_TMUX:
	case PRIVSEP_SPAWN_TMUX_PTY:
		return "tmux";
	case PRIVSEP_SPAWN_SFTP:
		return SPAWN_SFTP_SERVER;
	case PRIVSEP_SPAWN_X11VNC:
		return "x11vnc";
	case PRIVSEP_SPAWN_WAYVNC:
		return "wayvnc";
	case PRIVSEP_SPAWN_DIALOG:
		return "zenity";
	default:
		return NULL;
	}
}

/* ------------------------------------------------------------------ */
/* The spawner. */

struct spawner {
	int fd;
	struct privsep_spawn_policy policy;
	char tmux_sock[PATH_MAX], display[64];
	char vnc_sock[PATH_MAX], vnc_log[PATH_MAX], wayvnc_conf[PATH_MAX];
	char ctl_cmd[3][3 * PATH_MAX]; /* privsep_spawn_ctl_cmd's */
	char jail_root[PATH_MAX], files_dir[PATH_MAX], ctl_path[PATH_MAX];
	pid_t kids[SPAWN_CHILDREN]; /* 0: free */
};

static bool
kid_known(const struct spawner *s, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < ARRAY_SIZE(s->kids); i++)
		if (s->kids[i] == pid)
			return true;
	return false;
}

static void
kid_forget(struct spawner *s, pid_t pid)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->kids); i++)
		if (s->kids[i] == pid)
			s->kids[i] = 0;
}

static pid_t *
kid_slot(struct spawner *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->kids); i++)
		if (s->kids[i] == 0)
			return &s->kids[i];
	return NULL;
}

/* Every child stopped and reaped (the engine is gone). */
static void
spawner_stop_all(struct spawner *s)
{
	int left = 0;

	for (size_t i = 0; i < ARRAY_SIZE(s->kids); i++)
		if (s->kids[i] > 0) {
			(void)!proc_kill(s->kids[i], SIGTERM);
			left++;
		}
	for (int t = 0; left > 0 && t <= SPAWN_STOP_MS / 50; t++) {
		left = 0;
		for (size_t i = 0; i < ARRAY_SIZE(s->kids); i++) {
			int st;

			if (s->kids[i] <= 0)
				continue;
			if (t == SPAWN_STOP_MS / 50)
				(void)!proc_kill(s->kids[i], SIGKILL);
			if (proc_try_wait(s->kids[i], &st) == -EAGAIN &&
			    t < SPAWN_STOP_MS / 50) {
				left++;
				continue;
			}
			if (t == SPAWN_STOP_MS / 50)
				(void)!proc_wait(s->kids[i], NULL, NULL);
			s->kids[i] = 0;
		}
		if (left > 0)
			(void)!fd_poll(NULL, 0, 50);
	}
}

static void
spawner_answer(struct spawner *s, const struct privsep_spawn_msg *a,
	       const int *fds, size_t nfds)
{
	uint8_t buf[PRIVSEP_SPAWN_MSG_MAX];
	size_t len;

	if (privsep_spawn_write(a, buf, sizeof(buf), &len) == 0)
		(void)!ipc_send_fds(s->fd, buf, len, fds, nfds);
}

/* RUN and START: the request's argv, NUL-terminated copies in store. */
static void
spawner_argv(const struct privsep_spawn_msg *m, char *argv[],
	     char store[static PRIVSEP_SPAWN_MSG_MAX])
{
	size_t at = 0;

	argv[0] = (char *)(uintptr_t)kind_program(m->kind);
	for (unsigned i = 0; i < m->argc; i++) {
		memcpy(store + at, m->arg[i], m->arg_len[i]);
		store[at + m->arg_len[i]] = '\0';
		argv[i + 1] = store + at;
		at += m->arg_len[i] + 1;
	}
	argv[m->argc + 1] = NULL;
}

static void
spawner_handle(struct spawner *s, const struct privsep_spawn_msg *m,
	       const int *fds, size_t nfds)
{
	static char store[PRIVSEP_SPAWN_MSG_MAX];
	static char out[PRIVSEP_SPAWN_DATA_MAX + 1];
	char *argv[PRIVSEP_SPAWN_ARGS_MAX + 2];
	struct privsep_spawn_msg a = {
		.type = PRIVSEP_SPAWN_ANSWER, .seq = m->seq, .status = -1};
	int rc, st, master = -1;
	pid_t pid = 0, *slot;

	(void)nfds; /* the caller checked it against the modes */
	switch (m->type) {
	case PRIVSEP_SPAWN_RUN:
		spawner_argv(m, argv, store);
		if (m->std[1] == PRIVSEP_SPAWN_CAPTURE) {
			rc = proc_capture(argv, out,
					  (size_t)m->capture_cap + 1);
			if (rc >= 0) {
				a.data = (const uint8_t *)out;
				a.data_len = strnlen(out, m->capture_cap);
			}
		} else
			rc = proc_run(argv, true);
		if (rc >= 0)
			a.status = rc;
		else
			a.error = rc;
		break;
	case PRIVSEP_SPAWN_START: {
		struct proc_opts po = PROC_OPTS_INHERIT;
		size_t next = 0;

		if ((slot = kid_slot(s)) == NULL) {
			a.error = -EAGAIN;
			break;
		}
		spawner_argv(m, argv, store);
		if (m->kind == PRIVSEP_SPAWN_TMUX_PTY) {
			char name[TTY_PATH_MAX],
				term[PRIVSEP_SPAWN_TERM_MAX + 8];
			const char *env[] = {term, "TMUX", NULL};

			snprintf(term, sizeof(term), "TERM=%.*s",
				 (int)m->term_len, (const char *)m->term);
			rc = tty_spawn(argv, env, m->rows, m->cols, &master,
				       &pid, name);
			if (rc == 0) {
				memcpy(out, name, sizeof(name));
				a.data = (const uint8_t *)out;
				a.data_len = strnlen(name, sizeof(name));
			}
		} else {
			for (size_t i = 0; i < 3; i++)
				po.std_fd[i] =
					m->std[i] == PRIVSEP_SPAWN_FD
						? fds[next++]
					: m->std[i] == PRIVSEP_SPAWN_DEVNULL
						? PROC_DEVNULL
						: PROC_INHERIT;
			if (m->kind == PRIVSEP_SPAWN_SFTP) {
				/* The jail is the spawner's, never asked. */
				po.jail_root = s->jail_root;
				po.jail_files = s->files_dir;
				po.jail_files_rw = s->policy.files_rw;
			}
			rc = proc_spawn(argv, &po, &pid);
		}
		if (rc < 0) {
			a.error = rc;
			break;
		}
		*slot = pid;
		a.pid = (uint32_t)pid;
		break;
	}
	case PRIVSEP_SPAWN_KILL:
		pid = (pid_t)m->pid;
		a.error = kid_known(s, pid) ? proc_kill(pid, m->signo) : -ESRCH;
		break;
	case PRIVSEP_SPAWN_WAIT:
		pid = (pid_t)m->pid;
		if (!kid_known(s, pid)) {
			a.error = -ECHILD;
			break;
		}
		rc = m->nohang ? proc_try_wait(pid, &st)
			       : proc_wait(pid, &st, NULL);
		if (rc == 0) {
			kid_forget(s, pid);
			a.status = st;
		} else
			a.error = rc;
		break;
	default:
		a.error = -EPERM;
		break;
	}
	spawner_answer(s, &a, master >= 0 ? &master : NULL, master >= 0);
	if (master >= 0)
		fd_close(master);
}

static __attribute__((noreturn)) void
spawner_main(struct spawner *s)
{
	static uint8_t buf[PRIVSEP_SPAWN_MSG_MAX];

	for (;;) {
		struct privsep_spawn_msg m;
		int fds[PRIVSEP_SPAWN_FDS_MAX];
		size_t len, nfds;
		int rc = ipc_recv_fds(s->fd, buf, sizeof(buf), &len, fds,
				      ARRAY_SIZE(fds), &nfds, -1);

		if (rc == -ECONNRESET || rc == -EBADF || rc == -ENOTSOCK)
			break; /* the engine is gone */
		if (rc < 0)
			continue; /* too long, too many fds: dropped */
		rc = privsep_spawn_read(buf, len, &m);
		if (rc == 0)
			rc = privsep_spawn_check(&s->policy, &m);
		if (rc == 0 && nfds != privsep_spawn_fd_count(&m))
			rc = -EBADMSG;
		if (rc < 0) {
			struct privsep_spawn_msg a = {
				.type = PRIVSEP_SPAWN_ANSWER,
				.seq = m.seq,
				.error = rc,
				.status = -1};

			spawner_answer(s, &a, NULL, 0);
		} else
			spawner_handle(s, &m, fds, nfds);
		for (size_t i = 0; i < nfds; i++)
			fd_close(fds[i]);
	}
	spawner_stop_all(s);
	(void)!path_unlink(s->ctl_path); /* the engine may not unlink */
	_exit(0);
}

static void
spawner_on_signal(int sig)
{
	(void)sig;
}

/* Forks the spawner; the engine keeps fd[0]. */
static int
spawner_start(struct offer *o)
{
	static struct spawner s;
	const char *conf, *sock, *log;
	int fd[2], rc;
	pid_t pid;

	memset(&s, 0, sizeof(s));
	snprintf(s.tmux_sock, sizeof(s.tmux_sock), "%s", o->tmux_sock);
	snprintf(s.ctl_path, sizeof(s.ctl_path), "%s", o->ctl_path);
	s.policy.tmux_sock = s.tmux_sock;
	for (int i = 0; i < 3; i++)
		if ((rc = privsep_spawn_ctl_cmd(s.ctl_cmd[i],
						sizeof(s.ctl_cmd[i]),
						(enum privsep_spawn_ctl)i,
						self_exe(), o->ctl_path)) < 0)
			return rc;
	s.policy.ctl_revoke = s.ctl_cmd[PRIVSEP_SPAWN_CTL_REVOKE];
	s.policy.ctl_answer_consent =
		s.ctl_cmd[PRIVSEP_SPAWN_CTL_ANSWER_CONSENT];
	s.policy.ctl_answer_control =
		s.ctl_cmd[PRIVSEP_SPAWN_CTL_ANSWER_CONTROL];
	if (o->files_dir[0] != '\0') {
		s.policy.files = true;
		s.policy.files_rw = o->files_rw;
		snprintf(s.files_dir, sizeof(s.files_dir), "%s", o->files_dir);
		snprintf(s.jail_root, sizeof(s.jail_root), "%s", o->jail_path);
	}
	if (desktop_x11_display() != NULL) {
		snprintf(s.display, sizeof(s.display), "%s",
			 desktop_x11_display());
		s.policy.display = s.display;
	}
	if (desktop_vnc_files(&sock, &log, &conf)) {
		snprintf(s.vnc_sock, sizeof(s.vnc_sock), "%s", sock);
		snprintf(s.vnc_log, sizeof(s.vnc_log), "%s", log);
		s.policy.vnc_sock = s.vnc_sock;
		s.policy.vnc_log = s.vnc_log;
		if (conf != NULL) {
			snprintf(s.wayvnc_conf, sizeof(s.wayvnc_conf), "%s",
				 conf);
			s.policy.wayvnc_conf = s.wayvnc_conf;
		}
	}
	s.policy.dialogs = desktop_dialogs();
	if ((rc = ipc_pair(fd)) < 0)
		return rc;
	fflush(NULL);
	if ((rc = proc_fork(&pid)) < 0) {
		fd_close(fd[0]);
		fd_close(fd[1]);
		return rc;
	}
	if (pid == 0) {
		/* Nothing of the network, nothing secret stays here. */
		sodium_memzero(o->secret, sizeof(o->secret));
		s.fd = fd[1];
		proc_close_fds_except(s.fd);
		/* Ctrl-C, SIGTERM: the engine's to handle; EOF ends this.
		 * A handler, not SIG_IGN, which the children would inherit
		 * across execve (zenity and x11vnc must die of SIGTERM). */
		signal(SIGINT, spawner_on_signal);
		signal(SIGTERM, spawner_on_signal);
		signal(SIGHUP, spawner_on_signal);
		spawner_main(&s);
	}
	fd_close(fd[1]);
	chan_fd = fd[0];
	spawner_pid = pid;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The engine's side. */

/*
 * One request, one answer (the spawner answers in order; a stale answer,
 * left by a request that timed out, is dropped by its sequence).  fds go
 * with the request; a descriptor that comes back goes to *fd_back.
 */
static int
spawn_call(struct privsep_spawn_msg *m, const int *fds, size_t nfds,
	   struct privsep_spawn_msg *a, uint8_t *abuf, size_t acap,
	   int *fd_back)
{
	uint8_t buf[PRIVSEP_SPAWN_MSG_MAX];
	size_t len;
	int rc;

	if (fd_back != NULL)
		*fd_back = -1;
	if (chan_fd < 0 || gone)
		return -EPIPE;
	m->seq = ++next_seq;
	if ((rc = privsep_spawn_write(m, buf, sizeof(buf), &len)) < 0)
		return rc;
	if ((rc = ipc_send_fds(chan_fd, buf, len, fds, nfds)) < 0) {
		gone = rc == -EPIPE || rc == -ECONNRESET;
		return rc;
	}
	for (int tries = 0; tries < 8; tries++) {
		int back[IPC_FDS_MAX];
		size_t nback;

		rc = ipc_recv_fds(chan_fd, abuf, acap, &len, back,
				  ARRAY_SIZE(back), &nback, SPAWN_ANSWER_MS);
		if (rc == -ECONNRESET) {
			gone = true;
			return -EPIPE;
		}
		if (rc < 0)
			return rc;
		if (privsep_spawn_read(abuf, len, a) < 0 ||
		    a->type != PRIVSEP_SPAWN_ANSWER || a->seq != m->seq ||
		    nback > (fd_back != NULL ? 1u : 0u)) {
			for (size_t i = 0; i < nback; i++)
				fd_close(back[i]);
			continue;
		}
		if (nback == 1)
			*fd_back = back[0];
		return a->error;
	}
	return -EPROTO;
}

/* The request for argv (argv[0] is the kind's program, not sent). */
static int
spawn_request(struct privsep_spawn_msg *m, enum privsep_spawn_type type,
	      enum privsep_spawn_kind kind, char *const argv[])
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->kind = kind;
	for (size_t i = 1; argv[i] != NULL; i++) {
		if (m->argc == PRIVSEP_SPAWN_ARGS_MAX)
			return -E2BIG;
		m->arg[m->argc] = (const uint8_t *)argv[i];
		m->arg_len[m->argc++] = strlen(argv[i]);
	}
	return 0;
}

static enum privsep_spawn_mode
std_mode(int fd)
{
	return fd == PROC_DEVNULL   ? PRIVSEP_SPAWN_DEVNULL
	       : fd == PROC_INHERIT ? PRIVSEP_SPAWN_INHERIT
				    : PRIVSEP_SPAWN_FD;
}

int
spawn_run(enum privsep_spawn_kind kind, char *const argv[])
{
	struct privsep_spawn_msg m, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];
	int rc;

	if (chan_fd < 0 && !gone)
		return proc_run(argv, true);
	if ((rc = spawn_request(&m, PRIVSEP_SPAWN_RUN, kind, argv)) < 0)
		return rc;
	for (size_t i = 0; i < 3; i++)
		m.std[i] = PRIVSEP_SPAWN_DEVNULL;
	if ((rc = spawn_call(&m, NULL, 0, &a, abuf, sizeof(abuf), NULL)) < 0)
		return rc;
	return a.status;
}

int
spawn_capture(enum privsep_spawn_kind kind, char *const argv[], char *out,
	      size_t cap)
{
	struct privsep_spawn_msg m, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];
	int rc;

	if (cap == 0)
		return -EINVAL;
	if (chan_fd < 0 && !gone)
		return proc_capture(argv, out, cap);
	out[0] = '\0';
	if ((rc = spawn_request(&m, PRIVSEP_SPAWN_RUN, kind, argv)) < 0)
		return rc;
	m.std[0] = m.std[2] = PRIVSEP_SPAWN_DEVNULL;
	m.std[1] = PRIVSEP_SPAWN_CAPTURE;
	m.capture_cap = (uint16_t)(cap - 1 < PRIVSEP_SPAWN_DATA_MAX
					   ? cap - 1
					   : PRIVSEP_SPAWN_DATA_MAX);
	if (m.capture_cap == 0) /* a 1-byte buffer: the status only */
		m.std[1] = PRIVSEP_SPAWN_DEVNULL;
	if ((rc = spawn_call(&m, NULL, 0, &a, abuf, sizeof(abuf), NULL)) < 0)
		return rc;
	memcpy(out, a.data, a.data_len < cap ? a.data_len : cap - 1);
	out[a.data_len < cap ? a.data_len : cap - 1] = '\0';
	return a.status;
}

int
spawn_start(enum privsep_spawn_kind kind, char *const argv[],
	    const int std_fd[3], pid_t *pid)
{
	struct privsep_spawn_msg m, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];
	int fds[3], rc;
	size_t nfds = 0;

	if (chan_fd < 0 && !gone) {
		struct proc_opts po = {
			.std_fd = {std_fd[0], std_fd[1], std_fd[2]}};

		return proc_spawn(argv, &po, pid);
	}
	if ((rc = spawn_request(&m, PRIVSEP_SPAWN_START, kind, argv)) < 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		m.std[i] = std_mode(std_fd[i]);
		if (m.std[i] == PRIVSEP_SPAWN_FD)
			fds[nfds++] = std_fd[i];
	}
	if ((rc = spawn_call(&m, fds, nfds, &a, abuf, sizeof(abuf), NULL)) < 0)
		return rc;
	*pid = (pid_t)a.pid;
	return 0;
}

int
spawn_pty(char *const argv[], const char *term, unsigned rows, unsigned cols,
	  int *master, pid_t *pid, char name[static TTY_PATH_MAX])
{
	struct privsep_spawn_msg m, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];
	int rc;

	if (chan_fd < 0 && !gone) {
		char t[PRIVSEP_SPAWN_TERM_MAX + 8];
		const char *env[] = {t, "TMUX", NULL};

		snprintf(t, sizeof(t), "TERM=%s", term);
		return tty_spawn(argv, env, rows, cols, master, pid, name);
	}
	if ((rc = spawn_request(&m, PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_TMUX_PTY,
				argv)) < 0)
		return rc;
	m.term = (const uint8_t *)term;
	m.term_len = strnlen(term, PRIVSEP_SPAWN_TERM_MAX + 1);
	if (m.term_len == 0 || m.term_len > PRIVSEP_SPAWN_TERM_MAX ||
	    strspn(term, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.+-_") != m.term_len) {
		/* The Helper's pty-req named an odd terminal: a plain one. */
		m.term = (const uint8_t *)"xterm";
		m.term_len = 5;
	}
	m.rows = (uint16_t)(rows > 0 && rows < 1000 ? rows : 24);
	m.cols = (uint16_t)(cols > 0 && cols < 1000 ? cols : 80);
	if ((rc = spawn_call(&m, NULL, 0, &a, abuf, sizeof(abuf), master)) < 0)
		return rc;
	if (*master < 0 || a.data_len >= TTY_PATH_MAX) {
		if (*master >= 0)
			fd_close(*master);
		return -EPROTO;
	}
	/* sys/tty.h: the master is non-blocking on our side. */
	if ((rc = fd_set_nonblocking(*master)) < 0) {
		fd_close(*master);
		return rc;
	}
	memcpy(name, a.data, a.data_len);
	name[a.data_len] = '\0';
	*pid = (pid_t)a.pid;
	return 0;
}

int
spawn_kill(pid_t pid, int sig)
{
	struct privsep_spawn_msg m = {.type = PRIVSEP_SPAWN_KILL}, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];

	if (chan_fd < 0 && !gone)
		return proc_kill(pid, sig);
	m.pid = (uint32_t)pid;
	m.signo = (uint8_t)sig;
	return spawn_call(&m, NULL, 0, &a, abuf, sizeof(abuf), NULL);
}

static int
spawn_wait_flag(pid_t pid, bool nohang, int *status)
{
	struct privsep_spawn_msg m = {.type = PRIVSEP_SPAWN_WAIT}, a;
	uint8_t abuf[PRIVSEP_SPAWN_MSG_MAX];
	int rc;

	m.pid = (uint32_t)pid;
	m.nohang = nohang;
	if ((rc = spawn_call(&m, NULL, 0, &a, abuf, sizeof(abuf), NULL)) < 0)
		return rc;
	if (status != NULL)
		*status = a.status;
	return 0;
}

int
spawn_try_wait(pid_t pid, int *status)
{
	if (chan_fd < 0 && !gone)
		return proc_try_wait(pid, status);
	return spawn_wait_flag(pid, true, status);
}

int
spawn_wait(pid_t pid, int *status)
{
	if (chan_fd < 0 && !gone)
		return proc_wait(pid, status, NULL);
	return spawn_wait_flag(pid, false, status);
}

static bool readable; /* the channel polled readable between requests */

bool
spawn_gone(void)
{
	/* Between requests the spawner says nothing: readable is its end,
	 * or a late answer to a request that timed out (dropped). */
	for (int i = 0; readable && !gone && i < 4; i++) {
		uint8_t buf[PRIVSEP_SPAWN_MSG_MAX];
		int fds[IPC_FDS_MAX];
		size_t len, nfds;
		int rc = ipc_recv_fds(chan_fd, buf, sizeof(buf), &len, fds,
				      ARRAY_SIZE(fds), &nfds, 0);

		for (size_t k = 0; k < nfds; k++)
			fd_close(fds[k]);
		if (rc == -ECONNRESET)
			gone = true;
		else if (rc == -ETIMEDOUT)
			break;
	}
	readable = false;
	return gone;
}

static bool watched; /* chan_fd is in the loop (spawn_unwatch) */

static int
on_spawner_readable(socket_t fd, int revents, void *arg)
{
	(void)fd;
	(void)arg;
	readable = true;
	if ((revents & (POLLHUP | POLLERR)) != 0)
		gone = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The engine's sandbox. */

int
offer_sandbox_enter(struct offer *o)
{
	int rc;

	if ((rc = spawner_start(o)) < 0) {
		offer_log(o, "cannot start the spawner: %s", strerror(-rc));
		return rc;
	}
	ssh_event_add_fd(o->event, chan_fd, POLLIN, on_spawner_readable, o);
	watched = true;
	/* No capability (a root User's too: CapEff 0), no_new_privs. */
	if ((rc = privdrop_caps()) < 0) {
		offer_log(o, "cannot drop privileges: %s", strerror(-rc));
		return rc;
	}
	if (seccomp_policy_enabled() &&
	    (rc = seccomp_policy_apply(&offer_engine_seccomp)) < 0) {
		offer_log(o, "cannot install the seccomp filter: %s",
			  strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * The loop stops watching the spawner's channel (requests still work):
 * after the main loop, a channel that hung up would wake every poll of the
 * bounded session drain at once.
 */
void
spawn_unwatch(struct offer *o)
{
	if (chan_fd >= 0 && watched)
		ssh_event_remove_fd(o->event, chan_fd);
	watched = false;
}

void
spawn_fini(struct offer *o)
{
	if (chan_fd < 0)
		return;
	spawn_unwatch(o);
	fd_close(chan_fd); /* the spawner stops the children and exits */
	chan_fd = -1;
	gone = true;
	(void)!proc_wait(spawner_pid, NULL, NULL);
}
