/*
 * RFC 6081 §5.3, the UPnP-Enabled Symmetric NAT extension: the decisions,
 * sans-I/O (teredo-spec.md §4.3.3, §4.14.2; checklist Q12-Q14, X6, X7,
 * X21).  The UPnP exchange itself (AddPortMapping, GetExternalIPAddress,
 * DeletePortMapping) is the daemon's (daemons/teredod/upnp.c on
 * sys/portmap); what it learned comes here, and the client asks here where
 * to send.
 */
#ifndef SHIPWORM_TEREDO_UPNP_H
#define SHIPWORM_TEREDO_UPNP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "teredo/packet.h"

/* RFC 6081 §5.3.3: AddPortMapping's Description and LeaseDuration. */
#define TEREDO_UPNP_DESCRIPTION "TEREDO"
#define TEREDO_UPNP_LEASE_S 0

/* The client's RFC 6081 §5.3.1 globals. */
struct teredo_upnp {
	bool enabled;	   /* UPnP-Enabled NAT flag */
	uint32_t ipv4;	   /* UPnP-Mapped Address; 0: zeroed (single NAT) */
	uint16_t port;	   /* UPnP-Mapped Port */
	uint16_t reserved; /* the port the IGD reserved (kept for deletion) */
	uint32_t external; /* the IGD's external address (kept) */
};

/* X21: UPnP only with Symmetric NAT Support, and never for a relay. */
bool teredo_upnp_wanted(bool symmetric_nat_support, bool relay);

/*
 * Q12: AddPortMapping(ExternalPort = InternalPort = local_port) succeeded
 * and GetExternalIPAddress said ext_ipv4.  An external address that is not
 * global (0.0.0.0, private, loopback, shared ...) or is our own local_ipv4
 * (lib/portmap's portmap_external_ok) is refused:
 * -EADDRNOTAVAIL, and the flag stays off (the caller deletes the mapping).
 */
MUST_CHECK int teredo_upnp_mapped(struct teredo_upnp *u, uint32_t ext_ipv4,
				  uint32_t local_ipv4, uint16_t local_port);

/*
 * Q13: at each qualification, the server-learned mapping.  Equal to the
 * reservation: a single NAT, the UPnP mapping is zeroed; else (symmetric
 * or nested NATs) it is the reservation (an alternate address), again if
 * an earlier qualification had zeroed it.
 */
void teredo_upnp_qualified(struct teredo_upnp *u, uint32_t mapped_ipv4,
			   uint16_t mapped_port);

/*
 * X6 (RFC 6081 §5.3.4.1): a peer whose direct bubble came from a mapping
 * other than the one its address embeds is behind a symmetric NAT.
 */
bool teredo_upnp_peer_symmetric(uint32_t observed_ipv4, uint16_t observed_port,
				uint32_t embedded_ipv4, uint16_t embedded_port);

/*
 * X7 (RFC 6081 §5.3.4.2-3): we are symmetric, UPnP-enabled, our UPnP
 * mapping is zero and the peer is symmetric: bubbles and data go to the
 * peer's embedded mapping (its reservation), not the observed one.
 */
bool teredo_upnp_send_embedded(const struct teredo_upnp *u, bool symmetric,
			       bool peer_symmetric);

/*
 * X17 for the UPnP mapping (RFC 6081 §5.3.3: a UPnP mapping other than
 * the server's is kept "as an alternate address"; §5.6.4.1): our indirect
 * bubbles carry it in an Alternate Address trailer, appended to t when it
 * is non-zero and there is room.
 */
void teredo_upnp_add_alternate(const struct teredo_upnp *u,
			       struct teredo_trailers *t);

/*
 * X18 for a peer's reservation: a direct bubble goes to an alternate
 * address of a peer's indirect bubble only when it is on the peer's own
 * embedded IPv4 address (its NAT's reservation: a forged trailer cannot
 * aim our bubbles at a third party) and differs from the embedded mapping.
 */
bool teredo_upnp_alternate_usable(const struct teredo_alt_addr *a,
				  uint32_t embedded_ipv4,
				  uint16_t embedded_port);

/*
 * X18 on reception (RFC 6081 §5.3, teredo-spec.md §4.14.2: "the resulting
 * paths are asymmetric: inbound to the reserved mapping, outbound from a
 * NAT-chosen port"): did a trusted peer's packet come from the
 * reservation its indirect bubbles announced (reserved_port, on its
 * embedded IPv4; 0: none)?  When two UPnP-symmetric clients' indirect
 * bubbles cross, each X18 bubble opens its own path, and each side may
 * trust the other on a different one: A sends to B's NAT port of path 1
 * and is heard from A's reservation; B sends to A's NAT port of path 2
 * and is heard from B's reservation.  Such a packet is the peer's (as
 * RFC 4380 §5.2.3 rule 3 takes one from the embedded mapping); where we
 * send does not change, or the two sides would chase each other.
 */
bool teredo_upnp_from_reservation(uint32_t src_ipv4, uint16_t src_port,
				  uint32_t embedded_ipv4,
				  uint16_t reserved_port);

/*
 * Q14: the persisted UPnP-Mapped Port is a lib/portmap lease record
 * (portmap_record_format/parse: proto upnp, the IGD's control URL and
 * service, internal and external port), which daemons/teredod/upnp.c
 * keeps in the state directory while the mapping lives.
 */

#endif
