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
 */
#ifndef SHIPWORM_TEREDO_SERVER_H
#define SHIPWORM_TEREDO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The largest relayed non-bubble IPv6 payload: a server is no data relay. */
#define TEREDO_SERVER_MAX_RELAYED_PAYLOAD 88

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
	TEREDO_SERVER_DROP_COUNT
};

struct teredo_server_stats {
	uint64_t rs_answered;
	uint64_t rs_answered_cone;  /* from the other address (C = 1) */
	uint64_t rs_answered_probe; /* from port 3543 (port probe) */
	uint64_t bubbles_relayed;
	uint64_t packets_relayed;
	uint64_t native_forwarded;
	uint64_t drops[TEREDO_SERVER_DROP_COUNT];
};

struct teredo_server {
	uint32_t ipv4[2]; /* [0] primary, [1] secondary: host order */
	bool native_forwarding;
	struct teredo_server_stats stats;
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
 * The answer, if any, is written to out_buf (at most out_cap bytes; 1500 is
 * always enough for an RA, and relayed packets are the input plus 8 bytes).
 * Returns 0 (out->action says what to do) or -ENOBUFS when out_cap is too
 * small.  Never fails on any input bytes.
 */
MUST_CHECK int teredo_server_input(struct teredo_server *s, unsigned local,
				   const uint8_t *buf, size_t len,
				   uint32_t src_ipv4, uint16_t src_port,
				   uint8_t *out_buf, size_t out_cap,
				   struct teredo_server_out *out);

/* A stable lower-case name for a drop reason ("loop", "malformed", ...). */
const char *teredo_server_drop_name(enum teredo_server_drop reason);

#endif
