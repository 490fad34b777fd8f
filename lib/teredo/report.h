/*
 * What `teredoctl` prints: the client's state in the fields, order and
 * vocabulary of Windows' `netsh interface teredo show state`
 * (teredo-spec.md §8), its peers and its counters; each as text or JSON.
 * Pure formatting into a caller's buffer; -ENOBUFS when it does not fit.
 */
#ifndef SHIPWORM_TEREDO_REPORT_H
#define SHIPWORM_TEREDO_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "teredo/client.h"
#include "teredo/server.h"

/* What the daemon knows that the state machine does not. */
struct teredo_report_info {
	const char *type;	  /* "client", "relay", "server" */
	const char *server_name;  /* as configured */
	uint16_t configured_port; /* 0: "unspecified" */
	bool upnp;		  /* RFC 6081 UPnP-Enabled NAT flag */
	uint64_t now_ms;
};

MUST_CHECK int teredo_report_state(const struct teredo_client *c,
				   const struct teredo_report_info *info,
				   bool json, char *buf, size_t cap);
MUST_CHECK int teredo_report_peers(const struct teredo_client *c,
				   const struct teredo_report_info *info,
				   bool json, char *buf, size_t cap);
/* A daemon's own counter (its data path), shown after the client's. */
struct teredo_report_counter {
	const char *name;
	uint64_t value;
};

MUST_CHECK int
teredo_report_client_stats(const struct teredo_client *c,
			   const struct teredo_report_counter *extra,
			   size_t n_extra, bool json, char *buf, size_t cap);

MUST_CHECK int teredo_report_server_state(const struct teredo_server *s,
					  bool json, char *buf, size_t cap);
MUST_CHECK int teredo_report_server_stats(const struct teredo_server *s,
					  bool json, char *buf, size_t cap);

#endif
