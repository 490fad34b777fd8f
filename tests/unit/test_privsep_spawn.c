/*
 * lib/privsep/spawn: assist offer's engine -> spawner requests and the
 * spawner's policy (issue 11 B3).  Vectors written from the diagram in
 * spawn.h, write -> read round trips, every malformation, and the hostile
 * requests a captured engine could send (another tmux server, a tmux
 * subcommand that loads a file, sftp-server writable or outside /files,
 * tmux commands that would run a shell command (a format's "#(cmd)", a
 * key bound to anything but F12's revoke, another option set),
 * x11vnc on another display or with an option that runs commands or
 * listens, wayvnc elsewhere than its socket, stray descriptors, answers posing as
 * requests, signals other than TERM and KILL).
 */
#include "tap.h"

#include <signal.h>
#include <string.h>

#include "privsep/spawn.h"

#define SOCK "/tmp/x/tmux.sock"

/* RUN seq 1: tmux -S SOCK has-session -t assist, all on /dev/null. */
static const char v_run[] =
	"01 01 0043 00000001 01 010101 0000 0000 05 00 0000"
	"0002 2d53 0010 2f746d702f782f746d75782e736f636b"
	"000b 6861732d73657373696f6e 0002 2d74 0006 617373697374";
/* RUN seq 2: tmux ... list-clients -F #{client_tty}, stdout captured
 * (2048 bytes). */
static const char v_capture[] =
	"01 01 004b 00000002 01 010301 0000 0000 05 00 0800"
	"0002 2d53 0010 2f746d702f782f746d75782e736f636b"
	"000c 6c6973742d636c69656e7473 0002 2d46"
	"000d 237b636c69656e745f7474797d";
/* START seq 3: the Helper's tmux client on a 24 x 80 pty, TERM xterm. */
static const char v_pty[] =
	"01 02 004f 00000003 02 000000 0018 0050 06 05 0000 787465726d"
	"0002 2d53 0010 2f746d702f782f746d75782e736f636b"
	"000e 6174746163682d73657373696f6e 0002 2d72 0002 2d74"
	"0006 617373697374";
/* START seq 4: sftp-server -d /files -R, stdin and stdout passed. */
static const char v_sftp[] =
	"01 02 0024 00000004 03 020201 0000 0000 03 00 0000"
	"0002 2d64 0006 2f66696c6573 0002 2d52";
/* KILL seq 5: pid 0x1234, SIGTERM; WAIT seq 6 no-hang. */
static const char v_kill[] = "01 03 0010 00000005 00001234 0f 000000";
static const char v_wait[] = "01 04 0010 00000006 00001234 01 000000";
/* ANSWER seq 3: pid 0x1234, no status, data "/dev/pts/3". */
static const char v_answer[] =
	"01 80 0022 00000003 00000000 ffffffff 00001234 000a 0000"
	"2f6465762f7074732f33";

#define REVOKE "'/a' ctl -s '/o/ctl.sock' revoke >/dev/null 2>&1"
#define ANSWER                                                        \
	"run-shell -b \"'/a' ctl -s '/o/ctl.sock' answer consent %% " \
	">/dev/null 2>&1\""

static const struct privsep_spawn_policy policy = {
	.tmux_sock = SOCK,
	.files = true,
	.files_rw = false,
	.display = ":7",
	.vnc_sock = "/o/vnc.sock",
	.vnc_log = "/o/x11vnc.log",
	.dialogs = true,
	.ctl_revoke = REVOKE,
	.ctl_answer_consent = ANSWER,
};

static int
read_hex(const char *hex, struct privsep_spawn_msg *m, uint8_t *buf, size_t cap)
{
	size_t n = unhex(hex, buf, cap);

	return privsep_spawn_read(buf, n, m);
}

static bool
arg_eq(const struct privsep_spawn_msg *m, unsigned i, const char *s)
{
	return i < m->argc && m->arg_len[i] == strlen(s) &&
	       memcmp(m->arg[i], s, m->arg_len[i]) == 0;
}

