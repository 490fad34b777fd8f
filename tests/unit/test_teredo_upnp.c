/*
 * lib/teredo/upnp: RFC 6081 §5.3 decisions (checklist Q12, Q13, X6, X7,
 * X21) and teredod's persisted mapping (a lib/portmap record, Q14).
 */
#include "tap.h"

#include "portmap/portmap.h"
#include "teredo/upnp.h"

#define EXT 0x0b000005u	  /* 11.0.0.5 */
#define LOCAL 0x0a010002u /* 10.1.0.2 */

static void
test_mapped(void)
{
	struct teredo_upnp u;

	ok(teredo_upnp_wanted(true, false), "X21: a client with SNS asks");
	ok(!teredo_upnp_wanted(false, false), "X21: not without SNS");
	ok(!teredo_upnp_wanted(true, true), "never a relay");

	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 3545), 0,
	       "Q12: global: enabled");
	ok(u.enabled && u.ipv4 == EXT && u.port == 3545 && u.reserved == 3545,
	   "Q12: UPnP-Mapped Address/Port = external address, local port");
	is_int(teredo_upnp_mapped(&u, 0, LOCAL, 3545), -EADDRNOTAVAIL,
	       "0.0.0.0");
	ok(!u.enabled, "0.0.0.0: not enabled");
	is_int(teredo_upnp_mapped(&u, 0x0a000001, LOCAL, 3545), -EADDRNOTAVAIL,
	       "private 10.0.0.1: refused");
	is_int(teredo_upnp_mapped(&u, 0x7f000001, LOCAL, 3545), -EADDRNOTAVAIL,
	       "loopback: refused");
	is_int(teredo_upnp_mapped(&u, 0x64400001, LOCAL, 3545), -EADDRNOTAVAIL,
	       "shared 100.64.0.1: refused");
	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 0), -EADDRNOTAVAIL, "port 0");
	ok(!u.enabled, "refused: the flag stays off");
	is_int(teredo_upnp_mapped(&u, LOCAL, LOCAL, 3545), -EADDRNOTAVAIL,
	       "our own address: refused");
}

static void
test_qualified(void)
{
	struct teredo_upnp u;

	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 3545), 0, "mapped");
	teredo_upnp_qualified(&u, EXT, 3545);
	ok(u.enabled && u.ipv4 == 0 && u.port == 0 && u.reserved == 3545,
	   "Q13: server mapping = UPnP mapping: single NAT, zeroed "
	   "(reservation kept for the deletion)");
	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 3545), 0, "mapped");
	teredo_upnp_qualified(&u, EXT, 40001);
	ok(u.ipv4 == EXT && u.port == 3545,
	   "Q13: another server mapping: nested / symmetric, kept");
	teredo_upnp_qualified(&u, EXT, 3545);
	ok(u.ipv4 == 0 && u.port == 0, "Q13: requalified on it: zeroed");
	teredo_upnp_qualified(&u, EXT, 40002);
	ok(u.ipv4 == EXT && u.port == 3545,
	   "Q13: requalified on another mapping: the reservation again");
	u = (struct teredo_upnp){0};
	teredo_upnp_qualified(&u, 0, 0);
	ok(!u.enabled && u.ipv4 == 0, "Q13: nothing without UPnP");
}

static void
test_peers(void)
{
	struct teredo_upnp u;

	ok(teredo_upnp_peer_symmetric(EXT, 40001, EXT, 3545),
	   "X6: observed port != embedded: symmetric peer");
	ok(teredo_upnp_peer_symmetric(EXT + 1, 3545, EXT, 3545),
	   "X6: observed address != embedded: symmetric peer");
	ok(!teredo_upnp_peer_symmetric(EXT, 3545, EXT, 3545),
	   "X6: same mapping: not symmetric");

	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 3545), 0, "mapped");
	teredo_upnp_qualified(&u, EXT, 3545);
	ok(teredo_upnp_send_embedded(&u, true, true),
	   "X7: symmetric, UPnP, mapping zero, symmetric peer: embedded");
	ok(!teredo_upnp_send_embedded(&u, false, true), "X7: not symmetric");
	ok(!teredo_upnp_send_embedded(&u, true, false),
	   "X7: peer not symmetric");
	is_int(teredo_upnp_mapped(&u, EXT, LOCAL, 3545), 0, "mapped");
	teredo_upnp_qualified(&u, EXT, 40001);
	ok(!teredo_upnp_send_embedded(&u, true, true),
	   "X7: UPnP mapping not zero");
	u = (struct teredo_upnp){0};
	ok(!teredo_upnp_send_embedded(&u, true, true), "X7: UPnP off");

	ok(teredo_upnp_from_reservation(EXT, 3545, EXT, 3545),
	   "X18: from the announced reservation on the embedded IPv4");
	ok(!teredo_upnp_from_reservation(EXT, 3546, EXT, 3545),
	   "X18: another port is not the reservation");
	ok(!teredo_upnp_from_reservation(EXT + 1, 3545, EXT, 3545),
	   "X18: another address is not the reservation");
	ok(!teredo_upnp_from_reservation(EXT, 0, EXT, 0),
	   "X18: no reservation announced: none");
}

/* Q14: the record teredod keeps while the mapping lives, round trip. */
static void
test_record(void)
{
	struct portmap_record
		r =
			{
				.proto = PORTMAP_UPNP,
				.gateway = 0x0a010001,
				.internal_ipv4 = 0x0a010002,
				.internal_port = 3545,
				.external_port = 3545,
				.control = "http://10.1.0.1:5000/ctl/IPConn",
				.service = "urn:schemas-upnp-org:service:"
					   "WANIPConnection:2",
			},
		back;
	char text[2048];

	is_int(portmap_record_format(&r, text, sizeof(text)), 0,
	       "Q14: record formatted");
	is_int(portmap_record_parse(text, strlen(text), &back), 0,
	       "Q14: record parsed back");
	ok(back.proto == PORTMAP_UPNP && back.external_port == 3545 &&
		   back.internal_port == 3545 &&
		   strcmp(back.control, r.control) == 0 &&
		   strcmp(back.service, r.service) == 0,
	   "Q14: round trip keeps port, control URL and service");
}

int
main(void)
{
	test_mapped();
	test_qualified();
	test_peers();
	test_record();
	return done_testing();
}
