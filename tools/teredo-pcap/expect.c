/* Expected and decoded Wireshark field values, one row per frame. */
#include "expect.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"
#include "teredo/addr.h"
#include "teredo/msg.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

/* tshark's checksum.status values: 0 bad, 1 good, 2 unverified. */
#define CSUM_GOOD "1"

static const char *const col_names[COL_COUNT] = {
#define ROW_NAME(id, name) name,
	ROW_COLUMNS(ROW_NAME)
#undef ROW_NAME
};

const char *
col_name(enum col c)
{
	return col_names[c];
}

static __attribute__((format(printf, 3, 4))) void
row_set(struct row *r, enum col c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->cell[c], sizeof(r->cell[c]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->cell[c]))
		r->truncated = true;
}

static void
row_set_hex(struct row *r, enum col c, const uint8_t *bytes, size_t len)
{
	char hex[2 * UINT8_MAX + 1];

	fmt_hex(hex, sizeof(hex), bytes, len);
	row_set(r, c, "%s", hex);
}

static void
row_set_ipv4(struct row *r, enum col c, uint32_t ipv4)
{
	char text[FMT_IPV4_LEN];

	fmt_ipv4(text, ipv4);
	row_set(r, c, "%s", text);
}

static void
row_set_ip6(struct row *r, enum col c, const struct ip6_addr *a)
{
	char text[FMT_IP6_LEN];

	ip6_addr_format(a, text);
	row_set(r, c, "%s", text);
}

static int
row_status(const struct row *r)
{
	return r->truncated ? -EOVERFLOW : 0;
}

/* The Teredo headers; NULL when absent. */
static void
row_set_headers(struct row *r, const struct teredo_auth *auth,
		const struct teredo_origin *origin)
{
	if (auth != NULL) {
		row_set(r, COL_AUTH_IDLEN, "%u", auth->id_len);
		row_set(r, COL_AUTH_AULEN, "%u", auth->au_len);
		/* tshark adds ID and value only when their length is not 0. */
		if (auth->id_len > 0)
			row_set_hex(r, COL_AUTH_ID, auth->client_id,
				    auth->id_len);
		if (auth->au_len > 0)
			row_set_hex(r, COL_AUTH_VALUE, auth->auth_value,
				    auth->au_len);
		row_set_hex(r, COL_AUTH_NONCE, auth->nonce,
			    sizeof(auth->nonce));
		row_set_hex(r, COL_AUTH_CONF, &auth->confirmation, 1);
	}
	if (origin != NULL) {
		row_set(r, COL_ORIG_PORT, "%u", origin->port);
		row_set_ipv4(r, COL_ORIG_ADDR, origin->ipv4);
	}
}

/*
 * What a Teredo address encodes, in three columns from `server` on: server,
 * port, client (tshark's ipv6.{src,dst}_{ts_ipv4,tc_port,tc_ipv4}).
 */
static void
row_set_teredo(struct row *r, enum col server, uint32_t server_ipv4,
	       uint16_t port, uint32_t client_ipv4)
{
	row_set_ipv4(r, server, server_ipv4);
	row_set(r, (enum col)(server + 1), "%u", port);
	row_set_ipv4(r, (enum col)(server + 2), client_ipv4);
}

static void
row_set_peer(struct row *r, enum col text, enum col server,
	     const struct ip6_peer *p)
{
	/* Spelled in RFC 5952 form, which is also how tshark prints them. */
	row_set(r, text, "%s", p->text);
	if (p->teredo)
		row_set_teredo(r, server, p->server_ipv4, p->mapped->port,
			       p->mapped->ipv4);
}

static void
row_set_addr(struct row *r, enum col text, enum col server,
	     const struct ip6_addr *a)
{
	struct teredo_addr t;

	row_set_ip6(r, text, a);
	if (teredo_addr_read(a, &t) == 0)
		row_set_teredo(r, server, t.server_ipv4, t.mapped_port,
			       t.mapped_ipv4);
}

static void
row_set_echo(struct row *r, const struct icmp6_echo *echo)
{
	/* A BASE_HEX field: tshark prints it zero-padded to its width. */
	row_set(r, COL_ECHO_ID, "0x%04x", echo->id);
	row_set(r, COL_ECHO_SEQ, "%u", echo->seq);
	if (echo->data_len > 0)
		row_set_hex(r, COL_ECHO_DATA, echo->data, echo->data_len);
}

