/* The UPnP mapping keeper (upnpkeep.h). */
#include "sys/upnpkeep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"
#include "sys/privdrop.h"
#include "sys/proc.h"

#define RECORD_MAX 2048

static volatile sig_atomic_t keeper_stop;

static void
on_stop(int signo)
{
	(void)signo;
	keeper_stop = 1;
}

static void
remove_stale(const struct upnpkeep_opts *o, struct upnpkeep_result *res)
{
	char text[RECORD_MAX];
	struct portmap_upnp u = {0};
	uint16_t port = 0;
	ssize_t n;
	int fd, rc;

	if (o->record == NULL || o->parse == NULL ||
	    (fd = open(o->record, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0 || o->parse(text, (size_t)n, &u, &port, o->arg) < 0) {
		log_warn(-EBADMSG, "UPnP: %s is no mapping record; left alone",
			 o->record);
		return;
	}
	rc = portmap_upnp_delete(&u, o->proto, port);
	/* 714 NoSuchEntryInArray: already gone. */
	if (rc == 0 || rc == 714) {
		log_info("UPnP: removed the stale %s mapping of port %u "
			 "(recorded at %s)",
			 o->proto, port, o->record);
		res->stale_removed = 1;
		(void)unlink(o->record);
	} else
		log_warn(rc < 0 ? rc : -EPROTO,
			 "UPnP: the stale mapping of port %u stays (error %d)",
			 port, rc);
}

static void
save_record(const struct upnpkeep_opts *o, const struct portmap_upnp *u)
{
	char text[RECORD_MAX];
	size_t len;
	int fd;

	if (o->record == NULL || o->format == NULL ||
	    o->format(u, o->ext_port, text, sizeof(text), o->arg) < 0)
		return;
	len = strnlen(text, sizeof(text));
	fd = open(o->record,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		log_warn(-errno, "UPnP: cannot record the mapping in %s",
			 o->record);
	if (fd >= 0)
		close(fd);
}

/* The keeper: never returns. */
static void
keeper(const void *arg, int hold, int report)
{
	const struct upnpkeep_opts *o = arg;
	struct upnpkeep_result res = {0};
	struct portmap_upnp u;
	struct sigaction sa = {.sa_handler = on_stop};
	int rc;

	/* Nothing of the caller's but the two pipes (not its TUN device,
	 * not its sockets: they must end with it). */
	for (int fd = 3; fd < 4096; fd++)
		if (fd != hold && fd != report)
			(void)close(fd);
	(void)setsid();
	{
		sigset_t all;

		sigemptyset(&all);
		(void)sigprocmask(SIG_SETMASK, &all, NULL);
	}
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	if (o->user != NULL && (rc = privdrop(o->user, NULL, false)) < 0) {
		log_err(rc, "UPnP keeper: cannot drop privileges");
		res.rc = rc;
		if (write(report, &res, sizeof(res)) < 0)
			_exit(1);
		_exit(1);
	}
	remove_stale(o, &res);
	rc = portmap_upnp_discover(o->discover_ms, &u);
	if (rc == 0 && !u.connected)
		rc = -ENOTCONN;
	if (rc == 0)
		rc = portmap_upnp_add(&u, o->proto, o->ext_port, o->int_port,
				      o->lease_s, o->desc);
	res.rc = rc;
	if (rc == 0) {
		res.lan_ipv4 = u.lan_ipv4;
		res.external_ipv4 = u.external_ipv4;
		save_record(o, &u);
	}
	if (write(report, &res, sizeof(res)) != (ssize_t)sizeof(res) && rc == 0)
		keeper_stop = 1;
	close(report);
	if (rc != 0)
		_exit(0);
	/* Until every holder is gone, or SIGTERM. */
	while (!keeper_stop) {
		struct pollfd p = {.fd = hold, .events = POLLIN};

		if (poll(&p, 1, -1) > 0)
			break;
	}
	rc = portmap_upnp_delete(&u, o->proto, o->ext_port);
	if (rc == 0 || rc == 714) {
		log_info("UPnP: deleted the %s mapping of port %u", o->proto,
			 o->ext_port);
		if (o->record != NULL)
			(void)unlink(o->record);
	} else
		log_warn(rc < 0 ? rc : -EPROTO,
			 "UPnP: DeletePortMapping of port %u failed (%d); the "
			 "record stays for the next start",
			 o->ext_port, rc);
	_exit(0);
}

int
upnpkeep_start(const struct upnpkeep_opts *o, int wait_ms,
	       struct upnpkeep_result *res, int *hold)
{
	int report, rc;

	rc = proc_keeper_start(keeper, o, wait_ms, res, sizeof(*res), hold,
			       &report);
	if (rc < 0) {
		/* A silent keeper: closing hold ended it (and its mapping). */
		res->rc = -ETIMEDOUT;
		return rc;
	}
	close(report);
	if (res->rc != 0) {
		close(*hold);
		*hold = -1;
	}
	return 0;
}

void
upnpkeep_release(int *hold)
{
	if (*hold >= 0)
		close(*hold);
	*hold = -1;
}
