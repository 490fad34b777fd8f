/*
 * The Teredo control messages, built and checked whole: Router Solicitation
 * and Advertisement as qualification uses them (RFC 4380 §5.2.1, §5.3.2,
 * RFC 5991 §3.2), bubbles (RFC 4380 §2.8, §5.2.6, §5.2.8) and the ICMPv6
 * echo of the direct connectivity test (§5.2.9).
 *
 * Builders take every random value (nonces, flag bits) as arguments: the
 * caller owns the CSPRNG, so the codec is deterministic and testable.
 * Checks that need state (is this the nonce we sent, the server we asked)
 * belong to the state machines; the checks here need only the packet.
 */
#ifndef SHIPWORM_TEREDO_MSG_H
#define SHIPWORM_TEREDO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "teredo/packet.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

#define TEREDO_RA_RETRANS_MS 2000 /* what Miredo's and our servers send */
#define TEREDO_BUBBLE_HOP_LIMIT 255
#define TEREDO_DISCOVERY_HOP_LIMIT 1 /* RFC 4380 §5.2.8 */
#define TEREDO_MTU_MAX 65535

/* A parsed RS as a server sees it. */
struct teredo_rs {
	bool cone; /* C bit of the link-local source: answer from the other address */
	struct ip6_addr src;
	bool has_auth;
	struct teredo_auth auth;
};

/* What a server puts in an RA. */
struct teredo_ra_params {
	uint8_t nonce[TEREDO_NONCE_LEN]; /* echoed from the RS */
	struct teredo_origin origin;	 /* where the RS came from */
	uint32_t server_ipv4;	   /* primary address: prefix and source */
	struct ip6_addr client_ll; /* the RS's IPv6 source */
	bool with_mtu;		   /* Miredo style; Windows servers omit it */
	bool omit_auth;		   /* the RS carried none (RFC 4380 §5.3.2) */
};

/* A parsed, validated RA as a client sees it. */
struct teredo_ra {
	uint8_t nonce[TEREDO_NONCE_LEN];
	uint8_t confirmation;
	struct teredo_origin origin; /* our mapping, de-obfuscated */
	struct ip6_addr router;	     /* IPv6 source */
	struct ip6_addr dst;
	uint32_t server_ipv4; /* bits 32-63 of the advertised prefix */
	struct nd_prefix_info prefix;
	bool has_mtu;
	uint32_t mtu;
};

/*
 * RS for qualification and maintenance: auth header with `nonce` and
 * confirmation 0, source fe80::ffff:ffff:fffe (or the cone form), dst
 * ff02::2, hop limit 255 (RFC 4380 §5.2.1, RFC 4861 §4.1).  61 bytes.
 */
MUST_CHECK int teredo_rs_write(uint8_t *buf, size_t cap,
			       const uint8_t nonce[static TEREDO_NONCE_LEN],
			       bool cone, size_t *out_len);

/*
 * The same RS from another link-local source: the diagnostic port probe
 * (fe80::ffff:ffff:fffd, see teredo_port_probe_link_local()).
 */
MUST_CHECK int teredo_rs_write_src(uint8_t *buf, size_t cap,
				   const uint8_t nonce[static TEREDO_NONCE_LEN],
				   const struct ip6_addr *src, size_t *out_len);

/*
 * RS as the server checks it (RFC 4380 §5.3.1 rule 4): link-local source,
 * dst ff02::2, hop limit 255, a valid ICMPv6 RS.  -EBADMSG otherwise.
 */
MUST_CHECK int teredo_rs_read(const struct teredo_packet *pkt,
			      struct teredo_rs *out);

/*
 * RA from the server (RFC 4380 §5.3.2): auth with the echoed nonce (unless
 * omit_auth: an RS without authentication gets an RA without it), origin
 * indication, src fe80::8000:f227:~server, one PIO 2001:0:<server>::/64,
 * retrans timer 2000 ms, the MTU option if asked.  109 or 117 bytes.
 */
MUST_CHECK int teredo_ra_write(uint8_t *buf, size_t cap,
			       const struct teredo_ra_params *p,
			       size_t *out_len);

/*
 * RA as the client checks it (RFC 4380 §5.2.1, §5.2.2): auth and origin
 * present, link-local source and destination, hop limit 255, a valid ICMPv6
 * RA with exactly one Prefix Information option of length 64 in 2001:0::/32,
 * an MTU option, if any, within 1280..65535.  -EBADMSG otherwise.
 */
MUST_CHECK int teredo_ra_read(const struct teredo_packet *pkt,
			      struct teredo_ra *out);

/*
 * Bubble (RFC 4380 §2.8): IPv6 header, next header 59, payload length 0;
 * optionally preceded by an origin indication (a server relaying it) and
 * followed by RFC 6081 trailers.  Either pointer may be NULL.
 */
MUST_CHECK int
teredo_bubble_write(uint8_t *buf, size_t cap, const struct ip6_addr *src,
		    const struct ip6_addr *dst, uint8_t hop_limit,
		    const struct teredo_origin *origin,
		    const struct teredo_trailers *trailers, size_t *out_len);

bool teredo_packet_is_bubble(const struct teredo_packet *pkt);

/* ICMPv6 echo request or reply in a bare IPv6 packet (RFC 4443 §4). */
MUST_CHECK int teredo_echo_write(uint8_t *buf, size_t cap,
				 const struct ip6_addr *src,
				 const struct ip6_addr *dst, uint8_t hop_limit,
				 uint8_t type, const struct icmp6_echo *echo,
				 size_t *out_len);

/*
 * An ICMPv6 Destination Unreachable (RFC 4443 §3.1) about the IPv6 packet
 * `invoking`, from `src` to that packet's source: what a client hands its
 * own stack when a destination cannot be reached (teredo-spec.md T25), so
 * that applications learn at once instead of timing out.  -EINVAL when the
 * invoking packet must not be answered (RFC 4443 §2.4 (e): an ICMPv6
 * error, a multicast destination or source, an unspecified source).
 */
MUST_CHECK int teredo_unreachable_write(uint8_t *buf, size_t cap,
					const struct ip6_addr *src,
					uint8_t code, const uint8_t *invoking,
					size_t len, size_t *out_len);

/*
 * The ICMPv6 message a packet carries directly after its IPv6 header;
 * -EBADMSG when next header is not ICMPv6 or the message is invalid.
 */
MUST_CHECK int teredo_packet_icmp6(const struct teredo_packet *pkt,
				   struct icmp6_msg *out);

#endif
