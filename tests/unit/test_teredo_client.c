/*
 * lib/teredo/client: the checks a single client makes, driven by hand with
 * crafted datagrams (the whole-topology behaviour is tests/sim).  Item
 * numbers are teredo-spec.md §7.
 */
#include "tap.h"
#include "teredo_test.h"
#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/msg.h"
#include "wire/wr.h"

#define SERVER 0xcb007178u    /* 203.0.113.120 */
#define MAPPED_IP 0xc000022du /* 192.0.2.45 */
#define MAPPED_PORT 40000
#define LOCAL_PORT 5555
#define PEERS 8

struct sent {
	uint32_t ipv4;
	uint16_t port;
	size_t len;
	uint8_t buf[1500];
};

static struct sent sent[4096];
static size_t nsent, ndelivered, naddr;
static uint64_t rng = 88172645463325252ull;
/* Every datagram out, uncapped (issue 11 A5: out against in). */
static uint64_t out_count, out_bytes;

static void
io_send(void *ctx, uint32_t ipv4, uint16_t port, const uint8_t *buf, size_t len)
{
	(void)ctx;
	out_count++;
	out_bytes += len;
	if (nsent == ARRAY_SIZE(sent))
		return;
	sent[nsent].ipv4 = ipv4;
	sent[nsent].port = port;
	sent[nsent].len = len;
	memcpy(sent[nsent].buf, buf, len);
	nsent++;
}

static void
io_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	(void)ctx;
	(void)ip6;
	(void)len;
	ndelivered++;
}

static void
io_address(void *ctx, const struct ip6_addr *addr)
{
	(void)ctx;
	(void)addr;
	naddr++;
}

static void
io_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	test_random_fill(&rng, buf, n);
}

/* The relay's prefix as the daemon would route it (R8). */
static unsigned nadvertise;
static bool advertised = true;

static void
io_advertise(void *ctx, bool on)
{
	(void)ctx;
	nadvertise++;
	advertised = on;
}

static const struct teredo_client_io io = {
	.send_udp = io_send,
	.deliver = io_deliver,
	.address = io_address,
	.random = io_random,
	.advertise = io_advertise,
};

static struct teredo_peer peers[PEERS];

static void
client_new(struct teredo_client *c, bool probes)
{
	struct teredo_client_config cfg = {
		.server_ipv4 = SERVER,
		.local_port = LOCAL_PORT,
		.symmetric_nat_support = true,
		.nat_probes = probes,
	};

	nsent = ndelivered = naddr = 0;
	if (teredo_client_init(c, &cfg, &io, peers, PEERS) < 0)
		abort();
}

/* The nonce of the RS at sent[i]. */
static void
rs_nonce(size_t i, uint8_t nonce[8])
{
	struct teredo_packet pkt;

	if (teredo_packet_read(sent[i].buf, sent[i].len, &pkt) < 0 ||
	    !pkt.has_auth)
		abort();
	memcpy(nonce, pkt.auth.nonce, 8);
}

/* Answers the RS at sent[i] as the server would, from `from:port`. */
static void
answer(struct teredo_client *c, uint64_t now, size_t i, uint32_t from,
       uint16_t port, uint32_t map_ip, uint16_t map_port)
{
	struct teredo_ra_params p = {
		.origin = {.port = map_port, .ipv4 = map_ip},
		.server_ipv4 = SERVER,
	};
	uint8_t buf[256];
	size_t len;

	rs_nonce(i, p.nonce);
	teredo_client_link_local(false, &p.client_ll);
	if (teredo_ra_write(buf, sizeof(buf), &p, &len) < 0)
		abort();
	teredo_client_on_udp(c, now, buf, len, from, port, 0x0a000002u);
}

static void
qualify(struct teredo_client *c)
{
	teredo_client_start(c, 0);
	answer(c, 100, nsent - 1, SERVER, TEREDO_PORT, MAPPED_IP, MAPPED_PORT);
	answer(c, 200, nsent - 1, SERVER + 1, TEREDO_PORT, MAPPED_IP,
	       MAPPED_PORT);
	if (c->state != TEREDO_CLIENT_QUALIFIED)
		abort();
}

static void
test_qualification_checks(void)
{
	struct teredo_client c;
	uint8_t nonces[1000][8];
	bool unique = true;
	size_t rs;

	client_new(&c, false);
	teredo_client_start(&c, 0);
	ok(nsent == 1 && sent[0].ipv4 == SERVER && sent[0].port == 3544 &&
		   sent[0].len == 61,
	   "Q2: one 61-byte RS to the primary server:3544");
	ok(sent[0].buf[13 + 8 + 8] == 0x00, "Q8: C = 0 source, no cone probe");

	rs = nsent - 1;
	answer(&c, 10, rs, SERVER, 4000, MAPPED_IP, MAPPED_PORT);
	answer(&c, 10, rs, SERVER + 5, TEREDO_PORT, MAPPED_IP, MAPPED_PORT);
	ok(c.state == TEREDO_CLIENT_PROBE_PRIMARY && !c.have_mapping &&
		   c.stats.ra_accepted == 0 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_NOT_QUALIFIED] == 2,
	   "S2: RAs from another port or address are ignored");
	sent[rs].buf[4] ^= 1; /* a nonce we never sent */
	answer(&c, 10, rs, SERVER, TEREDO_PORT, MAPPED_IP, MAPPED_PORT);
	sent[rs].buf[4] ^= 1;
	ok(c.state == TEREDO_CLIENT_PROBE_PRIMARY &&
		   c.stats.drops[TEREDO_CLIENT_DROP_STALE_RA] == 1,
	   "Q5: an RA with the wrong nonce is ignored");
	answer(&c, 10, rs, SERVER, TEREDO_PORT, 0x0a000001u, MAPPED_PORT);
	ok(c.state == TEREDO_CLIENT_OFFLINE && naddr == 0,
	   "A2: a mapping of 10.0.0.1 configures no address");

	/* Q4: a black-hole server gets exactly 3 RS, 4 s apart. */
	client_new(&c, false);
	teredo_client_start(&c, 0);
	for (uint64_t t = 0; t <= 20000; t += 500)
		teredo_client_on_timer(&c, t);
	ok(nsent == 3 && c.state == TEREDO_CLIENT_OFFLINE && c.error != NULL,
	   "Q4/Q10: 3 RS, then offline: %s", c.error ? c.error : "?");
	ok(teredo_client_deadline(&c) == 12000 + TEREDO_REQUALIFY_DELAY_MS,
	   "Q18: requalification scheduled after the back-off");

	/* Q3: fresh, unpredictable nonces. */
	for (size_t i = 0; i < ARRAY_SIZE(nonces); i++) {
		client_new(&c, false);
		teredo_client_start(&c, 0);
		rs_nonce(0, nonces[i]);
		for (size_t j = 0; j < i && unique; j++)
			unique = memcmp(nonces[i], nonces[j], 8) != 0;
	}
	ok(unique, "Q3: 1000 RS, 1000 different nonces");

	client_new(&c, false);
	qualify(&c);
	ok(naddr == 1 && c.nat == TEREDO_NAT_RESTRICTED &&
		   c.port_preserving == false,
	   "qualified; port not preserved (40000 != 5555)");
	ok(c.addr.bytes[10] == (uint8_t) ~(MAPPED_PORT >> 8) &&
		   c.addr.bytes[12] == (uint8_t)~192,
	   "Q6: the address carries the mapping from the primary RA");
}

