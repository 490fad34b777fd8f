/*
 * The desktop (issue 13; remote-assistance.md §3.2; portmap-notes.md §4):
 * `assist offer --desktop` shares the User's X display through x11vnc, or
 * a wlroots Wayland desktop through wayvnc (offer_vnc.c chooses), an
 * existing VNC server, never one of ours:
 *
 *   x11vnc -display $DISPLAY -unixsock DIR/vnc.sock -rfbport 0 -viewonly
 *   wayvnc -C DIR/wayvnc.conf -u DIR/vnc.sock
 *
 * No TCP port at all: the only way in is a Unix socket in the offer's
 * private 0700 directory, so no other local user can connect and the VNC
 * protocol needs no password of its own.  The Helper reaches it only
 * through the session: a direct-tcpip channel to "assist-desktop"
 * (ssh -L PORT:assist-desktop:5900), which offer_fwd.c hands here and
 * which is refused unless the desktop is running (lib/assist/desktop.h:
 * only once the User accepted, until the session ends).
 *
 * The server starts view-only; the User's grant makes it take input and a
 * revoke (F12, the desktop panel, assist ctl revoke) makes it view-only
 * again, at the event: the Helper's stream passes through an RFB filter
 * (offer_fwd.c, lib/assist/rfbfilter.h) that keeps every key, pointer and
 * clipboard message out unless the Helper has control.  x11vnc is also
 * switched itself: `x11vnc -sync -R noviewonly|viewonly`, its remote
 * control over the display, applied within its next loop (0.1-0.2 s; one
 * toggle in flight at a time, the last wish wins).  wayvnc 0.5 cannot be
 * switched while it runs: the filter alone is its gate (offer_vnc.c).
 * The server is stopped when the session ends.
 *
 * The User's prompts on the desktop: zenity dialogs (Debian zenity), each
 * a child process whose exit status and stdout the loop reads without
 * waiting (proc_try_wait, a non-blocking pipe): "Allow ... to see your
 * screen?", "Give control?", a small panel while the Helper is connected
 * (end the session, take control back, chat), and the Helper's chat.  The
 * terminal prompts stay; whichever the User answers first decides, and
 * the other one is taken away.  Every decision goes to the session log.
 *
 * One offer per process: the state is this file's.
 */
#include "offer.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "assist/desktop.h"
#include "sys/ctl.h"
#include "sys/fd.h"
#include "sys/proc.h"

#define DESKTOP_HOST "assist-desktop"
#define DIALOG_PROGRAM "zenity"
#define PANEL_END "End session"
#define PANEL_TAKE "Take control back"
#define PANEL_CHAT "Chat"

enum dialog_kind {
	DLG_CONSENT,
	DLG_CONTROL,
	DLG_PANEL,
	DLG_CHAT,
	DLG_NOTE,
	DLG_COUNT,
};

struct dialog {
	pid_t pid; /* 0: none */
	int out_fd;
	bool killed; /* taken away: its answer does not count */
	size_t len;
	char out[TEXT_MAX + 1];
};

static struct {
	bool on;
	struct vnc_server v; /* which server, its files and argv */
	struct assist_desktop d;
	pid_t vnc_pid;
	bool vnc_stopping;
	/* View-only toggles: one x11vnc -R in flight; want is the last
	 * wish, applied what the server was last told. */
	pid_t toggle_pid;
	bool toggle_to, want_input, applied_input;
	struct dialog dlg[DLG_COUNT];
	enum assist_state panel_for; /* state the panel was made for */
	bool panel_hidden;
	bool dialogs; /* zenity works here */
} D;

static const char *const dlg_name[DLG_COUNT] = {"consent", "control", "panel",
						"chat", "note"};

bool
desktop_on(void)
{
	return D.on;
}

const char *
desktop_display(void)
{
	static char text[96];

	if (D.v.kind == VNC_X11VNC)
		return D.v.display;
	snprintf(text, sizeof(text), "%s, %s", D.v.display, vnc_name(&D.v));
	return text;
}

