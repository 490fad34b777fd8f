/* teredod: the RFC 6081 random ports (randport.h). */
#include "randport.h"

#include "sys/udp.h"

#define RX_BURST 16 /* datagrams read per wake-up and port */

void
randports_init(struct randports *r, struct ev_loop *loop,
	       struct teredo_client *client, uint32_t bind_ipv4)
{
	r->loop = loop;
	r->client = client;
	r->bind_ipv4 = bind_ipv4;
	r->send_errors = 0;
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		r->fd[i] = -1;
		r->port[i] = 0;
	}
}

static void
on_read(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct randports *r = arg;
	static uint8_t buf[RX_BURST][2048];
	struct udp_dgram v[RX_BURST];
	uint16_t port = 0;
	size_t got = 0;

	(void)events;
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (r->fd[i] == fd)
			port = r->port[i];
	if (port == 0)
		return;
	for (unsigned i = 0; i < RX_BURST; i++)
		v[i] = (struct udp_dgram){.buf = buf[i], .cap = sizeof(buf[i])};
	if (udp_recv_batch(fd, v, RX_BURST, &got) < 0)
		return;
	for (size_t i = 0; i < got; i++) {
		if (v[i].is_truncated)
			continue;
		teredo_client_on_udp_port(
			r->client, ev_now_ms(loop), v[i].buf, v[i].len,
			v[i].peer_ipv4, v[i].peer_port, v[i].local_ipv4, port);
	}
}

int
randports_open(struct randports *r, uint16_t *port)
{
	uint32_t ipv4;
	int fd, rc;

	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		if (r->fd[i] >= 0)
			continue;
		/* Port 0: the kernel picks a free ephemeral port. */
		if ((rc = udp_open(r->bind_ipv4, 0, &fd)) < 0)
			return rc;
		if ((rc = udp_local(fd, &ipv4, port)) < 0 ||
		    (rc = ev_fd_add(r->loop, fd, EV_READ, on_read, r)) < 0) {
			udp_close(fd);
			return rc;
		}
		r->fd[i] = fd;
		r->port[i] = *port;
		return 0;
	}
	return -EMFILE;
}

void
randports_close(struct randports *r, uint16_t port)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++) {
		if (r->fd[i] < 0 || r->port[i] != port)
			continue;
		if (ev_fd_del(r->loop, r->fd[i]) < 0)
			r->send_errors++; /* cannot happen: it was added */
		udp_close(r->fd[i]);
		r->fd[i] = -1;
		r->port[i] = 0;
	}
}

void
randports_send(struct randports *r, uint16_t src_port, uint32_t ipv4,
	       uint16_t port, const uint8_t *buf, size_t len)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (r->fd[i] >= 0 && r->port[i] == src_port) {
			if (udp_send(r->fd[i], buf, len, ipv4, port) < 0)
				r->send_errors++;
			return;
		}
	r->send_errors++;
}

void
randports_close_all(struct randports *r)
{
	for (unsigned i = 0; i < TEREDO_RAND_PORTS; i++)
		if (r->fd[i] >= 0)
			randports_close(r, r->port[i]);
}
