/*
 * TCP sockets for remote assistance (apps/assist): the User's listeners
 * and the Helper's nonblocking connection attempts, which the candidate
 * race (lib/assist/race.h) paces; and passing a connected socket to
 * another process (OpenSSH's ProxyUseFdpass) with SCM_RIGHTS.
 *
 * Every fd is close-on-exec; the caller owns it and closes it.  Addresses
 * are in struct tcp_endpoint (IPv4 in host order, IPv6 as wire bytes).
 */
#ifndef SHIPWORM_SYS_TCP_H
#define SHIPWORM_SYS_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define TCP_ENDPOINT_TEXT 56 /* "[ffff:...:ffff]:65535" and its NUL */

struct tcp_endpoint {
	bool is_v6;
	uint8_t a6[16];
	uint32_t a4;
	uint16_t port;
};

/*
 * Listens on ep (port 0: any); the bound port goes to *port.  IPv6
 * sockets are IPV6_V6ONLY.  Nonblocking.  -errno.
 */
MUST_CHECK int tcp_listen(const struct tcp_endpoint *ep, int backlog, int *fd,
			  uint16_t *port);

/*
 * Accepts one connection (blocking mode, close-on-exec) and formats the
 * peer as text.  -EAGAIN when none is pending.
 */
MUST_CHECK int tcp_accept(int listen_fd, int *fd,
			  char peer[static TCP_ENDPOINT_TEXT]);

/*
 * Starts a nonblocking connect to ep.  0: *fd is connecting (or already
 * connected); watch it for POLLOUT and ask tcp_connect_result().  -errno
 * when it failed at once (-ENETUNREACH, ...).
 */
/* shutdown(SHUT_WR): the peer reads EOF.  -errno. */
MUST_CHECK int tcp_shutdown_write(int fd);

/* The peer's address of a connected socket (getpeername). */
MUST_CHECK int tcp_peer(int fd, struct tcp_endpoint *ep);

MUST_CHECK int tcp_connect_start(const struct tcp_endpoint *ep, int *fd);

/* The outcome of a connect that became writable: 0 or -errno. */
MUST_CHECK int tcp_connect_result(int fd);

/* Puts fd back in blocking mode (for a process that takes it over). */
MUST_CHECK int tcp_set_blocking(int fd);

/* "[v6]:port" / "a.b.c.d:port". */
void tcp_endpoint_format(const struct tcp_endpoint *ep,
			 char out[static TCP_ENDPOINT_TEXT]);

/*
 * Sends fd over the unix socket sock with SCM_RIGHTS and one data byte
 * (what OpenSSH's ProxyUseFdpass reads).  -errno.
 */
MUST_CHECK int tcp_fd_send(int sock, int fd);

#endif
