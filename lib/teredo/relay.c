/*
 * Teredo relay procedures (RFC 4380 §5.4; teredo-spec.md §4.10), Miredo's
 * relay.c: packets from the native IPv6 side to Teredo clients (on_tun),
 * packets from Teredo clients to the native side (on_udp), the per-source
 * limit on new peers (R9) and the prefix withdrawal under overload (R8).
 * The bubble rounds, queues and peer table are the client's machinery
 * (client.c, peers.c), shared through node.h.
 */
#include <string.h>

#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/msg.h"
#include "teredo/node.h"

/* The bucket of a native source's /64, by a keyed hash (a murmur3
 * finalizer): a scanner cannot aim at another source's bucket. */
static size_t
source_bucket(const struct teredo_client *c, const struct ip6_addr *src)
{
	uint64_t x = c->source_key;

	for (size_t i = 0; i < 8; i++)
		x ^= (uint64_t)src->bytes[i] << (8 * i);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (size_t)(x % TEREDO_SOURCE_BUCKETS);
}

/*
 * R9 (RFC 4380 §7.3.5): may this native source create one more peer
 * entry?  A token bucket kept as the time it is empty again (GCRA): each
 * entry costs 1/TEREDO_NEW_PEERS_PER_S s, and the source may run
 * TEREDO_NEW_PEERS_BURST entries ahead of the clock.  `spend`: take the
 * entry's cost now.
 */
static bool
source_may_add_peer(struct teredo_client *c, uint64_t now,
		    const struct ip6_addr *src, bool spend)
{
	const uint64_t cost = 1000 / TEREDO_NEW_PEERS_PER_S;
	uint64_t *busy = &c->source_busy_until_ms[source_bucket(c, src)];
	uint64_t from = *busy > now ? *busy : now;

	if (from + cost > now + TEREDO_NEW_PEERS_BURST * cost)
		return false;
	if (spend)
		*busy = from + cost;
	return true;
}

static void
relay_advertise(struct teredo_client *c, bool on)
{
	c->prefix_withdrawn = !on;
	if (c->io.advertise != NULL)
		c->io.advertise(c->io.ctx, on);
}

/*
 * R8 (RFC 4380 §5.4, §7.3.5): a relay that turns away
 * TEREDO_OVERLOAD_DROPS_PER_S new peers in a second, asked for by at least
 * TEREDO_OVERLOAD_SOURCES native /64s (A2: one attacker is no overload),
 * is overloaded: it
 * withdraws the Teredo prefix, so that native routing takes the traffic
 * elsewhere, for a hold-down that doubles while overloads keep coming.
 * The peers it has keep being served as long as their packets reach it.
 */
static void
relay_count_overload(struct teredo_client *c, uint64_t now,
		     const struct ip6_addr *src)
{
	uint64_t net = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		net = net << 8 | src->bytes[i];
	if (now - c->overload_window_ms >= 1000) {
		c->overload_window_ms = now;
		c->overload_drops = 0;
		c->overload_nsources = 0;
	}
	/* A2: the distinct /64s refused in this second, up to the quorum. */
	for (i = 0; i < c->overload_nsources; i++)
		if (c->overload_sources[i] == net)
			break;
	if (i == c->overload_nsources &&
	    c->overload_nsources < TEREDO_OVERLOAD_SOURCES)
		c->overload_sources[c->overload_nsources++] = net;
	if (c->prefix_withdrawn ||
	    ++c->overload_drops < TEREDO_OVERLOAD_DROPS_PER_S ||
	    c->overload_nsources < TEREDO_OVERLOAD_SOURCES)
		return;
	if (c->holddown_ms == 0 ||
	    now - c->advertised_since_ms >= TEREDO_HOLDDOWN_MAX_MS)
		c->holddown_ms = TEREDO_HOLDDOWN_MS;
	c->withdrawn_until_ms = now + c->holddown_ms;
	c->stats.prefix_withdrawals++;
	teredo_node_log(
		c,
		"relay: overloaded (%u new peers refused in 1 s from %u or "
		"more native /64s, table full): withdrawing the Teredo prefix "
		"for %u s; known clients are still served",
		c->overload_drops, TEREDO_OVERLOAD_SOURCES,
		c->holddown_ms / 1000);
	if (c->holddown_ms < TEREDO_HOLDDOWN_MAX_MS)
		c->holddown_ms *= 2;
	relay_advertise(c, false);
}