static size_t
tun_ping(struct teredo_client *c, uint64_t now, const struct ip6_addr *dst)
{
	struct icmp6_echo echo = {.id = 1, .seq = 1};
	uint8_t buf[128];
	size_t len, before = nsent;

	if (teredo_echo_write(buf, sizeof(buf), &c->addr, dst, 64,
			      ICMP6_ECHO_REQUEST, &echo, &len) < 0)
		abort();
	teredo_client_on_tun(c, now, buf, len);
	return nsent - before;
}

static void
test_transmission(void)
{
	struct teredo_client c;
	struct ip6_addr peer = teredo(SERVER, 0xc6336405u, 7000);
	struct ip6_addr bad = teredo(SERVER, 0x0a010203u, 7000);
	struct ip6_addr bad_server = teredo(0x0a000001u, 0xc6336405u, 7000);
	size_t n;

	client_new(&c, false);
	teredo_client_start(&c, 0);
	{
		struct icmp6_echo echo = {.id = 1};
		uint8_t buf[128];
		size_t len;

		if (teredo_echo_write(buf, sizeof(buf), &peer, &peer, 64,
				      ICMP6_ECHO_REQUEST, &echo, &len) < 0)
			abort();
		nsent = 0;
		teredo_client_on_tun(&c, 1, buf, len);
		ok(nsent == 0 &&
			   c.stats.drops[TEREDO_CLIENT_DROP_NOT_QUALIFIED] == 1,
		   "Q1: nothing is sent before qualification");
	}
	qualify(&c);
	ok(tun_ping(&c, 1000, &bad) == 0 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_BAD_DESTINATION] == 1,
	   "T8: a destination embedding 10.1.2.3: no datagram");
	ok(tun_ping(&c, 1000, &bad_server) == 0 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_BAD_DESTINATION] == 2,
	   "T9: a destination whose server is 10.0.0.1: no datagram");

	n = tun_ping(&c, 1000, &peer);
	ok(n == 2 && sent[nsent - 2].ipv4 == 0xc6336405u &&
		   sent[nsent - 2].port == 7000 &&
		   sent[nsent - 1].ipv4 == SERVER &&
		   sent[nsent - 1].port == 3544,
	   "T7: a direct bubble to the mapping, an indirect one via its "
	   "server");
	{
		struct teredo_packet direct, indirect;

		ok(teredo_packet_read(sent[nsent - 2].buf, sent[nsent - 2].len,
				      &direct) == 0 &&
			   !direct.trailers.has_nonce &&
			   teredo_packet_read(sent[nsent - 1].buf,
					      sent[nsent - 1].len,
					      &indirect) == 0 &&
			   indirect.trailers.has_nonce,
		   "X1/X2: the indirect bubble has a nonce, the direct none");
	}
	for (int i = 0; i < 9; i++)
		n += tun_ping(&c, 1000 + (uint64_t)i * 100, &peer);
	is_int(n, 2, "T10: 10 packets in 1 s: one bubble pair");

	/* T11: a silent peer gets 4 rounds in 300 s, then nothing. */
	for (uint64_t t = 1000; t < 301000; t += 250) {
		teredo_client_on_timer(&c, t);
		if (t % 10000 == 0)
			(void)tun_ping(&c, t, &peer);
	}
	ok(c.stats.bubbles_sent == 2 * TEREDO_BUBBLE_MAX &&
		   c.stats.drops[TEREDO_CLIENT_DROP_UNREACHABLE] >= 1,
	   "T11: 4 bubble rounds in 300 s (%llu bubbles), then given up",
	   (unsigned long long)c.stats.bubbles_sent);
}

static void
bubble_from(struct teredo_client *c, uint64_t now, const struct ip6_addr *src,
	    uint32_t ipv4, uint16_t port, const struct teredo_trailers *t,
	    bool via_server)
{
	struct teredo_origin origin = {.ipv4 = ipv4, .port = port};
	uint8_t buf[128];
	size_t len;

	if (teredo_bubble_write(buf, sizeof(buf), src, &c->addr, 255,
				via_server ? &origin : NULL, t, &len) < 0)
		abort();
	teredo_client_on_udp(c, now, buf, len, via_server ? SERVER : ipv4,
			     via_server ? TEREDO_PORT : port, 0x0a000002u);
}

/*
 * TEREDO_BUBBLE_ATTEMPTS (issue 14): a peer that answers through its
 * server (its indirect bubbles arrive) while the direct path loses
 * everything: after 4 rounds a second procedure of 4 follows at once, the
 * stack's packet still queued (no ICMPv6 error that would stop the
 * application), and only then is the peer unreachable; nothing more in
 * the window.  (A silent peer gets its 4 alone: T11.)
 */
static void
test_attempts(void)
{
	struct teredo_client c;
	struct ip6_addr peer = teredo(SERVER, 0xc6336407u, 7000);
	struct teredo_trailers t = {.has_nonce = true, .nonce = 77};
	const struct teredo_peer *p;
	unsigned rounds = 0;
	uint64_t errors_at_8s = 0;

	client_new(&c, false);
	qualify(&c);
	nsent = 0;
	(void)tun_ping(&c, 1000, &peer); /* one packet, then silence */
	for (uint64_t now = 1000; now < 120000; now += 250) {
		teredo_client_on_timer(&c, now);
		if (now % 2000 == 1500) {
			t.nonce++;
			bubble_from(&c, now, &peer, 0xc6336407u, 7000, &t,
				    true);
		}
		if (now == 9500)
			errors_at_8s = c.stats.unreachable_sent;
	}
	for (size_t i = 0; i < nsent; i++) {
		struct teredo_packet pkt;

		rounds += sent[i].ipv4 == SERVER &&
			  sent[i].port == TEREDO_PORT &&
			  teredo_packet_read(sent[i].buf, sent[i].len, &pkt) ==
				  0 &&
			  !pkt.has_auth;
	}
	p = teredo_client_peer(&c, &peer);
	ok(p != NULL && !p->trusted && p->attempts == 1 &&
		   rounds == TEREDO_BUBBLE_ATTEMPTS * TEREDO_BUBBLE_MAX,
	   "a peer answering through its server: %u indirect bubbles "
	   "(2 procedures of %u) in 120 s",
	   rounds, TEREDO_BUBBLE_MAX);
	ok(errors_at_8s == 0 && c.stats.unreachable_sent == 1,
	   "the stack's packet waits through the first procedure; one "
	   "ICMPv6 error after the second");
}

