/*
 * Teredo server, sans-I/O (RFC 4380 §5.3, RFC 5991 §3.2).
 *
 * A Teredo server is stateless: each datagram received on one of its two
 * addresses yields at most one datagram to send.  The caller (the daemon)
 * owns the sockets; this module only decides.  Every dropped datagram is
 * counted under its reason, for `teredoctl stats`.
 *
 *   datagram in (bytes, source IPv4:port, which server address)
 *     -> teredo_server_input()
 *     -> nothing (a counted drop), a UDP datagram to send from
 *        primary/secondary:3544 (or :3543, the diagnostic port probe), or
 *        an IPv6 packet for the native side.
 *
 * No reflector (issue 11, A3): a relayed datagram carries the IPv6 packet
 * and only the RFC 6081 trailers it defines, re-encoded from their parsed
 * form (unknown or invalid trailers are stripped), never more than
 * TEREDO_SERVER_MAX_RELAYED_LEN bytes; an RA has a fixed size whatever the
 * RS carried.  So no attacker byte lengthens an answer: every answer is at
 * most the datagram that caused it plus TEREDO_SERVER_MAX_EXCESS bytes of
 * header the protocol requires (the origin indication of a relayed packet,
 * the prefix option of an RA), and a native packet is a part of it.  The
 * number of answers is then bounded per source prefix (and, for relayed
 * packets, per destination prefix) by token buckets in a fixed-size table
 * keyed with a secret hash (teredo_server_set_limit()), so a flood of
 * spoofed datagrams in the name of one network gets back at most
 * burst + rate x time answers, whatever it sends.
 */
#ifndef SHIPWORM_TEREDO_SERVER_H
#define SHIPWORM_TEREDO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The largest relayed non-bubble IPv6 payload: a server is no data relay. */
#define TEREDO_SERVER_MAX_RELAYED_PAYLOAD 88
/*
 * The largest relayed datagram: origin indication (8) + IPv6 header (40) +
 * 88 bytes of payload + every RFC 6081 trailer once (nonce 6, alternate
 * addresses 2 + 26, ND option 6, random port 4).
 */
#define TEREDO_SERVER_MAX_RELAYED_LEN (8 + 40 + 88 + 6 + 28 + 6 + 4)
/*
 * What an answer may add to the datagram that caused it: an RA (109 bytes,
 * 96 without authentication) answers an RS of 61 (48) bytes; a relayed
 * packet gains an origin indication (8).  A fixed amount, never a factor.
 */
#define TEREDO_SERVER_MAX_EXCESS 48

/* Answer rate limiting, per source prefix (teredo_server_set_limit()). */
#define TEREDO_SERVER_LIMIT_SETS 256 /* table: sets x ways buckets */
#define TEREDO_SERVER_LIMIT_WAYS 4
#define TEREDO_SERVER_LIMIT_KEY_LEN 16 /* SipHash-2-4 key */

enum teredo_server_drop {
	TEREDO_SERVER_DROP_LOOP,      /* from our own address:3544 */
	TEREDO_SERVER_DROP_MALFORMED, /* §5.3.1 rule 1 */
	TEREDO_SERVER_DROP_NOT_ICMP,  /* rule 2: neither bubble nor ICMPv6 */
	TEREDO_SERVER_DROP_SRC_NOT_GLOBAL, /* rule 3 */
	TEREDO_SERVER_DROP_BAD_RS,	   /* rule 4: an invalid RS */
	TEREDO_SERVER_DROP_MAPPING,    /* rule 5: embedded != outer source */
	TEREDO_SERVER_DROP_NOT_SERVED, /* rule 6/7 */
	TEREDO_SERVER_DROP_DST_SCOPE,  /* non-global IPv6 destination */
	TEREDO_SERVER_DROP_DST_IPV4,   /* embedded IPv4 not global */
	TEREDO_SERVER_DROP_TOO_BIG,    /* relayed ICMPv6 over 88 bytes */
	TEREDO_SERVER_DROP_NO_NATIVE,  /* native IPv6 forwarding is off */
	/* native: only echo requests to 2000::/3 (§5.2.9 tests) */
	TEREDO_SERVER_DROP_NATIVE_NOT_ECHO,
	TEREDO_SERVER_DROP_RATE_SOURCE, /* answers to this source prefix */
	TEREDO_SERVER_DROP_RATE_DEST,	/* relayed to this destination prefix */
	TEREDO_SERVER_DROP_NO_BUFFER,	/* out_cap too small (-ENOBUFS) */
	/* Counted by the daemon (teredo_server_count_drop()): */
	TEREDO_SERVER_DROP_TRUNCATED,  /* larger than the receive buffer */
	TEREDO_SERVER_DROP_PROBE_PORT, /* to the send-only port 3543 */
	TEREDO_SERVER_DROP_COUNT
};

