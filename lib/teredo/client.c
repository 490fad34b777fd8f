/*
 * Teredo client state machine: qualification (RFC 4380 §5.2.1, RFC 5991
 * §3.2, RFC 6081 §5.2), maintenance (§5.2.5), transmission (§5.2.4, §5.2.6)
 * and reception (§5.2.3, RFC 6081 §5.2.4) between Teredo clients.
 */
#include "teredo/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/node.h"
#include "wire/be.h"
#include "wire/rd.h"

#define PROBE_INTERVAL_MS 2000
/*
 * Each queued packet: its direction, the IPv4 source and port it came from
 * (inbound packets only), its length, then its bytes.
 */
#define QUEUE_HDR 9
enum queued_dir { QUEUED_OUT = 0, QUEUED_IN = 1 };
#define ECHO_HOP_LIMIT 64
#define ECHO_ID 0x5357 /* "SW": ours, though only the nonce is checked */

static const char *const state_names[] = {
	[TEREDO_CLIENT_IDLE] = "dormant",
	[TEREDO_CLIENT_PROBE_PRIMARY] = "probe (primary server)",
	[TEREDO_CLIENT_PROBE_SECONDARY] = "probe (secondary server)",
	[TEREDO_CLIENT_QUALIFIED] = "qualified",
	[TEREDO_CLIENT_OFFLINE] = "offline",
	[TEREDO_CLIENT_RELAY] = "online (relay)",
};

static const char *const nat_names[] = {
	[TEREDO_NAT_UNKNOWN] = "unknown",
	[TEREDO_NAT_NONE] = "none (global connectivity)",
	[TEREDO_NAT_CONE] = "cone",
	[TEREDO_NAT_RESTRICTED] = "restricted",
	[TEREDO_NAT_RESTRICTED_PORT] = "restricted (port)",
	[TEREDO_NAT_SYMMETRIC_PORT] = "symmetric (port)",
	[TEREDO_NAT_SYMMETRIC_ADDRESS] = "symmetric (address)",
};

static const char *const drop_names[TEREDO_CLIENT_DROP_COUNT] = {
	[TEREDO_CLIENT_DROP_MALFORMED] = "malformed",
	[TEREDO_CLIENT_DROP_BAD_RA] = "invalid-ra",
	[TEREDO_CLIENT_DROP_STALE_RA] = "unexpected-ra",
	[TEREDO_CLIENT_DROP_NOT_QUALIFIED] = "not-qualified",
	[TEREDO_CLIENT_DROP_BAD_SOURCE] = "bad-source",
	[TEREDO_CLIENT_DROP_BAD_DESTINATION] = "bad-destination",
	[TEREDO_CLIENT_DROP_NO_RELAY] = "no-relay",
	[TEREDO_CLIENT_DROP_LINK_LOCAL] = "link-local-source",
	[TEREDO_CLIENT_DROP_MAPPING] = "mapping-mismatch",
	[TEREDO_CLIENT_DROP_UNKNOWN_PEER] = "unknown-peer",
	[TEREDO_CLIENT_DROP_QUEUE_FULL] = "queue-full",
	[TEREDO_CLIENT_DROP_UNREACHABLE] = "peer-unreachable",
	[TEREDO_CLIENT_DROP_PEERS_FULL] = "peer-table-full",
	[TEREDO_CLIENT_DROP_LOOP] = "relay-loop",
	[TEREDO_CLIENT_DROP_NOT_TEREDO] = "source-not-teredo",
	[TEREDO_CLIENT_DROP_SOURCE_LIMIT] = "source-new-peer-limit",
};

enum teredo_client_state
teredo_client_shown_state(const struct teredo_client *c)
{
	return c->retrying ? TEREDO_CLIENT_OFFLINE : c->state;
}

