/*
 * The remote-assistance invitation: text and one-line forms (invite.h).
 * Every byte of input is read through a struct rd; values are split off
 * into sub-cursors and read from those, so no length is ever turned into a
 * pointer past the input.
 */
#include "assist/invite.h"

#include <string.h>

#include "base/strbuf.h"
#include "natcheck/natcheck.h"
#include "wire/rd.h"
#include "wire/wr.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* RFC 8709 §4: the blob of an Ed25519 public key. */
static const char ed25519_name[] = "ssh-ed25519";
#define ED25519_BLOB_LEN (4 + 11 + 4 + ASSIST_HOSTKEY_LEN) /* 51 */
#define ED25519_B64_LEN 68 /* 51 bytes, no pad */

/* Largest time we write or read: 9999-12-31T23:59:59Z. */
#define TIME_MAX_S 253402300799LL

#define FAIL(code, text)                   \
	do {                               \
		if (err != NULL)           \
			err->why = (text); \
		return (code);             \
	} while (0)

static int
b64_value(const char *alpha, uint8_t c)
{
	for (int i = 0; i < 64; i++)
		if ((uint8_t)alpha[i] == c)
			return i;
	return -1;
}

/*
 * Decodes all of `in` (base64 without padding, RFC 4648 §3.2 allows
 * omitting it when the length is known) into out.  The unused low bits of
 * the last symbol must be zero (RFC 4648 §3.5), so each byte string has
 * exactly one text.  -EBADMSG or -EMSGSIZE (does not fit in cap).
 */
static int
b64_decode(struct rd *in, const char *alpha, uint8_t *out, size_t cap,
	   size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	while (rd_left(in) > 0) {
		int v = b64_value(alpha, rd_u8(in));

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -EMSGSIZE;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 6 leftover bits would be a lone symbol: never valid. */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return -EBADMSG;
	*len = n;
	return 0;
}

static void
b64_encode(struct strbuf *sb, const char *alpha, const uint8_t *in, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xffffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			strbuf_put(sb, "%c", alpha[(acc >> bits) & 63]);
		}
	}
	if (bits > 0)
		strbuf_put(sb, "%c", alpha[(acc << (6 - bits)) & 63]);
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Is the rest of sub exactly the bytes of s?  Consumes them if so. */
static bool
rd_match(struct rd *sub, const char *s)
{
	size_t n = strlen(s);

	if (n > rd_left(sub))
		return false;
	for (size_t i = 0; i < n; i++)
		if (rd_peek_u8(sub, i) != (uint8_t)s[i])
			return false;
	rd_skip(sub, n);
	return true;
}

/*
 * A decimal number of 1..max_digits digits without a leading zero (one
 * text per value).  Stops at the first non-digit.  -EBADMSG.
 */
