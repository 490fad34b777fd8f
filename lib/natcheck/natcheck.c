/* natcheck probe engine: RFC 5780 discovery over STUN (see natcheck.h). */
#include "natcheck/natcheck.h"

#include <string.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/packet.h"

/* How long a probe that may legitimately go unanswered is given. */
#define FILTER_WAIT_MS 1500u
#define HAIRPIN_WAIT_MS 1000u

static const unsigned probe_sock[NC_PROBES] = {
	[NC_BIND1] = 0,	  [NC_BIND_IP2] = 0,  [NC_BIND_P2] = 0,
	[NC_BIND_S2] = 0, [NC_FILT_BOTH] = 1, [NC_FILT_PORT] = 2,
	[NC_HAIRPIN] = 0,
};

static void
probe_txid(const struct natcheck *nc, unsigned id, uint8_t txid[static 12])
{
	memcpy(txid, nc->cfg.txid_base, STUN_TXID_LEN);
	txid[STUN_TXID_LEN - 1] ^= (uint8_t)(0x40u | id);
}

/* A Teredo probe's RS nonce: the base's first 8 bytes, tagged. */
static void
probe_nonce(const struct natcheck *nc, unsigned id,
	    uint8_t nonce[static TEREDO_NONCE_LEN])
{
	memcpy(nonce, nc->cfg.txid_base, TEREDO_NONCE_LEN);
	nonce[TEREDO_NONCE_LEN - 1] ^= (uint8_t)(0x40u | id);
}

static bool
is_teredo_probe(const struct natcheck *nc, unsigned id)
{
	return nc->cfg.teredo && id != NC_HAIRPIN;
}

static bool
ep_eq(struct natcheck_endpoint a, struct natcheck_endpoint b)
{
	return a.ipv4 == b.ipv4 && a.port == b.port;
}

static void
activate(struct natcheck *nc, unsigned id, struct natcheck_endpoint dst,
	 uint64_t now_ms)
{
	struct natcheck_probe *p = &nc->p[id];

	if (p->active)
		return;
	memset(p, 0, sizeof(*p));
	p->active = true;
	p->dst = dst;
	p->next_ms = now_ms;
}

void
natcheck_start(struct natcheck *nc, const struct natcheck_cfg *cfg,
	       uint64_t now_ms)
{
	memset(nc, 0, sizeof(*nc));
	nc->cfg = *cfg;
	nc->start_ms = now_ms;
	nc->end_ms = now_ms + cfg->budget_ms;
	activate(nc, NC_BIND1, cfg->stun[0], now_ms);
	if (cfg->stun[1].ipv4 != 0)
		activate(nc, NC_BIND_S2, cfg->stun[1], now_ms);
	/*
	 * The filtering probes go out at once: a server without RFC 5780
	 * answers them with an error or from its only address, which the
	 * judgement tells apart (it knows OTHER-ADDRESS by then).
	 */
	activate(nc, NC_FILT_BOTH, cfg->stun[0], now_ms);
	activate(nc, NC_FILT_PORT, cfg->stun[0], now_ms);
}

/* When an unanswered probe stops counting as pending. */
static uint64_t
probe_until(const struct natcheck *nc, unsigned id)
{
	const struct natcheck_probe *b1 = &nc->p[NC_BIND1];
	uint64_t until = nc->end_ms;

	switch (id) {
	case NC_FILT_BOTH:
	case NC_FILT_PORT:
		/* Silence means "filtered" once the server proved alive. */
		if (b1->answered)
			until = nc->start_ms + FILTER_WAIT_MS;
		break;
	case NC_HAIRPIN:
		if (nc->p[id].sends > 0)
			until = nc->p[id].first_ms + HAIRPIN_WAIT_MS;
		break;
	default:
		break;
	}
	return until < nc->end_ms ? until : nc->end_ms;
}

static bool
probe_pending(const struct natcheck *nc, unsigned id, uint64_t now_ms)
{
	const struct natcheck_probe *p = &nc->p[id];

	return p->active && !p->answered && now_ms < probe_until(nc, id);
}

static void bind1_answered(struct natcheck *nc, unsigned id, uint64_t now_ms);
static void teredo_input(struct natcheck *nc, unsigned sock,
			 struct natcheck_endpoint src, const uint8_t *buf,
			 size_t len, uint64_t now_ms);

