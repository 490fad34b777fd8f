/*
 * lib/wire/gso: the virtio-net header, TCP/IPv6 segmentation with full
 * checksums, coalescing back (segment -> coalesce -> the same
 * super-packet), and the UDP GSO batching rule.
 *
 * The expected checksums come from an independent computation (Python,
 * RFC 1071 over the RFC 8200 §8.1 pseudo-header), not from lib/.
 */
#include "tap.h"
#include "wire/be.h"
#include "wire/gso.h"
#include "wire/ip6.h"

#define PAYLOAD 3000
#define MSS 1208
#define THLEN 32 /* 20 + NOP, NOP, timestamps */
#define HLEN (40 + THLEN)
#define SEQ0 0xfffffd00u /* wraps inside the second segment */

static const char src_text[] = "2001:0:c000:20a:10e6:377a:34ff:8efe";
static const char dst_text[] = "2001:0:c000:20a:28be:1e79:39cc:9beb";

static void
addrs(struct ip6_addr *src, struct ip6_addr *dst)
{
	if (ip6_addr_parse(src_text, src) < 0 ||
	    ip6_addr_parse(dst_text, dst) < 0)
		abort();
}

/*
 * A TCP/IPv6 packet as the kernel hands it over with TSO6: flow label
 * 0x12345, hop limit 64, ports 40000 -> 5201, the given flags, the
 * timestamps option, `len` bytes of payload (byte i of the stream is
 * i * 7 + 3), and in the checksum field the pseudo-header sum
 * (CHECKSUM_PARTIAL).  Returns the packet length.
 */
static size_t
make_tcp(uint8_t *p, uint32_t seq, uint8_t flags, size_t from, size_t len,
	 bool partial)
{
	static const uint8_t opts[12] = {1,    1,    8, 10,   0,    0xa1,
					 0xb2, 0xc3, 0, 0xd4, 0xe5, 0xf6};
	struct ip6_addr src, dst;
	uint8_t *t = p + 40;

	memset(p, 0, HLEN);
	addrs(&src, &dst);
	be32_store(p, 0x60012345);
	be16_store(p + 4, (uint16_t)(THLEN + len));
	p[6] = IP6_NEXT_TCP;
	p[7] = 64;
	memcpy(p + 8, src.bytes, 16);
	memcpy(p + 24, dst.bytes, 16);
	be16_store(t, 40000);
	be16_store(t + 2, 5201);
	be32_store(t + 4, seq);
	be32_store(t + 8, 0x11223344);
	t[12] = (THLEN / 4) << 4;
	t[13] = flags;
	be16_store(t + 14, 0x1f5);
	memcpy(t + 20, opts, sizeof(opts));
	for (size_t i = 0; i < len; i++)
		p[HLEN + i] = (uint8_t)((from + i) * 7 + 3);
	if (partial)
		be16_store(t + 16,
			   0xf942); /* the pseudo-header sum, from Python */
	else
		be16_store(t + 16, ip6_upper_csum(&src, &dst, IP6_NEXT_TCP, t,
						  THLEN + len));
	return HLEN + len;
}

static void
test_vnet_hdr(void)
{
	/* NEEDS_CSUM, GSO_TCPV6, hdr_len 74, gso_size 1208, csum at 40+16:
	 * little-endian (Virtio 1.2 §5.1.6). */
	static const uint8_t wire[VNET_HDR_LEN] = {
		0x01, 0x04, 0x4a, 0x00, 0xb8, 0x04, 0x28, 0x00, 0x10, 0x00};
	struct vnet_hdr h;
	uint8_t out[VNET_HDR_LEN];
	struct rd rd;
	struct wr wr;

	rd_init(&rd, wire, sizeof(wire));
	is_int(vnet_hdr_read(&rd, &h), 0, "vnet_hdr_read");
	ok(h.flags == VNET_F_NEEDS_CSUM && h.gso_type == VNET_GSO_TCPV6,
	   "flags and type");
	ok(h.hdr_len == 74 && h.gso_size == 1208 && h.csum_start == 40 &&
		   h.csum_offset == 16,
	   "little-endian fields");
	wr_init(&wr, out, sizeof(out));
	vnet_hdr_write(&wr, &h);
	ok(wr_status(&wr) == 0, "vnet_hdr_write fits");
	is_mem(out, wr.off, wire, sizeof(wire), "write -> read round trip");
	rd_init(&rd, wire, 9);
	is_int(vnet_hdr_read(&rd, &h), -EMSGSIZE, "9 bytes are too short");
}

