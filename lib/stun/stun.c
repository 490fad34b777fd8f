/* STUN Binding codec (RFC 5389, RFC 5780): see stun.h. */
#include "stun/stun.h"

#include <string.h>

#include "wire/rd.h"
#include "wire/wr.h"

uint32_t
stun_addr_ipv4(const struct stun_addr *a)
{
	return be32_load(a->ip);
}

void
stun_addr_set_ipv4(struct stun_addr *a, uint32_t ipv4, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = STUN_FAMILY_IPV4;
	a->port = port;
	be32_store(a->ip, ipv4);
}

uint32_t
stun_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

bool
stun_is_stun(const uint8_t *buf, size_t len)
{
	if (len < STUN_HEADER_LEN || (buf[0] & 0xc0) != 0)
		return false;
	size_t body = be16_load(buf + 2);

	/* RFC 5389 §6: the length is a multiple of 4 and covers the rest. */
	return body % 4 == 0 && body + STUN_HEADER_LEN == len &&
	       be32_load(buf + 4) == STUN_MAGIC;
}

/* The XOR mask of XOR-MAPPED-ADDRESS: the cookie, then the txid. */
static void
xor_mask(const uint8_t txid[static STUN_TXID_LEN], uint8_t mask[static 16])
{
	be32_store(mask, STUN_MAGIC);
	memcpy(mask + 4, txid, STUN_TXID_LEN);
}

static int
addr_read(struct rd *v, bool xored, const uint8_t *txid, struct stun_addr *a)
{
	uint8_t mask[16];
	size_t n;

	memset(a, 0, sizeof(*a));
	(void)rd_u8(v);
	a->family = rd_u8(v);
	a->port = rd_u16(v);
	if (a->family == STUN_FAMILY_IPV4)
		n = 4;
	else if (a->family == STUN_FAMILY_IPV6)
		n = 16;
	else
		return -EBADMSG;
	/* RFC 5389 §15.1: the value is exactly 8 or 20 bytes. */
	if (rd_left(v) != n)
		return -EBADMSG;
	rd_copy(v, a->ip, n);
	if (v->bad)
		return -EBADMSG;
	if (xored) {
		xor_mask(txid, mask);
		a->port ^= (uint16_t)(STUN_MAGIC >> 16);
		for (size_t i = 0; i < n; i++)
			a->ip[i] ^= mask[i];
	}
	return 0;
}

static bool
is_known(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_PADDING:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
		return true;
	default:
		return false;
	}
}

int
stun_read(const uint8_t *buf, size_t len, struct stun_msg *m)
{
	struct rd r;
	int err;

	memset(m, 0, sizeof(*m));
	if (!stun_is_stun(buf, len))
		return -EBADMSG;
	rd_init(&r, buf, len);
	m->type = rd_u16(&r);
	rd_skip(&r, 6);
	rd_copy(&r, m->txid, STUN_TXID_LEN);
	/* Method bits (RFC 5389 §6): M0..M11 with the class bits removed. */
	if ((m->type & 0x3eef) != 0x0001)
		return -EPROTONOSUPPORT;
	while (rd_left(&r) > 0) {
		size_t at = r.off;
		uint16_t type = rd_u16(&r);
		uint16_t alen = rd_u16(&r);
		size_t padded = ((size_t)alen + 3) & ~(size_t)3;
		struct rd v;

		if (r.bad || padded > rd_left(&r))
			return -EBADMSG;
		rd_sub(&r, alen, &v);
		rd_skip(&r, padded - alen);
		if (m->has_fingerprint)
			return -EBADMSG; /* §15.5: FINGERPRINT is last */
		if (type == STUN_ATTR_FINGERPRINT) {
			uint32_t want = rd_u32(&v);

			if (alen != 4 || v.bad)
				return -EBADMSG;
			/*
			 * §15.5: the CRC covers the message up to the attribute,
			 * with the header length already including it.
			 */
			if ((stun_crc32(buf, at) ^ STUN_FINGERPRINT_XOR) !=
			    want)
				return -EBADMSG;
			m->has_fingerprint = true;
			continue;
		}
		/* §15.4: after MESSAGE-INTEGRITY only FINGERPRINT counts. */
		if (m->has_integrity)
			continue;
		err = 0;
		switch (type) {
		case STUN_ATTR_MAPPED_ADDRESS:
			err = addr_read(&v, false, m->txid, &m->mapped);
			m->has_mapped = true;
			break;
		case STUN_ATTR_XOR_MAPPED_ADDRESS:
			err = addr_read(&v, true, m->txid, &m->xor_mapped);
			m->has_xor_mapped = true;
			break;
		case STUN_ATTR_RESPONSE_ORIGIN:
			err = addr_read(&v, false, m->txid, &m->origin);
			m->has_origin = true;
			break;
		case STUN_ATTR_OTHER_ADDRESS:
			err = addr_read(&v, false, m->txid, &m->other);
			m->has_other = true;
			break;
		case STUN_ATTR_CHANGE_REQUEST:
			m->change_flags = rd_u32(&v);
			if (alen != 4 || v.bad)
				err = -EBADMSG;
			m->has_change = true;
			break;
		case STUN_ATTR_RESPONSE_PORT:
			m->response_port = rd_u16(&v);
			if (alen != 4 || v.bad)
				err = -EBADMSG;
			m->has_response_port = true;
			break;
		case STUN_ATTR_ERROR_CODE: {
			uint32_t w = rd_u32(&v);
			unsigned cls = (w >> 8) & 7u, num = w & 0xffu;

			/* §15.6: class 3..6, number 0..99; reason ignored. */
			if (v.bad || cls < 3 || cls > 6 || num > 99)
				err = -EBADMSG;
			m->error_code = (uint16_t)(cls * 100 + num);
			m->has_error = true;
			break;
		}
		case STUN_ATTR_MESSAGE_INTEGRITY:
			if (alen != 20)
				err = -EBADMSG;
			m->has_integrity = true;
			break;
		default:
			if (type < 0x8000 && !is_known(type))
				m->unknown_required++;
			break;
		}
		if (err != 0)
			return err;
	}
	return r.bad ? -EBADMSG : 0;
}

