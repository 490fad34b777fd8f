/*
 * lib/portmap: which external addresses may carry a mapping, the renewal
 * schedule, the PCP MAP exchange (request bytes, answer checks), and the
 * lease record (vectors, round trips, malformed records).
 */
#include "tap.h"

#include "portmap/portmap.h"

static const char upnp_rec[] =
	"shipworm-portmap 1\n"
	"proto=upnp\n"
	"gateway=10.7.0.1\n"
	"internal=10.7.0.2:2222\n"
	"external=2222\n"
	"control=http://10.7.0.1:5000/ctl/IPConn\n"
	"service=urn:schemas-upnp-org:service:WANIPConnection:2\n";

static const char pcp_rec[] = "shipworm-portmap 1\n"
			      "proto=pcp\n"
			      "gateway=10.8.0.1\n"
			      "internal=10.8.0.2:22\n"
			      "external=40022\n"
			      "nonce=0102030405060708090a0b0c\n";

static int
parse(const char *t, struct portmap_record *r)
{
	return portmap_record_parse(t, strlen(t), r);
}

static void
test_policy(void)
{
	char note[160];

	ok(portmap_external_ok(0x0b000001, 0x0a070002), "11.0.0.1: usable");
	ok(!portmap_external_ok(0, 0x0a070002), "0.0.0.0: not usable");
	ok(!portmap_external_ok(0x7f000001, 0x0a070002),
	   "loopback: not usable");
	ok(!portmap_external_ok(0xc0a80101, 0x0a070002), "private: not usable");
	ok(!portmap_external_ok(0x64400001, 0x0a070002),
	   "shared (100.64/10): not usable");
	ok(!portmap_external_ok(0xcb007108, 0xcb007108), "our own: not usable");
	portmap_external_note(0, false, true, note, sizeof(note));
	ok(strstr(note, "0.0.0.0") != NULL, "note: 0.0.0.0 (%s)", note);
	portmap_external_note(0x7f000001, false, false, note, sizeof(note));
	ok(strstr(note, "loopback") != NULL, "note: loopback first (%s)", note);
	portmap_external_note(0xc0a80101, false, true, note, sizeof(note));
	ok(strstr(note, "192.168.1.1 is not global") != NULL, "note: private");
	portmap_external_note(0, true, true, note, sizeof(note));
	ok(strstr(note, "garbage") != NULL, "note: garbage");
	portmap_external_note(0x0b000001, false, false, note, sizeof(note));
	ok(strstr(note, "not connected") != NULL, "note: not connected");
	portmap_external_note(0x0b000001, false, true, note, sizeof(note));
	ok(note[0] == '\0', "note: none for a good answer");

	is_int(portmap_renew_ms(3600), 1800000, "renew at half of 3600 s");
	is_int(portmap_renew_ms(120), 60000, "renew at half of 120 s");
	is_int(portmap_renew_ms(0), 0, "permanent: no renewal");
	is_int(portmap_renew_ms(1), 1000, "at least 1 s");
	ok(strcmp(portmap_proto_name(PORTMAP_NATPMP), "natpmp") == 0, "names");
}

static void
test_pcp(void)
{
	static const uint8_t nonce[12] = {1, 2, 3, 4,  5,  6,
					  7, 8, 9, 10, 11, 12};
	uint8_t b[PCP_MSG_MAX], want[PCP_MSG_MAX];
	struct pcp_msg m;
	size_t len = 0, n;

	is_int(portmap_pcp_request(0x0a010002, 22, 0, 7200, nonce, b, sizeof(b),
				   &len),
	       0, "PCP MAP request");
	n = unhex("02010000 00001c20 00000000 00000000 0000ffff 0a010002"
		  "01020304 05060708 090a0b0c 06000000 00160000"
		  "00000000 00000000 0000ffff 00000000",
		  want, sizeof(want));
	is_mem(b, len, want, n, "request bytes (RFC 6887 §11.1)");

	n = unhex("02810000 00000e10 0000002a 00000000 00000000 00000000"
		  "01020304 05060708 090a0b0c 06000000 00169c56"
		  "00000000 00000000 0000ffff cb007107",
		  b, sizeof(b));
	is_int(portmap_pcp_answer(b, n, nonce, 22, &m), 0, "our answer");
	is_int(m.external_port, 40022, "assigned external port");
	is_int(portmap_pcp_answer(b, n, nonce, 23, &m), -EAGAIN,
	       "another internal port: not ours");
	b[24] ^= 1;
	is_int(portmap_pcp_answer(b, n, nonce, 22, &m), -EAGAIN,
	       "another nonce: not ours (RFC 6887 §11.4)");
	b[3] = PCP_NOT_AUTHORIZED;
	is_int(portmap_pcp_answer(b, n, nonce, 22, &m), -EPROTO,
	       "NOT_AUTHORIZED: a refusal");
	is_int(portmap_pcp_answer(b, 7, nonce, 22, &m), -EAGAIN, "garbage");
}

