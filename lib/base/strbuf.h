/*
 * struct strbuf: formatted text appended into a caller's buffer, which
 * stays NUL-terminated; overflow is remembered (sticky, like struct wr) and
 * reported once by strbuf_status().  No allocation.
 */
#ifndef SHIPWORM_BASE_STRBUF_H
#define SHIPWORM_BASE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define IPV4_TEXT_LEN 16 /* "255.255.255.255" and its NUL */

struct strbuf {
	char *buf; /* borrowed */
	size_t cap, len;
	bool full;
};

void strbuf_init(struct strbuf *sb, char *buf, size_t cap);

/* Appends; on overflow appends nothing more, ever. */
__attribute__((format(printf, 2, 3))) void strbuf_put(struct strbuf *sb,
						      const char *fmt, ...);

/* 0, or -ENOBUFS when something did not fit. */
MUST_CHECK int strbuf_status(const struct strbuf *sb);

/* Dotted-quad text of a host-order IPv4 address. */
void ipv4_format(uint32_t ipv4, char out[static IPV4_TEXT_LEN]);

#endif
