/*
 * lib/teredo/report: `show state` in Windows' fields, order and vocabulary
 * (teredo-spec.md §8, checklist G1-G3), checked against golden text for
 * clients qualified behind simulated NATs and for one offline.
 */
#include "../unit/tap.h"
#include "netsim.h"
#include "teredo/report.h"

static const struct teredo_report_info info = {
	.type = "client",
	.server_name = "teredo.lab.",
};

static bool
settled(struct sim *s, void *arg)
{
	const struct teredo_client *c = &((struct sim_host *)arg)->client;

	(void)s;
	return c->state == TEREDO_CLIENT_OFFLINE ||
	       (c->state == TEREDO_CLIENT_QUALIFIED && c->probe == PROBE_NONE);
}

static void
check(enum nat_kind kind, const char *want_tail)
{
	static const char head[] =
		"Teredo Parameters\n"
		"---------------------------------------------\n"
		"Type                    : client\n"
		"Server Name             : teredo.lab.\n"
		"Client Refresh Interval : 30 seconds\n"
		"Client Port             : unspecified\n";
	char buf[2048], want[2048];
	struct sim s;
	struct sim_host *h;

	sim_init(&s, 1);
	h = sim_add_host(&s, kind, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, h);
	snprintf(want, sizeof(want), "%s%s", head, want_tail);
	ok(teredo_report_state(&h->client, &info, false, buf, sizeof(buf)) ==
			   0 &&
		   strcmp(buf, want) == 0,
	   "G1: show state behind %s", sim_nat_name(kind));
	if (strcmp(buf, want) != 0)
		printf("# got:\n%s# want:\n%s", buf, want);
	sim_fini(&s);
}

static bool
answered(struct sim *s, void *arg)
{
	(void)s;
	return ((struct sim_host *)arg)->ping_replies > 0;
}

/*
 * Issue 14 point 4: after a ping from kind ka to kind kb, `show state` of
 * the initiator says what RFC 6081 saw, and `show peers` how the peer was
 * reached.
 */
static void
check_pair(enum nat_kind ka, enum nat_kind kb, const char *want_state,
	   const char *want_path)
{
	char buf[4096];
	struct sim s;
	struct sim_host *a, *b;

	sim_init(&s, 7);
	a = sim_add_host(&s, ka, NULL);
	b = sim_add_host(&s, kb, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, a);
	sim_run(&s, s.now_ms + 60000, settled, b);
	for (uint16_t i = 0; i < 10 && a->ping_replies == 0; i++) {
		sim_ping(&s, a, b, i);
		sim_run(&s, s.now_ms + 1000, answered, a);
	}
	ok(a->ping_replies > 0 &&
		   teredo_report_state(&a->client, &info, false, buf,
				       sizeof(buf)) == 0 &&
		   strstr(buf, want_state) != NULL,
	   "show state, %s -> %s: NAT Special Behaviour as seen",
	   sim_nat_name(ka), sim_nat_name(kb));
	ok(teredo_report_peers(&a->client, &info, false, buf, sizeof(buf)) ==
			   0 &&
		   strstr(buf, want_path) != NULL,
	   "show peers, %s -> %s: the path the peer was reached by",
	   sim_nat_name(ka), sim_nat_name(kb));
	if (strstr(buf, want_path) == NULL)
		printf("# got:\n%s", buf);
	ok(teredo_report_peers(&a->client, &info, true, buf, sizeof(buf)) ==
			   0 &&
		   strstr(buf, "\"path\":\"") != NULL,
	   "show peers --json has the path");
	sim_fini(&s);
}

