/*
 * assist_invite_parse() on arbitrary bytes (an invitation comes from a
 * stranger's file or chat line), and assist_secret_parse() on the same
 * bytes as text.  Whatever parses must satisfy the documented limits,
 * format again, and parse back to the same invitation in both forms.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assist/invite.h"
#include "fuzz_common.h"

static void
check_invite(const struct assist_invite *inv)
{
	char text[ASSIST_INVITE_MAX + 1], line[ASSIST_INVITE_LINE_CAP];
	struct assist_invite back;
	size_t len;

	FUZZ_CHECK(inv->version == ASSIST_INVITE_VERSION);
	FUZZ_CHECK(inv->cand_count >= 1 && inv->cand_count <= ASSIST_CAND_MAX);
	FUZZ_CHECK(inv->expires_s >= 0);
	FUZZ_CHECK(strlen(inv->user) >= 1 &&
		   strlen(inv->user) <= ASSIST_USER_MAX);
	for (unsigned i = 0; i < inv->cand_count; i++)
		FUZZ_CHECK(inv->cand[i].port != 0);
	FUZZ_CHECK(assist_invite_format(inv, text, sizeof(text), &len) == 0);
	FUZZ_CHECK(len <= ASSIST_INVITE_MAX && strlen(text) == len);
	FUZZ_CHECK(assist_invite_parse(text, len, &back, NULL) == 0);
	FUZZ_CHECK(memcmp(inv, &back, sizeof(back)) == 0);
	FUZZ_CHECK(assist_invite_format_line(inv, line, sizeof(line)) == 0);
	FUZZ_CHECK(assist_invite_parse(line, strlen(line), &back, NULL) == 0);
	FUZZ_CHECK(memcmp(inv, &back, sizeof(back)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct assist_invite inv;
	struct assist_invite_err err;
	uint8_t *copy = fuzz_dup(data, size);
	uint8_t secret[ASSIST_SECRET_LEN];
	char *text;
	int rc;

	memset(&inv, 0, sizeof(inv));
	rc = assist_invite_parse(copy, size, &inv, &err);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE ||
		   rc == -EPROTONOSUPPORT);
	FUZZ_CHECK(rc == 0 || err.why != NULL);
	if (rc == 0)
		check_invite(&inv);
	/* The input was only read. */
	FUZZ_CHECK(fuzz_bytes_equal(copy, data, size));
	free(copy);

	text = fuzz_cstr(data, size);
	if (assist_secret_parse(text, secret) == 0) {
		char out[ASSIST_SECRET_TEXT];
		uint8_t back[ASSIST_SECRET_LEN];

		assist_secret_format(secret, out);
		FUZZ_CHECK(assist_secret_parse(out, back) == 0);
		FUZZ_CHECK(memcmp(secret, back, sizeof(back)) == 0);
	}
	free(text);
	return 0;
}
