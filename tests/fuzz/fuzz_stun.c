/*
 * stun_read() on arbitrary datagrams; what parses is written back with
 * stun_write() and read again (the same fields).  The same bytes are then
 * fed to the natcheck probe engine as an answer on each of its sockets
 * (its transaction IDs are derived from an all-zero base, which the seeds
 * use), and its findings and both reports are computed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "natcheck/natcheck.h"
#include "stun/stun.h"

static bool
addr_equal(const struct stun_addr *a, const struct stun_addr *b)
{
	size_t n = a->family == STUN_FAMILY_IPV4 ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, n) == 0;
}

static void
round_trip(const struct stun_msg *m)
{
	uint8_t out[STUN_MSG_MAX];
	struct stun_msg w = *m, r;
	size_t len = 0;

	w.has_fingerprint = true;
	FUZZ_CHECK(stun_write(&w, out, sizeof(out), &len) == 0);
	FUZZ_CHECK(stun_read(out, len, &r) == 0);
	FUZZ_CHECK(r.type == m->type && r.has_fingerprint);
	FUZZ_CHECK(memcmp(r.txid, m->txid, STUN_TXID_LEN) == 0);
	FUZZ_CHECK(r.has_mapped == m->has_mapped &&
		   r.has_xor_mapped == m->has_xor_mapped &&
		   r.has_origin == m->has_origin &&
		   r.has_other == m->has_other &&
		   r.has_change == m->has_change &&
		   r.has_response_port == m->has_response_port &&
		   r.has_error == m->has_error);
	FUZZ_CHECK(!m->has_mapped || addr_equal(&r.mapped, &m->mapped));
	FUZZ_CHECK(!m->has_xor_mapped ||
		   addr_equal(&r.xor_mapped, &m->xor_mapped));
	FUZZ_CHECK(!m->has_origin || addr_equal(&r.origin, &m->origin));
	FUZZ_CHECK(!m->has_other || addr_equal(&r.other, &m->other));
	FUZZ_CHECK(r.change_flags ==
		   (m->change_flags & (STUN_CHANGE_IP | STUN_CHANGE_PORT)));
	FUZZ_CHECK(r.response_port == m->response_port);
	FUZZ_CHECK(r.error_code == m->error_code);
	FUZZ_CHECK(r.unknown_required == 0);
	/* One byte short of what it needs: -ENOBUFS, never an overrun. */
	FUZZ_CHECK(stun_write(&w, out, len - 1, &len) == -ENOBUFS);
}

static void
engine(const uint8_t *p, size_t len, bool teredo)
{
	static char report[16384];
	struct natcheck nc;
	struct natcheck_cfg cfg = {
		.stun = {{0xc000020a, 3478}, {0xc6336414, 3478}},
		.local_ipv4 = 0x0a010002,
		.local_port = {5000, 5001, 5002},
		.budget_ms = 3000,
		.teredo = teredo,
	};
	struct natcheck_tx tx[NC_PROBES];
	struct natcheck_findings f;

	natcheck_start(&nc, &cfg, 0);
	(void)natcheck_poll(&nc, 0, tx, NC_PROBES);
	for (unsigned s = 0; s < NATCHECK_SOCKS; s++) {
		struct natcheck_endpoint src = {0xc000020b, 3479};

		natcheck_on_udp(&nc, s, src, p, len, 10);
		(void)natcheck_poll(&nc, 10, tx, NC_PROBES);
	}
	FUZZ_CHECK(natcheck_progress(&nc, 20) <= 100);
	natcheck_findings(&nc, &f);
	FUZZ_CHECK(natcheck_report(&f, true, report, sizeof(report)) == 0);
	FUZZ_CHECK(natcheck_report(&f, false, report, sizeof(report)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_dup(data, size);
	struct stun_msg m;

	if (stun_read(p, size, &m) == 0)
		round_trip(&m);
	(void)stun_is_stun(p, size);
	engine(p, size, false);
	engine(p, size, true); /* the same bytes as a Teredo server's answer */
	free(p);
	return 0;
}
