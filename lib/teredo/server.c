/*
 * Teredo server decisions (RFC 4380 §5.3.1 acceptance rules, §5.3.2 RS
 * handling, RFC 5991 §3.2 cone bit), plus the loop guard of MTFL-SA 0603.
 */
#include "teredo/server.h"

#include <string.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/packet.h"

static const char *const drop_names[TEREDO_SERVER_DROP_COUNT] = {
	[TEREDO_SERVER_DROP_LOOP] = "loop",
	[TEREDO_SERVER_DROP_MALFORMED] = "malformed",
	[TEREDO_SERVER_DROP_NOT_ICMP] = "not-bubble-or-icmpv6",
	[TEREDO_SERVER_DROP_SRC_NOT_GLOBAL] = "source-not-global",
	[TEREDO_SERVER_DROP_BAD_RS] = "invalid-rs",
	[TEREDO_SERVER_DROP_MAPPING] = "mapping-mismatch",
	[TEREDO_SERVER_DROP_NOT_SERVED] = "not-served",
	[TEREDO_SERVER_DROP_DST_SCOPE] = "destination-not-global",
	[TEREDO_SERVER_DROP_DST_IPV4] = "destination-ipv4-not-global",
	[TEREDO_SERVER_DROP_TOO_BIG] = "too-big",
	[TEREDO_SERVER_DROP_NO_NATIVE] = "no-native-ipv6",
	[TEREDO_SERVER_DROP_NATIVE_NOT_ECHO] = "native-not-echo-request",
};

const char *
teredo_server_drop_name(enum teredo_server_drop reason)
{
	return (unsigned)reason < TEREDO_SERVER_DROP_COUNT ? drop_names[reason]
							   : "unknown";
}

int
teredo_server_init(struct teredo_server *s, uint32_t primary,
		   uint32_t secondary)
{
	memset(s, 0, sizeof(*s));
	if (primary == secondary || !teredo_ipv4_is_global(primary, NULL, 0) ||
	    !teredo_ipv4_is_global(secondary, NULL, 0))
		return -EINVAL;
	s->ipv4[0] = primary;
	s->ipv4[1] = secondary;
	return 0;
}

static int
drop(struct teredo_server *s, struct teredo_server_out *out,
     enum teredo_server_drop reason)
{
	s->stats.drops[reason]++;
	out->action = TEREDO_SERVER_NONE;
	return 0;
}

static bool
is_own(const struct teredo_server *s, uint32_t ipv4)
{
	return ipv4 == s->ipv4[0] || ipv4 == s->ipv4[1];
}

/* RFC 4380 §5.3.2: answer an RS with an RA carrying the client's mapping. */
static int
answer_rs(struct teredo_server *s, unsigned local,
	  const struct teredo_packet *pkt, uint32_t src_ipv4, uint16_t src_port,
	  uint8_t *out_buf, size_t out_cap, struct teredo_server_out *out)
{
	struct teredo_ra_params p = {
		.origin = {.port = src_port, .ipv4 = src_ipv4},
		.server_ipv4 = s->ipv4[0],
		.with_mtu = false, /* 109 bytes, as Microsoft servers send */
	};
	struct ip6_addr port_probe;
	struct teredo_rs rs;
	int rc;

	teredo_port_probe_link_local(&port_probe);
	if (teredo_rs_read(pkt, &rs) < 0)
		return drop(s, out, TEREDO_SERVER_DROP_BAD_RS);
	if (rs.has_auth) {
		/* No secure qualification: a client ID we cannot check. */
		if (rs.auth.id_len != 0 || rs.auth.au_len != 0)
			return drop(s, out, TEREDO_SERVER_DROP_BAD_RS);
		memcpy(p.nonce, rs.auth.nonce, sizeof(p.nonce));
	} else {
		p.omit_auth = true;
	}
	p.client_ll = rs.src;
	if ((rc = teredo_ra_write(out_buf, out_cap, &p, &out->len)) < 0)
		return rc;
	/*
	 * RFC 5991 §3.2: servers MUST still honour the cone bit: a C = 1 RS
	 * is answered from the other address, so only a cone NAT lets it in.
	 */
	out->from = rs.cone ? 1 - local : local;
	out->from_port = TEREDO_PORT;
	if (ip6_addr_equal(&rs.src, &port_probe)) {
		out->from_port = TEREDO_PROBE_PORT;
		s->stats.rs_answered_probe++;
	}
	out->dst_ipv4 = src_ipv4;
	out->dst_port = src_port;
	out->action = TEREDO_SERVER_UDP;
	s->stats.rs_answered++;
	if (rs.cone)
		s->stats.rs_answered_cone++;
	return 0;
}

