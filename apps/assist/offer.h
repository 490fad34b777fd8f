/*
 * assist offer, the User's side: shared declarations of its parts.
 *
 *   offer.c          options, setup, the loop, the engine's actions
 *   offer_session.c  connections: accept, key exchange, login, channels
 *   offer_term.c     the shared terminal: tmux, the Helper's view, prompts
 *   offer_files.c    file access: sftp-server confined to --allow-files DIR
 *   offer_fwd.c      port forwards (direct-tcpip) to allowed local ports
 *   offer_chat.c     chat both ways
 *   offer_ctl.c      the control socket (assist ctl, F12, the prompts)
 *   offer_cand.c     candidates (native, Teredo) and their listeners
 *   offer_portmap.c  the router's port mapping as a candidate (its keeper)
 *   offer_desktop.c  the desktop (x11vnc) and the desktop dialogs (zenity)
 *   offer_spawn.c    the sandbox: the engine under seccomp, the spawner
 *                    that starts every child for it
 *   chanq.c          bounded queues between channels and fds
 *
 * The policy (who may do what, when) is lib/assist/session.c, sans-I/O;
 * this directory feeds it events and carries out its actions.  Nothing
 * here waits for the Helper: the session is non-blocking, every channel
 * writes only what the SSH window allows from a bounded queue, and a full
 * queue stops reading its source (backpressure), never the loop.
 *
 * One thread, one libssh event loop.  libssh callbacks only record what
 * happened or fill queues; the loop acts between polls (a callback must
 * not add or remove poll handles while libssh iterates over them).
 */
#ifndef SHIPWORM_APPS_ASSIST_OFFER_H
#define SHIPWORM_APPS_ASSIST_OFFER_H

#include "assist.h"

#include <limits.h>
#include <stdio.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "assist/rfbfilter.h"
#include "assist/session.h"
#include "privsep/spawn.h"
#include "sys/tty.h"
#include "sys/tcp.h"

#define TEXT_MAX 200
#define ALLOW_MAX 4 /* ports the User lets the Helper forward to */
#define FWD_MAX 4   /* forwarded connections at once */
#define CTL_CLIENTS 4
#define CHAN_MAX 16
#define CONN_MAX 8 /* pre-login connections (the engine's preauth_max) */
#define CHANQ_CAP 65536
/* How long an ended session waits for the Helper's ssh to close its side. */
#define SESSION_CLOSE_MS 2000
/* More than this held in libssh for one channel: the Helper ignores the
 * SSH window (libssh's own is about 1.25 MB). */
#define CHANQ_OVERRUN (4 * 1024 * 1024)

/* A bounded byte queue (a ring). */
struct chanq {
	uint8_t buf[CHANQ_CAP];
	size_t head, len;
	bool eof; /* nothing more will be pushed */
	/* The Helper's viewer toward the desktop: what is pushed goes
	 * through this filter first (the input messages stay out unless
	 * the Helper has control, lib/assist/rfbfilter.h); rfb_bad: it
	 * could not follow the stream, the forward must close. */
	struct assist_rfb_filter *rfb;
	bool rfb_bad;
};

size_t chanq_space(const struct chanq *q);
/* How many bytes a push takes whole now (the space, less what a filter
 * may add from earlier pushes). */
size_t chanq_room(const struct chanq *q);
/* Pushes at most the free space; returns how much went (with q->rfb: how
 * much was taken, what the filter let through is in q). */
size_t chanq_push(struct chanq *q, const void *data, size_t n);
void chanq_reset(struct chanq *q);
/* Writes what the SSH window allows; 0, or -EIO (the channel failed). */
MUST_CHECK int chanq_to_channel(struct chanq *q, ssh_channel ch);
/* Writes what the fd takes now; 0, or -errno (not -EAGAIN). */
MUST_CHECK int chanq_to_fd(struct chanq *q, int fd);
/* Pulls what the Helper sent and libssh still holds (a callback that
 * took less than it was given) into q, as space allows. */
void chanq_from_channel(struct chanq *q, ssh_channel ch);
/* The Helper sent far more than the window allows (see CHANQ_OVERRUN). */
bool chanq_overrun(ssh_channel ch);

/* A connection, from accept to its end (engine connection index = slot). */
struct conn {
	struct offer *o;
	ssh_session s; /* NULL: slot free */
	int fd;
	bool kex_done;
	bool fd_polled; /* fd in the loop until the key exchange is done */
	bool spoke;
	bool want_close; /* the engine closed it */
	bool closing;	 /* ended: session_drain() closes it */
	bool wait_peer;	 /* for the Helper's ssh to close its side */
	bool drained;	 /* nothing left to write at the last look */
	uint64_t close_by_ms;
	char peer[TCP_ENDPOINT_TEXT];
	struct ssh_server_callbacks_struct cb;
};

enum chan_kind {
	CHAN_NONE,
	CHAN_SHELL,
	CHAN_CHAT,
	CHAN_CONTROL,
	CHAN_RELEASE,
	CHAN_SFTP,
};

