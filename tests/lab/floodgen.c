/*
 * floodgen: spoofed and malformed Teredo datagrams, as fast as the lab
 * takes them, for tests/lab/t-flood (issue 11, D).  Lab only: it needs
 * CAP_NET_RAW and sends only to the one destination it is given (a lab
 * namespace's address); every source is forged.
 *
 *   floodgen -d DST_IPV4 -p DST_PORT -n COUNT -S SERVER_IPV4
 *            [-T TEREDO_IPV6] [-m KINDS] [-r SEED]
 *
 * The datagrams cycle through these kinds (-m: a string of kind digits,
 * default all; e.g. -m 23 sends only kinds 2 and 3):
 *   0 random bytes, 1 to 1,472 of them;
 *   1 a Teredo packet (RS, bubble or authentication header) cut short;
 *   2 a direct bubble with a nonce trailer from a random Teredo address
 *     whose embedded mapping is the (forged) outer source: what RFC 4380
 *     §5.2.3 rule 3 trusts;
 *   3 a Router Solicitation with a fresh nonce (teredo-spec.md §2.7);
 *   4 a bubble carrying bogus RFC 6081 trailers: unknown types of every
 *     action, a malformed last one, up to ~1,400 bytes;
 *   5 an ICMPv6 echo request from a random Teredo address (data from an
 *     unknown peer);
 *   6 an "indirect" bubble with an origin indication from SERVER:3544
 *     (forged server), the origin random;
 *   7 an echo request from a random native IPv6 source (RFC 4380 §5.2.3
 *     rule 6: the direct IPv6 connectivity test it may start).
 * The destination IPv6 of kinds 2 and 4-7 is TEREDO_IPV6 when given, else
 * a random Teredo address served by SERVER (so a server relays toward
 * random mappings).  Forged IPv4 sources are random global unicast
 * addresses outside the lab's documentation ranges, random ports.
 *
 * Sends with sendmmsg() on a raw socket (IP_HDRINCL), 64 at a time, and
 * prints one line: datagrams and bytes sent, seconds, rate, per kind.
 * Bounded: COUNT <= 20,000,000.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_UDP 1472
#define IP_UDP_HDR 28
#define MAX_COUNT 20000000ul
#define KINDS 8

static uint64_t rng;

static uint64_t
next(void)
{
	/* xorshift64*: fast, and unpredictability is no goal here. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t
next32(void)
{
	return (uint32_t)(next() >> 32);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A random global unicast IPv4 address, none of the lab's own. */
static uint32_t
spoofed_ipv4(void)
{
	for (;;) {
		uint32_t a = next32();
		uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16);

		if (b0 == 0 || b0 == 10 || b0 == 127 || b0 >= 224 ||
		    (b0 == 169 && b1 == 254) ||
		    (b0 == 172 && (b1 & 0xf0) == 16) ||
		    (b0 == 192 && b1 == 168) ||
		    (b0 == 100 && (b1 & 0xc0) == 64) ||
		    (a & 0xffffff00u) == 0xc0000200u || /* 192.0.2/24 */
		    (a & 0xffffff00u) == 0xc6336400u || /* 198.51.100/24 */
		    (a & 0xffffff00u) == 0xcb007100u)	/* 203.0.113/24 */
			continue;
		return a;
	}
}

static uint16_t
spoofed_port(void)
{
	return (uint16_t)(1024 + next32() % 64000);
}

/* 2001:0:<server>:<flags>:<~port>:<~ipv4> (RFC 4380 §4). */
static void
teredo_addr(uint8_t out[16], uint32_t server, uint32_t ipv4, uint16_t port)
{
	put32(out, 0x20010000u);
	put32(out + 4, server);
	put16(out + 8, (uint16_t)(next32() & 0x3cff));
	put16(out + 10, (uint16_t)~port);
	put32(out + 12, ~ipv4);
}

