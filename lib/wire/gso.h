/*
 * Segmentation offload in user space: the virtio-net header of a TUN device
 * opened with IFF_VNET_HDR, TCP/IPv6 and UDP/IPv6 super-packets split into
 * segments (what the kernel's tcp_gso_segment() and __udp_gso_segment()
 * would have done), in-order segments of one flow coalesced back into one
 * super-packet (what tcp_gro_receive() and udp_gro_receive() do), and the
 * rule for batching equal-size datagrams into one UDP GSO send
 * (UDP_SEGMENT).  No system calls: packets in, packets and headers out,
 * into the caller's buffers.
 *
 * The virtio-net header (Virtio 1.2 §5.1.6 "struct virtio_net_hdr", without
 * num_buffers: 10 bytes, little-endian once TUNSETVNETLE is set), in front
 * of every packet read from or written to such a TUN:
 *
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |     flags     |   gso_type    |       hdr_len (LE, unused)    |
 * +---------------+---------------+---------------+---------------+
 * |          gso_size (LE)        |        csum_start (LE)        |
 * +---------------+---------------+---------------+---------------+
 * |        csum_offset (LE)       |  the IP packet follows
 * +---------------+---------------+
 *
 *   flags     NEEDS_CSUM: the checksum at csum_start + csum_offset holds
 *             only the pseudo-header sum; the rest of the sum, from
 *             csum_start to the end, is still to be added
 *             (CHECKSUM_PARTIAL in the kernel). *   gso_type  NONE; TCPV6: a TCP/IPv6 super-packet whose payload is to
 *             be cut into gso_size-byte segments (ECN bit: the first one
 *             carries CWR); UDP_L4: a UDP super-datagram to cut into
 *             datagrams of gso_size payload bytes (Linux 6.2 TUN_F_USO6).
 *   hdr_len   not trusted: the kernel fills it with the linear length of
 *             the skb, not the header length; ours is computed.
 *
 * Reading (TUN -> peers): gso_split_init() validates a packet against its
 * header; gso_split_next() then writes one ready-to-send IPv6 packet per
 * call, each with a full TCP (or UDP) checksum.
 * * Writing (peers -> TUN): gso_seg_read() says whether a packet may be
 * coalesced; gso_coalesce_add() extends a run of segments of one flow;
 * gso_coalesce_write_head() writes the virtio-net header and the IPv6 and
 * TCP or UDP headers of the super-packet, whose payload is the run's
 * payloads in order (the caller gathers them with writev(), without a
 * copy).
 */
#ifndef SHIPWORM_WIRE_GSO_H
#define SHIPWORM_WIRE_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/rd.h"
#include "wire/wr.h"

#define VNET_HDR_LEN 10

/* flags (Virtio 1.2 §5.1.6) */
#define VNET_F_NEEDS_CSUM 0x01
#define VNET_F_DATA_VALID 0x02
/* gso_type */
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

#define IP6_NEXT_TCP 6
#define IP6_NEXT_UDP 17
#define UDP_HEADER_LEN 8
#define TCP_HEADER_MIN 20
#define TCP_HEADER_MAX 60
/* Room for gso_coalesce_write_head(): virtio-net, IPv6 and TCP headers. */
#define GSO_HEAD_MAX (VNET_HDR_LEN + 40 + TCP_HEADER_MAX)

/* TCP flags (RFC 9293 §3.1) */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* The largest IPv6 payload without a jumbogram (RFC 8200 §3). */
#define GSO_IP6_PAYLOAD_MAX 65535
/*
 * UDP GSO limits: the kernel takes at most UDP_MAX_SEGMENTS segments per
 * send (64 before Linux 6.9; 128 since) and one IPv4 datagram's worth of
 * payload (65535 - 20 - 8 bytes).
 */
#define GSO_UDP_SEGS_MAX 64
#define GSO_UDP_PAYLOAD_MAX 65507

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* Reads the 10-byte header.  -EMSGSIZE when fewer bytes remain. */
MUST_CHECK int vnet_hdr_read(struct rd *rd, struct vnet_hdr *out);
void vnet_hdr_write(struct wr *wr, const struct vnet_hdr *h);

/* ---- reading from the TUN: split ------------------------------------ */

enum gso_split_kind {
	GSO_SPLIT_AS_IS, /* one packet, complete: use it as it is */
	GSO_SPLIT_CSUM,	 /* one packet whose checksum is to be finished */
	GSO_SPLIT_TCP6,	 /* a TCP/IPv6 super-packet to cut into segments */
	GSO_SPLIT_UDP6,	 /* a UDP/IPv6 super-datagram to cut */
};

struct gso_split {
	const uint8_t *pkt; /* borrowed: the IPv6 packet after the header */
	size_t len;
	enum gso_split_kind kind;
	size_t hdr_len;	   /* TCP6, UDP6: IPv6 + TCP or UDP header */
	size_t mss;	   /* TCP6, UDP6: payload bytes per segment */
	size_t off;	   /* TCP6, UDP6: the next payload byte */
	uint32_t seq;	   /* TCP6: sequence number of the next segment */
	size_t csum_start; /* CSUM */
	size_t csum_at;	   /* CSUM: where the checksum field is */
	size_t segments;   /* how many gso_split_next() gives in all */
	size_t done;	   /* how many it gave so far */
};

