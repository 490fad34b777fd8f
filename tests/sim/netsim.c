/* netsim: the virtual network, NAT models and event loop (see netsim.h). */
#include "netsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/upnp.h"

static const char *const nat_names[NAT_KIND_COUNT] = {
	[NAT_NONE] = "public",
	[NAT_FULLCONE] = "fullcone",
	[NAT_RESTRICTED] = "restricted",
	[NAT_PORTRESTRICTED] = "portrestricted",
	[NAT_SYMMETRIC] = "symmetric",
	[NAT_BLOCKED] = "blocked",
	[NAT_PPSYMMETRIC] = "ppsymmetric",
	[NAT_SEQUENTIAL] = "sequential",
	[NAT_ADDRSYMMETRIC] = "addrsymmetric",
};

const char *
sim_nat_name(enum nat_kind kind)
{
	return nat_names[kind];
}

/* xorshift64*: small, fast, and good enough to drive a simulation. */
uint32_t
sim_random(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 0x2545f4914f6cdd1dull) >> 32);
}

static bool
chance(struct sim *s, unsigned pct)
{
	return pct > 0 && sim_random(s) % 100 < pct;
}

/* ---- in-flight datagrams: a binary min-heap ordered by (at, seq) ---- */

static bool
earlier(const struct sim_dgram *a, const struct sim_dgram *b)
{
	return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

static void
heap_push(struct sim *s, struct sim_dgram *d)
{
	size_t i = s->ninflight++;

	while (i > 0 && earlier(d, s->inflight[(i - 1) / 2])) {
		s->inflight[i] = s->inflight[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->inflight[i] = d;
}

static struct sim_dgram *
heap_pop(struct sim *s)
{
	struct sim_dgram *top = s->inflight[0], *last;
	size_t i = 0;

	last = s->inflight[--s->ninflight];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < s->ninflight && earlier(s->inflight[l], last))
			m = l;
		if (l + 1 < s->ninflight &&
		    earlier(s->inflight[l + 1], m == i ? last : s->inflight[m]))
			m = l + 1;
		if (m == i)
			break;
		s->inflight[i] = s->inflight[m];
		i = m;
	}
	if (s->ninflight > 0)
		s->inflight[i] = last;
	return top;
}

/*
 * Puts a datagram on the internet, or (native) a bare IPv6 packet on the
 * native network, impaired as configured.
 */
/* Verbose (test_matrix replay): one line per datagram on the internet. */
static void
trace(const struct sim *s, uint32_t src_ipv4, uint16_t src_port,
      uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf, size_t len,
      bool lost)
{
	struct teredo_packet pkt;
	const char *what = "?";

	if (teredo_packet_read(buf, len, &pkt) == 0)
		what = pkt.has_auth		  ? "RS/RA"
		       : pkt.ip6.payload_len == 0 ? "bubble"
						  : "data";
	printf("# %8llu ms udp %08x:%u -> %08x:%u %s%s%s%s%s\n",
	       (unsigned long long)s->now_ms, src_ipv4, src_port, dst_ipv4,
	       dst_port, what,
	       !strcmp(what, "?") || !pkt.trailers.has_nonce ? "" : " nonce",
	       !strcmp(what, "?") || !pkt.trailers.alt_count ? "" : " alt",
	       !strcmp(what, "?") || !pkt.trailers.has_random_port ? ""
								   : " rport",
	       lost ? " LOST" : "");
}

/* The servers' addresses: no lossy router in front (router_loss_pct). */
static bool
is_server(uint32_t ipv4)
{
	return ipv4 == SIM_SERVER_IPV4 || ipv4 == SIM_SERVER_IPV4 + 1;
}

static void
enqueue(struct sim *s, bool native, uint32_t src_ipv4, uint16_t src_port,
	uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf, size_t len)
{
	unsigned copies = 1 + chance(s, s->dup_pct);

	if (len > sizeof(((struct sim_dgram *)0)->data))
		abort();
	for (unsigned i = 0; i < copies; i++) {
		struct sim_dgram *d;
		unsigned span = s->latency_max_ms - s->latency_min_ms + 1;

		bool lost = chance(s, s->loss_pct) ||
			    (!native && !is_server(dst_ipv4) &&
			     chance(s, s->router_loss_pct)) ||
			    s->ninflight == SIM_MAX_INFLIGHT;

		if (s->verbose && !native)
			trace(s, src_ipv4, src_port, dst_ipv4, dst_port, buf,
			      len, lost);
		if (lost) {
			if (native)
				s->native_lost++;
			else
				s->dropped++;
			continue;
		}
		if ((d = malloc(sizeof(*d))) == NULL)
			abort();
		d->at_ms = s->now_ms + s->latency_min_ms + sim_random(s) % span;
		if (chance(s, s->reorder_pct))
			d->at_ms += s->latency_max_ms; /* overtaken */
		d->seq = s->seq++;
		d->native = native;
		d->src_ipv4 = src_ipv4;
		d->src_port = src_port;
		d->dst_ipv4 = dst_ipv4;
		d->dst_port = dst_port;
		d->len = (uint16_t)len;
		memcpy(d->data, buf, len);
		heap_push(s, d);
	}
}

static void
internet_send(struct sim *s, uint32_t src_ipv4, uint16_t src_port,
	      uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf,
	      size_t len)
{
	enqueue(s, false, src_ipv4, src_port, dst_ipv4, dst_port, buf, len);
}

void
sim_inject(struct sim *s, uint32_t src_ipv4, uint16_t src_port,
	   uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf, size_t len)
{
	internet_send(s, src_ipv4, src_port, dst_ipv4, dst_port, buf, len);
}

/* An IPv6 packet onto the native network; routed when it arrives. */
static void
native_send(struct sim *s, const uint8_t *ip6, size_t len)
{
	enqueue(s, true, 0, 0, 0, 0, ip6, len);
}

/* ---- NAT models ------------------------------------------------------ */

static bool
mapping_matches(const struct sim_nat *n, const struct sim_mapping *m,
		uint16_t int_port, uint32_t dst_ipv4, uint16_t dst_port)
{
	if (m->int_port != int_port)
		return false;
	return n->kind != NAT_SYMMETRIC ||
	       (m->rem_ipv4 == dst_ipv4 && m->rem_port == dst_port);
}

static bool
ext_port_used(const struct sim_nat *n, uint16_t port)
{
	for (unsigned i = 0; i < n->nmappings; i++)
		if (n->mappings[i].ext_port == port)
			return true;
	return false;
}

/* Forgets the mappings idle for the NAT's timeout (if it has one). */
static void
nat_expire(struct sim_nat *n, uint64_t now)
{
	unsigned kept = 0;

	if (n->timeout_ms == 0)
		return;
	for (unsigned i = 0; i < n->nmappings; i++)
		if (now - n->mappings[i].last_ms < n->timeout_ms)
			n->mappings[kept++] = n->mappings[i];
	n->nmappings = kept;
}

/* Outbound through the NAT: returns the external port, 0 to drop. */
static uint16_t
nat_outbound(struct sim *s, struct sim_nat *n, uint16_t int_port,
	     uint32_t dst_ipv4, uint16_t dst_port)
{
	struct sim_mapping *m = NULL;

	for (unsigned i = 0; i < n->nmappings && m == NULL; i++)
		if (mapping_matches(n, &n->mappings[i], int_port, dst_ipv4,
				    dst_port))
			m = &n->mappings[i];
	if (m == NULL) {
		uint16_t ext = int_port;

		if (n->nmappings == SIM_MAX_MAPPINGS)
			return 0;
		/* Linux keeps the port when free; symmetric NATs randomize. */
		while (n->kind == NAT_SYMMETRIC || ext_port_used(n, ext)) {
			ext = (uint16_t)(1024 + sim_random(s) % 64000);
			if (!ext_port_used(n, ext))
				break;
		}
		m = &n->mappings[n->nmappings++];
		memset(m, 0, sizeof(*m));
		m->int_port = int_port;
		m->ext_port = ext;
		m->rem_ipv4 = dst_ipv4;
		m->rem_port = dst_port;
	}
	m->last_ms = s->now_ms;
	for (unsigned i = 0; i < m->ncontacts; i++)
		if (m->contacts[i].ipv4 == dst_ipv4 &&
		    m->contacts[i].port == dst_port)
			return m->ext_port;
	if (m->ncontacts < SIM_MAX_CONTACTS) {
		m->contacts[m->ncontacts].ipv4 = dst_ipv4;
		m->contacts[m->ncontacts].port = dst_port;
		m->ncontacts++;
	}
	return m->ext_port;
}

/* Inbound through the NAT: the internal port, or 0 when filtered. */
static uint16_t
nat_inbound(const struct sim_nat *n, uint16_t ext_port, uint32_t src_ipv4,
	    uint16_t src_port)
{
	for (unsigned i = 0; i < n->nmappings; i++) {
		const struct sim_mapping *m = &n->mappings[i];

		if (m->ext_port != ext_port)
			continue;
		if (n->kind == NAT_FULLCONE)
			return m->int_port;
		for (unsigned j = 0; j < m->ncontacts; j++)
			if (m->contacts[j].ipv4 == src_ipv4 &&
			    (n->kind == NAT_RESTRICTED ||
			     m->contacts[j].port == src_port))
				return m->int_port;
	}
	return 0;
}

void
sim_nat_remap(struct sim_host *h)
{
	struct sim_nat *n = &h->nat;

	for (unsigned i = 0; i < n->nmappings; i++)
		n->mappings[i].ext_port =
			(uint16_t)(1024 + sim_random(h->sim) % 64000);
	/* Keep the new ports but forget who was contacted: a reboot. */
	for (unsigned i = 0; i < n->nmappings; i++)
		n->mappings[i].ncontacts = 0;
}

/* ---- hosts and their Teredo clients ------------------------------- */

/* The payload of our pings, which the clients' echo tests never carry. */
static const uint8_t ping_data[8] = "shipworm";

static bool
is_ping(const struct icmp6_echo *e)
{
	return e->data_len == sizeof(ping_data) &&
	       memcmp(e->data, ping_data, sizeof(ping_data)) == 0;
}

static void lan_send(struct sim_host *h, uint16_t src_port, uint32_t dst_ipv4,
		     uint16_t dst_port, const uint8_t *buf, size_t len);
static void lan_model_init(struct sim_host *h);
static bool lan_deliver(struct sim *s, const struct sim_dgram *d);

static bool
host_has_port(const struct sim_host *h, uint16_t port)
{
	if (port == h->port)
		return true;
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (h->rports[i] == port && port != 0)
			return true;
	return false;
}

static void
host_send_from(struct sim_host *h, uint16_t src_port, uint32_t dst_ipv4,
	       uint16_t dst_port, const uint8_t *buf, size_t len)
{
	struct sim *s = h->sim;
	uint32_t src = h->ipv4;
	uint16_t port = src_port;

	if (!host_has_port(h, src_port))
		abort(); /* the client sent from a port it does not hold */
	/* (Not modelled for the "lan" topologies: there loss_pct alone.) */
	if (h->lan_of == NULL && h->lan_hosts == 0 &&
	    chance(s, s->router_loss_pct)) {
		if (s->verbose)
			trace(s, h->ipv4, src_port, dst_ipv4, dst_port, buf,
			      len, true);
		s->dropped++;
		return;
	}
	if (h->nat.lan_model || h->lan_of != NULL) {
		lan_send(h, src_port, dst_ipv4, dst_port, buf, len);
		return;
	}
	if ((dst_ipv4 >> 24) == 10) { /* another site's LAN: unroutable */
		s->dropped++;
		return;
	}
	switch (h->nat.kind) {
	case NAT_NONE:
		break;
	case NAT_BLOCKED:
		s->dropped++;
		return;
	default:
		nat_expire(&h->nat, s->now_ms);
		port = nat_outbound(s, &h->nat, src_port, dst_ipv4, dst_port);
		if (port == 0)
			return;
		src = h->nat.public_ipv4;
		break;
	}
	internet_send(s, src, port, dst_ipv4, dst_port, buf, len);
}

static void
host_send_udp(void *ctx, uint32_t dst_ipv4, uint16_t dst_port,
	      const uint8_t *buf, size_t len)
{
	struct sim_host *h = ctx;

	host_send_from(h, h->port, dst_ipv4, dst_port, buf, len);
}

static void
host_send_udp_from(void *ctx, uint16_t src_port, uint32_t dst_ipv4,
		   uint16_t dst_port, const uint8_t *buf, size_t len)
{
	host_send_from(ctx, src_port, dst_ipv4, dst_port, buf, len);
}

/* A fresh local port, as the kernel would pick one (50000 + n). */
static int
host_open_port(void *ctx, uint16_t *port)
{
	struct sim_host *h = ctx;

	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		if (h->rports[i] != 0)
			continue;
		do
			*port = (uint16_t)(50000 + h->next_rport++ % 10000);
		while (host_has_port(h, *port));
		h->rports[i] = *port;
		h->rports_opened++;
		return 0;
	}
	return -EMFILE;
}