int
desktop_setup(struct offer *o, bool on)
{
	const char *disp = getenv("DISPLAY"), *way = getenv("WAYLAND_DISPLAY");
	char *probe[] = {DIALOG_PROGRAM, "--version", NULL};
	char ver[64];
	int rc;

	(void)o; /* its directory is made later: see desktop_prepare */

	for (size_t i = 0; i < DLG_COUNT; i++)
		D.dlg[i].out_fd = -1;
	/* The dialogs also serve a terminal-only offer run on a desktop
	 * (zenity is a GTK program: X11 or Wayland). */
	D.dialogs = ((disp != NULL && disp[0] != '\0') ||
		     (way != NULL && way[0] != '\0')) &&
		    proc_capture(probe, ver, sizeof(ver)) == 0;
	if (!on)
		return 0;
	rc = vnc_choose(&D.v);
	if (rc < 0)
		return rc;
	D.on = true;
	assist_desktop_init(&D.d, true);
	return 0;
}

/* A dialog as a child: stdout into a non-blocking pipe, read by the loop. */
static void
dialog_open(struct offer *o, enum dialog_kind k, char *const argv[])
{
	struct dialog *g = &D.dlg[k];
	int std_fd[3] = {PROC_DEVNULL, -1, PROC_DEVNULL};
	int p[2];

	if (!D.dialogs || g->pid != 0)
		return;
	if (fd_pipe(p) < 0)
		return;
	std_fd[1] = p[1];
	if (fd_set_nonblocking(p[0]) < 0 ||
	    spawn_start(PRIVSEP_SPAWN_DIALOG, argv, std_fd, &g->pid) < 0) {
		fd_close(p[0]);
		fd_close(p[1]);
		g->pid = 0;
		offer_log(o, "desktop: cannot show the %s dialog", dlg_name[k]);
		return;
	}
	fd_close(p[1]);
	g->out_fd = p[0];
	g->len = 0;
	g->killed = false;
}

static void
dialog_close(enum dialog_kind k)
{
	struct dialog *g = &D.dlg[k];

	if (g->pid != 0 && !g->killed) {
		g->killed = true;
		(void)!spawn_kill(g->pid, SIGTERM);
	}
}

static void
question(struct offer *o, enum dialog_kind k, const char *text, const char *yes,
	 const char *no)
{
	char t[320], y[64], n[64], to[32];
	char *argv[] = {DIALOG_PROGRAM, "--question", "--no-markup",
			"--title=assist",
			/* Enter typed into the wrong window says no. */
			"--default-cancel", t, y, n, to, NULL};

	snprintf(t, sizeof(t), "--text=%s", text);
	snprintf(y, sizeof(y), "--ok-label=%s", yes);
	snprintf(n, sizeof(n), "--cancel-label=%s", no);
	snprintf(to, sizeof(to), "--timeout=%d", ASSIST_PROMPT_MS / 1000);
	dialog_open(o, k, argv);
}

void
desktop_ask(struct offer *o, bool control)
{
	char q[256], peer[TCP_ENDPOINT_TEXT];

	sanitize(o->helper ? o->helper->peer : "?", peer, sizeof(peer));
	if (control) {
		question(o, DLG_CONTROL,
			 "Give control? The Helper asks to use your mouse and "
			 "keyboard. F12 in the shared terminal or \"" PANEL_TAKE
			 "\" takes it back at once.",
			 "Give control", "No");
		return;
	}
	snprintf(q, sizeof(q), "Allow the Helper at %s to see your %s?", peer,
		 D.on ? "screen (and the shared terminal)" : "terminal");
	question(o, DLG_CONSENT, q, "Allow", "Refuse");
}

void
desktop_note(struct offer *o, const char *text)
{
	char t[TEXT_MAX + 32];
	char *argv[] = {DIALOG_PROGRAM,
			"--info",
			"--no-markup",
			"--title=assist: the Helper says",
			t,
			"--timeout=60",
			NULL};

	/* One at a time (the terminal and the log have them all). */
	snprintf(t, sizeof(t), "--text=Helper says: %s", text);
	dialog_open(o, DLG_NOTE, argv);
}

