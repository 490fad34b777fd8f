/* Port-mapping policy and the lease record (portmap.h). */
#include "portmap/portmap.h"

#include <string.h>

#include "base/strbuf.h"
#include "natcheck/natcheck.h"
#include "wire/rd.h"

const char *
portmap_proto_name(enum portmap_proto p)
{
	switch (p) {
	case PORTMAP_UPNP:
		return "upnp";
	case PORTMAP_NATPMP:
		return "natpmp";
	case PORTMAP_PCP:
		return "pcp";
	default:
		return "none";
	}
}

bool
portmap_external_ok(uint32_t ext, uint32_t own)
{
	return ext != 0 && ext != own && natcheck_is_global_ipv4(ext);
}

void
portmap_external_note(uint32_t ext, bool garbage, bool connected, char *out,
		      size_t cap)
{
	struct strbuf sb;
	char ip[IPV4_TEXT_LEN];

	strbuf_init(&sb, out, cap);
	ipv4_format(ext, ip);
	/*
	 * The address first: miniupnpc reports an IGD with a reserved
	 * external address as "not connected" (UPNP_GetValidIGD() state 2).
	 */
	if (garbage)
		strbuf_put(&sb, "the IGD answered garbage for its external "
				"address: not usable");
	else if (ext == 0)
		strbuf_put(&sb, "its external address is 0.0.0.0: not usable");
	else if ((ext >> 24) == 127)
		strbuf_put(&sb,
			   "its external address %s is loopback: not "
			   "usable",
			   ip);
	else if (!natcheck_is_global_ipv4(ext))
		strbuf_put(&sb,
			   "its external address %s is not global "
			   "(another NAT beyond it?): not usable",
			   ip);
	else if (!connected)
		strbuf_put(&sb, "the IGD says its WAN is not connected");
}

uint64_t
portmap_renew_ms(uint32_t granted_s)
{
	uint64_t half = (uint64_t)granted_s * 500;

	if (granted_s == 0)
		return 0;
	if (granted_s > 120 && (uint64_t)granted_s * 1000 - half < 60000)
		half = (uint64_t)granted_s * 1000 - 60000;
	return half < 1000 ? 1000 : half;
}

int
portmap_record_format(const struct portmap_record *r, char *buf, size_t cap)
{
	char gw[IPV4_TEXT_LEN], in[IPV4_TEXT_LEN];
	struct strbuf sb;

	if (r->proto == PORTMAP_NONE)
		return -EINVAL;
	ipv4_format(r->gateway, gw);
	ipv4_format(r->internal_ipv4, in);
	strbuf_init(&sb, buf, cap);
	strbuf_put(&sb,
		   "shipworm-portmap 1\nproto=%s\ngateway=%s\n"
		   "internal=%s:%u\nexternal=%u\n",
		   portmap_proto_name(r->proto), gw, in, r->internal_port,
		   r->external_port);
	if (r->proto == PORTMAP_PCP) {
		strbuf_put(&sb, "nonce=");
		for (size_t i = 0; i < sizeof(r->nonce); i++)
			strbuf_put(&sb, "%02x", r->nonce[i]);
		strbuf_put(&sb, "\n");
	}
	if (r->proto == PORTMAP_UPNP)
		strbuf_put(&sb, "control=%s\nservice=%s\n", r->control,
			   r->service);
	return strbuf_status(&sb);
}