static void udp_echo(struct teredo_client *c, uint64_t now,
		     const struct ip6_addr *src, const struct ip6_addr *dst,
		     uint8_t type, const uint8_t *data, size_t data_len,
		     uint32_t from, uint16_t port);

static void
test_reception(void)
{
	struct teredo_client c;
	struct ip6_addr peer = teredo(SERVER, 0xc6336405u, 7000);
	struct teredo_trailers wrong = {.has_nonce = true}, right;
	const struct teredo_peer *p;
	struct ip6_addr ll;

	client_new(&c, false);
	qualify(&c);
	(void)tun_ping(&c, 1000, &peer);
	p = teredo_client_peer(&c, &peer);
	ok(p != NULL && !p->trusted && p->queue_len > 0,
	   "T12: a queued packet waits for trust");

	/* X4: a mismatched mapping needs the nonce we sent. */
	wrong.nonce = p->nonce_sent + 1;
	bubble_from(&c, 1100, &peer, 0xc6336405u, 9999, &wrong, false);
	bubble_from(&c, 1100, &peer, 0xc6336405u, 9999, NULL, false);
	ok(!p->trusted && c.stats.drops[TEREDO_CLIENT_DROP_MAPPING] == 2,
	   "X4: mismatched bubbles with a wrong or no nonce are dropped");
	right = (struct teredo_trailers){.has_nonce = true,
					 .nonce = p->nonce_sent};
	nsent = 0;
	bubble_from(&c, 1200, &peer, 0xc6336405u, 9999, &right, false);
	ok(p->trusted && p->mapped_port == 9999 && p->queue_len == 0 &&
		   nsent == 2 && sent[0].port == 9999 && sent[1].port == 9999,
	   "X4: the right nonce trusts the observed mapping; a direct "
	   "bubble there, the queue flushed");
	/* Issue 11 A4: that nonce is spent; replayed from elsewhere, now or
	 * an hour later, it re-points nothing. */
	bubble_from(&c, 1250, &peer, 0xc6336499u, 1234, &right, false);
	bubble_from(&c, 1200 + 3600000, &peer, 0xc6336499u, 1234, &right,
		    false);
	ok(p->trusted && p->mapped_ipv4 == 0xc6336405u &&
		   p->mapped_port == 9999 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_MAPPING] == 3 &&
		   c.stats.reverifications == 1,
	   "issue 11 A4: a replayed nonce from another IPv4:port is dropped "
	   "(an hour later: a re-verification, issue 11 C); the mapping "
	   "stays");

	teredo_client_link_local(false, &ll);
	bubble_from(&c, 1300, &ll, 0xc6336405u, 9999, NULL, false);
	ok(c.stats.drops[TEREDO_CLIENT_DROP_LINK_LOCAL] == 1,
	   "T21: a link-local source from a peer never reaches the stack");

	/* A bubble from the embedded mapping (the peer bubbling every path
	 * it knows of ours: a hairpinned copy) leaves the nonce-proven
	 * mapping; the peer's data from there re-points it. */
	bubble_from(&c, 1350, &peer, 0xc6336405u, 7000, NULL, false);
	ok(p->trusted && p->mapped_port == 9999 && ndelivered == 0,
	   "a bubble from the embedded mapping keeps the mapping the nonce "
	   "proved (9999)");
	udp_echo(&c, 1360, &peer, &c.addr, ICMP6_ECHO_REQUEST,
		 (const uint8_t *)"x", 1, 0xc6336405u, 7000);
	ok(p->trusted && p->mapped_port == 7000 && ndelivered == 1,
	   "... its data from the embedded mapping is delivered and "
	   "re-points it (7000)");
	ndelivered = 0;

	/* X2/X3: an indirect bubble's nonce is echoed in the direct answer. */
	{
		struct ip6_addr other = teredo(SERVER, 0xc6336406u, 7100);
		struct teredo_trailers t = {.has_nonce = true,
					    .nonce = 0xfeedf00d};
		struct teredo_packet direct;

		nsent = 0;
		bubble_from(&c, 1400, &other, 0xc6336406u, 7100, &t, true);
		ok(nsent >= 1 && sent[0].ipv4 == 0xc6336406u &&
			   sent[0].port == 7100 &&
			   teredo_packet_read(sent[0].buf, sent[0].len,
					      &direct) == 0 &&
			   direct.trailers.has_nonce &&
			   direct.trailers.nonce == 0xfeedf00d,
		   "X2/T20: an indirect bubble is answered directly, nonce "
		   "echoed");
		ok(ndelivered == 0, "T20: bubbles never reach the stack");
	}
}

#define RELAY_IP 0xc6336410u /* 198.51.100.16: the relay nearest a host */
#define RELAY_PORT 3544

/* An echo packet between any two addresses, from a relay, to the client. */
static void
udp_echo(struct teredo_client *c, uint64_t now, const struct ip6_addr *src,
	 const struct ip6_addr *dst, uint8_t type, const uint8_t *data,
	 size_t data_len, uint32_t from, uint16_t port)
{
	struct icmp6_echo echo = {.id = 7, .data = data, .data_len = data_len};
	uint8_t buf[256];
	size_t len;

	if (teredo_echo_write(buf, sizeof(buf), src, dst, 64, type, &echo,
			      &len) < 0)
		abort();
	teredo_client_on_udp(c, now, buf, len, from, port, 0x0a000002u);
}

/* The echo data (nonce) of the echo request at sent[i]. */
static bool
sent_echo(size_t i, const struct ip6_addr *dst, uint8_t nonce[8])
{
	struct teredo_packet pkt;
	struct icmp6_msg m;

	if (teredo_packet_read(sent[i].buf, sent[i].len, &pkt) < 0 ||
	    teredo_packet_icmp6(&pkt, &m) < 0 || m.type != ICMP6_ECHO_REQUEST ||
	    m.u.echo.data_len != 8 || !ip6_addr_equal(&pkt.ip6.dst, dst))
		return false;
	memcpy(nonce, m.u.echo.data, 8);
	return true;
}

