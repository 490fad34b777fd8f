/*
 * A TCP port mapping on the router, as a lease: the port-mapping module
 * (issue 12 point 4) that `natcheck --map-tcp` exercises and `assist
 * offer` is meant to use (compile this file in; it needs lib/ and sys/).
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
#ifndef SHIPWORM_TOOLS_PORTLEASE_H
#define SHIPWORM_TOOLS_PORTLEASE_H

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

#endif
