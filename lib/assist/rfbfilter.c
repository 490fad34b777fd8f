/* The Helper's RFB stream, input taken out without control: see
 * rfbfilter.h. */
#include "assist/rfbfilter.h"

#include <errno.h>
#include <string.h>

#include "wire/rd.h"

/* RFC 6143 §7.5 and the extensions of §7.7 / rfbproto that viewers send. */
enum {
	MSG_SET_PIXEL_FORMAT = 0,
	MSG_SET_ENCODINGS = 2,
	MSG_FB_UPDATE_REQUEST = 3,
	MSG_KEY = 4,
	MSG_POINTER = 5,
	MSG_CUT_TEXT = 6,
	MSG_CONTINUOUS_UPDATES = 150,
	MSG_FENCE = 248,
	MSG_XVP = 250,
	MSG_SET_DESKTOP_SIZE = 251,
	MSG_QEMU = 255,
};

#define FENCE_PAYLOAD_MAX 64 /* rfbproto: "at most 64 bytes" */

void
assist_rfb_filter_init(struct assist_rfb_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->phase = ASSIST_RFB_VERSION;
	f->hneed = 12;
}

bool
assist_rfb_is_input(uint8_t t)
{
	return t == MSG_KEY || t == MSG_POINTER || t == MSG_CUT_TEXT ||
	       t == MSG_XVP || t == MSG_SET_DESKTOP_SIZE || t == MSG_QEMU;
}

/* The header bytes a message type needs before its length is known; 0:
 * a type not known here. */
static size_t
msg_hdr_len(uint8_t t)
{
	switch (t) {
	case MSG_SET_PIXEL_FORMAT:
	case MSG_FB_UPDATE_REQUEST:
	case MSG_KEY:
	case MSG_POINTER:
	case MSG_CONTINUOUS_UPDATES:
	case MSG_XVP:
		return 1;
	case MSG_QEMU:
		return 2;
	case MSG_SET_ENCODINGS:
		return 4;
	case MSG_CUT_TEXT:
	case MSG_SET_DESKTOP_SIZE:
		return 8;
	case MSG_FENCE:
		return 9;
	default:
		return 0;
	}
}

/* A message's whole length from its complete header; 0: not valid. */
static uint64_t
msg_len(const uint8_t *hdr, size_t hlen)
{
	struct rd rd;
	uint32_t u;
	uint8_t t;

	rd_init(&rd, hdr, hlen);
	t = rd_u8(&rd);
	switch (t) {
	case MSG_SET_PIXEL_FORMAT:
		return 20;
	case MSG_FB_UPDATE_REQUEST:
	case MSG_CONTINUOUS_UPDATES:
		return 10;
	case MSG_KEY:
		return 8;
	case MSG_POINTER:
		return 6;
	case MSG_XVP:
		return 4;
	case MSG_QEMU:
		/* Subtype 0: extended key event; audio and others: no. */
		return rd_u8(&rd) == 0 && !rd.bad ? 12 : 0;
	case MSG_SET_ENCODINGS:
		rd_skip(&rd, 1);
		u = rd_u16(&rd);
		return rd.bad ? 0 : 4 + 4 * (uint64_t)u;
	case MSG_CUT_TEXT:
		rd_skip(&rd, 3);
		u = rd_u32(&rd);
		if (rd.bad)
			return 0;
		/* The extended clipboard sends -length. */
		if (u & 0x80000000u)
			u = (uint32_t)(-(int64_t)(int32_t)u);
		return 8 + (uint64_t)u;
	case MSG_SET_DESKTOP_SIZE:
		rd_skip(&rd, 5);
		u = rd_u8(&rd);
		return rd.bad ? 0 : 8 + 16 * (uint64_t)u;
	case MSG_FENCE:
		rd_skip(&rd, 7);
		u = rd_u8(&rd);
		return rd.bad || u > FENCE_PAYLOAD_MAX ? 0 : 9 + (uint64_t)u;
	default:
		return 0;
	}
}

