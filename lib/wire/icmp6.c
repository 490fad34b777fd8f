/* ICMPv6 echo and Neighbor Discovery RS/RA codec (RFC 4443, RFC 4861). */
#include "wire/icmp6.h"

#include <string.h>

#include "wire/rd.h"

/* RFC 4861 §4.6.2: Prefix Information, 32 bytes after type and length. */
static int
nd_prefix_read(struct rd *opt, struct nd_prefix_info *out)
{
	out->prefix_len = rd_u8(opt);
	out->flags = rd_u8(opt);
	out->valid_lifetime_s = rd_u32(opt);
	out->preferred_lifetime_s = rd_u32(opt);
	rd_skip(opt, 4); /* reserved2 */
	rd_copy(opt, out->prefix.bytes, 16);
	if (opt->bad)
		return -EBADMSG;
	/* RFC 4861 §4.6.2: prefix length ranges from 0 to 128. */
	return out->prefix_len <= 128 ? 0 : -EBADMSG;
}

static int
nd_options_read(struct rd *rd, struct nd_ra *ra)
{
	while (rd_left(rd) > 0) {
		uint8_t type = rd_u8(rd), units = rd_u8(rd);
		struct rd opt;

		/* RFC 4861 §4.6: length 0 is invalid; silently discard. */
		if (rd->bad || units == 0)
			return -EBADMSG;
		rd_sub(rd, (size_t)units * 8 - 2, &opt);
		if (opt.bad)
			return -EBADMSG;
		if (ra == NULL)
			continue;
		if (type == ND_OPT_PREFIX_INFO) {
			struct nd_prefix_info pi;
			int rc;

			if (units != 4)
				return -EBADMSG;
			if ((rc = nd_prefix_read(&opt, &pi)) < 0)
				return rc;
			if (ra->prefix_count++ == 0)
				ra->prefix = pi;
		} else if (type == ND_OPT_MTU) {
			if (units != 1)
				return -EBADMSG;
			rd_skip(&opt, 2); /* reserved */
			ra->has_mtu = true;
			ra->mtu = rd_u32(&opt);
		}
		/* RFC 4861 §4.6: unknown options are skipped. */
	}
	return 0;
}

int
icmp6_read(const struct ip6_addr *src, const struct ip6_addr *dst,
	   const uint8_t *msg, size_t len, struct icmp6_msg *out)
{
	struct rd rd;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return -EMSGSIZE;
	/* RFC 4443 §2.3: the checksum covers the pseudo-header. */
	if (ip6_upper_csum(src, dst, IP6_NEXT_ICMPV6, msg, len) != 0)
		return -EBADMSG;

	rd_init(&rd, msg, len);
	out->type = rd_u8(&rd);
	out->code = rd_u8(&rd);
	rd_skip(&rd, 2);
	out->body = msg + 4;
	out->body_len = len - 4;

	switch (out->type) {
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		if (len < ICMP6_ECHO_HEADER_LEN)
			return -EMSGSIZE;
		out->u.echo.id = rd_u16(&rd);
		out->u.echo.seq = rd_u16(&rd);
		out->u.echo.data = msg + ICMP6_ECHO_HEADER_LEN;
		out->u.echo.data_len = len - ICMP6_ECHO_HEADER_LEN;
		return 0;
	case ND_ROUTER_SOLICIT:
		/* RFC 4861 §6.1.1: code 0, at least 8 bytes, sane options. */
		if (len < ND_RS_LEN)
			return -EMSGSIZE;
		if (out->code != 0)
			return -EBADMSG;
		rd_skip(&rd, 4);
		return nd_options_read(&rd, NULL);
	case ND_ROUTER_ADVERT:
		/* RFC 4861 §6.1.2: code 0, at least 16 bytes, sane options. */
		if (len < ND_RA_LEN)
			return -EMSGSIZE;
		if (out->code != 0)
			return -EBADMSG;
		out->u.ra.cur_hop_limit = rd_u8(&rd);
		out->u.ra.flags = rd_u8(&rd);
		out->u.ra.router_lifetime_s = rd_u16(&rd);
		out->u.ra.reachable_ms = rd_u32(&rd);
		out->u.ra.retrans_ms = rd_u32(&rd);
		return nd_options_read(&rd, &out->u.ra);
	default:
		return 0;
	}
}

/* Fills in the checksum of the message written from `start` to the end. */
static void
icmp6_finish(struct wr *wr, size_t start, const struct ip6_addr *src,
	     const struct ip6_addr *dst)
{
	if (wr->bad)
		return;
	wr_patch_u16(wr, start + 2,
		     ip6_upper_csum(src, dst, IP6_NEXT_ICMPV6, wr->buf + start,
				    wr->off - start));
}

void
icmp6_echo_write(struct wr *wr, const struct ip6_addr *src,
		 const struct ip6_addr *dst, uint8_t type,
		 const struct icmp6_echo *echo)
{
	size_t start = wr->off;

	wr_u8(wr, type);
	wr_u8(wr, 0);
	wr_u16(wr, 0);
	wr_u16(wr, echo->id);
	wr_u16(wr, echo->seq);
	wr_bytes(wr, echo->data, echo->data_len);
	icmp6_finish(wr, start, src, dst);
}

void
icmp6_error_write(struct wr *wr, const struct ip6_addr *src,
		  const struct ip6_addr *dst, uint8_t type, uint8_t code,
		  uint32_t param, const uint8_t *invoking, size_t len)
{
	size_t start = wr->off;
	size_t room = IP6_MIN_MTU - IP6_HEADER_LEN - 8;

	wr_u8(wr, type);
	wr_u8(wr, code);
	wr_u16(wr, 0);
	wr_u32(wr, param);
	wr_bytes(wr, invoking, len < room ? len : room);
	icmp6_finish(wr, start, src, dst);
}

void
nd_rs_write(struct wr *wr, const struct ip6_addr *src,
	    const struct ip6_addr *dst)
{
	size_t start = wr->off;

	wr_u8(wr, ND_ROUTER_SOLICIT);
	wr_u8(wr, 0);
	wr_u16(wr, 0);
	wr_u32(wr, 0);
	icmp6_finish(wr, start, src, dst);
}

void
nd_ra_write(struct wr *wr, const struct ip6_addr *src,
	    const struct ip6_addr *dst, const struct nd_ra *ra)
{
	size_t start = wr->off;

	wr_u8(wr, ND_ROUTER_ADVERT);
	wr_u8(wr, 0);
	wr_u16(wr, 0);
	wr_u8(wr, ra->cur_hop_limit);
	wr_u8(wr, ra->flags);
	wr_u16(wr, ra->router_lifetime_s);
	wr_u32(wr, ra->reachable_ms);
	wr_u32(wr, ra->retrans_ms);
	if (ra->prefix_count > 0) {
		wr_u8(wr, ND_OPT_PREFIX_INFO);
		wr_u8(wr, ND_OPT_PREFIX_INFO_LEN / 8);
		wr_u8(wr, ra->prefix.prefix_len);
		wr_u8(wr, ra->prefix.flags);
		wr_u32(wr, ra->prefix.valid_lifetime_s);
		wr_u32(wr, ra->prefix.preferred_lifetime_s);
		wr_u32(wr, 0);
		wr_bytes(wr, ra->prefix.prefix.bytes, 16);
	}
	if (ra->has_mtu) {
		wr_u8(wr, ND_OPT_MTU);
		wr_u8(wr, ND_OPT_MTU_LEN / 8);
		wr_u16(wr, 0);
		wr_u32(wr, ra->mtu);
	}
	icmp6_finish(wr, start, src, dst);
}
