/*
 * The router's port mapping as a candidate (issue 12 point 4;
 * remote-assistance.md §3): at setup, before the invitation is written,
 * the offer asks its router (UPnP IGD, else NAT-PMP, else PCP) to map the
 * TCP port of its IPv4 listener, and offers the external address as
 * `cand=upnp|natpmp|pcp A.B.C.D:PORT`.  A Helper anywhere on the Internet
 * reaches that one, whatever its own NAT: the pairing Teredo cannot
 * connect (a symmetric NAT to a port-restricted one) works through it.
 *
 * The lease lives in a keeper process (sys/portlease.h), forked here at
 * setup and nowhere else (the network-facing process is to be sandboxed
 * after setup): it renews the lease while the offer lives and deletes the
 * mapping at the offer's end, on SIGTERM, and when the offer dies (its
 * hold pipe's EOF: not PR_SET_PDEATHSIG, because the process that forks
 * is not the one that serves when tmux attaches in the User's terminal).
 * A crash of both leaves a record (portmap-PID.lease in --dir, else in
 * $XDG_STATE_HOME/shipworm-assist) that the next offer's keeper removes.
 * The offer's loop never talks to the router: it only closes a pipe.
 *
 * The invitation waits at most PORTMAP_WAIT_MS for the mapping (an IGD
 * answers within milliseconds, but UPnP discovery alone waits 1 s); a
 * later mapping is not offered (and deleted at once).  Never a mapping
 * on an external address that is not global, is 0.0.0.0 or is ours:
 * then no candidate, and the session log says why.
 */
#include "offer.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "sys/path.h"
#include "sys/portlease.h"

#define PORTMAP_WAIT_MS 3000
#define PORTMAP_LEASE_S 600 /* renewed at half; a crash leaves <= 10 min */
#define PORTMAP_RELEASE_MS 4000

static int pm_hold = -1, pm_done = -1;
static char pm_dir[PATH_MAX - 32];

/* Where lease records live: --dir, else a per-user state directory that
 * outlives the offer (the next start must find a crashed run's record). */
static bool
record_dir(const struct offer *o, bool dir_given)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (dir_given)
		snprintf(pm_dir, sizeof(pm_dir), "%s", o->dir);
	else if (state != NULL && state[0] == '/')
		snprintf(pm_dir, sizeof(pm_dir), "%s/shipworm-assist", state);
	else if (home != NULL && home[0] == '/')
		snprintf(pm_dir, sizeof(pm_dir),
			 "%s/.local/state/shipworm-assist", home);
	else
		return false;
	return path_mkdir_private(pm_dir) == 0;
}

void
portmap_cand_setup(struct offer *o, bool on, bool dir_given)
{
	struct assist_invite *inv = &o->inv;
	struct portlease_keep_opts opts = {.lease_s = PORTMAP_LEASE_S,
					   .log_path = o->log_path};
	struct portlease_keep_result res;
	struct assist_cand *c = NULL;
	char ext[IPV4_TEXT_LEN], text[ASSIST_CAND_TEXT];
	uint64_t t0 = offer_now(o);
	int rc;

	if (!on) {
		offer_log(o, "no port-mapping candidate: --no-portmap");
		return;
	}
	/* For tests: renew every S seconds rather than at half the lease. */
	if (getenv("SHIPWORM_PORTMAP_RENEW_S") != NULL) {
		long v = strtol(getenv("SHIPWORM_PORTMAP_RENEW_S"), NULL, 10);

		opts.renew_s = v > 0 && v < 86400 ? (uint32_t)v : 0;
	}
	for (unsigned i = 0; i < inv->cand_count && opts.int_port == 0; i++)
		if (inv->cand[i].kind == ASSIST_CAND_IPV4)
			opts.int_port = inv->cand[i].port;
	if (opts.int_port == 0) {
		offer_log(o, "no port-mapping candidate: no IPv4 listener");
		return;
	}
	opts.record_dir = record_dir(o, dir_given) ? pm_dir : NULL;
	if (opts.record_dir == NULL)
		offer_log(o, "port mapping: no directory for the lease record "
			     "(a crash would leave the mapping until its "
			     "lease ends)");
	rc = portlease_keep_start(&opts, PORTMAP_WAIT_MS, &res, &pm_hold,
				  &pm_done);
	if (rc < 0) {
		offer_log(o, "no port-mapping candidate: %s", strerror(-rc));
		return;
	}
	if (res.rc != 0) {
		offer_log(o, "no port-mapping candidate: %s", res.why);
		return;
	}
	ipv4_format(res.external_ipv4, ext);
	/* The mapping leads to res.internal_ipv4:int_port: ours? */
	for (unsigned i = 0; i < inv->cand_count; i++) {
		const struct assist_cand *h = &inv->cand[i];

		if (h->kind == ASSIST_CAND_IPV4 && h->a4 == res.external_ipv4) {
			offer_log(o,
				  "no port-mapping candidate: the router's "
				  "external address %s is this host's own",
				  ext);
			goto drop;
		}
	}
	{
		bool listening = false;

		for (unsigned i = 0; i < inv->cand_count; i++)
			listening |= inv->cand[i].kind == ASSIST_CAND_IPV4 &&
				     inv->cand[i].a4 == res.internal_ipv4 &&
				     inv->cand[i].port == opts.int_port;
		if (!listening) {
			offer_log(o,
				  "no port-mapping candidate: this host's "
				  "address toward the router has no listener "
				  "on port %u",
				  opts.int_port);
			goto drop;
		}
	}
	if (inv->cand_count == ASSIST_CAND_MAX) {
		offer_log(o, "no port-mapping candidate: already %u candidates",
			  inv->cand_count);
		goto drop;
	}
	c = &inv->cand[inv->cand_count];
	memset(c, 0, sizeof(*c));
	c->kind = res.proto == PORTMAP_UPNP	? ASSIST_CAND_UPNP
		  : res.proto == PORTMAP_NATPMP ? ASSIST_CAND_NATPMP
						: ASSIST_CAND_PCP;
	c->a4 = res.external_ipv4;
	c->port = res.external_port;
	inv->cand_count++;
	assist_cand_format(c, text);
	offer_log(o,
		  "port mapping: %s (lease %u s%s, after %llu ms), renewed "
		  "while the offer lives",
		  text, res.lease_s, res.lease_s ? "" : ", permanent",
		  (unsigned long long)(offer_now(o) - t0));
	return;
drop:
	if (portlease_keep_release(&pm_hold, &pm_done, PORTMAP_RELEASE_MS) < 0)
		offer_log(o, "port mapping: the keeper did not confirm the "
			     "deletion in time");
}

void
portmap_cand_stop(struct offer *o)
{
	if (pm_hold < 0)
		return;
	if (portlease_keep_release(&pm_hold, &pm_done, PORTMAP_RELEASE_MS) < 0)
		offer_log(o, "port mapping: the keeper did not confirm the "
			     "deletion in time (it carries on alone)");
	else
		offer_log(o, "port mapping: deleted");
}
