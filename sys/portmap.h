/*
 * Router port-mapping I/O: UPnP IGD through miniupnpc, NAT-PMP through
 * libnatpmp, PCP through lib/pcp over a UDP exchange.  Every call is
 * bounded by a timeout; the policy (which protocol, which lease, whether
 * an external address is acceptable) lives in lib/portmap.
 *
 * Addresses host order; ports host order.
 */
#ifndef SHIPWORM_SYS_PORTMAP_H
#define SHIPWORM_SYS_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* What an IGD said.  note: why it is not usable (NUL-terminated). */
struct portmap_upnp {
	bool found;	/* an IGD answered the SSDP search */
	bool connected; /* UPNP_GetValidIGD() said "connected" */
	uint32_t lan_ipv4;
	uint32_t external_ipv4; /* 0 when it gave none or garbage */
	bool external_garbage;	/* its answer was not an IPv4 address */
	char control_url[512];
	char service_type[256];
};

/*
 * SSDP discovery (multicast, and the minissdpd socket if any; the four
 * search types of upnpDiscover() sent at once, so no IGD costs timeout_ms,
 * not four times it), the IGD's description and GetExternalIPAddress,
 * within about timeout_ms plus the HTTP exchanges (miniupnpc bounds each).
 * -ENOENT: no IGD answered.
 */
MUST_CHECK int portmap_upnp_discover(int timeout_ms, struct portmap_upnp *u);

/* The same in a thread: start, then finish (joins) when done or later. */
struct portmap_upnp_job;
MUST_CHECK int portmap_upnp_start(int timeout_ms,
				  struct portmap_upnp_job **job);
bool portmap_upnp_is_done(struct portmap_upnp_job *job);
/* Waits (at most wait_ms; -ETIMEDOUT leaves it running, detached). */
MUST_CHECK int portmap_upnp_finish(struct portmap_upnp_job *job, int wait_ms,
				   struct portmap_upnp *out);

/* proto "TCP" or "UDP".  UPnP error codes come back as positive ints. */
MUST_CHECK int portmap_upnp_add(const struct portmap_upnp *u, const char *proto,
				uint16_t ext_port, uint16_t int_port,
				uint32_t lease_s, const char *desc);
MUST_CHECK int portmap_upnp_delete(const struct portmap_upnp *u,
				   const char *proto, uint16_t ext_port);
/* *exists: the IGD lists a mapping of ext_port. */
MUST_CHECK int portmap_upnp_exists(const struct portmap_upnp *u,
				   const char *proto, uint16_t ext_port,
				   bool *exists);

/*
 * NAT-PMP (libnatpmp) to gateway gw.  external: the public address
 * request.  map: a mapping (lifetime_s 0 deletes it); *ext_port_out and
 * *lifetime_out are the router's answer.  -ETIMEDOUT, -EPROTO with
 * *result set for a refusal, -EBADMSG for garbage.
 */
MUST_CHECK int portmap_natpmp_external(uint32_t gw, int timeout_ms,
				       uint32_t *ext, int *result);
MUST_CHECK int portmap_natpmp_map(uint32_t gw, bool tcp, uint16_t int_port,
				  uint16_t ext_port, uint32_t lifetime_s,
				  int timeout_ms, uint16_t *ext_port_out,
				  uint32_t *lifetime_out, int *result);

/*
 * One request/answer over UDP to ip:port from a fresh socket: sends req,
 * retransmits every 250 ms (doubling), returns the first answer that
 * `accept(answer, len, arg)` takes.  -ETIMEDOUT.
 */
typedef bool portmap_accept_fn(const uint8_t *buf, size_t len, void *arg);
MUST_CHECK int portmap_udp_exchange(uint32_t ip, uint16_t port,
				    const uint8_t *req, size_t req_len,
				    uint8_t *resp, size_t cap, size_t *resp_len,
				    int timeout_ms, portmap_accept_fn *accept,
				    void *arg);

#endif