const char *
teredo_client_state_name(enum teredo_client_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

const char *
teredo_nat_type_name(enum teredo_nat_type t)
{
	return (unsigned)t < ARRAY_SIZE(nat_names) ? nat_names[t] : "?";
}

const char *
teredo_client_drop_name(enum teredo_client_drop d)
{
	return (unsigned)d < ARRAY_SIZE(drop_names) ? drop_names[d] : "?";
}

void
teredo_node_log(struct teredo_client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->io.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->io.log(c->io.ctx, msg);
}

void
teredo_node_drop(struct teredo_client *c, enum teredo_client_drop why)
{
	c->stats.drops[why]++;
}

static uint32_t
random_u32(struct teredo_client *c)
{
	uint8_t b[4];

	c->io.random(c->io.ctx, b, sizeof(b));
	return be32_load(b);
}

/*
 * A5: the global bubble budget.  Bubbles that unverified input makes us
 * send (answers to indirect bubbles, rounds toward peers the stack never
 * asked for, a relay's rounds) spend it: TEREDO_BUBBLE_BUDGET_PER_S, up
 * to TEREDO_BUBBLE_BUDGET_BURST ahead, kept as the time the bucket is
 * empty again (GCRA).  false, counted: the n bubbles are not sent.
 */
bool
teredo_node_bubble_budget(struct teredo_client *c, uint64_t now, unsigned n)
{
	const uint64_t cost = 1000 / TEREDO_BUBBLE_BUDGET_PER_S;
	uint64_t from =
		c->bubble_busy_until_ms > now ? c->bubble_busy_until_ms : now;

	if (from + n * cost > now + TEREDO_BUBBLE_BUDGET_BURST * cost) {
		c->stats.bubbles_suppressed += n;
		return false;
	}
	c->bubble_busy_until_ms = from + n * cost;
	return true;
}

static bool
same_origin(const struct teredo_origin *a, const struct teredo_origin *b)
{
	return a->ipv4 == b->ipv4 && a->port == b->port;
}

static void
format_addr(const struct ip6_addr *a, char out[static 46])
{
	ip6_addr_format(a, out);
}

/* ---- qualification and maintenance --------------------------------- */

static void
send_rs_from(struct teredo_client *c, uint32_t dst,
	     const uint8_t nonce[static TEREDO_NONCE_LEN],
	     const struct ip6_addr *src)
{
	uint8_t buf[128];
	size_t len;

	if (teredo_rs_write_src(buf, sizeof(buf), nonce, src, &len) < 0)
		return; /* cannot happen: 61 bytes fit */
	c->io.send_udp(c->io.ctx, dst, TEREDO_PORT, buf, len);
	c->stats.rs_sent++;
}

/* RFC 4380 §5.2.1 and RFC 5991 §3.2: C = 0 link-local source. */
static void
send_rs(struct teredo_client *c, uint32_t dst)
{
	struct ip6_addr src;

	teredo_client_link_local(false, &src);
	send_rs_from(c, dst, c->nonce, &src);
}

static void
send_probe(struct teredo_client *c)
{
	struct ip6_addr src;

	if (c->probe == PROBE_CONE)
		teredo_client_link_local(true, &src);
	else
		teredo_port_probe_link_local(&src);
	send_rs_from(c, c->cfg.server_ipv4, c->probe_nonce, &src);
}

static void
peers_reset(struct teredo_client *c)
{
	teredo_6081_reset(c);
	teredo_peers_reset(&c->peers);
}

static void
set_address(struct teredo_client *c, const struct ip6_addr *addr)
{
	if (addr == NULL && !c->have_addr)
		return;
	if (addr != NULL && c->have_addr && ip6_addr_equal(addr, &c->addr))
		return;
	/* Miredo resets the peer list whenever its address changes. */
	peers_reset(c);
	c->have_addr = addr != NULL;
	if (addr != NULL)
		c->addr = *addr;
	c->io.address(c->io.ctx, addr);
}

static void
qualify_begin(struct teredo_client *c, uint64_t now)
{
	/* An offline client retrying stays offline, its error shown, until
	 * a server answers (C). */
	c->retrying = c->state == TEREDO_CLIENT_OFFLINE ||
		      (c->retrying && c->state != TEREDO_CLIENT_QUALIFIED);
	if (!c->retrying)
		c->error = NULL;
	c->state = TEREDO_CLIENT_PROBE_PRIMARY;
	c->have_mapping = false;
	c->refreshing = false;
	c->nat = TEREDO_NAT_UNKNOWN;
	c->io.random(c->io.ctx, c->nonce, sizeof(c->nonce));
	c->rs_tries = 1;
	c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
	send_rs(c, c->cfg.server_ipv4);

	c->probe = PROBE_NONE;
	c->cone_answered = false;
	if (c->cfg.nat_probes) {
		c->probe = PROBE_CONE;
		c->io.random(c->io.ctx, c->probe_nonce, sizeof(c->probe_nonce));
		send_probe(c);
	}
}

static void
go_offline(struct teredo_client *c, uint64_t now, const char *error)
{
	set_address(c, NULL);
	c->state = TEREDO_CLIENT_OFFLINE;
	c->error = error;
	c->probe = PROBE_NONE;
	c->deadline_ms = now + TEREDO_REQUALIFY_DELAY_MS;
	teredo_node_log(c, "offline: %s; retrying in %u s", error,
			TEREDO_REQUALIFY_DELAY_MS / 1000);
}

/* RFC 4380 §5.2: uniform in 75-100 % of the refresh interval. */
static void
schedule_refresh(struct teredo_client *c, uint64_t now)
{
	uint32_t quarter = c->cfg.refresh_ms / 4;

	c->refresh_now_ms =
		c->cfg.refresh_ms - quarter + random_u32(c) % (quarter + 1);
	c->refreshing = false;
	c->deadline_ms = now + c->refresh_now_ms;
}

static void
secondary_begin(struct teredo_client *c, uint64_t now)
{
	c->state = TEREDO_CLIENT_PROBE_SECONDARY;
	if (c->probe == PROBE_CONE)
		c->probe = PROBE_NONE; /* its answer can no longer be told */
	c->io.random(c->io.ctx, c->nonce, sizeof(c->nonce));
	c->rs_tries = 1;
	c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
	send_rs(c, c->cfg.server2_ipv4);
}

static void
qualified(struct teredo_client *c, uint64_t now)
{
	struct teredo_addr t = {
		.prefix = TEREDO_PREFIX,
		.server_ipv4 = c->cfg.server_ipv4,
		.mapped_port = c->mapping.port,
		.mapped_ipv4 = c->mapping.ipv4,
	};
	struct ip6_addr addr;
	char text[46];

	c->symmetric = !same_origin(&c->mapping, &c->mapping2);
	if (c->symmetric && !c->cfg.symmetric_nat_support) {
		go_offline(c, now,
			   "symmetric NAT, and Symmetric NAT Support is off");
		return;
	}
	teredo_upnp_qualified(&c->upnp, c->mapping.ipv4, c->mapping.port);
	/* RFC 6081 §5.4.3: the NAT kept our port. */
	c->port_preserving = c->mapping.port == c->cfg.local_port;
	if (c->mapping.ipv4 == c->local_ipv4 && c->port_preserving)
		c->nat = TEREDO_NAT_NONE;
	else if (c->symmetric)
		c->nat = c->mapping.ipv4 == c->mapping2.ipv4
				 ? TEREDO_NAT_SYMMETRIC_PORT
				 : TEREDO_NAT_SYMMETRIC_ADDRESS;
	else if (c->cone_answered)
		c->nat = TEREDO_NAT_CONE;
	else
		c->nat = TEREDO_NAT_RESTRICTED;

	/*
	 * RFC 5991 §3.1 random bits: drawn once per mapping and kept across
	 * refreshes, or the address would change every 30 s.
	 */
	if (!c->flags_drawn || !same_origin(&c->flags_mapping, &c->mapping)) {
		uint8_t r[2];

		c->io.random(c->io.ctx, r, sizeof(r));
		c->flags = teredo_flags_client(be16_load(r));
		c->flags_mapping = c->mapping;
		c->flags_drawn = true;
	}
	t.flags = c->flags;
	teredo_addr_write(&t, &addr);

	c->state = TEREDO_CLIENT_QUALIFIED;
	c->stats.qualifications++;
	c->last_server_rx_ms = now;
	schedule_refresh(c, now);
	set_address(c, &addr);
	format_addr(&addr, text);
	teredo_node_log(c, "qualified: %s, NAT %s", text,
			teredo_nat_type_name(c->nat));

	/* Port probe: only a restricted NAT leaves the question open. */
	if (c->cfg.nat_probes && c->nat == TEREDO_NAT_RESTRICTED) {
		c->probe = PROBE_PORT;
		c->io.random(c->io.ctx, c->probe_nonce, sizeof(c->probe_nonce));
		c->probe_tries = 1;
		c->probe_deadline_ms = now + PROBE_INTERVAL_MS;
		send_probe(c);
	}
}

static void
probe_answer(struct teredo_client *c, uint64_t now, uint32_t src_ipv4,
	     uint16_t src_port)
{
	if (c->probe == PROBE_CONE) {
		/* Only an endpoint-independent filter passes this answer. */
		if (src_ipv4 != c->cfg.server2_ipv4 || src_port != TEREDO_PORT)
			return;
		c->cone_answered = true;
		c->probe = PROBE_NONE;
		if (c->state == TEREDO_CLIENT_PROBE_PRIMARY && c->have_mapping)
			secondary_begin(c, now);
	} else if (c->probe == PROBE_PORT) {
		if (src_ipv4 != c->cfg.server_ipv4)
			return;
		/* From 3544: the server offers no port probe. */
		if (src_port == TEREDO_PORT)
			teredo_node_log(
				c, "server offers no port probe: NAT reported "
				   "as restricted");
		c->nat = TEREDO_NAT_RESTRICTED;
		c->probe = PROBE_NONE;
	}
}

static void
on_ra(struct teredo_client *c, uint64_t now, const struct teredo_packet *pkt,
      uint32_t src_ipv4, uint16_t src_port, uint32_t local_ipv4)
{
	struct ip6_addr rs_src;
	struct teredo_ra ra;

	if (teredo_ra_read(pkt, &ra) < 0 ||
	    ra.server_ipv4 != c->cfg.server_ipv4 || ra.confirmation != 0) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_RA);
		return;
	}
	if (c->probe != PROBE_NONE &&
	    memcmp(ra.nonce, c->probe_nonce, TEREDO_NONCE_LEN) == 0) {
		/* An answer to a probe never changes our mapping (X16). */
		probe_answer(c, now, src_ipv4, src_port);
		return;
	}
	if (memcmp(ra.nonce, c->nonce, TEREDO_NONCE_LEN) != 0 ||
	    c->state == TEREDO_CLIENT_OFFLINE ||
	    (c->state == TEREDO_CLIENT_QUALIFIED && !c->refreshing) ||
	    (c->state == TEREDO_CLIENT_PROBE_PRIMARY && c->have_mapping)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_STALE_RA);
		return;
	}
	/* §5.2.1: the RA goes to the link-local source of our RS. */
	teredo_client_link_local(false, &rs_src);
	if (!ip6_addr_equal(&ra.dst, &rs_src) || src_port != TEREDO_PORT ||
	    src_ipv4 != (c->state == TEREDO_CLIENT_PROBE_SECONDARY
				 ? c->cfg.server2_ipv4
				 : c->cfg.server_ipv4)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_RA);
		return;
	}
	c->stats.ra_accepted++;
	c->last_server_rx_ms = now;
	c->retrying = false; /* a server answers: no longer offline */
	c->error = NULL;

	switch (c->state) {
	case TEREDO_CLIENT_PROBE_PRIMARY:
		/* RFC 4380 §4: a global address embeds a global IPv4. */
		if (!teredo_ipv4_is_global(ra.origin.ipv4, NULL, 0)) {
			go_offline(c, now,
				   "the server sees us from a non-global IPv4 "
				   "address");
			return;
		}
		c->mapping = ra.origin;
		c->local_ipv4 = local_ipv4;
		c->have_mapping = true;
		if (c->probe == PROBE_CONE) {
			/* Give the cone answer, sent with this RA, time. */
			c->deadline_ms = now + PROBE_INTERVAL_MS;
			return;
		}
		secondary_begin(c, now);
		break;
	case TEREDO_CLIENT_PROBE_SECONDARY:
		c->mapping2 = ra.origin;
		qualified(c, now);
		break;
	case TEREDO_CLIENT_QUALIFIED:
		/* §5.2.5: a changed mapping retires the address. */
		if (!same_origin(&ra.origin, &c->mapping)) {
			teredo_node_log(
				c, "NAT mapping changed: qualifying again");
			c->stats.requalifications++;
			set_address(c, NULL);
			qualify_begin(c, now);
			return;
		}
		schedule_refresh(c, now);
		break;
	default:
		break;
	}
}

/* ---- peers ---------------------------------------------------------- */

static struct teredo_peer *
peer_find(struct teredo_client *c, const struct ip6_addr *addr)
{
	return teredo_peers_find(&c->peers, addr);
}

const struct teredo_peer *
teredo_client_peer(const struct teredo_client *c, const struct ip6_addr *addr)
{
	return teredo_peers_find(&c->peers, addr);
}

static void
peer_set_retry(struct teredo_client *c, struct teredo_peer *p, uint64_t when)
{
	teredo_peers_set_retry(&c->peers, p, when);
}

/*
 * Creates the entry for `addr` (which has none), making room by the
 * eviction policy of lib/teredo/peers.h (RFC 4380 §7.3.3: a bounded list).
 * `asked`: the stack (a relay: the native side) wants it; `src_ipv4`:
 * `src_port` the source it counts against (A1), 0 for none.  NULL when
 * refused, `*why` saying why; the caller decides whether that is a drop.
 */
static struct teredo_peer *
peer_try_new(struct teredo_client *c, uint64_t now, const struct ip6_addr *addr,
	     bool asked, uint32_t src_ipv4, uint16_t src_port,
	     enum teredo_peers_refusal *why)
{
	struct teredo_peer *p;
	struct teredo_addr t;

