/*
 * lib/teredo/packet: the outer datagram and RFC 6081 trailers.  Vectors
 * from RFC 4380 §5.1.1 and teredo-spec.md §2.11; W-numbers are the
 * compliance checklist items of teredo-spec.md §7.
 */
#include "tap.h"
#include "teredo/msg.h"
#include "teredo/packet.h"

/* A = 2001:0:cb00:7178:1034:63bf:3fff:fdd2, B = 2001:0:c633:6476:0:dfff:3fff:fdf5 */
#define BUBBLE_A_TO_B                         \
	"60000000 0000 3b00"                  \
	"20010000 cb007178 103463bf 3ffffdd2" \
	"20010000 c6336476 0000dfff 3ffffdf5"

static uint8_t buf[2048];

static int
parse_hex(const char *hex, struct teredo_packet *pkt)
{
	size_t n = unhex(hex, buf, sizeof(buf));

	return teredo_packet_read(buf, n, pkt);
}

/* W2: classification by the first bytes. */
static void
test_classify(void)
{
	struct teredo_packet pkt;

	is_int(parse_hex("0002" BUBBLE_A_TO_B, &pkt), -EBADMSG,
	       "W2: 00 02 is no indicator");
	is_int(parse_hex("40000000 0000 3b00", &pkt), -EBADMSG,
	       "W2: version 4 dropped");
	is_int(parse_hex("70000000 0000 3b00", &pkt), -EBADMSG,
	       "W2: version 7 dropped");
	is_int(parse_hex("", &pkt), -EMSGSIZE, "empty payload");
	is_int(parse_hex("00", &pkt), -EBADMSG, "one zero byte");
	is_int(parse_hex("60000000 0000 3b00 2001", &pkt), -EMSGSIZE,
	       "IPv6 header cut short");
	ok(parse_hex(BUBBLE_A_TO_B, &pkt) == 0 && !pkt.has_auth &&
		   !pkt.has_origin && teredo_packet_is_bubble(&pkt),
	   "bare bubble");
	ok(pkt.ip6_packet == buf && pkt.ip6_len == 40,
	   "ip6_packet borrows the input");
}

/* W3: variable ID-len and AU-len; truncation. */
static void
test_auth(void)
{
	struct teredo_packet pkt;

	ok(parse_hex("0001 0302 aabbcc ddee 0102030405060708 07" BUBBLE_A_TO_B,
		     &pkt) == 0,
	   "W3: auth with ID-len 3, AU-len 2");
	ok(pkt.has_auth && pkt.auth.id_len == 3 && pkt.auth.au_len == 2 &&
		   memcmp(pkt.auth.client_id, "\xaa\xbb\xcc", 3) == 0 &&
		   memcmp(pkt.auth.auth_value, "\xdd\xee", 2) == 0 &&
		   memcmp(pkt.auth.nonce, "\x01\x02\x03\x04\x05\x06\x07\x08",
			  8) == 0 &&
		   pkt.auth.confirmation == 7,
	   "W3: every auth field read");
	is_int(parse_hex("0001 ff00 aabb", &pkt), -EMSGSIZE,
	       "W3: ID-len beyond the datagram");
	is_int(parse_hex("0001 00ff" BUBBLE_A_TO_B, &pkt), -EMSGSIZE,
	       "W3: AU-len beyond the datagram");
	is_int(parse_hex("0001 0000 0102030405060708", &pkt), -EMSGSIZE,
	       "W3: confirmation byte missing");
	is_int(parse_hex("0001 0000 0102030405060708 00", &pkt), -EMSGSIZE,
	       "auth alone, no IPv6 packet");
}

