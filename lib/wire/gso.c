/*
 * Segmentation offload in user space.  See gso.h for the contract.
 */
#include "wire/gso.h"

#include <string.h>

#include "wire/be.h"
#include "wire/ip6.h"

/* Offsets in the IPv6 fixed header (RFC 8200 §3) and the TCP header. */
#define IP6_PLEN_AT 4
#define IP6_NEXT_AT 6
#define IP6_SRC_AT 8
#define TCP_SEQ_AT 4
#define TCP_DOFF_AT 12
#define TCP_FLAGS_AT 13
#define TCP_CSUM_AT 16
#define UDP_LEN_AT 4
#define UDP_CSUM_AT 6
/* The virtio-net header is little-endian (TUNSETVNETLE; Virtio 1.2 §1.4). */
static uint16_t
rd_u16le(struct rd *rd)
{
	const uint8_t *p = rd_take(rd, 2);

	return p ? (uint16_t)(p[0] | (unsigned)p[1] << 8) : 0;
}

static void
wr_u16le(struct wr *wr, uint16_t v)
{
	uint8_t *p = wr_take(wr, 2);

	if (p != NULL) {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	}
}

int
vnet_hdr_read(struct rd *rd, struct vnet_hdr *out)
{
	if (rd_left(rd) < VNET_HDR_LEN)
		return -EMSGSIZE;
	out->flags = rd_u8(rd);
	out->gso_type = rd_u8(rd);
	out->hdr_len = rd_u16le(rd);
	out->gso_size = rd_u16le(rd);
	out->csum_start = rd_u16le(rd);
	out->csum_offset = rd_u16le(rd);
	return 0;
}

void
vnet_hdr_write(struct wr *wr, const struct vnet_hdr *h)
{
	wr_u8(wr, h->flags);
	wr_u8(wr, h->gso_type);
	wr_u16le(wr, h->hdr_len);
	wr_u16le(wr, h->gso_size);
	wr_u16le(wr, h->csum_start);
	wr_u16le(wr, h->csum_offset);
}

/*
 * The IPv6 header and the TCP or UDP header (next header `proto`) of pkt:
 * *ip6_len is 40 + the payload length (which must fit in len), *hdr_len
 * 40 + the TCP or UDP header length.  -EBADMSG when it is not IPv6 +
 * proto or a length does not fit.
 */
static int
l4_headers(const uint8_t *pkt, size_t len, uint8_t proto, struct ip6_header *ip,
	   size_t *ip6_len, size_t *hdr_len)
{
	struct rd rd;
	size_t thlen = UDP_HEADER_LEN;

	rd_init(&rd, pkt, len);
	if (ip6_header_read(&rd, ip) < 0 || ip->next_header != proto ||
	    ip->payload_len > rd_left(&rd))
		return -EBADMSG;
	*ip6_len = IP6_HEADER_LEN + (size_t)ip->payload_len;
	/* TCP data offset: the high nibble of byte 12, in 32-bit words. */
	if (proto == IP6_NEXT_TCP)
		thlen = (size_t)(rd_peek_u8(&rd, TCP_DOFF_AT) >> 4) * 4;
	if ((proto == IP6_NEXT_TCP && thlen < TCP_HEADER_MIN) ||
	    thlen > ip->payload_len)
		return -EBADMSG;
	*hdr_len = IP6_HEADER_LEN + thlen;
	return 0;
}

int
gso_split_init(struct gso_split *s, const struct vnet_hdr *h,
	       const uint8_t *pkt, size_t len)
{
	struct ip6_header ip;
	size_t ip6_len, payload;
	uint8_t proto;
	struct rd rd;

	memset(s, 0, sizeof(*s));
	s->pkt = pkt;
	s->len = len;
	s->segments = 1;
	switch (h->gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_NONE:
		if ((h->flags & VNET_F_NEEDS_CSUM) == 0) {
			s->kind = GSO_SPLIT_AS_IS;
			return 0;
		}
		/* The field must lie inside the summed range. */
		if ((size_t)h->csum_start + h->csum_offset + 2 > len)
			return -EBADMSG;
		s->kind = GSO_SPLIT_CSUM;
		s->csum_start = h->csum_start;
		s->csum_at = (size_t)h->csum_start + h->csum_offset;
		return 0;
	case VNET_GSO_TCPV6:
		proto = IP6_NEXT_TCP;
		break;
	case VNET_GSO_UDP_L4:
		proto = IP6_NEXT_UDP;
		break;
	default:
		/* Only TSO6 and USO are offered (TUNSETOFFLOAD): anything
		 * else is a kernel we do not understand; fail closed. */
		return -EBADMSG;
	}
	if (h->gso_size == 0 ||
	    l4_headers(pkt, len, proto, &ip, &ip6_len, &s->hdr_len) < 0)
		return -EBADMSG;
	rd_init(&rd, pkt, ip6_len);
	rd_skip(&rd, IP6_HEADER_LEN + TCP_SEQ_AT);
	s->seq = rd_u32(&rd);
	if (rd.bad)
		return -EBADMSG;
	/* Bytes past the IPv6 payload length are not part of the packet. */
	s->len = ip6_len;
	s->kind = proto == IP6_NEXT_TCP ? GSO_SPLIT_TCP6 : GSO_SPLIT_UDP6;
	s->mss = h->gso_size;
	s->off = s->hdr_len;
	payload = ip6_len - s->hdr_len;
	s->segments = payload == 0 ? 1 : (payload + s->mss - 1) / s->mss;
	return 0;
}

