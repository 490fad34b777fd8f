/*
 * assist help: the Helper's side (issue 5 item 2).  Validates the
 * invitation (expired, malformed, unsupported version, already used here),
 * asks for the one-time password, then runs the stock OpenSSH client:
 *
 *   ssh -F none -o ProxyCommand='assist connect INVITATION' \
 *       -o ProxyUseFdpass=yes                  <- the race hands ssh the
 *                                                 socket that won
 *       -o HostKeyAlias=shipworm-assist-ID \
 *       -o UserKnownHostsFile=DIR/known_hosts  <- the pinned key only
 *       -o StrictHostKeyChecking=yes ...          (a mismatch aborts)
 *
 * `assist connect` (the ProxyCommand) races every candidate as RFC 8305
 * paces it (lib/assist/race.h), says why each one failed, passes the
 * winning socket to ssh (MS-RA §3.1.5: first TCP connection wins) and
 * prints the equivalent plain `ssh` command.  ssh's own stderr is read
 * here so a failure names its layer: host key mismatch, wrong password or
 * lockout, the User declined, no candidate answered.
 *
 * The session is a ControlMaster, so `assist say TEXT` and `assist
 * control` (other terminals) reach the User over the same connection.
 */
#include "assist.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "assist/race.h"
#include "sys/fd.h"
#include "sys/tcp.h"
#include "sys/tty.h"

#define ASKPASS_ENV "SHIPWORM_ASSIST_ASKPASS"

static void
id_hex(const struct assist_invite *inv, char out[static 17])
{
	for (size_t i = 0; i < ASSIST_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", inv->id[i]);
}

/* A path that goes into ssh options and a ProxyCommand as is: nothing a
 * shell or ssh's token expansion would read. */
static bool
ssh_path_ok(const char *p)
{
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._-+,@:", *p)))
			return false;
	return true;
}

static void
default_dir(char *out, size_t cap)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	snprintf(out, cap, "%s/shipworm-assist-help-%u", base ? base : "/tmp",
		 (unsigned)getuid());
}

/* Where this Helper records the invitations it has used. */
static void
used_path(char *out, size_t cap)
{
	const char *home = getenv("HOME");

	snprintf(out, cap, "%s/.local/state/shipworm/assist-used",
		 home ? home : "/tmp");
}

static bool
is_used(const struct assist_invite *inv)
{
	char path[PATH_MAX], buf[ASSIST_FILE_MAX * 4], id[17];
	size_t len = 0;

	used_path(path, sizeof(path));
	id_hex(inv, id);
	if (path_read(path, buf, sizeof(buf) - 1, &len) < 0 && len == 0)
		return false;
	buf[len] = '\0';
	return strstr(buf, id) != NULL;
}