static void
panel(struct offer *o)
{
	bool ctl = o->eng.state == ASSIST_IN_CONTROL;
	char t[256];
	/* In control the panic action is the default button (Enter). */
	char *argv[] = {DIALOG_PROGRAM,
			"--question",
			"--no-markup",
			"--title=assist: Helper connected",
			t,
			ctl ? "--ok-label=" PANEL_TAKE
			    : "--ok-label=" PANEL_CHAT,
			"--cancel-label=Hide",
			ctl ? "--extra-button=" PANEL_CHAT : NULL,
			"--extra-button=" PANEL_END,
			NULL};

	if (!ctl) /* no hole in argv */
		argv[7] = argv[8], argv[8] = NULL;
	snprintf(t, sizeof(t), "--text=%s",
		 ctl	? "The Helper HAS CONTROL of your mouse and keyboard."
		 : D.on ? "The Helper sees your screen (view only)."
			: "The Helper sees your terminal (view only).");
	D.panel_for = o->eng.state;
	dialog_open(o, DLG_PANEL, argv);
}

/* The User's command from a dialog, as if typed to assist ctl. */
static void
decide(struct offer *o, const char *what, const char *logged)
{
	offer_log(o, "desktop dialog: the User %s", logged);
	ctl_decide(o, what);
}

static void
dialog_done(struct offer *o, enum dialog_kind k, int status)
{
	struct dialog *g = &D.dlg[k];
	char text[TEXT_MAX + 1];

	g->out[g->len] = '\0';
	g->out[strcspn(g->out, "\r\n")] = '\0'; /* zenity's newline */
	sanitize(g->out, text, sizeof(text));
	if (g->killed)
		return; /* answered elsewhere, or no longer the question */
	switch (k) {
	case DLG_CONSENT:
		if (o->eng.prompt != ASSIST_PROMPT_CONSENT || status > 1)
			break; /* a timeout: the engine's own says no */
		decide(o, status == 0 ? "accept" : "refuse",
		       status == 0 ? "allowed the Helper to see the screen"
				   : "refused the Helper");
		break;
	case DLG_CONTROL:
		if (o->eng.prompt != ASSIST_PROMPT_CONTROL || status > 1)
			break;
		decide(o, status == 0 ? "grant" : "deny",
		       status == 0 ? "gave control" : "refused control");
		break;
	case DLG_PANEL: {
		bool ctl = D.panel_for == ASSIST_IN_CONTROL;

		if (strcmp(text, PANEL_END) == 0)
			decide(o, "end", "ended the session");
		else if ((status == 0 && ctl) || strcmp(text, PANEL_TAKE) == 0)
			decide(o, "revoke", "took control back (panic button)");
		else if ((status == 0 && !ctl) ||
			 strcmp(text, PANEL_CHAT) == 0) {
			char *argv[] = {DIALOG_PROGRAM, "--entry",
					"--title=assist: chat",
					"--text=Message to the Helper:", NULL};

			dialog_open(o, DLG_CHAT, argv);
		} else
			D.panel_hidden = true; /* until the state changes */
		break;
	}
	case DLG_CHAT:
		if (status == 0 && text[0] != '\0')
			chat_from_user(o, text);
		break;
	case DLG_NOTE:
	case DLG_COUNT:
		break;
	}
}

/* The server's own view-only switch, when it has one; else (wayvnc) the
 * filter alone, which follows the session at once: applied now. */
static void
toggle_kick(struct offer *o)
{
	static const int std_fd[3] = {PROC_DEVNULL, PROC_DEVNULL, PROC_DEVNULL};
	char *const *argv;

	if (D.toggle_pid != 0 || D.vnc_pid == 0 ||
	    D.want_input == D.applied_input)
		return;
	argv = vnc_toggle_argv(&D.v, D.want_input);
	if (argv == NULL) {
		D.applied_input = D.want_input;
		assist_desktop_applied(&D.d, D.applied_input);
		offer_log(o, "desktop: %s is %s", vnc_name(&D.v),
			  D.applied_input ? "taking input" : "view only again");
		return;
	}
	if (spawn_start(PRIVSEP_SPAWN_X11VNC, argv, std_fd, &D.toggle_pid) <
	    0) {
		D.toggle_pid = 0;
		offer_log(o, "desktop: cannot run %s -R", vnc_name(&D.v));
		return;
	}
	D.toggle_to = D.want_input;
}

