/*
 * Candidates (remote-assistance.md §3.5): native IPv6, the Teredo address
 * teredod reports, IPv4; a TCP listener on each, the same port where it is
 * free.  And the source key the session engine counts wrong passwords and
 * pre-login slots by.
 */
#include "offer.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#include "sys/ctl.h"
#include "sys/fd.h"

/* The Teredo address teredod reports ("address" in show state --json). */
static int
teredo_address(const char *sock, struct ip6_addr *out, char *why, size_t cap)
{
	static char resp[CTL_RESPONSE_MAX + 1];
	char text[IP6_ADDR_TEXT_LEN];
	const char *p, *q;
	size_t len = 0;
	int rc = ctl_request(sock, "show state --json", resp, sizeof(resp),
			     &len, 2000);

	if (rc < 0) {
		snprintf(why, cap, "teredod at %s: %s", sock, strerror(-rc));
		return rc;
	}
	p = strstr(resp, "\"address\":\"");
	if (p == NULL) {
		snprintf(why, cap, "teredod is not qualified (no address)");
		return -ENOENT;
	}
	p += strlen("\"address\":\"");
	q = strchr(p, '"');
	if (q == NULL || (size_t)(q - p) >= sizeof(text)) {
		snprintf(why, cap, "teredod: unreadable address");
		return -EBADMSG;
	}
	memcpy(text, p, (size_t)(q - p));
	text[q - p] = '\0';
	if (ip6_addr_parse(text, out) < 0) {
		snprintf(why, cap, "teredod: unreadable address");
		return -EBADMSG;
	}
	return 0;
}

static bool
is_teredo(const uint8_t a[16])
{
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0;
}

/* Candidates: native IPv6 first, then Teredo, then IPv4 (remote-
 * assistance.md §3.5 order); the race interleaves families anyway. */
void
cand_gather(struct offer *o, const char *teredo_sock, bool native)
{
	struct assist_invite *inv = &o->inv;
	struct ifaddrs *ifa = NULL;
	struct ip6_addr t;
	char why[160];

	if (native && getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
			struct assist_cand *c = &inv->cand[inv->cand_count];

			if (i->ifa_addr == NULL ||
			    inv->cand_count == ASSIST_CAND_MAX - 1)
				continue;
			memset(c, 0, sizeof(*c));
			if (i->ifa_addr->sa_family == AF_INET6) {
				const struct sockaddr_in6 *s6 =
					(const void *)i->ifa_addr;

				memcpy(c->a6.bytes, &s6->sin6_addr, 16);
				if (is_teredo(c->a6.bytes) ||
				    ip6_addr_is_link_local(&c->a6) ||
				    ip6_addr_is_multicast(&c->a6) ||
				    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
				    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
					continue;
				c->kind = ASSIST_CAND_IPV6;
				c->is_v6 = true;
				inv->cand_count++;
			}
		}
	}
	if (teredo_address(teredo_sock, &t, why, sizeof(why)) == 0) {
		struct assist_cand *c = &inv->cand[inv->cand_count++];

		memset(c, 0, sizeof(*c));
		c->kind = ASSIST_CAND_TEREDO;
		c->is_v6 = true;
		c->a6 = t;
	} else {
		fprintf(stderr, "assist: no Teredo candidate: %s\n", why);
	}
	if (native && ifa != NULL) {
		for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
			struct assist_cand *c = &inv->cand[inv->cand_count];
			const struct sockaddr_in *s4;
			uint32_t a;

			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    inv->cand_count == ASSIST_CAND_MAX)
				continue;
			s4 = (const void *)i->ifa_addr;
			a = ntohl(s4->sin_addr.s_addr);
			if ((a >> 24) == 127 || (a >> 16) == 0xa9fe ||
			    (a >> 24) == 0)
				continue;
			memset(c, 0, sizeof(*c));
			c->kind = ASSIST_CAND_IPV4;
			c->a4 = a;
			inv->cand_count++;
		}
	}
	if (ifa != NULL)
		freeifaddrs(ifa);
}

/* A listener per candidate, the same port on all where it is free. */
int
cand_listen_all(struct offer *o, uint16_t want_port)
{
	struct assist_invite *inv = &o->inv;
	unsigned kept = 0;
	uint16_t port = want_port;

	for (unsigned i = 0; i < inv->cand_count; i++) {
		struct assist_cand *c = &inv->cand[i];
		struct tcp_endpoint ep = {
			.is_v6 = c->is_v6, .a4 = c->a4, .port = port};
		char text[ASSIST_CAND_TEXT];
		uint16_t got;
		int fd, rc;

		memcpy(ep.a6, c->a6.bytes, 16);
		rc = tcp_listen(&ep, 4, &fd, &got);
		if (rc == -EADDRINUSE && port != 0) {
			ep.port = 0;
			rc = tcp_listen(&ep, 4, &fd, &got);
		}
		c->port = got;
		assist_cand_format(c, text);
		if (rc < 0) {
			fprintf(stderr, "assist: cannot listen on %s: %s\n",
				text, strerror(-rc));
			continue;
		}
		if (port == 0)
			port = got;
		o->lfd[o->lfd_count++] = fd;
		inv->cand[kept++] = *c;
	}
	inv->cand_count = kept;
	return kept > 0 ? 0 : -EADDRNOTAVAIL;
}

void
cand_close_listeners(struct offer *o, const char *why)
{
	if (!o->listening)
		return;
	for (unsigned i = 0; i < o->lfd_count; i++) {
		ssh_event_remove_fd(o->event, o->lfd[i]);
		fd_close(o->lfd[i]);
	}
	o->listening = false;
	offer_log(o, "listeners closed: %s", why);
}

size_t
cand_source_key(const struct tcp_endpoint *ep,
		uint8_t key[static ASSIST_SESSION_SOURCE_KEY])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};

	memset(key, 0, ASSIST_SESSION_SOURCE_KEY);
	if (!ep->is_v6 || memcmp(ep->a6, mapped, sizeof(mapped)) == 0) {
		uint32_t a = ep->is_v6
				     ? ((uint32_t)ep->a6[12] << 24 |
					(uint32_t)ep->a6[13] << 16 |
					(uint32_t)ep->a6[14] << 8 | ep->a6[15])
				     : ep->a4;

		key[0] = 4;
		key[1] = (uint8_t)(a >> 24), key[2] = (uint8_t)(a >> 16);
		key[3] = (uint8_t)(a >> 8), key[4] = (uint8_t)a;
		return 5;
	}
	if (is_teredo(ep->a6)) {
		/* RFC 4380 §4: every client of one server shares the /64;
		 * the client itself is its mapped port and address (the low
		 * 48 bits, obfuscated). */
		key[0] = 't';
		memcpy(key + 1, ep->a6 + 10, 6);
		return 7;
	}
	key[0] = 6;
	memcpy(key + 1, ep->a6, 8); /* one /64: one site */
	return 9;
}
