/*
 * Teredo IPv6 addresses (RFC 4380 §4, flags as updated by RFC 5991 §3.1)
 * and the global-unicast IPv4 test of RFC 4380 §5.2.4.
 *
 *  bits 0-31     32-63          64-79  80-95         96-127
 * +------------+--------------+------+-------------+---------------+
 * | 2001:0000  | server IPv4  | flags| ~mapped port| ~mapped IPv4  |
 * +------------+--------------+------+-------------+---------------+
 *
 * flags (bit 0 = most significant): C z R R R R U G R R R R R R R R
 *   C cone (deprecated by RFC 5991, sent as 0), z and U/G must be zero,
 *   R the 12 random bits (mask 0x3cff) of RFC 5991.
 */
#ifndef SHIPWORM_TEREDO_ADDR_H
#define SHIPWORM_TEREDO_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/ip6.h"

#define TEREDO_PORT 3544
#define TEREDO_PREFIX 0x20010000u /* 2001:0000::/32, RFC 4380 §2.6 */
#define TEREDO_PREFIX_LEGACY 0x3ffe831fu

#define TEREDO_FLAG_CONE 0x8000u
#define TEREDO_FLAGS_RANDOM 0x3cffu /* RFC 5991 §3.1 Random1 + Random2 */
#define TEREDO_FLAGS_MBZ 0x4300u    /* z, U and G */

/* A Teredo address taken apart; every field in host order, de-obfuscated. */
struct teredo_addr {
	uint32_t prefix;
	uint32_t server_ipv4;
	uint16_t flags;
	uint16_t mapped_port;
	uint32_t mapped_ipv4;
};

/* An IPv4 subnet of this host, for the directed-broadcast exclusion. */
struct ipv4_subnet {
	uint32_t addr;
	uint8_t prefix_len;
};

bool teredo_addr_is_teredo(const struct ip6_addr *a);

/* -EINVAL unless `a` lies in 2001:0::/32. */
MUST_CHECK int teredo_addr_read(const struct ip6_addr *a,
				struct teredo_addr *out);
void teredo_addr_write(const struct teredo_addr *t, struct ip6_addr *out);

/*
 * RFC 5991 §3.1: the flags a client puts in its address.  C, z, U and G are
 * zero; the 12 random bits come from `random12` (the caller draws them from
 * a CSPRNG, RFC 5991 §4; only bits in TEREDO_FLAGS_RANDOM are used).
 */
uint16_t teredo_flags_client(uint16_t random_bits);

/* RFC 4380 §4: a global address's flags may carry C and random bits only. */
bool teredo_flags_valid(uint16_t flags);

/*
 * fe80::8000:f227:<~server IPv4>: the link-local source of a server's RA
 * (RFC 4380 §5.3.2; the port 3544 obfuscated, as Windows clients expect).
 */
void teredo_server_link_local(uint32_t server_ipv4, struct ip6_addr *out);

/*
 * The link-local source of a client RS: fe80::ffff:ffff:fffe, or with the
 * cone bit fe80::8000:ffff:ffff:fffe (Windows Vista and later).
 */
void teredo_client_link_local(bool cone, struct ip6_addr *out);

/*
 * fe80::ffff:ffff:fffd: the source of Shipworm's diagnostic port probe.  Our
 * server answers an RS from this source from port TEREDO_PROBE_PORT instead
 * of 3544, so a client learns whether its NAT filters by port (Windows
 * shows "restricted (port)"; teredo-spec.md §8.3).  Other servers treat it
 * as a plain RS and answer from 3544.
 */
void teredo_port_probe_link_local(struct ip6_addr *out);
#define TEREDO_PROBE_PORT 3543

/*
 * RFC 4380 §5.2.4: true when `ipv4` is global unicast: not 0/8, 127/8,
 * the RFC 1918 blocks, 169.254/16, 192.88.99/24 (6to4 anycast),
 * 224/4 multicast, 240/4 reserved, 255.255.255.255, nor the directed
 * broadcast address of any of the host's `subnets` (may be NULL when
 * n_subnets is 0).
 */
bool teredo_ipv4_is_global(uint32_t ipv4, const struct ipv4_subnet *subnets,
			   size_t n_subnets);

#endif
