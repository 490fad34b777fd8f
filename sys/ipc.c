/* The privsep channel.  See ipc.h. */
#include "sys/ipc.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int
ipc_pair(int fd[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fd) < 0)
		return -errno;
	return 0;
}

int
ipc_send(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int
ipc_recv(int fd, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int r;

	*len = 0;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	*len = (size_t)n;
	return 0;
}

int
ipc_ifindex(const char *ifname, uint32_t *ifindex)
{
	unsigned i = if_nametoindex(ifname);

	if (i == 0)
		return -ENODEV;
	*ifindex = i;
	return 0;
}

pid_t
ipc_self_pid(void)
{
	return getpid();
}