void
natcheck_on_udp(struct natcheck *nc, unsigned sock,
		struct natcheck_endpoint src, const uint8_t *buf, size_t len,
		uint64_t now_ms)
{
	struct stun_msg m;
	uint8_t txid[STUN_TXID_LEN];
	unsigned id;

	if (nc->cfg.teredo && !stun_is_stun(buf, len)) {
		teredo_input(nc, sock, src, buf, len, now_ms);
		return;
	}
	if (stun_read(buf, len, &m) != 0) {
		nc->bad_answers++;
		return;
	}
	for (id = 0; id < NC_PROBES; id++) {
		probe_txid(nc, id, txid);
		if (memcmp(txid, m.txid, STUN_TXID_LEN) == 0)
			break;
	}
	if (id == NC_PROBES || probe_sock[id] != sock || !nc->p[id].active ||
	    is_teredo_probe(nc, id)) {
		nc->bad_answers++;
		return;
	}
	struct natcheck_probe *p = &nc->p[id];

	if (id == NC_HAIRPIN) {
		/* RFC 5780 §4.5: our own request came back to us. */
		if (m.type == STUN_BINDING_REQUEST)
			p->answered = true;
		else
			nc->bad_answers++;
		return;
	}
	if (m.type == STUN_BINDING_ERROR && m.has_error) {
		p->answered = true;
		p->error_code = m.error_code;
		p->from = src;
		return;
	}
	const struct stun_addr *a = m.has_xor_mapped ? &m.xor_mapped
				    : m.has_mapped   ? &m.mapped
						     : NULL;

	if (m.type != STUN_BINDING_SUCCESS || a == NULL ||
	    a->family != STUN_FAMILY_IPV4) {
		nc->bad_answers++;
		return;
	}
	if (p->answered)
		return; /* a retransmission's answer */
	p->answered = true;
	p->from = src;
	p->mapped.ipv4 = stun_addr_ipv4(a);
	p->mapped.port = a->port;
	if (m.has_other && m.other.family == STUN_FAMILY_IPV4) {
		p->has_other = true;
		p->other.ipv4 = stun_addr_ipv4(&m.other);
		p->other.port = m.other.port;
	}
	bind1_answered(nc, id, now_ms);
}

/* After the first mapping: RFC 5780 tests II and III, and hairpinning. */
static void
bind1_answered(struct natcheck *nc, unsigned id, uint64_t now_ms)
{
	struct natcheck_probe *p = &nc->p[id];

	if (id == NC_BIND1) {
		struct natcheck_endpoint local = {nc->cfg.local_ipv4,
						  nc->cfg.local_port[0]};

		/*
		 * RFC 5780 §4.3: tests II and III, only with a server that
		 * has a second address and port that differ from the first.
		 */
		if (p->has_other && p->other.ipv4 != nc->cfg.stun[0].ipv4 &&
		    p->other.port != nc->cfg.stun[0].port) {
			struct natcheck_endpoint d2 = {p->other.ipv4,
						       nc->cfg.stun[0].port};
			struct natcheck_endpoint d3 = {nc->cfg.stun[0].ipv4,
						       p->other.port};

			activate(nc, NC_BIND_IP2, d2, now_ms);
			activate(nc, NC_BIND_P2, d3, now_ms);
		}
		if (!ep_eq(p->mapped, local))
			activate(nc, NC_HAIRPIN, p->mapped, now_ms);
	}
}

/* An RA from the Teredo server: its origin indication is our mapping. */
static void
teredo_input(struct natcheck *nc, unsigned sock, struct natcheck_endpoint src,
	     const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct teredo_packet pkt;
	struct teredo_ra ra;
	uint8_t nonce[TEREDO_NONCE_LEN];
	unsigned id;

	if (teredo_packet_read(buf, len, &pkt) != 0 ||
	    teredo_ra_read(&pkt, &ra) != 0) {
		nc->bad_answers++;
		return;
	}
	for (id = 0; id < NC_PROBES; id++) {
		if (!is_teredo_probe(nc, id))
			continue;
		probe_nonce(nc, id, nonce);
		if (memcmp(nonce, ra.nonce, TEREDO_NONCE_LEN) == 0)
			break;
	}
	if (id == NC_PROBES || probe_sock[id] != sock || !nc->p[id].active) {
		nc->bad_answers++;
		return;
	}
	struct natcheck_probe *p = &nc->p[id];

	if (p->answered)
		return;
	p->answered = true;
	p->from = src;
	p->mapped.ipv4 = ra.origin.ipv4;
	p->mapped.port = ra.origin.port;
	bind1_answered(nc, id, now_ms);
}

