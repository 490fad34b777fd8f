/*
 * "A daemon never crashes on any packet": the server and client state
 * machines fed arbitrary datagrams, stack packets and clock jumps.
 *
 * Input: a script of events.  Byte 0 chooses the client's starting state
 * (probing, or qualified through crafted RAs).  Then each event is
 *   kind (1) | time step in ms (1) | length (1) | bytes (length)
 * where kind % 4 is: 0 a datagram from the server, 1 one from a peer,
 * 2 a packet from the stack, 3 a datagram to the server (whose answer is
 * fed back to the client when it is for the client).  Timers run on every
 * step.  Invariants are checked after each event.
 */
#include "fuzz_common.h"
#include "teredo/addr.h"
#include "teredo/client.h"
#include "teredo/msg.h"
#include "teredo/server.h"

#define SERVER 0xcb007178u
#define PEER_IP 0xc6336405u
#define MAPPED_IP 0xc000022du
#define PEERS 8

static uint64_t rng;

static void
io_send(void *ctx, uint32_t ipv4, uint16_t port, const uint8_t *buf, size_t len)
{
	struct teredo_packet pkt;

	(void)ctx;
	/* Whatever the client sends must itself be well-formed Teredo. */
	FUZZ_CHECK(ipv4 != 0 && port != 0 && len <= 1500);
	FUZZ_CHECK(teredo_packet_read(buf, len, &pkt) == 0);
}

static void
io_deliver(void *ctx, const uint8_t *ip6, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(len >= IP6_HEADER_LEN && ip6[0] >> 4 == 6);
}

static void
io_address(void *ctx, const struct ip6_addr *addr)
{
	(void)ctx;
	FUZZ_CHECK(addr == NULL || teredo_addr_is_teredo(addr));
}

static void
io_random(void *ctx, void *buf, size_t n)
{
	uint8_t *p = buf;

	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(rng >> 56);
	}
}

static const struct teredo_client_io io = {
	.send_udp = io_send,
	.deliver = io_deliver,
	.address = io_address,
	.random = io_random,
};

/* RFC 6081 random ports (data[0] bit 4): the client never holds more than
 * TEREDO_RAND_PORTS, and sends only from ports it holds. */
static uint16_t open_ports[TEREDO_RAND_PORTS];
static uint16_t next_port;

static int
io_open_port(void *ctx, uint16_t *port)
{
	(void)ctx;
	for (size_t i = 0; i < TEREDO_RAND_PORTS; i++)
		if (open_ports[i] == 0) {
			*port = open_ports[i] = next_port++;
			return 0;
		}
	FUZZ_CHECK(false); /* more than TEREDO_RAND_PORTS at once */
	return -EMFILE;
}

static void
io_close_port(void *ctx, uint16_t port)
{
	bool found = false;

	(void)ctx;
	for (size_t i = 0; i < TEREDO_RAND_PORTS; i++)
		if (open_ports[i] == port && port != 0) {
			open_ports[i] = 0;
			found = true;
		}
	FUZZ_CHECK(found);
}

static void
io_send_from(void *ctx, uint16_t from, uint32_t ipv4, uint16_t port,
	     const uint8_t *buf, size_t len)
{
	bool found = false;

	for (size_t i = 0; i < TEREDO_RAND_PORTS; i++)
		found = found || (open_ports[i] == from && from != 0);
	FUZZ_CHECK(found);
	io_send(ctx, ipv4, port, buf, len);
}

static const struct teredo_client_io io_6081 = {
	.send_udp = io_send,
	.deliver = io_deliver,
	.address = io_address,
	.random = io_random,
	.open_port = io_open_port,
	.close_port = io_close_port,
	.send_udp_from = io_send_from,
};

/* The first random port open, or the service port. */
static uint16_t
some_port(void)
{
	for (size_t i = 0; i < TEREDO_RAND_PORTS; i++)
		if (open_ports[i] != 0)
			return open_ports[i];
	return 40000;
}

