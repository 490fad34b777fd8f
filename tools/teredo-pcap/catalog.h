/*
 * The fixed set of Teredo payloads teredo-pcap shows to Wireshark.  Each
 * entry states what we ask the codec for; the same entry is then the
 * expectation, so an entry is both the builder's input and the test's
 * answer key.  Values are the examples of teredo-spec.md §2.
 */
#ifndef TEREDO_PCAP_CATALOG_H
#define TEREDO_PCAP_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "pcap.h"
#include "teredo/packet.h"
#include "wire/icmp6.h"

/* Which lib/teredo/msg.h builder makes the IPv6 packet. */
enum msg_kind {
	MSG_RS,	    /* teredo_rs_write */
	MSG_RA,	    /* teredo_ra_write */
	MSG_BUBBLE, /* teredo_bubble_write */
	MSG_ECHO,   /* teredo_echo_write, then teredo_packet_write */
};

/*
 * An IPv6 address of the catalog.  For a Teredo address, also what it
 * encodes (RFC 4380 §4), stated separately: tshark decodes that too.
 */
struct ip6_peer {
	const char *text; /* RFC 5952 form, as tshark prints it */
	bool teredo;
	uint32_t server_ipv4;
	const struct endpoint *mapped;
};

struct pkt_spec {
	const char *name; /* file name in --corpus, first word of a line */
	const char *what; /* for humans */
	enum msg_kind kind;

	/* Outer IPv4/UDP. */
	const struct endpoint *src;
	const struct endpoint *dst;
	uint8_t ttl;

	/*
	 * Inner IPv6.  For MSG_RS and MSG_RA the codec chooses the addresses
	 * (RFC 4380 §5.2.1, §5.3.2) and these are only what we expect it to
	 * choose; RA also takes its destination from ip6_dst.
	 */
	const struct ip6_peer *ip6_src;
	const struct ip6_peer *ip6_dst;
	uint8_t hop_limit;

	/*
	 * Teredo headers and trailers, NULL when absent.  RS and RA need
	 * `auth`: they put its nonce in their 13-byte form.
	 */
	const struct teredo_auth *auth;
	const struct teredo_origin *origin;
	const struct teredo_trailers *trailers;

	bool cone;		       /* MSG_RS */
	uint32_t server_ipv4;	       /* MSG_RA: the primary, in the prefix */
	bool with_mtu;		       /* MSG_RA */
	uint8_t echo_type;	       /* MSG_ECHO */
	const struct icmp6_echo *echo; /* MSG_ECHO */
};

/* The catalog, in frame order; `*n` receives its length. */
const struct pkt_spec *catalog(size_t *n);

/*
 * Builds the UDP payload of `s` with lib/'s codec.  -EINVAL when `s` lacks
 * what its kind needs (auth for RS and RA, echo for MSG_ECHO).
 */
MUST_CHECK int pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap,
			 size_t *out_len);

#endif