/* The datagram of probe id: a STUN Binding request or a Teredo RS. */
static int
probe_write(const struct natcheck *nc, unsigned id, uint8_t *buf, size_t cap,
	    size_t *len)
{
	struct stun_msg m;

	if (is_teredo_probe(nc, id)) {
		uint8_t nonce[TEREDO_NONCE_LEN];
		struct ip6_addr src;

		probe_nonce(nc, id, nonce);
		if (id == NC_FILT_PORT) {
			teredo_port_probe_link_local(&src);
			return teredo_rs_write_src(buf, cap, nonce, &src, len);
		}
		return teredo_rs_write(buf, cap, nonce, id == NC_FILT_BOTH,
				       len);
	}
	memset(&m, 0, sizeof(m));
	m.type = STUN_BINDING_REQUEST;
	probe_txid(nc, id, m.txid);
	m.has_fingerprint = true;
	if (id == NC_FILT_BOTH || id == NC_FILT_PORT) {
		m.has_change = true;
		m.change_flags = id == NC_FILT_BOTH
					 ? STUN_CHANGE_IP | STUN_CHANGE_PORT
					 : STUN_CHANGE_PORT;
	}
	return stun_write(&m, buf, cap, len);
}

size_t
natcheck_poll(struct natcheck *nc, uint64_t now_ms, struct natcheck_tx *out,
	      size_t cap)
{
	size_t n = 0;

	for (unsigned id = 0; id < NC_PROBES && n < cap; id++) {
		struct natcheck_probe *p = &nc->p[id];
		size_t len = 0;

		if (!probe_pending(nc, id, now_ms) || now_ms < p->next_ms)
			continue;
		if (id == NC_HAIRPIN && p->sends >= NATCHECK_HAIRPIN_SENDS)
			continue;
		if (probe_write(nc, id, out[n].buf, sizeof(out[n].buf), &len) !=
		    0)
			continue; /* cannot happen: 128 bytes fit every probe */
		out[n].len = len;
		out[n].sock = probe_sock[id];
		out[n].dst = p->dst;
		n++;
		if (p->sends++ == 0)
			p->first_ms = now_ms;
		p->next_ms = now_ms + NATCHECK_RETRANS_MS;
	}
	return n;
}

uint64_t
natcheck_deadline(const struct natcheck *nc, uint64_t now_ms)
{
	uint64_t d = nc->end_ms;

	for (unsigned id = 0; id < NC_PROBES; id++) {
		const struct natcheck_probe *p = &nc->p[id];
		uint64_t until;

		if (!probe_pending(nc, id, now_ms))
			continue;
		until = probe_until(nc, id);
		if (until < d)
			d = until;
		if (id == NC_HAIRPIN && p->sends >= NATCHECK_HAIRPIN_SENDS)
			continue;
		if (p->next_ms < d)
			d = p->next_ms;
	}
	return d;
}

bool
natcheck_is_done(const struct natcheck *nc, uint64_t now_ms)
{
	if (now_ms >= nc->end_ms)
		return true;
	for (unsigned id = 0; id < NC_PROBES; id++)
		if (probe_pending(nc, id, now_ms))
			return false;
	return true;
}

unsigned
natcheck_progress(const struct natcheck *nc, uint64_t now_ms)
{
	unsigned total = 0, settled = 0;

	for (unsigned id = 0; id < NC_PROBES; id++) {
		if (!nc->p[id].active)
			continue;
		total++;
		if (!probe_pending(nc, id, now_ms))
			settled++;
	}
	return total == 0 ? 100 : settled * 100 / total;
}

