/*
 * teredo_trailers_read() on raw bytes, checked two ways: against a small
 * model of RFC 6081 §4 and §5.1.2 written here from the spec, and by a
 * round trip through teredo_trailers_write().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "teredo/packet.h"
#include "wire/wr.h"

struct model {
	int rc;
	struct teredo_trailers t;
	/* Invalid Alternate Address trailers after a valid one (see below). */
};

static bool
model_alt(const uint8_t *v, size_t len, struct teredo_trailers *t)
{
	size_t n;

	/* RFC 6081 §4.3: 2 reserved bytes and 1-4 six-byte entries. */
	if (len != 8 && len != 14 && len != 20 && len != 26)
		return false;
	n = (len - 2) / 6;
	for (size_t i = 0; i < n; i++) {
		uint32_t ipv4 = be32_load(v + 2 + 6 * i);
		uint16_t port = be16_load(v + 6 + 6 * i);

		if (ipv4 == 0 || ipv4 >= 0xe0000000u || port == 0)
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		t->alt[i].ipv4 = be32_load(v + 2 + 6 * i);
		t->alt[i].port = be16_load(v + 6 + 6 * i);
	}
	t->alt_count = (unsigned)n;
	return true;
}

/*
 * The spec, read independently of lib/: walk the TLVs in order, stop at the
 * first one that does not fit, discard the packet for an unknown type with
 * top bits 01.  Where the RFC leaves a choice, the model follows what
 * packet.h documents: the last valid Nonce, ND Option and Random Port win,
 * the first valid Alternate Address list wins and any later one counts as
 * ignored.
 */
static void
model_read(const uint8_t *buf, size_t len, struct model *m)
{
	struct teredo_trailers *t = &m->t;
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	while (off < len) {
		uint8_t type, length;
		const uint8_t *v;

		if (len - off < 2 || len - off - 2 < buf[off + 1]) {
			t->unparsed_len = len - off;
			return;
		}
		type = buf[off];
		length = buf[off + 1];
		v = buf + off + 2;
		off += 2 + (size_t)length;
		switch (type) {
		case TEREDO_TRAILER_NONCE:
			if (length != 4) {
				t->ignored++;
				break;
			}
			t->has_nonce = true;
			t->nonce = be32_load(v);
			break;
		case TEREDO_TRAILER_ALT_ADDR:
			/* One list per packet: a second one is ignored. */
			if (t->alt_count > 0 || !model_alt(v, length, t))
				t->ignored++;
			break;
		case TEREDO_TRAILER_ND_OPTION:
			if (length != 4 || v[0] > 1) {
				t->ignored++;
				break;
			}
			t->has_nd_option = true;
			t->nd_discovery_type = v[0];
			break;
		case TEREDO_TRAILER_RANDOM_PORT:
			if (length != 2) {
				t->ignored++;
				break;
			}
			t->has_random_port = true;
			t->random_port = be16_load(v);
			break;
		default:
			if ((type & 0xc0) == 0x40) {
				m->rc = -EPROTO;
				return;
			}
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct teredo_trailers t, u;
	struct model m;
	struct wr wr;
	uint8_t *out, *tight;
	size_t len;
	int rc;

	rc = teredo_trailers_read(data, size, &t);
	model_read(data, size, &m);
	FUZZ_CHECK(rc == m.rc);
	if (rc != 0)
		return 0;
	fuzz_check_trailers(&t, size);
	FUZZ_CHECK(fuzz_trailers_equal(&t, &m.t));
	FUZZ_CHECK(t.unparsed_len == m.t.unparsed_len);
	FUZZ_CHECK(t.ignored == m.t.ignored);

	len = fuzz_trailers_len(&t);
	FUZZ_CHECK(len <= size);
	out = fuzz_alloc(len);
	wr_init(&wr, out, len);
	FUZZ_CHECK(teredo_trailers_write(&wr, &t) == 0);
	FUZZ_CHECK(wr.off == len);
	FUZZ_CHECK(teredo_trailers_read(out, len, &u) == 0);
	FUZZ_CHECK(fuzz_trailers_equal(&t, &u));
	FUZZ_CHECK(u.ignored == 0 && u.unparsed_len == 0);

	/* One byte short: -ENOBUFS, and no write past the end (ASan). */
	if (len > 0) {
		tight = fuzz_alloc(len - 1);
		wr_init(&wr, tight, len - 1);
		FUZZ_CHECK(teredo_trailers_write(&wr, &t) == -ENOBUFS);
		free(tight);
	}
	free(out);
	return 0;
}