	p = teredo_peers_new(&c->peers, now, addr, asked, src_ipv4, src_port,
			     why);
	if (p == NULL)
		return NULL;
	/* RFC 4380 §5.2.6: a new entry may bubble at once. */
	p->last_rx_ms = p->last_tx_ms = now - TEREDO_PEER_VALID_MS;
	p->last_bubble_ms = p->last_tx_ms;
	p->bubble_window_ms = now;
	if (teredo_addr_read(addr, &t) == 0) {
		p->mapped_ipv4 = t.mapped_ipv4;
		p->mapped_port = t.mapped_port;
	}
	return p;
}

/* peer_try_new(), a refusal counted as a drop. */
struct teredo_peer *
teredo_node_peer_new(struct teredo_client *c, uint64_t now,
		     const struct ip6_addr *addr, bool asked, uint32_t src_ipv4,
		     uint16_t src_port, enum teredo_peers_refusal *why)
{
	struct teredo_peer *p =
		peer_try_new(c, now, addr, asked, src_ipv4, src_port, why);

	if (p == NULL)
		teredo_node_drop(c, *why == TEREDO_PEERS_SOURCE_FULL
					    ? TEREDO_CLIENT_DROP_SOURCE_LIMIT
					    : TEREDO_CLIENT_DROP_PEERS_FULL);
	return p;
}

/*
 * The entry for `addr`, created if there is none (NULL: refused, counted).
 * An entry inbound traffic creates counts against `src_ipv4`:`src_port`
 * (A1: no pinning of the table from one source).
 */
static struct teredo_peer *
peer_get_inbound(struct teredo_client *c, uint64_t now,
		 const struct ip6_addr *addr, uint32_t src_ipv4,
		 uint16_t src_port)
{
	enum teredo_peers_refusal why;
	struct teredo_peer *p = peer_find(c, addr);

	return p != NULL ? p
			 : teredo_node_peer_new(c, now, addr, false, src_ipv4,
						src_port, &why);
}

/*
 * A1: the entry for a packet that proves itself (its embedded mapping is
 * its source), or NULL when there is no room: the caller then accepts the
 * packet statelessly, so the refusal is no drop (each datagram is counted
 * once: used, or dropped by one reason).
 */
static struct teredo_peer *
peer_get_proven(struct teredo_client *c, uint64_t now,
		const struct ip6_addr *addr, uint32_t src_ipv4,
		uint16_t src_port)
{
	enum teredo_peers_refusal why;
	struct teredo_peer *p = peer_find(c, addr);

	if (p == NULL && (p = peer_try_new(c, now, addr, false, src_ipv4,
					   src_port, &why)) == NULL)
		c->stats.stateless_accepts++;
	return p;
}

static void
send_bubble_between(struct teredo_client *c, const struct ip6_addr *src,
		    const struct ip6_addr *dst, uint32_t dst_ipv4,
		    uint16_t dst_port, bool with_nonce, uint32_t nonce)
{
	struct teredo_trailers t = {.has_nonce = with_nonce, .nonce = nonce};
	uint8_t buf[128];
	size_t len;

	if (dst_port == TEREDO_PORT) /* indirect: X17, our reservation */
		teredo_upnp_add_alternate(&c->upnp, &t);
	if (teredo_bubble_write(buf, sizeof(buf), src, dst,
				TEREDO_BUBBLE_HOP_LIMIT, NULL, &t, &len) < 0)
		return;
	c->io.send_udp(c->io.ctx, dst_ipv4, dst_port, buf, len);
	c->stats.bubbles_sent++;
}

static void
send_bubble(struct teredo_client *c, const struct teredo_peer *p,
	    uint32_t dst_ipv4, uint16_t dst_port, bool with_nonce,
	    uint32_t nonce)
{
	struct ip6_addr relay_src;
	const struct ip6_addr *src = &c->addr;

	/*
	 * RFC 4380 §5.4.1: a relay has no Teredo address; its bubbles come
	 * from a link-local one, and the client's answer comes back to it.
	 */
	if (c->cfg.relay) {
		teredo_client_link_local(!c->cfg.relay_restricted, &relay_src);
		src = &relay_src;
	}
	send_bubble_between(c, src, &p->addr, dst_ipv4, dst_port, with_nonce,
			    nonce);
}

/* How many bubbles send_direct_bubbles() sends to p. */
static unsigned
direct_bubbles(const struct teredo_peer *p)
{
	struct teredo_addr t;
	unsigned n = 0;

	if (teredo_addr_read(&p->addr, &t) < 0)
		return 0;
	if (teredo_ipv4_is_global(t.mapped_ipv4, NULL, 0) && t.mapped_port != 0)
		n++;
	if ((p->mapped_ipv4 != t.mapped_ipv4 ||
	     p->mapped_port != t.mapped_port) &&
	    p->mapped_port != 0 &&
	    teredo_ipv4_is_global(p->mapped_ipv4, NULL, 0))
		n++;
	if (p->peer_rand_port != 0 && p->peer_rand_port != t.mapped_port &&
	    teredo_ipv4_is_global(t.mapped_ipv4, NULL, 0))
		n++;
	return n;
}

/* Direct bubbles to the embedded mapping and to a learned one, if other. */
static void
send_direct_bubbles(struct teredo_client *c, const struct teredo_peer *p,
		    bool with_nonce, uint32_t nonce)
{
	struct teredo_addr t;

	if (teredo_addr_read(&p->addr, &t) < 0)
		return;
	/* RFC 4380 §5.2.4: only to a global unicast embedded IPv4. */
	if (teredo_ipv4_is_global(t.mapped_ipv4, NULL, 0) && t.mapped_port != 0)
		send_bubble(c, p, t.mapped_ipv4, t.mapped_port, with_nonce,
			    nonce);
	/* A mapping learned from the peer's own packets (RFC 6081 SNS). */
	if ((p->mapped_ipv4 != t.mapped_ipv4 ||
	     p->mapped_port != t.mapped_port) &&
	    p->mapped_port != 0 &&
	    teredo_ipv4_is_global(p->mapped_ipv4, NULL, 0))
		send_bubble(c, p, p->mapped_ipv4, p->mapped_port, with_nonce,
			    nonce);
	/* RFC 6081 §5.4.4.3: to the port the peer advertised (PP, SS). */
	if (p->peer_rand_port != 0 && p->peer_rand_port != t.mapped_port &&
	    teredo_ipv4_is_global(t.mapped_ipv4, NULL, 0) && !c->cfg.relay)
		send_bubble(c, p, t.mapped_ipv4, p->peer_rand_port, with_nonce,
			    nonce);
}

/*
 * Tells our own stack that a packet it sent cannot be delivered (RFC 4443
 * §3.1, code 3 "address unreachable"; teredo-spec.md T25), so that ping
 * and connect() fail at once instead of timing out.  From the tunnel's
 * link-local address, as the router on the link would.  At most
 * TEREDO_UNREACH_PER_S a second (RFC 4443 §2.4 (f)); never in relay mode,
 * whose senders are on the native side with no route to that address.
 */
static void
send_unreachable(struct teredo_client *c, uint64_t now, const uint8_t *ip6,
		 size_t len)
{
	uint8_t buf[IP6_MIN_MTU];
	struct ip6_addr src;
	size_t out_len;

	if (c->cfg.relay)
		return;
	if (now - c->unreach_window_ms >= 1000) {
		c->unreach_window_ms = now;
		c->unreach_sent = 0;
	}
	if (c->unreach_sent >= TEREDO_UNREACH_PER_S)
		return;
	teredo_client_link_local(false, &src);
	if (teredo_unreachable_write(buf, sizeof(buf), &src, 3, ip6, len,
				     &out_len) < 0)
		return;
	c->unreach_sent++;
	c->stats.unreachable_sent++;
	c->io.deliver(c->io.ctx, buf, out_len);
}

static void
queue_drop_all(struct teredo_client *c, uint64_t now, struct teredo_peer *p,
	       enum teredo_client_drop why)
{
	struct rd rd;

	rd_init(&rd, p->queue, p->queue_len);
	while (rd_left(&rd) > 0) {
		uint8_t dir = rd_u8(&rd);
		const uint8_t *pkt;
		size_t n;

		rd_skip(&rd, QUEUE_HDR - 3);
		n = rd_u16(&rd);
		if ((pkt = rd_take(&rd, n)) == NULL)
			break;
		if (dir == QUEUED_OUT)
			send_unreachable(c, now, pkt, n);
		teredo_node_drop(c, why);
	}
	p->queue_len = 0;
}

/*
 * One round of bubbles toward an untrusted peer (RFC 4380 §5.2.4 case 5):
 * direct bubbles open our NAT, the indirect bubble through the peer's
 * server asks the peer to answer.  RFC 4380 §5.2.6 pacing: at least 2 s
 * apart, at most 4 in 300 s without an answer.
 */
