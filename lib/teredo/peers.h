/*
 * The Teredo peer table (RFC 4380 §5.2 peer entries, §7.3.3 a bounded
 * list), shared by the client and the relay; Miredo's peerlist.c.
 *
 * Sans-I/O and allocation-free: the caller lends an array of entries, and
 * each entry also carries one slot of the table's index arrays (hash
 * bucket heads, heap), so that one array of `cap` entries is all the
 * memory the table needs.  Every operation costs O(1), or O(log n) for the
 * timer heap, whatever the size:
 *
 *   a hash index      the entry of an IPv6 address (keyed hash: the caller
 *                     gives the key, since lib/ draws no randomness);
 *   a source index    entries created by inbound traffic, by the IPv4
 *                     they came from, for the per-source limits;
 *   four LRU lists    by (asked, trusted), for the eviction policy;
 *   a min-heap        the entries with a retry time, by that time.
 *
 * Eviction policy (teredo_peers_new on a full table), in order:
 *   1. the least recently used untrusted entry the stack never asked for,
 *      once it had a bubble round (TEREDO_PEER_PENDING_MIN_MS); then, for
 *      an entry the stack asks for, an untrusted one it asked for, likewise;
 *   2. for an entry the stack asks for: the least recently used entry
 *      only inbound traffic created, however fresh: strangers never lock
 *      an outbound flow out;
 *   3. the least recently used entry idle for TEREDO_PEER_VALID_MS.
 * Per-source limits: at most TEREDO_PEERS_PER_MAPPING entries attributed
 * to one IPv4:port and TEREDO_PEERS_PER_IPV4 to one IPv4; a source at its
 * limit recycles its own oldest entry when that one may go (rules 1 and 3),
 * else it is refused.
 */
#ifndef SHIPWORM_TEREDO_PEERS_H
#define SHIPWORM_TEREDO_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip6.h"

#define TEREDO_PEER_VALID_MS 30000 /* RFC 4380 §5.2.4 */
/* A full table gives up an entry that never got an answer once it is this
 * old (one bubble round), before any entry that did. */
#define TEREDO_PEER_PENDING_MIN_MS 2000
/* A1: entries one source may hold (inbound-created, or attributed). */
#define TEREDO_PEERS_PER_MAPPING 4
#define TEREDO_PEERS_PER_IPV4 16
#define TEREDO_ECHO_NONCE_LEN \
	8 /* RFC 4380 §5.2.9: the nonce in the echo data */
/* Bytes queued per peer awaiting trust: two full-size packets and their
 * queue headers (RFC 4380 §5.2.4, §5.4.1: a bounded queue). */
#define TEREDO_QUEUE_MAX 2600
#define TEREDO_PEER_NONE UINT32_MAX

/* One peer: RFC 4380 §5.2 peer entry plus RFC 6081 SNS nonces. */
struct teredo_peer {
	bool in_use;
	bool trusted; /* change with teredo_peers_set_trusted() */
	bool asked;   /* the stack sent to it (teredo_peers_set_asked()) */
	struct ip6_addr addr;
	uint32_t mapped_ipv4; /* where we send: embedded or learned */
	uint16_t mapped_port;
	uint64_t last_rx_ms, last_tx_ms;
	uint64_t last_use_ms;	   /* set with teredo_peers_touch() */
	uint64_t last_bubble_ms;   /* RFC 4380 §5.2.6 spacing */
	uint64_t last_answer_ms;   /* A5: last answer to its bubble */
	unsigned bubbles;	   /* in the current window */
	bool gave_up;		   /* said so once in this attempt */
	unsigned attempts;	   /* procedures that failed in this window */
	bool heard_indirect;	   /* its indirect bubble came in this window */
	bool round_wanted;	   /* A5: traffic since the last round */
	uint64_t bubble_window_ms; /* start of the 300 s window */
	uint64_t retry_ms; /* next round, 0 = none: teredo_peers_set_retry() */
	uint32_t nonce_sent; /* RFC 6081 §5.2.1; 0 once the round closed */
	uint32_t nonce_received;
	bool symmetric; /* RFC 6081 §5.3.1 Symmetric Peer flag (X6) */
	/* RFC 6081 §5.3: the UPnP reservation the peer's indirect bubbles
	 * announce (X18), on its embedded IPv4; 0: none.  A trusted peer's
	 * packets from there are its own (teredo_upnp_from_reservation). */
	uint16_t upnp_port;
	/* RFC 4380 §5.2.9: the nonce of the echo test toward a native peer;
	 * `bubbles` counts its echoes as it counts bubbles. */
	bool echo_pending;   /* a test is running */
	bool echo_nonce_set; /* echo_nonce is ours (kept after the test) */
	uint8_t echo_nonce[TEREDO_ECHO_NONCE_LEN];
	/*
	 * RFC 6081 §5.4.1 (Port-Preserving) and §5.5.1 (Sequential), kept by
	 * lib/teredo/rfc6081.c.  rand_port: our local port toward this peer
	 * (0: none); rand_port_adv: the external port we predict our NAT
	 * uses from it, advertised in Random Port trailers (0: none yet);
	 * peer_rand_port: the peer's advertised one.
	 */
	uint16_t rand_port, rand_port_adv, peer_rand_port;
	bool direct_primary, direct_random; /* where it was last trusted */
	bool got_indirect;		    /* an indirect bubble arrived */
	uint8_t refresh_count;		    /* Peer Refresh (X12) */
	uint64_t last_data_tx_ms, last_data_rx_ms;
	uint64_t refresh_ms; /* next Peer Refresh check, 0: none */
	/* Sequential: the echo test (§5.5.4.1). */
	uint8_t echo_rs_nonce1[8], echo_rs_nonce2[8];
	uint16_t echo_lower, echo_upper;
	uint8_t echo_retry;
	uint64_t echo_failover_ms; /* 0: no test running */
	/* RFC 6081 §5.6 Hairpinning (hairpin.c): the peer's alternate
	 * addresses (local, UPnP), at most TEREDO_HAIRPIN_ALT_MAX. */
	uint8_t nalt;
	struct {
		uint32_t ipv4;
		uint16_t port;
	} alt[2];
	uint64_t alt_sent_ms; /* last bubbles to them (paced) */
	/* RFC 6081 §5.7 Server Load Reduction (slr.c). */
	uint8_t slr_count;	/* Solicitations sent, unanswered */
	bool slr_fell_back;	/* the indirect procedure took over */
	uint64_t slr_answer_ms; /* our last Advertisement */
	/* The source this entry counts against (A1); 0: none. */
	uint32_t src_ipv4;
	uint16_t src_port;
	/* Private to peers.c: links, and this entry's slots of the table's
	 * index arrays. */
	uint32_t hnext, snext, lprev, lnext, heap_pos;
	uint32_t hhead, shead, heap;
	size_t queue_len;
	uint8_t queue[TEREDO_QUEUE_MAX];
};

