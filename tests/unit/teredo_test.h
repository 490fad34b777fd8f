/* Helpers shared by the unit tests of the Teredo state machines. */
#ifndef SHIPWORM_TESTS_TEREDO_TEST_H
#define SHIPWORM_TESTS_TEREDO_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "teredo/addr.h"

/* The state machines' `random` callback for tests: a deterministic
 * xorshift64 stream, so that every run draws the same nonces. */
static inline void
test_random_fill(uint64_t *state, void *buf, size_t n)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		p[i] = (uint8_t)*state;
	}
}

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