/* RFC 4380 §5.2.9 and §5.2.3 rules 2 and 6: native peers via relays. */
static void
test_echo_test(void)
{
	struct teredo_client c;
	struct ip6_addr host, host2, stranger, ll;
	const struct teredo_peer *p;
	uint8_t nonce[8], wrong[8] = {0};
	size_t n, base;

	if (ip6_addr_parse("2001:db8:6::100", &host) < 0 ||
	    ip6_addr_parse("2001:db8:6::200", &host2) < 0 ||
	    ip6_addr_parse("2001:db8:7::9", &stranger) < 0)
		abort();
	client_new(&c, false);
	qualify(&c);
	nsent = 0;
	n = tun_ping(&c, 1000, &host);
	p = teredo_client_peer(&c, &host);
	ok(n == 1 && sent[0].ipv4 == SERVER && sent[0].port == TEREDO_PORT &&
		   sent_echo(0, &host, nonce) && p != NULL && !p->trusted &&
		   p->queue_len > 0,
	   "T3: a native destination: queued, an echo with a nonce goes "
	   "through our server");
	udp_echo(&c, 1100, &host, &c.addr, ICMP6_ECHO_REPLY, wrong,
		 sizeof(wrong), RELAY_IP, RELAY_PORT);
	ok(!p->trusted && ndelivered == 0,
	   "T4: an echo reply with another nonce trusts nothing");
	nsent = 0;
	udp_echo(&c, 1200, &host, &c.addr, ICMP6_ECHO_REPLY, nonce,
		 sizeof(nonce), RELAY_IP, RELAY_PORT);
	ok(p->trusted && p->mapped_ipv4 == RELAY_IP &&
		   p->mapped_port == RELAY_PORT && nsent == 1 &&
		   sent[0].ipv4 == RELAY_IP && c.stats.echo_answered == 1,
	   "T4: the nonce's echo reply makes its relay the mapping; the "
	   "queue goes to it");
	ok(ndelivered == 1,
	   "T4: the packet held during the test came from that relay: "
	   "delivered, the echo reply itself not");
	nsent = 0;
	ok(tun_ping(&c, 1300, &host) == 1 && sent[0].ipv4 == RELAY_IP,
	   "T1: then straight to the relay");
	udp_echo(&c, 1400, &host, &c.addr, ICMP6_ECHO_REQUEST, NULL, 0,
		 RELAY_IP + 1, RELAY_PORT);
	ok(ndelivered == 1,
	   "T5: the host through another relay waits for a new test");

	/* No relay answers: 4 echoes, 2 s apart, then the queue goes. */
	nsent = 0;
	(void)tun_ping(&c, 2000, &host2);
	for (uint64_t t = 2000; t < 20000; t += 100)
		teredo_client_on_timer(&c, t);
	n = 0;
	for (size_t i = 0; i < nsent; i++)
		n += sent_echo(i, &host2, nonce);
	p = teredo_client_peer(&c, &host2);
	ok(n == TEREDO_ECHO_TRIES && p != NULL && p->queue_len == 0 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_NO_RELAY] >= 1,
	   "T3: %zu echoes, then the queued packet is dropped (no-relay)", n);
	ok(c.stats.unreachable_sent >= 1 && ndelivered >= 2,
	   "T25: and our stack hears Destination Unreachable at once");

	/* Rule 6: a stranger's packet waits for its own test. */
	base = ndelivered;
	nsent = 0;
	udp_echo(&c, 30000, &stranger, &c.addr, ICMP6_ECHO_REQUEST, NULL, 0,
		 RELAY_IP + 2, 4000);
	ok(ndelivered == base && nsent == 1 && sent_echo(0, &stranger, nonce),
	   "T19: a native source is held and tested, not delivered");
	udp_echo(&c, 30100, &stranger, &c.addr, ICMP6_ECHO_REPLY, nonce,
		 sizeof(nonce), RELAY_IP + 2, 4000);
	ok(ndelivered == base + 1, "T19: delivered once its relay answered");

	/* A relay's bubble (link-local source) via our server. */
	{
		struct teredo_trailers t = {.has_nonce = true, .nonce = 77};
		struct teredo_packet direct;

		teredo_client_link_local(true, &ll);
		nsent = 0;
		bubble_from(&c, 31000, &ll, RELAY_IP, 3545, &t, true);
		ok(nsent == 1 && sent[0].ipv4 == RELAY_IP &&
			   sent[0].port == 3545 &&
			   teredo_packet_read(sent[0].buf, sent[0].len,
					      &direct) == 0 &&
			   ip6_addr_equal(&direct.ip6.dst, &ll) &&
			   ip6_addr_equal(&direct.ip6.src, &c.addr) &&
			   direct.trailers.has_nonce &&
			   direct.trailers.nonce == 77,
		   "R3: a relay's indirect bubble is answered at its origin, "
		   "to its source, nonce echoed");
		nsent = 0;
		bubble_from(&c, 31100, &ll, 0x0a000001u, 3545, &t, true);
		ok(nsent == 0, "R3: never to a non-global origin");
	}
}

static struct teredo_peer relay_peers[PEERS];

static void
relay_new(struct teredo_client *c)
{
	struct teredo_client_config cfg = {.relay = true,
					   .relay_ipv4 = RELAY_IP};

	nsent = ndelivered = 0;
	if (teredo_client_init(c, &cfg, &io, relay_peers, PEERS) < 0)
		abort();
	teredo_client_start(c, 0);
}

/* A packet src -> dst from the native side into the relay. */
static void
native_in(struct teredo_client *c, uint64_t now, const struct ip6_addr *src,
	  const struct ip6_addr *dst)
{
	struct icmp6_echo echo = {.id = 3};
	uint8_t buf[128];
	size_t len;

	if (teredo_echo_write(buf, sizeof(buf), src, dst, 64, ICMP6_ECHO_REPLY,
			      &echo, &len) < 0)
		abort();
	teredo_client_on_tun(c, now, buf, len);
}

