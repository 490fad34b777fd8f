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
	[TEREDO_SERVER_DROP_RATE_SOURCE] = "rate-limited-source",
	[TEREDO_SERVER_DROP_RATE_DEST] = "rate-limited-destination",
	[TEREDO_SERVER_DROP_NO_BUFFER] = "no-buffer",
	[TEREDO_SERVER_DROP_TRUNCATED] = "truncated",
	[TEREDO_SERVER_DROP_PROBE_PORT] = "to-probe-port",
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

void
teredo_server_count_drop(struct teredo_server *s, size_t len,
			 enum teredo_server_drop reason)
{
	if ((unsigned)reason >= TEREDO_SERVER_DROP_COUNT)
		return;
	s->stats.datagrams_received++;
	s->stats.bytes_received += len;
	s->stats.drops[reason]++;
}

/* SipHash-2-4 (Aumasson, Bernstein) of one 32-bit word. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[static 4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static uint64_t
siphash_u32(const uint8_t key[static TEREDO_SERVER_LIMIT_KEY_LEN],
	    uint32_t word)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull,
			 k1 ^ 0x7465646279746573ull};
	/* The last block: 4 message bytes, little-endian, length 4 on top. */
	uint64_t m = (uint64_t)word | (uint64_t)4 << 56;

	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int
teredo_server_set_limit(struct teredo_server *s,
			const struct teredo_server_limit *l)
{
	if (l->prefix_len < 1 || l->prefix_len > 32 || l->per_s == 0 ||
	    l->burst == 0 || l->per_s > UINT32_MAX / 1000 ||
	    l->burst > UINT32_MAX / 1000)
		return -EINVAL;
	s->limit = *l;
	s->limited = true;
	memset(s->buckets, 0, sizeof(s->buckets));
	return 0;
}

void
teredo_server_set_now(struct teredo_server *s, uint64_t now_ms)
{
	if (now_ms > s->now_ms)
		s->now_ms = now_ms;
}

/*
 * Takes one answer from the bucket of ipv4's prefix; false when it is
 * empty.  The table is bounded: a set-associative array indexed by a keyed
 * hash of the prefix.  A new prefix takes the free way of its set, else
 * the way with the most tokens (refilled to now): a full bucket holds no
 * information, so evicting it forgets nothing, while an emptied one (a
 * prefix being flooded) stays, and a flood of fresh prefixes cannot
 * reset it.
 */
