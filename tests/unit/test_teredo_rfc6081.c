/*
 * lib/teredo/rfc6081.c: RFC 6081 Port-Preserving (§5.4) and Sequential
 * (§5.5) symmetric NAT support, driven by hand.  Item numbers are the X
 * items of teredo-spec.md §7.
 */
#include "tap.h"
#include "teredo_test.h"
#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/msg.h"

#define SERVER 0xcb007178u    /* 203.0.113.120 */
#define MAPPED_IP 0xc000022du /* 192.0.2.45 */
#define LOCAL_PORT 5555
#define PEER_IP 0xc6336401u /* 198.51.100.1 */
#define PEER_PORT 40001
#define PEERS 32

struct sent {
	uint16_t from; /* local port */
	uint32_t ipv4;
	uint16_t port;
	size_t len;
	uint8_t buf[1500];
};

static struct sent sent[512];
static size_t nsent, ndelivered, nopened, nclosed;
static uint16_t next_port = 50000;
static bool refuse_ports;
static uint64_t rng = 88172645463325252ull;

static void
record(uint16_t from, uint32_t ipv4, uint16_t port, const uint8_t *buf,
       size_t len)
{
	if (nsent == ARRAY_SIZE(sent))
		return;
	sent[nsent] = (struct sent){
		.from = from, .ipv4 = ipv4, .port = port, .len = len};
	memcpy(sent[nsent].buf, buf, len);
	nsent++;
}

static void
io_send(void *ctx, uint32_t ipv4, uint16_t port, const uint8_t *buf, size_t len)
{
	(void)ctx;
	record(LOCAL_PORT, ipv4, port, buf, len);
}

static void
io_send_from(void *ctx, uint16_t from, uint32_t ipv4, uint16_t port,
	     const uint8_t *buf, size_t len)
{
	(void)ctx;
	record(from, ipv4, port, buf, len);
}

static int
io_open(void *ctx, uint16_t *port)
{
	(void)ctx;
	if (refuse_ports)
		return -EMFILE;
	*port = next_port++;
	nopened++;
	return 0;
}

static void
io_close(void *ctx, uint16_t port)
{
	(void)ctx;
	(void)port;
	nclosed++;
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
}

static void
io_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	test_random_fill(&rng, buf, n);
}

static const struct teredo_client_io io = {
	.send_udp = io_send,
	.send_udp_from = io_send_from,
	.open_port = io_open,
	.close_port = io_close,
	.deliver = io_deliver,
	.address = io_address,
	.random = io_random,
};

static struct teredo_peer peers[PEERS];
static struct ip6_addr peer_addr;

static void
answer_rs(struct teredo_client *c, uint64_t now, size_t i, uint32_t from,
	  uint16_t map_port, uint16_t local_port)
{
	struct teredo_ra_params p = {
		.origin = {.port = map_port, .ipv4 = MAPPED_IP},
		.server_ipv4 = SERVER,
	};
	struct teredo_packet pkt;
	uint8_t buf[256];
	size_t len;

	if (teredo_packet_read(sent[i].buf, sent[i].len, &pkt) < 0 ||
	    !pkt.has_auth)
		abort();
	memcpy(p.nonce, pkt.auth.nonce, 8);
	teredo_client_link_local(false, &p.client_ll);
	if (teredo_ra_write(buf, sizeof(buf), &p, &len) < 0)
		abort();
	teredo_client_on_udp_port(c, now, buf, len, from, TEREDO_PORT,
				  0x0a000002u, local_port);
}

/* A symmetric NAT; port-preserving when the primary mapping keeps our
 * port (RFC 6081 §5.4.3), else assumed sequential (§5.5). */
static void
client_new(struct teredo_client *c, bool pp, bool sns)
{
	struct teredo_client_config cfg = {
		.server_ipv4 = SERVER,
		.local_port = LOCAL_PORT,
		.symmetric_nat_support = sns,
	};

	nsent = ndelivered = nopened = nclosed = 0;
	refuse_ports = false;
	next_port = 50000;
	if (teredo_client_init(c, &cfg, &io, peers, PEERS) < 0)
		abort();
	teredo_client_start(c, 0);
	answer_rs(c, 100, nsent - 1, SERVER, pp ? LOCAL_PORT : 20000,
		  LOCAL_PORT);
	answer_rs(c, 200, nsent - 1, SERVER + 1, pp ? 31000 : 20001,
		  LOCAL_PORT);
	peer_addr = teredo(SERVER, PEER_IP, PEER_PORT);
	nsent = 0;
}

