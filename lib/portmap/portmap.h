/*
 * Port-mapping policy, sans-I/O (issue 12 point 4; sys/portmap.c does the
 * talking): which protocol, which lease and when to renew it, whether a
 * router's external address may be used at all, the PCP MAP exchange
 * (lib/pcp) and the lease record that lets the next start remove a
 * mapping a crashed run left behind.
 *
 * The lease record (text, one key=value a line, written before the
 * mapping is announced and removed after it is deleted):
 *
 *   shipworm-portmap 1
 *   proto=upnp|natpmp|pcp
 *   gateway=10.1.0.1
 *   internal=10.1.0.2:22
 *   external=22
 *   nonce=0102030405060708090a0b0c        (pcp)
 *   control=http://10.1.0.1:5000/ctl/IPConn   (upnp)
 *   service=urn:schemas-upnp-org:service:WANIPConnection:1   (upnp)
 */
#ifndef SHIPWORM_PORTMAP_PORTMAP_H
#define SHIPWORM_PORTMAP_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "pcp/pcp.h"

enum portmap_proto {
	PORTMAP_NONE = 0,
	PORTMAP_UPNP,
	PORTMAP_NATPMP,
	PORTMAP_PCP
};

/* The order to try (Tailscale's and the issue's): UPnP, NAT-PMP, PCP. */
#define PORTMAP_LEASE_DEFAULT_S 3600
#define PORTMAP_LEASE_MIN_S 120
/* UPnP errors that mean "only permanent leases" (retry with 0). */
#define PORTMAP_UPNP_ONLY_PERMANENT 725
#define PORTMAP_UPNP_INVALID_ARGS 402

const char *portmap_proto_name(enum portmap_proto p);

/*
 * True when a router's external address may carry a mapping: global
 * (natcheck_is_global_ipv4's ranges), neither 0.0.0.0 nor loopback, and
 * not our own local address (a router that echoes us is lying).
 */
bool portmap_external_ok(uint32_t ext, uint32_t own);

/*
 * Why an IGD's answer is not usable, in words ("" when it is).  garbage:
 * the external address was not an IPv4 address; connected: the IGD said
 * its WAN is up.
 */
void portmap_external_note(uint32_t ext, bool garbage, bool connected,
			   char *out, size_t cap);

/*
 * When to renew a lease granted for granted_s seconds: at half of it
 * (RFC 6886 §3.3, RFC 6887 §11.2.1), at least 60 s ahead of expiry, never
 * sooner than 1 s.  0 for a permanent lease (UPnP lease 0): no renewal.
 */
uint64_t portmap_renew_ms(uint32_t granted_s);

struct portmap_record {
	enum portmap_proto proto;
	uint32_t gateway, internal_ipv4;
	uint16_t internal_port, external_port;
	uint8_t nonce[12];
	char control[512];
	char service[256];
};

MUST_CHECK int portmap_record_format(const struct portmap_record *r, char *buf,
				     size_t cap);
/*
 * Parses a record.  -EBADMSG: not a record of version 1, an unknown or
 * repeated key, a bad value, a line over 600 bytes; proto, gateway,
 * internal and external are required (control and service for upnp).
 */
MUST_CHECK int portmap_record_parse(const char *text, size_t len,
				    struct portmap_record *r);

/* A PCP MAP request for TCP int_port (RFC 6887 §11.1). */
MUST_CHECK int portmap_pcp_request(uint32_t local, uint16_t int_port,
				   uint16_t ext_port_hint, uint32_t lifetime_s,
				   const uint8_t nonce[static 12], uint8_t *buf,
				   size_t cap, size_t *len);
/*
 * Checks a PCP answer against our request (RFC 6887 §11.4: same nonce,
 * protocol and internal port).  -EAGAIN: not the answer to it; -EPROTO:
 * a refusal (m->result says which); 0 with *m filled.
 */
MUST_CHECK int portmap_pcp_answer(const uint8_t *buf, size_t len,
				  const uint8_t nonce[static 12],
				  uint16_t int_port, struct pcp_msg *m);

#endif
