/*
 * RFC 6081 Port-Preserving Symmetric NAT (§5.4) and Sequential
 * Port-Symmetric NAT (§5.5) for the Teredo client: a random local port per
 * peer, the Random Port trailer, the direct-bubble receive cases, Peer
 * Refresh, and the echo test that predicts a sequential NAT's next port.
 * teredo-spec.md §4.14.3, §4.14.4; checklist X8-X16.
 *
 * Kept apart from client.c, which calls in at a few hooks (node.h):
 *   teredo_6081_round      before a round's indirect bubble
 *   teredo_6081_direct     the direct bubble from our random port
 *   teredo_6081_on_indirect  an indirect bubble's Random Port trailer
 *   teredo_6081_accept     a peer speaking from its advertised port
 *   teredo_6081_trusted    the receive cases, once a packet is accepted
 *   teredo_6081_on_udp     a datagram on one of our random ports
 *   teredo_6081_timer / _deadline / _reset
 *
 * Bounds: at most TEREDO_RAND_PORTS random ports (sockets) at once; a peer
 * the stack never asked for gets one only while half the slots are free,
 * and an untrusted peer's slot is reclaimed after TEREDO_RAND_PORT_IDLE_MS.
 */
#include <string.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/node.h"

#define TEREDO_RAND_PORT_IDLE_MS 60000
#define ECHO_TEST_TRIES 2 /* §5.5.2.2: counter 1 -> again, 2 -> give up */
/*
 * PROJECT: toward a peer that advertised a random port (a port-preserving
 * one, which aims its random port's first packet at our prediction and so
 * cannot do without it: §5.5.4.1 holds the indirect bubble for the test),
 * a test that lost one of its four packets is tried again up to this
 * many times in all before the indirect bubble goes without a prediction.
 * The counter (and the failover delay) keep growing.
 */
#define ECHO_TEST_TRIES_PP 4
#define ECHO_NO_TEST 100 /* echo_retry: no test can run (echo_test) */
/*
 * PROJECT: the widest bracket an echo test may report (upper - lower):
 * two steps of 2 and a few other hosts' mappings between.  Anything wider
 * (lower above upper, a NAT that picks ports at random) predicts nothing.
 */
#define ECHO_GAP_MAX 16

/* How many echo tests in all toward p (X15, ECHO_TEST_TRIES_PP). */
static unsigned
echo_tries(const struct teredo_peer *p)
{
	return p->peer_rand_port != 0 ? ECHO_TEST_TRIES_PP : ECHO_TEST_TRIES;
}

bool
teredo_6081_pp(const struct teredo_client *c)
{
	return !c->cfg.relay && c->cfg.symmetric_nat_support && c->symmetric &&
	       c->port_preserving && c->io.open_port != NULL &&
	       c->io.send_udp_from != NULL;
}

/* §5.5: no detection is possible; a symmetric NAT that does not keep
 * ports is assumed sequential. */
bool
teredo_6081_ss(const struct teredo_client *c)
{
	return !c->cfg.relay && c->cfg.symmetric_nat_support && c->symmetric &&
	       !c->port_preserving && c->io.open_port != NULL &&
	       c->io.send_udp_from != NULL;
}

void
teredo_node_send_from(struct teredo_client *c, uint16_t src_port,
		      uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf,
		      size_t len)
{
	if (src_port == 0 || src_port == c->cfg.local_port ||
	    c->io.send_udp_from == NULL)
		c->io.send_udp(c->io.ctx, dst_ipv4, dst_port, buf, len);
	else
		c->io.send_udp_from(c->io.ctx, src_port, dst_ipv4, dst_port,
				    buf, len);
}

void
teredo_node_bubble_from(struct teredo_client *c, uint16_t src_port,
			const struct teredo_peer *p, uint32_t dst_ipv4,
			uint16_t dst_port, bool with_nonce, uint32_t nonce,
			uint16_t random_port)
{
	teredo_node_bubble_alt(c, src_port, p, dst_ipv4, dst_port, with_nonce,
			       nonce, random_port, NULL);
}

