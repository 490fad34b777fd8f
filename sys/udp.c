/*
 * IPv4 UDP sockets with batched I/O.  See udp.h for the contract.
 */
#include "sys/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Room for the control messages of one datagram, aligned for cmsghdr:
 * IP_PKTINFO, and UDP_GRO (an int, on receive) or UDP_SEGMENT (a uint16_t,
 * on send).
 */
struct udp_cmsg {
	_Alignas(
		struct cmsghdr) char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) +
					 CMSG_SPACE(sizeof(int))];
};

static int
udp_setopt(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

static void
udp_sin(struct sockaddr_in *sin, uint32_t ipv4, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(ipv4);
	sin->sin_port = htons(port);
}

int
udp_open(uint32_t bind_ipv4, uint16_t port, int *fd_out)
{
	struct sockaddr_in sin;
	int fd, err;

	*fd_out = -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Explicit, although it is the default: never share the port. */
	err = udp_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 0);
	/* The Teredo server must know which of its addresses was asked. */
	if (err == 0)
		err = udp_setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
	/* RFC 4380 §5.1.2: Teredo datagrams are sent without DF. */
	if (err == 0)
		err = udp_setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER,
				 IP_PMTUDISC_DONT);
	if (err == 0) {
		udp_sin(&sin, bind_ipv4, port);
		if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0)
			err = -errno;
	}
	if (err < 0) {
		(void)close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

void
udp_close(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

int
udp_local(int fd, uint32_t *ipv4, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -errno;
	if (sin.sin_family != AF_INET || len < sizeof(sin))
		return -EAFNOSUPPORT;
	*ipv4 = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

int
udp_set_buffers(int fd, int bytes)
{
	static const int opts[][2] = {
		{SO_RCVBUFFORCE, SO_RCVBUF},
		{SO_SNDBUFFORCE, SO_SNDBUF},
	};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (setsockopt(fd, SOL_SOCKET, opts[i][0], &bytes,
			       sizeof(bytes)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, opts[i][1], &bytes,
			       sizeof(bytes)) < 0)
			return -errno;
	return 0;
}

int
udp_get_pmtudisc(int fd, int *mode)
{
	socklen_t len = sizeof(*mode);

	if (getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, mode, &len) < 0)
		return -errno;
	return 0;
}

int
udp_join_group(int fd, uint32_t group_ipv4, uint32_t ifaddr_ipv4)
{
	struct ip_mreqn mr;
	int err;

	if (!IN_MULTICAST(group_ipv4))
		return -EINVAL;
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = htonl(group_ipv4);
	mr.imr_address.s_addr = htonl(ifaddr_ipv4);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return -errno;
	/* Discovery bubbles leave by the interface we listen on. */
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
		return -errno;
	/* Our own bubbles would come back as if from a neighbour. */
	err = udp_setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
	if (err < 0)
		return err;
	/* Link-local group: one hop (the default, made explicit). */
	return udp_setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1);
}

int
udp_set_gro(int fd)
{
	return udp_setopt(fd, IPPROTO_UDP, UDP_GRO, 1);
}

int
udp_has_gso(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &v, &len) < 0)
		return -errno;
	return 0;
}

/* ---- receive ---- */

/* The IP_PKTINFO destination and the UDP_GRO segment size of mh. */
static void
udp_recv_cmsgs(struct msghdr *mh, struct udp_dgram *d)
{
	d->local_ipv4 = 0;
	d->gso_size = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	     c = CMSG_NXTHDR(mh, c)) {
		struct in_pktinfo pi;
		int gso;

		/* memcpy: CMSG_DATA carries no alignment promise. */
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			d->local_ipv4 = ntohl(pi.ipi_addr.s_addr);
		} else if (c->cmsg_level == IPPROTO_UDP &&
			   c->cmsg_type == UDP_GRO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(gso))) {
			/* udp_cmsg_recv(): the segment size, an int. */
			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			if (gso > 0 && gso <= UINT16_MAX)
				d->gso_size = (uint16_t)gso;
		}
	}
}

