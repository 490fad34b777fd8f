/*
 * lib/assist: the invitation (text and one-line forms), the one-time
 * password text and the RFC 8305 candidate race.  Vectors: RFC 8032 §7.1
 * test 1 public key (as an RFC 8709 blob), RFC 3339 §5.8, RFC 4648 §6
 * base32; then mutations, limits and write -> read round trips.
 */
#include "tap.h"

#include "assist/invite.h"
#include "assist/race.h"

/* RFC 8032 §7.1, TEST 1, PUBLIC KEY. */
static const char rfc8032_pub[] = "d75a980182b10ab7d54bfed3c964073a"
				  "0ee172f3daa62325af021a68f707511a";
static const char rfc8032_b64[] =
	"AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

static const char good[] =
	"shipworm-assist 1\n"
	"id=7f3c9a0e1b2d4c5f\n"
	"expires=2026-11-24T18:30:00Z\n"
	"hostkey=ssh-ed25519 "
	"AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\n"
	"user=helper\n"
	"cand=teredo [2001:0:c000:20a:8000:fc8c:348c:8efc]:40001\n"
	"cand=ipv6 [2001:db8::1]:40002\n"
	"cand=ipv4 10.3.0.2:40003\n";

static int
parse(const char *text, struct assist_invite *inv, struct assist_invite_err *e)
{
	return assist_invite_parse(text, strlen(text), inv, e);
}

/* good[] with the line starting with `key` replaced by `line`. */
static const char *
with_line(const char *key, const char *line)
{
	static char out[4096];
	const char *p = good;
	size_t o = 0;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p) + 1;

		if (strncmp(p, key, strlen(key)) == 0) {
			if (line != NULL)
				o += (size_t)snprintf(out + o, sizeof(out) - o,
						      "%s\n", line);
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return out;
}

