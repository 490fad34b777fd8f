/*
 * teredo-pcap: builds a fixed set of Teredo packets with lib/'s codec and
 * shows them three ways: as text with our own decoder's reading, as a
 * libpcap file for Wireshark, and as a table of the field values Wireshark
 * must show (tests/wireshark/ compares the two).  It can also drop each
 * UDP payload into a directory as a fuzzing seed.
 *
 * Everything is deterministic: the same binary writes the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "dump.h"
#include "expect.h"
#include "pcap.h"
#include "sys/path.h"
#include "teredo/msg.h"
#include "teredo/packet.h"
#include "wire/ip6.h"

#define PROG "teredo-pcap"

/* 2024-01-01T00:00:00Z, then one frame every 125 ms. */
#define TIME_START_USEC (1704067200ull * 1000000)
#define TIME_STEP_USEC 125000ull

#define PAYLOAD_MAX IP6_MIN_MTU

struct options {
	const char *pcap;
	const char *expect;
	const char *corpus;
	bool quiet;
};

static __attribute__((noreturn, format(printf, 1, 2))) void
die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static __attribute__((noreturn)) void
usage(int status)
{
	fprintf(status == EXIT_SUCCESS ? stdout : stderr,
		"usage: " PROG " [--pcap FILE] [--expect FILE] [--corpus DIR]"
		" [--quiet]\n"
		"  --pcap FILE    write the frames as a libpcap file\n"
		"  --expect FILE  write the field values tshark must show\n"
		"  --corpus DIR   write each UDP payload to DIR/<name>.bin\n"
		"  --quiet        do not list the packets on stdout\n");
	exit(status);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"pcap", required_argument, NULL, 'p'},
		{"expect", required_argument, NULL, 'e'},
		{"corpus", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "p:e:c:qh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'p':
			o->pcap = optarg;
			break;
		case 'e':
			o->expect = optarg;
			break;
		case 'c':
			o->corpus = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(EXIT_SUCCESS);
		default:
			usage(EXIT_FAILURE);
		}
	}
	if (optind != argc)
		usage(EXIT_FAILURE);
}

/* NULL path: no such output wanted. */
static FILE *
open_out(const char *path)
{
	FILE *f;

	if (path == NULL)
		return NULL;
	if ((f = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	return f;
}

/*
 * stdio keeps write errors sticky, so checking ferror() and fclose() once
 * here catches every failed fprintf before it, including a full disk.
 */
static void
close_out(FILE *f, const char *path)
{
	bool failed;

	if (f == NULL)
		return;
	failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed)
		die("%s: write failed: %s", path, strerror(errno));
}

static void
corpus_write(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("%s: corpus path too long", dir);
	f = open_out(path);
	if (fwrite(buf, 1, len, f) != len)
		die("%s: %s", path, strerror(errno));
	close_out(f, path);
}

/*
 * Our decoder must read back exactly what we asked the encoder for, or the
 * Wireshark comparison would test the wrong expectation.
 */
static void
check_decode(const struct pkt_spec *s, unsigned frame_no,
	     const struct teredo_packet *pkt, size_t len, struct row *want)
{
	struct row got;
	enum col c;
	int rc;

	if ((rc = row_from_spec(s, frame_no, want)) < 0)
		die("%s: expectation: %s", s->name, strerror(-rc));
	if ((rc = row_from_decode(pkt, len, &got)) < 0)
		die("%s: our decoder rejects the ICMPv6 message: %s", s->name,
		    strerror(-rc));
	c = row_diff(want, &got, COL_PAYLOAD_FIRST);
	if (c != COL_COUNT)
		die("%s: %s should be \"%s\" but our decoder reads \"%s\"",
		    s->name, col_name(c), want->cell[c], got.cell[c]);
}

/*
 * The server's RS checks and the client's RA checks (RFC 4380 §5.3.1,
 * §5.2.2) must accept what our builders make, --quiet or not.
 */
static int
check_nd(const struct pkt_spec *s, const struct teredo_packet *pkt)
{
	struct teredo_rs rs;
	struct teredo_ra ra;
	int rc;

	switch (s->kind) {
	case MSG_RS:
		if ((rc = teredo_rs_read(pkt, &rs)) < 0)
			return rc;
		return rs.cone == s->cone ? 0 : -EBADMSG;
	case MSG_RA:
		if ((rc = teredo_ra_read(pkt, &ra)) < 0)
			return rc;
		if (ra.server_ipv4 != s->server_ipv4 ||
		    ra.has_mtu != s->with_mtu)
			return -EBADMSG;
		break;
	case MSG_BUBBLE:
	case MSG_ECHO:
		break;
	}
	return 0;
}

static void
pcap_append(FILE *f, const char *path, const struct pkt_spec *s,
	    unsigned frame_no, const uint8_t *payload, size_t len)
{
	uint64_t usec = TIME_START_USEC + (frame_no - 1) * TIME_STEP_USEC;
	uint8_t frame[FRAME_OVERHEAD + PAYLOAD_MAX];
	size_t frame_len;
	int rc;

	if ((rc = frame_write(frame, sizeof(frame), s->src, s->dst, s->ttl,
			      (uint16_t)frame_no, payload, len, &frame_len)) <
	    0)
		die("%s: framing: %s", s->name, strerror(-rc));
	if ((rc = pcap_write_record(f, usec, frame, frame_len)) < 0)
		die("%s: %s", path, strerror(-rc));
}

int
main(int argc, char **argv)
{
	struct options o;
	const struct pkt_spec *specs;
	FILE *pcap, *expect;
	size_t n;
	int rc;

	parse_options(argc, argv, &o);
	pcap = open_out(o.pcap);
	expect = open_out(o.expect);
	if (pcap != NULL && (rc = pcap_write_header(pcap)) < 0)
		die("%s: %s", o.pcap, strerror(-rc));
	if (expect != NULL)
		row_print_header(expect);
	if (o.corpus != NULL && (rc = path_mkdir(o.corpus, 0777)) < 0)
		die("%s: %s", o.corpus, strerror(-rc));

	specs = catalog(&n);
	for (size_t i = 0; i < n; i++) {
		const struct pkt_spec *s = &specs[i];
		unsigned frame_no = (unsigned)i + 1;
		uint8_t payload[PAYLOAD_MAX];
		struct teredo_packet pkt;
		struct row want;
		size_t len;

		if ((rc = pkt_build(s, payload, sizeof(payload), &len)) < 0)
			die("%s: building: %s", s->name, strerror(-rc));
		if ((rc = teredo_packet_read(payload, len, &pkt)) < 0)
			die("%s: our decoder rejects it: %s", s->name,
			    strerror(-rc));
		check_decode(s, frame_no, &pkt, len, &want);
		if ((rc = check_nd(s, &pkt)) < 0)
			die("%s: our RS/RA checks reject it: %s", s->name,
			    strerror(-rc));

		if (!o.quiet && (rc = dump_packet(stdout, frame_no, s, payload,
						  len, &pkt)) < 0)
			die("%s: our RS/RA checks reject it: %s", s->name,
			    strerror(-rc));
		if (expect != NULL)
			row_print(expect, s->name, &want);
		if (pcap != NULL)
			pcap_append(pcap, o.pcap, s, frame_no, payload, len);
		if (o.corpus != NULL)
			corpus_write(o.corpus, s->name, payload, len);
	}
	close_out(pcap, o.pcap);
	close_out(expect, o.expect);
	if (!o.quiet)
		printf("%zu packets built by lib/ and read back unchanged\n",
		       n);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("stdout: write failed");
	return EXIT_SUCCESS;
}
