/* Raw IPv6 output (see raw6.h). */
#include "sys/raw6.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IP6_DST_OFFSET 24

int
raw6_open(int *fd_out)
{
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_RAW);

	if (fd < 0)
		return -errno;
	/* Send only: nothing we would read ever comes to this socket, but
	 * an empty receive buffer makes sure nothing piles up either. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){0}, sizeof(int));
	*fd_out = fd;
	return 0;
}

int
raw6_send(int fd, const uint8_t *ip6, size_t len)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6};

	if (len < 40)
		return -EINVAL;
	memcpy(&dst.sin6_addr, ip6 + IP6_DST_OFFSET, sizeof(dst.sin6_addr));
	if (sendto(fd, ip6, len, 0, (const struct sockaddr *)&dst,
		   sizeof(dst)) < 0)
		return -errno;
	return 0;
}

void
raw6_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
