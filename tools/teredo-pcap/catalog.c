/* The packets teredo-pcap builds, and how each is built. */
#include "catalog.h"

#include <string.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "wire/ip6.h"

/*
 * The cast of teredo-spec.md §2.4-§2.11.  Client A (server 203.0.113.120,
 * secondary .121, random flags 0x1034) sits behind a NAT that maps its
 * local 192.168.1.10:51000 to 192.0.2.45:40000; client B (server
 * 198.51.100.118) is mapped to 192.0.2.10:8192.  The capture point is on
 * the public side, except for the discovery bubble, which never leaves A's
 * LAN.
 */
#define SERVER_PRIMARY IPV4(203, 0, 113, 120)
#define SERVER_SECONDARY IPV4(203, 0, 113, 121)
#define SERVER_OF_B IPV4(198, 51, 100, 118)
#define A_MAPPED_IPV4 IPV4(192, 0, 2, 45)
#define A_MAPPED_PORT 40000
#define A_LOCAL_IPV4 IPV4(192, 168, 1, 10)
#define A_LOCAL_PORT 51000
#define B_MAPPED_IPV4 IPV4(192, 0, 2, 10)
#define B_MAPPED_PORT 8192

#define IPV4_TTL 64
#define ND_HOP_LIMIT 255   /* RFC 4861 §6.1 */
#define ECHO_HOP_LIMIT 128 /* Miredo's choice, teredo-spec.md §2.9 */
#define DATA_HOP_LIMIT 64

/* Outer UDP endpoints. */
static const struct endpoint a_mapped = {A_MAPPED_IPV4, A_MAPPED_PORT};
static const struct endpoint a_local = {A_LOCAL_IPV4, A_LOCAL_PORT};
static const struct endpoint b_mapped = {B_MAPPED_IPV4, B_MAPPED_PORT};
static const struct endpoint server = {SERVER_PRIMARY, TEREDO_PORT};
static const struct endpoint server_2 = {SERVER_SECONDARY, TEREDO_PORT};
static const struct endpoint server_of_b = {SERVER_OF_B, TEREDO_PORT};
/* RFC 4380 §2.17: the local discovery group. */
static const struct endpoint discovery = {IPV4(224, 0, 0, 253), TEREDO_PORT};

/* Origin indications: where the server got the packet it passes on. */
static const struct teredo_origin from_a = {A_MAPPED_PORT, A_MAPPED_IPV4};
static const struct teredo_origin from_b = {B_MAPPED_PORT, B_MAPPED_IPV4};

/* IPv6 addresses. */
static const struct ip6_peer addr_a = {
	.text = "2001:0:cb00:7178:1034:63bf:3fff:fdd2",
	.teredo = true,
	.server_ipv4 = SERVER_PRIMARY,
	.mapped = &a_mapped,
};
static const struct ip6_peer addr_b = {
	.text = "2001:0:c633:6476:0:dfff:3fff:fdf5",
	.teredo = true,
	.server_ipv4 = SERVER_OF_B,
	.mapped = &b_mapped,
};
static const struct ip6_peer client_ll = {.text = "fe80::ffff:ffff:fffe"};
static const struct ip6_peer client_ll_cone = {
	.text = "fe80::8000:ffff:ffff:fffe"};
/* fe80::8000:f227:~203.0.113.120, teredo-spec.md §2.5. */
static const struct ip6_peer server_ll = {.text = "fe80::8000:f227:34ff:8e87"};
static const struct ip6_peer all_nodes = {.text = "ff02::1"};
static const struct ip6_peer all_routers = {.text = "ff02::2"};

/* The 13-byte authentication header of RS and RA: a nonce only. */
static const struct teredo_auth qual_auth = {
	.nonce = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}};
static const struct teredo_auth cone_auth = {
	.nonce = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}};

/*
 * Secure qualification (RFC 4380 §5.2.2) is never seen in the wild, so
 * this stand-in exercises the variable-length fields: a client id, and an
 * authentication value as long as an HMAC-SHA1.
 */
static const uint8_t client_id[] = {'c', 'l', 'i', 'e', 'n', 't', '-', 'a'};
static const uint8_t auth_value[20] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
	0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
};
static const struct teredo_auth secure_auth = {
	.id_len = sizeof(client_id),
	.au_len = sizeof(auth_value),
	.client_id = client_id,
	.auth_value = auth_value,
	.nonce = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28},
};

