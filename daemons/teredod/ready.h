/*
 * teredod's readiness and status for systemd (Type=notify, sys/notify.h):
 * READY=1 once the client is qualified or has failed to qualify (offline,
 * the reason in the log and in STATUS=), at once for a relay; STATUS=
 * each time the state or the address changes afterwards.
 */
#ifndef SHIPWORM_TEREDOD_READY_H
#define SHIPWORM_TEREDOD_READY_H

#include <stdbool.h>
#include <stddef.h>

#include "teredo/client.h"

struct ready {
	bool told;			/* a first STATUS= sent */
	bool ready;			/* READY=1 sent */
	enum teredo_client_state state; /* last told */
	bool have_addr;
	struct ip6_addr addr;
};

/*
 * The STATUS= text for the client's state into out[cap]; whether it is
 * a state in which the daemon counts as started (qualified, offline,
 * relay).  Pure: the unit test calls it.
 */
bool ready_status(const struct teredo_client *c, const char *server, char *out,
		  size_t cap);

/* After each loop turn: tells systemd what changed since the last call. */
void ready_update(struct ready *r, const struct teredo_client *c,
		  const char *server);

#endif
