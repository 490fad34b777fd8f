/* Teredo outer datagram: auth, origin indication, IPv6, RFC 6081 trailers. */
#include "teredo/packet.h"

#include <string.h>

#include "teredo/addr.h"
#include "wire/rd.h"

#define INDICATOR_ORIGIN 0x0000
#define INDICATOR_AUTH 0x0001

/* RFC 6081 §4.1: the two high bits of an unknown type say what to do. */
#define TRAILER_ACTION_MASK 0xc0
#define TRAILER_ACTION_DISCARD 0x40

static int
auth_read(struct rd *rd, struct teredo_auth *out)
{
	rd_skip(rd, 2);
	out->id_len = rd_u8(rd);
	out->au_len = rd_u8(rd);
	/* RFC 4380 §5.1.1: ID-len and AU-len must fit in the datagram. */
	out->client_id = rd_take(rd, out->id_len);
	out->auth_value = rd_take(rd, out->au_len);
	rd_copy(rd, out->nonce, sizeof(out->nonce));
	out->confirmation = rd_u8(rd);
	return rd->bad ? -EMSGSIZE : 0;
}

static int
origin_read(struct rd *rd, struct teredo_origin *out)
{
	rd_skip(rd, 2);
	out->port = (uint16_t)~rd_u16(rd);
	out->ipv4 = ~rd_u32(rd);
	return rd->bad ? -EMSGSIZE : 0;
}

/* RFC 6081 §4.3: 2 reserved bytes, then 1-4 {IPv4, port} entries. */
static bool
alt_addr_read(struct rd *v, size_t len, struct teredo_trailers *out)
{
	unsigned n;

	if (len < 8 || (len - 2) % 6 != 0 ||
	    (len - 2) / 6 > TEREDO_ALT_ADDR_MAX)
		return false;
	n = (unsigned)((len - 2) / 6);
	rd_skip(v, 2); /* reserved: ignored on receipt */
	for (unsigned i = 0; i < n; i++) {
		uint32_t ipv4 = rd_u32(v);
		uint16_t port = rd_u16(v);

		/* RFC 6081 §4.3: unicast addresses and non-zero ports only. */
		if (port == 0 || ipv4 == 0 || ipv4 >= 0xe0000000u)
			return false;
		out->alt[i].ipv4 = ipv4;
		out->alt[i].port = port;
	}
	out->alt_count = n;
	return true;
}

int
teredo_trailers_read(const uint8_t *buf, size_t len,
		     struct teredo_trailers *out)
{
	struct rd rd;

	memset(out, 0, sizeof(*out));
	rd_init(&rd, buf, len);
	while (rd_left(&rd) > 0) {
		size_t at = rd.off;
		uint8_t type, length;
		struct rd v;
		bool ok = true;

		/* RFC 6081 §5.1.2: stop at the first malformed trailer. */
		if (rd_left(&rd) < 2 || rd_left(&rd) - 2 < rd_peek_u8(&rd, 1)) {
			out->unparsed_len = len - at;
			break;
		}
		type = rd_u8(&rd);
		length = rd_u8(&rd);
		rd_sub(&rd, length, &v);

		switch (type) {
		case TEREDO_TRAILER_NONCE:
			/* §4.2: length 4; another length is not a nonce. */
			if ((ok = (length == 4))) {
				out->has_nonce = true;
				out->nonce = rd_u32(&v);
			}
			break;
		case TEREDO_TRAILER_ALT_ADDR:
			/* One list per packet: a second one is ignored. */
			ok = out->alt_count == 0 &&
			     alt_addr_read(&v, length, out);
			break;
		case TEREDO_TRAILER_ND_OPTION:
			/* §4.4: DiscoveryType 0 or 1, 3 reserved bytes. */
			if ((ok = (length == 4 && rd_peek_u8(&v, 0) <= 1))) {
				out->has_nd_option = true;
				out->nd_discovery_type = rd_u8(&v);
			}
			break;
		case TEREDO_TRAILER_RANDOM_PORT:
			if ((ok = (length == 2))) {
				out->has_random_port = true;
				out->random_port = rd_u16(&v);
			}
			break;
		default:
			if ((type & TRAILER_ACTION_MASK) ==
			    TRAILER_ACTION_DISCARD)
				return -EPROTO;
			break; /* 00, 10, 11: skip and go on */
		}
		if (!ok)
			out->ignored++;
	}
	return 0;
}