struct teredo_server_stats {
	/* received = answered + forwarded + the sum of drops, always. */
	uint64_t datagrams_received;
	uint64_t bytes_received;
	uint64_t datagrams_sent; /* UDP answers and native packets */
	uint64_t bytes_sent;
	uint64_t rs_answered;
	uint64_t rs_answered_cone;  /* from the other address (C = 1) */
	uint64_t rs_answered_probe; /* from port 3543 (port probe) */
	uint64_t bubbles_relayed;
	uint64_t packets_relayed;
	uint64_t native_forwarded;
	uint64_t drops[TEREDO_SERVER_DROP_COUNT];
};

/* How many answers a prefix may get: a token bucket (milli-tokens). */
struct teredo_server_limit {
	uint8_t key[TEREDO_SERVER_LIMIT_KEY_LEN]; /* secret, from the daemon */
	unsigned prefix_len; /* IPv4 prefix length of a bucket, 1..32 */
	uint32_t per_s;	     /* sustained answers per second */
	uint32_t burst;	     /* answers at once */
};

struct teredo_server_bucket {
	uint32_t prefix; /* masked IPv4, host order */
	uint32_t tokens; /* milli-answers */
	uint64_t last_ms;
	bool used;
};

struct teredo_server {
	uint32_t ipv4[2]; /* [0] primary, [1] secondary: host order */
	bool native_forwarding;
	struct teredo_server_stats stats;
	/* Rate limiting: off until teredo_server_set_limit(). */
	bool limited;
	struct teredo_server_limit limit;
	uint64_t now_ms; /* teredo_server_set_now() */
	uint64_t limit_evictions;
	struct teredo_server_bucket buckets[TEREDO_SERVER_LIMIT_SETS]
					   [TEREDO_SERVER_LIMIT_WAYS];
};

enum teredo_server_action {
	TEREDO_SERVER_NONE,   /* dropped (counted) */
	TEREDO_SERVER_UDP,    /* send out_buf from ipv4[from]:3544 to dst */
	TEREDO_SERVER_NATIVE, /* out_buf is an IPv6 packet for native IPv6 */
};

struct teredo_server_out {
	enum teredo_server_action action;
	unsigned from;	    /* 0 primary, 1 secondary */
	uint16_t from_port; /* 3544, or 3543 for the diagnostic port probe */
	uint32_t dst_ipv4;
	uint16_t dst_port;
	size_t len;
};

/* -EINVAL unless both addresses are global unicast and distinct. */
MUST_CHECK int teredo_server_init(struct teredo_server *s, uint32_t primary,
				  uint32_t secondary);

/*
 * Processes one datagram received on ipv4[local] from src_ipv4:src_port.
 * The answer, if any, is written to out_buf (at most out_cap bytes;
 * TEREDO_SERVER_MAX_RELAYED_LEN is always enough, for an RA too).
 * Returns 0 (out->action says what to do) or -ENOBUFS when out_cap is too
 * small.  Never fails on any input bytes.
 */
MUST_CHECK int teredo_server_input(struct teredo_server *s, unsigned local,
				   const uint8_t *buf, size_t len,
				   uint32_t src_ipv4, uint16_t src_port,
				   uint8_t *out_buf, size_t out_cap,
				   struct teredo_server_out *out);

/*
 * Turns on answer rate limiting: -EINVAL for a prefix length outside 1..32
 * or a zero rate or burst.  The key must be secret and random (the daemon
 * draws it), so that no one can aim datagrams at one set of the table.
 */
MUST_CHECK int teredo_server_set_limit(struct teredo_server *s,
				       const struct teredo_server_limit *l);

/* The monotonic clock (ms) the buckets refill by; call before input. */
void teredo_server_set_now(struct teredo_server *s, uint64_t now_ms);

/* A datagram the daemon drops before teredo_server_input() (truncated...). */
void teredo_server_count_drop(struct teredo_server *s, size_t len,
			      enum teredo_server_drop reason);

/* A stable lower-case name for a drop reason ("loop", "malformed", ...). */
const char *teredo_server_drop_name(enum teredo_server_drop reason);

#endif