static void
host_close_port(void *ctx, uint16_t port)
{
	struct sim_host *h = ctx;

	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (h->rports[i] == port)
			h->rports[i] = 0;
}

/* The host's IPv6 stack: counts echoes and answers requests. */
static void
host_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	struct sim_host *h = ctx;
	struct teredo_packet pkt;
	struct icmp6_msg msg;
	uint8_t reply[1500];
	size_t n;

	if (teredo_packet_read(ip6, len, &pkt) < 0 ||
	    teredo_packet_icmp6(&pkt, &msg) < 0)
		return;
	if (msg.type == ICMP6_ECHO_REPLY) {
		h->echo_replies++;
		h->ping_replies += is_ping(&msg.u.echo);
		return;
	}
	if (msg.type != ICMP6_ECHO_REQUEST)
		return;
	h->echo_requests++;
	if (h->answer_echo &&
	    teredo_echo_write(reply, sizeof(reply), &pkt.ip6.dst, &pkt.ip6.src,
			      64, ICMP6_ECHO_REPLY, &msg.u.echo, &n) == 0)
		teredo_client_on_tun(&h->client, h->sim->now_ms, reply, n);
}

static void
host_address(void *ctx, const struct ip6_addr *addr)
{
	struct sim_host *h = ctx;

	(void)addr;
	h->addr_changes++;
}

