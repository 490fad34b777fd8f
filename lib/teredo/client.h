/*
 * Teredo client, sans-I/O (RFC 4380 §5.2 as updated by RFC 5991, with RFC
 * 6081 Symmetric NAT Support).
 *
 * The caller feeds events in, each with the current monotonic time:
 *   teredo_client_start()       begin qualification
 *   teredo_client_on_udp()      a datagram arrived on the service port
 *   teredo_client_on_tun()      the IPv6 stack sent a packet into the tunnel
 *   teredo_client_on_timer()    teredo_client_deadline() has passed
 * and receives effects through the callbacks of struct teredo_client_io:
 * datagrams to send, packets to deliver to the stack, the address to
 * configure.  Randomness comes from a callback too, so a simulation can make
 * every run reproducible.  Nothing here allocates: the peer table is memory
 * the caller lends at init.
 *
 * States (Windows' names, `netsh interface teredo show state`):
 *
 *   probe (primary server) --RA--> probe (secondary server) --RA--> qualified
 *        | 3 x 4 s silent              | 3 x 4 s silent           | mapping
 *        v                             v                          | changed
 *     offline (error) <----- retry after a back-off <-------------+ or server
 *                                                                   silent
 */
#ifndef SHIPWORM_TEREDO_CLIENT_H
#define SHIPWORM_TEREDO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "teredo/packet.h"
#include "teredo/peers.h"
#include "teredo/upnp.h"
#include "wire/ip6.h"

#define TEREDO_RS_INTERVAL_MS 4000	/* RFC 4380 §5.2.1: T */
#define TEREDO_RS_TRIES 3		/* RFC 4380 §5.2.1: N */
#define TEREDO_REFRESH_DEFAULT_MS 30000 /* RFC 4380 §5.2 */
#define TEREDO_REQUALIFY_DELAY_MS 30000 /* PROJECT: after losing the server */
#define TEREDO_BUBBLE_SPACING_MS 2000	/* RFC 4380 §5.2.6 */
#define TEREDO_BUBBLE_MAX 4		/* per TEREDO_BUBBLE_WINDOW_MS */
#define TEREDO_BUBBLE_WINDOW_MS 300000
/*
 * PROJECT (issue 14): procedures per window.  After TEREDO_BUBBLE_MAX
 * unanswered bubbles the peer is unreachable: the queue is dropped with
 * ICMPv6 errors and the log says why (RFC 6081 §3: fail in finite time).
 * If the stack keeps sending to it, the procedure starts once more (a new
 * attempt after a failure); on a lossy path the RFC 6081 SNS handshake
 * needs two good rounds, and 4 rounds of 4 hops each are not enough at
 * 5 % loss.  Never more than this many per window, never while the stack
 * is silent, and never for a peer our stack did not ask for.
 */
#define TEREDO_BUBBLE_ATTEMPTS 2
/*
 * A5: bubbles sent because of unverified input (answers to indirect
 * bubbles, rounds toward peers the stack did not ask for, every round of a
 * relay) spend a global budget; a peer's indirect bubbles are answered at
 * most once per TEREDO_ANSWER_SPACING_MS.
 */
#define TEREDO_BUBBLE_BUDGET_PER_S 100
#define TEREDO_BUBBLE_BUDGET_BURST 100
#define TEREDO_ANSWER_SPACING_MS 1000
/* A4: how long the nonce of a bubble round is good for its answer. */
#define TEREDO_NONCE_OPEN_MS (2 * TEREDO_BUBBLE_SPACING_MS)
#define TEREDO_ECHO_TRIES 4	/* §5.2.9 test: once + 3 repeats, as Miredo */
#define TEREDO_UNREACH_PER_S 10 /* ICMPv6 errors to the stack, as Miredo */
#define TEREDO_ECHO_TESTS_PER_S 16 /* started by strangers' packets */
/*
 * R9 (RFC 4380 §7.3.5): the peer entries one native source (a /64) may
 * create on a relay, as a token bucket: a burst, then a steady rate.  A
 * scan from one host cannot fill the table; a busy server still reaches
 * a new Teredo client every 1/16 s.  Sources share TEREDO_SOURCE_BUCKETS
 * buckets by a keyed hash.
 */
#define TEREDO_NEW_PEERS_BURST 32
#define TEREDO_NEW_PEERS_PER_S 16
#define TEREDO_SOURCE_BUCKETS 256
/*
 * R8 (RFC 4380 §5.4, §7.3.5): a relay that refuses this many new peers in
 * one second (its table full of live entries) withdraws the Teredo prefix
 * for a hold-down, so that native routing carries the traffic to other
 * relays; the hold-down doubles at each overload that follows within
 * TEREDO_HOLDDOWN_MAX_MS of the last, up to that.
 */
