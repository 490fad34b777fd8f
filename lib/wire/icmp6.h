/*
 * ICMPv6 (RFC 4443) and the Neighbor Discovery messages Teredo uses
 * (RFC 4861 §4.1 Router Solicitation, §4.2 Router Advertisement, §4.6
 * options).  Only the ICMPv6 message is handled here; the IPv6 header around
 * it belongs to the caller, which passes the addresses for the checksum.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+-------------------------------+
 * |     Type      |     Code      |          Checksum             |
 * +---------------+---------------+-------------------------------+
 * |  Echo: Identifier | Sequence  |  RS: reserved  |  RA: see below
 * +---------------------------------------------------------------+
 *
 * Router Advertisement body after the first 4 bytes:
 * | Cur Hop Limit |M|O| reserved  |       Router Lifetime         |
 * |                         Reachable Time                        |
 * |                          Retrans Timer                        |
 * |   Options ...  (type, length in units of 8 bytes, value)
 */
#ifndef SHIPWORM_WIRE_ICMP6_H
#define SHIPWORM_WIRE_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/ip6.h"
#include "wire/wr.h"

#define ICMP6_DST_UNREACH 1 /* RFC 4443 §3.1 */
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_ROUTER_SOLICIT 133
#define ND_ROUTER_ADVERT 134

#define ND_OPT_PREFIX_INFO 3
#define ND_OPT_MTU 5

#define ND_PREFIX_FLAG_ONLINK 0x80
#define ND_PREFIX_FLAG_AUTO 0x40

#define ICMP6_ECHO_HEADER_LEN 8
#define ND_RS_LEN 8
#define ND_RA_LEN 16
#define ND_OPT_PREFIX_INFO_LEN 32
#define ND_OPT_MTU_LEN 8

struct icmp6_echo {
	uint16_t id;
	uint16_t seq;
	const uint8_t *data; /* borrowed from the parsed buffer */
	size_t data_len;
};

struct nd_prefix_info {
	uint8_t prefix_len;
	uint8_t flags;
	uint32_t valid_lifetime_s;
	uint32_t preferred_lifetime_s;
	struct ip6_addr prefix;
};

struct nd_ra {
	uint8_t cur_hop_limit;
	uint8_t flags;
	uint16_t router_lifetime_s;
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	/* All Prefix Information options seen; the first is kept. */
	unsigned prefix_count;
	struct nd_prefix_info prefix;
	bool has_mtu;
	uint32_t mtu;
};

struct icmp6_msg {
	uint8_t type;
	uint8_t code;
	union {
		struct icmp6_echo echo; /* ICMP6_ECHO_REQUEST / _REPLY */
		struct nd_ra ra;	/* ND_ROUTER_ADVERT */
	} u;
	const uint8_t *body; /* after the 4-byte header; borrowed */
	size_t body_len;
};

/*
 * Parses and validates one ICMPv6 message of `len` bytes sent from `src` to
 * `dst`.  Checks the checksum (-EBADMSG), and for echo, RS and RA the minimum
 * length (-EMSGSIZE), code 0 and well-formed options (RFC 4861 §6.1: an
 * option of length 0 invalidates the message; -EBADMSG).  Other types are
 * returned with only type, code and body filled in.
 */
MUST_CHECK int icmp6_read(const struct ip6_addr *src,
			  const struct ip6_addr *dst, const uint8_t *msg,
			  size_t len, struct icmp6_msg *out);

/*
 * Writers: each appends one complete message, checksum included, to `wr`.
 * Errors surface through wr_status().
 */
void icmp6_echo_write(struct wr *wr, const struct ip6_addr *src,
		      const struct ip6_addr *dst, uint8_t type,
		      const struct icmp6_echo *echo);
void nd_rs_write(struct wr *wr, const struct ip6_addr *src,
		 const struct ip6_addr *dst);
/*
 * An error message (RFC 4443 §2.1, §3): type, code, the 32-bit field
 * (unused, MTU or pointer), then as much of the invoking packet as fits in
 * a 1280-byte IPv6 packet (§2.4 (c)).
 */
void icmp6_error_write(struct wr *wr, const struct ip6_addr *src,
		       const struct ip6_addr *dst, uint8_t type, uint8_t code,
		       uint32_t param, const uint8_t *invoking, size_t len);
/* Writes the PIO when prefix_count > 0 and the MTU option when has_mtu. */
void nd_ra_write(struct wr *wr, const struct ip6_addr *src,
		 const struct ip6_addr *dst, const struct nd_ra *ra);

#endif