static void
host_log(void *ctx, const char *msg)
{
	struct sim_host *h = ctx;

	if (strstr(msg, " unreachable: ") != NULL) {
		h->unreachable_logs++;
		snprintf(h->last_unreachable, sizeof(h->last_unreachable), "%s",
			 msg);
	}
	if (h->sim->verbose)
		printf("# %8llu ms host%d: %s\n",
		       (unsigned long long)h->sim->now_ms, h->index, msg);
}

static void
host_random(void *ctx, void *buf, size_t n)
{
	struct sim_host *h = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)sim_random(h->sim);
}

static void relay_deliver(void *ctx, const uint8_t *ip6, size_t len);

static struct sim_host *
add_node(struct sim *s, enum nat_kind kind,
	 const struct teredo_client_config *extra, bool relay, size_t peer_cap)
{
	struct sim_host *h = &s->hosts[s->nhosts];
	struct teredo_client_io io = {
		.send_udp = host_send_udp,
		.send_udp_from = host_send_udp_from,
		.open_port = host_open_port,
		.close_port = host_close_port,
		.deliver = relay ? relay_deliver : host_deliver,
		.address = host_address,
		.log = host_log,
		.random = host_random,
		.ctx = h,
	};
	struct teredo_client_config cfg = {
		.server_ipv4 = SIM_SERVER_IPV4,
		.symmetric_nat_support = true,
		.nat_probes = true,
	};
	unsigned n = s->nhosts;

	if (n == SIM_MAX_HOSTS || peer_cap == 0 || peer_cap > SIM_PEERS)
		abort();
	if (extra != NULL)
		cfg = *extra;
	memset(h, 0, sizeof(*h));
	h->sim = s;
	h->index = (int)n;
	h->answer_echo = true;
	h->is_relay = relay;
	h->nat.kind = kind;
	h->nat.public_ipv4 = 0xc6336400u + n + 1;	      /* 198.51.100.n */
	h->ipv4 = kind == NAT_NONE ? 0xc0000200u + n + 1      /* 192.0.2.n */
				   : 0x0a000002u + (n << 16); /* 10.n.0.2 */
	h->port = relay ? TEREDO_PORT : (uint16_t)(40000 + n);
	cfg.local_port = h->port;
	if (relay)
		cfg.relay_ipv4 = h->ipv4;
	if (teredo_client_init(&h->client, &cfg, &io, h->peers, peer_cap) < 0)
		abort();
	s->nhosts++;
	return h;
}

