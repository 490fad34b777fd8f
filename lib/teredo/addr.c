/* Teredo address codec and IPv4 scope test (RFC 4380 §4, §5.2.4). */
#include "teredo/addr.h"

#include <string.h>

#include "wire/rd.h"
#include "wire/wr.h"

bool
teredo_addr_is_teredo(const struct ip6_addr *a)
{
	return a->bytes[0] == 0x20 && a->bytes[1] == 0x01 &&
	       a->bytes[2] == 0x00 && a->bytes[3] == 0x00;
}

int
teredo_addr_read(const struct ip6_addr *a, struct teredo_addr *out)
{
	struct rd rd;

	if (!teredo_addr_is_teredo(a))
		return -EINVAL;
	rd_init(&rd, a->bytes, sizeof(a->bytes));
	out->prefix = rd_u32(&rd);
	out->server_ipv4 = rd_u32(&rd);
	out->flags = rd_u16(&rd);
	/* RFC 4380 §4: port and address are stored with all bits inverted. */
	out->mapped_port = (uint16_t)~rd_u16(&rd);
	out->mapped_ipv4 = ~rd_u32(&rd);
	return 0;
}

void
teredo_addr_write(const struct teredo_addr *t, struct ip6_addr *out)
{
	struct wr wr;

	wr_init(&wr, out->bytes, sizeof(out->bytes));
	wr_u32(&wr, t->prefix);
	wr_u32(&wr, t->server_ipv4);
	wr_u16(&wr, t->flags);
	wr_u16(&wr, (uint16_t)~t->mapped_port);
	wr_u32(&wr, ~t->mapped_ipv4);
}

uint16_t
teredo_flags_client(uint16_t random_bits)
{
	/* RFC 5991 §3.2: clients send C = 0; z, U, G stay zero. */
	return random_bits & TEREDO_FLAGS_RANDOM;
}

bool
teredo_flags_valid(uint16_t flags)
{
	return (flags & TEREDO_FLAGS_MBZ) == 0;
}

void
teredo_server_link_local(uint32_t server_ipv4, struct ip6_addr *out)
{
	struct teredo_addr t = {
		.prefix = 0xfe800000u,
		.server_ipv4 = 0,
		.flags = TEREDO_FLAG_CONE,
		.mapped_port = TEREDO_PORT,
		.mapped_ipv4 = server_ipv4,
	};

	teredo_addr_write(&t, out);
}

void
teredo_client_link_local(bool cone, struct ip6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->bytes[0] = 0xfe;
	out->bytes[1] = 0x80;
	if (cone)
		out->bytes[8] = 0x80;
	memset(&out->bytes[10], 0xff, 5);
	out->bytes[15] = 0xfe;
}

void
teredo_port_probe_link_local(struct ip6_addr *out)
{
	teredo_client_link_local(false, out);
	out->bytes[15] = 0xfd;
}

static bool
ipv4_in(uint32_t ipv4, uint32_t net, unsigned prefix_len)
{
	uint32_t mask = prefix_len == 0 ? 0 : ~0u << (32 - prefix_len);

	return (ipv4 & mask) == net;
}

bool
teredo_ipv4_is_global(uint32_t ipv4, const struct ipv4_subnet *subnets,
		      size_t n_subnets)
{
	static const struct {
		uint32_t net;
		uint8_t len;
	} special[] = {
		{0x00000000u, 8},  /* "this" network */
		{0x0a000000u, 8},  /* RFC 1918 */
		{0x7f000000u, 8},  /* loopback */
		{0xa9fe0000u, 16}, /* link-local */
		{0xac100000u, 12}, /* RFC 1918 */
		{0xc0586300u, 24}, /* 6to4 relay anycast */
		{0xc0a80000u, 16}, /* RFC 1918 */
		{0xe0000000u, 4},  /* multicast */
		{0xf0000000u, 4},  /* reserved, incl. 255.255.255.255 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(special); i++)
		if (ipv4_in(ipv4, special[i].net, special[i].len))
			return false;
	for (size_t i = 0; i < n_subnets; i++) {
		unsigned len = subnets[i].prefix_len;
		uint32_t host = len >= 32 ? 0 : ~0u >> len;

		/* A /31 or /32 has no broadcast address (RFC 3021). */
		if (len < 31 && ipv4 == (subnets[i].addr | host))
			return false;
	}
	return true;
}