void
natcheck_findings(const struct natcheck *nc, struct natcheck_findings *f)
{
	const struct natcheck_probe *b1 = &nc->p[NC_BIND1],
				    *ip2 = &nc->p[NC_BIND_IP2],
				    *p2 = &nc->p[NC_BIND_P2],
				    *s2 = &nc->p[NC_BIND_S2],
				    *fb = &nc->p[NC_FILT_BOTH],
				    *fp = &nc->p[NC_FILT_PORT],
				    *hp = &nc->p[NC_HAIRPIN];
	bool ok1 = b1->answered && b1->error_code == 0;
	bool ok2 = s2->answered && s2->error_code == 0;

	memset(f, 0, sizeof(*f));
	f->local.ipv4 = nc->cfg.local_ipv4;
	f->local.port = nc->cfg.local_port[0];
	f->port_preserving = NATCHECK_NOT_KNOWN;
	f->hairpinning = NATCHECK_NOT_KNOWN;
	f->map_added = f->map_reachable = f->map_removed = NATCHECK_NOT_KNOWN;
	f->ipv6_reachable = NATCHECK_NOT_KNOWN;
	f->udp = ok1 || ok2;
	if (!f->udp)
		return;
	f->mapped = ok1 ? b1->mapped : s2->mapped;
	f->nat_present = !ep_eq(f->mapped, f->local);
	f->port_preserving =
		f->mapped.port == f->local.port ? NATCHECK_YES : NATCHECK_NO;
	if (ok1 && ip2->answered && p2->answered && ip2->error_code == 0 &&
	    p2->error_code == 0) {
		/* RFC 5780 §4.3 (and RFC 4787 §4.1 vocabulary). */
		if (ep_eq(b1->mapped, ip2->mapped) &&
		    ep_eq(b1->mapped, p2->mapped))
			f->mapping = NATCHECK_EI;
		else if (ep_eq(b1->mapped, p2->mapped))
			f->mapping = NATCHECK_AD;
		else
			f->mapping = NATCHECK_APD;
	} else if (ok1 && ok2) {
		/* Two plain servers: "varies by destination" or not. */
		f->mapping_varies = !ep_eq(b1->mapped, s2->mapped);
		/*
		 * The same mapping toward another address rules out both
		 * address- and address-and-port-dependent mapping.
		 */
		if (!f->mapping_varies &&
		    nc->cfg.stun[0].ipv4 != nc->cfg.stun[1].ipv4)
			f->mapping = NATCHECK_EI;
	}
	if (!f->nat_present && f->mapping == NATCHECK_UNKNOWN &&
	    !f->mapping_varies)
		f->mapping = NATCHECK_EI; /* no translation at all */
	f->rfc5780 = ok1 && b1->has_other && ip2->active;
	if (f->rfc5780) {
		/* RFC 5780 §4.4, judged by where the answers came from. */
		bool both = fb->answered && fb->error_code == 0 &&
			    fb->from.ipv4 == b1->other.ipv4 &&
			    fb->from.port == b1->other.port;
		bool port = fp->answered && fp->error_code == 0 &&
			    fp->from.ipv4 == nc->cfg.stun[0].ipv4 &&
			    fp->from.port == b1->other.port;
		bool errored = fb->error_code != 0 || fp->error_code != 0;

		if (both)
			f->filtering = NATCHECK_EI;
		else if (port)
			f->filtering = NATCHECK_AD;
		else if (!errored && !fb->answered && !fp->answered)
			f->filtering = NATCHECK_APD;
	}
	if (nc->cfg.teredo && ok1) {
		/* The cone RS and the port probe (RFC 4380, teredo-serverd). */
		bool both = fb->answered &&
			    fb->from.ipv4 == nc->cfg.stun[1].ipv4 &&
			    fb->from.port == nc->cfg.stun[1].port;
		bool port = fp->answered &&
			    fp->from.ipv4 == nc->cfg.stun[0].ipv4 &&
			    fp->from.port == TEREDO_PROBE_PORT;

		if (both)
			f->filtering = NATCHECK_EI;
		else if (port)
			f->filtering = NATCHECK_AD;
		else if (!fb->answered && !fp->answered)
			f->filtering = NATCHECK_APD;
	}
	if (f->nat_present && hp->active && hp->sends > 0)
		f->hairpinning = hp->answered ? NATCHECK_YES : NATCHECK_NO;
}