struct sim_host *
sim_add_host(struct sim *s, enum nat_kind kind,
	     const struct teredo_client_config *extra)
{
	struct sim_host *h = add_node(s, kind, extra, false, SIM_PEERS);

	if (kind >= NAT_PPSYMMETRIC)
		lan_model_init(h);
	return h;
}

struct sim_host *
sim_add_relay(struct sim *s, size_t peer_cap, bool restricted)
{
	struct teredo_client_config cfg = {
		.relay = true,
		.relay_restricted = restricted,
		.symmetric_nat_support = true,
	};

	if (s->relay != NULL)
		abort();
	s->relay = add_node(s, NAT_NONE, &cfg, true, peer_cap);
	return s->relay;
}

struct sim_native *
sim_add_native(struct sim *s)
{
	static const struct ip6_addr addr = {
		{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

	memset(&s->native, 0, sizeof(s->native));
	s->native.addr = addr;
	s->native.answer_echo = true;
	s->have_native = true;
	/* Its §5.2.9 echo tests need a way out to native IPv6. */
	s->server.native_forwarding = true;
	return &s->native;
}

void
sim_relay_restart(struct sim *s)
{
	struct sim_host *r = s->relay;
	struct teredo_client_config cfg = r->client.cfg;
	struct teredo_client_io io = r->client.io;

	if (teredo_client_init(&r->client, &cfg, &io, r->peers,
			       r->client.peers.cap) < 0)
		abort();
	teredo_client_start(&r->client, s->now_ms);
}

size_t
sim_peers_in_use(const struct sim_host *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->client.peers.cap; i++)
		n += h->client.peers.e[i].in_use;
	return n;
}

/* ---- the "lan" NAT model (issue 14; see struct sim_nat) -------------- */

static bool
lan_matches(const struct sim_nat *n, const struct sim_mapping *m,
	    uint32_t int_ipv4, uint16_t int_port, uint32_t dst_ipv4,
	    uint16_t dst_port)
{
	if (m->int_ipv4 != int_ipv4 || m->int_port != int_port)
		return false;
	switch (n->kind) {
	case NAT_SYMMETRIC:
	case NAT_PPSYMMETRIC:
	case NAT_SEQUENTIAL:
		return m->rem_ipv4 == dst_ipv4 && m->rem_port == dst_port;
	case NAT_ADDRSYMMETRIC:
		return m->rem_ipv4 == dst_ipv4;
	default:
		return true;
	}
}

static bool
lan_port_used(const struct sim_nat *n, uint32_t ext_ipv4, uint16_t port)
{
	for (unsigned i = 0; i < n->nmappings; i++)
		if (n->mappings[i].ext_ipv4 == ext_ipv4 &&
		    n->mappings[i].ext_port == port)
			return true;
	return false;
}

static bool
lan_has_mapping(const struct sim_nat *n, uint32_t int_ipv4, uint16_t int_port)
{
	for (unsigned i = 0; i < n->nmappings; i++)
		if (n->mappings[i].int_ipv4 == int_ipv4 &&
		    n->mappings[i].int_port == int_port)
			return true;
	return false;
}

static uint16_t
lan_random_port(struct sim *s, const struct sim_nat *n, uint32_t ext_ipv4)
{
	for (unsigned i = 0; i < 100; i++) {
		uint16_t p = (uint16_t)(1024 + sim_random(s) % 64000);

		if (!lan_port_used(n, ext_ipv4, p))
			return p;
	}
	return 0;
}

/* A new mapping's external port, by kind; 0 when none is left. */
static uint16_t
lan_new_port(struct sim *s, struct sim_nat *n, uint32_t ext_ipv4,
	     uint32_t int_ipv4, uint16_t int_port)
{
	uint16_t port = int_port; /* Linux keeps a free port */

	switch (n->kind) {
	case NAT_SYMMETRIC:
		return lan_random_port(s, n, ext_ipv4);
	case NAT_PPSYMMETRIC:
		/* Only the internal endpoint's first mapping keeps it. */
		if (lan_has_mapping(n, int_ipv4, int_port))
			return lan_random_port(s, n, ext_ipv4);
		break;
	case NAT_SEQUENTIAL:
		for (unsigned i = 0; i < 1000; i++) {
			port = n->next_port;
			n->next_port = (uint16_t)(n->next_port + n->port_step);
			if (n->next_port < 1024)
				n->next_port = 20000;
			if (!lan_port_used(n, ext_ipv4, port))
				return port;
		}
		return 0;
	default:
		break;
	}
	return lan_port_used(n, ext_ipv4, port)
		       ? lan_random_port(s, n, ext_ipv4)
		       : port;
}

/* Outbound through a "lan" NAT: the external port (0: drop) and address. */
static uint16_t
lan_outbound(struct sim *s, struct sim_nat *n, uint32_t int_ipv4,
	     uint16_t int_port, uint32_t dst_ipv4, uint16_t dst_port,
	     uint32_t *ext_ipv4)
{
	struct sim_mapping *m = NULL;

	for (unsigned i = 0; i < n->nmappings && m == NULL; i++)
		if (lan_matches(n, &n->mappings[i], int_ipv4, int_port,
				dst_ipv4, dst_port))
			m = &n->mappings[i];
	if (m == NULL) {
		uint32_t ext = n->public_ipv4;
		uint16_t port;

		if (n->nmappings == SIM_MAX_MAPPINGS)
			return 0;
		/* Address-symmetric: the server's primary address sees one
		 * address, every other remote the other one. */
		if (n->kind == NAT_ADDRSYMMETRIC && dst_ipv4 != SIM_SERVER_IPV4)
			ext = n->public2;
		if ((port = lan_new_port(s, n, ext, int_ipv4, int_port)) == 0)
			return 0;
		m = &n->mappings[n->nmappings++];
		memset(m, 0, sizeof(*m));
		m->int_ipv4 = int_ipv4;
		m->int_port = int_port;
		m->ext_ipv4 = ext;
		m->ext_port = port;
		m->rem_ipv4 = dst_ipv4;
		m->rem_port = dst_port;
	}
	*ext_ipv4 = m->ext_ipv4;
	for (unsigned i = 0; i < m->ncontacts; i++)
		if (m->contacts[i].ipv4 == dst_ipv4 &&
		    m->contacts[i].port == dst_port)
			return m->ext_port;
	if (m->ncontacts < SIM_MAX_CONTACTS) {
		m->contacts[m->ncontacts].ipv4 = dst_ipv4;
		m->contacts[m->ncontacts].port = dst_port;
		m->ncontacts++;
	}
	return m->ext_port;
}

static bool
lan_is_public(const struct sim_nat *n, uint32_t ipv4)
{
	return ipv4 == n->public_ipv4 ||
	       (n->public2 != 0 && ipv4 == n->public2);
}

/* Inbound: the mapping that lets it in, or NULL.  A hairpinned packet
 * (from our own public address) is not filtered, as in the lab. */
static const struct sim_mapping *
lan_inbound(const struct sim_nat *n, uint32_t ext_ipv4, uint16_t ext_port,
	    uint32_t src_ipv4, uint16_t src_port)
{
	bool filter = !lan_is_public(n, src_ipv4);

	if (n->has_upnp && ext_ipv4 == n->public_ipv4 &&
	    ext_port == n->upnp.ext_port)
		return &n->upnp;
	for (unsigned i = 0; i < n->nmappings; i++) {
		const struct sim_mapping *m = &n->mappings[i];

		if (m->ext_ipv4 != ext_ipv4 || m->ext_port != ext_port)
			continue;
		if (!filter || n->kind == NAT_FULLCONE)
			return m;
		for (unsigned j = 0; j < m->ncontacts; j++)
			if (m->contacts[j].ipv4 == src_ipv4 &&
			    (n->kind == NAT_RESTRICTED ||
			     m->contacts[j].port == src_port))
				return m;
	}
	return NULL;
}

static void
lan_to_host(struct sim *s, struct sim_host *h, uint16_t port,
	    const struct sim_dgram *d, uint32_t src_ipv4, uint16_t src_port)
{
	if (!host_has_port(h, port)) {
		s->dropped++;
		return;
	}
	s->delivered++;
	teredo_client_on_udp_port(&h->client, s->now_ms, d->data, d->len,
				  src_ipv4, src_port, h->ipv4, port);
}

static void lan_nat_in(struct sim *s, struct sim_host *g, uint32_t dst_ipv4,
		       uint16_t dst_port, const struct sim_dgram *d);

/* A datagram on the LAN of g's NAT (g: its owner, or an inner NAT's
 * host) for dst: one of the LAN's hosts, or an inner NAT's WAN side. */
static void
lan_on_lan(struct sim *s, struct sim_host *g, uint32_t dst_ipv4,
	   uint16_t dst_port, const struct sim_dgram *d)
{
	if (g->ipv4 == dst_ipv4) {
		lan_to_host(s, g, dst_port, d, d->src_ipv4, d->src_port);
		return;
	}
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct sim_host *h = &s->hosts[i];

		if (h->lan_of != g)
			continue;
		if (h->nat.kind == NAT_NONE && h->ipv4 == dst_ipv4) {
			lan_to_host(s, h, dst_port, d, d->src_ipv4,
				    d->src_port);
			return;
		}
		if (h->nat.kind != NAT_NONE && h->nat.public_ipv4 == dst_ipv4) {
			lan_nat_in(s, h, dst_ipv4, dst_port, d);
			return;
		}
	}
	s->dropped++;
}

