/*
 * lib/privsep: teredod's engine -> parent messages and the parent's
 * policy.  Vectors written from the diagram in privsep.h, write -> read
 * round trips, every malformation, and the hostile requests a captured
 * engine could send (other interfaces, addresses and routes outside the
 * Teredo prefix, MTUs out of range, answers posing as requests).
 */
#include "tap.h"

#include "privsep/privsep.h"

#define IFX 7
#define METRIC 1029

/* ADDR_ADD seq 1, ifindex 7, 2001:0:c000:20a:8000:fc8c:348c:8efc/32. */
static const char v_addr[] = "01 02 0020 00000001"
			     "00000007"
			     "20010000c000020a8000fc8c348c8efc"
			     "20 000000";
/* ROUTE_ADD seq 2, ifindex 7, ::/0 metric 1029. */
static const char v_route[] = "01 04 0024 00000002"
			      "00000007"
			      "00000000000000000000000000000000"
			      "00 000000 00000405";
/* LINK seq 3, ifindex 7, up, MTU 1280. */
static const char v_link[] = "01 06 0014 00000003 00000007 01 000000 00000500";
/* ANSWER seq 2, -EPERM. */
static const char v_answer[] = "01 80 000c 00000002 ffffffff";
static const char v_ready[] = "01 01 0008 00000009";

static const struct privsep_policy client_policy = {
	.ifindex = IFX,
	.prefix = PRIVSEP_TEREDO_PREFIX,
	.relay = false,
	.default_metric = METRIC,
};
static const struct privsep_policy relay_policy = {
	.ifindex = IFX,
	.prefix = 0x3ffe831fu, /* a configured Prefix (Miredo's old one) */
	.relay = true,
	.default_metric = METRIC,
};

static int
read_hex(const char *hex, struct privsep_msg *m)
{
	uint8_t buf[PRIVSEP_MSG_MAX];
	size_t n = unhex(hex, buf, sizeof(buf));

	return privsep_msg_read(buf, n, m);
}

static void
test_vectors(void)
{
	struct privsep_msg m;

	is_int(read_hex(v_addr, &m), 0, "ADDR_ADD vector parses");
	ok(m.type == PRIVSEP_ADDR_ADD && m.seq == 1 && m.ifindex == IFX &&
		   m.prefix_len == 32 && m.addr[0] == 0x20 &&
		   m.addr[15] == 0xfc,
	   "ADDR_ADD fields");
	is_int(read_hex(v_route, &m), 0, "ROUTE_ADD vector parses");
	ok(m.type == PRIVSEP_ROUTE_ADD && m.seq == 2 && m.prefix_len == 0 &&
		   m.metric == METRIC,
	   "ROUTE_ADD fields");
	is_int(read_hex(v_link, &m), 0, "LINK vector parses");
	ok(m.type == PRIVSEP_LINK && m.up && m.mtu == 1280, "LINK fields");
	is_int(read_hex(v_answer, &m), 0, "ANSWER vector parses");
	ok(m.type == PRIVSEP_ANSWER && m.seq == 2 && m.error == -EPERM,
	   "ANSWER carries -EPERM");
	is_int(read_hex(v_ready, &m), 0, "READY vector parses");
	ok(m.type == PRIVSEP_READY && m.seq == 9, "READY fields");
}