/* A session channel of the logged-in Helper. */
struct chan {
	struct offer *o;
	ssh_channel ch; /* NULL: slot free */
	unsigned slot;	/* the engine's channel index */
	struct ssh_channel_callbacks_struct cb;
	enum chan_kind kind;
	bool pending;  /* an exec request to act on */
	bool answered; /* reply sent, channel closing */
	bool closed;   /* the Helper closed it: free it in the loop */
	int status;    /* the exit status sent with the reply */
	char text[TEXT_MAX + 1];
	struct chanq out; /* to the Helper */
	struct chanq in;  /* from the Helper to the pty or sftp-server */
};

/* sftp-server for the "sftp" subsystem (--allow-files DIR). */
struct sftp {
	struct chan *c; /* NULL: none running */
	pid_t pid;
	int in_fd;  /* the child's stdin: what the Helper sends */
	int out_fd; /* the child's stdout: what goes to the Helper */
	bool polled, out_eof, in_eof;
	int status;
};

/* A direct-tcpip channel to one of the User's allowed local ports. */
struct fwd {
	struct offer *o;
	ssh_channel ch; /* NULL: slot free */
	unsigned slot;
	struct ssh_channel_callbacks_struct cb;
	int fd;
	bool polled, reading, closed, shut;
	bool desk; /* to the desktop (offer_desktop.c) */
	char peer[32];
	struct chanq to_helper, to_local;
	struct assist_rfb_filter rfb; /* desk: to_local's filter */
};

struct ctl_client {
	int fd; /* -1: free */
	uint64_t since_ms;
	size_t len;
	char req[512];
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
	struct assist_session eng;

	int lfd[ASSIST_CAND_MAX];
	unsigned lfd_count;
	bool listening;
	int ctl_fd;
	struct ctl_client ctl[CTL_CLIENTS];
	bool ctl_ready;	    /* a control client is readable */
	unsigned lfd_ready; /* bit i: lfd[i] is readable */
	bool accept_ready;

	struct conn conns[CONN_MAX];
	struct conn *helper; /* the logged-in one */
	struct chan chans[CHAN_MAX];
	struct chan *shell;
	char term[64];
	int cols, rows;
	uint16_t allow[ALLOW_MAX];
	unsigned allow_count;
	struct fwd fwds[FWD_MAX];
	/* --allow-files DIR (read-only) / --allow-files-rw DIR. */
	char files_dir[PATH_MAX];
	char jail_path[PATH_MAX];
	bool files_rw;
	struct sftp sftp;
	int pty_fd;
	bool pty_polled, pty_reading;
	pid_t attach_pid;
	char helper_tty[64];
	bool pty_closed;
	bool detach_prefix; /* the Helper's last byte was tmux's prefix */
	bool keys_dropped;  /* logged once */
	uint64_t next_rebind_ms;

	bool done;
	const char *end_reason;
	char disconnect_msg[160];
	uint64_t next_tmux_check_ms;
};

/* offer.c */
__attribute__((format(printf, 2, 3))) void offer_log(struct offer *o,
						     const char *fmt, ...);
uint64_t offer_now(const struct offer *o);
void offer_run_actions(struct offer *o);

/* offer_session.c */
void session_on_listen(struct offer *o, int lfd);
void session_serve(struct offer *o);
void session_close_conn(struct offer *o, unsigned i, const char *why);
void session_end(struct offer *o, const char *to_helper);
bool session_closing(struct offer *o);
void chan_reply(struct chan *c, const char *text, int status);
struct chan *chan_by_slot(struct offer *o, unsigned slot);
void chan_free(struct chan *c);

/* offer_term.c */
int tmux(struct offer *o, const char *a1, const char *a2, const char *a3,
	 const char *a4, const char *a5, const char *a6, const char *a7);
void tmux_escape(const char *in, char *out, size_t cap);
void term_set_state(struct offer *o, const char *state);
void term_broadcast(struct offer *o, const char *text);
void term_ask(struct offer *o, bool control, const char *question);
MUST_CHECK int term_set_readonly(struct offer *o, bool ro);
MUST_CHECK int term_start_view(struct offer *o);
void term_stop_view(struct offer *o);
void term_helper_input(struct chan *c, const uint8_t *data, size_t len);
void term_serve(struct offer *o);
void term_bind_keys(struct offer *o);
MUST_CHECK int term_write_conf(struct offer *o);

/* offer_files.c */
MUST_CHECK int files_check_dir(struct offer *o, const char *dir);
MUST_CHECK int files_start(struct chan *c);
void files_stop(struct offer *o, bool tell);
void files_serve(struct offer *o);

/* offer_fwd.c */
int fwd_on_message(ssh_session s, ssh_message m, void *arg);
void fwd_serve(struct offer *o);
void fwd_stop_all(struct offer *o);

