/*
 * teredod's privilege separation (ARCHITECTURE.md "Privilege separation",
 * after OpenBSD ntpd): once the privileged set-up is done (sockets, TUN,
 * link configuration, the relay's route), the process forks.
 *
 *   parent (privileged)                     engine (child)
 *   user shipworm, CAP_NET_ADMIN only,      user shipworm, no capability,
 *   seccomp: netlink, the channel           chroot (-t), seccomp
 *   validates each request             <--  parses every packet, asks over
 *   (lib/privsep privsep_check) and         the channel to set or remove
 *   does it with rtnetlink             -->  the address, the default route
 *                                           or the relay's prefix route
 *
 * Either one ending ends the other: the engine watches the channel (EOF)
 * and asks for SIGTERM at its parent's death; the parent watches the
 * channel and SIGCHLD.  On SIGTERM the parent removes what it applied and
 * stops the engine; the TUN device goes with it.
 */
#ifndef SHIPWORM_TEREDOD_PRIVSEP_H
#define SHIPWORM_TEREDOD_PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

#include "privsep/privsep.h"
#include "sys/tun.h"

#include "../common/cli.h"

struct ev_loop;

struct privsep {
	int fd;	    /* this side's end of the channel */
	pid_t peer; /* parent: the engine; engine: the parent */
	uint32_t seq;
	/* The parent's. */
	struct privsep_policy policy;
	char ifname[TUN_NAME_MAX];
	struct daemon_cli *cli;
	struct ev_loop *loop;
	bool engine_ready, engine_failed;
	bool have_addr, have_default, have_prefix; /* what it applied */
	uint8_t addr[16], prefix[16];
	uint64_t refused; /* requests privsep_check() refused */
};

/*
 * Forks.  In the engine, returns 0 with *is_engine true.  In the parent,
 * runs the parent until the end and returns the daemon's exit status
 * (>= 0) with *is_engine false.  -errno before the fork.  prefix_routed:
 * the relay's prefix route is already in place (set up before the fork).
 */
MUST_CHECK int privsep_start(struct privsep *ps, struct daemon_cli *cli,
			     const struct privsep_policy *policy,
			     const char *ifname, bool prefix_routed,
			     bool *is_engine);

/*
 * The engine, once set up: drops to the user (no capability, chroot),
 * asks for SIGTERM at the parent's death, installs its seccomp filter,
 * watches the channel in loop and tells the parent it is ready.  -errno.
 */
MUST_CHECK int privsep_engine_lockdown(struct privsep *ps,
				       struct ev_loop *loop);

/* The engine asks; the parent's answer: 0 or -errno (-EPERM refused). */
MUST_CHECK int privsep_request(struct privsep *ps, struct privsep_msg *m);

#endif
