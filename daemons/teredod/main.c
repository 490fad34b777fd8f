/*
 * teredod: a Teredo client (RFC 4380 §5.2, RFC 5991, RFC 6081 Symmetric
 * NAT Support), drop-in for miredo: same configuration file, same command
 * line.
 *
 * Composition: lib/teredo/client decides; this file moves bytes between
 * it and the kernel (a UDP socket, a TUN device) and answers teredoctl on
 * the control socket.  The address and routes are set by the privileged
 * parent on the engine's request (privsep.h): this process, the engine,
 * parses packets with no capability.
 *
 *   UDP socket ──datagrams──> teredo_client_on_udp ──deliver──> TUN
 *   TUN ──IPv6 packets──────> teredo_client_on_tun ──send_udp─> UDP socket
 *   timer (teredo_client_deadline) ──> teredo_client_on_timer
 */
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "../common/cli.h"
#include "conf/conf.h"
#include "sys/ctl.h"
#include "sys/ipc.h"
#include "sys/ev.h"
#include "sys/log.h"
#include "sys/rand.h"
#include "sys/rtnl.h"
#include "sys/tun.h"
#include "sys/udp.h"
#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/report.h"

#include "datapath.h"
#include "privsep.h"
#include "randport.h"
#include "ready.h"
#include "state.h"
#include "upnp.h"

#define DEFAULT_CONF "/etc/miredo/miredo.conf"
#define TUN_BURST 64 /* packets read from the TUN per loop turn */
/* RFC 4380 §5.5: Teredo only when nothing else reaches IPv6 (Miredo's). */
#define LAST_RESORT_METRIC 1029
#define SOCKET_BUFFER (4 << 20) /* room for a peer's sendmmsg() bursts */
#define HELD_ROUTES 256		/* known clients routed while withdrawn */

struct teredod {
	struct teredo_client_conf conf;
	struct teredo_client client;
	struct teredo_peer *peers;
	struct ev_loop *loop;
	struct ev_timer timer;
	int udp_fd, tun_fd;
	char ifname[TUN_NAME_MAX];
	bool have_addr;
	struct ip6_addr addr;
	/* The send queue, receive buffers and offloads (datapath.h). */
	struct datapath dp;
	struct teredo_client_config cfg;
	struct privsep ps; /* the channel to the privileged parent */
	uint32_t ifindex;
	struct ready ready;	    /* what systemd was told (ready.h) */
	struct teredod_state state; /* the address across restarts (state.h) */
	struct teredo_upnp upnp;    /* the RFC 6081 reservation (upnp.h) */
	int upnp_hold;		    /* open while it must live */
	/* Relay, prefix withdrawn: host routes that keep the known clients
	 * reachable (issue 11 A2). */
	struct ip6_addr held[HELD_ROUTES];
	size_t nheld;
	struct randports rports; /* RFC 6081 PP / SS (randport.h) */
};

/* Asks the privileged parent (privsep.h) for one change on the tunnel. */
static int
ask(struct teredod *d, enum privsep_type type, const uint8_t addr[static 16],
    uint8_t prefix_len, uint32_t metric)
{
	struct privsep_msg m = {.type = type,
				.ifindex = d->ifindex,
				.prefix_len = prefix_len,
				.metric = metric};

	memcpy(m.addr, addr, sizeof(m.addr));
	return privsep_request(&d->ps, &m);
}

static void
io_send_udp(void *ctx, uint32_t dst_ipv4, uint16_t dst_port, const uint8_t *buf,
	    size_t len)
{
	struct teredod *d = ctx;

	datapath_send_udp(&d->dp, dst_ipv4, dst_port, buf, len);
}

static int
io_open_port(void *ctx, uint16_t *port)
{
	struct teredod *d = ctx;

	return randports_open(&d->rports, port);
}

static void
io_close_port(void *ctx, uint16_t port)
{
	struct teredod *d = ctx;

	randports_close(&d->rports, port);
}

static void
io_send_udp_from(void *ctx, uint16_t src_port, uint32_t dst_ipv4,
		 uint16_t dst_port, const uint8_t *buf, size_t len)
{
	struct teredod *d = ctx;

	randports_send(&d->rports, src_port, dst_ipv4, dst_port, buf, len);
}

static void
io_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	struct teredod *d = ctx;

	datapath_deliver(&d->dp, ip6, len);
}

