/*
 * netsim: whole Teredo topologies in one process on a virtual clock.
 *
 * A Teredo server (lib/teredo/server), any number of clients
 * (lib/teredo/client), each behind a modelled NAT or on a public address,
 * and an "internet" between them that delays, loses, duplicates and
 * reorders datagrams, all driven by one seeded PRNG, so a failing seed
 * replays exactly.  No sockets, no threads, no sleeping: thousands of
 * scenarios a second.
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
	unsigned ncontacts;
	struct {
		uint32_t ipv4;
		uint16_t port;
	} contacts[SIM_MAX_CONTACTS];
};

struct sim_nat {
	enum nat_kind kind;
	uint32_t public_ipv4;
	unsigned nmappings;
	struct sim_mapping mappings[SIM_MAX_MAPPINGS];
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
};

struct sim_dgram {
	uint64_t at_ms;
	uint64_t seq; /* ties broken by send order */
	uint32_t src_ipv4, dst_ipv4;
	uint16_t src_port, dst_port;
	uint16_t len;
	uint8_t data[1500];
};

struct sim {
	uint64_t now_ms;
	uint64_t rng;
	uint64_t seq;
	/* Impairments of the internet, in percent; latency in ms. */
	unsigned loss_pct, dup_pct, reorder_pct;
	unsigned latency_min_ms, latency_max_ms;
	bool server_down; /* a black-holed server */
	bool verbose;

	struct teredo_server server;
	unsigned nhosts;
	struct sim_host hosts[SIM_MAX_HOSTS];

	size_t ninflight;
	struct sim_dgram *inflight[SIM_MAX_INFLIGHT]; /* min-heap by at_ms */
	uint64_t delivered, dropped;
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

/* Forgets the NAT's mappings and moves its ports: a NAT reboot. */
void sim_nat_remap(struct sim_host *h);

uint32_t sim_random(struct sim *s);
const char *sim_nat_name(enum nat_kind kind);

#endif
