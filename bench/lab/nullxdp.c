/*
 * nullxdp: nullsrv (bench/lab/nullsrv.c) over AF_XDP, to measure whether a
 * server that bypasses the socket layer gets below the CPU floor per
 * answered Router Solicitation in the lab benchmark (bench/lab/run,
 * BENCH_RS_FLOOR=1).  Not part of the build: the script compiles it with
 *
 *   cc -std=gnu11 -O2 -o nullxdp nullxdp.c -lxdp -lbpf
 *
 * (Debian: libxdp-dev, libbpf-dev) and its XDP program nullxdp.bpf.c with
 * clang -target bpf.
 *
 * It attaches nullxdp.bpf.o to IFNAME, which redirects UDP to ADDRESS:PORT
 * to an AF_XDP socket on queue 0 and passes every other frame (ARP) to the
 * kernel, and answers each redirected datagram with the same 109-byte
 * RA-sized payload as nullsrv (the first 13 bytes copied from the RS, the
 * rest from the template), in a frame built from the request's: Ethernet
 * addresses, IPv4 addresses and UDP ports swapped, a fresh IPv4 header
 * (TTL 64, DF) and checksum, UDP checksum 0.  No parsing beyond that.
 *
 *   nullxdp -i wan -a 192.0.2.32 -o nullxdp.bpf.o [-p 3544] [-d SECONDS]
 *           [-c NAP_US] [-M auto|native|skb]
 *
 * XDP mode: native (the veth driver's XDP) or skb (generic XDP); auto tries
 * native first.  The socket is always in copy mode (veth has no
 * zero-copy).  The XDP program is attached through a BPF link, so it goes
 * away with the process however that ends.
 *
 * The loop is nullsrv -m batch's: poll() on the socket, then a NAP_US nap
 * (1000) unless the last wake-up read a full batch, then batches of 64 from
 * the RX ring, at most 64 batches a wake-up; per batch, the replies go into
 * frames of the TX half of the UMEM, the RX frames straight back to the
 * fill ring, one sendto() kick (repeated while the kernel's per-call TX
 * budget runs out) and the completion ring reaped into the free TX frames.
 * On SIGTERM, SIGINT or after SECONDS (default 600) it prints its counts on
 * stderr and exits.
 *
 * Bounded: SECONDS <= 3600, NAP_US <= 100000.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#define BATCH 64
#define DRAIN_ROUNDS 64
#define RA_LEN 109
#define AUTH_LEN 13 /* copied from the RS: 0001, id/au lengths, nonce, conf. */
#define FRAME_SIZE 2048
#define RING_SIZE 2048 /* every ring; RX frames = TX frames = RING_SIZE */
#define NUM_FRAMES (2 * RING_SIZE)
#define HDR_LEN (ETH_HLEN + 20 + 8)
#define KICKS 128 /* sendto() calls per batch at most */