static const struct vnet_hdr tso = {
	.flags = VNET_F_NEEDS_CSUM,
	.gso_type = VNET_GSO_TCPV6,
	.hdr_len = 1500, /* the kernel's skb_headlen(): ignored */
	.gso_size = MSS,
	.csum_start = 40,
	.csum_offset = 16,
};

static uint8_t super[HLEN + PAYLOAD];
static uint8_t segs[3][HLEN + MSS];
static size_t seg_len[3];

static void
test_split(void)
{
	/* Python: RFC 1071 over each segment with its pseudo-header. */
	static const uint16_t want_csum[3] = {0xc9d0, 0xe539, 0x3dce};
	static const uint32_t want_seq[3] = {SEQ0, SEQ0 + MSS, SEQ0 + 2 * MSS};
	size_t len = make_tcp(super, SEQ0, TCP_ACK | TCP_PSH, 0, PAYLOAD, true);
	struct ip6_addr src, dst;
	struct gso_split s;
	uint8_t extra[8];
	size_t n;
	int i;

	addrs(&src, &dst);
	is_int(gso_split_init(&s, &tso, super, len), 0, "a TSO6 packet");
	ok(s.kind == GSO_SPLIT_TCP6 && s.segments == 3 && s.hdr_len == HLEN,
	   "three segments, headers of 72 bytes (hdr_len not trusted)");
	for (i = 0; i < 3; i++) {
		uint8_t *t = segs[i] + 40;
		size_t plen = i < 2 ? MSS : PAYLOAD - 2 * MSS;

		is_int(gso_split_next(&s, segs[i], sizeof(segs[i]),
				      &seg_len[i]),
		       0, "segment %d", i);
		is_int(seg_len[i], HLEN + plen, "segment %d: length", i);
		is_int(be16_load(segs[i] + 4), THLEN + plen,
		       "segment %d: IPv6 payload length", i);
		is_int(be32_load(t + 4), want_seq[i], "segment %d: sequence",
		       i);
		is_int(t[13], i < 2 ? TCP_ACK : TCP_ACK | TCP_PSH,
		       "segment %d: PSH on the last only", i);
		is_int(be16_load(t + 16), want_csum[i], "segment %d: checksum",
		       i);
		is_int(ip6_upper_csum(&src, &dst, IP6_NEXT_TCP, t,
				      THLEN + plen),
		       0, "segment %d: checksum verifies", i);
		ok(memcmp(segs[i], super, 4) == 0 &&
			   memcmp(segs[i] + 6, super + 6, 34) == 0 &&
			   memcmp(t + 20, super + 40 + 20, 12) == 0,
		   "segment %d: other header bytes as the super-packet's", i);
		ok(memcmp(segs[i] + HLEN, super + HLEN + (size_t)i * MSS,
			  plen) == 0,
		   "segment %d: its slice of the payload", i);
	}
	is_int(gso_split_next(&s, extra, sizeof(extra), &n), -ENOENT,
	       "then no more");

	/* CWR on the first only, FIN on the last only (tcp_gso_segment). */
	len = make_tcp(super, 1, TCP_ACK | TCP_CWR | TCP_FIN, 0, PAYLOAD, true);
	{
		struct vnet_hdr h = tso;
		uint8_t out[HLEN + MSS];
		uint8_t flags[3];

		h.gso_type |= VNET_GSO_ECN;
		is_int(gso_split_init(&s, &h, super, len), 0, "TSO6 with ECN");
		for (i = 0; i < 3; i++) {
			if (gso_split_next(&s, out, sizeof(out), &n) != 0)
				break;
			flags[i] = out[40 + 13];
		}
		ok(i == 3 && flags[0] == (TCP_ACK | TCP_CWR) &&
			   flags[1] == TCP_ACK &&
			   flags[2] == (TCP_ACK | TCP_FIN),
		   "CWR first, FIN last");
	}

	/* A too small output buffer stops the split. */
	is_int(gso_split_init(&s, &tso, super, len), 0, "again");
	is_int(gso_split_next(&s, segs[0], HLEN + MSS - 1, &n), -ENOBUFS,
	       "-ENOBUFS when a segment does not fit");
	is_int(gso_split_next(&s, segs[0], sizeof(segs[0]), &n), -ENOENT,
	       "and the split is over");
}

