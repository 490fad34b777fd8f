/*
 * lib/assist/rfbfilter: the Helper's RFB stream toward the User's VNC
 * server, with the input messages taken out while the Helper has no
 * control (issue 13 point 1, for wayvnc; also in front of x11vnc).
 * Vectors from RFC 6143 §7.5 and the extensions viewers send; a
 * write-then-filter round trip over random message sequences in random
 * splits; fail closed on what the filter cannot follow.
 */
#include "tap.h"

#include "assist/rfbfilter.h"

#include <errno.h>

#include "teredo_test.h"

static uint64_t rng = 0x5eed13;

static unsigned
test_rand(void)
{
	unsigned v;

	test_random_fill(&rng, &v, sizeof(v));
	return v;
}

struct buf {
	uint8_t b[8192];
	size_t len;
};

static void
put(struct buf *w, const void *p, size_t n)
{
	if (w->len + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void
put_u8(struct buf *w, uint8_t v)
{
	put(w, &v, 1);
}

static void
put_u16(struct buf *w, uint16_t v)
{
	put_u8(w, (uint8_t)(v >> 8));
	put_u8(w, (uint8_t)v);
}

static void
put_u32(struct buf *w, uint32_t v)
{
	put_u16(w, (uint16_t)(v >> 16));
	put_u16(w, (uint16_t)v);
}

/* The messages a viewer sends (RFC 6143 §7.5; rfbproto extensions);
 * returns whether it is input. */
static bool
put_msg(struct buf *w, unsigned kind, unsigned arg)
{
	static const uint8_t pf[19] = {32,  24, 0,   1,	 0, 255, 0,
				       255, 0,	255, 16, 8, 0};
	unsigned i;

	switch (kind % 11) {
	case 0: /* SetPixelFormat */
		put_u8(w, 0);
		put(w, pf, sizeof(pf));
		return false;
	case 1: /* SetEncodings */
		put_u8(w, 2), put_u8(w, 0), put_u16(w, (uint16_t)(arg % 5));
		for (i = 0; i < arg % 5; i++)
			put_u32(w, (uint32_t)-239 + i);
		return false;
	case 2: /* FramebufferUpdateRequest */
		put_u8(w, 3), put_u8(w, 1);
		put_u16(w, 0), put_u16(w, 0), put_u16(w, 1024), put_u16(w, 768);
		return false;
	case 3: /* KeyEvent */
		put_u8(w, 4), put_u8(w, 1), put_u16(w, 0), put_u32(w, 0x71);
		return true;
	case 4: /* PointerEvent */
		put_u8(w, 5), put_u8(w, 1), put_u16(w, 800), put_u16(w, 600);
		return true;
	case 5: /* ClientCutText */
		put_u8(w, 6), put_u8(w, 0), put_u16(w, 0);
		put_u32(w, arg % 7);
		for (i = 0; i < arg % 7; i++)
			put_u8(w, 'a');
		return true;
	case 6: /* ClientCutText, extended clipboard: -length */
		put_u8(w, 6), put_u8(w, 0), put_u16(w, 0);
		put_u32(w, (uint32_t) - (int32_t)(4 + arg % 3));
		put_u32(w, 0x10000001u);
		for (i = 0; i < arg % 3; i++)
			put_u8(w, 'z');
		return true;
	case 7: /* EnableContinuousUpdates */
		put_u8(w, 150), put_u8(w, 1);
		put_u16(w, 0), put_u16(w, 0), put_u16(w, 64), put_u16(w, 64);
		return false;
	case 8: /* Fence */
		put_u8(w, 248), put_u8(w, 0), put_u16(w, 0), put_u32(w, 1);
		put_u8(w, (uint8_t)(arg % 65));
		for (i = 0; i < arg % 65; i++)
			put_u8(w, (uint8_t)i);
		return false;
	case 9: /* SetDesktopSize, one screen */
		put_u8(w, 251), put_u8(w, 0), put_u16(w, 800), put_u16(w, 600);
		put_u8(w, 1), put_u8(w, 0);
		for (i = 0; i < 4; i++)
			put_u32(w, i);
		return true;
	default: /* QEMU extended key event */
		put_u8(w, 255), put_u8(w, 0), put_u16(w, 1);
		put_u32(w, 0x71), put_u32(w, 16);
		return true;
	}
}

static void
hello(struct buf *w, const char *version, int sectype)
{
	put(w, version, 12);
	if (sectype >= 0)
		put_u8(w, (uint8_t)sectype);
	if (sectype == 2)
		for (int i = 0; i < 16; i++)
			put_u8(w, (uint8_t)(0xa0 + i));
	put_u8(w, 1); /* ClientInit: shared */
}

/* Feeds all of w in pieces of `step` bytes (0: at once). */
static int
feed_all(struct assist_rfb_filter *f, bool input, const struct buf *w,
	 size_t step, struct buf *out)
{
	size_t at = 0, n;
	int rc = 0;

	out->len = 0;
	while (at < w->len && rc == 0) {
		size_t k = step == 0 || step > w->len - at ? w->len - at : step;

		rc = assist_rfb_filter_feed(f, input, w->b + at, k,
					    out->b + out->len, &n);
		if (n > ASSIST_RFB_OUT_MAX(k))
			abort();
		out->len += n;
		at += k;
	}
	return rc;
}

static bool
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static void
test_vectors(void)
{
	struct assist_rfb_filter f;
	struct buf in = {0}, want = {0}, out;

	/* RFB 3.8, None, ClientInit; encodings, a request, a key, a click, a
	 * cut text, a request. */
	hello(&in, "RFB 003.008\n", 1);
	want = in;
	put_msg(&in, 1, 2), put_msg(&want, 1, 2);
	put_msg(&in, 2, 0), put_msg(&want, 2, 0);
	put_msg(&in, 3, 0);
	put_msg(&in, 4, 0);
	put_msg(&in, 5, 2);
	put_msg(&in, 2, 0), put_msg(&want, 2, 0);
	assist_rfb_filter_init(&f);
	is_int(feed_all(&f, false, &in, 0, &out), 0, "3.8: view only: parses");
	ok(same(&out, &want),
	   "view only: key, pointer, cut text taken out, "
	   "the rest byte for byte (%zu of %zu bytes)",
	   out.len, in.len);
	is_int(f.msgs, 6, "six messages");
	is_int(f.dropped, 3, "three taken out");
	assist_rfb_filter_init(&f);
	is_int(feed_all(&f, true, &in, 1, &out), 0, "in control, byte by byte");
	ok(same(&out, &in), "in control: everything passes");
	is_int(f.dropped, 0, "nothing taken out");

	/* The decision is at the message's first byte: a key split across a
	 * revoke passes whole; the next one does not. */
	{
		struct buf key = {0}, w2 = {0};
		size_t n1, n2, n3;
		uint8_t o[64];

		hello(&w2, "RFB 003.008\n", 1);
		put_msg(&key, 3, 0);
		assist_rfb_filter_init(&f);
		is_int(assist_rfb_filter_feed(&f, true, w2.b, w2.len, o, &n1),
		       0, "handshake");
		is_int(assist_rfb_filter_feed(&f, true, key.b, 3, o, &n1), 0,
		       "a key's first 3 bytes in control");
		is_int(assist_rfb_filter_feed(&f, false, key.b + 3, key.len - 3,
					      o + n1, &n2),
		       0, "its rest after the revoke");
		is_int(n1 + n2, key.len, "the key began in control: whole");
		is_int(assist_rfb_filter_feed(&f, false, key.b, key.len, o,
					      &n3),
		       0, "the next key");
		is_int(n3, 0, "after the revoke: taken out whole");
		is_int(assist_rfb_filter_feed(&f, true, key.b, 5, o, &n1), 0,
		       "a key begun in control again");
		is_int(assist_rfb_filter_feed(&f, false, key.b + 5, 3, o, &n2),
		       0, "...");
		is_int(n1 + n2, key.len, "passes whole");
	}

	/* VNC authentication's answer; RFB 3.3 (no security type byte). */
	in.len = 0;
	hello(&in, "RFB 003.008\n", 2);
	want = in;
	put_msg(&in, 4, 0);
	put_msg(&in, 2, 0), put_msg(&want, 2, 0);
	assist_rfb_filter_init(&f);
	is_int(feed_all(&f, false, &in, 3, &out), 0, "VNC authentication");
	ok(same(&out, &want), "its 16-byte answer passes, the click not");
	in.len = 0;
	hello(&in, "RFB 003.003\n", -1);
	want = in;
	put_msg(&in, 10, 0);
	put_msg(&in, 7, 0), put_msg(&want, 7, 0);
	put_msg(&in, 8, 64), put_msg(&want, 8, 64);
	put_msg(&in, 6, 2);
	put_msg(&in, 9, 0);
	put_msg(&in, 0, 0), put_msg(&want, 0, 0);
	assist_rfb_filter_init(&f);
	is_int(feed_all(&f, false, &in, 0, &out), 0,
	       "3.3: QEMU key, continuous updates, fence, extended cut "
	       "text, desktop size, pixel format");
	ok(same(&out, &want), "the input ones taken out");
	is_int(f.dropped, 3, "three");
}

static void
test_fail_closed(void)
{
	static const struct {
		const char *why;
		const char *version;
		int sectype;
		uint8_t msg[12];
		size_t msg_len;
		size_t passed; /* what reached the server before */
	} bad[] = {
		{"unknown version 3.5", "RFB 003.005\n", 1, {3}, 1, 0},
		{"not RFB", "GET / HTTP/1", 1, {3}, 1, 0},
		{"security type Tight (16)", "RFB 003.008\n", 16, {0}, 0, 12},
		{"security type VeNCrypt (19)",
		 "RFB 003.008\n",
		 19,
		 {0},
		 0,
		 12},
		{"message type 7", "RFB 003.008\n", 1, {7, 0, 0, 0}, 4, 14},
		{"message type 253 (gii)", "RFB 003.008\n", 1, {253, 0}, 2, 14},
		{"QEMU audio (255/1)",
		 "RFB 003.008\n",
		 1,
		 {255, 1, 0, 0},
		 4,
		 14},
		{"fence payload 65",
		 "RFB 003.008\n",
		 1,
		 {248, 0, 0, 0, 0, 0, 0, 1, 65},
		 9,
		 14},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct assist_rfb_filter f;
		struct buf in = {0}, out;
		uint8_t o[16], key[8] = {4, 1, 0, 0, 0, 0, 0, 0x71};
		size_t n;
		int rc;

		put(&in, bad[i].version, 12);
		if (bad[i].sectype >= 0)
			put_u8(&in, (uint8_t)bad[i].sectype);
		if (bad[i].sectype == 1)
			put_u8(&in, 1);
		put(&in, bad[i].msg, bad[i].msg_len);
		assist_rfb_filter_init(&f);
		rc = feed_all(&f, true, &in, 0, &out);
		is_int(rc, -EPROTO, "%s: -EPROTO", bad[i].why);
		is_int(out.len, bad[i].passed,
		       "%s: what passed before; the bad unit did not",
		       bad[i].why);
		is_int(assist_rfb_filter_feed(&f, true, key, sizeof(key), o,
					      &n),
		       -EPROTO, "%s: and nothing after it", bad[i].why);
		is_int(n, 0, "%s: nothing", bad[i].why);
	}
}

/* Round trip: random message sequences written, filtered in random
 * splits with random control, compared with what the writer says. */
static void
test_round_trip(void)
{
	unsigned bad = 0;

	for (int r = 0; r < 400; r++) {
		struct assist_rfb_filter f;
		struct buf in = {0}, want_ctl = {0}, want_view = {0}, out;
		unsigned nmsg = 1 + test_rand() % 30;
		int sec = (int)(test_rand() % 3) == 0 ? 2 : 1;

		hello(&in, test_rand() % 2 ? "RFB 003.008\n" : "RFB 003.007\n",
		      sec);
		want_view = want_ctl = in;
		for (unsigned i = 0; i < nmsg; i++) {
			size_t at = in.len;
			bool input = put_msg(&in, test_rand(), test_rand());

			put(&want_ctl, in.b + at, in.len - at);
			if (!input)
				put(&want_view, in.b + at, in.len - at);
		}
		assist_rfb_filter_init(&f);
		if (feed_all(&f, true, &in, test_rand() % 40, &out) != 0 ||
		    !same(&out, &want_ctl) || f.msgs != nmsg)
			bad++;
		assist_rfb_filter_init(&f);
		if (feed_all(&f, false, &in, test_rand() % 40, &out) != 0 ||
		    !same(&out, &want_view))
			bad++;
	}
	is_int(bad, 0,
	       "400 random streams, random splits: in control all "
	       "passes, view only exactly the non-input messages");
}

int
main(void)
{
	test_vectors();
	test_fail_closed();
	test_round_trip();
	return done_testing();
}