void
teredo_node_bubble_alt(struct teredo_client *c, uint16_t src_port,
		       const struct teredo_peer *p, uint32_t dst_ipv4,
		       uint16_t dst_port, bool with_nonce, uint32_t nonce,
		       uint16_t random_port, const struct teredo_trailers *alt)
{
	struct teredo_trailers t = {
		.has_nonce = with_nonce,
		.nonce = nonce,
		.has_random_port = random_port != 0,
		.random_port = random_port,
	};

	if (alt != NULL && alt->alt_count > 0) {
		t.alt_count = alt->alt_count;
		for (unsigned i = 0; i < alt->alt_count; i++)
			t.alt[i] = alt->alt[i];
	}
	uint8_t buf[128];
	size_t len;

	if (teredo_bubble_write(buf, sizeof(buf), &c->addr, &p->addr,
				TEREDO_BUBBLE_HOP_LIMIT, NULL, &t, &len) < 0)
		return;
	teredo_node_send_from(c, src_port, dst_ipv4, dst_port, buf, len);
	c->stats.bubbles_sent++;
}

void
teredo_node_bubble_nd(struct teredo_client *c, uint16_t src_port,
		      const struct teredo_peer *p, uint32_t dst_ipv4,
		      uint16_t dst_port, uint8_t discovery_type)
{
	struct teredo_trailers t = {
		.has_nd_option = true,
		.nd_discovery_type = discovery_type,
	};
	uint8_t buf[128];
	size_t len;

	if (teredo_bubble_write(buf, sizeof(buf), &c->addr, &p->addr,
				TEREDO_BUBBLE_HOP_LIMIT, NULL, &t, &len) < 0)
		return;
	teredo_node_send_from(c, src_port, dst_ipv4, dst_port, buf, len);
	c->stats.bubbles_sent++;
}

static struct teredo_rand_port *
slot_of(struct teredo_client *c, uint16_t port)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (c->rand_ports[i].port == port && port != 0)
			return &c->rand_ports[i];
	return NULL;
}

static void
slot_close(struct teredo_client *c, struct teredo_rand_port *s)
{
	char text[46];

	ip6_addr_format(&s->peer, text);
	teredo_node_log(c, "random port %u toward %s closed", s->port, text);
	if (c->io.close_port != NULL)
		c->io.close_port(c->io.ctx, s->port);
	s->port = 0;
}

/* Stops listening on p's random port (§5.4.4.4, §5.4.4.5). */
static void
drop_port(struct teredo_client *c, struct teredo_peer *p)
{
	struct teredo_rand_port *s = slot_of(c, p->rand_port);

	if (s != NULL)
		slot_close(c, s);
	p->rand_port = p->rand_port_adv = 0;
	p->direct_random = false;
	p->refresh_ms = 0;
	p->echo_failover_ms = 0;
	p->echo_lower = p->echo_upper = 0;
}

/* The peer owning slot s, if it still does. */
static struct teredo_peer *
slot_peer(struct teredo_client *c, const struct teredo_rand_port *s)
{
	struct teredo_peer *p = teredo_peers_find(&c->peers, &s->peer);

	return p != NULL && p->rand_port == s->port ? p : NULL;
}

/* Closes the slots whose peer went (evicted, deleted). */
static void
gc(struct teredo_client *c)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (c->rand_ports[i].port != 0 &&
		    slot_peer(c, &c->rand_ports[i]) == NULL)
			slot_close(c, &c->rand_ports[i]);
}