/* RFC 6081 §4 trailers with the values of teredo-spec.md §2.11. */
#define NONCE_DEADBEEF .has_nonce = true, .nonce = 0xdeadbeef
static const struct teredo_trailers nonce_only = {NONCE_DEADBEEF};
static const struct teredo_trailers nonce_alt = {
	NONCE_DEADBEEF,
	.alt_count = 1,
	.alt = {{.ipv4 = A_LOCAL_IPV4, .port = A_LOCAL_PORT}},
};
static const struct teredo_trailers nonce_port = {
	NONCE_DEADBEEF,
	.has_random_port = true,
	.random_port = 51234,
};
static const struct teredo_trailers nd_solicitation = {
	.has_nd_option = true,
	.nd_discovery_type = TEREDO_ND_SOLICITATION,
};

/* The echo test's nonce (RFC 4380 §5.2.9 recommends 64 bits or more). */
static const uint8_t echo_nonce[] = {'s', 'h', 'i', 'p', 'w', 'o', 'r', 'm'};
static const struct icmp6_echo echo = {
	.id = 0x5357,
	.seq = 1,
	.data = echo_nonce,
	.data_len = sizeof(echo_nonce),
};

static const struct pkt_spec specs[] = {
	{
		.name = "rs",
		.what = "qualification RS, non-cone source (spec 2.7)",
		.kind = MSG_RS,
		.src = &a_mapped,
		.dst = &server,
		.ttl = IPV4_TTL,
		.ip6_src = &client_ll,
		.ip6_dst = &all_routers,
		.hop_limit = ND_HOP_LIMIT,
		.auth = &qual_auth,
	},
	{
		.name = "ra_microsoft",
		.what = "RA, Microsoft style: 109 bytes, no MTU (spec 2.8)",
		.kind = MSG_RA,
		.src = &server,
		.dst = &a_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &server_ll,
		.ip6_dst = &client_ll,
		.hop_limit = ND_HOP_LIMIT,
		.auth = &qual_auth,
		.origin = &from_a,
		.server_ipv4 = SERVER_PRIMARY,
	},
	{
		.name = "rs_cone",
		.what = "RS with the cone bit in its source (spec 2.5)",
		.kind = MSG_RS,
		.src = &a_mapped,
		.dst = &server,
		.ttl = IPV4_TTL,
		.ip6_src = &client_ll_cone,
		.ip6_dst = &all_routers,
		.hop_limit = ND_HOP_LIMIT,
		.auth = &cone_auth,
		.cone = true,
	},
	{
		/* A cone RS is answered from the other address (§2.8). */
		.name = "ra_miredo",
		.what = "RA, Miredo style: MTU option, from the secondary",
		.kind = MSG_RA,
		.src = &server_2,
		.dst = &a_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &server_ll,
		.ip6_dst = &client_ll_cone,
		.hop_limit = ND_HOP_LIMIT,
		.auth = &cone_auth,
		.origin = &from_a,
		.server_ipv4 = SERVER_PRIMARY,
		.with_mtu = true,
	},
	{
		.name = "bubble_relayed",
		.what = "B's indirect bubble relayed by A's server, origin B",
		.kind = MSG_BUBBLE,
		.src = &server,
		.dst = &a_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_b,
		.ip6_dst = &addr_a,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
		.origin = &from_b,
	},
	{
		.name = "bubble",
		.what = "A's indirect bubble to B's server, no origin",
		.kind = MSG_BUBBLE,
		.src = &a_mapped,
		.dst = &server_of_b,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
	},
	{
		.name = "bubble_nonce",
		.what = "indirect bubble + Nonce trailer (spec 2.11)",
		.kind = MSG_BUBBLE,
		.src = &a_mapped,
		.dst = &server_of_b,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
		.trailers = &nonce_only,
	},
	{
		/* The alternate address is A's own, behind its NAT. */
		.name = "bubble_nonce_alt",
		.what = "indirect bubble + Nonce + Alternate Address",
		.kind = MSG_BUBBLE,
		.src = &a_mapped,
		.dst = &server_of_b,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
		.trailers = &nonce_alt,
	},
	{
		.name = "bubble_nonce_port",
		.what = "indirect bubble + Nonce + Random Port",
		.kind = MSG_BUBBLE,
		.src = &a_mapped,
		.dst = &server_of_b,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
		.trailers = &nonce_port,
	},
	{
		/* Client to client: no port 3544 on either side. */
		.name = "bubble_direct_nd",
		.what = "direct bubble + ND Option (Solicitation)",
		.kind = MSG_BUBBLE,
		.src = &a_mapped,
		.dst = &b_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = TEREDO_BUBBLE_HOP_LIMIT,
		.trailers = &nd_solicitation,
	},
	{
		.name = "echo_request",
		.what = "ICMPv6 echo request, A to B, direct",
		.kind = MSG_ECHO,
		.src = &a_mapped,
		.dst = &b_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_a,
		.ip6_dst = &addr_b,
		.hop_limit = ECHO_HOP_LIMIT,
		.echo_type = ICMP6_ECHO_REQUEST,
		.echo = &echo,
	},
	{
		.name = "echo_reply",
		.what = "ICMPv6 echo reply, B to A, direct",
		.kind = MSG_ECHO,
		.src = &b_mapped,
		.dst = &a_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_b,
		.ip6_dst = &addr_a,
		.hop_limit = ECHO_HOP_LIMIT,
		.echo_type = ICMP6_ECHO_REPLY,
		.echo = &echo,
	},
	{
		.name = "data_auth_origin",
		.what = "data with client id, auth value and origin",
		.kind = MSG_ECHO,
		.src = &server,
		.dst = &a_mapped,
		.ttl = IPV4_TTL,
		.ip6_src = &addr_b,
		.ip6_dst = &addr_a,
		.hop_limit = DATA_HOP_LIMIT,
		.auth = &secure_auth,
		.origin = &from_b,
		.echo_type = ICMP6_ECHO_REQUEST,
		.echo = &echo,
	},
	{
		/* RFC 4380 §5.2.8: IPv4 TTL and IPv6 hop limit both 1. */
		.name = "discovery",
		.what = "local discovery bubble (spec 2.10)",
		.kind = MSG_BUBBLE,
		.src = &a_local,
		.dst = &discovery,
		.ttl = 1,
		.ip6_src = &addr_a,
		.ip6_dst = &all_nodes,
		.hop_limit = TEREDO_DISCOVERY_HOP_LIMIT,
	},
};

