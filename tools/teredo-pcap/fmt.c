/* Text forms shared by the expectation file and the human-readable dump. */
#include "fmt.h"

#include <stdio.h>

void
fmt_hex(char *out, size_t cap, const uint8_t *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < len && n + 2 < cap; i++) {
		out[n++] = digits[bytes[i] >> 4];
		out[n++] = digits[bytes[i] & 0xf];
	}
	out[n] = '\0';
}

void
fmt_ipv4(char out[static FMT_IPV4_LEN], uint32_t ipv4)
{
	(void)snprintf(out, FMT_IPV4_LEN, "%u.%u.%u.%u", ipv4 >> 24,
		       ipv4 >> 16 & 0xff, ipv4 >> 8 & 0xff, ipv4 & 0xff);
}
