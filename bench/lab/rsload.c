/*
 * rsload: a Teredo Router Solicitation load generator for the lab benchmark
 * (bench/lab/run).  Not part of the build: the script compiles it with cc.
 *
 * It sends valid Teredo RSs (teredo-spec.md §2.7: 61 bytes, an
 * authentication header with a fresh nonce each, source
 * fe80::ffff:ffff:fffe, destination ff02::2, ICMPv6 type 133) to
 * SERVER:3544 from NSOCK UDP sockets, i.e. from NSOCK source ports, so the
 * load looks like many clients.  One thread sends with sendmmsg at RATE
 * RS/s for SECONDS (RATE 0: as fast as it can); a second thread counts the
 * Router Advertisements that come back with recvmmsg, for a grace period
 * after the last RS.  It prints one JSON object.
 *
 *   rsload -s 192.0.2.10 -r 50000 -d 3 [-n 256] [-p 3544] [-g 0.5]
 *
 * Nonces: nonce = mix(key + i), where i counts the RSs sent, key is drawn
 * from getrandom() and mix is the splitmix64 finaliser, a bijection.  Each
 * nonce is as unpredictable as the key, and an RA whose nonce unmixes to an
 * i below the count sent provably answers one of our RSs ("ra_matched").
 *
 * Bounded: RATE <= 20 M/s, SECONDS <= 60, NSOCK <= 4096, grace <= 5 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#define BATCH 64
#define RS_LEN 61
#define RX_CAP 512
#define NONCE_OFF 4
#define MAX_SOCK 4096

/* teredo-spec.md §2.7, nonce 0102030405060708 (overwritten per RS).  The
 * ICMPv6 checksum does not cover the authentication header, so it stays
 * 7d38 whatever the nonce. */
static const uint8_t rs_vector[RS_LEN] = {
	0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff, 0xfe,
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xfe, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x85, 0x00,
	0x7d, 0x38, 0x00, 0x00, 0x00, 0x00,
};

static int fds[MAX_SOCK];
static unsigned nsock = 256;
static uint64_t key;
static atomic_bool stop_rx;
static atomic_uint_fast64_t sent_total; /* read by the receiver */

struct rx_counts {
	uint64_t ra, ra_matched, other;
};

static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t
unxorshift(uint64_t y, unsigned s)
{
	uint64_t x = y;

	for (unsigned i = 0; i < 64 / s + 1; i++)
		x = y ^ (x >> s);
	return x;
}

