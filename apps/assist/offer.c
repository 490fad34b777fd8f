/*
 * assist offer: the User's side (issue 5 item 1; issue 10;
 * remote-assistance.md §0, §3.2).  A per-invitation Ed25519 host key and a
 * 128-bit one-time password; a TCP listener on every candidate address
 * (offer_cand.c), unprivileged; the User's shell in tmux on a private
 * socket (offer_term.c).  An embedded libssh server, non-blocking
 * (offer_session.c), takes one Helper: password authentication only, then
 * the User's consent (RA: "accept connection"), then the Helper's own tmux
 * client, read-only ("Screen Sharing"), until the User grants control
 * ("Control Sharing"); F12 in the User's tmux is the panic key (RA used
 * Esc, MS-RA §3.16.5) and revokes it at once.  Files (offer_files.c),
 * forwards (offer_fwd.c), chat (offer_chat.c), the control socket
 * (offer_ctl.c).  Who may do what and when is lib/assist/session.c, the
 * session engine; this file is the loop that feeds it and carries out its
 * actions.  The listeners close at the first login or at expiry, and the
 * process ends with the session.
 */
#include "offer.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sys/ctl.h"
#include "sys/fd.h"
#include "sys/rand.h"

#define DEFAULT_TEREDO_SOCKET "/run/shipworm/teredod.sock"
#define DEFAULT_TTL_S 3600

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

void
offer_log(struct offer *o, const char *fmt, ...)
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

uint64_t
offer_now(const struct offer *o)
{
	(void)o;
	return now_ms();
}

/* What the Helper is told when the engine ends the session. */
static const char *
to_helper(const char *why)
{
	if (strcmp(why, "ended by the User") == 0)
		return "the User ended the session";
	if (strcmp(why, "the Helper left (detached)") == 0)
		return "you left the session";
	if (strcmp(why, "the shared terminal closed") == 0 ||
	    strcmp(why, "the User's shell exited") == 0)
		return "the User's terminal session ended";
	if (strcmp(why, "stopped") == 0)
		return "the User's side stopped";
	if (strcmp(why, "the Helper disconnected") == 0 ||
	    strcmp(why, "the Helper closed the session") == 0)
		return NULL;
	return why;
}

