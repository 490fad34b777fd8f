/*
 * IPv6 fixed header (RFC 8200 §3) and the Internet checksum over the IPv6
 * pseudo-header (RFC 8200 §8.1) that ICMPv6 uses.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+---------------+---------------------------------------+
 * |Version| Traffic Class |              Flow Label               |
 * +-------+---------------+-------+---------------+---------------+
 * |        Payload Length         |  Next Header  |   Hop Limit   |
 * +-------------------------------+---------------+---------------+
 * |                  Source Address (128 bits)                    |
 * |                Destination Address (128 bits)                 |
 * +---------------------------------------------------------------+
 */
#ifndef SHIPWORM_WIRE_IP6_H
#define SHIPWORM_WIRE_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/rd.h"
#include "wire/wr.h"

#define IP6_HEADER_LEN 40
#define IP6_MIN_MTU 1280
#define IP6_ADDR_TEXT_LEN 46 /* "ffff:...:ffff" and its NUL */

#define IP6_NEXT_ICMPV6 58
#define IP6_NEXT_NONE 59 /* "no next header": a Teredo bubble */

/* An IPv6 address as its 16 wire bytes (an address has no host order). */
struct ip6_addr {
	uint8_t bytes[16];
};

struct ip6_header {
	uint8_t traffic_class;
	uint32_t flow_label; /* 20 bits */
	uint16_t payload_len;
	uint8_t next_header;
	uint8_t hop_limit;
	struct ip6_addr src;
	struct ip6_addr dst;
};

bool ip6_addr_equal(const struct ip6_addr *a, const struct ip6_addr *b);
bool ip6_addr_is_link_local(const struct ip6_addr *a); /* fe80::/10 */
bool ip6_addr_is_multicast(const struct ip6_addr *a);  /* ff00::/8 */
bool ip6_addr_is_unspecified(const struct ip6_addr *a);

/* Parses text ("2001:db8::1") for tests and tools; -EINVAL when invalid. */
MUST_CHECK int ip6_addr_parse(const char *text, struct ip6_addr *out);

/* Formats in RFC 5952 form into `out` (at least 46 bytes). */
void ip6_addr_format(const struct ip6_addr *a,
		     char out[static IP6_ADDR_TEXT_LEN]);

/*
 * Reads the fixed header.  -EMSGSIZE when fewer than 40 bytes remain,
 * -EBADMSG when the version is not 6.  Payload length is not checked here:
 * the caller knows how many bytes the datagram holds.
 */
MUST_CHECK int ip6_header_read(struct rd *rd, struct ip6_header *out);
void ip6_header_write(struct wr *wr, const struct ip6_header *h);

/*
 * One's-complement sum helpers (RFC 1071).  Sums chain: every piece but the
 * last must have an even length (an odd piece is padded with a zero byte).
 */
uint32_t inet_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t inet_csum_fold(uint32_t sum);

/*
 * Checksum of an upper-layer packet with the IPv6 pseudo-header.  Computing
 * it over a packet whose checksum field holds the right value yields 0.
 */
uint16_t ip6_upper_csum(const struct ip6_addr *src, const struct ip6_addr *dst,
			uint8_t next_header, const void *payload, size_t len);

#endif
