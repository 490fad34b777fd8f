/*
 * lib/teredo/msg: RS, RA, bubbles and echo as Teredo uses them.  The RS and
 * RA byte vectors are teredo-spec.md §2.7 and §2.8 (the RS checksum 7d38 is
 * the one in Microsoft's NetDebug script; the RA is Microsoft-style, 109
 * bytes).  Q/SV numbers are the checklist items of teredo-spec.md §7.
 */
#include "tap.h"
#include "teredo/addr.h"
#include "teredo/msg.h"

static const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};

#define RS_VECTOR                                                \
	"0001 0000 0102030405060708 00"                          \
	"60000000 0008 3aff fe800000 00000000 0000ffff fffffffe" \
	"ff020000 00000000 00000000 00000002"                    \
	"8500 7d38 00000000"

#define RA_VECTOR                                                \
	"0001 0000 0102030405060708 00"                          \
	"0000 63bf 3ffffdd2"                                     \
	"60000000 0030 3aff fe800000 00000000 8000f227 34ff8e87" \
	"fe800000 00000000 0000ffff fffffffe"                    \
	"8600 9f56 0000 0000 00000000 000007d0"                  \
	"0304 4040 ffffffff ffffffff 00000000"                   \
	"20010000 cb007178 00000000 00000000"

static uint8_t buf[2048], want[2048];

static struct teredo_ra_params
ra_params(bool with_mtu)
{
	struct teredo_ra_params p = {
		.origin = {.port = 40000, .ipv4 = 0xc000022d},
		.server_ipv4 = 0xcb007178,
		.with_mtu = with_mtu,
	};

	memcpy(p.nonce, nonce, sizeof(nonce));
	teredo_client_link_local(false, &p.client_ll);
	return p;
}

