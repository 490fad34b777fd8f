/*
 * Whole-topology simulations on a virtual clock (tests/sim/netsim.h):
 * qualification behind every NAT kind, at 20 % loss too; client-to-client
 * reachability for every ordered NAT pairing that RFC 4380 + 5991 + 6081
 * Symmetric NAT Support connect, and a bounded failure for the others;
 * maintenance, remapping and a silent server.  With a relay and a native
 * IPv6 host (teredo-spec.md §4.7, §4.10, §4.13): pings both ways behind
 * every NAT kind, at 5 % loss too; a silent or absent relay; the relay's
 * peer table under many clients and under a scan.
 */
#include <stdarg.h>
#include <time.h>

#include "../unit/tap.h"
#include "netsim.h"
#include "teredo/addr.h"
#include "teredo/msg.h"

static const enum teredo_nat_type expected_nat[NAT_KIND_COUNT] = {
	[NAT_NONE] = TEREDO_NAT_NONE,
	[NAT_FULLCONE] = TEREDO_NAT_CONE,
	[NAT_RESTRICTED] = TEREDO_NAT_RESTRICTED,
	[NAT_PORTRESTRICTED] = TEREDO_NAT_RESTRICTED_PORT,
	[NAT_SYMMETRIC] = TEREDO_NAT_SYMMETRIC_PORT,
	[NAT_PPSYMMETRIC] = TEREDO_NAT_SYMMETRIC_PORT,
	[NAT_SEQUENTIAL] = TEREDO_NAT_SYMMETRIC_PORT,
	[NAT_ADDRSYMMETRIC] = TEREDO_NAT_SYMMETRIC_ADDRESS,
};

static unsigned long scenarios;

static bool
settled(struct sim *s, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct teredo_client *c = &s->hosts[i].client;

		if (s->hosts[i].is_relay)
			continue; /* never qualifies: always up */
		/* Qualified with the diagnostic probes finished, or offline. */
		if (c->state == TEREDO_CLIENT_OFFLINE)
			continue;
		if (c->state != TEREDO_CLIENT_QUALIFIED ||
		    c->probe != PROBE_NONE)
			return false;
	}
	return true;
}

/* Every client qualified, probes done: offline is not an end here. */
static bool
all_qualified(struct sim *s, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < s->nhosts; i++)
		if (!s->hosts[i].is_relay &&
		    (s->hosts[i].client.state != TEREDO_CLIENT_QUALIFIED ||
		     s->hosts[i].client.probe != PROBE_NONE))
			return false;
	return true;
}

static bool
got_reply(struct sim *s, void *arg)
{
	(void)s;
	return ((struct sim_host *)arg)->echo_replies > 0;
}

static void
impair(struct sim *s, unsigned loss, unsigned dup, unsigned reorder)
{
	s->loss_pct = loss;
	s->dup_pct = dup;
	s->reorder_pct = reorder;
}

/* Every NAT kind, clean network: the state and NAT type of show state. */
static void
test_qualify_each_kind(void)
{
	for (int k = 0; k < NAT_KIND_COUNT; k++) {
		unsigned good = 0, seeds = 50;
		uint64_t worst = 0;

		for (unsigned seed = 1; seed <= seeds; seed++) {
			struct sim s;
			struct sim_host *h;
			const struct teredo_client *c;

			sim_init(&s, seed);
			h = sim_add_host(&s, (enum nat_kind)k, NULL);
			c = &h->client;
			sim_start(&s);
			sim_run(&s, s.now_ms + 60000, settled, NULL);
			scenarios++;
			if (s.now_ms - 1000 > worst)
				worst = s.now_ms - 1000;
			if (k == NAT_BLOCKED)
				good += c->state == TEREDO_CLIENT_OFFLINE &&
					c->error != NULL &&
					strstr(c->error, "primary") != NULL &&
					h->addr_changes == 0;
			else
				good += c->state == TEREDO_CLIENT_QUALIFIED &&
					c->nat == expected_nat[k] &&
					h->addr_changes == 1 &&
					(c->addr.bytes[8] & 0xc3) == 0;
			sim_fini(&s);
		}
		ok(good == seeds, "%s: %u/%u seeds %s, NAT \"%s\" (%llu ms)",
		   sim_nat_name((enum nat_kind)k), good, seeds,
		   k == NAT_BLOCKED ? "offline with an error" : "qualified",
		   k == NAT_BLOCKED ? "-"
				    : teredo_nat_type_name(expected_nat[k]),
		   (unsigned long long)worst);
	}
}

/* RFC 4380 alone: without SNS a symmetric NAT means offline (Q9). */
static void
test_symmetric_without_sns(void)
{
	struct teredo_client_config cfg = {.server_ipv4 = SIM_SERVER_IPV4};
	struct sim s;
	struct sim_host *h;

	sim_init(&s, 7);
	h = sim_add_host(&s, NAT_SYMMETRIC, &cfg);
	sim_start(&s);
	sim_run(&s, s.now_ms + 30000, settled, NULL);
	ok(h->client.state == TEREDO_CLIENT_OFFLINE &&
		   strstr(h->client.error, "Symmetric NAT Support") != NULL,
	   "symmetric NAT without SNS: offline, and says why");
	sim_fini(&s);
}

