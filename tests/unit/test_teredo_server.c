/*
 * lib/teredo/server: the acceptance rules of RFC 4380 §5.3.1, RS handling
 * of §5.3.2 and RFC 5991 §3.2, relaying with trailers intact; no
 * reflector (issue 11, A3): unknown trailers stripped, a size cap, no
 * attacker byte lengthens an answer, answers limited per prefix, every
 * datagram counted.  SV numbers are teredo-spec.md §7.
 */
#include <stdlib.h>
#include <string.h>

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

/*
 * Appends `garbage` bytes of RFC 6081 trailers of unknown, skippable types
 * (0x82, 255 bytes each; top bits 10: "skip and go on", §4.1), the last
 * one cut short (malformed: processing stops there, §5.1.2).
 */
static size_t
append_garbage(uint8_t *buf, size_t n, size_t cap, size_t garbage)
{
	size_t end = n + garbage;

	if (end > cap)
		abort();
	while (n < end) {
		buf[n++] = 0x82;
		if (n < end)
			buf[n++] = 255;
		for (unsigned i = 0; i < 255 && n < end; i++)
			buf[n++] = 0xa5;
	}
	return end;
}

/* Whether the attacker's 0xa5 filler appears anywhere in out[0..len). */
static bool
has_filler(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i++)
		if (memcmp(p + i, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8) == 0)
			return true;
	return false;
}

struct path {
	const char *name;
	uint8_t in[2048];
	size_t n;
	uint32_t src_ipv4;
	uint16_t src_port;
};

/*
 * A3: every path that answers, with and without 1,800 attacker bytes of
 * unknown trailers: the answer never grows with them, never carries them,
 * stays under the cap, and is at most the input plus the fixed
 * TEREDO_SERVER_MAX_EXCESS.  Fails on the old server, which relayed
 * "everything after the IPv6 header" (a 1,855-byte datagram for an
 * 8-byte ICMPv6 packet).
 */