static void
bubble_round(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	struct teredo_addr t;
	char text[46];
	bool direct;

	if (now - p->bubble_window_ms >= TEREDO_BUBBLE_WINDOW_MS) {
		p->bubbles = 0;
		p->attempts = 0;
		p->heard_indirect = false;
		p->gave_up = false;
		p->bubble_window_ms = now;
	}
	if (now - p->last_bubble_ms < TEREDO_BUBBLE_SPACING_MS) {
		peer_set_retry(c, p,
			       p->last_bubble_ms + TEREDO_BUBBLE_SPACING_MS);
		return;
	}
	/*
	 * A new attempt (see TEREDO_BUBBLE_ATTEMPTS) toward a peer that
	 * answered through its server (a silent one gets its 4 bubbles in
	 * 300 s, T11), at once, while traffic still asks for it: our
	 * stack's (its packets wait in the queue, no ICMPv6 error yet: an
	 * application told "unreachable" stops sending), or, toward a peer
	 * it did not ask for, the peer's indirect bubble asking again (its
	 * new attempt needs our nonce: without our indirect bubble it cannot
	 * get through from behind a symmetric NAT).
	 */
	if (p->bubbles >= TEREDO_BUBBLE_MAX && !c->cfg.relay &&
	    p->heard_indirect && p->attempts + 1 < TEREDO_BUBBLE_ATTEMPTS &&
	    (p->round_wanted || (p->asked && p->queue_len > 0))) {
		p->attempts++;
		p->bubbles = 0;
		p->gave_up = false;
		/* A fresh random port, a new echo test (rfc6081.c). */
		teredo_6081_new_attempt(c, p);
		format_addr(&p->addr, text);
		teredo_node_log(c,
				"%s unreachable: no direct answer after %u "
				"bubbles (our NAT: %s), but it answers through "
				"its server: trying again (attempt %u of %u)",
				text, TEREDO_BUBBLE_MAX,
				teredo_nat_type_name(c->nat), p->attempts + 1,
				TEREDO_BUBBLE_ATTEMPTS);
	}
	if (p->bubbles >= TEREDO_BUBBLE_MAX) {
		peer_set_retry(c, p, 0);
		p->nonce_sent = 0; /* A4: the last round is closed */
		if (c->cfg.relay) {
			/*
			 * RFC 4380 §5.4.1: a relay deletes the entry of a
			 * client that did not answer, so that the next packet
			 * for it starts afresh (a short outage of the client
			 * or its server must not lock it out for 300 s).
			 */
			queue_drop_all(c, now, p,
				       TEREDO_CLIENT_DROP_UNREACHABLE);
			teredo_peers_delete(&c->peers, p);
			return;
		}
		if (p->queue_len > 0 && !p->gave_up) {
			format_addr(&p->addr, text);
			teredo_node_log(
				c,
				"%s unreachable: no direct answer after %u "
				"bubbles (our NAT: %s%s)",
				text, TEREDO_BUBBLE_MAX,
				teredo_nat_type_name(c->nat),
				c->symmetric ? "; from behind a symmetric NAT "
					       "only cone and restricted peers "
					       "can be reached"
					     : "; the peer's NAT may be "
					       "symmetric");
			p->gave_up = true;
		}
		queue_drop_all(c, now, p, TEREDO_CLIENT_DROP_UNREACHABLE);
		return;
	}
	/* Only to a peer whose server we may send to (§5.2.4, as Miredo). */
	if (teredo_addr_read(&p->addr, &t) < 0 ||
	    !teredo_ipv4_is_global(t.server_ipv4, NULL, 0)) {
		peer_set_retry(c, p, 0);
		return;
	}
	/*
	 * A cone relay has nothing of its own to open with a direct bubble;
	 * a restricted one does (RFC 4380 §5.4.1); a client that just
	 * answered the peer's bubble has opened its NAT already.
	 */
	direct = (!c->cfg.relay || c->cfg.relay_restricted) &&
		 !(p->last_answer_ms != 0 &&
		   now - p->last_answer_ms < TEREDO_BUBBLE_SPACING_MS);
	/*
	 * A5: rounds that strangers asked for (a relay's, or toward a peer
	 * our stack never asked for) go on only while packets keep asking
	 * (a round without sends still counts toward giving up), and spend
	 * the global budget: one packet is never answered by a train of
	 * bubbles to an address its sender chose.
	 */
	if (c->cfg.relay || !p->asked) {
		if (p->bubbles > 0 && !p->round_wanted) {
			/* Silent: the next packet may start a round at once. */
			p->bubbles++;
			peer_set_retry(c, p, now + TEREDO_BUBBLE_SPACING_MS);
			return;
		}
		if (!teredo_node_bubble_budget(
			    c, now, 1 + (direct ? direct_bubbles(p) : 0))) {
			peer_set_retry(c, p, now + TEREDO_BUBBLE_SPACING_MS);
			return;
		}
	}
	p->round_wanted = false;
	if (direct)
		send_direct_bubbles(c, p, false, 0);
	/* RFC 6081 PP / SS: a random port, maybe the echo test first. */
	if (!teredo_6081_round(c, now, p)) {
		/* Paced, but not counted: the 4 are for indirect bubbles. */
		p->last_tx_ms = p->last_bubble_ms = now;
		peer_set_retry(c, p, now + TEREDO_BUBBLE_SPACING_MS);
		return;
	}
	if (direct)
		teredo_6081_direct(c, p, p->nonce_received != 0,
				   p->nonce_received);
	teredo_node_indirect(c, now, p);
}

/*
 * RFC 6081 §5.2.4.1: a fresh random nonce in each indirect bubble.  A
 * relay sends one too (an extension, teredo-spec.md §4.10): its echo in a
 * direct bubble lets a client behind a symmetric NAT in.  §5.4.4.2: our
 * random port's predicted external port in a Random Port trailer.
 */
void
teredo_node_indirect(struct teredo_client *c, uint64_t now,
		     struct teredo_peer *p)
{
	struct teredo_addr t;

	if (teredo_addr_read(&p->addr, &t) < 0)
		return;
	do
		p->nonce_sent = random_u32(c);
	while (p->nonce_sent == 0);
	if (c->cfg.relay) {
		send_bubble(c, p, t.server_ipv4, TEREDO_PORT, true,
			    p->nonce_sent);
	} else {
		/* X17: our local address until the peer is trusted. */
		struct teredo_trailers alt;

		/* X17: and our UPnP reservation (lib/teredo/upnp.h). */
		teredo_hairpin_trailer(c, p, &alt);
		teredo_upnp_add_alternate(&c->upnp, &alt);
		teredo_node_bubble_alt(c, 0, p, t.server_ipv4, TEREDO_PORT,
				       true, p->nonce_sent, p->rand_port_adv,
				       &alt);
	}
	p->bubbles++;
	p->last_tx_ms = p->last_bubble_ms = now;
	peer_set_retry(c, p, now + TEREDO_BUBBLE_SPACING_MS);
}

static void
send_to_peer(struct teredo_client *c, uint64_t now, struct teredo_peer *p,
	     const uint8_t *ip6, size_t len)
{
	struct teredo_addr t;
	uint32_t dst_ipv4 = p->mapped_ipv4;
	uint16_t dst_port = p->mapped_port;

	/* RFC 6081 §5.3.4.3 (X7): to a symmetric peer's reservation. */
	if (teredo_upnp_send_embedded(&c->upnp, c->symmetric, p->symmetric) &&
	    teredo_addr_read(&p->addr, &t) == 0) {
		dst_ipv4 = t.mapped_ipv4;
		dst_port = t.mapped_port;
	}
	teredo_node_send_from(c, teredo_6081_send_port(c, p), dst_ipv4,
			      dst_port, ip6, len);
	teredo_6081_data_sent(p, now);
	p->last_tx_ms = now;
	c->stats.packets_sent++;
}

void
teredo_node_deliver(struct teredo_client *c, const uint8_t *ip6, size_t len)
{
	c->io.deliver(c->io.ctx, ip6, len);
	c->stats.packets_delivered++;
}

/*
 * The peer is trusted now: outbound packets go to its mapping; inbound
 * ones (a native peer's, held during its echo test) reach the stack only
 * if they came from the mapping the test just proved.
 */
static void
queue_flush(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	struct rd rd;

	rd_init(&rd, p->queue, p->queue_len);
	while (rd_left(&rd) > 0) {
		uint8_t dir = rd_u8(&rd);
		uint32_t src_ipv4 = rd_u32(&rd);
		uint16_t src_port = rd_u16(&rd);
		size_t n = rd_u16(&rd);
		const uint8_t *pkt = rd_take(&rd, n);

		if (pkt == NULL)
			break;
		if (dir == QUEUED_OUT)
			send_to_peer(c, now, p, pkt, n);
		else if (src_ipv4 == p->mapped_ipv4 &&
			 src_port == p->mapped_port)
			teredo_node_deliver(c, pkt, n);
		else
			teredo_node_drop(c, TEREDO_CLIENT_DROP_MAPPING);
	}
	p->queue_len = 0;
	peer_set_retry(c, p, 0);
}