static void
test_vector(void)
{
	struct assist_invite inv;
	struct assist_invite_err e;
	uint8_t key[32];
	char text[ASSIST_CAND_TEXT], hk[ASSIST_HOSTKEY_TEXT];

	unhex(rfc8032_pub, key, sizeof(key));
	is_int(parse(good, &inv, &e), 0, "the example invitation parses");
	is_int(inv.version, 1, "version 1");
	ok(memcmp(inv.id, "\x7f\x3c\x9a\x0e\x1b\x2d\x4c\x5f", 8) == 0, "id");
	is_int(inv.expires_s, 1795545000, "expires 2026-11-24T18:30:00Z");
	is_mem(inv.hostkey, 32, key, 32, "hostkey = RFC 8032 test 1 key");
	ok(strcmp(inv.user, "helper") == 0, "user");
	is_int(inv.cand_count, 3, "three candidates");
	assist_cand_format(&inv.cand[0], text);
	ok(strcmp(text, "teredo [2001:0:c000:20a:8000:fc8c:348c:8efc]:40001") ==
		   0,
	   "teredo candidate: %s", text);
	is_int(inv.cand[2].a4, 0x0a030002, "ipv4 candidate address");
	is_int(inv.cand[2].port, 40003, "ipv4 candidate port");
	ok(!inv.cand[2].is_v6 && inv.cand[1].is_v6, "families");

	assist_hostkey_format(key, hk);
	ok(strncmp(hk, "ssh-ed25519 ", 12) == 0 &&
		   strcmp(hk + 12, rfc8032_b64) == 0,
	   "hostkey formats as the OpenSSH public key");
	memset(key, 0, sizeof(key));
	is_int(assist_hostkey_parse_b64(rfc8032_b64, strlen(rfc8032_b64), key),
	       0, "hostkey base64 parses");
	is_mem(key, 32, inv.hostkey, 32, "and gives the same key");

	/* The router's mappings (issue 12 point 4): IPv4, global. */
	is_int(parse(with_line("cand=ipv4", "cand=upnp 11.0.0.7:40003\n"
					    "cand=natpmp 198.51.100.9:1\n"
					    "cand=pcp 203.0.113.250:65535"),
		     &inv, &e),
	       0, "upnp, natpmp and pcp candidates parse");
	is_int(inv.cand_count, 5, "five candidates");
	is_int(inv.cand[2].kind, ASSIST_CAND_UPNP, "upnp");
	is_int(inv.cand[2].a4, 0x0b000007, "upnp address");
	is_int(inv.cand[2].port, 40003, "upnp port");
	ok(!inv.cand[2].is_v6, "upnp is IPv4");
	is_int(inv.cand[3].kind, ASSIST_CAND_NATPMP, "natpmp");
	is_int(inv.cand[4].kind, ASSIST_CAND_PCP, "pcp");
	is_int(inv.cand[4].a4, 0xcb0071fa, "pcp address");
	is_int(inv.cand[4].port, 65535, "pcp port");
	assist_cand_format(&inv.cand[3], text);
	ok(strcmp(text, "natpmp 198.51.100.9:1") == 0, "natpmp formats: %s",
	   text);
	ok(assist_cand_is_mapped(ASSIST_CAND_PCP) &&
		   !assist_cand_is_mapped(ASSIST_CAND_IPV4) &&
		   !assist_cand_is_mapped(ASSIST_CAND_TEREDO),
	   "mapped kinds");

	/* CRLF, comments and blank lines; Unix seconds for expires. */
	is_int(parse("shipworm-assist 1\r\n# "
		     "note\r\n\r\nid=0000000000000001\r\n"
		     "expires=482196050\r\nhostkey=ssh-ed25519 "
		     "AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qY"
		     "jJa8CGmj3B1Ea\r\ncand=ipv4 192.0.2.1:1",
		     &inv, NULL),
	       0, "CRLF, comment, blank line, no final newline");
	is_int(inv.expires_s, 482196050, "Unix seconds");
	ok(strcmp(inv.user, "helper") == 0, "user defaults to helper");
	/* RFC 3339 §5.8: 1985-04-12T23:20:50Z (fraction dropped). */
	is_int(parse(with_line("expires=", "expires=1985-04-12t23:20:50z"),
		     &inv, NULL),
	       0, "RFC 3339 §5.8 example, lowercase t/z");
	is_int(inv.expires_s, 482196050, "= 482196050");
	is_int(parse(with_line("expires=", "expires=2000-02-29T00:00:00Z"),
		     &inv, NULL),
	       0, "leap day 2000");
	is_int(inv.expires_s, 951782400, "= 951782400");
}

