/* Shared daemon command line and start-up (see cli.h). */
#include "cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "shipworm_version.h"

#include "sys/ctl.h"
#include "sys/daemon.h"
#include "sys/ev.h"
#include "sys/path.h"
#include "sys/log.h"
#include "sys/privdrop.h"
#include "sys/seccomp.h"

int
daemon_cli_parse(struct daemon_cli *cli, int argc, char **argv,
		 const char *default_conf, const char *usage_extra)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"pidfile", required_argument, NULL, 'p'},
		{"user", required_argument, NULL, 'u'},
		{"chroot", required_argument, NULL, 't'},
		{"check", no_argument, NULL, 'n'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(cli, 0, sizeof(*cli));
	cli->prog = argv[0] != NULL && strrchr(argv[0], '/') != NULL
			    ? strrchr(argv[0], '/') + 1
			    : argv[0];
	cli->conf_path = default_conf;
	cli->ready_fd = cli->pidfile_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:fp:u:t:ndhV", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case 'f':
			cli->foreground = true;
			break;
		case 'p':
			cli->pidfile = optarg;
			break;
		case 'u':
			cli->user = optarg;
			break;
		case 't':
			cli->chroot_dir = optarg;
			break;
		case 'n':
			cli->check = true;
			break;
		case 'd':
			cli->debug = true;
			break;
		case 'V':
			printf("%s (Shipworm) %s, seccomp %s\n", cli->prog,
			       SHIPWORM_VERSION,
			       seccomp_policy_enabled() ? "on" : "off");
			return 0;
		case 'h':
			printf("Usage: %s [-f] [-c FILE] [-p PIDFILE] [-u "
			       "USER] "
			       "[-t CHROOT] [-n] [-d]\n"
			       "  -c, --config FILE   configuration (default "
			       "%s)\n"
			       "  -f, --foreground    do not detach; log to "
			       "stderr\n"
			       "  -p, --pidfile FILE  write the pid there "
			       "(absolute path)\n"
			       "  -u, --user USER     run as USER once set up "
			       "(default: " PRIVDROP_DEFAULT_USER ")\n"
			       "  -t, --chroot DIR    confine to DIR once set "
			       "up (needs -u)\n"
			       "  -n, --check         check the configuration, "
			       "print it canonically, exit\n"
			       "  -d, --debug         verbose logging\n"
			       "  -h, --help          this help\n"
			       "  -V, --version       the version\n%s",
			       cli->prog, default_conf, usage_extra);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", cli->prog);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", cli->prog,
			argv[optind]);
		return 2;
	}
	/*
	 * Miredo's -t came with its -u; a chroot whose user is implied is
	 * a mistake waiting (the account must be able to live in DIR).
	 */
	if (cli->chroot_dir != NULL && cli->user == NULL) {
		fprintf(stderr,
			"%s: -t %s needs -u USER: name the unprivileged user "
			"that runs confined to it (e.g. -u %s)\n",
			cli->prog, cli->chroot_dir, PRIVDROP_DEFAULT_USER);
		return 2;
	}
	if (cli->user == NULL) {
		cli->user = PRIVDROP_DEFAULT_USER;
		cli->user_is_default = true;
	}
	if (cli->pidfile != NULL && cli->pidfile[0] != '/') {
		fprintf(stderr, "%s: the pidfile must be an absolute path\n",
			cli->prog);
		return 2;
	}
	return -1;
}

int
daemon_read_conf(const struct daemon_cli *cli, const char **text, size_t *len)
{
	static char buf[CONF_FILE_MAX];
	int rc = path_read(cli->conf_path, buf, sizeof(buf), len);

	if (rc < 0)
		fprintf(stderr, "%s: %s: %s\n", cli->prog, cli->conf_path,
			rc == -EFBIG ? "larger than 64 KiB" : strerror(-rc));
	*text = buf;
	return rc;
}

int
daemon_print_conf(int format_rc, const char *text)
{
	if (format_rc < 0)
		return 1;
	fputs(text, stdout);
	return 0;
}