/* RFC 4380 §5.4: relay mode. */
static void
test_relay_mode(void)
{
	struct teredo_client c;
	struct ip6_addr host, ll, client = teredo(SERVER, 0xc6336405u, 7000),
				  sym = teredo(SERVER, 0xc6336406u, 7100);
	const struct teredo_peer *p;
	struct teredo_packet bubble;
	uint32_t sym_nonce = 0;

	if (ip6_addr_parse("2001:db8:6::100", &host) < 0)
		abort();
	relay_new(&c);
	ok(c.state == TEREDO_CLIENT_RELAY &&
		   teredo_client_deadline(&c) == UINT64_MAX,
	   "relay mode: up at once, no server, no timer");
	native_in(&c, 1000, &host, &client);
	p = teredo_client_peer(&c, &client);
	teredo_client_link_local(true, &ll);
	ok(nsent == 1 && sent[0].ipv4 == SERVER &&
		   sent[0].port == TEREDO_PORT &&
		   teredo_packet_read(sent[0].buf, sent[0].len, &bubble) == 0 &&
		   teredo_packet_is_bubble(&bubble) &&
		   ip6_addr_equal(&bubble.ip6.src, &ll) &&
		   bubble.trailers.has_nonce && p != NULL && !p->trusted &&
		   p->queue_len > 0,
	   "R3/R4: a new client: packet queued, a bubble with a nonce "
	   "through its server");

	bubble_from(&c, 1100, &client, 0xc6336405u, 7001, NULL, false);
	ok(!p->trusted && c.stats.drops[TEREDO_CLIENT_DROP_MAPPING] == 1,
	   "R5: a source whose embedded mapping is not the sender: dropped");
	{
		struct ip6_addr stranger = teredo(SERVER, 0xc6336407u, 7200);

		bubble_from(&c, 1100, &stranger, 0xc6336407u, 7200, NULL,
			    false);
		ok(c.stats.drops[TEREDO_CLIENT_DROP_UNKNOWN_PEER] == 1,
		   "R6: a client we did not bubble: dropped");
	}
	nsent = 0;
	bubble_from(&c, 1200, &client, 0xc6336405u, 7000, NULL, false);
	ok(p->trusted && nsent == 1 && sent[0].ipv4 == 0xc6336405u &&
		   sent[0].port == 7000,
	   "R3/R4: its direct bubble trusts it; the queue is flushed");
	udp_echo(&c, 1300, &client, &host, ICMP6_ECHO_REQUEST, NULL, 0,
		 0xc6336405u, 7000);
	ok(ndelivered == 1, "R2: its packets reach the native side");
	udp_echo(&c, 1300, &client, &sym, ICMP6_ECHO_REQUEST, NULL, 0,
		 0xc6336405u, 7000);
	ok(ndelivered == 1 && c.stats.drops[TEREDO_CLIENT_DROP_LOOP] == 1,
	   "loop guard: Teredo to Teredo is not relayed");
	native_in(&c, 1300, &sym, &client);
	ok(c.stats.drops[TEREDO_CLIENT_DROP_LOOP] == 2,
	   "loop guard: a Teredo source from the native side is dropped");
	nsent = 0;
	native_in(&c, 1400, &host, &client);
	ok(nsent == 1 && sent[0].ipv4 == 0xc6336405u,
	   "R2: a trusted client gets packets at its mapping");

	/* A client behind a symmetric NAT answers the nonce from elsewhere. */
	native_in(&c, 2000, &host, &sym);
	p = teredo_client_peer(&c, &sym);
	{
		struct teredo_trailers t = {.has_nonce = true,
					    .nonce = p->nonce_sent};

		bubble_from(&c, 2100, &sym, 0xc6336406u, 9999, &t, false);
		sym_nonce = t.nonce;
	}
	ok(p->trusted && p->mapped_port == 9999,
	   "R5 extension: the nonce of our bubble trusts a symmetric "
	   "client's observed mapping");
	{
		/* The nonce the client echoed, as an attacker saw it. */
		struct teredo_trailers t = {.has_nonce = true,
					    .nonce = sym_nonce};

		bubble_from(&c, 2200, &sym, 0xc6336499u, 1234, &t, false);
		bubble_from(&c, 2100 + 3600000, &sym, 0xc6336499u, 1234, &t,
			    false);
		ok(sym_nonce != 0 && p->mapped_ipv4 == 0xc6336406u &&
			   p->mapped_port == 9999,
		   "issue 11 A4: the relay: a replayed nonce from another "
		   "IPv4:port re-points nothing");
	}

	/* A silent client: 4 rounds, then the queue is dropped. */
	{
		struct ip6_addr silent = teredo(SERVER, 0xc6336408u, 7300);

		native_in(&c, 3000, &host, &silent);
		for (uint64_t t = 3000; t < 20000; t += 100)
			teredo_client_on_timer(&c, t);
		ok(c.stats.drops[TEREDO_CLIENT_DROP_UNREACHABLE] == 1,
		   "R3: a silent client: given up after %u bubbles",
		   TEREDO_BUBBLE_MAX);
	}
}

/* An address in 2001:db8:<net>::/48, host 1. */
static struct ip6_addr
native_addr(uint16_t net)
{
	struct ip6_addr a = {{0x20, 0x01, 0x0d, 0xb8, (uint8_t)(net >> 8),
			      (uint8_t)net, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

	return a;
}

/* R9 (RFC 4380 §7.3.5): new peer entries per native source, and a full
 * table giving up entries that never answered. */
static void
test_relay_source_limit(void)
{
	static struct teredo_peer big[3 * TEREDO_NEW_PEERS_BURST];
	struct teredo_client_config cfg = {.relay = true,
					   .relay_ipv4 = RELAY_IP};
	struct teredo_client c;
	struct ip6_addr scanner = native_addr(0xbad), other = native_addr(7);
	uint64_t *limited = &c.stats.drops[TEREDO_CLIENT_DROP_SOURCE_LIMIT];
	uint32_t next = 0xc6350000u;

	if (teredo_client_init(&c, &cfg, &io, big, ARRAY_SIZE(big)) < 0)
		abort();
	teredo_client_start(&c, 0);
	for (unsigned i = 0; i < 100; i++) {
		struct ip6_addr d = teredo(SERVER, next++, 5000);

		native_in(&c, 1000, &scanner, &d);
	}
	ok(*limited == 100 - TEREDO_NEW_PEERS_BURST,
	   "R9: one source creates %d entries at once, the rest dropped "
	   "(%llu)",
	   TEREDO_NEW_PEERS_BURST, (unsigned long long)*limited);
	{
		struct ip6_addr d = teredo(SERVER, 0xc6336405u, 7000);

		native_in(&c, 1000, &scanner, &d);
		native_in(&c, 1000, &other, &d);
		ok(*limited == 101 - TEREDO_NEW_PEERS_BURST &&
			   teredo_client_peer(&c, &d) != NULL,
		   "R9: ... while another source still gets a new entry");
	}
	for (unsigned i = 0; i < 100; i++) {
		struct ip6_addr d = teredo(SERVER, next++, 5000);

		native_in(&c, 2000, &scanner, &d);
	}
	ok(*limited == 201 - TEREDO_NEW_PEERS_BURST - TEREDO_NEW_PEERS_PER_S,
	   "R9: %d more a second later", TEREDO_NEW_PEERS_PER_S);

	/* A table of PEERS entries, all waiting for a bubble answer. */
	relay_new(&c);
	for (uint16_t i = 0; i < PEERS; i++) {
		struct ip6_addr s = native_addr(i),
				d = teredo(SERVER, next++, 5000);

		native_in(&c, 1000, &s, &d);
	}
	{
		struct ip6_addr s = native_addr(100),
				d = teredo(SERVER, next++, 5000);

		native_in(&c, 1000 + TEREDO_PEER_PENDING_MIN_MS - 1, &s, &d);
		ok(c.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL] == 1 &&
			   teredo_client_peer(&c, &d) == NULL,
		   "full table: entries in their first bubble round stay");
		native_in(&c, 1000 + TEREDO_PEER_PENDING_MIN_MS, &s, &d);
		ok(c.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL] == 1 &&
			   teredo_client_peer(&c, &d) != NULL,
		   "full table: then the oldest that never answered goes");
	}
}

