/* Text and JSON reports of client and server state (see report.h). */
#include "teredo/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "teredo/addr.h"

/* One "Name : value" line, padded as netsh pads it, or a JSON member. */
static void
field(struct strbuf *o, bool json, bool *first, const char *key,
      const char *json_key, const char *value)
{
	if (json) {
		strbuf_put(o, "%s\"%s\":\"", *first ? "" : ",", json_key);
		/* Values are our own text or addresses: nothing to escape
		 * but the two JSON metacharacters, defensively. */
		for (const char *p = value; *p != '\0'; p++)
			strbuf_put(o, "%s%c",
				   (*p == '"' || *p == '\\') ? "\\" : "", *p);
		strbuf_put(o, "\"");
	} else {
		strbuf_put(o, "%-24s: %s\n", key, value);
	}
	*first = false;
}

/* netsh's title, or the opening of a JSON object. */
static void
state_begin(struct strbuf *o, bool json)
{
	if (json)
		strbuf_put(o, "{");
	else
		strbuf_put(o,
			   "Teredo Parameters\n"
			   "---------------------------------------------\n");
}

int
teredo_report_state(const struct teredo_client *c,
		    const struct teredo_report_info *info, bool json, char *buf,
		    size_t cap)
{
	char text[64], ip[16];
	bool first = true;
	struct strbuf o;

	strbuf_init(&o, buf, cap);
	state_begin(&o, json);
	field(&o, json, &first, "Type", "type", info->type);
	/* A relay has no server (RFC 4380 §5.4). */
	field(&o, json, &first, "Server Name", "server_name",
	      c->cfg.relay ? "none (relay)" : info->server_name);
	snprintf(text, sizeof(text), "%u seconds", c->cfg.refresh_ms / 1000);
	field(&o, json, &first, "Client Refresh Interval", "refresh_interval",
	      text);
	if (info->configured_port == 0)
		snprintf(text, sizeof(text), "unspecified");
	else
		snprintf(text, sizeof(text), "%u", info->configured_port);
	field(&o, json, &first, "Client Port", "client_port", text);
	field(&o, json, &first, "State", "state",
	      teredo_client_state_name(teredo_client_shown_state(c)));
	if (teredo_client_shown_state(c) == TEREDO_CLIENT_OFFLINE)
		field(&o, json, &first, "Error", "error",
		      c->error != NULL ? c->error : "none");
	field(&o, json, &first, "Client Type", "client_type",
	      c->cfg.relay ? "teredo relay" : "teredo client");
	field(&o, json, &first, "Network", "network", "unmanaged");
	/* Windows omits the NAT lines until qualification has finished. */
	if (c->nat != TEREDO_NAT_UNKNOWN) {
		field(&o, json, &first, "NAT", "nat",
		      teredo_nat_type_name(c->nat));
		/* RFC 6081 §5.5: a sequential NAT is never detected, only
		 * seen, when an echo test predicted a port. */
		snprintf(text, sizeof(text), "UPNP: %s, PortPreserving: %s%s",
			 info->upnp ? "Yes" : "No",
			 c->port_preserving ? "Yes" : "No",
			 c->sequential_seen ? ", Sequential: Yes" : "");
		field(&o, json, &first, "NAT Special Behaviour",
		      "nat_special_behaviour", text);
		ipv4_format(c->local_ipv4, ip);
		snprintf(text, sizeof(text), "%s:%u", ip, c->cfg.local_port);
		field(&o, json, &first, "Local Mapping", "local_mapping", text);
		ipv4_format(c->mapping.ipv4, ip);
		snprintf(text, sizeof(text), "%s:%u", ip, c->mapping.port);
		field(&o, json, &first, "External NAT Mapping",
		      "external_nat_mapping", text);
	}
	if (c->have_addr) {
		ip6_addr_format(&c->addr, text);
		field(&o, json, &first, "Address", "address", text);
	}
	if (c->cfg.relay && !c->prefix_withdrawn)
		field(&o, json, &first, "Relay Prefix", "relay_prefix",
		      "advertised");
	if (c->cfg.relay && c->prefix_withdrawn) {
		uint64_t until = c->withdrawn_until_ms;
		uint64_t left = until > info->now_ms ? until - info->now_ms : 0;

		snprintf(text, sizeof(text),
			 "withdrawn (overload), %llu s more",
			 (unsigned long long)(left / 1000));
		field(&o, json, &first, "Relay Prefix", "relay_prefix", text);
	}
	strbuf_put(&o, json ? "}\n" : "");
	return strbuf_status(&o);
}

int
teredo_report_peers(const struct teredo_client *c,
		    const struct teredo_report_info *info, bool json, char *buf,
		    size_t cap)
{
	bool first = true;
	struct strbuf o;

	strbuf_init(&o, buf, cap);
	strbuf_put(&o, json ? "[" : "%-40s %-21s %-9s %8s %7s %6s  %s\n",
		   "Peer", "Mapping", "Trusted", "Last rx", "Bubbles", "Queued",
		   "Path");
	for (size_t i = 0; i < c->peers.cap; i++) {
		const struct teredo_peer *p = &c->peers.e[i];
		uint64_t age = (info->now_ms - p->last_rx_ms) / 1000;
		char addr[46], ip[16], map[24];

		if (!p->in_use)
			continue;
		ip6_addr_format(&p->addr, addr);
		ipv4_format(p->mapped_ipv4, ip);
		snprintf(map, sizeof(map), "%s:%u", ip, p->mapped_port);
		if (json)
			strbuf_put(&o,
				   "%s{\"peer\":\"%s\",\"mapping\":\"%s\","
				   "\"trusted\":%s,\"last_rx_s\":%llu,"
				   "\"bubbles\":%u,\"queued_bytes\":%zu,"
				   "\"path\":\"%s\"}",
				   first ? "" : ",", addr, map,
				   p->trusted ? "true" : "false",
				   (unsigned long long)age, p->bubbles,
				   p->queue_len, teredo_client_peer_path(c, p));
		else
			strbuf_put(&o, "%-40s %-21s %-9s %7llus %7u %6zu  %s\n",
				   addr, map, p->trusted ? "yes" : "no",
				   (unsigned long long)age, p->bubbles,
				   p->queue_len, teredo_client_peer_path(c, p));
		first = false;
	}
	strbuf_put(&o, json ? "]\n" : "");
	return strbuf_status(&o);
}

