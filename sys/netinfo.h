/*
 * What natcheck asks the host about its network: the source address
 * toward a destination, the default IPv4 gateway, a global IPv6 address,
 * and name resolution.  Addresses in host byte order.
 */
#ifndef SHIPWORM_SYS_NETINFO_H
#define SHIPWORM_SYS_NETINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The local address the kernel would use toward dst (no packet sent). */
MUST_CHECK int netinfo_route_src(uint32_t dst_ipv4, uint32_t *src_ipv4);

/* The default IPv4 gateway (/proc/net/route).  -ENOENT when none. */
MUST_CHECK int netinfo_default_gateway(uint32_t *gw_ipv4);

/*
 * A global native IPv6 address of this host as text (not link-local,
 * loopback, ULA, multicast, or Teredo 2001::/32).  -ENOENT when none.
 */
MUST_CHECK int netinfo_ipv6_global(char *out, size_t cap);

/* "HOST" or "HOST:PORT" -> IPv4 and port (default_port if none). */
MUST_CHECK int netinfo_resolve4(const char *hostport, uint16_t default_port,
				uint32_t *ipv4, uint16_t *port);

/* RFC 5952 text of 16 address bytes (inet_ntop), "" if it fails. */
void netinfo_ipv6_format(const uint8_t ip[static 16], char *out, size_t cap);

/*
 * One request/answer over UDP/IPv6 to [addr6]:port (text): sends req,
 * retransmits every 250 ms, returns the first datagram from that address
 * and port.  -EINVAL for a bad address, -ETIMEDOUT, -errno (-ENETUNREACH
 * when there is no IPv6 route).
 */
MUST_CHECK int netinfo_udp6_exchange(const char *addr6, uint16_t port,
				     const uint8_t *req, size_t req_len,
				     uint8_t *resp, size_t cap,
				     size_t *resp_len, int timeout_ms);

#endif
