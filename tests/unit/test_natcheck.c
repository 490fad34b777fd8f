/*
 * lib/natcheck: the probe engine against modelled NATs and an RFC 5780
 * STUN server (in-process, virtual clock), then the classification, the
 * Windows word and the verdict from teredo-spec.md §5.2.
 */
#include "tap.h"

#include "natcheck/natcheck.h"
#include "stun/stun.h"
#include "teredo/addr.h"
#include "teredo/msg.h"

#define IP1 0xc000020au /* 192.0.2.10 */
#define IP2 0xc000020bu /* 192.0.2.11 */
#define P1 3478
#define P2 3479
#define LOCAL 0x0a010002u /* 10.1.0.2 */
#define EXT 0xcb007101u	  /* 203.0.113.1 */

struct model {
	bool nat, blocked, hairpin, preserve, rfc5780, teredo;
	enum natcheck_behaviour map, filt;
	unsigned drop_first; /* lose the first N datagrams (retransmission) */
};

#define MAPS 32
struct mapping {
	uint16_t lport, eport;
	uint32_t key_ip;
	uint16_t key_port;
	unsigned ncontact;
	struct natcheck_endpoint contact[16];
};

static struct mapping maps[MAPS];
static unsigned nmaps, next_port, dropped;

static struct mapping *
map_out(const struct model *md, uint16_t lport, struct natcheck_endpoint d)
{
	uint32_t kip = md->map == NATCHECK_EI ? 0 : d.ipv4;
	uint16_t kport = md->map == NATCHECK_APD ? d.port : 0;
	struct mapping *m = NULL;

	for (unsigned i = 0; i < nmaps; i++)
		if (maps[i].lport == lport && maps[i].key_ip == kip &&
		    maps[i].key_port == kport)
			m = &maps[i];
	if (m == NULL) {
		if (nmaps == MAPS)
			abort();
		m = &maps[nmaps++];
		memset(m, 0, sizeof(*m));
		m->lport = lport;
		m->key_ip = kip;
		m->key_port = kport;
		m->eport = (md->preserve && nmaps == 1) ? lport
							: (uint16_t)next_port++;
	}
	if (m->ncontact < 16)
		m->contact[m->ncontact++] = d;
	return m;
}

static bool
filter_in(const struct model *md, const struct mapping *m,
	  struct natcheck_endpoint s)
{
	for (unsigned i = 0; i < m->ncontact; i++) {
		if (md->filt == NATCHECK_EI)
			return true;
		if (m->contact[i].ipv4 == s.ipv4 &&
		    (md->filt == NATCHECK_AD || m->contact[i].port == s.port))
			return true;
	}
	return false;
}

/* teredo-serverd's answer (RFC 4380 §5.3.2): an RA with the origin. */
static size_t
teredo_server(const uint8_t *req, size_t len, struct natcheck_endpoint src,
	      struct natcheck_endpoint dst, uint8_t *out,
	      struct natcheck_endpoint *from)
{
	struct teredo_packet pkt;
	struct teredo_rs rs;
	struct teredo_ra_params ra;
	struct ip6_addr probe;
	size_t n = 0;

	if (teredo_packet_read(req, len, &pkt) != 0 ||
	    teredo_rs_read(&pkt, &rs) != 0 || !rs.has_auth)
		return 0;
	memset(&ra, 0, sizeof(ra));
	memcpy(ra.nonce, rs.auth.nonce, sizeof(ra.nonce));
	ra.origin.ipv4 = src.ipv4;
	ra.origin.port = src.port;
	ra.server_ipv4 = IP1;
	ra.client_ll = rs.src;
	*from = dst;
	teredo_port_probe_link_local(&probe);
	if (rs.cone)
		from->ipv4 = dst.ipv4 == IP1 ? IP2 : IP1;
	else if (memcmp(&rs.src, &probe, sizeof(probe)) == 0)
		from->port = TEREDO_PROBE_PORT;
	if (teredo_ra_write(out, STUN_MSG_MAX, &ra, &n) != 0)
		abort();
	return n;
}

/* The server's answer to a request from src (as seen) to dst. */
static size_t
server(const struct model *md, const uint8_t *req, size_t len,
       struct natcheck_endpoint src, struct natcheck_endpoint dst, uint8_t *out,
       struct natcheck_endpoint *from)
{
	struct stun_msg q, a;
	size_t n = 0;