static void
test_errors(void)
{
	static const struct {
		const char *key, *line;
		int rc;
		const char *what;
	} cases[] = {
		{"shipworm-assist", "shipworm-assist 2", -EPROTONOSUPPORT,
		 "version 2"},
		{"shipworm-assist", "shipworm-assist 01", -EBADMSG,
		 "version with a leading zero"},
		{"shipworm-assist", "shipworm-assist", -EBADMSG, "no version"},
		{"shipworm-assist", "<UPLOADINFO TYPE=\"Escalated\">", -EBADMSG,
		 "an RA ticket (XML)"},
		{"id=", NULL, -EBADMSG, "no id"},
		{"id=", "id=7F3C9A0E1B2D4C5F", -EBADMSG, "uppercase id"},
		{"id=", "id=7f3c9a0e1b2d4c5", -EBADMSG, "short id"},
		{"expires=", NULL, -EBADMSG, "no expiry"},
		{"expires=", "expires=2026-11-24T18:30:00+01:00", -EBADMSG,
		 "expiry not in UTC"},
		{"expires=", "expires=2026-11-24T18:30:00.5Z", -EBADMSG,
		 "fractional seconds"},
		{"expires=", "expires=2025-02-29T00:00:00Z", -EBADMSG,
		 "29 February of a common year"},
		{"expires=", "expires=2026-13-01T00:00:00Z", -EBADMSG,
		 "month 13"},
		{"expires=", "expires=-5", -EBADMSG, "negative seconds"},
		{"expires=", "expires=0123", -EBADMSG, "leading zero"},
		{"expires=", "expires=999999999999", -EBADMSG,
		 "seconds after 9999"},
		{"hostkey=", NULL, -EBADMSG, "no hostkey"},
		{"hostkey=", "hostkey=ssh-rsa AAAAB3NzaC1yc2E", -EBADMSG,
		 "not ed25519"},
		{"hostkey=",
		 "hostkey=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+"
		 "08lkBzoO4XLz2qYjJa8CGmj3B1E",
		 -EBADMSG, "hostkey one base64 symbol short"},
		{"hostkey=",
		 "hostkey=ssh-ed25519 AAAAC3NzaC1lZDI1NTE4AAAAINdamAGCsQq31Uv+"
		 "08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		 -EBADMSG, "blob names another key type"},
		{"user=", "user=Root", -EBADMSG, "user with uppercase"},
		{"user=", "user=a b", -EBADMSG, "user with a space"},
		{"cand=teredo", "cand=teredo [2001:db8::1]:40001", -EBADMSG,
		 "teredo candidate outside 2001:0::/32"},
		{"cand=ipv6", "cand=ipv6 [fe80::1]:40002", -EBADMSG,
		 "link-local candidate"},
		{"cand=ipv6", "cand=ipv6 [ff02::1]:40002", -EBADMSG,
		 "multicast candidate"},
		{"cand=ipv6", "cand=ipv6 2001:db8::1:40002", -EBADMSG,
		 "IPv6 without brackets"},
		{"cand=ipv4", "cand=ipv4 10.3.0.2:0", -EBADMSG, "port 0"},
		{"cand=ipv4", "cand=ipv4 10.3.0.2:65536", -EBADMSG,
		 "port 65536"},
		{"cand=ipv4", "cand=ipv4 10.3.0.256:1", -EBADMSG, "octet 256"},
		{"cand=ipv4", "cand=ipv4 010.3.0.2:1", -EBADMSG,
		 "octal-looking octet"},
		{"cand=ipv4", "cand=ipv4 224.0.0.1:1", -EBADMSG,
		 "multicast IPv4"},
		{"cand=ipv4", "cand=lan 10.3.0.2:1", -EBADMSG,
		 "unknown candidate kind"},
		{"cand=ipv4", "cand=upnp 10.3.0.2:1", -EBADMSG,
		 "a mapping on a private address"},
		{"cand=ipv4", "cand=natpmp 100.64.0.1:1", -EBADMSG,
		 "a mapping on a shared (CGN) address"},
		{"cand=ipv4", "cand=pcp 192.168.1.1:1", -EBADMSG,
		 "a mapping on 192.168/16"},
		{"cand=ipv4", "cand=upnp 0.0.0.0:1", -EBADMSG,
		 "a mapping on 0.0.0.0"},
		{"cand=ipv4", "cand=upnp 11.0.0.1:0", -EBADMSG,
		 "a mapping on port 0"},
		{"cand=ipv4", "cand=upnp [2001:db8::1]:1", -EBADMSG,
		 "a mapping on an IPv6 address"},
		{"cand=ipv4", "cand=UPNP 11.0.0.1:1", -EBADMSG,
		 "candidate kinds are lowercase"},
		{"user=", "relay=relay.example.org:443", -EBADMSG,
		 "unknown key (fail closed)"},
		{"user=", "secret=W6VXUWIHZKGL2MCHGBK6H45U3E", -EBADMSG,
		 "a password in the file is refused"},
		{"user=", "id=0000000000000000", -EBADMSG, "id given twice"},
		{"user=", "user=helper\tx", -EBADMSG, "a control character"},
	};
	struct assist_invite inv;
	struct assist_invite_err e;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc =
			parse(with_line(cases[i].key, cases[i].line), &inv, &e);

		is_int(rc, cases[i].rc, "refused: %s (line %u: %s)",
		       cases[i].what, e.line, e.why ? e.why : "-");
	}
	is_int(parse(with_line("shipworm-assist", "shipworm-assist 2"), &inv,
		     NULL),
	       -EPROTONOSUPPORT, "a future version is named as such");
	is_int(inv.version, 2, "and its number kept for the message");
	is_int(parse("", &inv, &e), -EBADMSG, "empty input");
	ok(e.why != NULL, "empty input has a reason: %s", e.why);
	is_int(assist_invite_parse(good, strlen(good) - 1, &inv, NULL), 0,
	       "a missing final newline is fine");

	/* Limits: a 201-byte line, a 2049-byte text, 9 candidates. */
	{
		char big[3000];
		size_t o;

		o = (size_t)snprintf(big, sizeof(big), "%s#", good);
		memset(big + o, 'x', 200);
		big[o + 200] = '\0';
		is_int(parse(big, &inv, &e), -EMSGSIZE,
		       "201-byte comment line");
		o = (size_t)snprintf(big, sizeof(big), "%s", good);
		while (o < 2100)
			o += (size_t)snprintf(big + o, sizeof(big) - o,
					      "# padding\n");
		is_int(parse(big, &inv, NULL), -EMSGSIZE, "2100-byte text");
		o = (size_t)snprintf(big, sizeof(big), "%s", good);
		for (int i = 0; i < 6; i++)
			o += (size_t)snprintf(big + o, sizeof(big) - o,
					      "cand=ipv4 10.3.0.%d:1\n",
					      i + 10);
		is_int(parse(big, &inv, &e), -EMSGSIZE, "9 candidates");
		big[0] = '\0';
		memcpy(big, good, sizeof(good));
		big[40] = '\0';
		is_int(assist_invite_parse(big, sizeof(good) - 1, &inv, NULL),
		       -EBADMSG, "a NUL byte inside");
	}
}

