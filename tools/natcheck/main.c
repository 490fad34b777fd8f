/*
 * natcheck: the connectivity evaluation (issue 12).  One command: probes
 * the STUN servers (RFC 5389/5780, lib/natcheck's engine), the router
 * (NAT-PMP and PCP on the gateway's port 5351 through lib/pcp, UPnP IGD
 * through miniupnpc in a thread), the host's IPv6 and teredod's state, all
 * at once with one deadline; then prints the findings and the verdict
 * (lib/natcheck), as text or --json.
 *
 *   natcheck --stun HOST[:PORT] [--stun HOST2[:PORT]] [--json]
 *   natcheck --map-tcp PORT ...      (port mapping: see portmap.c)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "conf/conf.h"
#include "natcheck/natcheck.h"
#include "natcheck_tool.h"
#include "shipworm_version.h"
#include "pcp/pcp.h"
#include "portmap/portmap.h"
#include "stun/stun.h"
#include "sys/ctl.h"
#include "sys/ev.h"
#include "sys/fd.h"
#include "sys/netinfo.h"
#include "sys/path.h"
#include "sys/portmap.h"
#include "sys/rand.h"
#include "sys/udp.h"
#include "teredo/addr.h"

#define DEFAULT_CONF "/etc/miredo/miredo.conf"
#define DEFAULT_CTL "/run/shipworm/teredod.sock"
#define STUN_PORT 3478
#define ROUTER_WAIT_MS 2000
#define UPNP_WAIT_MS 1000

struct router_probe {
	int fd;
	uint32_t gw, local;
	uint64_t next_ms, end_ms;
	unsigned rto_ms;
	bool natpmp_done, pcp_done;
	bool natpmp, pcp;
	uint32_t natpmp_ext;
	char natpmp_note[160], pcp_note[160];
	unsigned garbage;
};

static int
usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: natcheck [OPTIONS]\n"
		"Evaluates this network for remote assistance: UDP, the NAT's "
		"mapping,\nfiltering, port preservation and hairpinning (RFC "
		"4787/5780), UPnP IGD,\nNAT-PMP, PCP, native IPv6 and Teredo; "
		"then says who can connect, and how.\n"
		"Options:\n"
		"  --stun HOST[:PORT]   a STUN server (port %u); repeat for a "
		"second one\n"
		"  --stun6 ADDR6        a STUN server's IPv6 address (port "
		"3478): IPv6 reachability\n"
		"  --server ADDR        the Teredo server, asked when no "
		"--stun "
		"is given\n"
		"                       (default: ServerAddress of -c)\n"
		"  -c, --config FILE    miredo.conf (default %s)\n"
		"  -s, --socket PATH    teredod's control socket (default %s)\n"
		"  --gateway ADDR       the router (default: the default "
		"route's gateway)\n"
		"  --no-portmap         do not ask the router (UPnP, NAT-PMP, "
		"PCP)\n"
		"  --budget MS          probe time for STUN (default 3000)\n"
		"  --json               machine-readable output (README.md)\n"
		"  -q, --quiet          no progress line\n"
		"  -h, --help           this help\n"
		"  -V, --version        the version\n"
		"Port mapping (a TCP port on the router, then removed):\n"
		"  --map-tcp PORT [--lease S] [--hold S] [--record FILE]\n"
		"           [--renew S] [--proto upnp|natpmp|pcp]\n"
		"  --unmap-stale FILE   remove the mapping a crashed run "
		"recorded\n",
		STUN_PORT, DEFAULT_CONF, DEFAULT_CTL);
	return status;
}

/* The "State" line of teredod's `show state`, or NULL. */
static const char *
teredo_state(const char *sock, char *out, size_t cap)
{
	static char resp[CTL_RESPONSE_MAX + 1];
	size_t len = 0;
	const char *p, *e;

	if (ctl_request(sock, "show state", resp, sizeof(resp), &len, 1000) < 0)
		return NULL;
	for (p = resp; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "State ", 6) != 0)
			continue;
		p = strstr(p, ": ");
		if (p == NULL)
			return NULL;
		p += 2;
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(out, cap, "%.*s", (int)(e - p), p);
		return out;
	}
	return NULL;
}

/* A send that fails is a lost probe: the retransmission covers it. */
static void
send_lossy(int fd, const uint8_t *buf, size_t len, uint32_t ip, uint16_t port)
{
	if (udp_send(fd, buf, len, ip, port) < 0)
		return;
}

