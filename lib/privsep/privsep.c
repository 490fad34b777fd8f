/* teredod's privsep messages and the parent's policy.  See privsep.h. */
#include "privsep/privsep.h"

#include <errno.h>
#include <string.h>

#include "wire/rd.h"
#include "wire/wr.h"

#define ADDR_BODY 24
#define ROUTE_BODY 28
#define LINK_BODY 12
#define ANSWER_BODY 4
#define ERRNO_MAX 4095 /* Linux's MAX_ERRNO */

/* The exact body size of a type; SIZE_MAX for an unknown one. */
static size_t
body_len(unsigned type)
{
	switch (type) {
	case PRIVSEP_READY:
		return 0;
	case PRIVSEP_ADDR_ADD:
	case PRIVSEP_ADDR_DEL:
		return ADDR_BODY;
	case PRIVSEP_ROUTE_ADD:
	case PRIVSEP_ROUTE_DEL:
		return ROUTE_BODY;
	case PRIVSEP_LINK:
		return LINK_BODY;
	case PRIVSEP_ANSWER:
		return ANSWER_BODY;
	default:
		return SIZE_MAX;
	}
}

int
privsep_msg_read(const uint8_t *buf, size_t len, struct privsep_msg *out)
{
	struct rd rd;
	const uint8_t *pad;
	unsigned version, type;
	size_t want;

	memset(out, 0, sizeof(*out));
	rd_init(&rd, buf, len);
	if (len < PRIVSEP_HEADER_LEN)
		return -EMSGSIZE;
	version = rd_u8(&rd);
	type = rd_u8(&rd);
	if (version != PRIVSEP_VERSION)
		return -EPROTONOSUPPORT;
	want = body_len(type);
	if (want == SIZE_MAX)
		return -EBADMSG;
	/* The length field and the datagram's must both say it. */
	if (rd_u16(&rd) != PRIVSEP_HEADER_LEN + want ||
	    len != PRIVSEP_HEADER_LEN + want)
		return -EBADMSG;
	out->type = (enum privsep_type)type;
	out->seq = rd_u32(&rd);
	switch (type) {
	case PRIVSEP_ADDR_ADD:
	case PRIVSEP_ADDR_DEL:
	case PRIVSEP_ROUTE_ADD:
	case PRIVSEP_ROUTE_DEL:
		out->ifindex = rd_u32(&rd);
		rd_copy(&rd, out->addr, sizeof(out->addr));
		out->prefix_len = rd_u8(&rd);
		pad = rd_take(&rd, 3);
		if (pad == NULL || !privsep_is_zero(pad, 3) ||
		    out->prefix_len > 128)
			return -EBADMSG;
		if (type == PRIVSEP_ROUTE_ADD || type == PRIVSEP_ROUTE_DEL)
			out->metric = rd_u32(&rd);
		break;
	case PRIVSEP_LINK: {
		uint8_t up;

		out->ifindex = rd_u32(&rd);
		up = rd_u8(&rd);
		pad = rd_take(&rd, 3);
		if (pad == NULL || !privsep_is_zero(pad, 3) || up > 1)
			return -EBADMSG;
		out->up = up == 1;
		out->mtu = rd_u32(&rd);
		break;
	}
	case PRIVSEP_ANSWER: {
		uint32_t e = rd_u32(&rd);

		/* 0 or -1 .. -ERRNO_MAX, as two's complement. */
		if (e != 0 && e < (uint32_t)-ERRNO_MAX)
			return -EBADMSG;
		out->error = e == 0 ? 0 : -(int32_t)(~e + 1u);
		break;
	}
	default:
		break;
	}
	return rd.bad || rd_left(&rd) != 0 ? -EBADMSG : 0;
}