/* X8: a fresh random local port for p (bounded); false: none. */
static bool
open_port(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	struct teredo_rand_port *free_slot = NULL;
	unsigned used = 0;
	uint16_t port;

	if (p->rand_port != 0)
		return true;
	gc(c);
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		struct teredo_rand_port *s = &c->rand_ports[i];
		struct teredo_peer *o;

		if (s->port != 0 && (o = slot_peer(c, s)) != NULL &&
		    !o->trusted &&
		    now - s->opened_ms >= TEREDO_RAND_PORT_IDLE_MS)
			drop_port(c, o);
		if (s->port == 0) {
			if (free_slot == NULL)
				free_slot = s;
		} else {
			used++;
		}
	}
	if (free_slot == NULL || (!p->asked && used >= TEREDO_RAND_PORTS / 2))
		return false;
	if (c->io.open_port(c->io.ctx, &port) < 0 || port == 0 ||
	    port == c->cfg.local_port || slot_of(c, port) != NULL)
		return false;
	free_slot->port = port;
	free_slot->peer = p->addr;
	free_slot->opened_ms = now;
	p->rand_port = port;
	p->direct_random = false;
	p->refresh_count = 0;
	c->stats.random_ports_opened++;
	return true;
}

/* Where our bubbles and data from the random port go: the peer's
 * advertised random port on its embedded address, else its mapping. */
static bool
target(const struct teredo_peer *p, uint32_t *ipv4, uint16_t *port)
{
	struct teredo_addr t;

	if (teredo_addr_read(&p->addr, &t) < 0 ||
	    !teredo_ipv4_is_global(t.mapped_ipv4, NULL, 0))
		return false;
	*ipv4 = t.mapped_ipv4;
	*port = p->peer_rand_port != 0 ? p->peer_rand_port : t.mapped_port;
	return *port != 0;
}

static void
send_rs_from_port(struct teredo_client *c, uint16_t port, uint32_t server,
		  const uint8_t nonce[static TEREDO_NONCE_LEN])
{
	struct ip6_addr src;
	uint8_t buf[128];
	size_t len;

	teredo_client_link_local(false, &src);
	if (teredo_rs_write_src(buf, sizeof(buf), nonce, &src, &len) < 0)
		return;
	teredo_node_send_from(c, port, server, TEREDO_PORT, buf, len);
	c->stats.rs_sent++;
}

/*
 * X13: the echo test (§5.5.4.1.1): from the random port, an RS to the
 * primary server, a direct bubble to the peer, an RS to the secondary
 * server; the servers' answers bracket the port the bubble got.
 */
static void
echo_test(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	uint32_t ipv4;
	uint16_t port;

	/*
	 * PROJECT: every test from a port of its own.  A test again from
	 * the same port reuses whatever flows the last one got mapped: an
	 * RS lost before its NAT mapped it comes back as a new mapping after
	 * the others (lower above upper), a lost bubble is mapped after both
	 * RSs.  A fresh port's three flows are new, mapped in the order sent;
	 * the old port's late answers find it closed.
	 */
	if (p->rand_port != 0)
		drop_port(c, p);
	if (!open_port(c, now, p) || !target(p, &ipv4, &port)) {
		p->echo_retry = ECHO_NO_TEST; /* no test: plain SNS */
		return;
	}
	c->io.random(c->io.ctx, p->echo_rs_nonce1, TEREDO_NONCE_LEN);
	c->io.random(c->io.ctx, p->echo_rs_nonce2, TEREDO_NONCE_LEN);
	p->echo_lower = p->echo_upper = 0;
	send_rs_from_port(c, p->rand_port, c->cfg.server_ipv4,
			  p->echo_rs_nonce1);
	/*
	 * PROJECT: the bubble twice: the NAT maps the flow once, and a
	 * bubble its router drops before mapping it (the lab's loss rule,
	 * any filter) would leave the flow to be mapped later, at a port no
	 * test saw, while another flow may take the one between the RSs.
	 */
	for (int k = 0; k < 2; k++)
		teredo_node_bubble_from(c, p->rand_port, p, ipv4, port,
					p->nonce_received != 0,
					p->nonce_received, 0);
	send_rs_from_port(c, p->rand_port, c->cfg.server2_ipv4,
			  p->echo_rs_nonce2);
	p->echo_retry++;
	p->echo_failover_ms = now + 1000u * p->echo_retry;
	c->stats.echo_tests_6081++;
}