static int
rd_decimal(struct rd *sub, unsigned max_digits, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;

	while (rd_left(sub) > 0 && is_digit(rd_peek_u8(sub, 0))) {
		if (n == max_digits)
			return -EBADMSG;
		if (n == 1 && v == 0)
			return -EBADMSG; /* leading zero */
		v = v * 10 + (uint64_t)(rd_u8(sub) - '0');
		n++;
	}
	if (n == 0)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* Exactly `digits` digits (fixed-width fields of RFC 3339). */
static int
rd_fixed(struct rd *sub, unsigned digits, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < digits; i++) {
		uint8_t c = rd_u8(sub);

		if (sub->bad || !is_digit(c))
			return -EBADMSG;
		v = v * 10 + (unsigned)(c - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, doe;
	unsigned yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = (int64_t)yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned char dim[] = {31, 28, 31, 30, 31, 30,
					    31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/*
 * RFC 3339 §5.6 date-time restricted to UTC and whole seconds:
 * "YYYY-MM-DDTHH:MM:SSZ" ('t' and 'z' allowed, §5.6 note); or Unix seconds.
 */
static int
parse_time(struct rd *sub, int64_t *out)
{
	unsigned y, mo, d, h, mi, s;
	uint64_t v;

	if (rd_left(sub) != 20) {
		if (rd_decimal(sub, 12, &v) < 0 || rd_left(sub) != 0 ||
		    v > (uint64_t)TIME_MAX_S)
			return -EBADMSG;
		*out = (int64_t)v;
		return 0;
	}
	if (rd_fixed(sub, 4, &y) < 0 || rd_u8(sub) != '-' ||
	    rd_fixed(sub, 2, &mo) < 0 || rd_u8(sub) != '-' ||
	    rd_fixed(sub, 2, &d) < 0)
		return -EBADMSG;
	v = rd_u8(sub);
	if (v != 'T' && v != 't')
		return -EBADMSG;
	if (rd_fixed(sub, 2, &h) < 0 || rd_u8(sub) != ':' ||
	    rd_fixed(sub, 2, &mi) < 0 || rd_u8(sub) != ':' ||
	    rd_fixed(sub, 2, &s) < 0)
		return -EBADMSG;
	v = rd_u8(sub);
	if ((v != 'Z' && v != 'z') || sub->bad)
		return -EBADMSG;
	/* RFC 3339 §5.7: ranges; a leap second (60) counts as :59. */
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
		return -EBADMSG;
	if (s == 60)
		s = 59;
	*out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	       (int64_t)mi * 60 + s;
	return 0;
}

int
assist_time_format(int64_t t, char out[static ASSIST_TIME_TEXT])
{
	int64_t z, era, doe, yoe, y, doy, mp, d, m, sec;

	if (t < 0 || t > TIME_MAX_S)
		return -EINVAL;
	z = t / 86400 + 719468;
	sec = t % 86400;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	{
		struct strbuf sb;

		strbuf_init(&sb, out, ASSIST_TIME_TEXT);
		strbuf_put(&sb, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y,
			   (int)m, (int)d, (int)(sec / 3600),
			   (int)(sec / 60 % 60), (int)(sec % 60));
		return strbuf_status(&sb) < 0 ? -EINVAL : 0;
	}
}

static int
hex_value(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 16 lowercase hex digits. */
static int
parse_id(struct rd *sub, uint8_t id[static ASSIST_ID_LEN])
{
	if (rd_left(sub) != 2 * ASSIST_ID_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < ASSIST_ID_LEN; i++) {
		int hi = hex_value(rd_u8(sub)), lo = hex_value(rd_u8(sub));

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* RFC 8709 §4: string "ssh-ed25519", string key (32 bytes). */
static int
hostkey_blob_read(struct rd *blob, uint8_t key[static ASSIST_HOSTKEY_LEN])
{
	uint32_t n = rd_u32(blob);
	struct rd name;

	if (blob->bad || n != sizeof(ed25519_name) - 1 || n > rd_left(blob))
		return -EBADMSG;
	rd_sub(blob, n, &name);
	if (!rd_match(&name, ed25519_name))
		return -EBADMSG;
	if (rd_u32(blob) != ASSIST_HOSTKEY_LEN)
		return -EBADMSG;
	rd_copy(blob, key, ASSIST_HOSTKEY_LEN);
	if (blob->bad || rd_left(blob) != 0)
		return -EBADMSG;
	return 0;
}

int
assist_hostkey_parse_b64(const char *b64, size_t len,
			 uint8_t key[static ASSIST_HOSTKEY_LEN])
{
	uint8_t blob[ED25519_BLOB_LEN];
	struct rd in, br;
	size_t n;

	if (len != ED25519_B64_LEN)
		return -EBADMSG;
	rd_init(&in, b64, len);
	if (b64_decode(&in, b64_std, blob, sizeof(blob), &n) < 0 ||
	    n != sizeof(blob))
		return -EBADMSG;
	rd_init(&br, blob, n);
	return hostkey_blob_read(&br, key);
}

void
assist_hostkey_format(const uint8_t key[static ASSIST_HOSTKEY_LEN],
		      char out[static ASSIST_HOSTKEY_TEXT])
{
	uint8_t blob[ED25519_BLOB_LEN];
	struct strbuf sb;
	struct wr w;

	wr_init(&w, blob, sizeof(blob));
	wr_u32(&w, sizeof(ed25519_name) - 1);
	wr_bytes(&w, ed25519_name, sizeof(ed25519_name) - 1);
	wr_u32(&w, ASSIST_HOSTKEY_LEN);
	wr_bytes(&w, key, ASSIST_HOSTKEY_LEN);
	strbuf_init(&sb, out, ASSIST_HOSTKEY_TEXT);
	strbuf_put(&sb, "%s ", ed25519_name);
	b64_encode(&sb, b64_std, blob, w.off);
}

static int
parse_hostkey(struct rd *sub, uint8_t key[static ASSIST_HOSTKEY_LEN])
{
	const uint8_t *p;

	if (!rd_match(sub, "ssh-ed25519 ") || rd_left(sub) != ED25519_B64_LEN)
		return -EBADMSG;
	p = rd_take(sub, ED25519_B64_LEN);
	if (p == NULL)
		return -EBADMSG;
	return assist_hostkey_parse_b64((const char *)p, ED25519_B64_LEN, key);
}

static bool
is_user_char(uint8_t c, bool first)
{
	if (c >= 'a' && c <= 'z')
		return true;
	return !first && (is_digit(c) || c == '_' || c == '-');
}

static int
parse_user(struct rd *sub, char user[static ASSIST_USER_MAX + 1])
{
	size_t n = rd_left(sub);

	if (n == 0 || n > ASSIST_USER_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = rd_u8(sub);

		if (!is_user_char(c, i == 0))
			return -EBADMSG;
		user[i] = (char)c;
	}
	user[n] = '\0';
	return 0;
}

/* ":port", 1..65535, the rest of sub. */
static int
parse_port(struct rd *sub, uint16_t *port)
{
	uint64_t v;

	if (rd_u8(sub) != ':' || rd_decimal(sub, 5, &v) < 0 ||
	    rd_left(sub) != 0 || v == 0 || v > 65535)
		return -EBADMSG;
	*port = (uint16_t)v;
	return 0;
}

/* Dotted quad, each part 0..255 without leading zeros. */
static int
parse_ipv4(struct rd *sub, uint32_t *out)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t v;

		if (i > 0 && rd_u8(sub) != '.')
			return -EBADMSG;
		if (rd_decimal(sub, 3, &v) < 0 || v > 255)
			return -EBADMSG;
		a = a << 8 | (uint32_t)v;
	}
	*out = a;
	return 0;
}

static int
parse_cand(struct rd *sub, struct assist_cand *c)
{
	char text[IP6_ADDR_TEXT_LEN];
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	if (rd_match(sub, "teredo ["))
		c->kind = ASSIST_CAND_TEREDO, c->is_v6 = true;
	else if (rd_match(sub, "ipv6 ["))
		c->kind = ASSIST_CAND_IPV6, c->is_v6 = true;
	else if (rd_match(sub, "ipv4 "))
		c->kind = ASSIST_CAND_IPV4;
	else if (rd_match(sub, "upnp "))
		c->kind = ASSIST_CAND_UPNP;
	else if (rd_match(sub, "natpmp "))
		c->kind = ASSIST_CAND_NATPMP;
	else if (rd_match(sub, "pcp "))
		c->kind = ASSIST_CAND_PCP;
	else
		return -EBADMSG;
	if (!c->is_v6) {
		if (parse_ipv4(sub, &c->a4) < 0)
			return -EBADMSG;
		/* Unicast only: not 0/8, not multicast or reserved. */
		if ((c->a4 >> 24) == 0 || c->a4 >= 0xe0000000u ||
		    (c->a4 >> 24) == 127)
			return -EBADMSG;
		/* A router's mapping is only worth its name on a global
		 * address (the offer never maps otherwise, issue 12). */
		if (assist_cand_is_mapped(c->kind) &&
		    !natcheck_is_global_ipv4(c->a4))
			return -EBADMSG;
		return parse_port(sub, &c->port);
	}
	while (rd_left(sub) > 0 && rd_peek_u8(sub, 0) != ']') {
		if (n == sizeof(text) - 1)
			return -EBADMSG;
		text[n++] = (char)rd_u8(sub);
	}
	text[n] = '\0';
	if (rd_u8(sub) != ']' || ip6_addr_parse(text, &c->a6) < 0)
		return -EBADMSG;
	/* A link-local address needs a zone the invitation cannot carry. */
	if (ip6_addr_is_multicast(&c->a6) || ip6_addr_is_unspecified(&c->a6) ||
	    ip6_addr_is_link_local(&c->a6))
		return -EBADMSG;
	/* RFC 4380 §2.6: Teredo addresses are in 2001:0000::/32. */
	if (c->kind == ASSIST_CAND_TEREDO &&
	    !(c->a6.bytes[0] == 0x20 && c->a6.bytes[1] == 0x01 &&
	      c->a6.bytes[2] == 0 && c->a6.bytes[3] == 0))
		return -EBADMSG;
	return parse_port(sub, &c->port);
}

enum {
	SEEN_ID = 1,
	SEEN_EXPIRES = 2,
	SEEN_HOSTKEY = 4,
	SEEN_USER = 8,
};

/* One "key=value" line; *seen tracks keys given once. */
static int
parse_field(struct rd *line, struct assist_invite *inv, unsigned *seen,
	    struct assist_invite_err *err)
{
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {
		{"id=", SEEN_ID},
		{"expires=", SEEN_EXPIRES},
		{"hostkey=", SEEN_HOSTKEY},
		{"user=", SEEN_USER},
		{"cand=", 0},
	};
	size_t k;

	for (k = 0; k < ARRAY_SIZE(keys); k++)
		if (rd_match(line, keys[k].key))
			break;
	if (k == ARRAY_SIZE(keys))
		FAIL(-EBADMSG, "unknown key (not key=value of version 1)");
	if (keys[k].bit != 0) {
		if (*seen & keys[k].bit)
			FAIL(-EBADMSG, "key given twice");
		*seen |= keys[k].bit;
	}
	switch (keys[k].bit) {
	case SEEN_ID:
		if (parse_id(line, inv->id) < 0)
			FAIL(-EBADMSG, "id: want 16 lowercase hex digits");
		return 0;
	case SEEN_EXPIRES:
		if (parse_time(line, &inv->expires_s) < 0)
			FAIL(-EBADMSG, "expires: want YYYY-MM-DDTHH:MM:SSZ "
				       "(UTC) or Unix seconds");
		return 0;
	case SEEN_HOSTKEY:
		if (parse_hostkey(line, inv->hostkey) < 0)
			FAIL(-EBADMSG, "hostkey: want an ssh-ed25519 key");
		return 0;
	case SEEN_USER:
		if (parse_user(line, inv->user) < 0)
			FAIL(-EBADMSG, "user: want 1-32 of [a-z0-9_-]");
		return 0;
	default:
		if (inv->cand_count == ASSIST_CAND_MAX)
			FAIL(-EMSGSIZE, "more than 8 candidates");
		if (parse_cand(line, &inv->cand[inv->cand_count]) < 0)
			FAIL(-EBADMSG,
			     "cand: want 'teredo|ipv6 [ADDR]:PORT' "
			     "or 'ipv4|upnp|natpmp|pcp A.B.C.D:PORT'");
		inv->cand_count++;
		return 0;
	}
}

/* "shipworm-assist N": the version number, checked before anything. */
static int
parse_version(struct rd *line, struct assist_invite *inv,
	      struct assist_invite_err *err)
{
	uint64_t v;

	if (!rd_match(line, ASSIST_INVITE_PREFIX " ") ||
	    rd_decimal(line, 3, &v) < 0 || rd_left(line) != 0)
		FAIL(-EBADMSG, "first line is not 'shipworm-assist VERSION'");
	inv->version = (unsigned)v;
	if (v != ASSIST_INVITE_VERSION)
		FAIL(-EPROTONOSUPPORT, "unsupported version");
	return 0;
}

/* Splits the next line (without its "\n" or "\r\n") off into *line. */
static int
next_line(struct rd *rd, struct rd *line)
{
	size_t n = 0, len;

	while (n < rd_left(rd) && rd_peek_u8(rd, n) != '\n')
		n++;
	len = n;
	if (len > 0 && rd_peek_u8(rd, len - 1) == '\r')
		len--;
	rd_sub(rd, len, line);
	rd_skip(rd, n - len); /* the '\r', if any */
	if (rd_left(rd) > 0)
		rd_skip(rd, 1); /* the '\n' */
	if (rd->bad)
		return -EBADMSG;
	if (len > ASSIST_INVITE_LINE_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = rd_peek_u8(line, i);

		if (c < 0x20 || c > 0x7e)
			return -EBADMSG;
	}
	return 0;
}

static int
parse_text(struct rd *rd, struct assist_invite *out,
	   struct assist_invite_err *err)
{
	unsigned seen = 0, lineno = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(out->user, "helper", sizeof("helper"));
	if (rd_left(rd) > ASSIST_INVITE_MAX)
		FAIL(-EMSGSIZE, "longer than 2048 bytes");
	while (rd_left(rd) > 0) {
		struct rd line;

		lineno++;
		if (err != NULL)
			err->line = lineno;
		rc = next_line(rd, &line);
		if (rc == -EMSGSIZE)
			FAIL(rc, "line longer than 200 bytes");
		if (rc < 0)
			FAIL(rc, "control character or non-ASCII byte");
		if (lineno == 1) {
			rc = parse_version(&line, out, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rd_left(&line) == 0 || rd_peek_u8(&line, 0) == '#')
			continue;
		rc = parse_field(&line, out, &seen, err);
		if (rc < 0)
			return rc;
	}
	if (err != NULL)
		err->line = 0;
	if (lineno == 0)
		FAIL(-EBADMSG, "empty");
	if (!(seen & SEEN_ID))
		FAIL(-EBADMSG, "no id");
	if (!(seen & SEEN_EXPIRES))
		FAIL(-EBADMSG, "no expires");
	if (!(seen & SEEN_HOSTKEY))
		FAIL(-EBADMSG, "no hostkey");
	if (out->cand_count == 0)
		FAIL(-EBADMSG, "no candidate address");
	return 0;
}

static bool
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
assist_invite_parse(const void *text, size_t len, struct assist_invite *out,
		    struct assist_invite_err *err)
{
	uint8_t decoded[ASSIST_INVITE_MAX];
	struct rd rd, body;
	size_t n = 0, end;
	int rc;

	if (err != NULL)
		err->line = 0, err->why = NULL;
	rd_init(&rd, text, len);
	while (rd_left(&rd) > 0 && is_space(rd_peek_u8(&rd, 0)))
		rd_skip(&rd, 1);
	if (!rd_match(&rd, ASSIST_INVITE_LINE_PREFIX)) {
		rc = parse_text(&rd, out, err);
		if (rc < 0 && err != NULL && err->why == NULL)
			err->why = "malformed";
		return rc;
	}
	/* One-line form: base64url up to trailing white space. */
	end = rd_left(&rd);
	while (end > 0 && is_space(rd_peek_u8(&rd, end - 1)))
		end--;
	rd_sub(&rd, end, &body);
	rc = b64_decode(&body, b64_url, decoded, sizeof(decoded), &n);
	if (rc == -EMSGSIZE)
		FAIL(rc, "one-line form longer than 2048 bytes decoded");
	if (rc < 0)
		FAIL(rc, "one-line form: not base64url");
	rd_init(&rd, decoded, n);
	return parse_text(&rd, out, err);
}

int
assist_invite_check_time(const struct assist_invite *inv, int64_t now_s)
{
	return now_s < inv->expires_s ? 0 : -EKEYEXPIRED;
}

const char *
assist_cand_kind_name(enum assist_cand_kind kind)
{
	switch (kind) {
	case ASSIST_CAND_TEREDO:
		return "teredo";
	case ASSIST_CAND_IPV6:
		return "ipv6";
	case ASSIST_CAND_IPV4:
		return "ipv4";
	case ASSIST_CAND_UPNP:
		return "upnp";
	case ASSIST_CAND_NATPMP:
		return "natpmp";
	case ASSIST_CAND_PCP:
		return "pcp";
	}
	return "?";
}

bool
assist_cand_is_mapped(enum assist_cand_kind kind)
{
	return kind == ASSIST_CAND_UPNP || kind == ASSIST_CAND_NATPMP ||
	       kind == ASSIST_CAND_PCP;
}

void
assist_cand_format(const struct assist_cand *c,
		   char out[static ASSIST_CAND_TEXT])
{
	char a[IP6_ADDR_TEXT_LEN];
	struct strbuf sb;

	strbuf_init(&sb, out, ASSIST_CAND_TEXT);
	if (c->is_v6) {
		ip6_addr_format(&c->a6, a);
		strbuf_put(&sb, "%s [%s]:%u", assist_cand_kind_name(c->kind), a,
			   c->port);
	} else {
		ipv4_format(c->a4, a);
		strbuf_put(&sb, "%s %s:%u", assist_cand_kind_name(c->kind), a,
			   c->port);
	}
}

/* Does the parser accept what format would write?  (Fail before writing.) */
static bool
is_valid(const struct assist_invite *inv)
{
	struct rd sub;
	char user[ASSIST_USER_MAX + 1];

	if (inv->version != ASSIST_INVITE_VERSION || inv->cand_count == 0 ||
	    inv->cand_count > ASSIST_CAND_MAX || inv->expires_s < 0 ||
	    inv->expires_s > TIME_MAX_S)
		return false;
	rd_init(&sub, inv->user, strnlen(inv->user, sizeof(inv->user)));
	if (rd_left(&sub) > ASSIST_USER_MAX || parse_user(&sub, user) < 0)
		return false;
	for (unsigned i = 0; i < inv->cand_count; i++) {
		char text[ASSIST_CAND_TEXT];
		struct assist_cand back;

		assist_cand_format(&inv->cand[i], text);
		rd_init(&sub, text, strlen(text));
		if (parse_cand(&sub, &back) < 0 ||
		    back.kind != inv->cand[i].kind)
			return false;
	}
	return true;
}

int
assist_invite_format(const struct assist_invite *inv, char *buf, size_t cap,
		     size_t *len)
{
	char key[ASSIST_HOSTKEY_TEXT], when[ASSIST_TIME_TEXT];
	struct strbuf sb;

	if (!is_valid(inv) || assist_time_format(inv->expires_s, when) < 0)
		return -EINVAL;
	assist_hostkey_format(inv->hostkey, key);
	strbuf_init(&sb, buf, cap);
	strbuf_put(&sb, "%s %u\nid=", ASSIST_INVITE_PREFIX, inv->version);
	for (size_t i = 0; i < ASSIST_ID_LEN; i++)
		strbuf_put(&sb, "%02x", inv->id[i]);
	strbuf_put(&sb, "\nexpires=%s\nhostkey=%s\nuser=%s\n", when, key,
		   inv->user);
	for (unsigned i = 0; i < inv->cand_count; i++) {
		char c[ASSIST_CAND_TEXT];

		assist_cand_format(&inv->cand[i], c);
		strbuf_put(&sb, "cand=%s\n", c);
	}
	if (strbuf_status(&sb) < 0 || sb.len > ASSIST_INVITE_MAX)
		return -ENOBUFS;
	*len = sb.len;
	return 0;
}

int
assist_invite_format_line(const struct assist_invite *inv, char *buf,
			  size_t cap)
{
	char text[ASSIST_INVITE_MAX + 1];
	struct strbuf sb;
	size_t n;
	int rc;

	rc = assist_invite_format(inv, text, sizeof(text), &n);
	if (rc < 0)
		return rc;
	strbuf_init(&sb, buf, cap);
	strbuf_put(&sb, "%s", ASSIST_INVITE_LINE_PREFIX);
	b64_encode(&sb, b64_url, (const uint8_t *)text, n);
	return strbuf_status(&sb);
}

void
assist_secret_format(const uint8_t secret[static ASSIST_SECRET_LEN],
		     char out[static ASSIST_SECRET_TEXT])
{
	uint32_t acc = 0;
	unsigned bits = 0, sym = 0;
	size_t o = 0;

	for (size_t i = 0; i < ASSIST_SECRET_LEN; i++) {
		acc = (acc << 8 | secret[i]) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (sym > 0 && sym % 5 == 0 && sym < 25)
				out[o++] = '-';
			out[o++] = b32_alpha[(acc >> bits) & 31];
			sym++;
		}
	}
	/* 128 = 25 * 5 + 3: the 26th symbol holds 3 bits, then zeros. */
	out[o++] = b32_alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int
assist_secret_parse(const char *text, uint8_t secret[static ASSIST_SECRET_LEN])
{
	uint32_t acc = 0;
	unsigned bits = 0, sym = 0;
	size_t o = 0;

	for (const char *p = text; *p != '\0'; p++) {
		char c = *p;
		int v = -1;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		for (int i = 0; i < 32; i++)
			if (b32_alpha[i] == c)
				v = i;
		if (v < 0 || sym == 26)
			return -EINVAL;
		sym++;
		acc = (acc << 5 | (uint32_t)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			secret[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (sym != 26 || o != ASSIST_SECRET_LEN ||
	    (acc & ((1u << bits) - 1)) != 0)
		return -EINVAL;
	return 0;
}
