/*
 * The Teredo peer table: hash index, source index, LRU lists by class and
 * a retry-time heap over one caller-lent array (see peers.h).
 */
#include "teredo/peers.h"

#include <string.h>

#include "base/err.h"

#define NONE TEREDO_PEER_NONE

/* A keyed 64-bit mix (two rounds of the murmur3 finalizer over the key
 * and the data): an attacker who does not know the key cannot aim many
 * entries at one bucket. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t
bucket_of(const struct teredo_peers *t, uint64_t h)
{
	return (uint32_t)(((h >> 32) * (uint64_t)t->cap) >> 32);
}

static uint32_t
addr_bucket(const struct teredo_peers *t, const struct ip6_addr *a)
{
	uint64_t hi = 0, lo = 0;

	for (size_t i = 0; i < 8; i++) {
		hi = hi << 8 | a->bytes[i];
		lo = lo << 8 | a->bytes[8 + i];
	}
	return bucket_of(t, mix(mix(hi ^ t->key[0]) ^ lo ^ t->key[1]));
}

static uint32_t
src_bucket(const struct teredo_peers *t, uint32_t ipv4)
{
	return bucket_of(t, mix(mix(ipv4 ^ t->key[1]) ^ t->key[0]));
}

static uint32_t
idx(const struct teredo_peers *t, const struct teredo_peer *p)
{
	return (uint32_t)(p - t->e);
}

static unsigned
class_of(const struct teredo_peer *p)
{
	return (p->asked ? 2u : 0u) | (p->trusted ? 1u : 0u);
}

/* ---- LRU lists ------------------------------------------------------ */

static void
lru_unlink(struct teredo_peers *t, struct teredo_peer *p)
{
	unsigned k = class_of(p);

	if (p->lprev != NONE)
		t->e[p->lprev].lnext = p->lnext;
	else
		t->lru_head[k] = p->lnext;
	if (p->lnext != NONE)
		t->e[p->lnext].lprev = p->lprev;
	else
		t->lru_tail[k] = p->lprev;
	p->lprev = p->lnext = NONE;
}

static void
lru_append(struct teredo_peers *t, struct teredo_peer *p)
{
	unsigned k = class_of(p);
	uint32_t i = idx(t, p);

	p->lnext = NONE;
	p->lprev = t->lru_tail[k];
	if (p->lprev != NONE)
		t->e[p->lprev].lnext = i;
	else
		t->lru_head[k] = i;
	t->lru_tail[k] = i;
}

/* ---- heap ----------------------------------------------------------- */

static uint64_t
heap_key(const struct teredo_peers *t, uint32_t pos)
{
	return t->e[t->e[pos].heap].retry_ms;
}

static void
heap_put(struct teredo_peers *t, uint32_t pos, uint32_t entry)
{
	t->e[pos].heap = entry;
	t->e[entry].heap_pos = pos;
}

static void
heap_fix(struct teredo_peers *t, uint32_t pos)
{
	uint32_t entry = t->e[pos].heap;
	uint64_t key = t->e[entry].retry_ms;

	while (pos > 0 && heap_key(t, (pos - 1) / 2) > key) {
		heap_put(t, pos, t->e[(pos - 1) / 2].heap);
		pos = (pos - 1) / 2;
	}
	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= t->heap_len)
			break;
		if (c + 1 < t->heap_len && heap_key(t, c + 1) < heap_key(t, c))
			c++;
		if (heap_key(t, c) >= key)
			break;
		heap_put(t, pos, t->e[c].heap);
		pos = c;
	}
	heap_put(t, pos, entry);
}

static void
heap_remove(struct teredo_peers *t, struct teredo_peer *p)
{
	uint32_t pos = p->heap_pos, last = --t->heap_len;

	p->heap_pos = NONE;
	if (pos == last)
		return;
	heap_put(t, pos, t->e[last].heap);
	heap_fix(t, pos);
}

void
teredo_peers_set_retry(struct teredo_peers *t, struct teredo_peer *p,
		       uint64_t when)
{
	if (when == 0) {
		if (p->heap_pos != NONE)
			heap_remove(t, p);
		p->retry_ms = 0;
		return;
	}
	p->retry_ms = when;
	if (p->heap_pos == NONE) {
		heap_put(t, t->heap_len, idx(t, p));
		t->heap_len++;
	}
	heap_fix(t, p->heap_pos);
}

uint64_t
teredo_peers_next(const struct teredo_peers *t)
{
	return t->heap_len > 0 ? heap_key(t, 0) : UINT64_MAX;
}

