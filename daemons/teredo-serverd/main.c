/*
 * teredo-serverd: a Teredo server (RFC 4380 §5.3, RFC 5991 §3.2), drop-in
 * for miredo-server: same configuration file, same command line.
 *
 * It binds UDP 3544 on its two consecutive addresses, plus 3543 on each
 * for the diagnostic port probe (lib/teredo/addr.h), and feeds every
 * datagram to lib/teredo/server, which says what, if anything, to send.
 * No timers and no per-client memory; the only state is a fixed-size
 * table of token buckets that limits answers per /24 (LIMIT_*), keyed with
 * a hash secret drawn at start.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/cli.h"
#include "conf/conf.h"
#include "sys/ctl.h"
#include "sys/ev.h"
#include "sys/log.h"
#include "sys/rand.h"
#include "sys/notify.h"
#include "sys/raw6.h"
#include "sys/seccomp.h"
#include "sys/udp.h"
#include "teredo/addr.h"
#include "teredo/report.h"
#include "teredo/server.h"

#define DEFAULT_CONF "/etc/miredo/miredo-server.conf"
#define RX_BUF 2048
#define TX_BUF (RX_BUF + 64)	/* a relayed datagram gains an origin */
#define SOCKET_BUFFER (4 << 20) /* room for bursts of solicitations */
/*
 * Interrupt moderation: after a wake-up, wait this long so that the
 * datagrams of the next moments arrive and are read, answered and sent in
 * one batch.  Per-wake costs (epoll, context switches, the syscalls) then
 * spread over many solicitations instead of one.  A client waits 4 s for
 * an RA (RFC 4380 §5.2.1); bubbles tolerate seconds too: 1 ms is nothing
 * to them, and it is what makes the server cheap at moderate rates.
 */
#define COALESCE_US 1000
#define DRAIN_ROUNDS 64 /* batches read per wake-up, at most */
/*
 * Answers per IPv4 /24 (RAs to it, relayed packets from and to it): a
 * client needs one RA per refresh (30 s) and a few bubbles per new peer,
 * so 200 a second serve thousands of clients behind one carrier NAT, while
 * a victim of spoofed solicitations gets at most ~22 KB/s of RAs.
 */
#define LIMIT_PREFIX_LEN 24
#define LIMIT_PER_S 200
#define LIMIT_BURST 400
/* TEREDO_SERVERD_LIMIT="PER_S BURST PREFIX_LEN" overrides them, "off"
 * turns limiting off (bench/lab/run: one host's RS load). */
#define LIMIT_ENV "TEREDO_SERVERD_LIMIT"

/* Sockets: [address index * 2 + (port is the probe port)]. */
enum { SOCK_COUNT = 4 };

/*
 * Answers are written straight into the batch of the socket they leave by
 * and go out with one sendmmsg() per socket per received batch.
 */
struct tx_batch {
	size_t n;
	struct udp_dgram v[UDP_BATCH_MAX];
	uint8_t buf[UDP_BATCH_MAX][TX_BUF];
};

struct serverd {
	struct teredo_server server;
	struct teredo_server_conf conf;
	struct ev_loop *loop;
	int fd[SOCK_COUNT];
	int raw6_fd; /* native IPv6 output, or -1 */
	uint64_t send_errors;
	bool napped; /* this loop turn already waited (COALESCE_US) */
	bool busy;   /* the last read found a full batch or more */
	uint8_t rx[UDP_BATCH_MAX][RX_BUF];
	struct tx_batch tx[SOCK_COUNT];
};

struct sock_ref {
	struct serverd *d;
	unsigned index;
};

static struct sock_ref refs[SOCK_COUNT];