static void
row_set_prefix(struct row *r, const struct nd_prefix_info *prefix)
{
	row_set_ip6(r, COL_RA_PREFIX, &prefix->prefix);
	row_set(r, COL_RA_PREFIX_LEN, "%u", prefix->prefix_len);
}

/* RFC 6081 §4: every trailer is a 2-byte type and length, then a value. */
static size_t
trailers_len(const struct teredo_trailers *t)
{
	size_t n = 0;

	if (t == NULL)
		return 0;
	if (t->has_nonce)
		n += 2 + 4;
	if (t->alt_count > 0)
		n += 2 + 2 + 6 * (size_t)t->alt_count;
	if (t->has_nd_option)
		n += 2 + 4;
	if (t->has_random_port)
		n += 2 + 2;
	return n;
}

/* The IPv6 payload length each message must have (RFC 4861, RFC 4443). */
static size_t
spec_ip6_payload_len(const struct pkt_spec *s)
{
	switch (s->kind) {
	case MSG_RS:
		return ND_RS_LEN;
	case MSG_RA:
		return ND_RA_LEN + ND_OPT_PREFIX_INFO_LEN +
		       (s->with_mtu ? ND_OPT_MTU_LEN : 0);
	case MSG_BUBBLE:
		return 0;
	case MSG_ECHO:
		return ICMP6_ECHO_HEADER_LEN + s->echo->data_len;
	}
	return 0;
}

static size_t
spec_payload_len(const struct pkt_spec *s)
{
	size_t len = IP6_HEADER_LEN + spec_ip6_payload_len(s) +
		     trailers_len(s->trailers);

	if (s->auth != NULL)
		len += TEREDO_AUTH_MIN_LEN + (size_t)s->auth->id_len +
		       s->auth->au_len;
	if (s->origin != NULL)
		len += TEREDO_ORIGIN_LEN;
	return len;
}

static uint8_t
spec_icmp6_type(const struct pkt_spec *s)
{
	switch (s->kind) {
	case MSG_RS:
		return ND_ROUTER_SOLICIT;
	case MSG_RA:
		return ND_ROUTER_ADVERT;
	case MSG_ECHO:
		return s->echo_type;
	case MSG_BUBBLE:
		break;
	}
	return 0;
}

/* The PIO of a Teredo RA: 2001:0:<server IPv4>::/64, RFC 4380 §5.3.2. */
static void
spec_prefix(const struct pkt_spec *s, struct nd_prefix_info *out)
{
	memset(out, 0, sizeof(*out));
	out->prefix_len = 64;
	out->prefix.bytes[0] = 0x20;
	out->prefix.bytes[1] = 0x01;
	out->prefix.bytes[4] = (uint8_t)(s->server_ipv4 >> 24);
	out->prefix.bytes[5] = (uint8_t)(s->server_ipv4 >> 16);
	out->prefix.bytes[6] = (uint8_t)(s->server_ipv4 >> 8);
	out->prefix.bytes[7] = (uint8_t)s->server_ipv4;
}

