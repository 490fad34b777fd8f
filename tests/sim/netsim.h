/*
 * netsim: whole Teredo topologies in one process on a virtual clock.
 *
 * A Teredo server (lib/teredo/server), any number of clients
 * (lib/teredo/client), each behind a modelled NAT or on a public address,
 * and an "internet" between them that delays, loses, duplicates and
 * reorders datagrams, all driven by one seeded PRNG, so a failing seed
 * replays exactly.  No sockets, no threads, no sleeping: thousands of
 * scenarios a second.
 *
 * Optionally a Teredo relay (a teredo_client in relay mode on a public
 * IPv4 address, no NAT) and one native IPv6 host (2001:db8::1, IPv6 only,
 * answering echo requests as a kernel would), joined by a small "native
 * IPv6 network": 2001::/32 is routed to the relay's on_tun, the relay's
 * delivered packets and the server's native forwarding (its §5.2.9 echo
 * tests) to the native host when addressed to it.  Native hops use the
 * same latency, loss, duplication and reordering as the IPv4 internet
 * (and the same PRNG), so an impaired run impairs both.
 */
#ifndef SHIPWORM_TESTS_NETSIM_H
#define SHIPWORM_TESTS_NETSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teredo/client.h"
#include "teredo/server.h"

enum nat_kind {
	NAT_NONE,	    /* public address, no filter */
	NAT_FULLCONE,	    /* EIM + endpoint-independent filtering */
	NAT_RESTRICTED,	    /* EIM + address-dependent filtering */
	NAT_PORTRESTRICTED, /* EIM + address-and-port-dependent filtering */
	NAT_SYMMETRIC,	    /* address-and-port-dependent mapping, APDF */
	NAT_BLOCKED,	    /* no UDP at all */
	/* RFC 6081 §2 symmetric variants (issue 14, the matrix): */
	NAT_PPSYMMETRIC,   /* APDM; a new mapping keeps a free internal port */
	NAT_SEQUENTIAL,	   /* APDM; each new mapping takes the next port */
	NAT_ADDRSYMMETRIC, /* ADM onto two addresses (see sim_nat.public2) */
	NAT_KIND_COUNT
};

#define SIM_MAX_HOSTS 8
#define SIM_MAX_MAPPINGS 64
#define SIM_MAX_CONTACTS 16
#define SIM_MAX_INFLIGHT 8192
#define SIM_PEERS 32

struct sim_mapping {
	uint16_t int_port, ext_port;
	uint32_t rem_ipv4; /* symmetric NATs: one mapping per destination */
	uint16_t rem_port;
	uint32_t int_ipv4, ext_ipv4; /* the "lan" model only (below) */
	unsigned ncontacts;
	uint64_t last_ms; /* last packet either way (mapping expiry) */
	struct {
		uint32_t ipv4;
		uint16_t port;
	} contacts[SIM_MAX_CONTACTS];
};

struct sim_nat {
	enum nat_kind kind;
	uint32_t public_ipv4;
	/* A mapping idle this long is forgotten (Linux conntrack's UDP
	 * timeout); 0: never. */
	uint64_t timeout_ms;
	unsigned nmappings;
	struct sim_mapping mappings[SIM_MAX_MAPPINGS];
	/*
	 * The "lan" model (issue 14): mappings keyed by internal address and
	 * port, so that several hosts may share the NAT; used by the RFC 6081
	 * kinds above, by a NAT with hosts on its LAN (sim_add_lan_host) and
	 * by a nested NAT, never by the original single-host path.
	 */
	bool lan_model;
	bool hairpin;	  /* a LAN packet to our public address comes back in */
	uint32_t public2; /* NAT_ADDRSYMMETRIC: toward every remote but the
			     server's primary address */
	uint16_t next_port; /* NAT_SEQUENTIAL */
	unsigned port_step; /* NAT_SEQUENTIAL: 1 unless set */
	/* A UPnP IGD's static forward (sim_nat_upnp): the "lan" model lets
	 * anyone in at public_ipv4:upnp.ext_port, to upnp.int_*. */
	bool has_upnp;
	struct sim_mapping upnp;
};