static void
test_malformed(void)
{
	static const struct {
		const char *hex, *what;
		int want;
	} bad[] = {
		{"01 02 0020", "shorter than a header", -EMSGSIZE},
		{"02 01 0008 00000001", "version 2", -EPROTONOSUPPORT},
		{"01 07 0008 00000001", "unknown type 7", -EBADMSG},
		{"01 01 0009 00000001 00", "READY with a body", -EBADMSG},
		{"01 01 0010 00000001", "length field says 16, datagram 8",
		 -EBADMSG},
		{"01 02 0020 00000001 00000007"
		 "20010000c000020a8000fc8c348c8efc 20 0000",
		 "ADDR_ADD one byte short", -EBADMSG},
		{"01 02 0020 00000001 00000007"
		 "20010000c000020a8000fc8c348c8efc 20 000100",
		 "ADDR_ADD with padding set", -EBADMSG},
		{"01 02 0020 00000001 00000007"
		 "20010000c000020a8000fc8c348c8efc 81 000000",
		 "prefix length 129", -EBADMSG},
		{"01 06 0014 00000003 00000007 02 000000 00000500",
		 "LINK up = 2", -EBADMSG},
		{"01 80 000c 00000002 00000001", "ANSWER error +1", -EBADMSG},
		{"01 80 000c 00000002 fffff000", "ANSWER error -4096",
		 -EBADMSG},
	};
	struct privsep_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(read_hex(bad[i].hex, &m), bad[i].want, "refused: %s",
		       bad[i].what);
	/* Every truncation of a valid message is refused. */
	{
		uint8_t buf[PRIVSEP_MSG_MAX];
		size_t n = unhex(v_route, buf, sizeof(buf));
		bool all = true;

		for (size_t k = 0; k < n; k++)
			all = all && privsep_msg_read(buf, k, &m) < 0;
		ok(all, "every truncation of ROUTE_ADD is refused");
		buf[n] = 0;
		ok(privsep_msg_read(buf, n + 1, &m) == -EBADMSG,
		   "a trailing byte is refused");
	}
}

static void
test_round_trip(void)
{
	const char *vec[] = {v_addr, v_route, v_link, v_answer, v_ready};
	struct privsep_msg m, back;
	uint8_t want[PRIVSEP_MSG_MAX], got[PRIVSEP_MSG_MAX];
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
		size_t n = unhex(vec[i], want, sizeof(want));

		if (privsep_msg_read(want, n, &m) < 0 ||
		    privsep_msg_write(&m, got, sizeof(got), &len) < 0) {
			ok(false, "vector %zu: read and write", i);
			continue;
		}
		is_mem(got, len, want, n,
		       "vector: read -> write gives it back");
		ok(privsep_msg_read(got, len, &back) == 0 &&
			   back.type == m.type && back.seq == m.seq &&
			   back.error == m.error && back.mtu == m.mtu,
		   "and reads again the same");
	}
	m = (struct privsep_msg){.type = PRIVSEP_ANSWER, .error = -4095};
	ok(privsep_msg_write(&m, got, sizeof(got), &len) == 0 &&
		   privsep_msg_read(got, len, &back) == 0 &&
		   back.error == -4095,
	   "ANSWER -4095 round trip");
	m.error = 3;
	is_int(privsep_msg_write(&m, got, sizeof(got), &len), -EINVAL,
	       "write refuses a positive error");
	m = (struct privsep_msg){.type = PRIVSEP_ROUTE_ADD};
	is_int(privsep_msg_write(&m, got, 10, &len), -ENOBUFS,
	       "write: -ENOBUFS when the buffer is short");
}

static struct privsep_msg
req(enum privsep_type type, uint32_t ifindex, const char *addr_hex,
    uint8_t plen, uint32_t metric)
{
	struct privsep_msg m = {.type = type,
				.ifindex = ifindex,
				.prefix_len = plen,
				.metric = metric};

	(void)unhex(addr_hex, m.addr, sizeof(m.addr));
	return m;
}

#define TEREDO_ADDR "20010000c000020a8000fc8c348c8efc"
#define ZERO16 "00000000000000000000000000000000"

