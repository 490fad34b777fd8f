/*
 * The Helper's view of the User's desktop (issue 13 point 3):
 *
 *   assist desktop [-d DIR] [-p PORT] [--viewer CMD|none] [--wait S]
 *
 * (and `assist help --desktop`, which runs it beside the session).  Over
 * the session's ControlMaster it adds a local forward to the User's VNC
 * server,
 *
 *   ssh -S DIR/cm.sock -O forward -L 127.0.0.1:PORT:assist-desktop:5900
 *
 * which the User's side answers only once the User accepted the Helper
 * (offer_desktop.c), waits until the desktop answers (an RFB version
 * line), then starts a VNC viewer on it: --viewer CMD (given
 * 127.0.0.1::PORT), else the first of gvncviewer (Debian gvncviewer),
 * vncviewer (TigerVNC) and xtightvncviewer that is installed.  Without a
 * display, or with --viewer none, it prints the forward and the viewer
 * command to use instead.  Control requests are the terminal's: `assist
 * control`, and the User's grant lets this viewer's mouse and keyboard in.
 */
#include "assist.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/fd.h"
#include "sys/tcp.h"

#define PORT_FIRST 5910 /* VNC displays :10..:99 on the Helper's loopback */
#define PORT_LAST 5999

static void
default_dir(char *out, size_t cap)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	snprintf(out, cap, "%s/shipworm-assist-help-%u", base ? base : "/tmp",
		 (unsigned)getuid());
}

static int
master(const char *cp, const char *op, const char *fwd)
{
	char *argv[] = {"ssh",
			"-F",
			"none",
			"-o",
			(char *)(uintptr_t)cp,
			"-o",
			"ProxyCommand=false",
			"-O",
			(char *)(uintptr_t)op,
			fwd ? "-L" : "-q",
			(char *)(uintptr_t)(fwd ? fwd : "-q"),
			"shipworm-assist",
			NULL};

	return proc_run(argv, true);
}

