/* A TCP port mapping as a lease: see portlease.h. */
#include "sys/portlease.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/strbuf.h"

#include "sys/netinfo.h"
#include "sys/path.h"
#include "sys/proc.h"
#include "sys/rand.h"

#define STEP_MS 3000 /* each router exchange */

__attribute__((format(printf, 2, 3))) static void
lease_log(const struct portlease *l, const char *fmt, ...)
{
	char line[240];
	va_list ap;

	if (l->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	l->log(l->log_arg, line);
}

/* Deletes what rec describes.  0 when the router agreed or has none. */
static int
lease_unmap(const struct portmap_record *rec, const struct portmap_upnp *known)
{
	struct portmap_upnp u;
	uint16_t port = 0;
	uint32_t life = 0;
	int res = 0, rc;

	switch (rec->proto) {
	case PORTMAP_UPNP:
		if (known != NULL) {
			u = *known;
		} else {
			memset(&u, 0, sizeof(u));
			snprintf(u.control_url, sizeof(u.control_url), "%s",
				 rec->control);
			snprintf(u.service_type, sizeof(u.service_type), "%s",
				 rec->service);
		}
		rc = portmap_upnp_delete(&u, "TCP", rec->external_port);
		/* 714 NoSuchEntryInArray: already gone. */
		return rc == 714 ? 0 : rc;
	case PORTMAP_NATPMP:
		/* RFC 6886 §3.4: lifetime 0 deletes; external port 0. */
		return portmap_natpmp_map(rec->gateway, true,
					  rec->internal_port, 0, 0, STEP_MS,
					  &port, &life, &res);
	case PORTMAP_PCP: {
		uint8_t req[PCP_MSG_MAX], resp[PCP_MSG_MAX];
		size_t len = 0, rlen = 0;
		struct pcp_msg m;

		if (portmap_pcp_request(rec->internal_ipv4, rec->internal_port,
					rec->external_port, 0, rec->nonce, req,
					sizeof(req), &len) < 0)
			return -EINVAL;
		rc = portmap_udp_exchange(rec->gateway, PCP_PORT, req, len,
					  resp, sizeof(resp), &rlen, STEP_MS,
					  NULL, NULL);
		if (rc < 0)
			return rc;
		return portmap_pcp_answer(resp, rlen, rec->nonce,
					  rec->internal_port, &m);
	}
	default:
		return -EINVAL;
	}
}

/* One attempt per protocol, in order (or the lease's own, to renew). */
static int
lease_map(struct portlease *s, bool renew)
{
	uint32_t gw = s->rec.gateway, local = s->rec.internal_ipv4;
	char note[160];
	int rc, res = 0;

	if ((!renew && (s->only == 0 || s->only == PORTMAP_UPNP)) ||
	    (renew && s->rec.proto == PORTMAP_UPNP)) {
		if (!renew && portmap_upnp_discover(1000, &s->upnp) == 0) {
			portmap_external_note(
				s->upnp.external_ipv4, s->upnp.external_garbage,
				s->upnp.connected, note, sizeof(note));
			if (note[0] != '\0' ||
			    !portmap_external_ok(s->upnp.external_ipv4,
						 local)) {
				lease_log(s, "UPnP IGD: %s",
					  note[0] ? note
						  : "its external address is "
						    "ours");
			} else {
				s->rec.proto = PORTMAP_UPNP;
				snprintf(s->rec.control, sizeof(s->rec.control),
					 "%s", s->upnp.control_url);
				snprintf(s->rec.service, sizeof(s->rec.service),
					 "%s", s->upnp.service_type);
				s->external_ipv4 = s->upnp.external_ipv4;
			}
		}
		if (s->rec.proto == PORTMAP_UPNP) {
			s->lease_s = s->want_lease_s;
			rc = portmap_upnp_add(
				&s->upnp, "TCP", s->rec.internal_port,
				s->rec.internal_port, s->lease_s, "shipworm");
			if (rc == PORTMAP_UPNP_ONLY_PERMANENT ||
			    rc == PORTMAP_UPNP_INVALID_ARGS) {
				/* Permanent: ours to delete (Tailscale #5502). */
				s->lease_s = 0;
				rc = portmap_upnp_add(
					&s->upnp, "TCP", s->rec.internal_port,
					s->rec.internal_port, 0, "shipworm");
			}
			if (rc == 0) {
				s->rec.external_port = s->rec.internal_port;
				return 0;
			}
			lease_log(s,
				  "UPnP AddPortMapping refused: "
				  "error %d",
				  rc);
			if (renew)
				return -EPROTO;
			s->rec.proto = PORTMAP_NONE;
		}
	}
	if ((!renew && (s->only == 0 || s->only == PORTMAP_NATPMP)) ||
	    (renew && s->rec.proto == PORTMAP_NATPMP)) {
		uint32_t ext = 0, life = 0;
		uint16_t port = 0;

		rc = renew ? 0
			   : portmap_natpmp_external(gw, STEP_MS, &ext, &res);
		if (rc == 0 && !renew) {
			portmap_external_note(ext, false, true, note,
					      sizeof(note));
			if (!portmap_external_ok(ext, local)) {
				lease_log(s, "NAT-PMP: %s",
					  note[0] ? note
						  : "its external address is "
						    "ours");
				rc = -EPROTO;
			}
			s->external_ipv4 = ext;
		}
		if (rc == 0)
			rc = portmap_natpmp_map(gw, true, s->rec.internal_port,
						s->rec.internal_port,
						s->want_lease_s, STEP_MS, &port,
						&life, &res);
		if (rc == 0 && port != 0) {
			s->rec.proto = PORTMAP_NATPMP;
			s->rec.external_port = port;
			s->lease_s = life;
			return 0;
		}
		if (renew)
			return rc < 0 ? rc : -EPROTO;
	}
	if ((!renew && (s->only == 0 || s->only == PORTMAP_PCP)) ||
	    (renew && s->rec.proto == PORTMAP_PCP)) {
		uint8_t req[PCP_MSG_MAX], resp[PCP_MSG_MAX];
		size_t len = 0, rlen = 0;
		struct pcp_msg m;

		if (!renew &&
		    rand_bytes(s->rec.nonce, sizeof(s->rec.nonce)) < 0)
			return -EIO;
		if (portmap_pcp_request(local, s->rec.internal_port,
					renew ? s->rec.external_port
					      : s->rec.internal_port,
					s->want_lease_s, s->rec.nonce, req,
					sizeof(req), &len) < 0)
			return -EINVAL;
		rc = portmap_udp_exchange(gw, PCP_PORT, req, len, resp,
					  sizeof(resp), &rlen, STEP_MS, NULL,
					  NULL);
		if (rc == 0)
			rc = portmap_pcp_answer(resp, rlen, s->rec.nonce,
						s->rec.internal_port, &m);
		if (rc == 0) {
			uint32_t ext = pcp_is_ipv4_mapped(m.external_ip)
					       ? pcp_mapped_ipv4(m.external_ip)
					       : 0;

			s->rec.proto = PORTMAP_PCP;
			s->rec.external_port = m.external_port;
			s->lease_s = m.lifetime;
			if (!portmap_external_ok(ext, local)) {
				portmap_external_note(ext, false, true, note,
						      sizeof(note));
				lease_log(s, "PCP: %s",
					  note[0] ? note
						  : "its external address is "
						    "ours");
				if (lease_unmap(&s->rec, NULL) != 0)
					lease_log(s,
						  "PCP: could not delete it");
				s->rec.proto = PORTMAP_NONE;
				return -EPROTO;
			}
			s->external_ipv4 = ext;
			return 0;
		}
		if (rc == -EPROTO)
			lease_log(s, "PCP refused: %s",
				  pcp_result_name(m.result));
	}
	return -ENOENT;
}

int
portlease_open(struct portlease *l, uint32_t gw, uint16_t int_port,
	       uint32_t lease_s, enum portmap_proto only, portlease_log_fn *log,
	       void *log_arg)
{
	uint32_t local = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	l->log = log;
	l->log_arg = log_arg;
	l->only = only;
	l->want_lease_s = lease_s;
	if (gw == 0 || int_port == 0)
		return -EINVAL;
	if ((rc = netinfo_route_src(gw, &local)) < 0)
		return rc;
	l->rec.gateway = gw;
	l->rec.internal_ipv4 = local;
	l->rec.internal_port = int_port;
	return lease_map(l, false);
}

int
portlease_renew(struct portlease *l)
{
	return lease_map(l, true);
}

int
portlease_close(const struct portlease *l)
{
	return lease_unmap(&l->rec, &l->upnp);
}

int
portlease_listed(const struct portlease *l, bool *listed)
{
	if (l->rec.proto != PORTMAP_UPNP)
		return -ENOTSUP;
	return portmap_upnp_exists(&l->upnp, "TCP", l->rec.external_port,
				   listed);
}

int
portlease_save(const struct portlease *l, const char *path)
{
	char text[2048];
	int rc;

	if ((rc = portmap_record_format(&l->rec, text, sizeof(text))) < 0)
		return rc;
	return path_write(path, text, strlen(text), 0600);
}

int
portlease_remove_stale(const char *path, struct portmap_record *rec,
		       bool *removed)
{
	static char text[2048];
	size_t len = 0;
	int rc;

	*removed = false;
	memset(rec, 0, sizeof(*rec));
	rc = path_read(path, text, sizeof(text), &len);
	if (rc == -ENOENT || (rc == 0 && len == 0))
		return 0;
	if (rc < 0)
		return rc;
	if (portmap_record_parse(text, len, rec) < 0)
		return -EBADMSG;
	if ((rc = lease_unmap(rec, NULL)) != 0)
		return rc;
	*removed = true;
	return path_unlink(path);
}

/* The keeper (portlease_keep_start()). */

#define KEEP_RETRY_MS 30000 /* after a failed renewal */

static volatile sig_atomic_t keep_stop;

struct keep {
	const struct portlease_keep_opts *o;
	struct portlease_keep_result *res;
	int log_fd;
};

static void
keep_on_stop(int signo)
{
	(void)signo;
	keep_stop = 1;
}

static uint64_t
keep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 2, 3))) static void
keep_log(struct keep *k, const char *fmt, ...)
{
	char line[400], when[32];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;
	int n;

	if (k->log_fd < 0)
		return;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	n = snprintf(line, sizeof(line), "%s port mapping: ", when);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line, O_APPEND: whole lines among the caller's. */
	if (write(k->log_fd, line, (size_t)n) < 0)
		return;
}

