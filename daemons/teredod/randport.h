/*
 * teredod: the RFC 6081 random ports (Port-Preserving and Sequential
 * symmetric NAT support, lib/teredo/rfc6081.c), each a UDP socket of its
 * own on the service address, opened by the engine on the client's
 * demand (io.open_port) and closed with its peer (io.close_port); at most
 * TEREDO_RAND_PORTS.  Datagrams arriving on one go to
 * teredo_client_on_udp_port() with its port.
 */
#ifndef SHIPWORM_TEREDOD_RANDPORT_H
#define SHIPWORM_TEREDOD_RANDPORT_H

#include <stdint.h>

#include "base/err.h"
#include "sys/ev.h"
#include "teredo/client.h"

struct randports {
	struct ev_loop *loop;
	struct teredo_client *client;
	uint32_t bind_ipv4;
	int fd[TEREDO_RAND_PORTS];
	uint16_t port[TEREDO_RAND_PORTS];
	uint64_t send_errors;
};

void randports_init(struct randports *r, struct ev_loop *loop,
		    struct teredo_client *client, uint32_t bind_ipv4);
MUST_CHECK int randports_open(struct randports *r, uint16_t *port);
void randports_close(struct randports *r, uint16_t port);
void randports_send(struct randports *r, uint16_t src_port, uint32_t ipv4,
		    uint16_t port, const uint8_t *buf, size_t len);
void randports_close_all(struct randports *r);

#endif
