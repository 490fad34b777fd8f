/*
 * natcheck: the connectivity evaluation, sans-I/O.
 *
 * Two parts:
 *
 * 1. The probe engine (struct natcheck): RFC 5780 NAT behaviour discovery
 *    over STUN (lib/stun), driven like every lib/ state machine: start,
 *    then on_udp() for each datagram one of its sockets receives, poll()
 *    for the datagrams to send now, deadline() for the next wake-up.  It
 *    uses NATCHECK_SOCKS local UDP sockets the caller opens (all to the
 *    same local address, different ports):
 *      sock 0  mapping: binding to S (ip1:p1), then to ip2:p1 and ip1:p2
 *              (S's OTHER-ADDRESS), or to a second server; hairpinning: a
 *              binding request to its own mapped address, which comes back
 *              to sock 0 only if the NAT hairpins (RFC 5780 §4.5);
 *      sock 1  filtering: CHANGE-REQUEST ip+port (an answer from ip2:p2
 *              passes only an endpoint-independent filter);
 *      sock 2  filtering: CHANGE-REQUEST port (an answer from ip1:p2 passes
 *              an address-dependent filter), RFC 5780 §4.4.
 *    Sockets 1 and 2 send nothing else, so no earlier destination opened
 *    their filter.  Every request is retransmitted every RETRANS_MS until it
 *    is answered or the whole run's deadline passes.
 *
 *    With a Teredo server instead (cfg.teredo: stun[0] and stun[1] are its
 *    primary and secondary address, port 3544), the same probes are
 *    Router Solicitations (lib/teredo): sock 0 asks both addresses (their
 *    RAs' origin indications are the mappings: equal means
 *    endpoint-independent, as RFC 4380 qualification decides), sock 1
 *    sends the cone RS (answered from the secondary address: an
 *    endpoint-independent filter lets it in) and sock 2 the port probe
 *    (answered from port 3543 of the primary: address-dependent filter).
 *
 * 2. The judgement (natcheck_classify(), natcheck_verdict()): the findings
 *    (from the engine, plus what the tool learnt from routers and teredod)
 *    give the RFC 4787 behaviours, the Windows word, and the verdict per
 *    kind of peer from teredo-spec.md §5.2.
 */
#ifndef SHIPWORM_NATCHECK_NATCHECK_H
#define SHIPWORM_NATCHECK_NATCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "stun/stun.h"

#define NATCHECK_SOCKS 3
#define NATCHECK_RETRANS_MS 250
#define NATCHECK_HAIRPIN_SENDS 3 /* a few packets, to our own mapping only */

enum natcheck_behaviour {
	NATCHECK_UNKNOWN = 0,
	NATCHECK_EI, /* endpoint-independent */
	NATCHECK_AD, /* address-dependent */
	NATCHECK_APD /* address-and-port-dependent */
};

enum natcheck_tri { NATCHECK_NO = 0, NATCHECK_YES, NATCHECK_NOT_KNOWN };

struct natcheck_endpoint {
	uint32_t ipv4; /* host order */
	uint16_t port;
};

struct natcheck_cfg {
	struct natcheck_endpoint stun[2]; /* [1].ipv4 == 0: one server */
	uint32_t local_ipv4;		  /* the address toward stun[0] */
	uint16_t local_port[NATCHECK_SOCKS];
	uint8_t txid_base[STUN_TXID_LEN]; /* random (house rule 5) */
	uint32_t budget_ms;		  /* the whole run, e.g. 3000 */
	bool teredo; /* stun[] is a Teredo server's two addresses */
};

enum natcheck_probe_id {
	NC_BIND1,     /* sock 0 -> ip1:p1 */
	NC_BIND_IP2,  /* sock 0 -> ip2:p1 */
	NC_BIND_P2,   /* sock 0 -> ip1:p2 */
	NC_BIND_S2,   /* sock 0 -> second server */
	NC_FILT_BOTH, /* sock 1 -> ip1:p1, change ip+port */
	NC_FILT_PORT, /* sock 2 -> ip1:p1, change port */
	NC_HAIRPIN,   /* sock 0 -> own mapped address */
	NC_PROBES
};

struct natcheck_probe {
	bool active, answered;
	unsigned sends;
	uint64_t first_ms, next_ms;
	struct natcheck_endpoint dst;
	struct natcheck_endpoint mapped; /* the answer's (XOR-)MAPPED */
	struct natcheck_endpoint from;	 /* where the answer came from */
	bool has_other;
	struct natcheck_endpoint other;
	uint16_t error_code;
};

struct natcheck {
	struct natcheck_cfg cfg;
	uint64_t start_ms, end_ms;
	struct natcheck_probe p[NC_PROBES];
	unsigned bad_answers; /* malformed or unexpected datagrams */
	bool done;
};

/* One datagram to send. */
struct natcheck_tx {
	unsigned sock;
	struct natcheck_endpoint dst;
	uint8_t buf[128];
	size_t len;
};

