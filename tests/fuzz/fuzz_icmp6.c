/*
 * icmp6_read() on arbitrary messages.  Input: 16 bytes source address,
 * 16 bytes destination address (for the pseudo-header checksum), then the
 * ICMPv6 message.  Echo, RS and RA results are written back with their
 * writers and read again.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/wr.h"

#define ADDRS_LEN 32

static bool
prefix_equal(const struct nd_prefix_info *a, const struct nd_prefix_info *b)
{
	return a->prefix_len == b->prefix_len && a->flags == b->flags &&
	       a->valid_lifetime_s == b->valid_lifetime_s &&
	       a->preferred_lifetime_s == b->preferred_lifetime_s &&
	       ip6_addr_equal(&a->prefix, &b->prefix);
}

static bool
ra_equal(const struct nd_ra *a, const struct nd_ra *b)
{
	return a->cur_hop_limit == b->cur_hop_limit && a->flags == b->flags &&
	       a->router_lifetime_s == b->router_lifetime_s &&
	       a->reachable_ms == b->reachable_ms &&
	       a->retrans_ms == b->retrans_ms &&
	       a->prefix_count == b->prefix_count &&
	       prefix_equal(&a->prefix, &b->prefix) &&
	       a->has_mtu == b->has_mtu && a->mtu == b->mtu;
}

static void
check_echo(const struct ip6_addr *src, const struct ip6_addr *dst,
	   const uint8_t *msg, size_t len, const struct icmp6_msg *m)
{
	const struct icmp6_echo *e = &m->u.echo;
	struct icmp6_msg m2;
	struct wr wr;
	uint8_t *out;
	uint16_t c1, c2;

	FUZZ_CHECK(len >= ICMP6_ECHO_HEADER_LEN);
	FUZZ_CHECK(e->id == be16_load(msg + 4) && e->seq == be16_load(msg + 6));
	FUZZ_CHECK(e->data == msg + ICMP6_ECHO_HEADER_LEN);
	FUZZ_CHECK(e->data_len == len - ICMP6_ECHO_HEADER_LEN);

	out = fuzz_alloc(len);
	wr_init(&wr, out, len);
	icmp6_echo_write(&wr, src, dst, m->type, e);
	FUZZ_CHECK(wr_status(&wr) == 0 && wr.off == len);
	FUZZ_CHECK(icmp6_read(src, dst, out, len, &m2) == 0);
	FUZZ_CHECK(m2.type == m->type && m2.code == 0);
	FUZZ_CHECK(m2.u.echo.id == e->id && m2.u.echo.seq == e->seq);
	FUZZ_CHECK(m2.u.echo.data_len == e->data_len);
	FUZZ_CHECK(fuzz_bytes_equal(m2.u.echo.data, e->data, e->data_len));
	/* The code is written as 0; the rest is the input, checksum aside. */
	FUZZ_CHECK(out[0] == msg[0] && out[1] == 0);
	FUZZ_CHECK(memcmp(out + 4, msg + 4, len - 4) == 0);
	if (m->code == 0) {
		/* 0x0000 and 0xffff both verify when the sum is zero. */
		c1 = be16_load(out + 2);
		c2 = be16_load(msg + 2);
		FUZZ_CHECK(c1 == c2 || (c1 == 0 && c2 == 0xffff) ||
			   (c1 == 0xffff && c2 == 0));
	}
	free(out);
}

static void
check_rs(const struct ip6_addr *src, const struct ip6_addr *dst,
	 const struct icmp6_msg *m, size_t len)
{
	struct icmp6_msg m2;
	uint8_t out[ND_RS_LEN];
	struct wr wr;

	FUZZ_CHECK(m->code == 0 && len >= ND_RS_LEN);
	wr_init(&wr, out, sizeof(out));
	nd_rs_write(&wr, src, dst);
	FUZZ_CHECK(wr_status(&wr) == 0 && wr.off == ND_RS_LEN);
	FUZZ_CHECK(icmp6_read(src, dst, out, wr.off, &m2) == 0);
	FUZZ_CHECK(m2.type == ND_ROUTER_SOLICIT && m2.code == 0);
}

/*
 * nd_ra_write() emits the fixed part, the PIO kept by the parse (the
 * first) when prefix_count > 0, and the MTU kept by the parse (the last)
 * when has_mtu.  So reading its output back gives every field of the first
 * parse, except that prefix_count collapses to 0 or 1.
 */