/* The address lives on the TUN device as /32, as Miredo does: the kernel
 * then routes 2001::/32 through the tunnel. */
static void
io_address(void *ctx, const struct ip6_addr *addr)
{
	static const struct ip6_addr any;
	struct teredod *d = ctx;
	char text[IP6_ADDR_TEXT_LEN];
	int rc;

	if (d->have_addr &&
	    (rc = ask(d, PRIVSEP_ROUTE_DEL, any.bytes, 0, LAST_RESORT_METRIC)) <
		    0 &&
	    rc != -ESRCH)
		log_warn(rc, "cannot remove the default route");
	if (d->have_addr &&
	    (rc = ask(d, PRIVSEP_ADDR_DEL, d->addr.bytes, 32, 0)) < 0)
		log_warn(rc, "cannot remove the old address");
	d->have_addr = false;
	if (addr == NULL) {
		log_info("no Teredo address");
		return;
	}
	ip6_addr_format(addr, text);
	if ((rc = ask(d, PRIVSEP_ADDR_ADD, addr->bytes, 32, 0)) < 0) {
		log_err(rc, "cannot add %s to %s", text, d->ifname);
		return;
	}
	d->have_addr = true;
	d->addr = *addr;
	log_info("address %s on %s", text, d->ifname);
	state_save(&d->state, addr);
	/*
	 * Native IPv6 destinations through the tunnel too (RFC 4380 §5.2.9,
	 * relays): a default route that any other IPv6 connectivity beats
	 * (RFC 4380 §5.5: Teredo is the last resort; Miredo's metric).
	 */
	if ((rc = ask(d, PRIVSEP_ROUTE_ADD, any.bytes, 0, LAST_RESORT_METRIC)) <
		    0 &&
	    rc != -EEXIST)
		log_warn(rc, "cannot add the default route through %s",
			 d->ifname);
}

static void
io_log(void *ctx, const char *msg)
{
	(void)ctx;
	log_info("%s", msg);
}

static void
io_random(void *ctx, void *buf, size_t n)
{
	int rc;

	(void)ctx;
	/* Without a CSPRNG there is no safe nonce: stop (RFC 5991 §4). */
	if ((rc = rand_bytes(buf, n)) < 0) {
		log_err(rc, "getrandom");
		abort();
	}
}

static void
rx_one(void *arg, const uint8_t *buf, size_t len, uint32_t src_ipv4,
       uint16_t src_port, uint32_t local_ipv4)
{
	struct teredod *d = arg;

	teredo_client_on_udp(&d->client, ev_now_ms(d->loop), buf, len, src_ipv4,
			     src_port, local_ipv4);
}

static void
on_udp(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct teredod *d = arg;
	int rc;

	(void)loop;
	(void)fd;
	(void)events;
	if ((rc = datapath_udp_input(&d->dp, rx_one, d)) < 0)
		log_warn(rc, "receive");
}

static void
tun_one(void *arg, const uint8_t *ip6, size_t len)
{
	struct teredod *d = arg;

	teredo_client_on_tun(&d->client, ev_now_ms(d->loop), ip6, len);
}

static void
on_tun(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct teredod *d = arg;

	(void)loop;
	(void)fd;
	(void)events;
	datapath_tun_input(&d->dp, TUN_BURST, tun_one, d);
}

static void
on_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct teredod *d = arg;

	(void)t;
	teredo_client_on_timer(&d->client, ev_now_ms(loop));
}

/*
 * After every turn: what the turn queued goes out, and the state machine's
 * next deadline becomes the timer.
 */
static void
before_sleep(struct ev_loop *loop, void *arg)
{
	struct teredod *d = arg;
	uint64_t when;

	datapath_flush(&d->dp);
	ready_update(&d->ready, &d->client, d->conf.server_address);
	when = teredo_client_deadline(&d->client);

	if (when == UINT64_MAX)
		ev_timer_cancel(loop, &d->timer);
	else if (ev_timer_arm(loop, &d->timer, when) < 0)
		log_warn(-ENOMEM, "timer");
}

