/*
 * teredo_packet_read() on arbitrary UDP payloads.  A successful parse must
 * describe the input exactly (every pointer inside it, every field equal to
 * its bytes), its canonical re-encoding must parse back to the same packet,
 * and the message checkers (RS, RA, bubble, echo) must accept what their
 * own builders make of what they accepted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/packet.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

static bool
auth_equal(const struct teredo_auth *a, const struct teredo_auth *b)
{
	return a->id_len == b->id_len && a->au_len == b->au_len &&
	       fuzz_bytes_equal(a->client_id, b->client_id, a->id_len) &&
	       fuzz_bytes_equal(a->auth_value, b->auth_value, a->au_len) &&
	       memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	       a->confirmation == b->confirmation;
}

static bool
packet_equal(const struct teredo_packet *a, const struct teredo_packet *b)
{
	if (a->has_auth != b->has_auth ||
	    (a->has_auth && !auth_equal(&a->auth, &b->auth)))
		return false;
	if (a->has_origin != b->has_origin ||
	    (a->has_origin && (a->origin.port != b->origin.port ||
			       a->origin.ipv4 != b->origin.ipv4)))
		return false;
	return fuzz_ip6_header_equal(&a->ip6, &b->ip6) &&
	       a->ip6_len == b->ip6_len &&
	       memcmp(a->ip6_packet, b->ip6_packet, a->ip6_len) == 0 &&
	       fuzz_trailers_equal(&a->trailers, &b->trailers);
}

/* The parse says exactly what the bytes say, and points only into them. */
static void
check_layout(const struct teredo_packet *p, const uint8_t *buf, size_t len)
{
	struct teredo_trailers alone;
	const uint8_t *ip6, *tail;
	size_t off = 0;

	if (p->has_auth) {
		const struct teredo_auth *a = &p->auth;

		off = TEREDO_AUTH_MIN_LEN + (size_t)a->id_len + a->au_len;
		FUZZ_CHECK(off <= len);
		FUZZ_CHECK(buf[0] == 0x00 && buf[1] == 0x01);
		FUZZ_CHECK(a->id_len == buf[2] && a->au_len == buf[3]);
		FUZZ_CHECK(a->client_id == buf + 4);
		FUZZ_CHECK(a->auth_value == buf + 4 + a->id_len);
		FUZZ_CHECK(memcmp(a->nonce, buf + off - 9, 8) == 0);
		FUZZ_CHECK(a->confirmation == buf[off - 1]);
	}
	if (p->has_origin) {
		FUZZ_CHECK(TEREDO_ORIGIN_LEN <= len - off);
		FUZZ_CHECK(buf[off] == 0x00 && buf[off + 1] == 0x00);
		/* RFC 4380 §5.1.1: every bit inverted. */
		FUZZ_CHECK(p->origin.port == fuzz_be16_inv(buf + off + 2));
		FUZZ_CHECK(p->origin.ipv4 == ~be32_load(buf + off + 4));
		off += TEREDO_ORIGIN_LEN;
	}

	ip6 = p->ip6_packet;
	FUZZ_CHECK(ip6 == buf + off);
	FUZZ_CHECK(p->ip6_len == IP6_HEADER_LEN + (size_t)p->ip6.payload_len);
	FUZZ_CHECK(p->ip6_len <= len - off);
	FUZZ_CHECK(p->payload == ip6 + IP6_HEADER_LEN);
	FUZZ_CHECK(ip6[0] >> 4 == 6);
	FUZZ_CHECK(p->ip6.traffic_class == (uint8_t)(be16_load(ip6) >> 4));
	FUZZ_CHECK(p->ip6.flow_label == (be32_load(ip6) & 0xfffff));
	FUZZ_CHECK(p->ip6.payload_len == be16_load(ip6 + 4));
	FUZZ_CHECK(p->ip6.next_header == ip6[6]);
	FUZZ_CHECK(p->ip6.hop_limit == ip6[7]);
	FUZZ_CHECK(memcmp(p->ip6.src.bytes, ip6 + 8, 16) == 0);
	FUZZ_CHECK(memcmp(p->ip6.dst.bytes, ip6 + 24, 16) == 0);

	/* RFC 6081 §4: whatever follows the IPv6 packet is trailers. */
	off += p->ip6_len;
	tail = buf + off;
	fuzz_check_trailers(&p->trailers, len - off);
	FUZZ_CHECK(teredo_trailers_read(tail, len - off, &alone) == 0);
	FUZZ_CHECK(fuzz_trailers_equal(&p->trailers, &alone));
	FUZZ_CHECK(p->trailers.ignored == alone.ignored);
	FUZZ_CHECK(p->trailers.unparsed_len == alone.unparsed_len);
}