#define TEREDO_OVERLOAD_DROPS_PER_S 16
/* ... asked for by this many native /64s (A2): one source, however busy,
 * cannot withdraw the prefix. */
#define TEREDO_OVERLOAD_SOURCES 4
#define TEREDO_HOLDDOWN_MS 30000
#define TEREDO_HOLDDOWN_MAX_MS 480000

enum teredo_client_state {
	TEREDO_CLIENT_IDLE, /* not started */
	TEREDO_CLIENT_PROBE_PRIMARY,
	TEREDO_CLIENT_PROBE_SECONDARY,
	TEREDO_CLIENT_QUALIFIED,
	TEREDO_CLIENT_OFFLINE,
	TEREDO_CLIENT_RELAY, /* relay mode: no qualification, always up */
};

/* What qualification and the diagnostic probes learned of the NAT. */
enum teredo_nat_type {
	TEREDO_NAT_UNKNOWN,
	TEREDO_NAT_NONE, /* mapping == local address: global connectivity */
	TEREDO_NAT_CONE,
	TEREDO_NAT_RESTRICTED,
	TEREDO_NAT_RESTRICTED_PORT,
	TEREDO_NAT_SYMMETRIC_PORT,
	TEREDO_NAT_SYMMETRIC_ADDRESS,
};

enum teredo_client_drop {
	TEREDO_CLIENT_DROP_MALFORMED,
	TEREDO_CLIENT_DROP_BAD_RA,	  /* failed a §5.2.1 check */
	TEREDO_CLIENT_DROP_STALE_RA,	  /* nonce matches no RS of ours */
	TEREDO_CLIENT_DROP_NOT_QUALIFIED, /* from the stack before an address */
	TEREDO_CLIENT_DROP_BAD_SOURCE, /* stack packet not from our address */
	TEREDO_CLIENT_DROP_BAD_DESTINATION, /* multicast, non-global embedded IPv4 */
	TEREDO_CLIENT_DROP_NO_RELAY,	 /* no relay answered the echo test */
	TEREDO_CLIENT_DROP_LINK_LOCAL,	 /* link-local source from a peer */
	TEREDO_CLIENT_DROP_MAPPING,	 /* source does not match the peer */
	TEREDO_CLIENT_DROP_UNKNOWN_PEER, /* non-Teredo source, no trust */
	TEREDO_CLIENT_DROP_QUEUE_FULL,	 /* replaced by a newer queued packet */
	TEREDO_CLIENT_DROP_UNREACHABLE,	 /* no direct reply after 4 bubbles */
	TEREDO_CLIENT_DROP_PEERS_FULL,	 /* peer table full of busy peers */
	TEREDO_CLIENT_DROP_LOOP,	 /* would loop Teredo -> Teredo */
	TEREDO_CLIENT_DROP_NOT_TEREDO,	 /* relay: source is no Teredo client */
	TEREDO_CLIENT_DROP_SOURCE_LIMIT, /* relay: a source's new peers (R9) */
	TEREDO_CLIENT_DROP_COUNT
};

struct teredo_client_stats {
	uint64_t rs_sent, ra_accepted;
	uint64_t bubbles_sent, bubbles_received;
	uint64_t bubbles_suppressed; /* A5: over the global bubble budget */
	uint64_t packets_sent, packets_delivered;
	uint64_t qualifications, requalifications;
	uint64_t reverifications;   /* C: aged peers heard from a new mapping */
	uint64_t stateless_accepts; /* A1: accepted with no room for an entry */
	uint64_t echo_sent, echo_answered; /* §5.2.9 connectivity tests */
	uint64_t unreachable_sent;	   /* ICMPv6 errors to our own stack */
	uint64_t prefix_withdrawals;	   /* relay overloads (R8) */
	uint64_t random_ports_opened;	   /* RFC 6081 PP / SS */
	uint64_t echo_tests_6081;	   /* SS echo tests run */
	uint64_t ports_predicted;	   /* SS predictions made */
	uint64_t peer_refreshes;	   /* PP Peer Refresh bubbles */
	uint64_t slr_solicitations, slr_advertisements; /* RFC 6081 SLR */
	uint64_t slr_fallbacks; /* to the indirect bubble after the third */
	uint64_t drops[TEREDO_CLIENT_DROP_COUNT];
};

