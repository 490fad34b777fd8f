/* RFC 6081 §5.3 decisions.  See upnp.h. */
#include "teredo/upnp.h"

#include "portmap/portmap.h"

bool
teredo_upnp_wanted(bool symmetric_nat_support, bool relay)
{
	return symmetric_nat_support && !relay;
}

int
teredo_upnp_mapped(struct teredo_upnp *u, uint32_t ext_ipv4,
		   uint32_t local_ipv4, uint16_t local_port)
{
	*u = (struct teredo_upnp){0};
	if (local_port == 0 || !portmap_external_ok(ext_ipv4, local_ipv4))
		return -EADDRNOTAVAIL;
	u->enabled = true;
	u->ipv4 = u->external = ext_ipv4;
	u->port = u->reserved = local_port;
	return 0;
}

void
teredo_upnp_qualified(struct teredo_upnp *u, uint32_t mapped_ipv4,
		      uint16_t mapped_port)
{
	if (!u->enabled)
		return;
	if (u->external == mapped_ipv4 && u->reserved == mapped_port) {
		u->ipv4 = 0;
		u->port = 0;
	} else {
		u->ipv4 = u->external;
		u->port = u->reserved;
	}
}

bool
teredo_upnp_peer_symmetric(uint32_t observed_ipv4, uint16_t observed_port,
			   uint32_t embedded_ipv4, uint16_t embedded_port)
{
	return observed_ipv4 != embedded_ipv4 || observed_port != embedded_port;
}

bool
teredo_upnp_send_embedded(const struct teredo_upnp *u, bool symmetric,
			  bool peer_symmetric)
{
	return u->enabled && symmetric && u->ipv4 == 0 && u->port == 0 &&
	       peer_symmetric;
}

void
teredo_upnp_add_alternate(const struct teredo_upnp *u,
			  struct teredo_trailers *t)
{
	if (!u->enabled || u->ipv4 == 0 || u->port == 0 ||
	    t->alt_count >= TEREDO_ALT_ADDR_MAX)
		return;
	t->alt[t->alt_count].ipv4 = u->ipv4;
	t->alt[t->alt_count].port = u->port;
	t->alt_count++;
}

bool
teredo_upnp_alternate_usable(const struct teredo_alt_addr *a,
			     uint32_t embedded_ipv4, uint16_t embedded_port)
{
	return a->ipv4 == embedded_ipv4 && a->port != 0 &&
	       a->port != embedded_port;
}

bool
teredo_upnp_from_reservation(uint32_t src_ipv4, uint16_t src_port,
			     uint32_t embedded_ipv4, uint16_t reserved_port)
{
	return reserved_port != 0 && src_ipv4 == embedded_ipv4 &&
	       src_port == reserved_port;
}