/* Into g's NAT from its WAN side. */
static void
lan_nat_in(struct sim *s, struct sim_host *g, uint32_t dst_ipv4,
	   uint16_t dst_port, const struct sim_dgram *d)
{
	const struct sim_mapping *m;

	if (g->nat.kind == NAT_BLOCKED ||
	    (m = lan_inbound(&g->nat, dst_ipv4, dst_port, d->src_ipv4,
			     d->src_port)) == NULL) {
		s->dropped++;
		return;
	}
	lan_on_lan(s, g, m->int_ipv4, m->int_port, d);
}

/* Is dst on the LAN of g's NAT (g excluded when `self`)? */
static bool
lan_member(const struct sim *s, const struct sim_host *g, uint32_t dst_ipv4)
{
	if (g->ipv4 == dst_ipv4)
		return true;
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];

		if (h->lan_of == g &&
		    (h->nat.kind == NAT_NONE ? h->ipv4 : h->nat.public_ipv4) ==
			    dst_ipv4)
			return true;
	}
	return false;
}

/*
 * A host of the "lan" model sends: through its own NAT (if any), then the
 * NAT whose LAN it is on.  A destination on the LAN it is crossing goes
 * there directly (the Hairpinning extension's local addresses); one at the
 * NAT's own public address hairpins (or is dropped).
 */