struct teredo_client_io {
	/* A datagram to send from the service port. */
	void (*send_udp)(void *ctx, uint32_t dst_ipv4, uint16_t dst_port,
			 const uint8_t *buf, size_t len);
	/* An IPv6 packet for the local stack (the TUN device). */
	void (*deliver)(void *ctx, const uint8_t *ip6, size_t len);
	/* The Teredo address changed; `addr` NULL means none (offline). */
	void (*address)(void *ctx, const struct ip6_addr *addr);
	/* A diagnostic for the log, plain text. */
	void (*log)(void *ctx, const char *msg);
	/* Fill buf with n bytes from a CSPRNG (RFC 5991 §4, RFC 6081 §7). */
	void (*random)(void *ctx, void *buf, size_t n);
	/*
	 * RFC 6081 Port-Preserving and Sequential extensions (optional: both
	 * are off without all three).  open_port binds a fresh UDP socket on
	 * the service address, on a port the system picks (0 and *port, or
	 * -errno); its datagrams come in through teredo_client_on_udp_port().
	 * close_port closes it; send_udp_from sends from it.
	 */
	int (*open_port)(void *ctx, uint16_t *port);
	void (*close_port)(void *ctx, uint16_t port);
	void (*send_udp_from)(void *ctx, uint16_t src_port, uint32_t dst_ipv4,
			      uint16_t dst_port, const uint8_t *buf,
			      size_t len);
	/* Relay: advertise (true) or withdraw (false) the Teredo prefix in
	 * native routing (R8).  Optional; it starts advertised. */
	void (*advertise)(void *ctx, bool on);
	void *ctx;
};

struct teredo_client_config {
	uint32_t server_ipv4;  /* primary, host order */
	uint32_t server2_ipv4; /* secondary; 0: primary + 1 */
	uint16_t local_port;   /* the bound service port */
	uint32_t refresh_ms;   /* 0: 30 s (RFC 6081 §5.1.1 allows others) */
	bool symmetric_nat_support; /* RFC 6081 §5.2 */
	bool nat_probes; /* diagnostic cone and port probes (§8.3) */
	/*
	 * Relay mode (RFC 4380 §5.4, Miredo's RelayType): no server, no
	 * qualification; packets from the native side (on_tun) go to Teredo
	 * clients, packets from Teredo clients (on_udp) go to the stack.
	 */
	bool relay;
	uint32_t relay_ipv4;   /* our public IPv4, if known: a loop guard */
	bool relay_restricted; /* RelayType restricted: direct bubbles too */
};

/* RFC 6081 §5.4, §5.5: random ports open at once (sockets), at most. */
#define TEREDO_RAND_PORTS 16
#define TEREDO_PEER_REFRESH_MS 30000 /* §5.4.2.1 Peer Refresh Timer */
#define TEREDO_PEER_REFRESH_MAX 20

struct teredo_rand_port {
	uint16_t port; /* 0: free */
	struct ip6_addr peer;
	uint64_t opened_ms;
};

struct teredo_client {
	struct teredo_client_config cfg;
	struct teredo_client_io io;
	enum teredo_client_state state;
	const char *error; /* why offline (static text) */
	bool retrying;	   /* qualifying again after offline: shown offline */

	/* Qualification and maintenance (RFC 4380 §5.2.1, §5.2.5). */
	uint8_t nonce[TEREDO_NONCE_LEN]; /* of the RS in flight */
	unsigned rs_tries;
	uint64_t deadline_ms; /* next RS, refresh check or retry */
	uint64_t last_server_rx_ms;
	uint32_t refresh_now_ms;       /* randomized, per cycle */
	bool refreshing;	       /* a maintenance RS is in flight */
	struct teredo_origin mapping;  /* M1: from the primary RA */
	struct teredo_origin mapping2; /* M2: from the secondary RA */
	uint32_t local_ipv4;	       /* where the RA arrived (IP_PKTINFO) */
	bool symmetric, port_preserving;
	struct teredo_upnp upnp; /* RFC 6081 §5.3: the daemon's, before start */
	enum teredo_nat_type nat;
	uint16_t flags; /* RFC 5991 random bits, kept */
	bool have_addr;
	struct ip6_addr addr;

	bool have_mapping; /* M1 known, secondary not probed yet */
	struct teredo_origin flags_mapping; /* the mapping `flags` belong to */
	bool flags_drawn;

	/*
	 * Diagnostic NAT probes (teredo-spec.md §4.3.4, §8.3); they never
	 * change the address.  The cone probe (a C = 1 RS, answered from the
	 * secondary address) runs with the primary probe, before anything
	 * was sent to the secondary address, so that only an
	 * endpoint-independent filter lets the answer in.  The port probe
	 * (answered from port 3543) runs once qualified.
	 */
	enum teredo_probe { PROBE_NONE, PROBE_CONE, PROBE_PORT } probe;
	bool cone_answered;
	uint8_t probe_nonce[TEREDO_NONCE_LEN];
	unsigned probe_tries;
	uint64_t probe_deadline_ms;