static void
test_no_reflector(void)
{
	static struct path paths[6];
	struct ip6_addr a = teredo(PRIMARY, CLIENT_IP, CLIENT_PORT);
	struct ip6_addr b = teredo(PRIMARY, 0xc6336405u, 7000);
	struct ip6_addr native, probe;
	const struct teredo_trailers t = {.has_nonce = true,
					  .nonce = 0xdeadbeef,
					  .alt_count = 1,
					  .alt = {{0xc0a8010au, 51000}},
					  .has_random_port = true,
					  .random_port = 51234};
	const struct icmp6_echo e = {.id = 1, .seq = 2};
	struct teredo_server s;
	unsigned np = 0;

	if (teredo_server_init(&s, PRIMARY, PRIMARY + 1) < 0 ||
	    ip6_addr_parse("2001:db8::1", &native) < 0)
		abort();
	s.native_forwarding = true;
	teredo_port_probe_link_local(&probe);
	paths[np] = (struct path){.name = "RS (C = 0) -> RA"};
	if (teredo_rs_write(paths[np].in, 256, nonce, false, &paths[np].n) < 0)
		abort();
	paths[++np] = (struct path){.name = "RS (C = 1) -> RA"};
	if (teredo_rs_write(paths[np].in, 256, nonce, true, &paths[np].n) < 0)
		abort();
	paths[++np] = (struct path){.name = "port probe RS -> RA"};
	if (teredo_rs_write_src(paths[np].in, 256, nonce, &probe,
				&paths[np].n) < 0)
		abort();
	paths[++np] = (struct path){.name = "bubble with trailers, relayed"};
	if (teredo_bubble_write(paths[np].in, 256, &a, &b, 255, NULL, &t,
				&paths[np].n) < 0)
		abort();
	paths[++np] = (struct path){.name = "8-byte ICMPv6 echo, relayed"};
	if (teredo_echo_write(paths[np].in, 256, &a, &b, 64, ICMP6_ECHO_REQUEST,
			      &e, &paths[np].n) < 0)
		abort();
	paths[++np] = (struct path){.name = "echo request, native"};
	if (teredo_echo_write(paths[np].in, 256, &a, &native, 64,
			      ICMP6_ECHO_REQUEST, &e, &paths[np].n) < 0)
		abort();
	np++;
	for (unsigned i = 0; i < np; i++) {
		struct path *p = &paths[i];
		struct teredo_server_out o1, o2;
		static uint8_t out1[4096], out2[4096];
		size_t n2;
		bool fine;

		if (teredo_server_input(&s, 0, p->in, p->n, CLIENT_IP,
					CLIENT_PORT, out1, sizeof(out1),
					&o1) < 0 ||
		    o1.action == TEREDO_SERVER_NONE)
			abort();
		n2 = append_garbage(p->in, p->n, sizeof(p->in), 1800);
		fine = teredo_server_input(&s, 0, p->in, n2, CLIENT_IP,
					   CLIENT_PORT, out2, sizeof(out2),
					   &o2) == 0 &&
		       o2.action == o1.action;
		ok(fine && o1.len <= p->n + TEREDO_SERVER_MAX_EXCESS &&
			   o1.len <= TEREDO_SERVER_MAX_RELAYED_LEN,
		   "A3 %s: %zu bytes in, %zu out (<= in + %d, <= %d)", p->name,
		   p->n, o1.len, TEREDO_SERVER_MAX_EXCESS,
		   TEREDO_SERVER_MAX_RELAYED_LEN);
		ok(fine && o2.len == o1.len && o2.len <= n2 &&
			   memcmp(out1, out2, o1.len) == 0 &&
			   !has_filler(out2, o2.len),
		   "A3 %s + 1,800 attacker bytes: %zu in, %zu out, the same "
		   "answer, none of them in it",
		   p->name, n2, o2.len);
	}
	{
		/* The case: 1,839 bytes in, only the bubble out. */
		struct teredo_packet pkt;
		struct teredo_server_out o;
		uint8_t in[2048];
		size_t n;

		if (teredo_bubble_write(in, sizeof(in), &a, &b, 255, NULL, NULL,
					&n) < 0)
			abort();
		n = append_garbage(in, n, sizeof(in), 1799);
		if (teredo_server_input(&s, 0, in, n, CLIENT_IP, CLIENT_PORT,
					out, sizeof(out), &o) < 0)
			abort();
		ok(o.action == TEREDO_SERVER_UDP &&
			   o.len == TEREDO_ORIGIN_LEN + 40 &&
			   teredo_packet_read(out, o.len, &pkt) == 0 &&
			   pkt.trailers.unparsed_len == 0,
		   "A3: a %zu-byte bubble of attacker trailers is relayed as "
		   "%zu bytes (origin + bubble)",
		   n, o.len);
		if (teredo_bubble_write(in, sizeof(in), &a, &b, 255, NULL, &t,
					&n) < 0)
			abort();
		ok(teredo_server_input(&s, 0, in, n, CLIENT_IP, CLIENT_PORT,
				       out, sizeof(out), &o) == 0 &&
			   teredo_packet_read(out, o.len, &pkt) == 0 &&
			   pkt.trailers.has_nonce &&
			   pkt.trailers.nonce == 0xdeadbeef &&
			   pkt.trailers.alt_count == 1 &&
			   pkt.trailers.alt[0].port == 51000 &&
			   pkt.trailers.has_random_port &&
			   o.len == n + TEREDO_ORIGIN_LEN,
		   "SV17: the trailers RFC 6081 defines are still relayed");
		/* An invalid known trailer (nonce of length 3) is dropped. */
		if (teredo_bubble_write(in, sizeof(in), &a, &b, 255, NULL, NULL,
					&n) < 0)
			abort();
		memcpy(in + n, "\x01\x03\xaa\xbb\xcc", 5);
		n += 5;
		ok(teredo_server_input(&s, 0, in, n, CLIENT_IP, CLIENT_PORT,
				       out, sizeof(out), &o) == 0 &&
			   o.len == TEREDO_ORIGIN_LEN + 40,
		   "A3: a known trailer with an invalid length is stripped");
	}
	{
		uint64_t sum = s.stats.datagrams_sent;

		for (unsigned i = 0; i < TEREDO_SERVER_DROP_COUNT; i++)
			sum += s.stats.drops[i];
		ok(s.stats.datagrams_received == sum &&
			   s.stats.bytes_sent <= s.stats.bytes_received,
		   "counters: %llu received = %llu sent + drops; %llu bytes "
		   "out <= %llu in",
		   (unsigned long long)s.stats.datagrams_received,
		   (unsigned long long)s.stats.datagrams_sent,
		   (unsigned long long)s.stats.bytes_sent,
		   (unsigned long long)s.stats.bytes_received);
	}
}

static int
send_rs(struct teredo_server *s, uint32_t ipv4)
{
	struct teredo_server_out o;
	uint8_t rs[128];
	size_t n;

	if (teredo_rs_write(rs, sizeof(rs), nonce, false, &n) < 0 ||
	    teredo_server_input(s, 0, rs, n, ipv4, 4000, out, sizeof(out), &o) <
		    0)
		abort();
	return o.action == TEREDO_SERVER_UDP;
}

