/*
 * The CSPRNG: getrandom(2), for the nonces of the authentication header
 * (RFC 4380 §5.1.1) and the random bits of the client's address (RFC 5991
 * §4).  lib/ never draws randomness itself; daemons pass these bytes in.
 */
#ifndef SHIPWORM_SYS_RAND_H
#define SHIPWORM_SYS_RAND_H

#include <stddef.h>

#include "base/err.h"

/*
 * Fills buf[0..n) with cryptographically secure random bytes.  Blocks only
 * before the kernel's pool is initialised, early at boot.  -errno from
 * getrandom() (-ENOSYS on kernels older than 3.17).
 */
MUST_CHECK int rand_bytes(void *buf, size_t n);

#endif