enum teredo_peers_refusal {
	TEREDO_PEERS_OK,
	TEREDO_PEERS_FULL,	 /* no entry may go */
	TEREDO_PEERS_SOURCE_FULL /* the source is at its limit */
};

struct teredo_peers {
	struct teredo_peer *e;
	uint32_t cap, used;
	uint64_t key[2];
	uint32_t free_head;
	uint32_t heap_len; /* entries with a retry time */
	uint32_t lru_head[4], lru_tail[4];
};

/* `cap` entries of `e` (1 .. UINT32_MAX - 1), the hash keyed by `key`. */
void teredo_peers_init(struct teredo_peers *t, struct teredo_peer *e,
		       size_t cap, const uint64_t key[2]);
void teredo_peers_reset(struct teredo_peers *t);

struct teredo_peer *teredo_peers_find(const struct teredo_peers *t,
				      const struct ip6_addr *addr);

/*
 * A new entry for `addr` (which has none), making room by the policy
 * above.  `asked`: the stack wants it.  `src_ipv4`:`src_port`: the source
 * it counts against, 0 for none.  NULL, *why set, when refused.
 */
struct teredo_peer *teredo_peers_new(struct teredo_peers *t, uint64_t now,
				     const struct ip6_addr *addr, bool asked,
				     uint32_t src_ipv4, uint16_t src_port,
				     enum teredo_peers_refusal *why);
void teredo_peers_delete(struct teredo_peers *t, struct teredo_peer *p);

void teredo_peers_touch(struct teredo_peers *t, struct teredo_peer *p,
			uint64_t now);
/* Both count as a use at `now`. */
void teredo_peers_set_trusted(struct teredo_peers *t, struct teredo_peer *p,
			      bool trusted, uint64_t now);
void teredo_peers_set_asked(struct teredo_peers *t, struct teredo_peer *p,
			    uint64_t now);
/* `when` 0: none. */
void teredo_peers_set_retry(struct teredo_peers *t, struct teredo_peer *p,
			    uint64_t when);

/* The earliest retry time; UINT64_MAX: none. */
uint64_t teredo_peers_next(const struct teredo_peers *t);
/* The entry whose retry time is earliest, if it is <= now; else NULL. */
struct teredo_peer *teredo_peers_due(const struct teredo_peers *t,
				     uint64_t now);

/* The addresses of up to `max` trusted entries, most recently used
 * first (a relay keeps routes for them while its prefix is withdrawn). */
size_t teredo_peers_recent_trusted(const struct teredo_peers *t,
				   struct ip6_addr *out, size_t max);

/* Entries attributed to this IPv4 (*same_port: and to this port), for
 * tests and diagnostics. */
size_t teredo_peers_from(const struct teredo_peers *t, uint32_t ipv4,
			 uint16_t port, size_t *same_port);

#endif