/* One recvmmsg() of at most UDP_BATCH_MAX datagrams. */
static int
udp_recv_chunk(int fd, struct udp_dgram *v, size_t n, size_t *got)
{
	struct mmsghdr mm[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	struct sockaddr_in sin[UDP_BATCH_MAX];
	struct udp_cmsg cm[UDP_BATCH_MAX];
	int r;

	*got = 0;
	memset(mm, 0, n * sizeof(mm[0]));
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = v[i].buf;
		iov[i].iov_len = v[i].cap;
		mm[i].msg_hdr.msg_name = &sin[i];
		mm[i].msg_hdr.msg_namelen = sizeof(sin[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = cm[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
	}
	r = recvmmsg(fd, mm, (unsigned)n, MSG_DONTWAIT, NULL);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	for (size_t i = 0; i < (size_t)r; i++) {
		struct msghdr *mh = &mm[i].msg_hdr;

		v[i].len = mm[i].msg_len;
		v[i].is_truncated = (mh->msg_flags & MSG_TRUNC) != 0;
		if (mh->msg_namelen >= sizeof(sin[i]) &&
		    sin[i].sin_family == AF_INET) {
			v[i].peer_ipv4 = ntohl(sin[i].sin_addr.s_addr);
			v[i].peer_port = ntohs(sin[i].sin_port);
		} else {
			v[i].peer_ipv4 = 0;
			v[i].peer_port = 0;
		}
		udp_recv_cmsgs(mh, &v[i]);
	}
	*got = (size_t)r;
	return 0;
}

int
udp_recv_batch(int fd, struct udp_dgram *v, size_t n, size_t *got)
{
	size_t total = 0;

	*got = 0;
	while (total < n) {
		size_t want = n - total, k;
		int err;

		if (want > UDP_BATCH_MAX)
			want = UDP_BATCH_MAX;
		err = udp_recv_chunk(fd, v + total, want, &k);
		if (err < 0) {
			/* Report what we have; the error recurs next call. */
			*got = total;
			return total > 0 ? 0 : err;
		}
		total += k;
		if (k < want)
			break; /* drained */
	}
	*got = total;
	return 0;
}

/* ---- send ---- */

static void
udp_fill_send(struct msghdr *mh, struct iovec *iov, struct sockaddr_in *sin,
	      struct udp_cmsg *cm, const struct udp_dgram *d)
{
	struct cmsghdr *c;
	size_t used = 0;

	memset(mh, 0, sizeof(*mh));
	iov->iov_base = d->buf;
	iov->iov_len = d->len;
	udp_sin(sin, d->peer_ipv4, d->peer_port);
	mh->msg_name = sin;
	mh->msg_namelen = sizeof(*sin);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (d->local_ipv4 == 0 && (d->gso_size == 0 || d->len <= d->gso_size))
		return;
	memset(cm, 0, sizeof(*cm));
	mh->msg_control = cm->buf;
	mh->msg_controllen = sizeof(cm->buf);
	c = CMSG_FIRSTHDR(mh);
	if (d->local_ipv4 != 0) {
		struct in_pktinfo pi;

		/* ipi_spec_dst chooses the source address of the reply. */
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst.s_addr = htonl(d->local_ipv4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		used = CMSG_SPACE(sizeof(pi));
		c = CMSG_NXTHDR(mh, c);
	}
	if (d->gso_size != 0 && d->len > d->gso_size) {
		/* udp_cmsg_send(): UDP_SEGMENT takes a uint16_t. */
		c->cmsg_level = IPPROTO_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(d->gso_size));
		memcpy(CMSG_DATA(c), &d->gso_size, sizeof(d->gso_size));
		used += CMSG_SPACE(sizeof(d->gso_size));
	}
	mh->msg_controllen = used;
}

int
udp_send_batch(int fd, const struct udp_dgram *v, size_t n, size_t *sent)
{
	struct mmsghdr mm[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	struct sockaddr_in sin[UDP_BATCH_MAX];
	struct udp_cmsg cm[UDP_BATCH_MAX];
	size_t done = 0;

	*sent = 0;
	while (done < n) {
		size_t k = n - done;
		int r;

		if (k > UDP_BATCH_MAX)
			k = UDP_BATCH_MAX;
		for (size_t i = 0; i < k; i++) {
			udp_fill_send(&mm[i].msg_hdr, &iov[i], &sin[i], &cm[i],
				      &v[done + i]);
			mm[i].msg_len = 0;
		}
		r = sendmmsg(fd, mm, (unsigned)k, MSG_DONTWAIT);
		if (r < 0) {
			int err = errno == EWOULDBLOCK ? -EAGAIN : -errno;

			*sent = done;
			return err;
		}
		/*
		 * A short count means v[done + r] failed; sendmmsg() keeps
		 * that error to itself, so ask again from there to learn it.
		 */
		if (r == 0) {
			*sent = done;
			return -EAGAIN; /* not documented to happen; no spin */
		}
		done += (size_t)r;
	}
	*sent = done;
	return 0;
}

int
udp_send(int fd, const void *buf, size_t len, uint32_t ipv4, uint16_t port)
{
	struct sockaddr_in sin;

	udp_sin(&sin, ipv4, port);
	if (sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&sin,
		   sizeof(sin)) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}
