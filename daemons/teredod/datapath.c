/*
 * teredod's data path.  See datapath.h.
 */
#include "datapath.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"

/* <linux/if_tun.h> of Linux 6.2, for older headers. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
/* ---- TUN and socket setup ------------------------------------------- */

/*
 * TEREDOD_OFFLOAD in the environment, for measurements and for testing the
 * fallback: "0" none, "tx" only the sending half (TUN TSO + UDP GSO),
 * "tcp" all but USO on the TUN, anything else (or unset) all of them.
 */
enum offload_mode { OFFLOAD_NONE, OFFLOAD_TX, OFFLOAD_TCP, OFFLOAD_ALL };

static enum offload_mode
offload_mode(void)
{
	const char *env = getenv("TEREDOD_OFFLOAD");

	if (env != NULL && strcmp(env, "0") == 0)
		return OFFLOAD_NONE;
	if (env != NULL && strcmp(env, "tx") == 0)
		return OFFLOAD_TX;
	if (env != NULL && strcmp(env, "tcp") == 0)
		return OFFLOAD_TCP;
	return OFFLOAD_ALL;
}

int
datapath_open_tun(struct datapath *dp, const char *name,
		  char out_name[static TUN_NAME_MAX])
{
	enum offload_mode mode = offload_mode();
	int rc;

	dp->tun_vnet = false;
	dp->coalesce = mode >= OFFLOAD_TCP;
	if (mode != OFFLOAD_NONE) {
		/*
		 * TUN_F_CSUM: the stack may leave checksums to us; TUN_F_TSO6:
		 * it may hand over TCP/IPv6 segments of up to 64 KiB
		 * (<linux/if_tun.h>; Linux 2.6.27);
		 * TUN_F_USO4|6: UDP ones too (Linux 6.2, both or neither).
		 * A kernel that knows USO also takes GSO_UDP_L4 writes, so
		 * datagrams to the stack are coalesced only then.
		 */
		rc = -EINVAL;
		if (mode == OFFLOAD_ALL)
			rc = tun_open_offload(name, out_name, &dp->tun_fd,
					      TUN_F_CSUM | TUN_F_TSO6 |
						      TUN_F_USO4 | TUN_F_USO6);
		dp->tun_uso = rc == 0;
		if (rc == -EINVAL)
			rc = tun_open_offload(name, out_name, &dp->tun_fd,
					      TUN_F_CSUM | TUN_F_TSO6);
		if (rc == 0) {
			dp->tun_vnet = true;
			return 0;
		}
		log_warn(rc, "no TUN offloads: one packet per read()");
	}
	return tun_open(name, out_name, &dp->tun_fd);
}

void
datapath_setup_udp(struct datapath *dp)
{
	enum offload_mode mode = offload_mode();
	int rc;

	dp->udp_gso = false;
	if (mode == OFFLOAD_NONE)
		return;
	if (mode >= OFFLOAD_TCP && (rc = udp_set_gro(dp->udp_fd)) < 0)
		log_warn(rc, "no UDP GRO: one datagram per receive");
	if ((rc = udp_has_gso(dp->udp_fd)) < 0)
		log_warn(rc, "no UDP GSO: one datagram per send");
	else
		dp->udp_gso = true;
}

/* ---- send queue -------------------------------------------------------- */

static size_t
msg_datagrams(const struct udp_dgram *m)
{
	if (m->gso_size == 0 || m->len <= m->gso_size)
		return 1;
	return (m->len + m->gso_size - 1) / m->gso_size;
}

/*
 * Turns tx[first..ntx) into msgs[]: with GSO, a run of datagrams that lie
 * back to back, go to the same peer and have the first one's size (the
 * last may be shorter) becomes one message.  Returns the count.
 */
static size_t
build_msgs(struct datapath *dp, size_t first)
{
	size_t n = 0, i = first;

	while (i < dp->ntx) {
		const struct datapath_tx *t = &dp->tx[i];
		size_t total = t->len, last = t->len, count = 1, j = i + 1;

		while (dp->udp_gso && j < dp->ntx &&
		       dp->tx[j].ipv4 == t->ipv4 && dp->tx[j].port == t->port &&
		       dp->tx[j].off == t->off + total &&
		       gso_udp_can_append(t->len, count, total, last,
					  dp->tx[j].len)) {
			last = dp->tx[j].len;
			total += last;
			count++;
			j++;
		}
		dp->msgs[n] = (struct udp_dgram){
			.buf = dp->txbuf + t->off,
			.len = total,
			.peer_ipv4 = t->ipv4,
			.peer_port = t->port,
			.gso_size = count > 1 ? (uint16_t)t->len : 0,
		};
		dp->msg_first[n++] = i;
		i = j;
	}
	return n;
}