static void
test_split_bad(void)
{
	uint8_t pkt[HLEN + 100];
	size_t len = make_tcp(pkt, 7, TCP_ACK, 0, 100, true);
	struct vnet_hdr h;
	struct gso_split s;

	h = tso;
	h.gso_size = 0;
	is_int(gso_split_init(&s, &h, pkt, len), -EBADMSG, "gso_size 0");
	h = tso;
	h.gso_type = VNET_GSO_UDP_L4;
	is_int(gso_split_init(&s, &h, pkt, len), -EBADMSG,
	       "a GSO type not offered");
	h = tso;
	h.gso_type = VNET_GSO_TCPV4;
	is_int(gso_split_init(&s, &h, pkt, len), -EBADMSG, "TCPV4");
	is_int(gso_split_init(&s, &tso, pkt, len - 1), -EBADMSG,
	       "IPv6 payload length beyond the packet");
	is_int(gso_split_init(&s, &tso, pkt, 39), -EBADMSG, "no IPv6 header");
	pkt[6] = 0; /* hop-by-hop options header */
	is_int(gso_split_init(&s, &tso, pkt, len), -EBADMSG,
	       "an extension header");
	pkt[6] = IP6_NEXT_TCP;
	pkt[40 + 12] = 4 << 4;
	is_int(gso_split_init(&s, &tso, pkt, len), -EBADMSG, "data offset 4");
	pkt[40 + 12] = 15 << 4;
	is_int(gso_split_init(&s, &tso, pkt, HLEN), -EBADMSG,
	       "a TCP header beyond the packet");
	pkt[40 + 12] = (THLEN / 4) << 4;
	pkt[0] = 0x40;
	is_int(gso_split_init(&s, &tso, pkt, len), -EBADMSG, "IPv4");
	pkt[0] = 0x60;
	h = (struct vnet_hdr){.flags = VNET_F_NEEDS_CSUM,
			      .csum_start = (uint16_t)(len - 2),
			      .csum_offset = 1};
	is_int(gso_split_init(&s, &h, pkt, len), -EBADMSG,
	       "a checksum field past the end");
	h.csum_offset = 0;
	is_int(gso_split_init(&s, &h, pkt, len), 0, "the last two bytes");
	/* Bytes after the IPv6 payload are not sent on. */
	{
		uint8_t big[HLEN + 200];
		uint8_t out[HLEN + 200];
		size_t n;

		memset(big, 0xee, sizeof(big));
		len = make_tcp(big, 7, TCP_ACK, 0, 100, true);
		is_int(gso_split_init(&s, &tso, big, sizeof(big)), 0,
		       "trailing bytes");
		ok(gso_split_next(&s, out, sizeof(out), &n) == 0 && n == len,
		   "are cut off");
	}
}

static void
test_csum_only(void)
{
	/* A UDP/IPv6 datagram with a partial checksum (TUN_F_CSUM). */
	uint8_t pkt[40 + 8 + 5] = {0x60, 0, 0, 0, 0, 13, 17, 64};
	uint8_t out[sizeof(pkt)];
	struct ip6_addr src, dst;
	struct gso_split s;
	struct vnet_hdr h = {
		.flags = VNET_F_NEEDS_CSUM, .csum_start = 40, .csum_offset = 6};
	uint8_t tail[8] = {0, 0, 0, 13, 0, 0, 0, 17};
	uint32_t sum;
	size_t n;

	addrs(&src, &dst);
	memcpy(pkt + 8, src.bytes, 16);
	memcpy(pkt + 24, dst.bytes, 16);
	be16_store(pkt + 40, 3544);
	be16_store(pkt + 42, 3545);
	be16_store(pkt + 44, 13);
	memcpy(pkt + 48, "hello", 5);
	sum = inet_csum_add(0, src.bytes, 16);
	sum = inet_csum_add(sum, dst.bytes, 16);
	sum = inet_csum_add(sum, tail, sizeof(tail));
	be16_store(pkt + 46, (uint16_t)~inet_csum_fold(sum));
	is_int(gso_split_init(&s, &h, pkt, sizeof(pkt)), 0, "NEEDS_CSUM");
	ok(s.kind == GSO_SPLIT_CSUM && s.segments == 1, "one packet");
	ok(gso_split_next(&s, out, sizeof(out), &n) == 0 && n == sizeof(pkt),
	   "written");
	is_int(ip6_upper_csum(&src, &dst, 17, out + 40, 13), 0,
	       "its UDP checksum verifies");
	ok(memcmp(out, pkt, 46) == 0 && memcmp(out + 48, pkt + 48, 5) == 0,
	   "nothing else changed");

	h = (struct vnet_hdr){0};
	is_int(gso_split_init(&s, &h, pkt, sizeof(pkt)), 0, "no flags");
	ok(s.kind == GSO_SPLIT_AS_IS, "as is");
}