/* W4, W5: origin indication and ordering. */
static void
test_origin(void)
{
	struct teredo_packet pkt = {.has_origin = true,
				    .origin = {.port = 337,
					       .ipv4 = 0x01020304}},
			     back;
	uint8_t out[128], ip6[64];
	size_t n = unhex(BUBBLE_A_TO_B, ip6, sizeof(ip6)), len = 0;

	pkt.ip6_packet = ip6;
	pkt.ip6_len = n;
	ok(teredo_packet_write(&pkt, out, sizeof(out), &len) == 0,
	   "write origin + bubble");
	is_mem(out, 8, "\x00\x00\xfe\xae\xfe\xfd\xfc\xfb", 8,
	       "W5: port 337, 1.2.3.4 -> 0000FEAEFEFDFCFB (RFC 4380 §5.1.1)");
	ok(teredo_packet_read(out, len, &back) == 0 && back.has_origin &&
		   back.origin.port == 337 && back.origin.ipv4 == 0x01020304,
	   "origin read back in host order");

	ok(parse_hex("0001 0000 0102030405060708 00 0000 "
		     "feaefefdfcfb" BUBBLE_A_TO_B,
		     &pkt) == 0 &&
		   pkt.has_auth && pkt.has_origin,
	   "W4: auth then origin accepted");
	is_int(parse_hex("0000 feaefefdfcfb 0001 0000 0102030405060708 "
			 "00" BUBBLE_A_TO_B,
			 &pkt),
	       -EBADMSG, "W4: origin then auth rejected");
	is_int(parse_hex("0000 feaefefdfcfb 0000 feaefefdfcfb" BUBBLE_A_TO_B,
			 &pkt),
	       -EBADMSG, "two origin indications rejected");
	is_int(parse_hex("0000 feaefefd", &pkt), -EMSGSIZE,
	       "truncated origin indication");
}

/* W6: 40 + payload length <= remaining bytes; the surplus is trailers. */
static void
test_length(void)
{
	struct teredo_packet pkt;

	ok(parse_hex("60000000 0004 3bff"
		     "20010000 cb007178 103463bf 3ffffdd2"
		     "20010000 c6336476 0000dfff 3ffffdf5 01020304"
		     "00000000000000000000",
		     &pkt) == 0,
	   "W6: 10 surplus bytes accepted");
	ok(pkt.ip6_len == 44 && pkt.payload == buf + 40 &&
		   pkt.trailers.unparsed_len == 0,
	   "W6: payload and trailers split at 40 + payload length");
	ok(pkt.trailers.ignored == 0 && !pkt.trailers.has_nonce,
	   "zero bytes are skippable type-0 trailers");
	is_int(parse_hex("60000000 0005 3bff"
			 "20010000 cb007178 103463bf 3ffffdd2"
			 "20010000 c6336476 0000dfff 3ffffdf5 01020304",
			 &pkt),
	       -EMSGSIZE, "W6: payload length overrunning the datagram");
}

/* teredo-spec.md §2.11 byte vectors, built by the codec and parsed back. */
static void
test_trailer_vectors(void)
{
	struct ip6_addr a, b;
	struct teredo_trailers t = {.has_nonce = true, .nonce = 0xdeadbeef};
	struct teredo_packet pkt;
	uint8_t want[128];
	size_t len = 0, n;

	if (ip6_addr_parse("2001:0:cb00:7178:1034:63bf:3fff:fdd2", &a) < 0 ||
	    ip6_addr_parse("2001:0:c633:6476:0:dfff:3fff:fdf5", &b) < 0)
		abort();

	n = unhex(BUBBLE_A_TO_B "0104deadbeef", want, sizeof(want));
	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 0, NULL, &t, &len) ==
		   0,
	   "write indirect bubble + Nonce");
	is_mem(buf, len, want, n, "W9/W16: bubble + Nonce, 46 bytes");

	t.alt_count = 1;
	t.alt[0].ipv4 = 0xc0a8010a;
	t.alt[0].port = 51000;
	n = unhex(BUBBLE_A_TO_B "0104deadbeef 0308 0000 c0a8010a c738", want,
		  sizeof(want));
	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 0, NULL, &t, &len) ==
		   0,
	   "write bubble + Nonce + Alternate Address");
	is_mem(buf, len, want, n, "W10: 56-byte vector");
	ok(teredo_packet_read(buf, len, &pkt) == 0 && pkt.trailers.has_nonce &&
		   pkt.trailers.nonce == 0xdeadbeef &&
		   pkt.trailers.alt_count == 1 &&
		   pkt.trailers.alt[0].ipv4 == 0xc0a8010a &&
		   pkt.trailers.alt[0].port == 51000,
	   "read back Nonce + Alternate Address");

	t.alt_count = 0;
	t.has_random_port = true;
	t.random_port = 51234;
	n = unhex(BUBBLE_A_TO_B "0104deadbeef 0502c822", want, sizeof(want));
	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 0, NULL, &t, &len) ==
		   0,
	   "write bubble + Nonce + Random Port");
	is_mem(buf, len, want, n, "W13: 50-byte vector, type 0x05");

	memset(&t, 0, sizeof(t));
	t.has_nd_option = true;
	t.nd_discovery_type = TEREDO_ND_SOLICITATION;
	n = unhex(BUBBLE_A_TO_B "0404 00 000000", want, sizeof(want));
	ok(teredo_bubble_write(buf, sizeof(buf), &a, &b, 0, NULL, &t, &len) ==
		   0,
	   "write direct bubble + ND Option");
	is_mem(buf, len, want, n, "W12: 46-byte vector");
	ok(teredo_packet_read(buf, len, &pkt) == 0 &&
		   pkt.trailers.has_nd_option &&
		   pkt.trailers.nd_discovery_type == TEREDO_ND_SOLICITATION,
	   "read back ND Option");
}

