/* Append-only text buffer (see strbuf.h). */
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void
strbuf_init(struct strbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	sb->full = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

void
strbuf_put(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->cap - sb->len) {
		sb->full = true;
		sb->buf[sb->len] = '\0'; /* no half-written tail */
		return;
	}
	sb->len += (size_t)n;
}

int
strbuf_status(const struct strbuf *sb)
{
	return sb->full ? -ENOBUFS : 0;
}

void
ipv4_format(uint32_t a, char out[static IPV4_TEXT_LEN])
{
	snprintf(out, IPV4_TEXT_LEN, "%u.%u.%u.%u", a >> 24, a >> 16 & 255,
		 a >> 8 & 255, a & 255);
}