/* nullsrv.c's template: an RA as teredo-serverd sends it, no MTU option. */
static const uint8_t ra_template[RA_LEN] = {
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x30, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x54, 0x45, 0x52, 0x45, 0x44,
	0x4f, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x86, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xd0,
	0x03, 0x04, 0x40, 0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00, 0xc0, 0x00,
	0x02, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* nullxdp.bpf.c's .rodata. */
struct nullxdp_cfg {
	uint32_t addr;
	uint32_t port;
};

static volatile sig_atomic_t stop;
static uint64_t n_rx, n_tx, n_short, n_notx, n_kicks, n_kick_err, n_wake;

static struct xsk_ring_prod fq, txq;
static struct xsk_ring_cons cq, rxq;
static uint8_t *area;
static int xfd;
static uint64_t tx_free[RING_SIZE]; /* a stack of free TX frame addresses */
static unsigned n_free;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t
ip_checksum(const void *hdr)
{
	const uint8_t *p = hdr;
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The reply to the LEN-byte frame RX in TX; false if RX is too short. */
static bool
reply(uint8_t *tx, const uint8_t *rx, uint32_t len)
{
	const struct ethhdr *re = (const void *)rx;
	const struct iphdr *ri = (const void *)(rx + ETH_HLEN);
	const struct udphdr *ru = (const void *)(rx + ETH_HLEN + 20);
	struct ethhdr *te = (void *)tx;
	struct iphdr *ti = (void *)(tx + ETH_HLEN);
	struct udphdr *tu = (void *)(tx + ETH_HLEN + 20);
	uint32_t plen;

	if (len < HDR_LEN)
		return false;
	plen = len - HDR_LEN;
	if (ntohs(ru->len) >= 8 && ntohs(ru->len) - 8u < plen)
		plen = ntohs(ru->len) - 8u;
	memcpy(te->h_dest, re->h_source, ETH_ALEN);
	memcpy(te->h_source, re->h_dest, ETH_ALEN);
	te->h_proto = htons(ETH_P_IP);
	*ti = (struct iphdr){.version = 4,
			     .ihl = 5,
			     .tot_len = htons(20 + 8 + RA_LEN),
			     .frag_off = htons(0x4000),
			     .ttl = 64,
			     .protocol = IPPROTO_UDP,
			     .saddr = ri->daddr,
			     .daddr = ri->saddr};
	ti->check = ip_checksum(ti);
	*tu = (struct udphdr){.source = ru->dest,
			      .dest = ru->source,
			      .len = htons(8 + RA_LEN)};
	/* The rest of the payload is the template, written once at start. */
	memcpy(tx + HDR_LEN, rx + HDR_LEN, plen < AUTH_LEN ? plen : AUTH_LEN);
	return true;
}

static void
reap(void)
{
	uint32_t idx, n = xsk_ring_cons__peek(&cq, RING_SIZE, &idx);

	for (uint32_t i = 0; i < n; i++)
		tx_free[n_free++] = *xsk_ring_cons__comp_addr(&cq, idx + i);
	if (n > 0)
		xsk_ring_cons__release(&cq, n);
}

/* Copy mode sends at most a budget (32) of descriptors per sendto(), then
 * says EAGAIN: kick until the TX ring is empty, reaping as we go. */
static void
kick(void)
{
	for (int i = 0; i < KICKS; i++) {
		n_kicks++;
		if (sendto(xfd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			break;
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
			n_kick_err++;
			break;
		}
		reap();
	}
	reap();
}

/* One batch from the RX ring: how many frames it read. */
static unsigned
batch(void)
{
	uint32_t ri, ti = 0, fi, got, ntx, sent = 0;

	got = xsk_ring_cons__peek(&rxq, BATCH, &ri);
	if (got == 0)
		return 0;
	n_rx += got;
	ntx = got < n_free ? got : n_free;
	if (ntx > 0 && xsk_ring_prod__reserve(&txq, ntx, &ti) != ntx)
		ntx = 0;
	for (uint32_t i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rxq, ri + i);
		struct xdp_desc *t;

		if (sent == ntx) {
			n_notx++;
			continue;
		}
		t = xsk_ring_prod__tx_desc(&txq, ti + sent);
		t->addr = tx_free[n_free - 1];
		if (!reply(area + t->addr, area + d->addr, d->len)) {
			n_short++;
			continue;
		}
		t->len = HDR_LEN + RA_LEN;
		t->options = 0;
		n_free--;
		sent++;
	}
	/* The RX frames go straight back to the fill ring (same size). */
	if (xsk_ring_prod__reserve(&fq, got, &fi) == got) {
		for (uint32_t i = 0; i < got; i++)
			*xsk_ring_prod__fill_addr(&fq, fi + i) =
				xsk_ring_cons__rx_desc(&rxq, ri + i)->addr;
		xsk_ring_prod__submit(&fq, got);
	}
	xsk_ring_cons__release(&rxq, got);
	if (sent < ntx) /* short frames: give the reserved slots back */
		txq.cached_prod -= ntx - sent;
	if (sent > 0) {
		xsk_ring_prod__submit(&txq, sent);
		n_tx += sent;
		kick();
	}
	return got;
}

static void
run(unsigned nap_us)
{
	struct timespec nap = {nap_us / 1000000u,
			       (long)(nap_us % 1000000u) * 1000};
	struct pollfd pfd = {.fd = xfd, .events = POLLIN};
	bool busy = false;

	while (!stop) {
		uint64_t total = 0;

		if (poll(&pfd, 1, 1000) <= 0)
			continue; /* EINTR or idle: check stop */
		n_wake++;
		if (!busy && nap_us != 0)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
		for (int round = 0; round < DRAIN_ROUNDS; round++) {
			unsigned got = batch();

			total += got;
			if (got < BATCH)
				break;
		}
		busy = total >= BATCH;
	}
}

/* Loads the XDP program with ADDR:PORT in its .rodata; its XSKMAP's fd. */
static int
load(const char *path, struct bpf_object **objp, struct bpf_program **progp,
     uint32_t addr, uint16_t port)
{
	struct nullxdp_cfg cfg = {addr, port};
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *m, *ro = NULL;
	int err;

	if (obj == NULL) {
		fprintf(stderr, "nullxdp: cannot open %s\n", path);
		return -1;
	}
	bpf_object__for_each_map(m, obj)
	{
		const char *name = bpf_map__name(m);
		size_t n = strlen(name);

		if (n >= 7 && strcmp(name + n - 7, ".rodata") == 0)
			ro = m;
	}
	if (ro == NULL || bpf_map__set_initial_value(ro, &cfg, sizeof(cfg))) {
		fprintf(stderr, "nullxdp: no .rodata of %zu bytes in %s\n",
			sizeof(cfg), path);
		return -1;
	}
	if ((err = bpf_object__load(obj)) != 0) {
		fprintf(stderr, "nullxdp: cannot load %s: %s\n", path,
			strerror(-err));
		return -1;
	}
	*objp = obj;
	*progp = bpf_object__find_program_by_name(obj, "nullxdp_redirect");
	m = bpf_object__find_map_by_name(obj, "nullxdp_xsks");
	if (*progp == NULL || m == NULL) {
		fprintf(stderr, "nullxdp: %s: no nullxdp_redirect/xsks\n",
			path);
		return -1;
	}
	return bpf_map__fd(m);
}

/* Attaches PROG to IFINDEX in MODE through a BPF link; the link's fd. */
static int
attach(struct bpf_program *prog, int ifindex, const char *mode,
       const char **used)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd = -1;

	if (strcmp(mode, "skb") != 0) {
		opts.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP,
				     &opts);
		*used = "native";
		if (fd >= 0 || strcmp(mode, "native") == 0)
			goto out;
		fprintf(stderr, "nullxdp: native XDP: %s; trying skb\n",
			strerror(errno));
	}
	opts.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, &opts);
	*used = "skb";
