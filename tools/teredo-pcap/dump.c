/* The human-readable listing: what we built, and how our codec reads it. */
#include "dump.h"

#include "fmt.h"
#include "teredo/msg.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

#define HEX_PER_LINE 16
#define INDENT "    "

/* Label column, so every decoded line starts its values in one place. */
static void
label(FILE *f, const char *name)
{
	fprintf(f, INDENT "%-9s ", name);
}

static void
endpoint_print(FILE *f, uint32_t ipv4, uint16_t port)
{
	char text[FMT_IPV4_LEN];

	fmt_ipv4(text, ipv4);
	fprintf(f, "%s:%u", text, port);
}

static void
ip6_print(FILE *f, const struct ip6_addr *a)
{
	char text[FMT_IP6_LEN];

	ip6_addr_format(a, text);
	fputs(text, f);
}

static void
hex_print(FILE *f, const uint8_t *bytes, size_t len)
{
	char hex[2 * UINT8_MAX + 1];

	fmt_hex(hex, sizeof(hex), bytes, len);
	fputs(hex, f);
}

static void
hexdump(FILE *f, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i % HEX_PER_LINE == 0)
			fprintf(f, "%s" INDENT "%04zx ", i > 0 ? "\n" : "", i);
		fprintf(f, " %02x", buf[i]);
	}
	fputc('\n', f);
}

static void
auth_print(FILE *f, const struct teredo_auth *a)
{
	label(f, "auth");
	fprintf(f, "id-len %u, au-len %u", a->id_len, a->au_len);
	if (a->id_len > 0) {
		fputs(", id ", f);
		hex_print(f, a->client_id, a->id_len);
	}
	if (a->au_len > 0) {
		fputs(", value ", f);
		hex_print(f, a->auth_value, a->au_len);
	}
	fputs(", nonce ", f);
	hex_print(f, a->nonce, sizeof(a->nonce));
	fprintf(f, ", confirmation %u\n", a->confirmation);
}

static void
ip6_header_print(FILE *f, const struct teredo_packet *pkt)
{
	label(f, "ipv6");
	ip6_print(f, &pkt->ip6.src);
	fputs(" -> ", f);
	ip6_print(f, &pkt->ip6.dst);
	fprintf(f, ", next header %u, hop limit %u, payload %u%s\n",
		pkt->ip6.next_header, pkt->ip6.hop_limit, pkt->ip6.payload_len,
		teredo_packet_is_bubble(pkt) ? " (a bubble)" : "");
}

static void
trailers_print(FILE *f, const struct teredo_trailers *t)
{
	const char *sep = "";

	if (!t->has_nonce && t->alt_count == 0 && !t->has_nd_option &&
	    !t->has_random_port && t->ignored == 0 && t->unparsed_len == 0)
		return;
	label(f, "trailers");
	if (t->has_nonce) {
		fprintf(f, "%snonce %08x", sep, t->nonce);
		sep = "; ";
	}
	for (unsigned i = 0; i < t->alt_count; i++) {
		fprintf(f, "%salternate ", sep);
		endpoint_print(f, t->alt[i].ipv4, t->alt[i].port);
		sep = "; ";
	}
	if (t->has_nd_option) {
		fprintf(f, "%sND option %s", sep,
			t->nd_discovery_type == TEREDO_ND_SOLICITATION
				? "solicitation"
				: "advertisement");
		sep = "; ";
	}
	if (t->has_random_port) {
		fprintf(f, "%srandom port %u", sep, t->random_port);
		sep = "; ";
	}
	if (t->ignored > 0 || t->unparsed_len > 0)
		fprintf(f, "%s%u ignored, %zu bytes unparsed", sep, t->ignored,
			t->unparsed_len);
	fputc('\n', f);
}

static int
rs_print(FILE *f, const struct teredo_packet *pkt)
{
	struct teredo_rs rs;
	int rc;

	if ((rc = teredo_rs_read(pkt, &rs)) < 0)
		return rc;
	label(f, "rs");
	fprintf(f, "%s source ", rs.cone ? "cone" : "non-cone");
	ip6_print(f, &rs.src);
	fputs(", nonce ", f);
	hex_print(f, rs.auth.nonce, sizeof(rs.auth.nonce));
	fputc('\n', f);
	return 0;
}

static int
ra_print(FILE *f, const struct teredo_packet *pkt)
{
	char server[FMT_IPV4_LEN];
	struct teredo_ra ra;
	int rc;

	if ((rc = teredo_ra_read(pkt, &ra)) < 0)
		return rc;
	fmt_ipv4(server, ra.server_ipv4);
	label(f, "ra");
	fputs("nonce ", f);
	hex_print(f, ra.nonce, sizeof(ra.nonce));
	fputs(", mapped ", f);
	endpoint_print(f, ra.origin.ipv4, ra.origin.port);
	fputs(", router ", f);
	ip6_print(f, &ra.router);
	fputc('\n', f);
	label(f, "");
	fputs("prefix ", f);
	ip6_print(f, &ra.prefix.prefix);
	fprintf(f, "/%u (server %s), ", ra.prefix.prefix_len, server);
	if (ra.has_mtu)
		fprintf(f, "MTU %u\n", ra.mtu);
	else
		fputs("no MTU option\n", f);
	return 0;
}

static int
icmp6_print(FILE *f, const struct teredo_packet *pkt)
{
	struct icmp6_msg msg;
	int rc;

	if ((rc = teredo_packet_icmp6(pkt, &msg)) < 0)
		return rc;
	label(f, "icmpv6");
	fprintf(f, "type %u, code %u, checksum good", msg.type, msg.code);
	if (msg.type == ICMP6_ECHO_REQUEST || msg.type == ICMP6_ECHO_REPLY) {
		fprintf(f, ", echo id 0x%04x seq %u, data ", msg.u.echo.id,
			msg.u.echo.seq);
		hex_print(f, msg.u.echo.data, msg.u.echo.data_len);
	}
	fputc('\n', f);
	if (msg.type == ND_ROUTER_SOLICIT)
		return rs_print(f, pkt);
	if (msg.type == ND_ROUTER_ADVERT)
		return ra_print(f, pkt);
	return 0;
}

int
dump_packet(FILE *f, unsigned frame_no, const struct pkt_spec *s,
	    const uint8_t *payload, size_t len, const struct teredo_packet *pkt)
{
	fprintf(f, "%2u %s: %s\n" INDENT, frame_no, s->name, s->what);
	endpoint_print(f, s->src->ipv4, s->src->port);
	fputs(" -> ", f);
	endpoint_print(f, s->dst->ipv4, s->dst->port);
	fprintf(f, ", TTL %u, UDP payload %zu bytes\n", s->ttl, len);
	hexdump(f, payload, len);

	if (pkt->has_auth)
		auth_print(f, &pkt->auth);
	if (pkt->has_origin) {
		label(f, "origin");
		endpoint_print(f, pkt->origin.ipv4, pkt->origin.port);
		fputc('\n', f);
	}
	ip6_header_print(f, pkt);
	trailers_print(f, &pkt->trailers);
	if (pkt->ip6.next_header == IP6_NEXT_ICMPV6)
		return icmp6_print(f, pkt);
	return 0;
}