int
daemon_socket_dir(const char *socket_path)
{
	char dir[CONF_PATH_MAX + 1];
	const char *slash = strrchr(socket_path, '/');
	size_t n;

	if (slash == NULL || slash == socket_path)
		return 0;
	n = (size_t)(slash - socket_path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, socket_path, n);
	dir[n] = '\0';
	return path_mkdir(dir, 0755);
}

int
daemon_resolve_user(struct daemon_cli *cli)
{
	int rc = privdrop_user_lookup(cli->user, &cli->uid, &cli->gid);

	if (rc == -ENOENT && cli->user_is_default)
		fprintf(stderr,
			"%s: the user \"%s\" does not exist: create it (the "
			"package does, with systemd-sysusers; by hand: "
			"useradd --system --user-group --no-create-home "
			"--home-dir /nonexistent --shell /usr/sbin/nologin %s) "
			"or run as another unprivileged user with -u USER\n",
			cli->prog, cli->user, cli->user);
	else if (rc == -ENOENT)
		fprintf(stderr, "%s: -u %s: no such user\n", cli->prog,
			cli->user);
	else if (rc == -EINVAL)
		fprintf(stderr,
			"%s: -u %s: the daemon does not run as root (uid or "
			"gid 0); name an unprivileged user\n",
			cli->prog, cli->user);
	else if (rc < 0)
		fprintf(stderr, "%s: -u %s: %s\n", cli->prog, cli->user,
			strerror(-rc));
	return rc;
}

int
daemon_restrict_ctl(const struct daemon_cli *cli, struct ctl_server *ctl,
		    const char *group)
{
	gid_t gid = cli->gid;
	int rc;

	if (group[0] != '\0' && (rc = privdrop_group_lookup(group, &gid)) < 0) {
		log_err(rc, "ControlGroup %s: no such group", group);
		return rc;
	}
	if ((rc = ctl_server_restrict(ctl, cli->uid, gid)) < 0)
		log_err(rc, "cannot give the control socket to its group");
	return rc;
}

int
daemon_start(struct daemon_cli *cli)
{
	log_init(cli->prog);
	log_set_debug(cli->debug);
	if (!cli->foreground)
		return daemonize(cli->pidfile, &cli->ready_fd,
				 &cli->pidfile_fd);
	if (cli->pidfile != NULL)
		return pidfile_open(cli->pidfile, &cli->pidfile_fd);
	return 0;
}

int
daemon_drop(struct daemon_cli *cli, bool keep_net_admin)
{
	int rc;

	if (!cli->foreground)
		log_use_syslog();
	/* Fail closed: a daemon that cannot drop what it was asked to drop
	 * does not run. */
	if ((rc = privdrop(cli->user, cli->chroot_dir, keep_net_admin)) < 0) {
		log_err(rc, "cannot drop privileges (to %s%s%s)", cli->user,
			cli->chroot_dir != NULL ? " in " : "",
			cli->chroot_dir != NULL ? cli->chroot_dir : "");
		return rc;
	}
	return 0;
}

int
daemon_report_ready(struct daemon_cli *cli)
{
	if (!cli->foreground)
		return daemonize_ready(cli->ready_fd);
	return 0;
}

int
daemon_ready(struct daemon_cli *cli, bool keep_net_admin)
{
	int rc;

	if ((rc = daemon_drop(cli, keep_net_admin)) < 0)
		return rc;
	return daemon_report_ready(cli);
}

void
daemon_exit(struct daemon_cli *cli)
{
	if (cli->pidfile != NULL)
		pidfile_close(cli->pidfile_fd, cli->pidfile);
}

void
daemon_on_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)arg;
	log_info("signal %d: exiting", signo);
	ev_stop(loop);
}

size_t
daemon_ctl_answer(int rc, const char *request, const char *known, char *out,
		  size_t cap)
{
	int n;

	if (rc == -ENOENT)
		n = snprintf(out, cap,
			     "error: unknown request \"%s\" (try: %s)\n",
			     request, known);
	else if (rc < 0)
		n = snprintf(out, cap, "error: %s\n", strerror(-rc));
	else
		return strlen(out);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
