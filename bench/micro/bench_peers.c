/*
 * bench_peers: per-packet cost of the Teredo relay as its peer table grows
 * (issue 11 A6), and memory per peer.  A relay-mode teredo_client with N
 * trusted peers (1/8 of them with a bubble retry pending, so that the
 * timer heap is not empty) handles, per iteration, one packet from a
 * Teredo client to the native side (teredo_client_on_udp), one packet
 * from the native side to a Teredo client (teredo_client_on_tun), each to
 * a peer drawn at random (every lookup a cache miss at large N), and asks
 * teredo_client_deadline() after each, as the daemon's loop does.
 *
 *   bench_peers [--max N] [--iterations I]
 *
 * Sizes 1024, 65536 and 1048576, up to --max.  Timing is printed, never
 * asserted; the self-checks (every packet delivered or sent) exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/msg.h"
#include "wire/icmp6.h"

#define SERVER 0xcb007178u /* 203.0.113.120 */

static uint64_t rng = 88172645463325252ull, nsent, ndelivered;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
io_send(void *ctx, uint32_t ipv4, uint16_t port, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)ipv4;
	(void)port;
	(void)buf;
	(void)len;
	nsent++;
}

static void
io_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	(void)ctx;
	(void)ip6;
	(void)len;
	ndelivered++;
}

static void
io_address(void *ctx, const struct ip6_addr *addr)
{
	(void)ctx;
	(void)addr;
}

static void
io_random(void *ctx, void *buf, size_t n)
{
	uint8_t *p = buf;

	(void)ctx;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)next();
}

/* Peer i: a Teredo client at 198.18.0.0/15 + i, port 4000 + i % 1000. */
static struct ip6_addr
peer_addr(uint32_t i, uint32_t *ipv4, uint16_t *port)
{
	struct teredo_addr t = {.prefix = TEREDO_PREFIX,
				.server_ipv4 = SERVER,
				.mapped_ipv4 = 0xc6120000u + i,
				.mapped_port = (uint16_t)(4000 + i % 1000)};
	struct ip6_addr a;

	teredo_addr_write(&t, &a);
	*ipv4 = t.mapped_ipv4;
	*port = t.mapped_port;
	return a;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run(size_t n, unsigned iterations)
{
	static const struct teredo_client_io io = {
		.send_udp = io_send,
		.deliver = io_deliver,
		.address = io_address,
		.random = io_random,
	};
	struct teredo_client_config cfg = {.relay = true};
	struct ip6_addr host;
	struct teredo_client c;
	struct teredo_peer *peers = calloc(n, sizeof(*peers));
	uint8_t(*up)[128] = NULL, (*down)[128] = NULL;
	size_t *up_len = NULL, *down_len = NULL;
	const unsigned kinds = 4096; /* pre-built packets, peers at random */
	uint32_t *which = NULL, *ip = NULL;
	uint16_t *port = NULL;
	double t0, t1;
	uint64_t sink = 0;

	if (peers == NULL || ip6_addr_parse("2001:db8::1", &host) < 0 ||
	    teredo_client_init(&c, &cfg, &io, peers, n) < 0)
		return 1;
	teredo_client_start(&c, 0);
	for (uint32_t i = 0; i < n; i++) {
		enum teredo_peers_refusal why;
		struct teredo_peer *p;
		uint32_t v4;
		uint16_t pt;
		struct ip6_addr a = peer_addr(i, &v4, &pt);

		p = teredo_peers_new(&c.peers, 1000, &a, true, 0, 0, &why);
		if (p == NULL)
			return 1;
		teredo_peers_set_trusted(&c.peers, p, true, 1000);
		p->mapped_ipv4 = v4;
		p->mapped_port = pt;
		p->last_rx_ms = p->last_tx_ms = 1000;
		if (i % 8 == 0)
			teredo_peers_set_retry(&c.peers, p,
					       100000 + next() % 100000);
	}
	up = calloc(kinds, sizeof(*up));
	down = calloc(kinds, sizeof(*down));
	up_len = calloc(kinds, sizeof(*up_len));
	down_len = calloc(kinds, sizeof(*down_len));
	which = calloc(kinds, sizeof(*which));
	ip = calloc(kinds, sizeof(*ip));
	port = calloc(kinds, sizeof(*port));
	if (up == NULL || down == NULL || up_len == NULL || down_len == NULL ||
	    which == NULL || ip == NULL || port == NULL)
		return 1;
	for (unsigned k = 0; k < kinds; k++) {
		struct icmp6_echo echo = {.id = 7, .seq = (uint16_t)k};
		struct ip6_addr a;

		which[k] = (uint32_t)(next() % n);
		a = peer_addr(which[k], &ip[k], &port[k]);
		if (teredo_echo_write(up[k], sizeof(up[k]), &a, &host, 64,
				      ICMP6_ECHO_REQUEST, &echo,
				      &up_len[k]) < 0 ||
		    teredo_echo_write(down[k], sizeof(down[k]), &host, &a, 64,
				      ICMP6_ECHO_REPLY, &echo,
				      &down_len[k]) < 0)
			return 1;
	}
	nsent = ndelivered = 0;
	t0 = now_s();
	for (unsigned i = 0; i < iterations; i++) {
		unsigned k = (unsigned)(next() % kinds);
		uint64_t now = 2000 + i / 1000; /* 1 ms per 1000 pairs */

		teredo_client_on_udp(&c, now, up[k], up_len[k], ip[k], port[k],
				     0);
		sink += teredo_client_deadline(&c);
		teredo_client_on_tun(&c, now, down[k], down_len[k]);
		sink += teredo_client_deadline(&c);
	}
	t1 = now_s();
	if (ndelivered != iterations || nsent != iterations) {
		fprintf(stderr,
			"self-check failed at %zu peers: %llu in, %llu "
			"out of %u\n",
			n, (unsigned long long)ndelivered,
			(unsigned long long)nsent, iterations);
		return 1;
	}
	printf("%9zu peers  %7.1f ns/packet  (%u packets each way, "
	       "deadline after each; sink %llu)\n",
	       n, (t1 - t0) * 1e9 / (2.0 * iterations), iterations,
	       (unsigned long long)(sink & 1));
	free(peers);
	free(up);
	free(down);
	free(up_len);
	free(down_len);
	free(which);
	free(ip);
	free(port);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t max = 1u << 20, sizes[] = {1024, 65536, 1u << 20};
	unsigned iterations = 1000000;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--max") == 0)
			max = strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--iterations") == 0)
			iterations = (unsigned)strtoul(argv[i + 1], NULL, 0);
	}
	printf("memory per peer: %zu bytes (struct teredo_peer; of which "
	       "%zu queue, %zu the table's index links and slots)\n",
	       sizeof(struct teredo_peer), (size_t)TEREDO_QUEUE_MAX,
	       8 * sizeof(uint32_t));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] <= max && run(sizes[i], iterations) != 0)
			return 1;
	return 0;
}
