/* A TCP port mapping as a lease: see portlease.h. */
#include "portlease.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/netinfo.h"
#include "sys/path.h"
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
