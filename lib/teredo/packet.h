/*
 * The Teredo UDP payload (RFC 4380 §5.1.1, trailers RFC 6081 §4):
 *
 *   [ authentication ] [ origin indication ] IPv6 packet [ trailers ... ]
 *
 * Authentication (13 + ID-len + AU-len bytes):
 * +--------+--------+--------+--------+
 * |  0x00  |  0x01  | ID-len | AU-len |
 * +--------+--------+--------+--------+
 * |  Client identifier (ID-len bytes) |
 * |  Authentication value (AU-len)    |
 * |  Nonce (8 bytes)                  |
 * |  Confirmation (1 byte)            |
 * +-----------------------------------+
 *
 * Origin indication (8 bytes, port and address with every bit inverted):
 * +--------+--------+-----------------+
 * |  0x00  |  0x00  |  ~origin port   |
 * +--------+--------+-----------------+
 * |         ~origin IPv4 address      |
 * +-----------------------------------+
 *
 * Trailers (RFC 6081 §4.1): Type (1) | Length (1) | Value (Length).
 */
#ifndef SHIPWORM_TEREDO_PACKET_H
#define SHIPWORM_TEREDO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/ip6.h"
#include "wire/wr.h"

#define TEREDO_AUTH_MIN_LEN 13
#define TEREDO_ORIGIN_LEN 8
#define TEREDO_NONCE_LEN 8

/* RFC 6081 §4 trailer types.  Random Port is 0x05 in §4.5 (see spec §2.11). */
#define TEREDO_TRAILER_NONCE 0x01
#define TEREDO_TRAILER_ALT_ADDR 0x03
#define TEREDO_TRAILER_ND_OPTION 0x04
#define TEREDO_TRAILER_RANDOM_PORT 0x05

#define TEREDO_ALT_ADDR_MAX 4 /* RFC 6081 §4.3: lengths 8, 14, 20, 26 */
#define TEREDO_ND_SOLICITATION 0x00
#define TEREDO_ND_ADVERTISEMENT 0x01

struct teredo_auth {
	uint8_t id_len;
	uint8_t au_len;
	const uint8_t *client_id;  /* borrowed; id_len bytes */
	const uint8_t *auth_value; /* borrowed; au_len bytes */
	uint8_t nonce[TEREDO_NONCE_LEN];
	uint8_t confirmation;
};

struct teredo_origin {
	uint16_t port;
	uint32_t ipv4;
};

struct teredo_alt_addr {
	uint32_t ipv4;
	uint16_t port;
};

/* Trailers understood; a `has_` flag says each was present and valid. */
struct teredo_trailers {
	bool has_nonce;
	uint32_t nonce;
	unsigned alt_count; /* 0 when absent */
	struct teredo_alt_addr alt[TEREDO_ALT_ADDR_MAX];
	bool has_nd_option;
	uint8_t nd_discovery_type;
	bool has_random_port;
	uint16_t random_port;
	/* Known trailers whose content was invalid and so was ignored. */
	unsigned ignored;
	/* Bytes after a malformed trailer, where parsing stopped. */
	size_t unparsed_len;
};

struct teredo_packet {
	bool has_auth;
	struct teredo_auth auth;
	bool has_origin;
	struct teredo_origin origin;
	struct ip6_header ip6;
	const uint8_t *ip6_packet; /* header + payload; borrowed */
	size_t ip6_len;		   /* 40 + ip6.payload_len */
	const uint8_t *payload;	   /* borrowed; ip6.payload_len bytes */
	struct teredo_trailers trailers;
};

/*
 * Parses a whole UDP payload.  Never allocates; the pointers in `out` borrow
 * `buf`.  Returns 0, or:
 *   -EBADMSG   the first bytes are no Teredo indicator (RFC 4380 §5.2.3),
 *              an origin indication precedes authentication (§5.1.1), or
 *              the IPv6 version is not 6;
 *   -EMSGSIZE  a header or the IPv6 payload is truncated (RFC 6081 §4: the
 *              IPv6 packet must fit; surplus bytes are trailers);
 *   -EPROTO    a trailer of unknown type with top bits 01 orders the whole
 *              packet discarded (RFC 6081 §4.1).
 */
MUST_CHECK int teredo_packet_read(const uint8_t *buf, size_t len,
				  struct teredo_packet *out);

/*
 * Writes auth (if has_auth), origin (if has_origin), ip6_len bytes of
 * ip6_packet and the trailers present in `trailers`.  The parsed form of the
 * output equals the input.  -ENOBUFS when `cap` is too small, -EINVAL for a
 * trailer set that cannot be encoded (more than 4 alternate addresses) or
 * an ip6_len shorter than an IPv6 header.
 */
MUST_CHECK int teredo_packet_write(const struct teredo_packet *pkt,
				   uint8_t *buf, size_t cap, size_t *out_len);

/* Trailer codec alone: parse all remaining bytes / append the present ones. */
MUST_CHECK int teredo_trailers_read(const uint8_t *buf, size_t len,
				    struct teredo_trailers *out);
MUST_CHECK int teredo_trailers_write(struct wr *wr,
				     const struct teredo_trailers *t);

#endif