static void
test_coalesce(void)
{
	struct gso_seg seg[3];
	struct gso_coalesce c;
	uint8_t head[GSO_HEAD_MAX];
	uint8_t whole[HLEN + PAYLOAD];
	struct vnet_hdr h;
	struct rd rd;
	struct wr wr;
	size_t len;
	int i;

	/* The segments of test_split() go back together. */
	make_tcp(super, SEQ0, TCP_ACK | TCP_PSH, 0, PAYLOAD, true);
	for (i = 0; i < 3; i++)
		is_int(gso_seg_read(segs[i], seg_len[i], false, &seg[i]), 0,
		       "segment %d may be coalesced", i);
	gso_coalesce_start(&c, segs[0], &seg[0]);
	is_int(gso_coalesce_add(&c, segs[1], &seg[1]), 0, "add the second");
	is_int(gso_coalesce_add(&c, segs[2], &seg[2]), 0, "add the third");
	ok(c.count == 3 && c.payload_len == PAYLOAD && c.is_closed,
	   "three segments, closed by the short PSH one");
	is_int(gso_coalesce_add(&c, segs[2], &seg[2]), -EINVAL,
	       "nothing after it");
	wr_init(&wr, head, sizeof(head));
	is_int(gso_coalesce_write_head(&c, &wr), 0, "write the head");
	is_int(wr.off, VNET_HDR_LEN + HLEN, "vnet + IPv6 + TCP headers");
	rd_init(&rd, head, wr.off);
	ok(vnet_hdr_read(&rd, &h) == 0 && h.flags == VNET_F_NEEDS_CSUM &&
		   h.gso_type == VNET_GSO_TCPV6 && h.gso_size == MSS &&
		   h.hdr_len == HLEN && h.csum_start == 40 &&
		   h.csum_offset == 16,
	   "GSO_TCPV6, NEEDS_CSUM, gso_size = the first payload");
	memcpy(whole, head + VNET_HDR_LEN, HLEN);
	len = HLEN;
	for (i = 0; i < 3; i++) {
		memcpy(whole + len, segs[i] + HLEN, seg[i].payload_len);
		len += seg[i].payload_len;
	}
	is_mem(whole, len, super, sizeof(super),
	       "segment -> coalesce gives the super-packet back, byte for "
	       "byte (partial checksum included)");

	/* What breaks a run. */
	{
		uint8_t a[HLEN + MSS], b[HLEN + MSS];
		struct gso_seg sa, sb;
		size_t la = make_tcp(a, 100, TCP_ACK, 0, MSS, false), lb;

		is_int(gso_seg_read(a, la, false, &sa), 0, "a plain segment");
		lb = make_tcp(b, 100 + MSS, TCP_ACK, MSS, MSS, false);
		is_int(gso_seg_read(b, lb, false, &sb), 0, "its successor");
		gso_coalesce_start(&c, a, &sa);
		sb.seq++;
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL, "a gap in seq");
		sb.seq--;
		b[40 + 1] ^= 1; /* another port */
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL, "another flow");
		b[40 + 1] ^= 1;
		b[40 + 27] ^= 1; /* another timestamp */
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL,
		       "other TCP options");
		b[40 + 27] ^= 1;
		b[40 + 15] ^= 1; /* another window */
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL, "another window");
		b[40 + 15] ^= 1;
		b[7] = 63;
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL,
		       "another hop limit");
		b[7] = 64;
		b[1] ^= 0x10; /* traffic class */
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL,
		       "another traffic class (ECN)");
		b[1] ^= 0x10;
		sb.payload_len = MSS + 1;
		is_int(gso_coalesce_add(&c, b, &sb), -EINVAL,
		       "a longer payload than the first");
		sb.payload_len = MSS;
		is_int(gso_coalesce_add(&c, b, &sb), 0, "and now it joins");
		ok(c.count == 2 && !c.is_closed, "an open run of two");

		b[40 + 17] ^= 1;
		is_int(gso_seg_read(b, lb, false, &sb), -EINVAL,
		       "a wrong checksum is never coalesced");
		b[40 + 17] ^= 1;
		lb = make_tcp(b, 1, TCP_ACK | TCP_SYN, 0, 10, false);
		is_int(gso_seg_read(b, lb, false, &sb), -EINVAL, "SYN");
		lb = make_tcp(b, 1, TCP_ACK | TCP_FIN, 0, 10, false);
		is_int(gso_seg_read(b, lb, false, &sb), -EINVAL, "FIN");
		lb = make_tcp(b, 1, TCP_ACK, 0, 0, false);
		is_int(gso_seg_read(b, lb, false, &sb), -EINVAL,
		       "a bare ACK (no payload)");
		lb = make_tcp(b, 1, TCP_ACK, 0, 10, false);
		is_int(gso_seg_read(b, lb + 1, false, &sb), -EINVAL,
		       "bytes past the IPv6 payload length");
		b[6] = 17;
		is_int(gso_seg_read(b, lb, false, &sb), -EINVAL, "not TCP");
	}
}

