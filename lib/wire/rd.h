/*
 * struct rd: the one bounds-checked cursor through which untrusted bytes are
 * read.  Every getter returns big-endian fields in host order.  A read past
 * the end returns zeroes and sets the sticky `bad` flag, so a parser may read
 * a whole header and check `bad` once.  The input is never written to.
 */
#ifndef SHIPWORM_WIRE_RD_H
#define SHIPWORM_WIRE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/be.h"

struct rd {
	const uint8_t *buf; /* borrowed for the cursor's lifetime */
	size_t len;
	size_t off;
	bool bad;
};

static inline void
rd_init(struct rd *rd, const void *buf, size_t len)
{
	rd->buf = buf;
	rd->len = len;
	rd->off = 0;
	rd->bad = false;
}

static inline size_t
rd_left(const struct rd *rd)
{
	return rd->len - rd->off;
}

/* Reserves n bytes and returns a pointer to them, or NULL (and bad). */
static inline const uint8_t *
rd_take(struct rd *rd, size_t n)
{
	const uint8_t *p;

	if (rd->bad || n > rd_left(rd)) {
		rd->bad = true;
		return NULL;
	}
	p = rd->buf + rd->off;
	rd->off += n;
	return p;
}

/* Looks at the byte at offset `at` from the cursor without consuming it. */
static inline uint8_t
rd_peek_u8(const struct rd *rd, size_t at)
{
	if (rd->bad || at >= rd_left(rd))
		return 0;
	return rd->buf[rd->off + at];
}

static inline uint8_t
rd_u8(struct rd *rd)
{
	const uint8_t *p = rd_take(rd, 1);

	return p ? p[0] : 0;
}

static inline uint16_t
rd_u16(struct rd *rd)
{
	const uint8_t *p = rd_take(rd, 2);

	return p ? be16_load(p) : 0;
}

static inline uint32_t
rd_u32(struct rd *rd)
{
	const uint8_t *p = rd_take(rd, 4);

	return p ? be32_load(p) : 0;
}

static inline void
rd_copy(struct rd *rd, void *out, size_t n)
{
	const uint8_t *p = rd_take(rd, n);

	if (p != NULL)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

static inline void
rd_skip(struct rd *rd, size_t n)
{
	(void)rd_take(rd, n);
}

/* Splits the next n bytes off into their own cursor `sub`. */
static inline void
rd_sub(struct rd *rd, size_t n, struct rd *sub)
{
	const uint8_t *p = rd_take(rd, n);

	rd_init(sub, p, p ? n : 0);
	sub->bad = (p == NULL);
}

#endif