/* A ping from our stack to the peer. */
static void
stack_send(struct teredo_client *c, uint64_t now)
{
	struct icmp6_echo e = {.id = 1, .seq = 1};
	uint8_t buf[128];
	size_t len;

	if (teredo_echo_write(buf, sizeof(buf), &c->addr, &peer_addr, 64,
			      ICMP6_ECHO_REQUEST, &e, &len) < 0)
		abort();
	teredo_client_on_tun(c, now, buf, len);
}

/* A bubble from the peer, with these trailers, from ipv4:port (the server
 * for an indirect one) to our local port. */
static void
peer_bubble(struct teredo_client *c, uint64_t now, uint32_t ipv4, uint16_t port,
	    uint16_t local_port, const struct teredo_trailers *t)
{
	uint8_t buf[128];
	size_t len;

	if (teredo_bubble_write(buf, sizeof(buf), &peer_addr, &c->addr, 255,
				NULL, t, &len) < 0)
		abort();
	teredo_client_on_udp_port(c, now, buf, len, ipv4, port, 0x0a000002u,
				  local_port);
}

static bool
trailers_of(size_t i, struct teredo_trailers *t)
{
	struct teredo_packet pkt;

	if (teredo_packet_read(sent[i].buf, sent[i].len, &pkt) < 0)
		return false;
	*t = pkt.trailers;
	return true;
}

static bool
is_rs(size_t i)
{
	struct teredo_packet pkt;

	return teredo_packet_read(sent[i].buf, sent[i].len, &pkt) == 0 &&
	       pkt.has_auth;
}

/* The last datagram sent to ipv4:port, or SIZE_MAX. */
static size_t
last_to(uint32_t ipv4, uint16_t port)
{
	for (size_t i = nsent; i-- > 0;)
		if (sent[i].ipv4 == ipv4 && sent[i].port == port)
			return i;
	return SIZE_MAX;
}

static void
test_detection(void)
{
	struct teredo_client c;

	client_new(&c, true, true);
	ok(c.symmetric && c.port_preserving &&
		   c.nat == TEREDO_NAT_SYMMETRIC_PORT,
	   "PP detected: symmetric, primary mapping kept our port (§5.4.3)");
	client_new(&c, true, false);
	ok(c.state == TEREDO_CLIENT_OFFLINE && nopened == 0,
	   "X21: without SNS a symmetric NAT is offline, PP never active");
}

