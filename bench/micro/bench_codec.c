/*
 * Micro-benchmark of the Teredo codec: decapsulation (teredo_packet_read
 * and the RA checker) and encapsulation (the writers), one packet at a
 * time from memory, no I/O.  See bench/README.md.
 *
 *   bench_codec [--iterations N] [--runs R]
 *
 * Each case is checked for a right result first, warmed up for at least
 * WARMUP_NS, then timed R times over a fixed number of iterations (N, or
 * by default as many as take about TARGET_NS); the median run is printed.
 * Every iteration changes one input byte and folds one output byte into a
 * volatile sink, so no iteration can be hoisted or dropped, even with LTO.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "teredo/addr.h"
#include "teredo/msg.h"
#include "teredo/packet.h"
#include "wire/ip6.h"
#include "wire/wr.h"

#define DATA_LEN IP6_MIN_MTU  /* a full 1280-byte IPv6 packet */
#define WARMUP_NS 20000000.0  /* 20 ms */
#define TARGET_NS 200000000.0 /* 0.2 s per timed run */
#define MAX_RUNS 15
#define OUT_CAP 2048

/* Fixtures: built once by fixtures_init(), mutated one byte per iteration. */
static struct {
	uint8_t data[DATA_LEN]; /* bare IPv6 packet */
	uint8_t data_origin[TEREDO_ORIGIN_LEN + DATA_LEN]; /* origin + IPv6 */
	uint8_t bubble[64];
	size_t bubble_len;
	uint8_t ra[128];
	size_t ra_len;
	struct ip6_addr a, b;
	struct teredo_trailers trailers;
	struct teredo_ra_params ra_params;
	uint8_t rs_nonce[TEREDO_NONCE_LEN];
	uint8_t out[OUT_CAP];
} fx;

static volatile uint64_t sink;
static bool failed;

/* Where a case went wrong; reported once, after timing stops. */
static void
fail(const char *what)
{
	if (!failed)
		fprintf(stderr, "bench_codec: %s failed\n", what);
	failed = true;
}

/* The IPv6 flow label's low byte: changed every iteration of a decap. */
#define FLOW_BYTE 3

static uint64_t
decap_data(uint64_t n)
{
	struct teredo_packet p;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		fx.data[FLOW_BYTE] = (uint8_t)i;
		if (teredo_packet_read(fx.data, sizeof(fx.data), &p) != 0) {
			fail("decap data");
			break;
		}
		acc += p.ip6.flow_label + p.ip6_len;
	}
	return acc;
}

static uint64_t
decap_data_origin(uint64_t n)
{
	struct teredo_packet p;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		fx.data_origin[TEREDO_ORIGIN_LEN + FLOW_BYTE] = (uint8_t)i;
		if (teredo_packet_read(fx.data_origin, sizeof(fx.data_origin),
				       &p) != 0) {
			fail("decap data+origin");
			break;
		}
		acc += p.ip6.flow_label + p.origin.port;
	}
	return acc;
}

static uint64_t
decap_bubble(uint64_t n)
{
	struct teredo_packet p;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		fx.bubble[FLOW_BYTE] = (uint8_t)i;
		if (teredo_packet_read(fx.bubble, fx.bubble_len, &p) != 0) {
			fail("decap bubble");
			break;
		}
		acc += p.ip6.flow_label + p.trailers.nonce +
		       p.trailers.random_port;
	}
	return acc;
}

static uint64_t
decap_ra(uint64_t n)
{
	/* The IPv6 header follows 13 bytes of auth and 8 of origin. */
	const size_t flow = TEREDO_AUTH_MIN_LEN + TEREDO_ORIGIN_LEN + FLOW_BYTE;
	struct teredo_packet p;
	struct teredo_ra ra;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		fx.ra[flow] = (uint8_t)i; /* not in the ICMPv6 checksum */
		if (teredo_packet_read(fx.ra, fx.ra_len, &p) != 0 ||
		    teredo_ra_read(&p, &ra) != 0) {
			fail("decap RA");
			break;
		}
		acc += p.ip6.flow_label + ra.server_ipv4;
	}
	return acc;
}