struct teredo_peer *
teredo_peers_due(const struct teredo_peers *t, uint64_t now)
{
	if (t->heap_len == 0 || heap_key(t, 0) > now)
		return NULL;
	return &t->e[t->e[0].heap];
}

/* ---- the table ------------------------------------------------------ */

void
teredo_peers_reset(struct teredo_peers *t)
{
	memset(t->e, 0, (size_t)t->cap * sizeof(*t->e));
	for (uint32_t i = 0; i < t->cap; i++) {
		struct teredo_peer *p = &t->e[i];

		p->hhead = p->shead = NONE;
		p->lprev = p->lnext = p->heap_pos = p->snext = NONE;
		p->hnext = i + 1 < t->cap ? i + 1 : NONE; /* the free list */
	}
	t->free_head = 0;
	t->used = t->heap_len = 0;
	for (unsigned k = 0; k < 4; k++)
		t->lru_head[k] = t->lru_tail[k] = NONE;
}

void
teredo_peers_init(struct teredo_peers *t, struct teredo_peer *e, size_t cap,
		  const uint64_t key[2])
{
	t->e = e;
	t->cap = cap < NONE ? (uint32_t)cap : NONE - 1;
	t->key[0] = key[0];
	t->key[1] = key[1];
	teredo_peers_reset(t);
}

struct teredo_peer *
teredo_peers_find(const struct teredo_peers *t, const struct ip6_addr *addr)
{
	uint32_t i = t->e[addr_bucket(t, addr)].hhead;

	for (; i != NONE; i = t->e[i].hnext)
		if (ip6_addr_equal(&t->e[i].addr, addr))
			return &t->e[i];
	return NULL;
}

static void
chain_remove(struct teredo_peers *t, uint32_t *head, uint32_t i, bool src)
{
	for (uint32_t *at = head; *at != NONE;
	     at = src ? &t->e[*at].snext : &t->e[*at].hnext)
		if (*at == i) {
			*at = src ? t->e[i].snext : t->e[i].hnext;
			return;
		}
}

void
teredo_peers_delete(struct teredo_peers *t, struct teredo_peer *p)
{
	uint32_t i = idx(t, p), hhead, shead, heap;

	if (!p->in_use)
		return;
	teredo_peers_set_retry(t, p, 0);
	lru_unlink(t, p);
	chain_remove(t, &t->e[addr_bucket(t, &p->addr)].hhead, i, false);
	if (p->src_ipv4 != 0)
		chain_remove(t, &t->e[src_bucket(t, p->src_ipv4)].shead, i,
			     true);
	/* Wipe the entry, but not the table's slots it carries (read only
	 * now: the removals above may have changed them). */
	hhead = p->hhead;
	shead = p->shead;
	heap = p->heap;
	memset(p, 0, sizeof(*p));
	p->hhead = hhead;
	p->shead = shead;
	p->heap = heap;
	p->lprev = p->lnext = p->heap_pos = p->snext = NONE;
	p->hnext = t->free_head;
	t->free_head = i;
	t->used--;
}

/* May p go to make room: idle for 30 s, or untrusted past one round? */
static bool
may_go(const struct teredo_peer *p, uint64_t now)
{
	uint64_t idle = now - p->last_use_ms;

	return idle >= TEREDO_PEER_VALID_MS ||
	       (!p->trusted && idle >= TEREDO_PEER_PENDING_MIN_MS);
}

static struct teredo_peer *
head(const struct teredo_peers *t, unsigned k)
{
	return t->lru_head[k] != NONE ? &t->e[t->lru_head[k]] : NULL;
}

/* The entry to evict from a full table, or NULL (peers.h). */
static struct teredo_peer *
victim(const struct teredo_peers *t, uint64_t now, bool asked)
{
	struct teredo_peer *p, *best = NULL;

	/* 1: untrusted past their first round, strangers' first; only the
	 * stack's own entries give way to the stack's. */
	if ((p = head(t, 0)) != NULL && may_go(p, now))
		return p;
	if (asked && (p = head(t, 2)) != NULL && may_go(p, now))
		return p;
	/* 2: the stack's own flows before what strangers created. */
	if (asked) {
		struct teredo_peer *a = head(t, 0), *b = head(t, 1);

		if (a != NULL &&
		    (b == NULL || a->last_use_ms <= b->last_use_ms))
			return a;
		if (b != NULL)
			return b;
	}
	/* 3: the least recently used, idle for 30 s. */
	for (unsigned k = 0; k < 4; k++)
		if ((p = head(t, k)) != NULL &&
		    (best == NULL || p->last_use_ms < best->last_use_ms))
			best = p;
	return best != NULL && now - best->last_use_ms >= TEREDO_PEER_VALID_MS
		       ? best
		       : NULL;
}