static int
addr_write(struct wr *w, uint16_t type, const struct stun_addr *a, bool xored,
	   const uint8_t *txid)
{
	uint8_t mask[16], ip[16];
	size_t n;
	uint16_t port = a->port;

	if (a->family == STUN_FAMILY_IPV4)
		n = 4;
	else if (a->family == STUN_FAMILY_IPV6)
		n = 16;
	else
		return -EINVAL;
	memcpy(ip, a->ip, n);
	if (xored) {
		xor_mask(txid, mask);
		port ^= (uint16_t)(STUN_MAGIC >> 16);
		for (size_t i = 0; i < n; i++)
			ip[i] ^= mask[i];
	}
	wr_u16(w, type);
	wr_u16(w, (uint16_t)(4 + n));
	wr_u8(w, 0);
	wr_u8(w, a->family);
	wr_u16(w, port);
	wr_bytes(w, ip, n);
	return 0;
}

int
stun_write(const struct stun_msg *m, uint8_t *buf, size_t cap, size_t *len_out)
{
	struct wr w;
	int err = 0;

	wr_init(&w, buf, cap);
	wr_u16(&w, m->type & 0x3fff);
	wr_u16(&w, 0); /* patched below */
	wr_u32(&w, STUN_MAGIC);
	wr_bytes(&w, m->txid, STUN_TXID_LEN);
	if (m->has_mapped && err == 0)
		err = addr_write(&w, STUN_ATTR_MAPPED_ADDRESS, &m->mapped,
				 false, m->txid);
	if (m->has_xor_mapped && err == 0)
		err = addr_write(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
				 &m->xor_mapped, true, m->txid);
	if (m->has_origin && err == 0)
		err = addr_write(&w, STUN_ATTR_RESPONSE_ORIGIN, &m->origin,
				 false, m->txid);
	if (m->has_other && err == 0)
		err = addr_write(&w, STUN_ATTR_OTHER_ADDRESS, &m->other, false,
				 m->txid);
	if (err != 0)
		return err;
	if (m->has_change) {
		wr_u16(&w, STUN_ATTR_CHANGE_REQUEST);
		wr_u16(&w, 4);
		wr_u32(&w,
		       m->change_flags & (STUN_CHANGE_IP | STUN_CHANGE_PORT));
	}
	if (m->has_response_port) {
		wr_u16(&w, STUN_ATTR_RESPONSE_PORT);
		wr_u16(&w, 4);
		wr_u16(&w, m->response_port);
		wr_u16(&w, 0);
	}
	if (m->has_error) {
		if (m->error_code < 300 || m->error_code > 699)
			return -EINVAL;
		wr_u16(&w, STUN_ATTR_ERROR_CODE);
		wr_u16(&w, 4);
		wr_u32(&w, (uint32_t)(m->error_code / 100) << 8 |
				   (uint32_t)(m->error_code % 100));
	}
	if (m->has_fingerprint) {
		size_t at = w.off;

		wr_u16(&w, STUN_ATTR_FINGERPRINT);
		wr_u16(&w, 4);
		wr_u32(&w, 0);
		if (w.bad)
			return -ENOBUFS;
		wr_patch_u16(&w, 2, (uint16_t)(w.off - STUN_HEADER_LEN));
		be32_store(buf + at + 4,
			   stun_crc32(buf, at) ^ STUN_FINGERPRINT_XOR);
	}
	if (w.bad)
		return -ENOBUFS;
	wr_patch_u16(&w, 2, (uint16_t)(w.off - STUN_HEADER_LEN));
	*len_out = w.off;
	return 0;
}