int
row_from_spec(const struct pkt_spec *s, unsigned frame_no, struct row *r)
{
	memset(r, 0, sizeof(*r));
	row_set(r, COL_FRAME, "%u", frame_no);
	row_set_ipv4(r, COL_IP_SRC, s->src->ipv4);
	row_set_ipv4(r, COL_IP_DST, s->dst->ipv4);
	row_set(r, COL_IP_TTL, "%u", s->ttl);
	row_set(r, COL_IP_DF, "0");
	row_set(r, COL_IP_CSUM, CSUM_GOOD);
	row_set(r, COL_UDP_SRCPORT, "%u", s->src->port);
	row_set(r, COL_UDP_DSTPORT, "%u", s->dst->port);
	row_set(r, COL_UDP_CSUM, CSUM_GOOD);
	row_set(r, COL_UDP_LEN, "%zu", UDP_HEADER_LEN + spec_payload_len(s));

	row_set_headers(r, s->auth, s->origin);

	row_set(r, COL_IP6_PLEN, "%zu", spec_ip6_payload_len(s));
	row_set(r, COL_IP6_NXT, "%u",
		s->kind == MSG_BUBBLE ? IP6_NEXT_NONE : IP6_NEXT_ICMPV6);
	row_set(r, COL_IP6_HLIM, "%u", s->hop_limit);
	row_set_peer(r, COL_IP6_SRC, COL_IP6_SRC_SERVER, s->ip6_src);
	row_set_peer(r, COL_IP6_DST, COL_IP6_DST_SERVER, s->ip6_dst);
	if (s->kind == MSG_BUBBLE)
		return row_status(r);

	row_set(r, COL_ICMP6_TYPE, "%u", spec_icmp6_type(s));
	row_set(r, COL_ICMP6_CODE, "0");
	row_set(r, COL_ICMP6_CSUM, CSUM_GOOD);
	if (s->kind == MSG_ECHO)
		row_set_echo(r, s->echo);
	if (s->kind == MSG_RA) {
		struct nd_prefix_info prefix;

		spec_prefix(s, &prefix);
		row_set(r, COL_RA_RETRANS, "%u", TEREDO_RA_RETRANS_MS);
		row_set_prefix(r, &prefix);
		if (s->with_mtu)
			row_set(r, COL_RA_MTU, "%u", IP6_MIN_MTU);
	}
	return row_status(r);
}

int
row_from_decode(const struct teredo_packet *pkt, size_t len, struct row *r)
{
	struct icmp6_msg msg;
	int rc;

	memset(r, 0, sizeof(*r));
	row_set(r, COL_UDP_LEN, "%zu", UDP_HEADER_LEN + len);
	row_set_headers(r, pkt->has_auth ? &pkt->auth : NULL,
			pkt->has_origin ? &pkt->origin : NULL);
	row_set(r, COL_IP6_PLEN, "%u", pkt->ip6.payload_len);
	row_set(r, COL_IP6_NXT, "%u", pkt->ip6.next_header);
	row_set(r, COL_IP6_HLIM, "%u", pkt->ip6.hop_limit);
	row_set_addr(r, COL_IP6_SRC, COL_IP6_SRC_SERVER, &pkt->ip6.src);
	row_set_addr(r, COL_IP6_DST, COL_IP6_DST_SERVER, &pkt->ip6.dst);
	if (pkt->ip6.next_header != IP6_NEXT_ICMPV6)
		return row_status(r);

	/* icmp6_read verifies the checksum; success is tshark's "Good". */
	if ((rc = teredo_packet_icmp6(pkt, &msg)) < 0)
		return rc;
	row_set(r, COL_ICMP6_TYPE, "%u", msg.type);
	row_set(r, COL_ICMP6_CODE, "%u", msg.code);
	row_set(r, COL_ICMP6_CSUM, CSUM_GOOD);
	if (msg.type == ICMP6_ECHO_REQUEST || msg.type == ICMP6_ECHO_REPLY)
		row_set_echo(r, &msg.u.echo);
	if (msg.type == ND_ROUTER_ADVERT) {
		row_set(r, COL_RA_RETRANS, "%u", msg.u.ra.retrans_ms);
		if (msg.u.ra.prefix_count > 0)
			row_set_prefix(r, &msg.u.ra.prefix);
		if (msg.u.ra.has_mtu)
			row_set(r, COL_RA_MTU, "%u", msg.u.ra.mtu);
	}
	return row_status(r);
}

enum col
row_diff(const struct row *a, const struct row *b, enum col first)
{
	for (unsigned c = first; c < COL_COUNT; c++)
		if (strcmp(a->cell[c], b->cell[c]) != 0)
			return (enum col)c;
	return COL_COUNT;
}

void
row_print_header(FILE *f)
{
	fputs("name", f);
	for (unsigned c = 0; c < COL_COUNT; c++)
		fprintf(f, "\t%s", col_names[c]);
	fputc('\n', f);
}

void
row_print(FILE *f, const char *name, const struct row *r)
{
	fputs(name, f);
	for (unsigned c = 0; c < COL_COUNT; c++)
		fprintf(f, "\t%s", r->cell[c]);
	fputc('\n', f);
}
