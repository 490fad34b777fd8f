/*
 * assist offer's privilege separation (ARCHITECTURE.md "Privilege
 * separation"): the network-facing engine, under seccomp, cannot start a
 * program, so it asks a small unfiltered spawner it forked at setup to
 * start one of a few kinds of child (tmux, its read-only client on a
 * pty, sftp-server, x11vnc, the zenity dialogs), to signal one of the
 * children it started, or to reap one.  The spawner checks each request
 * against its policy (privsep_spawn_check) and never runs a program the
 * engine names: the kind names it.  One message per SOCK_SEQPACKET
 * datagram (sys/ipc.h), the engine's pipe ends and the pty master travel
 * beside it as SCM_RIGHTS; framing as lib/privsep/privsep.h; integers
 * big-endian.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Version (1)  |     Type      |     Length (whole message)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Sequence                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   RUN (run to the end, answer its status), START (answer its pid):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Kind      |   Stdin mode  |  Stdout mode  |  Stderr mode  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Rows (pty)           |          Cols (pty)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Argc (8)    |  Term len (8) |   Capture cap (16, RUN only)  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Term (TERM of a pty child, Term len bytes) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Argc times: Arg len (16) | Arg bytes (no NUL) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   The arguments follow the program, which the Kind chooses.  A mode is
 *   INHERIT, DEVNULL, FD (the next descriptor passed with the message, in
 *   stdin, stdout, stderr order) or CAPTURE (stdout of a RUN only: its
 *   output comes back in the answer's Data, at most Capture cap bytes).
 *
 *   KILL   Pid (32) | Signal (8) | 3 zero bytes                 8 bytes
 *   WAIT   Pid (32) | No-hang (8, 0 or 1) | 3 zero bytes        8 bytes
 *   ANSWER (spawner -> engine) Error (32, two's complement, 0 or
 *          -1 .. -4095) | Status (32: 0..255, 128 + signal; -1 none) |
 *          Pid (32) | Data len (16) | 2 zero | Data: RUN's captured
 *          output, a pty child's terminal name
 *
 * privsep_spawn_read() checks the shape only (version, exact length,
 * bounds, modes, padding, no NUL inside a string); what a request may do
 * is privsep_spawn_check()'s job, against the spawner's policy.
 */
#ifndef SHIPWORM_PRIVSEP_SPAWN_H
#define SHIPWORM_PRIVSEP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PRIVSEP_SPAWN_VERSION 1
#define PRIVSEP_SPAWN_HEADER_LEN 8
#define PRIVSEP_SPAWN_ARGS_MAX 32
#define PRIVSEP_SPAWN_ARG_MAX 4096 /* bytes of one argument */
#define PRIVSEP_SPAWN_TERM_MAX 63
#define PRIVSEP_SPAWN_DATA_MAX 8192
#define PRIVSEP_SPAWN_MSG_MAX 32768 /* no message is larger */
#define PRIVSEP_SPAWN_FDS_MAX 3

enum privsep_spawn_type {
	PRIVSEP_SPAWN_RUN = 1,
	PRIVSEP_SPAWN_START = 2,
	PRIVSEP_SPAWN_KILL = 3,
	PRIVSEP_SPAWN_WAIT = 4,
	PRIVSEP_SPAWN_ANSWER = 0x80,
};

/* The programs the spawner runs; the kind, not the engine, names it. */
enum privsep_spawn_kind {
	PRIVSEP_SPAWN_TMUX = 1,	    /* tmux -S <the offer's socket> ... */
	PRIVSEP_SPAWN_TMUX_PTY = 2, /* the same, on a new pty (START) */
	PRIVSEP_SPAWN_SFTP = 3,	    /* sftp-server, jailed on --allow-files */
	PRIVSEP_SPAWN_X11VNC = 4,   /* x11vnc -display <the display> ... */
	PRIVSEP_SPAWN_DIALOG = 5,   /* zenity */
	PRIVSEP_SPAWN_WAYVNC = 6,   /* wayvnc -C <its conf> -u <its socket> */
	PRIVSEP_SPAWN_KIND_MAX = 6,
};

/* x11vnc's options between "-unixsock" <socket> and "-o" <log>: no TCP at
 * all (-rfbport 0 closes IPv4, -rfbportv6 0 the IPv6 port Debian's x11vnc
 * opens even with -rfbport 0), view only until the toggle. */
#define PRIVSEP_SPAWN_X11VNC_ARGS                                              \
	"-rfbport", "0", "-rfbportv6", "0", "-noipv4", "-noipv6", "-nolookup", \
		"-viewonly", "-shared", "-forever", "-nopw", "-norc",          \
		"-noxdamage", "-quiet"

enum privsep_spawn_mode {
	PRIVSEP_SPAWN_INHERIT = 0,
	PRIVSEP_SPAWN_DEVNULL = 1,
	PRIVSEP_SPAWN_FD = 2,
	PRIVSEP_SPAWN_CAPTURE = 3,
};

/* A decoded message; its strings are borrowed from the buffer read (not
 * NUL-terminated: pointer and length). */