static void
test_round_trip(void)
{
	struct assist_invite inv, back;
	char text[ASSIST_INVITE_MAX + 1], line[ASSIST_INVITE_LINE_CAP];
	size_t len;

	if (parse(good, &inv, NULL) != 0)
		abort();
	is_int(assist_invite_format(&inv, text, sizeof(text), &len), 0,
	       "format");
	is_mem(text, len, good, strlen(good), "format gives the example back");
	is_int(assist_invite_format_line(&inv, line, sizeof(line)), 0,
	       "one-line form");
	ok(strncmp(line, "shipworm-assist:", 16) == 0 &&
		   strchr(line, '\n') == NULL && strchr(line, '=') == NULL,
	   "one line, base64url without padding");
	is_int(parse(line, &back, NULL), 0, "one-line form parses");
	ok(memcmp(&inv, &back, sizeof(inv)) == 0, "to the same invitation");
	/* Pasted from a chat: surrounding white space. */
	{
		char pasted[ASSIST_INVITE_LINE_CAP + 8];

		snprintf(pasted, sizeof(pasted), "  %s \r\n", line);
		is_int(parse(pasted, &back, NULL), 0,
		       "one-line form with white space around");
		line[30] = line[30] == 'A' ? 'B' : 'A';
		ok(parse(line, &back, NULL) < 0 ||
			   memcmp(&inv, &back, sizeof(inv)) != 0,
		   "a changed symbol does not give the same invitation");
		line[17] = '!';
		is_int(parse(line, &back, NULL), -EBADMSG,
		       "one-line form: not base64url");
	}
	{
		static const char mapped[] = "cand=upnp 11.0.0.7:40003\n"
					     "cand=natpmp 198.51.100.9:1\n"
					     "cand=pcp 203.0.113.250:65535";
		struct assist_invite m;

		if (parse(with_line("cand=ipv4", mapped), &m, NULL) != 0)
			abort();
		is_int(assist_invite_format(&m, text, sizeof(text), &len), 0,
		       "mapped candidates format");
		ok(strstr(text, mapped) != NULL, "as they were read");
		is_int(assist_invite_format_line(&m, line, sizeof(line)), 0,
		       "one-line form with mapped candidates");
		is_int(parse(line, &back, NULL), 0, "parses");
		ok(memcmp(&m, &back, sizeof(m)) == 0, "to the same invitation");
		m.cand[2].a4 = 0x0a000001;
		is_int(assist_invite_format(&m, text, sizeof(text), &len),
		       -EINVAL,
		       "format refuses a mapping on a private address");
	}
	is_int(assist_invite_format(&inv, text, 100, &len), -ENOBUFS,
	       "format into a small buffer: -ENOBUFS");
	inv.cand_count = 0;
	is_int(assist_invite_format(&inv, text, sizeof(text), &len), -EINVAL,
	       "format refuses an invitation without candidates");
	/* Every field at its largest: 8 long candidates, a 32-byte user. */
	if (parse(good, &inv, NULL) != 0)
		abort();
	memset(inv.user, 'z', ASSIST_USER_MAX);
	inv.user[ASSIST_USER_MAX] = '\0';
	inv.expires_s = 253402300799;
	for (unsigned i = 0; i < ASSIST_CAND_MAX; i++) {
		inv.cand[i] = inv.cand[0];
		memset(inv.cand[i].a6.bytes + 4, 0xff, 12);
		inv.cand[i].a6.bytes[15] = (uint8_t)i;
		inv.cand[i].port = 65535;
	}
	inv.cand_count = ASSIST_CAND_MAX;
	is_int(assist_invite_format(&inv, text, sizeof(text), &len), 0,
	       "largest invitation formats (%zu bytes)", len);
	is_int(assist_invite_format_line(&inv, line, sizeof(line)), 0,
	       "and fits the one-line buffer");
	is_int(parse(line, &back, NULL), 0, "and parses back");
	ok(memcmp(&inv, &back, sizeof(inv)) == 0, "unchanged");
	{
		char when[ASSIST_TIME_TEXT];

		is_int(assist_time_format(253402300799, when), 0,
		       "time format");
		ok(strcmp(when, "9999-12-31T23:59:59Z") == 0, "%s", when);
		is_int(assist_time_format(-1, when), -EINVAL,
		       "before 1970: -EINVAL");
	}
	is_int(assist_invite_check_time(&inv, 253402300798), 0,
	       "valid a second before expiry");
	is_int(assist_invite_check_time(&inv, 253402300799), -EKEYEXPIRED,
	       "expired at the expiry");
}

