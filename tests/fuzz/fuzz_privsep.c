/*
 * privsep_msg_read() on arbitrary datagrams, as teredod's privileged parent
 * receives them from a possibly captured engine; what parses is checked
 * against both policies (never crashes), written back and must come out
 * byte for byte the same.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "privsep/privsep.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct privsep_policy policies[] = {
		{.ifindex = 7,
		 .prefix = PRIVSEP_TEREDO_PREFIX,
		 .default_metric = 1029},
		{.ifindex = 7, .prefix = 0x3ffe831fu, .relay = true},
	};
	struct privsep_msg m, m2;
	uint8_t out[PRIVSEP_MSG_MAX];
	size_t len;

	if (privsep_msg_read(data, size, &m) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		int rc = privsep_check(&policies[i], &m);

		FUZZ_CHECK(rc == 0 || rc == -EPERM);
		/* Whatever passes stays on the Teredo interface. */
		FUZZ_CHECK(rc != 0 || m.type == PRIVSEP_READY ||
			   m.ifindex == policies[i].ifindex);
	}
	FUZZ_CHECK(privsep_msg_write(&m, out, sizeof(out), &len) == 0 &&
		   len == size && memcmp(out, data, size) == 0);
	FUZZ_CHECK(privsep_msg_read(out, len, &m2) == 0 && m2.type == m.type &&
		   m2.seq == m.seq && m2.error == m.error);
	return 0;
}