	if (stun_read(req, len, &q) != 0 || q.type != STUN_BINDING_REQUEST)
		return 0;
	memset(&a, 0, sizeof(a));
	memcpy(a.txid, q.txid, sizeof(a.txid));
	*from = dst;
	if (q.has_change && !md->rfc5780) {
		a.type = STUN_BINDING_ERROR;
		a.has_error = true;
		a.error_code = 420;
	} else {
		a.type = STUN_BINDING_SUCCESS;
		if (q.has_change && (q.change_flags & STUN_CHANGE_IP))
			from->ipv4 = from->ipv4 == IP1 ? IP2 : IP1;
		if (q.has_change && (q.change_flags & STUN_CHANGE_PORT))
			from->port = from->port == P1 ? P2 : P1;
		a.has_xor_mapped = true;
		stun_addr_set_ipv4(&a.xor_mapped, src.ipv4, src.port);
		if (md->rfc5780) {
			a.has_other = a.has_origin = true;
			stun_addr_set_ipv4(&a.other, IP2, P2);
			stun_addr_set_ipv4(&a.origin, from->ipv4, from->port);
		}
	}
	if (stun_write(&a, out, STUN_MSG_MAX, &n) != 0)
		abort();
	return n;
}

static void
deliver(struct natcheck *nc, const struct model *md,
	const struct natcheck_tx *tx, uint64_t now)
{
	uint16_t lport = nc->cfg.local_port[tx->sock];
	struct natcheck_endpoint seen = {md->nat ? EXT : LOCAL, lport};
	struct mapping *m = NULL;
	uint8_t ans[STUN_MSG_MAX];
	struct natcheck_endpoint from;
	size_t n;

	if (md->blocked)
		return;
	if (dropped < md->drop_first) {
		dropped++;
		return;
	}
	if (md->nat) {
		m = map_out(md, lport, tx->dst);
		seen.port = m->eport;
	}
	if (tx->dst.ipv4 == EXT || tx->dst.ipv4 == LOCAL) {
		/* To our own mapped address: hairpinning. */
		if (!md->hairpin && md->nat)
			return;
		for (unsigned s = 0; s < NATCHECK_SOCKS; s++)
			for (unsigned i = 0; i < nmaps; i++)
				if (maps[i].eport == tx->dst.port &&
				    maps[i].lport == nc->cfg.local_port[s])
					natcheck_on_udp(nc, s, seen, tx->buf,
							tx->len, now);
		return;
	}
	n = md->teredo
		    ? teredo_server(tx->buf, tx->len, seen, tx->dst, ans, &from)
		    : server(md, tx->buf, tx->len, seen, tx->dst, ans, &from);
	if (n == 0)
		return;
	if (md->nat && !filter_in(md, m, from))
		return;
	natcheck_on_udp(nc, tx->sock, from, ans, n, now);
}

static void
run(const struct model *md, struct natcheck_findings *f, uint64_t *took)
{
	struct natcheck nc;
	struct natcheck_cfg cfg = {
		.stun = {{IP1, P1}, {0, 0}},
		.local_ipv4 = LOCAL,
		.local_port = {5000, 5001, 5002},
		.txid_base = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		.budget_ms = 3000,
	};
	struct natcheck_tx tx[8];
	uint64_t now = 1000;

	if (md->teredo) {
		cfg.teredo = true;
		cfg.stun[0] = (struct natcheck_endpoint){IP1, TEREDO_PORT};
		cfg.stun[1] = (struct natcheck_endpoint){IP2, TEREDO_PORT};
	}
	unsigned rounds = 0;

	nmaps = 0;
	next_port = 30000;
	dropped = 0;
	natcheck_start(&nc, &cfg, now);
	while (!natcheck_is_done(&nc, now) && rounds++ < 1000) {
		size_t n = natcheck_poll(&nc, now, tx, ARRAY_SIZE(tx));

		for (size_t i = 0; i < n; i++)
			deliver(&nc, md, &tx[i], now);
		if (natcheck_is_done(&nc, now))
			break;
		uint64_t d = natcheck_deadline(&nc, now);

		now = d > now ? d : now + 1;
	}
	natcheck_findings(&nc, f);
	*took = now - 1000;
}

struct kase {
	const char *name;
	struct model md;
	bool udp, nat;
	enum natcheck_behaviour map, filt;
	enum natcheck_tri hairpin, preserve;
	const char *windows;
	enum natcheck_kind kind;
};