/* Qualification at 20 % loss (plus duplication and reordering). */
static void
test_qualify_lossy(void)
{
	for (int k = 0; k < NAT_BLOCKED; k++) {
		unsigned good = 0, seeds = 100;

		for (unsigned seed = 1; seed <= seeds; seed++) {
			struct sim s;
			struct sim_host *h;

			sim_init(&s, seed * 31 + (unsigned)k);
			impair(&s, 20, 5, 10);
			h = sim_add_host(&s, (enum nat_kind)k, NULL);
			sim_start(&s);
			sim_run(&s, s.now_ms + 300000, all_qualified, NULL);
			good += h->client.state == TEREDO_CLIENT_QUALIFIED;
			scenarios++;
			sim_fini(&s);
		}
		ok(good == seeds, "%s at 20%% loss: %u/%u seeds qualified",
		   sim_nat_name((enum nat_kind)k), good, seeds);
	}
}

/* teredo-spec.md §5.2 with SNS: which ordered pairs must connect. */
static bool
reachable(enum nat_kind a, enum nat_kind b)
{
	bool sa = a == NAT_SYMMETRIC, sb = b == NAT_SYMMETRIC;

	if (sa && sb)
		return false;
	if (sa || sb)
		return (sa ? b : a) != NAT_PORTRESTRICTED;
	return true;
}

static void
pair_run(enum nat_kind ka, enum nat_kind kb, unsigned seed, unsigned loss,
	 unsigned *good, unsigned *gave_up)
{
	struct sim s;
	struct sim_host *a, *b;
	bool want = reachable(ka, kb), got;

	sim_init(&s, seed);
	impair(&s, loss, loss ? 2 : 0, loss ? 5 : 0);
	a = sim_add_host(&s, ka, NULL);
	b = sim_add_host(&s, kb, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 300000, all_qualified, NULL);
	if (!a->client.have_addr || !b->client.have_addr) {
		sim_fini(&s);
		return;
	}
	/* A pings B once a second, like ping(8), for at most 20 s. */
	for (uint16_t i = 0; i < 20 && a->echo_replies == 0; i++) {
		sim_ping(&s, a, b, i);
		sim_run(&s, s.now_ms + 1000, got_reply, a);
	}
	got = a->echo_replies > 0;
	if (got == want)
		(*good)++;
	/* An unsupported pair gives up within the bubble budget and says so. */
	if (!want && a->client.stats.drops[TEREDO_CLIENT_DROP_UNREACHABLE] > 0)
		(*gave_up)++;
	scenarios++;
	sim_fini(&s);
}

static void
test_pairs(unsigned loss, unsigned seeds)
{
	for (int ka = 0; ka < NAT_BLOCKED; ka++) {
		for (int kb = 0; kb < NAT_BLOCKED; kb++) {
			unsigned good = 0, gave_up = 0;
			bool want =
				reachable((enum nat_kind)ka, (enum nat_kind)kb);

			for (unsigned seed = 1; seed <= seeds; seed++)
				pair_run((enum nat_kind)ka, (enum nat_kind)kb,
					 seed * 101 + (unsigned)(ka * 7 + kb),
					 loss, &good, &gave_up);
			ok(good == seeds && (want || gave_up == seeds),
			   "%s -> %s, %u%% loss: %s in %u/%u seeds%s",
			   sim_nat_name((enum nat_kind)ka),
			   sim_nat_name((enum nat_kind)kb), loss,
			   want ? "ping answered"
				: "unreachable, as RFC 6081 "
				  "Figure 1 says",
			   good, seeds,
			   want ? "" : ", gave up after 4 bubbles");
		}
	}
}

static bool
never(struct sim *s, void *arg)
{
	(void)s;
	(void)arg;
	return false;
}

/* Q15, A6: ten idle minutes keep one address; RS every 22.5-30 s. */
static void
test_maintenance(void)
{
	struct sim s;
	struct sim_host *h;
	struct ip6_addr first;
	uint64_t rs_before;

	sim_init(&s, 3);
	h = sim_add_host(&s, NAT_RESTRICTED, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, NULL);
	first = h->client.addr;
	rs_before = h->client.stats.rs_sent;
	sim_run(&s, s.now_ms + 600000, never, NULL);
	ok(h->client.state == TEREDO_CLIENT_QUALIFIED &&
		   ip6_addr_equal(&first, &h->client.addr) &&
		   h->addr_changes == 1,
	   "A6: 10 idle minutes, same address and random bits");
	is_int(h->client.stats.rs_sent - rs_before >= 600 / 30 &&
		       h->client.stats.rs_sent - rs_before <= 600 * 2 / 45 + 1,
	       1, "Q15: %llu maintenance RS in 600 s (20..27 expected)",
	       (unsigned long long)(h->client.stats.rs_sent - rs_before));
	sim_fini(&s);
}

/* Q17, A6: the NAT forgets its mapping: a new address, new bits. */
static void
test_remap(void)
{
	struct sim s;
	struct sim_host *h;
	struct ip6_addr first;

	sim_init(&s, 4);
	h = sim_add_host(&s, NAT_FULLCONE, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, NULL);
	first = h->client.addr;
	sim_nat_remap(h);
	sim_run(&s, s.now_ms + 31000, never, NULL);
	sim_run(&s, s.now_ms + 60000, settled, NULL);
	ok(h->client.state == TEREDO_CLIENT_QUALIFIED &&
		   !ip6_addr_equal(&first, &h->client.addr) &&
		   h->client.stats.requalifications >= 1,
	   "Q17: a remapped NAT gives a new address within one refresh");
	ok(memcmp(&first.bytes[10], &h->client.addr.bytes[10], 6) != 0,
	   "... carrying the new mapping");
	sim_fini(&s);
}

