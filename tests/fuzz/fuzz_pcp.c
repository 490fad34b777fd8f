/*
 * pcp_read() and pcp_natpmp_read() on arbitrary datagrams: what parses is
 * written back and read again with the same fields; the writers never
 * overrun (one byte short gives -ENOBUFS).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pcp/pcp.h"

static void
pcp_round_trip(const struct pcp_msg *m)
{
	uint8_t out[PCP_MSG_MAX];
	struct pcp_msg r;
	size_t len = 0;

	FUZZ_CHECK(pcp_write(m, out, sizeof(out), &len) == 0);
	FUZZ_CHECK(pcp_read(out, len, &r) == 0);
	FUZZ_CHECK(r.is_response == m->is_response && r.opcode == m->opcode &&
		   r.result == m->result && r.lifetime == m->lifetime &&
		   r.epoch == m->epoch && r.protocol == m->protocol &&
		   r.internal_port == m->internal_port &&
		   r.external_port == m->external_port &&
		   r.unknown_mandatory == 0);
	FUZZ_CHECK(memcmp(r.client_ip, m->client_ip, 16) == 0 &&
		   memcmp(r.nonce, m->nonce, 12) == 0 &&
		   memcmp(r.external_ip, m->external_ip, 16) == 0);
	FUZZ_CHECK(pcp_write(m, out, len - 1, &len) == -ENOBUFS);
	(void)pcp_result_name(m->result);
	(void)pcp_mapped_ipv4(m->external_ip);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_dup(data, size);
	struct pcp_msg m;
	struct pcp_natpmp_answer a, b;

	if (pcp_read(p, size, &m) == 0)
		pcp_round_trip(&m);
	if (pcp_natpmp_read(p, size, &a) == 0) {
		uint8_t out[12];
		size_t len = 0;

		FUZZ_CHECK(pcp_natpmp_write_answer(&a, out, sizeof(out),
						   &len) == 0);
		FUZZ_CHECK(pcp_natpmp_read(out, len, &b) == 0);
		FUZZ_CHECK(a.result == b.result && a.epoch == b.epoch &&
			   a.external_ipv4 == b.external_ipv4);
	}
	free(p);
	return 0;
}