static void
queue_add(struct teredo_client *c, struct teredo_peer *p, enum queued_dir dir,
	  uint32_t src_ipv4, uint16_t src_port, const uint8_t *ip6, size_t len)
{
	uint8_t *q = p->queue + p->queue_len;

	if (len + QUEUE_HDR > sizeof(p->queue) - p->queue_len) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_QUEUE_FULL);
		return;
	}
	q[0] = (uint8_t)dir;
	q[1] = (uint8_t)(src_ipv4 >> 24);
	q[2] = (uint8_t)(src_ipv4 >> 16);
	q[3] = (uint8_t)(src_ipv4 >> 8);
	q[4] = (uint8_t)src_ipv4;
	q[5] = (uint8_t)(src_port >> 8);
	q[6] = (uint8_t)src_port;
	q[7] = (uint8_t)(len >> 8);
	q[8] = (uint8_t)len;
	memcpy(q + QUEUE_HDR, ip6, len);
	p->queue_len += len + QUEUE_HDR;
}

/*
 * RFC 4380 §5.2.9: the direct IPv6 connectivity test.  An ICMPv6 echo
 * request carrying a random nonce goes to the native peer through our
 * server; the answer comes back through the relay nearest the peer, and
 * that relay's IPv4:port becomes the peer's mapping.  The nonce keeps
 * off-path attackers from posing as the relay (§7.2.2).  Paced like
 * bubbles: 2 s apart, 4 tries (Miredo: once and 3 repeats).
 */
static void
echo_round(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	struct icmp6_echo echo = {
		.id = ECHO_ID,
		.data = p->echo_nonce,
		.data_len = sizeof(p->echo_nonce),
	};
	uint8_t buf[IP6_HEADER_LEN + ICMP6_ECHO_HEADER_LEN +
		    TEREDO_ECHO_NONCE_LEN];
	char text[46];
	size_t len;

	if (now - p->last_bubble_ms < TEREDO_BUBBLE_SPACING_MS) {
		peer_set_retry(c, p,
			       p->last_bubble_ms + TEREDO_BUBBLE_SPACING_MS);
		return;
	}
	if (p->bubbles >= TEREDO_ECHO_TRIES) {
		peer_set_retry(c, p, 0);
		p->echo_pending = false;
		p->bubbles = 0;
		if (p->queue_len > 0) {
			format_addr(&p->addr, text);
			teredo_node_log(
				c,
				"%s unreachable: no Teredo relay answered the "
				"connectivity test (%u echo requests through "
				"our server)",
				text, TEREDO_ECHO_TRIES);
		}
		queue_drop_all(c, now, p, TEREDO_CLIENT_DROP_NO_RELAY);
		return;
	}
	if (!p->echo_pending) {
		c->io.random(c->io.ctx, p->echo_nonce, sizeof(p->echo_nonce));
		p->echo_pending = true;
		p->echo_nonce_set = true;
	}
	echo.seq = (uint16_t)p->bubbles;
	if (teredo_echo_write(buf, sizeof(buf), &c->addr, &p->addr,
			      ECHO_HOP_LIMIT, ICMP6_ECHO_REQUEST, &echo,
			      &len) < 0)
		return;
	c->io.send_udp(c->io.ctx, c->cfg.server_ipv4, TEREDO_PORT, buf, len);
	c->stats.echo_sent++;
	p->bubbles++;
	p->last_tx_ms = p->last_bubble_ms = now;
	peer_set_retry(c, p, now + TEREDO_BUBBLE_SPACING_MS);
}

/* The next round of whatever brings this peer to trust. */
static void
peer_round(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	if (!c->cfg.relay && !teredo_addr_is_teredo(&p->addr))
		echo_round(c, now, p);
	else if (p->slr_count == 0 || !teredo_slr_round(c, now, p))
		bubble_round(c, now, p); /* or an SLR exchange goes on */
}

static bool
peer_valid(const struct teredo_peer *p, uint64_t now)
{
	return p->trusted && now - p->last_rx_ms < TEREDO_PEER_VALID_MS;
}

/* Only a global unicast IPv6 address is a native peer worth a test. */
bool
teredo_node_native_reachable(const struct ip6_addr *a)
{
	/* 2000::/3: global unicast (RFC 4291 §2.4); the rest is either
	 * local scope, multicast or no unicast address at all. */
	return (a->bytes[0] & 0xe0) == 0x20;
}

/* Sends to a peer now, queues for it, or starts what makes it trusted. */
void
teredo_node_transmit(struct teredo_client *c, uint64_t now,
		     struct teredo_peer *p, const uint8_t *ip6, size_t len)
{
	teredo_peers_touch(&c->peers, p, now);
	/* Case 1: a trusted, valid peer. */
	if (peer_valid(p, now)) {
		send_to_peer(c, now, p, ip6, len);
		return;
	}
	if (p->trusted) {
		/*
		 * Trusted but silent for 30 s: keep the traffic flowing to the
		 * known mapping while bubbles (or echoes) revalidate it,
		 * rather than stalling a one-way stream.
		 */
		send_to_peer(c, now, p, ip6, len);
		p->round_wanted = true;
		/* RFC 6081 SLR: direct Solicitations first (X19). */
		if (p->retry_ms == 0 && !teredo_slr_round(c, now, p))
			peer_round(c, now, p);
		return;
	}
	/*
	 * Case 2 (a native peer: the echo test) or case 5 (RFC 5991 §3.2:
	 * every Teredo peer is treated as non-cone); relays likewise
	 * (RFC 4380 §5.4.1, RFC 5991 §3.2: C is treated as 0).
	 */
	queue_add(c, p, QUEUED_OUT, 0, 0, ip6, len);
	p->round_wanted = true;
	if (p->retry_ms == 0)
		peer_round(c, now, p);
}

/*
 * §5.2.4 and §5.4.1: the embedded IPv4 must be global unicast; Miredo
 * also checks the server field.  Port 0 is no UDP endpoint.
 */
bool
teredo_node_dst_valid(const struct teredo_addr *dst)
{
	return teredo_ipv4_is_global(dst->mapped_ipv4, NULL, 0) &&
	       teredo_ipv4_is_global(dst->server_ipv4, NULL, 0) &&
	       dst->mapped_port != 0;
}