static int
trailers_hex(const char *hex, struct teredo_trailers *t)
{
	size_t n = unhex(hex, buf, sizeof(buf));

	return teredo_trailers_read(buf, n, t);
}

/* W7-W13 receive rules. */
static void
test_trailer_rules(void)
{
	struct teredo_trailers t;
	struct teredo_packet pkt;

	is_int(trailers_hex("4100", &t), -EPROTO,
	       "W7: unknown type 0x41 (bits 01) discards the packet");
	is_int(parse_hex(BUBBLE_A_TO_B "0104deadbeef 7f00", &pkt), -EPROTO,
	       "W7: ... also after a valid trailer");
	ok(trailers_hex("8100 c102abcd 1101ff 0104deadbeef", &t) == 0 &&
		   t.has_nonce && t.nonce == 0xdeadbeef && t.ignored == 0,
	   "W7: 0x81, 0xc1, 0x11 skipped, the Nonce after them honoured");
	ok(trailers_hex("0202c822", &t) == 0 && !t.has_random_port,
	   "0x02 (RFC 6081 IANA table) is an unknown skippable type");

	ok(trailers_hex("0104deadbeef 05", &t) == 0 && t.has_nonce &&
		   t.unparsed_len == 1,
	   "W8: a trailing single byte stops parsing, Nonce kept");
	ok(trailers_hex("0104deadbeef 0502c8", &t) == 0 && t.has_nonce &&
		   !t.has_random_port && t.unparsed_len == 3,
	   "W8: a short value stops parsing, Nonce kept");
	ok(trailers_hex("0502c822 4105", &t) == 0 && t.has_random_port &&
		   t.unparsed_len == 2,
	   "W8: a malformed discard-type trailer only stops parsing");

	ok(trailers_hex("0105deadbeef00", &t) == 0 && !t.has_nonce &&
		   t.ignored == 1,
	   "W9: a length-5 nonce is not a nonce");
	ok(trailers_hex("0309 0000 c0a8010a c738 00", &t) == 0 &&
		   t.alt_count == 0 && t.ignored == 1,
	   "W10: Alternate Address length 9 rejected");
	ok(trailers_hex("0320 0000"
			"c0a8010a c738 c0a8010a c738 c0a8010a c738"
			"c0a8010a c738 c0a8010a c738",
			&t) == 0 &&
		   t.alt_count == 0 && t.ignored == 1,
	   "W10: Alternate Address length 32 rejected");
	ok(trailers_hex("0302 0000", &t) == 0 && t.alt_count == 0 &&
		   t.ignored == 1,
	   "W10: Alternate Address length 2 rejected");
	ok(trailers_hex("0308 ffff c0a8010a c738", &t) == 0 && t.alt_count == 1,
	   "W10: reserved bytes ignored on receipt");
	ok(trailers_hex("030e 0000 c0a8010a c738 c6336476 0000", &t) == 0 &&
		   t.alt_count == 0 && t.ignored == 1,
	   "W10/S8: port 0 rejected");
	ok(trailers_hex("0308 0000 e0000001 c738", &t) == 0 &&
		   t.alt_count == 0 && t.ignored == 1,
	   "W10/S8: multicast alternate rejected");
	ok(trailers_hex("0404 02000000", &t) == 0 && !t.has_nd_option &&
		   t.ignored == 1,
	   "W12: DiscoveryType 2 rejected");
	ok(trailers_hex("0403 000000", &t) == 0 && !t.has_nd_option &&
		   t.ignored == 1,
	   "W12: ND Option of length 3 rejected");
	ok(trailers_hex("0503 c82200", &t) == 0 && !t.has_random_port &&
		   t.ignored == 1,
	   "W13: Random Port of length 3 rejected");

	t.alt_count = 5;
	{
		struct wr wr;

		wr_init(&wr, buf, sizeof(buf));
		is_int(teredo_trailers_write(&wr, &t), -EINVAL,
		       "more than 4 alternates cannot be written");
	}
}