static void
ip6_header(uint8_t *p, uint16_t payload_len, uint8_t nh, const uint8_t src[16],
	   const uint8_t dst[16])
{
	put32(p, 0x60000000u);
	put16(p + 4, payload_len);
	p[6] = nh;
	p[7] = nh == 59 ? 255 : 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

struct ctx {
	uint32_t server;
	bool have_target;
	uint8_t target[16];
};

static void
dst_addr(const struct ctx *c, uint8_t out[16])
{
	if (c->have_target)
		memcpy(out, c->target, 16);
	else
		teredo_addr(out, c->server, spoofed_ipv4(), spoofed_port());
}

/* teredo-spec.md §2.7: a 61-byte RS; the nonce is not under the checksum. */
static size_t
rs(uint8_t *p)
{
	static const uint8_t v[61] = {
		0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
		0x06, 0x07, 0x08, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00,
		0x08, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xfe, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x85,
		0x00, 0x7d, 0x38, 0x00, 0x00, 0x00, 0x00,
	};
	uint64_t nonce = next();

	memcpy(p, v, sizeof(v));
	memcpy(p + 4, &nonce, 8);
	return sizeof(v);
}

/* One datagram of `kind`: payload into p, forged source into *src. */
static size_t
make(const struct ctx *c, unsigned kind, uint8_t *p, uint32_t *src_ipv4,
     uint16_t *src_port)
{
	uint8_t a[16], d[16];
	size_t n = 0;

	*src_ipv4 = spoofed_ipv4();
	*src_port = spoofed_port();
	switch (kind) {
	case 0:
		n = 1 + next32() % MAX_UDP;
		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = next();

			memcpy(p + i, &r, n - i < 8 ? n - i : 8);
		}
		break;
	case 1:
		switch (next32() % 3) {
		case 0:
			n = rs(p);
			break;
		case 1:
			teredo_addr(a, c->server, *src_ipv4, *src_port);
			dst_addr(c, d);
			ip6_header(p, 0, 59, a, d);
			n = 40;
			break;
		default: /* authentication header claiming long fields */
			p[0] = 0;
			p[1] = 1;
			p[2] = (uint8_t)next32();
			p[3] = (uint8_t)next32();
			n = 60;
			memset(p + 4, 0x5a, n - 4);
		}
		n = next32() % n; /* cut short: 0 to n - 1 bytes */
		break;
	case 2:
	case 4:
		teredo_addr(a, c->server, *src_ipv4, *src_port);
		dst_addr(c, d);
		ip6_header(p, 0, 59, a, d);
		n = 40;
		p[n++] = 0x01; /* RFC 6081 §4.2 nonce */
		p[n++] = 4;
		put32(p + n, next32());
		n += 4;
		if (kind == 4) {
			size_t end = 46 + next32() % 1350;

			while (n + 2 < end) {
				uint8_t len = (uint8_t)(next32() % 256);

				/* Types of every action: 00, 01, 10, 11. */
				p[n++] = (uint8_t)(next32() | 0x06);
				p[n++] = len;
				if (n + len > end)
					break; /* malformed: runs past */
				memset(p + n, 0xa5, len);
				n += len;
			}
			if (n > MAX_UDP)
				n = MAX_UDP;
		}
		break;
	case 5:
	case 7:
		if (kind == 5) {
			teredo_addr(a, c->server, *src_ipv4, *src_port);
		} else {
			put32(a, 0x20010db8u);
			put32(a + 4, next32());
			put32(a + 8, next32());
			put32(a + 12, next32());
		}
		dst_addr(c, d);
		ip6_header(p, 64, 58, a, d);
		p[40] = 128; /* echo request; checksum left wrong */
		memset(p + 41, 0, 63);
		put32(p + 44, next32());
		n = 104;
		break;
	case 6:
		*src_ipv4 = c->server;
		*src_port = 3544;
		p[0] = p[1] = 0;
		put16(p + 2, (uint16_t)~spoofed_port());
		put32(p + 4, ~spoofed_ipv4());
		teredo_addr(a, c->server, spoofed_ipv4(), spoofed_port());
		dst_addr(c, d);
		ip6_header(p + 8, 0, 59, a, d);
		n = 48;
		break;
	default: /* 3 */
		n = rs(p);
	}
	return n;
}

