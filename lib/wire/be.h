/*
 * Big-endian (network order) 16- and 32-bit fields at a pointer, for the
 * cursors (rd.h, wr.h) and for fields patched in place in a buffer whose
 * bounds the caller has already checked (segmentation, checksums).
 * Untrusted input is read through struct rd, never with these directly.
 */
#ifndef SHIPWORM_WIRE_BE_H
#define SHIPWORM_WIRE_BE_H

#include <stdint.h>

static inline uint16_t
be16_load(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
be32_load(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void
be16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_store(uint8_t *p, uint32_t v)
{
	be16_store(p, (uint16_t)(v >> 16));
	be16_store(p + 2, (uint16_t)v);
}

#endif