/* Counts the entries of `ipv4` (and `port`); *oldest: the least recently
 * used of the matching ones at the tighter limit reached. */
static void
source_count(const struct teredo_peers *t, uint32_t ipv4, uint16_t port,
	     size_t *n_ip, size_t *n_port, struct teredo_peer **old_ip,
	     struct teredo_peer **old_port)
{
	*n_ip = *n_port = 0;
	*old_ip = *old_port = NULL;
	for (uint32_t i = t->e[src_bucket(t, ipv4)].shead; i != NONE;
	     i = t->e[i].snext) {
		struct teredo_peer *p = &t->e[i];

		if (p->src_ipv4 != ipv4)
			continue;
		(*n_ip)++;
		if (*old_ip == NULL || p->last_use_ms < (*old_ip)->last_use_ms)
			*old_ip = p;
		if (p->src_port != port)
			continue;
		(*n_port)++;
		if (*old_port == NULL ||
		    p->last_use_ms < (*old_port)->last_use_ms)
			*old_port = p;
	}
}

size_t
teredo_peers_from(const struct teredo_peers *t, uint32_t ipv4, uint16_t port,
		  size_t *same_port)
{
	struct teredo_peer *a, *b;
	size_t n, m;

	source_count(t, ipv4, port, &n, &m, &a, &b);
	if (same_port != NULL)
		*same_port = m;
	return n;
}

struct teredo_peer *
teredo_peers_new(struct teredo_peers *t, uint64_t now,
		 const struct ip6_addr *addr, bool asked, uint32_t src_ipv4,
		 uint16_t src_port, enum teredo_peers_refusal *why)
{
	struct teredo_peer *p = NULL;
	uint32_t i, b;

	*why = TEREDO_PEERS_OK;
	if (src_ipv4 != 0) {
		struct teredo_peer *old_ip, *old_port, *old = NULL;
		size_t n_ip, n_port;

		source_count(t, src_ipv4, src_port, &n_ip, &n_port, &old_ip,
			     &old_port);
		if (n_port >= TEREDO_PEERS_PER_MAPPING)
			old = old_port;
		else if (n_ip >= TEREDO_PEERS_PER_IPV4)
			old = old_ip;
		if (old != NULL) {
			/* The source recycles its own, or waits. */
			if (!may_go(old, now)) {
				*why = TEREDO_PEERS_SOURCE_FULL;
				return NULL;
			}
			teredo_peers_delete(t, old);
		}
	}
	if (t->free_head == NONE) {
		if ((p = victim(t, now, asked)) == NULL) {
			*why = TEREDO_PEERS_FULL;
			return NULL;
		}
		teredo_peers_delete(t, p);
	}
	i = t->free_head;
	p = &t->e[i];
	t->free_head = p->hnext;
	t->used++;
	p->in_use = true;
	p->asked = asked;
	p->addr = *addr;
	p->last_use_ms = now;
	b = addr_bucket(t, addr);
	p->hnext = t->e[b].hhead;
	t->e[b].hhead = i;
	p->src_ipv4 = src_ipv4;
	p->src_port = src_port;
	if (src_ipv4 != 0) {
		b = src_bucket(t, src_ipv4);
		p->snext = t->e[b].shead;
		t->e[b].shead = i;
	}
	lru_append(t, p);
	return p;
}

void
teredo_peers_touch(struct teredo_peers *t, struct teredo_peer *p, uint64_t now)
{
	p->last_use_ms = now;
	lru_unlink(t, p);
	lru_append(t, p);
}

/* A change of class is a use: the entry goes to the tail of its new list,
 * which keeps every list in last_use_ms order. */
void
teredo_peers_set_trusted(struct teredo_peers *t, struct teredo_peer *p,
			 bool trusted, uint64_t now)
{
	lru_unlink(t, p);
	p->trusted = trusted;
	p->last_use_ms = now;
	lru_append(t, p);
}

void
teredo_peers_set_asked(struct teredo_peers *t, struct teredo_peer *p,
		       uint64_t now)
{
	lru_unlink(t, p);
	p->asked = true;
	p->last_use_ms = now;
	lru_append(t, p);
}

size_t
teredo_peers_recent_trusted(const struct teredo_peers *t, struct ip6_addr *out,
			    size_t max)
{
	static const unsigned trusted[] = {3, 1}; /* asked first */
	size_t n = 0;

	for (size_t k = 0; k < ARRAY_SIZE(trusted); k++)
		for (uint32_t i = t->lru_tail[trusted[k]]; i != NONE && n < max;
		     i = t->e[i].lprev)
			out[n++] = t->e[i].addr;
	return n;
}