/* Carries out what the engine decided, in order. */
void
offer_run_actions(struct offer *o)
{
	struct assist_action a;

	while (assist_session_next(&o->eng, &a)) {
		switch (a.kind) {
		case ASSIST_DO_CLOSE_CONN:
			session_close_conn(o, a.conn, a.why);
			break;
		case ASSIST_DO_CLOSE_LISTENERS:
			cand_close_listeners(o, a.why);
			break;
		case ASSIST_DO_ASK_CONSENT: {
			char q[256];
			const char *peer = o->helper ? o->helper->peer : "?";

			snprintf(q, sizeof(q),
				 "assist: a Helper (%s) wants to SEE your "
				 "terminal%s. Accept? (y/n)",
				 peer, desktop_on() ? " and your SCREEN" : "");
			offer_log(o, "asking the User to accept %s", peer);
			term_set_state(o, "a Helper is asking to watch");
			if (o->shell != NULL) {
				static const char w[] =
					"assist: waiting for the User to "
					"accept...\r\n";

				(void)chanq_push(&o->shell->out, w,
						 sizeof(w) - 1);
			}
			term_ask(o, false, q);
			desktop_ask(o, false);
			break;
		}
		case ASSIST_DO_ASK_CONTROL:
			offer_log(o, "the Helper asks for control");
			term_ask(o, true,
				 "assist: the Helper asks to TYPE in your "
				 "terminal. Allow? (y/n)");
			desktop_ask(o, true);
			break;
		case ASSIST_DO_START_VIEW:
			if (term_start_view(o) < 0)
				assist_session_end(
					&o->eng, "no terminal for the Helper");
			break;
		case ASSIST_DO_READONLY:
			/* The engine already drops the Helper's keys; this
			 * empties what was queued and locks tmux too. */
			if (o->shell != NULL)
				chanq_reset(&o->shell->in);
			if (term_set_readonly(o, true) < 0 &&
			    o->helper_tty[0] != '\0')
				offer_log(o, "WARNING: tmux could not make the "
					     "Helper's client read-only (the "
					     "offer drops its keys anyway)");
			term_bind_keys(o);
			if (a.why != NULL &&
			    strcmp(a.why, "released by the Helper") == 0)
				offer_log(o, "control revoked (released by "
					     "the Helper)");
			if (o->helper_tty[0] != '\0') {
				term_set_state(o,
					       "Helper watching (view only)");
				term_broadcast(o, "assist: control taken back "
						  "by the User");
			}
			break;
		case ASSIST_DO_WRITABLE:
			if (term_set_readonly(o, false) < 0)
				offer_log(o, "WARNING: tmux could not make the "
					     "Helper's client writable");
			offer_log(o, "control granted to the Helper (%s)",
				  a.why ? a.why : "");
			term_set_state(
				o, "HELPER HAS CONTROL - F12 takes it back");
			term_broadcast(o, "assist: the Helper has control; "
					  "F12 takes it back at once");
			o->next_rebind_ms = 0;
			break;
		case ASSIST_DO_CONTROL_REPLY: {
			struct chan *c = chan_by_slot(o, a.chan);

			if (a.ok && a.why != NULL &&
			    strcmp(a.why, "you have control") == 0)
				chan_reply(c, "assist: you have control\n", 0);
			else if (a.ok)
				chan_reply(c,
					   "assist: control granted by the "
					   "User (F12 on their side takes it "
					   "back)\n",
					   0);
			else if (a.why != NULL && strcmp(a.why, "not now") == 0)
				chan_reply(c, "assist: not now\n", 1);
			else {
				offer_log(o, "control request refused (%s)",
					  a.why ? a.why : "");
				chan_reply(c,
					   "assist: control refused by the "
					   "User\n",
					   1);
			}
			break;
		}
		case ASSIST_DO_END:
			if (o->end_reason == NULL)
				o->end_reason = a.why;
			session_end(o, to_helper(a.why));
			o->done = true;
			break;
		}
	}
	desktop_sync(o);
}

static int
on_listen_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;

	(void)revents;
	for (unsigned i = 0; i < o->lfd_count; i++)
		if (o->lfd[i] == fd)
			o->lfd_ready |= 1u << i;
	return 0;
}