static void
lan_send(struct sim_host *h, uint16_t src_port, uint32_t dst_ipv4,
	 uint16_t dst_port, const uint8_t *buf, size_t len)
{
	struct sim *s = h->sim;
	struct sim_host *hops[2];
	unsigned nhops = 0;
	uint32_t ip = h->ipv4;
	uint16_t port = src_port;

	if (h->nat.kind == NAT_BLOCKED) {
		s->dropped++;
		return;
	}
	if (h->nat.kind != NAT_NONE)
		hops[nhops++] = h;
	if (h->lan_of != NULL)
		hops[nhops++] = h->lan_of;
	for (unsigned i = 0; i < nhops; i++) {
		struct sim_host *g = hops[i];
		uint32_t ext;

		if (lan_member(s, g, dst_ipv4)) {
			internet_send(s, ip, port, dst_ipv4, dst_port, buf,
				      len);
			return;
		}
		if (lan_is_public(&g->nat, dst_ipv4) && !g->nat.hairpin) {
			s->dropped++;
			return;
		}
		port = lan_outbound(s, &g->nat, ip, port, dst_ipv4, dst_port,
				    &ext);
		if (port == 0) {
			s->dropped++;
			return;
		}
		ip = ext;
		if (lan_is_public(&g->nat, dst_ipv4))
			break; /* hairpinned: comes back in from ext:port */
	}
	/* The internet routes no private address (another site's LAN). */
	if ((dst_ipv4 >> 24) == 10 &&
	    !lan_is_public(&hops[nhops - 1]->nat, dst_ipv4)) {
		s->dropped++;
		return;
	}
	internet_send(s, ip, port, dst_ipv4, dst_port, buf, len);
}

/*
 * Delivery to the "lan" model: a NAT's public address, or (sent there by
 * lan_send) an address on some NAT's LAN.  False: not ours.
 */
static bool
lan_deliver(struct sim *s, const struct sim_dgram *d)
{
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct sim_host *g = &s->hosts[i];

		if (!g->nat.lan_model || g->lan_of != NULL ||
		    g->nat.kind == NAT_NONE)
			continue;
		if (lan_is_public(&g->nat, d->dst_ipv4)) {
			lan_nat_in(s, g, d->dst_ipv4, d->dst_port, d);
			return true;
		}
	}
	/* An address on some NAT's LAN: private, or (sim_nat_upnp) an inner
	 * NAT's routable WAN address there. */
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct sim_host *g = &s->hosts[i];

		if (g->nat.lan_model && g->nat.kind != NAT_NONE &&
		    lan_member(s, g, d->dst_ipv4)) {
			lan_on_lan(s, g, d->dst_ipv4, d->dst_port, d);
			return true;
		}
	}
	return false;
}

static void
lan_model_init(struct sim_host *h)
{
	h->nat.lan_model = true;
	h->nat.public2 = h->nat.kind == NAT_ADDRSYMMETRIC
				 ? 0xc6336464u + (uint32_t)h->index + 1
				 : 0; /* 198.51.100.(101 + n) */
	h->nat.port_step = 1;
	h->nat.next_port = (uint16_t)(20000 + sim_random(h->sim) % 1000);
}

struct sim_host *
sim_add_lan_host(struct sim *s, struct sim_host *owner, enum nat_kind inner,
		 const struct teredo_client_config *extra)
{
	struct sim_host *h;
	uint32_t addr;

	if (owner->lan_of != NULL || owner->nat.kind == NAT_NONE ||
	    owner->nat.kind == NAT_BLOCKED || owner->lan_hosts >= 200)
		abort();
	h = add_node(s, inner, extra, false, SIM_PEERS);
	owner->nat.lan_model = true;
	owner->lan_hosts++;
	addr = 0x0a000002u + ((uint32_t)owner->index << 16) + owner->lan_hosts;
	h->lan_of = owner;
	if (inner == NAT_NONE) {
		h->ipv4 = addr;
	} else {
		lan_model_init(h);
		h->nat.public_ipv4 = addr;
	}
	return h;
}