void
datapath_flush(struct datapath *dp)
{
	size_t first = 0;

	while (first < dp->ntx) {
		size_t n = build_msgs(dp, first), off = 0;

		first = dp->ntx;
		for (size_t k = 0; k < n; k++)
			if (dp->msgs[k].gso_size != 0)
				dp->gso_sends++;
		while (off < n) {
			size_t sent = 0;
			int rc = udp_send_batch(dp->udp_fd, dp->msgs + off,
						n - off, &sent);

			off += sent;
			if (rc == 0)
				break;
			if (dp->msgs[off].gso_size != 0 &&
			    (rc == -EIO || rc == -EINVAL)) {
				/*
				 * udp_send_skb(): -EIO where the route's
				 * device cannot checksum.  Send the rest one
				 * datagram at a time from now on.
				 */
				log_warn(rc, "UDP GSO send refused: off");
				dp->udp_gso = false;
				first = dp->msg_first[off];
				break;
			}
			/* Full socket buffer: drop the rest, as a router
			 * would; another error: skip that message. */
			if (rc == -EAGAIN) {
				for (; off < n; off++)
					dp->send_errors +=
						msg_datagrams(&dp->msgs[off]);
			} else {
				dp->send_errors +=
					msg_datagrams(&dp->msgs[off]);
				off++;
			}
		}
	}
	dp->ntx = 0;
	dp->txoff = 0;
}

void
datapath_send_udp(struct datapath *dp, uint32_t ipv4, uint16_t port,
		  const uint8_t *buf, size_t len)
{
	if (len > DATAPATH_TX_SLOT) { /* not from the tunnel: send alone */
		if (udp_send(dp->udp_fd, buf, len, ipv4, port) < 0)
			dp->send_errors++;
		return;
	}
	if (dp->ntx == DATAPATH_TX_MAX || len > sizeof(dp->txbuf) - dp->txoff)
		datapath_flush(dp);
	memcpy(dp->txbuf + dp->txoff, buf, len);
	dp->tx[dp->ntx++] = (struct datapath_tx){
		.off = dp->txoff, .len = len, .ipv4 = ipv4, .port = port};
	dp->txoff += len;
}

/* ---- TUN input ----------------------------------------------------------- */

static void
tun_input_vnet(struct datapath *dp, size_t len, datapath_tun_cb *cb, void *arg)
{
	struct vnet_hdr h;
	struct gso_split s;
	struct rd rd;
	size_t n;
	int rc;

	rd_init(&rd, dp->tun_buf, len);
	if (vnet_hdr_read(&rd, &h) < 0 ||
	    gso_split_init(&s, &h, dp->tun_buf + VNET_HDR_LEN,
			   len - VNET_HDR_LEN) < 0) {
		dp->tun_errors++;
		return;
	}
	if (s.kind == GSO_SPLIT_AS_IS) {
		cb(arg, s.pkt, s.len);
		return;
	}
	while ((rc = gso_split_next(&s, dp->seg, sizeof(dp->seg), &n)) == 0)
		cb(arg, dp->seg, n);
	if (rc != -ENOENT)
		dp->tun_errors++;
}

void
datapath_tun_input(struct datapath *dp, unsigned burst, datapath_tun_cb *cb,
		   void *arg)
{
	for (unsigned i = 0; i < burst; i++) {
		size_t len;
		int rc = tun_read(dp->tun_fd, dp->tun_buf, sizeof(dp->tun_buf),
				  &len);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			dp->tun_errors++;
			continue;
		}
		if (dp->tun_vnet)
			tun_input_vnet(dp, len, cb, arg);
		else
			cb(arg, dp->tun_buf, len);
	}
}

/* ---- TUN output ----------------------------------------------------------- */

/* writev() only reads through iov_base, which is not const-qualified. */
static void *
iov_base(const void *p)
{
	return (void *)(uintptr_t)p;
}

/* One packet as it is: with the virtio-net header, an empty one. */
static void
tun_write_one(struct datapath *dp, const uint8_t *ip6, size_t len)
{
	static const uint8_t none[VNET_HDR_LEN];
	struct iovec iov[2] = {
		{.iov_base = iov_base(none), .iov_len = sizeof(none)},
		{.iov_base = iov_base(ip6), .iov_len = len},
	};
	int rc;

	if (dp->tun_vnet)
		rc = tun_writev(dp->tun_fd, iov, 2);
	else
		rc = tun_write(dp->tun_fd, ip6, len);
	if (rc < 0)
		dp->tun_errors++;
}