struct sim;

struct sim_host {
	struct sim *sim;
	int index;
	uint32_t ipv4; /* private behind a NAT, public with NAT_NONE */
	uint16_t port;
	struct sim_nat nat;
	struct teredo_client client;
	struct teredo_peer peers[SIM_PEERS];
	unsigned echo_requests, echo_replies; /* delivered to the "stack" */
	unsigned addr_changes;
	bool answer_echo; /* reply to echo requests, as a kernel would */
	bool is_relay;	  /* relay mode: its deliver goes to native IPv6 */
	/* Echo replies carrying the payload of sim_ping / sim_ping_native:
	 * answers to our pings, not to the client's own echo tests. */
	unsigned ping_replies;
	/* Log lines saying a peer is unreachable (the reason a pairing
	 * fails, as the daemon would log it). */
	unsigned unreachable_logs;
	char last_unreachable[160];
	/* The "lan" model: on the LAN of lan_of's NAT (then nat is this
	 * host's own inner NAT, or NAT_NONE for a plain LAN host). */
	struct sim_host *lan_of;
	unsigned lan_hosts; /* hosts on our NAT's LAN */
	/* RFC 6081 PP / SS: the random ports the client opened (io.open_port),
	 * each a socket of its own. */
	uint16_t rports[TEREDO_RAND_PORTS];
	uint16_t next_rport;
	unsigned rports_opened;
};

/* An IPv6-only host on the native side (no Teredo, no IPv4). */
struct sim_native {
	struct ip6_addr addr;
	bool answer_echo;
	unsigned echo_requests; /* pings (sim_ping_native payload) */
	unsigned echo_tests;	/* other echo requests: §5.2.9 tests */
	unsigned echo_replies, ping_replies;
};

struct sim_dgram {
	uint64_t at_ms;
	uint64_t seq; /* ties broken by send order */
	uint32_t src_ipv4, dst_ipv4;
	uint16_t src_port, dst_port;
	uint16_t len;
	bool native; /* a bare IPv6 packet on the native network */
	uint8_t data[1500];
};

struct sim {
	uint64_t now_ms;
	uint64_t rng;
	uint64_t seq;
	/* Impairments of the internet, in percent; latency in ms. */
	unsigned loss_pct, dup_pct, reorder_pct;
	/*
	 * Loss at the clients' routers, as the lab's (t-matrix: an nftables
	 * rule in each NAT router's forward hook, both ways): a datagram is
	 * lost with this chance at its sender's router, before the NAT maps
	 * it (no mapping is made: a sequential NAT gives that port to the
	 * next flow), and again at its receiver's router; the servers have
	 * no lossy router (nor the "lan" topologies' hosts: not modelled).
	 * loss_pct is loss anywhere on the way, after the NATs.
	 */
	unsigned router_loss_pct;
	unsigned latency_min_ms, latency_max_ms;
	bool server_down; /* a black-holed server */
	bool relay_down;  /* a black-holed relay: silent on both sides */
	bool verbose;

	struct teredo_server server;
	unsigned nhosts;
	struct sim_host hosts[SIM_MAX_HOSTS];

	size_t ninflight;
	struct sim_dgram *inflight[SIM_MAX_INFLIGHT]; /* min-heap by at_ms */
	uint64_t delivered, dropped;

	struct sim_host *relay; /* serves 2001::/32 natively; NULL: none */
	bool have_native;
	struct sim_native native;
	/* Native IPv6 packets: delivered, lost on the way (impairments), and
	 * dropped for want of a route (no relay, relay down, unknown host). */
	uint64_t native_delivered, native_lost, native_unrouted;
};

#define SIM_SERVER_IPV4 0xcb007178u /* 203.0.113.120 (.121 secondary) */

void sim_init(struct sim *s, uint64_t seed);
void sim_fini(struct sim *s);