static void
check_round_trip(const struct teredo_packet *p, size_t in_len)
{
	struct teredo_packet q, bad;
	uint8_t *out, *again, *tight;
	size_t len, len2, want;

	/* The canonical form drops junk only, so it never outgrows the input. */
	want = (p->has_auth ? TEREDO_AUTH_MIN_LEN + (size_t)p->auth.id_len +
				      p->auth.au_len
			    : 0) +
	       (p->has_origin ? (size_t)TEREDO_ORIGIN_LEN : 0) + p->ip6_len +
	       fuzz_trailers_len(&p->trailers);
	FUZZ_CHECK(want <= in_len);
	out = fuzz_alloc(want);
	FUZZ_CHECK(teredo_packet_write(p, out, want, &len) == 0);
	FUZZ_CHECK(len == want);

	FUZZ_CHECK(teredo_packet_read(out, len, &q) == 0);
	FUZZ_CHECK(packet_equal(p, &q));
	check_layout(&q, out, len);
	FUZZ_CHECK(q.trailers.ignored == 0 && q.trailers.unparsed_len == 0);

	/* Canonical means a fixed point: writing it again changes nothing. */
	again = fuzz_alloc(len);
	FUZZ_CHECK(teredo_packet_write(&q, again, len, &len2) == 0);
	FUZZ_CHECK(len2 == len && memcmp(again, out, len) == 0);

	/* One byte short: -ENOBUFS, and no write past the end (ASan). */
	tight = fuzz_alloc(len - 1);
	FUZZ_CHECK(teredo_packet_write(&q, tight, len - 1, &len2) == -ENOBUFS);

	/* An alternate address list that cannot be encoded is refused. */
	bad = q;
	bad.trailers.alt_count = TEREDO_ALT_ADDR_MAX + 1;
	FUZZ_CHECK(teredo_packet_write(&bad, again, len, &len2) == -EINVAL);
	/* So is an IPv6 packet shorter than its header. */
	bad = q;
	bad.ip6_len = IP6_HEADER_LEN - 1;
	FUZZ_CHECK(teredo_packet_write(&bad, again, len, &len2) == -EINVAL);

	free(tight);
	free(again);
	free(out);
}

/* An RS the server accepts; a client's own RS with its nonce must be too. */
static void
check_rs(const struct teredo_packet *p, const struct teredo_rs *rs)
{
	struct teredo_packet q;
	struct teredo_rs rs2;
	uint8_t buf[61], *tight;
	size_t len;

	FUZZ_CHECK(ip6_addr_equal(&rs->src, &p->ip6.src));
	FUZZ_CHECK(rs->cone == ((p->ip6.src.bytes[8] & 0x80) != 0));
	FUZZ_CHECK(rs->has_auth == p->has_auth);
	if (!rs->has_auth)
		return;
	FUZZ_CHECK(auth_equal(&rs->auth, &p->auth));

	FUZZ_CHECK(teredo_rs_write(buf, sizeof(buf), rs->auth.nonce, rs->cone,
				   &len) == 0);
	FUZZ_CHECK(len == sizeof(buf));
	FUZZ_CHECK(teredo_packet_read(buf, len, &q) == 0);
	FUZZ_CHECK(teredo_rs_read(&q, &rs2) == 0);
	FUZZ_CHECK(rs2.cone == rs->cone && rs2.has_auth);
	FUZZ_CHECK(memcmp(rs2.auth.nonce, rs->auth.nonce, TEREDO_NONCE_LEN) ==
		   0);
	FUZZ_CHECK(rs2.auth.confirmation == 0);

	/* From the parsed source itself (link-local, so the server takes it). */
	FUZZ_CHECK(teredo_rs_write_src(buf, sizeof(buf), rs->auth.nonce,
				       &rs->src, &len) == 0);
	FUZZ_CHECK(len == sizeof(buf));
	FUZZ_CHECK(teredo_packet_read(buf, len, &q) == 0);
	FUZZ_CHECK(teredo_rs_read(&q, &rs2) == 0);
	FUZZ_CHECK(ip6_addr_equal(&rs2.src, &rs->src) && rs2.cone == rs->cone);
	FUZZ_CHECK(memcmp(rs2.auth.nonce, rs->auth.nonce, TEREDO_NONCE_LEN) ==
		   0);

	/* One byte short: -ENOBUFS, and no write past the end (ASan). */
	tight = fuzz_alloc(sizeof(buf) - 1);
	FUZZ_CHECK(teredo_rs_write(tight, sizeof(buf) - 1, rs->auth.nonce,
				   rs->cone, &len) == -ENOBUFS);
	free(tight);
}

