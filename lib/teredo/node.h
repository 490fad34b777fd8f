/*
 * Private to lib/teredo: what the client (client.c) and the relay
 * (relay.c) share of one Teredo node's machinery.  The public interface
 * is client.h; the peer table is peers.h.
 */
#ifndef SHIPWORM_TEREDO_NODE_H
#define SHIPWORM_TEREDO_NODE_H

#include "teredo/addr.h"
#include "teredo/client.h"

__attribute__((format(printf, 2, 3))) void
teredo_node_log(struct teredo_client *c, const char *fmt, ...);
void teredo_node_drop(struct teredo_client *c, enum teredo_client_drop why);
void teredo_node_deliver(struct teredo_client *c, const uint8_t *ip6,
			 size_t len);
/* 2000::/3, a native peer worth a packet. */
bool teredo_node_native_reachable(const struct ip6_addr *a);
/* §5.2.4, §5.4.1: global embedded IPv4 and server, a port. */
bool teredo_node_dst_valid(const struct teredo_addr *dst);

/* A new entry for `addr`, which has none (NULL: refused, the drop
 * counted): `asked` by the stack, counted against src_ipv4:src_port. */
struct teredo_peer *teredo_node_peer_new(struct teredo_client *c, uint64_t now,
					 const struct ip6_addr *addr,
					 bool asked, uint32_t src_ipv4,
					 uint16_t src_port,
					 enum teredo_peers_refusal *why);
void teredo_node_trust(struct teredo_client *c, uint64_t now,
		       struct teredo_peer *p, uint32_t ipv4, uint16_t port);
/* A5: may n more bubbles go out of the global budget?  (Spends them.) */
bool teredo_node_bubble_budget(struct teredo_client *c, uint64_t now,
			       unsigned n);
/* A4: the bubble echoes the nonce of p's open bubble round. */
bool teredo_node_nonce_answers(const struct teredo_peer *p, uint64_t now,
			       const struct teredo_packet *pkt);
void teredo_node_heard(struct teredo_client *c, uint64_t now,
		       struct teredo_peer *p);
/* Sends to p now, queues for it, or starts what makes it trusted. */
void teredo_node_transmit(struct teredo_client *c, uint64_t now,
			  struct teredo_peer *p, const uint8_t *ip6,
			  size_t len);

/* The round's indirect bubble: a fresh nonce (X1), our Random Port. */
void teredo_node_indirect(struct teredo_client *c, uint64_t now,
			  struct teredo_peer *p);
/* From src_port (0 or the service port: the service socket). */
void teredo_node_send_from(struct teredo_client *c, uint16_t src_port,
			   uint32_t dst_ipv4, uint16_t dst_port,
			   const uint8_t *buf, size_t len);
void teredo_node_bubble_from(struct teredo_client *c, uint16_t src_port,
			     const struct teredo_peer *p, uint32_t dst_ipv4,
			     uint16_t dst_port, bool with_nonce, uint32_t nonce,
			     uint16_t random_port);

/* The same, with an Alternate Address list (hairpin.c) when alt != NULL. */
void teredo_node_bubble_alt(struct teredo_client *c, uint16_t src_port,
			    const struct teredo_peer *p, uint32_t dst_ipv4,
			    uint16_t dst_port, bool with_nonce, uint32_t nonce,
			    uint16_t random_port,
			    const struct teredo_trailers *alt);

/* RFC 6081 Port-Preserving and Sequential (rfc6081.c). */
bool teredo_6081_pp(const struct teredo_client *c);
bool teredo_6081_ss(const struct teredo_client *c);
/* false: the indirect bubble waits for the echo test. */
/* A new procedure toward p (TEREDO_BUBBLE_ATTEMPTS): a new echo test. */
void teredo_6081_new_attempt(struct teredo_client *c, struct teredo_peer *p);
bool teredo_6081_round(struct teredo_client *c, uint64_t now,
		       struct teredo_peer *p);
void teredo_6081_direct(struct teredo_client *c, const struct teredo_peer *p,
			bool with_nonce, uint32_t nonce);
void teredo_6081_on_indirect(struct teredo_client *c, uint64_t now,
			     struct teredo_peer *p,
			     const struct teredo_packet *pkt);
bool teredo_6081_accept(const struct teredo_peer *p, uint32_t src_ipv4,
			uint16_t src_port);
void teredo_6081_trusted(struct teredo_client *c, uint64_t now,
			 struct teredo_peer *p, uint16_t local_port,
			 bool decides);
void teredo_6081_data_sent(struct teredo_peer *p, uint64_t now);
uint16_t teredo_6081_send_port(const struct teredo_client *c,
			       const struct teredo_peer *p);
void teredo_6081_on_udp(struct teredo_client *c, uint64_t now,
			const struct teredo_packet *pkt, uint32_t src_ipv4,
			uint16_t src_port, uint16_t local_port);
/* Either side speaks from two ports (PP, SS): a trusted peer heard from
 * its other one is re-verified at once, not after 30 s. */
bool teredo_6081_two_ports(const struct teredo_peer *p);
/* A trusted peer heard on our random port: answer its indirect bubbles
 * from there only, so that its choice of our mapping stays that one. */
bool teredo_6081_answers_alone(const struct teredo_peer *p);
void teredo_6081_timer(struct teredo_client *c, uint64_t now);
uint64_t teredo_6081_deadline(const struct teredo_client *c);
void teredo_6081_reset(struct teredo_client *c);

/* A direct bubble with an ND Option trailer (SLR), from src_port. */
void teredo_node_bubble_nd(struct teredo_client *c, uint16_t src_port,
			   const struct teredo_peer *p, uint32_t dst_ipv4,
			   uint16_t dst_port, uint8_t discovery_type);

/* RFC 6081 Server Load Reduction (slr.c). */
bool teredo_slr_round(struct teredo_client *c, uint64_t now,
		      struct teredo_peer *p);
void teredo_slr_on_bubble(struct teredo_client *c, uint64_t now,
			  struct teredo_peer *p,
			  const struct teredo_packet *pkt, uint16_t local_port);
void teredo_slr_heard(struct teredo_peer *p);

/* RFC 6081 Hairpinning (hairpin.c). */
void teredo_hairpin_trailer(const struct teredo_client *c,
			    const struct teredo_peer *p,
			    struct teredo_trailers *t);
void teredo_hairpin_on_indirect(struct teredo_client *c, struct teredo_peer *p,
				const struct teredo_packet *pkt);
unsigned teredo_hairpin_direct(struct teredo_client *c, uint64_t now,
			       struct teredo_peer *p, bool with_nonce,
			       uint32_t nonce);
bool teredo_hairpin_reached(const struct teredo_peer *p);
/* ipv4:port is one of the peer's alternate addresses. */
bool teredo_hairpin_from_alt(const struct teredo_peer *p, uint32_t ipv4,
			     uint16_t port);

/* The relay's procedures (relay.c). */
void teredo_relay_on_udp(struct teredo_client *c, uint64_t now,
			 const struct teredo_packet *pkt, uint32_t src_ipv4,
			 uint16_t src_port);
void teredo_relay_on_tun(struct teredo_client *c, uint64_t now,
			 const struct ip6_header *h, const uint8_t *ip6,
			 size_t len);
void teredo_relay_on_timer(struct teredo_client *c, uint64_t now);
uint64_t teredo_relay_deadline(const struct teredo_client *c);

#endif