/* Q18: a silent server takes the client offline, and back when it returns. */
static void
test_server_silent(void)
{
	struct sim s;
	struct sim_host *h;

	sim_init(&s, 5);
	h = sim_add_host(&s, NAT_PORTRESTRICTED, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, NULL);
	s.server_down = true;
	sim_run(&s, s.now_ms + 30000 + 3 * 4000 + 1000, never, NULL);
	ok(h->client.state == TEREDO_CLIENT_OFFLINE && !h->client.have_addr &&
		   strstr(h->client.error, "stopped answering") != NULL,
	   "Q18: offline within one refresh + 3 x 4 s of silence");
	s.server_down = false;
	sim_run(&s, s.now_ms + 120000, all_qualified, NULL);
	ok(h->client.state == TEREDO_CLIENT_QUALIFIED,
	   "Q18: qualified again once the server answers");
	sim_fini(&s);
}

/* ---- relays and native IPv6 (teredo-spec.md §4.7, §4.10, §4.13) ---- */

static bool
got_ping_reply(struct sim *s, void *arg)
{
	(void)s;
	return ((struct sim_host *)arg)->ping_replies > 0;
}

static bool
native_got_reply(struct sim *s, void *arg)
{
	(void)arg;
	return s->native.ping_replies > 0;
}

/* One Teredo client behind `kind`, a relay (unless absent), the native
 * host; run until the client qualified. */
static struct sim_host *
native_topology(struct sim *s, enum nat_kind kind, uint64_t seed, unsigned loss,
		bool with_relay, bool relay_restricted)
{
	struct sim_host *h;

	sim_init(s, seed);
	impair(s, loss, loss ? 2 : 0, loss ? 5 : 0);
	h = sim_add_host(s, kind, NULL);
	if (with_relay)
		(void)sim_add_relay(s, SIM_PEERS, relay_restricted);
	(void)sim_add_native(s);
	sim_start(s);
	sim_run(s, s->now_ms + 300000, all_qualified, NULL);
	return h;
}

/* The client's entry for the native host goes through the relay (§5.2.9:
 * the nonce match made the relay its mapping), and the relay trusts it. */
static bool
mapped_through_relay(const struct sim *s, const struct sim_host *h)
{
	const struct teredo_peer *p =
		teredo_client_peer(&h->client, &s->native.addr);
	const struct teredo_peer *r =
		teredo_client_peer(&s->relay->client, &h->client.addr);

	return p != NULL && p->trusted && p->mapped_ipv4 == s->relay->ipv4 &&
	       p->mapped_port == s->relay->port && r != NULL && r->trusted;
}

struct native_tally {
	unsigned good, seeds;
	uint64_t worst_ms, echo_sent, relay_bubbles, strays;
	char failed[128]; /* the seeds that failed, for a replay */
};

static void
tally_fail(struct native_tally *t, uint64_t seed)
{
	size_t n = strlen(t->failed);

	if (n + 24 < sizeof(t->failed))
		snprintf(t->failed + n, sizeof(t->failed) - n, " %llu",
			 (unsigned long long)seed);
}

/* Adds one scenario's outcome and counters to the tally; ends the sim. */
static void
tally_end(struct native_tally *t, struct sim *s, const struct sim_host *h,
	  uint64_t seed, bool good)
{
	t->good += good;
	if (!good)
		tally_fail(t, seed);
	t->echo_sent += h->client.stats.echo_sent;
	t->relay_bubbles += s->relay->client.stats.bubbles_sent;
	/* Echo replies the stack saw that were no answer to a ping: the
	 * answers to repeated echo tests after the first one matched. */
	t->strays += h->echo_replies - h->ping_replies;
	sim_fini(s);
}

/*
 * Client-initiated: the client pings the native host once a second (at
 * most 20 s) until answered.  Its first packet waits for the echo test
 * through the server; the native host's answer to the test meets the
 * relay, which bubbles the client via its server.  Then five more pings,
 * all answered on a clean network.
 */
static void
native_client_first(enum nat_kind kind, uint64_t seed, unsigned loss,
		    bool restricted, struct native_tally *t)
{
	struct sim s;
	struct sim_host *h =
		native_topology(&s, kind, seed, loss, true, restricted);
	uint64_t t0 = s.now_ms;
	unsigned before;
	bool good = false;

	t->seeds++;
	scenarios++;
	if (h->client.state != TEREDO_CLIENT_QUALIFIED)
		goto out;
	for (uint16_t i = 0; i < 20 && h->ping_replies == 0; i++) {
		sim_ping_native(&s, h, i);
		sim_run(&s, s.now_ms + 1000, got_ping_reply, h);
	}
	if (h->ping_replies == 0)
		goto out;
	if (s.now_ms - t0 > t->worst_ms)
		t->worst_ms = s.now_ms - t0;
	sim_run(&s, s.now_ms + 1000, never, NULL); /* late duplicates */
	before = h->ping_replies;
	for (uint16_t i = 100; i < 105; i++) {
		sim_ping_native(&s, h, i);
		sim_run(&s, s.now_ms + 1000, never, NULL);
	}
	sim_run(&s, s.now_ms + 2000, never, NULL);
	good = mapped_through_relay(&s, h) &&
	       h->client.stats.echo_answered > 0 &&
	       (loss > 0 || h->ping_replies - before == 5);
out:
	tally_end(t, &s, h, seed, good);
}