/* A refusal from portlease: logged, and kept for the caller's message. */
static void
keep_refusal(void *arg, const char *line)
{
	struct keep *k = arg;
	size_t n = strnlen(k->res->why, sizeof(k->res->why));

	keep_log(k, "%s", line);
	snprintf(k->res->why + n, sizeof(k->res->why) - n, "%s%s",
		 n ? "; " : "", line);
}

static void
keep_record_path(const struct portlease_keep_opts *o, pid_t pid, char *out,
		 size_t cap)
{
	snprintf(out, cap, "%s/portmap-%ld.lease", o->record_dir, (long)pid);
}

/* Whether keeper pid still runs: not when gone, nor when a zombie (its
 * parent, init or a subreaper, need not reap it at once; some don't). */
static bool
keep_pid_alive(long pid)
{
	char path[64], buf[1024], *p;
	size_t len = 0;
	int rc;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	/* "pid (comm) S ...": the state is all we need (-EFBIG is fine). */
	rc = path_read(path, buf, sizeof(buf) - 1, &len);
	if (rc < 0 && rc != -EFBIG)
		return true; /* cannot tell: never delete a live lease */
	buf[len] = '\0';
	p = strrchr(buf, ')');
	return p == NULL || p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X');
}

/* Records of keepers that are gone: delete their mappings. */
static void
keep_remove_stale(struct keep *k)
{
	DIR *d;
	struct dirent *e;
	unsigned seen = 0;

	if (k->o->record_dir == NULL || (d = opendir(k->o->record_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && seen++ < 1000) {
		char path[PATH_MAX], end[8];
		struct portmap_record rec;
		bool removed = false;
		long pid = 0;
		int rc;

		if (sscanf(e->d_name, "portmap-%ld%7s", &pid, end) != 2 ||
		    strcmp(end, ".lease") != 0 || pid <= 0 || pid == getpid())
			continue;
		/* A keeper still alive (or a PID reused since: then it waits
		 * for a later start; never delete a live lease). */
		if (keep_pid_alive(pid))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
				     k->o->record_dir,
				     e->d_name) >= sizeof(path))
			continue;
		rc = portlease_remove_stale(path, &rec, &removed);
		if (removed) {
			k->res->stale_removed++;
			keep_log(k,
				 "removed the stale %s mapping of TCP port %u "
				 "(recorded by %ld, gone)",
				 portmap_proto_name(rec.proto),
				 rec.external_port, pid);
		} else if (rc == -EBADMSG) {
			keep_log(k, "%s is no lease record; left alone", path);
		} else if (rc != 0) {
			keep_log(k,
				 "the stale %s mapping of TCP port %u stays "
				 "(error %d); the next start retries",
				 portmap_proto_name(rec.proto),
				 rec.external_port, rc);
		}
	}
	closedir(d);
}