static void
router_send(struct router_probe *r, uint64_t now)
{
	uint8_t buf[PCP_HEADER_LEN];
	size_t len = 0;
	struct pcp_msg m;

	if (!r->natpmp_done &&
	    pcp_natpmp_write_request(buf, sizeof(buf), &len) == 0)
		send_lossy(r->fd, buf, len, r->gw, PCP_PORT);
	if (!r->pcp_done) {
		memset(&m, 0, sizeof(m));
		m.opcode = PCP_OP_ANNOUNCE;
		pcp_ipv4_mapped(r->local, m.client_ip);
		if (pcp_write(&m, buf, sizeof(buf), &len) == 0)
			send_lossy(r->fd, buf, len, r->gw, PCP_PORT);
	}
	r->next_ms = now + r->rto_ms;
	r->rto_ms *= 2;
}

static void
router_input(struct router_probe *r, const struct udp_dgram *d)
{
	char ip[IPV4_TEXT_LEN];

	/* RFC 6886 §3.1, RFC 6887 §8.3: only the gateway's answers. */
	if (d->peer_ipv4 != r->gw || d->peer_port != PCP_PORT)
		return;
	if (d->len >= 1 && d->buf[0] == 0 && !r->natpmp_done) {
		struct pcp_natpmp_answer a;

		r->natpmp_done = true;
		if (pcp_natpmp_read(d->buf, d->len, &a) != 0) {
			snprintf(r->natpmp_note, sizeof(r->natpmp_note),
				 "the router answered garbage (%zu bytes)",
				 d->len);
			return;
		}
		if (a.result != 0) {
			/* RFC 6887 §9: a PCP-only server says "version". */
			snprintf(r->natpmp_note, sizeof(r->natpmp_note),
				 "the router refused: result %u%s", a.result,
				 a.result == 1 ? " (unsupported version: "
						 "PCP only?)"
					       : "");
			return;
		}
		r->natpmp = true;
		ipv4_format(a.external_ipv4, ip);
		if (a.external_ipv4 == 0)
			snprintf(r->natpmp_note, sizeof(r->natpmp_note),
				 "its external address is 0.0.0.0 (not "
				 "connected?): not usable");
		else if (!natcheck_is_global_ipv4(a.external_ipv4))
			snprintf(r->natpmp_note, sizeof(r->natpmp_note),
				 "its external address %s is not global "
				 "(another NAT beyond it?): not usable",
				 ip);
		r->natpmp_ext = a.external_ipv4;
		return;
	}
	if (d->len >= 1 && d->buf[0] == PCP_VERSION && !r->pcp_done) {
		struct pcp_msg m;

		r->pcp_done = true;
		if (pcp_read(d->buf, d->len, &m) != 0 || !m.is_response ||
		    m.opcode != PCP_OP_ANNOUNCE) {
			snprintf(r->pcp_note, sizeof(r->pcp_note),
				 "the router answered garbage (%zu bytes)",
				 d->len);
			return;
		}
		r->pcp = m.result == PCP_SUCCESS;
		if (!r->pcp)
			snprintf(r->pcp_note, sizeof(r->pcp_note),
				 "the router refused: %s",
				 pcp_result_name(m.result));
		return;
	}
	r->garbage++;
}

/*
 * Sends a STUN Binding request from sock0 asking the server to answer to
 * port `port` of our mapped address (RFC 5780 RESPONSE-PORT), up to
 * `tries` times 250 ms; true when the answer arrives on fd.
 */
static bool
response_port_arrives(int fd, int sock0, const struct natcheck_cfg *cfg,
		      uint16_t port, uint8_t tag, unsigned tries)
{
	struct stun_msg m;
	uint8_t buf[128];
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.type = STUN_BINDING_REQUEST;
	memcpy(m.txid, cfg->txid_base, sizeof(m.txid));
	m.txid[0] ^= tag;
	m.has_response_port = true;
	m.response_port = port;
	m.has_fingerprint = true;
	if (stun_write(&m, buf, sizeof(buf), &len) != 0)
		return false;
	for (unsigned i = 0; i < tries; i++) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint8_t in[600];
		struct udp_dgram v = {.buf = in, .cap = sizeof(in)};
		struct stun_msg a;
		size_t n = 0;

		send_lossy(sock0, buf, len, cfg->stun[0].ipv4,
			   cfg->stun[0].port);
		if (fd_poll(&pf, 1, 250) <= 0 ||
		    udp_recv_batch(fd, &v, 1, &n) < 0 || n == 0)
			continue;
		if (stun_read(in, v.len, &a) == 0 &&
		    memcmp(a.txid, m.txid, sizeof(a.txid)) == 0)
			return true;
	}
	return false;
}

