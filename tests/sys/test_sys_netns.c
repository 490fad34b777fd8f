/*
 * sys/tun and sys/rtnl, configured as a Teredo client would be, inside a
 * private network namespace that a forked child creates for itself: the
 * root namespace's interfaces are never touched.  Reads the configuration
 * back through `ip`, pings the Teredo address through the TUN fd, lists
 * IPv4 subnets, joins the discovery group, and undoes it all.
 */
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>

#include "sys_test.h"
#include "sys/rtnl.h"
#include "sys/tun.h"
#include "sys/udp.h"
#include "wire/gso.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/rd.h"

#define IFNAME "teredo-t0"

/* A Teredo address (server 65.54.227.120, cone, 192.0.2.45:40000). */
static const char teredo_text[] = "2001:0:4136:e378:8000:63bf:3fff:fdd2";

static bool
has(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

static int
count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
show(const char *cmd, char *out, size_t cap)
{
	run_capture(cmd, out, cap);
	/* Leave the evidence in the TAP log as comments. */
	for (char *p = out, *nl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		dprintf(STDOUT_FILENO, "#   %.*s\n", (int)(nl - p), p);
	}
}

/* Writes an echo request from peer to us into the TUN; 0 or -errno. */
static int
send_echo(int fd, const struct ip6_addr *peer, const struct ip6_addr *us,
	  uint16_t id)
{
	static const uint8_t data[] = "shipworm";
	uint8_t pkt[128];
	struct icmp6_echo e = {
		.id = id, .seq = 1, .data = data, .data_len = sizeof(data)};
	struct ip6_header h = {
		.payload_len = (uint16_t)(ICMP6_ECHO_HEADER_LEN + sizeof(data)),
		.next_header = IP6_NEXT_ICMPV6,
		.hop_limit = 64,
		.src = *peer,
		.dst = *us,
	};
	struct wr wr;

	wr_init(&wr, pkt, sizeof(pkt));
	ip6_header_write(&wr, &h);
	icmp6_echo_write(&wr, peer, us, ICMP6_ECHO_REQUEST, &e);
	if (wr_status(&wr) < 0)
		return -ENOBUFS;
	return tun_write(fd, pkt, wr.off);
}

/* Reads TUN packets (2 s, 64 packets at most) until our echo reply. */
static bool
await_reply(int fd, const struct ip6_addr *peer, const struct ip6_addr *us,
	    uint16_t id)
{
	/* Generous: a loaded CI machine (lab tests beside) once took > 2 s. */
	uint64_t deadline = sys_now_ms() + 10000;

	for (int i = 0; i < 256 && sys_now_ms() < deadline; i++) {
		static uint8_t pkt[65536];
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct ip6_header h;
		struct icmp6_msg m;
		struct rd rd;
		size_t len = 0;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (tun_read(fd, pkt, sizeof(pkt), &len) < 0)
			continue;
		rd_init(&rd, pkt, len);
		if (ip6_header_read(&rd, &h) < 0 ||
		    h.next_header != IP6_NEXT_ICMPV6 ||
		    h.payload_len > rd_left(&rd))
			continue; /* e.g. MLD reports carry a hop-by-hop hdr */
		if (icmp6_read(&h.src, &h.dst, pkt + 40, h.payload_len, &m) < 0)
			continue;
		if (m.type == ICMP6_ECHO_REPLY && m.u.echo.id == id &&
		    ip6_addr_equal(&h.src, us) && ip6_addr_equal(&h.dst, peer))
			return true;
	}
	return false;
}

static void
test_subnets(void)
{
	struct rtnl_ipv4_subnet v[16];
	size_t n = 0;
	bool lo = false, ours = false;
	char out[4096];

	show("ip addr add 10.1.2.3/24 dev " IFNAME " 2>&1", out, sizeof(out));
	cis_int(rtnl_ipv4_subnets(v, ARRAY_SIZE(v), &n), 0,
		"rtnl_ipv4_subnets");
	for (size_t i = 0; i < n; i++) {
		lo |= v[i].addr == 0x7f000001u && v[i].prefix_len == 8;
		ours |= v[i].addr == 0x0a010203u && v[i].prefix_len == 24;
	}
	cok(lo, "127.0.0.1/8 listed");
	cok(ours, "10.1.2.3/24 listed");
	cis_int(rtnl_ipv4_subnets(v, 1, &n), -ENOBUFS, "cap 1: -ENOBUFS");
	cis_int(n, 1, "with one stored");
}

static void
test_multicast(void)
{
	int fd = -1;

	cis_int(udp_open(0, 0, &fd), 0, "udp_open for discovery");
	/* TUN links are multicast-capable; 10.1.2.3 is on it. */
	cis_int(udp_join_group(fd, UDP_TEREDO_GROUP, 0x0a010203u), 0,
		"join 224.0.0.253 on 10.1.2.3");
	udp_close(fd);
}

/*
 * Reads TUN packets (2 s, 64 at most) behind their virtio-net header until
 * one from `from` with next header `proto`; finishes its checksum
 * (gso_split) into out and returns its length, or 0.
 */
static size_t
await_vnet(int fd, const struct ip6_addr *from, uint8_t proto, uint8_t *out,
	   size_t cap)
{
	/* Generous: a loaded CI machine (lab tests beside) once took > 2 s. */
	uint64_t deadline = sys_now_ms() + 10000;

	for (int i = 0; i < 256 && sys_now_ms() < deadline; i++) {
		static uint8_t pkt[65536 + VNET_HDR_LEN];
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct vnet_hdr h;
		struct gso_split s;
		struct rd rd;
		size_t len = 0, n = 0;

		if (poll(&pfd, 1, 100) <= 0 ||
		    tun_read(fd, pkt, sizeof(pkt), &len) < 0)
			continue;
		rd_init(&rd, pkt, len);
		if (vnet_hdr_read(&rd, &h) < 0 ||
		    gso_split_init(&s, &h, pkt + VNET_HDR_LEN,
				   len - VNET_HDR_LEN) < 0 ||
		    gso_split_next(&s, out, cap, &n) < 0 || n < 40)
			continue;
		if (out[6] == proto && memcmp(out + 8, from->bytes, 16) == 0)
			return n;
	}
	return 0;
}

/*
 * sys/tun with the virtio-net header and offloads (tun_open_offload,
 * tun_writev): an echo request behind an empty header is answered behind
 * one, and a GSO_TCPV6 super-packet built by lib/wire/gso (three segments
 * coalesced) to a closed port is taken whole: the stack answers it with
 * one RST, whose checksum gso_split completes.
 */
static void
test_tun_offload(void)
{
	static uint8_t seg[3][40 + 20 + 1000], out[2048];
	static const uint8_t none[VNET_HDR_LEN];
	char name[TUN_NAME_MAX];
	struct ip6_addr us, peer;
	struct gso_seg gs[3];
	struct gso_coalesce c;
	uint8_t head[GSO_HEAD_MAX], echo[128];
	struct iovec iov[4];
	struct wr wr;
	size_t n;
	int fd = -1, err, ok_segs = 0;

	if (ip6_addr_parse("2001:db8:1::1", &us) < 0 ||
	    ip6_addr_parse("2001:db8:1::2", &peer) < 0)
		_exit(5);
	err = tun_open_offload("teredo-t1", name, &fd, TUN_F_CSUM | TUN_F_TSO6);
	cis_int(err, 0, "tun_open_offload: IFF_VNET_HDR, TUN_F_CSUM|TSO6");
	if (err < 0)
		return;
	cis_int(rtnl_link_addrgen_none(name), 0, "offload TUN: no link-local");
	cis_int(rtnl_link_up(name, 1280), 0, "offload TUN up, MTU 1280");
	cis_int(rtnl_addr6_add(name, us.bytes, 64), 0, "2001:db8:1::1/64");

	{
		static const uint8_t data[] = "vnet";
		struct icmp6_echo e = {
			.id = 0x7e7, .seq = 1, .data = data, .data_len = 5};
		struct ip6_header h = {
			.payload_len = ICMP6_ECHO_HEADER_LEN + 5,
			.next_header = IP6_NEXT_ICMPV6,
			.hop_limit = 64,
			.src = peer,
			.dst = us,
		};

		wr_init(&wr, echo, sizeof(echo));
		ip6_header_write(&wr, &h);
		icmp6_echo_write(&wr, &peer, &us, ICMP6_ECHO_REQUEST, &e);
		iov[0] = (struct iovec){.iov_base = (void *)(uintptr_t)none,
					.iov_len = sizeof(none)};
		iov[1] = (struct iovec){.iov_base = echo, .iov_len = wr.off};
		/* The first packets after link-up may be lost while the
		 * interface settles: up to 4 tries, 2 s each. */
		n = 0;
		for (int i = 0; i < 4 && n == 0; i++) {
			err = tun_writev(fd, iov, 2);
			if (err < 0)
				break;
			n = await_vnet(fd, &us, IP6_NEXT_ICMPV6, out,
				       sizeof(out));
		}
		cis_int(err, 0,
			"tun_writev: an echo request behind an empty header");
		cok(n > 40 && out[40] == ICMP6_ECHO_REPLY,
		    "the reply comes back behind a virtio-net header");
	}

	/* Three ACK|PSH segments of 1000 bytes from peer:40000 to us:9. */
	for (int i = 0; i < 3; i++) {
		uint8_t *p = seg[i], *t = seg[i] + 40;
		uint32_t seqno = 1000u + (uint32_t)i * 1000u;
		uint16_t csum;

		memset(p, 0, 60);
		p[0] = 0x60;
		p[4] = (1020 >> 8) & 0xff;
		p[5] = 1020 & 0xff;
		p[6] = IP6_NEXT_TCP;
		p[7] = 64;
		memcpy(p + 8, peer.bytes, 16);
		memcpy(p + 24, us.bytes, 16);
		t[0] = 40000 >> 8;
		t[1] = 40000 & 0xff;
		t[3] = 9;
		t[4] = (uint8_t)(seqno >> 24);
		t[5] = (uint8_t)(seqno >> 16);
		t[6] = (uint8_t)(seqno >> 8);
		t[7] = (uint8_t)seqno;
		t[11] = 1; /* ack 1 */
		t[12] = 5 << 4;
		t[13] = i < 2 ? TCP_ACK : TCP_ACK | TCP_PSH;
		t[14] = 0xff;
		memset(t + 20, 'a' + i, 1000);
		csum = ip6_upper_csum(&peer, &us, IP6_NEXT_TCP, t, 1020);
		t[16] = (uint8_t)(csum >> 8);
		t[17] = (uint8_t)csum;
		ok_segs += gso_seg_read(p, sizeof(seg[i]), false, &gs[i]) == 0;
	}
	cis_int(ok_segs, 3, "three segments lib/wire/gso may coalesce");
	gso_coalesce_start(&c, seg[0], &gs[0]);
	cok(gso_coalesce_add(&c, seg[1], &gs[1]) == 0 &&
		    gso_coalesce_add(&c, seg[2], &gs[2]) == 0,
	    "coalesced into one run");
	wr_init(&wr, head, sizeof(head));
	cis_int(gso_coalesce_write_head(&c, &wr), 0, "its head");
	iov[0] = (struct iovec){.iov_base = head, .iov_len = wr.off};
	for (int i = 0; i < 3; i++)
		iov[i + 1] = (struct iovec){.iov_base = seg[i] + 60,
					    .iov_len = 1000};
	cis_int(tun_writev(fd, iov, 4), 0,
		"tun_writev: a GSO_TCPV6 super-packet of 3000 bytes");
	n = await_vnet(fd, &us, IP6_NEXT_TCP, out, sizeof(out));
	cok(n >= 60 && (out[40 + 13] & TCP_RST) != 0 && out[40 + 1] == 9,
	    "the stack answers with a RST from port 9");
	cis_int(n >= 60 ? ip6_upper_csum(&us, &peer, IP6_NEXT_TCP, out + 40,
					 n - 40)
			: 1,
		0, "whose checksum (finished by gso_split) verifies");
	tun_close(fd);
}

static void
in_namespace(void)
{
	char name[TUN_NAME_MAX], out[8192], cmd[256], want[128];
	struct ip6_addr teredo, ll, peer, zero = {{0}}, relay;
	uint8_t junk[40] = {0x00};
	size_t len = 0;
	int fd = -1, err;

	if (ip6_addr_parse(teredo_text, &teredo) < 0 ||
	    ip6_addr_parse("fe80::8000:ffff:ffff:fffe", &ll) < 0 ||
	    ip6_addr_parse("2001:db8::1", &peer) < 0 ||
	    ip6_addr_parse("2001:db8::", &relay) < 0)
		_exit(5);

	cis_int(rtnl_link_up("lo", 0), 0, "lo up");
	cis_int(tun_open("this-name-is-too-long", name, &fd), -ENAMETOOLONG,
		"tun_open: name too long");
	err = tun_open(IFNAME, name, &fd);
	cis_int(err, 0, "tun_open " IFNAME);
	if (err < 0)
		return;
	cok(strcmp(name, IFNAME) == 0, "actual name %s", name);
	cis_int(tun_read(fd, out, sizeof(out), &len), -EAGAIN,
		"down and silent: tun_read -EAGAIN (nonblocking)");

	cis_int(rtnl_link_addrgen_none(IFNAME), 0, "no kernel link-local");
	cis_int(rtnl_ipv6_no_autoconf(IFNAME), 0, "accept_ra/autoconf off");
	run_capture("cat /proc/sys/net/ipv6/conf/" IFNAME "/accept_ra", out,
		    sizeof(out));
	cok(out[0] == '0', "accept_ra reads 0");
	cis_int(rtnl_link_up(IFNAME, 1280), 0, "link up, MTU 1280");
	show("ip link show dev " IFNAME, out, sizeof(out));
	cok(has(out, "mtu 1280") && has(out, ",UP"), "ip link: UP, mtu 1280");

	/* The client's configuration, as Miredo's client hook does it. */
	cis_int(rtnl_addr6_add(IFNAME, ll.bytes, 64), 0,
		"add link-local fe80::8000:ffff:ffff:fffe/64");
	cis_int(rtnl_addr6_add(IFNAME, teredo.bytes, 32), 0,
		"add the Teredo address /32");
	cis_int(rtnl_addr6_add(IFNAME, teredo.bytes, 32), 0,
		"adding it again is fine");
	cis_int(rtnl_route6_add(IFNAME, zero.bytes, 0, 1029), 0,
		"default route, metric 1029 (last resort)");
	cis_int(rtnl_route6_add(IFNAME, zero.bytes, 0, 1029), -EEXIST,
		"the same route again: -EEXIST");
	/* What a relay adds instead: a prefix route, default metric. */
	cis_int(rtnl_route6_add(IFNAME, relay.bytes, 32, 0), 0,
		"route 2001:db8::/32, kernel metric");

	show("ip -6 addr show dev " IFNAME, out, sizeof(out));
	snprintf(want, sizeof(want), "inet6 %s/32 scope global", teredo_text);
	cok(has(out, want), "ip -6 addr: %s", want);
	cok(has(out, "inet6 fe80::8000:ffff:ffff:fffe/64 scope link"),
	    "ip -6 addr: the link-local address");
	cok(!has(out, "tentative"), "no DAD pending");
	/* addrgen none: ours is the only link-local address. */
	cis_int(count(out, "inet6 fe80"), 1,
		"no kernel-generated link-local address beside ours");
	show("ip -6 route show dev " IFNAME, out, sizeof(out));
	cok(has(out, "2001::/32 proto kernel"),
	    "ip -6 route: 2001::/32 from the /32 address");
	cok(has(out, "default proto static metric 1029"),
	    "ip -6 route: default metric 1029");
	cok(has(out, "2001:db8::/32 proto static metric 1024"),
	    "ip -6 route: 2001:db8::/32 metric 1024");

	/* The data path: a peer pings the Teredo address through the TUN. */
	cis_int(send_echo(fd, &peer, &teredo, 0x5157), 0,
		"tun_write an echo request");
	cok(await_reply(fd, &peer, &teredo, 0x5157),
	    "tun_read the kernel's echo reply");
	cis_int(tun_write(fd, junk, sizeof(junk)), -EINVAL,
		"tun_write of a non-IP packet: -EINVAL");

	test_subnets();
	test_multicast();

	cis_int(rtnl_route6_del(IFNAME, relay.bytes, 32, 0), 0,
		"delete 2001:db8::/32");
	cis_int(rtnl_route6_del(IFNAME, zero.bytes, 0, 1029), 0,
		"delete the default route");
	cis_int(rtnl_route6_del(IFNAME, zero.bytes, 0, 1029), -ESRCH,
		"deleting it again: -ESRCH");
	cis_int(rtnl_addr6_del(IFNAME, teredo.bytes, 32), 0,
		"delete the Teredo address");
	cis_int(rtnl_addr6_del(IFNAME, teredo.bytes, 32), -EADDRNOTAVAIL,
		"deleting it again: -EADDRNOTAVAIL");
	show("ip -6 addr show dev " IFNAME "; ip -6 route show dev " IFNAME,
	     out, sizeof(out));
	snprintf(want, sizeof(want), "%s/32", teredo_text);
	cok(!has(out, want) && !has(out, "default proto") && !has(out, "2001:"),
	    "address and routes gone");

	cis_int(rtnl_addr6_add(IFNAME, teredo.bytes, 129), -EINVAL,
		"prefix length 129: -EINVAL");
	cis_int(rtnl_addr6_add("nonexistent0", teredo.bytes, 32), -ENODEV,
		"unknown interface: -ENODEV");
	cis_int(rtnl_link_up(IFNAME, 70000), -EINVAL,
		"MTU 70000: refused by the kernel, -EINVAL");
	cis_int(rtnl_link_down(IFNAME), 0, "link down");
	show("ip link show dev " IFNAME, out, sizeof(out));
	cok(!has(out, ",UP"), "ip link: down");
	tun_close(fd);
	snprintf(cmd, sizeof(cmd), "%s", IFNAME);
	cok(if_nametoindex(cmd) == 0, "the interface left with its last fd");
	test_tun_offload();
}

int
main(void)
{
	pid_t pid;
	int rfd;

	if (geteuid() != 0)
		skip_all("needs root for unshare(CLONE_NEWNET)");
	pid = child_start(&rfd);
	if (pid == 0) {
		alarm(20);
		if (unshare(CLONE_NEWNET) < 0) {
			cok(false, "unshare(CLONE_NEWNET): %s",
			    strerror(errno));
			_exit(1);
		}
		cok(true, "in a private network namespace");
		in_namespace();
		_exit(0);
	}
	child_collect(pid, rfd, 30000, "netns child");
	return done_testing();
}
