/*
 * rtnetlink requests through libmnl.  See rtnl.h for the contract.
 */
#include "sys/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/ev.h"

/*
 * Request and receive buffer.  Fixed (MNL_SOCKET_BUFFER_SIZE is a runtime
 * expression); 32 KiB holds the largest message a dump sends at once.
 */
#define RTNL_BUF 32768

/* A dump interrupted by concurrent changes is retried this many times. */
#define RTNL_DUMP_TRIES 3

typedef int rtnl_msg_cb(const struct nlmsghdr *nlh, void *data);

struct rtnl_talk {
	rtnl_msg_cb *cb; /* NULL: only the ACK matters */
	void *data;
	bool interrupted;
};

static int
rtnl_talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_talk *t = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		t->interrupted = true;
	if (t->cb == NULL)
		return MNL_CB_OK;
	return t->cb(nlh, t->data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * Sends nlh on a fresh socket and runs the answer through t until the
 * ACK, NLMSG_DONE or an NLMSG_ERROR, within RTNL_TIMEOUT_MS.
 */
static int
rtnl_talk(struct nlmsghdr *nlh, struct rtnl_talk *t)
{
	char buf[RTNL_BUF];
	struct mnl_socket *nl;
	uint64_t deadline;
	unsigned portid;
	int err = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (nl == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = (uint32_t)sys_now_ms() | 1u;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	deadline = sys_now_ms() + RTNL_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl),
				     .events = POLLIN};
		uint64_t now = sys_now_ms();
		ssize_t n;
		int r;

		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (r <= 0)
			continue;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid,
			       rtnl_talk_cb, t);
		if (r == MNL_CB_ERROR) {
			err = errno > 0 ? -errno : -EPROTO;
			break;
		}
		if (r == MNL_CB_STOP)
			break;
	}
out:
	mnl_socket_close(nl);
	return err;
}

static int
rtnl_ifindex(const char *ifname, int *index)
{
	unsigned idx;

	if (ifname == NULL || strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	idx = if_nametoindex(ifname);
	if (idx == 0 || idx > INT_MAX)
		return -ENODEV;
	*index = (int)idx;
	return 0;
}

static struct nlmsghdr *
rtnl_msg(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf); /* zeroes the header */
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	return nlh;
}

/* ---- links ---- */

static int
rtnl_link_set(const char *ifname, bool up, uint32_t mtu)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct rtnl_talk t = {0};
	int index, err;

	err = rtnl_ifindex(ifname, &index);
	if (err < 0)
		return err;
	nlh = rtnl_msg(buf, RTM_NEWLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_talk(nlh, &t);
}

int
rtnl_link_up(const char *ifname, uint32_t mtu)
{
	return rtnl_link_set(ifname, true, mtu);
}

int
rtnl_link_down(const char *ifname)
{
	return rtnl_link_set(ifname, false, 0);
}

int
rtnl_link_addrgen_none(const char *ifname)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *spec, *inet6;
	struct rtnl_talk t = {0};
	int index, err;

	err = rtnl_ifindex(ifname, &index);
	if (err < 0)
		return err;
	nlh = rtnl_msg(buf, RTM_NEWLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return rtnl_talk(nlh, &t);
}

/* ---- IPv6 addresses ---- */

static int
rtnl_addr6(uint16_t type, uint16_t flags, const char *ifname,
	   const uint8_t addr[static 16], uint8_t prefix_len)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct rtnl_talk t = {0};
	int index, err;

	if (prefix_len > 128)
		return -EINVAL;
	err = rtnl_ifindex(ifname, &index);
	if (err < 0)
		return err;
	nlh = rtnl_msg(buf, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = prefix_len;
	/* TUN is NOARP so DAD is skipped anyway; say so explicitly. */
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE; /* IPv6 derives it */
	ifa->ifa_index = (uint32_t)index;
	/* IFA_ADDRESS equal to IFA_LOCAL: no peer address. */
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	return rtnl_talk(nlh, &t);
}

int
rtnl_addr6_add(const char *ifname, const uint8_t addr[static 16],
	       uint8_t prefix_len)
{
	return rtnl_addr6(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifname,
			  addr, prefix_len);
}

int
rtnl_addr6_del(const char *ifname, const uint8_t addr[static 16],
	       uint8_t prefix_len)
{
	return rtnl_addr6(RTM_DELADDR, 0, ifname, addr, prefix_len);
}

/* ---- IPv6 routes ---- */