/* The inverse of an odd number modulo 2^64 (Newton: 6 steps suffice). */
static uint64_t
inv_odd(uint64_t a)
{
	uint64_t x = a;

	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static uint64_t inv1, inv2;

static uint64_t
unmix(uint64_t z)
{
	z = unxorshift(z, 31) * inv2;
	z = unxorshift(z, 27) * inv1;
	return unxorshift(z, 30);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* An RA as RFC 4380 §5.3.2 servers send it: [auth] [origin] IPv6 with next
 * header 58 and ICMPv6 type 134.  *nonce is set when there is an auth
 * header. */
static bool
is_ra(const uint8_t *p, size_t n, bool *has_nonce, uint64_t *nonce)
{
	size_t off = 0;

	*has_nonce = false;
	if (n >= 13 && p[0] == 0 && p[1] == 1) {
		off = 4 + (size_t)p[2] + (size_t)p[3];
		if (n < off + 9)
			return false;
		*nonce = get_be64(p + off);
		*has_nonce = true;
		off += 9;
	}
	if (n >= off + 8 && p[off] == 0 && p[off + 1] == 0)
		off += 8;
	if (n < off + 40 + 16 || p[off] >> 4 != 6 || p[off + 6] != 58)
		return false;
	return p[off + 40] == 134;
}

static void *
receiver(void *arg)
{
	struct rx_counts *c = arg;
	static uint8_t buf[BATCH][RX_CAP];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct epoll_event evs[64];
	int ep = epoll_create1(0);

	if (ep < 0) {
		perror("epoll_create1");
		exit(1);
	}
	for (unsigned i = 0; i < nsock; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			perror("epoll_ctl");
			exit(1);
		}
	}
	while (!atomic_load(&stop_rx)) {
		int n = epoll_wait(ep, evs, 64, 50);

		for (int e = 0; e < n; e++) {
			int fd = fds[evs[e].data.u32];
			int got;

			/* Drain, bounded: at most 16 batches per wake-up. */
			for (int round = 0; round < 16; round++) {
				for (int i = 0; i < BATCH; i++) {
					iov[i] = (struct iovec){buf[i], RX_CAP};
					msgs[i] = (struct mmsghdr){0};
					msgs[i].msg_hdr.msg_iov = &iov[i];
					msgs[i].msg_hdr.msg_iovlen = 1;
				}
				got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT,
					       NULL);
				if (got <= 0)
					break;
				uint64_t sent = atomic_load(&sent_total);
				for (int i = 0; i < got; i++) {
					bool has;
					uint64_t nonce = 0;

					if (!is_ra(buf[i], msgs[i].msg_len,
						   &has, &nonce)) {
						c->other++;
						continue;
					}
					c->ra++;
					if (has && unmix(nonce) - key < sent)
						c->ra_matched++;
				}
				if (got < BATCH)
					break;
			}
		}
	}
	close(ep);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rsload -s SERVER_IPV4 [-p PORT] [-r RS_PER_S "
			"(0 = max)] [-d SECONDS] [-n SOCKETS] [-g GRACE_S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *server = NULL;
	unsigned long port = 3544, rate = 10000;
	double secs = 3, grace = 0.5;
	struct sockaddr_in dst = {.sin_family = AF_INET};
	static uint8_t tx[BATCH][RS_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct rx_counts rx = {0};
	uint64_t sent = 0, send_errors = 0, batches = 0;
	pthread_t th;
	int opt;

	while ((opt = getopt(argc, argv, "s:p:r:d:n:g:")) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'n':
			nsock = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'g':
			grace = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	if (server == NULL || inet_pton(AF_INET, server, &dst.sin_addr) != 1 ||
	    port == 0 || port > 65535 || rate > 20000000 || !(secs > 0) ||
	    secs > 60 || nsock == 0 || nsock > MAX_SOCK || !(grace >= 0) ||
	    grace > 5)
		usage();
	dst.sin_port = htons((uint16_t)port);

	inv1 = inv_odd(0xbf58476d1ce4e5b9u);
	inv2 = inv_odd(0x94d049bb133111ebu);
	if (getrandom(&key, sizeof(key), 0) != sizeof(key)) {
		perror("getrandom");
		return 1;
	}
	for (uint64_t i = 0; i < 1000; i++)
		if (unmix(mix(key + i)) != key + i) {
			fprintf(stderr, "rsload: unmix self-check failed\n");
			return 1;
		}
	for (unsigned i = 0; i < nsock; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0) {
			perror("socket");
			return 1;
		}
	}
	for (int i = 0; i < BATCH; i++) {
		memcpy(tx[i], rs_vector, RS_LEN);
		iov[i] = (struct iovec){tx[i], RS_LEN};
		msgs[i] = (struct mmsghdr){0};
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (pthread_create(&th, NULL, receiver, &rx) != 0) {
		fprintf(stderr, "rsload: pthread_create failed\n");
		return 1;
	}

	uint64_t t0 = now_ns();
	uint64_t dur = (uint64_t)(secs * 1e9);
	uint64_t t = t0;
	unsigned sock = 0;

	while ((t = now_ns()) - t0 < dur) {
		uint64_t due = BATCH;

		if (rate != 0) {
			uint64_t target = (uint64_t)((double)(t - t0) *
						     (double)rate / 1e9);
			due = target > sent ? target - sent : 0;
			if (due == 0) {
				struct timespec ts = {0, 20000};

				nanosleep(&ts, NULL);
				continue;
			}
			if (due > BATCH)
				due = BATCH;
		}
		for (uint64_t i = 0; i < due; i++)
			put_be64(tx[i] + NONCE_OFF, mix(key + sent + i));
		/* Published before sending, so an RA is never "unmatched"
		 * because the receiver saw the count too early. */
		atomic_store(&sent_total, sent + due);
		int rc = sendmmsg(fds[sock], msgs, (unsigned)due, 0);

		batches++;
		sock = (sock + 1) % nsock;
		if (rc < 0) {
			send_errors++;
			continue;
		}
		sent += (uint64_t)rc;
		atomic_store(&sent_total, sent);
	}
	double elapsed = (double)(t - t0) / 1e9;
	struct timespec g = {(time_t)grace,
			     (long)((grace - (double)(time_t)grace) * 1e9)};

	nanosleep(&g, NULL);
	atomic_store(&stop_rx, true);
	pthread_join(th, NULL);
	printf("{\"server\": \"%s\", \"port\": %lu, \"sockets\": %u, "
	       "\"rate_offered\": %lu, \"duration_s\": %.3f, \"sent\": %llu, "
	       "\"send_errors\": %llu, \"batches\": %llu, "
	       "\"sent_per_s\": %.0f, \"ra\": %llu, \"ra_matched\": %llu, "
	       "\"other\": %llu, \"ra_per_s\": %.0f}\n",
	       server, port, nsock, rate, elapsed, (unsigned long long)sent,
	       (unsigned long long)send_errors, (unsigned long long)batches,
	       (double)sent / elapsed, (unsigned long long)rx.ra,
	       (unsigned long long)rx.ra_matched, (unsigned long long)rx.other,
	       (double)rx.ra_matched / elapsed);
	for (unsigned i = 0; i < nsock; i++)
		close(fds[i]);
	return 0;
}