void
teredo_client_on_tun(struct teredo_client *c, uint64_t now, const uint8_t *ip6,
		     size_t len)
{
	struct ip6_header h;
	struct teredo_addr dst;
	struct teredo_peer *p;
	struct rd rd;

	/* RFC 4380 §5.2: no Teredo traffic before qualification. */
	if (c->state != TEREDO_CLIENT_RELAY &&
	    (c->state != TEREDO_CLIENT_QUALIFIED || !c->have_addr)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_NOT_QUALIFIED);
		return;
	}
	rd_init(&rd, ip6, len);
	if (ip6_header_read(&rd, &h) < 0 ||
	    (size_t)h.payload_len + IP6_HEADER_LEN > len) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_MALFORMED);
		return;
	}
	len = (size_t)h.payload_len + IP6_HEADER_LEN;
	if (ip6_addr_is_multicast(&h.dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	if (c->cfg.relay) {
		teredo_relay_on_tun(c, now, &h, ip6, len);
		return;
	}
	/* Relays and servers drop what a Teredo address did not send. */
	if (!ip6_addr_equal(&h.src, &c->addr)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_SOURCE);
		return;
	}
	if (ip6_addr_equal(&h.dst, &c->addr)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	if (teredo_addr_read(&h.dst, &dst) < 0) {
		/* Case 2: a native destination, reached through a relay. */
		if (!teredo_node_native_reachable(&h.dst)) {
			teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
			return;
		}
	} else if (!teredo_node_dst_valid(&dst)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	/* The stack asks: its entry outranks what strangers created. */
	if ((p = peer_find(c, &h.dst)) == NULL) {
		enum teredo_peers_refusal why;

		if ((p = teredo_node_peer_new(c, now, &h.dst, true, 0, 0,
					      &why)) == NULL)
			return;
	} else if (!p->asked) {
		teredo_peers_set_asked(&c->peers, p, now);
	}
	teredo_node_transmit(c, now, p, ip6, len);
}

/* C: a bubble round toward a trusted peer whose trust aged; counted once
 * per round. */
static void
reverify(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	p->round_wanted = true;
	if (p->retry_ms != 0 && p->retry_ms > now)
		return; /* a round is on; the next one comes by itself */
	c->stats.reverifications++;
	bubble_round(c, now, p);
}

/*
 * An indirect bubble from a relay (RFC 4380 §5.4.1; teredo-spec.md §4.13):
 * it comes from a relay's link-local or native address, so only the
 * origin indication our server added says where the relay is.  The direct
 * answer, addressed back to the bubble's source and echoing any nonce
 * (RFC 6081 §5.2.4.2), opens our NAT to the relay and makes the relay
 * trust us.  No peer entry: the relay has no address to key one on.
 */
static void
on_relay_bubble(struct teredo_client *c, uint64_t now,
		const struct teredo_packet *pkt)
{
	if (!pkt->has_origin || pkt->origin.port == 0 ||
	    !teredo_ipv4_is_global(pkt->origin.ipv4, NULL, 0) ||
	    ip6_addr_is_multicast(&pkt->ip6.src) ||
	    ip6_addr_is_unspecified(&pkt->ip6.src)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_SOURCE);
		return;
	}
	c->stats.bubbles_received++;
	if (!teredo_node_bubble_budget(c, now, 1))
		return;
	send_bubble_between(c, &c->addr, &pkt->ip6.src, pkt->origin.ipv4,
			    pkt->origin.port, pkt->trailers.has_nonce,
			    pkt->trailers.nonce);
}

/* An indirect bubble relayed by our server: answer it directly. */
static void
on_indirect_bubble(struct teredo_client *c, uint64_t now,
		   const struct teredo_packet *pkt)
{
	struct teredo_addr src;
	struct teredo_peer *p;
	bool to_origin;
	unsigned n;

	if (!teredo_addr_is_teredo(&pkt->ip6.src)) {
		on_relay_bubble(c, now, pkt);
		return;
	}
	if (teredo_addr_read(&pkt->ip6.src, &src) < 0 ||
	    !teredo_ipv4_is_global(src.mapped_ipv4, NULL, 0) ||
	    !teredo_ipv4_is_global(src.server_ipv4, NULL, 0) ||
	    src.mapped_port == 0) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_SOURCE);
		return;
	}
	c->stats.bubbles_received++;
	if ((p = peer_get_proven(c, now, &pkt->ip6.src, src.mapped_ipv4,
				 src.mapped_port)) == NULL) {
		/*
		 * No room (A1): still the one direct answer RFC 4380 §5.2.3
		 * asks for, statelessly, so that a peer whose NAT needs it
		 * gets through a table full of strangers' entries.
		 */
		if (teredo_node_bubble_budget(c, now, 1))
			send_bubble_between(c, &c->addr, &pkt->ip6.src,
					    src.mapped_ipv4, src.mapped_port,
					    pkt->trailers.has_nonce,
					    pkt->trailers.nonce);
		return;
	}
	/* RFC 6081 §5.2.4.3: remember the nonce, or zero without one. */
	p->nonce_received = pkt->trailers.has_nonce ? pkt->trailers.nonce : 0;
	/* X18: remember its reservation (teredo_upnp_from_reservation). */
	for (unsigned i = 0; i < pkt->trailers.alt_count; i++)
		if (teredo_upnp_alternate_usable(&pkt->trailers.alt[i],
						 src.mapped_ipv4,
						 src.mapped_port)) {
			p->upnp_port = pkt->trailers.alt[i].port;
			break;
		}
	p->round_wanted = true;	  /* the peer is still asking */
	p->heard_indirect = true; /* alive (TEREDO_BUBBLE_ATTEMPTS) */
	teredo_6081_on_indirect(c, now, p, pkt); /* X10: its Random Port */
	teredo_hairpin_on_indirect(c, p, pkt);	 /* X18: its local addresses */
	/*
	 * A5: one answer per peer per TEREDO_ANSWER_SPACING_MS (a real peer
	 * bubbles every 2 s), and what strangers make us send spends the
	 * global budget: a flood of spoofed "server" bubbles is no
	 * amplifier.
	 */
	if (p->last_answer_ms != 0 &&
	    now - p->last_answer_ms < TEREDO_ANSWER_SPACING_MS)
		return;
	to_origin = pkt->has_origin &&
		    (pkt->origin.ipv4 != src.mapped_ipv4 ||
		     pkt->origin.port != src.mapped_port) &&
		    pkt->origin.port != 0 &&
		    teredo_ipv4_is_global(pkt->origin.ipv4, NULL, 0);
	n = direct_bubbles(p) + to_origin;
	for (unsigned i = 0; i < pkt->trailers.alt_count; i++)
		n += teredo_upnp_alternate_usable(&pkt->trailers.alt[i],
						  src.mapped_ipv4,
						  src.mapped_port);
	if (!p->asked && !teredo_node_bubble_budget(c, now, n))
		return;
	p->last_answer_ms = now;
	/* RFC 6081 §5.2.4.2: a direct bubble answering it echoes the nonce. */
	if (!teredo_6081_answers_alone(p))
		send_direct_bubbles(c, p, pkt->trailers.has_nonce,
				    p->nonce_received);
	teredo_6081_direct(c, p, pkt->trailers.has_nonce, p->nonce_received);
	/* X18: to its alternate addresses too, echoing its nonce. */
	teredo_hairpin_direct(c, now, p, pkt->trailers.has_nonce,
			      p->nonce_received);
	if (to_origin)
		send_bubble(c, p, pkt->origin.ipv4, pkt->origin.port,
			    pkt->trailers.has_nonce, p->nonce_received);
	/* X18: to the peer's UPnP reservation (lib/teredo/upnp.h). */
	for (unsigned i = 0; i < pkt->trailers.alt_count; i++)
		if (teredo_upnp_alternate_usable(&pkt->trailers.alt[i],
						 src.mapped_ipv4,
						 src.mapped_port))
			send_bubble(c, p, pkt->trailers.alt[i].ipv4,
				    pkt->trailers.alt[i].port,
				    pkt->trailers.has_nonce, p->nonce_received);
	/*
	 * RFC 6081 §6.1 step 4: a symmetric peer can only get through our
	 * filter with an answer to a nonce of ours; ask for one (paced:
	 * bubble_round keeps the spacing).  So does a peer whose trust
	 * aged (C): its mapping may have changed.
	 */
	if (!p->trusted)
		bubble_round(c, now, p);
	else if (now - p->last_rx_ms >= TEREDO_PEER_VALID_MS)
		reverify(c, now, p);
}

/* The peer proved itself at ipv4:port: from now on we send there. */
void
teredo_node_trust(struct teredo_client *c, uint64_t now, struct teredo_peer *p,
		  uint32_t ipv4, uint16_t port)
{
	struct teredo_addr t;

	teredo_peers_set_trusted(&c->peers, p, true, now);
	/* RFC 6081 §5.3.4.1 (X6). */
	p->symmetric = teredo_addr_read(&p->addr, &t) == 0 &&
		       teredo_upnp_peer_symmetric(ipv4, port, t.mapped_ipv4,
						  t.mapped_port);
	p->mapped_ipv4 = ipv4;
	p->mapped_port = port;
	p->nonce_sent = 0; /* A4: single use; the round is over */
}

/*
 * RFC 6081 §5.2.4.4: does this bubble echo the nonce of our open bubble
 * round toward p?  A4: a nonce is good once, while its round is open: it
 * is replaced by the next round, cleared on trust and when the rounds give
 * up, and refused TEREDO_NONCE_OPEN_MS after its bubble went, so that a
 * replayed old answer cannot re-point a peer's mapping.
 */
bool
teredo_node_nonce_answers(const struct teredo_peer *p, uint64_t now,
			  const struct teredo_packet *pkt)
{
	return pkt->trailers.has_nonce && p->nonce_sent != 0 &&
	       pkt->trailers.nonce == p->nonce_sent &&
	       now - p->last_bubble_ms < TEREDO_NONCE_OPEN_MS;
}

/* A trusted peer was heard from: it is alive; what waited for it goes. */
void
teredo_node_heard(struct teredo_client *c, uint64_t now, struct teredo_peer *p)
{
	teredo_slr_heard(p);
	p->last_rx_ms = now;
	teredo_peers_touch(&c->peers, p, now);
	p->bubbles = 0;
	p->attempts = 0;
	queue_flush(c, now, p);
}

/*
 * Does this packet answer the echo test we run toward peer p?  An echo
 * reply carrying our nonce does; so does a Destination Unreachable that
 * quotes our echo request, as some hosts answer that way (teredo-spec.md
 * §4.7), but only when the error comes from the address we pinged: an
 * error from a firewall on the way must not vouch for the host behind it.
 */
static bool
echo_answers(const struct teredo_client *c, const struct teredo_peer *p,
	     const struct teredo_packet *pkt)
{
	struct ip6_header inner;
	struct icmp6_msg m;
	struct rd rd;
	const uint8_t *nonce;

	if (!p->echo_nonce_set || teredo_packet_icmp6(pkt, &m) < 0 ||
	    m.code != 0)
		return false;
	if (m.type == ICMP6_ECHO_REPLY)
		return m.u.echo.data_len >= TEREDO_ECHO_NONCE_LEN &&
		       memcmp(m.u.echo.data, p->echo_nonce,
			      TEREDO_ECHO_NONCE_LEN) == 0;
	if (m.type != ICMP6_DST_UNREACH)
		return false;
	/* RFC 4443 §3.1: 4 unused bytes, then as much of ours as fits. */
	rd_init(&rd, m.body, m.body_len);
	rd_skip(&rd, 4);
	if (ip6_header_read(&rd, &inner) < 0 ||
	    inner.next_header != IP6_NEXT_ICMPV6 ||
	    !ip6_addr_equal(&inner.src, &c->addr) ||
	    !ip6_addr_equal(&inner.dst, &p->addr) ||
	    rd_u8(&rd) != ICMP6_ECHO_REQUEST || rd_u8(&rd) != 0)
		return false;
	rd_skip(&rd, 6); /* checksum, identifier, sequence number */
	nonce = rd_take(&rd, TEREDO_ECHO_NONCE_LEN);
	return nonce != NULL &&
	       memcmp(nonce, p->echo_nonce, TEREDO_ECHO_NONCE_LEN) == 0;
}

