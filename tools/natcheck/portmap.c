/*
 * natcheck --map-tcp PORT: the port-mapping module (portlease.c) exercised
 * on its own (issue 12 point 4; assist offer is to use portlease.c).  Asks the router for a TCP mapping of PORT by
 * UPnP IGD, else NAT-PMP, else PCP; refuses an external address that is
 * not global, is 0.0.0.0 or is our own; records the lease before
 * announcing it, renews it at half its lifetime, and deletes it at the
 * end, on SIGTERM/SIGINT, or at the next start after a crash (the record).
 *
 * Output lines, for people and tests:
 *   natcheck: removed stale upnp mapping of TCP port 22
 *   natcheck: mapped TCP 11.0.0.1:22 -> 10.1.0.2:22 by upnp, lease 3600 s
 *   natcheck: renewed (upnp), lease 3600 s
 *   natcheck: deleted the mapping (upnp); the router lists none
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "natcheck_tool.h"
#include "sys/portlease.h"
#include "sys/ev.h"
#include "sys/path.h"

struct session {
	const struct portmap_cli *cli;
	struct portlease lease;
	struct ev_loop *loop;
	struct ev_timer renew, hold;
	int status;
};

#define say(...)                     \
	do {                         \
		printf(__VA_ARGS__); \
		fflush(stdout);      \
	} while (0)

static void
log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "natcheck: %s\n", line);
}

/* A crashed run's mapping, from its lease record: 0 done, 1 failed. */
static int
remove_stale(const char *path)
{
	struct portmap_record rec;
	bool removed = false;
	int rc = portlease_remove_stale(path, &rec, &removed);

	if (rc == -EBADMSG) {
		fprintf(stderr,
			"natcheck: %s: not a lease record; left alone\n", path);
		return 1;
	}
	if (rc != 0 && !removed) {
		fprintf(stderr,
			"natcheck: could not remove the stale %s mapping of "
			"TCP port %u (error %d); the record stays in %s\n",
			portmap_proto_name(rec.proto), rec.external_port, rc,
			path);
		return 1;
	}
	if (removed)
		say("natcheck: removed stale %s mapping of TCP port %u\n",
		    portmap_proto_name(rec.proto), rec.external_port);
	if (rc != 0)
		fprintf(stderr, "natcheck: cannot remove %s\n", path);
	return 0;
}

static uint64_t
renew_ms(const struct session *s)
{
	return s->cli->renew_s ? (uint64_t)s->cli->renew_s * 1000
			       : portmap_renew_ms(s->lease.lease_s);
}

static void
on_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	ev_stop(loop);
}

static void
on_hold(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	ev_stop(loop);
}

static void
on_renew(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct session *s = arg;
	uint64_t next;

	(void)t;
	if (portlease_renew(&s->lease) != 0) {
		fprintf(stderr, "natcheck: renewal failed; stopping\n");
		s->status = 1;
		ev_stop(loop);
		return;
	}
	say("natcheck: renewed (%s), lease %u s\n",
	    portmap_proto_name(s->lease.rec.proto), s->lease.lease_s);
	next = renew_ms(s);
	if (next != 0 &&
	    ev_timer_arm(loop, &s->renew, ev_now_update(loop) + next) < 0)
		ev_stop(loop);
}

int
portmap_cli_run(const struct portmap_cli *c, uint32_t gw)
{
	struct session s;
	char ext[IPV4_TEXT_LEN], in[IPV4_TEXT_LEN];
	uint64_t next;
	bool listed = true;
	int rc;

	memset(&s, 0, sizeof(s));
	s.cli = c;
	if (c->stale != NULL)
		return remove_stale(c->stale);
	/* A record left by a crashed run: remove its mapping first. */
	if (c->record != NULL && remove_stale(c->record) != 0)
		return 1;
	if (gw == 0 || c->int_port == 0 ||
	    (c->lease_s != 0 && c->lease_s < PORTMAP_LEASE_MIN_S)) {
		fprintf(stderr, "natcheck: --map-tcp needs a port, a gateway "
				"and a lease of at least 120 s\n");
		return 2;
	}
	rc = portlease_open(&s.lease, gw, c->int_port, c->lease_s,
			    (enum portmap_proto)c->proto, log_line, NULL);
	if (rc != 0) {
		fprintf(stderr, "natcheck: no router gave a usable mapping "
				"(UPnP IGD, NAT-PMP, PCP)\n");
		return 1;
	}
	if (c->record != NULL &&
	    (rc = portlease_save(&s.lease, c->record)) < 0) {
		fprintf(stderr,
			"natcheck: cannot write %s: %s; removing the "
			"mapping\n",
			c->record, strerror(-rc));
		if (portlease_close(&s.lease) != 0)
			fprintf(stderr, "natcheck: ... and that failed too\n");
		return 1;
	}
	ipv4_format(s.lease.external_ipv4, ext);
	ipv4_format(s.lease.rec.internal_ipv4, in);
	say("natcheck: mapped TCP %s:%u -> %s:%u by %s, lease %u s\n", ext,
	    s.lease.rec.external_port, in, c->int_port,
	    portmap_proto_name(s.lease.rec.proto), s.lease.lease_s);

	if ((rc = ev_open(&s.loop)) < 0)
		goto out;
	ev_timer_init(&s.renew, on_renew, &s);
	ev_timer_init(&s.hold, on_hold, &s);
	if (ev_signal(s.loop, SIGTERM, on_signal, &s) < 0 ||
	    ev_signal(s.loop, SIGINT, on_signal, &s) < 0)
		goto out;
	next = renew_ms(&s);
	if (next != 0 &&
	    ev_timer_arm(s.loop, &s.renew, ev_now_update(s.loop) + next) < 0)
		goto out;
	if (c->hold_s != 0 &&
	    ev_timer_arm(s.loop, &s.hold,
			 ev_now_update(s.loop) + (uint64_t)c->hold_s * 1000) <
		    0)
		goto out;
	if (ev_run(s.loop) < 0)
		s.status = 1;
out:
	rc = portlease_close(&s.lease);
	if (rc != 0) {
		fprintf(stderr,
			"natcheck: could not delete the mapping (error %d)%s\n",
			rc, c->record ? "; the next start retries" : "");
		s.status = 1;
	} else {
		if (portlease_listed(&s.lease, &listed) == 0 && !listed)
			say("natcheck: deleted the mapping (upnp); the router "
			    "lists none\n");
		else
			say("natcheck: deleted the mapping (%s)\n",
			    portmap_proto_name(s.lease.rec.proto));
		if (c->record != NULL && path_unlink(c->record) < 0)
			fprintf(stderr, "natcheck: cannot remove %s\n",
				c->record);
	}
	ev_close(s.loop);
	return s.status;
}