void
teredo_6081_new_attempt(struct teredo_client *c, struct teredo_peer *p)
{
	/* A failed test (X15: both tries) does not bind the new procedure;
	 * "no test can run" (echo_test) does. */
	if (p->echo_retry != ECHO_NO_TEST && p->echo_failover_ms == 0)
		p->echo_retry = 0;
	/*
	 * A port-preserving client's random port may not have been kept:
	 * the NAT still held state for that local port (an earlier socket
	 * on the same number; seen in the lab after a restart: the
	 * ppsymmetric router's set of mapped endpoints outlives the
	 * daemon).  The next round opens another and advertises it (the
	 * peer adopts it: no data flowed yet, X10).  Not toward a peer with
	 * a random port of its own: a sequential one predicted its port for
	 * ours.
	 *
	 * A sequential client keeps its port and prediction: since every
	 * echo test runs from a port of its own, the prediction is that
	 * port's mapping unless another flow came between, and the peer
	 * may already trust it (its answer lost on the way back): closing
	 * it would black-hole the peer's data.  Without a prediction, the
	 * new round's test takes a fresh port anyway (echo_test).
	 */
	if (teredo_6081_pp(c) && !p->trusted && p->rand_port != 0 &&
	    p->peer_rand_port == 0)
		drop_port(c, p);
}

bool
teredo_6081_round(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	if (p->trusted)
		return true;
	if (teredo_6081_pp(c)) {
		/* X8: advertise the port we listen on; the NAT keeps it. */
		if (open_port(c, now, p))
			p->rand_port_adv = p->rand_port;
		return true;
	}
	if (!teredo_6081_ss(c))
		return true;
	if (p->rand_port_adv == 0 && p->echo_retry == 0 &&
	    p->echo_failover_ms == 0)
		echo_test(c, now, p);
	/*
	 * §5.5.4.1: the indirect bubble waits for the test, when the peer
	 * advertised a random port of its own (a port-preserving peer aims
	 * its random port's first packet at what our bubble says).
	 * PROJECT: toward any other peer it goes at once, as SNS alone
	 * sends it, and the prediction follows in one more, uncounted: a
	 * symmetric NAT that is not sequential after all costs nothing.
	 */
	return p->echo_failover_ms == 0 || p->peer_rand_port == 0;
}

void
teredo_6081_direct(struct teredo_client *c, const struct teredo_peer *p,
		   bool with_nonce, uint32_t nonce)
{
	uint32_t ipv4;
	uint16_t port;

	/*
	 * X9: only once the first destination of the port is the right one:
	 * the peer's advertised port, or its mapping once it has spoken
	 * (a PP NAT keeps the port for the first destination only); for SS
	 * once the echo test predicted the port of that destination.
	 */
	if (p->rand_port == 0)
		return;
	if (p->trusted) {
		/*
		 * Our data leaves from the random port: the answer to the
		 * peer's indirect bubble goes from there too, with its nonce,
		 * so that the peer may take that mapping (X4) instead of the
		 * one our service port's answer shows.
		 */
		if (p->direct_random && with_nonce)
			teredo_node_bubble_from(c, p->rand_port, p,
						p->mapped_ipv4, p->mapped_port,
						true, nonce, p->rand_port_adv);
		return;
	}
	if (!target(p, &ipv4, &port))
		return;
	if (teredo_6081_pp(c) && p->peer_rand_port == 0 && !p->got_indirect)
		return;
	if (teredo_6081_ss(c) && p->rand_port_adv == 0)
		return;
	teredo_node_bubble_from(c, p->rand_port, p, ipv4, port, with_nonce,
				nonce, p->rand_port_adv);
}

/* The last packet either way. */
static uint64_t
last_data(const struct teredo_peer *p)
{
	return p->last_data_tx_ms > p->last_data_rx_ms ? p->last_data_tx_ms
						       : p->last_data_rx_ms;
}

