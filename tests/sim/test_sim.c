/*
 * Whole-topology simulations on a virtual clock (tests/sim/netsim.h):
 * qualification behind every NAT kind, at 20 % loss too; client-to-client
 * reachability for every ordered NAT pairing that RFC 4380 + 5991 + 6081
 * Symmetric NAT Support connect, and a bounded failure for the others;
 * maintenance, remapping and a silent server.
 */
#include <time.h>

#include "../unit/tap.h"
#include "netsim.h"

static const enum teredo_nat_type expected_nat[NAT_KIND_COUNT] = {
	[NAT_NONE] = TEREDO_NAT_NONE,
	[NAT_FULLCONE] = TEREDO_NAT_CONE,
	[NAT_RESTRICTED] = TEREDO_NAT_RESTRICTED,
	[NAT_PORTRESTRICTED] = TEREDO_NAT_RESTRICTED_PORT,
	[NAT_SYMMETRIC] = TEREDO_NAT_SYMMETRIC_PORT,
};

static unsigned long scenarios;

static bool
settled(struct sim *s, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct teredo_client *c = &s->hosts[i].client;

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
		if (s->hosts[i].client.state != TEREDO_CLIENT_QUALIFIED ||
		    s->hosts[i].client.probe != PROBE_NONE)
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
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %lu scenarios in %.2f s (%.0f scenarios/s)\n", scenarios,
	       secs, (double)scenarios / secs);
	return done_testing();
}