/* A decimal number <= max from the whole of s. */
static bool
parse_uint(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (uint32_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool
parse_ipv4(const char *s, size_t n, uint32_t *out)
{
	uint32_t a = 0, part;
	size_t start = 0;
	unsigned parts = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (parts == 4 || !parse_uint(s + start, i - start, 255, &part))
			return false;
		a = a << 8 | part;
		parts++;
		start = i + 1;
	}
	*out = a;
	return parts == 4;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Printable ASCII only, into out (NUL-terminated). */
static bool
copy_text(const char *s, size_t n, char *out, size_t cap)
{
	if (n == 0 || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

enum {
	K_PROTO = 1,
	K_GW = 2,
	K_IN = 4,
	K_EXT = 8,
	K_NONCE = 16,
	K_CTL = 32,
	K_SVC = 64
};

static int
record_line(const char *l, size_t n, struct portmap_record *r, unsigned *seen)
{
	const char *eq = memchr(l, '=', n);
	size_t kn, vn;
	const char *v;
	uint32_t x;
	unsigned bit;

	if (eq == NULL)
		return -EBADMSG;
	kn = (size_t)(eq - l);
	v = eq + 1;
	vn = n - kn - 1;
#define KEY(s) (kn == sizeof(s) - 1 && memcmp(l, s, kn) == 0)
	if (KEY("proto")) {
		bit = K_PROTO;
		if (vn == 4 && memcmp(v, "upnp", 4) == 0)
			r->proto = PORTMAP_UPNP;
		else if (vn == 6 && memcmp(v, "natpmp", 6) == 0)
			r->proto = PORTMAP_NATPMP;
		else if (vn == 3 && memcmp(v, "pcp", 3) == 0)
			r->proto = PORTMAP_PCP;
		else
			return -EBADMSG;
	} else if (KEY("gateway")) {
		bit = K_GW;
		if (!parse_ipv4(v, vn, &r->gateway))
			return -EBADMSG;
	} else if (KEY("internal")) {
		const char *c = memchr(v, ':', vn);

		bit = K_IN;
		if (c == NULL ||
		    !parse_ipv4(v, (size_t)(c - v), &r->internal_ipv4) ||
		    !parse_uint(c + 1, vn - (size_t)(c - v) - 1, 65535, &x) ||
		    x == 0)
			return -EBADMSG;
		r->internal_port = (uint16_t)x;
	} else if (KEY("external")) {
		bit = K_EXT;
		if (!parse_uint(v, vn, 65535, &x) || x == 0)
			return -EBADMSG;
		r->external_port = (uint16_t)x;
	} else if (KEY("nonce")) {
		bit = K_NONCE;
		if (vn != 2 * sizeof(r->nonce))
			return -EBADMSG;
		for (size_t i = 0; i < sizeof(r->nonce); i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -EBADMSG;
			r->nonce[i] = (uint8_t)(hi << 4 | lo);
		}
	} else if (KEY("control")) {
		bit = K_CTL;
		if (!copy_text(v, vn, r->control, sizeof(r->control)))
			return -EBADMSG;
	} else if (KEY("service")) {
		bit = K_SVC;
		if (!copy_text(v, vn, r->service, sizeof(r->service)))
			return -EBADMSG;
	} else {
		return -EBADMSG;
	}
#undef KEY
	if (*seen & bit)
		return -EBADMSG;
	*seen |= bit;
	return 0;
}

int
portmap_record_parse(const char *text, size_t len, struct portmap_record *r)
{
	static const char magic[] = "shipworm-portmap 1";
	struct rd rd;
	unsigned seen = 0, line = 0;
	int err;

	memset(r, 0, sizeof(*r));
	rd_init(&rd, text, len);
	while (rd_left(&rd) > 0) {
		size_t n = 0;
		const uint8_t *l;

		while (n < rd_left(&rd) && rd_peek_u8(&rd, n) != '\n')
			n++;
		if (n > 600)
			return -EBADMSG;
		l = rd_take(&rd, n);
		if (rd_left(&rd) > 0)
			rd_skip(&rd, 1); /* the newline */
		if (l == NULL)
			return -EBADMSG;
		if (line++ == 0) {
			if (n != sizeof(magic) - 1 || memcmp(l, magic, n) != 0)
				return -EBADMSG;
			continue;
		}
		if (n == 0)
			continue;
		err = record_line((const char *)l, n, r, &seen);
		if (err != 0)
			return err;
	}
	if ((seen & (K_PROTO | K_GW | K_IN | K_EXT)) !=
	    (K_PROTO | K_GW | K_IN | K_EXT))
		return -EBADMSG;
	if (r->proto == PORTMAP_UPNP &&
	    (seen & (K_CTL | K_SVC)) != (K_CTL | K_SVC))
		return -EBADMSG;
	if (r->proto == PORTMAP_PCP && !(seen & K_NONCE))
		return -EBADMSG;
	/* Keys of another protocol: a record we did not write (fuzz_portmap_record). */
	if ((r->proto != PORTMAP_UPNP && (seen & (K_CTL | K_SVC))) ||
	    (r->proto != PORTMAP_PCP && (seen & K_NONCE)))
		return -EBADMSG;
	return 0;
}

int
portmap_pcp_request(uint32_t local, uint16_t int_port, uint16_t ext_port_hint,
		    uint32_t lifetime_s, const uint8_t nonce[static 12],
		    uint8_t *buf, size_t cap, size_t *len)
{
	struct pcp_msg m;

	memset(&m, 0, sizeof(m));
	m.opcode = PCP_OP_MAP;
	m.lifetime = lifetime_s;
	pcp_ipv4_mapped(local, m.client_ip);
	memcpy(m.nonce, nonce, sizeof(m.nonce));
	m.protocol = 6; /* TCP */
	m.internal_port = int_port;
	m.external_port = ext_port_hint;
	/* RFC 6887 §11.1: "no preference" is the IPv4-mapped 0.0.0.0. */
	pcp_ipv4_mapped(0, m.external_ip);
	return pcp_write(&m, buf, cap, len);
}

int
portmap_pcp_answer(const uint8_t *buf, size_t len,
		   const uint8_t nonce[static 12], uint16_t int_port,
		   struct pcp_msg *m)
{
	if (pcp_read(buf, len, m) != 0 || !m->is_response ||
	    m->opcode != PCP_OP_MAP)
		return -EAGAIN;
	if (m->result != PCP_SUCCESS)
		/* An error answer may lack the data (RFC 6887 §7.2). */
		return -EPROTO;
	if (memcmp(m->nonce, nonce, 12) != 0 || m->protocol != 6 ||
	    m->internal_port != int_port)
		return -EAGAIN;
	return 0;
}