static uint64_t
keep_renew_ms(const struct portlease_keep_opts *o, const struct portlease *l)
{
	if (o->renew_s != 0)
		return (uint64_t)o->renew_s * 1000u;
	return portmap_renew_ms(l->lease_s);
}

/* The keeper: never returns. */
static void
keeper(const void *arg, int hold, int report)
{
	const struct portlease_keep_opts *o = arg;
	struct portlease_keep_result res;
	struct keep k = {.o = o, .res = &res, .log_fd = -1};
	struct sigaction sa = {.sa_handler = keep_on_stop};
	struct portlease l;
	char record[PATH_MAX], ext[IPV4_TEXT_LEN], in[IPV4_TEXT_LEN];
	uint32_t gw = o->gateway;
	uint64_t next_ms = 0;
	bool recorded = false;
	int rc;

	memset(&res, 0, sizeof(res));
	/* Nothing of the caller's but the two pipes: not its listeners, not
	 * its sessions (they must end with it). */
	for (int fd = 3; fd < 4096; fd++)
		if (fd != hold && fd != report)
			(void)close(fd);
	(void)setsid();
	/* Not the User's terminal (tmux owns it once attached): its log is
	 * log_path; nothing a library prints reaches the screen. */
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		for (int fd = 0; null >= 0 && fd < 3; fd++)
			(void)dup2(null, fd);
		if (null > 2)
			(void)close(null);
	}
	{
		sigset_t none;

		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
	}
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	if (o->log_path != NULL)
		k.log_fd = open(o->log_path,
				O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	keep_remove_stale(&k);
	rc = gw != 0 ? 0 : netinfo_default_gateway(&gw);
	if (rc < 0) {
		snprintf(res.why, sizeof(res.why),
			 "no default IPv4 gateway to ask");
	} else {
		rc = portlease_open(&l, gw, o->int_port, o->lease_s,
				    PORTMAP_NONE, keep_refusal, &k);
		if (rc != 0 && res.why[0] == '\0')
			snprintf(res.why, sizeof(res.why),
				 "no router answered (UPnP IGD, NAT-PMP, PCP)");
	}
	if (rc == 0 && o->record_dir != NULL) {
		keep_record_path(o, getpid(), record, sizeof(record));
		if ((rc = portlease_save(&l, record)) < 0) {
			snprintf(res.why, sizeof(res.why),
				 "cannot write the lease record %.160s: %s",
				 record, strerror(-rc));
			if (portlease_close(&l) != 0)
				keep_log(&k, "and could not delete it");
		}
		recorded = rc == 0;
	}
	res.rc = rc;
	if (rc == 0) {
		res.proto = (uint8_t)l.rec.proto;
		res.internal_ipv4 = l.rec.internal_ipv4;
		res.external_ipv4 = l.external_ipv4;
		res.external_port = l.rec.external_port;
		res.lease_s = l.lease_s;
		ipv4_format(l.external_ipv4, ext);
		ipv4_format(l.rec.internal_ipv4, in);
		keep_log(&k, "mapped TCP %s:%u -> %s:%u by %s, lease %u s%s",
			 ext, l.rec.external_port, in, o->int_port,
			 portmap_proto_name(l.rec.proto), l.lease_s,
			 l.lease_s ? "" : " (permanent: deleted at the end)");
		next_ms = keep_renew_ms(o, &l);
	} else {
		keep_log(&k, "no mapping: %s", res.why);
	}
	if (write(report, &res, sizeof(res)) != (ssize_t)sizeof(res))
		keep_stop = 1;
	if (rc != 0)
		_exit(0);
	/* Until every holder is gone, or SIGTERM; renewing meanwhile. */
	{
		uint64_t due = keep_now_ms() + next_ms;

		while (!keep_stop) {
			struct pollfd p = {.fd = hold, .events = POLLIN};
			uint64_t now = keep_now_ms();
			int wait = -1;

			if (next_ms != 0)
				wait = due > now ? (int)(due - now) : 0;
			rc = poll(&p, 1, wait);
			if (rc > 0)
				break; /* EOF: the caller is gone */
			if (rc < 0)
				continue; /* EINTR: keep_stop tells */
			if (portlease_renew(&l) == 0) {
				keep_log(&k, "renewed (%s), lease %u s",
					 portmap_proto_name(l.rec.proto),
					 l.lease_s);
				next_ms = keep_renew_ms(o, &l);
			} else {
				keep_log(&k,
					 "renewal failed (%s); again in "
					 "30 s",
					 portmap_proto_name(l.rec.proto));
				next_ms = KEEP_RETRY_MS;
			}
			due = keep_now_ms() + next_ms;
		}
	}
	rc = portlease_close(&l);
	if (rc == 0) {
		keep_log(&k, "deleted the %s mapping of TCP port %u",
			 portmap_proto_name(l.rec.proto), l.rec.external_port);
		if (recorded)
			(void)unlink(record);
	} else {
		keep_log(&k,
			 "could not delete the %s mapping of TCP port %u "
			 "(error %d)%s",
			 portmap_proto_name(l.rec.proto), l.rec.external_port,
			 rc, recorded ? "; the next start retries" : "");
	}
	_exit(0); /* closes report: the caller's *done sees EOF */
}