/*
 * Host-initiated: the native host pings the client first.  The relay has
 * no entry: it queues, bubbles via the client's server, trusts the
 * client's direct answer; the client holds the request while its own
 * echo test proves the relay, then its stack answers.
 */
static void
native_host_first(enum nat_kind kind, uint64_t seed, unsigned loss,
		  struct native_tally *t)
{
	struct sim s;
	struct sim_host *h = native_topology(&s, kind, seed, loss, true, false);
	uint64_t t0 = s.now_ms;
	unsigned before;
	bool good = false;

	t->seeds++;
	scenarios++;
	if (h->client.state != TEREDO_CLIENT_QUALIFIED)
		goto out;
	for (uint16_t i = 0; i < 20 && s.native.ping_replies == 0; i++) {
		sim_native_ping(&s, h, i);
		sim_run(&s, s.now_ms + 1000, native_got_reply, NULL);
	}
	if (s.native.ping_replies == 0)
		goto out;
	if (s.now_ms - t0 > t->worst_ms)
		t->worst_ms = s.now_ms - t0;
	sim_run(&s, s.now_ms + 1000, never, NULL);
	before = s.native.ping_replies;
	for (uint16_t i = 100; i < 105; i++) {
		sim_native_ping(&s, h, i);
		sim_run(&s, s.now_ms + 1000, never, NULL);
	}
	sim_run(&s, s.now_ms + 2000, never, NULL);
	good = h->echo_requests > 0 && h->client.stats.echo_answered > 0 &&
	       s.relay->client.stats.bubbles_sent > 0 &&
	       mapped_through_relay(&s, h) &&
	       (loss > 0 || s.native.ping_replies - before == 5);
out:
	tally_end(t, &s, h, seed, good);
}

/* One check per tally: every seed answered; the counts as a comment. */
static void
native_report(const struct native_tally *t, enum nat_kind kind, unsigned loss,
	      const char *what)
{
	ok(t->good == t->seeds, "%s, %u%% loss: %s %u/%u seeds (%llu ms worst)",
	   sim_nat_name(kind), loss, what, t->good, t->seeds,
	   (unsigned long long)t->worst_ms);
	printf("#   %llu echo tests, %llu relay bubbles, %llu stray "
	       "echo-test replies to the stack; failed seeds:%s\n",
	       (unsigned long long)t->echo_sent,
	       (unsigned long long)t->relay_bubbles,
	       (unsigned long long)t->strays,
	       t->failed[0] ? t->failed : " none");
}

static void
test_native(unsigned loss, unsigned seeds)
{
	for (int k = 0; k < NAT_BLOCKED; k++) {
		struct native_tally c = {0}, n = {0};

		for (unsigned seed = 1; seed <= seeds; seed++) {
			native_client_first((enum nat_kind)k,
					    seed * 211 + (unsigned)k, loss,
					    false, &c);
			native_host_first((enum nat_kind)k,
					  seed * 307 + (unsigned)k, loss, &n);
		}
		native_report(&c, (enum nat_kind)k, loss,
			      "client pings the native host through the relay "
			      "in");
		native_report(&n, (enum nat_kind)k, loss,
			      "the native host pings the client first, "
			      "answered in");
	}
}

/* RFC 4380 §5.4.1: a restricted relay also sends direct bubbles. */
static void
test_native_restricted_relay(unsigned seeds)
{
	struct native_tally t = {0};

	for (int k = 0; k < NAT_BLOCKED; k++)
		for (unsigned seed = 1; seed <= seeds; seed++)
			native_client_first((enum nat_kind)k,
					    seed * 401 + (unsigned)k, 0, true,
					    &t);
	ok(t.good == t.seeds,
	   "restricted relay: every NAT kind reaches the native host in "
	   "%u/%u runs",
	   t.good, t.seeds);
}

/*
 * No relay answers: absent (no route to 2001::/32 at all) or silent (a
 * black-holed relay).  The client's echo tests run out, the queued ping
 * is dropped as no-relay, the client stays qualified, and its tests stay
 * paced (one per 2 s at most).
 */