/* offer_chat.c */
void chat_from_helper(struct offer *o, const char *text);
void chat_from_user(struct offer *o, const char *text);

/* offer_ctl.c */
void ctl_on_listen(struct offer *o);
void ctl_serve(struct offer *o);
void ctl_close_all(struct offer *o);
/* A decision as assist ctl would take it ("accept", "revoke"...). */
void ctl_decide(struct offer *o, const char *req);

/* offer_vnc.c (issue 13): which VNC server, and its command lines */
enum vnc_kind { VNC_X11VNC, VNC_WAYVNC };
struct vnc_server {
	enum vnc_kind kind;
	char display[64];	/* $DISPLAY or $WAYLAND_DISPLAY */
	char wl_path[PATH_MAX]; /* the compositor's socket */
	char sock[PATH_MAX], log[PATH_MAX], conf[PATH_MAX];
	int log_fd; /* its log, open from vnc_prepare on (the sandbox) */
	char *argv[24], *targv[8];
};
/* From the environment: 0, or -errno after a clear message on stderr. */
MUST_CHECK int vnc_choose(struct vnc_server *v);
const char *vnc_name(const struct vnc_server *v);
/* Its files in the offer's private directory dir, made before the sandbox
 * (the engine cannot open files after it); v->argv starts it. */
MUST_CHECK int vnc_prepare(struct vnc_server *v, const char *dir);
/* The command that makes it take input or not; NULL: it cannot (the
 * offer's filter alone is the gate). */
char *const *vnc_toggle_argv(struct vnc_server *v, bool input);
/* Its messages go to stderr (the offer points that at v->log). */
bool vnc_logs_to_stderr(const struct vnc_server *v);
/* Why it ended, from its log, for the User; "" when not known. */
void vnc_explain(const struct vnc_server *v, char *out, size_t cap);

/* offer_desktop.c (issue 13) */
MUST_CHECK int desktop_setup(struct offer *o, bool on);
bool desktop_on(void);
/* "$DISPLAY" or "$WAYLAND_DISPLAY, wayvnc", for the User. */
const char *desktop_display(void);
void desktop_ask(struct offer *o, bool control);
void desktop_note(struct offer *o, const char *text);
void desktop_sync(struct offer *o);
void desktop_serve(struct offer *o);
void desktop_stop(struct offer *o);
bool desktop_fwd_target(const char *host);
bool desktop_hold(void);
bool desktop_may_input(void);
/* Its files in the private directory, made before the sandbox. */
MUST_CHECK int desktop_prepare(struct offer *o);
/* For the spawner's policy: x11vnc's $DISPLAY (NULL: no x11vnc), the VNC
 * server's files (false: no desktop), whether zenity works. */
const char *desktop_x11_display(void);
bool desktop_vnc_files(const char **sock, const char **log, const char **conf);
bool desktop_dialogs(void);
MUST_CHECK int desktop_connect(struct offer *o, int *fd);

/* offer_spawn.c (issue 11 B3): sys/proc.h's calls, through the spawner
 * once the engine is sandboxed (argv[0] is the kind's program). */
MUST_CHECK int offer_sandbox_enter(struct offer *o);
void spawn_unwatch(struct offer *o);
void spawn_fini(struct offer *o);
bool spawn_gone(void);
MUST_CHECK int spawn_run(enum privsep_spawn_kind kind, char *const argv[]);
MUST_CHECK int spawn_capture(enum privsep_spawn_kind kind, char *const argv[],
			     char *out, size_t cap);
/* std_fd: an fd of ours, PROC_DEVNULL or PROC_INHERIT each. */
MUST_CHECK int spawn_start(enum privsep_spawn_kind kind, char *const argv[],
			   const int std_fd[3], pid_t *pid);
MUST_CHECK int spawn_pty(char *const argv[], const char *term, unsigned rows,
			 unsigned cols, int *master, pid_t *pid,
			 char name[static TTY_PATH_MAX]);
MUST_CHECK int spawn_kill(pid_t pid, int sig);
MUST_CHECK int spawn_try_wait(pid_t pid, int *status);
MUST_CHECK int spawn_wait(pid_t pid, int *status);

/* offer_cand.c */
void cand_gather(struct offer *o, const char *teredo_sock, bool native);
MUST_CHECK int cand_listen_all(struct offer *o, uint16_t want_port);
void cand_close_listeners(struct offer *o, const char *why);
/* offer_portmap.c (issue 12): the router's mapping as a candidate; setup
 * forks its keeper (before the loop), stop deletes it (close + poll). */
void portmap_cand_setup(struct offer *o, bool on, bool dir_given);
void portmap_cand_stop(struct offer *o);
/* The engine's source key of a peer: its IPv4 address, a Teredo client's
 * mapped address, else its IPv6 /64. */
size_t cand_source_key(const struct tcp_endpoint *ep,
		       uint8_t key[static ASSIST_SESSION_SOURCE_KEY]);

#endif
