/*
 * ip6_addr_parse() on arbitrary text (tools take addresses on the command
 * line).  Whatever it accepts must be plain hex groups and colons, and must
 * format and parse back to the same address.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "wire/ip6.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip6_addr a, back;
	char *text, out[46];
	int rc;

	text = fuzz_cstr(data, size);

	rc = ip6_addr_parse(text, &a);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		/* 8 groups of 4 digits and 7 colons at most. */
		FUZZ_CHECK(strlen(text) <= 39);
		for (const char *c = text; *c != '\0'; c++)
			FUZZ_CHECK((*c >= '0' && *c <= '9') ||
				   (*c >= 'a' && *c <= 'f') ||
				   (*c >= 'A' && *c <= 'F') || *c == ':');
		ip6_addr_format(&a, out);
		FUZZ_CHECK(ip6_addr_parse(out, &back) == 0);
		FUZZ_CHECK(ip6_addr_equal(&a, &back));
		/* Canonical text is its own canonical form. */
		if (strcmp(text, out) != 0) {
			char out2[46];

			ip6_addr_format(&back, out2);
			FUZZ_CHECK(strcmp(out, out2) == 0);
		}
	}
	free(text);
	return 0;
}
