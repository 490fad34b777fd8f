/* Host network facts for natcheck: see netinfo.h. */
#include "sys/netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/ev.h"

int
netinfo_route_src(uint32_t dst_ipv4, uint32_t *src_ipv4)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};
	socklen_t sl = sizeof(sa);
	int fd, err = 0;

	sa.sin_addr.s_addr = htonl(dst_ipv4);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connect() on UDP only picks a route and a source address. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		err = -errno;
	else
		*src_ipv4 = ntohl(sa.sin_addr.s_addr);
	close(fd);
	return err;
}

int
netinfo_default_gateway(uint32_t *gw_ipv4)
{
	char line[256], ifname[64];
	unsigned long dst, gw, flags;
	FILE *f = fopen("/proc/net/route", "re");
	int err = -ENOENT;

	if (f == NULL)
		return -errno;
	/* Iface Destination Gateway Flags ...; hex, network byte order. */
	for (unsigned n = 0; n < 1024 && fgets(line, sizeof(line), f); n++) {
		if (sscanf(line, "%63s %lx %lx %lx", ifname, &dst, &gw,
			   &flags) != 4)
			continue;
		if (dst == 0 && (flags & 0x2) != 0) { /* RTF_GATEWAY */
			*gw_ipv4 = ntohl((uint32_t)gw);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

static bool
is_global6(const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;

	if ((b[0] & 0xe0) != 0x20)
		return false; /* only 2000::/3 is global unicast */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return false; /* Teredo (RFC 4380) is not native */
	if (b[0] == 0x20 && b[1] == 0x02)
		return false; /* 6to4 */
	return true;
}

int
netinfo_ipv6_global(char *out, size_t cap)
{
	struct ifaddrs *ifa, *i;
	int err = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in6 *s6;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET6)
			continue;
		s6 = (const struct sockaddr_in6 *)(const void *)i->ifa_addr;
		if (!is_global6(&s6->sin6_addr))
			continue;
		if (inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)cap) ==
		    NULL)
			err = -ENOBUFS;
		else
			err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

int
netinfo_resolve4(const char *hostport, uint16_t default_port, uint32_t *ipv4,
		 uint16_t *port)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = {.ai_family = AF_INET,
				 .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	size_t n = colon ? (size_t)(colon - hostport) : strlen(hostport);

	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, n);
	host[n] = '\0';
	*port = default_port;
	if (colon != NULL) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (*end != '\0' || p == 0 || p > 65535)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return -EHOSTUNREACH;
	*ipv4 = ntohl(((const struct sockaddr_in *)(const void *)res->ai_addr)
			      ->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

int
netinfo_udp6_exchange(const char *addr6, uint16_t port, const uint8_t *req,
		      size_t req_len, uint8_t *resp, size_t cap,
		      size_t *resp_len, int timeout_ms)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port)};
	uint64_t end = sys_now_ms() + (uint64_t)timeout_ms, next = 0;
	int fd, err = -ETIMEDOUT;

	if (inet_pton(AF_INET6, addr6, &sa.sin6_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t now = sys_now_ms();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (now >= end)
			break;
		if (now >= next) {
			if (sendto(fd, req, req_len, 0, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0 &&
			    errno != EAGAIN) {
				err = -errno;
				break;
			}
			next = now + 250;
		}
		(void)poll(&pf, 1, (int)((next < end ? next : end) - now));
		n = recvfrom(fd, resp, cap, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		if (memcmp(&from.sin6_addr, &sa.sin6_addr, 16) != 0 ||
		    from.sin6_port != sa.sin6_port)
			continue;
		*resp_len = (size_t)n;
		err = 0;
		break;
	}
	close(fd);
	return err;
}

void
netinfo_ipv6_format(const uint8_t ip[static 16], char *out, size_t cap)
{
	if (cap == 0)
		return;
	if (inet_ntop(AF_INET6, ip, out, (socklen_t)cap) == NULL)
		out[0] = '\0';
}
