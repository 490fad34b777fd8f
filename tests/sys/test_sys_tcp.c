/*
 * sys/tcp.c on the loopback interface: a listener on a free port, a
 * nonblocking connect that completes, one that is refused, accept, the
 * endpoint text, and passing a socket over a unix socket (SCM_RIGHTS, as
 * OpenSSH's ProxyUseFdpass receives it).  Every wait is bounded.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "sys/tcp.h"

#define LOOPBACK 0x7f000001u

static int
wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return poll(&p, 1, 2000) == 1 ? tcp_connect_result(fd) : -ETIMEDOUT;
}

static int
recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

int
main(void)
{
	struct tcp_endpoint ep = {.a4 = LOOPBACK};
	char text[TCP_ENDPOINT_TEXT], peer[TCP_ENDPOINT_TEXT];
	int lfd = -1, cfd = -1, afd = -1, sv[2], got, rc;
	uint16_t port = 0, dead_port = 0;

	is_int(tcp_listen(&ep, 4, &lfd, &port), 0, "listen on 127.0.0.1:0");
	ok(port != 0, "bound to port %u", port);
	is_int(tcp_accept(lfd, &afd, peer), -EAGAIN,
	       "accept with nothing pending: -EAGAIN");
	ep.port = port;
	is_int(tcp_connect_start(&ep, &cfd), 0, "nonblocking connect starts");
	is_int(wait_writable(cfd), 0, "and completes");
	is_int(tcp_accept(lfd, &afd, peer), 0, "accept");
	ok(strncmp(peer, "127.0.0.1:", 10) == 0, "peer text %s", peer);
	ok((fcntl(afd, F_GETFD) & FD_CLOEXEC) != 0,
	   "accepted fd close-on-exec");

	/* SCM_RIGHTS: the receiver talks through the socket it was given. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	is_int(tcp_set_blocking(cfd), 0, "back to blocking mode");
	is_int(tcp_fd_send(sv[0], cfd), 0, "fd sent over a unix socket");
	got = recv_fd(sv[1]);
	ok(got >= 0, "fd received");
	if (got >= 0) {
		char buf[8] = {0};

		ok(write(got, "hello", 5) == 5 && read(afd, buf, 5) == 5 &&
			   memcmp(buf, "hello", 5) == 0,
		   "bytes written on the passed fd arrive at the peer");
		close(got);
	}
	close(sv[0]);
	close(sv[1]);
	close(cfd);
	close(afd);

	/* A port nobody listens on any more: refused. */
	ep.port = 0;
	if (tcp_listen(&ep, 1, &afd, &dead_port) == 0)
		close(afd);
	ep.port = dead_port;
	rc = tcp_connect_start(&ep, &cfd);
	if (rc == 0) {
		rc = wait_writable(cfd);
		close(cfd);
	}
	is_int(rc, -ECONNREFUSED, "connect to a closed port: -ECONNREFUSED");
	close(lfd);

	memset(&ep, 0, sizeof(ep));
	ep.is_v6 = true;
	ep.a6[0] = 0x20, ep.a6[1] = 0x01, ep.a6[2] = 0x0d, ep.a6[3] = 0xb8;
	ep.a6[15] = 1;
	ep.port = 443;
	tcp_endpoint_format(&ep, text);
	ok(strcmp(text, "[2001:db8::1]:443") == 0, "IPv6 text: %s", text);
	ep.is_v6 = false;
	ep.a4 = 0xc0000201u;
	ep.port = 1;
	tcp_endpoint_format(&ep, text);
	ok(strcmp(text, "192.0.2.1:1") == 0, "IPv4 text: %s", text);
	return done_testing();
}
