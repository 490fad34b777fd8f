/*
 * PCP (RFC 6887) MAP and ANNOUNCE, and the NAT-PMP (RFC 6886) external
 * address exchange that shares its port 5351: a sans-I/O codec.
 *
 * PCP request header (24 bytes):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version = 2  |R|   Opcode    |         Reserved              |
 * |                 Requested Lifetime (32 bits)                  |
 * |            PCP Client's IP Address (128 bits)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * PCP response header (24 bytes):
 * |  Version = 2  |R|   Opcode    |   Reserved    |  Result Code  |
 * |                      Lifetime (32 bits)                       |
 * |                     Epoch Time (32 bits)                      |
 * |                      Reserved (96 bits)                       |
 * MAP opcode data (36 bytes, request and response):
 * |                 Mapping Nonce (96 bits)                       |
 * |   Protocol    |          Reserved (24 bits)                   |
 * |        Internal Port          |    Suggested/Assigned Ext Port|
 * |      Suggested/Assigned External IP Address (128 bits)        |
 * Options follow: | Code | Reserved | Length | data, padded to 4 |.
 * IPv4 addresses are IPv4-mapped IPv6 (::ffff:a.b.c.d).  ANNOUNCE (opcode
 * 0) has no data.
 *
 * NAT-PMP (RFC 6886 §3.2): request | 0 | 0 |; response
 * | 0 | 128 | Result Code (16) | Seconds Since Epoch (32) | IPv4 (32) |.
 * A PCP server answers a version-0 request with UNSUPP_VERSION in a
 * NAT-PMP-shaped answer (RFC 6887 §9), which pcp_natpmp_read() reports.
 */
#ifndef SHIPWORM_PCP_PCP_H
#define SHIPWORM_PCP_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PCP_PORT 5351
#define PCP_VERSION 2
#define PCP_MSG_MAX 1100 /* RFC 6887 §7 */
#define PCP_HEADER_LEN 24
#define PCP_MAP_LEN 36

#define PCP_OP_ANNOUNCE 0
#define PCP_OP_MAP 1
#define PCP_OP_PEER 2

/* Result codes (RFC 6887 §7.4). */
enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/* One PCP message, host order.  Addresses as 16 bytes (mapped IPv4). */
struct pcp_msg {
	bool is_response;
	uint8_t opcode;
	uint8_t result;	       /* response */
	uint32_t lifetime;     /* requested (request) or granted (response) */
	uint32_t epoch;	       /* response */
	uint8_t client_ip[16]; /* request */
	/* MAP */
	uint8_t nonce[12];
	uint8_t protocol; /* 6 TCP, 17 UDP, 0 all */
	uint16_t internal_port;
	uint16_t external_port;
	uint8_t external_ip[16];
	unsigned unknown_mandatory; /* options with code < 128 we ignore */
};

/* ::ffff:a.b.c.d from / to a host-order IPv4; is_ipv4 tests the form. */
void pcp_ipv4_mapped(uint32_t ipv4, uint8_t out[static 16]);
bool pcp_is_ipv4_mapped(const uint8_t ip[static 16]);
uint32_t pcp_mapped_ipv4(const uint8_t ip[static 16]);

/* The text of a result code ("NOT_AUTHORIZED"), "?" for an unknown one. */
const char *pcp_result_name(unsigned result);

/*
 * Parses a PCP message.  -EBADMSG: shorter than the header, longer than
 * PCP_MSG_MAX, not a multiple of 4, version not 2, MAP data missing, an
 * option that overruns.  -EPROTONOSUPPORT: an opcode other than ANNOUNCE
 * and MAP.  A response that is not SUCCESS may omit the opcode data
 * (RFC 6887 §7.2); its MAP fields are then zero.
 */
MUST_CHECK int pcp_read(const uint8_t *buf, size_t len, struct pcp_msg *m);

/* Writes a request (is_response false) or response.  -ENOBUFS, -EINVAL. */
MUST_CHECK int pcp_write(const struct pcp_msg *m, uint8_t *buf, size_t cap,
			 size_t *len_out);

/* NAT-PMP external-address answer (RFC 6886 §3.2). */
struct pcp_natpmp_answer {
	uint16_t result; /* 0 success */
	uint32_t epoch;
	uint32_t external_ipv4; /* host order */
};

/* The 2-byte NAT-PMP external-address request. */
MUST_CHECK int pcp_natpmp_write_request(uint8_t *buf, size_t cap,
					size_t *len_out);
/*
 * Parses a NAT-PMP external-address answer.  -EBADMSG: not version 0,
 * opcode not 128, shorter than its fields (a non-success answer may be 8
 * bytes: RFC 6886 §3.5).
 */
MUST_CHECK int pcp_natpmp_read(const uint8_t *buf, size_t len,
			       struct pcp_natpmp_answer *a);
MUST_CHECK int pcp_natpmp_write_answer(const struct pcp_natpmp_answer *a,
				       uint8_t *buf, size_t cap,
				       size_t *len_out);

#endif