static uint16_t
ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
usage(void)
{
	fprintf(stderr, "usage: floodgen -d DST_IPV4 -p PORT -n COUNT "
			"-S SERVER_IPV4 [-T TEREDO_IPV6] [-m KINDS] "
			"[-r SEED]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[BATCH][IP_UDP_HDR + MAX_UDP];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct ctx c = {0};
	unsigned long count = 0, sent = 0, per_kind[KINDS] = {0};
	unsigned kinds[KINDS], nkinds = 0;
	unsigned long long bytes = 0;
	uint32_t dst = 0;
	uint16_t dport = 0;
	const char *mix = "01234567";
	double t0;
	int opt, fd, one = 1;

	while ((opt = getopt(argc, argv, "d:p:n:S:T:m:r:")) != -1) {
		struct in_addr in;

		switch (opt) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &in) != 1)
				return usage();
			dst = ntohl(in.s_addr);
			break;
		case 'p':
			dport = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			if (inet_pton(AF_INET, optarg, &in) != 1)
				return usage();
			c.server = ntohl(in.s_addr);
			break;
		case 'T':
			if (inet_pton(AF_INET6, optarg, c.target) != 1)
				return usage();
			c.have_target = true;
			break;
		case 'm':
			mix = optarg;
			break;
		case 'r':
			rng = strtoull(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	for (const char *k = mix; *k != '\0' && nkinds < KINDS; k++)
		if (*k >= '0' && *k < '0' + KINDS)
			kinds[nkinds++] = (unsigned)(*k - '0');
	if (dst == 0 || dport == 0 || count == 0 || count > MAX_COUNT ||
	    c.server == 0 || nkinds == 0)
		return usage();
	if (rng == 0 && getrandom(&rng, sizeof(rng), 0) != sizeof(rng))
		rng = (uint64_t)time(NULL);
	rng |= 1;
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("floodgen: raw socket");
		return 1;
	}
	to.sin_addr.s_addr = htonl(dst);
	t0 = now_s();
	while (sent < count) {
		unsigned n =
			count - sent < BATCH ? (unsigned)(count - sent) : BATCH;
		unsigned done = 0, stalls = 0;

		for (unsigned i = 0; i < n; i++) {
			unsigned kind = kinds[(sent + i) % nkinds];
			uint8_t *p = buf[i];
			uint32_t sip;
			uint16_t sport;
			size_t len =
				make(&c, kind, p + IP_UDP_HDR, &sip, &sport);
			size_t total = IP_UDP_HDR + len;

			per_kind[kind]++;
			bytes += len;
			/* IPv4 (no options, DF clear) and UDP, checksum 0. */
			memset(p, 0, IP_UDP_HDR);
			p[0] = 0x45;
			put16(p + 2, (uint16_t)total);
			put16(p + 4, (uint16_t)next32());
			p[8] = 64;
			p[9] = IPPROTO_UDP;
			put32(p + 12, sip);
			put32(p + 16, dst);
			put16(p + 10, ip_checksum(p, 20));
			put16(p + 20, sport);
			put16(p + 22, dport);
			put16(p + 24, (uint16_t)(8 + len));
			iov[i] = (struct iovec){p, total};
			msg[i] = (struct mmsghdr){
				.msg_hdr = {.msg_name = &to,
					    .msg_namelen = sizeof(to),
					    .msg_iov = &iov[i],
					    .msg_iovlen = 1},
			};
		}
		while (done < n) {
			int rc = sendmmsg(fd, msg + done, n - done, 0);

			if (rc < 0) {
				/* A full queue drains; bounded patience. */
				if ((errno == ENOBUFS || errno == EAGAIN ||
				     errno == EINTR) &&
				    ++stalls < 1000000)
					continue;
				perror("floodgen: sendmmsg");
				return 1;
			}
			done += (unsigned)rc;
		}
		sent += n;
	}
	{
		double secs = now_s() - t0;

		printf("sent %lu bytes %llu seconds %.2f rate %.0f/s kinds",
		       sent, bytes, secs, secs > 0 ? (double)sent / secs : 0.0);
		for (unsigned k = 0; k < KINDS; k++)
			printf(" %u:%lu", k, per_kind[k]);
		printf("\n");
	}
	close(fd);
	return 0;
}