static size_t
on_control(const char *request, char *out, size_t cap, void *arg)
{
	struct teredod *d = arg;
	bool json = strstr(request, "--json") != NULL;
	struct teredo_report_info info = {
		.type = conf_relay_type_name(d->conf.relay_type),
		.server_name = d->conf.server_address,
		.configured_port = d->conf.bind_port,
		.upnp = d->client.upnp.enabled,
		.now_ms = ev_now_ms(d->loop),
	};
	/* The data path's own counters (daemons/teredod/datapath.h). */
	const struct teredo_report_counter extra[] = {
		{"udp-received", d->dp.udp_received},
		{"udp-truncated", d->dp.udp_truncated},
		{"udp-send-errors", d->dp.send_errors},
		{"tun-errors", d->dp.tun_errors},
		{"offload-udp-gso-sends", d->dp.gso_sends},
		{"offload-udp-gro-trains", d->dp.gro_trains},
		{"offload-tun-super-packets", d->dp.tun_supers},
	};
	int rc;

	if (strncmp(request, "show state", 10) == 0)
		rc = teredo_report_state(&d->client, &info, json, out, cap);
	else if (strncmp(request, "show peers", 10) == 0)
		rc = teredo_report_peers(&d->client, &info, json, out, cap);
	else if (strncmp(request, "stats", 5) == 0)
		rc = teredo_report_client_stats(
			&d->client, extra, ARRAY_SIZE(extra), json, out, cap);
	else
		rc = -ENOENT;
	return daemon_ctl_answer(rc, request, "show state, show peers, stats",
				 out, cap);
}