static void
test_secret(void)
{
	uint8_t s[16], back[16];
	char text[ASSIST_SECRET_TEXT];

	/* RFC 4648 §6 alphabet; Python's b32encode(bytes(range(16))). */
	for (int i = 0; i < 16; i++)
		s[i] = (uint8_t)i;
	assist_secret_format(s, text);
	ok(strcmp(text, "AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB4") == 0, "base32: %s",
	   text);
	is_int(assist_secret_parse("aaaqe aYEAU-DAOCAJBIFQYDIOB4", back), 0,
	       "parse ignores case, spaces and dashes");
	is_mem(back, 16, s, 16, "same secret");
	memset(s, 0xff, sizeof(s));
	assist_secret_format(s, text);
	ok(strcmp(text, "77777-77777-77777-77777-777774") == 0, "all ones: %s",
	   text);
	is_int(assist_secret_parse("77777-77777-77777-77777-777777", back),
	       -EINVAL, "non-zero unused bits refused");
	is_int(assist_secret_parse("AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB", back),
	       -EINVAL, "25 symbols refused");
	is_int(assist_secret_parse("AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB4A", back),
	       -EINVAL, "27 symbols refused");
	is_int(assist_secret_parse("AAAQE-AYEAU-DAOCA-JBIFQ-YDIO18", back),
	       -EINVAL, "1 and 8 are not base32");
}

static struct assist_cand
cand(bool v6)
{
	struct assist_cand c;

	memset(&c, 0, sizeof(c));
	c.is_v6 = v6;
	c.kind = v6 ? ASSIST_CAND_TEREDO : ASSIST_CAND_IPV4;
	c.port = 1;
	return c;
}

