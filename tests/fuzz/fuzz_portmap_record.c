/*
 * portmap_record_parse() on arbitrary text: what parses is formatted and
 * parsed again, equal (the lease record is read back after a crash).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "portmap/portmap.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct portmap_record r, r2;
	static char out[4096];

	if (portmap_record_parse(text, size, &r) == 0) {
		FUZZ_CHECK(portmap_record_format(&r, out, sizeof(out)) == 0);
		FUZZ_CHECK(portmap_record_parse(out, strlen(out), &r2) == 0);
		FUZZ_CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	}
	free(text);
	return 0;
}
