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
#include <sys/types.h>

#include "base/err.h"

#define CONF_FILE_MAX 65536

struct daemon_cli {
	const char *prog;
	const char *conf_path;
	const char *pidfile;
	/* -u USER, or PRIVDROP_DEFAULT_USER ("shipworm") without -u: the
	 * daemons never keep running as root. */
	const char *user;
	bool user_is_default;
	const char *chroot_dir; /* -t: needs an explicit -u */
	bool foreground;
	bool check; /* -n: parse, print canonically, exit */
	bool debug;
	/* Filled by daemon_start(). */
	int ready_fd, pidfile_fd;
	/* Filled by daemon_resolve_user(). */
	uid_t uid;
	gid_t gid;
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

/*
 * Looks up the user to run as (before anything is set up, so that a
 * missing account stops the daemon at once), saying on stderr what to do
 * when it does not exist.  -errno.
 */
MUST_CHECK int daemon_resolve_user(struct daemon_cli *cli);

/*
 * The control socket's group: ControlGroup when set (group, may be ""),
 * else the daemon's user's primary group.  Makes the socket uid:group
 * 0660 and checks every peer (sys/ctl.h).  Call it before dropping
 * privileges.  -errno, logged.
 */
struct ctl_server;
MUST_CHECK int daemon_restrict_ctl(const struct daemon_cli *cli,
				   struct ctl_server *ctl, const char *group);

/* Detaches unless -f, and opens the pidfile (-p).  -errno. */
MUST_CHECK int daemon_start(struct daemon_cli *cli);

/*
 * Drops privileges: to the user (-u, or shipworm), into the chroot (-t),
 * keeping CAP_NET_ADMIN only when asked (teredod's privileged parent).
 * Switches logging to syslog first when detached (the connection is opened
 * before a chroot hides /dev/log).  -errno, logged.
 */
MUST_CHECK int daemon_drop(struct daemon_cli *cli, bool keep_net_admin);

/* Reports readiness to the shell that started a detached daemon. */
MUST_CHECK int daemon_report_ready(struct daemon_cli *cli);

/* daemon_drop(), then daemon_report_ready(). */
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
