/*
 * lib/pcp: PCP MAP and ANNOUNCE (RFC 6887) and the NAT-PMP external
 * address exchange (RFC 6886).  The vectors are laid out field by field
 * from the RFCs' figures (RFC 6887 §7.1, §7.2, §11.1; RFC 6886 §3.2).
 */
#include "tap.h"

#include "pcp/pcp.h"

/* A MAP request: TCP, internal port 22, lifetime 7200 s, client 10.1.0.2. */
static const char map_req_hex[] =
	"02 01 0000"			       /* version 2, R=0, MAP */
	"00001c20"			       /* lifetime 7200 */
	"00000000 00000000 0000ffff 0a010002"  /* client ::ffff:10.1.0.2 */
	"01020304 05060708 090a0b0c"	       /* nonce */
	"06 000000"			       /* TCP, reserved */
	"0016 0000"			       /* internal 22, any external */
	"00000000 00000000 00000000 00000000"; /* any external address */

/* Its answer: SUCCESS, lifetime 3600, epoch 42, 203.0.113.7:40022. */
static const char map_resp_hex[] = "02 81 00 00"
				   "00000e10"
				   "0000002a"
				   "00000000 00000000 00000000"
				   "01020304 05060708 090a0b0c"
				   "06 000000"
				   "0016 9c56"
				   "00000000 00000000 0000ffff cb007107";

/* An ANNOUNCE answer (RFC 6887 §14.1). */
static const char announce_resp_hex[] = "02 80 00 00 00000000 00000539"
					"00000000 00000000 00000000";

/* A MAP error answer without opcode data: NOT_AUTHORIZED. */
static const char map_err_hex[] = "02 81 00 02 00000000 00000539"
				  "00000000 00000000 00000000";

static void
test_vectors(void)
{
	uint8_t b[PCP_MSG_MAX], out[PCP_MSG_MAX];
	struct pcp_msg m;
	size_t n, len = 0;

	n = unhex(map_req_hex, b, sizeof(b));
	is_int(n, 60, "MAP request is 60 bytes");
	is_int(pcp_read(b, n, &m), 0, "MAP request parses");
	ok(!m.is_response && m.opcode == PCP_OP_MAP, "request, MAP");
	is_int(m.lifetime, 7200, "requested lifetime");
	ok(pcp_is_ipv4_mapped(m.client_ip) &&
		   pcp_mapped_ipv4(m.client_ip) == 0x0a010002,
	   "client address 10.1.0.2");
	is_int(m.protocol, 6, "TCP");
	is_int(m.internal_port, 22, "internal port");
	is_int(pcp_write(&m, out, sizeof(out), &len), 0, "write it back");
	is_mem(out, len, b, n, "MAP request round trip");

	n = unhex(map_resp_hex, b, sizeof(b));
	is_int(pcp_read(b, n, &m), 0, "MAP answer parses");
	ok(m.is_response && m.result == PCP_SUCCESS, "SUCCESS");
	is_int(m.lifetime, 3600, "granted lifetime");
	is_int(m.epoch, 42, "epoch");
	is_int(m.external_port, 40022, "external port");
	is_int(pcp_mapped_ipv4(m.external_ip), 0xcb007107,
	       "external 203.0.113.7");
	is_int(pcp_write(&m, out, sizeof(out), &len), 0, "write answer");
	is_mem(out, len, b, n, "MAP answer round trip");

	n = unhex(announce_resp_hex, b, sizeof(b));
	is_int(pcp_read(b, n, &m), 0, "ANNOUNCE answer parses");
	ok(m.opcode == PCP_OP_ANNOUNCE && m.epoch == 1337, "ANNOUNCE, epoch");

	n = unhex(map_err_hex, b, sizeof(b));
	is_int(pcp_read(b, n, &m), 0, "MAP error without data parses");
	ok(m.result == PCP_NOT_AUTHORIZED &&
		   strcmp(pcp_result_name(m.result), "NOT_AUTHORIZED") == 0,
	   "NOT_AUTHORIZED");
	ok(strcmp(pcp_result_name(200), "?") == 0, "unknown result name");
}

static void
test_bad(void)
{
	uint8_t b[PCP_MSG_MAX + 8];
	struct pcp_msg m;
	size_t n;

	n = unhex(map_resp_hex, b, sizeof(b));
	b[0] = 1;
	is_int(pcp_read(b, n, &m), -EBADMSG, "version 1");
	b[0] = 2;
	is_int(pcp_read(b, n - 4, &m), -EBADMSG, "MAP data cut short");
	is_int(pcp_read(b, n - 1, &m), -EBADMSG, "not a multiple of 4");
	is_int(pcp_read(b, 20, &m), -EBADMSG, "shorter than the header");
	b[1] = 0x82;
	is_int(pcp_read(b, n, &m), -EPROTONOSUPPORT, "PEER not handled");
	b[1] = 0x81;
	/* An option whose length overruns. */
	memcpy(b + n, "\x01\x00\x00\x10", 4);
	is_int(pcp_read(b, n + 4, &m), -EBADMSG, "option overruns");
	/* A mandatory option that fits: counted. */
	memcpy(b + n, "\x01\x00\x00\x00", 4);
	is_int(pcp_read(b, n + 4, &m), 0, "empty option parses");
	is_int(m.unknown_mandatory, 1, "mandatory option counted");
	memset(b, 0, sizeof(b));
	b[0] = 2;
	is_int(pcp_read(b, PCP_MSG_MAX + 4, &m), -EBADMSG, "over 1100 bytes");
}

static void
test_natpmp(void)
{
	uint8_t b[16];
	struct pcp_natpmp_answer a, w = {0, 99, 0xcb007107};
	size_t len = 0;

	is_int(pcp_natpmp_write_request(b, sizeof(b), &len), 0, "request");
	ok(len == 2 && b[0] == 0 && b[1] == 0, "NAT-PMP request is 00 00");
	is_int(pcp_natpmp_write_answer(&w, b, sizeof(b), &len), 0, "answer");
	is_int(len, 12, "answer is 12 bytes");
	is_int(pcp_natpmp_read(b, len, &a), 0, "answer parses");
	ok(a.result == 0 && a.epoch == 99 && a.external_ipv4 == 0xcb007107,
	   "NAT-PMP answer round trip");
	is_int(pcp_natpmp_read(b, 11, &a), -EBADMSG, "short success answer");
	b[1] = 129;
	is_int(pcp_natpmp_read(b, len, &a), -EBADMSG, "wrong opcode");
	is_int(pcp_natpmp_read(
		       (const uint8_t *)"\x00\x80\x00\x03\x00\x00\x00\x01", 8,
		       &a),
	       0, "an 8-byte error answer parses");
	is_int(a.result, 3, "result 3 (network failure)");
	is_int(pcp_natpmp_read(NULL, 0, &a), -EBADMSG, "empty");
}

int
main(void)
{
	test_vectors();
	test_bad();
	test_natpmp();
	return done_testing();
}