/* Relay mode: a packet from the native IPv6 side for a Teredo client. */
void
teredo_relay_on_tun(struct teredo_client *c, uint64_t now,
		    const struct ip6_header *h, const uint8_t *ip6, size_t len)
{
	struct teredo_addr dst;
	enum teredo_peers_refusal why;
	struct teredo_peer *p;
	bool may_add;

	/*
	 * Loop guard: a Teredo source arriving from the native side would be
	 * sent back into Teredo (another relay's, or a routing loop).
	 */
	if (teredo_addr_is_teredo(&h->src)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_LOOP);
		return;
	}
	if (!teredo_node_native_reachable(&h->src)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_SOURCE);
		return;
	}
	/* We route 2001::/32 only; anything else is a routing mistake. */
	if (teredo_addr_read(&h->dst, &dst) < 0 ||
	    !teredo_node_dst_valid(&dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	/* Loop guard: never encapsulate toward our own address. */
	if (c->cfg.relay_ipv4 != 0 && (dst.mapped_ipv4 == c->cfg.relay_ipv4 ||
				       dst.server_ipv4 == c->cfg.relay_ipv4)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_LOOP);
		return;
	}
	/* R9 first (O(1)): the lookup then serves known peers whatever the
	 * source's budget, and only a new peer spends it. */
	may_add = source_may_add_peer(c, now, &h->src, false);
	if ((p = teredo_peers_find(&c->peers, &h->dst)) == NULL) {
		if (!may_add) {
			teredo_node_drop(c, TEREDO_CLIENT_DROP_SOURCE_LIMIT);
			return;
		}
		source_may_add_peer(c, now, &h->src, true);
		/* Counted against the client's embedded IPv4:port too (A1,
		 * A2): destinations made up around one IPv4 cannot pin the
		 * table. */
		if ((p = teredo_node_peer_new(c, now, &h->dst, true,
					      dst.mapped_ipv4, dst.mapped_port,
					      &why)) == NULL) {
			if (why == TEREDO_PEERS_FULL)
				relay_count_overload(c, now, &h->src);
			return;
		}
	}
	teredo_node_transmit(c, now, p, ip6, len);
}

/*
 * Relay mode, a datagram from a Teredo client (RFC 4380 §5.4.2): only a
 * Teredo source whose embedded mapping is the datagram's source, or a
 * peer we trust at its learned mapping, or the answer to our bubble's
 * nonce (the RFC 6081 extension of teredo-spec.md §4.10, for clients
 * behind symmetric NATs).  Like Miredo, a client we never heard of is
 * dropped (§5.4.2 allows it): it must come through our bubble first.
 */
void
teredo_relay_on_udp(struct teredo_client *c, uint64_t now,
		    const struct teredo_packet *pkt, uint32_t src_ipv4,
		    uint16_t src_port)
{
	struct teredo_addr src;
	struct teredo_peer *p;
	bool bubble = teredo_packet_is_bubble(pkt);

	if (teredo_addr_read(&pkt->ip6.src, &src) < 0) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_NOT_TEREDO);
		return;
	}
	if (ip6_addr_is_multicast(&pkt->ip6.dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	if ((p = teredo_peers_find(&c->peers, &pkt->ip6.src)) == NULL) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_UNKNOWN_PEER);
		return;
	}
	if (p->trusted && p->mapped_ipv4 == src_ipv4 &&
	    p->mapped_port == src_port) {
		/* A trusted client from its known mapping. */
	} else if ((src.mapped_ipv4 == src_ipv4 &&
		    src.mapped_port == src_port &&
		    teredo_ipv4_is_global(src_ipv4, NULL, 0)) ||
		   (bubble && teredo_node_nonce_answers(p, now, pkt))) {
		teredo_node_trust(c, now, p, src_ipv4, src_port);
	} else {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_MAPPING);
		return;
	}
	teredo_node_heard(c, now, p);
	if (bubble) {
		c->stats.bubbles_received++;
		return;
	}
	/*
	 * We serve native destinations only (§5.4.2 SHOULD): Teredo to
	 * Teredo goes directly between clients, and sending it back out
	 * would loop between relays.
	 */
	if (teredo_addr_is_teredo(&pkt->ip6.dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_LOOP);
		return;
	}
	if (!teredo_node_native_reachable(&pkt->ip6.dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	teredo_node_deliver(c, pkt->ip6_packet, pkt->ip6_len);
}

void
teredo_relay_on_timer(struct teredo_client *c, uint64_t now)
{
	if (c->prefix_withdrawn && now >= c->withdrawn_until_ms) {
		teredo_node_log(c,
				"relay: advertising the Teredo prefix again");
		c->advertised_since_ms = now;
		relay_advertise(c, true);
	}
}

uint64_t
teredo_relay_deadline(const struct teredo_client *c)
{
	return c->prefix_withdrawn ? c->withdrawn_until_ms : UINT64_MAX;
}
