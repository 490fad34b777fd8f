/*
 * Which VNC server shares the User's desktop, and how it runs (issue 13
 * point 1): the choice in one place, so offer_desktop.c drives both the
 * same way (start view-only on a Unix socket in the offer's private
 * directory, toggle, stop).  Always an existing server, never ours:
 *
 *   A Wayland session ($WAYLAND_DISPLAY set, whatever $DISPLAY says: an X
 *   server there is XWayland, whose root window is not the desktop):
 *   wayvnc (Debian wayvnc), for wlroots compositors (sway, Wayfire,
 *   river, Hyprland, labwc): it captures with zwlr_screencopy_manager_v1
 *   and types and points with zwlr_virtual_pointer / zwp_virtual_keyboard.
 *
 *     wayvnc -C DIR/wayvnc.conf -u DIR/vnc.sock
 *
 *   -u: a Unix socket, no TCP port at all; -C an empty configuration of
 *   ours, so a ~/.config/wayvnc/config (address, port, TLS) does not
 *   apply.  Other compositors (GNOME's Mutter, KDE's KWin) offer none of
 *   those protocols: a desktop named in $XDG_CURRENT_DESKTOP as one of
 *   them is refused at once with a clear message; any other is found out
 *   when wayvnc ends saying the virtual pointer, keyboard or screencopy
 *   protocol is missing (vnc_explain turns its log into the same
 *   message; t-desktop-wayland checks with a compositor that has none).
 *
 *   An X11 session ($DISPLAY only): x11vnc, see vnc_prepare.
 *
 * View only: x11vnc switches itself (x11vnc -R viewonly / noviewonly).
 * wayvnc 0.5 cannot switch while it runs (-d is for its whole life; its
 * control socket came in 0.6) and restarting it at each grant and revoke
 * would cut the Helper's viewer; so it runs with input on, and the gate
 * is the offer's filter on the Helper's stream (lib/assist/rfbfilter.h,
 * in front of x11vnc too): no key, pointer or clipboard message passes
 * unless the Helper has control, decided per message as it arrives.
 */
#include "offer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sys/ctl.h"
#include "sys/fd.h"
#include "sys/path.h"
#include "sys/proc.h"

/* Wayland desktops known not to be wlroots-based (XDG_CURRENT_DESKTOP). */
static const char *const not_wlroots[] = {"GNOME",    "KDE",   "Budgie",
					  "Pantheon", "Unity", "COSMIC",
					  "Deepin",   "Weston"};

static const char wlroots_hint[] =
	"wayvnc, which needs a wlroots compositor (sway, Wayfire, river, "
	"Hyprland, labwc). Use your desktop's own screen sharing (GNOME: "
	"Settings > Sharing > Remote Desktop; KDE: krfb) or log in to an X11 "
	"session";

static bool
plain_name(const char *s, size_t cap)
{
	return s[0] != '\0' && strlen(s) < cap &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.:-_/") == strlen(s);
}

/* A known non-wlroots desktop in $XDG_CURRENT_DESKTOP (a:b:c), or NULL. */
static const char *
known_not_wlroots(void)
{
	const char *cur = getenv("XDG_CURRENT_DESKTOP");

	for (size_t i = 0; cur != NULL && i < ARRAY_SIZE(not_wlroots); i++) {
		size_t n = strlen(not_wlroots[i]);

		for (const char *p = cur; p != NULL && *p != '\0';) {
			if (strncasecmp(p, not_wlroots[i], n) == 0 &&
			    (p[n] == ':' || p[n] == '\0'))
				return not_wlroots[i];
			p = strchr(p, ':');
			p = p != NULL ? p + 1 : NULL;
		}
	}
	return NULL;
}

static int
choose_wayland(struct vnc_server *v, const char *way)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *desk = known_not_wlroots();
	char *probe[] = {"wayvnc", "--version", NULL};
	char ver[128];
	int fd, rc;

	if (desk != NULL) {
		fprintf(stderr,
			"assist: --desktop: this is a Wayland session of %s "
			"($WAYLAND_DISPLAY=%s); assist shares Wayland desktops "
			"through %s.\n",
			desk, way, wlroots_hint);
		return -EPROTONOSUPPORT;
	}
	if (!plain_name(way, sizeof(v->display))) {
		fprintf(stderr, "assist: --desktop: odd $WAYLAND_DISPLAY\n");
		return -EINVAL;
	}
	/* The compositor answers where its clients find it. */
	if (way[0] == '/')
		snprintf(v->wl_path, sizeof(v->wl_path), "%s", way);
	else if (rt != NULL && rt[0] == '/')
		snprintf(v->wl_path, sizeof(v->wl_path), "%s/%s", rt, way);
	else {
		fprintf(stderr,
			"assist: --desktop: $WAYLAND_DISPLAY=%s but no "
			"$XDG_RUNTIME_DIR\n",
			way);
		return -ENXIO;
	}
	rc = ctl_connect_start(v->wl_path, &fd);
	if (rc < 0) {
		fprintf(stderr,
			"assist: --desktop: no Wayland compositor answers at "
			"%s ($WAYLAND_DISPLAY=%s): %s\n",
			v->wl_path, way, strerror(-rc));
		return -ENXIO;
	}
	fd_close(fd);
	if (proc_capture(probe, ver, sizeof(ver)) < 0 ||
	    strstr(ver, "wayvnc") == NULL) {
		fprintf(stderr,
			"assist: --desktop on Wayland needs wayvnc (apt "
			"install wayvnc; wlroots compositors only)\n");
		return -ENOENT;
	}
	v->kind = VNC_WAYVNC;
	snprintf(v->display, sizeof(v->display), "%s", way);
	return 0;
}