/* n new Teredo destinations at `now`, each from its own native /64. */
static void
relay_flood(struct teredo_client *c, uint64_t now, unsigned n, uint32_t *next)
{
	for (unsigned i = 0; i < n; i++) {
		struct ip6_addr s = native_addr((uint16_t)(0x100 + i)),
				d = teredo(SERVER, (*next)++, 5000);

		native_in(c, now, &s, &d);
	}
}

/* R8: a relay whose full table turns new peers away withdraws the prefix
 * for a hold-down that doubles while overloads keep coming. */
static void
test_relay_overload(void)
{
	struct teredo_client c;
	uint32_t next = 0xc6360000u;

	relay_new(&c);
	nadvertise = 0;
	relay_flood(&c, 1000, PEERS + TEREDO_OVERLOAD_DROPS_PER_S - 1, &next);
	ok(nadvertise == 0 && teredo_client_prefix_advertised(&c),
	   "R8: %d new peers refused in a second: still advertised",
	   TEREDO_OVERLOAD_DROPS_PER_S - 1);
	relay_flood(&c, 1500, 1, &next);
	ok(nadvertise == 1 && !advertised &&
		   !teredo_client_prefix_advertised(&c) &&
		   c.stats.prefix_withdrawals == 1 &&
		   teredo_client_deadline(&c) <= 1500 + TEREDO_HOLDDOWN_MS,
	   "R8: %d: the prefix is withdrawn for %d s",
	   TEREDO_OVERLOAD_DROPS_PER_S, TEREDO_HOLDDOWN_MS / 1000);
	relay_flood(&c, 2000, 100, &next);
	ok(nadvertise == 1, "R8: once");
	teredo_client_on_timer(&c, 1500 + TEREDO_HOLDDOWN_MS - 1);
	ok(nadvertise == 1, "R8: kept withdrawn through the hold-down");
	teredo_client_on_timer(&c, 1500 + TEREDO_HOLDDOWN_MS);
	ok(nadvertise == 2 && advertised && teredo_client_prefix_advertised(&c),
	   "R8: advertised again after it");
	relay_flood(&c, 40000, PEERS + TEREDO_OVERLOAD_DROPS_PER_S, &next);
	ok(nadvertise == 3 && !advertised &&
		   c.withdrawn_until_ms == 40000 + 2 * TEREDO_HOLDDOWN_MS,
	   "R8: overloaded again soon after: withdrawn for twice as long");
	advertised = true;
}

/*
 * Issue 11 A2: one native /64 pinning a relay's table with clients it
 * controls, then asking for 16+ new destinations a second, cannot
 * withdraw the prefix; an overload from many /64s does, and known clients
 * keep getting native packets while it is withdrawn.
 */
static void
test_relay_overload_one_source(void)
{
	struct teredo_client c;
	struct ip6_addr scanner = native_addr(0xbad), host = native_addr(9);
	struct ip6_addr mine[PEERS];
	uint32_t next = 0xc6370000u;

	relay_new(&c);
	nadvertise = 0;
	for (uint32_t i = 0; i < PEERS; i++) {
		mine[i] = teredo(SERVER, 0xc6380000u + i, 6000);
		native_in(&c, 1000, &scanner, &mine[i]);
		bubble_from(&c, 1100, &mine[i], 0xc6380000u + i, 6000, NULL,
			    false);
	}
	for (uint64_t t = 1200; t < 20000; t += 250) {
		for (uint32_t i = 0; i < PEERS; i++)
			bubble_from(&c, t, &mine[i], 0xc6380000u + i, 6000,
				    NULL, false);
		for (unsigned i = 0; i < 8; i++) {
			struct ip6_addr d = teredo(SERVER, next++, 5000);

			native_in(&c, t, &scanner, &d);
		}
	}
	ok(nadvertise == 0 && teredo_client_prefix_advertised(&c) &&
		   c.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL] >=
			   TEREDO_OVERLOAD_DROPS_PER_S,
	   "issue 11 A2: one /64 filling the table and asking for 32 new peers "
	   "a "
	   "second: the prefix stays (%llu refused)",
	   (unsigned long long)c.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL]);
	relay_flood(&c, 20000, 3 * TEREDO_OVERLOAD_DROPS_PER_S, &next);
	ok(nadvertise == 1 && !teredo_client_prefix_advertised(&c),
	   "issue 11 A2: new peers refused for %d /64s: withdrawn",
	   3 * TEREDO_OVERLOAD_DROPS_PER_S);
	nsent = 0;
	native_in(&c, 20100, &host, &mine[0]);
	ok(nsent == 1 && sent[0].ipv4 == 0xc6380000u && sent[0].port == 6000,
	   "issue 11 A2: while withdrawn, a known client still gets native "
	   "packets");
	advertised = true;
}

/* A bare 40-byte IPv6 header (no next header) into pkt. */
static void
bare_ip6(uint8_t pkt[static IP6_HEADER_LEN], const struct ip6_addr *src,
	 const struct ip6_addr *dst)
{
	struct ip6_header h = {.next_header = 59, .hop_limit = 64};
	struct wr wr;

	h.src = *src;
	h.dst = *dst;
	wr_init(&wr, pkt, IP6_HEADER_LEN);
	ip6_header_write(&wr, &h);
	if (wr.bad)
		abort();
}

/* A spoofed "server" bubble: from the server's address, a made-up Teredo
 * source, an origin elsewhere.  Returns its size. */
static size_t
spoofed_server_bubble(struct teredo_client *c, uint64_t now, uint32_t ipv4,
		      uint32_t origin_ipv4)
{
	struct ip6_addr src = teredo(SERVER, ipv4, 4000);
	struct teredo_origin origin = {.ipv4 = origin_ipv4, .port = 5000};
	struct teredo_trailers t = {.has_nonce = true, .nonce = ipv4};
	uint8_t buf[128];
	size_t len;

	if (teredo_bubble_write(buf, sizeof(buf), &src, &c->addr, 255, &origin,
				&t, &len) < 0)
		abort();
	teredo_client_on_udp(c, now, buf, len, SERVER, TEREDO_PORT,
			     0x0a000002u);
	return len;
}

/*
 * Issue 11 A5: 1,000 spoofed "server" bubbles (each a new peer, or all
 * one peer) make fewer datagrams and fewer bytes than they are, timers
 * run for a minute after; a relay answers one native packet with one
 * round, and a flood of new destinations with at most its budget.
 */
