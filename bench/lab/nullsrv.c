/*
 * nullsrv: the cheapest UDP "Teredo server" a socket-based one could be, to
 * measure the CPU floor per answered Router Solicitation in the lab
 * benchmark (bench/lab/run, BENCH_RS_FLOOR=1).  Not part of the build: the
 * script compiles it with cc.
 *
 * It binds ADDRESS:3544 and answers every datagram with a fixed 109-byte
 * datagram, the size of teredo-serverd's RA (auth 13 + origin 8 + IPv6 40 +
 * RA 16 + prefix information 32), to the sender.  No parsing: the reply is
 * a template whose first 13 bytes (the RS's authentication header, hence
 * its nonce) are copied from the datagram, which is all rsload needs to
 * count the reply as an RA answering its RS.  The template's origin, IPv6
 * header and ICMPv6 type make it look like an RA to rsload; the checksum
 * is not filled in.
 *
 *   nullsrv -a 192.0.2.30 -m batch [-p 3544] [-d SECONDS] [-c NAP_US]
 *
 * -m block: one blocking recvmsg() and one sendmsg() per datagram, as
 *    miredo-server does.
 * -m batch: teredo-serverd's loop (daemons/teredo-serverd/main.c): epoll,
 *    then a NAP_US nap (1000) unless the last wake-up read a full batch,
 *    then recvmmsg()/sendmmsg() batches of 64, at most 64 batches a wake-up.
 * Both use 4 MiB socket buffers (as teredo-serverd).  On SIGTERM, SIGINT or
 * after SECONDS (default 600) it prints its counts on stderr and exits.
 *
 * Bounded: SECONDS <= 3600, NAP_US <= 100000.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
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
#include <sys/socket.h>
#include <sys/time.h>

#define BATCH 64
#define DRAIN_ROUNDS 64
#define RA_LEN 109
#define AUTH_LEN 13 /* copied from the RS: 0001, id/au lengths, nonce, conf. */
#define RX_CAP 2048
#define SOCKET_BUFFER (4 << 20)

/*
 * An RA as teredo-serverd sends it, without the MTU option: authentication
 * (0-12, overwritten by the RS's), origin indication (13-20, not filled
 * in), IPv6 (21-60: payload 48, next header 58, hop limit 255,
 * fe80::8000:5445:5245:444f -> fe80::ffff:ffff:fffe), RA (61-76: type 134,
 * checksum 0, retransmission timer 2000 ms), prefix information (77-108:
 * 2001:0:c000:21e::/64, autonomous, infinite lifetimes).
 */
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

static volatile sig_atomic_t stop;
static uint64_t n_rx, n_tx, n_err, n_wake;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
reply(uint8_t *ra, const uint8_t *rs, size_t len)
{
	memcpy(ra, rs, len < AUTH_LEN ? len : AUTH_LEN);
}

static void
run_block(int fd)
{
	static uint8_t rx[RX_CAP], tx[RA_LEN];
	struct sockaddr_in peer;
	struct iovec riov = {rx, RX_CAP}, tiov = {tx, RA_LEN};
	struct msghdr rmh = {
		.msg_name = &peer, .msg_iov = &riov, .msg_iovlen = 1};
	struct msghdr tmh = {.msg_name = &peer,
			     .msg_namelen = sizeof(peer),
			     .msg_iov = &tiov,
			     .msg_iovlen = 1};

	memcpy(tx, ra_template, RA_LEN);
	while (!stop) {
		rmh.msg_namelen = sizeof(peer);
		ssize_t n = recvmsg(fd, &rmh, 0);

		if (n < 0)
			continue; /* EINTR, SO_RCVTIMEO: check stop */
		n_rx++;
		n_wake++;
		reply(tx, rx, (size_t)n);
		if (sendmsg(fd, &tmh, 0) < 0)
			n_err++;
		else
			n_tx++;
	}
}

