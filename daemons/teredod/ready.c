/* teredod's sd_notify readiness and status.  See ready.h. */
#include "ready.h"

#include <stdio.h>
#include <string.h>

#include "sys/log.h"
#include "sys/notify.h"
#include "wire/ip6.h"

bool
ready_status(const struct teredo_client *c, const char *server, char *out,
	     size_t cap)
{
	char addr[IP6_ADDR_TEXT_LEN];

	switch (c->state) {
	case TEREDO_CLIENT_QUALIFIED:
		if (c->have_addr)
			ip6_addr_format(&c->addr, addr);
		snprintf(out, cap, "qualified: %s, server %s",
			 c->have_addr ? addr : "no address", server);
		return true;
	case TEREDO_CLIENT_OFFLINE:
		snprintf(out, cap, "offline: %s (server %s); retrying",
			 c->error != NULL ? c->error : "no reason", server);
		return true;
	case TEREDO_CLIENT_RELAY:
		snprintf(out, cap, "relay: routing the Teredo prefix");
		return true;
	case TEREDO_CLIENT_PROBE_PRIMARY:
	case TEREDO_CLIENT_PROBE_SECONDARY:
		snprintf(out, cap, "qualifying: %s, server %s",
			 teredo_client_state_name(c->state), server);
		return false;
	case TEREDO_CLIENT_IDLE:
	default:
		snprintf(out, cap, "starting");
		return false;
	}
}

void
ready_update(struct ready *r, const struct teredo_client *c, const char *server)
{
	char status[NOTIFY_MSG_MAX];
	bool started;
	int rc;

	if (r->told && r->state == c->state && r->have_addr == c->have_addr &&
	    (!c->have_addr || memcmp(&r->addr, &c->addr, sizeof(r->addr)) == 0))
		return;
	started = ready_status(c, server, status, sizeof(status));
	r->told = true;
	r->state = c->state;
	r->have_addr = c->have_addr;
	r->addr = c->addr;
	if ((rc = notify_status(started && !r->ready, status)) < 0)
		log_warn(rc, "cannot notify the service manager");
	r->ready = r->ready || started;
}