static void
test_vectors(void)
{
	static uint8_t buf[PRIVSEP_SPAWN_MSG_MAX];
	struct privsep_spawn_msg m;

	is_int(read_hex(v_run, &m, buf, sizeof(buf)), 0, "RUN vector parses");
	ok(m.type == PRIVSEP_SPAWN_RUN && m.seq == 1 &&
		   m.kind == PRIVSEP_SPAWN_TMUX && m.argc == 5 &&
		   arg_eq(&m, 1, SOCK) && arg_eq(&m, 2, "has-session") &&
		   m.std[0] == PRIVSEP_SPAWN_DEVNULL && m.capture_cap == 0,
	   "RUN fields");
	is_int(read_hex(v_capture, &m, buf, sizeof(buf)), 0,
	       "RUN with capture parses");
	ok(m.std[1] == PRIVSEP_SPAWN_CAPTURE && m.capture_cap == 2048 &&
		   arg_eq(&m, 4, "#{client_tty}"),
	   "capture fields");
	is_int(read_hex(v_pty, &m, buf, sizeof(buf)), 0, "pty START parses");
	ok(m.type == PRIVSEP_SPAWN_START && m.kind == PRIVSEP_SPAWN_TMUX_PTY &&
		   m.rows == 24 && m.cols == 80 && m.term_len == 5 &&
		   memcmp(m.term, "xterm", 5) == 0 && m.argc == 6,
	   "pty fields");
	is_int(read_hex(v_sftp, &m, buf, sizeof(buf)), 0, "sftp START parses");
	ok(m.kind == PRIVSEP_SPAWN_SFTP && privsep_spawn_fd_count(&m) == 2 &&
		   arg_eq(&m, 2, "-R"),
	   "sftp: two descriptors travel with it");
	is_int(read_hex(v_kill, &m, buf, sizeof(buf)), 0, "KILL parses");
	ok(m.type == PRIVSEP_SPAWN_KILL && m.pid == 0x1234 &&
		   m.signo == SIGTERM,
	   "KILL fields");
	is_int(read_hex(v_wait, &m, buf, sizeof(buf)), 0, "WAIT parses");
	ok(m.type == PRIVSEP_SPAWN_WAIT && m.nohang, "WAIT no-hang");
	is_int(read_hex(v_answer, &m, buf, sizeof(buf)), 0, "ANSWER parses");
	ok(m.type == PRIVSEP_SPAWN_ANSWER && m.seq == 3 && m.error == 0 &&
		   m.status == -1 && m.pid == 0x1234 && m.data_len == 10 &&
		   memcmp(m.data, "/dev/pts/3", 10) == 0,
	   "ANSWER fields");
}