struct privsep_spawn_msg {
	enum privsep_spawn_type type;
	uint32_t seq;
	/* RUN, START */
	enum privsep_spawn_kind kind;
	enum privsep_spawn_mode std[3];
	uint16_t rows, cols;
	uint16_t capture_cap;
	const uint8_t *term;
	size_t term_len;
	unsigned argc;
	const uint8_t *arg[PRIVSEP_SPAWN_ARGS_MAX];
	size_t arg_len[PRIVSEP_SPAWN_ARGS_MAX];
	/* KILL, WAIT, ANSWER */
	uint32_t pid;
	uint8_t signo;	/* KILL */
	bool nohang;	/* WAIT */
	int32_t error;	/* ANSWER: 0 or -errno */
	int32_t status; /* ANSWER: exit status, -1 none */
	const uint8_t *data;
	size_t data_len;
};

/* Parses one message of len bytes.  -EBADMSG malformed, -EMSGSIZE short,
 * -EPROTONOSUPPORT another version. */
MUST_CHECK int privsep_spawn_read(const uint8_t *buf, size_t len,
				  struct privsep_spawn_msg *out);

/* Writes m into buf[0..cap); *len its size.  -ENOBUFS, -EINVAL for a
 * message read() would refuse. */
MUST_CHECK int privsep_spawn_write(const struct privsep_spawn_msg *m,
				   uint8_t *buf, size_t cap, size_t *len);

/* How many descriptors a request carries (its FD modes). */
unsigned privsep_spawn_fd_count(const struct privsep_spawn_msg *m);

/* What the spawner lets the engine start (its strings: NUL-terminated). */
struct privsep_spawn_policy {
	const char *tmux_sock; /* the offer's private tmux socket */
	bool files;	       /* --allow-files given */
	bool files_rw;	       /* --allow-files-rw */
	const char *display;   /* --desktop's $DISPLAY, NULL: no desktop */
	bool dialogs;	       /* zenity works here */
	/* --desktop: the VNC server's socket and log (x11vnc), its
	 * configuration (wayvnc on wlroots Wayland; NULL: no wayvnc). */
	const char *vnc_sock, *vnc_log, *wayvnc_conf;
	/* The `assist ctl` commands tmux may run (privsep_spawn_ctl_cmd):
	 * F12's revoke, the consent and control questions' answers. */
	const char *ctl_revoke, *ctl_answer_consent, *ctl_answer_control;
};

/*
 * Whether the spawner may do what request m asks (a captured engine's
 * requests are hostile).  0 or -EPERM.  Allowed, and nothing else:
 *   - TMUX: RUN or START, arguments "-S" <tmux_sock> then exactly one of
 *     the commands the offer runs (tmux_command_allowed): has-session,
 *     set of @assist_state, list-clients with a fixed format, a
 *     display-message or command-prompt whose text is escaped ('#'
 *     doubled: a tmux format could run "#(cmd)"), switch-client -r,
 *     detach-client, and bind-key / command-prompt only with the ctl
 *     commands above; tmux runs no other shell command for a captured
 *     engine; standard fds DEVNULL (stdout CAPTURE in a RUN);
 *   - TMUX_PTY: START, "-S" <tmux_sock> "attach-session" "-r" ...: the
 *     Helper's client, read-only; a Term; no standard fd modes;
 *   - SFTP: START with --allow-files, exactly "-d" "/files" and "-R"
 *     unless --allow-files-rw; stdin and stdout FD, stderr DEVNULL;
 *   - X11VNC: START with --desktop, exactly PRIVSEP_SPAWN_X11VNC_ARGS
 *     (view only, on vnc_sock, no TCP port, no password, logging to
 *     vnc_log), or "-display" <display> "-sync" "-R" "viewonly" or
 *     "noviewonly" (the toggle); nothing else: x11vnc's -accept, -gone
 *     or -rfbport would run commands or listen; fds DEVNULL;
 *   - DIALOG: START where zenity works; stdout FD, stdin/stderr DEVNULL;
 *   - WAYVNC: START with --desktop on wlroots Wayland, exactly "-C"
 *     <wayvnc_conf> "-u" <vnc_sock>; stdin/stdout DEVNULL, stderr FD
 *     (its log);
 *   - KILL with SIGTERM or SIGKILL; WAIT.  Which pids are the engine's
 *     is the spawner's table, not this check.  An ANSWER is never a
 *     request.
 */
enum privsep_spawn_ctl {
	PRIVSEP_SPAWN_CTL_REVOKE,	  /* F12 */
	PRIVSEP_SPAWN_CTL_ANSWER_CONSENT, /* the consent question */
	PRIVSEP_SPAWN_CTL_ANSWER_CONTROL, /* the control question */
};

/*
 * The shell command tmux runs for `which`, for the program exe and the
 * control socket ctl: the offer sends it, the spawner's policy compares
 * with it.  0, or -ENAMETOOLONG when cap is too small.
 */
MUST_CHECK int privsep_spawn_ctl_cmd(char *out, size_t cap,
				     enum privsep_spawn_ctl which,
				     const char *exe, const char *ctl);

MUST_CHECK int privsep_spawn_check(const struct privsep_spawn_policy *p,
				   const struct privsep_spawn_msg *m);

#endif