/* Sends a socket's batch; a datagram the kernel refuses is skipped. */
static void
tx_flush(struct serverd *d, unsigned sock)
{
	struct tx_batch *b = &d->tx[sock];
	size_t off = 0;

	while (off < b->n) {
		size_t sent = 0;
		int rc = udp_send_batch(d->fd[sock], b->v + off, b->n - off,
					&sent);

		off += sent;
		if (rc == 0)
			break;
		/* Full socket buffer: drop the rest, as a router would. */
		d->send_errors += rc == -EAGAIN ? b->n - off : 1;
		off = rc == -EAGAIN ? b->n : off + 1;
	}
	b->n = 0;
}

/* Answers one received batch into the sockets' send batches. */
static void
serve_batch(struct serverd *d, const struct sock_ref *ref,
	    const struct udp_dgram *v, size_t got)
{
	for (size_t i = 0; i < got; i++) {
		struct teredo_server_out out;
		unsigned local = ref->index / 2, sock;
		uint8_t *slot;

		/* The probe ports only send; whatever reaches them is dropped. */
		if (ref->index % 2 == 1 || v[i].is_truncated) {
			teredo_server_count_drop(
				&d->server, v[i].len,
				v[i].is_truncated
					? TEREDO_SERVER_DROP_TRUNCATED
					: TEREDO_SERVER_DROP_PROBE_PORT);
			continue;
		}
		for (sock = 0; sock < SOCK_COUNT; sock++)
			if (d->tx[sock].n == UDP_BATCH_MAX)
				tx_flush(d, sock);
		/*
		 * Most answers leave by the primary's 3544 socket: write into
		 * its next slot, and copy only when another socket sends.
		 */
		slot = d->tx[0].buf[d->tx[0].n];
		if (teredo_server_input(&d->server, local, v[i].buf, v[i].len,
					v[i].peer_ipv4, v[i].peer_port, slot,
					TX_BUF, &out) < 0)
			continue;
		if (out.action == TEREDO_SERVER_NATIVE) {
			/* Rare (echo tests): no batching needed. */
			if (raw6_send(d->raw6_fd, slot, out.len) < 0)
				d->send_errors++;
			continue;
		}
		if (out.action != TEREDO_SERVER_UDP)
			continue;
		sock = out.from * 2 + (out.from_port == TEREDO_PROBE_PORT);
		if (sock != 0)
			memcpy(d->tx[sock].buf[d->tx[sock].n], slot, out.len);
		d->tx[sock].v[d->tx[sock].n] = (struct udp_dgram){
			.buf = d->tx[sock].buf[d->tx[sock].n],
			.len = out.len,
			.peer_ipv4 = out.dst_ipv4,
			.peer_port = out.dst_port,
		};
		d->tx[sock].n++;
	}
}

static void
on_readable(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct sock_ref *ref = arg;
	struct serverd *d = ref->d;
	struct udp_dgram v[UDP_BATCH_MAX];
	size_t total = 0;

	(void)events;
	teredo_server_set_now(&d->server, ev_now_update(loop));
	/* Moderation pays only when batches are small: a busy server
	 * already reads full ones. */
	if (!d->napped && !d->busy) {
		d->napped = true;
		ev_nap_us(COALESCE_US);
	}
	for (size_t i = 0; i < UDP_BATCH_MAX; i++) {
		v[i].buf = d->rx[i];
		v[i].cap = RX_BUF;
	}
	/* Drain what has piled up, in bounded rounds (level-triggered epoll
	 * calls again for the rest). */
	for (unsigned round = 0; round < DRAIN_ROUNDS; round++) {
		size_t got = 0;
		int rc = udp_recv_batch(fd, v, UDP_BATCH_MAX, &got);

		if (rc < 0) {
			log_warn(rc, "receive");
			break;
		}
		serve_batch(d, ref, v, got);
		total += got;
		if (got < UDP_BATCH_MAX)
			break;
	}
	d->busy = total >= UDP_BATCH_MAX;
	for (unsigned sock = 0; sock < SOCK_COUNT; sock++)
		tx_flush(d, sock);
}

