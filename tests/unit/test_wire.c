/* lib/wire: the cursor, the writer, IPv6 header and address helpers. */
#include "tap.h"
#include "wire/ip6.h"
#include "wire/rd.h"
#include "wire/wr.h"

static void
test_rd(void)
{
	static const uint8_t buf[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct rd rd, sub;

	rd_init(&rd, buf, sizeof(buf));
	is_int(rd_u16(&rd), 0x1234, "rd_u16 is big-endian");
	is_int(rd_left(&rd), 3, "rd_left after a u16");
	is_int(rd_peek_u8(&rd, 0), 0x56, "peek does not consume");
	is_int(rd_u32(&rd), 0, "u32 past the end reads 0");
	ok(rd.bad, "and sets the sticky bad flag");
	is_int(rd_u8(&rd), 0, "bad stays bad: no further reads");

	rd_init(&rd, buf, sizeof(buf));
	rd_sub(&rd, 2, &sub);
	ok(!sub.bad && rd_left(&sub) == 2, "rd_sub splits off n bytes");
	is_int(rd_u8(&rd), 0x56, "parent continues after the split");
	rd_sub(&rd, 9, &sub);
	ok(sub.bad && rd.bad && rd_left(&sub) == 0, "oversized rd_sub is bad");
}

static void
test_wr(void)
{
	uint8_t buf[6];
	struct wr wr;

	wr_init(&wr, buf, sizeof(buf));
	wr_u16(&wr, 0xbeef);
	wr_u32(&wr, 0x01020304);
	ok(wr_status(&wr) == 0 && wr.off == 6, "exact fit");
	is_mem(buf, 6, "\xbe\xef\x01\x02\x03\x04", 6, "big-endian writes");
	wr_u8(&wr, 1);
	is_int(wr_status(&wr), -ENOBUFS, "writing past cap is -ENOBUFS");
	is_int(wr.off, 6, "and writes nothing");
}

static void
test_csum(void)
{
	/* RFC 1071 §3 example: the sum of these words folds to ~0xddf2. */
	static const uint8_t words[] = {0x00, 0x01, 0xf2, 0x03,
					0xf4, 0xf5, 0xf6, 0xf7};

	is_int(inet_csum_fold(inet_csum_add(0, words, sizeof(words))),
	       (uint16_t)~0xddf2, "RFC 1071 worked example");
	is_int(inet_csum_fold(inet_csum_add(0, "\x01", 1)), (uint16_t)~0x0100,
	       "an odd trailing byte is padded with zero");
}

static void
test_addr_text(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"2001:0:cb00:7178:0:efff:3fff:fdfe",
		 "2001:0:cb00:7178:0:efff:3fff:fdfe"},
		{"fe80::8000:f227:34ff:8e87", "fe80::8000:f227:34ff:8e87"},
		{"ff02::2", "ff02::2"},
		{"::", "::"},
		{"::1", "::1"},
		{"1::", "1::"},
		{"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
	};
	static const char *bad[] = {
		"",	   ":",
		"1:2",	   "1::2::3",
		"12345::", "1:2:3:4:5:6:7:8:9",
		"g::",	   "1:",
		":1",	   "1:2:3:4:5:6:7::8:9",
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ip6_addr a;
		char text[46];

		ok(ip6_addr_parse(cases[i].in, &a) == 0, "parse %s",
		   cases[i].in);
		ip6_addr_format(&a, text);
		ok(strcmp(text, cases[i].out) == 0, "format %s -> %s (%s)",
		   cases[i].in, cases[i].out, text);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ip6_addr a;

		is_int(ip6_addr_parse(bad[i], &a), -EINVAL, "reject \"%s\"",
		       bad[i]);
	}
}

static void
test_ip6_header(void)
{
	struct ip6_header h =
				  {
					  .traffic_class = 0xab,
					  .flow_label = 0xcdef1,
					  .payload_len = 8,
					  .next_header = 58,
					  .hop_limit = 255,
				  },
			  back;
	uint8_t buf[IP6_HEADER_LEN];
	struct wr wr;
	struct rd rd;

	if (ip6_addr_parse("fe80::ffff:ffff:fffe", &h.src) < 0 ||
	    ip6_addr_parse("ff02::2", &h.dst) < 0)
		abort();
	wr_init(&wr, buf, sizeof(buf));
	ip6_header_write(&wr, &h);
	ok(wr_status(&wr) == 0 && wr.off == IP6_HEADER_LEN, "header is 40");
	is_mem(buf, 4, "\x6a\xbc\xde\xf1", 4, "version, class, flow label");
	rd_init(&rd, buf, sizeof(buf));
	ok(ip6_header_read(&rd, &back) == 0, "read back");
	ok(back.traffic_class == h.traffic_class &&
		   back.flow_label == h.flow_label &&
		   back.payload_len == h.payload_len &&
		   back.next_header == h.next_header &&
		   back.hop_limit == h.hop_limit &&
		   ip6_addr_equal(&back.src, &h.src) &&
		   ip6_addr_equal(&back.dst, &h.dst),
	   "write -> read round trip");

	rd_init(&rd, buf, 39);
	is_int(ip6_header_read(&rd, &back), -EMSGSIZE, "39 bytes: truncated");
	buf[0] = 0x4a;
	rd_init(&rd, buf, sizeof(buf));
	is_int(ip6_header_read(&rd, &back), -EBADMSG, "version 4 rejected");

	ok(ip6_addr_is_link_local(&h.src), "fe80:: is link-local");
	ok(!ip6_addr_is_link_local(&h.dst), "ff02:: is not link-local");
	ok(ip6_addr_is_multicast(&h.dst), "ff02:: is multicast");
}

int
main(void)
{
	test_rd();
	test_wr();
	test_csum();
	test_addr_text();
	test_ip6_header();
	return done_testing();
}