/*
 * A packet from a native IPv6 host, through some relay (RFC 4380 §5.2.3).
 * Rule 2: the answer to our echo test makes the relay it came through the
 * peer's trusted mapping.  Rule 6: anything else waits, queued, while an
 * echo test finds out which relay really serves that host: delivering it
 * at once would let anyone who can send us UDP pose as any IPv6 host.
 * Tests started this way are rate-limited (CVE-2006-6266: they make us
 * send to addresses an attacker chose).
 */
static void
on_native_from_relay(struct teredo_client *c, uint64_t now,
		     const struct teredo_packet *pkt, struct teredo_peer *p,
		     uint32_t src_ipv4, uint16_t src_port)
{
	char text[46], ip[16];

	if (p != NULL && echo_answers(c, p, pkt)) {
		/* A late or duplicate answer to a finished test: ours too,
		 * never the stack's. */
		if (!p->echo_pending)
			return;
		p->echo_pending = false;
		teredo_node_trust(c, now, p, src_ipv4, src_port);
		c->stats.echo_answered++;
		format_addr(&p->addr, text);
		ipv4_format(src_ipv4, ip);
		teredo_node_log(c,
				"%s reachable through the Teredo relay %s:%u",
				text, ip, src_port);
		teredo_node_heard(c, now, p);
		return; /* our own test: not for the stack */
	}
	/* Rule 1: a trusted native peer through its known relay. */
	if (p != NULL && p->trusted && p->mapped_ipv4 == src_ipv4 &&
	    p->mapped_port == src_port) {
		teredo_node_heard(c, now, p);
		teredo_node_deliver(c, pkt->ip6_packet, pkt->ip6_len);
		return;
	}
	if (!teredo_node_native_reachable(&pkt->ip6.src)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_SOURCE);
		return;
	}
	if (p == NULL) {
		if (now - c->echo_window_ms >= 1000) {
			c->echo_window_ms = now;
			c->echo_tests_started = 0;
		}
		if (c->echo_tests_started >= TEREDO_ECHO_TESTS_PER_S) {
			teredo_node_drop(c, TEREDO_CLIENT_DROP_UNKNOWN_PEER);
			return;
		}
		if ((p = peer_get_inbound(c, now, &pkt->ip6.src, src_ipv4,
					  src_port)) == NULL)
			return;
		c->echo_tests_started++;
	}
	teredo_peers_touch(&c->peers, p, now);
	queue_add(c, p, QUEUED_IN, src_ipv4, src_port, pkt->ip6_packet,
		  pkt->ip6_len);
	if (p->retry_ms == 0)
		echo_round(c, now, p);
}

static void
on_from_peer(struct teredo_client *c, uint64_t now,
	     const struct teredo_packet *pkt, uint32_t src_ipv4,
	     uint16_t src_port)
{
	struct teredo_addr src;
	struct teredo_peer *p;
	bool bubble = teredo_packet_is_bubble(pkt), was_trusted;

	if (!c->have_addr) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_NOT_QUALIFIED);
		return;
	}
	/* Miredo's hardening: no link-local sources from peers (forged RAs),
	 * no multicast destinations. */
	if (ip6_addr_is_link_local(&pkt->ip6.src) ||
	    ip6_addr_is_multicast(&pkt->ip6.src)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_LINK_LOCAL);
		return;
	}
	if (!ip6_addr_equal(&pkt->ip6.dst, &c->addr)) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_BAD_DESTINATION);
		return;
	}
	p = peer_find(c, &pkt->ip6.src);
	if (!teredo_addr_is_teredo(&pkt->ip6.src)) {
		on_native_from_relay(c, now, pkt, p, src_ipv4, src_port);
		return;
	}
	was_trusted = p != NULL && p->trusted;
	if (p != NULL && p->trusted &&
	    ((p->mapped_ipv4 == src_ipv4 && p->mapped_port == src_port) ||
	     (teredo_addr_read(&pkt->ip6.src, &src) == 0 &&
	      teredo_upnp_from_reservation(src_ipv4, src_port, src.mapped_ipv4,
					   p->upnp_port)))) {
		/*
		 * §5.2.3 rule 1: a trusted peer from its known mapping, or
		 * from the UPnP reservation it announced (RFC 6081 §5.3:
		 * the other path of crossed X18 bubbles, lib/teredo/upnp.h).
		 */
	} else if (teredo_addr_read(&pkt->ip6.src, &src) == 0 &&
		   src.mapped_ipv4 == src_ipv4 && src.mapped_port == src_port &&
		   teredo_ipv4_is_global(src_ipv4, NULL, 0)) {
		/*
		 * Rule 3: the embedded mapping matches the outer source.  The
		 * packet proves itself: with no room for its entry (the
		 * source at its limit, the table full of live entries) it is
		 * still accepted, statelessly; the stack's answer then gets
		 * an entry that outranks the strangers' (A1).
		 */
		if (p == NULL &&
		    (p = peer_get_proven(c, now, &pkt->ip6.src, src_ipv4,
					 src_port)) == NULL) {
			if (bubble)
				c->stats.bubbles_received++;
			else
				teredo_node_deliver(c, pkt->ip6_packet,
						    pkt->ip6_len);
			return;
		}
		/*
		 * A bubble from a trusted peer's embedded mapping leaves the
		 * mapping a nonce proved (a local path, a random port) as it
		 * is: a peer bubbles every path it knows of ours, and in the
		 * order they arrive the hairpinned one would take us off the
		 * path it chose (a nested NAT: its data then comes from the
		 * local path and is dropped).  Its data re-points.
		 */
		if (!(bubble && was_trusted))
			teredo_node_trust(c, now, p, src_ipv4, src_port);
	} else if (p != NULL && c->cfg.symmetric_nat_support &&
		   teredo_hairpin_from_alt(p, src_ipv4, src_port)) {
		/*
		 * RFC 6081 §5.6: from an alternate address the peer listed
		 * in an indirect bubble our server relayed from its
		 * embedded mapping (PROJECT: as good as that mapping).  A
		 * trusted entry keeps its mapping: each side may use the
		 * path it found, the hairpinned one or the local one.
		 */
		if (!p->trusted)
			teredo_node_trust(c, now, p, src_ipv4, src_port);
	} else if (p != NULL && c->cfg.symmetric_nat_support &&
		   teredo_6081_accept(p, src_ipv4, src_port)) {
		/* RFC 6081 §5.4.4.5 case 1: from the port the peer
		 * advertised through its server. */
		teredo_node_trust(c, now, p, src_ipv4, src_port);
	} else if (bubble && c->cfg.symmetric_nat_support && p != NULL &&
		   teredo_node_nonce_answers(p, now, pkt)) {
		/*
		 * RFC 6081 §5.2.4.4: a mismatched mapping is accepted only
		 * with the nonce we sent; it becomes the peer's mapping.  A
		 * direct bubble there at once opens the peer's NAT to us
		 * (§6.1 step 6 without waiting for the peer's next indirect
		 * bubble).
		 */
		teredo_node_trust(c, now, p, src_ipv4, src_port);
		if (p->asked || teredo_node_bubble_budget(c, now, 1))
			send_bubble(c, p, src_ipv4, src_port, false, 0);
	} else if (p != NULL && p->trusted && c->cfg.symmetric_nat_support &&
		   (now - p->last_rx_ms >= TEREDO_PEER_VALID_MS ||
		    teredo_6081_two_ports(p))) {
		/*
		 * C: a peer silent for 30 s speaks from a new mapping (its
		 * NAT's expired while idle).  Never a permanent drop: hold
		 * the packet and re-verify, as RFC 6081 §5.2 and the "other
		 * mapping after > 30 s idle" case of §5.4.4.5 do: a bubble
		 * round whose nonce, echoed in the peer's direct bubble from
		 * the new mapping, makes that the peer's mapping; the held
		 * packets then reach the stack if they came from there.
		 */
		if (!bubble)
			queue_add(c, p, QUEUED_IN, src_ipv4, src_port,
				  pkt->ip6_packet, pkt->ip6_len);
		else
			c->stats.bubbles_received++;
		reverify(c, now, p);
		return;
	} else {
		teredo_node_drop(
			c, p == NULL && !teredo_addr_is_teredo(&pkt->ip6.src)
				   ? TEREDO_CLIENT_DROP_UNKNOWN_PEER
				   : TEREDO_CLIENT_DROP_MAPPING);
		return;
	}
	teredo_6081_trusted(c, now, p, c->cfg.local_port,
			    !bubble || !was_trusted);
	teredo_node_heard(c, now, p);
	if (bubble) {
		c->stats.bubbles_received++;
		teredo_slr_on_bubble(c, now, p, pkt, c->cfg.local_port);
		return;
	}
	p->last_data_rx_ms = now;
	teredo_node_deliver(c, pkt->ip6_packet, pkt->ip6_len);
}

static bool
from_server(const struct teredo_client *c, uint32_t ipv4, uint16_t port)
{
	return (ipv4 == c->cfg.server_ipv4 || ipv4 == c->cfg.server2_ipv4) &&
	       (port == TEREDO_PORT || port == TEREDO_PROBE_PORT);
}