static void
tick(struct offer *o)
{
	uint64_t now = offer_now(o);

	ctl_serve(o);
	for (unsigned i = 0; o->listening && i < o->lfd_count; i++)
		if (o->lfd_ready & (1u << i)) {
			/* One at a time per wake-up: a flood of SYNs waits
			 * in the kernel's backlog, not here. */
			session_on_listen(o, o->lfd[i]);
			offer_run_actions(o);
		}
	o->lfd_ready = 0;
	o->accept_ready = false;
	session_serve(o);
	offer_run_actions(o);
	term_serve(o);
	files_serve(o);
	fwd_serve(o);
	desktop_serve(o);
	(void)assist_session_tick(&o->eng, now);
	offer_run_actions(o);
	if (o->pty_closed && o->eng.state != ASSIST_ENDED) {
		/* The Helper's tmux client ended: either the Helper detached
		 * (the User's session lives on) or the User's shell exited. */
		o->pty_closed = false;
		if (tmux(o, "has-session", "-t", "assist", NULL, NULL, NULL,
			 NULL) == 0)
			assist_session_end(&o->eng,
					   "the Helper left (detached)");
		else if (!spawn_gone())
			assist_session_end(&o->eng,
					   "the shared terminal closed");
		offer_run_actions(o);
	}
	/* A tmux command fails also when the spawner is gone: that is said
	 * below, not taken for the User's shell. */
	if (!o->done && !spawn_gone() && now >= o->next_tmux_check_ms) {
		o->next_tmux_check_ms = now + 2000;
		if (tmux(o, "has-session", "-t", "assist", NULL, NULL, NULL,
			 NULL) != 0 &&
		    !spawn_gone()) {
			assist_session_end(&o->eng, "the User's shell exited");
			offer_run_actions(o);
		}
	}
	if (spawn_gone() && o->eng.state != ASSIST_ENDED) {
		assist_session_end(&o->eng, "the spawner ended");
		offer_run_actions(o);
	}
	if (o->eng.state == ASSIST_ENDED)
		o->done = true;
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
		"      --allow-files DIR  let the Helper get files from DIR "
		"(SFTP, read-only),\n"
		"                         once you accept them (default: no "
		"file access)\n"
		"      --allow-files-rw DIR  the same, and put files there\n"
		"      --desktop          share this desktop too (X11: x11vnc; "
		"wlroots Wayland:\n"
		"                         wayvnc), view only until you give "
		"control; the Helper\n"
		"                         runs assist help --desktop\n"
		"      --no-portmap       do not ask the router (UPnP IGD, "
		"NAT-PMP, PCP) for a\n"
		"                         mapping of the IPv4 port (default: "
		"ask, offer it as a\n"
		"                         candidate, delete it at the end)\n",
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
	/* Paths go into tmux commands between single quotes, inside tmux's
	 * double quotes ($ expands there) and prompt templates (%). */
	return strpbrk(p, "'\"\\\n#;$%`") == NULL;
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
		{"allow-files", required_argument, NULL, 'F'},
		{"allow-files-rw", required_argument, NULL, 'W'},
		{"desktop", no_argument, NULL, 'K'},
		{"no-portmap", no_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct offer off;
	struct offer *o = &off;
	const char *dir = NULL, *output = NULL, *files = NULL,
		   *teredo_sock = DEFAULT_TEREDO_SOCKET;
	char text[ASSIST_INVITE_MAX + 1], line[ASSIST_INVITE_LINE_CAP];
	char secret[ASSIST_SECRET_TEXT], when[ASSIST_TIME_TEXT];
	char hostkey[ASSIST_HOSTKEY_TEXT], fp[128];
	long ttl = DEFAULT_TTL_S, port = 0;
	bool native = true, attach = true, desktop = false, portmap = true;
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
		case 'F': /* long options only */
		case 'W':
			if (files != NULL) {
				fprintf(stderr, "assist: one --allow-files "
						"directory\n");
				return 2;
			}
			files = optarg;
			o->files_rw = ch == 'W';
			break;
		case 'K': /* long option only */
			desktop = true;
			break;
		case 'M': /* long option only */
			portmap = false;
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
	/* Before anything is made: a refusal leaves nothing behind. */
	if (desktop_setup(o, desktop) < 0)
		return 2;
	if (o->shell_cmd == NULL)
		o->shell_cmd = getenv("SHELL") ? getenv("SHELL") : "/bin/sh";
	o->pty_fd = o->ctl_fd = -1;
	o->sftp.in_fd = o->sftp.out_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(o->conns); i++)
		o->conns[i].fd = -1;
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
	/* Close-on-exec ("e"): tmux and sftp-server must not inherit it. */
	o->log = fopen(o->log_path, "ae");
	if (o->log == NULL) {
		fprintf(stderr, "assist: %s: %s\n", o->log_path,
			strerror(errno));
		return 1;
	}

	if (files != NULL && (files_check_dir(o, files) < 0 ||
			      (rc = path_mkdir(o->jail_path, 0700)) < 0)) {
		if (o->jail_path[0] != '\0')
			fprintf(stderr, "assist: %s: %s\n", o->jail_path,
				strerror(-rc));
		ssh_key_free(key);
		fclose(o->log);
		return 2;
	}
	if ((rc = desktop_prepare(o)) < 0) {
		fprintf(stderr, "assist: --desktop: %s: %s\n", o->dir,
			strerror(-rc));
		ssh_key_free(key);
		fclose(o->log);
		return 1;
	}
	cand_gather(o, teredo_sock, native);
	if (cand_listen_all(o, (uint16_t)port) < 0) {
		fprintf(stderr, "assist: no candidate address to listen on\n");
		return 1;
	}
	o->listening = true;
	portmap_cand_setup(o, portmap, dir != NULL);
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
	o->event = ssh_event_new();
	{
		struct assist_session_cfg cfg = ASSIST_SESSION_CFG_DEFAULT;
		int64_t left_s = o->inv.expires_s - now_unix();

		cfg.preauth_max = CONN_MAX;
		cfg.chan_max = CHAN_MAX + FWD_MAX;
		cfg.prompt_ms = ASSIST_PROMPT_MS;
		cfg.expires_ms = offer_now(o) +
				 (uint64_t)(left_s > 0 ? left_s : 0) * 1000u;
		assist_session_init(&o->eng, &cfg, offer_now(o));
	}
	if ((rc = ctl_listen(o->ctl_path, 0600, &o->ctl_fd)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", o->ctl_path, strerror(-rc));
		return 1;
	}
	ctl_on_listen(o);
	for (unsigned i = 0; i < o->lfd_count; i++)
		ssh_event_add_fd(o->event, o->lfd[i], POLLIN,
				 on_listen_readable, o);

	/* The User's shell in tmux, on a socket in the private directory. */
	if ((rc = term_write_conf(o)) < 0) {
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
	if (o->files_dir[0] != '\0')
		printf("The Helper may %s files in %s (SFTP) once you accept "
		       "them.\n",
		       o->files_rw ? "get and put" : "get", o->files_dir);
	if (desktop_on())
		printf("The Helper may see this desktop (%s) once you accept, "
		       "and use it once you give control.\n",
		       desktop_display());
	printf("Session log: %s\nControl: %s ctl -s %s "
	       "accept|refuse|grant|deny|revoke|say TEXT|end\n",
	       o->log_path, self_exe(), o->ctl_path);
	fflush(stdout);
	offer_log(o,
		  "invitation %02x%02x%02x%02x%02x%02x%02x%02x offered, "
		  "expires %s, host key %s, %u candidates",
		  o->inv.id[0], o->inv.id[1], o->inv.id[2], o->inv.id[3],
		  o->inv.id[4], o->inv.id[5], o->inv.id[6], o->inv.id[7], when,
		  fp, o->inv.cand_count);
	for (unsigned i = 0; i < o->inv.cand_count; i++) {
		char c[ASSIST_CAND_TEXT];

		assist_cand_format(&o->inv.cand[i], c);
		offer_log(o, "listening on %s", c);
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
	/* Set up: from here on the engine cannot start a program, open a
	 * file or gain a privilege; the spawner starts the children. */
	if (offer_sandbox_enter(o) < 0) {
		fprintf(stderr, "assist: cannot enter the sandbox\n");
		spawn_fini(o);
		return 1;
	}
	while (!o->done && !got_signal) {
		/* The engine's timers are in seconds; 100 ms keeps the
		 * control clients' deadline and the backpressure moving. */
		ssh_event_dopoll(o->event, 100);
		tick(o);
	}
	if (got_signal) {
		o->end_reason = "stopped";
		assist_session_end(&o->eng, "stopped");
		offer_run_actions(o);
	}
	/* The ended session's last words, and the Helper's ssh its own
	 * end (bounded: session_drain).  Control clients wait no more: the
	 * loop now serves only that connection. */
	ctl_close_all(o);
	ssh_event_remove_fd(o->event, o->ctl_fd);
	spawn_unwatch(o);
	while (session_closing(o))
		ssh_event_dopoll(o->event, 100);
	for (unsigned i = 0; i < ARRAY_SIZE(o->conns); i++)
		session_close_conn(o, i, "the offer closed");
	desktop_stop(o);
	offer_log(o, "offer closed: %s",
		  o->end_reason ? o->end_reason : "stopped");
	cand_close_listeners(o, "offer closed");
	portmap_cand_stop(o);
	fd_close(o->ctl_fd);
	/* The spawner stops what is left, removes ctl.sock, and exits. */
	spawn_fini(o);
	ssh_event_free(o->event);
	ssh_bind_free(o->bind);
	ssh_finalize();
	sodium_memzero(o->secret, sizeof(o->secret));
	fclose(o->log);
	return 0;
}