static uint64_t
encap_data_origin(uint64_t n)
{
	struct teredo_packet p;
	uint64_t acc = 0;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.has_origin = true;
	p.origin.ipv4 = 0xc000022du; /* 192.0.2.45 */
	p.ip6_packet = fx.data;
	p.ip6_len = sizeof(fx.data);
	for (uint64_t i = 0; i < n; i++) {
		p.origin.port = (uint16_t)i;
		if (teredo_packet_write(&p, fx.out, sizeof(fx.out), &len) !=
		    0) {
			fail("encap data+origin");
			break;
		}
		acc += len + fx.out[3] + fx.out[len - 1];
	}
	return acc;
}

static uint64_t
encap_bubble(uint64_t n)
{
	uint64_t acc = 0;
	size_t len;

	for (uint64_t i = 0; i < n; i++) {
		fx.trailers.nonce = (uint32_t)i;
		if (teredo_bubble_write(fx.out, sizeof(fx.out), &fx.a, &fx.b,
					TEREDO_BUBBLE_HOP_LIMIT, NULL,
					&fx.trailers, &len) != 0) {
			fail("encap bubble");
			break;
		}
		acc += len + fx.out[len - 5];
	}
	return acc;
}

static uint64_t
encap_rs(uint64_t n)
{
	uint64_t acc = 0;
	size_t len;

	for (uint64_t i = 0; i < n; i++) {
		fx.rs_nonce[0] = (uint8_t)i;
		if (teredo_rs_write(fx.out, sizeof(fx.out), fx.rs_nonce, false,
				    &len) != 0) {
			fail("encap RS");
			break;
		}
		acc += len + fx.out[4];
	}
	return acc;
}

static uint64_t
encap_ra(uint64_t n)
{
	uint64_t acc = 0;
	size_t len;

	for (uint64_t i = 0; i < n; i++) {
		fx.ra_params.nonce[0] =
			(uint8_t)i; /* also moves the checksum */
		if (teredo_ra_write(fx.out, sizeof(fx.out), &fx.ra_params,
				    &len) != 0) {
			fail("encap RA");
			break;
		}
		acc += len + fx.out[4] + fx.out[63];
	}
	return acc;
}

struct bench_case {
	const char *name;
	size_t bytes; /* UDP payload per packet */
	bool data;    /* a data packet: report Gbit/s */
	uint64_t (*loop)(uint64_t n);
};

static struct bench_case cases[] = {
	{"decap data", sizeof(fx.data), true, decap_data},
	{"decap data+origin", sizeof(fx.data_origin), true, decap_data_origin},
	{"decap bubble+nonce+port", 0, false, decap_bubble},
	{"decap RA+teredo_ra_read", 0, false, decap_ra},
	{"encap data+origin", sizeof(fx.data_origin), true, encap_data_origin},
	{"encap bubble+trailers", 0, false, encap_bubble},
	{"encap RS", 0, false, encap_rs},
	{"encap RA", 0, false, encap_ra},
};

static int
fixtures_init(void)
{
	struct teredo_packet p;
	struct ip6_header h;
	struct wr wr;
	int rc;

	/* teredo-spec.md §2.11 clients A and B. */
	if (ip6_addr_parse("2001:0:cb00:7178:1034:63bf:3fff:fdd2", &fx.a) < 0 ||
	    ip6_addr_parse("2001:0:c633:6476:0:dfff:3fff:fdf5", &fx.b) < 0)
		return -EINVAL;

	/* A 1280-byte IPv6/UDP packet from A to B. */
	memset(&h, 0, sizeof(h));
	h.payload_len = DATA_LEN - IP6_HEADER_LEN;
	h.next_header = 17;
	h.hop_limit = 64;
	h.src = fx.a;
	h.dst = fx.b;
	wr_init(&wr, fx.data, sizeof(fx.data));
	ip6_header_write(&wr, &h);
	for (size_t i = IP6_HEADER_LEN; i < sizeof(fx.data); i++)
		fx.data[i] = (uint8_t)(i * 7);
	if ((rc = wr_status(&wr)) < 0)
		return rc;

	/* The same behind the §2.2 origin indication (1.2.3.4:337). */
	memcpy(fx.data_origin, "\x00\x00\xfe\xae\xfe\xfd\xfc\xfb",
	       TEREDO_ORIGIN_LEN);
	memcpy(fx.data_origin + TEREDO_ORIGIN_LEN, fx.data, sizeof(fx.data));

	/* §2.11: bubble A -> B with Nonce deadbeef and Random Port 51234. */
	fx.trailers.has_nonce = true;
	fx.trailers.nonce = 0xdeadbeef;
	fx.trailers.has_random_port = true;
	fx.trailers.random_port = 51234;
	if ((rc = teredo_bubble_write(fx.bubble, sizeof(fx.bubble), &fx.a,
				      &fx.b, TEREDO_BUBBLE_HOP_LIMIT, NULL,
				      &fx.trailers, &fx.bubble_len)) < 0)
		return rc;

	/* §2.8: the 109-byte RA of server 203.0.113.120. */
	memcpy(fx.rs_nonce, "\x01\x02\x03\x04\x05\x06\x07\x08",
	       TEREDO_NONCE_LEN);
	memcpy(fx.ra_params.nonce, fx.rs_nonce, TEREDO_NONCE_LEN);
	fx.ra_params.origin.port = 40000;
	fx.ra_params.origin.ipv4 = 0xc000022du;
	fx.ra_params.server_ipv4 = 0xcb007178u;
	teredo_client_link_local(false, &fx.ra_params.client_ll);
	if ((rc = teredo_ra_write(fx.ra, sizeof(fx.ra), &fx.ra_params,
				  &fx.ra_len)) < 0)
		return rc;

	/* Right answers first: a fast wrong codec is no benchmark. */
	if (fx.bubble_len != 50 || fx.ra_len != 109)
		return -EPROTO;
	if ((rc = teredo_packet_read(fx.data_origin, sizeof(fx.data_origin),
				     &p)) < 0)
		return rc;
	if (!p.has_origin || p.origin.port != 337 ||
	    p.origin.ipv4 != 0x01020304u || p.ip6_len != DATA_LEN)
		return -EPROTO;
	if ((rc = teredo_packet_read(fx.bubble, fx.bubble_len, &p)) < 0)
		return rc;
	if (!teredo_packet_is_bubble(&p) || p.trailers.nonce != 0xdeadbeef ||
	    p.trailers.random_port != 51234)
		return -EPROTO;
	return 0;
}