const struct pkt_spec *
catalog(size_t *n)
{
	*n = ARRAY_SIZE(specs);
	return specs;
}

static int
ra_build(const struct pkt_spec *s, const struct ip6_addr *dst, uint8_t *buf,
	 size_t cap, size_t *out_len)
{
	struct teredo_ra_params p = {
		.origin = *s->origin,
		.server_ipv4 = s->server_ipv4,
		.client_ll = *dst,
		.with_mtu = s->with_mtu,
	};

	memcpy(p.nonce, s->auth->nonce, sizeof(p.nonce));
	return teredo_ra_write(buf, cap, &p, out_len);
}

/*
 * teredo_echo_write makes the bare IPv6 packet; teredo_packet_write then
 * adds whatever Teredo headers and trailers the entry asks for.
 */
static int
echo_build(const struct pkt_spec *s, const struct ip6_addr *src,
	   const struct ip6_addr *dst, uint8_t *buf, size_t cap,
	   size_t *out_len)
{
	uint8_t ip6[IP6_MIN_MTU];
	struct teredo_packet pkt = {.ip6_packet = ip6};
	int rc;

	if ((rc = teredo_echo_write(ip6, sizeof(ip6), src, dst, s->hop_limit,
				    s->echo_type, s->echo, &pkt.ip6_len)) < 0)
		return rc;
	if (s->auth != NULL) {
		pkt.has_auth = true;
		pkt.auth = *s->auth;
	}
	if (s->origin != NULL) {
		pkt.has_origin = true;
		pkt.origin = *s->origin;
	}
	if (s->trailers != NULL)
		pkt.trailers = *s->trailers;
	return teredo_packet_write(&pkt, buf, cap, out_len);
}

int
pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct ip6_addr src, dst;
	int rc;

	if ((rc = ip6_addr_parse(s->ip6_src->text, &src)) < 0 ||
	    (rc = ip6_addr_parse(s->ip6_dst->text, &dst)) < 0)
		return rc;
	switch (s->kind) {
	case MSG_RS:
		if (s->auth == NULL)
			return -EINVAL;
		return teredo_rs_write(buf, cap, s->auth->nonce, s->cone,
				       out_len);
	case MSG_RA:
		if (s->auth == NULL || s->origin == NULL)
			return -EINVAL;
		return ra_build(s, &dst, buf, cap, out_len);
	case MSG_BUBBLE:
		return teredo_bubble_write(buf, cap, &src, &dst, s->hop_limit,
					   s->origin, s->trailers, out_len);
	case MSG_ECHO:
		if (s->echo == NULL)
			return -EINVAL;
		return echo_build(s, &src, &dst, buf, cap, out_len);
	}
	return -EINVAL;
}
