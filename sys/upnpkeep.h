/*
 * A UPnP IGD port mapping held by a small keeper process (teredod's RFC
 * 6081 §5.3 reservation; ARCHITECTURE.md "UPnP reservation").
 *
 * upnpkeep_start() forks the keeper, which
 *   - drops to `user` (no capability; miniupnpc's HTTP and XML parsing
 *     never runs with privilege),
 *   - deletes the mapping a crashed run recorded at `record` (Q14),
 *   - discovers the IGD, AddPortMapping(ext_port -> this host:int_port,
 *     lease, desc), reads GetExternalIPAddress, writes the record,
 *   - reports the outcome to the caller, then waits;
 * and deletes the mapping and the record when every copy of the caller's
 * hold descriptor is closed (teredod's parent and engine both gone, a
 * crash included) or on SIGTERM/SIGINT (systemd stopping the unit's whole
 * control group).  The keeper is no child of the caller (a double fork,
 * proc_keeper_start()), so the caller's SIGCHLD handling sees only its own
 * children.
 */
#ifndef SHIPWORM_SYS_UPNPKEEP_H
#define SHIPWORM_SYS_UPNPKEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "sys/portmap.h"

struct upnpkeep_opts {
	const char *proto; /* "UDP" or "TCP" */
	uint16_t int_port, ext_port;
	uint32_t lease_s;
	const char *desc;
	const char *record; /* NULL: no record */
	const char *user;   /* NULL: keep the uid */
	int discover_ms;
	/* The record's text for u (lib/portmap's format); 0 or -errno. */
	int (*format)(const struct portmap_upnp *u, uint16_t ext_port,
		      char *buf, size_t cap, void *arg);
	/* A stale record's IGD and port; -EBADMSG when it is none. */
	int (*parse)(const char *text, size_t len, struct portmap_upnp *u,
		     uint16_t *ext_port, void *arg);
	void *arg;
};

struct upnpkeep_result {
	int32_t rc;		/* 0 mapped; -ENOENT no IGD; > 0 UPnP error */
	uint32_t lan_ipv4;	/* our address on the IGD's side */
	uint32_t external_ipv4; /* GetExternalIPAddress; 0 if none */
	uint8_t stale_removed;	/* 1: a recorded mapping was deleted */
};

/*
 * Starts the keeper and waits for its outcome (at most wait_ms).  On 0,
 * *hold is the descriptor to keep open while the mapping must live
 * (close-on-exec); closing it (or exiting) deletes the mapping.  *res says
 * what the keeper did; when res->rc != 0 the keeper has already ended.
 */
MUST_CHECK int upnpkeep_start(const struct upnpkeep_opts *o, int wait_ms,
			      struct upnpkeep_result *res, int *hold);

/* Closes *hold (-1 after): the keeper deletes the mapping once no copy is
 * left open. */
void upnpkeep_release(int *hold);

#endif
