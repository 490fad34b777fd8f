/*
 * Helpers shared by the libFuzzer targets.  A failed check is a finding:
 * it prints what failed and abort()s, so libFuzzer saves the input as a
 * crash artifact and the meson test fails.
 */
#ifndef SHIPWORM_FUZZ_COMMON_H
#define SHIPWORM_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teredo/packet.h"
#include "wire/be.h"
#include "wire/ip6.h"

/* The libFuzzer entry point; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/*
 * A heap copy of exactly `len` bytes, so ASan reports any access past the
 * end (a static buffer would hide it).
 */
static inline uint8_t *
fuzz_alloc(size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort();
	return p;
}

static inline uint8_t *
fuzz_dup(const uint8_t *data, size_t len)
{
	uint8_t *p = fuzz_alloc(len);

	if (len > 0)
		memcpy(p, data, len);
	return p;
}

/* The input as a C string in a heap block of exactly len + 1 bytes, so
 * that ASan sees any read past the terminator. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		abort();
	if (len > 0)
		memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

/* memcmp with a zero length and a NULL pointer is undefined; this is not. */
static inline bool
fuzz_bytes_equal(const void *a, const void *b, size_t len)
{
	return len == 0 || memcmp(a, b, len) == 0;
}

/* The 16-bit one's complement of a big-endian field (obfuscated ports). */
static inline uint16_t
fuzz_be16_inv(const uint8_t *p)
{
	return (uint16_t)(be16_load(p) ^ 0xffffu);
}

/* Every field a parse fills in, but not the bookkeeping of what was junk. */
static inline bool
fuzz_trailers_equal(const struct teredo_trailers *a,
		    const struct teredo_trailers *b)
{
	if (a->has_nonce != b->has_nonce ||
	    (a->has_nonce && a->nonce != b->nonce))
		return false;
	if (a->alt_count != b->alt_count)
		return false;
	for (unsigned i = 0; i < a->alt_count && i < TEREDO_ALT_ADDR_MAX; i++)
		if (a->alt[i].ipv4 != b->alt[i].ipv4 ||
		    a->alt[i].port != b->alt[i].port)
			return false;
	if (a->has_nd_option != b->has_nd_option ||
	    (a->has_nd_option && a->nd_discovery_type != b->nd_discovery_type))
		return false;
	return a->has_random_port == b->has_random_port &&
	       (!a->has_random_port || a->random_port == b->random_port);
}

/* The bytes teredo_trailers_write() produces for `t`. */
static inline size_t
fuzz_trailers_len(const struct teredo_trailers *t)
{
	return (t->has_nonce ? 6u : 0u) +
	       (t->alt_count > 0 ? 4u + 6u * t->alt_count : 0u) +
	       (t->has_nd_option ? 6u : 0u) + (t->has_random_port ? 4u : 0u);
}

/* What a parse may ever report, whatever the input. */
static inline void
fuzz_check_trailers(const struct teredo_trailers *t, size_t len)
{
	FUZZ_CHECK(t->alt_count <= TEREDO_ALT_ADDR_MAX);
	for (unsigned i = 0; i < t->alt_count && i < TEREDO_ALT_ADDR_MAX; i++) {
		/* RFC 6081 §4.3: unicast IPv4, non-zero port. */
		FUZZ_CHECK(t->alt[i].ipv4 != 0);
		FUZZ_CHECK(t->alt[i].ipv4 < 0xe0000000u);
		FUZZ_CHECK(t->alt[i].port != 0);
	}
	FUZZ_CHECK(!t->has_nd_option || t->nd_discovery_type <= 1);
	FUZZ_CHECK(t->unparsed_len <= len);
	/* Each trailer kept was read from at least as many bytes. */
	FUZZ_CHECK(fuzz_trailers_len(t) <= len - t->unparsed_len);
}

static inline bool
fuzz_ip6_header_equal(const struct ip6_header *a, const struct ip6_header *b)
{
	return a->traffic_class == b->traffic_class &&
	       a->flow_label == b->flow_label &&
	       a->payload_len == b->payload_len &&
	       a->next_header == b->next_header &&
	       a->hop_limit == b->hop_limit &&
	       ip6_addr_equal(&a->src, &b->src) &&
	       ip6_addr_equal(&a->dst, &b->dst);
}

#endif