int
teredo_trailers_write(struct wr *wr, const struct teredo_trailers *t)
{
	if (t->alt_count > TEREDO_ALT_ADDR_MAX)
		return -EINVAL;
	if (t->has_nonce) {
		wr_u8(wr, TEREDO_TRAILER_NONCE);
		wr_u8(wr, 4);
		wr_u32(wr, t->nonce);
	}
	if (t->alt_count > 0) {
		wr_u8(wr, TEREDO_TRAILER_ALT_ADDR);
		wr_u8(wr, (uint8_t)(2 + 6 * t->alt_count));
		wr_u16(wr, 0);
		for (unsigned i = 0; i < t->alt_count; i++) {
			wr_u32(wr, t->alt[i].ipv4);
			wr_u16(wr, t->alt[i].port);
		}
	}
	if (t->has_nd_option) {
		wr_u8(wr, TEREDO_TRAILER_ND_OPTION);
		wr_u8(wr, 4);
		wr_u8(wr, t->nd_discovery_type);
		wr_zero(wr, 3);
	}
	if (t->has_random_port) {
		wr_u8(wr, TEREDO_TRAILER_RANDOM_PORT);
		wr_u8(wr, 2);
		wr_u16(wr, t->random_port);
	}
	return wr_status(wr);
}

int
teredo_packet_read(const uint8_t *buf, size_t len, struct teredo_packet *out)
{
	struct rd rd;
	int rc;

	memset(out, 0, sizeof(*out));
	rd_init(&rd, buf, len);

	/*
	 * RFC 4380 §5.2.3: classify by the first bytes; 00 01 is
	 * authentication, 00 00 origin indication, version 6 the IPv6
	 * header.  §5.1.1: authentication, when present, comes first.
	 */
	if (rd_left(&rd) >= 2 && rd_peek_u8(&rd, 0) == 0 &&
	    rd_peek_u8(&rd, 1) == INDICATOR_AUTH) {
		if ((rc = auth_read(&rd, &out->auth)) < 0)
			return rc;
		out->has_auth = true;
	}
	if (rd_left(&rd) >= 2 && rd_peek_u8(&rd, 0) == 0 &&
	    rd_peek_u8(&rd, 1) == INDICATOR_ORIGIN) {
		if ((rc = origin_read(&rd, &out->origin)) < 0)
			return rc;
		out->has_origin = true;
	}
	if (rd_left(&rd) == 0)
		return -EMSGSIZE;
	if (rd_peek_u8(&rd, 0) >> 4 != 6)
		return -EBADMSG; /* also catches auth after origin */

	out->ip6_packet = buf + rd.off;
	if ((rc = ip6_header_read(&rd, &out->ip6)) < 0)
		return rc;
	/* RFC 6081 §4: 40 + payload length <= what remains; rest: trailers. */
	out->payload = rd_take(&rd, out->ip6.payload_len);
	if (out->payload == NULL)
		return -EMSGSIZE;
	out->ip6_len = IP6_HEADER_LEN + (size_t)out->ip6.payload_len;
	return teredo_trailers_read(buf + rd.off, rd_left(&rd), &out->trailers);
}

int
teredo_packet_write(const struct teredo_packet *pkt, uint8_t *buf, size_t cap,
		    size_t *out_len)
{
	struct wr wr;
	int rc;

	if (pkt->ip6_len < IP6_HEADER_LEN)
		return -EINVAL;
	wr_init(&wr, buf, cap);
	if (pkt->has_auth) {
		const struct teredo_auth *a = &pkt->auth;

		wr_u16(&wr, INDICATOR_AUTH);
		wr_u8(&wr, a->id_len);
		wr_u8(&wr, a->au_len);
		wr_bytes(&wr, a->client_id, a->id_len);
		wr_bytes(&wr, a->auth_value, a->au_len);
		wr_bytes(&wr, a->nonce, sizeof(a->nonce));
		wr_u8(&wr, a->confirmation);
	}
	if (pkt->has_origin) {
		wr_u16(&wr, INDICATOR_ORIGIN);
		wr_u16(&wr, (uint16_t)~pkt->origin.port);
		wr_u32(&wr, ~pkt->origin.ipv4);
	}
	wr_bytes(&wr, pkt->ip6_packet, pkt->ip6_len);
	if ((rc = teredo_trailers_write(&wr, &pkt->trailers)) < 0)
		return rc;
	*out_len = wr.off;
	return 0;
}