static void
vnc_start(struct offer *o)
{
	/* Its files were made before the sandbox (desktop_prepare). */
	int std_fd[3] = {PROC_DEVNULL, PROC_DEVNULL, PROC_DEVNULL};
	int rc;

	if (vnc_logs_to_stderr(&D.v))
		std_fd[2] = D.v.log_fd;
	rc = spawn_start(D.v.kind == VNC_WAYVNC ? PRIVSEP_SPAWN_WAYVNC
						: PRIVSEP_SPAWN_X11VNC,
			 D.v.argv, std_fd, &D.vnc_pid);
	if (rc < 0) {
		D.vnc_pid = 0;
		offer_log(o, "desktop: cannot start %s: %s", vnc_name(&D.v),
			  strerror(-rc));
		assist_desktop_server_exited(&D.d);
		return;
	}
	D.applied_input = D.want_input = false;
	offer_log(o,
		  "desktop: %s started on %s, view only (pid %d, %s, no "
		  "TCP port)",
		  vnc_name(&D.v), D.v.display, (int)D.vnc_pid, D.v.sock);
}

static void
vnc_stop(struct offer *o)
{
	if (D.vnc_pid == 0 || D.vnc_stopping)
		return;
	D.vnc_stopping = true;
	(void)!spawn_kill(D.vnc_pid, SIGTERM);
	offer_log(o, "desktop: %s stopped", vnc_name(&D.v));
}

/* After every engine event: the desktop follows the session's state, and
 * the dialogs follow the open question. */
void
desktop_sync(struct offer *o)
{
	enum assist_desktop_do a;
	bool accepted = o->eng.state == ASSIST_VIEWING ||
			o->eng.state == ASSIST_IN_CONTROL;

	if (D.on) {
		assist_desktop_follow(&D.d, o->eng.state);
		while (assist_desktop_next(&D.d, &a)) {
			switch (a) {
			case ASSIST_DESKTOP_DO_START:
				vnc_start(o);
				break;
			case ASSIST_DESKTOP_DO_VIEW_ONLY:
			case ASSIST_DESKTOP_DO_CONTROL:
				D.want_input = a == ASSIST_DESKTOP_DO_CONTROL;
				offer_log(o, "desktop: %s",
					  D.want_input
						  ? "the Helper's mouse and "
						    "keyboard reach the screen"
						  : "view only again");
				toggle_kick(o);
				break;
			case ASSIST_DESKTOP_DO_STOP:
				vnc_stop(o);
				break;
			}
		}
	}
	if (o->eng.prompt != ASSIST_PROMPT_CONSENT)
		dialog_close(DLG_CONSENT);
	if (o->eng.prompt != ASSIST_PROMPT_CONTROL)
		dialog_close(DLG_CONTROL);
	if (!accepted) {
		dialog_close(DLG_PANEL);
		dialog_close(DLG_CHAT);
	} else if (D.dlg[DLG_PANEL].pid != 0 && D.panel_for != o->eng.state) {
		dialog_close(DLG_PANEL); /* remade for the new state */
		D.panel_hidden = false;
	} else if (D.dlg[DLG_PANEL].pid == 0 &&
		   (!D.panel_hidden || D.panel_for != o->eng.state) &&
		   (D.dlg[DLG_CHAT].pid == 0 ||
		    o->eng.state == ASSIST_IN_CONTROL)) {
		/* Not over the User's chat while viewing (it comes back
		 * after); in control the panic button always shows. */
		D.panel_hidden = false;
		panel(o);
	}
}