static void
counter(struct strbuf *o, bool json, bool *first, const char *name, uint64_t v)
{
	if (json)
		strbuf_put(o, "%s\"%s\":%llu", *first ? "" : ",", name,
			   (unsigned long long)v);
	else
		strbuf_put(o, "%-32s %llu\n", name, (unsigned long long)v);
	*first = false;
}

int
teredo_report_client_stats(const struct teredo_client *c,
			   const struct teredo_report_counter *extra,
			   size_t n_extra, bool json, char *buf, size_t cap)
{
	const struct teredo_client_stats *s = &c->stats;
	bool first = true;
	struct strbuf o;
	char name[64];

	strbuf_init(&o, buf, cap);
	strbuf_put(&o, json ? "{" : "");
	counter(&o, json, &first, "rs-sent", s->rs_sent);
	counter(&o, json, &first, "ra-accepted", s->ra_accepted);
	/* RFC 6081 Port-Preserving / Sequential (rfc6081.c). */
	counter(&o, json, &first, "random-ports-opened",
		s->random_ports_opened);
	counter(&o, json, &first, "echo-tests-6081", s->echo_tests_6081);
	counter(&o, json, &first, "ports-predicted", s->ports_predicted);
	counter(&o, json, &first, "peer-refreshes", s->peer_refreshes);
	counter(&o, json, &first, "qualifications", s->qualifications);
	counter(&o, json, &first, "requalifications", s->requalifications);
	counter(&o, json, &first, "bubbles-sent", s->bubbles_sent);
	counter(&o, json, &first, "bubbles-received", s->bubbles_received);
	counter(&o, json, &first, "bubbles-suppressed", s->bubbles_suppressed);
	counter(&o, json, &first, "reverifications", s->reverifications);
	counter(&o, json, &first, "stateless-accepts", s->stateless_accepts);
	counter(&o, json, &first, "packets-sent", s->packets_sent);
	counter(&o, json, &first, "packets-delivered", s->packets_delivered);
	counter(&o, json, &first, "echo-tests-sent", s->echo_sent);
	counter(&o, json, &first, "echo-tests-answered", s->echo_answered);
	counter(&o, json, &first, "unreachable-sent", s->unreachable_sent);
	counter(&o, json, &first, "prefix-withdrawals", s->prefix_withdrawals);
	for (int i = 0; i < TEREDO_CLIENT_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "drop-%s",
			 teredo_client_drop_name((enum teredo_client_drop)i));
		counter(&o, json, &first, name, s->drops[i]);
	}
	for (size_t i = 0; i < n_extra; i++)
		counter(&o, json, &first, extra[i].name, extra[i].value);
	strbuf_put(&o, json ? "}\n" : "");
	return strbuf_status(&o);
}

int
teredo_report_server_state(const struct teredo_server *s, bool json, char *buf,
			   size_t cap)
{
	char a[16], b[16];
	bool first = true;
	struct strbuf o;

	strbuf_init(&o, buf, cap);
	ipv4_format(s->ipv4[0], a);
	ipv4_format(s->ipv4[1], b);
	state_begin(&o, json);
	field(&o, json, &first, "Type", "type", "server");
	field(&o, json, &first, "Primary Address", "primary_address", a);
	field(&o, json, &first, "Secondary Address", "secondary_address", b);
	field(&o, json, &first, "State", "state", "online");
	strbuf_put(&o, json ? "}\n" : "");
	return strbuf_status(&o);
}

int
teredo_report_server_stats(const struct teredo_server *s, bool json, char *buf,
			   size_t cap)
{
	const struct teredo_server_stats *st = &s->stats;
	bool first = true;
	struct strbuf o;
	char name[64];

	strbuf_init(&o, buf, cap);
	strbuf_put(&o, json ? "{" : "");
	/* received = the answers below + the drops, datagram for datagram. */
	counter(&o, json, &first, "datagrams-received", st->datagrams_received);
	counter(&o, json, &first, "bytes-received", st->bytes_received);
	counter(&o, json, &first, "datagrams-sent", st->datagrams_sent);
	counter(&o, json, &first, "bytes-sent", st->bytes_sent);
	counter(&o, json, &first, "rate-limit-evictions", s->limit_evictions);
	counter(&o, json, &first, "rs-answered", st->rs_answered);
	counter(&o, json, &first, "rs-answered-cone", st->rs_answered_cone);
	counter(&o, json, &first, "rs-answered-port-probe",
		st->rs_answered_probe);
	counter(&o, json, &first, "bubbles-relayed", st->bubbles_relayed);
	counter(&o, json, &first, "packets-relayed", st->packets_relayed);
	counter(&o, json, &first, "native-forwarded", st->native_forwarded);
	for (int i = 0; i < TEREDO_SERVER_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "drop-%s",
			 teredo_server_drop_name((enum teredo_server_drop)i));
		counter(&o, json, &first, name, st->drops[i]);
	}
	strbuf_put(&o, json ? "}\n" : "");
	return strbuf_status(&o);
}
