/* lib/teredo/addr: Teredo addresses and the global-unicast IPv4 test. */
#include "tap.h"
#include "teredo/addr.h"

#define IPV4(a, b, c, d)                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

static struct ip6_addr
addr(const char *text)
{
	struct ip6_addr a;

	if (ip6_addr_parse(text, &a) < 0)
		abort();
	return a;
}

static bool
text_is(const struct ip6_addr *a, const char *want)
{
	char got[46];

	ip6_addr_format(a, got);
	if (strcmp(got, want) != 0)
		printf("#   got %s, want %s\n", got, want);
	return strcmp(got, want) == 0;
}

/* Decodes of the RFC 6081 figures and teredo-spec.md §2.4 (A1). */
static void
test_decode_vectors(void)
{
	static const struct {
		const char *text;
		uint32_t server;
		uint16_t flags, port;
		uint32_t client;
	} v[] = {
		{"2001:0:cb00:7178:0:efff:3fff:fdfe", IPV4(203, 0, 113, 120), 0,
		 4096, IPV4(192, 0, 2, 1)},
		{"2001:0:c633:6476:0:dfff:3fff:fdf5", IPV4(198, 51, 100, 118),
		 0, 8192, IPV4(192, 0, 2, 10)},
		{"2001:0:cb00:7178:1034:63bf:3fff:fdd2", IPV4(203, 0, 113, 120),
		 0x1034, 40000, IPV4(192, 0, 2, 45)},
		{"2001:0:c633:6476:0:f000:39cc:9b89", IPV4(198, 51, 100, 118),
		 0, 4095, IPV4(198, 51, 100, 118)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct ip6_addr a = addr(v[i].text), back;
		struct teredo_addr t;

		ok(teredo_addr_read(&a, &t) == 0 && t.prefix == TEREDO_PREFIX &&
			   t.server_ipv4 == v[i].server &&
			   t.flags == v[i].flags &&
			   t.mapped_port == v[i].port &&
			   t.mapped_ipv4 == v[i].client,
		   "decode %s", v[i].text);
		teredo_addr_write(&t, &back);
		ok(ip6_addr_equal(&a, &back), "re-encode %s", v[i].text);
	}
}

/* MS-Docs: port 5000 is stored as EC77, 131.107.0.1 as 7C94:FFFE. */
static void
test_obfuscation(void)
{
	struct teredo_addr t = {
		.prefix = TEREDO_PREFIX,
		.server_ipv4 = IPV4(65, 54, 227, 120),
		.mapped_port = 5000,
		.mapped_ipv4 = IPV4(131, 107, 0, 1),
	};
	struct ip6_addr a;

	teredo_addr_write(&t, &a);
	ok(text_is(&a, "2001:0:4136:e378:0:ec77:7c94:fffe"),
	   "port and IPv4 are inverted in network order");
	a = addr("2001:db8::1");
	is_int(teredo_addr_read(&a, &t), -EINVAL, "non-Teredo prefix refused");
	ok(!teredo_addr_is_teredo(&a), "2001:db8:: is not Teredo");
	a = addr("2001:1::1");
	ok(!teredo_addr_is_teredo(&a), "2001:1:: is not Teredo (/32)");
}

static void
test_link_locals(void)
{
	struct ip6_addr a;

	/* The RA source seen in a Wireshark capture of Microsoft's server. */
	teredo_server_link_local(IPV4(65, 55, 158, 118), &a);
	ok(text_is(&a, "fe80::8000:f227:bec8:6189"),
	   "server link-local of 65.55.158.118");
	teredo_server_link_local(IPV4(203, 0, 113, 120), &a);
	ok(text_is(&a, "fe80::8000:f227:34ff:8e87"),
	   "server link-local of 203.0.113.120");
	teredo_client_link_local(false, &a);
	ok(text_is(&a, "fe80::ffff:ffff:fffe"), "client RS source");
	teredo_client_link_local(true, &a);
	ok(text_is(&a, "fe80::8000:ffff:ffff:fffe"), "cone RS source");
}

/* A3/A5: a client's flags never carry C, z, U or G, whatever the RNG says. */
static void
test_flags(void)
{
	bool all_clean = true, all_valid = true;
	unsigned seen = 0;

	for (uint32_t r = 0; r <= UINT16_MAX; r++) {
		uint16_t f = teredo_flags_client((uint16_t)r);

		all_clean &= (f & (TEREDO_FLAGS_MBZ | TEREDO_FLAG_CONE)) == 0;
		all_valid &= teredo_flags_valid(f);
		seen |= f;
	}
	ok(all_clean, "flags & 0xc300 == 0 for every random input");
	ok(all_valid, "client flags are valid flags");
	is_int(seen, TEREDO_FLAGS_RANDOM, "all 12 random bits are used");
	ok(teredo_flags_valid(TEREDO_FLAG_CONE), "C alone is a valid flag");
	ok(!teredo_flags_valid(0x0200), "U set is invalid");
	ok(!teredo_flags_valid(0x0100), "G set is invalid");
	ok(!teredo_flags_valid(0x4000), "z set is invalid");
}

/* A7: every range of RFC 4380 §5.2.4, at its edges. */
static void
test_global(void)
{
	static const struct {
		uint32_t ipv4;
		bool global;
	} v[] = {
		{IPV4(0, 0, 0, 0), false},
		{IPV4(0, 255, 255, 255), false},
		{IPV4(1, 0, 0, 0), true},
		{IPV4(9, 255, 255, 255), true},
		{IPV4(10, 0, 0, 0), false},
		{IPV4(10, 255, 255, 255), false},
		{IPV4(11, 0, 0, 0), true},
		{IPV4(126, 255, 255, 255), true},
		{IPV4(127, 0, 0, 1), false},
		{IPV4(128, 0, 0, 0), true},
		{IPV4(169, 253, 255, 255), true},
		{IPV4(169, 254, 0, 0), false},
		{IPV4(169, 254, 255, 255), false},
		{IPV4(169, 255, 0, 0), true},
		{IPV4(172, 15, 255, 255), true},
		{IPV4(172, 16, 0, 0), false},
		{IPV4(172, 31, 255, 255), false},
		{IPV4(172, 32, 0, 0), true},
		{IPV4(192, 0, 2, 1), true},
		{IPV4(192, 88, 98, 255), true},
		{IPV4(192, 88, 99, 0), false},
		{IPV4(192, 88, 99, 255), false},
		{IPV4(192, 88, 100, 0), true},
		{IPV4(192, 167, 255, 255), true},
		{IPV4(192, 168, 0, 0), false},
		{IPV4(192, 168, 255, 255), false},
		{IPV4(192, 169, 0, 0), true},
		{IPV4(203, 0, 113, 120), true},
		{IPV4(223, 255, 255, 255), true},
		{IPV4(224, 0, 0, 0), false},
		{IPV4(224, 0, 0, 253), false},
		{IPV4(239, 255, 255, 255), false},
		{IPV4(240, 0, 0, 0), false},
		{IPV4(255, 255, 255, 255), false},
	};
	static const struct ipv4_subnet subnets[] = {
		{IPV4(198, 18, 0, 0), 24},
		{IPV4(198, 19, 0, 1), 32},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ok(teredo_ipv4_is_global(v[i].ipv4, NULL, 0) == v[i].global,
		   "%u.%u.%u.%u is %sglobal", v[i].ipv4 >> 24,
		   v[i].ipv4 >> 16 & 255, v[i].ipv4 >> 8 & 255, v[i].ipv4 & 255,
		   v[i].global ? "" : "not ");
	ok(!teredo_ipv4_is_global(IPV4(198, 18, 0, 255), subnets, 2),
	   "directed broadcast of an attached /24 is not global");
	ok(teredo_ipv4_is_global(IPV4(198, 18, 0, 254), subnets, 2),
	   "a host of that subnet is global");
	ok(teredo_ipv4_is_global(IPV4(198, 19, 0, 1), subnets, 2),
	   "a /32 has no broadcast address");
}

int
main(void)
{
	test_decode_vectors();
	test_obfuscation();
	test_link_locals();
	test_flags();
	test_global();
	return done_testing();
}
