/*
 * assist_rfb_filter_feed() on arbitrary bytes (the Helper's viewer is a
 * stranger's program).  The first input byte chooses the split and the
 * control pattern.  Checks: in control, what passes is exactly a prefix
 * of the input; view only, never more than in control; the result does
 * not depend on how the bytes are split; after an error nothing passes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assist/rfbfilter.h"
#include "fuzz_common.h"

static int
run(const uint8_t *in, size_t n, size_t step, unsigned pattern, uint8_t *out,
    size_t *out_len, uint64_t *dropped)
{
	struct assist_rfb_filter f;
	size_t at = 0, k, got;
	unsigned i = 0;
	int rc = 0;

	assist_rfb_filter_init(&f);
	*out_len = 0;
	while (at < n) {
		bool input = pattern == 0xff || ((pattern >> (i++ % 8)) & 1);

		k = step == 0 || step > n - at ? n - at : step;
		rc = assist_rfb_filter_feed(&f, input, in + at, k,
					    out + *out_len, &got);
		FUZZ_CHECK(rc == 0 || rc == -EPROTO);
		FUZZ_CHECK(got <= ASSIST_RFB_OUT_MAX(k));
		*out_len += got;
		at += k;
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		uint8_t b = 0;

		FUZZ_CHECK(assist_rfb_filter_feed(&f, true, &b, 1, out, &got) ==
			   -EPROTO);
		FUZZ_CHECK(got == 0);
	}
	FUZZ_CHECK(*out_len <= n);
	*dropped = f.dropped;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a, *b;
	size_t la, lb, step;
	uint64_t da, db;
	int ra, rb;

	if (size < 2)
		return 0;
	step = data[0] % 17;
	data++, size--;
	a = fuzz_alloc(size + ASSIST_RFB_HDR_MAX);
	b = fuzz_alloc(size + ASSIST_RFB_HDR_MAX);
	/* In control: a prefix of the input, whatever the split. */
	ra = run(data, size, 0, 0xff, a, &la, &da);
	rb = run(data, size, step, 0xff, b, &lb, &db);
	FUZZ_CHECK(da == 0 && db == 0);
	FUZZ_CHECK(la <= size && memcmp(a, data, la) == 0);
	FUZZ_CHECK(ra == rb && la == lb && memcmp(a, b, la) == 0);
	/* Only a header still incomplete at the end is held back. */
	if (ra == 0)
		FUZZ_CHECK(size - la < ASSIST_RFB_HDR_MAX);
	/* View only: never more than in control. */
	ra = run(data, size, 0, 0, a, &la, &da);
	rb = run(data, size, step, 0, b, &lb, &db);
	FUZZ_CHECK(ra == rb && la == lb && memcmp(a, b, la) == 0 && da == db);
	FUZZ_CHECK(la <= size);
	/* Mixed control, only checked for bounds. */
	(void)run(data, size, step, data[0], a, &la, &da);
	free(a);
	free(b);
	return 0;
}
