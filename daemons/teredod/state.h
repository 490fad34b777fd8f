/*
 * teredod's state across restarts (issue 15): the client's Teredo
 * address, kept in $STATE_DIRECTORY/teredod-IFNAME.state (systemd's
 * StateDirectory=shipworm: /var/lib/shipworm).  At start, an address saved
 * for the same server gives the client back its RFC 5991 random bits for
 * the mapping that address holds: if qualification finds the NAT mapping
 * unchanged, the address is the same as before the restart, and peers'
 * and DNS's idea of it stays true.  A different server or mapping, or no
 * or an unreadable file, and the bits are drawn afresh as always.
 * Without $STATE_DIRECTORY nothing is read or written.  Relays keep no
 * such state.
 */
#ifndef SHIPWORM_TEREDOD_STATE_H
#define SHIPWORM_TEREDOD_STATE_H

#include <stdbool.h>

#include "teredo/client.h"
#include "wire/ip6.h"

struct teredod_state {
	int fd; /* -1: no state file */
	bool have_saved;
	struct ip6_addr saved;
};

/*
 * Before the privilege drop: opens the state file for the interface (a
 * failure is logged, and the daemon runs without), and hands the client
 * the random bits of a saved address of the same server.
 */
void state_restore(struct teredod_state *s, const char *ifname,
		   struct teredo_client *c);

/* Records a new address (nothing written when it is the saved one). */
void state_save(struct teredod_state *s, const struct ip6_addr *addr);

void state_close(struct teredod_state *s);

#endif