/*
 * A UDP/IPv6 datagram of `len` payload bytes (byte i is i * 5 + from),
 * ports 40000 -> 5201, with a full checksum; returns its length.
 */
static size_t
make_udp(uint8_t *p, size_t from, size_t len)
{
	struct ip6_addr src, dst;

	addrs(&src, &dst);
	memset(p, 0, 48);
	be32_store(p, 0x60000000);
	be16_store(p + 4, (uint16_t)(8 + len));
	p[6] = IP6_NEXT_UDP;
	p[7] = 64;
	memcpy(p + 8, src.bytes, 16);
	memcpy(p + 24, dst.bytes, 16);
	be16_store(p + 40, 40000);
	be16_store(p + 42, 5201);
	be16_store(p + 44, (uint16_t)(8 + len));
	for (size_t i = 0; i < len; i++)
		p[48 + i] = (uint8_t)((from + i) * 5);
	be16_store(p + 46,
		   ip6_upper_csum(&src, &dst, IP6_NEXT_UDP, p + 40, 8 + len));
	return 48 + len;
}

static void
test_udp(void)
{
	static uint8_t d[3][48 + 64], whole[48 + 160], out[48 + 64];
	struct vnet_hdr h;
	struct ip6_addr src, dst;
	struct gso_seg seg[3];
	struct gso_coalesce c;
	struct gso_split s;
	uint8_t head[GSO_HEAD_MAX];
	struct rd rd;
	struct wr wr;
	size_t len[3], n, at;
	int i;

	addrs(&src, &dst);
	len[0] = make_udp(d[0], 0, 64);
	len[1] = make_udp(d[1], 64, 64);
	len[2] = make_udp(d[2], 128, 32);
	ok(gso_seg_read(d[0], len[0], false, &seg[0]) == -EINVAL,
	   "UDP is not coalesced unless asked (no USO)");
	for (i = 0; i < 3; i++)
		is_int(gso_seg_read(d[i], len[i], true, &seg[i]), 0,
		       "datagram %d may be coalesced", i);
	gso_coalesce_start(&c, d[0], &seg[0]);
	ok(gso_coalesce_add(&c, d[1], &seg[1]) == 0 &&
		   gso_coalesce_add(&c, d[2], &seg[2]) == 0 && c.count == 3 &&
		   c.is_closed,
	   "three datagrams of one flow, the last shorter");
	wr_init(&wr, head, sizeof(head));
	is_int(gso_coalesce_write_head(&c, &wr), 0, "write the head");
	rd_init(&rd, head, wr.off);
	ok(vnet_hdr_read(&rd, &h) == 0 && h.flags == VNET_F_NEEDS_CSUM &&
		   h.gso_type == VNET_GSO_UDP_L4 && h.gso_size == 64 &&
		   h.csum_start == 40 && h.csum_offset == 6,
	   "GSO_UDP_L4, NEEDS_CSUM, gso_size 64, checksum at 40 + 6");
	memcpy(whole, head + VNET_HDR_LEN, 48);
	at = 48;
	for (i = 0; i < 3; i++) {
		memcpy(whole + at, d[i] + 48, seg[i].payload_len);
		at += seg[i].payload_len;
	}
	is_int(be16_load(whole + 4), 168, "IPv6 payload length 8 + 160");
	is_int(be16_load(whole + 44), 168, "UDP length 8 + 160");

	/* What the kernel does with it, done by gso_split: the same three. */
	is_int(gso_split_init(&s, &h, whole, at), 0, "split it again");
	ok(s.kind == GSO_SPLIT_UDP6 && s.segments == 3, "into three");
	for (i = 0; i < 3; i++) {
		ok(gso_split_next(&s, out, sizeof(out), &n) == 0, "next %d", i);
		is_mem(out, n, d[i], len[i],
		       "the original datagram, checksum "
		       "and all");
	}
	is_int(gso_split_next(&s, out, sizeof(out), &n), -ENOENT, "done");

	/* What breaks a UDP run. */
	gso_coalesce_start(&c, d[0], &seg[0]);
	d[1][43] ^= 1; /* another destination port */
	is_int(gso_coalesce_add(&c, d[1], &seg[1]), -EINVAL, "another flow");
	d[1][43] ^= 1;
	seg[1].payload_len = 65;
	is_int(gso_coalesce_add(&c, d[1], &seg[1]), -EINVAL, "a longer one");
	d[1][47] ^= 1;
	is_int(gso_seg_read(d[1], len[1], true, &seg[1]), -EINVAL,
	       "a wrong checksum");
	d[1][47] ^= 1;
	d[1][45] ^= 1;
	is_int(gso_seg_read(d[1], len[1], true, &seg[1]), -EINVAL,
	       "a UDP length that is not the IPv6 payload length");
	d[1][45] ^= 1;
	for (i = 1; i < GSO_UDP_SEGS_MAX; i++)
		if (gso_coalesce_add(&c, d[0], &seg[0]) < 0)
			break;
	ok(i == GSO_UDP_SEGS_MAX && c.count == GSO_UDP_SEGS_MAX &&
		   gso_coalesce_add(&c, d[0], &seg[0]) == -EINVAL,
	   "at most 64 datagrams (UDP_MAX_SEGMENTS)");
}

