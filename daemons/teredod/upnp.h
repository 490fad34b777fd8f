/*
 * teredod's RFC 6081 §5.3 port reservation (checklist Q12, Q14): before
 * the privilege separation fork, a keeper process (sys/upnpkeep.h) maps
 * UDP service port -> service port on the UPnP IGD, as the daemon's user,
 * and holds it; lib/teredo/upnp.h decides whether it is usable.  Design
 * (ARCHITECTURE.md "UPnP reservation"): the engine, which parses every
 * packet, stays without any TCP socket under seccomp; the privileged parent
 * never runs miniupnpc; the keeper parses the IGD's answers with no
 * privilege and no tunnel, and deletes the mapping when teredod ends
 * (parent and engine gone, a crash included) or is stopped.  The lease is
 * permanent (LeaseDuration 0, RFC 6081 §5.3.3), so there is no renewal;
 * the record in $STATE_DIRECTORY covers a keeper killed too (Q14).
 */
#ifndef SHIPWORM_TEREDOD_UPNP_H
#define SHIPWORM_TEREDOD_UPNP_H

#include <stdbool.h>
#include <stdint.h>

#include "teredo/upnp.h"

/*
 * Reserves local_port when wanted (teredo_upnp_wanted); fills *u (not
 * enabled when there is no usable IGD) and *hold (-1: nothing held).
 * Never fails the daemon: without UPnP it goes on (RFC 6081 §5.3.3).
 */
void teredod_upnp_reserve(const char *ifname, const char *user,
			  uint16_t local_port, bool symmetric_nat_support,
			  bool relay, struct teredo_upnp *u, int *hold);

#endif