static void
before_sleep(struct ev_loop *loop, void *arg)
{
	struct serverd *d = arg;

	(void)loop;
	d->napped = false;
}

static size_t
on_control(const char *request, char *out, size_t cap, void *arg)
{
	struct serverd *d = arg;
	bool json = strstr(request, "--json") != NULL;
	int rc;

	if (strncmp(request, "show state", 10) == 0)
		rc = teredo_report_server_state(&d->server, json, out, cap);
	else if (strncmp(request, "stats", 5) == 0)
		rc = teredo_report_server_stats(&d->server, json, out, cap);
	else
		rc = -ENOENT;
	return daemon_ctl_answer(rc, request, "show state, stats", out, cap);
}

static int
load_conf(const struct daemon_cli *cli, struct teredo_server_conf *conf)
{
	char err[CONF_ERR_LEN];
	const char *text;
	size_t len;
	int rc;

	if ((rc = daemon_read_conf(cli, &text, &len)) < 0)
		return rc;
	if ((rc = conf_server_parse(text, len, cli->conf_path, conf, err,
				    sizeof(err))) < 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* Answer rate limiting per prefix: the defaults, or LIMIT_ENV. */
static int
setup_limit(struct teredo_server *server)
{
	struct teredo_server_limit limit = {
		.prefix_len = LIMIT_PREFIX_LEN,
		.per_s = LIMIT_PER_S,
		.burst = LIMIT_BURST,
	};
	const char *env = getenv(LIMIT_ENV);
	int rc;

	if (env != NULL && strcmp(env, "off") == 0) {
		log_info("%s=off: answers are not rate-limited", LIMIT_ENV);
		return 0;
	}
	if (env != NULL && sscanf(env, "%u %u %u", &limit.per_s, &limit.burst,
				  &limit.prefix_len) != 3) {
		log_err(-EINVAL, "%s: \"PER_S BURST PREFIX_LEN\" or \"off\"",
			LIMIT_ENV);
		return -EINVAL;
	}
	if ((rc = rand_bytes(limit.key, sizeof(limit.key))) < 0 ||
	    (rc = teredo_server_set_limit(server, &limit)) < 0)
		log_err(rc, "rate limiting (%s)", env ? env : "defaults");
	return rc;
}

/*
 * Once set up, the server only moves datagrams and answers teredoctl
 * (sys/seccomp.h; the base covers the loop, memory, time, syslog).
 */
static const char *const serverd_syscalls[] = {
	"recvmmsg", "sendmmsg",	  "recvfrom", "recvmsg", /* the sockets */
	"accept4",  "getsockopt", "shutdown",		 /* teredoctl */
};
static const int serverd_socket_families[] = {AF_UNIX}; /* syslog */
static const struct seccomp_policy serverd_seccomp = {
	.allow = serverd_syscalls,
	.n_allow = ARRAY_SIZE(serverd_syscalls),
	.socket_families = serverd_socket_families,
	.n_socket_families = ARRAY_SIZE(serverd_socket_families),
};

static int
run(struct serverd *d, struct daemon_cli *cli)
{
	struct ctl_server *ctl = NULL;
	int rc;

	if ((rc = teredo_server_init(&d->server, d->conf.server_ipv4,
				     d->conf.server2_ipv4)) < 0) {
		log_err(rc, "the server addresses must be two distinct global "
			    "unicast IPv4 addresses");
		return rc;
	}
	if ((rc = setup_limit(&d->server)) < 0)
		return rc;
	if ((rc = ev_open(&d->loop)) < 0) {
		log_err(rc, "event loop");
		return rc;
	}
	for (unsigned i = 0; i < SOCK_COUNT; i++) {
		uint32_t addr = d->server.ipv4[i / 2];
		uint16_t port = i % 2 ? TEREDO_PROBE_PORT : TEREDO_PORT;

		refs[i] = (struct sock_ref){d, i};
		if ((rc = udp_open(addr, port, &d->fd[i])) < 0) {
			log_err(rc, "cannot bind %u.%u.%u.%u:%u", addr >> 24,
				addr >> 16 & 255, addr >> 8 & 255, addr & 255,
				port);
			return rc;
		}
		if ((rc = udp_set_buffers(d->fd[i], SOCKET_BUFFER)) < 0)
			log_warn(rc, "socket buffers stay at the default");
		if ((rc = ev_fd_add(d->loop, d->fd[i], EV_READ, on_readable,
				    &refs[i])) < 0)
			return rc;
	}
	/*
	 * RFC 4380 §5.3.1: echo tests toward native hosts leave over native
	 * IPv6.  Without a raw socket (no CAP_NET_RAW, no IPv6) the server
	 * still serves qualification and bubbles, as Miredo's does.
	 */
	if ((rc = raw6_open(&d->raw6_fd)) < 0)
		log_warn(rc, "no native IPv6 output: echo tests toward native "
			     "IPv6 hosts are dropped");
	else
		d->server.native_forwarding = true;
	if ((rc = daemon_socket_dir(d->conf.control_socket)) < 0 ||
	    (rc = ctl_server_open(d->loop, d->conf.control_socket, 0660,
				  on_control, d, &ctl)) < 0) {
		log_err(rc, "control socket %s", d->conf.control_socket);
		return rc;
	}
	if ((rc = daemon_restrict_ctl(cli, ctl, d->conf.control_group)) < 0)
		goto out;
	ev_set_before_sleep(d->loop, before_sleep, d);
	if ((rc = ev_signal(d->loop, SIGTERM, daemon_on_signal, d)) < 0 ||
	    (rc = ev_signal(d->loop, SIGINT, daemon_on_signal, d)) < 0)
		goto out;
	if ((rc = daemon_ready(cli, false)) < 0)
		goto out;
	if ((rc = notify_status(1, "serving")) < 0) /* systemd Type=notify */
		log_warn(rc, "cannot notify the service manager");
	if (seccomp_policy_enabled() &&
	    (rc = seccomp_policy_apply(&serverd_seccomp)) < 0) {
		log_err(rc, "cannot install the seccomp filter");
		goto out;
	}
	log_info("serving on %u.%u.%u.%u and %u.%u.%u.%u, port %u",
		 d->server.ipv4[0] >> 24, d->server.ipv4[0] >> 16 & 255,
		 d->server.ipv4[0] >> 8 & 255, d->server.ipv4[0] & 255,
		 d->server.ipv4[1] >> 24, d->server.ipv4[1] >> 16 & 255,
		 d->server.ipv4[1] >> 8 & 255, d->server.ipv4[1] & 255,
		 TEREDO_PORT);
	rc = ev_run(d->loop);
out:
	ctl_server_close(ctl);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct serverd d;
	struct daemon_cli cli;
	int rc;

	if ((rc = daemon_cli_parse(&cli, argc, argv, DEFAULT_CONF, "")) >= 0)
		return rc;
	if (load_conf(&cli, &d.conf) < 0)
		return 1;
	if (cli.check) {
		static char text[CONF_FILE_MAX];

		return daemon_print_conf(
			conf_server_format(&d.conf, text, sizeof(text)), text);
	}
	if (daemon_resolve_user(&cli) < 0)
		return 1;
	for (unsigned i = 0; i < SOCK_COUNT; i++)
		d.fd[i] = -1;
	d.raw6_fd = -1;
	if ((rc = daemon_start(&cli)) < 0) {
		fprintf(stderr, "%s: cannot start: %s\n", cli.prog,
			strerror(-rc));
		return 1;
	}
	rc = run(&d, &cli);
	for (unsigned i = 0; i < SOCK_COUNT; i++)
		udp_close(d.fd[i]);
	raw6_close(d.raw6_fd);
	ev_close(d.loop);
	daemon_exit(&cli);
	return rc < 0 ? 1 : 0;
}