/* Answers the client's pending RS as our server would. */
static void
answer_rs(struct teredo_client *c, uint64_t now, uint32_t from, uint16_t port)
{
	struct teredo_ra_params p = {
		.origin = {.port = port, .ipv4 = MAPPED_IP},
		.server_ipv4 = SERVER,
	};
	uint8_t buf[256];
	size_t len;

	memcpy(p.nonce, c->nonce, sizeof(p.nonce));
	teredo_client_link_local(false, &p.client_ll);
	if (teredo_ra_write(buf, sizeof(buf), &p, &len) == 0)
		teredo_client_on_udp(c, now, buf, len, from, TEREDO_PORT, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct teredo_peer peers[PEERS];
	struct teredo_client_config cfg = {
		.server_ipv4 = SERVER,
		.local_port = 40000,
		.symmetric_nat_support = true,
		.nat_probes = true,
	};
	struct teredo_server server;
	struct teredo_client c;
	uint64_t now = 1000;
	size_t off = 1;

	if (size < 1)
		return 0;
	rng = size;
	/* data[0]: bit 0 qualify first, bit 1 relay mode (RFC 4380 §5.4),
	 * bit 2 the server forwards echo requests natively. */
	cfg.relay = (data[0] & 2) != 0;
	FUZZ_CHECK(teredo_server_init(&server, SERVER, SERVER + 1) == 0);
	server.native_forwarding = (data[0] & 4) != 0;
	if (data[0] & 8) /* bit 3: answers rate-limited per /24 */
		FUZZ_CHECK(teredo_server_set_limit(
				   &server, &(struct teredo_server_limit){
						    .key = {7},
						    .prefix_len = 24,
						    .per_s = 2,
						    .burst = 3}) == 0);
	/* bit 4: RFC 6081 random ports, behind a symmetric NAT that keeps
	 * ports (bit 5: one that does not, assumed sequential). */
	memset(open_ports, 0, sizeof(open_ports));
	next_port = 50000;
	FUZZ_CHECK(teredo_client_init(&c, &cfg, (data[0] & 16) ? &io_6081 : &io,
				      peers, PEERS) == 0);
	teredo_client_start(&c, now);
	if ((data[0] & 1) && !cfg.relay) {
		answer_rs(&c, ++now, SERVER, (data[0] & 32) ? 20000 : 40000);
		now += 2000; /* the cone probe's wait */
		teredo_client_on_timer(&c, now);
		answer_rs(&c, ++now, SERVER + 1,
			  (data[0] & 16)   ? 20001
			  : (data[0] & 32) ? 20000
					   : 40000);
		FUZZ_CHECK(c.state == TEREDO_CLIENT_QUALIFIED);
	}
	while (size - off >= 3) {
		uint8_t kind = data[off] % 4, step = data[off + 1];
		size_t len = data[off + 2];
		uint8_t *buf, out[2048];
		struct teredo_server_out so;

		off += 3;
		if (len > size - off)
			len = size - off;
		buf = fuzz_alloc(len); /* exact size: ASan sees any overread */
		memcpy(buf, data + off, len);
		off += len;
		now += (uint64_t)step * 100;
		switch (kind) {
		case 0:
			teredo_client_on_udp(&c, now, buf, len, SERVER,
					     TEREDO_PORT, 0);
			break;
		case 1:
			if (step & 1) /* on a random port, if one is open */
				teredo_client_on_udp_port(
					&c, now, buf, len,
					(step & 2) ? SERVER : PEER_IP,
					(step & 2) ? TEREDO_PORT : 7000, 0,
					some_port());
			else
				teredo_client_on_udp(&c, now, buf, len, PEER_IP,
						     7000, 0);
			break;
		case 2:
			teredo_client_on_tun(&c, now, buf, len);
			break;
		default:
			teredo_server_set_now(&server, now);
			FUZZ_CHECK(teredo_server_input(&server, step & 1, buf,
						       len, MAPPED_IP, 40000,
						       out, sizeof(out),
						       &so) == 0);
			/* Issue 11, A3: no answer is longer than its cause
			 * plus the protocol's headers, nor than the cap. */
			FUZZ_CHECK(so.action == TEREDO_SERVER_NONE ||
				   (so.len <= len + TEREDO_SERVER_MAX_EXCESS &&
				    so.len <= TEREDO_SERVER_MAX_RELAYED_LEN));
			if (so.action == TEREDO_SERVER_UDP &&
			    so.dst_ipv4 == MAPPED_IP && so.dst_port == 40000)
				teredo_client_on_udp(&c, now, out, so.len,
						     server.ipv4[so.from],
						     so.from_port, 0);
			break;
		}
		free(buf);
		if (teredo_client_deadline(&c) <= now)
			teredo_client_on_timer(&c, now);
		/* Invariants: a qualified client has an address; the pending
		 * count matches the table; a deadline always exists. */
		FUZZ_CHECK(c.state != TEREDO_CLIENT_QUALIFIED || c.have_addr);
		{
			size_t pending = 0;

			for (size_t i = 0; i < PEERS; i++)
				pending += peers[i].in_use &&
					   peers[i].retry_ms != 0;
			FUZZ_CHECK(pending == c.peers.heap_len);
		}
		FUZZ_CHECK(cfg.relay ||
			   teredo_client_deadline(&c) != UINT64_MAX);
		FUZZ_CHECK(!cfg.relay || c.state == TEREDO_CLIENT_RELAY);
	}
	return 0;
}
