/*
 * Interface, address and route configuration over rtnetlink (libmnl).
 *
 * Each call opens a private NETLINK_ROUTE socket, sends one request with
 * NLM_F_ACK, waits (at most RTNL_TIMEOUT_MS) for the kernel's answer and
 * closes the socket: these are setup-time calls, not for the packet path.
 * A kernel refusal comes back as the -errno of its NLMSG_ERROR.  Changing
 * anything needs CAP_NET_ADMIN (-EPERM otherwise); an unknown ifname is
 * -ENODEV; -ETIMEDOUT if the kernel does not answer in time.
 *
 * How the Teredo daemons use it (as Miredo 1.2's client hook script and
 * relay do):
 *
 *   client: rtnl_link_up(tun, 1280);
 *           rtnl_addr6_add(tun, teredo_addr, 32);   kernel adds 2001::/32
 *           rtnl_route6_add(tun, ::, 0, 1029);      last-resort default
 *   relay:  rtnl_link_up(tun, 1280);
 *           rtnl_route6_add(tun, 2001::, 32, 0);
 *
 * All addresses are byte arrays in network order (IPv6) or host-order
 * integers (IPv4), as everywhere in Shipworm.
 */
#ifndef SHIPWORM_SYS_RTNL_H
#define SHIPWORM_SYS_RTNL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define RTNL_TIMEOUT_MS 2000

/*
 * Sets ifname administratively up, and its MTU to mtu unless mtu is 0
 * (Teredo: 1280, RFC 4380 §5.1.2).  -EINVAL for an MTU the device refuses.
 */
MUST_CHECK int rtnl_link_up(const char *ifname, uint32_t mtu);

/* Sets ifname administratively down. */
MUST_CHECK int rtnl_link_down(const char *ifname);

/*
 * Stops the kernel from generating an IPv6 link-local address on ifname
 * (IFLA_INET6_ADDR_GEN_MODE = NONE), so that the daemon's own link-local
 * address is the only one.  Call it before rtnl_link_up().
 */
MUST_CHECK int rtnl_link_addrgen_none(const char *ifname);

/*
 * Adds addr/prefix_len to ifname, permanent and without duplicate address
 * detection.  Adding an existing address again succeeds (NLM_F_REPLACE).
 * The kernel also installs the prefix route (prefix_len < 128), so
 * 2001:0:.../32 makes 2001::/32 reachable through ifname.  -EINVAL for
 * prefix_len > 128.
 */
MUST_CHECK int rtnl_addr6_add(const char *ifname, const uint8_t addr[static 16],
			      uint8_t prefix_len);

/*
 * Removes addr/prefix_len from ifname (the prefix length must match).
 * -EADDRNOTAVAIL if it is not there.
 */
MUST_CHECK int rtnl_addr6_del(const char *ifname, const uint8_t addr[static 16],
			      uint8_t prefix_len);

/*
 * Adds prefix/prefix_len (host bits are cleared; 0 is the default route)
 * through ifname, in the main table, with the given metric (0: the
 * kernel's default, 1024).  -EEXIST if the same prefix with the same
 * metric already exists (on any interface, like `ip route add`).
 */
MUST_CHECK int rtnl_route6_add(const char *ifname,
			       const uint8_t prefix[static 16],
			       uint8_t prefix_len, uint32_t metric);

/*
 * Removes that route (metric 0 matches any metric).  -ESRCH if there is
 * no such route.
 */
MUST_CHECK int rtnl_route6_del(const char *ifname,
			       const uint8_t prefix[static 16],
			       uint8_t prefix_len, uint32_t metric);

/* One IPv4 address of this host and the length of its subnet prefix. */
struct rtnl_ipv4_subnet {
	uint32_t addr; /* host order */
	uint8_t prefix_len;
};

/*
 * Lists the host's IPv4 addresses (all interfaces, loopback included) into
 * out[0..cap); *n is how many were stored.  -ENOBUFS when there were more
 * than cap (out holds the first cap); -EAGAIN if the address list kept
 * changing during the dump.
 */
MUST_CHECK int rtnl_ipv4_subnets(struct rtnl_ipv4_subnet *out, size_t cap,
				 size_t *n);

/*
 * Turns off router-advertisement processing, address autoconfiguration
 * and ICMPv6 redirects on ifname (/proc/sys/net/ipv6/conf/IFNAME/), as
 * Miredo does: the Teredo interface is configured only by the daemon.
 * -errno from open()/write().
 */
MUST_CHECK int rtnl_ipv6_no_autoconf(const char *ifname);

#endif