void
teredo_6081_on_indirect(struct teredo_client *c, uint64_t now,
			struct teredo_peer *p, const struct teredo_packet *pkt)
{
	p->got_indirect = true;
	if (pkt->trailers.has_random_port && pkt->trailers.random_port != 0 &&
	    pkt->trailers.random_port != p->peer_rand_port) {
		/* X10 (§5.4.4.4): a new port, only after 30 s without data
		 * (or none ever). */
		if (p->peer_rand_port == 0 || last_data(p) == 0 ||
		    now - last_data(p) > TEREDO_PEER_VALID_MS) {
			if (p->peer_rand_port != 0 && teredo_6081_pp(c))
				drop_port(c, p);
			p->peer_rand_port = pkt->trailers.random_port;
		}
	}
	/* A port-preserving responder answers from its own random port. */
	if (teredo_6081_pp(c) && !p->trusted && open_port(c, now, p))
		p->rand_port_adv = p->rand_port;
}

bool
teredo_6081_accept(const struct teredo_peer *p, uint32_t src_ipv4,
		   uint16_t src_port)
{
	struct teredo_addr t;

	/*
	 * The port came in an indirect bubble our server relayed, which it
	 * relays only from the peer's embedded mapping (RFC 4380 §5.3.1):
	 * it is as good as that mapping for an untrusted entry.  A trusted
	 * one is re-pointed only by a nonce (X4).
	 */
	return !p->trusted && p->peer_rand_port != 0 &&
	       src_port == p->peer_rand_port &&
	       teredo_addr_read(&p->addr, &t) == 0 && t.mapped_ipv4 == src_ipv4;
}

/*
 * `decides`: the packet says which of our mappings the peer chose (data,
 * or the first packet that made it trusted).  A bubble from a trusted
 * peer does not: a re-verification round bubbles every mapping the peer
 * knows of ours, and following each would flap between our ports.
 */
void
teredo_6081_trusted(struct teredo_client *c, uint64_t now,
		    struct teredo_peer *p, uint16_t local_port, bool decides)
{
	bool primary = local_port == c->cfg.local_port || local_port == 0;

	if (!decides && (primary ? p->direct_random && p->rand_port != 0
				 : p->direct_primary))
		return;
	if (p->rand_port != 0 &&
	    (primary != p->direct_primary || !primary != p->direct_random)) {
		char text[46];

		ip6_addr_format(&p->addr, text);
		teredo_node_log(c, "%s reached on our %s port %u", text,
				primary ? "service" : "random",
				primary ? c->cfg.local_port : local_port);
	}
	if (primary) {
		/*
		 * X11 cases 1 and 4: the primary port works: send from it.
		 * The RFC drops the random port here; we keep listening on
		 * it (until the entry goes) when it was advertised, since
		 * the peer may have learned it in the same round: closing
		 * it would black-hole the peer's side until it re-verifies.
		 */
		if (p->rand_port != 0 && p->rand_port_adv == 0)
			drop_port(c, p);
		p->echo_failover_ms = 0; /* X15: cancels the echo test */
		p->direct_primary = true;
		p->direct_random = false;
		return;
	}
	/* X11 case 5: trusted on the random port. */
	if (!p->direct_random) {
		p->direct_random = true;
		p->direct_primary = false;
		p->refresh_count = 0;
		p->refresh_ms = now + TEREDO_PEER_REFRESH_MS;
	}
}

void
teredo_6081_data_sent(struct teredo_peer *p, uint64_t now)
{
	p->last_data_tx_ms = now;
	p->refresh_count = 0; /* X12: reset on data */
}

/* X11: data goes out of the port the peer was last heard on. */
uint16_t
teredo_6081_send_port(const struct teredo_client *c,
		      const struct teredo_peer *p)
{
	return p->direct_random && p->rand_port != 0 ? p->rand_port
						     : c->cfg.local_port;
}

bool
teredo_6081_two_ports(const struct teredo_peer *p)
{
	return p->peer_rand_port != 0 || p->rand_port != 0;
}

bool
teredo_6081_answers_alone(const struct teredo_peer *p)
{
	return p->trusted && p->direct_random && p->rand_port != 0;
}

