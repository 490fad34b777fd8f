/* natcheck's port-mapping mode (portmap.c). */
#ifndef SHIPWORM_TOOLS_NATCHECK_TOOL_H
#define SHIPWORM_TOOLS_NATCHECK_TOOL_H

#include <stdbool.h>
#include <stdint.h>

struct portmap_cli {
	bool map;	    /* --map-tcp */
	uint16_t int_port;  /* the local TCP port */
	uint32_t lease_s;   /* --lease */
	uint32_t hold_s;    /* --hold: 0 = until SIGTERM/SIGINT */
	const char *record; /* --record FILE: the lease record */
	const char *stale;  /* --unmap-stale FILE */
	uint32_t renew_s;   /* --renew: 0 = half the lease */
	int proto;	    /* --proto: 0 any, else enum portmap_proto */
};

/* Runs --map-tcp / --unmap-stale against gateway gw; the exit status. */
int portmap_cli_run(const struct portmap_cli *c, uint32_t gw);

#endif