static void
test_engine(void)
{
	static const struct kase cases[] = {
		{"public",
		 {.rfc5780 = true},
		 true,
		 false,
		 NATCHECK_EI,
		 NATCHECK_EI,
		 NATCHECK_NOT_KNOWN,
		 NATCHECK_YES,
		 "none (global connectivity)",
		 NK_PUBLIC},
		{"full cone",
		 {.nat = true,
		  .rfc5780 = true,
		  .preserve = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_EI},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_EI,
		 NATCHECK_NO,
		 NATCHECK_YES,
		 "cone",
		 NK_FULLCONE},
		{"full cone that hairpins",
		 {.nat = true,
		  .rfc5780 = true,
		  .hairpin = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_EI},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_EI,
		 NATCHECK_YES,
		 NATCHECK_NO,
		 "cone",
		 NK_FULLCONE},
		{"restricted",
		 {.nat = true,
		  .rfc5780 = true,
		  .preserve = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_AD},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_AD,
		 NATCHECK_NO,
		 NATCHECK_YES,
		 "restricted",
		 NK_RESTRICTED},
		{"port-restricted",
		 {.nat = true,
		  .rfc5780 = true,
		  .preserve = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_APD,
		 NATCHECK_NO,
		 NATCHECK_YES,
		 "restricted (port)",
		 NK_PORTRESTRICTED},
		{"port-restricted, lossy",
		 {.nat = true,
		  .rfc5780 = true,
		  .drop_first = 3,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_APD,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "restricted (port)",
		 NK_PORTRESTRICTED},
		{"address-dependent mapping",
		 {.nat = true,
		  .rfc5780 = true,
		  .map = NATCHECK_AD,
		  .filt = NATCHECK_AD},
		 true,
		 true,
		 NATCHECK_AD,
		 NATCHECK_AD,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "symmetric",
		 NK_SYMMETRIC},
		{"symmetric",
		 {.nat = true,
		  .rfc5780 = true,
		  .map = NATCHECK_APD,
		  .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_APD,
		 NATCHECK_APD,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "symmetric",
		 NK_SYMMETRIC},
		{"UDP blocked",
		 {.blocked = true, .rfc5780 = true},
		 false,
		 false,
		 NATCHECK_UNKNOWN,
		 NATCHECK_UNKNOWN,
		 NATCHECK_NOT_KNOWN,
		 NATCHECK_NOT_KNOWN,
		 "unknown",
		 NK_BLOCKED},
		{"Teredo server: public",
		 {.teredo = true},
		 true,
		 false,
		 NATCHECK_EI,
		 NATCHECK_EI,
		 NATCHECK_NOT_KNOWN,
		 NATCHECK_YES,
		 "none (global connectivity)",
		 NK_PUBLIC},
		{"Teredo server: full cone",
		 {.teredo = true,
		  .nat = true,
		  .preserve = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_EI},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_EI,
		 NATCHECK_NO,
		 NATCHECK_YES,
		 "cone",
		 NK_FULLCONE},
		{"Teredo server: restricted",
		 {.teredo = true,
		  .nat = true,
		  .hairpin = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_AD},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_AD,
		 NATCHECK_YES,
		 NATCHECK_NO,
		 "restricted",
		 NK_RESTRICTED},
		{"Teredo server: port-restricted",
		 {.teredo = true,
		  .nat = true,
		  .map = NATCHECK_EI,
		  .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_EI,
		 NATCHECK_APD,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "restricted (port)",
		 NK_PORTRESTRICTED},
		{"Teredo server: symmetric (mapping varies)",
		 {.teredo = true,
		  .nat = true,
		  .map = NATCHECK_APD,
		  .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_UNKNOWN,
		 NATCHECK_APD,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "symmetric",
		 NK_SYMMETRIC},
		{"Teredo server: UDP blocked",
		 {.teredo = true, .blocked = true},
		 false,
		 false,
		 NATCHECK_UNKNOWN,
		 NATCHECK_UNKNOWN,
		 NATCHECK_NOT_KNOWN,
		 NATCHECK_NOT_KNOWN,
		 "unknown",
		 NK_BLOCKED},
		{"no RFC 5780 server",
		 {.nat = true, .map = NATCHECK_EI, .filt = NATCHECK_APD},
		 true,
		 true,
		 NATCHECK_UNKNOWN,
		 NATCHECK_UNKNOWN,
		 NATCHECK_NO,
		 NATCHECK_NO,
		 "unknown",
		 NK_KINDS},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct kase *k = &cases[i];
		struct natcheck_findings f;
		uint64_t took = 0;

		run(&k->md, &f, &took);
		ok(f.udp == k->udp && f.nat_present == k->nat,
		   "%s: udp %d, nat %d", k->name, f.udp, f.nat_present);
		is_int(f.mapping, k->map, "%s: mapping", k->name);
		is_int(f.filtering, k->filt, "%s: filtering", k->name);
		is_int(f.hairpinning, k->hairpin, "%s: hairpinning", k->name);
		is_int(f.port_preserving, k->preserve, "%s: port preserving",
		       k->name);
		ok(strcmp(natcheck_windows_word(&f), k->windows) == 0,
		   "%s: Windows word '%s'", k->name, natcheck_windows_word(&f));
		is_int(natcheck_kind_of(&f), k->kind, "%s: kind", k->name);
		ok(took <= 3000, "%s: done within the budget (%llu ms)",
		   k->name, (unsigned long long)took);
	}
}

static void
test_two_servers(void)
{
	/* Without RFC 5780, two servers tell whether mapping varies. */
	struct natcheck nc;
	struct natcheck_cfg cfg = {
		.stun = {{IP1, P1}, {0xc6336414u, 19302}},
		.local_ipv4 = LOCAL,
		.local_port = {5000, 5001, 5002},
		.budget_ms = 1000,
	};
	struct natcheck_tx tx[8];
	struct natcheck_findings f;
	uint8_t ans[STUN_MSG_MAX];
	size_t n;

	natcheck_start(&nc, &cfg, 0);
	n = natcheck_poll(&nc, 0, tx, ARRAY_SIZE(tx));
	for (size_t i = 0; i < n; i++) {
		struct stun_msg q, a;
		size_t len = 0;

		if (tx[i].sock != 0 || stun_read(tx[i].buf, tx[i].len, &q))
			continue;
		memset(&a, 0, sizeof(a));
		a.type = STUN_BINDING_SUCCESS;
		memcpy(a.txid, q.txid, 12);
		a.has_xor_mapped = true;
		stun_addr_set_ipv4(&a.xor_mapped, EXT,
				   tx[i].dst.ipv4 == IP1 ? 30000 : 30001);
		if (stun_write(&a, ans, sizeof(ans), &len) == 0)
			natcheck_on_udp(&nc, 0, tx[i].dst, ans, len, 10);
	}
	natcheck_findings(&nc, &f);
	ok(f.udp && f.mapping_varies && f.mapping == NATCHECK_UNKNOWN,
	   "two servers see two mappings: varies by destination");
	ok(strcmp(natcheck_windows_word(&f), "symmetric") == 0,
	   "... which Windows calls symmetric");
}

static void
test_verdict(void)
{
	struct natcheck_findings f;
	struct natcheck_verdict v[NATCHECK_VERDICT_MAX];
	size_t n;
	char buf[8192];

	/* teredo-spec.md §5.2 cells, SNS only. */
	ok(natcheck_teredo_works(NK_SYMMETRIC, NK_FULLCONE, false, false),
	   "symmetric -> cone: SNS");
	ok(!natcheck_teredo_works(NK_SYMMETRIC, NK_PORTRESTRICTED, false,
				  false),
	   "symmetric -> port-restricted: no");
	ok(!natcheck_teredo_works(NK_SYMMETRIC, NK_SYMMETRIC, true, true),
	   "symmetric <-> symmetric: no");
	ok(!natcheck_teredo_works(NK_SYMMETRIC_UPNP, NK_SYMMETRIC_UPNP, false,
				  false) &&
		   natcheck_teredo_works(NK_SYMMETRIC_UPNP, NK_SYMMETRIC_UPNP,
					 true, false),
	   "symm+UPnP pair: only with the UPnP extension");
	ok(natcheck_teredo_works(NK_PORTRESTRICTED, NK_SYMMETRIC_PP, false,
				 true),
	   "port-restricted -> port-preserving symmetric: +PP");
	ok(!natcheck_teredo_works(NK_BLOCKED, NK_PUBLIC, true, true),
	   "blocked: nothing");

	memset(&f, 0, sizeof(f));
	f.udp = f.nat_present = true;
	f.mapping = NATCHECK_APD;
	f.filtering = NATCHECK_APD;
	f.port_preserving = NATCHECK_NO;
	n = natcheck_verdict(&f, v, ARRAY_SIZE(v));
	is_int(n, 7, "seven verdict lines");
	ok(v[1].supported && strcmp(v[1].path, "teredo") == 0,
	   "symmetric: a full-cone peer through Teredo");
	ok(!v[3].supported && strstr(v[3].why, "new port") != NULL,
	   "symmetric: not a port-restricted peer, and why");
	ok(!v[4].supported, "symmetric: not another symmetric");
	ok(!v[6].supported && strcmp(v[6].path, "none") == 0,
	   "no IPv6: the IPv6 line says so");

	f.upnp = true;
	f.upnp_external = EXT;
	f.portmap_global = true;
	f.mapped.ipv4 = EXT;
	n = natcheck_verdict(&f, v, ARRAY_SIZE(v));
	ok(v[4].supported && strcmp(v[4].path, "ipv4-mapped") == 0 &&
		   strstr(v[4].why, "UPnP") != NULL,
	   "UPnP with a global address: every peer, by the mapped address");
	ok(!natcheck_is_double_nat(&f), "same external address: no double NAT");
	f.upnp_external = 0x0a000001;
	ok(natcheck_is_double_nat(&f), "router says 10.0.0.1: double NAT");

	memset(&f, 0, sizeof(f));
	n = natcheck_verdict(&f, v, ARRAY_SIZE(v));
	ok(!v[0].supported && strstr(v[0].why, "blocks UDP") != NULL,
	   "UDP blocked: not supported, and why");
	f.ipv6_global = true;
	f.ipv6_reachable = NATCHECK_YES;
	n = natcheck_verdict(&f, v, ARRAY_SIZE(v));
	ok(n == 7 && v[6].supported && strcmp(v[6].path, "ipv6") == 0,
	   "IPv6 reachable: the IPv6 line is supported, even with UDP blocked");
	f.ipv6_reachable = NATCHECK_NO;
	n = natcheck_verdict(&f, v, ARRAY_SIZE(v));
	ok(!v[6].supported && strstr(v[6].why, "does not reach") != NULL,
	   "a global IPv6 address that reaches nothing: not supported");

	ok(natcheck_is_global_ipv4(0xcb007101) &&
		   natcheck_is_global_ipv4(0x08080808),
	   "global addresses");
	ok(!natcheck_is_global_ipv4(0) &&
		   !natcheck_is_global_ipv4(0x7f000001) &&
		   !natcheck_is_global_ipv4(0xc0a80101) &&
		   !natcheck_is_global_ipv4(0x64400001) &&
		   !natcheck_is_global_ipv4(0xac1f0001),
	   "0.0.0.0, loopback, private and shared addresses are not");

	memset(&f, 0, sizeof(f));
	f.udp = f.nat_present = true;
	f.mapping = NATCHECK_EI;
	f.filtering = NATCHECK_AD;
	f.hairpinning = NATCHECK_YES;
	f.port_preserving = NATCHECK_YES;
	f.local.ipv4 = LOCAL;
	f.mapped.ipv4 = EXT;
	f.natpmp = true;
	f.natpmp_external = 0;
	f.natpmp_note = "external address 0.0.0.0 \"rejected\"";
	f.teredo_state = "qualified";
	is_int(natcheck_report(&f, true, buf, sizeof(buf)), 0, "JSON report");
	ok(strstr(buf, "\"nat\":{\"present\":true,\"mapping\":"
		       "\"endpoint-independent\",\"filtering\":"
		       "\"address-dependent\",\"port_preserving\":true,"
		       "\"hairpinning\":true") != NULL,
	   "JSON nat fields");
	ok(strstr(buf, "\"windows\":\"restricted\"") != NULL, "JSON windows");
	ok(strstr(buf, "\\\"rejected\\\"") != NULL, "JSON escapes quotes");
	ok(strstr(buf, "\"teredo\":{\"state\":\"qualified\"}") != NULL,
	   "JSON teredo.state");
	is_int(natcheck_report(&f, false, buf, sizeof(buf)), 0, "text report");
	ok(strstr(buf, "NAT (Windows)         : restricted") != NULL,
	   "text: the Windows word");
	is_int(natcheck_report(&f, true, buf, 100), -ENOBUFS,
	       "a small buffer: -ENOBUFS");
}

int
main(void)
{
	test_engine();
	test_two_servers();
	test_verdict();
	return done_testing();
}