/*
 * Writes the held packets in order: each run of in-order TCP segments (or,
 * with USO, UDP datagrams) of one flow as one GSO_TCPV6 (GSO_UDP_L4)
 * super-packet, gathered with writev() from the receive buffers; anything
 * else alone.
 */
static void
pending_flush(struct datapath *dp)
{
	struct gso_seg seg, next;
	bool have_next = false;
	size_t i = 0;

	while (i < dp->npending) {
		const struct datapath_pending *p = &dp->pending[i];
		struct gso_coalesce c;
		struct wr wr;
		int niov = 1;
		if (!have_next &&
		    gso_seg_read(p->ip6, p->len, dp->tun_uso, &seg) < 0) {
			tun_write_one(dp, p->ip6, p->len);
			i++;
			continue;
		}
		if (have_next)
			seg = next;
		have_next = false;
		gso_coalesce_start(&c, p->ip6, &seg);
		dp->iov[niov++] = (struct iovec){
			.iov_base = iov_base(p->ip6 + seg.hdr_len),
			.iov_len = seg.payload_len};
		for (i++; i < dp->npending && niov <= DATAPATH_RUN_MAX; i++) {
			const struct datapath_pending *q = &dp->pending[i];
			if (gso_seg_read(q->ip6, q->len, dp->tun_uso, &next) <
			    0)
				break;
			if (gso_coalesce_add(&c, q->ip6, &next) < 0) {
				have_next = true; /* starts the next run */
				break;
			}
			dp->iov[niov++] = (struct iovec){
				.iov_base = iov_base(q->ip6 + next.hdr_len),
				.iov_len = next.payload_len};
		}
		if (c.count == 1) {
			tun_write_one(dp, p->ip6, p->len);
			continue;
		}
		wr_init(&wr, dp->head, sizeof(dp->head));
		if (gso_coalesce_write_head(&c, &wr) < 0) {
			dp->tun_errors += c.count; /* GSO_HEAD_MAX: never */
			continue;
		}
		dp->iov[0] =
			(struct iovec){.iov_base = dp->head, .iov_len = wr.off};
		if (tun_writev(dp->tun_fd, dp->iov, niov) < 0)
			dp->tun_errors += c.count;
		else
			dp->tun_supers++;
	}
	dp->npending = 0;
}

static bool
is_in_rx(const struct datapath *dp, const uint8_t *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)dp->rx,
		  hi = lo + sizeof(dp->rx);

	return a >= lo && a <= hi && len <= hi - a;
}

void
datapath_deliver(struct datapath *dp, const uint8_t *ip6, size_t len)
{
	/*
	 * Only packets that borrow the receive buffers may wait for the
	 * flush at the end of datapath_udp_input(): those stay put until
	 * the next recvmmsg().  Anything else keeps its order behind them.
	 */
	if (dp->tun_vnet && dp->coalesce && dp->in_rx &&
	    is_in_rx(dp, ip6, len)) {
		if (dp->npending == DATAPATH_PENDING_MAX)
			pending_flush(dp);
		dp->pending[dp->npending++] =
			(struct datapath_pending){.ip6 = ip6, .len = len};
		return;
	}
	if (dp->npending > 0)
		pending_flush(dp);
	tun_write_one(dp, ip6, len);
}

/* ---- UDP input ----------------------------------------------------------- */

int
datapath_udp_input(struct datapath *dp, datapath_udp_cb *cb, void *arg)
{
	size_t got = 0;
	int rc;

	for (size_t i = 0; i < UDP_BATCH_MAX; i++) {
		dp->rv[i].buf = dp->rx[i];
		dp->rv[i].cap = sizeof(dp->rx[i]);
	}
	if ((rc = udp_recv_batch(dp->udp_fd, dp->rv, UDP_BATCH_MAX, &got)) < 0)
		return rc;
	dp->in_rx = true;
	for (size_t i = 0; i < got; i++) {
		const struct udp_dgram *v = &dp->rv[i];
		size_t step = v->gso_size != 0 ? v->gso_size : v->len;

		if (v->is_truncated) {
			dp->udp_truncated++;
			continue;
		}
		if (v->gso_size != 0)
			dp->gro_trains++;
		/* A GRO train: datagrams of gso_size bytes, the last maybe
		 * shorter, each judged on its own by the state machine. */
		for (size_t off = 0; off == 0 || off < v->len; off += step) {
			size_t n = v->len - off < step ? v->len - off : step;

			dp->udp_received++;
			cb(arg, v->buf + off, n, v->peer_ipv4, v->peer_port,
			   v->local_ipv4);
			if (step == 0)
				break; /* an empty datagram, judged once */
		}
	}
	pending_flush(dp);
	dp->in_rx = false;
	return 0;
}
