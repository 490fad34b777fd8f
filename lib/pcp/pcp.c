/* PCP MAP/ANNOUNCE and NAT-PMP external address codec: see pcp.h. */
#include "pcp/pcp.h"

#include <string.h>

#include "wire/rd.h"
#include "wire/wr.h"

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void
pcp_ipv4_mapped(uint32_t ipv4, uint8_t out[static 16])
{
	memcpy(out, v4_prefix, sizeof(v4_prefix));
	be32_store(out + 12, ipv4);
}

bool
pcp_is_ipv4_mapped(const uint8_t ip[static 16])
{
	return memcmp(ip, v4_prefix, sizeof(v4_prefix)) == 0;
}

uint32_t
pcp_mapped_ipv4(const uint8_t ip[static 16])
{
	return be32_load(ip + 12);
}

const char *
pcp_result_name(unsigned result)
{
	static const char *const names[] = {
		"SUCCESS",	    "UNSUPP_VERSION",
		"NOT_AUTHORIZED",   "MALFORMED_REQUEST",
		"UNSUPP_OPCODE",    "UNSUPP_OPTION",
		"MALFORMED_OPTION", "NETWORK_FAILURE",
		"NO_RESOURCES",	    "UNSUPP_PROTOCOL",
		"USER_EX_QUOTA",    "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	return result < ARRAY_SIZE(names) ? names[result] : "?";
}

int
pcp_read(const uint8_t *buf, size_t len, struct pcp_msg *m)
{
	struct rd r;
	uint8_t b1;

	memset(m, 0, sizeof(*m));
	/* RFC 6887 §7: 24..1100 bytes, a multiple of 4. */
	if (len < PCP_HEADER_LEN || len > PCP_MSG_MAX || len % 4 != 0)
		return -EBADMSG;
	rd_init(&r, buf, len);
	if (rd_u8(&r) != PCP_VERSION)
		return -EBADMSG;
	b1 = rd_u8(&r);
	m->is_response = (b1 & 0x80) != 0;
	m->opcode = b1 & 0x7f;
	if (m->is_response) {
		rd_skip(&r, 1);
		m->result = rd_u8(&r);
		m->lifetime = rd_u32(&r);
		m->epoch = rd_u32(&r);
		rd_skip(&r, 12);
	} else {
		rd_skip(&r, 2);
		m->lifetime = rd_u32(&r);
		rd_copy(&r, m->client_ip, 16);
	}
	if (m->opcode != PCP_OP_ANNOUNCE && m->opcode != PCP_OP_MAP)
		return -EPROTONOSUPPORT;
	if (m->opcode == PCP_OP_MAP) {
		/* §7.2: an error answer may come without the opcode data. */
		if (m->is_response && m->result != PCP_SUCCESS &&
		    rd_left(&r) == 0)
			return 0;
		if (rd_left(&r) < PCP_MAP_LEN)
			return -EBADMSG;
		rd_copy(&r, m->nonce, sizeof(m->nonce));
		m->protocol = rd_u8(&r);
		rd_skip(&r, 3);
		m->internal_port = rd_u16(&r);
		m->external_port = rd_u16(&r);
		rd_copy(&r, m->external_ip, 16);
	}
	while (!r.bad && rd_left(&r) > 0) {
		uint8_t code = rd_u8(&r);
		uint16_t olen;

		rd_skip(&r, 1);
		olen = rd_u16(&r);
		if (r.bad || ((size_t)olen + 3) / 4 * 4 > rd_left(&r))
			return -EBADMSG;
		rd_skip(&r, ((size_t)olen + 3) / 4 * 4);
		/* §7.3: codes 0..127 are mandatory to process. */
		if (code < 128)
			m->unknown_mandatory++;
	}
	return r.bad ? -EBADMSG : 0;
}

int
pcp_write(const struct pcp_msg *m, uint8_t *buf, size_t cap, size_t *len_out)
{
	struct wr w;

	if (m->opcode != PCP_OP_ANNOUNCE && m->opcode != PCP_OP_MAP)
		return -EINVAL;
	wr_init(&w, buf, cap);
	wr_u8(&w, PCP_VERSION);
	wr_u8(&w, (uint8_t)((m->is_response ? 0x80 : 0) | m->opcode));
	if (m->is_response) {
		wr_u8(&w, 0);
		wr_u8(&w, m->result);
		wr_u32(&w, m->lifetime);
		wr_u32(&w, m->epoch);
		wr_zero(&w, 12);
	} else {
		wr_u16(&w, 0);
		wr_u32(&w, m->lifetime);
		wr_bytes(&w, m->client_ip, 16);
	}
	if (m->opcode == PCP_OP_MAP) {
		wr_bytes(&w, m->nonce, sizeof(m->nonce));
		wr_u8(&w, m->protocol);
		wr_zero(&w, 3);
		wr_u16(&w, m->internal_port);
		wr_u16(&w, m->external_port);
		wr_bytes(&w, m->external_ip, 16);
	}
	if (w.bad)
		return -ENOBUFS;
	*len_out = w.off;
	return 0;
}

int
pcp_natpmp_write_request(uint8_t *buf, size_t cap, size_t *len_out)
{
	if (cap < 2)
		return -ENOBUFS;
	buf[0] = 0; /* version */
	buf[1] = 0; /* opcode: external address */
	*len_out = 2;
	return 0;
}

int
pcp_natpmp_read(const uint8_t *buf, size_t len, struct pcp_natpmp_answer *a)
{
	struct rd r;

	memset(a, 0, sizeof(*a));
	rd_init(&r, buf, len);
	if (rd_u8(&r) != 0 || rd_u8(&r) != 128)
		return -EBADMSG;
	a->result = rd_u16(&r);
	a->epoch = rd_u32(&r);
	if (r.bad)
		return -EBADMSG;
	if (a->result != 0 && rd_left(&r) < 4)
		return 0; /* RFC 6886 §3.5: an error answer may stop here */
	a->external_ipv4 = rd_u32(&r);
	return r.bad ? -EBADMSG : 0;
}

int
pcp_natpmp_write_answer(const struct pcp_natpmp_answer *a, uint8_t *buf,
			size_t cap, size_t *len_out)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_u8(&w, 0);
	wr_u8(&w, 128);
	wr_u16(&w, a->result);
	wr_u32(&w, a->epoch);
	wr_u32(&w, a->external_ipv4);
	if (w.bad)
		return -ENOBUFS;
	*len_out = w.off;
	return 0;
}