static void
test_rs(void)
{
	struct teredo_packet pkt;
	struct teredo_rs rs;
	size_t len = 0, n = unhex(RS_VECTOR, want, sizeof(want));

	ok(teredo_rs_write(buf, sizeof(buf), nonce, false, &len) == 0,
	   "write RS");
	is_mem(buf, len, want, n,
	       "Q2: RS is the 61-byte vector, checksum 7d38");
	ok(teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == 0,
	   "SV5: the server accepts it");
	ok(!rs.cone && rs.has_auth && memcmp(rs.auth.nonce, nonce, 8) == 0,
	   "non-cone, nonce carried");

	ok(teredo_rs_write(buf, sizeof(buf), nonce, true, &len) == 0,
	   "cone RS");
	ok(buf[13 + 40 + 2] == 0xfd && buf[13 + 40 + 3] == 0x37,
	   "cone RS checksum fd37 (NetDebug)");
	ok(teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == 0 && rs.cone,
	   "SV12: the server sees the cone bit");

	is_int(teredo_rs_write(buf, 60, nonce, false, &len), -ENOBUFS,
	       "RS into 60 bytes: -ENOBUFS");

	/* Mutations the server must refuse. */
	n = unhex(RS_VECTOR, buf, sizeof(buf));
	buf[13 + 7] = 64; /* hop limit */
	ok(teredo_packet_read(buf, n, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == -EBADMSG,
	   "RS with hop limit 64 refused");
	n = unhex(RS_VECTOR, buf, sizeof(buf));
	buf[13 + 8] = 0x20; /* source 2080:: */
	ok(teredo_packet_read(buf, n, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == -EBADMSG,
	   "RS from a global source refused");
	n = unhex(RS_VECTOR, buf, sizeof(buf));
	buf[13 + 39] = 0x01; /* dst ff02::1 */
	ok(teredo_packet_read(buf, n, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == -EBADMSG,
	   "RS to ff02::1 refused");
	n = unhex(RS_VECTOR, buf, sizeof(buf));
	buf[n - 5] ^= 1; /* checksum */
	ok(teredo_packet_read(buf, n, &pkt) == 0 &&
		   teredo_rs_read(&pkt, &rs) == -EBADMSG,
	   "RS with a bad checksum refused");
}

static bool
ra_parses(const uint8_t *p, size_t n, struct teredo_ra *ra)
{
	struct teredo_packet pkt;

	return teredo_packet_read(p, n, &pkt) == 0 &&
	       teredo_ra_read(&pkt, ra) == 0;
}

/* Re-computes the ICMPv6 checksum of an RA edited in `buf`. */
static void
ra_fix_checksum(uint8_t *p, size_t n)
{
	struct ip6_addr src, dst;
	size_t icmp = 21 + 40;
	uint16_t sum;

	memcpy(src.bytes, p + 21 + 8, 16);
	memcpy(dst.bytes, p + 21 + 24, 16);
	p[icmp + 2] = p[icmp + 3] = 0;
	sum = ip6_upper_csum(&src, &dst, 58, p + icmp, n - icmp);
	p[icmp + 2] = (uint8_t)(sum >> 8);
	p[icmp + 3] = (uint8_t)sum;
}

static void
test_ra(void)
{
	struct teredo_ra_params p = ra_params(false);
	struct teredo_ra ra;
	size_t len = 0, n = unhex(RA_VECTOR, want, sizeof(want));
	char text[46];

	ok(teredo_ra_write(buf, sizeof(buf), &p, &len) == 0, "write RA");
	is_mem(buf, len, want, n, "SV11/W4: RA is the 109-byte vector");
	ok(ra_parses(want, n, &ra), "a 109-byte RA without MTU option parses");
	ok(memcmp(ra.nonce, nonce, 8) == 0 && ra.confirmation == 0,
	   "nonce and confirmation");
	ok(ra.origin.port == 40000 && ra.origin.ipv4 == 0xc000022d,
	   "Q6: mapping 192.0.2.45:40000 from the origin indication");
	ok(ra.server_ipv4 == 0xcb007178 && ra.prefix.prefix_len == 64 &&
		   !ra.has_mtu,
	   "prefix 2001:0:cb00:7178::/64, no MTU");
	ip6_addr_format(&ra.router, text);
	ok(strcmp(text, "fe80::8000:f227:34ff:8e87") == 0,
	   "router is fe80::8000:f227:~server (%s)", text);

	p = ra_params(true);
	ok(teredo_ra_write(buf, sizeof(buf), &p, &len) == 0 && len == 117,
	   "Miredo-style RA with the MTU option is 117 bytes");
	ok(ra_parses(buf, len, &ra) && ra.has_mtu && ra.mtu == 1280,
	   "W15: MTU 1280 read");
	buf[len - 3] = 0x03; /* MTU 1280 -> 1000 (0x03e8) */
	buf[len - 1] = 0xe8;
	ra_fix_checksum(buf, len);
	ok(!ra_parses(buf, len, &ra), "W15: an MTU option of 1000 -> refused");
}

/* Q5: one mutation per clause; each mutated RA is refused. */
static void
test_ra_mutations(void)
{
	struct teredo_ra ra;
	size_t n;

	/* No auth header: drop the first 13 bytes. */
	n = unhex(RA_VECTOR, buf, sizeof(buf));
	ok(!ra_parses(buf + 13, n - 13, &ra), "Q5/S1: RA without auth refused");
	/* No origin: move the auth header over it. */
	n = unhex(RA_VECTOR, buf, sizeof(buf));
	memmove(buf + 8, buf, 13);
	ok(!ra_parses(buf + 8, n - 8, &ra), "Q5: RA without origin refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[21 + 7] = 64;
	ok(!ra_parses(buf, n, &ra), "RA with hop limit 64 refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[21 + 8] = 0x20;
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "RA from a global source refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[21 + 24] = 0xff;
	buf[21 + 25] = 0x02;
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra),
	   "Q5: RA to a multicast destination refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[n - 30] = 48; /* prefix length */
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "Q5: PIO length 48 refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[n - 15] = 0xdb; /* prefix 20db:0:... */
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "Q5: a non-Teredo prefix refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	memcpy(buf + n, buf + n - 32, 32); /* a second PIO */
	n += 32;
	buf[21 + 5] = 0x50;
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "Q5: two PIOs refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	n -= 32; /* no PIO */
	buf[21 + 5] = 0x10;
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "Q5: no PIO refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[n - 31] = 0; /* option length 0 */
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "an ND option of length 0 refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[n - 1] ^= 0x40;
	ok(!ra_parses(buf, n, &ra), "a bad ICMPv6 checksum refused");

	n = unhex(RA_VECTOR, buf, sizeof(buf));
	buf[21 + 40 + 1] = 1; /* code 1 */
	ra_fix_checksum(buf, n);
	ok(!ra_parses(buf, n, &ra), "RA with code 1 refused");
}

static void
test_bubbles_and_echo(void)
{
	struct ip6_addr a, b, all_nodes;
	struct teredo_origin origin = {.port = 40000, .ipv4 = 0xc000022d};
	struct icmp6_echo echo = {.id = 0x1234,
				  .seq = 7,
				  .data = (const uint8_t *)"nonce-64",
				  .data_len = 8};
	struct teredo_packet pkt;
	struct icmp6_msg msg;
	size_t len = 0;

	if (ip6_addr_parse("2001:0:cb00:7178:1034:63bf:3fff:fdd2", &a) < 0 ||
	    ip6_addr_parse("2001:0:c633:6476:0:dfff:3fff:fdf5", &b) < 0 ||
	    ip6_addr_parse("ff02::1", &all_nodes) < 0)
		abort();

	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 255, &origin, NULL,
			       &len) == 0 &&
		   len == 48,
	   "relayed bubble: origin + 40 bytes");
	ok(teredo_packet_read(buf, len, &pkt) == 0 && pkt.has_origin &&
		   teredo_packet_is_bubble(&pkt) && pkt.ip6.hop_limit == 255 &&
		   ip6_addr_equal(&pkt.ip6.src, &a),
	   "W16: it parses as a bubble");

	ok(teredo_bubble_write(buf, sizeof(buf), &a, &all_nodes,
			       TEREDO_DISCOVERY_HOP_LIMIT, NULL, NULL,
			       &len) == 0,
	   "D2: discovery bubble");
	ok(teredo_packet_read(buf, len, &pkt) == 0 && pkt.ip6.hop_limit == 1 &&
		   ip6_addr_is_multicast(&pkt.ip6.dst) &&
		   pkt.ip6.next_header == IP6_NEXT_NONE,
	   "D2: hop limit 1, ff02::1, next header 59");

	ok(teredo_echo_write(buf, sizeof(buf), &a, &b, 64, ICMP6_ECHO_REQUEST,
			     &echo, &len) == 0 &&
		   len == 56,
	   "echo request with an 8-byte nonce");
	ok(teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_packet_icmp6(&pkt, &msg) == 0 &&
		   msg.type == ICMP6_ECHO_REQUEST && msg.u.echo.id == 0x1234 &&
		   msg.u.echo.seq == 7 && msg.u.echo.data_len == 8 &&
		   memcmp(msg.u.echo.data, "nonce-64", 8) == 0,
	   "echo request round trip");
	ok(teredo_echo_write(buf, sizeof(buf), &b, &a, 64, ICMP6_ECHO_REPLY,
			     &echo, &len) == 0 &&
		   teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_packet_icmp6(&pkt, &msg) == 0 &&
		   msg.type == ICMP6_ECHO_REPLY,
	   "echo reply round trip");
	buf[len - 1] ^= 1;
	ok(teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_packet_icmp6(&pkt, &msg) == -EBADMSG,
	   "echo with a corrupted payload fails its checksum");
	is_int(teredo_echo_write(buf, sizeof(buf), &a, &b, 64, 1, &echo, &len),
	       -EINVAL, "only echo types are written");
	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 255, NULL, NULL,
			       &len) == 0 &&
		   teredo_packet_read(buf, len, &pkt) == 0 &&
		   teredo_packet_icmp6(&pkt, &msg) == -EBADMSG,
	   "a bubble carries no ICMPv6");
}

