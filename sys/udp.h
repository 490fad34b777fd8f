/*
 * IPv4 UDP sockets for Teredo, with batched I/O (recvmmsg/sendmmsg).
 *
 * Every socket is nonblocking and close-on-exec, has SO_REUSEADDR off (a
 * second daemon on the same port must fail, not share the traffic),
 * IP_PKTINFO on (each datagram reports the address it was sent to) and
 * IP_MTU_DISCOVER = IP_PMTUDISC_DONT (RFC 4380 §5.1.2: the DF bit is not
 * set on Teredo datagrams).
 *
 * Addresses and ports are in host byte order everywhere in this API.
 * The caller owns the fd (udp_open() hands it over; udp_close() ends it) and
 * every buffer; nothing here allocates.
 */
#ifndef SHIPWORM_SYS_UDP_H
#define SHIPWORM_SYS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The Teredo local discovery group, 224.0.0.253 (RFC 4380 §2.17). */
#define UDP_TEREDO_GROUP 0xe00000fdu

/* Datagrams per recvmmsg()/sendmmsg() call; larger batches loop. */
#define UDP_BATCH_MAX 64

/*
 * One datagram of a batch.  buf/cap belong to the caller; the other fields
 * are filled by udp_recv_batch() or read by udp_send_batch().
 */
struct udp_dgram {
	uint8_t *buf;	    /* borrowed: the caller's buffer */
	size_t cap;	    /* receive: bytes available at buf */
	size_t len;	    /* bytes of datagram at buf */
	uint32_t peer_ipv4; /* source (receive) or destination (send) */
	uint16_t peer_port;
	/*
	 * Receive: the destination address of the IP header, from
	 * IP_PKTINFO (a local unicast address, or 224.0.0.253 for local
	 * discovery, or a broadcast address).  Send: the source address to
	 * use (IP_PKTINFO ipi_spec_dst), 0 to let the kernel choose (the
	 * bound address).
	 */
	uint32_t local_ipv4;
	/* Receive: the datagram was longer than cap; len bytes were kept. */
	bool is_truncated;
	/*
	 * Segmentation offload (udp_set_gro(), udp_has_gso()).  Receive:
	 * with GRO on, buf holds len / gso_size datagrams of gso_size bytes
	 * and a shorter last one, all from the same peer (the UDP_GRO
	 * control message); 0 for one datagram.  Send: when non-zero and
	 * len > gso_size, the kernel cuts buf into datagrams of gso_size
	 * bytes (UDP_SEGMENT; at most 64 of them and 65507 bytes in all).
	 */
	uint16_t gso_size;
};

/*
 * Opens a socket bound to bind_ipv4:port (0 for INADDR_ANY / an ephemeral
 * port) and stores it in *fd_out.  -errno from socket(), setsockopt() or
 * bind() (-EADDRINUSE when the port is taken).
 */
MUST_CHECK int udp_open(uint32_t bind_ipv4, uint16_t port, int *fd_out);

/* Closes fd (negative is a no-op). */
void udp_close(int fd);

/* The address and port fd is bound to.  -errno from getsockname(). */
MUST_CHECK int udp_local(int fd, uint32_t *ipv4, uint16_t *port);

/*
 * Joins multicast group (e.g. UDP_TEREDO_GROUP) on the interface that has
 * local address ifaddr_ipv4 (0: the kernel picks one), makes that the
 * interface multicast datagrams leave by, and turns multicast loopback
 * off so the daemon does not hear its own discovery bubbles.  -EINVAL if
 * group is not multicast; -errno from setsockopt().
 */
MUST_CHECK int udp_join_group(int fd, uint32_t group_ipv4,
			      uint32_t ifaddr_ipv4);

/*
 * Receives up to n datagrams into v[0..n) (buf and cap set by the caller)
 * without blocking; *got is how many were filled.  Nothing waiting is not
 * an error: returns 0 with *got = 0.  A truncated datagram is delivered
 * with is_truncated set; the caller drops it.  -errno for a socket error
 * (only when no datagram was received in that call).  With sys/ev: on
 * EV_READ, call it until *got < n (level-triggered, so stopping early after
 * a bounded number of rounds is also fine: the loop comes back).
 */
MUST_CHECK int udp_recv_batch(int fd, struct udp_dgram *v, size_t n,
			      size_t *got);

/*
 * Sends v[0..n) in order without blocking.  Returns 0 with *sent = n when
 * all went out.  Otherwise v[0..*sent) went out and the error is about
 * v[*sent]: -EAGAIN when the socket buffer is full (wait for EV_WRITE or
 * drop), or another -errno (-EMSGSIZE, -ENETUNREACH, -EPERM, ...) for
 * that one datagram, which the caller skips before sending v[*sent + 1..].
 */
MUST_CHECK int udp_send_batch(int fd, const struct udp_dgram *v, size_t n,
			      size_t *sent);

/* Sends one datagram to ipv4:port.  -EAGAIN or another -errno. */
MUST_CHECK int udp_send(int fd, const void *buf, size_t len, uint32_t ipv4,
			uint16_t port);

/*
 * Sets the socket's receive and send buffers to `bytes` each, past the
 * system's rmem_max/wmem_max when the process may (SO_RCVBUFFORCE needs
 * CAP_NET_ADMIN): a tunnel endpoint receives bursts of a whole sendmmsg()
 * batch, which the default ~200 KiB drops.  -errno from setsockopt().
 */
MUST_CHECK int udp_set_buffers(int fd, int bytes);

/*
 * UDP generic receive offload (UDP_GRO, Linux 5.0): the kernel may hand
 * over a train of datagrams from one peer as one, reported through
 * udp_dgram.gso_size; give receive buffers of 65535 bytes.  -errno
 * (-ENOPROTOOPT from an older kernel): the socket stays as it was.
 */
MUST_CHECK int udp_set_gro(int fd);

/*
 * 0 when the kernel accepts UDP_SEGMENT sends (Linux 4.18), else -errno.
 * A send can still fail with -EIO where the route's device cannot
 * checksum (udp_send_skb()); the caller then sends datagrams one by one.
 */
MUST_CHECK int udp_has_gso(int fd);

/* Reads back IP_MTU_DISCOVER into *mode (IP_PMTUDISC_DONT expected). */
MUST_CHECK int udp_get_pmtudisc(int fd, int *mode);

#endif