void
sim_nat_upnp(struct sim_host *h, uint32_t wan_ipv4)
{
	if (h->lan_of == NULL || h->nat.kind == NAT_NONE)
		abort();
	h->nat.public_ipv4 = wan_ipv4;
	h->nat.has_upnp = true;
	memset(&h->nat.upnp, 0, sizeof(h->nat.upnp));
	h->nat.upnp.int_ipv4 = h->ipv4;
	h->nat.upnp.int_port = h->port;
	h->nat.upnp.ext_ipv4 = wan_ipv4;
	h->nat.upnp.ext_port = h->port;
	if (teredo_upnp_mapped(&h->client.upnp, wan_ipv4, h->ipv4, h->port) < 0)
		abort();
}

void
sim_nat_hairpin(struct sim_host *owner, bool on)
{
	owner->nat.lan_model = true;
	owner->nat.hairpin = on;
}

/* ---- the native IPv6 network ---------------------------------------- */

/* The relay's stack side: whatever it decapsulates goes out natively. */
static void
relay_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	struct sim_host *h = ctx;

	native_send(h->sim, ip6, len);
}

static void
native_log(struct sim *s, const char *what, const struct ip6_header *ip6)
{
	char src[46], dst[46];

	if (!s->verbose)
		return;
	ip6_addr_format(&ip6->src, src);
	ip6_addr_format(&ip6->dst, dst);
	printf("# %8llu ms native: %s %s -> %s\n",
	       (unsigned long long)s->now_ms, what, src, dst);
}

/* The native host's stack: counts echoes and answers requests. */
static void
native_receive(struct sim *s, const struct teredo_packet *pkt)
{
	struct sim_native *nh = &s->native;
	struct icmp6_msg msg;
	uint8_t reply[1500];
	size_t n;

	if (teredo_packet_icmp6(pkt, &msg) < 0)
		return;
	if (msg.type == ICMP6_ECHO_REPLY) {
		nh->echo_replies++;
		nh->ping_replies += is_ping(&msg.u.echo);
		return;
	}
	if (msg.type != ICMP6_ECHO_REQUEST)
		return;
	if (is_ping(&msg.u.echo))
		nh->echo_requests++;
	else
		nh->echo_tests++;
	if (nh->answer_echo &&
	    teredo_echo_write(reply, sizeof(reply), &pkt->ip6.dst,
			      &pkt->ip6.src, 64, ICMP6_ECHO_REPLY, &msg.u.echo,
			      &n) == 0)
		native_send(s, reply, n);
}

/* A native packet arrives: route it by its destination. */
static void
native_arrive(struct sim *s, const struct sim_dgram *d)
{
	struct teredo_packet pkt;

	if (teredo_packet_read(d->data, d->len, &pkt) < 0 || pkt.has_auth ||
	    pkt.has_origin) {
		s->native_unrouted++;
		return;
	}
	if (s->have_native && ip6_addr_equal(&pkt.ip6.dst, &s->native.addr)) {
		native_log(s, "to host", &pkt.ip6);
		s->native_delivered++;
		native_receive(s, &pkt);
		return;
	}
	if (teredo_addr_is_teredo(&pkt.ip6.dst) && s->relay != NULL &&
	    !s->relay_down) {
		native_log(s, "to relay", &pkt.ip6);
		s->native_delivered++;
		teredo_client_on_tun(&s->relay->client, s->now_ms, d->data,
				     d->len);
		return;
	}
	native_log(s, "no route", &pkt.ip6);
	s->native_unrouted++;
}

static void
native_echo(struct sim *s, const struct ip6_addr *src,
	    const struct ip6_addr *dst, uint16_t seq, uint8_t *buf, size_t cap,
	    size_t *len)
{
	struct icmp6_echo echo = {.id = 0x5357,
				  .seq = seq,
				  .data = ping_data,
				  .data_len = sizeof(ping_data)};

	(void)s;
	if (teredo_echo_write(buf, cap, src, dst, 64, ICMP6_ECHO_REQUEST, &echo,
			      len) < 0)
		abort();
}

void
sim_ping_native(struct sim *s, struct sim_host *a, uint16_t seq)
{
	uint8_t buf[128];
	size_t len;

	if (!a->client.have_addr || !s->have_native)
		return;
	native_echo(s, &a->client.addr, &s->native.addr, seq, buf, sizeof(buf),
		    &len);
	teredo_client_on_tun(&a->client, s->now_ms, buf, len);
}

void
sim_native_ping_from(struct sim *s, const struct ip6_addr *src,
		     const struct ip6_addr *dst, uint16_t seq)
{
	uint8_t buf[128];
	size_t len;

	if (!s->have_native)
		abort();
	native_echo(s, src, dst, seq, buf, sizeof(buf), &len);
	native_send(s, buf, len);
}

void
sim_native_ping_addr(struct sim *s, const struct ip6_addr *dst, uint16_t seq)
{
	sim_native_ping_from(s, &s->native.addr, dst, seq);
}

