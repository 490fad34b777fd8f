/*
 * teredod's privilege separation protocol (ARCHITECTURE.md "Privilege
 * separation"): the unprivileged engine asks, the privileged parent checks
 * and does.  One message per SOCK_SEQPACKET datagram (sys/ipc.h), so the
 * datagram's length is the message's; all integers big-endian.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Version (1)  |     Type      |     Length (whole message)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Sequence                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Body (exact size per Type) ...
 *   +-+-+-+-+-+-+-+-+
 *
 *   READY      (engine -> parent) no body: set up and dropped
 *   ADDR_ADD,  Interface index (32) | Address (128) |
 *   ADDR_DEL   Prefix length (8) | 3 zero bytes                 24 bytes
 *   ROUTE_ADD, Interface index (32) | Prefix (128) |
 *   ROUTE_DEL  Prefix length (8) | 3 zero bytes | Metric (32)   28 bytes
 *   LINK       Interface index (32) | Up (8, 0 or 1) |
 *              3 zero bytes | MTU (32)                          12 bytes
 *   ANSWER     (parent -> engine) Error (32, two's complement):
 *              0 or -errno (-1 .. -4095), same Sequence          4 bytes
 *
 * privsep_msg_read() checks the shape only (version, exact length, zero
 * padding, prefix length <= 128, Up 0/1, Error range); what a request may
 * do is privsep_check()'s job, against the parent's policy.
 */
#ifndef SHIPWORM_PRIVSEP_PRIVSEP_H
#define SHIPWORM_PRIVSEP_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PRIVSEP_VERSION 1
#define PRIVSEP_HEADER_LEN 8
#define PRIVSEP_MSG_MAX 64 /* larger than any message */

enum privsep_type {
	PRIVSEP_READY = 1,
	PRIVSEP_ADDR_ADD = 2,
	PRIVSEP_ADDR_DEL = 3,
	PRIVSEP_ROUTE_ADD = 4,
	PRIVSEP_ROUTE_DEL = 5,
	PRIVSEP_LINK = 6,
	PRIVSEP_ANSWER = 0x80,
};

struct privsep_msg {
	enum privsep_type type;
	uint32_t seq;
	uint32_t ifindex;   /* ADDR_*, ROUTE_*, LINK */
	uint8_t addr[16];   /* ADDR_*: the address; ROUTE_*: the prefix */
	uint8_t prefix_len; /* ADDR_*, ROUTE_* */
	uint32_t metric;    /* ROUTE_*: 0 = the kernel's default */
	bool up;	    /* LINK */
	uint32_t mtu;	    /* LINK: 0 = unchanged */
	int32_t error;	    /* ANSWER: 0 or -errno */
};

/* Parses one message of len bytes.  -EBADMSG malformed, -EMSGSIZE short,
 * -EPROTONOSUPPORT another version. */
MUST_CHECK int privsep_msg_read(const uint8_t *buf, size_t len,
				struct privsep_msg *out);

/* Writes m into buf[0..cap); *len its size.  -ENOBUFS, -EINVAL for a
 * message read() would refuse. */
MUST_CHECK int privsep_msg_write(const struct privsep_msg *m, uint8_t *buf,
				 size_t cap, size_t *len);

/* What the parent lets the engine ask for. */
struct privsep_policy {
	uint32_t ifindex; /* the Teredo interface, the only one */
	uint32_t prefix;  /* the configured Teredo prefix (top 32 bits) */
	bool relay;	  /* relay: the prefix route; client: address and
			   * the last-resort default route */
	uint32_t default_metric; /* the client's default route's metric */
};

#define PRIVSEP_TEREDO_PREFIX 0x20010000u /* RFC 4380 §2.6: 2001::/32 */
#define PRIVSEP_MTU_MIN 1280u		  /* RFC 8200 §5 */
#define PRIVSEP_MTU_MAX 65535u

/*
 * Whether the parent may do what request m asks (the parent receives
 * hostile requests: an engine that parses attacker packets may be the
 * attacker's).  0 or -EPERM.  Allowed, and nothing else:
 *   - only on policy->ifindex;
 *   - a client: ADDR_ADD/DEL of one /32 address inside 2001::/32 or the
 *     configured prefix; ROUTE_ADD/DEL of ::/0 at default_metric;
 *   - a relay: ROUTE_ADD/DEL of 2001::/32 or the configured prefix /32,
 *     metric 0; no address;
 *   - LINK up with an MTU in [1280, 65535] (or 0: unchanged), LINK down
 *     with MTU 0;
 *   - READY.  An ANSWER is never a request.
 */
MUST_CHECK int privsep_check(const struct privsep_policy *policy,
			     const struct privsep_msg *m);

/* Whether n bytes are all zero (the codecs' reserved fields must be). */
static inline bool
privsep_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

#endif
