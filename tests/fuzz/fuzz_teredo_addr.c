/*
 * The Teredo address codec and the IPv4 scope test.  Input: 16 bytes of
 * IPv6 address, then any number of 5-byte host subnets (IPv4 address,
 * prefix length) for the directed-broadcast exclusion.
 *
 * teredo_addr_read/write must be inverse on 2001:0::/32, text formatting
 * must parse back, and teredo_ipv4_is_global must agree with a model of
 * RFC 4380 §5.2.4 (as addr.h documents it) for every 32-bit word seen.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "teredo/addr.h"
#include "wire/ip6.h"

#define MAX_SUBNETS 8
#define SUBNET_LEN 5

static bool
model_is_global(uint32_t a, const struct ipv4_subnet *s, size_t n)
{
	unsigned o1 = a >> 24, o2 = (a >> 16) & 0xff, o3 = (a >> 8) & 0xff;

	if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224)
		return false; /* this net, RFC 1918, loopback, 224/4, 240/4 */
	if ((o1 == 169 && o2 == 254) || (o1 == 172 && (o2 & 0xf0) == 16) ||
	    (o1 == 192 && o2 == 168) || (o1 == 192 && o2 == 88 && o3 == 99))
		return false;
	for (size_t i = 0; i < n; i++) {
		/* A /31 or /32 has no broadcast address (RFC 3021). */
		if (s[i].prefix_len <= 30 &&
		    a == (s[i].addr | (0xffffffffu >> s[i].prefix_len)))
			return false;
	}
	return true;
}

static void
check_global(uint32_t a, const struct ipv4_subnet *s, size_t n)
{
	FUZZ_CHECK(teredo_ipv4_is_global(a, s, n) == model_is_global(a, s, n));
	FUZZ_CHECK(teredo_ipv4_is_global(a, NULL, 0) ==
		   model_is_global(a, NULL, 0));
}

static void
check_text(const struct ip6_addr *a)
{
	char text[46], text2[46];
	struct ip6_addr back;
	const char *dc;

	memset(text, 0x55, sizeof(text));
	ip6_addr_format(a, text);
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	FUZZ_CHECK(strlen(text) <= 39);
	FUZZ_CHECK(ip6_addr_parse(text, &back) == 0);
	FUZZ_CHECK(ip6_addr_equal(a, &back));
	/* RFC 5952: lower case, at most one "::", a fixed point. */
	for (const char *c = text; *c != '\0'; c++)
		FUZZ_CHECK((*c >= '0' && *c <= '9') ||
			   (*c >= 'a' && *c <= 'f') || *c == ':');
	dc = strstr(text, "::");
	FUZZ_CHECK(dc == NULL || strstr(dc + 1, "::") == NULL);
	ip6_addr_format(&back, text2);
	FUZZ_CHECK(strcmp(text, text2) == 0);
}

static void
check_teredo(const struct ip6_addr *a, const struct ipv4_subnet *s, size_t n)
{
	struct teredo_addr t;
	struct ip6_addr back, ll;
	uint16_t flags;
	int rc;

	rc = teredo_addr_read(a, &t);
	FUZZ_CHECK(teredo_addr_is_teredo(a) == (rc == 0));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(teredo_addr_is_teredo(a) ==
		   (be32_load(a->bytes) == TEREDO_PREFIX));
	if (rc != 0)
		return;

	FUZZ_CHECK(t.prefix == TEREDO_PREFIX);
	FUZZ_CHECK(t.server_ipv4 == be32_load(a->bytes + 4));
	FUZZ_CHECK(t.flags == be16_load(a->bytes + 8));
	/* RFC 4380 §4: port and address with every bit inverted. */
	FUZZ_CHECK(t.mapped_port == fuzz_be16_inv(a->bytes + 10));
	FUZZ_CHECK(t.mapped_ipv4 == ~be32_load(a->bytes + 12));
	memset(&back, 0xa5, sizeof(back));
	teredo_addr_write(&t, &back);
	FUZZ_CHECK(memcmp(back.bytes, a->bytes, 16) == 0);

	FUZZ_CHECK(teredo_flags_valid(t.flags) ==
		   ((t.flags & TEREDO_FLAGS_MBZ) == 0));
	flags = teredo_flags_client(t.flags);
	FUZZ_CHECK(teredo_flags_valid(flags));
	FUZZ_CHECK((flags & ~TEREDO_FLAGS_RANDOM) == 0);
	FUZZ_CHECK(flags == (t.flags & TEREDO_FLAGS_RANDOM));

	teredo_server_link_local(t.mapped_ipv4, &ll);
	FUZZ_CHECK(ip6_addr_is_link_local(&ll));
	FUZZ_CHECK(be32_load(ll.bytes + 8) == 0x8000f227u);
	FUZZ_CHECK(be32_load(ll.bytes + 12) == ~t.mapped_ipv4);
	teredo_client_link_local((t.flags & TEREDO_FLAG_CONE) != 0, &ll);
	FUZZ_CHECK(ip6_addr_is_link_local(&ll));
	FUZZ_CHECK((ll.bytes[8] & 0x80) == (a->bytes[8] & 0x80));

	check_global(t.server_ipv4, s, n);
	check_global(t.mapped_ipv4, s, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipv4_subnet subnets[MAX_SUBNETS];
	struct ip6_addr a;
	size_t n = 0;

	if (size < sizeof(a.bytes))
		return 0;
	memcpy(a.bytes, data, sizeof(a.bytes));
	for (size_t off = sizeof(a.bytes);
	     size - off >= SUBNET_LEN && n < MAX_SUBNETS; off += SUBNET_LEN) {
		subnets[n].addr = be32_load(data + off);
		subnets[n].prefix_len = data[off + 4];
		n++;
	}

	check_teredo(&a, subnets, n);
	check_text(&a);
	for (size_t i = 0; i < 4; i++)
		check_global(be32_load(a.bytes + 4 * i), subnets, n);
	for (size_t i = 0; i < n; i++)
		check_global(subnets[i].addr, subnets, n);
	return 0;
}
