/*
 * natcheck --map-tcp PORT: the port-mapping module exercised on its own
 * (issue 12 point 4; assist offer will call the same lib/portmap policy
 * and sys/portmap I/O).  Asks the router for a TCP mapping of PORT by
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
#include "portmap/portmap.h"
#include "sys/ev.h"
#include "sys/netinfo.h"
#include "sys/path.h"
#include "sys/portmap.h"
#include "sys/rand.h"

#define STEP_MS 3000 /* each router exchange */

struct session {
	const struct portmap_cli *cli;
	struct portmap_record rec;
	struct portmap_upnp upnp;
	uint32_t external_ipv4;
	uint32_t lease_s;
	struct ev_loop *loop;
	struct ev_timer renew, hold;
	int status;
};

#define say(...)                     \
	do {                         \
		printf(__VA_ARGS__); \
		fflush(stdout);      \
	} while (0)

/* Deletes what rec describes.  0 when the router agreed or has none. */
static int
unmap(const struct portmap_record *rec, const struct portmap_upnp *known)
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

static int
remove_stale(const char *path)
{
	static char text[2048];
	struct portmap_record rec;
	size_t len = 0;
	int rc;

	rc = path_read(path, text, sizeof(text), &len);
	if (rc == -ENOENT || (rc == 0 && len == 0))
		return 0;
	if (rc < 0 || portmap_record_parse(text, len, &rec) < 0) {
		fprintf(stderr,
			"natcheck: %s: not a lease record; left alone\n", path);
		return 1;
	}
	rc = unmap(&rec, NULL);
	if (rc != 0) {
		fprintf(stderr,
			"natcheck: could not remove the stale %s mapping of "
			"TCP port %u (error %d); the record stays in %s\n",
			portmap_proto_name(rec.proto), rec.external_port, rc,
			path);
		return 1;
	}
	say("natcheck: removed stale %s mapping of TCP port %u\n",
	    portmap_proto_name(rec.proto), rec.external_port);
	if (path_unlink(path) < 0)
		fprintf(stderr, "natcheck: cannot remove %s\n", path);
	return 0;
}

static int
write_record(const struct session *s)
{
	char text[2048];
	int rc;

	if (s->cli->record == NULL)
		return 0;
	if ((rc = portmap_record_format(&s->rec, text, sizeof(text))) < 0)
		return rc;
	return path_write(s->cli->record, text, strlen(text), 0600);
}

/* One attempt per protocol, in order; fills s->rec and the lease. */
static int
map(struct session *s, uint32_t gw, uint32_t local, bool renew)
{
	const struct portmap_cli *c = s->cli;
	char note[160];
	int rc, res = 0;

	if ((!renew && (c->proto == 0 || c->proto == PORTMAP_UPNP)) ||
	    (renew && s->rec.proto == PORTMAP_UPNP)) {
		if (!renew && portmap_upnp_discover(1000, &s->upnp) == 0) {
			portmap_external_note(
				s->upnp.external_ipv4, s->upnp.external_garbage,
				s->upnp.connected, note, sizeof(note));
			if (note[0] != '\0' ||
			    !portmap_external_ok(s->upnp.external_ipv4,
						 local)) {
				fprintf(stderr, "natcheck: UPnP IGD: %s\n",
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
			s->lease_s = c->lease_s;
			rc = portmap_upnp_add(&s->upnp, "TCP", c->int_port,
					      c->int_port, s->lease_s,
					      "shipworm");
			if (rc == PORTMAP_UPNP_ONLY_PERMANENT ||
			    rc == PORTMAP_UPNP_INVALID_ARGS) {
				/* Permanent: ours to delete (Tailscale #5502). */
				s->lease_s = 0;
				rc = portmap_upnp_add(&s->upnp, "TCP",
						      c->int_port, c->int_port,
						      0, "shipworm");
			}
			if (rc == 0) {
				s->rec.external_port = c->int_port;
				return 0;
			}
			fprintf(stderr,
				"natcheck: UPnP AddPortMapping refused: "
				"error %d\n",
				rc);
			if (renew)
				return -EPROTO;
			s->rec.proto = PORTMAP_NONE;
		}
	}
	if ((!renew && (c->proto == 0 || c->proto == PORTMAP_NATPMP)) ||
	    (renew && s->rec.proto == PORTMAP_NATPMP)) {
		uint32_t ext = 0, life = 0;
		uint16_t port = 0;

		rc = renew ? 0
			   : portmap_natpmp_external(gw, STEP_MS, &ext, &res);
		if (rc == 0 && !renew) {
			portmap_external_note(ext, false, true, note,
					      sizeof(note));
			if (!portmap_external_ok(ext, local)) {
				fprintf(stderr, "natcheck: NAT-PMP: %s\n",
					note[0] ? note
						: "its external address is "
						  "ours");
				rc = -EPROTO;
			}
			s->external_ipv4 = ext;
		}
		if (rc == 0)
			rc = portmap_natpmp_map(gw, true, c->int_port,
						c->int_port, c->lease_s,
						STEP_MS, &port, &life, &res);
		if (rc == 0 && port != 0) {
			s->rec.proto = PORTMAP_NATPMP;
			s->rec.external_port = port;
			s->lease_s = life;
			return 0;
		}
		if (renew)
			return rc < 0 ? rc : -EPROTO;
	}
	if ((!renew && (c->proto == 0 || c->proto == PORTMAP_PCP)) ||
	    (renew && s->rec.proto == PORTMAP_PCP)) {
		uint8_t req[PCP_MSG_MAX], resp[PCP_MSG_MAX];
		size_t len = 0, rlen = 0;
		struct pcp_msg m;

		if (!renew &&
		    rand_bytes(s->rec.nonce, sizeof(s->rec.nonce)) < 0)
			return -EIO;
		if (portmap_pcp_request(local, c->int_port,
					renew ? s->rec.external_port
					      : c->int_port,
					c->lease_s, s->rec.nonce, req,
					sizeof(req), &len) < 0)
			return -EINVAL;
		rc = portmap_udp_exchange(gw, PCP_PORT, req, len, resp,
					  sizeof(resp), &rlen, STEP_MS, NULL,
					  NULL);
		if (rc == 0)
			rc = portmap_pcp_answer(resp, rlen, s->rec.nonce,
						c->int_port, &m);
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
				fprintf(stderr, "natcheck: PCP: %s\n",
					note[0] ? note
						: "its external address is "
						  "ours");
				(void)unmap(&s->rec, NULL);
				s->rec.proto = PORTMAP_NONE;
				return -EPROTO;
			}
			s->external_ipv4 = ext;
			return 0;
		}
		if (rc == -EPROTO)
			fprintf(stderr, "natcheck: PCP refused: %s\n",
				pcp_result_name(m.result));
	}
	return -ENOENT;
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
	if (map(s, s->rec.gateway, s->rec.internal_ipv4, true) != 0) {
		fprintf(stderr, "natcheck: renewal failed; stopping\n");
		s->status = 1;
		ev_stop(loop);
		return;
	}
	say("natcheck: renewed (%s), lease %u s\n",
	    portmap_proto_name(s->rec.proto), s->lease_s);
	next = s->cli->renew_s ? (uint64_t)s->cli->renew_s * 1000
			       : portmap_renew_ms(s->lease_s);
	if (next != 0 &&
	    ev_timer_arm(loop, &s->renew, ev_now_update(loop) + next) < 0)
		ev_stop(loop);
}