/* X14: an echo-test RA (routed by nonce; X16: never our mapping). */
static void
echo_ra(struct teredo_client *c, uint64_t now, struct teredo_peer *p,
	const struct teredo_packet *pkt)
{
	struct teredo_ra ra;
	uint16_t gap;

	if (p->echo_failover_ms == 0 || teredo_ra_read(pkt, &ra) < 0 ||
	    ra.server_ipv4 != c->cfg.server_ipv4) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_STALE_RA);
		return;
	}
	if (memcmp(ra.nonce, p->echo_rs_nonce1, TEREDO_NONCE_LEN) == 0)
		p->echo_lower = ra.origin.port;
	else if (memcmp(ra.nonce, p->echo_rs_nonce2, TEREDO_NONCE_LEN) == 0)
		p->echo_upper = ra.origin.port;
	else {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_STALE_RA);
		return;
	}
	if (p->echo_lower == 0 || p->echo_upper == 0)
		return;
	gap = (uint16_t)(p->echo_upper - p->echo_lower);
	/*
	 * PROJECT: a bracket that cannot hold our bubble's port predicts
	 * nothing.  Fewer than 2: our bubble took no port (it never left the
	 * NAT; the midpoint would name the first RS's own mapping), so the
	 * test runs again at once from a fresh port while tries are left
	 * (X15): nobody can have answered the old one.  Wider than
	 * ECHO_GAP_MAX (or lower above upper): the NAT is not sequential
	 * after all; no more tests, and the failover sends the indirect
	 * bubble without a prediction.
	 */
	if (gap < 2 || gap > ECHO_GAP_MAX) {
		bool again =
			gap < 2 && p->echo_retry < echo_tries(p) && !p->trusted;

		teredo_node_log(c,
				"sequential NAT: echo test saw ports %u and "
				"%u, no port for our bubble between: %s",
				p->echo_lower, p->echo_upper,
				again ? "testing again" : "no prediction");
		p->echo_lower = p->echo_upper = 0;
		if (again)
			echo_test(c, now, p);
		else if (gap >= 2)
			p->echo_retry = (uint8_t)echo_tries(p);
		return;
	}
	/* The errata midpoint (teredo-spec.md §2.11 item 2). */
	p->rand_port_adv =
		(uint16_t)(((uint32_t)p->echo_lower + p->echo_upper) / 2);
	p->echo_failover_ms = 0;
	c->sequential_seen = true;
	c->stats.ports_predicted++;
	teredo_node_log(c,
			"sequential NAT: echo test saw ports %u and %u, "
			"predicting %u",
			p->echo_lower, p->echo_upper, p->rand_port_adv);
	if (!p->trusted) {
		unsigned bubbles = p->bubbles;

		teredo_node_indirect(c, now, p);
		p->bubbles = bubbles; /* X14: not one of the round's 4 */
	}
}

void
teredo_6081_on_udp(struct teredo_client *c, uint64_t now,
		   const struct teredo_packet *pkt, uint32_t src_ipv4,
		   uint16_t src_port, uint16_t local_port)
{
	struct teredo_rand_port *s = slot_of(c, local_port);
	struct teredo_peer *p = s != NULL ? slot_peer(c, s) : NULL;
	bool bubble = teredo_packet_is_bubble(pkt), was_trusted;
	struct teredo_addr t;

	if (p == NULL || !c->have_addr) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_UNKNOWN_PEER);
		return;
	}
	if ((src_ipv4 == c->cfg.server_ipv4 ||
	     src_ipv4 == c->cfg.server2_ipv4) &&
	    src_port == TEREDO_PORT) {
		if (pkt->ip6.next_header == IP6_NEXT_ICMPV6 &&
		    ip6_addr_is_link_local(&pkt->ip6.src))
			echo_ra(c, now, p, pkt);
		else
			teredo_node_drop(c, TEREDO_CLIENT_DROP_UNKNOWN_PEER);
		return;
	}
	/* Only the peer the port is for, to us. */
	if (!ip6_addr_equal(&pkt->ip6.src, &p->addr) ||
	    !ip6_addr_equal(&pkt->ip6.dst, &c->addr) ||
	    teredo_addr_read(&p->addr, &t) < 0) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_MAPPING);
		return;
	}
	was_trusted = p->trusted;
	if (p->trusted && p->mapped_ipv4 == src_ipv4 &&
	    p->mapped_port == src_port) {
		/* X11 case 6a: the same mapping. */
	} else if ((t.mapped_ipv4 == src_ipv4 && t.mapped_port == src_port) ||
		   teredo_6081_accept(p, src_ipv4, src_port) ||
		   (bubble && teredo_node_nonce_answers(p, now, pkt))) {
		/* Case 5 (or 6b with proof): trust this mapping. */
		teredo_node_trust(c, now, p, src_ipv4, src_port);
		/* Tell the peer at once, echoing its nonce (its proof that
		 * our random port speaks for us, X4). */
		if (!p->direct_random)
			teredo_node_bubble_from(
				c, p->rand_port, p, src_ipv4, src_port,
				p->nonce_received != 0, p->nonce_received,
				p->rand_port_adv);
	} else {
		/* Case 6b unproven: SHOULD re-advertise; we drop it. */
		teredo_node_drop(c, TEREDO_CLIENT_DROP_MAPPING);
		return;
	}
	teredo_6081_trusted(c, now, p, local_port, !bubble || !was_trusted);
	teredo_node_heard(c, now, p);
	if (bubble) {
		c->stats.bubbles_received++;
		teredo_slr_on_bubble(c, now, p, pkt, local_port);
		return;
	}
	p->last_data_rx_ms = now;
	teredo_node_deliver(c, pkt->ip6_packet, pkt->ip6_len);
}