static void
test_malformed(void)
{
	static const struct {
		const char *hex, *what;
		int want;
	} bad[] = {
		{"01 01 0043", "shorter than a header", -EMSGSIZE},
		{"02 03 0010 00000005 00001234 0f 000000", "version 2",
		 -EPROTONOSUPPORT},
		{"01 05 0008 00000001", "unknown type 5", -EBADMSG},
		{"01 03 0011 00000005 00001234 0f 000000",
		 "length field says 17, datagram 16", -EBADMSG},
		{"01 03 0010 00000005 00001234 0f 000100", "KILL padding set",
		 -EBADMSG},
		{"01 04 0010 00000006 00001234 02 000000", "WAIT no-hang 2",
		 -EBADMSG},
		{"01 01 0014 00000001 07 010101 0000 0000 00 00 0000", "kind 7",
		 -EBADMSG},
		{"01 01 0014 00000001 00 010101 0000 0000 00 00 0000", "kind 0",
		 -EBADMSG},
		{"01 01 0014 00000001 01 040101 0000 0000 00 00 0000", "mode 4",
		 -EBADMSG},
		{"01 01 0014 00000001 01 030101 0000 0000 00 00 0000",
		 "stdin captured", -EBADMSG},
		{"01 02 0014 00000001 01 010301 0000 0000 00 00 0010",
		 "a START captured", -EBADMSG},
		{"01 01 0014 00000001 01 010301 0000 0000 00 00 0000",
		 "capture of 0 bytes", -EBADMSG},
		{"01 01 0014 00000001 01 010101 0000 0000 00 00 0010",
		 "a cap without capture", -EBADMSG},
		{"01 01 0014 00000001 01 010301 0000 0000 00 00 2001",
		 "capture beyond 8192", -EBADMSG},
		{"01 01 0014 00000001 01 010101 0000 0000 21 00 0000",
		 "33 arguments", -EBADMSG},
		{"01 01 0018 00000001 01 010101 0000 0000 01 00 0000 0003 2d53",
		 "argument longer than the message", -EBADMSG},
		{"01 01 0018 00000001 01 010101 0000 0000 01 00 0000 0002 2d00",
		 "NUL inside an argument", -EBADMSG},
		{"01 02 0016 00000001 02 000000 0018 0050 00 02 0000 783b",
		 "TERM with ';'", -EBADMSG},
		{"01 01 0015 00000001 01 010101 0000 0000 00 00 0000 00",
		 "a trailing byte", -EBADMSG},
		{"01 80 0018 00000002 00000001 ffffffff 00000000 0000 0000",
		 "ANSWER error +1", -EBADMSG},
		{"01 80 0018 00000002 fffff000 ffffffff 00000000 0000 0000",
		 "ANSWER error -4096", -EBADMSG},
		{"01 80 0018 00000002 00000000 00000180 00000000 0000 0000",
		 "ANSWER status 384", -EBADMSG},
		{"01 80 0018 00000002 00000000 00000000 00000000 0004 0000",
		 "ANSWER data beyond the message", -EBADMSG},
	};
	static uint8_t buf[PRIVSEP_SPAWN_MSG_MAX + 2];
	struct privsep_spawn_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(read_hex(bad[i].hex, &m, buf, sizeof(buf)), bad[i].want,
		       "refused: %s", bad[i].what);
	{
		size_t n = unhex(v_pty, buf, sizeof(buf));
		bool all = true;

		for (size_t k = 0; k < n; k++)
			all = all && privsep_spawn_read(buf, k, &m) < 0;
		ok(all, "every truncation of the pty START is refused");
	}
	/* 65535 bytes claimed and sent: over the maximum. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 1, buf[1] = PRIVSEP_SPAWN_ANSWER, buf[2] = 0xff, buf[3] = 0xff;
	is_int(privsep_spawn_read(buf, 0xffff < sizeof(buf) ? 0xffff : 8, &m),
	       -EBADMSG, "a message beyond PRIVSEP_SPAWN_MSG_MAX is refused");
}

static void
test_round_trip(void)
{
	const char *vec[] = {v_run,  v_capture, v_pty,	 v_sftp,
			     v_kill, v_wait,	v_answer};
	static uint8_t want[PRIVSEP_SPAWN_MSG_MAX], got[PRIVSEP_SPAWN_MSG_MAX];
	struct privsep_spawn_msg m, back;
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
		size_t n = unhex(vec[i], want, sizeof(want));

		if (privsep_spawn_read(want, n, &m) < 0 ||
		    privsep_spawn_write(&m, got, sizeof(got), &len) < 0) {
			ok(false, "vector %zu: read and write", i);
			continue;
		}
		is_mem(got, len, want, n,
		       "vector: read -> write gives it back");
		ok(privsep_spawn_read(got, len, &back) == 0 &&
			   back.type == m.type && back.seq == m.seq &&
			   back.argc == m.argc && back.pid == m.pid,
		   "and reads again the same");
	}
	m = (struct privsep_spawn_msg){.type = PRIVSEP_SPAWN_ANSWER,
				       .error = 3};
	is_int(privsep_spawn_write(&m, got, sizeof(got), &len), -EINVAL,
	       "write refuses a positive error");
	m = (struct privsep_spawn_msg){.type = PRIVSEP_SPAWN_RUN,
				       .kind = PRIVSEP_SPAWN_TMUX,
				       .argc = 1,
				       .arg = {(const uint8_t *)"a\0b"},
				       .arg_len = {3}};
	is_int(privsep_spawn_write(&m, got, sizeof(got), &len), -EINVAL,
	       "write refuses a NUL inside an argument");
	m.arg_len[0] = 1;
	is_int(privsep_spawn_write(&m, got, 12, &len), -ENOBUFS,
	       "write: -ENOBUFS when the buffer is short");
	{
		/* 32 arguments of 4096 bytes do not fit in one message. */
		static char big[PRIVSEP_SPAWN_ARG_MAX];

		memset(big, 'a', sizeof(big));
		m.argc = PRIVSEP_SPAWN_ARGS_MAX;
		for (size_t i = 0; i < PRIVSEP_SPAWN_ARGS_MAX; i++) {
			m.arg[i] = (const uint8_t *)big;
			m.arg_len[i] = sizeof(big);
		}
		ok(privsep_spawn_write(&m, got, sizeof(got), &len) < 0,
		   "write refuses a message over the maximum");
	}
}

