/*
 * teredod's data path: the I/O glue between the UDP socket, the TUN device
 * and the client state machine, with segmentation offloads where the
 * kernel has them (lib/wire/gso.h does the protocol work):
 *
 *   TUN (IFF_VNET_HDR, TSO6) -> 64 KiB TCP super-packet -> gso_split ->
 *     one IPv6 packet at a time -> teredo_client_on_tun -> send queue ->
 *     runs of equal-size datagrams to one peer -> one UDP_SEGMENT send each
 *
 *   UDP (UDP_GRO) -> a train of datagrams of one peer -> one at a time -> *     teredo_client_on_udp (accepts or drops each) -> deliver -> in-order
 *     TCP segments (or UDP datagrams) of one flow coalesced -> one
 *     GSO_TCPV6 (GSO_UDP_L4) writev to TUN
 *
 * Coalescing only ever joins packets the state machine delivered.  Without
 * an offload (an old kernel refused it, or TEREDOD_OFFLOAD=0 in the
 * environment; TEREDOD_OFFLOAD=tx keeps only the sending half, =tcp all
 * but USO), the same code runs one packet per read() or write().  No
 * allocation per packet: all buffers live in struct datapath.
 */
#ifndef SHIPWORM_TEREDOD_DATAPATH_H
#define SHIPWORM_TEREDOD_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/tun.h"
#include "sys/udp.h"
#include "wire/gso.h"

#define DATAPATH_RX_BUF 65536	  /* a GRO train of datagrams */
#define DATAPATH_TUN_BUF 65792	  /* virtio-net header + 64 KiB packet */
#define DATAPATH_TX_SLOT 2048	  /* the largest datagram the queue takes */
#define DATAPATH_TX_MAX 512	  /* datagrams queued per loop turn */
#define DATAPATH_PENDING_MAX 4096 /* delivered packets held per receive */
#define DATAPATH_RUN_MAX 64	  /* segments per coalesced super-packet */

struct datapath_tx {
	size_t off, len; /* in txbuf */
	uint32_t ipv4;
	uint16_t port;
};

struct datapath_pending {
	const uint8_t *ip6; /* borrowed: inside rx[] until the flush */
	size_t len;
};

struct datapath {
	int udp_fd, tun_fd;
	bool tun_vnet; /* the TUN has the virtio-net header */
	bool tun_uso;  /* and takes UDP super-datagrams (Linux 6.2) */
	bool udp_gso;  /* UDP_SEGMENT sends work */
	bool coalesce; /* TCP segments to the TUN as super-packets */
	bool in_rx;    /* delivering from rx[]: hold packets to coalesce */
	uint64_t send_errors, tun_errors;
	uint64_t gso_sends, gro_trains, tun_supers; /* offload use */
	/* Datagrams handed to the state machine (a GRO train counts each of
	 * its datagrams), and those dropped longer than the buffer. */
	uint64_t udp_received, udp_truncated;
	/* The send queue: datagrams back to back in txbuf, so that a run of
	 * equal sizes to one peer is one contiguous UDP GSO buffer. */
	size_t ntx, txoff;
	struct datapath_tx tx[DATAPATH_TX_MAX];
	struct udp_dgram msgs[DATAPATH_TX_MAX];
	size_t msg_first[DATAPATH_TX_MAX]; /* first tx[] entry of msgs[i] */
	uint8_t txbuf[DATAPATH_TX_MAX * DATAPATH_TX_SLOT];
	/* Receive. */
	struct udp_dgram rv[UDP_BATCH_MAX];
	uint8_t rx[UDP_BATCH_MAX][DATAPATH_RX_BUF];
	size_t npending;
	struct datapath_pending pending[DATAPATH_PENDING_MAX];
	struct iovec iov[DATAPATH_RUN_MAX + 1];
	uint8_t head[GSO_HEAD_MAX];
	uint8_t tun_buf[DATAPATH_TUN_BUF];
	uint8_t seg[DATAPATH_TX_SLOT]; /* one segment of a super-packet */
};

/* One datagram received, one packet read from the TUN. */
typedef void datapath_udp_cb(void *arg, const uint8_t *buf, size_t len,
			     uint32_t src_ipv4, uint16_t src_port,
			     uint32_t local_ipv4);
typedef void datapath_tun_cb(void *arg, const uint8_t *ip6, size_t len);

/*
 * Opens the TUN device into dp->tun_fd: with the virtio-net header and
 * checksum + TSO6 offloads when the kernel agrees (and TEREDOD_OFFLOAD is
 * not "0"), else as a plain TUN.  -errno from tun_open().
 */
MUST_CHECK int datapath_open_tun(struct datapath *dp, const char *name,
				 char out_name[static TUN_NAME_MAX]);

/* Turns on UDP GRO and probes UDP GSO on dp->udp_fd (both optional). */
void datapath_setup_udp(struct datapath *dp);

/* Queues one datagram (copied into the queue). */
void datapath_send_udp(struct datapath *dp, uint32_t ipv4, uint16_t port,
		       const uint8_t *buf, size_t len);

/* Sends what is queued: once per loop turn, and when the queue fills. */
void datapath_flush(struct datapath *dp);

/* Writes one IPv6 packet to the TUN, or holds it to coalesce. */
void datapath_deliver(struct datapath *dp, const uint8_t *ip6, size_t len);

/*
 * One recvmmsg() batch: every datagram (GRO trains cut apart) goes to cb,
 * then the packets cb delivered are written.  -errno from the socket.
 */
MUST_CHECK int datapath_udp_input(struct datapath *dp, datapath_udp_cb *cb,
				  void *arg);

/* Up to `burst` reads from the TUN; every IPv6 packet goes to cb. */
void datapath_tun_input(struct datapath *dp, unsigned burst,
			datapath_tun_cb *cb, void *arg);

#endif