static void
test_no_amplification(void)
{
	static struct teredo_peer flood_peers[2048];
	struct teredo_client c;
	uint64_t in_bytes = 0;

	{
		/* A table with room for them all: the worst case. */
		struct teredo_client_config cfg = {
			.server_ipv4 = SERVER,
			.local_port = LOCAL_PORT,
			.symmetric_nat_support = true,
		};

		if (teredo_client_init(&c, &cfg, &io, flood_peers,
				       ARRAY_SIZE(flood_peers)) < 0)
			abort();
		nsent = 0;
		qualify(&c);
	}
	out_count = out_bytes = 0;
	for (uint32_t i = 0; i < 1000; i++)
		in_bytes += spoofed_server_bubble(&c, 1000 + i, 0xc6400000u + i,
						  0xc6500000u + i);
	for (uint64_t t = 2000; t < 62000; t += 100)
		teredo_client_on_timer(&c, t);
	ok(out_count <= 1000 && out_bytes <= in_bytes,
	   "issue 11 A5: 1000 spoofed server bubbles (%llu B) -> %llu "
	   "datagrams, %llu B out",
	   (unsigned long long)in_bytes, (unsigned long long)out_count,
	   (unsigned long long)out_bytes);

	client_new(&c, false);
	qualify(&c);
	out_count = out_bytes = in_bytes = 0;
	for (uint32_t i = 0; i < 1000; i++)
		in_bytes += spoofed_server_bubble(&c, 1000 + 10 * i,
						  0xc6400001u, 0xc6500001u);
	for (uint64_t t = 11000; t < 71000; t += 100)
		teredo_client_on_timer(&c, t);
	ok(out_count <= 60 && out_bytes <= in_bytes,
	   "issue 11 A5: 1000 from one spoofed peer in 10 s -> %llu "
	   "datagrams (paced per peer)",
	   (unsigned long long)out_count);

	for (int restricted = 0; restricted < 2; restricted++) {
		struct teredo_client_config cfg = {
			.relay = true,
			.relay_ipv4 = RELAY_IP,
			.relay_restricted = restricted,
		};
		struct ip6_addr host = native_addr(9),
				dst = teredo(SERVER, 0xc6410001u, 5000);
		uint8_t pkt[IP6_HEADER_LEN];
		uint32_t next = 0xc6420000u;
		uint64_t flood_in = 0;

		if (teredo_client_init(&c, &cfg, &io, flood_peers,
				       ARRAY_SIZE(flood_peers)) < 0)
			abort();
		teredo_client_start(&c, 0);
		bare_ip6(pkt, &host, &dst);
		out_count = out_bytes = 0;
		teredo_client_on_tun(&c, 1000, pkt, sizeof(pkt));
		for (uint64_t t = 1000; t < 31000; t += 100)
			teredo_client_on_timer(&c, t);
		ok(out_count == 1u + (unsigned)restricted,
		   "issue 11 A5: %s relay: one 40-byte native packet -> one "
		   "round, %llu datagrams, %llu B",
		   restricted ? "restricted" : "cone",
		   (unsigned long long)out_count,
		   (unsigned long long)out_bytes);
		/* 10,000 packets to new destinations from 1,000 /64s in 1 s. */
		out_count = 0;
		for (unsigned i = 0; i < 10000; i++) {
			struct ip6_addr s6 = native_addr((uint16_t)(i % 1000)),
					d6 = teredo(SERVER, next++, 5000);

			bare_ip6(pkt, &s6, &d6);
			teredo_client_on_tun(&c, 40000 + i / 10, pkt,
					     sizeof(pkt));
			flood_in++;
		}
		for (uint64_t t = 41000; t < 71000; t += 100)
			teredo_client_on_timer(&c, t);
		ok(out_count <= TEREDO_BUBBLE_BUDGET_BURST +
					31 * TEREDO_BUBBLE_BUDGET_PER_S,
		   "issue 11 A5: %s relay: %llu native packets to new "
		   "destinations, 31 s -> %llu datagrams (%llu over budget)",
		   restricted ? "restricted" : "cone",
		   (unsigned long long)flood_in, (unsigned long long)out_count,
		   (unsigned long long)c.stats.bubbles_suppressed);
	}
}

/* T23: 100k spoofed sources leave the table bounded; live peers stay. */
static void
test_peer_table_bounded(void)
{
	struct teredo_client c;
	struct ip6_addr live = teredo(SERVER, 0xc6336405u, 7000);
	const struct teredo_peer *p;

	client_new(&c, false);
	qualify(&c);
	bubble_from(&c, 1000, &live, 0xc6336405u, 7000, NULL, false);
	for (uint32_t i = 0; i < 100000; i++) {
		struct ip6_addr spoof = teredo(SERVER, 0xc6340000u + i, 4000);

		bubble_from(&c, 1000 + i / 10, &spoof, 0xc6340000u + i, 4000,
			    NULL, true);
		if (i % 1000 == 0)
			bubble_from(&c, 1000 + i / 10, &live, 0xc6336405u, 7000,
				    NULL, false);
	}
	p = teredo_client_peer(&c, &live);
	ok(p != NULL && p->trusted,
	   "T23: the live peer survives 100k spoofed sources in %d slots",
	   PEERS);
	ok(c.stats.stateless_accepts > 0 &&
		   c.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL] == 0,
	   "T23: the rest are answered statelessly, not stored, and not "
	   "counted twice (stateless-accepts, no drop)");
}

/*
 * RFC 6081 §5.3 in the client (teredo-spec.md §4.14.2): our UPnP
 * reservation, kept because the server saw another port (symmetric NAT),
 * rides our indirect bubbles as an Alternate Address (X17); a peer's
 * alternate on its own embedded IPv4 gets a direct bubble with the
 * echoed nonce, a third party's never (X18, lib/teredo/upnp.h); a single
 * NAT's reservation is zeroed and not advertised (Q13).
 */
/* Whether an Alternate Address trailer lists IPV4:PORT. */
static bool
has_alt(const struct teredo_trailers *t, uint32_t ipv4, uint16_t port)
{
	for (unsigned i = 0; i < t->alt_count; i++)
		if (t->alt[i].ipv4 == ipv4 && t->alt[i].port == port)
			return true;
	return false;
}