static void
test_record(void)
{
	struct portmap_record r, r2;
	char buf[2048];

	is_int(parse(upnp_rec, &r), 0, "UPnP record parses");
	ok(r.proto == PORTMAP_UPNP && r.gateway == 0x0a070001 &&
		   r.internal_ipv4 == 0x0a070002 && r.internal_port == 2222 &&
		   r.external_port == 2222,
	   "UPnP record fields");
	ok(strcmp(r.control, "http://10.7.0.1:5000/ctl/IPConn") == 0,
	   "control URL");
	is_int(portmap_record_format(&r, buf, sizeof(buf)), 0, "format");
	ok(strcmp(buf, upnp_rec) == 0, "UPnP record round trip is identical");

	is_int(parse(pcp_rec, &r), 0, "PCP record parses");
	ok(r.nonce[0] == 1 && r.nonce[11] == 12 && r.external_port == 40022,
	   "PCP nonce and port");
	is_int(portmap_record_format(&r, buf, sizeof(buf)), 0, "format PCP");
	is_int(parse(buf, &r2), 0, "and back");
	ok(memcmp(&r, &r2, sizeof(r)) == 0, "PCP record round trip");
	is_int(portmap_record_format(&r, buf, 20), -ENOBUFS, "small buffer");

	static const char *const bad[] = {
		"",
		"shipworm-portmap 2\nproto=pcp\n",
		"shipworm-portmap 1\nproto=upnp\ngateway=10.7.0.1\n"
		"internal=10.7.0.2:2222\nexternal=2222\n",
		"shipworm-portmap 1\nproto=natpmp\ngateway=10.7.0.1\n"
		"internal=10.7.0.2:2222\nexternal=2222\nexternal=2223\n",
		"shipworm-portmap 1\nproto=natpmp\ngateway=10.7.0.256\n"
		"internal=10.7.0.2:2222\nexternal=2222\n",
		"shipworm-portmap 1\nproto=natpmp\ngateway=10.7.0.1\n"
		"internal=10.7.0.2:65536\nexternal=2222\n",
		"shipworm-portmap 1\nproto=natpmp\ngateway=10.7.0.1\n"
		"internal=10.7.0.2:22\nexternal=0\n",
		"shipworm-portmap 1\nproto=smtp\n",
		"shipworm-portmap 1\nproto=pcp\ngateway=10.8.0.1\n"
		"internal=10.8.0.2:22\nexternal=1\nnonce=0102\n",
		"shipworm-portmap 1\nproto=natpmp\ngateway=1.2.3\n",
		"shipworm-portmap 1\nwhat=ever\n",
		/* fuzz_portmap_record: a PCP record with a UPnP key. */
		"shipworm-portmap 1\nproto=pcp\ngateway=10.8.0.1\n"
		"internal=1.8.0.2:22\nexternal=40022\n"
		"nonce=0102030405060708090a0b0c\ncontrol=.",
		"shipworm-portmap 1\nproto=upnp\ngateway=10.7.0.1\n"
		"internal=10.7.0.2:2222\nexternal=2222\ncontrol=a b\n"
		"service=x\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(parse(bad[i], &r), -EBADMSG, "bad record %zu refused",
		       i);
	ok(parse("shipworm-portmap 1\nproto=natpmp\ngateway=10.7.0.1\n"
		 "internal=10.7.0.2:2222\nexternal=2222",
		 &r) == 0,
	   "no final newline is fine");
}

int
main(void)
{
	test_policy();
	test_pcp();
	test_record();
	return done_testing();
}
