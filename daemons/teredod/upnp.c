/* teredod's UPnP reservation.  See upnp.h. */
#include "upnp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portmap/portmap.h"
#include "sys/log.h"
#include "sys/upnpkeep.h"

/*
 * The SSDP search (its four types at once, sys/portmap.c): teredod waits
 * for the answer before it qualifies (RFC 6081 §5.3.3: the reservation
 * comes first), so this is the start-up delay on a network without UPnP
 * (it was four times this while miniupnpc searched one type after the
 * other); an IGD on the link answers within milliseconds.
 */
#define UPNP_DISCOVER_MS 1000
#define UPNP_WAIT_MS 10000 /* discovery + the HTTP exchanges */
#define PATH_MAX_LEN 4096

/* The IGD's host, from its control URL "http://A.B.C.D:PORT/...". */
static uint32_t
control_host(const char *url)
{
	char host[16];
	size_t n;
	struct in_addr a;

	if (strncmp(url, "http://", 7) != 0)
		return 0;
	url += 7;
	n = strcspn(url, ":/");
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, url, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static int
format_record(const struct portmap_upnp *u, uint16_t ext_port, char *buf,
	      size_t cap, void *arg)
{
	struct portmap_record r = {
		.proto = PORTMAP_UPNP,
		.gateway = control_host(u->control_url),
		.internal_ipv4 = u->lan_ipv4,
		.internal_port = *(const uint16_t *)arg,
		.external_port = ext_port,
	};

	snprintf(r.control, sizeof(r.control), "%s", u->control_url);
	snprintf(r.service, sizeof(r.service), "%s", u->service_type);
	return portmap_record_format(&r, buf, cap);
}

static int
parse_record(const char *text, size_t len, struct portmap_upnp *u,
	     uint16_t *ext_port, void *arg)
{
	struct portmap_record r;

	(void)arg;
	if (portmap_record_parse(text, len, &r) < 0 || r.proto != PORTMAP_UPNP)
		return -EBADMSG;
	*u = (struct portmap_upnp){.found = true, .connected = true};
	snprintf(u->control_url, sizeof(u->control_url), "%s", r.control);
	snprintf(u->service_type, sizeof(u->service_type), "%s", r.service);
	*ext_port = r.external_port;
	return 0;
}

void
teredod_upnp_reserve(const char *ifname, const char *user, uint16_t local_port,
		     bool symmetric_nat_support, bool relay,
		     struct teredo_upnp *u, int *hold)
{
	static char record[PATH_MAX_LEN];
	static uint16_t port;
	const char *dir = getenv("STATE_DIRECTORY");
	struct upnpkeep_opts o = {
		.proto = "UDP",
		.int_port = local_port,
		.ext_port = local_port, /* RFC 6081 §5.3.3 */
		.lease_s = TEREDO_UPNP_LEASE_S,
		.desc = TEREDO_UPNP_DESCRIPTION,
		.user = user,
		.discover_ms = UPNP_DISCOVER_MS,
		.format = format_record,
		.parse = parse_record,
		.arg = &port,
	};
	struct upnpkeep_result res;
	char ext[INET_ADDRSTRLEN];
	struct in_addr a;
	int rc, n;

	*u = (struct teredo_upnp){0};
	*hold = -1;
	if (!teredo_upnp_wanted(symmetric_nat_support, relay))
		return;
	port = local_port;
	if (dir != NULL && dir[0] != '\0') {
		n = snprintf(record, sizeof(record), "%.*s/teredod-%s.upnp",
			     (int)strcspn(dir, ":"), dir, ifname);
		if (n > 0 && (size_t)n < sizeof(record))
			o.record = record;
	}
	if ((rc = upnpkeep_start(&o, UPNP_WAIT_MS, &res, hold)) < 0) {
		log_warn(rc, "UPnP: no answer; continuing without UPnP");
		return;
	}
	if (res.rc != 0) {
		if (res.rc == -ENOENT)
			log_info("UPnP: no IGD; continuing without UPnP");
		else
			log_warn(res.rc < 0 ? res.rc : -EPROTO,
				 "UPnP: AddPortMapping of UDP port %u failed "
				 "(%d); continuing without UPnP",
				 local_port, (int)res.rc);
		return;
	}
	a.s_addr = htonl(res.external_ipv4);
	inet_ntop(AF_INET, &a, ext, sizeof(ext));
	if (teredo_upnp_mapped(u, res.external_ipv4, res.lan_ipv4, local_port) <
	    0) {
		/* Q12: clean up (SHOULD): the keeper deletes it. */
		log_warn(-EADDRNOTAVAIL,
			 "UPnP: the IGD's external address %s is not global; "
			 "mapping removed, continuing without UPnP",
			 ext);
		upnpkeep_release(hold);
		return;
	}
	log_info("UPnP: UDP port %s:%u reserved (RFC 6081 UPnP-enabled NAT)",
		 ext, local_port);
}
