/*
 * lib/teredo/peers: the peer table alone (hash index, source index,
 * eviction policy, retry heap), checked against a brute-force model.
 */
#include <stdlib.h>

#include "tap.h"
#include "teredo/peers.h"

#define CAP 64

static struct teredo_peer e[CAP];
static const uint64_t key[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};

static struct ip6_addr
addr(uint32_t n)
{
	struct ip6_addr a = {{0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			      (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			      (uint8_t)(n >> 8), (uint8_t)n}};

	return a;
}

static struct teredo_peer *
add(struct teredo_peers *t, uint64_t now, uint32_t n, bool asked, uint32_t src,
    uint16_t port)
{
	enum teredo_peers_refusal why;
	struct ip6_addr a = addr(n);

	return teredo_peers_new(t, now, &a, asked, src, port, &why);
}

static bool
found(const struct teredo_peers *t, uint32_t n)
{
	struct ip6_addr a = addr(n);

	return teredo_peers_find(t, &a) != NULL;
}

/* The heap against a scan, through random inserts, changes, deletes. */
static void
test_heap_and_index(void)
{
	struct teredo_peers t;
	uint64_t rng = 12345;
	bool heap_ok = true, index_ok = true;

	teredo_peers_init(&t, e, CAP, key);
	for (uint32_t i = 0; i < CAP; i++)
		if (add(&t, 0, i, true, 0, 0) == NULL)
			index_ok = false;
	for (unsigned step = 0; step < 20000; step++) {
		struct teredo_peer *p;
		uint64_t min = UINT64_MAX;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		p = &e[(rng >> 33) % CAP];
		if (!p->in_use) {
			struct ip6_addr a = addr((uint32_t)(rng >> 20));

			if (teredo_peers_find(&t, &a) == NULL &&
			    add(&t, 0, (uint32_t)(rng >> 20), true, 0, 0) ==
				    NULL)
				index_ok = false;
		} else if ((rng >> 13) % 7 == 0) {
			struct ip6_addr a = p->addr;

			teredo_peers_delete(&t, p);
			if (teredo_peers_find(&t, &a) != NULL)
				index_ok = false;
		} else {
			teredo_peers_set_retry(
				&t, p, (rng >> 40) % 3 ? (rng >> 40) : 0);
		}
		for (uint32_t i = 0; i < CAP; i++) {
			if (e[i].in_use && e[i].retry_ms != 0 &&
			    e[i].retry_ms < min)
				min = e[i].retry_ms;
			if (e[i].in_use &&
			    teredo_peers_find(&t, &e[i].addr) != &e[i])
				index_ok = false;
		}
		if (teredo_peers_next(&t) != min)
			heap_ok = false;
	}
	ok(index_ok, "hash index: every entry found, deleted ones gone");
	ok(heap_ok, "retry heap: its top is always the earliest retry");
	{
		struct teredo_peer *p;
		uint64_t last = 0;
		bool order = true;
		unsigned n = 0;

		while ((p = teredo_peers_due(&t, UINT64_MAX - 1)) != NULL) {
			order = order && p->retry_ms >= last;
			last = p->retry_ms;
			teredo_peers_set_retry(&t, p, 0);
			n++;
		}
		ok(order && n > 0 && t.heap_len == 0 &&
			   teredo_peers_next(&t) == UINT64_MAX,
		   "retry heap: due entries come earliest first (%u)", n);
	}
}

/* The eviction policy of peers.h on a full table. */
static void
test_eviction(void)
{
	struct teredo_peers t;
	struct teredo_peer *p;
	uint32_t n = 1000;

	teredo_peers_init(&t, e, CAP, key);
	/* Inbound-created, trusted, fresh: strangers from many sources. */
	for (uint32_t i = 0; i < CAP; i++) {
		p = add(&t, 100, n++, false, 0xc6330000u + i, 4000);
		teredo_peers_set_trusted(&t, p, true, 100);
	}
	ok(add(&t, 200, n++, false, 0xc6340001u, 4000) == NULL,
	   "full of fresh trusted entries: a stranger gets none");
	p = add(&t, 200, n++, true, 0, 0);
	ok(p != NULL && !found(&t, 1000) && t.used == CAP,
	   "... but the stack does: the oldest stranger's entry goes");
	/* Only the stack's entries, fresh: nothing may go. */
	teredo_peers_init(&t, e, CAP, key);
	for (uint32_t i = 0; i < CAP; i++) {
		p = add(&t, 100, n++, true, 0, 0);
		teredo_peers_set_trusted(&t, p, true, 100);
	}
	ok(add(&t, 200, n++, true, 0, 0) == NULL,
	   "full of the stack's live entries: refused");
	ok(add(&t, 100 + TEREDO_PEER_VALID_MS, n, true, 0, 0) != NULL &&
		   found(&t, n),
	   "one idle for %d s may go", TEREDO_PEER_VALID_MS / 1000);
	n++;
	/* Untrusted entries go first once past their first round. */
	teredo_peers_init(&t, e, CAP, key);
	for (uint32_t i = 0; i < CAP; i++) {
		p = add(&t, 100, 5000 + i, true, 0, 0);
		if (i != 7)
			teredo_peers_set_trusted(&t, p, true, 100);
	}
	ok(add(&t, 100 + TEREDO_PEER_PENDING_MIN_MS, 9000, true, 0, 0) !=
			   NULL &&
		   !found(&t, 5007) && found(&t, 5000),
	   "an untrusted entry past %d ms goes before the trusted",
	   TEREDO_PEER_PENDING_MIN_MS);
}

/* A1: per-source limits. */
static void
test_source_limits(void)
{
	struct teredo_peers t;
	size_t same = 0, n;
	unsigned made = 0;

	teredo_peers_init(&t, e, CAP, key);
	for (uint32_t i = 0; i < 10; i++)
		made += add(&t, 100, 100 + i, false, 0xc6330001u, 4000) != NULL;
	n = teredo_peers_from(&t, 0xc6330001u, 4000, &same);
	ok(made == TEREDO_PEERS_PER_MAPPING && same == made && n == made,
	   "one IPv4:port holds at most %d entries (%u)",
	   TEREDO_PEERS_PER_MAPPING, made);
	made = 0;
	for (uint16_t port = 1; port <= 40; port++)
		made += add(&t, 100, 200u + port, false, 0xc6330001u,
			    (uint16_t)(4000 + port)) != NULL;
	n = teredo_peers_from(&t, 0xc6330001u, 4000, &same);
	ok(n == TEREDO_PEERS_PER_IPV4, "one IPv4 at most %d (%zu)",
	   TEREDO_PEERS_PER_IPV4, n);
	ok(add(&t, 100, 999, false, 0xc6330002u, 4000) != NULL,
	   "another source is not held back");
	ok(add(&t, 100 + TEREDO_PEER_PENDING_MIN_MS, 300, false, 0xc6330001u,
	       4000) != NULL &&
		   teredo_peers_from(&t, 0xc6330001u, 4000, &same) ==
			   TEREDO_PEERS_PER_IPV4,
	   "a source at its limit recycles its own untrusted entry");
}

/* What a withdrawn relay keeps routes for: trusted, most recent first. */
static void
test_recent_trusted(void)
{
	struct teredo_peers t;
	struct ip6_addr out[4], a3 = addr(3), a5 = addr(5);
	size_t n;

	teredo_peers_init(&t, e, CAP, key);
	for (uint32_t i = 0; i < 8; i++) {
		struct teredo_peer *p = add(&t, 100 + i, i, true, 0, 0);

		if (i == 3 || i == 5)
			teredo_peers_set_trusted(&t, p, true, 100 + i);
	}
	n = teredo_peers_recent_trusted(&t, out, ARRAY_SIZE(out));
	ok(n == 2 && ip6_addr_equal(&out[0], &a5) &&
		   ip6_addr_equal(&out[1], &a3),
	   "the trusted entries, most recently used first");
	ok(teredo_peers_recent_trusted(&t, out, 1) == 1, "at most max");
}

int
main(void)
{
	test_heap_and_index();
	test_eviction();
	test_source_limits();
	test_recent_trusted();
	return done_testing();
}
