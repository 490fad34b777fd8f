/*
 * RFC 6081 Server Load Reduction (§5.7; teredo-spec.md §4.14.6; checklist
 * X19, X20): a trusted path idle for 30 s is re-verified with direct
 * bubbles carrying a Neighbor Discovery Option trailer (Solicitation), not
 * through the server; the peer answers with an Advertisement.  After the
 * third unanswered Solicitation (2 s apart, about 4 s after the first) the
 * ordinary procedure, an indirect bubble round through the server, takes
 * over.  Data keeps going to the known mapping meanwhile (as client.c
 * does for any trusted peer being re-verified).
 *
 *   teredo_slr_round   client.c's round for a trusted Teredo peer: true
 *                      when SLR handled it (a Solicitation went out)
 *   teredo_slr_on_bubble  an accepted direct bubble: answer a
 *                      Solicitation (X20, at most one a second a peer)
 *   teredo_slr_heard   the peer was heard: the exchange is over
 */
#include "teredo/addr.h"
#include "teredo/node.h"

#define TEREDO_SLR_INTERVAL_MS 2000 /* §5.7.2: retransmission timer */
#define TEREDO_SLR_MAX 3	    /* then the indirect bubble */

static void
solicit(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	teredo_node_bubble_nd(c, teredo_6081_send_port(c, p), p, p->mapped_ipv4,
			      p->mapped_port, TEREDO_ND_SOLICITATION);
	p->slr_count++;
	p->last_tx_ms = now; /* its own 2 s timer; RFC 4380 pacing apart */
	c->stats.slr_solicitations++;
}

bool
teredo_slr_round(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	if (c->cfg.relay || !p->trusted || !teredo_addr_is_teredo(&p->addr) ||
	    p->mapped_port == 0)
		return false;
	if (p->slr_count >= TEREDO_SLR_MAX) {
		/* X19: the third went unanswered: the full procedure. */
		p->slr_count = 0;
		p->slr_fell_back = true;
		c->stats.slr_fallbacks++;
		return false;
	}
	if (p->slr_fell_back)
		return false; /* until the peer is heard again */
	solicit(c, now, p);
	teredo_peers_set_retry(&c->peers, p, now + TEREDO_SLR_INTERVAL_MS);
	if (p->slr_count == TEREDO_SLR_MAX) {
		/* §5.7.4.1: the third Solicitation goes with the indirect
		 * bubble: the full procedure restarts. */
		p->slr_count = 0;
		p->slr_fell_back = true;
		c->stats.slr_fallbacks++;
		return false;
	}
	return true;
}

void
teredo_slr_on_bubble(struct teredo_client *c, uint64_t now,
		     struct teredo_peer *p, const struct teredo_packet *pkt,
		     uint16_t local_port)
{
	if (c->cfg.relay || !pkt->trailers.has_nd_option ||
	    pkt->trailers.nd_discovery_type != TEREDO_ND_SOLICITATION ||
	    (p->slr_answer_ms != 0 && now - p->slr_answer_ms < 1000))
		return;
	/* X20: an Advertisement, from where the Solicitation arrived. */
	p->slr_answer_ms = now;
	teredo_node_bubble_nd(c, local_port, p, p->mapped_ipv4, p->mapped_port,
			      TEREDO_ND_ADVERTISEMENT);
	c->stats.slr_advertisements++;
}

void
teredo_slr_heard(struct teredo_peer *p)
{
	p->slr_count = 0;
	p->slr_fell_back = false;
}