static void
run_batch(int fd, unsigned nap_us)
{
	static uint8_t rx[BATCH][RX_CAP], tx[BATCH][RA_LEN];
	static struct sockaddr_in peer[BATCH];
	struct mmsghdr rmsg[BATCH], tmsg[BATCH];
	struct iovec riov[BATCH], tiov[BATCH];
	struct timespec nap = {nap_us / 1000000u,
			       (long)(nap_us % 1000000u) * 1000};
	struct epoll_event ev = {.events = EPOLLIN};
	bool busy = false;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("epoll");
		exit(1);
	}
	for (int i = 0; i < BATCH; i++) {
		memcpy(tx[i], ra_template, RA_LEN);
		riov[i] = (struct iovec){rx[i], RX_CAP};
		tiov[i] = (struct iovec){tx[i], RA_LEN};
		tmsg[i] = (struct mmsghdr){0};
		tmsg[i].msg_hdr.msg_name = &peer[i];
		tmsg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
		tmsg[i].msg_hdr.msg_iov = &tiov[i];
		tmsg[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		uint64_t total = 0;

		if (epoll_wait(ep, &ev, 1, 1000) <= 0)
			continue; /* EINTR or idle: check stop */
		n_wake++;
		if (!busy && nap_us != 0)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
		for (int round = 0; round < DRAIN_ROUNDS; round++) {
			for (int i = 0; i < BATCH; i++) {
				rmsg[i] = (struct mmsghdr){0};
				rmsg[i].msg_hdr.msg_name = &peer[i];
				rmsg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
				rmsg[i].msg_hdr.msg_iov = &riov[i];
				rmsg[i].msg_hdr.msg_iovlen = 1;
			}
			int got = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);

			if (got <= 0)
				break;
			n_rx += (uint64_t)got;
			total += (uint64_t)got;
			for (int i = 0; i < got; i++)
				reply(tx[i], rx[i], rmsg[i].msg_len);
			for (int off = 0; off < got;) {
				int rc = sendmmsg(fd, tmsg + off,
						  (unsigned)(got - off), 0);

				if (rc <= 0) { /* drop the rest */
					n_err += (uint64_t)(got - off);
					break;
				}
				n_tx += (uint64_t)rc;
				off += rc;
			}
			if (got < BATCH)
				break;
		}
		busy = total >= BATCH;
	}
	close(ep);
}

static void
usage(void)
{
	fprintf(stderr, "usage: nullsrv -a ADDRESS -m block|batch [-p PORT] "
			"[-d SECONDS] [-c NAP_US]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *addr = NULL, *mode = NULL;
	unsigned long port = 3544, secs = 600, nap_us = 1000;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	struct timeval tick = {1, 0};
	int opt, fd, size = SOCKET_BUFFER;

	while ((opt = getopt(argc, argv, "a:m:p:d:c:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'm':
			mode = optarg;
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
		default:
			usage();
		}
	}
	if (addr == NULL || inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    mode == NULL ||
	    (strcmp(mode, "block") != 0 && strcmp(mode, "batch") != 0) ||
	    port == 0 || port > 65535 || secs == 0 || secs > 3600 ||
	    nap_us > 100000)
		usage();
	sin.sin_port = htons((uint16_t)port);

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	fd = socket(AF_INET,
		    SOCK_DGRAM | SOCK_CLOEXEC |
			    (mode[1] == 'a' ? SOCK_NONBLOCK : 0),
		    0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if ((setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) <
		     0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) ||
	    (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) <
		     0 &&
	     setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0))
		perror("nullsrv: socket buffers stay at the default");
	/* A signal between the stop check and recvmsg() waits 1 s at most. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0)
		perror("nullsrv: SO_RCVTIMEO");
	if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("bind");
		return 1;
	}
	fprintf(stderr, "nullsrv: %s mode on %s:%lu for at most %lu s\n", mode,
		addr, port, secs);
	alarm((unsigned)secs);
	if (mode[1] == 'a')
		run_batch(fd, (unsigned)nap_us);
	else
		run_block(fd);
	fprintf(stderr,
		"{\"mode\": \"%s\", \"received\": %llu, \"sent\": %llu, "
		"\"send_errors\": %llu, \"wakeups\": %llu}\n",
		mode, (unsigned long long)n_rx, (unsigned long long)n_tx,
		(unsigned long long)n_err, (unsigned long long)n_wake);
	close(fd);
	return 0;
}