int
portlease_keep_start(const struct portlease_keep_opts *o, int wait_ms,
		     struct portlease_keep_result *res, int *hold, int *done)
{
	int rc = proc_keeper_start(keeper, o, wait_ms, res, sizeof(*res), hold,
				   done);

	if (rc < 0) {
		res->rc = -ETIMEDOUT;
		if (rc != -ETIMEDOUT)
			return rc;
		/* A silent keeper: closing hold ended it (and a late
		 * mapping with it). */
		snprintf(res->why, sizeof(res->why),
			 "no answer from the router within %d ms", wait_ms);
		return 0;
	}
	res->why[sizeof(res->why) - 1] = '\0';
	if (res->rc != 0) {
		close(*hold);
		close(*done);
		*hold = *done = -1;
	}
	return 0;
}

int
portlease_keep_release(int *hold, int *done, int wait_ms)
{
	int rc = 0;

	if (*hold >= 0)
		close(*hold);
	*hold = -1;
	if (*done >= 0) {
		struct pollfd p = {.fd = *done, .events = POLLIN};
		char c;

		/* The keeper writes nothing more: readable means EOF. */
		for (int i = 0; i < 100; i++) {
			int r = poll(&p, 1, wait_ms);

			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				rc = -ETIMEDOUT;
			else if (r > 0 && read(*done, &c, 1) > 0)
				continue;
			break;
		}
		close(*done);
	}
	*done = -1;
	return rc;
}