/* "RFB 003.00N\n" with N 3, 7 or 8: the minor version, or 0. */
static uint8_t
version_minor(const uint8_t *v)
{
	static const char known[] = "RFB 003.00";

	if (memcmp(v, known, sizeof(known) - 1) != 0 || v[11] != '\n')
		return 0;
	return v[10] == '3' || v[10] == '7' || v[10] == '8'
		       ? (uint8_t)(v[10] - '0')
		       : 0;
}

/* The current unit's header is complete: what comes next.  0 or -EPROTO. */
static int
header_done(struct assist_rfb_filter *f)
{
	uint64_t len;

	switch (f->phase) {
	case ASSIST_RFB_VERSION:
		f->minor = version_minor(f->hdr);
		if (f->minor == 0)
			return -EPROTO;
		f->phase = f->minor >= 7 ? ASSIST_RFB_SECTYPE : ASSIST_RFB_INIT;
		f->hneed = 1;
		break;
	case ASSIST_RFB_SECTYPE:
		if (f->hdr[0] == 1)
			f->phase = ASSIST_RFB_INIT, f->hneed = 1;
		else if (f->hdr[0] == 2)
			f->phase = ASSIST_RFB_AUTH, f->hneed = 16;
		else
			return -EPROTO;
		break;
	case ASSIST_RFB_AUTH:
		f->phase = ASSIST_RFB_INIT;
		f->hneed = 1;
		break;
	case ASSIST_RFB_INIT:
		f->phase = ASSIST_RFB_MSG;
		f->hneed = 1;
		break;
	case ASSIST_RFB_MSG:
		if (f->hlen == 1) {
			/* The type: known, and whether it passes. */
			f->hneed = msg_hdr_len(f->hdr[0]);
			if (f->hneed == 0)
				return -EPROTO;
			if (f->hneed > 1)
				return 0; /* more header first */
		}
		len = msg_len(f->hdr, f->hlen);
		if (len < f->hlen)
			return -EPROTO;
		f->body = len - f->hlen;
		f->msgs++;
		if (f->drop)
			f->dropped++;
		f->hneed = 1; /* then the next message's type */
		break;
	case ASSIST_RFB_BAD:
		return -EPROTO;
	}
	f->hlen = 0;
	return 0;
}

int
assist_rfb_filter_feed(struct assist_rfb_filter *f, bool input,
		       const uint8_t *in, size_t n, uint8_t *out,
		       size_t *out_len)
{
	uint8_t hold[ASSIST_RFB_HDR_MAX];
	struct rd rd;
	size_t o = 0, held = 0;
	bool msg;

	*out_len = 0;
	if (f->phase == ASSIST_RFB_BAD)
		return -EPROTO;
	rd_init(&rd, in, n);
	while (rd_left(&rd) > 0) {
		const uint8_t *p;
		size_t run;

		if (f->body > 0) {
			/* A message's body: passes or not as a whole. */
			run = rd_left(&rd);
			if (run > f->body)
				run = (size_t)f->body;
			p = rd_take(&rd, run);
			if (!f->drop)
				memcpy(out + o, p, run);
			o += f->drop ? 0 : run;
			f->body -= run;
			continue;
		}
		msg = f->phase == ASSIST_RFB_MSG;
		if (msg && f->hlen == 0) {
			/* A message's type: known, and whether it passes. */
			uint8_t t = rd_peek_u8(&rd, 0);

			if (msg_hdr_len(t) == 0)
				goto bad;
			f->drop = !input && assist_rfb_is_input(t);
		}
		f->hdr[f->hlen++] = rd_u8(&rd);
		if (f->hlen < f->hneed)
			continue;
		/* A unit's header passes once complete and known good (a
		 * message's type alone may need more header to be). */
		memcpy(hold, f->hdr, held = f->hlen);
		if (header_done(f) < 0)
			goto bad;
		if (f->hlen != 0)
			continue; /* a type that needs more header */
		if (!msg || !f->drop) {
			memcpy(out + o, hold, held);
			o += held;
		}
	}
	*out_len = o;
	return 0;
bad:
	f->phase = ASSIST_RFB_BAD;
	*out_len = o;
	return -EPROTO;
}
