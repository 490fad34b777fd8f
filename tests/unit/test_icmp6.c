/* lib/wire/icmp6: ICMPv6 echo and ND messages outside Teredo framing. */
#include "tap.h"
#include "wire/icmp6.h"

static struct ip6_addr src, dst;
static uint8_t buf[512];

static size_t
write_ra(const struct nd_ra *ra)
{
	struct wr wr;

	wr_init(&wr, buf, sizeof(buf));
	nd_ra_write(&wr, &src, &dst, ra);
	if (wr_status(&wr) < 0)
		abort();
	return wr.off;
}

static void
test_ra_round_trip(void)
{
	struct nd_ra ra = {
		.cur_hop_limit = 64,
		.flags = 0xc0,
		.router_lifetime_s = 1800,
		.reachable_ms = 30000,
		.retrans_ms = 2000,
		.prefix_count = 1,
		.prefix = {.prefix_len = 64,
			   .flags = ND_PREFIX_FLAG_ONLINK | ND_PREFIX_FLAG_AUTO,
			   .valid_lifetime_s = 86400,
			   .preferred_lifetime_s = 14400},
		.has_mtu = true,
		.mtu = 1480,
	};
	struct icmp6_msg msg;
	size_t n;

	if (ip6_addr_parse("2001:db8:1::", &ra.prefix.prefix) < 0)
		abort();
	n = write_ra(&ra);
	is_int(n, 16 + 32 + 8, "RA + PIO + MTU option is 56 bytes");
	ok(icmp6_read(&src, &dst, buf, n, &msg) == 0 &&
		   msg.type == ND_ROUTER_ADVERT,
	   "RA reads back");
	ok(msg.u.ra.cur_hop_limit == 64 && msg.u.ra.flags == 0xc0 &&
		   msg.u.ra.router_lifetime_s == 1800 &&
		   msg.u.ra.reachable_ms == 30000 &&
		   msg.u.ra.retrans_ms == 2000,
	   "RA header fields round trip");
	ok(msg.u.ra.prefix_count == 1 && msg.u.ra.prefix.prefix_len == 64 &&
		   msg.u.ra.prefix.flags == 0xc0 &&
		   msg.u.ra.prefix.valid_lifetime_s == 86400 &&
		   msg.u.ra.prefix.preferred_lifetime_s == 14400 &&
		   ip6_addr_equal(&msg.u.ra.prefix.prefix, &ra.prefix.prefix),
	   "PIO round trip");
	ok(msg.u.ra.has_mtu && msg.u.ra.mtu == 1480, "MTU option round trip");

	{
		struct ip6_addr other = dst;

		other.bytes[15] ^= 0x10;
		is_int(icmp6_read(&src, &other, buf, n, &msg), -EBADMSG,
		       "another destination breaks the pseudo-header checksum");
	}
	is_int(icmp6_read(&src, &dst, buf, 15, &msg), -EBADMSG,
	       "a truncated RA fails its checksum first");
}

static void
test_options(void)
{
	struct nd_ra ra = {.retrans_ms = 1};
	struct icmp6_msg msg;
	struct wr wr;
	size_t n;
	uint16_t sum;

	/* An RA with an unknown option (type 200, 8 bytes): skipped. */
	wr_init(&wr, buf, sizeof(buf));
	nd_ra_write(&wr, &src, &dst, &ra);
	n = wr.off;
	memcpy(buf + n, "\xc8\x01\x00\x00\x00\x00\x00\x00", 8);
	n += 8;
	buf[2] = buf[3] = 0;
	sum = ip6_upper_csum(&src, &dst, 58, buf, n);
	buf[2] = (uint8_t)(sum >> 8);
	buf[3] = (uint8_t)sum;
	ok(icmp6_read(&src, &dst, buf, n, &msg) == 0 &&
		   msg.u.ra.prefix_count == 0 && !msg.u.ra.has_mtu,
	   "an unknown option is skipped");

	/* Same option claiming 16 bytes: runs off the end. */
	buf[n - 7] = 2;
	buf[2] = buf[3] = 0;
	sum = ip6_upper_csum(&src, &dst, 58, buf, n);
	buf[2] = (uint8_t)(sum >> 8);
	buf[3] = (uint8_t)sum;
	is_int(icmp6_read(&src, &dst, buf, n, &msg), -EBADMSG,
	       "an option overrunning the message is refused");

	/* An MTU option with the wrong length. */
	ra.has_mtu = true;
	ra.mtu = 1280;
	n = write_ra(&ra);
	buf[n - 7] = 2;
	memset(buf + n, 0, 8);
	n += 8;
	buf[2] = buf[3] = 0;
	sum = ip6_upper_csum(&src, &dst, 58, buf, n);
	buf[2] = (uint8_t)(sum >> 8);
	buf[3] = (uint8_t)sum;
	is_int(icmp6_read(&src, &dst, buf, n, &msg), -EBADMSG,
	       "an MTU option of length 2 is refused");
}

static void
test_echo_and_rs(void)
{
	struct icmp6_echo echo = {.id = 1, .seq = 2};
	struct icmp6_msg msg;
	struct wr wr;

	wr_init(&wr, buf, sizeof(buf));
	icmp6_echo_write(&wr, &src, &dst, ICMP6_ECHO_REQUEST, &echo);
	ok(wr.off == 8 && icmp6_read(&src, &dst, buf, wr.off, &msg) == 0 &&
		   msg.u.echo.data_len == 0 && msg.u.echo.seq == 2,
	   "an echo with no data");
	is_int(icmp6_read(&src, &dst, buf, 3, &msg), -EMSGSIZE,
	       "3 bytes are no ICMPv6 message");

	wr_init(&wr, buf, sizeof(buf));
	nd_rs_write(&wr, &src, &dst);
	ok(wr.off == 8 && icmp6_read(&src, &dst, buf, wr.off, &msg) == 0 &&
		   msg.type == ND_ROUTER_SOLICIT,
	   "RS round trip");

	/* An unknown type: checksum verified, body handed back. */
	memcpy(buf, "\x01\x04\x00\x00\x00\x00\x00\x00", 8);
	{
		uint16_t sum = ip6_upper_csum(&src, &dst, 58, buf, 8);

		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
	ok(icmp6_read(&src, &dst, buf, 8, &msg) == 0 && msg.type == 1 &&
		   msg.code == 4 && msg.body_len == 4,
	   "destination unreachable passes through");
}

int
main(void)
{
	if (ip6_addr_parse("fe80::1", &src) < 0 ||
	    ip6_addr_parse("fe80::2", &dst) < 0)
		abort();
	test_ra_round_trip();
	test_options();
	test_echo_and_rs();
	return done_testing();
}