/* An RA the client accepts: what a server would answer must pass too. */
static void
check_ra(const struct teredo_packet *p, const struct teredo_ra *ra)
{
	struct teredo_ra_params params;
	struct teredo_packet q;
	struct ip6_addr server_ll;
	struct teredo_ra ra2;
	uint8_t buf[117], *tight;
	size_t len;

	FUZZ_CHECK(p->has_auth && p->has_origin);
	FUZZ_CHECK(memcmp(ra->nonce, p->auth.nonce, TEREDO_NONCE_LEN) == 0);
	FUZZ_CHECK(ra->confirmation == p->auth.confirmation);
	FUZZ_CHECK(ra->origin.port == p->origin.port &&
		   ra->origin.ipv4 == p->origin.ipv4);
	FUZZ_CHECK(ip6_addr_is_link_local(&ra->router));
	FUZZ_CHECK(ip6_addr_is_link_local(&ra->dst));
	FUZZ_CHECK(ra->prefix.prefix_len == 64);
	FUZZ_CHECK(teredo_addr_is_teredo(&ra->prefix.prefix));
	FUZZ_CHECK(ra->server_ipv4 == be32_load(ra->prefix.prefix.bytes + 4));
	FUZZ_CHECK(!ra->has_mtu ||
		   (ra->mtu >= IP6_MIN_MTU && ra->mtu <= TEREDO_MTU_MAX));

	memset(&params, 0, sizeof(params));
	memcpy(params.nonce, ra->nonce, TEREDO_NONCE_LEN);
	params.origin = ra->origin;
	params.server_ipv4 = ra->server_ipv4;
	params.client_ll = ra->dst;
	params.with_mtu = ra->has_mtu;
	FUZZ_CHECK(teredo_ra_write(buf, sizeof(buf), &params, &len) == 0);
	FUZZ_CHECK(len == (ra->has_mtu ? 117u : 109u));
	FUZZ_CHECK(teredo_packet_read(buf, len, &q) == 0);
	FUZZ_CHECK(teredo_ra_read(&q, &ra2) == 0);
	teredo_server_link_local(ra->server_ipv4, &server_ll);
	FUZZ_CHECK(memcmp(ra2.nonce, ra->nonce, TEREDO_NONCE_LEN) == 0);
	FUZZ_CHECK(ra2.confirmation == 0);
	FUZZ_CHECK(ra2.origin.port == ra->origin.port &&
		   ra2.origin.ipv4 == ra->origin.ipv4);
	FUZZ_CHECK(ip6_addr_equal(&ra2.router, &server_ll));
	FUZZ_CHECK(ip6_addr_equal(&ra2.dst, &ra->dst));
	FUZZ_CHECK(ra2.server_ipv4 == ra->server_ipv4);
	FUZZ_CHECK(ra2.prefix.flags == ND_PREFIX_FLAG_AUTO);
	FUZZ_CHECK(ra2.has_mtu == ra->has_mtu);
	FUZZ_CHECK(!ra2.has_mtu || ra2.mtu == IP6_MIN_MTU);

	tight = fuzz_alloc(len - 1);
	FUZZ_CHECK(teredo_ra_write(tight, len - 1, &params, &len) == -ENOBUFS);
	free(tight);
}

