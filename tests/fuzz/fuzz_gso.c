/*
 * lib/wire/gso on arbitrary TUN reads.  Input: a 10-byte virtio-net header
 * and the packet after it, as read from a TUN with IFF_VNET_HDR.
 *
 * Every packet the split gives must fit its promises (count, lengths, a
 * TCP or UDP checksum that verifies); the segments of a TCP super-packet
 * whose flags allow it, and the datagrams of a UDP one, must coalesce back
 * into a run whose head, followed by the payloads, is the input's
 * super-packet except for the checksum (and UDP length) field; and the
 * coalescing reader is run on the raw packet too.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "wire/gso.h"
#include "wire/ip6.h"

#define SEGS_MAX 65536 /* gso_size 1 over a 64 KiB payload */

/*
 * One segment of a split: within the MSS, its upper-layer checksum
 * verifies, and its payload is the super-packet's next `offset` bytes on.
 * Returns that payload's length.
 */
static size_t
check_segment(const struct gso_split *s0, const uint8_t *seg, size_t len,
	      uint8_t next_header, size_t offset)
{
	size_t hl = s0->hdr_len;
	struct ip6_addr src, dst;

	FUZZ_CHECK(len >= hl && len - hl <= s0->mss);
	memcpy(src.bytes, seg + 8, 16);
	memcpy(dst.bytes, seg + 24, 16);
	FUZZ_CHECK(ip6_upper_csum(&src, &dst, next_header, seg + 40,
				  len - 40) == 0);
	FUZZ_CHECK(fuzz_bytes_equal(seg + hl, s0->pkt + hl + offset, len - hl));
	return len - hl;
}

/*
 * The super-packet a coalesced run makes again: the run's head (after its
 * virtio-net header), then each segment's payload.  Checks its length is
 * the input's; the caller compares the bytes and frees it.
 */
static uint8_t *
reassemble(const struct gso_split *s0, const struct gso_coalesce *c,
	   uint8_t **seg, const size_t *seg_len, size_t n)
{
	size_t hl = s0->hdr_len, at = hl;
	uint8_t head[GSO_HEAD_MAX];
	uint8_t *whole;
	struct wr wr;

	wr_init(&wr, head, sizeof(head));
	FUZZ_CHECK(gso_coalesce_write_head(c, &wr) == 0);
	FUZZ_CHECK(wr.off == VNET_HDR_LEN + hl);
	whole = fuzz_alloc(s0->len);
	memcpy(whole, head + VNET_HDR_LEN, hl);
	for (size_t i = 0; i < n; i++) {
		memcpy(whole + at, seg[i] + hl, seg_len[i] - hl);
		at += seg_len[i] - hl;
	}
	FUZZ_CHECK(at == s0->len);
	return whole;
}

static void
check_tcp6(const struct gso_split *s0, uint8_t **seg, const size_t *seg_len,
	   size_t n)
{
	const uint8_t *pkt = s0->pkt;
	size_t hl = s0->hdr_len, total = 0;
	uint8_t flags = pkt[40 + 13];
	struct gso_coalesce c;
	uint8_t *whole;

	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(memcmp(seg[i] + 8, pkt + 8, 32) == 0);
		FUZZ_CHECK(be16_load(seg[i] + 4) == seg_len[i] - 40);
		total += check_segment(s0, seg[i], seg_len[i], IP6_NEXT_TCP,
				       total);
	}
	FUZZ_CHECK(total == s0->len - hl);

	/* Coalescing takes ACK or ACK|PSH with a payload. */
	if ((flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH)) || total == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct gso_seg sg;

		FUZZ_CHECK(gso_seg_read(seg[i], seg_len[i], false, &sg) == 0);
		FUZZ_CHECK(sg.hdr_len == hl);
		if (i == 0)
			gso_coalesce_start(&c, seg[i], &sg);
		else
			FUZZ_CHECK(gso_coalesce_add(&c, seg[i], &sg) == 0);
	}
	FUZZ_CHECK(c.count == n && c.payload_len == total);
	whole = reassemble(s0, &c, seg, seg_len, n);
	/* All but the checksum field, which now holds the pseudo-sum. */
	FUZZ_CHECK(memcmp(whole, pkt, 40 + 16) == 0);
	FUZZ_CHECK(memcmp(whole + 40 + 18, pkt + 40 + 18, s0->len - 58) == 0);
	free(whole);
}