int
vnc_choose(struct vnc_server *v)
{
	const char *disp = getenv("DISPLAY"), *way = getenv("WAYLAND_DISPLAY");
	char *probe[] = {"x11vnc", "-version", NULL};
	char ver[64];

	memset(v, 0, sizeof(*v));
	v->log_fd = -1;
	if (way != NULL && way[0] != '\0')
		return choose_wayland(v, way);
	if (disp == NULL || disp[0] == '\0') {
		fprintf(stderr, "assist: --desktop: no $DISPLAY nor "
				"$WAYLAND_DISPLAY (no desktop to share)\n");
		return -ENXIO;
	}
	if (!plain_name(disp, sizeof(v->display))) {
		fprintf(stderr, "assist: --desktop: odd $DISPLAY\n");
		return -EINVAL;
	}
	if (proc_capture(probe, ver, sizeof(ver)) < 0 || ver[0] == '\0') {
		fprintf(stderr, "assist: --desktop needs x11vnc "
				"(apt install x11vnc)\n");
		return -ENOENT;
	}
	v->kind = VNC_X11VNC;
	snprintf(v->display, sizeof(v->display), "%s", disp);
	return 0;
}

const char *
vnc_name(const struct vnc_server *v)
{
	return v->kind == VNC_WAYVNC ? "wayvnc" : "x11vnc";
}

int
vnc_prepare(struct vnc_server *v, const char *dir)
{
	size_t n = 0;
	int rc;

	snprintf(v->sock, sizeof(v->sock), "%s/vnc.sock", dir);
	snprintf(v->log, sizeof(v->log), "%s/%s.log", dir, vnc_name(v));
	/* Read by vnc_explain; wayvnc's stderr (x11vnc writes it with -o). */
	rc = path_open_log(v->log, 0600, &v->log_fd);
	if (rc < 0)
		return rc;
	if (v->kind == VNC_WAYVNC) {
		snprintf(v->conf, sizeof(v->conf), "%s/wayvnc.conf", dir);
		rc = path_write(v->conf, "", 0, 0600);
		if (rc < 0)
			return rc;
		v->argv[n++] = "wayvnc";
		v->argv[n++] = "-C";
		v->argv[n++] = v->conf;
		v->argv[n++] = "-u";
		v->argv[n++] = v->sock;
		v->argv[n] = NULL;
		return 0;
	}
	/* The options the spawner's policy allows (lib/privsep/spawn.h); t-desktop
	 * checks with ss that nothing listens on TCP. */
	{
		static char *const rest[] = {PRIVSEP_SPAWN_X11VNC_ARGS, "-o"};

		v->argv[n++] = "x11vnc";
		v->argv[n++] = "-display";
		v->argv[n++] = v->display;
		v->argv[n++] = "-unixsock";
		v->argv[n++] = v->sock;
		for (size_t i = 0; i < ARRAY_SIZE(rest); i++)
			v->argv[n++] = rest[i];
		v->argv[n++] = v->log;
		v->argv[n] = NULL;
	}
	return 0;
}

char *const *
vnc_toggle_argv(struct vnc_server *v, bool input)
{
	if (v->kind == VNC_WAYVNC)
		return NULL; /* the offer's filter alone (see above) */
	v->targv[0] = "x11vnc";
	v->targv[1] = "-display";
	v->targv[2] = v->display;
	v->targv[3] = "-sync";
	v->targv[4] = "-R";
	v->targv[5] = input ? "noviewonly" : "viewonly";
	v->targv[6] = NULL;
	return v->targv;
}

bool
vnc_logs_to_stderr(const struct vnc_server *v)
{
	return v->kind == VNC_WAYVNC; /* x11vnc has -o */
}

void
vnc_explain(const struct vnc_server *v, char *out, size_t cap)
{
	char log[4096];
	size_t len = 0;

	out[0] = '\0';
	/* Its first lines are enough. */
	if (v->log_fd < 0 ||
	    fd_read_head(v->log_fd, log, sizeof(log) - 1, &len) < 0)
		return;
	log[len] = '\0';
	/* wayvnc 0.5 checks the virtual pointer and keyboard first, then
	 * screencopy: any of them missing is a compositor that is not
	 * wlroots-based. */
	if (v->kind == VNC_WAYVNC &&
	    (strstr(log, "Virtual Pointer protocol not supported") != NULL ||
	     strstr(log, "Virtual Keyboard protocol not supported") != NULL ||
	     strstr(log, "support screencopy") != NULL ||
	     strstr(log, "screencopy is not supported") != NULL))
		snprintf(out, cap,
			 "this Wayland compositor lacks the wlroots protocols "
			 "(screencopy, virtual pointer and keyboard): assist "
			 "shares Wayland desktops through %s",
			 wlroots_hint);
	else if (v->kind == VNC_WAYVNC &&
		 strstr(log, "Failed to initialise wayland") != NULL)
		snprintf(out, cap,
			 "wayvnc could not use the compositor at %s (see %s)",
			 v->wl_path, v->log);
}
