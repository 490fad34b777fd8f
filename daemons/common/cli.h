/*
 * What teredod and teredo-serverd share: Miredo's command line
 * (-c FILE, -f, -p PIDFILE, -u USER, -t CHROOT) plus -n to check the
 * configuration and print it back canonically, reading the configuration
 * file, and the start-up sequence (detach, pidfile, privilege drop).
 */
#ifndef SHIPWORM_DAEMONS_CLI_H
#define SHIPWORM_DAEMONS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define CONF_FILE_MAX 65536

struct daemon_cli {
	const char *prog;
	const char *conf_path;
	const char *pidfile;
	const char *user;
	const char *chroot_dir;
	bool foreground;
	bool check; /* -n: parse, print canonically, exit */
	bool debug;
	/* Filled by daemon_start(). */
	int ready_fd, pidfile_fd;
};

/*
 * Parses argv.  Returns -1 to go on, or an exit status (0 after --help or
 * --version, 2 after a usage error, which it has printed).
 */
int daemon_cli_parse(struct daemon_cli *cli, int argc, char **argv,
		     const char *default_conf, const char *usage_extra);

/*
 * Reads cli->conf_path into a static buffer (*text, *len), saying on stderr
 * why it could not.  -errno.
 */
MUST_CHECK int daemon_read_conf(const struct daemon_cli *cli, const char **text,
				size_t *len);

/* -n: prints the canonical configuration text; the exit status. */
int daemon_print_conf(int format_rc, const char *text);

/*
 * Creates the directory that will hold the control socket (the default,
 * /run/shipworm, does not exist on a fresh system), mode 0755.  -errno.
 */
MUST_CHECK int daemon_socket_dir(const char *socket_path);

/* Detaches unless -f, and opens the pidfile (-p).  -errno. */
MUST_CHECK int daemon_start(struct daemon_cli *cli);

/* Drops privileges (-u, -t) and reports readiness to the shell. */
MUST_CHECK int daemon_ready(struct daemon_cli *cli, bool keep_net_admin);

void daemon_exit(struct daemon_cli *cli);

struct ev_loop;

/* The SIGTERM/SIGINT handler of both daemons: log and leave the loop. */
void daemon_on_signal(struct ev_loop *loop, int signo, void *arg);

/*
 * The control socket's answer once a report was formatted into out (rc from
 * teredo_report_*), or the list of requests when none matched (rc
 * -ENOENT): the number of bytes to send.
 */
size_t daemon_ctl_answer(int rc, const char *request, const char *known,
			 char *out, size_t cap);

#endif
