/*
 * STUN (RFC 5389) Binding messages with the RFC 5780 NAT-behaviour
 * discovery attributes: a sans-I/O codec.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Magic Cookie = 0x2112A442                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Transaction ID (96 bits)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Attribute Type               |  Attribute Length (unpadded)  |
 * |  Value ... padded to a multiple of 4 bytes                    |
 *
 * Address attributes (MAPPED-ADDRESS 0x0001, XOR-MAPPED-ADDRESS 0x0020,
 * RESPONSE-ORIGIN 0x802b, OTHER-ADDRESS 0x802c):
 * | 0x00 | Family (1 IPv4, 2 IPv6) | Port | Address (4 or 16 bytes) |
 * XOR-MAPPED-ADDRESS XORs the port with the cookie's high 16 bits and the
 * address with the cookie (IPv4) or the cookie and the transaction ID (IPv6).
 *
 * CHANGE-REQUEST 0x0003: 32 bits, A (0x4, change IP) and B (0x2, change port).
 * RESPONSE-PORT 0x0027: | Port | 0x0000 |.
 * ERROR-CODE 0x0009: | 0 (21 bits) | Class (3) | Number (8) | Reason ... |
 * FINGERPRINT 0x8028: CRC-32 of what precedes it XOR 0x5354554e; last.
 *
 * Only Binding is understood.  Other attributes are skipped; an unknown
 * comprehension-required one (type < 0x8000) is counted so that a client
 * can discard the response (RFC 5389 §7.3.3).  MESSAGE-INTEGRITY is not
 * verified (natcheck uses no credentials); attributes after it other than
 * FINGERPRINT are ignored, as RFC 5389 §15.4 says.
 */
#ifndef SHIPWORM_STUN_STUN_H
#define SHIPWORM_STUN_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STUN_MAGIC 0x2112a442u
#define STUN_HEADER_LEN 20
#define STUN_TXID_LEN 12
#define STUN_FINGERPRINT_XOR 0x5354554eu

#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111

#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_CHANGE_REQUEST 0x0003
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000a
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PADDING 0x0026
#define STUN_ATTR_RESPONSE_PORT 0x0027
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_RESPONSE_ORIGIN 0x802b
#define STUN_ATTR_OTHER_ADDRESS 0x802c

/* CHANGE-REQUEST flags (RFC 5780 §7.2). */
#define STUN_CHANGE_IP 0x4u
#define STUN_CHANGE_PORT 0x2u

/* The ICE attributes of the RFC 5769 vectors: known, not interpreted. */
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025

#define STUN_MSG_MAX 548 /* RFC 5389 §7.1: what a client may expect */

/* A transport address; ip holds 4 (family 1) or 16 (family 2) bytes. */
struct stun_addr {
	uint8_t family; /* 1 IPv4, 2 IPv6 */
	uint16_t port;
	uint8_t ip[16];
};

#define STUN_FAMILY_IPV4 1
#define STUN_FAMILY_IPV6 2

/* One Binding message, host order, fully validated. */
struct stun_msg {
	uint16_t type;
	uint8_t txid[STUN_TXID_LEN];
	bool has_mapped, has_xor_mapped, has_origin, has_other;
	bool has_change, has_response_port, has_error, has_integrity;
	bool has_fingerprint; /* read: present and correct; write: add one */
	struct stun_addr mapped, xor_mapped, origin, other;
	uint32_t change_flags; /* STUN_CHANGE_IP | STUN_CHANGE_PORT */
	uint16_t response_port;
	uint16_t error_code;	   /* 300..699 */
	unsigned unknown_required; /* unknown comprehension-required attrs */
};

/* The IPv4 address of a family-1 stun_addr, host order. */
uint32_t stun_addr_ipv4(const struct stun_addr *a);
void stun_addr_set_ipv4(struct stun_addr *a, uint32_t ipv4, uint16_t port);

/* Standard CRC-32 (ISO-HDLC) of buf, as FINGERPRINT uses it. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/*
 * True when buf looks like STUN: two zero top bits, the magic cookie, a
 * length that is a multiple of 4 and matches the datagram (RFC 5389 §7.3).
 */
bool stun_is_stun(const uint8_t *buf, size_t len);

/*
 * Parses one datagram into *m.  -EBADMSG: not STUN, or truncated,
 * misaligned or inconsistent attributes, an address of an unknown family
 * or wrong length, a FINGERPRINT that is wrong or not last, an ERROR-CODE
 * out of 300..699.  -EPROTONOSUPPORT: a method other than Binding.
 */
MUST_CHECK int stun_read(const uint8_t *buf, size_t len, struct stun_msg *m);

/*
 * Writes *m: the header, then each attribute whose has_ flag is set in the
 * order MAPPED, XOR-MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS, CHANGE-REQUEST,
 * RESPONSE-PORT, ERROR-CODE (empty reason), and FINGERPRINT last if
 * has_fingerprint.  *len_out is the length.  -ENOBUFS when cap is too small,
 * -EINVAL for a bad family or error code.  has_integrity is not written.
 */
MUST_CHECK int stun_write(const struct stun_msg *m, uint8_t *buf, size_t cap,
			  size_t *len_out);

#endif