/* Each tick: the dialogs' answers, the toggles, the server's health. */
void
desktop_serve(struct offer *o)
{
	int st;

	for (size_t k = 0; k < DLG_COUNT; k++) {
		struct dialog *g = &D.dlg[k];
		size_t n;

		if (g->pid == 0)
			continue;
		while (g->len < TEXT_MAX &&
		       fd_read(g->out_fd, g->out + g->len, TEXT_MAX - g->len,
			       &n) == 0 &&
		       n > 0)
			g->len += n;
		if (spawn_try_wait(g->pid, &st) != 0)
			continue;
		/* Whatever the child wrote before it ended is in the pipe. */
		while (g->len < TEXT_MAX &&
		       fd_read(g->out_fd, g->out + g->len, TEXT_MAX - g->len,
			       &n) == 0 &&
		       n > 0)
			g->len += n;
		fd_close(g->out_fd);
		g->out_fd = -1;
		g->pid = 0;
		dialog_done(o, (enum dialog_kind)k, st);
		g->killed = false;
	}
	if (D.toggle_pid != 0 && spawn_try_wait(D.toggle_pid, &st) == 0) {
		D.toggle_pid = 0;
		if (st == 0) {
			D.applied_input = D.toggle_to;
			assist_desktop_applied(&D.d, D.applied_input);
			offer_log(o, "desktop: %s is %s", vnc_name(&D.v),
				  D.applied_input ? "taking input"
						  : "view only again");
		} else
			offer_log(o, "desktop: %s -R failed (%d)",
				  vnc_name(&D.v), st);
		toggle_kick(o); /* a wish that came meanwhile */
	}
	if (D.vnc_pid != 0 && spawn_try_wait(D.vnc_pid, &st) == 0) {
		if (!D.vnc_stopping) {
			char why[512], line[TEXT_MAX];

			vnc_explain(&D.v, why, sizeof(why));
			offer_log(o,
				  "desktop: %s ended on its own (status %d, "
				  "see %s)%s%s; the screen is not shared",
				  vnc_name(&D.v), st, D.v.log,
				  why[0] != '\0' ? ": " : "", why);
			if (why[0] != '\0')
				fprintf(stderr, "assist: --desktop: %s\n", why);
			/* Both sides' terminals: the Helper stops waiting. */
			snprintf(line, sizeof(line),
				 "assist: the desktop is not shared: %s "
				 "ended%s",
				 vnc_name(&D.v),
				 strstr(why, "wlroots") != NULL
					 ? " (not a wlroots compositor)"
					 : " (see the session log)");
			term_broadcast(o, line);
		}
		D.vnc_pid = 0;
		assist_desktop_server_exited(&D.d);
	}
	if (D.dlg[DLG_PANEL].pid == 0 && !D.panel_hidden)
		desktop_sync(o); /* a panel that ended comes back */
}

/* The end of the offer: nothing of ours stays on the User's desktop. */
void
desktop_stop(struct offer *o)
{
	for (size_t k = 0; k < DLG_COUNT; k++)
		dialog_close((enum dialog_kind)k);
	vnc_stop(o);
	for (int i = 0; i < 20; i++) {
		bool left = false;

		desktop_serve(o);
		for (size_t k = 0; k < DLG_COUNT; k++)
			left |= D.dlg[k].pid != 0;
		if (!left && D.vnc_pid == 0 && D.toggle_pid == 0)
			break;
		(void)!fd_poll(NULL, 0, 50);
	}
}

/* A revoke not yet confirmed by x11vnc: the Helper's bytes wait. */
bool
desktop_hold(void)
{
	return D.on && assist_desktop_hold(&D.d);
}

int
desktop_prepare(struct offer *o)
{
	return D.on ? vnc_prepare(&D.v, o->dir) : 0;
}

/* Whether the Helper's input messages pass the filter now. */
bool
desktop_may_input(void)
{
	return D.on && assist_desktop_may_input(&D.d);
}

/* For the spawner's policy (issue 11 B3): x11vnc's $DISPLAY, or NULL. */
const char *
desktop_x11_display(void)
{
	return D.on && D.v.kind == VNC_X11VNC ? D.v.display : NULL;
}

/* For the spawner's policy: the VNC server's files (after
 * desktop_prepare), wayvnc's configuration or NULL; false: no desktop. */
bool
desktop_vnc_files(const char **sock, const char **log, const char **conf)
{
	if (!D.on)
		return false;
	*sock = D.v.sock;
	*log = D.v.log;
	*conf = D.v.kind == VNC_WAYVNC ? D.v.conf : NULL;
	return true;
}

bool
desktop_dialogs(void)
{
	return D.dialogs;
}

bool
desktop_fwd_target(const char *host)
{
	return strcmp(host, DESKTOP_HOST) == 0;
}

/* The Helper's forward to the desktop: 0 and *fd, or -EPERM. */
int
desktop_connect(struct offer *o, int *fd)
{
	int rc;

	if (!D.on || !assist_desktop_may_connect(&D.d))
		return -EPERM;
	rc = ctl_connect_start(D.v.sock, fd);
	if (rc < 0)
		offer_log(o, "desktop: %s not answering yet (%s)",
			  vnc_name(&D.v), strerror(-rc));
	return rc;
}