/*
 * Relays to a Teredo destination from the primary address, with an origin
 * indication when the client is ours (§5.3.1), and everything after the
 * IPv6 header's start unchanged, so RFC 6081 trailers survive.
 */
static int
relay_to_teredo(struct teredo_server *s, const struct teredo_packet *pkt,
		const uint8_t *buf, size_t len, uint32_t src_ipv4,
		uint16_t src_port, uint8_t *out_buf, size_t out_cap,
		struct teredo_server_out *out)
{
	struct teredo_addr dst;
	struct teredo_packet relayed = {
		.has_origin = false,
		.ip6_packet = pkt->ip6_packet,
		.ip6_len = len - (size_t)(pkt->ip6_packet - buf),
	};
	int rc;

	if (teredo_addr_read(&pkt->ip6.dst, &dst) < 0)
		return drop(s, out, TEREDO_SERVER_DROP_NOT_SERVED);
	/* §5.3.1: the embedded IPv4 MUST be global unicast. */
	if (!teredo_ipv4_is_global(dst.mapped_ipv4, NULL, 0))
		return drop(s, out, TEREDO_SERVER_DROP_DST_IPV4);
	/* Never send to ourselves: the other half of the loop guard. */
	if (is_own(s, dst.mapped_ipv4))
		return drop(s, out, TEREDO_SERVER_DROP_LOOP);
	if (dst.server_ipv4 == s->ipv4[0]) {
		relayed.has_origin = true;
		relayed.origin.ipv4 = src_ipv4;
		relayed.origin.port = src_port;
	}
	if ((rc = teredo_packet_write(&relayed, out_buf, out_cap, &out->len)) <
	    0)
		return rc;
	out->action = TEREDO_SERVER_UDP;
	out->from = 0;
	out->from_port = TEREDO_PORT;
	out->dst_ipv4 = dst.mapped_ipv4;
	out->dst_port = dst.mapped_port;
	if (teredo_packet_is_bubble(pkt))
		s->stats.bubbles_relayed++;
	else
		s->stats.packets_relayed++;
	return 0;
}