int
main(void)
{
	char buf[64];
	struct sim s;
	struct sim_host *h;

	check_pair(NAT_PPSYMMETRIC, NAT_PPSYMMETRIC,
		   "NAT Special Behaviour   : UPNP: No, PortPreserving: Yes\n",
		   " random port\n");
	check_pair(NAT_SEQUENTIAL, NAT_PORTRESTRICTED,
		   "PortPreserving: No, Sequential: Yes\n", " random port\n");
	check_pair(NAT_RESTRICTED, NAT_FULLCONE, "PortPreserving: Yes\n",
		   " direct\n");
	check(NAT_RESTRICTED,
	      "State                   : qualified\n"
	      "Client Type             : teredo client\n"
	      "Network                 : unmanaged\n"
	      "NAT                     : restricted\n"
	      "NAT Special Behaviour   : UPNP: No, PortPreserving: Yes\n"
	      "Local Mapping           : 10.0.0.2:40000\n"
	      "External NAT Mapping    : 198.51.100.1:40000\n"
	      "Address                 : "
	      "2001:0:cb00:7178:895:63bf:39cc:9bfe\n");
	check(NAT_NONE,
	      "State                   : qualified\n"
	      "Client Type             : teredo client\n"
	      "Network                 : unmanaged\n"
	      "NAT                     : none (global connectivity)\n"
	      "NAT Special Behaviour   : UPNP: No, PortPreserving: Yes\n"
	      "Local Mapping           : 192.0.2.1:40000\n"
	      "External NAT Mapping    : 192.0.2.1:40000\n"
	      "Address                 : "
	      "2001:0:cb00:7178:895:63bf:3fff:fdfe\n");
	check(NAT_BLOCKED,
	      "State                   : offline\n"
	      "Error                   : cannot reach the primary Teredo "
	      "server over UDP\n"
	      "Client Type             : teredo client\n"
	      "Network                 : unmanaged\n");

	sim_init(&s, 2);
	h = sim_add_host(&s, NAT_SYMMETRIC, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, h);
	ok(teredo_report_state(&h->client, &info, true, buf, sizeof(buf)) ==
		   -ENOBUFS,
	   "a report that does not fit is -ENOBUFS");
	{
		char big[2048];

		ok(teredo_report_state(&h->client, &info, true, big,
				       sizeof(big)) == 0 &&
			   strstr(big, "\"nat\":\"symmetric (port)\"") !=
				   NULL &&
			   strstr(big, "\"state\":\"qualified\"") != NULL,
		   "JSON form: %s", big);
	}
	sim_fini(&s);

	/*
	 * Issue 11 C: an offline client retrying (every 30 s, 3 RSs 4 s
	 * apart) reads offline, with its Error line, between the retries
	 * and during them, until a server answers.
	 */
	sim_init(&s, 4);
	h = sim_add_host(&s, NAT_BLOCKED, NULL);
	sim_start(&s);
	sim_run(&s, s.now_ms + 60000, settled, h);
	{
		unsigned shown_offline = 0, looks = 0, retries;
		char text[2048];

		retries = (unsigned)h->client.stats.requalifications;
		for (unsigned i = 0; i < 100; i++) {
			sim_run(&s, s.now_ms + 1000, NULL, NULL);
			if (teredo_report_state(&h->client, &info, false, text,
						sizeof(text)) < 0)
				break;
			looks++;
			shown_offline +=
				strstr(text, "State                   : "
					     "offline\nError                   "
					     ": cannot reach") != NULL;
		}
		retries = (unsigned)h->client.stats.requalifications - retries;
		ok(retries >= 2 && looks == 100 && shown_offline == looks,
		   "issue 11 C: an offline client reads offline with its Error "
		   "while it retries (%u of %u looks, %u retries)",
		   shown_offline, looks, retries);
		if (shown_offline != looks)
			printf("# got:\n%s", text);
	}
	sim_fini(&s);

	/* A relay: no server, and whether it carries the Teredo prefix. */
	sim_init(&s, 3);
	h = sim_add_relay(&s, 4, false);
	sim_start(&s);
	{
		static const struct teredo_report_info relay = {
			.type = "cone",
			.server_name = "",
		};
		char text[2048];

		ok(teredo_report_state(&h->client, &relay, false, text,
				       sizeof(text)) == 0 &&
			   strstr(text, "Server Name             : none "
					"(relay)\n") != NULL &&
			   strstr(text, "State                   : online "
					"(relay)\n") != NULL &&
			   strstr(text, "Relay Prefix            : "
					"advertised\n") != NULL,
		   "show state of a relay: no server, prefix advertised");
		if (strstr(text, "advertised") == NULL)
			printf("# got:\n%s", text);
	}
	sim_fini(&s);
	return done_testing();
}