int
portmap_cli_run(const struct portmap_cli *c, uint32_t gw)
{
	struct session s;
	char ext[IPV4_TEXT_LEN], in[IPV4_TEXT_LEN];
	uint32_t local = 0;
	uint64_t next;
	bool exists = true;
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
	if ((rc = netinfo_route_src(gw, &local)) < 0) {
		fprintf(stderr, "natcheck: no route to the gateway\n");
		return 1;
	}
	s.rec.gateway = gw;
	s.rec.internal_ipv4 = local;
	s.rec.internal_port = c->int_port;
	if (map(&s, gw, local, false) != 0) {
		fprintf(stderr, "natcheck: no router gave a usable mapping "
				"(UPnP IGD, NAT-PMP, PCP)\n");
		return 1;
	}
	if ((rc = write_record(&s)) < 0) {
		fprintf(stderr,
			"natcheck: cannot write %s: %s; removing the "
			"mapping\n",
			c->record, strerror(-rc));
		(void)unmap(&s.rec, &s.upnp);
		return 1;
	}
	ipv4_format(s.external_ipv4, ext);
	ipv4_format(local, in);
	say("natcheck: mapped TCP %s:%u -> %s:%u by %s, lease %u s\n", ext,
	    s.rec.external_port, in, c->int_port,
	    portmap_proto_name(s.rec.proto), s.lease_s);

	if ((rc = ev_open(&s.loop)) < 0)
		goto out;
	ev_timer_init(&s.renew, on_renew, &s);
	ev_timer_init(&s.hold, on_hold, &s);
	if (ev_signal(s.loop, SIGTERM, on_signal, &s) < 0 ||
	    ev_signal(s.loop, SIGINT, on_signal, &s) < 0)
		goto out;
	next = c->renew_s ? (uint64_t)c->renew_s * 1000
			  : portmap_renew_ms(s.lease_s);
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
	rc = unmap(&s.rec, &s.upnp);
	if (rc != 0) {
		fprintf(stderr,
			"natcheck: could not delete the mapping (error %d)%s\n",
			rc, c->record ? "; the next start retries" : "");
		s.status = 1;
	} else {
		if (s.rec.proto == PORTMAP_UPNP &&
		    portmap_upnp_exists(&s.upnp, "TCP", s.rec.external_port,
					&exists) == 0 &&
		    !exists)
			say("natcheck: deleted the mapping (upnp); the router "
			    "lists none\n");
		else
			say("natcheck: deleted the mapping (%s)\n",
			    portmap_proto_name(s.rec.proto));
		if (c->record != NULL)
			if (path_unlink(c->record) < 0)
				fprintf(stderr, "natcheck: cannot remove %s\n",
					c->record);
	}
	ev_close(s.loop);
	return s.status;
}