static void
test_pp_round(void)
{
	struct teredo_client c;
	struct teredo_trailers t, in = {0};
	const struct teredo_peer *p;
	size_t i;
	uint16_t rport;

	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	i = last_to(SERVER, TEREDO_PORT);
	ok(nopened == 1 && p != NULL && p->rand_port == 50000 &&
		   p->rand_port_adv == 50000,
	   "X8: one random port opened for the untrusted peer");
	ok(i != SIZE_MAX && trailers_of(i, &t) && t.has_nonce &&
		   t.nonce == p->nonce_sent && t.has_random_port &&
		   t.random_port == 50000,
	   "X8/X1: the indirect bubble carries Nonce and Random Port 50000");
	ok(sent[0].from == LOCAL_PORT && sent[0].ipv4 == PEER_IP,
	   "X9: before the peer spoke, nothing leaves the random port first");
	for (size_t k = 0; k < nsent; k++)
		if (sent[k].from == 50000)
			ok(false, "X9: nothing from the random port yet");

	/* The peer's indirect bubble: nonce and its own random port. */
	nsent = 0;
	in.has_nonce = true;
	in.nonce = 0x11223344u;
	in.has_random_port = true;
	in.random_port = 61000;
	peer_bubble(&c, 2500, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	i = SIZE_MAX;
	for (size_t k = 0; k < nsent; k++)
		if (sent[k].from == 50000)
			i = k;
	ok(i != SIZE_MAX && sent[i].ipv4 == PEER_IP && sent[i].port == 61000 &&
		   trailers_of(i, &t) && t.has_nonce &&
		   t.nonce == 0x11223344u && t.has_random_port &&
		   t.random_port == 50000,
	   "X9/X2: a direct bubble from the random port to the peer's random "
	   "port, echoing its nonce, with our Random Port");
	ok(last_to(PEER_IP, 61000) != SIZE_MAX && p->peer_rand_port == 61000,
	   "X10: the peer's advertised port is stored");

	/* X11 case 5: a bubble on our random port from the peer. */
	peer_bubble(&c, 2600, PEER_IP, 61000, 50000,
		    &(struct teredo_trailers){0});
	ok(p->trusted && p->direct_random && p->mapped_port == 61000 &&
		   !strcmp(teredo_client_peer_path(&c, p), "random port"),
	   "X11 case 5: trusted on the random port, path \"random port\"");
	nsent = 0;
	stack_send(&c, 2700);
	ok(nsent == 1 && sent[0].from == 50000 && sent[0].port == 61000,
	   "data leaves from the random port to the peer's");

	/* X11 case 6b: the random port, another mapping, no nonce. */
	{
		uint64_t before = c.stats.drops[TEREDO_CLIENT_DROP_MAPPING];

		peer_bubble(&c, 2800, PEER_IP, 61001, 50000,
			    &(struct teredo_trailers){0});
		ok(c.stats.drops[TEREDO_CLIENT_DROP_MAPPING] == before + 1 &&
			   p->mapped_port == 61000,
		   "X11 case 6b: another mapping on the random port without "
		   "proof is dropped; the mapping stays");
	}

	/* X10: a new advertised port while data flows is ignored... */
	in.random_port = 62000;
	peer_bubble(&c, 3000, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	ok(p->peer_rand_port == 61000,
	   "X10: a new Random Port within 30 s of data is not adopted");
	/* ... and adopted after 30 s of silence; our own port is dropped. */
	rport = p->rand_port;
	peer_bubble(&c, 40000, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	ok(p->peer_rand_port == 62000 && nclosed == 1 && rport == 50000,
	   "X10: adopted after 30 s idle; our random port is closed");

	/* X11 case 1: untrusted peer, primary port, embedded mapping. */
	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	peer_bubble(&c, 1100, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	ok(p->trusted && p->direct_primary && !p->direct_random &&
		   !strcmp(teredo_client_peer_path(&c, p), "direct"),
	   "X11 case 1: trusted on the primary port, path \"direct\"");
	nsent = 0;
	stack_send(&c, 1200);
	ok(nsent == 1 && sent[0].from == LOCAL_PORT,
	   "X11 case 1: data leaves from the primary port");
}

static void
test_pp_refresh(void)
{
	struct teredo_client c;
	const struct teredo_peer *p;
	unsigned refreshes = 0;
	uint64_t now;
	size_t before;

	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	peer_bubble(&c, 1100, PEER_IP, PEER_PORT, 50000,
		    &(struct teredo_trailers){0});
	stack_send(&c, 1200);
	nsent = 0;
	for (now = 1200; now < 1200 + 40ull * 30000; now += 1000) {
		/* Keep the peer alive on the path (as its data would be). */
		if (now % 10000 == 0)
			peer_bubble(&c, now, PEER_IP, PEER_PORT, 50000,
				    &(struct teredo_trailers){0});
		before = nsent;
		teredo_client_on_timer(&c, now);
		/* The server answers the maintenance RS (same mapping). */
		for (size_t k = before; k < nsent; k++)
			if (sent[k].from == LOCAL_PORT && is_rs(k))
				answer_rs(&c, now, k, SERVER, LOCAL_PORT,
					  LOCAL_PORT);
	}
	for (size_t k = 0; k < nsent; k++)
		refreshes += sent[k].from == 50000 && sent[k].ipv4 == PEER_IP;
	ok(p->direct_random && refreshes == TEREDO_PEER_REFRESH_MAX &&
		   c.stats.peer_refreshes == TEREDO_PEER_REFRESH_MAX,
	   "X12: Peer Refresh bubbles from the random port, at most %u "
	   "(%u)",
	   TEREDO_PEER_REFRESH_MAX, refreshes);
	stack_send(&c, now);
	ok(p->refresh_count == 0, "X12: data resets the refresh count");
}

/* The echo test's two RSs from local port `from` (SIZE_MAX: none). */
static void
find_test(uint16_t from, size_t *rs1, size_t *rs2)
{
	*rs1 = *rs2 = SIZE_MAX;
	for (size_t k = 0; k < nsent; k++)
		if (sent[k].from == from && is_rs(k))
			*(sent[k].ipv4 == SERVER ? rs1 : rs2) = k;
}

/* A sequential client's first echo test toward the peer, from port
 * 50000: the peer entry, the test's RSs in *rs1 and *rs2. */
static const struct teredo_peer *
ss_first_test(struct teredo_client *c, size_t *rs1, size_t *rs2)
{
	client_new(c, false, true);
	stack_send(c, 1000);
	find_test(50000, rs1, rs2);
	return teredo_client_peer(c, &peer_addr);
}

/* The servers' answers to a test from `port`: the lower and upper port
 * the NAT gave its two RSs. */
static void
answer_test(struct teredo_client *c, uint64_t now, size_t rs1, size_t rs2,
	    uint16_t lower, uint16_t upper, uint16_t port)
{
	answer_rs(c, now, rs1, SERVER, lower, port);
	answer_rs(c, now + 50, rs2, SERVER + 1, upper, port);
}

static void
test_ss_echo(void)
{
	struct teredo_client c;
	struct ip6_addr addr;
	const struct teredo_peer *p;
	struct teredo_trailers t;
	size_t rs1 = SIZE_MAX, rs2 = SIZE_MAX, bub = SIZE_MAX, i;
	uint64_t qual;

	client_new(&c, false, true);
	addr = c.addr;
	qual = c.stats.qualifications;
	ok(c.symmetric && !c.port_preserving, "SS assumed: symmetric, not PP");
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	for (size_t k = 0; k < nsent; k++) {
		if (sent[k].from != 50000)
			continue;
		if (is_rs(k) && sent[k].ipv4 == SERVER)
			rs1 = k;
		else if (is_rs(k) && sent[k].ipv4 == SERVER + 1)
			rs2 = k;
		else if (sent[k].ipv4 == PEER_IP)
			bub = k;
	}
	ok(rs1 < bub && bub < rs2 && rs2 != SIZE_MAX && p->echo_retry == 1 &&
		   p->echo_failover_ms == 2000,
	   "X13: from the random port: RS primary, bubble to the peer, RS "
	   "secondary; counter 1, failover in 1 s");
	answer_rs(&c, 1100, rs1, SERVER, 20010, 50000);
	ok(p->rand_port_adv == 0 && p->echo_lower == 20010,
	   "X14: the first RA gives the lower port");
	nsent = 0;
	answer_rs(&c, 1150, rs2 + 0, SERVER + 1, 20012, 50000);
	i = last_to(SERVER, TEREDO_PORT);
	ok(p->rand_port_adv == 20011 && c.sequential_seen && i != SIZE_MAX &&
		   trailers_of(i, &t) && t.has_random_port &&
		   t.random_port == 20011,
	   "X14: Random Port = floor((20010 + 20012) / 2) = 20011, sent in "
	   "an indirect bubble");
	ok(ip6_addr_equal(&c.addr, &addr) && c.stats.qualifications == qual &&
		   c.mapping.port == 20000,
	   "X16: echo-test RAs leave our address and mapping alone");

	/* Our bubble took no port (lost before the NAT mapped it): ports
	 * 20020 and 20021 bracket nothing; no prediction, the test runs
	 * again at once, from a fresh port. */
	p = ss_first_test(&c, &rs1, &rs2);
	answer_rs(&c, 1100, rs1, SERVER, 20020, 50000);
	nsent = 0;
	answer_rs(&c, 1150, rs2, SERVER + 1, 20021, 50000);
	find_test(50001, &rs1, &rs2);
	ok(p->rand_port_adv == 0 && p->echo_lower == 0 && p->echo_retry == 2 &&
		   c.stats.echo_tests_6081 == 2 && p->rand_port == 50001 &&
		   nclosed == 1 && rs1 != SIZE_MAX && rs2 != SIZE_MAX &&
		   p->echo_failover_ms == 1150 + 2000,
	   "X14: adjacent answers (20020, 20021): no port for our bubble, no "
	   "prediction; the test again at once from a fresh port (50000 "
	   "closed, 50001)");
	/* An answer to the closed port's test is stale. */
	answer_rs(&c, 1200, rs1, SERVER, 20030, 50000);
	ok(p->echo_lower == 0, "X14: the closed port's test is over");
	/* An odd bracket (another mapping between): the midpoint. */
	answer_test(&c, 1200, rs1, rs2, 20030, 20033, 50001);
	ok(p->rand_port_adv == 20031,
	   "X14: an odd bracket (20030, 20033): floor of the midpoint, 20031");

	/* Lower above upper: not sequential (or the first RS was mapped
	 * after the second): no prediction, no more tests. */
	p = ss_first_test(&c, &rs1, &rs2);
	answer_test(&c, 1100, rs1, rs2, 20042, 20041, 50000);
	teredo_client_on_timer(&c, 3000);
	ok(p->rand_port_adv == 0 && c.stats.echo_tests_6081 == 1 &&
		   p->rand_port == 50000,
	   "X14: lower 20042 above upper 20041: no prediction, no test "
	   "again (the port stays: the peer may answer our bubble there)");
	/* Wider than ECHO_GAP_MAX: a random NAT. */
	p = ss_first_test(&c, &rs1, &rs2);
	answer_test(&c, 1100, rs1, rs2, 20060, 20160, 50000);
	teredo_client_on_timer(&c, 3000);
	ok(p->rand_port_adv == 0 && c.stats.echo_tests_6081 == 1,
	   "X14: a bracket of 100 ports predicts nothing, no more tests");

	/* A missing answer: the failover tests again from a fresh port. */
	p = ss_first_test(&c, &rs1, &rs2);
	answer_rs(&c, 1100, rs1, SERVER, 20070, 50000);
	nsent = 0;
	teredo_client_on_timer(&c, 2000);
	find_test(50001, &rs1, &rs2);
	ok(p->echo_retry == 2 && p->rand_port == 50001 && nclosed == 1 &&
		   rs1 != SIZE_MAX && rs2 != SIZE_MAX && p->echo_lower == 0,
	   "X15: the failover's test runs from a fresh port (a test from "
	   "the old one would find its flows mapped already)");

	/* X15: failover without answers: one more test, then no more. */
	p = ss_first_test(&c, &rs1, &rs2);
	teredo_client_on_timer(&c, 2000);
	ok(p->echo_retry == 2 && c.stats.echo_tests_6081 == 2,
	   "X15: counter 1 at the failover: the echo test runs again");
	teredo_client_on_timer(&c, 4000);
	ok(p->echo_retry == 2 && c.stats.echo_tests_6081 == 2 &&
		   p->echo_failover_ms == 0,
	   "X15: counter 2: no third test; the indirect bubbles go on");
	/* A primary-port direct receive cancels a running test. */
	p = ss_first_test(&c, &rs1, &rs2);
	peer_bubble(&c, 1100, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	ok(p->trusted && p->echo_failover_ms == 0,
	   "X15: a direct bubble on the primary port cancels the echo test");
}

static void
test_bounds(void)
{
	struct teredo_client c;
	unsigned opened;

	/* Peers our stack asks for: at most TEREDO_RAND_PORTS ports. */
	client_new(&c, true, true);
	for (unsigned k = 0; k < 24; k++) {
		peer_addr = teredo(SERVER, PEER_IP + k, PEER_PORT);
		stack_send(&c, 1000 + k);
	}
	ok(nopened == TEREDO_RAND_PORTS,
	   "at most %u random ports at once (%zu)", TEREDO_RAND_PORTS, nopened);
	/* Strangers' indirect bubbles: half the slots at most. */
	client_new(&c, true, true);
	for (unsigned k = 0; k < 24; k++) {
		peer_addr = teredo(SERVER, PEER_IP + k, PEER_PORT);
		peer_bubble(&c, 1000 + k, SERVER, TEREDO_PORT, LOCAL_PORT,
			    &(struct teredo_trailers){.has_nonce = true,
						      .nonce = 7});
	}
	opened = (unsigned)nopened;
	ok(opened == TEREDO_RAND_PORTS / 2,
	   "peers the stack never asked for get %u random ports (%u)",
	   TEREDO_RAND_PORTS / 2, opened);
	/* No port to be had: plain SNS, no Random Port trailer. */
	client_new(&c, true, true);
	refuse_ports = true;
	stack_send(&c, 1000);
	{
		struct teredo_trailers t;
		size_t i = last_to(SERVER, TEREDO_PORT);

		ok(i != SIZE_MAX && trailers_of(i, &t) && t.has_nonce &&
			   !t.has_random_port,
		   "no random port: the indirect bubble is plain SNS");
	}
}

/* X17, X18: Hairpinning. */
static void
test_hairpin(void)
{
	struct teredo_client c;
	struct teredo_trailers t, in = {.has_nonce = true, .nonce = 0xabcd};
	const struct teredo_peer *p;
	unsigned to_alt = 0, with_nonce = 0;
	size_t i;

	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	i = last_to(SERVER, TEREDO_PORT);
	ok(i != SIZE_MAX && trailers_of(i, &t) && t.alt_count == 1 &&
		   t.alt[0].ipv4 == 0x0a000002u &&
		   t.alt[0].port == LOCAL_PORT && t.has_nonce,
	   "X17: the indirect bubble lists our local address 10.0.0.2:%u "
	   "with a Nonce",
	   LOCAL_PORT);

	/* The peer lists loopback and three private addresses. */
	in.alt_count = 4;
	in.alt[0].ipv4 = 0x7f000001u;
	in.alt[0].port = 7;
	in.alt[1].ipv4 = 0xc0a80105u;
	in.alt[1].port = 6000;
	in.alt[2].ipv4 = 0xc0a80106u;
	in.alt[2].port = 6001;
	in.alt[3].ipv4 = 0xc0a80107u;
	in.alt[3].port = 6002;
	nsent = 0;
	peer_bubble(&c, 2500, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	for (size_t k = 0; k < nsent; k++) {
		if ((sent[k].ipv4 >> 16) != 0xc0a8 &&
		    sent[k].ipv4 != 0x7f000001u)
			continue;
		to_alt++;
		with_nonce += trailers_of(k, &t) && t.has_nonce &&
			      t.nonce == 0xabcd && sent[k].ipv4 != 0x7f000001u;
	}
	ok(p->nalt == 2 && to_alt == 2 && with_nonce == 2 &&
		   last_to(0xc0a80105u, 6000) != SIZE_MAX &&
		   last_to(0xc0a80106u, 6001) != SIZE_MAX,
	   "X18: loopback dropped, 2 entries kept, a nonce-echoing direct "
	   "bubble to each (%u)",
	   to_alt);
	nsent = 0;
	peer_bubble(&c, 2900, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	ok(last_to(0xc0a80105u, 6000) == SIZE_MAX,
	   "X18: paced: no second set within %u ms", TEREDO_ANSWER_SPACING_MS);
	peer_bubble(&c, 3000, 0xc0a80106u, 6001, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	ok(p->trusted && p->mapped_ipv4 == 0xc0a80106u &&
		   !strcmp(teredo_client_peer_path(&c, p), "alternate address"),
	   "X18: the peer, from an address it listed, is trusted there: "
	   "path \"alternate address\"");
	nsent = 0;
	stack_send(&c, 3100);
	i = last_to(SERVER, TEREDO_PORT);
	ok(nsent == 1 && sent[0].ipv4 == 0xc0a80106u,
	   "X17: trusted: data to the alternate address, no more trailers");
	/* A stranger elsewhere on the LAN is not the peer. */
	peer_bubble(&c, 3200, 0xc0a80199u, 6001, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	ok(p->mapped_ipv4 == 0xc0a80106u && p->mapped_port == 6001,
	   "an address the peer did not list is no mapping of it");
}

/*
 * X18 and A5: a global alternate address off the peer's embedded IPv4 is
 * a third party's, dropped; unless the peer is behind our own NAT (its
 * address embeds our mapped IPv4): then it is on the LAN we share (a
 * nested NAT's UPnP reservation, RFC 6081 §5.6; tests/lab/t-matrix's
 * nested-nohp pair).
 */
static void
test_hairpin_same_nat(void)
{
	struct teredo_client c;
	struct teredo_trailers in = {.has_nonce = true, .nonce = 0x1234};
	const struct teredo_peer *p;

	in.alt_count = 2;
	in.alt[0].ipv4 = 0x0a050002u; /* 10.5.0.2 */
	in.alt[0].port = 6000;
	in.alt[1].ipv4 = 0x0b2c0003u; /* 11.44.0.3 */
	in.alt[1].port = 6001;

	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	nsent = 0;
	peer_bubble(&c, 2500, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	ok(p->nalt == 1 && last_to(0x0b2c0003u, 6001) == SIZE_MAX,
	   "A5: a stranger's global alternate (not on its embedded IPv4) "
	   "is dropped, its private one kept");

	client_new(&c, true, true);
	peer_addr = teredo(SERVER, MAPPED_IP, 40009); /* behind our NAT */
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	nsent = 0;
	peer_bubble(&c, 2500, SERVER, TEREDO_PORT, LOCAL_PORT, &in);
	ok(p->nalt == 2 && last_to(0x0b2c0003u, 6001) != SIZE_MAX &&
		   last_to(0x0a050002u, 6000) != SIZE_MAX,
	   "X18: a peer behind our own NAT: its global alternate (an inner "
	   "NAT's UPnP reservation on our LAN) is kept and bubbled");
	peer_bubble(&c, 3000, 0x0b2c0003u, 6001, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	ok(p->trusted && p->mapped_ipv4 == 0x0b2c0003u &&
		   !strcmp(teredo_client_peer_path(&c, p), "alternate address"),
	   "X18: trusted at that reservation: path \"alternate address\"");
}

/* The last indirect bubble (no RS) to the server, or SIZE_MAX. */
static size_t
last_indirect(void)
{
	for (size_t i = nsent; i-- > 0;)
		if (sent[i].ipv4 == SERVER && sent[i].port == TEREDO_PORT &&
		    !is_rs(i))
			return i;
	return SIZE_MAX;
}

/* X19, X20: Server Load Reduction. */
static void
test_slr(void)
{
	struct teredo_client c;
	struct teredo_trailers t;
	const struct teredo_peer *p;
	unsigned sol = 0;
	size_t i;

	client_new(&c, true, true);
	stack_send(&c, 1000);
	p = teredo_client_peer(&c, &peer_addr);
	peer_bubble(&c, 1100, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){0});
	/* 40 s of silence, then data: a Solicitation, not the server. */
	nsent = 0;
	stack_send(&c, 41100);
	for (size_t k = 0; k < nsent; k++)
		sol += sent[k].ipv4 == PEER_IP && sent[k].port == PEER_PORT &&
		       trailers_of(k, &t) && t.has_nd_option &&
		       t.nd_discovery_type == TEREDO_ND_SOLICITATION;
	ok(p->trusted && sol == 1 && last_indirect() == SIZE_MAX && nsent >= 2,
	   "X19: data after 30 s idle: the packet and one direct bubble with "
	   "an ND Solicitation; nothing through the server");
	teredo_client_on_timer(&c, 43100);
	ok(p->slr_count == 2 && last_indirect() == SIZE_MAX,
	   "X19: retransmitted after 2 s, still not through the server");
	teredo_client_on_timer(&c, 45100);
	i = last_indirect();
	ok(c.stats.slr_solicitations == 3 && c.stats.slr_fallbacks == 1 &&
		   i != SIZE_MAX,
	   "X19: the third Solicitation goes with an indirect bubble (4 s "
	   "after the first)");
	/* The peer answers at last: an Advertisement. */
	peer_bubble(&c, 45200, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){.has_nd_option = true,
					      .nd_discovery_type =
						      TEREDO_ND_ADVERTISEMENT});
	ok(p->slr_count == 0 && !p->slr_fell_back && p->last_rx_ms == 45200,
	   "an Advertisement (any packet) from the peer ends the exchange");
	/* X20: the peer solicits us. */
	nsent = 0;
	peer_bubble(&c, 46000, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){.has_nd_option = true,
					      .nd_discovery_type =
						      TEREDO_ND_SOLICITATION});
	peer_bubble(&c, 46100, PEER_IP, PEER_PORT, LOCAL_PORT,
		    &(struct teredo_trailers){.has_nd_option = true,
					      .nd_discovery_type =
						      TEREDO_ND_SOLICITATION});
	ok(nsent == 1 && sent[0].ipv4 == PEER_IP && sent[0].port == PEER_PORT &&
		   trailers_of(0, &t) && t.has_nd_option &&
		   t.nd_discovery_type == TEREDO_ND_ADVERTISEMENT,
	   "X20: a Solicitation is answered by a direct bubble with an ND "
	   "Advertisement (one a second)");
	/* An untrusted stranger's Solicitation gets nothing. */
	nsent = 0;
	peer_addr = teredo(SERVER, PEER_IP + 9, PEER_PORT);
	peer_bubble(&c, 47000, PEER_IP + 1, 999, LOCAL_PORT,
		    &(struct teredo_trailers){.has_nd_option = true,
					      .nd_discovery_type =
						      TEREDO_ND_SOLICITATION});
	ok(nsent == 0, "X20: an unproven Solicitation gets no answer");
}

int
main(void)
{
	test_slr();
	test_hairpin();
	test_hairpin_same_nat();
	test_detection();
	test_pp_round();
	test_pp_refresh();
	test_ss_echo();
	test_bounds();
	return done_testing();
}