static int
split_l4(struct gso_split *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t thlen = s->hdr_len - IP6_HEADER_LEN, seg;
	bool first = s->done == 0;
	bool last;
	uint8_t flags;
	struct ip6_addr src, dst;
	uint16_t csum;

	seg = s->len - s->off;
	if (seg > s->mss)
		seg = s->mss;
	last = s->done + 1 == s->segments;
	if (s->hdr_len + seg > cap) {
		s->done = s->segments;
		return -ENOBUFS;
	}
	memcpy(out, s->pkt, s->hdr_len);
	memcpy(out + s->hdr_len, s->pkt + s->off, seg);
	be16_store(out + IP6_PLEN_AT, (uint16_t)(thlen + seg));
	memcpy(src.bytes, out + IP6_SRC_AT, 16);
	memcpy(dst.bytes, out + IP6_SRC_AT + 16, 16);
	if (s->kind == GSO_SPLIT_UDP6) {
		/* __udp_gso_segment(): each datagram its length and a full
		 * checksum (RFC 8200 §8.1: never 0 over IPv6). */
		be16_store(out + IP6_HEADER_LEN + UDP_LEN_AT,
			   (uint16_t)(thlen + seg));
		be16_store(out + IP6_HEADER_LEN + UDP_CSUM_AT, 0);
		csum = ip6_upper_csum(&src, &dst, IP6_NEXT_UDP,
				      out + IP6_HEADER_LEN, thlen + seg);
		be16_store(out + IP6_HEADER_LEN + UDP_CSUM_AT,
			   csum == 0 ? 0xffff : csum);
		goto done;
	}
	be32_store(out + IP6_HEADER_LEN + TCP_SEQ_AT, s->seq);
	/* tcp_gso_segment(): FIN and PSH stay on the last segment only, CWR
	 * on the first only (RFC 3168 §6.1.2: CWR once per window). */
	flags = out[IP6_HEADER_LEN + TCP_FLAGS_AT];
	if (!last)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (!first)
		flags &= (uint8_t)~TCP_CWR;
	out[IP6_HEADER_LEN + TCP_FLAGS_AT] = flags;
	be16_store(out + IP6_HEADER_LEN + TCP_CSUM_AT, 0);
	/* RFC 9293 §3.1: the checksum covers the pseudo-header (RFC 8200
	 * §8.1), the TCP header and the payload. */
	csum = ip6_upper_csum(&src, &dst, IP6_NEXT_TCP, out + IP6_HEADER_LEN,
			      thlen + seg);
	be16_store(out + IP6_HEADER_LEN + TCP_CSUM_AT, csum);
done:
	s->seq += (uint32_t)seg;
	s->off += seg;
	s->done++;
	*len = s->hdr_len + seg;
	return 0;
}

int
gso_split_next(struct gso_split *s, uint8_t *out, size_t cap, size_t *len)
{
	uint16_t csum;

	*len = 0;
	if (s->done >= s->segments)
		return -ENOENT;
	if (s->kind == GSO_SPLIT_TCP6 || s->kind == GSO_SPLIT_UDP6)
		return split_l4(s, out, cap, len);
	if (s->len > cap) {
		s->done = s->segments;
		return -ENOBUFS;
	}
	memcpy(out, s->pkt, s->len);
	s->done = s->segments;
	*len = s->len;
	if (s->kind == GSO_SPLIT_AS_IS)
		return 0;
	/*
	 * NEEDS_CSUM: the field holds the pseudo-header sum; the rest is the
	 * sum from csum_start to the end (skb_checksum_help()).  A result of
	 * 0 is sent as 0xffff: for UDP, 0 would mean "no checksum", which
	 * IPv6 forbids (RFC 8200 §8.1).
	 */
	csum = inet_csum_fold(
		inet_csum_add(0, out + s->csum_start, s->len - s->csum_start));
	be16_store(out + s->csum_at, csum == 0 ? 0xffff : csum);
	return 0;
}

