/*
 * getrandom(2) wrapper.  See rand.h.
 */
#include "sys/rand.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

int
rand_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	/* Requests above 256 bytes may return short; signals may interrupt. */
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