/* RFC 4443 §3.1 and §2.4: the error our client hands its own stack. */
static void
test_unreachable(void)
{
	struct ip6_addr me, peer, ll;
	struct icmp6_echo echo = {.id = 9, .seq = 1};
	struct teredo_packet pkt;
	struct icmp6_msg m;
	uint8_t big[1400], in[128], out[1400];
	size_t n, len;

	if (ip6_addr_parse("2001:0:c000:20a::1", &me) < 0 ||
	    ip6_addr_parse("2001:db8::7", &peer) < 0)
		abort();
	teredo_client_link_local(false, &ll);
	if (teredo_echo_write(in, sizeof(in), &me, &peer, 64,
			      ICMP6_ECHO_REQUEST, &echo, &n) < 0)
		abort();
	ok(teredo_unreachable_write(out, sizeof(out), &ll, 3, in, n, &len) ==
			   0 &&
		   teredo_packet_read(out, len, &pkt) == 0 &&
		   ip6_addr_equal(&pkt.ip6.dst, &me) &&
		   teredo_packet_icmp6(&pkt, &m) == 0 && m.type == 1 &&
		   m.code == 3 && m.body_len == 4 + n &&
		   memcmp(m.body + 4, in, n) == 0,
	   "T25: Destination Unreachable to the sender, the packet quoted, "
	   "checksum valid");
	memset(big, 0, sizeof(big));
	memcpy(big, in, 40);
	big[4] = (uint8_t)((sizeof(big) - 40) >> 8);
	big[5] = (uint8_t)(sizeof(big) - 40);
	big[6] = 17;
	ok(teredo_unreachable_write(out, sizeof(out), &ll, 3, big, sizeof(big),
				    &len) == 0 &&
		   len == 1280,
	   "RFC 4443 §2.4 (c): the quote is cut to fit 1280 bytes");
	ok(teredo_unreachable_write(in, sizeof(in), &ll, 3, out, len, &n) ==
		   -EINVAL,
	   "RFC 4443 §2.4 (e): never an error about an error");
	in[24] = 0xff; /* a multicast destination */
	ok(teredo_unreachable_write(out, sizeof(out), &ll, 3, in, n, &len) ==
		   -EINVAL,
	   "RFC 4443 §2.4 (e): never about a multicast destination");
}

int
main(void)
{
	test_rs();
	test_ra();
	test_ra_mutations();
	test_bubbles_and_echo();
	test_unreachable();
	return done_testing();
}