/* ---- coalesce ---------------------------------------------------------- */

static int
udp6_seg_read(const uint8_t *pkt, size_t len, struct gso_seg *seg)
{
	struct ip6_header ip;
	size_t ip6_len, hdr_len;
	struct rd rd;

	if (l4_headers(pkt, len, IP6_NEXT_UDP, &ip, &ip6_len, &hdr_len) < 0 ||
	    ip6_len != len || hdr_len == len)
		return -EINVAL;
	rd_init(&rd, pkt, len);
	rd_skip(&rd, IP6_HEADER_LEN + UDP_LEN_AT);
	/* The UDP length must be the IPv6 payload length (RFC 768), and a
	 * zero checksum is not allowed over IPv6 (RFC 8200 §8.1). */
	if (rd_u16(&rd) != len - IP6_HEADER_LEN || rd_u16(&rd) == 0 || rd.bad ||
	    ip6_upper_csum(&ip.src, &ip.dst, IP6_NEXT_UDP, pkt + IP6_HEADER_LEN,
			   len - IP6_HEADER_LEN) != 0)
		return -EINVAL;
	seg->proto = IP6_NEXT_UDP;
	seg->hdr_len = hdr_len;
	seg->payload_len = len - hdr_len;
	seg->seq = 0;
	seg->flags = 0;
	return 0;
}
int
gso_seg_read(const uint8_t *pkt, size_t len, bool udp, struct gso_seg *seg)
{
	struct ip6_header ip;
	size_t ip6_len, hdr_len;
	struct rd rd;
	uint8_t flags;

	if (udp && len > IP6_NEXT_AT && pkt[IP6_NEXT_AT] == IP6_NEXT_UDP)
		return udp6_seg_read(pkt, len, seg);
	if (l4_headers(pkt, len, IP6_NEXT_TCP, &ip, &ip6_len, &hdr_len) < 0 ||
	    ip6_len != len || hdr_len == len)
		return -EINVAL;
	rd_init(&rd, pkt, len);
	rd_skip(&rd, IP6_HEADER_LEN + TCP_SEQ_AT);
	seg->seq = rd_u32(&rd);
	rd_skip(&rd, TCP_FLAGS_AT - TCP_SEQ_AT - 4);
	flags = rd_u8(&rd);
	if (rd.bad || (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH)))
		return -EINVAL;
	/* The kernel will compute a new checksum over the super-packet: a
	 * corrupted segment must not get a valid one. */
	if (ip6_upper_csum(&ip.src, &ip.dst, IP6_NEXT_TCP, pkt + IP6_HEADER_LEN,
			   len - IP6_HEADER_LEN) != 0)
		return -EINVAL;
	seg->proto = IP6_NEXT_TCP;
	seg->hdr_len = hdr_len;
	seg->payload_len = len - hdr_len;
	seg->flags = flags;
	return 0;
}

void
gso_coalesce_start(struct gso_coalesce *c, const uint8_t *pkt,
		   const struct gso_seg *seg)
{
	c->proto = seg->proto;
	c->head = pkt;
	c->hdr_len = seg->hdr_len;
	c->mss = seg->payload_len;
	c->payload_len = seg->payload_len;
	c->count = 1;
	c->next_seq = seg->seq + (uint32_t)seg->payload_len;
	c->has_psh = (seg->flags & TCP_PSH) != 0;
	c->is_closed = c->has_psh;
}

