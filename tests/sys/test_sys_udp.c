/*
 * sys/udp on the loopback interface: socket options (no DF, IP_PKTINFO),
 * batched send and receive of many datagrams (more than one recvmmsg
 * call), the local address learned per datagram, sending from a chosen
 * source address, truncation, per-datagram send errors, port conflicts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sys_test.h"
#include "sys/udp.h"

#define LO_1 0x7f000001u /* 127.0.0.1 */
#define LO_2 0x7f000002u /* 127.0.0.2: also local, via lo's 127/8 */
#define LO_3 0x7f000003u

/* Receives until want datagrams arrived or 2 s passed. */
static size_t
recv_all(int fd, struct udp_dgram *v, size_t want)
{
	uint64_t deadline = sys_now_ms() + 2000;
	size_t have = 0;

	while (have < want && sys_now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		size_t got = 0;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (udp_recv_batch(fd, v + have, want - have, &got) < 0)
			break;
		have += got;
	}
	return have;
}

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i);
}

static void
test_batch(int a, uint16_t a_port, int b, uint16_t b_port)
{
	enum { N = 100 }; /* more than UDP_BATCH_MAX: two mmsg calls */
	static uint8_t out[N][256], in[N][512];
	struct udp_dgram sv[N], rv[N];
	size_t sent = 0, got, good = 0, lens_ok = 0;
	int err;

	for (size_t i = 0; i < N; i++) {
		size_t len = 1 + (i * 37) % 256;

		fill(out[i], len, (unsigned)i);
		sv[i] = (struct udp_dgram){.buf = out[i],
					   .len = len,
					   .peer_ipv4 = LO_2,
					   .peer_port = b_port};
		rv[i] = (struct udp_dgram){.buf = in[i], .cap = sizeof(in[i])};
	}
	err = udp_send_batch(a, sv, N, &sent);
	is_int(err, 0, "udp_send_batch of 100 datagrams");
	is_int(sent, N, "all 100 sent");
	got = recv_all(b, rv, N);
	is_int(got, N, "all 100 received in batches");
	for (size_t i = 0; i < got; i++) {
		lens_ok += rv[i].len == sv[i].len && !rv[i].is_truncated;
		good += rv[i].len == sv[i].len &&
			memcmp(rv[i].buf, out[i], sv[i].len) == 0 &&
			rv[i].peer_ipv4 == LO_1 && rv[i].peer_port == a_port &&
			rv[i].local_ipv4 == LO_2;
	}
	is_int(lens_ok, N, "lengths preserved, nothing truncated");
	is_int(good, N,
	       "payload, peer 127.0.0.1:a and local 127.0.0.2 (IP_PKTINFO) "
	       "right for each, in order");
	/* Drained: nothing more is not an error. */
	got = 99;
	is_int(udp_recv_batch(b, rv, N, &got), 0, "empty socket: returns 0");
	is_int(got, 0, "and *got = 0");
}

static void
test_source_choice(int a, uint16_t a_port, int b)
{
	uint8_t msg[] = "from 127.0.0.3", buf[64];
	struct udp_dgram sv = {.buf = msg,
			       .len = sizeof(msg),
			       .peer_ipv4 = LO_1,
			       .peer_port = a_port,
			       .local_ipv4 = LO_3};
	struct udp_dgram rv = {.buf = buf, .cap = sizeof(buf)};
	size_t sent = 0;

	/* b is bound to INADDR_ANY, so it may speak from any local address. */
	is_int(udp_send_batch(b, &sv, 1, &sent), 0, "send with local_ipv4");
	is_int(recv_all(a, &rv, 1), 1, "received");
	is_int(rv.peer_ipv4, LO_3, "source address chosen by ipi_spec_dst");
	is_int(rv.local_ipv4, LO_1, "arrived on 127.0.0.1");
	is_mem(rv.buf, rv.len, msg, sizeof(msg), "payload");
}

static void
test_truncation_and_errors(int a, int b, uint16_t b_port)
{
	static uint8_t big[70000];
	uint8_t small[8];
	struct udp_dgram rv = {.buf = small, .cap = sizeof(small)};
	struct udp_dgram sv[3] = {
		{.buf = big,
		 .len = 100,
		 .peer_ipv4 = LO_2,
		 .peer_port = b_port},
		{.buf = big,
		 .len = sizeof(big),
		 .peer_ipv4 = LO_2,
		 .peer_port = b_port},
		{.buf = big, .len = 10, .peer_ipv4 = LO_2, .peer_port = b_port},
	};
	size_t sent = 99;
	int err;

	fill(big, sizeof(big), 7);
	err = udp_send_batch(a, sv, 3, &sent);
	is_int(err, -EMSGSIZE, "oversized datagram: -EMSGSIZE");
	is_int(sent, 1, "reported at its index; the first went out");
	is_int(udp_send_batch(a, sv + 2, 1, &sent), 0, "the rest can follow");
	is_int(recv_all(b, &rv, 1), 1, "received the 100-byte datagram");
	ok(rv.is_truncated && rv.len == sizeof(small),
	   "into 8 bytes: truncated, 8 kept");
	is_mem(rv.buf, rv.len, big, sizeof(small), "its first 8 bytes");
	is_int(recv_all(b, &rv, 1), 1, "then the 10-byte one");
	ok(rv.is_truncated && rv.len == 8, "10 bytes into 8: truncated too");
	is_int(udp_send(a, big, 12, LO_2, b_port), 0, "udp_send");
	rv.cap = sizeof(small);
	is_int(recv_all(b, &rv, 1), 1, "single datagram received");
}

