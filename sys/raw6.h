/*
 * A raw IPv6 socket for sending whole IPv6 packets, header included
 * (IPPROTO_RAW: the kernel adds nothing, RFC 3542 §3), to the native IPv6
 * network.  teredo-serverd uses it to forward the echo requests of the
 * direct IPv6 connectivity test (RFC 4380 §5.3.1, §5.2.9).  Opening it
 * needs CAP_NET_RAW: do it before dropping privileges.
 */
#ifndef SHIPWORM_SYS_RAW6_H
#define SHIPWORM_SYS_RAW6_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Opens a nonblocking, close-on-exec, send-only socket.  -errno. */
MUST_CHECK int raw6_open(int *fd_out);

/*
 * Sends one IPv6 packet of len bytes (at least a 40-byte header) to the
 * destination its header names.  -EINVAL for a short packet, -errno from
 * sendto() (-EAGAIN: the socket buffer is full; the packet is dropped).
 */
MUST_CHECK int raw6_send(int fd, const uint8_t *ip6, size_t len);

/* Closes fd (negative is a no-op). */
void raw6_close(int fd);

#endif