/* A bubble rebuilt from its parse parses the same. */
static void
check_bubble(const struct teredo_packet *p, const uint8_t *canon,
	     size_t canon_len)
{
	struct teredo_packet q;
	uint8_t *buf;
	size_t cap, len;

	FUZZ_CHECK(p->ip6_len == IP6_HEADER_LEN);
	cap = (p->has_origin ? (size_t)TEREDO_ORIGIN_LEN : 0) +
	      (size_t)IP6_HEADER_LEN + fuzz_trailers_len(&p->trailers);
	buf = fuzz_alloc(cap);
	FUZZ_CHECK(teredo_bubble_write(buf, cap, &p->ip6.src, &p->ip6.dst,
				       p->ip6.hop_limit,
				       p->has_origin ? &p->origin : NULL,
				       &p->trailers, &len) == 0);
	FUZZ_CHECK(len == cap);
	FUZZ_CHECK(teredo_packet_read(buf, len, &q) == 0);
	FUZZ_CHECK(teredo_packet_is_bubble(&q));
	FUZZ_CHECK(!q.has_auth && q.has_origin == p->has_origin);
	FUZZ_CHECK(!q.has_origin || (q.origin.port == p->origin.port &&
				     q.origin.ipv4 == p->origin.ipv4));
	FUZZ_CHECK(ip6_addr_equal(&q.ip6.src, &p->ip6.src));
	FUZZ_CHECK(ip6_addr_equal(&q.ip6.dst, &p->ip6.dst));
	FUZZ_CHECK(q.ip6.hop_limit == p->ip6.hop_limit);
	FUZZ_CHECK(fuzz_trailers_equal(&q.trailers, &p->trailers));
	/* Without auth, class or flow label it is the canonical form itself. */
	if (!p->has_auth && p->ip6.traffic_class == 0 && p->ip6.flow_label == 0)
		FUZZ_CHECK(len == canon_len && memcmp(buf, canon, len) == 0);
	free(buf);
}

/* An echo rebuilt from its parse is the same message. */
static void
check_echo(const struct teredo_packet *p, const struct icmp6_msg *m)
{
	const struct icmp6_echo *e = &m->u.echo;
	struct icmp6_msg m2;
	struct teredo_packet q;
	uint16_t c1, c2;
	uint8_t *buf;
	size_t len;

	FUZZ_CHECK(e->data == p->payload + ICMP6_ECHO_HEADER_LEN);
	FUZZ_CHECK(e->data_len + ICMP6_ECHO_HEADER_LEN == p->ip6.payload_len);
	buf = fuzz_alloc(p->ip6_len);
	FUZZ_CHECK(teredo_echo_write(buf, p->ip6_len, &p->ip6.src, &p->ip6.dst,
				     p->ip6.hop_limit, m->type, e, &len) == 0);
	FUZZ_CHECK(len == p->ip6_len);
	FUZZ_CHECK(teredo_packet_read(buf, len, &q) == 0);
	FUZZ_CHECK(teredo_packet_icmp6(&q, &m2) == 0);
	FUZZ_CHECK(m2.type == m->type && m2.code == 0);
	FUZZ_CHECK(m2.u.echo.id == e->id && m2.u.echo.seq == e->seq);
	FUZZ_CHECK(m2.u.echo.data_len == e->data_len);
	FUZZ_CHECK(fuzz_bytes_equal(m2.u.echo.data, e->data, e->data_len));
	if (m->code == 0) {
		/*
		 * Byte for byte the input message, but for the checksum:
		 * 0x0000 and 0xffff both verify when the sum is zero.
		 */
		FUZZ_CHECK(memcmp(q.payload, p->payload, 2) == 0);
		c1 = be16_load(q.payload + 2);
		c2 = be16_load(p->payload + 2);
		FUZZ_CHECK(c1 == c2 || (c1 == 0 && c2 == 0xffff) ||
			   (c1 == 0xffff && c2 == 0));
	}
	free(buf);

	/* One byte short: -ENOBUFS, and no write past the end (ASan). */
	buf = fuzz_alloc(p->ip6_len - 1);
	FUZZ_CHECK(teredo_echo_write(buf, p->ip6_len - 1, &p->ip6.src,
				     &p->ip6.dst, p->ip6.hop_limit, m->type, e,
				     &len) == -ENOBUFS);
	/* Only echo types are echoes. */
	FUZZ_CHECK(teredo_echo_write(buf, p->ip6_len - 1, &p->ip6.src,
				     &p->ip6.dst, p->ip6.hop_limit,
				     ND_ROUTER_SOLICIT, e, &len) == -EINVAL);
	free(buf);
}