static double
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
time_loop(const struct bench_case *c, uint64_t n)
{
	double t0 = now_ns();

	sink += c->loop(n);
	return now_ns() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static bool
parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 ||
	    v > max)
		return false;
	*out = v;
	return true;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: bench_codec [--iterations N] [--runs R]\n"
		   "  --iterations N  packets per timed run (default: about "
		   "0.2 s worth)\n"
		   "  --runs R        timed runs per case, median shown "
		   "(default 3, max 15)\n");
}

int
main(int argc, char **argv)
{
	uint64_t iterations = 0, runs = 3;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			if (!parse_count(argv[++i], UINT64_MAX, &iterations)) {
				fprintf(stderr, "bad --iterations: %s\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			if (!parse_count(argv[++i], MAX_RUNS, &runs)) {
				fprintf(stderr, "bad --runs: %s\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	if ((rc = fixtures_init()) < 0) {
		fprintf(stderr, "bench_codec: fixtures: %s\n", strerror(-rc));
		return 1;
	}
	cases[2].bytes = fx.bubble_len;
	cases[3].bytes = fx.ra_len;
	cases[5].bytes = fx.bubble_len;
	cases[6].bytes = 61;
	cases[7].bytes = fx.ra_len;

	printf("%-26s %6s %12s %10s %12s %8s\n", "case", "bytes", "iterations",
	       "ns/pkt", "pkt/s", "Gbit/s");
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const struct bench_case *c = &cases[k];
		double t[MAX_RUNS], warm = 0, ns;
		uint64_t n, w = 1000;

		/* Warm up (caches, branch predictors, clock) and calibrate. */
		for (;;) {
			warm = time_loop(c, w);
			if (warm >= WARMUP_NS || failed || w > UINT64_MAX / 4)
				break;
			w *= 2;
		}
		n = iterations;
		if (n == 0) {
			double per = warm / (double)w;

			n = (uint64_t)(TARGET_NS / (per > 0.1 ? per : 0.1));
			if (n == 0)
				n = 1;
		}
		for (uint64_t r = 0; r < runs && !failed; r++)
			t[r] = time_loop(c, n);
		if (failed)
			return 1;
		qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
		/* A run below the clock's resolution reads as 0: clamp it. */
		ns = t[runs / 2] / (double)n;
		if (ns < 0.01)
			ns = 0.01;

		printf("%-26s %6zu %12" PRIu64 " %10.1f %12.0f", c->name,
		       c->bytes, n, ns, 1e9 / ns);
		if (c->data)
			printf(" %8.1f", (double)c->bytes * 8.0 / ns);
		printf("\n");
		fflush(stdout);
	}
	return 0;
}