static void
test_policy(void)
{
	struct privsep_msg m;

	/* What the client does. */
	m = req(PRIVSEP_ADDR_ADD, IFX, TEREDO_ADDR, 32, 0);
	is_int(privsep_check(&client_policy, &m), 0,
	       "client: its Teredo address /32 on the Teredo interface");
	m.type = PRIVSEP_ADDR_DEL;
	is_int(privsep_check(&client_policy, &m), 0, "client: and removes it");
	m = req(PRIVSEP_ROUTE_ADD, IFX, ZERO16, 0, METRIC);
	is_int(privsep_check(&client_policy, &m), 0,
	       "client: the last-resort default route");
	m.type = PRIVSEP_ROUTE_DEL;
	is_int(privsep_check(&client_policy, &m), 0,
	       "client: and withdraws it");

	/* Hostile requests from a client engine. */
	m = req(PRIVSEP_ADDR_ADD, 1, TEREDO_ADDR, 32, 0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "another interface (lo): refused");
	m = req(PRIVSEP_ADDR_ADD, IFX, "20010db8000000000000000000000001", 32,
		0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "an address outside 2001::/32: refused");
	m = req(PRIVSEP_ADDR_ADD, IFX, TEREDO_ADDR, 16, 0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "the Teredo address as /16 (a wider route): refused");
	m = req(PRIVSEP_ADDR_ADD, IFX, TEREDO_ADDR, 128, 0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "the Teredo address as /128: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, ZERO16, 0, 0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "a default route that beats native IPv6 (metric 0): refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010db8000000000000000000000000", 32,
		METRIC);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "client: a route to 2001:db8::/32: refused");
	m = req(PRIVSEP_ROUTE_DEL, 1, ZERO16, 0, METRIC);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "withdrawing another interface's default route: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000000000000000000000000000", 32,
		0);
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "client: the relay's prefix route: refused");

	/* The relay. */
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000000000000000000000000000", 32,
		0);
	is_int(privsep_check(&relay_policy, &m), 0, "relay: 2001::/32");
	m = req(PRIVSEP_ROUTE_DEL, IFX, "3ffe831f000000000000000000000000", 32,
		0);
	is_int(privsep_check(&relay_policy, &m), 0,
	       "relay: withdraws the configured Prefix 3ffe:831f::/32");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000000000000000000000000001", 32,
		0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: host bits set: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000c000020a0c3ef22634ff8efe", 128,
		0);
	is_int(privsep_check(&relay_policy, &m), 0,
	       "relay: a client's host route inside the prefix");
	m = req(PRIVSEP_ROUTE_DEL, IFX, "20010000c000020a0c3ef22634ff8efe", 128,
		0);
	is_int(privsep_check(&relay_policy, &m), 0,
	       "relay: removes a client's host route");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010db8000000000000000000000001", 128,
		0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: a host route outside the prefix: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000000000000000000000000000", 64,
		0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: a /64 inside the prefix: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, "20010000000000000000000000000000", 16,
		0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: 2000::/16: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX, ZERO16, 0, METRIC);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: a default route: refused");
	m = req(PRIVSEP_ADDR_ADD, IFX, TEREDO_ADDR, 32, 0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: an address: refused");
	m = req(PRIVSEP_ROUTE_ADD, IFX + 1, "20010000000000000000000000000000",
		32, 0);
	is_int(privsep_check(&relay_policy, &m), -EPERM,
	       "relay: another interface: refused");

	/* The link. */
	m = (struct privsep_msg){
		.type = PRIVSEP_LINK, .ifindex = IFX, .up = true, .mtu = 1280};
	is_int(privsep_check(&client_policy, &m), 0, "link up, MTU 1280");
	m.mtu = 1279;
	is_int(privsep_check(&client_policy, &m), -EPERM, "MTU 1279: refused");
	m.mtu = 65536;
	is_int(privsep_check(&client_policy, &m), -EPERM, "MTU 65536: refused");
	m.mtu = 0;
	m.up = false;
	is_int(privsep_check(&client_policy, &m), 0, "link down");
	m.ifindex = 1;
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "link down of lo: refused");
	m = (struct privsep_msg){.type = PRIVSEP_ANSWER};
	is_int(privsep_check(&client_policy, &m), -EPERM,
	       "an ANSWER is no request");
	m = (struct privsep_msg){.type = PRIVSEP_READY};
	is_int(privsep_check(&client_policy, &m), 0, "READY");
}

int
main(void)
{
	test_vectors();
	test_malformed();
	test_round_trip();
	test_policy();
	return done_testing();
}
