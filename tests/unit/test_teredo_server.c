/*
 * lib/teredo/server: the acceptance rules of RFC 4380 §5.3.1, RS handling
 * of §5.3.2 and RFC 5991 §3.2, relaying with trailers intact.  SV numbers
 * are teredo-spec.md §7.
 */
#include "tap.h"
#include "teredo_test.h"
#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/server.h"

#define PRIMARY 0xcb007178u   /* 203.0.113.120 */
#define CLIENT_IP 0xc000022du /* 192.0.2.45 */
#define CLIENT_PORT 40000

static const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static uint8_t out[2048];

static void
test_rs(struct teredo_server *s)
{
	/* teredo-spec.md §2.8: the RA Microsoft's servers send, 109 bytes. */
	static const char ra_hex[] =
		"0001 0000 0102030405060708 00 0000 63bf 3ffffdd2"
		"60000000 0030 3aff fe800000 00000000 8000f227 34ff8e87"
		"fe800000 00000000 0000ffff fffffffe"
		"8600 9f56 0000 0000 00000000 000007d0"
		"0304 4040 ffffffff ffffffff 00000000"
		"20010000 cb007178 00000000 00000000";
	struct teredo_server_out o;
	uint8_t rs[128], want[256];
	size_t n, wn = unhex(ra_hex, want, sizeof(want));

	if (teredo_rs_write(rs, sizeof(rs), nonce, false, &n) < 0)
		abort();
	ok(teredo_server_input(s, 0, rs, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.action == TEREDO_SERVER_UDP && o.from == 0 &&
		   o.from_port == 3544 && o.dst_ipv4 == CLIENT_IP &&
		   o.dst_port == CLIENT_PORT,
	   "SV12: a C = 0 RS is answered from the same address, port 3544");
	is_mem(out, o.len, want, wn,
	       "SV11/SV14: the RA is teredo-spec.md's 109-byte vector");

	if (teredo_rs_write(rs, sizeof(rs), nonce, true, &n) < 0)
		abort();
	ok(teredo_server_input(s, 0, rs, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.action == TEREDO_SERVER_UDP && o.from == 1,
	   "SV12: a C = 1 RS to the primary is answered from the secondary");
	ok(teredo_server_input(s, 1, rs, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.from == 0,
	   "SV12: ... and one to the secondary from the primary");

	{
		struct ip6_addr probe;

		teredo_port_probe_link_local(&probe);
		if (teredo_rs_write_src(rs, sizeof(rs), nonce, &probe, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, rs, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.from == 0 && o.from_port == TEREDO_PROBE_PORT,
		   "the diagnostic port probe is answered from port 3543");
	}

	/* SV13 / rule 3: the RA's destination must be global unicast. */
	if (teredo_rs_write(rs, sizeof(rs), nonce, false, &n) < 0)
		abort();
	ok(teredo_server_input(s, 0, rs, n, 0x0a000005u, 4000, out, sizeof(out),
			       &o) == 0 &&
		   o.action == TEREDO_SERVER_NONE &&
		   s->stats.drops[TEREDO_SERVER_DROP_SRC_NOT_GLOBAL] == 1,
	   "SV4: an RS from 10.0.0.5 is dropped and counted");
	ok(teredo_server_input(s, 0, rs, n, PRIMARY + 1, 3544, out, sizeof(out),
			       &o) == 0 &&
		   o.action == TEREDO_SERVER_NONE &&
		   s->stats.drops[TEREDO_SERVER_DROP_LOOP] == 1,
	   "SV16: a datagram from our own address:3544 is dropped");
	rs[n - 1] ^= 1;
	ok(teredo_server_input(s, 0, rs, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.action == TEREDO_SERVER_NONE &&
		   s->stats.drops[TEREDO_SERVER_DROP_BAD_RS] == 1,
	   "SV5: an RS with a bad checksum is dropped");
}

static void
test_relay(struct teredo_server *s)
{
	struct ip6_addr a = teredo(PRIMARY, CLIENT_IP, CLIENT_PORT);
	struct ip6_addr b = teredo(PRIMARY, 0xc6336405u, 7000);
	struct ip6_addr other = teredo(0xc6336476u, 0xc6336405u, 7000);
	struct teredo_trailers t = {.has_nonce = true,
				    .nonce = 0xdeadbeef,
				    .has_random_port = true,
				    .random_port = 51234};
	struct teredo_server_out o;
	struct teredo_packet pkt;
	uint8_t in[256];
	size_t n;

	if (teredo_bubble_write(in, sizeof(in), &a, &b, 255, NULL, &t, &n) < 0)
		abort();
	ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.action == TEREDO_SERVER_UDP && o.dst_ipv4 == 0xc6336405u &&
		   o.dst_port == 7000 && o.from == 0,
	   "an indirect bubble goes to the embedded mapping, from the primary");
	ok(teredo_packet_read(out, o.len, &pkt) == 0 && pkt.has_origin &&
		   pkt.origin.ipv4 == CLIENT_IP &&
		   pkt.origin.port == CLIENT_PORT,
	   "SV10: with an origin indication of where it came from");
	ok(pkt.trailers.has_nonce && pkt.trailers.nonce == 0xdeadbeef &&
		   pkt.trailers.has_random_port &&
		   pkt.trailers.random_port == 51234 && o.len == n + 8,
	   "SV17: RFC 6081 trailers relayed intact");

	if (teredo_bubble_write(in, sizeof(in), &a, &other, 255, NULL, NULL,
				&n) < 0)
		abort();
	ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
			       sizeof(out), &o) == 0 &&
		   o.action == TEREDO_SERVER_UDP &&
		   teredo_packet_read(out, o.len, &pkt) == 0 && !pkt.has_origin,
	   "SV10: no origin indication for another server's client");

	ok(teredo_server_input(s, 0, in, n, CLIENT_IP, 4444, out, sizeof(out),
			       &o) == 0 &&
		   o.action == TEREDO_SERVER_NONE &&
		   s->stats.drops[TEREDO_SERVER_DROP_MAPPING] == 1,
	   "SV6: a Teredo source not matching the outer source is dropped");

	{
		struct ip6_addr native, ll;
		struct icmp6_echo big = {.data = out, .data_len = 200};

		if (ip6_addr_parse("2001:db8::1", &native) < 0)
			abort();
		if (teredo_echo_write(in, sizeof(in), &a, &native, 64,
				      ICMP6_ECHO_REQUEST,
				      &(struct icmp6_echo){.id = 1}, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_NO_NATIVE] == 1,
		   "SV18: native forwarding off: counted, not sent");
		if (teredo_echo_write(in, sizeof(in), &a, &b, 64,
				      ICMP6_ECHO_REQUEST, &big, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_TOO_BIG] == 1,
		   "SV15: a 208-byte ICMPv6 payload is no server's business");
		teredo_client_link_local(false, &ll);
		if (teredo_bubble_write(in, sizeof(in), &a, &ll, 255, NULL,
					NULL, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_DST_SCOPE] == 1,
		   "SV8: a link-local destination is never forwarded");
	}
	{
		struct ip6_addr to_private = teredo(PRIMARY, 0x0a000001u, 7);
		struct ip6_addr to_us = teredo(PRIMARY, PRIMARY + 1, 3544);

		if (teredo_bubble_write(in, sizeof(in), &a, &to_private, 255,
					NULL, NULL, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_DST_IPV4] == 1,
		   "SV9: an embedded 10.0.0.1 is never a destination");
		if (teredo_bubble_write(in, sizeof(in), &a, &to_us, 255, NULL,
					NULL, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_LOOP] == 2,
		   "S10: nothing is relayed to our own address");
	}
	{
		struct ip6_addr native, ll;
		const struct icmp6_echo e = {.id = 1};

		if (ip6_addr_parse("2001:db8::1", &native) < 0)
			abort();
		teredo_client_link_local(true, &ll);
		if (teredo_bubble_write(in, sizeof(in), &ll, &a, 255, NULL,
					NULL, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, 0xc6336410u, 3544, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_UDP &&
			   o.dst_ipv4 == CLIENT_IP &&
			   teredo_packet_read(out, o.len, &pkt) == 0 &&
			   pkt.has_origin && pkt.origin.ipv4 == 0xc6336410u,
		   "R3/SV10: a relay's bubble (link-local source) reaches our "
		   "client, with the relay as origin");
		if (teredo_echo_write(in, sizeof(in), &ll, &a, 64,
				      ICMP6_ECHO_REQUEST, &e, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, 0xc6336410u, 3544, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE,
		   "a link-local source only in a bubble");
		s->native_forwarding = true;
		if (teredo_echo_write(in, sizeof(in), &a, &native, 64,
				      ICMP6_ECHO_REQUEST, &e, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NATIVE && o.len == n &&
			   memcmp(out, in, n) == 0,
		   "SV18: a client's echo request goes out natively, as is");
		if (teredo_echo_write(in, sizeof(in), &a, &native, 64,
				      ICMP6_ECHO_REPLY, &e, &n) < 0)
			abort();
		ok(teredo_server_input(s, 0, in, n, CLIENT_IP, CLIENT_PORT, out,
				       sizeof(out), &o) == 0 &&
			   o.action == TEREDO_SERVER_NONE &&
			   s->stats.drops[TEREDO_SERVER_DROP_NATIVE_NOT_ECHO] ==
				   1,
		   "SV18: nothing but echo requests goes native");
		s->native_forwarding = false;
	}
	ok(teredo_server_input(s, 0, (const uint8_t *)"\x00\x02garbage", 9,
			       CLIENT_IP, CLIENT_PORT, out, sizeof(out),
			       &o) == 0 &&
		   s->stats.drops[TEREDO_SERVER_DROP_MALFORMED] == 1,
	   "SV2: garbage is dropped and counted");
	ok(strcmp(teredo_server_drop_name(TEREDO_SERVER_DROP_MAPPING),
		  "mapping-mismatch") == 0,
	   "drop reasons have names for teredoctl stats");
}

int
main(void)
{
	struct teredo_server s;

	is_int(teredo_server_init(&s, PRIMARY, PRIMARY), -EINVAL,
	       "SV1: two distinct addresses are needed");
	is_int(teredo_server_init(&s, 0x0a000001u, 0x0a000002u), -EINVAL,
	       "SV1: ... global ones");
	if (teredo_server_init(&s, PRIMARY, PRIMARY + 1) < 0)
		abort();
	test_rs(&s);
	test_relay(&s);
	return done_testing();
}