/* A free port on the loopback, in the VNC display range. */
static int
free_port(uint16_t *port)
{
	for (unsigned p = PORT_FIRST; p <= PORT_LAST; p++) {
		struct tcp_endpoint ep = {.a4 = 0x7f000001u,
					  .port = (uint16_t)p};
		uint16_t got;
		int fd;

		if (tcp_listen(&ep, 1, &fd, &got) == 0) {
			fd_close(fd);
			*port = (uint16_t)p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

/* Whether the forward reaches a VNC server now: it sends "RFB ". */
static bool
desktop_answers(uint16_t port)
{
	struct tcp_endpoint ep = {.a4 = 0x7f000001u, .port = port};
	char buf[12];
	size_t got = 0, n;
	int fd;
	bool yes = false;

	if (tcp_connect_start(&ep, &fd) < 0)
		return false;
	if (fd_wait(fd, POLLOUT, 2000) <= 0 || tcp_connect_result(fd) < 0)
		goto out;
	while (got < 4 && fd_wait(fd, POLLIN, 3000) > 0 &&
	       fd_read(fd, buf + got, sizeof(buf) - got, &n) == 0 && n > 0)
		got += n;
	yes = got >= 4 && memcmp(buf, "RFB ", 4) == 0;
out:
	fd_close(fd);
	return yes;
}

static int
run_viewer(const char *viewer, uint16_t port)
{
	char hp[32], hd[32];
	int rc;

	snprintf(hp, sizeof(hp), "127.0.0.1::%u", port);
	snprintf(hd, sizeof(hd), "127.0.0.1:%u", port - 5900);
	if (viewer != NULL) {
		char *argv[] = {
			"sh", "-c", "exec $0 \"$1\"", (char *)(uintptr_t)viewer,
			hp,   NULL};

		return proc_run(argv, false);
	}
	{
		char *g[] = {"gvncviewer", hd, NULL};
		char *t[] = {"vncviewer", hp, NULL};
		char *x[] = {"xtightvncviewer", hp, NULL};
		char *const *all[] = {g, t, x};

		for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
			fprintf(stderr, "assist: viewer: %s %s\n", all[i][0],
				all[i][1]);
			rc = proc_run(all[i], false);
			if (rc != 127)
				return rc;
		}
	}
	fprintf(stderr, "assist: no VNC viewer installed (apt install "
			"gvncviewer, tigervnc-viewer or xtightvncviewer; or "
			"--viewer CMD)\n");
	return 127;
}

int
desktop_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"port", required_argument, NULL, 'p'},
		{"viewer", required_argument, NULL, 'v'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char dir[PATH_MAX - 64], cp[PATH_MAX], fwd[64];
	const char *viewer = NULL, *disp = getenv("DISPLAY");
	long wait_s = 150, p = 0;
	uint16_t port = 0;
	uint64_t deadline;
	int ch;

	/* The viewers are GTK or X programs: an X display or a Wayland one. */
	if (disp == NULL || disp[0] == '\0')
		disp = getenv("WAYLAND_DISPLAY");
	default_dir(dir, sizeof(dir));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:p:v:w:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 'p':
			p = strtol(optarg, NULL, 10);
			break;
		case 'v':
			viewer = optarg;
			break;
		case 'w':
			wait_s = strtol(optarg, NULL, 10);
			break;
		case 'h':
			printf("Usage: assist desktop [-d DIR] [-p PORT] "
			       "[--viewer CMD|none] [--wait SECONDS]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (p < 0 || p > 65535 || wait_s < 1 || wait_s > 3600) {
		fprintf(stderr, "assist: --port 1..65535, --wait 1..3600\n");
		return 2;
	}
	snprintf(cp, sizeof(cp), "ControlPath=%s/cm.sock", dir);
	deadline = now_ms() + (uint64_t)wait_s * 1000u;
	/* The session (assist help) first. */
	while (master(cp, "check", NULL) != 0) {
		if (now_ms() >= deadline) {
			fprintf(stderr,
				"assist: desktop: no session (is assist help "
				"running with -d %s?)\n",
				dir);
			return 6;
		}
		(void)!fd_poll(NULL, 0, 500);
	}
	if (p != 0)
		port = (uint16_t)p;
	else if (free_port(&port) < 0) {
		fprintf(stderr, "assist: desktop: no free port in %d..%d\n",
			PORT_FIRST, PORT_LAST);
		return 1;
	}
	snprintf(fwd, sizeof(fwd), "127.0.0.1:%u:assist-desktop:5900", port);
	if (master(cp, "forward", fwd) != 0) {
		fprintf(stderr,
			"assist: desktop: ssh -O forward -L %s failed\n", fwd);
		return 1;
	}
	fprintf(stderr,
		"assist: desktop: waiting for the User to accept (the "
		"desktop answers on 127.0.0.1:%u once they do)...\n",
		port);
	while (!desktop_answers(port)) {
		if (now_ms() >= deadline) {
			fprintf(stderr,
				"assist: desktop: the User's desktop did not "
				"answer (not accepted, not offered with "
				"--desktop, or x11vnc failed on their side)\n");
			return 5;
		}
		(void)!fd_poll(NULL, 0, 1000);
	}
	fprintf(stderr,
		"assist: desktop: the User's screen is on 127.0.0.1:%u (VNC "
		"display 127.0.0.1:%u), view only until they give control "
		"(assist control)\n"
		"assist: the same by hand: ssh -S %s/cm.sock -O forward -L "
		"%s shipworm-assist; gvncviewer 127.0.0.1:%u (or vncviewer "
		"127.0.0.1::%u)\n",
		port, port - 5900u, dir, fwd, port - 5900u, port);
	if ((viewer != NULL && strcmp(viewer, "none") == 0) || disp == NULL ||
	    disp[0] == '\0') {
		if (viewer == NULL)
			fprintf(stderr,
				"assist: desktop: no $DISPLAY (nor "
				"$WAYLAND_DISPLAY) here: start a viewer "
				"as above\n");
		return 0;
	}
	return run_viewer(viewer, port);
}

pid_t
help_desktop_start(const char *dir, const char *viewer)
{
	char *argv[] = {(char *)(uintptr_t)self_exe(),
			"desktop",
			"-d",
			(char *)(uintptr_t)dir,
			viewer ? "--viewer" : NULL,
			(char *)(uintptr_t)viewer,
			NULL};
	struct proc_opts po = {
		.std_fd = {PROC_DEVNULL, PROC_INHERIT, PROC_INHERIT}};
	pid_t pid;

	if (proc_spawn(argv, &po, &pid) < 0) {
		fprintf(stderr, "assist: cannot start the desktop viewer\n");
		return 0;
	}
	return pid;
}
