/* Helpers shared by the unit tests of the Teredo state machines. */
#ifndef SHIPWORM_TESTS_TEREDO_TEST_H
#define SHIPWORM_TESTS_TEREDO_TEST_H

#include "teredo/addr.h"

/* The Teredo address of `ipv4:port` served by `server` (flags 0). */
static inline struct ip6_addr
teredo(uint32_t server, uint32_t ipv4, uint16_t port)
{
	struct teredo_addr t = {.prefix = TEREDO_PREFIX,
				.server_ipv4 = server,
				.mapped_ipv4 = ipv4,
				.mapped_port = port};
	struct ip6_addr a;

	teredo_addr_write(&t, &a);
	return a;
}

#endif
