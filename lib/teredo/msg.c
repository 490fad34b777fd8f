/* Teredo RS, RA, bubble and echo builders and checkers. */
#include "teredo/msg.h"

#include <string.h>

#include "teredo/addr.h"
#include "wire/rd.h"
#include "wire/wr.h"

static const struct ip6_addr all_routers = {
	{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};

/* Writes an IPv6 header whose payload length is patched by ip6_end(). */
static size_t
ip6_begin(struct wr *wr, const struct ip6_addr *src, const struct ip6_addr *dst,
	  uint8_t next_header, uint8_t hop_limit)
{
	struct ip6_header h = {
		.next_header = next_header,
		.hop_limit = hop_limit,
		.src = *src,
		.dst = *dst,
	};
	size_t start = wr->off;

	ip6_header_write(wr, &h);
	return start;
}

static int
ip6_end(struct wr *wr, size_t start)
{
	size_t payload = wr->off - start - IP6_HEADER_LEN;

	if (!wr->bad && payload > UINT16_MAX)
		return -EMSGSIZE;
	wr_patch_u16(wr, start + 4, (uint16_t)payload);
	return wr_status(wr);
}

static void
auth_write(struct wr *wr, const uint8_t nonce[static TEREDO_NONCE_LEN])
{
	/* The 13-byte form Windows and Miredo use: no ID, no auth value. */
	wr_u16(wr, 0x0001);
	wr_u8(wr, 0);
	wr_u8(wr, 0);
	wr_bytes(wr, nonce, TEREDO_NONCE_LEN);
	wr_u8(wr, 0); /* confirmation */
}

int
teredo_rs_write(uint8_t *buf, size_t cap,
		const uint8_t nonce[static TEREDO_NONCE_LEN], bool cone,
		size_t *out_len)
{
	struct ip6_addr src;

	teredo_client_link_local(cone, &src);
	return teredo_rs_write_src(buf, cap, nonce, &src, out_len);
}

int
teredo_rs_write_src(uint8_t *buf, size_t cap,
		    const uint8_t nonce[static TEREDO_NONCE_LEN],
		    const struct ip6_addr *src, size_t *out_len)
{
	struct wr wr;
	size_t start;
	int rc;

	wr_init(&wr, buf, cap);
	auth_write(&wr, nonce);
	start = ip6_begin(&wr, src, &all_routers, IP6_NEXT_ICMPV6, 255);
	nd_rs_write(&wr, src, &all_routers);
	if ((rc = ip6_end(&wr, start)) < 0)
		return rc;
	*out_len = wr.off;
	return 0;
}

int
teredo_packet_icmp6(const struct teredo_packet *pkt, struct icmp6_msg *out)
{
	if (pkt->ip6.next_header != IP6_NEXT_ICMPV6)
		return -EBADMSG;
	return icmp6_read(&pkt->ip6.src, &pkt->ip6.dst, pkt->payload,
			  pkt->ip6.payload_len, out);
}

int
teredo_rs_read(const struct teredo_packet *pkt, struct teredo_rs *out)
{
	struct icmp6_msg msg;
	int rc;

	memset(out, 0, sizeof(*out));
	/* RFC 4861 §6.1.1 and RFC 4380 §5.3.1: link-local to ff02::2. */
	if (!ip6_addr_is_link_local(&pkt->ip6.src) ||
	    !ip6_addr_equal(&pkt->ip6.dst, &all_routers) ||
	    pkt->ip6.hop_limit != 255)
		return -EBADMSG;
	if ((rc = teredo_packet_icmp6(pkt, &msg)) < 0)
		return rc;
	if (msg.type != ND_ROUTER_SOLICIT)
		return -EBADMSG;
	out->src = pkt->ip6.src;
	out->cone = (pkt->ip6.src.bytes[8] & 0x80) != 0;
	out->has_auth = pkt->has_auth;
	if (pkt->has_auth)
		out->auth = pkt->auth;
	return 0;
}

int
teredo_ra_write(uint8_t *buf, size_t cap, const struct teredo_ra_params *p,
		size_t *out_len)
{
	struct teredo_addr prefix = {.prefix = TEREDO_PREFIX,
				     .server_ipv4 = p->server_ipv4};
	struct nd_ra ra = {
		.retrans_ms = TEREDO_RA_RETRANS_MS,
		.prefix_count = 1,
		.prefix =
			{
				.prefix_len = 64,
				.flags = ND_PREFIX_FLAG_AUTO,
				.valid_lifetime_s = UINT32_MAX,
				.preferred_lifetime_s = UINT32_MAX,
			},
		.has_mtu = p->with_mtu,
		.mtu = IP6_MIN_MTU,
	};
	struct ip6_addr src;
	struct wr wr;
	size_t start;
	int rc;

	teredo_addr_write(&prefix, &ra.prefix.prefix);
	memset(&ra.prefix.prefix.bytes[8], 0, 8);
	teredo_server_link_local(p->server_ipv4, &src);

	wr_init(&wr, buf, cap);
	/* RFC 4380 §5.1.1: authentication first, then origin indication. */
	if (!p->omit_auth)
		auth_write(&wr, p->nonce);
	wr_u16(&wr, 0x0000);
	wr_u16(&wr, (uint16_t)~p->origin.port);
	wr_u32(&wr, ~p->origin.ipv4);
	start = ip6_begin(&wr, &src, &p->client_ll, IP6_NEXT_ICMPV6, 255);
	nd_ra_write(&wr, &src, &p->client_ll, &ra);
	if ((rc = ip6_end(&wr, start)) < 0)
		return rc;
	*out_len = wr.off;
	return 0;
}

int
teredo_ra_read(const struct teredo_packet *pkt, struct teredo_ra *out)
{
	struct teredo_addr prefix;
	struct icmp6_msg msg;
	int rc;

	memset(out, 0, sizeof(*out));
	/* RFC 4380 §5.2.2: the nonce is how the client matches its RS. */
	if (!pkt->has_auth || !pkt->has_origin)
		return -EBADMSG;
	/* RFC 4861 §6.1.2: link-local source, hop limit 255. */
	if (!ip6_addr_is_link_local(&pkt->ip6.src) ||
	    !ip6_addr_is_link_local(&pkt->ip6.dst) || pkt->ip6.hop_limit != 255)
		return -EBADMSG;
	if ((rc = teredo_packet_icmp6(pkt, &msg)) < 0)
		return rc;
	if (msg.type != ND_ROUTER_ADVERT)
		return -EBADMSG;
	/* RFC 4380 §5.2.1: exactly one Teredo prefix, /64. */
	if (msg.u.ra.prefix_count != 1 || msg.u.ra.prefix.prefix_len != 64)
		return -EBADMSG;
	if (teredo_addr_read(&msg.u.ra.prefix.prefix, &prefix) < 0)
		return -EBADMSG;
	/* RFC 4380 §5.1.2: honour an MTU option only within 1280..65535. */
	if (msg.u.ra.has_mtu &&
	    (msg.u.ra.mtu < IP6_MIN_MTU || msg.u.ra.mtu > TEREDO_MTU_MAX))
		return -EBADMSG;

	memcpy(out->nonce, pkt->auth.nonce, sizeof(out->nonce));
	out->confirmation = pkt->auth.confirmation;
	out->origin = pkt->origin;
	out->router = pkt->ip6.src;
	out->dst = pkt->ip6.dst;
	out->server_ipv4 = prefix.server_ipv4;
	out->prefix = msg.u.ra.prefix;
	out->has_mtu = msg.u.ra.has_mtu;
	out->mtu = msg.u.ra.mtu;
	return 0;
}

int
teredo_bubble_write(uint8_t *buf, size_t cap, const struct ip6_addr *src,
		    const struct ip6_addr *dst, uint8_t hop_limit,
		    const struct teredo_origin *origin,
		    const struct teredo_trailers *trailers, size_t *out_len)
{
	struct teredo_packet pkt = {.ip6_len = IP6_HEADER_LEN};
	uint8_t hdr[IP6_HEADER_LEN];
	struct wr wr;

	wr_init(&wr, hdr, sizeof(hdr));
	(void)ip6_begin(&wr, src, dst, IP6_NEXT_NONE, hop_limit);
	pkt.ip6_packet = hdr;
	if (origin != NULL) {
		pkt.has_origin = true;
		pkt.origin = *origin;
	}
	if (trailers != NULL)
		pkt.trailers = *trailers;
	return teredo_packet_write(&pkt, buf, cap, out_len);
}

bool
teredo_packet_is_bubble(const struct teredo_packet *pkt)
{
	return pkt->ip6.next_header == IP6_NEXT_NONE &&
	       pkt->ip6.payload_len == 0;
}

int
teredo_unreachable_write(uint8_t *buf, size_t cap, const struct ip6_addr *src,
			 uint8_t code, const uint8_t *invoking, size_t len,
			 size_t *out_len)
{
	struct ip6_header h;
	struct rd rd;
	struct wr wr;
	size_t start;
	int rc;

	rd_init(&rd, invoking, len);
	if (ip6_header_read(&rd, &h) < 0)
		return -EINVAL;
	/* RFC 4443 §2.4 (e): never about an error, multicast or :: */
	if (ip6_addr_is_multicast(&h.dst) || ip6_addr_is_multicast(&h.src) ||
	    ip6_addr_is_unspecified(&h.src))
		return -EINVAL;
	if (h.next_header == IP6_NEXT_ICMPV6 && rd_left(&rd) > 0 &&
	    rd_u8(&rd) < 128)
		return -EINVAL;
	wr_init(&wr, buf, cap);
	start = ip6_begin(&wr, src, &h.src, IP6_NEXT_ICMPV6, 255);
	icmp6_error_write(&wr, src, &h.src, ICMP6_DST_UNREACH, code, 0,
			  invoking, len);
	if ((rc = ip6_end(&wr, start)) < 0)
		return rc;
	*out_len = wr.off;
	return 0;
}

int
teredo_echo_write(uint8_t *buf, size_t cap, const struct ip6_addr *src,
		  const struct ip6_addr *dst, uint8_t hop_limit, uint8_t type,
		  const struct icmp6_echo *echo, size_t *out_len)
{
	struct wr wr;
	size_t start;
	int rc;

	if (type != ICMP6_ECHO_REQUEST && type != ICMP6_ECHO_REPLY)
		return -EINVAL;
	wr_init(&wr, buf, cap);
	start = ip6_begin(&wr, src, dst, IP6_NEXT_ICMPV6, hop_limit);
	icmp6_echo_write(&wr, src, dst, type, echo);
	if ((rc = ip6_end(&wr, start)) < 0)
		return rc;
	*out_len = wr.off;
	return 0;
}