/* A request of kind with the given arguments (NULL-terminated). */
static struct privsep_spawn_msg
req(enum privsep_spawn_type type, enum privsep_spawn_kind kind,
    const char *const *args)
{
	struct privsep_spawn_msg m = {.type = type, .kind = kind};

	for (size_t i = 0; args[i] != NULL; i++) {
		m.arg[m.argc] = (const uint8_t *)args[i];
		m.arg_len[m.argc++] = strlen(args[i]);
	}
	for (size_t i = 0; i < 3; i++)
		m.std[i] = PRIVSEP_SPAWN_DEVNULL;
	return m;
}

static void
test_policy(void)
{
	static const char *const has[] = {"-S", SOCK,	  "has-session",
					  "-t", "assist", NULL};
	static const char *const other_sock[] = {"-S", "/tmp/other.sock",
						 "has-session", NULL};
	static const char *const source[] = {"-S", SOCK, "source-file",
					     "/tmp/evil.conf", NULL};
	static const char *const kill_server[] = {"-S", SOCK, "kill-server",
						  NULL};
	static const char *const no_sock[] = {"has-session", NULL};
	static const char *const attach_rw[] = {
		"-S", SOCK, "attach-session", "-t", "assist", NULL};
	static const char *const attach_ro[] = {
		"-S", SOCK, "attach-session", "-r", "-t", "assist", NULL};
	static const char *const sftp_ro[] = {"-d", "/files", "-R", NULL};
	static const char *const sftp_rw[] = {"-d", "/files", NULL};
	static const char *const sftp_root[] = {"-d", "/", "-R", NULL};
	static const char *const vnc[] = {"-display",
					  ":7",
					  "-unixsock",
					  "/o/vnc.sock",
					  PRIVSEP_SPAWN_X11VNC_ARGS,
					  "-o",
					  "/o/x11vnc.log",
					  NULL};
	static const char *const vnc_other[] = {"-display",
						":0",
						"-unixsock",
						"/o/vnc.sock",
						PRIVSEP_SPAWN_X11VNC_ARGS,
						"-o",
						"/o/x11vnc.log",
						NULL};
	static const char *const vnc_accept[] = {"-display",
						 ":7",
						 "-unixsock",
						 "/o/vnc.sock",
						 PRIVSEP_SPAWN_X11VNC_ARGS,
						 "-accept",
						 "sh -c id",
						 NULL};
	static const char *const vnc_tcp[] = {"-display", ":7", "-rfbport",
					      "5900", NULL};
	static const char *const vnc_on[] = {"-display", ":7",	       "-sync",
					     "-R",	 "noviewonly", NULL};
	static const char *const vnc_remote[] = {
		"-display", ":7", "-sync", "-R", "rfbport:5900", NULL};
	static const char *const wayvnc[] = {"-C", "/o/wayvnc.conf", "-u",
					     "/o/vnc.sock", NULL};
	static const char *const wayvnc_tcp[] = {"-C", "/o/wayvnc.conf",
						 "0.0.0.0", "5900", NULL};
	static const char *const zenity[] = {"--question", "--text=x", NULL};
	static const char *const bind_f12[] = {"-S", SOCK,   "bind-key",
					       "-n", "F12",  "run-shell",
					       "-b", REVOKE, NULL};
	static const char *const bind_evil[] = {"-S", SOCK,  "bind-key",
						"-n", "F12", "run-shell",
						"-b", "id",  NULL};
	static const char *const prompt[] = {
		"-S",	      SOCK, "command-prompt", "-b",   "-k", "-t",
		"/dev/pts/3", "-p", "Allow a b##c?",  ANSWER, NULL};
	static const char *const prompt_evil[] = {
		"-S", SOCK, "command-prompt", "-b", "-k", "-t", "/dev/pts/3",
		"-p", "x",  "run-shell id",   NULL};
	static const char *const prompt_fmt[] = {
		"-S",	      SOCK, "command-prompt", "-b",   "-k", "-t",
		"/dev/pts/3", "-p", "#(id)",	      ANSWER, NULL};
	static const char *const msg[] = {
		"-S", SOCK,    "display-message", "-c", "/dev/pts/3",
		"-d", "15000", "chat: 50## off",  NULL};
	static const char *const msg_fmt[] = {
		"-S", SOCK,    "display-message", "-c", "/dev/pts/3",
		"-d", "15000", "#(touch /tmp/x)", NULL};
	static const char *const msg_tty[] = {
		"-S",	 SOCK,	       "display-message",
		"-c",	 "#{pane_id}", "-d",
		"15000", "x",	       NULL};
	static const char *const set_state[] = {
		"-S", SOCK, "set", "-g", "@assist_state", "viewing", NULL};
	static const char *const set_status[] = {
		"-S", SOCK, "set", "-g", "status-right", "#(id)", NULL};
	static const char *const list_fmt[] = {"-S", SOCK,    "list-clients",
					       "-F", "#(id)", NULL};
	static const char *const list_ok[] = {
		"-S", SOCK, "list-clients", "-F", "#{client_tty}", NULL};
	struct privsep_spawn_policy p = policy;
	struct privsep_spawn_msg m;

	/* What the offer does. */
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, has);
	is_int(privsep_spawn_check(&p, &m), 0,
	       "tmux has-session on the offer's socket");
	m.std[1] = PRIVSEP_SPAWN_CAPTURE;
	m.capture_cap = 100;
	is_int(privsep_spawn_check(&p, &m), 0, "and captured");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_TMUX_PTY, attach_ro);
	m.std[0] = m.std[1] = m.std[2] = PRIVSEP_SPAWN_INHERIT;
	m.term = (const uint8_t *)"xterm", m.term_len = 5;
	m.rows = 24, m.cols = 80;
	is_int(privsep_spawn_check(&p, &m), 0,
	       "the Helper's read-only client on a pty");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_SFTP, sftp_ro);
	m.std[0] = m.std[1] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), 0, "sftp-server -R on /files");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc);
	is_int(privsep_spawn_check(&p, &m), 0, "x11vnc on the display");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc_on);
	is_int(privsep_spawn_check(&p, &m), 0, "x11vnc -R noviewonly");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_DIALOG, zenity);
	m.std[1] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), 0, "a zenity dialog");
	m = (struct privsep_spawn_msg){
		.type = PRIVSEP_SPAWN_KILL, .pid = 99, .signo = SIGTERM};
	is_int(privsep_spawn_check(&p, &m), 0, "KILL with SIGTERM");
	m = (struct privsep_spawn_msg){.type = PRIVSEP_SPAWN_WAIT, .pid = 99};
	is_int(privsep_spawn_check(&p, &m), 0, "WAIT");

	{
		char cmd[256];

		ok(privsep_spawn_ctl_cmd(cmd, sizeof(cmd),
					 PRIVSEP_SPAWN_CTL_REVOKE, "/a",
					 "/o/ctl.sock") == 0 &&
			   strcmp(cmd, REVOKE) == 0,
		   "the F12 command the offer binds is the one allowed");
		ok(privsep_spawn_ctl_cmd(cmd, sizeof(cmd),
					 PRIVSEP_SPAWN_CTL_ANSWER_CONSENT, "/a",
					 "/o/ctl.sock") == 0 &&
			   strcmp(cmd, ANSWER) == 0,
		   "the consent answer command likewise");
		is_int(privsep_spawn_ctl_cmd(cmd, 10, PRIVSEP_SPAWN_CTL_REVOKE,
					     "/a", "/o/ctl.sock"),
		       -ENAMETOOLONG, "a command that does not fit: refused");
	}
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, bind_f12);
	is_int(privsep_spawn_check(&p, &m), 0, "tmux: F12 bound to the revoke");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, prompt);
	is_int(privsep_spawn_check(&p, &m), 0,
	       "tmux: the consent question, its text escaped");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, msg);
	is_int(privsep_spawn_check(&p, &m), 0, "tmux: a status-line message");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, set_state);
	is_int(privsep_spawn_check(&p, &m), 0, "tmux: @assist_state");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, list_ok);
	m.std[1] = PRIVSEP_SPAWN_CAPTURE;
	m.capture_cap = 100;
	is_int(privsep_spawn_check(&p, &m), 0, "tmux: list-clients");

	/* Hostile requests from a captured engine. */
	{
		static const struct {
			const char *const *args;
			const char *what;
		} evil[] = {
			{bind_evil, "F12 bound to another command"},
			{prompt_evil, "a question that runs another command"},
			{prompt_fmt, "a question whose text is a #() format"},
			{msg_fmt, "a message whose text is a #() format"},
			{msg_tty, "a message to a format, not a terminal"},
			{set_status, "another option (status-right #())"},
			{list_fmt, "list-clients with a #() format"},
		};

		for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
			m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX,
				evil[i].args);
			is_int(privsep_spawn_check(&p, &m), -EPERM,
			       "tmux: %s: refused", evil[i].what);
		}
	}
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, other_sock);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "tmux on another socket: refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, no_sock);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "tmux without -S (the User's own server): refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, source);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "tmux source-file: refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, kill_server);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "tmux kill-server: refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, has);
	m.std[0] = PRIVSEP_SPAWN_INHERIT;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "tmux with the spawner's stdin: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_TMUX_PTY, attach_rw);
	m.std[0] = m.std[1] = m.std[2] = PRIVSEP_SPAWN_INHERIT;
	m.term = (const uint8_t *)"xterm", m.term_len = 5;
	m.rows = 24, m.cols = 80;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "a writable Helper client (no -r): refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX_PTY, attach_ro);
	m.std[0] = m.std[1] = m.std[2] = PRIVSEP_SPAWN_INHERIT;
	m.term = (const uint8_t *)"xterm", m.term_len = 5;
	m.rows = 24, m.cols = 80;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "a pty child run to the end: refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_TMUX, has);
	m.rows = 24;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "a window size on a child without pty: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_SFTP, sftp_rw);
	m.std[0] = m.std[1] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "sftp-server writable without --allow-files-rw: refused");
	p.files_rw = true;
	is_int(privsep_spawn_check(&p, &m), 0,
	       "sftp-server writable with --allow-files-rw");
	p.files_rw = false;
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_SFTP, sftp_root);
	m.std[0] = m.std[1] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "sftp-server outside /files: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_SFTP, sftp_ro);
	m.std[0] = m.std[1] = PRIVSEP_SPAWN_FD;
	p.files = false;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "sftp-server without --allow-files: refused");
	p.files = true;
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc_other);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc on another display: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc);
	p.display = NULL;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc without --desktop: refused");
	p = policy;
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc_accept);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc -accept (runs a command): refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc_tcp);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc on a TCP port: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_X11VNC, vnc_remote);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc -R other than the view-only toggle: refused");
	m = req(PRIVSEP_SPAWN_RUN, PRIVSEP_SPAWN_X11VNC, vnc_on);
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "x11vnc run to the end: refused");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_WAYVNC, wayvnc);
	m.std[2] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "wayvnc without a Wayland desktop: refused");
	p.wayvnc_conf = "/o/wayvnc.conf";
	is_int(privsep_spawn_check(&p, &m), 0,
	       "wayvnc on its socket, its log on stderr");
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_WAYVNC, wayvnc_tcp);
	m.std[2] = PRIVSEP_SPAWN_FD;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "wayvnc on a TCP address: refused");
	p = policy;
	m = req(PRIVSEP_SPAWN_START, PRIVSEP_SPAWN_DIALOG, zenity);
	m.std[1] = PRIVSEP_SPAWN_FD;
	p.dialogs = false;
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "a dialog where zenity does not work: refused");
	p = policy;
	m = (struct privsep_spawn_msg){
		.type = PRIVSEP_SPAWN_KILL, .pid = 99, .signo = SIGSTOP};
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "KILL with SIGSTOP: refused");
	m = (struct privsep_spawn_msg){.type = PRIVSEP_SPAWN_ANSWER};
	is_int(privsep_spawn_check(&p, &m), -EPERM,
	       "an ANSWER as a request: refused");
}

int
main(void)
{
	test_vectors();
	test_malformed();
	test_round_trip();
	test_policy();
	return done_testing();
}