static void
check_messages(const struct teredo_packet *p, const uint8_t *canon,
	       size_t canon_len)
{
	struct icmp6_msg m;
	struct teredo_rs rs;
	struct teredo_ra ra;
	int icmp_rc, rc;

	icmp_rc = teredo_packet_icmp6(p, &m);
	FUZZ_CHECK(icmp_rc == 0 || icmp_rc == -EBADMSG || icmp_rc == -EMSGSIZE);
	if (icmp_rc == 0) {
		FUZZ_CHECK(p->ip6.next_header == IP6_NEXT_ICMPV6);
		FUZZ_CHECK(m.type == p->payload[0] && m.code == p->payload[1]);
		FUZZ_CHECK(m.body == p->payload + 4);
		FUZZ_CHECK(m.body_len + 4 == p->ip6.payload_len);
		if (m.type == ICMP6_ECHO_REQUEST || m.type == ICMP6_ECHO_REPLY)
			check_echo(p, &m);
	}

	rc = teredo_rs_read(p, &rs);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE);
	if (rc == 0) {
		FUZZ_CHECK(icmp_rc == 0 && m.type == ND_ROUTER_SOLICIT);
		check_rs(p, &rs);
	}

	rc = teredo_ra_read(p, &ra);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE);
	if (rc == 0) {
		FUZZ_CHECK(icmp_rc == 0 && m.type == ND_ROUTER_ADVERT);
		FUZZ_CHECK(m.u.ra.prefix_count == 1);
		check_ra(p, &ra);
	}

	if (teredo_packet_is_bubble(p))
		check_bubble(p, canon, canon_len);
}

/* Returns whether `buf` parsed; `p` is the parse. */
static bool
check_packet(const uint8_t *buf, size_t len, struct teredo_packet *p)
{
	uint8_t *canon;
	size_t canon_len;
	int rc;

	rc = teredo_packet_read(buf, len, p);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE ||
		   rc == -EPROTO);
	if (rc != 0)
		return false;
	check_layout(p, buf, len);
	check_round_trip(p, len);

	canon = fuzz_alloc(len);
	FUZZ_CHECK(teredo_packet_write(p, canon, len, &canon_len) == 0);
	check_messages(p, canon, canon_len);
	free(canon);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct teredo_packet p, p2;
	uint8_t *copy;
	size_t at;
	uint16_t csum;

	if (!check_packet(data, size, &p))
		return 0;

	/*
	 * A mutated ICMPv6 message has a right checksum once in 65536 tries:
	 * fix it up in a copy so mutations reach the RS, RA and echo checks.
	 */
	if (p.ip6.next_header != IP6_NEXT_ICMPV6 || p.ip6.payload_len < 4)
		return 0;
	copy = fuzz_dup(data, size);
	at = (size_t)(p.payload - data);
	copy[at + 2] = 0;
	copy[at + 3] = 0;
	csum = ip6_upper_csum(&p.ip6.src, &p.ip6.dst, IP6_NEXT_ICMPV6,
			      copy + at, p.ip6.payload_len);
	copy[at + 2] = (uint8_t)(csum >> 8);
	copy[at + 3] = (uint8_t)csum;
	if (memcmp(copy, data, size) != 0)
		FUZZ_CHECK(check_packet(copy, size, &p2));
	free(copy);
	return 0;
}