	struct teredo_peers peers;     /* lib/teredo/peers.h */
	uint64_t echo_window_ms;       /* rate limit of peer-triggered tests */
	unsigned echo_tests_started;   /* in the current second */
	uint64_t bubble_busy_until_ms; /* A5: the bubble budget (GCRA) */
	uint64_t unreach_window_ms;    /* rate limit of our ICMPv6 errors */
	unsigned unreach_sent;	       /* in the current second */
	/* R9: per native source, when its bucket is empty again (GCRA). */
	uint64_t source_key; /* keys the bucket hash */
	uint64_t source_busy_until_ms[TEREDO_SOURCE_BUCKETS];
	/* R8: the relay's prefix and what withdrew it. */
	bool prefix_withdrawn;
	uint64_t withdrawn_until_ms;  /* advertise again then */
	uint64_t advertised_since_ms; /* when it was last advertised */
	uint32_t holddown_ms;	      /* the next withdrawal's */
	uint64_t overload_window_ms;  /* this second's start */
	unsigned overload_drops;      /* peer-table-full in it */
	unsigned overload_nsources;   /* distinct native /64s refused */
	uint64_t overload_sources[TEREDO_OVERLOAD_SOURCES];
	/* RFC 6081 §5.4, §5.5: our random ports, one per peer (rfc6081.c). */
	struct teredo_rand_port rand_ports[TEREDO_RAND_PORTS];
	bool sequential_seen; /* an echo test predicted a port (show state) */
	struct teredo_client_stats stats;
};

/* -EINVAL for a server that is not global unicast, no peers, no callbacks. */
MUST_CHECK int teredo_client_init(struct teredo_client *c,
				  const struct teredo_client_config *cfg,
				  const struct teredo_client_io *io,
				  struct teredo_peer *peers, size_t peer_cap);

void teredo_client_start(struct teredo_client *c, uint64_t now_ms);

/*
 * Before start: the RFC 5991 random bits (`flags`, as in the address) a
 * previous run used for the mapping mapped_ipv4:mapped_port (teredod's
 * state file).  If qualification finds that same mapping, the client
 * keeps them, and so its address; any other mapping draws new bits.
 */
void teredo_client_restore_flags(struct teredo_client *c, uint32_t mapped_ipv4,
				 uint16_t mapped_port, uint16_t flags);

/* A datagram from src:port that arrived on local_ipv4 (0 if unknown). */
void teredo_client_on_udp(struct teredo_client *c, uint64_t now_ms,
			  const uint8_t *buf, size_t len, uint32_t src_ipv4,
			  uint16_t src_port, uint32_t local_ipv4);

/* An IPv6 packet from the local stack to send through the tunnel. */
void teredo_client_on_tun(struct teredo_client *c, uint64_t now_ms,
			  const uint8_t *ip6, size_t len);

/* The same, arrived on local port local_port: the service port, or one of
 * the random ports io.open_port gave (RFC 6081 §5.4, §5.5). */
void teredo_client_on_udp_port(struct teredo_client *c, uint64_t now_ms,
			       const uint8_t *buf, size_t len,
			       uint32_t src_ipv4, uint16_t src_port,
			       uint32_t local_ipv4, uint16_t local_port);

/* How a peer was reached (RFC 6081), for `teredoctl show peers`. */
const char *teredo_client_peer_path(const struct teredo_client *c,
				    const struct teredo_peer *p);

void teredo_client_on_timer(struct teredo_client *c, uint64_t now_ms);

/* When teredo_client_on_timer() wants to run next; UINT64_MAX: never. */
uint64_t teredo_client_deadline(const struct teredo_client *c);

/* The state `show state` reports: offline while an offline client
 * retries, until a server answers. */
enum teredo_client_state
teredo_client_shown_state(const struct teredo_client *c);

/* Windows' vocabulary: "qualified", "probe (primary server)", ... */
const char *teredo_client_state_name(enum teredo_client_state s);
const char *teredo_nat_type_name(enum teredo_nat_type t);
const char *teredo_client_drop_name(enum teredo_client_drop d);

/* Relay: is the Teredo prefix advertised (R8)? */
static inline bool
teredo_client_prefix_advertised(const struct teredo_client *c)
{
	return c->cfg.relay && !c->prefix_withdrawn;
}

/* Peer lookup, for `teredoctl show peers` and tests. */
const struct teredo_peer *teredo_client_peer(const struct teredo_client *c,
					     const struct ip6_addr *addr);

#endif