out:
	if (fd < 0)
		fprintf(stderr, "nullxdp: %s XDP: %s\n", *used,
			strerror(errno));
	return fd;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nullxdp -i IFNAME -a ADDRESS -o BPF_OBJECT "
			"[-p PORT] [-d SECONDS] [-c NAP_US] "
			"[-M auto|native|skb]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *ifname = NULL, *addr = NULL, *obj_path = NULL;
	const char *mode = "auto", *used = "?";
	unsigned long port = 3544, secs = 600, nap_us = 1000;
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	struct in_addr ia;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog = NULL;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	struct xsk_umem_config ucfg = {.fill_size = RING_SIZE,
				       .comp_size = RING_SIZE,
				       .frame_size = FRAME_SIZE};
	struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY};
	int opt, ifindex, map_fd, link_fd, err;
	uint32_t fi;

	while ((opt = getopt(argc, argv, "i:a:o:p:d:c:M:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'o':
			obj_path = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			secs = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			nap_us = strtoul(optarg, NULL, 10);
			break;
		case 'M':
			mode = optarg;
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || addr == NULL || obj_path == NULL ||
	    inet_pton(AF_INET, addr, &ia) != 1 || port == 0 || port > 65535 ||
	    secs == 0 || secs > 3600 || nap_us > 100000 ||
	    (strcmp(mode, "auto") != 0 && strcmp(mode, "native") != 0 &&
	     strcmp(mode, "skb") != 0))
		usage();
	if ((ifindex = (int)if_nametoindex(ifname)) == 0) {
		perror(ifname);
		return 1;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setrlimit(RLIMIT_MEMLOCK, &unlimited); /* older kernels: UMEM */
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

	map_fd = load(obj_path, &obj, &prog, ia.s_addr, htons((uint16_t)port));
	if (map_fd < 0)
		return 1;
	if ((link_fd = attach(prog, ifindex, mode, &used)) < 0)
		return 1;

	area = mmap(NULL, (size_t)NUM_FRAMES * FRAME_SIZE,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	err = xsk_umem__create(&umem, area, (uint64_t)NUM_FRAMES * FRAME_SIZE,
			       &fq, &cq, &ucfg);
	if (err == 0)
		err = xsk_socket__create(&xsk, ifname, 0, umem, &rxq, &txq,
					 &scfg);
	if (err == 0)
		err = xsk_socket__update_xskmap(xsk, map_fd);
	if (err != 0) {
		fprintf(stderr, "nullxdp: AF_XDP socket on %s queue 0: %s\n",
			ifname, strerror(-err));
		return 1;
	}
	xfd = xsk_socket__fd(xsk);
	/* Frames 0..RING_SIZE-1 receive, the others send. */
	if (xsk_ring_prod__reserve(&fq, RING_SIZE, &fi) != RING_SIZE) {
		fprintf(stderr, "nullxdp: cannot fill the fill ring\n");
		return 1;
	}
	for (uint32_t i = 0; i < RING_SIZE; i++)
		*xsk_ring_prod__fill_addr(&fq, fi + i) =
			(uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&fq, RING_SIZE);
	for (uint32_t i = 0; i < RING_SIZE; i++) {
		uint64_t a = (uint64_t)(NUM_FRAMES - 1 - i) * FRAME_SIZE;

		memcpy(area + a + HDR_LEN, ra_template, RA_LEN);
		tx_free[n_free++] = a;
	}

	fprintf(stderr,
		"nullxdp: %s XDP, copy mode, on %s queue 0, %s:%lu, for at "
		"most %lu s\n",
		used, ifname, addr, port, secs);
	alarm((unsigned)secs);
	run((unsigned)nap_us);
	fprintf(stderr,
		"{\"mode\": \"xdp-%s-copy\", \"received\": %llu, "
		"\"sent\": %llu, \"short\": %llu, \"no_tx_frame\": %llu, "
		"\"kicks\": %llu, \"kick_errors\": %llu, \"wakeups\": %llu}\n",
		used, (unsigned long long)n_rx, (unsigned long long)n_tx,
		(unsigned long long)n_short, (unsigned long long)n_notx,
		(unsigned long long)n_kicks, (unsigned long long)n_kick_err,
		(unsigned long long)n_wake);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	close(link_fd);
	bpf_object__close(obj);
	munmap(area, (size_t)NUM_FRAMES * FRAME_SIZE);
	return 0;
}
