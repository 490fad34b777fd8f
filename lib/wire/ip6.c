/* IPv6 header codec, address predicates and the Internet checksum. */
#include "wire/ip6.h"

#include <stdio.h>
#include <string.h>

bool
ip6_addr_equal(const struct ip6_addr *a, const struct ip6_addr *b)
{
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

bool
ip6_addr_is_link_local(const struct ip6_addr *a)
{
	return a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

bool
ip6_addr_is_multicast(const struct ip6_addr *a)
{
	return a->bytes[0] == 0xff;
}

bool
ip6_addr_is_unspecified(const struct ip6_addr *a)
{
	static const struct ip6_addr zero;

	return ip6_addr_equal(a, &zero);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A small locale-free parser (no inet_pton: lib/ stays free of libc network
 * calls and of locale).  Accepts hex groups with one "::"; no embedded IPv4.
 */
int
ip6_addr_parse(const char *text, struct ip6_addr *out)
{
	uint16_t groups[8];
	int ngroups = 0, gap = -1;
	const char *p = text;

	if (p[0] == ':') {
		if (p[1] != ':')
			return -EINVAL;
		gap = 0;
		p += 2;
	}
	while (*p != '\0') {
		unsigned v = 0;
		int digits = 0, d;

		while ((d = hex_digit(*p)) >= 0) {
			if (++digits > 4)
				return -EINVAL;
			v = v << 4 | (unsigned)d;
			p++;
		}
		if (digits == 0 || ngroups == 8)
			return -EINVAL;
		groups[ngroups++] = (uint16_t)v;
		if (*p == '\0')
			break;
		if (*p != ':')
			return -EINVAL;
		p++;
		if (*p == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = ngroups;
			p++;
		} else if (*p == '\0') {
			return -EINVAL;
		}
	}
	if (gap < 0 ? ngroups != 8 : ngroups > 7)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < ngroups; i++) {
		int pos = (gap >= 0 && i >= gap) ? i + (8 - ngroups) : i;

		out->bytes[2 * pos] = (uint8_t)(groups[i] >> 8);
		out->bytes[2 * pos + 1] = (uint8_t)groups[i];
	}
	return 0;
}

void
ip6_addr_format(const struct ip6_addr *a, char out[static IP6_ADDR_TEXT_LEN])
{
	unsigned g[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a->bytes[2 * i] << 8 | a->bytes[2 * i + 1];
	/* RFC 5952 §4.2: compress the longest run (>= 2) of zero groups. */
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = (j == i) ? i + 1 : j;
	}
	out[0] = '\0';
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)snprintf(out + n, 46 - n, "::");
			i += best_len - 1;
			continue;
		}
		n += (size_t)snprintf(
			out + n, 46 - n, "%s%x",
			(i > 0 && i != best + best_len) ? ":" : "", g[i]);
	}
}

int
ip6_header_read(struct rd *rd, struct ip6_header *out)
{
	uint32_t word;

	if (rd_left(rd) < IP6_HEADER_LEN)
		return -EMSGSIZE;
	word = rd_u32(rd);
	if (word >> 28 != 6)
		return -EBADMSG;
	out->traffic_class = (uint8_t)(word >> 20);
	out->flow_label = word & 0xfffff;
	out->payload_len = rd_u16(rd);
	out->next_header = rd_u8(rd);
	out->hop_limit = rd_u8(rd);
	rd_copy(rd, out->src.bytes, 16);
	rd_copy(rd, out->dst.bytes, 16);
	return rd->bad ? -EMSGSIZE : 0;
}

void
ip6_header_write(struct wr *wr, const struct ip6_header *h)
{
	wr_u32(wr, 6u << 28 | (uint32_t)h->traffic_class << 20 |
			   (h->flow_label & 0xfffff));
	wr_u16(wr, h->payload_len);
	wr_u8(wr, h->next_header);
	wr_u8(wr, h->hop_limit);
	wr_bytes(wr, h->src.bytes, 16);
	wr_bytes(wr, h->dst.bytes, 16);
}

uint32_t
inet_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	size_t i = 0;

	/*
	 * The bulk in host-order 64-bit loads (memcpy: no alignment assumed):
	 * the one's-complement sum does not depend on byte order, its two
	 * bytes just come out swapped (RFC 1071 §2(B)), and 2^16 = 1 modulo
	 * 0xffff, so 32-bit halves add like their 16-bit words.  Two
	 * accumulators let the additions overlap: the data path checksums
	 * every segment it splits or coalesces.
	 */
	if (len >= 16) {
		uint64_t a = 0, b = 0, x, y;
		size_t n = len & ~(size_t)15;

		for (; i < n; i += 16) {
			memcpy(&x, p + i, 8);
			memcpy(&y, p + i + 8, 8);
			a += (x & 0xffffffff) + (x >> 32);
			b += (y & 0xffffffff) + (y >> 32);
		}
		a += b;
		while (a >> 16)
			a = (a & 0xffff) + (a >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		a = (a & 0xff) << 8 | a >> 8;
#endif
		acc += a;
	}
	for (; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t
inet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
ip6_upper_csum(const struct ip6_addr *src, const struct ip6_addr *dst,
	       uint8_t next_header, const void *payload, size_t len)
{
	uint32_t sum = 0;
	uint8_t tail[8] = {
		(uint8_t)(len >> 24),
		(uint8_t)(len >> 16),
		(uint8_t)(len >> 8),
		(uint8_t)len,
		0,
		0,
		0,
		next_header,
	};

	sum = inet_csum_add(sum, src->bytes, 16);
	sum = inet_csum_add(sum, dst->bytes, 16);
	sum = inet_csum_add(sum, tail, sizeof(tail));
	sum = inet_csum_add(sum, payload, len);
	return inet_csum_fold(sum);
}