static void
mark_used(const struct assist_invite *inv)
{
	char path[PATH_MAX], dir[PATH_MAX], id[17];
	FILE *f;

	used_path(path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if (path_mkdir_private(dir) < 0)
		return;
	id_hex(inv, id);
	f = fopen(path, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s %lld\n", id, (long long)inv->expires_s);
	fclose(f);
}

static void
fingerprint(const struct assist_invite *inv, char *out, size_t cap)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	uint8_t blob[51] = {0,	 0,   0,   11,	's', 's', 'h', '-', 'e', 'd',
			    '2', '5', '5', '1', '9', 0,	  0,   0,   32};
	char b[64];

	memcpy(blob + 19, inv->hostkey, 32);
	crypto_hash_sha256(h, blob, sizeof(blob));
	sodium_bin2base64(b, sizeof(b), h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, cap, "SHA256:%s", b);
}

/*
 * Loads and checks an invitation; on failure prints the layer ("the
 * invitation") and why.  0 or an exit status.
 */
static int
load_checked(const char *arg, struct assist_invite *inv, bool check_used)
{
	struct assist_invite_err err = {0, NULL};
	char when[ASSIST_TIME_TEXT], id[17];
	int rc = invitation_load(arg, inv, &err);
	int64_t now = now_unix();

	if (rc == -EPROTONOSUPPORT) {
		fprintf(stderr,
			"assist: invitation: unsupported version %u (this "
			"assist reads version %d); ask the User for a new "
			"invitation or update assist\n",
			inv->version, ASSIST_INVITE_VERSION);
		return 4;
	}
	if (rc == -ENOENT) {
		fprintf(stderr,
			"assist: invitation: %s: no such file (and not a "
			"one-line invitation)\n",
			arg);
		return 4;
	}
	if (rc < 0 && err.why == NULL) {
		fprintf(stderr, "assist: invitation: %s: %s\n", arg,
			strerror(-rc));
		return 4;
	}
	if (rc < 0) {
		if (err.line > 0)
			fprintf(stderr,
				"assist: invitation: malformed (line %u: %s)\n",
				err.line, err.why);
		else
			fprintf(stderr, "assist: invitation: malformed (%s)\n",
				err.why);
		return 4;
	}
	if (assist_time_format(inv->expires_s, when) < 0)
		when[0] = '\0';
	if (assist_invite_check_time(inv, now) < 0) {
		fprintf(stderr,
			"assist: invitation: expired at %s (%lld min ago); "
			"ask the User for a new one\n",
			when, (long long)((now - inv->expires_s) / 60));
		return 4;
	}
	id_hex(inv, id);
	if (check_used && is_used(inv)) {
		fprintf(stderr,
			"assist: invitation: already used (id %s); an "
			"invitation is good for one session: ask the User "
			"for a new one\n",
			id);
		return 4;
	}
	return 0;
}

/* The lines of ssh's stderr that name a layer. */
struct verdict {
	bool key_mismatch, denied, proxy_failed, connected, closed_by_user;
	char disconnect[256];
};

static void
classify(struct verdict *v, const char *line)
{
	const char *p;

	if (strstr(line, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
	    strstr(line, "Host key verification failed"))
		v->key_mismatch = true;
	if (strstr(line, "Permission denied"))
		v->denied = true;
	if (strstr(line, "assist: no candidate answered"))
		v->proxy_failed = true;
	if (strstr(line, "assist: connected to"))
		v->connected = true;
	if (strstr(line, "closed by remote host"))
		v->closed_by_user = true;
	if ((p = strstr(line, "Received disconnect from")) != NULL &&
	    (p = strstr(p, ": assist: ")) != NULL) {
		char why[sizeof(v->disconnect)];

		/* The reason without ssh's line end. */
		snprintf(why, sizeof(why), "%.*s", (int)strcspn(p + 10, "\r\n"),
			 p + 10);
		sanitize(why, v->disconnect, sizeof(v->disconnect));
	}
}

/* What the offer tells a Helper whose session it ended (offer.c,
 * to_helper()): an end, not a refusal. */
static bool
session_end_reason(const char *why)
{
	static const char *const ends[] = {
		"the User ended the session",
		"you left the session",
		"the User's terminal session ended",
		"the User's side stopped",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ends); i++)
		if (strcmp(why, ends[i]) == 0)
			return true;
	return false;
}

int
help_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"password-file", required_argument, NULL, 'P'},
		{"desktop", no_argument, NULL, 'K'},
		{"viewer", required_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct assist_invite inv;
	char dir[PATH_MAX - 64], path[PATH_MAX], pw[128], id[17];
	char kh[PATH_MAX], inv_path[PATH_MAX], alias[64], fp[128];
	char key[ASSIST_HOSTKEY_TEXT], when[ASSIST_TIME_TEXT];
	char proxy[2 * PATH_MAX + 32], o_kh[PATH_MAX + 32], o_cp[PATH_MAX + 32],
		o_alias[96], o_user[64];
	char text[ASSIST_INVITE_MAX + 1], line[512];
	const char *pwfile = NULL, *viewer = NULL;
	bool desktop = false;
	pid_t dpid = 0;
	uint8_t secret[ASSIST_SECRET_LEN];
	struct verdict v;
	char env_askpass[PATH_MAX + 16], env_file[PATH_MAX + 32];
	const char *env[] = {env_askpass, "SSH_ASKPASS_REQUIRE=force", env_file,
			     NULL};
	struct proc_opts po = PROC_OPTS_INHERIT;
	int p[2], ch, rc, st, sig;
	size_t len, ll = 0;
	pid_t pid;
	FILE *err;

	default_dir(dir, sizeof(dir));
	while ((ch = getopt_long(argc, argv, "d:P:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 'P':
			pwfile = optarg;
			break;
		case 'K': /* long options only */
			desktop = true;
			break;
		case 'V':
			desktop = true;
			viewer = optarg;
			break;
		case 'h':
			printf("Usage: assist help [-d DIR] [-P PASSWORD_FILE] "
			       "[--desktop [--viewer CMD|none]] "
			       "INVITATION_FILE|ONE_LINE\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "Usage: assist help [-d DIR] [-P FILE] "
				"INVITATION_FILE|ONE_LINE\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if ((rc = load_checked(argv[optind], &inv, true)) != 0)
		return rc;
	id_hex(&inv, id);
	fingerprint(&inv, fp, sizeof(fp));
	if (assist_time_format(inv.expires_s, when) < 0)
		when[0] = '\0';
	fprintf(stderr, "assist: invitation %s, valid until %s, host key %s\n",
		id, when, fp);
	for (unsigned i = 0; i < inv.cand_count; i++) {
		char c[ASSIST_CAND_TEXT];

		assist_cand_format(&inv.cand[i], c);
		fprintf(stderr, "assist:   candidate %s\n", c);
	}

	/* The password: checked for form here, for value by the User. */
	if (pwfile != NULL) {
		if ((rc = path_read(pwfile, pw, sizeof(pw) - 1, &len)) < 0) {
			fprintf(stderr, "assist: %s: %s\n", pwfile,
				strerror(-rc));
			return 1;
		}
		pw[len] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
	} else if ((rc = tty_read_hidden("Password from the User (26 letters "
					 "and digits): ",
					 pw, sizeof(pw))) < 0) {
		fprintf(stderr, "assist: cannot read the password: %s\n",
			strerror(-rc));
		return 1;
	}
	if (assist_secret_parse(pw, secret) < 0) {
		fprintf(stderr, "assist: password: want 26 letters A-Z and "
				"digits 2-7, as the User read them out\n");
		return 4;
	}
	sodium_memzero(secret, sizeof(secret));

	if ((rc = path_mkdir_private(dir)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", dir, strerror(-rc));
		return 1;
	}
	snprintf(inv_path, sizeof(inv_path), "%s/invitation", dir);
	snprintf(kh, sizeof(kh), "%s/known_hosts", dir);
	snprintf(path, sizeof(path), "%s/password", dir);
	snprintf(alias, sizeof(alias), "shipworm-assist-%s", id);
	assist_hostkey_format(inv.hostkey, key);
	if ((rc = assist_invite_format(&inv, text, sizeof(text), &len)) < 0 ||
	    (rc = path_write(inv_path, text, len, 0600)) < 0 ||
	    (rc = path_write(path, pw, strlen(pw), 0600)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", dir, strerror(-rc));
		return 1;
	}
	sodium_memzero(pw, sizeof(pw));
	snprintf(line, sizeof(line), "%s %s\n", alias, key);
	if ((rc = path_write(kh, line, strlen(line), 0600)) < 0) {
		fprintf(stderr, "assist: %s: %s\n", kh, strerror(-rc));
		return 1;
	}

	/* Issue 10 point 7: these paths reach a shell (ProxyCommand) and
	 * ssh's own parsing ('%' tokens, spaces in UserKnownHostsFile). */
	if (!ssh_path_ok(self_exe()) || !ssh_path_ok(dir)) {
		fprintf(stderr,
			"assist: %s or %s: only letters, digits and / . _ - + "
			", @ : in the paths ssh runs (no quotes, spaces, %% or "
			"$)\n",
			self_exe(), dir);
		return 2;
	}
	snprintf(proxy, sizeof(proxy), "ProxyCommand='%s' connect '%s'",
		 self_exe(), inv_path);
	snprintf(o_kh, sizeof(o_kh), "UserKnownHostsFile=%s", kh);
	snprintf(o_cp, sizeof(o_cp), "ControlPath=%s/cm.sock", dir);
	snprintf(o_alias, sizeof(o_alias), "HostKeyAlias=%s", alias);
	snprintf(o_user, sizeof(o_user), "User=%s", inv.user);
	{
		char *sargv[64];
		size_t n = 0;
		const char *fixed[] = {
			"ssh",	"-F",
			"none", "-tt",
			"-o",	"StrictHostKeyChecking=yes",
			"-o",	"GlobalKnownHostsFile=/dev/null",
			"-o",	"HostKeyAlgorithms=ssh-ed25519",
			"-o",	"PreferredAuthentications=password",
			"-o",	"PubkeyAuthentication=no",
			"-o",	"NumberOfPasswordPrompts=1",
			"-o",	"ProxyUseFdpass=yes",
			"-o",	"ControlMaster=yes",
			"-o",	"ControlPersist=no",
			"-o",	"ClearAllForwardings=yes",
			"-o",	"ForwardAgent=no",
			"-o",	"ForwardX11=no",
			"-o",	"ServerAliveInterval=15",
			"-o",	"SendEnv=-*",
		};

		for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
			sargv[n++] = (char *)(uintptr_t)fixed[i];
		sargv[n++] = "-o";
		sargv[n++] = proxy;
		sargv[n++] = "-o";
		sargv[n++] = o_kh;
		sargv[n++] = "-o";
		sargv[n++] = o_cp;
		sargv[n++] = "-o";
		sargv[n++] = o_alias;
		sargv[n++] = "-o";
		sargv[n++] = o_user;
		sargv[n++] = alias;
		sargv[n] = NULL;

		/* ssh asks us for the password (askpass mode). */
		snprintf(env_askpass, sizeof(env_askpass), "SSH_ASKPASS=%s",
			 self_exe());
		snprintf(env_file, sizeof(env_file), "%s=%s", ASKPASS_ENV,
			 path);
		po.env = env;
		if (fd_pipe(p) < 0)
			return 1;
		po.std_fd[2] = p[1];
		if (proc_spawn(sargv, &po, &pid) < 0)
			return 1;
	}
	fd_close(p[1]);
	if (desktop)
		dpid = help_desktop_start(dir, viewer);
	signal(SIGINT, SIG_IGN); /* ssh handles ^C in the session */
	memset(&v, 0, sizeof(v));
	err = fdopen(p[0], "r");
	while (err != NULL && fgets(line, sizeof(line), err) != NULL) {
		fputs(line, stderr);
		ll++;
		classify(&v, line);
	}
	if (err != NULL)
		fclose(err);
	if (proc_wait(pid, &st, &sig) < 0)
		st = sig = 255;
	if (dpid > 0) { /* the viewer goes with the session */
		(void)!proc_kill(dpid, SIGTERM);
		(void)!proc_wait(dpid, NULL, NULL);
	}
	/* The password file has served its one login; nothing to do if it
	 * is already gone. */
	(void)!path_unlink(path);
	rc = sig == 0 ? st : 255;

	/* Name the layer that failed. */
	if (v.key_mismatch) {
		fprintf(stderr,
			"assist: HOST KEY MISMATCH: the computer that answered "
			"is not the one that wrote this invitation (pinned "
			"key %s). Do not continue; tell the User.\n",
			fp);
		return 3;
	}
	if (v.disconnect[0] != '\0' && session_end_reason(v.disconnect)) {
		/* The offer's reason came before ssh's own end of the
		 * channel: the session ended all the same. */
		fprintf(stderr, "assist: %s\n", v.disconnect);
		mark_used(&inv);
		return 0;
	}
	if (v.disconnect[0] != '\0') {
		fprintf(stderr, "assist: the User's side refused: %s\n",
			v.disconnect);
		if (strstr(v.disconnect, "declined") != NULL)
			mark_used(&inv);
		return 5;
	}
	if (v.denied) {
		fprintf(stderr,
			"assist: wrong password: refused by the User's side "
			"(after %d wrong passwords from one address, that "
			"address is refused)\n",
			ASSIST_PASSWORD_TRIES);
		return 5;
	}
	if (v.closed_by_user && rc == 255) {
		fprintf(stderr, "assist: the User's side closed the session\n");
		mark_used(&inv);
		return 0;
	}
	if (v.proxy_failed || !v.connected) {
		fprintf(stderr, "assist: could not reach the User (see the "
				"candidates above)\n");
		return 6;
	}
	if (rc == 255) {
		fprintf(stderr, "assist: ssh failed (see above)\n");
		return 7;
	}
	mark_used(&inv);
	fprintf(stderr, "assist: session ended\n");
	return 0;
}

static const char *
errname(int err)
{
	switch (-err) {
	case ECONNREFUSED:
		return "connection refused (nothing listens: the offer "
		       "ended, expired or was used)";
	case ETIMEDOUT:
		return "no answer (timed out: a NAT or firewall drops it)";
	case ENETUNREACH:
		return "network unreachable (no route from here)";
	case EHOSTUNREACH:
		return "host unreachable";
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
		return "no address of that family here";
	default:
		return strerror(-err);
	}
}

int
connect_main(int argc, char **argv)
{
	struct assist_invite inv;
	struct assist_race r;
	struct pollfd pf[ASSIST_CAND_MAX];
	int fds[ASSIST_CAND_MAX];
	uint64_t t0 = now_ms(), wake;
	unsigned idx;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "Usage: assist connect INVITATION "
				"(ssh's ProxyCommand, with ProxyUseFdpass)\n");
		return 2;
	}
	if ((rc = load_checked(argv[1], &inv, false)) != 0)
		return rc;
	for (unsigned i = 0; i < ASSIST_CAND_MAX; i++)
		fds[i] = -1;
	assist_race_init(&r, inv.cand, inv.cand_count, t0, ASSIST_RACE_DELAY_MS,
			 ASSIST_RACE_TIMEOUT_MS);
	for (;;) {
		uint64_t now = now_ms();
		enum assist_race_action a =
			assist_race_poll(&r, now, &idx, &wake);
		char c[ASSIST_CAND_TEXT];
		size_t n = 0;
		unsigned map[ASSIST_CAND_MAX];
		int timeout;

		if (a == ASSIST_RACE_START) {
			const struct assist_cand *cd = &inv.cand[idx];
			struct tcp_endpoint ep = {.is_v6 = cd->is_v6,
						  .a4 = cd->a4,
						  .port = cd->port};

			memcpy(ep.a6, cd->a6.bytes, 16);
			assist_cand_format(cd, c);
			fprintf(stderr, "assist: trying %s (+%llu ms)\n", c,
				(unsigned long long)(now - t0));
			rc = tcp_connect_start(&ep, &fds[idx]);
			if (rc < 0)
				assist_race_result(&r, idx, rc, now);
			continue;
		}
		if (a == ASSIST_RACE_WON || a == ASSIST_RACE_FAILED)
			break;
		for (unsigned i = 0; i < inv.cand_count; i++) {
			if (r.state[i] != ASSIST_ATTEMPT_RUNNING)
				continue;
			pf[n].fd = fds[i];
			pf[n].events = POLLOUT;
			map[n++] = i;
		}
		timeout = wake > now ? (int)(wake - now) : 0;
		if ((rc = fd_poll(pf, n, timeout)) < 0 && rc != -EINTR)
			break;
		now = now_ms();
		for (size_t k = 0; k < n; k++)
			if (pf[k].revents != 0)
				assist_race_result(&r, map[k],
						   tcp_connect_result(pf[k].fd),
						   now);
	}
	for (unsigned i = 0; i < inv.cand_count; i++) {
		char c[ASSIST_CAND_TEXT];

		if (r.winner == (int)i || fds[i] < 0)
			continue;
		fd_close(fds[i]);
		assist_cand_format(&inv.cand[i], c);
		if (r.state[i] == ASSIST_ATTEMPT_FAILED)
			fprintf(stderr, "assist:   %s: %s\n", c,
				errname(r.error[i]));
		else if (r.state[i] == ASSIST_ATTEMPT_IDLE)
			fprintf(stderr, "assist:   %s: not tried\n", c);
	}
	if (r.winner < 0) {
		fprintf(stderr,
			"assist: no candidate answered (tried %u in %llu ms): "
			"the User's side is not reachable from here (see each "
			"reason above; teredoctl show state tells whether "
			"Teredo is qualified)\n",
			r.started, (unsigned long long)(now_ms() - t0));
		return 1;
	}
	{
		const struct assist_cand *w = &inv.cand[r.winner];
		char c[ASSIST_CAND_TEXT], a[IP6_ADDR_TEXT_LEN], id[17];
		char kh[PATH_MAX], dirbuf[PATH_MAX - 16];

		assist_cand_format(w, c);
		if (w->is_v6)
			ip6_addr_format(&w->a6, a);
		else
			snprintf(a, sizeof(a), "%u.%u.%u.%u", w->a4 >> 24,
				 (w->a4 >> 16) & 255, (w->a4 >> 8) & 255,
				 w->a4 & 255);
		id_hex(&inv, id);
		snprintf(dirbuf, sizeof(dirbuf), "%s", argv[1]);
		if (strrchr(dirbuf, '/') != NULL)
			*strrchr(dirbuf, '/') = '\0';
		else
			snprintf(dirbuf, sizeof(dirbuf), ".");
		snprintf(kh, sizeof(kh), "%s/known_hosts", dirbuf);
		fprintf(stderr,
			"assist: connected to %s after %llu ms (first of %u "
			"attempts to answer)\n"
			"assist: the same with plain OpenSSH:\n"
			"  ssh -o HostKeyAlias=shipworm-assist-%s "
			"-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes "
			"-p %u %s@%s\n",
			c, (unsigned long long)(now_ms() - t0), r.started, id,
			kh, w->port, inv.user, a);
		if ((rc = tcp_set_blocking(fds[r.winner])) < 0 ||
		    (rc = tcp_fd_send(STDOUT_FILENO, fds[r.winner])) < 0) {
			fprintf(stderr,
				"assist: passing the socket to ssh: "
				"%s\n",
				strerror(-rc));
			return 1;
		}
	}
	return 0;
}

/* Runs one command of ours over the session's ControlMaster. */
static int
over_master(int argc, char **argv, const char *command, const char *usage)
{
	char dir[PATH_MAX - 64], cp[PATH_MAX];
	int ch;

	default_dir(dir, sizeof(dir));
	optind = 1;
	while ((ch = getopt(argc, argv, "d:h")) != -1) {
		if (ch == 'd') {
			snprintf(dir, sizeof(dir), "%s", optarg);
		} else {
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	snprintf(cp, sizeof(cp), "ControlPath=%s/cm.sock", dir);
	{
		char *sargv[] = {"ssh", "-F", "none", "-o", cp, "-o",
				 "ControlMaster=no", "-o",
				 /* no lookup, and never a new connection */
				 "ProxyCommand=false", "-T", "shipworm-assist",
				 (char *)(uintptr_t)command, NULL};
		int rc = proc_run(sargv, false);

		if (rc == 255)
			fprintf(stderr,
				"assist: no session (is assist help "
				"running with -d %s?)\n",
				dir);
		return rc;
	}
}

int
say_main(int argc, char **argv)
{
	char cmd[512], text[256];
	size_t o = 0;
	int i;

	/* The text is the words after the options. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0) {
			i++;
			continue;
		}
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s",
				      o ? " " : "", argv[i]);
		if (o >= sizeof(text))
			break;
	}
	if (o == 0) {
		fprintf(stderr, "Usage: assist say [-d DIR] TEXT\n");
		return 2;
	}
	sanitize(text, text, sizeof(text));
	snprintf(cmd, sizeof(cmd), "assist-chat %s", text);
	/* over_master() reads only -d. */
	{
		char *av[4] = {argv[0], NULL, NULL, NULL};
		int ac = 1;

		for (i = 1; i + 1 < argc; i++)
			if (strcmp(argv[i], "-d") == 0) {
				av[ac++] = argv[i];
				av[ac++] = argv[i + 1];
				break;
			}
		return over_master(ac, av, cmd,
				   "Usage: assist say [-d DIR] TEXT\n");
	}
}

int
control_main(int argc, char **argv)
{
	bool release = argc > 1 && strcmp(argv[argc - 1], "release") == 0;

	return over_master(release ? argc - 1 : argc, argv,
			   release ? "assist-release-control"
				   : "assist-request-control",
			   "Usage: assist control [-d DIR] [release]\n");
}