static void
test_udp_rule(void)
{
	ok(gso_udp_can_append(1280, 1, 1280, 1280, 1280), "same size");
	ok(gso_udp_can_append(1280, 1, 1280, 1280, 100), "a shorter last");
	ok(!gso_udp_can_append(1280, 2, 1380, 100, 100),
	   "nothing after a shorter one");
	ok(!gso_udp_can_append(1280, 1, 1280, 1280, 1281), "a longer one");
	ok(!gso_udp_can_append(1280, 1, 1280, 1280, 0), "an empty one");
	ok(!gso_udp_can_append(100, GSO_UDP_SEGS_MAX, 6400, 100, 100),
	   "at most 64 segments");
	ok(!gso_udp_can_append(1280, 51, 51 * 1280, 1280, 1280),
	   "at most 65507 bytes");
}

/* RFC 1071 one 16-bit word at a time: the reference for inet_csum_add. */
static uint16_t
ref_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
test_csum_fast(void)
{
	static uint8_t buf[600];
	uint32_t x = 12345;
	size_t bad = 0, chained_bad = 0;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	memset(buf + 100, 0xff, 200); /* long runs of carries */
	/* Every length, at every alignment, against the reference. */
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n++)
			bad += inet_csum_fold(inet_csum_add(0, buf + off, n)) !=
			       ref_csum(buf + off, n);
	is_int(bad, 0,
	       "inet_csum_add = RFC 1071 word by word, all lengths "
	       "and alignments");
	/* Chained pieces (all but the last of even length). */
	for (size_t cut = 0; cut + 1 < sizeof(buf); cut += 2)
		chained_bad += inet_csum_fold(inet_csum_add(
				       inet_csum_add(0, buf, cut), buf + cut,
				       sizeof(buf) - cut)) !=
			       ref_csum(buf, sizeof(buf));
	is_int(chained_bad, 0, "and chained at every even cut");
}

int
main(void)
{
	test_csum_fast();
	test_vnet_hdr();
	test_split();
	test_split_bad();
	test_csum_only();
	test_coalesce();
	test_udp();
	test_udp_rule();
	return done_testing();
}