static int
rtnl_route6(uint16_t type, uint16_t flags, const char *ifname,
	    const uint8_t prefix[static 16], uint8_t prefix_len,
	    uint32_t metric)
{
	char buf[512];
	uint8_t dst[16];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct rtnl_talk t = {0};
	int index, err;

	if (prefix_len > 128)
		return -EINVAL;
	err = rtnl_ifindex(ifname, &index);
	if (err < 0)
		return err;
	/* The route names a prefix: clear the host bits. */
	memset(dst, 0, sizeof(dst));
	memcpy(dst, prefix, prefix_len / 8u);
	if (prefix_len % 8u != 0)
		dst[prefix_len / 8u] =
			(uint8_t)(prefix[prefix_len / 8u] &
				  (0xffu << (8u - prefix_len % 8u)));
	nlh = rtnl_msg(buf, type, flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = prefix_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (prefix_len > 0)
		mnl_attr_put(nlh, RTA_DST, sizeof(dst), dst);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	if (metric != 0)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return rtnl_talk(nlh, &t);
}

int
rtnl_route6_add(const char *ifname, const uint8_t prefix[static 16],
		uint8_t prefix_len, uint32_t metric)
{
	/* Like `ip route add`: never silently replace someone's route. */
	return rtnl_route6(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname,
			   prefix, prefix_len, metric);
}

int
rtnl_route6_del(const char *ifname, const uint8_t prefix[static 16],
		uint8_t prefix_len, uint32_t metric)
{
	return rtnl_route6(RTM_DELROUTE, 0, ifname, prefix, prefix_len, metric);
}

/* ---- IPv4 subnets ---- */

struct rtnl_subnets {
	struct rtnl_ipv4_subnet *out;
	size_t cap, n;
	bool overflow;
};

struct rtnl_addr_attrs {
	const struct nlattr *local, *address;
};

static int
rtnl_addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct rtnl_addr_attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_get_payload_len(attr) != 4)
		return MNL_CB_OK;
	if (type == IFA_LOCAL)
		a->local = attr;
	else if (type == IFA_ADDRESS)
		a->address = attr;
	return MNL_CB_OK;
}

static int
rtnl_subnet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_subnets *s = data;
	const struct ifaddrmsg *ifa;
	struct rtnl_addr_attrs a = {0};
	const struct nlattr *which;
	uint32_t be;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return 0;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen > 32)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*ifa), rtnl_addr_attr_cb, &a) < 0)
		return -EBADMSG;
	/* IFA_LOCAL is ours; IFA_ADDRESS differs only on point-to-point. */
	which = a.local != NULL ? a.local : a.address;
	if (which == NULL)
		return 0;
	if (s->n == s->cap) {
		s->overflow = true;
		return 0;
	}
	memcpy(&be, mnl_attr_get_payload(which), sizeof(be));
	s->out[s->n].addr = ntohl(be);
	s->out[s->n].prefix_len = ifa->ifa_prefixlen;
	s->n++;
	return 0;
}

int
rtnl_ipv4_subnets(struct rtnl_ipv4_subnet *out, size_t cap, size_t *n)
{
	*n = 0;
	for (int tries = 0; tries < RTNL_DUMP_TRIES; tries++) {
		char buf[512];
		struct nlmsghdr *nlh;
		struct ifaddrmsg *ifa;
		struct rtnl_subnets s = {.out = out, .cap = cap};
		struct rtnl_talk t = {.cb = rtnl_subnet_cb, .data = &s};
		int err;

		nlh = rtnl_msg(buf, RTM_GETADDR, NLM_F_DUMP);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		err = rtnl_talk(nlh, &t);
		if (err < 0)
			return err;
		if (t.interrupted)
			continue;
		*n = s.n;
		return s.overflow ? -ENOBUFS : 0;
	}
	return -EAGAIN;
}

/* ---- procfs ---- */

static int
rtnl_proc_write(const char *ifname, const char *key, const char *value)
{
	char path[128];
	size_t len = strlen(value);
	ssize_t w;
	int fd, n;

	if (ifname == NULL || strlen(ifname) >= IFNAMSIZ ||
	    strchr(ifname, '/') != NULL || strcmp(ifname, ".") == 0 ||
	    strcmp(ifname, "..") == 0)
		return -ENODEV;
	n = snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s",
		     ifname, key);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, value, len);
	n = w < 0 ? -errno : (size_t)w == len ? 0 : -EIO;
	(void)close(fd);
	return n;
}

int
rtnl_ipv6_no_autoconf(const char *ifname)
{
	static const char *const keys[] = {"accept_ra", "autoconf",
					   "accept_redirects"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int err = rtnl_proc_write(ifname, keys[i], "0");

		if (err < 0)
			return err;
	}
	return 0;
}