/* ServerAddress may be a name: resolved once at start (IPv4 only). */
static int
resolve(const char *name, uint32_t *ipv4)
{
	struct addrinfo hints = {.ai_family = AF_INET,
				 .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	if (rc != 0) {
		log_err(0, "cannot resolve %s: %s", name, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	*ipv4 = ntohl(
		((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

static int
load_conf(const struct daemon_cli *cli, struct teredo_client_conf *conf)
{
	char err[CONF_ERR_LEN];
	const char *text;
	size_t len;
	int rc;

	if ((rc = daemon_read_conf(cli, &text, &len)) < 0)
		return rc;
	if ((rc = conf_client_parse(text, len, cli->conf_path, conf, err,
				    sizeof(err))) < 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* The conf's Teredo prefix (2001::/32), as an address. */
static struct ip6_addr
teredo_prefix(const struct teredod *d)
{
	struct ip6_addr prefix = {{0}};

	prefix.bytes[0] = (uint8_t)(d->conf.prefix >> 24);
	prefix.bytes[1] = (uint8_t)(d->conf.prefix >> 16);
	prefix.bytes[2] = (uint8_t)(d->conf.prefix >> 8);
	prefix.bytes[3] = (uint8_t)d->conf.prefix;
	return prefix;
}

static int
add_relay_route(struct teredod *d)
{
	struct ip6_addr prefix = teredo_prefix(d);
	int rc;

	if ((rc = rtnl_route6_add(d->ifname, prefix.bytes, 32, 0)) < 0 &&
	    rc != -EEXIST) {
		log_err(rc, "cannot route the Teredo prefix through %s",
			d->ifname);
		return rc;
	}
	return 0;
}

/* R8: the relay core withdraws the prefix under overload, and brings it
 * back after a hold-down (lib/teredo/client.c relay_count_overload). */
static void
io_advertise(void *ctx, bool on)
{
	struct teredod *d = ctx;
	struct ip6_addr prefix = teredo_prefix(d);
	char text[IP6_ADDR_TEXT_LEN];
	int rc;

	ip6_addr_format(&prefix, text);
	if (on) {
		if ((rc = ask(d, PRIVSEP_ROUTE_ADD, prefix.bytes, 32, 0)) < 0 &&
		    rc != -EEXIST)
			log_warn(rc, "cannot route %s/32 again", text);
		else
			log_info("route %s/32 through %s again", text,
				 d->ifname);
		for (size_t i = 0; i < d->nheld; i++)
			if ((rc = ask(d, PRIVSEP_ROUTE_DEL, d->held[i].bytes,
				      128, 0)) < 0 &&
			    rc != -ESRCH)
				log_warn(rc, "cannot remove a client's route");
		d->nheld = 0;
		return;
	}
	/*
	 * Issue 11 A2: new clients go to other relays, but the clients the
	 * relay already serves keep working: a host route each (the most
	 * recently used HELD_ROUTES trusted ones), before the prefix goes.
	 */
	d->nheld = teredo_peers_recent_trusted(&d->client.peers, d->held,
					       HELD_ROUTES);
	for (size_t i = 0; i < d->nheld; i++)
		if ((rc = ask(d, PRIVSEP_ROUTE_ADD, d->held[i].bytes, 128, 0)) <
			    0 &&
		    rc != -EEXIST)
			log_warn(rc, "cannot keep a client's route");
	if ((rc = ask(d, PRIVSEP_ROUTE_DEL, prefix.bytes, 32, 0)) < 0 &&
	    rc != -ESRCH)
		log_warn(rc, "cannot withdraw %s/32", text);
	else
		log_warn(0,
			 "route %s/32 withdrawn: overloaded; %zu known "
			 "clients keep a host route",
			 text, d->nheld);
}

/*
 * Everything that needs root, before the fork: the sockets, the TUN device
 * and its configuration, the relay's prefix route.
 */
static int
setup_privileged(struct teredod *d)
{
	struct teredo_client_config *cfg = &d->cfg;
	uint32_t local_ipv4;
	int rc;

	*cfg = (struct teredo_client_config){
		.refresh_ms = d->conf.refresh_interval_s * 1000,
		.symmetric_nat_support = d->conf.symmetric_nat_support,
		.nat_probes = true,
		.relay = conf_client_is_relay(&d->conf),
		.relay_restricted = d->conf.relay_type == CONF_RELAY_RESTRICTED,
	};
	if (!cfg->relay &&
	    (rc = resolve(d->conf.server_address, &cfg->server_ipv4)) < 0)
		return rc;
	if (!cfg->relay && d->conf.server_address2[0] != '\0' &&
	    (rc = resolve(d->conf.server_address2, &cfg->server2_ipv4)) < 0)
		return rc;
	if ((rc = udp_open(d->conf.bind_ipv4, d->conf.bind_port, &d->udp_fd)) <
	    0) {
		log_err(rc, "cannot bind the service port");
		return rc;
	}
	if ((rc = udp_local(d->udp_fd, &local_ipv4, &cfg->local_port)) < 0)
		return rc;
	cfg->relay_ipv4 = local_ipv4;
	if ((rc = udp_set_buffers(d->udp_fd, SOCKET_BUFFER)) < 0)
		log_warn(rc, "socket buffers stay at the system default");
	d->dp.udp_fd = d->udp_fd;
	datapath_setup_udp(&d->dp);
	rc = datapath_open_tun(&d->dp, d->conf.interface_name, d->ifname);
	d->tun_fd = d->dp.tun_fd;
	if (rc < 0) {
		log_err(rc, "failed to open the tunnel adapter %s",
			d->conf.interface_name);
		return rc;
	}
	/* No SLAAC or link-local on the tunnel: its one address is ours. */
	if ((rc = rtnl_link_addrgen_none(d->ifname)) < 0 ||
	    (rc = rtnl_ipv6_no_autoconf(d->ifname)) < 0 ||
	    (rc = rtnl_link_up(d->ifname,
			       cfg->relay ? d->conf.mtu : IP6_MIN_MTU)) < 0 ||
	    (rc = ipc_ifindex(d->ifname, &d->ifindex)) < 0) {
		log_err(rc, "cannot configure %s", d->ifname);
		return rc;
	}
	/*
	 * RFC 4380 §5.4: a relay advertises the Teredo prefix into native
	 * IPv6 routing; here, a route for the host, which forwards (the
	 * administrator enables net.ipv6.conf.all.forwarding, as for
	 * Miredo) and whose routing protocol may carry it further.
	 */
	if (cfg->relay && (rc = add_relay_route(d)) < 0)
		return rc;
	return 0;
}

/* The engine, after the fork: the state machine and the loop. */
static int
setup_engine(struct teredod *d)
{
	struct teredo_client_io io = {
		.send_udp = io_send_udp,
		.deliver = io_deliver,
		.address = io_address,
		.log = io_log,
		.random = io_random,
		.advertise = io_advertise,
		.open_port = io_open_port,
		.close_port = io_close_port,
		.send_udp_from = io_send_udp_from,
		.ctx = d,
	};
	int rc;

	if ((d->peers = calloc(d->conf.max_peers, sizeof(*d->peers))) == NULL)
		return -ENOMEM;
	if ((rc = teredo_client_init(&d->client, &d->cfg, &io, d->peers,
				     d->conf.max_peers)) < 0) {
		log_err(rc, "the Teredo server addresses must be global "
			    "unicast");
		return rc;
	}
	d->client.upnp = d->upnp;
	randports_init(&d->rports, d->loop, &d->client, d->conf.bind_ipv4);
	state_restore(&d->state, d->ifname, &d->client);
	ev_timer_init(&d->timer, on_timer, d);
	ev_set_before_sleep(d->loop, before_sleep, d);
	if ((rc = ev_fd_add(d->loop, d->udp_fd, EV_READ, on_udp, d)) < 0 ||
	    (rc = ev_fd_add(d->loop, d->tun_fd, EV_READ, on_tun, d)) < 0 ||
	    (rc = ev_signal(d->loop, SIGTERM, daemon_on_signal, d)) < 0 ||
	    (rc = ev_signal(d->loop, SIGINT, daemon_on_signal, d)) < 0)
		return rc;
	if (d->cfg.relay)
		log_info("Teredo relay (%s) on %s, service port %u",
			 conf_relay_type_name(d->conf.relay_type), d->ifname,
			 d->cfg.local_port);
	else
		log_info("client of %s on %s, service port %u",
			 d->conf.server_address, d->ifname, d->cfg.local_port);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct teredod d = {.udp_fd = -1,
				   .tun_fd = -1,
				   .state = {.fd = -1},
				   .upnp_hold = -1};
	struct ctl_server *ctl = NULL;
	struct daemon_cli cli;
	bool is_engine = false;
	int rc;

	if ((rc = daemon_cli_parse(&cli, argc, argv, DEFAULT_CONF, "")) >= 0)
		return rc;
	if (load_conf(&cli, &d.conf) < 0)
		return 1;
	if (cli.check) {
		static char text[CONF_FILE_MAX];

		return daemon_print_conf(
			conf_client_format(&d.conf, text, sizeof(text)), text);
	}
	if (daemon_resolve_user(&cli) < 0)
		return 1;
	if ((rc = daemon_start(&cli)) < 0) {
		fprintf(stderr, "%s: cannot start: %s\n", cli.prog,
			strerror(-rc));
		return 1;
	}
	if ((rc = setup_privileged(&d)) < 0)
		goto out;
	/* Q12, before qualification; held by parent and engine alike. */
	teredod_upnp_reserve(d.ifname, cli.user, d.cfg.local_port,
			     d.cfg.symmetric_nat_support, d.cfg.relay, &d.upnp,
			     &d.upnp_hold);
	{
		const struct privsep_policy policy = {
			.ifindex = d.ifindex,
			.prefix = d.conf.prefix,
			.relay = d.cfg.relay,
			.default_metric = LAST_RESORT_METRIC,
		};

		rc = privsep_start(&d.ps, &cli, &policy, d.ifname, d.cfg.relay,
				   &is_engine);
	}
	if (rc < 0) {
		log_err(rc, "cannot start the engine");
		goto out;
	}
	if (!is_engine) {
		/* The parent has run and its engine has ended. */
		tun_close(d.tun_fd);
		udp_close(d.udp_fd);
		daemon_exit(&cli);
		return rc;
	}
	/* The engine: still root until privsep_engine_lockdown(). */
	if ((rc = ev_open(&d.loop)) < 0 || (rc = setup_engine(&d)) < 0)
		goto out;
	if ((rc = daemon_socket_dir(d.conf.control_socket)) < 0 ||
	    (rc = ctl_server_open(d.loop, d.conf.control_socket, 0660,
				  on_control, &d, &ctl)) < 0) {
		log_err(rc, "control socket %s", d.conf.control_socket);
		goto out;
	}
	if ((rc = daemon_restrict_ctl(&cli, ctl, d.conf.control_group)) < 0 ||
	    (rc = privsep_engine_lockdown(&d.ps, d.loop)) < 0)
		goto out;
	teredo_client_start(&d.client, ev_now_update(d.loop));
	rc = ev_run(d.loop);
out:
	if (is_engine && d.loop != NULL)
		randports_close_all(&d.rports);
	ctl_server_close(ctl);
	tun_close(d.tun_fd);
	udp_close(d.udp_fd);
	ev_close(d.loop);
	free(d.peers);
	/* The pidfile is the parent's. */
	state_close(&d.state);
	if (!is_engine)
		daemon_exit(&cli);
	return rc < 0 ? 1 : 0;
}
