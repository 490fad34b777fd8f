/*
 * A TCP port mapping on the router, as a lease: the port-mapping module
 * (issue 12 point 4) shared by `natcheck --map-tcp` and `assist offer`'s
 * lease process (apps/assist/offer_portmap.c).
 * Policy from lib/portmap (protocol order UPnP IGD, NAT-PMP, PCP; never an
 * external address that is not global, is 0.0.0.0 or is ours; renewal at
 * half the lease), I/O from sys/portmap.  Blocking calls, each router
 * exchange bounded (about 3 s).
 *
 *   portlease_open()    maps; then portlease_save() writes the record
 *   portlease_renew()   before portmap_renew_ms(lease_s) has passed
 *   portlease_close()   deletes; portlease_listed() asks the IGD again
 *   portlease_remove_stale(path)  at start: a crashed run's mapping
 */
#ifndef SHIPWORM_SYS_PORTLEASE_H
#define SHIPWORM_SYS_PORTLEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "portmap/portmap.h"
#include "sys/portmap.h"

/* Receives one line per refused attempt ("UPnP IGD: ... not usable"). */
typedef void portlease_log_fn(void *arg, const char *line);

struct portlease {
	struct portmap_record rec; /* what to delete: the lease record */
	struct portmap_upnp upnp;  /* the IGD, for UPnP */
	uint32_t external_ipv4;	   /* the router's external address */
	uint32_t lease_s;	   /* granted; 0: permanent (UPnP) */
	uint32_t want_lease_s;	   /* asked for */
	enum portmap_proto only;   /* PORTMAP_NONE: any, in order */
	portlease_log_fn *log;
	void *log_arg;
};

/*
 * Maps TCP port int_port of this host on gateway gw for lease_s seconds.
 * -ENOENT: no router gave a usable mapping (log says why), -errno.
 */
MUST_CHECK int portlease_open(struct portlease *l, uint32_t gw,
			      uint16_t int_port, uint32_t lease_s,
			      enum portmap_proto only, portlease_log_fn *log,
			      void *log_arg);
/* Renews with the same protocol (and PCP nonce).  -EPROTO, -errno. */
MUST_CHECK int portlease_renew(struct portlease *l);
/* Deletes the mapping.  0 when the router agreed or had none. */
MUST_CHECK int portlease_close(const struct portlease *l);
/* UPnP: whether the IGD still lists it; others: -ENOTSUP. */
MUST_CHECK int portlease_listed(const struct portlease *l, bool *listed);
/* Writes the lease record (mode 0600). */
MUST_CHECK int portlease_save(const struct portlease *l, const char *path);
/*
 * Deletes the mapping recorded at path, then the file.  0 with *removed
 * false when there is no record; -EBADMSG for a file that is not one (left
 * alone); else the deletion's error (the record stays).  *rec: the record.
 */
MUST_CHECK int portlease_remove_stale(const char *path,
				      struct portmap_record *rec,
				      bool *removed);

/*
 * The lease kept by a small keeper process (assist offer's global IPv4
 * candidate; the pattern of sys/upnpkeep.h).  portlease_keep_start() forks
 * the keeper (proc_keeper_start(), a double fork: no child of the caller,
 * so the caller reaps nothing and its SIGCHLD handling sees only its own
 * children), which
 *   - removes the mappings of crashed runs recorded in record_dir
 *     (files portmap-PID.lease whose keeper PID is gone),
 *   - maps TCP int_port on the default gateway (UPnP IGD, else NAT-PMP,
 *     else PCP; never on an external address that is not global, is
 *     0.0.0.0 or ours), writes its record portmap-PID.lease (0600),
 *   - reports the outcome, then renews the lease at portmap_renew_ms(),
 * and deletes the mapping and its record when every copy of the caller's
 * hold descriptor is closed (the caller's end, a crash included) or on
 * SIGTERM/SIGINT, then exits, which closes *done: portlease_keep_release()
 * waits for that, so a caller that has returned from it leaves no mapping
 * on the router.  Its log lines ("<UTC time> port mapping: ...") are
 * appended to log_path.  Both descriptors are close-on-exec: a program the
 * caller execs holds neither.
 */
struct portlease_keep_opts {
	uint32_t gateway;	/* 0: the default IPv4 gateway */
	uint16_t int_port;	/* TCP port of this host */
	uint32_t lease_s;	/* asked for (at least PORTMAP_LEASE_MIN_S) */
	uint32_t renew_s;	/* 0: portmap_renew_ms(granted); else every S */
	const char *record_dir; /* NULL: no record, no stale removal */
	const char *log_path;	/* NULL: no log */
};

struct portlease_keep_result {
	int32_t rc;    /* 0 mapped; -ENOENT no usable router; -errno */
	uint8_t proto; /* enum portmap_proto */
	uint16_t external_port;
	uint32_t internal_ipv4, external_ipv4;
	uint32_t lease_s; /* granted; 0 permanent (UPnP) */
	uint32_t stale_removed;
	char why[256]; /* the routers' refusals, "; "-separated */
};

/*
 * Starts the keeper and waits at most wait_ms for its outcome (the
 * keeper's exchanges take longer without a router: UPnP discovery alone
 * waits 1 s).  0 with res->rc the outcome; when res->rc is 0, *hold and
 * *done are the descriptors for portlease_keep_release(), else the keeper
 * has ended (or ends without mapping: -ETIMEDOUT).  -errno (fork, pipe).
 */
MUST_CHECK int portlease_keep_start(const struct portlease_keep_opts *o,
				    int wait_ms,
				    struct portlease_keep_result *res,
				    int *hold, int *done);

/*
 * Closes *hold (the keeper then deletes the mapping), and waits at most
 * wait_ms for the keeper to be done.  0, or -ETIMEDOUT (it carries on
 * alone; the record lets the next start finish the job).  Only close and
 * poll/read: callable from a sandboxed process.
 */
MUST_CHECK int portlease_keep_release(int *hold, int *done, int wait_ms);

#endif