/*
 * UDP GSO out, GRO in: one send of 250 bytes cut at 100 reaches a GRO
 * socket as one train with gso_size 100 (loopback keeps the GSO skb
 * whole), and a socket without GRO as three datagrams (the kernel
 * segments it for a reader that did not ask, udp_unexpected_gso()).
 */
static void
test_gso_gro(int a, int b, uint16_t b_port)
{
	static uint8_t out[250], in[4][1024];
	struct udp_dgram sv = {.buf = out,
			       .len = sizeof(out),
			       .peer_ipv4 = LO_2,
			       .peer_port = b_port,
			       .gso_size = 100};
	struct udp_dgram rv[4];
	size_t sent = 0, got;
	int g = -1;
	uint16_t g_port = 0;
	uint32_t ip;

	if (udp_has_gso(a) < 0) {
		ok(true, "# SKIP no UDP GSO in this kernel");
		return;
	}
	fill(out, sizeof(out), 3);
	for (size_t i = 0; i < ARRAY_SIZE(rv); i++)
		rv[i] = (struct udp_dgram){.buf = in[i], .cap = sizeof(in[i])};
	is_int(udp_send_batch(a, &sv, 1, &sent), 0, "a UDP_SEGMENT send");
	got = recv_all(b, rv, 3);
	is_int(got, 3, "without GRO: three datagrams");
	ok(got == 3 && rv[0].len == 100 && rv[1].len == 100 &&
		   rv[2].len == 50 && rv[0].gso_size == 0 &&
		   memcmp(rv[2].buf, out + 200, 50) == 0,
	   "of 100, 100 and 50 bytes, gso_size 0");

	if (udp_open(LO_2, 0, &g) < 0 || udp_local(g, &ip, &g_port) < 0) {
		ok(false, "a third socket");
		return;
	}
	is_int(udp_set_gro(g), 0, "UDP_GRO on");
	sv.peer_port = g_port;
	is_int(udp_send_batch(a, &sv, 1, &sent), 0, "the same send to it");
	got = recv_all(g, rv, 1);
	is_int(got, 1, "with GRO: one train");
	ok(got == 1 && rv[0].len == 250 && rv[0].gso_size == 100 &&
		   memcmp(rv[0].buf, out, 250) == 0 && rv[0].local_ipv4 == LO_2,
	   "250 bytes, gso_size 100, IP_PKTINFO still there");
	udp_close(g);
}

int
main(void)
{
	int a, b, c = -1, mode = -1;
	uint32_t ip = 0;
	uint16_t a_port = 0, b_port = 0;

	is_int(udp_open(LO_1, 0, &a), 0, "udp_open 127.0.0.1:0");
	is_int(udp_open(0, 0, &b), 0, "udp_open 0.0.0.0:0");
	is_int(udp_local(a, &ip, &a_port), 0, "udp_local a");
	ok(ip == LO_1 && a_port != 0, "a bound to 127.0.0.1:%u", a_port);
	is_int(udp_local(b, &ip, &b_port), 0, "udp_local b");
	ok(ip == 0 && b_port != 0, "b bound to 0.0.0.0:%u", b_port);
	is_int(udp_get_pmtudisc(a, &mode), 0, "read IP_MTU_DISCOVER");
	is_int(mode, IP_PMTUDISC_DONT, "IP_PMTUDISC_DONT: DF never set");
	{
		int size = 0;
		socklen_t len = sizeof(size);

		/* Past rmem_max as root (SO_RCVBUFFORCE); Linux doubles it. */
		is_int(udp_set_buffers(a, 4 << 20), 0, "udp_set_buffers 4 MiB");
		if (getsockopt(a, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0)
			size = -1;
		ok(size >= 4 << 20, "receive buffer now %d bytes", size);
	}
	{
		int on = 0;
		socklen_t len = sizeof(on);

		ok(getsockopt(a, IPPROTO_IP, IP_PKTINFO, &on, &len) == 0 &&
			   on == 1,
		   "IP_PKTINFO on");
		on = 1;
		ok(getsockopt(a, SOL_SOCKET, SO_REUSEADDR, &on, &len) == 0 &&
			   on == 0,
		   "SO_REUSEADDR off");
	}
	is_int(udp_open(LO_1, a_port, &c), -EADDRINUSE,
	       "a second socket on the same port: -EADDRINUSE");
	is_int(c, -1, "and no fd");
	test_batch(a, a_port, b, b_port);
	test_source_choice(a, a_port, b);
	test_truncation_and_errors(a, b, b_port);
	test_gso_gro(a, b, b_port);
	is_int(udp_join_group(b, 0x0a000001u, 0), -EINVAL,
	       "joining a unicast address: -EINVAL");
	udp_close(a);
	udp_close(b);
	udp_close(-1);
	return done_testing();
}