/* Adds a host behind a NAT of `kind` (or public) and its Teredo client. */
struct sim_host *sim_add_host(struct sim *s, enum nat_kind kind,
			      const struct teredo_client_config *extra);

void sim_start(struct sim *s); /* starts every client */

/* Runs events until `until_ms` (absolute) or until `done` returns true. */
void sim_run(struct sim *s, uint64_t until_ms,
	     bool (*done)(struct sim *s, void *arg), void *arg);

/* Sends an ICMPv6 echo request from host a to host b's Teredo address. */
void sim_ping(struct sim *s, struct sim_host *a, struct sim_host *b,
	      uint16_t seq);

/*
 * Adds the relay: public IPv4 (192.0.2.n), port 3544, no NAT, `peer_cap`
 * peer entries (1..SIM_PEERS), a cone relay unless `restricted`.  At most
 * one; the native network routes 2001::/32 to it.
 */
struct sim_host *sim_add_relay(struct sim *s, size_t peer_cap, bool restricted);

/* Adds the native IPv6 host 2001:db8::1 and turns on the server's native
 * forwarding (RFC 4380 §5.2.9 echo tests). */
struct sim_native *sim_add_native(struct sim *s);

/* An echo request from host a's Teredo address to the native host. */
void sim_ping_native(struct sim *s, struct sim_host *a, uint16_t seq);

/* An echo request from the native host to `dst` (a Teredo address). */
void sim_native_ping_addr(struct sim *s, const struct ip6_addr *dst,
			  uint16_t seq);

/* An echo request from any native source (a scanner; answers to it are
 * unrouted) to `dst`. */
void sim_native_ping_from(struct sim *s, const struct ip6_addr *src,
			  const struct ip6_addr *dst, uint16_t seq);

/* ... to host b's Teredo address, when it has one. */
void sim_native_ping(struct sim *s, const struct sim_host *b, uint16_t seq);

/* The relay process restarts: every peer entry is forgotten. */
void sim_relay_restart(struct sim *s);

/* Peer entries in use (the relay's table, in the bound tests). */
size_t sim_peers_in_use(const struct sim_host *h);

/* Forgets the NAT's mappings and moves its ports: a NAT reboot. */
void sim_nat_remap(struct sim_host *h);

/* A datagram from anywhere (an attacker, spoofing or not) onto the IPv4
 * internet, subject to its impairments. */
void sim_inject(struct sim *s, uint32_t src_ipv4, uint16_t src_port,
		uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf,
		size_t len);

uint32_t sim_random(struct sim *s);
const char *sim_nat_name(enum nat_kind kind);

/*
 * Issue 14: another host on the LAN of `owner`'s NAT (owner: a host behind
 * a fullcone, restricted or port-restricted NAT).  `inner` NAT_NONE gives
 * a plain LAN host; any other kind puts the new host behind an inner NAT
 * of that kind whose "public" address is on the owner's LAN (a nested NAT).
 * sim_nat_hairpin decides whether the owner's NAT hairpins: a packet from
 * its LAN to its public address and a mapped port goes back in, from the
 * sender's mapping (RFC 4787 REQ-9); otherwise it is dropped.
 */
struct sim_host *sim_add_lan_host(struct sim *s, struct sim_host *owner,
				  enum nat_kind inner,
				  const struct teredo_client_config *extra);
void sim_nat_hairpin(struct sim_host *owner, bool on);
/*
 * A UPnP IGD on h's own (inner) NAT, as miniupnpd in tests/lab/t-matrix's
 * nested-nohp pair: the NAT's WAN address on the owner's LAN becomes
 * wan_ipv4 (miniupnpd refuses a private one, so the lab numbers that LAN
 * from a routable block), the client's port is forwarded to it (external
 * port = local port, RFC 6081 §5.3.3), and the client learns the
 * reservation as teredod would (teredo_upnp_mapped).  Before sim_start.
 */
void sim_nat_upnp(struct sim_host *h, uint32_t wan_ipv4);

#endif