static void
test_no_relay(unsigned seeds)
{
	for (int silent = 0; silent <= 1; silent++) {
		unsigned good = 0, runs = 0, host_good = 0;
		uint64_t echo_sent = 0, no_relay = 0, unrouted = 0;

		for (int k = 0; k < NAT_BLOCKED; k++) {
			for (unsigned seed = 1; seed <= seeds; seed++) {
				struct sim s;
				struct sim_host *h = native_topology(
					&s, (enum nat_kind)k,
					seed * 503 + (unsigned)k, 0, silent,
					false);
				uint64_t t0 = s.now_ms, sent0;
				const struct teredo_client_stats *st =
					&h->client.stats;

				s.relay_down = silent;
				sent0 = st->echo_sent;
				for (uint16_t i = 0; i < 30; i++) {
					sim_ping_native(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
				}
				sim_run(&s, s.now_ms + 10000, never, NULL);
				runs++;
				scenarios++;
				good += h->ping_replies == 0 &&
					st->drops[TEREDO_CLIENT_DROP_NO_RELAY] >
						0 &&
					s.native.echo_tests > 0 &&
					h->client.state ==
						TEREDO_CLIENT_QUALIFIED &&
					st->echo_sent - sent0 <=
						(s.now_ms - t0) / 2000 + 1;
				echo_sent += st->echo_sent - sent0;
				no_relay +=
					st->drops[TEREDO_CLIENT_DROP_NO_RELAY];
				/* The native host's pings find no way in. */
				unrouted = s.native_unrouted;
				for (uint16_t i = 0; i < 5; i++) {
					sim_native_ping(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
				}
				host_good += h->echo_requests == 0 &&
					     s.native.ping_replies == 0;
				unrouted = s.native_unrouted - unrouted;
				sim_fini(&s);
			}
		}
		ok(good == runs,
		   "%s relay: the client gives up (no-relay) and stays "
		   "qualified in %u/%u runs",
		   silent ? "silent" : "absent", good, runs);
		printf("#   %llu echo tests in %u runs of 40 s, %llu pings "
		       "dropped as no-relay\n",
		       (unsigned long long)echo_sent, runs,
		       (unsigned long long)no_relay);
		ok(host_good == runs,
		   "%s relay: the native host's pings never reach the client "
		   "(%u/%u runs; %llu unrouted in the last)",
		   silent ? "silent" : "absent", host_good, runs,
		   (unsigned long long)unrouted);
	}
}

/* Watches the relay's table at every event: bounded, counters sane. */
struct table_watch {
	const struct sim_host *relay;
	size_t max_in_use;
	bool pending_ok;
	const struct sim_host *until; /* stop when it has a ping reply */
};

static bool
watch_table(struct sim *s, void *arg)
{
	struct table_watch *w = arg;
	const struct teredo_client *c = &w->relay->client;
	size_t n = sim_peers_in_use(w->relay), pending = 0;

	(void)s;
	if (n > w->max_in_use)
		w->max_in_use = n;
	for (size_t i = 0; i < c->peers.cap; i++)
		pending += c->peers.e[i].in_use && c->peers.e[i].retry_ms != 0;
	if (pending != c->peers.heap_len)
		w->pending_ok = false;
	return w->until != NULL && w->until->ping_replies > 0;
}

/*
 * Seven clients behind mixed NATs and a relay with room for four: the
 * table never grows, the overflow is counted (peer-table-full), and
 * since an entry idle for 30 s may be reused, everyone who keeps trying
 * gets through within two minutes.
 */
static void
test_relay_many_clients(unsigned seeds)
{
	const size_t cap = 4;
	const unsigned nclients = SIM_MAX_HOSTS - 1;
	unsigned good = 0;
	size_t worst = 0;
	uint64_t full = 0, worst_ms = 0;

	for (unsigned seed = 1; seed <= seeds; seed++) {
		struct sim s;
		struct sim_host *h[SIM_MAX_HOSTS];
		struct table_watch w = {.pending_ok = true};
		unsigned answered = 0;
		uint64_t t0;

		sim_init(&s, seed * 601);
		for (unsigned i = 0; i < nclients; i++)
			h[i] = sim_add_host(
				&s, (enum nat_kind)(i % NAT_BLOCKED), NULL);
		w.relay = sim_add_relay(&s, cap, false);
		(void)sim_add_native(&s);
		sim_start(&s);
		sim_run(&s, s.now_ms + 300000, all_qualified, NULL);
		t0 = s.now_ms;
		/* Each client pings once a second until answered. */
		for (unsigned sec = 0; sec < 120 && answered < nclients;
		     sec++) {
			answered = 0;
			for (unsigned i = 0; i < nclients; i++) {
				if (h[i]->ping_replies > 0)
					answered++;
				else
					sim_ping_native(&s, h[i],
							(uint16_t)sec);
			}
			sim_run(&s, s.now_ms + 1000, watch_table, &w);
		}
		answered = 0;
		for (unsigned i = 0; i < nclients; i++)
			answered += h[i]->ping_replies > 0;
		scenarios++;
		good += answered == nclients && w.max_in_use <= cap &&
			w.pending_ok &&
			w.relay->client.stats
					.drops[TEREDO_CLIENT_DROP_PEERS_FULL] >
				0;
		if (w.max_in_use > worst)
			worst = w.max_in_use;
		if (s.now_ms - t0 > worst_ms)
			worst_ms = s.now_ms - t0;
		full += w.relay->client.stats
				.drops[TEREDO_CLIENT_DROP_PEERS_FULL];
		sim_fini(&s);
	}
	ok(good == seeds,
	   "relay with %zu entries, %u clients: table bounded, overflow "
	   "counted, all served in %u/%u seeds",
	   cap, nclients, good, seeds);
	printf("#   at most %zu entries in use; %llu peer-table-full drops; "
	       "all answered within %llu ms\n",
	       worst, (unsigned long long)full, (unsigned long long)worst_ms);
}

/*
 * R9 (RFC 4380 §7.3.5): n made-up Teredo addresses of our server, 100 a
 * second, from native sources in 2001:db8:bad::/48 (their answers are
 * unrouted): from one /64, or from a new /64 for each address (`spread`).
 * Meanwhile the real client h pings the native host once a second.
 */
static void
relay_scan(struct sim *s, struct sim_host *h, struct table_watch *w, unsigned n,
	   bool spread)
{
	for (unsigned i = 0; i < n; i++) {
		struct teredo_addr t = {
			.prefix = TEREDO_PREFIX,
			.server_ipv4 = SIM_SERVER_IPV4,
			.mapped_ipv4 =
				0xc6336480u + i % 64, /* 198.51.100.128+ */
			.mapped_port = (uint16_t)(20000 + i),
		};
		struct ip6_addr dst, src = {{0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad,
					     0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

		if (spread) {
			src.bytes[6] = (uint8_t)(i >> 8);
			src.bytes[7] = (uint8_t)i;
		}
		teredo_addr_write(&t, &dst);
		sim_native_ping_from(s, &src, &dst, (uint16_t)i);
		if (i % 100 == 0)
			sim_ping_native(s, h, (uint16_t)(i / 100));
		sim_run(s, s->now_ms + 10, watch_table, w);
	}
}

/*
 * A scan from one source gets TEREDO_NEW_PEERS_BURST entries and then
 * TEREDO_NEW_PEERS_PER_S a second; a real client is served all along.  A
 * scan from a new source for every address fills the table (the total
 * bound), and a real client is served within seconds after it, as entries
 * that never answered go first, not after 30 s.
 */
static void
test_relay_scan(void)
{
	struct sim s;
	struct sim_host *h, *r;
	struct table_watch w = {.pending_ok = true};
	const struct teredo_client_stats *st;
	const unsigned n = 2000;
	const uint64_t most =
		TEREDO_NEW_PEERS_BURST + TEREDO_NEW_PEERS_PER_S * (n / 100 + 1);
	unsigned replies;
	uint64_t scan_end, served_ms = UINT64_MAX;

	sim_init(&s, 77);
	h = sim_add_host(&s, NAT_RESTRICTED, NULL);
	r = sim_add_relay(&s, SIM_PEERS, false);
	st = &r->client.stats;
	w.relay = r;
	(void)sim_add_native(&s);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, all_qualified, NULL);

	relay_scan(&s, h, &w, n, false);
	ok(st->drops[TEREDO_CLIENT_DROP_SOURCE_LIMIT] >= n - most &&
		   st->bubbles_sent <= (most + 1) * TEREDO_BUBBLE_MAX &&
		   h->ping_replies > 0 && w.pending_ok,
	   "relay under a scan of %u addresses from one source: %llu "
	   "source-new-peer-limit drops, %llu bubbles (limit %llu entries); "
	   "a real client got %u ping replies during it",
	   n, (unsigned long long)st->drops[TEREDO_CLIENT_DROP_SOURCE_LIMIT],
	   (unsigned long long)st->bubbles_sent, (unsigned long long)most,
	   h->ping_replies);

	/* Every entry of the first scan is gone after its bubble round. */
	sim_run(&s, s.now_ms + 40000, watch_table, &w);
	w.max_in_use = 0;
	relay_scan(&s, h, &w, n, true);
	scan_end = s.now_ms;
	ok(w.max_in_use == SIM_PEERS &&
		   st->drops[TEREDO_CLIENT_DROP_PEERS_FULL] > 0 && w.pending_ok,
	   "relay under a scan of %u addresses from %u sources: %zu/%d "
	   "entries, %llu peer-table-full",
	   n, n, w.max_in_use, SIM_PEERS,
	   (unsigned long long)st->drops[TEREDO_CLIENT_DROP_PEERS_FULL]);
	replies = h->ping_replies;
	for (uint16_t i = 0; i < 30 && served_ms == UINT64_MAX; i++) {
		sim_ping_native(&s, h, (uint16_t)(1000 + i));
		sim_run(&s, s.now_ms + 1000, watch_table, &w);
		if (h->ping_replies > replies)
			served_ms = s.now_ms - scan_end;
	}
	ok(served_ms <= 5000 && w.max_in_use <= SIM_PEERS,
	   "... and a real client is served %llu ms after it (entries that "
	   "never answered go first)",
	   (unsigned long long)served_ms);
	scenarios++;
	sim_fini(&s);
}

/*
 * The relay restarts and forgets its peers.  Host-first traffic rebuilds
 * the entry at once; the client's traffic is dropped as unknown-peer
 * (RFC 4380 §5.4.2 MAY, as Miredo) until its entry for the native host,
 * no longer refreshed, goes stale (30 s) and its echo test runs again.
 */
static void
test_relay_restart(unsigned seeds)
{
	unsigned good = 0, runs = 0;
	uint64_t worst_ms[2] = {0, 0};

	for (int k = 0; k < NAT_BLOCKED; k++) {
		for (unsigned seed = 1; seed <= seeds; seed++) {
			for (int host_first = 0; host_first <= 1;
			     host_first++) {
				struct sim s;
				struct sim_host *h = native_topology(
					&s, (enum nat_kind)k,
					seed * 701 + (unsigned)k, 0, true,
					false);
				unsigned before;
				uint64_t t0;
				bool got = false;

				for (uint16_t i = 0; i < 3; i++) {
					sim_ping_native(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
				}
				sim_relay_restart(&s);
				t0 = s.now_ms;
				before = host_first ? s.native.ping_replies
						    : h->ping_replies;
				for (uint16_t i = 0; i < 60 && !got; i++) {
					if (host_first)
						sim_native_ping(&s, h, i);
					else
						sim_ping_native(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
					got = (host_first
						       ? s.native.ping_replies
						       : h->ping_replies) >
					      before;
				}
				runs++;
				scenarios++;
				good += got && h->ping_replies >= 3;
				if (got && s.now_ms - t0 > worst_ms[host_first])
					worst_ms[host_first] = s.now_ms - t0;
				sim_fini(&s);
			}
		}
	}
	ok(good == runs,
	   "relay restart: traffic resumes in %u/%u runs (host first within "
	   "%llu ms, client first within %llu ms)",
	   good, runs, (unsigned long long)worst_ms[1],
	   (unsigned long long)worst_ms[0]);
}

/*
 * teredo-spec.md §4.10 and checklist R3 (RFC 4380 §5.4.1): a relay whose
 * bubbles go unanswered repeats them every 2 s, at most 3 times, then
 * deletes the entry, so the next packet starts afresh.  Here the client's
 * server is black-holed for 10 s while the native host pings the client:
 * the relay's 4 bubbles are lost.  Once the server is back, pings in
 * either direction should get through within 30 s.
 */
static void
test_relay_after_failed_bubbles(unsigned seeds)
{
	unsigned deleted = 0, host_ok = 0, client_ok = 0, runs = 0;

	for (int k = 0; k < NAT_BLOCKED; k++) {
		for (unsigned seed = 1; seed <= seeds; seed++) {
			for (int host_first = 0; host_first <= 1;
			     host_first++) {
				struct sim s;
				struct sim_host *h = native_topology(
					&s, (enum nat_kind)k,
					seed * 809 + (unsigned)k, 0, true,
					false);
				bool got = false;

				s.server_down = true;
				for (uint16_t i = 0; i < 10; i++) {
					sim_native_ping(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
				}
				s.server_down = false;
				if (!host_first) {
					const struct teredo_peer *p =
						teredo_client_peer(
							&s.relay->client,
							&h->client.addr);

					/* Deleted after 4 bubbles; the
					 * host's next ping may have made a
					 * fresh one. */
					deleted +=
						p == NULL ||
						p->bubbles < TEREDO_BUBBLE_MAX;
				}
				for (uint16_t i = 0; i < 30 && !got; i++) {
					if (host_first)
						sim_native_ping(&s, h, i);
					else
						sim_ping_native(&s, h, i);
					sim_run(&s, s.now_ms + 1000, never,
						NULL);
					got = host_first
						      ? s.native.ping_replies >
								0
						      : h->ping_replies > 0;
				}
				if (host_first)
					host_ok += got;
				else
					client_ok += got;
				runs += host_first ? 1u : 0u;
				scenarios++;
				sim_fini(&s);
			}
		}
	}
	ok(deleted == runs,
	   "R3: the relay deleted the silent client's entry after its 4 "
	   "bubbles (or began afresh) in %u/%u runs",
	   deleted, runs);
	ok(host_ok == runs,
	   "R3: after the outage the native host's pings reach the client "
	   "within 30 s in %u/%u runs",
	   host_ok, runs);
	ok(client_ok == runs,
	   "R3: after the outage the client's pings reach the native host "
	   "within 30 s in %u/%u runs",
	   client_ok, runs);
}

/* ---- issue 11: hostile peers ----------------------------------------- */

#define ATTACK_NET 0x5db8d800u /* 93.184.216.0/24 */

/*
 * One round of a pinning attack on `victim` (issue 11 A1): from `sources`
 * IPv4 addresses of one /24, `per_source` Teredo addresses each whose
 * embedded mapping is the attacker's own IPv4:port (rule 3 trusts them),
 * all sent to the victim's mapping.  Repeated every second, it keeps every
 * entry it got alive.
 */
static void
pin_round(struct sim *s, const struct sim_host *victim, unsigned sources,
	  unsigned per_source)
{
	const struct teredo_trailers none = {0};

	for (unsigned i = 0; i < sources; i++)
		for (unsigned j = 0; j < per_source; j++) {
			struct teredo_addr t = {
				.prefix = TEREDO_PREFIX,
				.server_ipv4 = SIM_SERVER_IPV4,
				.flags = (uint16_t)(j << 2),
				.mapped_ipv4 = ATTACK_NET + 1 + i,
				.mapped_port = 5000,
			};
			struct ip6_addr src;
			uint8_t buf[128];
			size_t len;

			teredo_addr_write(&t, &src);
			if (teredo_bubble_write(buf, sizeof(buf), &src,
						&victim->client.addr, 255, NULL,
						&none, &len) < 0)
				abort();
			sim_inject(s, t.mapped_ipv4, t.mapped_port,
				   victim->nat.public_ipv4,
				   victim->client.mapping.port, buf, len);
		}
}

/* Victim (full cone) and a legitimate peer (restricted) under attack:
 * does the ping from `from` to `to` get an answer within 20 s? */
static bool
pinned_ping(unsigned sources, unsigned per_source, bool victim_pings,
	    uint64_t seed, uint64_t *refused)
{
	struct sim s;
	struct sim_host *victim, *peer, *from, *to;
	bool got;

	sim_init(&s, seed);
	victim = sim_add_host(&s, NAT_FULLCONE, NULL);
	peer = sim_add_host(&s, NAT_RESTRICTED, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 300000, all_qualified, NULL);
	if (!victim->client.have_addr || !peer->client.have_addr) {
		sim_fini(&s);
		return false;
	}
	/* The table is pinned first, then kept so. */
	for (unsigned r = 0; r < 5; r++) {
		pin_round(&s, victim, sources, per_source);
		sim_run(&s, s.now_ms + 1000, NULL, NULL);
	}
	from = victim_pings ? victim : peer;
	to = victim_pings ? peer : victim;
	for (uint16_t i = 0; i < 20 && from->echo_replies == 0; i++) {
		pin_round(&s, victim, sources, per_source);
		sim_ping(&s, from, to, i);
		sim_run(&s, s.now_ms + 1000, got_reply, from);
	}
	got = from->echo_replies > 0;
	*refused = victim->client.stats.drops[TEREDO_CLIENT_DROP_PEERS_FULL] +
		   victim->client.stats.drops[TEREDO_CLIENT_DROP_SOURCE_LIMIT];
	scenarios++;
	sim_fini(&s);
	return got;
}

/*
 * Issue 11 A1: one IPv4:port (64 Teredo addresses, twice the table) or
 * one /24 (254 sources x 4) keeping trusted entries alive cannot lock a
 * legitimate peer out, whichever side speaks first.
 */
static void
test_pinning(unsigned seeds)
{
	static const struct {
		unsigned sources, per_source;
		const char *what;
	} attacks[] = {
		{1, 2 * SIM_PEERS, "one IPv4:port"},
		{254, 4, "one /24"},
	};

	for (size_t a = 0; a < ARRAY_SIZE(attacks); a++)
		for (int dir = 0; dir < 2; dir++) {
			unsigned good = 0;
			uint64_t refused = 0;

			for (unsigned seed = 1; seed <= seeds; seed++)
				good += pinned_ping(attacks[a].sources,
						    attacks[a].per_source,
						    dir == 0, seed, &refused);
			ok(good == seeds,
			   "issue 11 A1: %s pinning the table of a cone "
			   "client: %s "
			   "(%u/%u seeds; %llu stranger entries refused)",
			   attacks[a].what,
			   dir == 0 ? "it still reaches a new peer"
				    : "a new peer still reaches it",
			   good, seeds, (unsigned long long)refused);
		}
}

/*
 * Issue 11 C: A pings B (answered); both idle past the NATs' mapping
 * lifetime (31 s, Linux conntrack's UDP timeout being 30 s); then `again`
 * (A or B) pings the other: answered within 20 s?
 */
static bool
idle_pair(enum nat_kind ka, enum nat_kind kb, unsigned seed, bool b_again,
	  uint64_t *reverified)
{
	struct sim s;
	struct sim_host *a, *b, *from, *to;
	bool got = false;

	sim_init(&s, seed);
	a = sim_add_host(&s, ka, NULL);
	b = sim_add_host(&s, kb, NULL);
	a->nat.timeout_ms = b->nat.timeout_ms = 31000;
	sim_start(&s);
	sim_run(&s, s.now_ms + 300000, all_qualified, NULL);
	if (!a->client.have_addr || !b->client.have_addr)
		goto out;
	for (uint16_t i = 0; i < 20 && a->echo_replies == 0; i++) {
		sim_ping(&s, a, b, i);
		sim_run(&s, s.now_ms + 1000, got_reply, a);
	}
	if (a->echo_replies == 0)
		goto out;
	sim_run(&s, s.now_ms + 40000, NULL, NULL); /* idle */
	from = b_again ? b : a;
	to = b_again ? a : b;
	from->echo_replies = 0;
	for (uint16_t i = 100; i < 120 && from->echo_replies == 0; i++) {
		sim_ping(&s, from, to, i);
		sim_run(&s, s.now_ms + 1000, got_reply, from);
	}
	got = from->echo_replies > 0;
	*reverified += a->client.stats.reverifications +
		       b->client.stats.reverifications;
out:
	scenarios++;
	sim_fini(&s);
	return got;
}

/* Issue 11 C, for every NAT pairing that connects, both directions. */
static void
test_idle_remap(unsigned seeds)
{
	for (int ka = 0; ka < NAT_BLOCKED; ka++)
		for (int kb = 0; kb < NAT_BLOCKED; kb++) {
			if (!reachable((enum nat_kind)ka, (enum nat_kind)kb))
				continue;
			for (int again = 0; again < 2; again++) {
				unsigned good = 0;
				uint64_t rv = 0;

				for (unsigned seed = 1; seed <= seeds; seed++)
					good += idle_pair((enum nat_kind)ka,
							  (enum nat_kind)kb,
							  seed * 31 +
								  (unsigned)ka,
							  again == 1, &rv);
				ok(good == seeds,
				   "issue 11 C: %s pings %s, 40 s idle (NAT "
				   "mappings expire), then %s pings: "
				   "answered in %u/%u seeds (%llu "
				   "re-verifications)",
				   sim_nat_name((enum nat_kind)ka),
				   sim_nat_name((enum nat_kind)kb),
				   again ? "the second" : "the first", good,
				   seeds, (unsigned long long)rv);
			}
		}
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	double secs;

	(void)argv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_qualify_each_kind();
	test_symmetric_without_sns();
	test_qualify_lossy();
	test_pairs(0, argc > 1 ? 3 : 20);
	test_pairs(5, argc > 1 ? 3 : 20);
	test_maintenance();
	test_remap();
	test_server_silent();
	test_native(0, argc > 1 ? 3 : 20);
	test_native(5, argc > 1 ? 3 : 20);
	test_native_restricted_relay(argc > 1 ? 2 : 5);
	test_no_relay(argc > 1 ? 2 : 5);
	test_relay_many_clients(argc > 1 ? 2 : 10);
	test_relay_scan();
	test_relay_restart(argc > 1 ? 1 : 3);
	test_relay_after_failed_bubbles(argc > 1 ? 1 : 3);
	test_pinning(argc > 1 ? 1 : 3);
	test_idle_remap(argc > 1 ? 1 : 3);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %lu scenarios in %.2f s (%.0f scenarios/s)\n", scenarios,
	       secs, (double)scenarios / secs);
	return done_testing();
}
