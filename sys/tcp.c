/* TCP listeners, racing connects and fd passing for apps/assist (tcp.h). */
#include "sys/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static socklen_t
to_sockaddr(const struct tcp_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->is_v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->a6, 16);
		s6->sin6_port = htons(ep->port);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(ep->a4);
		s4->sin_port = htons(ep->port);
		return sizeof(*s4);
	}
}

static void
from_sockaddr(const struct sockaddr_storage *ss, struct tcp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)(const void *)ss;

		ep->is_v6 = true;
		memcpy(ep->a6, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 =
			(const struct sockaddr_in *)(const void *)ss;

		ep->a4 = ntohl(s4->sin_addr.s_addr);
		ep->port = ntohs(s4->sin_port);
	}
}

void
tcp_endpoint_format(const struct tcp_endpoint *ep,
		    char out[static TCP_ENDPOINT_TEXT])
{
	char a[INET6_ADDRSTRLEN];

	if (ep->is_v6) {
		inet_ntop(AF_INET6, ep->a6, a, sizeof(a));
		snprintf(out, TCP_ENDPOINT_TEXT, "[%s]:%u", a, ep->port);
	} else {
		struct in_addr in = {.s_addr = htonl(ep->a4)};

		inet_ntop(AF_INET, &in, a, sizeof(a));
		snprintf(out, TCP_ENDPOINT_TEXT, "%s:%u", a, ep->port);
	}
}

int
tcp_listen(const struct tcp_endpoint *ep, int backlog, int *fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = to_sockaddr(ep, &ss);
	struct tcp_endpoint bound;
	int s, on = 1, rc;

	s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* Only the address the invitation names, never its IPv4 twin. */
	if (ep->is_v6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail;
	if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, backlog) < 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(s, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	from_sockaddr(&ss, &bound);
	*port = bound.port;
	*fd = s;
	return 0;
fail:
	rc = -errno;
	close(s);
	return rc;
}

int
tcp_shutdown_write(int fd)
{
	return shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

int
tcp_peer(int fd, struct tcp_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	from_sockaddr(&ss, ep);
	return 0;
}

int
tcp_accept(int listen_fd, int *fd, char peer[static TCP_ENDPOINT_TEXT])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tcp_endpoint ep;
	int s;

	s = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (s < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	from_sockaddr(&ss, &ep);
	tcp_endpoint_format(&ep, peer);
	*fd = s;
	return 0;
}

int
tcp_connect_start(const struct tcp_endpoint *ep, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len = to_sockaddr(ep, &ss);
	int s, rc;

	s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

int
tcp_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

int
tcp_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int
tcp_fd_send(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, 0);

		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}