/* write -> read round trip over every header combination. */
static void
test_round_trip(void)
{
	static const uint8_t id[] = {1, 2, 3}, au[] = {9, 8, 7, 6, 5};
	uint8_t ip6[64], out[256];
	size_t n = unhex(BUBBLE_A_TO_B, ip6, sizeof(ip6));

	for (unsigned mask = 0; mask < 16; mask++) {
		struct teredo_packet pkt = {.ip6_packet = ip6, .ip6_len = n},
				     back;
		size_t len = 0;

		pkt.has_auth = mask & 1;
		pkt.auth.id_len = sizeof(id);
		pkt.auth.client_id = id;
		pkt.auth.au_len = sizeof(au);
		pkt.auth.auth_value = au;
		memcpy(pkt.auth.nonce, "noncenon", 8);
		pkt.auth.confirmation = 1;
		pkt.has_origin = mask & 2;
		pkt.origin.port = 40000;
		pkt.origin.ipv4 = 0xc000022d;
		pkt.trailers.has_nonce = mask & 4;
		pkt.trailers.nonce = 0x01020304;
		pkt.trailers.has_random_port = mask & 8;
		pkt.trailers.random_port = 4242;
		pkt.trailers.alt_count = (mask & 8) ? 2 : 0;
		pkt.trailers.alt[0] = (struct teredo_alt_addr){0xc0a80001, 1};
		pkt.trailers.alt[1] = (struct teredo_alt_addr){0x0a000001, 2};

		ok(teredo_packet_write(&pkt, out, sizeof(out), &len) == 0 &&
			   teredo_packet_read(out, len, &back) == 0 &&
			   back.has_auth == pkt.has_auth &&
			   (!back.has_auth ||
			    (back.auth.id_len == 3 && back.auth.au_len == 5 &&
			     memcmp(back.auth.client_id, id, 3) == 0 &&
			     memcmp(back.auth.auth_value, au, 5) == 0 &&
			     memcmp(back.auth.nonce, "noncenon", 8) == 0 &&
			     back.auth.confirmation == 1)) &&
			   back.has_origin == pkt.has_origin &&
			   (!back.has_origin ||
			    (back.origin.port == 40000 &&
			     back.origin.ipv4 == 0xc000022d)) &&
			   back.ip6_len == n &&
			   memcmp(back.ip6_packet, ip6, n) == 0 &&
			   back.trailers.has_nonce == pkt.trailers.has_nonce &&
			   back.trailers.has_random_port ==
				   pkt.trailers.has_random_port &&
			   back.trailers.alt_count == pkt.trailers.alt_count &&
			   (!(mask & 8) ||
			    (back.trailers.random_port == 4242 &&
			     back.trailers.alt[1].ipv4 == 0x0a000001)),
		   "round trip, headers mask %u", mask);
	}
	{
		struct teredo_packet pkt = {.ip6_packet = ip6, .ip6_len = n};
		size_t len = 0;

		is_int(teredo_packet_write(&pkt, out, n - 1, &len), -ENOBUFS,
		       "a buffer one byte short is -ENOBUFS");
	}
}

int
main(void)
{
	test_classify();
	test_auth();
	test_origin();
	test_length();
	test_trailer_vectors();
	test_trailer_rules();
	test_round_trip();
	return done_testing();
}