int
gso_coalesce_add(struct gso_coalesce *c, const uint8_t *pkt,
		 const struct gso_seg *seg)
{
	const uint8_t *h = c->head;
	const size_t t = IP6_HEADER_LEN;

	if (c->is_closed || seg->proto != c->proto ||
	    seg->hdr_len != c->hdr_len || seg->payload_len > c->mss ||
	    c->hdr_len - t + c->payload_len + seg->payload_len >
		    GSO_IP6_PAYLOAD_MAX)
		return -EINVAL;
	if (c->proto == IP6_NEXT_UDP) {
		/* udp_gro_receive(): one flow (addresses, ports), the same
		 * IPv6 header otherwise; the kernel takes UDP_MAX_SEGMENTS. */
		if (c->count >= GSO_UDP_SEGS_MAX || memcmp(h, pkt, 4) != 0 ||
		    h[7] != pkt[7] ||
		    memcmp(h + IP6_SRC_AT, pkt + IP6_SRC_AT, 32) != 0 ||
		    memcmp(h + t, pkt + t, 4) != 0)
			return -EINVAL;
		c->payload_len += seg->payload_len;
		c->count++;
		if (seg->payload_len < c->mss)
			c->is_closed = true;
		return 0;
	}
	if (seg->seq != c->next_seq)
		return -EINVAL;
	/*
	 * Both were read by gso_seg_read(), so both hold hdr_len bytes.
	 * IPv6: version, traffic class and flow label (bytes 0-3), hop limit
	 * (7), addresses (8-39).  TCP: ports (0-3), acknowledgment (8-11),
	 * data offset (12), window (14-15), options (20-): what
	 * tcp_gro_receive() compares.  Flags are ACK or ACK|PSH in both, and
	 * the checksum (16-17) and urgent pointer (18-19, no URG) differ
	 * harmlessly.
	 */
	if (memcmp(h, pkt, 4) != 0 || h[7] != pkt[7] ||
	    memcmp(h + IP6_SRC_AT, pkt + IP6_SRC_AT, 32) != 0 ||
	    memcmp(h + t, pkt + t, 4) != 0 ||
	    memcmp(h + t + 8, pkt + t + 8, 5) != 0 ||
	    memcmp(h + t + 14, pkt + t + 14, 2) != 0 ||
	    memcmp(h + t + TCP_HEADER_MIN, pkt + t + TCP_HEADER_MIN,
		   c->hdr_len - t - TCP_HEADER_MIN) != 0)
		return -EINVAL;
	c->payload_len += seg->payload_len;
	c->count++;
	c->next_seq += (uint32_t)seg->payload_len;
	/* A short segment or PSH ends the run, as in tcp_gro_receive(). */
	if (seg->payload_len < c->mss || (seg->flags & TCP_PSH) != 0)
		c->is_closed = true;
	c->has_psh = (seg->flags & TCP_PSH) != 0;
	return 0;
}

int
gso_coalesce_write_head(const struct gso_coalesce *c, struct wr *wr)
{
	const size_t thlen = c->hdr_len - IP6_HEADER_LEN;
	const size_t at = wr->off + VNET_HDR_LEN;
	const bool udp = c->proto == IP6_NEXT_UDP;
	const size_t csum_at = udp ? UDP_CSUM_AT : TCP_CSUM_AT;
	uint8_t tail[8];
	uint32_t sum;
	uint32_t upper = (uint32_t)(thlen + c->payload_len);
	uint8_t *p;

	vnet_hdr_write(
		wr, &(struct vnet_hdr){
			    .flags = VNET_F_NEEDS_CSUM,
			    .gso_type = udp ? VNET_GSO_UDP_L4 : VNET_GSO_TCPV6,
			    .hdr_len = (uint16_t)c->hdr_len,
			    .gso_size = (uint16_t)c->mss,
			    .csum_start = IP6_HEADER_LEN,
			    .csum_offset = (uint16_t)csum_at,
		    });
	wr_bytes(wr, c->head, c->hdr_len);
	if (wr_status(wr) < 0)
		return -ENOBUFS;
	p = wr->buf + at;
	be16_store(p + IP6_PLEN_AT, (uint16_t)upper);
	if (udp)
		be16_store(p + IP6_HEADER_LEN + UDP_LEN_AT, (uint16_t)upper);
	else if (c->has_psh)
		p[IP6_HEADER_LEN + TCP_FLAGS_AT] |= TCP_PSH;
	/*
	 * NEEDS_CSUM (CHECKSUM_PARTIAL): the field holds the folded,
	 * uncomplemented pseudo-header sum (RFC 8200 §8.1) over the whole
	 * super-packet; the kernel adds the rest, per segment if it
	 * segments again.
	 */
	be32_store(tail, upper);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = c->proto;
	sum = inet_csum_add(0, p + IP6_SRC_AT, 32);
	sum = inet_csum_add(sum, tail, sizeof(tail));
	be16_store(p + IP6_HEADER_LEN + csum_at,
		   (uint16_t)~inet_csum_fold(sum));
	return 0;
}

bool
gso_udp_can_append(size_t seg_len, size_t count, size_t total, size_t last_len,
		   size_t next_len)
{
	return count < GSO_UDP_SEGS_MAX && last_len == seg_len &&
	       next_len > 0 && next_len <= seg_len &&
	       total + next_len <= GSO_UDP_PAYLOAD_MAX;
}