void
teredo_client_on_udp(struct teredo_client *c, uint64_t now, const uint8_t *buf,
		     size_t len, uint32_t src_ipv4, uint16_t src_port,
		     uint32_t local_ipv4)
{
	teredo_client_on_udp_port(c, now, buf, len, src_ipv4, src_port,
				  local_ipv4, c->cfg.local_port);
}

void
teredo_client_on_udp_port(struct teredo_client *c, uint64_t now,
			  const uint8_t *buf, size_t len, uint32_t src_ipv4,
			  uint16_t src_port, uint32_t local_ipv4,
			  uint16_t local_port)
{
	struct teredo_packet pkt;

	if (teredo_packet_read(buf, len, &pkt) < 0) {
		teredo_node_drop(c, TEREDO_CLIENT_DROP_MALFORMED);
		return;
	}
	if (local_port != c->cfg.local_port && !c->cfg.relay) {
		/* One of our RFC 6081 random ports. */
		teredo_6081_on_udp(c, now, &pkt, src_ipv4, src_port,
				   local_port);
		return;
	}
	if (c->cfg.relay) {
		teredo_relay_on_udp(c, now, &pkt, src_ipv4, src_port);
		return;
	}
	if (!from_server(c, src_ipv4, src_port)) {
		on_from_peer(c, now, &pkt, src_ipv4, src_port);
		return;
	}
	if (pkt.ip6.next_header == IP6_NEXT_ICMPV6 &&
	    ip6_addr_is_link_local(&pkt.ip6.src)) {
		on_ra(c, now, &pkt, src_ipv4, src_port, local_ipv4);
		return;
	}
	/* §5.2.3: any other packet from the server still counts as contact. */
	if (c->state == TEREDO_CLIENT_QUALIFIED && src_port == TEREDO_PORT)
		c->last_server_rx_ms = now;
	if (teredo_packet_is_bubble(&pkt) && c->have_addr &&
	    ip6_addr_equal(&pkt.ip6.dst, &c->addr)) {
		on_indirect_bubble(c, now, &pkt);
		return;
	}
	teredo_node_drop(c, TEREDO_CLIENT_DROP_UNKNOWN_PEER);
}

/* ---- timers --------------------------------------------------------- */

static void
qualification_timer(struct teredo_client *c, uint64_t now)
{
	switch (c->state) {
	case TEREDO_CLIENT_PROBE_PRIMARY:
		if (c->have_mapping) {
			/* The cone answer did not come: not a cone NAT. */
			c->probe = PROBE_NONE;
			secondary_begin(c, now);
		} else if (c->rs_tries < TEREDO_RS_TRIES) {
			c->rs_tries++;
			c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
			send_rs(c, c->cfg.server_ipv4);
			if (c->probe == PROBE_CONE)
				send_probe(c);
		} else {
			go_offline(c, now,
				   "cannot reach the primary Teredo server "
				   "over UDP");
		}
		break;
	case TEREDO_CLIENT_PROBE_SECONDARY:
		if (c->rs_tries < TEREDO_RS_TRIES) {
			c->rs_tries++;
			c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
			send_rs(c, c->cfg.server2_ipv4);
		} else {
			go_offline(c, now,
				   "cannot reach the secondary Teredo server "
				   "address over UDP");
		}
		break;
	case TEREDO_CLIENT_QUALIFIED:
		if (c->refreshing) {
			if (c->rs_tries < TEREDO_RS_TRIES) {
				c->rs_tries++;
				c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
				send_rs(c, c->cfg.server_ipv4);
			} else {
				go_offline(c, now,
					   "the Teredo server stopped "
					   "answering");
			}
		} else if (now - c->last_server_rx_ms >= c->refresh_now_ms) {
			/* §5.2.5: nothing from the server for a while. */
			c->refreshing = true;
			c->io.random(c->io.ctx, c->nonce, sizeof(c->nonce));
			c->rs_tries = 1;
			c->deadline_ms = now + TEREDO_RS_INTERVAL_MS;
			send_rs(c, c->cfg.server_ipv4);
		} else {
			c->deadline_ms =
				c->last_server_rx_ms + c->refresh_now_ms;
		}
		break;
	case TEREDO_CLIENT_OFFLINE:
		c->stats.requalifications++;
		qualify_begin(c, now);
		break;
	case TEREDO_CLIENT_IDLE:
	case TEREDO_CLIENT_RELAY:
		c->deadline_ms = UINT64_MAX;
		break;
	}
}

static void
probe_timer(struct teredo_client *c, uint64_t now)
{
	if (c->probe != PROBE_PORT)
		return;
	if (c->probe_tries < TEREDO_RS_TRIES) {
		c->probe_tries++;
		c->probe_deadline_ms = now + PROBE_INTERVAL_MS;
		send_probe(c);
		return;
	}
	/* Our server answered from another port of the same address, and
	 * the NAT dropped it: it filters by port. */
	c->nat = TEREDO_NAT_RESTRICTED_PORT;
	c->probe = PROBE_NONE;
}

void
teredo_client_on_timer(struct teredo_client *c, uint64_t now)
{
	if (now >= c->deadline_ms)
		qualification_timer(c, now);
	if (c->probe == PROBE_PORT && now >= c->probe_deadline_ms)
		probe_timer(c, now);
	if (c->cfg.relay)
		teredo_relay_on_timer(c, now);
	else
		teredo_6081_timer(c, now);
	/* The peers due, earliest first; each round moves its retry on. */
	for (struct teredo_peer *p; (p = teredo_peers_due(&c->peers, now));) {
		if (p->trusted && p->queue_len == 0 &&
		    now - p->last_rx_ms < TEREDO_PEER_VALID_MS)
			peer_set_retry(c, p, 0);
		else
			peer_round(c, now, p);
		if (p->in_use && p->retry_ms != 0 && p->retry_ms <= now)
			peer_set_retry(c, p, 0); /* never twice at one time */
	}
}

uint64_t
teredo_client_deadline(const struct teredo_client *c)
{
	uint64_t d = c->deadline_ms;

	if (c->probe == PROBE_PORT && c->probe_deadline_ms < d)
		d = c->probe_deadline_ms;
	if (c->cfg.relay && teredo_relay_deadline(c) < d)
		d = teredo_relay_deadline(c);
	if (teredo_peers_next(&c->peers) < d)
		d = teredo_peers_next(&c->peers);
	if (!c->cfg.relay && teredo_6081_deadline(c) < d)
		d = teredo_6081_deadline(c);
	return d;
}

int
teredo_client_init(struct teredo_client *c,
		   const struct teredo_client_config *cfg,
		   const struct teredo_client_io *io, struct teredo_peer *peers,
		   size_t peer_cap)
{
	memset(c, 0, sizeof(*c));
	if (io->send_udp == NULL || io->deliver == NULL ||
	    io->address == NULL || io->random == NULL || peers == NULL ||
	    peer_cap == 0)
		return -EINVAL;
	c->cfg = *cfg;
	c->io = *io;
	c->state = TEREDO_CLIENT_IDLE;
	c->deadline_ms = UINT64_MAX;
	if (c->cfg.relay) {
		c->io.random(c->io.ctx, &c->source_key, sizeof(c->source_key));
		teredo_peers_init(&c->peers, peers, peer_cap,
				  (uint64_t[2]){c->source_key, ~c->source_key});
		return 0; /* no server: RFC 4380 §5.4 */
	}
	{
		/* Keys the peer table's hash; drawn only when the table
		 * matters, after the relay's source key above. */
		uint64_t key[2];

		c->io.random(c->io.ctx, key, sizeof(key));
		teredo_peers_init(&c->peers, peers, peer_cap, key);
	}
	if (c->cfg.server2_ipv4 == 0)
		c->cfg.server2_ipv4 = c->cfg.server_ipv4 + 1;
	if (c->cfg.refresh_ms == 0)
		c->cfg.refresh_ms = TEREDO_REFRESH_DEFAULT_MS;
	if (!teredo_ipv4_is_global(c->cfg.server_ipv4, NULL, 0) ||
	    !teredo_ipv4_is_global(c->cfg.server2_ipv4, NULL, 0) ||
	    c->cfg.server_ipv4 == c->cfg.server2_ipv4)
		return -EINVAL;
	return 0;
}

void
teredo_client_start(struct teredo_client *c, uint64_t now)
{
	if (c->cfg.relay) {
		c->state = TEREDO_CLIENT_RELAY;
		c->deadline_ms = UINT64_MAX;
		c->advertised_since_ms = now;
		teredo_node_log(c, "relay: serving Teredo clients");
		return;
	}
	qualify_begin(c, now);
}

void
teredo_client_restore_flags(struct teredo_client *c, uint32_t mapped_ipv4,
			    uint16_t mapped_port, uint16_t flags)
{
	if (c->cfg.relay || !teredo_flags_valid(flags))
		return;
	c->flags = flags;
	c->flags_mapping.ipv4 = mapped_ipv4;
	c->flags_mapping.port = mapped_port;
	c->flags_drawn = true;
}