void
sim_native_ping(struct sim *s, const struct sim_host *b, uint16_t seq)
{
	if (b->client.have_addr)
		sim_native_ping_addr(s, &b->client.addr, seq);
}

void
sim_init(struct sim *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	s->latency_min_ms = 5;
	s->latency_max_ms = 60;
	s->now_ms = 1000;
	if (teredo_server_init(&s->server, SIM_SERVER_IPV4,
			       SIM_SERVER_IPV4 + 1) < 0)
		abort();
}

void
sim_fini(struct sim *s)
{
	while (s->ninflight > 0)
		free(heap_pop(s));
}

void
sim_start(struct sim *s)
{
	for (unsigned i = 0; i < s->nhosts; i++)
		teredo_client_start(&s->hosts[i].client, s->now_ms);
}

static void
server_receive(struct sim *s, const struct sim_dgram *d)
{
	struct teredo_server_out out;
	uint8_t buf[1600];
	unsigned local = d->dst_ipv4 == SIM_SERVER_IPV4 ? 0 : 1;

	if (s->server_down || d->dst_port != TEREDO_PORT)
		return;
	if (teredo_server_input(&s->server, local, d->data, d->len, d->src_ipv4,
				d->src_port, buf, sizeof(buf), &out) < 0)
		return;
	if (out.action == TEREDO_SERVER_NATIVE) {
		native_send(s, buf, out.len);
		return;
	}
	if (out.action != TEREDO_SERVER_UDP)
		return;
	internet_send(s, s->server.ipv4[out.from], out.from_port, out.dst_ipv4,
		      out.dst_port, buf, out.len);
}

static void
deliver(struct sim *s, const struct sim_dgram *d)
{
	if (d->native) {
		native_arrive(s, d);
		return;
	}
	if (d->dst_ipv4 == SIM_SERVER_IPV4 ||
	    d->dst_ipv4 == SIM_SERVER_IPV4 + 1) {
		server_receive(s, d);
		return;
	}
	if (lan_deliver(s, d))
		return;
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct sim_host *h = &s->hosts[i];
		uint16_t port = d->dst_port;

		if (h->nat.kind == NAT_NONE ? d->dst_ipv4 != h->ipv4
					    : d->dst_ipv4 != h->nat.public_ipv4)
			continue;
		if (h->nat.kind != NAT_NONE)
			nat_expire(&h->nat, s->now_ms);
		if (h->nat.kind != NAT_NONE &&
		    (h->nat.kind == NAT_BLOCKED ||
		     (port = nat_inbound(&h->nat, d->dst_port, d->src_ipv4,
					 d->src_port)) == 0)) {
			s->dropped++;
			return;
		}
		for (unsigned j = 0; j < h->nat.nmappings; j++)
			if (h->nat.mappings[j].ext_port == d->dst_port)
				h->nat.mappings[j].last_ms = s->now_ms;
		if (!host_has_port(h, port))
			return;
		if (h->is_relay && s->relay_down) {
			s->dropped++;
			return;
		}
		s->delivered++;
		teredo_client_on_udp_port(&h->client, s->now_ms, d->data,
					  d->len, d->src_ipv4, d->src_port,
					  h->ipv4, port);
		return;
	}
}

void
sim_run(struct sim *s, uint64_t until_ms,
	bool (*done)(struct sim *s, void *arg), void *arg)
{
	/* Bounded: a state machine that never advances its deadline must
	 * fail the test, not hang it. */
	for (unsigned long steps = 0; done == NULL || !done(s, arg); steps++) {
		uint64_t next = until_ms;
		struct sim_host *timer_host = NULL;

		if (steps > 10000000ul) {
			fprintf(stderr, "netsim: no progress at %llu ms\n",
				(unsigned long long)s->now_ms);
			abort();
		}

		for (unsigned i = 0; i < s->nhosts; i++) {
			uint64_t d =
				teredo_client_deadline(&s->hosts[i].client);

			if (d <= next) {
				next = d;
				timer_host = &s->hosts[i];
			}
		}
		if (s->ninflight > 0 && s->inflight[0]->at_ms <= next) {
			struct sim_dgram *d = heap_pop(s);

			s->now_ms = d->at_ms > s->now_ms ? d->at_ms : s->now_ms;
			deliver(s, d);
			free(d);
			continue;
		}
		if (timer_host == NULL) {
			s->now_ms = until_ms;
			return;
		}
		s->now_ms = next > s->now_ms ? next : s->now_ms;
		teredo_client_on_timer(&timer_host->client, s->now_ms);
	}
}

void
sim_ping(struct sim *s, struct sim_host *a, struct sim_host *b, uint16_t seq)
{
	struct icmp6_echo echo = {.id = 0x5357,
				  .seq = seq,
				  .data = ping_data,
				  .data_len = sizeof(ping_data)};
	uint8_t buf[128];
	size_t len;

	if (!a->client.have_addr || !b->client.have_addr)
		return;
	if (teredo_echo_write(buf, sizeof(buf), &a->client.addr,
			      &b->client.addr, 64, ICMP6_ECHO_REQUEST, &echo,
			      &len) < 0)
		abort();
	teredo_client_on_tun(&a->client, s->now_ms, buf, len);
}