/* What the engine found, and what the tool adds. */
struct natcheck_findings {
	bool udp;	  /* some STUN server answered */
	bool nat_present; /* mapped != local */
	bool rfc5780;	  /* the server gave OTHER-ADDRESS and answered */
	struct natcheck_endpoint local, mapped;
	enum natcheck_behaviour mapping, filtering;
	enum natcheck_tri port_preserving, hairpinning;
	bool mapping_varies; /* two servers saw different mappings */
	/* Filled by the tool from routers and teredod. */
	bool upnp, natpmp, pcp;
	bool upnp_connected; /* the IGD says its WAN is connected */
	uint32_t upnp_external, natpmp_external, pcp_external; /* 0 unknown */
	bool portmap_global; /* a protocol gave a usable global address */
	bool ipv6_global;
	const char *ipv6_address; /* text, or NULL */
	/* A STUN server answered over IPv6 (--stun6); NOT_KNOWN: not asked. */
	enum natcheck_tri ipv6_reachable;
	const char *ipv6_mapped;  /* what it saw, text, or NULL */
	const char *teredo_state; /* "qualified", ..., or NULL */
	/* Why a router answer was not used ("answered garbage"), or NULL. */
	const char *upnp_note, *natpmp_note, *pcp_note;
	/*
	 * The mapping test (UPnP, else NAT-PMP): a UDP mapping added, a STUN
	 * answer sent to it from outside (RFC 5780 RESPONSE-PORT) arrived,
	 * and it was removed.  NATCHECK_NOT_KNOWN when not tried.
	 */
	enum natcheck_tri map_added, map_reachable, map_removed;
	const char *map_proto; /* "upnp", "natpmp" or NULL */
};

void natcheck_start(struct natcheck *nc, const struct natcheck_cfg *cfg,
		    uint64_t now_ms);

/* A datagram for socket sock from src.  Never fails; bad ones are counted. */
void natcheck_on_udp(struct natcheck *nc, unsigned sock,
		     struct natcheck_endpoint src, const uint8_t *buf,
		     size_t len, uint64_t now_ms);

/* Fills up to cap datagrams due at now_ms; returns how many. */
size_t natcheck_poll(struct natcheck *nc, uint64_t now_ms,
		     struct natcheck_tx *out, size_t cap);

/* The next time poll() has something to do (or end_ms). */
uint64_t natcheck_deadline(const struct natcheck *nc, uint64_t now_ms);

/* Done: everything answered that can be, or the budget is spent. */
bool natcheck_is_done(const struct natcheck *nc, uint64_t now_ms);

/* A fraction 0..100 for the progress line. */
unsigned natcheck_progress(const struct natcheck *nc, uint64_t now_ms);

/* The STUN findings (the router and Teredo fields are zeroed). */
void natcheck_findings(const struct natcheck *nc, struct natcheck_findings *f);

/* RFC 4787 words: "endpoint-independent" ..., NULL for unknown. */
const char *natcheck_behaviour_name(enum natcheck_behaviour b);

/* Windows' `show state` NAT word (teredo-spec.md §8.3). */
const char *natcheck_windows_word(const struct natcheck_findings *f);

/* The kinds of network in teredo-spec.md §5.2. */
enum natcheck_kind {
	NK_PUBLIC,
	NK_FULLCONE,
	NK_RESTRICTED,
	NK_PORTRESTRICTED,
	NK_SYMMETRIC,
	NK_SYMMETRIC_UPNP,
	NK_SYMMETRIC_PP, /* port-preserving symmetric */
	NK_BLOCKED,
	NK_KINDS
};

const char *natcheck_kind_name(enum natcheck_kind k);

/* This network's kind; NK_KINDS when the findings do not say. */
enum natcheck_kind natcheck_kind_of(const struct natcheck_findings *f);

/*
 * Teredo between two clients (teredo-spec.md §5.2, right-hand side of
 * each cell), with the extensions Shipworm's teredod implements (RFC 4380
 * + 5991 + RFC 6081 SNS): true when the client behind `from` can reach
 * the client behind `to`.  ext_upnp / ext_pp: count the +UPnP / +PP
 * cells (extensions not yet in teredod: false).
 */
bool natcheck_teredo_works(enum natcheck_kind from, enum natcheck_kind to,
			   bool ext_upnp, bool ext_pp);

/* One line of the verdict. */
struct natcheck_verdict {
	const char *peer; /* "a peer behind a symmetric NAT" */
	bool supported;	  /* assistance works directly, some way */
	const char *path; /* "ipv6", "teredo", "ipv4-mapped", "public-ipv4", ...
			      or "none" */
	char why[200];	  /* plain words */
};

#define NATCHECK_VERDICT_MAX 10

/* Fills out[] (one line per kind of peer); returns how many. */
size_t natcheck_verdict(const struct natcheck_findings *f,
			struct natcheck_verdict *out, size_t cap);

/*
 * The report: plain text for a User, or JSON (README.md documents every
 * field).  -ENOBUFS when it does not fit cap.
 */
MUST_CHECK int natcheck_report(const struct natcheck_findings *f, bool json,
			       char *buf, size_t cap);

/* A router's external address is not what the outside sees. */
bool natcheck_is_double_nat(const struct natcheck_findings *f);

/* RFC 4380 §5.2.4-style "global unicast IPv4" test used for routers. */
bool natcheck_is_global_ipv4(uint32_t ipv4);

#endif