/*
 * The mapping test: a UDP mapping of a fresh socket's port (UPnP IGD, else
 * NAT-PMP), a STUN Binding request from sock0 with RESPONSE-PORT set to
 * the mapped port, so that the server's answer comes from outside to the
 * mapping (RFC 5780 §7.5), after a control request sent before the
 * mapping existed went unanswered; then the mapping is removed (and, for
 * UPnP, looked up again).  Bounded: about 1 s plus the router's exchanges.
 */
static void
mapping_test(struct natcheck_findings *f, const struct natcheck_cfg *cfg,
	     int sock0, const struct portmap_upnp *up, uint32_t gw)
{
	uint32_t unused;
	uint16_t lport = 0, got_port = 0;
	uint32_t life = 0;
	int fd = -1, res = 0, rc;
	bool exists = true, open_already;

	f->map_added = f->map_reachable = f->map_removed = NATCHECK_NOT_KNOWN;
	if (udp_open(cfg->local_ipv4, 0, &fd) < 0 ||
	    udp_local(fd, &unused, &lport) < 0) {
		udp_close(fd);
		return;
	}
	/*
	 * The control: before the mapping exists, an answer to this port must
	 * not arrive (else reachability would prove nothing: no NAT there).
	 */
	open_already = !cfg->teredo &&
		       response_port_arrives(fd, sock0, cfg, lport, 0x5a, 1);
	if (up != NULL) {
		f->map_proto = "upnp";
		rc = portmap_upnp_add(up, "UDP", lport, lport, 60,
				      "shipworm natcheck");
		if (rc == PORTMAP_UPNP_ONLY_PERMANENT ||
		    rc == PORTMAP_UPNP_INVALID_ARGS)
			rc = portmap_upnp_add(up, "UDP", lport, lport, 0,
					      "shipworm natcheck");
		got_port = lport;
	} else {
		f->map_proto = "natpmp";
		rc = portmap_natpmp_map(gw, false, lport, lport, 60, 1500,
					&got_port, &life, &res);
	}
	f->map_added = rc == 0 && got_port != 0 ? NATCHECK_YES : NATCHECK_NO;
	if (f->map_added == NATCHECK_YES && !cfg->teredo && !open_already) {
		f->map_reachable =
			response_port_arrives(fd, sock0, cfg, got_port, 0xa5, 4)
				? NATCHECK_YES
				: NATCHECK_NO;
	}
	if (f->map_added == NATCHECK_YES) {
		if (up != NULL) {
			rc = portmap_upnp_delete(up, "UDP", lport);
			if (rc == 0 &&
			    portmap_upnp_exists(up, "UDP", lport, &exists) == 0)
				rc = exists ? -EEXIST : 0;
		} else {
			rc = portmap_natpmp_map(gw, false, lport, 0, 0, 1500,
						&got_port, &life, &res);
		}
		f->map_removed = rc == 0 ? NATCHECK_YES : NATCHECK_NO;
	}
	udp_close(fd);
}

/* A STUN Binding over IPv6 (RFC 5389): reachability, and what it saw. */
static enum natcheck_tri
ipv6_probe(const char *server, const uint8_t *txid_base, char *seen, size_t cap)
{
	struct stun_msg m, a;
	uint8_t buf[128], in[600];
	size_t len = 0, n = 0;

	memset(&m, 0, sizeof(m));
	m.type = STUN_BINDING_REQUEST;
	memcpy(m.txid, txid_base, sizeof(m.txid));
	m.txid[1] ^= 0x66;
	m.has_fingerprint = true;
	if (stun_write(&m, buf, sizeof(buf), &len) != 0 ||
	    netinfo_udp6_exchange(server, STUN_PORT, buf, len, in, sizeof(in),
				  &n, 1000) != 0 ||
	    stun_read(in, n, &a) != 0 ||
	    memcmp(a.txid, m.txid, sizeof(a.txid)) != 0 || !a.has_xor_mapped ||
	    a.xor_mapped.family != STUN_FAMILY_IPV6)
		return NATCHECK_NO;
	netinfo_ipv6_format(a.xor_mapped.ip, seen, cap);
	return NATCHECK_YES;
}

