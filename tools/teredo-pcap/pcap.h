/*
 * The outer layers around a Teredo UDP payload, and the classic libpcap file
 * that carries them to Wireshark:
 *
 *   Ethernet II | IPv4 (20 bytes, DF clear) | UDP | Teredo payload
 *
 * Nothing here is Teredo: the payload comes whole from lib/'s codec.  The
 * IPv4 header and UDP checksums reuse lib/wire's RFC 1071 helpers, so the
 * Wireshark test also checks those against an independent implementation.
 */
#ifndef TEREDO_PCAP_PCAP_H
#define TEREDO_PCAP_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define ETH_HEADER_LEN 14
#define IPV4_HEADER_LEN 20
#define UDP_HEADER_LEN 8
#define FRAME_OVERHEAD (ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN)

/* Host-order IPv4 address from dotted quad parts. */
#define IPV4(a, b, c, d)                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

/* One side of a UDP flow; both fields in host order. */
struct endpoint {
	uint32_t ipv4;
	uint16_t port;
};

/*
 * Wraps `payload` in Ethernet, IPv4 (identification `ip_id`, time to live
 * `ttl`) and UDP headers, writing the whole frame to `buf`.  -ENOBUFS when
 * `cap` is too small, -EMSGSIZE when the datagram exceeds 65535 bytes.
 */
MUST_CHECK int frame_write(uint8_t *buf, size_t cap, const struct endpoint *src,
			   const struct endpoint *dst, uint8_t ttl,
			   uint16_t ip_id, const uint8_t *payload, size_t len,
			   size_t *out_len);

/* Writes the 24-byte file header (LINKTYPE_ETHERNET, microseconds). */
MUST_CHECK int pcap_write_header(FILE *f);

/* Writes one record holding the whole `frame`, stamped `usec` after epoch. */
MUST_CHECK int pcap_write_record(FILE *f, uint64_t usec, const uint8_t *frame,
				 size_t len);

#endif