/* The datagrams of a UDP super-datagram, and coalesced back. */
static void
check_udp6(const struct gso_split *s0, uint8_t **seg, const size_t *seg_len,
	   size_t n)
{
	const uint8_t *pkt = s0->pkt;
	size_t hl = s0->hdr_len, total = 0;
	struct gso_coalesce c;
	uint8_t *whole;

	FUZZ_CHECK(hl == 48);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(be16_load(seg[i] + 44) == seg_len[i] - 40);
		total += check_segment(s0, seg[i], seg_len[i], IP6_NEXT_UDP,
				       total);
	}
	FUZZ_CHECK(total == s0->len - hl);
	if (total == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct gso_seg sg;

		FUZZ_CHECK(gso_seg_read(seg[i], seg_len[i], true, &sg) == 0);
		if (i == 0)
			gso_coalesce_start(&c, seg[i], &sg);
		else if (gso_coalesce_add(&c, seg[i], &sg) < 0) {
			/* Only the kernel's segment limit stops a run. */
			FUZZ_CHECK(c.count == GSO_UDP_SEGS_MAX);
			return;
		}
	}
	whole = reassemble(s0, &c, seg, seg_len, n);
	/* All but the UDP length and checksum, which are rewritten. */
	FUZZ_CHECK(memcmp(whole, pkt, 44) == 0);
	FUZZ_CHECK(be16_load(whole + 44) == s0->len - 40);
	FUZZ_CHECK(memcmp(whole + 48, pkt + 48, s0->len - 48) == 0);
	free(whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_hdr h;
	struct gso_split s, s0;
	struct gso_seg sg;
	struct rd rd;
	uint8_t *pkt, **seg;
	size_t *seg_len, n = 0, len, cap;
	int rc;

	rd_init(&rd, data, size);
	if (vnet_hdr_read(&rd, &h) < 0)
		return 0;
	len = size - VNET_HDR_LEN;
	pkt = fuzz_dup(data + VNET_HDR_LEN, len);
	if (gso_seg_read(pkt, len, true, &sg) == 0)
		FUZZ_CHECK(sg.hdr_len + sg.payload_len == len &&
			   sg.payload_len > 0);
	rc = gso_split_init(&s, &h, pkt, len);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc < 0) {
		free(pkt);
		return 0;
	}
	s0 = s;
	FUZZ_CHECK(s.segments >= 1 && s.segments <= SEGS_MAX);
	seg = calloc(s.segments, sizeof(*seg));
	seg_len = calloc(s.segments, sizeof(*seg_len));
	FUZZ_CHECK(seg != NULL && seg_len != NULL);
	cap = s.kind == GSO_SPLIT_TCP6 ? s.hdr_len + s.mss : len;
	for (;;) {
		uint8_t *out = fuzz_alloc(cap);
		size_t got;

		rc = gso_split_next(&s, out, cap, &got);
		if (rc != 0) {
			FUZZ_CHECK(rc == -ENOENT);
			free(out);
			break;
		}
		FUZZ_CHECK(n < s0.segments && got <= cap);
		seg[n] = out;
		seg_len[n++] = got;
	}
	FUZZ_CHECK(n == s0.segments);
	if (s0.kind == GSO_SPLIT_TCP6)
		check_tcp6(&s0, seg, seg_len, n);
	else if (s0.kind == GSO_SPLIT_UDP6)
		check_udp6(&s0, seg, seg_len, n);
	else
		FUZZ_CHECK(n == 1 && seg_len[0] == len);
	if (s0.kind == GSO_SPLIT_AS_IS)
		FUZZ_CHECK(memcmp(seg[0], pkt, len) == 0);
	for (size_t i = 0; i < n; i++)
		free(seg[i]);
	free(seg);
	free(seg_len);
	free(pkt);
	return 0;
}