static void
progress(bool on, unsigned pct)
{
	if (on)
		fprintf(stderr,
			"\rnatcheck: probing STUN, router, IPv6 ... %3u%%",
			pct);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"stun", required_argument, NULL, 'S'},
		{"stun6", required_argument, NULL, '6'},
		{"server", required_argument, NULL, 'T'},
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"no-portmap", no_argument, NULL, 'n'},
		{"budget", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"map-tcp", required_argument, NULL, 'M'},
		{"lease", required_argument, NULL, 'L'},
		{"hold", required_argument, NULL, 'H'},
		{"record", required_argument, NULL, 'R'},
		{"unmap-stale", required_argument, NULL, 'U'},
		{"renew", required_argument, NULL, 'W'},
		{"proto", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static char report[65536];
	const char *stun_arg[2] = {NULL, NULL}, *server_arg = NULL;
	const char *conf_path = DEFAULT_CONF, *ctl_path = DEFAULT_CTL;
	const char *gw_arg = NULL, *stun6_arg = NULL;
	struct portmap_cli pm = {.lease_s = 3600, .hold_s = 0};
	bool json = false, quiet = false, no_portmap = false;
	unsigned nstun = 0, budget = 3000;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:s:qjhV", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'S':
			if (nstun == 2) {
				fprintf(stderr,
					"natcheck: at most two --stun\n");
				return 2;
			}
			stun_arg[nstun++] = optarg;
			break;
		case 'T':
			server_arg = optarg;
			break;
		case '6':
			stun6_arg = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			ctl_path = optarg;
			break;
		case 'g':
			gw_arg = optarg;
			break;
		case 'n':
			no_portmap = true;
			break;
		case 'b':
			budget = (unsigned)strtoul(optarg, NULL, 10);
			if (budget < 500 || budget > 30000)
				return usage(stderr, 2);
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'M':
			pm.int_port = (uint16_t)strtoul(optarg, NULL, 10);
			pm.map = true;
			break;
		case 'L':
			pm.lease_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			pm.hold_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			pm.record = optarg;
			break;
		case 'U':
			pm.stale = optarg;
			break;
		case 'W':
			pm.renew_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			pm.proto = strcmp(optarg, "upnp") == 0 ? PORTMAP_UPNP
				   : strcmp(optarg, "natpmp") == 0
					   ? PORTMAP_NATPMP
				   : strcmp(optarg, "pcp") == 0 ? PORTMAP_PCP
								: -1;
			if (pm.proto < 0)
				return usage(stderr, 2);
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("natcheck (Shipworm) %s\n", SHIPWORM_VERSION);
			return 0;
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);

	uint32_t gw = 0;

	if (gw_arg != NULL) {
		uint16_t unused;

		if (netinfo_resolve4(gw_arg, 0, &gw, &unused) < 0) {
			fprintf(stderr, "natcheck: bad --gateway %s\n", gw_arg);
			return 2;
		}
	} else if (netinfo_default_gateway(&gw) < 0) {
		gw = 0;
	}
	if (pm.map || pm.stale != NULL)
		return portmap_cli_run(&pm, gw);

	/*
	 * Sources of truth: the STUN servers (--stun: RFC 5780 when the
	 * first has two addresses), else the Teredo server (--server, else
	 * ServerAddress/ServerAddress2 of the configuration): Router
	 * Solicitations to both addresses, the cone RS and the port probe.
	 */
	struct natcheck_cfg cfg;
	static char conftext[65536];
	static struct teredo_client_conf tc;
	const char *server2 = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget_ms = budget;
	if (nstun == 0) {
		size_t len = 0;

		if (server_arg == NULL &&
		    path_read(conf_path, conftext, sizeof(conftext) - 1,
			      &len) == 0 &&
		    conf_client_parse(conftext, len, conf_path, &tc, NULL, 0) ==
			    0 &&
		    tc.server_address[0] != '\0') {
			server_arg = tc.server_address;
			if (tc.server_address2[0] != '\0')
				server2 = tc.server_address2;
		}
		if (server_arg == NULL) {
			fprintf(stderr,
				"natcheck: no STUN server (--stun) and no "
				"Teredo server (--server, or ServerAddress "
				"in %s)\n",
				conf_path);
			return 2;
		}
		cfg.teredo = true;
		stun_arg[0] = server_arg;
		if (netinfo_resolve4(server_arg, TEREDO_PORT, &cfg.stun[0].ipv4,
				     &cfg.stun[0].port) < 0 ||
		    (server2 != NULL &&
		     netinfo_resolve4(server2, TEREDO_PORT, &cfg.stun[1].ipv4,
				      &cfg.stun[1].port) < 0)) {
			fprintf(stderr, "natcheck: cannot resolve %s\n",
				server_arg);
			return 2;
		}
		/* RFC 4380 §5.2: the secondary is the next address. */
		if (server2 == NULL)
			cfg.stun[1] = (struct natcheck_endpoint){
				cfg.stun[0].ipv4 + 1, cfg.stun[0].port};
	}
	for (unsigned i = 0; i < nstun; i++) {
		if (netinfo_resolve4(stun_arg[i], STUN_PORT, &cfg.stun[i].ipv4,
				     &cfg.stun[i].port) < 0) {
			fprintf(stderr, "natcheck: cannot resolve %s\n",
				stun_arg[i]);
			return 2;
		}
	}
	rc = netinfo_route_src(cfg.stun[0].ipv4, &cfg.local_ipv4);
	if (rc < 0) {
		fprintf(stderr, "natcheck: no route to %s: %s\n", stun_arg[0],
			strerror(-rc));
		return 1;
	}
	if ((rc = rand_bytes(cfg.txid_base, sizeof(cfg.txid_base))) < 0) {
		fprintf(stderr, "natcheck: getrandom: %s\n", strerror(-rc));
		return 1;
	}

	int fds[NATCHECK_SOCKS];

	for (unsigned i = 0; i < NATCHECK_SOCKS; i++) {
		uint32_t unused;

		if ((rc = udp_open(cfg.local_ipv4, 0, &fds[i])) < 0 ||
		    (rc = udp_local(fds[i], &unused, &cfg.local_port[i])) < 0) {
			fprintf(stderr, "natcheck: UDP socket: %s\n",
				strerror(-rc));
			return 1;
		}
	}

	struct router_probe rp = {
		.fd = -1, .gw = gw, .local = cfg.local_ipv4, .rto_ms = 250};
	struct portmap_upnp_job *job = NULL;
	uint64_t start = sys_now_ms();

	if (!no_portmap && gw != 0) {
		if (udp_open(0, 0, &rp.fd) < 0)
			rp.fd = -1;
		rp.end_ms = start + ROUTER_WAIT_MS;
		if (portmap_upnp_start(UPNP_WAIT_MS, &job) < 0)
			job = NULL;
	}
	if (rp.fd < 0)
		rp.natpmp_done = rp.pcp_done = true;

	struct natcheck nc;
	bool show = !quiet && !json && isatty(2);

	natcheck_start(&nc, &cfg, start);
	/* Bounded: one turn per datagram or deadline, within the budget. */
	for (unsigned turn = 0; turn < 100000; turn++) {
		uint64_t now = sys_now_ms();
		struct natcheck_tx tx[NC_PROBES];
		size_t n = natcheck_poll(&nc, now, tx, NC_PROBES);
		bool router_busy = rp.fd >= 0 &&
				   !(rp.natpmp_done && rp.pcp_done) &&
				   now < rp.end_ms;

		for (size_t i = 0; i < n; i++)
			send_lossy(fds[tx[i].sock], tx[i].buf, tx[i].len,
				   tx[i].dst.ipv4, tx[i].dst.port);
		if (router_busy && now >= rp.next_ms)
			router_send(&rp, now);
		progress(show, natcheck_progress(&nc, now));
		if (natcheck_is_done(&nc, now) && !router_busy &&
		    (job == NULL || portmap_upnp_is_done(job) ||
		     now >= start + UPNP_WAIT_MS + 1500))
			break;

		uint64_t d = natcheck_deadline(&nc, now);

		if (router_busy && rp.next_ms < d)
			d = rp.next_ms;
		if (router_busy && rp.end_ms < d)
			d = rp.end_ms;
		if (natcheck_is_done(&nc, now))
			d = now + 20; /* waiting for the router or UPnP */
		struct pollfd pf[NATCHECK_SOCKS + 1];

		for (unsigned i = 0; i < NATCHECK_SOCKS; i++)
			pf[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		pf[NATCHECK_SOCKS] =
			(struct pollfd){.fd = rp.fd, .events = POLLIN};
		if (fd_poll(pf, ARRAY_SIZE(pf), d > now ? (int)(d - now) : 0) <=
		    0)
			continue;
		for (unsigned i = 0; i < ARRAY_SIZE(pf); i++) {
			uint8_t bufs[8][600];
			struct udp_dgram v[8];
			size_t got = 0;

			if (pf[i].fd < 0 || !(pf[i].revents & POLLIN))
				continue;
			for (unsigned k = 0; k < ARRAY_SIZE(v); k++)
				v[k] = (struct udp_dgram){
					.buf = bufs[k], .cap = sizeof(bufs[k])};
			if (udp_recv_batch(pf[i].fd, v, ARRAY_SIZE(v), &got) <
			    0)
				continue;
			now = sys_now_ms();
			for (size_t k = 0; k < got; k++) {
				struct natcheck_endpoint src = {v[k].peer_ipv4,
								v[k].peer_port};

				if (v[k].is_truncated)
					continue;
				if (i == NATCHECK_SOCKS)
					router_input(&rp, &v[k]);
				else
					natcheck_on_udp(&nc, i, src, v[k].buf,
							v[k].len, now);
			}
		}
	}
	if (show)
		fprintf(stderr, "\r%60s\r", "");

	struct natcheck_findings f;
	struct portmap_upnp up;
	char tstate[64], v6[64];

	natcheck_findings(&nc, &f);
	if (rp.fd >= 0) {
		if (!rp.natpmp_done)
			snprintf(rp.natpmp_note, sizeof(rp.natpmp_note),
				 "no answer from the router within %u ms",
				 ROUTER_WAIT_MS);
		if (!rp.pcp_done)
			snprintf(rp.pcp_note, sizeof(rp.pcp_note),
				 "no answer from the router within %u ms",
				 ROUTER_WAIT_MS);
		f.natpmp = rp.natpmp;
		f.natpmp_external = rp.natpmp_ext;
		f.natpmp_note = rp.natpmp_note[0] ? rp.natpmp_note : NULL;
		f.pcp = rp.pcp;
		f.pcp_note = rp.pcp_note[0] ? rp.pcp_note : NULL;
	}
	static char upnp_note[160];

	if (job != NULL) {
		rc = portmap_upnp_finish(job, 100, &up);
		if (rc == 0) {
			f.upnp = true;
			f.upnp_connected = up.connected;
			f.upnp_external = up.external_ipv4;
			portmap_external_note(up.external_ipv4,
					      up.external_garbage, up.connected,
					      upnp_note, sizeof(upnp_note));
		} else if (rc == -ETIMEDOUT) {
			snprintf(upnp_note, sizeof(upnp_note),
				 "no UPnP IGD answered within "
				 "%u ms",
				 UPNP_WAIT_MS + 1500);
		}
		f.upnp_note = upnp_note[0] ? upnp_note : NULL;
	}
	/* A mapping helps only with a global address the outside sees. */
	f.portmap_global = !natcheck_is_double_nat(&f) &&
			   ((f.upnp && portmap_external_ok(f.upnp_external,
							   cfg.local_ipv4)) ||
			    (f.natpmp && portmap_external_ok(f.natpmp_external,
							     cfg.local_ipv4)));
	/* A mapping can be added, is reachable from outside, is removed. */
	if (!no_portmap && f.portmap_global && f.udp) {
		bool by_upnp = f.upnp && portmap_external_ok(f.upnp_external,
							     cfg.local_ipv4);

		progress(show, 99);
		mapping_test(&f, &cfg, fds[0], by_upnp ? &up : NULL, gw);
		if (show)
			fprintf(stderr, "\r%60s\r", "");
	}
	f.ipv6_global = netinfo_ipv6_global(v6, sizeof(v6)) == 0;
	f.ipv6_address = f.ipv6_global ? v6 : NULL;
	static char v6seen[64];

	if (f.ipv6_global && stun6_arg != NULL)
		f.ipv6_reachable = ipv6_probe(stun6_arg, cfg.txid_base, v6seen,
					      sizeof(v6seen));
	f.ipv6_mapped = v6seen[0] ? v6seen : NULL;
	f.teredo_state = teredo_state(ctl_path, tstate, sizeof(tstate));

	if ((rc = natcheck_report(&f, json, report, sizeof(report))) < 0) {
		fprintf(stderr, "natcheck: report: %s\n", strerror(-rc));
		return 1;
	}
	fputs(report, stdout);
	if (!json)
		printf("\n(%llu ms; %s %s%s%s)\n",
		       (unsigned long long)(sys_now_ms() - start),
		       cfg.teredo ? "Teredo server" : "STUN", stun_arg[0],
		       nstun > 1 ? ", " : "", nstun > 1 ? stun_arg[1] : "");
	for (unsigned i = 0; i < NATCHECK_SOCKS; i++)
		udp_close(fds[i]);
	udp_close(rp.fd);
	return 0;
}
