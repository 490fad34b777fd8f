/*
 * struct wr: a bounds-checked writer into a caller-owned buffer.  Fields are
 * given in host order and written big-endian.  Writing past `cap` writes
 * nothing and sets the sticky `bad` flag; wr_status() turns that into
 * -ENOBUFS for the caller.
 */
#ifndef SHIPWORM_WIRE_WR_H
#define SHIPWORM_WIRE_WR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "wire/be.h"

struct wr {
	uint8_t *buf; /* borrowed for the writer's lifetime */
	size_t cap;
	size_t off;
	bool bad;
};

static inline void
wr_init(struct wr *wr, void *buf, size_t cap)
{
	wr->buf = buf;
	wr->cap = cap;
	wr->off = 0;
	wr->bad = false;
}

/* Reserves n bytes and returns a pointer to them, or NULL (and bad). */
static inline uint8_t *
wr_take(struct wr *wr, size_t n)
{
	uint8_t *p;

	if (wr->bad || n > wr->cap - wr->off) {
		wr->bad = true;
		return NULL;
	}
	p = wr->buf + wr->off;
	wr->off += n;
	return p;
}

static inline void
wr_u8(struct wr *wr, uint8_t v)
{
	uint8_t *p = wr_take(wr, 1);

	if (p != NULL)
		p[0] = v;
}

static inline void
wr_u16(struct wr *wr, uint16_t v)
{
	uint8_t *p = wr_take(wr, 2);

	if (p != NULL)
		be16_store(p, v);
}

static inline void
wr_u32(struct wr *wr, uint32_t v)
{
	uint8_t *p = wr_take(wr, 4);

	if (p != NULL)
		be32_store(p, v);
}

static inline void
wr_bytes(struct wr *wr, const void *src, size_t n)
{
	uint8_t *p = wr_take(wr, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

static inline void
wr_zero(struct wr *wr, size_t n)
{
	uint8_t *p = wr_take(wr, n);

	if (p != NULL)
		memset(p, 0, n);
}

/* Overwrites a 16-bit field already written at offset `at` (a checksum). */
static inline void
wr_patch_u16(struct wr *wr, size_t at, uint16_t v)
{
	if (!wr->bad && at + 2 <= wr->off)
		be16_store(wr->buf + at, v);
}

static inline MUST_CHECK int
wr_status(const struct wr *wr)
{
	return wr->bad ? -ENOBUFS : 0;
}

#endif