int
teredo_server_input(struct teredo_server *s, unsigned local, const uint8_t *buf,
		    size_t len, uint32_t src_ipv4, uint16_t src_port,
		    uint8_t *out_buf, size_t out_cap,
		    struct teredo_server_out *out)
{
	static const struct ip6_addr all_routers = {
		{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
	struct teredo_packet pkt;
	struct teredo_addr src;
	bool bubble;

	memset(out, 0, sizeof(*out));
	if (local > 1)
		return -EINVAL;
	/* MTFL-SA 0603: our own datagrams must never come back in. */
	if (is_own(s, src_ipv4) && src_port == TEREDO_PORT)
		return drop(s, out, TEREDO_SERVER_DROP_LOOP);
	/* §5.3.1 rule 1: well-formed Teredo. */
	if (teredo_packet_read(buf, len, &pkt) < 0)
		return drop(s, out, TEREDO_SERVER_DROP_MALFORMED);
	/* Rule 2: a server (not a relay) handles bubbles and ICMPv6 only. */
	bubble = teredo_packet_is_bubble(&pkt);
	if (!bubble && pkt.ip6.next_header != IP6_NEXT_ICMPV6)
		return drop(s, out, TEREDO_SERVER_DROP_NOT_ICMP);
	/* Rule 3: the IPv4 source MUST be global unicast. */
	if (!teredo_ipv4_is_global(src_ipv4, NULL, 0))
		return drop(s, out, TEREDO_SERVER_DROP_SRC_NOT_GLOBAL);
	/* Rule 4: link-local source to ff02::2 is a router solicitation. */
	if (ip6_addr_is_link_local(&pkt.ip6.src) &&
	    ip6_addr_equal(&pkt.ip6.dst, &all_routers))
		return answer_rs(s, local, &pkt, src_ipv4, src_port, out_buf,
				 out_cap, out);

	/* A non-global destination MUST NOT be forwarded. */
	if (ip6_addr_is_link_local(&pkt.ip6.dst) ||
	    ip6_addr_is_multicast(&pkt.ip6.dst) ||
	    ip6_addr_is_unspecified(&pkt.ip6.dst))
		return drop(s, out, TEREDO_SERVER_DROP_DST_SCOPE);
	/*
	 * A link-local source only in a relay's bubble (RFC 4380 §5.4.1:
	 * relays have no Teredo address; Miredo's come from fe80::); rule 6
	 * below then limits it to our own clients.
	 */
	if (ip6_addr_is_link_local(&pkt.ip6.src) && !bubble)
		return drop(s, out, TEREDO_SERVER_DROP_DST_SCOPE);
	if (!bubble && pkt.ip6.payload_len > TEREDO_SERVER_MAX_RELAYED_PAYLOAD)
		return drop(s, out, TEREDO_SERVER_DROP_TOO_BIG);

	if (teredo_addr_read(&pkt.ip6.src, &src) == 0) {
		/* Rule 5: a Teredo source must match the outer source. */
		if (src.mapped_ipv4 != src_ipv4 || src.mapped_port != src_port)
			return drop(s, out, TEREDO_SERVER_DROP_MAPPING);
	} else {
		/* Rule 6: a native source may only reach our own clients. */
		struct teredo_addr dst;

		if (teredo_addr_read(&pkt.ip6.dst, &dst) < 0 ||
		    dst.server_ipv4 != s->ipv4[0])
			return drop(s, out, TEREDO_SERVER_DROP_NOT_SERVED);
	}

	if (teredo_addr_is_teredo(&pkt.ip6.dst))
		return relay_to_teredo(s, &pkt, buf, len, src_ipv4, src_port,
				       out_buf, out_cap, out);

	/*
	 * §5.3.1: a non-Teredo destination goes out over native IPv6.  Only
	 * the echo requests of the direct connectivity test (§5.2.9), as
	 * Miredo: a server is no relay, and this keeps it from being used
	 * to launder any other traffic into the IPv6 Internet.  Rule 5
	 * above made sure the Teredo source is the sender's own.
	 */
	if (!s->native_forwarding)
		return drop(s, out, TEREDO_SERVER_DROP_NO_NATIVE);
	if (pkt.ip6.next_header != IP6_NEXT_ICMPV6 || pkt.ip6.payload_len < 1 ||
	    pkt.ip6_packet[IP6_HEADER_LEN] != ICMP6_ECHO_REQUEST ||
	    (pkt.ip6.dst.bytes[0] & 0xe0) != 0x20)
		return drop(s, out, TEREDO_SERVER_DROP_NATIVE_NOT_ECHO);
	if (pkt.ip6_len > out_cap)
		return -ENOBUFS;
	memcpy(out_buf, pkt.ip6_packet, pkt.ip6_len);
	out->len = pkt.ip6_len;
	out->action = TEREDO_SERVER_NATIVE;
	s->stats.native_forwarded++;
	return 0;
}