int
privsep_msg_write(const struct privsep_msg *m, uint8_t *buf, size_t cap,
		  size_t *len)
{
	struct wr wr;
	size_t body = body_len((unsigned)m->type);
	int rc;

	*len = 0;
	if (body == SIZE_MAX || m->prefix_len > 128 ||
	    (m->type == PRIVSEP_ANSWER &&
	     (m->error > 0 || m->error < -ERRNO_MAX)))
		return -EINVAL;
	wr_init(&wr, buf, cap);
	wr_u8(&wr, PRIVSEP_VERSION);
	wr_u8(&wr, (uint8_t)m->type);
	wr_u16(&wr, (uint16_t)(PRIVSEP_HEADER_LEN + body));
	wr_u32(&wr, m->seq);
	switch (m->type) {
	case PRIVSEP_ADDR_ADD:
	case PRIVSEP_ADDR_DEL:
	case PRIVSEP_ROUTE_ADD:
	case PRIVSEP_ROUTE_DEL:
		wr_u32(&wr, m->ifindex);
		wr_bytes(&wr, m->addr, sizeof(m->addr));
		wr_u8(&wr, m->prefix_len);
		wr_zero(&wr, 3);
		if (m->type == PRIVSEP_ROUTE_ADD ||
		    m->type == PRIVSEP_ROUTE_DEL)
			wr_u32(&wr, m->metric);
		break;
	case PRIVSEP_LINK:
		wr_u32(&wr, m->ifindex);
		wr_u8(&wr, m->up ? 1 : 0);
		wr_zero(&wr, 3);
		wr_u32(&wr, m->mtu);
		break;
	case PRIVSEP_ANSWER:
		wr_u32(&wr, (uint32_t)m->error);
		break;
	default:
		break;
	}
	if ((rc = wr_status(&wr)) < 0)
		return rc;
	*len = PRIVSEP_HEADER_LEN + body;
	return 0;
}

/* The top 32 bits of an address. */
static uint32_t
top32(const uint8_t a[static 16])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	       (uint32_t)a[2] << 8 | a[3];
}

/* 2001::/32 (RFC 4380 §2.6) or the prefix the administrator configured. */
static bool
is_teredo_prefix(const struct privsep_policy *p, uint32_t top)
{
	return top == PRIVSEP_TEREDO_PREFIX || top == p->prefix;
}

int
privsep_check(const struct privsep_policy *p, const struct privsep_msg *m)
{
	switch (m->type) {
	case PRIVSEP_READY:
		return 0;
	case PRIVSEP_ADDR_ADD:
	case PRIVSEP_ADDR_DEL:
		/* A client's one Teredo address, as Miredo sets it: /32,
		 * inside the Teredo prefix (RFC 4380 §4). */
		if (p->relay || m->ifindex != p->ifindex ||
		    m->prefix_len != 32 || !is_teredo_prefix(p, top32(m->addr)))
			return -EPERM;
		return 0;
	case PRIVSEP_ROUTE_ADD:
	case PRIVSEP_ROUTE_DEL:
		if (m->ifindex != p->ifindex)
			return -EPERM;
		if (p->relay) {
			/* RFC 4380 §5.4: the relay routes the prefix, and
			 * nothing wider; while it has withdrawn the prefix
			 * under overload (issue 11 A2), a /128 host route
			 * inside it keeps each client it already serves. */
			if (m->metric != 0 ||
			    !is_teredo_prefix(p, top32(m->addr)))
				return -EPERM;
			if (m->prefix_len == 128)
				return 0;
			return m->prefix_len == 32 &&
					       privsep_is_zero(m->addr + 4, 12)
				       ? 0
				       : -EPERM;
		}
		/* RFC 4380 §5.5: a client's last-resort default route. */
		return m->prefix_len == 0 && privsep_is_zero(m->addr, 16) &&
				       m->metric == p->default_metric
			       ? 0
			       : -EPERM;
	case PRIVSEP_LINK:
		if (m->ifindex != p->ifindex)
			return -EPERM;
		if (!m->up)
			return m->mtu == 0 ? 0 : -EPERM;
		return m->mtu == 0 || (m->mtu >= PRIVSEP_MTU_MIN &&
				       m->mtu <= PRIVSEP_MTU_MAX)
			       ? 0
			       : -EPERM;
	case PRIVSEP_ANSWER:
	default:
		return -EPERM;
	}
}