static void
test_upnp(void)
{
	struct teredo_client c;
	struct ip6_addr peer = teredo(SERVER, 0xc6336405u, 7000);
	struct teredo_trailers t = {.has_nonce = true, .nonce = 0x11223344u};
	struct teredo_packet pkt;
	bool to_alt = false, to_third = false, echoed = true;

	client_new(&c, false);
	is_int(teredo_upnp_mapped(&c.upnp, MAPPED_IP, 0x0a000002u, LOCAL_PORT),
	       0, "Q12: the reservation MAPPED_IP:LOCAL_PORT is usable");
	qualify(&c);
	ok(c.upnp.enabled && c.upnp.port == LOCAL_PORT,
	   "Q13: the server saw port %u: the reservation is kept", MAPPED_PORT);
	(void)tun_ping(&c, 1000, &peer);
	ok(teredo_packet_read(sent[nsent - 1].buf, sent[nsent - 1].len, &pkt) ==
			   0 &&
		   sent[nsent - 1].port == TEREDO_PORT &&
		   has_alt(&pkt.trailers, MAPPED_IP, LOCAL_PORT),
	   "X17: our indirect bubble carries the reservation");
	ok(teredo_packet_read(sent[nsent - 2].buf, sent[nsent - 2].len, &pkt) ==
			   0 &&
		   pkt.trailers.alt_count == 0,
	   "X17: the direct bubble does not");

	/* A peer's indirect bubble naming its reservation and a stranger. */
	t.alt_count = 2;
	t.alt[0] = (struct teredo_alt_addr){.ipv4 = 0xc6336405u, .port = 7777};
	t.alt[1] = (struct teredo_alt_addr){.ipv4 = 0xc6336409u, .port = 7777};
	nsent = 0;
	bubble_from(&c, 5000, &peer, 0xc6336405u, 7000, &t, true);
	for (size_t i = 0; i < nsent; i++) {
		if (sent[i].ipv4 == 0xc6336405u && sent[i].port == 7777) {
			to_alt = true;
			echoed = teredo_packet_read(sent[i].buf, sent[i].len,
						    &pkt) == 0 &&
				 pkt.trailers.has_nonce &&
				 pkt.trailers.nonce == 0x11223344u;
		}
		to_third |= sent[i].ipv4 == 0xc6336409u;
	}
	ok(to_alt && echoed,
	   "X18: a direct bubble to the peer's reservation, nonce echoed");
	ok(!to_third, "X18: none to an alternate on another address");

	/* Q13: a single NAT (the server saw the reservation): zeroed. */
	client_new(&c, false);
	is_int(teredo_upnp_mapped(&c.upnp, MAPPED_IP, 0x0a000002u, MAPPED_PORT),
	       0, "Q12: reservation of port %u", MAPPED_PORT);
	qualify(&c);
	ok(c.upnp.enabled && c.upnp.ipv4 == 0 && c.upnp.port == 0,
	   "Q13: the server saw the reservation: zeroed, UPnP still on");
	(void)tun_ping(&c, 1000, &peer);
	ok(teredo_packet_read(sent[nsent - 1].buf, sent[nsent - 1].len, &pkt) ==
			   0 &&
		   !has_alt(&pkt.trailers, MAPPED_IP, MAPPED_PORT) &&
		   !has_alt(&pkt.trailers, MAPPED_IP, LOCAL_PORT) &&
		   !has_alt(&pkt.trailers, 0, 0),
	   "Q13: a zeroed reservation is not advertised");
}

/*
 * The lab's flake (t-upnp-teredo, ua <-> ub: both trusted, 0 replies):
 * two UPnP-symmetric clients ping each other at once, their indirect
 * bubbles cross and each answers the other's by X18, to the other's
 * reservation.  That opens two paths through the NATs: ours, from our
 * reservation to the NAT port B's X18 bubble came from (B_RANDOM), and
 * B's, from B's reservation to the NAT port ours came from.  We trust B
 * at B_RANDOM (B's echo of our nonce came from there), B trusts us at
 * our NAT port: so B's data reaches us from the other path, from its
 * reservation B_IP:B_RESERVED.  RFC 6081 §5.3 and teredo-spec.md §4.14.2:
 * the paths are asymmetric, inbound to the reservation; the old code
 * dropped that data (DROP_MAPPING) both ways, forever.
 */
#define B_IP 0xc6336405u /* 198.51.100.5 */
#define B_EMBEDDED 7000	 /* what B's server saw */
#define B_RESERVED 7777	 /* B's reservation (its Alternate Address) */
#define B_RANDOM 34371	 /* B's NAT toward our reservation */

static void
test_upnp_crossed_paths(void)
{
	struct teredo_client c;
	struct ip6_addr peer = teredo(SERVER, B_IP, B_EMBEDDED);
	struct teredo_trailers ind = {
		.has_nonce = true, .nonce = 0x5eed0b0bu, .alt_count = 1};
	struct teredo_trailers echo = {.has_nonce = true};
	const struct teredo_peer *p;
	size_t before;

	client_new(&c, false);
	if (teredo_upnp_mapped(&c.upnp, MAPPED_IP, 0x0a000002u, LOCAL_PORT) < 0)
		abort();
	qualify(&c);
	ind.alt[0] = (struct teredo_alt_addr){.ipv4 = B_IP, .port = B_RESERVED};
	/* We ping B: direct bubble, indirect one with our nonce. */
	(void)tun_ping(&c, 1000, &peer);
	p = teredo_client_peer(&c, &peer);
	if (p == NULL || p->nonce_sent == 0)
		abort();
	echo.nonce = p->nonce_sent;
	/* B's indirect bubble crosses ours: X18 to its reservation. */
	bubble_from(&c, 1100, &peer, B_IP, B_EMBEDDED, &ind, true);
	/* B's X18 answer to our reservation, from its NAT's port. */
	bubble_from(&c, 1200, &peer, B_IP, B_RANDOM, &echo, false);
	ok(p->trusted && p->mapped_ipv4 == B_IP && p->mapped_port == B_RANDOM,
	   "crossed X18: B trusted at the NAT port its echo came from");
	before = ndelivered;
	udp_echo(&c, 1300, &peer, &c.addr, ICMP6_ECHO_REPLY, NULL, 0, B_IP,
		 B_RESERVED);
	udp_echo(&c, 1300, &peer, &c.addr, ICMP6_ECHO_REQUEST, NULL, 0, B_IP,
		 B_RESERVED);
	is_int((int)(ndelivered - before), 2,
	       "RFC 6081 §5.3: a trusted UPnP peer's data from its "
	       "reservation (the other path) reaches the stack");
	ok(p->mapped_port == B_RANDOM,
	   "... and does not re-point where we send (B_RANDOM stays)");
	before = ndelivered;
	udp_echo(&c, 1400, &peer, &c.addr, ICMP6_ECHO_REQUEST, NULL, 0, B_IP,
		 B_RESERVED + 1);
	udp_echo(&c, 1400, &peer, &c.addr, ICMP6_ECHO_REQUEST, NULL, 0,
		 B_IP + 1, B_RESERVED);
	ok(ndelivered == before,
	   "other ports and addresses are still dropped (X4)");
}

int
main(void)
{
	test_qualification_checks();
	test_transmission();
	test_attempts();
	test_reception();
	test_peer_table_bounded();
	test_echo_test();
	test_relay_mode();
	test_relay_source_limit();
	test_relay_overload();
	test_relay_overload_one_source();
	test_no_amplification();
	test_upnp();
	test_upnp_crossed_paths();
	return done_testing();
}