static bool
limit_take(struct teredo_server *s, uint32_t ipv4)
{
	const struct teredo_server_limit *l = &s->limit;
	uint32_t mask = l->prefix_len >= 32 ? UINT32_MAX
					    : ~(UINT32_MAX >> l->prefix_len);
	uint32_t prefix = ipv4 & mask, full = l->burst * 1000;
	struct teredo_server_bucket *set, *b = NULL, *victim = NULL;
	uint32_t best = 0;

	if (!s->limited)
		return true;
	set = s->buckets[siphash_u32(l->key, prefix) %
			 TEREDO_SERVER_LIMIT_SETS];
	for (unsigned w = 0; w < TEREDO_SERVER_LIMIT_WAYS; w++) {
		struct teredo_server_bucket *e = &set[w];
		uint64_t add;

		if (!e->used) {
			if (victim == NULL || victim->used)
				victim = e, best = full;
			continue;
		}
		/* Refill to now: per_s milli-tokens per ms. */
		add = (s->now_ms - e->last_ms) * l->per_s;
		e->tokens = add >= full - e->tokens ? full
						    : e->tokens + (uint32_t)add;
		e->last_ms = s->now_ms;
		if (e->prefix == prefix)
			b = e;
		else if (victim == NULL || (victim->used && e->tokens > best))
			victim = e, best = e->tokens;
	}
	if (b == NULL) {
		if (victim->used)
			s->limit_evictions++;
		b = victim;
		*b = (struct teredo_server_bucket){
			.prefix = prefix,
			.tokens = full,
			.last_ms = s->now_ms,
			.used = true,
		};
	}
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
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
	/* §5.3.2 also MUSTs a global RA destination: rule 3 checked it. */
	if (!limit_take(s, src_ipv4))
		return drop(s, out, TEREDO_SERVER_DROP_RATE_SOURCE);
	/* A fixed size, whatever the RS carried (trailers are not echoed). */
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
 * indication when the client is ours (§5.3.1).  Only the IPv6 packet and
 * the RFC 6081 trailers, re-encoded from their parsed form (SV17: a nonce,
 * alternate addresses, ND option and random port survive): a trailer of
 * unknown type, an invalid one and whatever follows a malformed one are
 * left behind, so the server is no reflector of attacker bytes.
 */
static int
relay_to_teredo(struct teredo_server *s, const struct teredo_packet *pkt,
		uint32_t src_ipv4, uint16_t src_port, uint8_t *out_buf,
		size_t out_cap, struct teredo_server_out *out)
{
	struct teredo_addr dst;
	struct teredo_packet relayed = {
		.has_origin = false,
		.ip6_packet = pkt->ip6_packet,
		.ip6_len = pkt->ip6_len,
		.trailers = pkt->trailers,
	};
	size_t len;
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
	if ((rc = teredo_packet_write(&relayed, out_buf, out_cap, &len)) < 0)
		return rc;
	/* Cannot happen (the parts are bounded), but the cap is the rule. */
	if (len > TEREDO_SERVER_MAX_RELAYED_LEN)
		return drop(s, out, TEREDO_SERVER_DROP_TOO_BIG);
	/* Answers per prefix: the sender's, then the target's (reflection). */
	if (!limit_take(s, src_ipv4))
		return drop(s, out, TEREDO_SERVER_DROP_RATE_SOURCE);
	if (!limit_take(s, dst.mapped_ipv4))
		return drop(s, out, TEREDO_SERVER_DROP_RATE_DEST);
	out->len = len;
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

static int
decide(struct teredo_server *s, unsigned local, const uint8_t *buf, size_t len,
       uint32_t src_ipv4, uint16_t src_port, uint8_t *out_buf, size_t out_cap,
       struct teredo_server_out *out)
{
	static const struct ip6_addr all_routers = {
		{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
	struct teredo_packet pkt;
	struct teredo_addr src;
	bool bubble;

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
		return relay_to_teredo(s, &pkt, src_ipv4, src_port, out_buf,
				       out_cap, out);

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
	if (!limit_take(s, src_ipv4))
		return drop(s, out, TEREDO_SERVER_DROP_RATE_SOURCE);
	/* The IPv6 packet alone: a part of what was received. */
	memcpy(out_buf, pkt.ip6_packet, pkt.ip6_len);
	out->len = pkt.ip6_len;
	out->action = TEREDO_SERVER_NATIVE;
	s->stats.native_forwarded++;
	return 0;
}

int
teredo_server_input(struct teredo_server *s, unsigned local, const uint8_t *buf,
		    size_t len, uint32_t src_ipv4, uint16_t src_port,
		    uint8_t *out_buf, size_t out_cap,
		    struct teredo_server_out *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (local > 1)
		return -EINVAL;
	s->stats.datagrams_received++;
	s->stats.bytes_received += len;
	rc = decide(s, local, buf, len, src_ipv4, src_port, out_buf, out_cap,
		    out);
	if (rc < 0) {
		/* -ENOBUFS: keep "received = answered + dropped" true. */
		s->stats.drops[TEREDO_SERVER_DROP_NO_BUFFER]++;
		out->action = TEREDO_SERVER_NONE;
		return rc;
	}
	if (out->action != TEREDO_SERVER_NONE) {
		s->stats.datagrams_sent++;
		s->stats.bytes_sent += out->len;
	}
	return 0;
}