void
teredo_6081_timer(struct teredo_client *c, uint64_t now)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		struct teredo_rand_port *s = &c->rand_ports[i];
		struct teredo_peer *p;

		if (s->port == 0)
			continue;
		if ((p = slot_peer(c, s)) == NULL) {
			slot_close(c, s);
			continue;
		}
		if (p->echo_failover_ms != 0 && now >= p->echo_failover_ms) {
			/* X15: counter 1 -> test again; 2 -> bubble anyway. */
			p->echo_failover_ms = 0;
			if (p->echo_retry < echo_tries(p) && !p->trusted)
				echo_test(c, now, p);
			else if (!p->trusted && p->peer_rand_port != 0)
				teredo_node_indirect(c, now, p);
		}
		if (p->refresh_ms != 0 && now >= p->refresh_ms) {
			/* X12: Peer Refresh on random-port paths. */
			p->refresh_ms = now + TEREDO_PEER_REFRESH_MS;
			if (!p->direct_random || !p->trusted)
				p->refresh_ms = 0;
			else if (now - p->last_data_tx_ms >=
					 TEREDO_PEER_REFRESH_MS &&
				 p->refresh_count < TEREDO_PEER_REFRESH_MAX) {
				p->refresh_count++;
				c->stats.peer_refreshes++;
				teredo_node_bubble_from(c, p->rand_port, p,
							p->mapped_ipv4,
							p->mapped_port, false,
							0, p->rand_port_adv);
			}
		}
	}
}

uint64_t
teredo_6081_deadline(const struct teredo_client *c)
{
	uint64_t d = UINT64_MAX;

	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		const struct teredo_rand_port *s = &c->rand_ports[i];
		const struct teredo_peer *p;

		if (s->port == 0 ||
		    (p = teredo_peers_find(&c->peers, &s->peer)) == NULL ||
		    p->rand_port != s->port)
			continue;
		if (p->echo_failover_ms != 0 && p->echo_failover_ms < d)
			d = p->echo_failover_ms;
		if (p->refresh_ms != 0 && p->refresh_ms < d)
			d = p->refresh_ms;
	}
	return d;
}

void
teredo_6081_reset(struct teredo_client *c)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (c->rand_ports[i].port != 0)
			slot_close(c, &c->rand_ports[i]);
}

const char *
teredo_client_peer_path(const struct teredo_client *c,
			const struct teredo_peer *p)
{
	(void)c;
	if (!p->trusted)
		return "pending";
	if (!teredo_addr_is_teredo(&p->addr))
		return "via relay";
	if (p->direct_random)
		return "random port";
	if (teredo_hairpin_reached(p))
		return "alternate address";
	return "direct";
}
