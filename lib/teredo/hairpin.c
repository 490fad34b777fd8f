/*
 * RFC 6081 Hairpinning (§5.6; teredo-spec.md §4.14.5; checklist X17,
 * X18): two clients behind one NAT that does not hairpin reach each other
 * at the local addresses they list in an Alternate Address trailer.
 *
 *   teredo_hairpin_trailer   X17: until the peer is trusted, our indirect
 *                            bubbles list our local address:port (and a
 *                            UPnP reservation, lib/teredo/upnp.h)
 *   teredo_hairpin_on_indirect  X18: store the peer's list (validated:
 *                            unicast, port != 0, no loopback, local, on
 *                            the peer's embedded IPv4 or from a peer
 *                            behind our own NAT; at most
 *                            TEREDO_HAIRPIN_ALT_MAX entries)
 *   teredo_hairpin_direct    X18: direct bubbles to each, echoing the
 *                            peer's nonce, at most one set per
 *                            TEREDO_ANSWER_SPACING_MS per peer
 *
 * Acceptance needs nothing new: a bubble from an alternate address is a
 * mismatched mapping, taken only with our nonce (RFC 6081 §5.6.4.3, X4).
 */
#include "teredo/addr.h"
#include "teredo/node.h"

#define TEREDO_HAIRPIN_ALT_MAX 2 /* RFC 6081 §7: SHOULD be at most 2 */

/* Worth a bubble: unicast, not loopback, not "this network". */
static bool
alt_valid(uint32_t ipv4, uint16_t port)
{
	uint8_t a = (uint8_t)(ipv4 >> 24);

	return port != 0 && a != 0 && a != 127 && a < 224 &&
	       ipv4 != 0xffffffffu;
}

void
teredo_hairpin_trailer(const struct teredo_client *c,
		       const struct teredo_peer *p, struct teredo_trailers *t)
{
	t->alt_count = 0;
	if (c->cfg.relay || p->trusted || !c->cfg.symmetric_nat_support ||
	    !alt_valid(c->local_ipv4, c->cfg.local_port))
		return;
	/* Behind no NAT our mapping is our address: nothing to add. */
	if (c->local_ipv4 == c->mapping.ipv4 &&
	    c->cfg.local_port == c->mapping.port)
		return;
	t->alt[0].ipv4 = c->local_ipv4;
	t->alt[0].port = c->cfg.local_port;
	t->alt_count = 1;
}

void
teredo_hairpin_on_indirect(struct teredo_client *c, struct teredo_peer *p,
			   const struct teredo_packet *pkt)
{
	const struct teredo_trailers *t = &pkt->trailers;

	struct teredo_addr src;

	if (!c->cfg.symmetric_nat_support || t->alt_count == 0 ||
	    teredo_addr_read(&pkt->ip6.src, &src) < 0)
		return;
	p->nalt = 0;
	for (unsigned i = 0;
	     i < t->alt_count && p->nalt < TEREDO_HAIRPIN_ALT_MAX; i++) {
		/*
		 * A local address (not global: behind the same NAT as we
		 * may be) or one on the peer's own embedded IPv4 (its UPnP
		 * reservation, RFC 6081 §5.3.3): never a third party's
		 * global address, which a forged trailer could aim our
		 * bubbles at (issue 11 A5).  Unless the peer is behind our
		 * own NAT (its address embeds our mapped IPv4): then every
		 * address it lists is on the LAN we share, which a site may
		 * number from any block, and an inner NAT's UPnP reservation
		 * there is global if its IGD (miniupnpd) insists on a
		 * routable WAN address (§5.6: nested NATs, UPnP on the
		 * inner one).
		 */
		if (teredo_ipv4_is_global(t->alt[i].ipv4, NULL, 0) &&
		    t->alt[i].ipv4 != src.mapped_ipv4 &&
		    (c->mapping.ipv4 == 0 ||
		     src.mapped_ipv4 != c->mapping.ipv4))
			continue;
		if (!alt_valid(t->alt[i].ipv4, t->alt[i].port) ||
		    (t->alt[i].ipv4 == c->local_ipv4 &&
		     t->alt[i].port == c->cfg.local_port))
			continue;
		p->alt[p->nalt].ipv4 = t->alt[i].ipv4;
		p->alt[p->nalt].port = t->alt[i].port;
		p->nalt++;
	}
}

unsigned
teredo_hairpin_direct(struct teredo_client *c, uint64_t now,
		      struct teredo_peer *p, bool with_nonce, uint32_t nonce)
{
	if (p->nalt == 0 || (p->alt_sent_ms != 0 &&
			     now - p->alt_sent_ms < TEREDO_ANSWER_SPACING_MS))
		return 0;
	p->alt_sent_ms = now;
	/* Trusted at an alternate address: the peer still asks (it has not
	 * trusted us yet); its nonce, echoed from here, lets it. */
	if (p->trusted) {
		if (!teredo_hairpin_reached(p))
			return 0;
		teredo_node_bubble_from(c, 0, p, p->mapped_ipv4, p->mapped_port,
					with_nonce, nonce, 0);
		return 1;
	}
	for (unsigned i = 0; i < p->nalt; i++)
		teredo_node_bubble_from(c, 0, p, p->alt[i].ipv4, p->alt[i].port,
					with_nonce, nonce, 0);
	return p->nalt;
}

bool
teredo_hairpin_reached(const struct teredo_peer *p)
{
	for (unsigned i = 0; i < p->nalt; i++)
		if (p->mapped_ipv4 == p->alt[i].ipv4 &&
		    p->mapped_port == p->alt[i].port)
			return true;
	return false;
}

bool
teredo_hairpin_from_alt(const struct teredo_peer *p, uint32_t ipv4,
			uint16_t port)
{
	for (unsigned i = 0; i < p->nalt; i++)
		if (ipv4 == p->alt[i].ipv4 && port == p->alt[i].port)
			return true;
	return false;
}