static void
check_ra(const struct ip6_addr *src, const struct ip6_addr *dst,
	 const uint8_t *msg, size_t len, const struct icmp6_msg *m)
{
	static const struct nd_prefix_info no_prefix;
	const struct nd_ra *ra = &m->u.ra;
	struct icmp6_msg m2;
	struct nd_ra want;
	struct wr wr;
	uint8_t *out;
	size_t out_len;

	FUZZ_CHECK(m->code == 0 && len >= ND_RA_LEN);
	FUZZ_CHECK(ra->cur_hop_limit == msg[4] && ra->flags == msg[5]);
	FUZZ_CHECK(ra->router_lifetime_s == be16_load(msg + 6));
	FUZZ_CHECK(ra->reachable_ms == be32_load(msg + 8));
	FUZZ_CHECK(ra->retrans_ms == be32_load(msg + 12));
	if (ra->prefix_count > 0)
		FUZZ_CHECK(ra->prefix.prefix_len <= 128);
	else
		FUZZ_CHECK(prefix_equal(&ra->prefix, &no_prefix));
	FUZZ_CHECK(ra->has_mtu || ra->mtu == 0);
	/* Every PIO takes 32 bytes, every MTU option 8. */
	FUZZ_CHECK((size_t)ND_RA_LEN +
			   (size_t)ra->prefix_count * ND_OPT_PREFIX_INFO_LEN +
			   (ra->has_mtu ? (size_t)ND_OPT_MTU_LEN : 0) <=
		   len);

	out_len = (size_t)ND_RA_LEN +
		  (ra->prefix_count > 0 ? (size_t)ND_OPT_PREFIX_INFO_LEN : 0) +
		  (ra->has_mtu ? (size_t)ND_OPT_MTU_LEN : 0);
	out = fuzz_alloc(out_len);
	wr_init(&wr, out, out_len);
	nd_ra_write(&wr, src, dst, ra);
	FUZZ_CHECK(wr_status(&wr) == 0 && wr.off == out_len);
	FUZZ_CHECK(icmp6_read(src, dst, out, out_len, &m2) == 0);
	FUZZ_CHECK(m2.type == ND_ROUTER_ADVERT && m2.code == 0);
	want = *ra;
	want.prefix_count = ra->prefix_count > 0 ? 1 : 0;
	FUZZ_CHECK(ra_equal(&want, &m2.u.ra));
	/* With exactly the options written, the fixed part is the input's. */
	FUZZ_CHECK(memcmp(out + 4, msg + 4, ND_RA_LEN - 4) == 0);
	free(out);
}

static void
check_icmp6(const struct ip6_addr *src, const struct ip6_addr *dst,
	    const uint8_t *msg, size_t len)
{
	struct icmp6_msg m;
	int rc;

	rc = icmp6_read(src, dst, msg, len, &m);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE);
	if (rc != 0)
		return;
	FUZZ_CHECK(len >= 4);
	FUZZ_CHECK(ip6_upper_csum(src, dst, IP6_NEXT_ICMPV6, msg, len) == 0);
	FUZZ_CHECK(m.type == msg[0] && m.code == msg[1]);
	FUZZ_CHECK(m.body == msg + 4 && m.body_len == len - 4);

	switch (m.type) {
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		check_echo(src, dst, msg, len, &m);
		break;
	case ND_ROUTER_SOLICIT:
		check_rs(src, dst, &m, len);
		break;
	case ND_ROUTER_ADVERT:
		check_ra(src, dst, msg, len, &m);
		break;
	default:
		/* icmp6.h: other types fill in type, code and body only. */
		FUZZ_CHECK(m.u.ra.prefix_count == 0 && !m.u.ra.has_mtu);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip6_addr src, dst;
	const uint8_t *msg;
	uint8_t *copy;
	size_t len;
	uint16_t csum;

	if (size < ADDRS_LEN)
		return 0;
	memcpy(src.bytes, data, 16);
	memcpy(dst.bytes, data + 16, 16);
	msg = data + ADDRS_LEN;
	len = size - ADDRS_LEN;
	check_icmp6(&src, &dst, msg, len);

	/*
	 * A mutated message has a right checksum once in 65536 tries: fix it
	 * up in a copy so mutations reach the length and option checks.
	 */
	if (len < 4)
		return 0;
	copy = fuzz_dup(msg, len);
	copy[2] = 0;
	copy[3] = 0;
	csum = ip6_upper_csum(&src, &dst, IP6_NEXT_ICMPV6, copy, len);
	copy[2] = (uint8_t)(csum >> 8);
	copy[3] = (uint8_t)csum;
	if (memcmp(copy, msg, len) != 0)
		check_icmp6(&src, &dst, copy, len);
	free(copy);
	return 0;
}