static void
test_race(void)
{
	struct assist_cand c[4] = {cand(false), cand(false), cand(true),
				   cand(true)};
	struct assist_race r;
	unsigned i = 99;
	uint64_t wake = 0;

	assist_race_init(&r, c, 4, 1000, 250, 15000);
	/* RFC 8305 §4: IPv6 first, then alternate: 2, 0, 3, 1. */
	is_int(assist_race_poll(&r, 1000, &i, &wake), ASSIST_RACE_START,
	       "first attempt at once");
	is_int(i, 2, "the first IPv6 candidate");
	is_int(assist_race_poll(&r, 1000, &i, &wake), ASSIST_RACE_WAIT,
	       "then wait");
	is_int(wake, 1250, "for the Connection Attempt Delay (RFC 8305 §5)");
	is_int(assist_race_poll(&r, 1249, &i, &wake), ASSIST_RACE_WAIT,
	       "still waiting at 249 ms");
	is_int(assist_race_poll(&r, 1250, &i, &wake), ASSIST_RACE_START,
	       "second attempt at 250 ms");
	is_int(i, 0, "the first IPv4 candidate");
	assist_race_result(&r, 0, -ECONNREFUSED, 1300);
	is_int(assist_race_poll(&r, 1300, &i, &wake), ASSIST_RACE_START,
	       "a failure starts the next attempt at once");
	is_int(i, 3, "the second IPv6 candidate");
	is_int(r.state[2], ASSIST_ATTEMPT_RUNNING,
	       "the first attempt still runs");
	assist_race_result(&r, 2, 0, 1400);
	is_int(assist_race_poll(&r, 1400, &i, &wake), ASSIST_RACE_WON,
	       "first to connect wins");
	is_int(i, 2, "candidate 2 (an earlier attempt, not the latest)");
	assist_race_result(&r, 3, 0, 1401);
	is_int(r.winner, 2, "a later connection does not replace the winner");
	is_int(r.error[0], -ECONNREFUSED, "the failure is kept for the report");

	/* IPv4: a router's mapping before the host's own addresses. */
	{
		struct assist_cand m[4] = {cand(false), cand(true), cand(false),
					   cand(false)};

		m[2].kind = ASSIST_CAND_UPNP;
		m[3].kind = ASSIST_CAND_PCP;
		assist_race_init(&r, m, 4, 0, 250, 15000);
		ok(r.order[0] == 1 && r.order[1] == 2 && r.order[2] == 3 &&
			   r.order[3] == 0,
		   "order: IPv6, upnp, pcp, host IPv4 (%u %u %u %u)",
		   r.order[0], r.order[1], r.order[2], r.order[3]);
	}

	assist_race_init(&r, c, 2, 0, 10, 15000);
	is_int(r.delay_ms, ASSIST_RACE_DELAY_MIN_MS, "delay raised to 100 ms");
	(void)assist_race_poll(&r, 0, &i, &wake);
	assist_race_result(&r, i, -EHOSTUNREACH, 5);
	(void)assist_race_poll(&r, 5, &i, &wake);
	assist_race_result(&r, i, -ENETUNREACH, 6);
	is_int(assist_race_poll(&r, 6, &i, &wake), ASSIST_RACE_FAILED,
	       "all failed: the race fails at once");

	assist_race_init(&r, c, 1, 0, 250, 15000);
	(void)assist_race_poll(&r, 0, &i, &wake);
	is_int(assist_race_poll(&r, 100, &i, &wake), ASSIST_RACE_WAIT,
	       "one attempt running");
	is_int(wake, 15000, "wakes at the deadline");
	is_int(assist_race_poll(&r, 15000, &i, &wake), ASSIST_RACE_FAILED,
	       "deadline: failed");
	is_int(r.error[0], -ETIMEDOUT, "the running attempt timed out");
}

int
main(void)
{
	test_vector();
	test_errors();
	test_round_trip();
	test_secret();
	test_race();
	return done_testing();
}