/*
 * Validates pkt[0..len) (what follows the virtio-net header h) and
 * prepares *s.  -EBADMSG: a partial checksum whose field is not inside the
 * packet; a GSO type other than TCPV6; for TCPV6, not IPv6, an IPv6 payload
 * length beyond the packet, a next header other than TCP (extension headers
 * are refused: the kernel's TCP stack sends none), a TCP header beyond the * packet, or gso_size 0; for UDP_L4 likewise with UDP.  The packet is never
 * written to.
 */
MUST_CHECK int gso_split_init(struct gso_split *s, const struct vnet_hdr *h,
			      const uint8_t *pkt, size_t len);

/*
 * Writes the next packet into out[0..cap) and its length into *len.
 * TCP6 segments carry the super-packet's IP and TCP headers with the
 * payload length, sequence number and flags of that segment (FIN and PSH
 * only on the last, CWR only on the first, as tcp_gso_segment() does) and * a full checksum; UDP6 datagrams their own length and a full checksum.
 * -ENOENT when there is no packet left, -ENOBUFS when cap is too small
 * (the split stops there).
 */
MUST_CHECK int gso_split_next(struct gso_split *s, uint8_t *out, size_t cap,
			      size_t *len);

/* ---- writing to the TUN: coalesce ------------------------------------ */

/* A TCP/IPv6 segment or UDP/IPv6 datagram that may join a super-packet. */
struct gso_seg {
	uint8_t proto;	    /* IP6_NEXT_TCP or IP6_NEXT_UDP */
	size_t hdr_len;	    /* IPv6 + TCP or UDP header */
	size_t payload_len; /* > 0 */
	uint32_t seq;	    /* TCP */
	uint8_t flags;	    /* TCP: TCP_ACK, maybe TCP_PSH */
};

/*
 * Reads pkt[0..len) as a candidate for coalescing: 0 and *seg when it is
 * IPv6 with TCP (or, when `udp` is true, UDP) right after the fixed
 * header, no bytes past the payload length, a non-empty payload, for TCP
 * flags ACK or ACK|PSH, for UDP a length field that matches, and a right
 * checksum (coalescing asks the kernel to compute a new one, which would
 * hide a corrupted segment: it must be checked first).  -EINVAL for
 * anything else, which the caller writes on its own.
 */
MUST_CHECK int gso_seg_read(const uint8_t *pkt, size_t len, bool udp,
			    struct gso_seg *seg);

/* A run of segments of one flow, in order; borrows the first packet. */
struct gso_coalesce {
	uint8_t proto;
	const uint8_t *head; /* borrowed: the first segment's packet */
	size_t hdr_len;
	size_t mss;	    /* payload length of the first segment */
	size_t payload_len; /* sum over the run */
	size_t count;
	uint32_t next_seq;
	bool is_closed; /* a short or PSH segment ended it */
	bool has_psh;
};

/* Starts a run with the segment pkt, as read by gso_seg_read(). */
void gso_coalesce_start(struct gso_coalesce *c, const uint8_t *pkt,
			const struct gso_seg *seg);

/*
 * Appends pkt when it continues the run: the same protocol, addresses,
 * traffic class, flow label, hop limit and ports; for TCP the same
 * acknowledgment, window and options (as tcp_gro_receive() requires) and
 * the next sequence number; for UDP at most GSO_UDP_SEGS_MAX datagrams; a
 * payload no longer than the first; and room left under 65535 bytes of
 * IPv6 payload.  -EINVAL (nothing changes) otherwise: the caller ends the
 * run there.
 */
MUST_CHECK int gso_coalesce_add(struct gso_coalesce *c, const uint8_t *pkt,
				const struct gso_seg *seg);

/*
 * Writes the virtio-net header (GSO_TCPV6 or GSO_UDP_L4, NEEDS_CSUM,
 * gso_size = the first payload length) and the super-packet's IPv6 and
 * TCP or UDP headers: the first segment's, with the total payload length
 * (in the UDP length field too), PSH if the last had it, and the
 * pseudo-header sum in the checksum field (what NEEDS_CSUM asks for).  The
 * payloads of the run follow in order.  -ENOBUFS from wr.
 */
MUST_CHECK int gso_coalesce_write_head(const struct gso_coalesce *c,
				       struct wr *wr);

/* ---- UDP GSO sends ---------------------------------------------------- */

/*
 * Whether a datagram of next_len bytes may join a UDP GSO send of `count`
 * datagrams totalling `total` bytes, cut at seg_len (the first's length):
 * every datagram but the last must be exactly seg_len long, and the kernel
 * limits the count and the total (see GSO_UDP_SEGS_MAX).
 */
bool gso_udp_can_append(size_t seg_len, size_t count, size_t total,
			size_t last_len, size_t next_len);

#endif