/* A3: answers are rate-limited per source (and destination) prefix. */
static void
test_rate_limit(void)
{
	const struct teredo_server_limit lim = {
		.key = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		.prefix_len = 24,
		.per_s = 2,
		.burst = 5,
	};
	struct teredo_server s;
	unsigned answered = 0;
	uint32_t seed = 12345;

	if (teredo_server_init(&s, PRIMARY, PRIMARY + 1) < 0)
		abort();
	is_int(teredo_server_set_limit(
		       &s, &(struct teredo_server_limit){.prefix_len = 33,
							 .per_s = 1,
							 .burst = 1}),
	       -EINVAL, "a prefix longer than 32 bits is refused");
	if (teredo_server_set_limit(&s, &lim) < 0)
		abort();
	teredo_server_set_now(&s, 1000);
	for (unsigned i = 0; i < 20; i++)
		answered += (unsigned)send_rs(&s, CLIENT_IP);
	ok(answered == 5 && s.stats.drops[TEREDO_SERVER_DROP_RATE_SOURCE] == 15,
	   "a burst of 20 RSs from one address: %u answered (burst 5), 15 "
	   "counted as rate-limited-source",
	   answered);
	ok(!send_rs(&s, CLIENT_IP + 1) && send_rs(&s, 0xc6336405u),
	   "the limit is the /24's; another prefix is still answered");
	teredo_server_set_now(&s, 1500);
	ok(send_rs(&s, CLIENT_IP) && !send_rs(&s, CLIENT_IP),
	   "after 500 ms at 2/s, one more answer");

	/* A flood of fresh prefixes neither grows the table nor resets the
	 * bucket of the prefix it drained. */
	for (unsigned i = 0; i < 100000; i++) {
		seed = seed * 1103515245u + 12345u;
		(void)send_rs(&s, 0x01000000u + (seed >> 8) % 0xd0000000u);
	}
	ok(!send_rs(&s, CLIENT_IP) && s.limit_evictions > 0 &&
		   sizeof(s.buckets) == TEREDO_SERVER_LIMIT_SETS *
						TEREDO_SERVER_LIMIT_WAYS *
						sizeof(s.buckets[0][0]),
	   "100,000 spoofed prefixes later (%llu evictions, %zu-byte "
	   "table), the drained /24 is still limited",
	   (unsigned long long)s.limit_evictions, sizeof(s.buckets));
	teredo_server_set_now(&s, 4000);
	ok(send_rs(&s, CLIENT_IP), "... and recovers with time");

	{
		/* Bubbles from many senders to one target: its prefix is
		 * limited too (the server reflects to a chosen victim). */
		struct ip6_addr victim = teredo(PRIMARY, 0xc6336405u, 7000);
		unsigned relayed = 0;

		for (unsigned i = 0; i < 20; i++) {
			uint32_t from = 0x05000000u + (i << 8);
			struct ip6_addr src = teredo(PRIMARY, from, 1000);
			struct teredo_server_out o;
			uint8_t in[128];
			size_t n;

			if (teredo_bubble_write(in, sizeof(in), &src, &victim,
						255, NULL, NULL, &n) < 0 ||
			    teredo_server_input(&s, 0, in, n, from, 1000, out,
						sizeof(out), &o) < 0)
				abort();
			relayed += o.action == TEREDO_SERVER_UDP;
		}
		ok(relayed <= lim.burst + 1 &&
			   s.stats.drops[TEREDO_SERVER_DROP_RATE_DEST] >= 14,
		   "20 bubbles from 20 prefixes to one target: %u relayed, "
		   "the rest counted as rate-limited-destination",
		   relayed);
	}
	ok(strcmp(teredo_server_drop_name(TEREDO_SERVER_DROP_RATE_SOURCE),
		  "rate-limited-source") == 0 &&
		   strcmp(teredo_server_drop_name(TEREDO_SERVER_DROP_RATE_DEST),
			  "rate-limited-destination") == 0,
	   "the rate-limit drops have names for teredoctl stats");
	teredo_server_count_drop(&s, 3000, TEREDO_SERVER_DROP_TRUNCATED);
	{
		uint64_t sum = s.stats.datagrams_sent;

		for (unsigned i = 0; i < TEREDO_SERVER_DROP_COUNT; i++)
			sum += s.stats.drops[i];
		ok(s.stats.datagrams_received == sum &&
			   s.stats.drops[TEREDO_SERVER_DROP_TRUNCATED] == 1,
		   "counters: every datagram, the daemon's drops included, is "
		   "sent or counted under one drop (%llu)",
		   (unsigned long long)sum);
	}
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
	test_no_reflector();
	test_rate_limit();
	return done_testing();
}
