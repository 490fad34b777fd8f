/*
 * lib/conf: miredo.conf and miredo-server.conf, parsed and formatted.
 * Vectors are Debian's packaged Miredo 1.2.6 configurations and the rules
 * of miredo.conf(5), miredo-server.conf(5) and Miredo's src/conf.c.
 */
#include "conf/conf.h"
#include "tap.h"

#define CLIENT_FILE "miredo.conf"
#define SERVER_FILE "miredo-server.conf"

#define IPV4(a, b, c, d)                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

/* Debian 12, miredo 1.2.6-7.1: /etc/miredo.conf. */
static const char debian_miredo_conf[] =
	"# Please refer to the miredo.conf(5) man page for details.\n"
	"InterfaceName\tteredo\n"
	"\n"
	"# Pick a Teredo server:\n"
	"#ServerAddress\tteredo.ipv6.microsoft.com\n"
	"ServerAddress\tteredo-debian.remlab.net\n"
	"\n"
	"# Some firewall/NAT setups require a specific UDP port number:\n"
	"#BindPort\t3545\n";

/* Debian 12, miredo-server 1.2.6-7.1: /etc/miredo-server.conf. */
static const char debian_server_conf[] =
	"# Please refer to the miredo-server.conf(5) manpage for details.\n"
	"\n"
	"# Server primary IPv4 address.\n"
	"# Miredo will open UDP port 3544 on this IPv4 address and the next "
	"one.\n"
	"ServerBindAddress 192.0.2.221\n";

static int
client(const char *text, struct teredo_client_conf *c, char *err)
{
	return conf_client_parse(text, strlen(text), CLIENT_FILE, c, err,
				 CONF_ERR_LEN);
}

static int
server(const char *text, struct teredo_server_conf *s, char *err)
{
	return conf_server_parse(text, strlen(text), SERVER_FILE, s, err,
				 CONF_ERR_LEN);
}

static bool
str_is(const char *got, const char *want, const char *what)
{
	bool same = strcmp(got, want) == 0;

	if (!ok(same, "%s", what))
		printf("#   got  \"%s\"\n#   want \"%s\"\n", got, want);
	return same;
}

/* Parses `text` as a client conf and expects exactly `want` as error. */
static void
client_err(const char *text, const char *want)
{
	struct teredo_client_conf c;
	char err[CONF_ERR_LEN];
	int rc = client(text, &c, err);

	is_int(rc, -EINVAL, "client conf refused: %s", want);
	str_is(err, want, "  with its message");
}

static void
server_err(const char *text, const char *want)
{
	struct teredo_server_conf s;
	char err[CONF_ERR_LEN];
	int rc = server(text, &s, err);

	is_int(rc, -EINVAL, "server conf refused: %s", want);
	str_is(err, want, "  with its message");
}

/* Parses, or fails the test and returns the defaults. */
static struct teredo_client_conf
client_ok(const char *text, const char *what)
{
	struct teredo_client_conf c;
	char err[CONF_ERR_LEN];
	int rc = client(text, &c, err);

	if (!ok(rc == 0, "%s", what)) {
		printf("#   %s\n", err);
		conf_client_defaults(&c);
	}
	return c;
}

static struct teredo_server_conf
server_ok(const char *text, const char *what)
{
	struct teredo_server_conf s;
	char err[CONF_ERR_LEN];
	int rc = server(text, &s, err);

	if (!ok(rc == 0, "%s", what)) {
		printf("#   %s\n", err);
		conf_server_defaults(&s);
	}
	return s;
}

static void
test_defaults(void)
{
	struct teredo_client_conf c;
	struct teredo_server_conf s;

	conf_client_defaults(&c);
	ok(c.relay_type == CONF_RELAY_CLIENT, "RelayType defaults to client");
	str_is(c.interface_name, "teredo", "InterfaceName defaults to teredo");
	str_is(c.server_address, "", "no ServerAddress by default");
	str_is(c.server_address2, "", "ServerAddress2: primary + 1");
	ok(c.bind_ipv4 == 0 && c.bind_port == 0, "bind to any address, port");
	ok(c.prefix == 0x20010000u, "Prefix defaults to 2001:0::/32");
	is_int(c.mtu, 1280, "InterfaceMTU defaults to 1280");
	ok(c.syslog_facility == CONF_SYSLOG_DAEMON,
	   "SyslogFacility defaults to daemon");
	is_int(c.refresh_interval_s, 30, "RefreshInterval defaults to 30 s");
	ok(c.symmetric_nat_support, "SymmetricNATSupport defaults to yes");
	is_int(c.max_peers, 1024, "MaxPeers defaults to 1024");
	str_is(c.control_socket, "/run/shipworm/teredod.sock",
	       "ControlSocket default (client)");
	ok(!conf_client_is_relay(&c), "the default is a client");

	conf_server_defaults(&s);
	ok(s.server_ipv4 == 0 && s.server2_ipv4 == 0, "no server address");
	ok(s.prefix == 0x20010000u && s.mtu == 1280, "server prefix and MTU");
	ok(s.syslog_facility == CONF_SYSLOG_DAEMON, "server facility daemon");
	str_is(s.control_socket, "/run/shipworm/teredo-serverd.sock",
	       "ControlSocket default (server)");
}

static void
test_debian(void)
{
	struct teredo_client_conf c, want;
	struct teredo_server_conf s, swant;

	c = client_ok(debian_miredo_conf, "Debian's miredo.conf parses");
	conf_client_defaults(&want);
	strcpy(want.server_address, "teredo-debian.remlab.net");
	ok(conf_client_equal(&c, &want),
	   "  defaults but for ServerAddress (commented keys ignored)");

	s = server_ok(debian_server_conf, "Debian's miredo-server.conf parses");
	conf_server_defaults(&swant);
	swant.server_ipv4 = IPV4(192, 0, 2, 221);
	swant.server2_ipv4 = IPV4(192, 0, 2, 222);
	ok(conf_server_equal(&s, &swant),
	   "  ServerBindAddress2 filled in as primary + 1");
}

/* Each key, alone or with what its role needs, sets its field. */
static void
test_client_keys(void)
{
	struct teredo_client_conf c;

	c = client_ok("ServerAddress teredo.example.net\n", "ServerAddress");
	str_is(c.server_address, "teredo.example.net", "  kept as text");
	c = client_ok("ServerAddress 192.0.2.1\n", "numeric ServerAddress");
	str_is(c.server_address, "192.0.2.1", "  kept as text");
	c = client_ok("ServerAddress a.example\nServerAddress2 b.example\n",
		      "ServerAddress2");
	str_is(c.server_address2, "b.example", "  kept as text");

	static const struct {
		const char *word;
		enum conf_relay_type type;
	} types[] = {
		{"client", CONF_RELAY_CLIENT},
		{"autoclient", CONF_RELAY_AUTOCLIENT},
		{"cone", CONF_RELAY_CONE},
		{"relay", CONF_RELAY_CONE}, /* miredo.conf(5) alias */
		{"restricted", CONF_RELAY_RESTRICTED},
		{"CLIENT", CONF_RELAY_CLIENT},
		{"Cone", CONF_RELAY_CONE},
		{"rEsTrIcTeD", CONF_RELAY_RESTRICTED},
	};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		char text[128];

		snprintf(text, sizeof(text), "RelayType %s\n%s", types[i].word,
			 types[i].type <= CONF_RELAY_AUTOCLIENT
				 ? "ServerAddress t.example\n"
				 : "");
		c = client_ok(text, "RelayType value");
		ok(c.relay_type == types[i].type, "  RelayType %s",
		   types[i].word);
		ok(conf_client_is_relay(&c) ==
			   (types[i].type >= CONF_RELAY_CONE),
		   "  conf_client_is_relay");
	}

	c = client_ok("ServerAddress t.example\nInterfaceName tun_0.x-y\n",
		      "InterfaceName");
	str_is(c.interface_name, "tun_0.x-y", "  copied");
	c = client_ok("ServerAddress t.example\nBindAddress 10.0.0.2\n",
		      "BindAddress (private is fine for a client)");
	ok(c.bind_ipv4 == IPV4(10, 0, 0, 2), "  host order");
	c = client_ok("ServerAddress t.example\nBindAddress 0.0.0.0\n",
		      "BindAddress 0.0.0.0");
	ok(c.bind_ipv4 == 0, "  means any");
	c = client_ok("ServerAddress t.example\nBindPort 3545\n", "BindPort");
	is_int(c.bind_port, 3545, "  3545");
	c = client_ok("ServerAddress t.example\nBindPort 0\n", "BindPort 0");
	is_int(c.bind_port, 0, "  0: random");
	c = client_ok("ServerAddress t.example\nBindPort 65535\n",
		      "BindPort 65535");
	is_int(c.bind_port, 65535, "  65535");
	c = client_ok("RelayType cone\nPrefix 3ffe:831f::\n", "Prefix");
	ok(c.prefix == 0x3ffe831fu, "  legacy prefix, top 32 bits");
	c = client_ok("RelayType cone\nPrefix 2001:db8::\n", "Prefix 2001:db8");
	ok(c.prefix == 0x20010db8u, "  2001:db8::");
	c = client_ok("RelayType cone\nPrefix 2001:0000:0:0:0:0:0:0\n",
		      "Prefix, full form");
	ok(c.prefix == 0x20010000u, "  2001:0::");
	c = client_ok("RelayType cone\nInterfaceMTU 1280\n", "InterfaceMTU");
	is_int(c.mtu, 1280, "  1280");
	c = client_ok("RelayType cone\nInterfaceMTU 65535\n",
		      "InterfaceMTU max");
	is_int(c.mtu, 65535, "  65535");

	static const char *const facilities[] = {
		"auth",	  "authpriv", "cron",	"daemon", "ftp",
		"kern",	  "local0",   "local1", "local2", "local3",
		"local4", "local5",   "local6", "local7", "lpr",
		"mail",	  "news",     "syslog", "user",	  "uucp",
	};
	for (size_t i = 0; i < ARRAY_SIZE(facilities); i++) {
		char text[128];

		snprintf(text, sizeof(text),
			 "ServerAddress t.example\nSyslogFacility %s\n",
			 facilities[i]);
		c = client_ok(text, "SyslogFacility");
		ok((size_t)c.syslog_facility == i &&
			   strcmp(conf_syslog_facility_name(c.syslog_facility),
				  facilities[i]) == 0,
		   "  %s", facilities[i]);
	}
	c = client_ok("ServerAddress t.example\nSyslogFacility LOCAL7\n",
		      "SyslogFacility, upper case");
	ok(c.syslog_facility == CONF_SYSLOG_LOCAL7, "  local7");

	c = client_ok("ServerAddress t.example\nRefreshInterval 10\n",
		      "RefreshInterval min");
	is_int(c.refresh_interval_s, 10, "  10");
	c = client_ok("ServerAddress t.example\nRefreshInterval 3600\n",
		      "RefreshInterval max");
	is_int(c.refresh_interval_s, 3600, "  3600");

	static const struct {
		const char *word;
		bool value;
	} bools[] = {
		{"yes", true},	     {"true", true},   {"on", true},
		{"enabled", true},   {"1", true},      {"YES", true},
		{"no", false},	     {"false", false}, {"off", false},
		{"disabled", false}, {"0", false},     {"No", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		char text[128];

		snprintf(text, sizeof(text),
			 "ServerAddress t.example\nSymmetricNATSupport %s\n",
			 bools[i].word);
		c = client_ok(text, "SymmetricNATSupport");
		ok(c.symmetric_nat_support == bools[i].value, "  %s",
		   bools[i].word);
	}

	c = client_ok("ServerAddress t.example\nMaxPeers 16\n", "MaxPeers min");
	is_int(c.max_peers, 16, "  16");
	c = client_ok("ServerAddress t.example\nMaxPeers 1048576\n",
		      "MaxPeers max");
	is_int(c.max_peers, 1048576, "  1048576");
	c = client_ok("ServerAddress t.example\nControlSocket /tmp/x#y.sock\n",
		      "ControlSocket ('#' inside a value is not a comment)");
	str_is(c.control_socket, "/tmp/x#y.sock", "  copied");
}

static void
test_server_keys(void)
{
	struct teredo_server_conf s;

	s = server_ok("ServerBindAddress 198.51.100.1\n"
		      "ServerBindAddress2 203.0.113.1\n"
		      "Prefix 3ffe:831f::\nInterfaceMTU 1400\n"
		      "SyslogFacility kern\nControlSocket /run/s.sock\n",
		      "every server key");
	ok(s.server_ipv4 == IPV4(198, 51, 100, 1), "  ServerBindAddress");
	ok(s.server2_ipv4 == IPV4(203, 0, 113, 1), "  ServerBindAddress2");
	ok(s.prefix == 0x3ffe831fu, "  Prefix");
	is_int(s.mtu, 1400, "  InterfaceMTU");
	ok(s.syslog_facility == CONF_SYSLOG_KERN, "  SyslogFacility");
	str_is(s.control_socket, "/run/s.sock", "  ControlSocket");
	s = server_ok("ServerBindAddress 192.0.2.255\n", "primary .255");
	ok(s.server2_ipv4 == IPV4(192, 0, 3, 0), "  + 1 carries");
	s = server_ok("serverbindaddress 192.0.2.1\n", "keys case-insensitive");
	ok(s.server_ipv4 == IPV4(192, 0, 2, 1), "  ServerBindAddress");
}

/* Each message with its exact file:line: prefix. */
static void
test_client_errors(void)
{
	client_err("ServerAdress teredo.example.net\n",
		   CLIENT_FILE ":1: unknown key \"ServerAdress\"");
	client_err("# c\n\nServerAddress 1.2.3\n",
		   CLIENT_FILE ":3: invalid IPv4 address \"1.2.3\" for "
			       "ServerAddress");
	client_err("ServerAddress 1.2.3.4.5\n",
		   CLIENT_FILE ":1: invalid IPv4 address \"1.2.3.4.5\" for "
			       "ServerAddress");
	client_err("ServerAddress 10.1.2.3\n",
		   CLIENT_FILE ":1: ServerAddress 10.1.2.3 is not a global "
			       "unicast IPv4 address (RFC 4380 §5.2.4)");
	client_err("ServerAddress a.example\nServerAddress2 127.0.0.1\n",
		   CLIENT_FILE ":2: ServerAddress2 127.0.0.1 is not a global "
			       "unicast IPv4 address (RFC 4380 §5.2.4)");
	client_err("ServerAddress a.example\nBindPort 1\nServerAddress "
		   "b.example\n",
		   CLIENT_FILE ":3: duplicate key ServerAddress (first set on "
			       "line 1)");
	client_err("RelayType client\nrelaytype client\nServerAddress a.b\n",
		   CLIENT_FILE ":2: duplicate key RelayType (first set on "
			       "line 1)");
	client_err("RelayType server\n",
		   CLIENT_FILE ":1: invalid value \"server\" for RelayType: "
			       "must be one of client, autoclient, cone, "
			       "restricted (or relay, an alias of cone)");
	client_err("ServerAddress\n",
		   CLIENT_FILE ":1: missing value for ServerAddress");
	client_err("ServerAddress   \t \r\n",
		   CLIENT_FILE ":1: missing value for ServerAddress");
	client_err("ServerAddress #teredo.example.net\n",
		   CLIENT_FILE ":1: missing value for ServerAddress");
	client_err("", CLIENT_FILE ": missing ServerAddress (required when "
				   "RelayType is client)");
	client_err("RelayType autoclient\n",
		   CLIENT_FILE ": missing ServerAddress (required when "
			       "RelayType is autoclient)");
	client_err("ServerAddress a.example\nPrefix 2001:0::\n",
		   CLIENT_FILE ":2: Prefix is for relays only (RelayType cone "
			       "or restricted), but RelayType is client");
	client_err("InterfaceMTU 1400\nRelayType autoclient\n",
		   CLIENT_FILE ":1: InterfaceMTU is for relays only (RelayType "
			       "cone or restricted), but RelayType is "
			       "autoclient");
	client_err("ServerAddress a.example\nRelayType cone\n",
		   CLIENT_FILE ":1: ServerAddress is for clients only "
			       "(RelayType client or autoclient), but "
			       "RelayType is cone");
	client_err("RelayType restricted\nServerAddress2 a.example\n",
		   CLIENT_FILE ":2: ServerAddress2 is for clients only "
			       "(RelayType client or autoclient), but "
			       "RelayType is restricted");
	client_err("RelayType relay\nSymmetricNATSupport no\n",
		   CLIENT_FILE ":2: SymmetricNATSupport is for clients only "
			       "(RelayType client or autoclient), but "
			       "RelayType is cone");
	client_err("RelayType cone\nRefreshInterval 60\n",
		   CLIENT_FILE ":2: RefreshInterval is for clients only "
			       "(RelayType client or autoclient), but "
			       "RelayType is cone");
	client_err("ServerAddress a.b\nBindPort 65536\n",
		   CLIENT_FILE ":2: value \"65536\" for BindPort out of range "
			       "0..65535");
	client_err("ServerAddress a.b\nBindPort 99999999999999999999999\n",
		   CLIENT_FILE ":2: value \"99999999999999999999999\" for "
			       "BindPort out of range 0..65535");
	client_err("ServerAddress a.b\nBindPort 03545\n",
		   CLIENT_FILE ":2: invalid number \"03545\" for BindPort: "
			       "leading zeros are not allowed (Miredo would "
			       "read octal)");
	client_err("ServerAddress a.b\nBindPort 0x0dd9\n", CLIENT_FILE
		   ":2: invalid number \"0x0dd9\" for BindPort: not "
		   "a decimal number");
	client_err("ServerAddress a.b\nBindPort -1\n",
		   CLIENT_FILE ":2: invalid number \"-1\" for BindPort: not a "
			       "decimal number");
	client_err("ServerAddress a.b\nBindPort +1\n",
		   CLIENT_FILE ":2: invalid number \"+1\" for BindPort: not a "
			       "decimal number");
	client_err("ServerAddress a.b\nBindAddress 224.0.0.1\n",
		   CLIENT_FILE ":2: BindAddress 224.0.0.1 is not a unicast "
			       "address");
	client_err("ServerAddress a.b\nBindAddress 255.255.255.255\n",
		   CLIENT_FILE ":2: BindAddress 255.255.255.255 is not a "
			       "unicast address");
	client_err("ServerAddress a.b\nBindAddress localhost\n",
		   CLIENT_FILE ":2: invalid IPv4 address \"localhost\" for "
			       "BindAddress");
	client_err("RelayType cone\nInterfaceMTU 1279\n", CLIENT_FILE
		   ":2: value \"1279\" for InterfaceMTU out of range "
		   "1280..65535");
	client_err("ServerAddress a.b\nRefreshInterval 9\n",
		   CLIENT_FILE ":2: value \"9\" for RefreshInterval out of "
			       "range 10..3600");
	client_err("ServerAddress a.b\nRefreshInterval 3601\n",
		   CLIENT_FILE ":2: value \"3601\" for RefreshInterval out of "
			       "range 10..3600");
	client_err("ServerAddress a.b\nMaxPeers 15\n",
		   CLIENT_FILE ":2: value \"15\" for MaxPeers out of range "
			       "16..1048576");
	client_err("ServerAddress a.b\nMaxPeers 1048577\n", CLIENT_FILE
		   ":2: value \"1048577\" for MaxPeers out of range "
		   "16..1048576");
	client_err("ServerAddress a.b\nSymmetricNATSupport maybe\n",
		   CLIENT_FILE ":2: invalid value \"maybe\" for "
			       "SymmetricNATSupport: must be yes or no");
	client_err("ServerAddress a.b\nSyslogFacility local8\n", CLIENT_FILE
		   ":2: invalid value \"local8\" for SyslogFacility: "
		   "must be one of auth, authpriv, cron, daemon, "
		   "ftp, kern, local0 to local7, lpr, mail, news, "
		   "syslog, user, uucp");
	client_err("RelayType cone\nPrefix 2001:0::1\n",
		   CLIENT_FILE ":2: invalid Teredo prefix \"2001:0::1\" for "
			       "Prefix: only the first 32 bits may be set");
	client_err("RelayType cone\nPrefix ff05::\n",
		   CLIENT_FILE ":2: invalid Teredo prefix \"ff05::\" for "
			       "Prefix: neither :: nor multicast (ff00::/8)");
	client_err("RelayType cone\nPrefix ::\n",
		   CLIENT_FILE ":2: invalid Teredo prefix \"::\" for Prefix: "
			       "neither :: nor multicast (ff00::/8)");
	client_err("RelayType cone\nPrefix 2001:0::/32\n",
		   CLIENT_FILE ":2: invalid IPv6 prefix \"2001:0::/32\" for "
			       "Prefix");
	client_err("RelayType cone\nPrefix 2001:0000:0000:0000:0000:0000:0000:"
		   "0000:0\n",
		   CLIENT_FILE ":2: invalid IPv6 prefix \"2001:0000:0000:0000:"
			       "0000:0000:0000:0000:...\" for Prefix");
	client_err("ServerAddress a.b\nInterfaceName teredo-interface0\n",
		   CLIENT_FILE
		   ":2: invalid interface name \"teredo-interface0\" "
		   "for InterfaceName: at most 15 characters");
	client_err("ServerAddress a.b\nInterfaceName te:0\n",
		   CLIENT_FILE ":2: invalid interface name \"te:0\" for "
			       "InterfaceName: letters, digits, '_', '-' and "
			       "'.' only");
	client_err("ServerAddress a.b\nInterfaceName tun%d\n",
		   CLIENT_FILE ":2: invalid interface name \"tun%d\" for "
			       "InterfaceName: letters, digits, '_', '-' and "
			       "'.' only");
	client_err("ServerAddress a.b\nInterfaceName ..\n",
		   CLIENT_FILE ":2: invalid interface name \"..\" for "
			       "InterfaceName");
	client_err("ServerAddress \"teredo.example.net\"\n",
		   CLIENT_FILE ":1: quoting is not supported: the value of "
			       "ServerAddress cannot start with a quote");
	client_err("ServerAddress 'teredo.example.net'\n",
		   CLIENT_FILE ":1: quoting is not supported: the value of "
			       "ServerAddress cannot start with a quote");
	client_err("ServerAddress a.example b.example\n", CLIENT_FILE
		   ":1: unexpected \"b.example\" after the value of "
		   "ServerAddress (a value has no spaces; '#' "
		   "starts a comment)");
	client_err("ServerAddress a.b\nControlSocket run/x.sock\n",
		   CLIENT_FILE ":2: invalid path \"run/x.sock\" for "
			       "ControlSocket: must be absolute");
	client_err("ServerAddress a.b\nControlSocket /run/\"x\n",
		   CLIENT_FILE ":2: invalid path \"/run/\\\"x\" for "
			       "ControlSocket: printable ASCII without quotes "
			       "or '\\' only");
	client_err("ServerAddress a.example\nServerAddress2 A.EXAMPLE\n",
		   CLIENT_FILE ":2: ServerAddress2 must differ from "
			       "ServerAddress");
	client_err("ServerAddress a..example\n",
		   CLIENT_FILE ":1: invalid host name \"a..example\" for "
			       "ServerAddress");
	client_err("ServerAddress -a.example\n",
		   CLIENT_FILE ":1: invalid host name \"-a.example\" for "
			       "ServerAddress");
	client_err("ServerAddress a-.example\n",
		   CLIENT_FILE ":1: invalid host name \"a-.example\" for "
			       "ServerAddress");
	client_err("ServerAddress a.example..\n",
		   CLIENT_FILE ":1: invalid host name \"a.example..\" for "
			       "ServerAddress");
	client_err("ServerAddress .\n",
		   CLIENT_FILE ":1: invalid IPv4 address \".\" for "
			       "ServerAddress");
	client_err("ServerAddress a/b\n",
		   CLIENT_FILE ":1: invalid host name \"a/b\" for "
			       "ServerAddress");
	client_err("ServerBindAddress 192.0.2.1\n",
		   CLIENT_FILE ":1: unknown key \"ServerBindAddress\" (a "
			       "miredo-server.conf key)");
	/* Attacker bytes are escaped and cut in messages (rule 11). */
	client_err("Serv\033[2JerAddress a.b\n",
		   CLIENT_FILE ":1: unknown key \"Serv\\x1b[2JerAddress\"");
	client_err("\xef\xbb\xbfServerAddress a.b\n", CLIENT_FILE
		   ":1: unknown key \"\\xef\\xbb\\xbfServerAddress\"");
	client_err("ServerAddress a.b\nInterfaceName tere\\do\"\n",
		   CLIENT_FILE ":2: invalid interface name \"tere\\\\do\\\"\" "
			       "for InterfaceName: letters, digits, '_', '-' "
			       "and '.' only");
	client_err("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x\n",
		   CLIENT_FILE
		   ":1: unknown key \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		   "AAAAAAAAAA...\"");
}

static void
test_server_errors(void)
{
	server_err("", SERVER_FILE ": missing ServerBindAddress (required)");
	server_err("# only\n# comments\n",
		   SERVER_FILE ": missing ServerBindAddress (required)");
	server_err("Prefix 2001:0::\n",
		   SERVER_FILE ": missing ServerBindAddress (required)");
	server_err("ServerBindAddress2 192.0.2.2\n",
		   SERVER_FILE ": missing ServerBindAddress (required)");
	server_err("ServerBindAddress 192.168.1.1\n",
		   SERVER_FILE ":1: ServerBindAddress 192.168.1.1 is not a "
			       "global unicast IPv4 address (RFC 4380 §5.2.4)");
	server_err("ServerBindAddress 192.0.2.1\nServerBindAddress2 "
		   "169.254.0.1\n",
		   SERVER_FILE ":2: ServerBindAddress2 169.254.0.1 is not a "
			       "global unicast IPv4 address (RFC 4380 §5.2.4)");
	server_err("ServerBindAddress 223.255.255.255\n",
		   SERVER_FILE ":1: the secondary address, ServerBindAddress + "
			       "1 = 224.0.0.0, is not global unicast: set "
			       "ServerBindAddress2");
	server_err("ServerBindAddress 192.0.2.1\nServerBindAddress2 "
		   "192.0.2.1\n",
		   SERVER_FILE ":2: ServerBindAddress2 must differ from "
			       "ServerBindAddress (192.0.2.1)");
	server_err("ServerBindAddress teredo.example.net\n", SERVER_FILE
		   ":1: invalid IPv4 address \"teredo.example.net\" "
		   "for ServerBindAddress");
	server_err("ServerBindAddress 192.0.2.1\nRelayType cone\n",
		   SERVER_FILE ":2: unknown key \"RelayType\" (a miredo.conf "
			       "key)");
	server_err("ServerBindAddress 192.0.2.1\nBindPort 3545\n",
		   SERVER_FILE ":2: unknown key \"BindPort\" (a miredo.conf "
			       "key)");
	server_err("ServerBindAddress 192.0.2.1\nServerBindAddres 192.0.2.3\n",
		   SERVER_FILE ":2: unknown key \"ServerBindAddres\"");
	server_err("ServerBindAddress 192.0.2.1\nInterfaceMTU 1000\n",
		   SERVER_FILE ":2: value \"1000\" for InterfaceMTU out of "
			       "range 1280..65535");
	server_err("ServerBindAddress 192.0.2.1\nServerBindAddress 192.0.2.9\n",
		   SERVER_FILE ":2: duplicate key ServerBindAddress (first set "
			       "on line 1)");
}

/* Strict dotted quads: no inet_aton() shorthand, octal or hex. */
static void
test_ipv4_text(void)
{
	static const char *const bad[] = {
		"1.2.3",      "1.2.3.4.", "256.1.1.1",	"01.2.3.4",
		"1..2.3",     ".1.2.3.4", "1.2.3.4x",	"0x7f.0.0.1",
		"1.2.3.1000", "1.2.3.-1", "1.2.3.4/32", "4294967295",
	};
	static const struct {
		const char *text;
		uint32_t v;
	} good[] = {
		{"0.0.0.0", 0},
		{"10.255.0.9", IPV4(10, 255, 0, 9)},
		{"192.0.2.250", IPV4(192, 0, 2, 250)},
		{"223.255.255.254", IPV4(223, 255, 255, 254)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[128], want[CONF_ERR_LEN];

		snprintf(text, sizeof(text),
			 "ServerAddress a.b\nBindAddress %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 CLIENT_FILE ":2: invalid IPv4 address \"%s\" for "
				     "BindAddress",
			 bad[i]);
		client_err(text, want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char text[128];
		struct teredo_client_conf c;

		snprintf(text, sizeof(text),
			 "ServerAddress a.b\nBindAddress %s\n", good[i].text);
		c = client_ok(text, "BindAddress");
		ok(c.bind_ipv4 == good[i].v, "  %s", good[i].text);
	}
}

static void
test_lexical(void)
{
	struct teredo_client_conf c, want;
	char err[CONF_ERR_LEN];

	conf_client_defaults(&want);
	strcpy(want.server_address, "a.example");
	want.bind_port = 7;

	static const char *const same[] = {
		"ServerAddress a.example\nBindPort 7\n",
		"ServerAddress a.example\nBindPort 7",	     /* no final \n */
		"ServerAddress a.example\r\nBindPort 7\r\n", /* CRLF */
		"\n\n  \t\nServerAddress a.example\n\n\nBindPort 7\n\n",
		"\tServerAddress\t\ta.example\t\n   BindPort   7   \n",
		"ServerAddress a.example # the server\nBindPort 7 #port\n",
		"ServerAddress a.example\t#tab then comment\nBindPort 7\n",
		"# comment\n#ServerAddress b.example\n   # indented\n"
		"ServerAddress a.example\nBindPort 7\n",
		"#\n##\n#!/usr/sbin/miredo -f -c\nServerAddress a.example\n"
		"BindPort 7\n",
		"serveraddress a.example\nBINDPORT 7\n",
		"sErVeRaDdReSs a.example\nbindPort 7\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
		c = client_ok(same[i], "whitespace/comment variant parses");
		ok(conf_client_equal(&c, &want), "  to the same struct (#%zu)",
		   i);
	}
	/* VT and FF are white space, like sscanf's %s; not line breaks. */
	client_err("ServerAddress\va.example\fBindPort 7\n",
		   CLIENT_FILE ":1: unexpected \"BindPort\" after the value of "
			       "ServerAddress (a value has no spaces; '#' "
			       "starts a comment)");

	/* Only `len` bytes are read: the text need not end in NUL. */
	{
		const char text[] = "ServerAddress a.example\nBindPort 7XYZ";

		ok(conf_client_parse(text, sizeof(text) - 4, CLIENT_FILE, &c,
				     err, sizeof(err)) == 0 &&
			   conf_client_equal(&c, &want),
		   "only len bytes are read");
	}

	/* Line length: CONF_LINE_MAX bytes are fine, one more is not. */
	{
		static char text[4 * CONF_LINE_MAX];
		size_t n;

		n = (size_t)snprintf(text, sizeof(text),
				     "ServerAddress a.example\nBindPort 7\n#");
		memset(text + n, 'x', CONF_LINE_MAX - 1);
		n += CONF_LINE_MAX - 1;
		text[n++] = '\n';
		c = client_ok(text, "a 1024-byte comment line");
		text[n - 1] = 'x';
		text[n++] = '\n';
		text[n] = '\0';
		client_err(text, CLIENT_FILE ":3: line longer than 1024 bytes");
		text[n - 1] = '\0'; /* the same, as the last line */
		client_err(text, CLIENT_FILE ":3: line longer than 1024 bytes");
		/* CR counts: it is part of the line, as in Miredo. */
		text[n - 2] = '\r';
		text[n - 1] = '\n';
		client_err(text, CLIENT_FILE ":3: line longer than 1024 bytes");
	}
	{
		const char text[] = "ServerAddress a.b\n# \0 nul\n";

		ok(conf_client_parse(text, sizeof(text) - 1, CLIENT_FILE, &c,
				     err, sizeof(err)) == -EINVAL &&
			   strcmp(err, CLIENT_FILE ":2: NUL byte in line") == 0,
		   "a NUL byte is refused, even in a comment");
	}
	/* Line numbers count every line, blank and comment ones too. */
	client_err("\n\n# 3\n\n\t\nFoo bar\n",
		   CLIENT_FILE ":6: unknown key \"Foo\"");
	client_err("\r\n\r\nFoo bar\r\n",
		   CLIENT_FILE ":3: unknown key \"Foo\"");
	/* A key glued to a comment is a key, as in Miredo. */
	client_err("ServerAddress#x a.b\n",
		   CLIENT_FILE ":1: unknown key \"ServerAddress#x\"");
	/* The first error in file order is reported. */
	client_err("Foo 1\nBar 2\n", CLIENT_FILE ":1: unknown key \"Foo\"");
	client_err("ServerAddress a.b\nBindPort x\nMaxPeers 1\n",
		   CLIENT_FILE ":2: invalid number \"x\" for BindPort: not a "
			       "decimal number");
	/* ... but RelayType first: the other keys depend on it. */
	client_err("BindPort x\nRelayType bogus\n", CLIENT_FILE
		   ":2: invalid value \"bogus\" for RelayType: must "
		   "be one of client, autoclient, cone, restricted "
		   "(or relay, an alias of cone)");
}

/* Fixed-size fields: the longest value fits, one more byte does not. */
static void
test_lengths(void)
{
	char text[1024], label63[64], want[CONF_ERR_LEN],
		path[CONF_PATH_MAX + 2];
	char host[CONF_HOSTNAME_MAX + 2];
	struct teredo_client_conf c;

	c = client_ok("ServerAddress a.b\nInterfaceName abcdefghijklmno\n",
		      "a 15-character InterfaceName");
	str_is(c.interface_name, "abcdefghijklmno", "  copied whole");

	memset(label63, 'a', 63);
	label63[63] = '\0';
	snprintf(text, sizeof(text), "ServerAddress %s.example\n", label63);
	c = client_ok(text, "a 63-byte label");
	snprintf(text, sizeof(text), "ServerAddress %sa.example\n", label63);
	snprintf(want, sizeof(want),
		 CLIENT_FILE ":1: invalid host name \"%.40s...\" for "
			     "ServerAddress",
		 label63);
	client_err(text, want);

	/* 253 bytes: 63.63.63.61 */
	snprintf(host, sizeof(host), "%s.%s.%s.%.61s", label63, label63,
		 label63, label63);
	snprintf(text, sizeof(text), "ServerAddress %s\n", host);
	c = client_ok(text, "a 253-byte host name");
	str_is(c.server_address, host, "  copied whole");
	snprintf(text, sizeof(text), "ServerAddress %sb\n", host);
	client_err(text, CLIENT_FILE ":1: host name for ServerAddress too long "
				     "(254 bytes, at most 253)");
	snprintf(text, sizeof(text), "ServerAddress %.252s.\n", host);
	c = client_ok(text, "a final dot counts in the 253 bytes");
	snprintf(text, sizeof(text), "ServerAddress %s.\n", host);
	client_err(text, CLIENT_FILE ":1: host name for ServerAddress too long "
				     "(254 bytes, at most 253)");

	path[0] = '/';
	memset(path + 1, 'p', CONF_PATH_MAX - 1);
	path[CONF_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "ServerAddress a.b\nControlSocket %s\n",
		 path);
	c = client_ok(text, "a 107-byte ControlSocket");
	str_is(c.control_socket, path, "  copied whole");
	snprintf(text, sizeof(text), "ServerAddress a.b\nControlSocket %sp\n",
		 path);
	client_err(text, CLIENT_FILE ":2: path for ControlSocket too long (108 "
				     "bytes, at most 107)");
}

static void
test_out_untouched_and_err_buffers(void)
{
	struct teredo_client_conf c, before;
	struct teredo_server_conf s, sbefore;
	char err[16];

	memset(&c, 0xa5, sizeof(c));
	before = c;
	ok(client("Bad key\n", &c, (char[CONF_ERR_LEN]){0}) == -EINVAL &&
		   memcmp(&c, &before, sizeof(c)) == 0,
	   "client: out untouched on error");
	ok(client("ServerAddress a.b\nBindPort 99999\n", &c,
		  (char[CONF_ERR_LEN]){0}) == -EINVAL &&
		   memcmp(&c, &before, sizeof(c)) == 0,
	   "client: out untouched on a late error");
	memset(&s, 0xa5, sizeof(s));
	sbefore = s;
	ok(server("ServerBindAddress 10.0.0.1\n", &s,
		  (char[CONF_ERR_LEN]){0}) == -EINVAL &&
		   memcmp(&s, &sbefore, sizeof(s)) == 0,
	   "server: out untouched on error");

	ok(conf_client_parse("x y\n", 4, CLIENT_FILE, &c, NULL, 0) == -EINVAL,
	   "no error buffer: still -EINVAL");
	memset(err, 'z', sizeof(err));
	ok(conf_client_parse("x y\n", 4, CLIENT_FILE, &c, err, sizeof(err)) ==
			   -EINVAL &&
		   strcmp(err, "miredo.conf:1: ") == 0,
	   "a short error buffer is truncated and terminated");
	memset(err, 'z', sizeof(err));
	ok(conf_client_parse("ServerAddress a.b\n", 18, CLIENT_FILE, &c, err,
			     sizeof(err)) == 0 &&
		   err[0] == '\0',
	   "success clears the error buffer");
	{
		char big[CONF_ERR_LEN];

		ok(conf_client_parse("x y\n", 4, NULL, &c, big, sizeof(big)) ==
				   -EINVAL &&
			   strcmp(big, "(config):1: unknown key \"x\"") == 0,
		   "no file name: (config)");
		ok(conf_client_parse("x y\n", 4, "/etc/a\nb.conf", &c, big,
				     sizeof(big)) == -EINVAL &&
			   strcmp(big, "/etc/a\\x0ab.conf:1: unknown key "
				       "\"x\"") == 0,
		   "the file name is escaped too");
		ok(conf_client_parse(NULL, 0, "e.conf", &c, big, sizeof(big)) ==
				   -EINVAL &&
			   strcmp(big,
				  "e.conf: missing ServerAddress "
				  "(required when RelayType is client)") == 0,
		   "NULL text of length 0 is an empty file");
	}
}

/* parse -> format -> parse is the identity; format is a fixed point. */
static void
round_trip_client(const char *text, const char *what)
{
	struct teredo_client_conf a, b;
	char out1[2048], out2[2048], err[CONF_ERR_LEN];
	size_t need;

	a = client_ok(text, what);
	ok(conf_client_format(&a, out1, sizeof(out1)) == 0, "  formats");
	ok(conf_client_parse(out1, strlen(out1), "canon", &b, err,
			     sizeof(err)) == 0 &&
		   conf_client_equal(&a, &b),
	   "  the canonical text parses back equal");
	ok(conf_client_format(&b, out2, sizeof(out2)) == 0 &&
		   strcmp(out1, out2) == 0,
	   "  and formats to itself");
	need = strlen(out1) + 1;
	ok(conf_client_format(&a, out2, need) == 0 && strcmp(out1, out2) == 0,
	   "  fits in exactly %zu bytes", need);
	for (size_t cap = 0; cap < need; cap++) {
		int rc;

		memset(out2, 'z', sizeof(out2));
		rc = conf_client_format(&a, out2, cap);
		if (rc != -ENOBUFS || (cap > 0 && strlen(out2) >= cap)) {
			ok(false, "  cap %zu: -ENOBUFS, terminated (%d)", cap,
			   rc);
			return;
		}
	}
	ok(true, "  every smaller buffer: -ENOBUFS, NUL-terminated");
}

static void
round_trip_server(const char *text, const char *what)
{
	struct teredo_server_conf a, b;
	char out1[1024], out2[1024], err[CONF_ERR_LEN];
	size_t need;

	a = server_ok(text, what);
	ok(conf_server_format(&a, out1, sizeof(out1)) == 0, "  formats");
	ok(conf_server_parse(out1, strlen(out1), "canon", &b, err,
			     sizeof(err)) == 0 &&
		   conf_server_equal(&a, &b),
	   "  the canonical text parses back equal");
	ok(conf_server_format(&b, out2, sizeof(out2)) == 0 &&
		   strcmp(out1, out2) == 0,
	   "  and formats to itself");
	need = strlen(out1) + 1;
	for (size_t cap = 0; cap < need; cap++) {
		if (conf_server_format(&a, out2, cap) != -ENOBUFS) {
			ok(false, "  cap %zu: -ENOBUFS", cap);
			return;
		}
	}
	ok(true, "  every smaller buffer: -ENOBUFS");
}

static void
test_round_trips(void)
{
	round_trip_client(debian_miredo_conf, "round trip: Debian miredo.conf");
	round_trip_client("RelayType autoclient\nInterfaceName t0\n"
			  "ServerAddress 192.0.2.1\nServerAddress2 "
			  "teredo2.example.\nBindAddress 10.0.0.1\n"
			  "BindPort 1\nSyslogFacility uucp\n"
			  "RefreshInterval 3600\nSymmetricNATSupport off\n"
			  "MaxPeers 16\nControlSocket /a\n",
			  "round trip: every client key");
	round_trip_client("RelayType relay\nPrefix 3ffe:831f:0::\n"
			  "InterfaceMTU 9000\nBindPort 3544\n",
			  "round trip: relay");
	round_trip_client("RelayType restricted\n", "round trip: restricted");
	round_trip_server(debian_server_conf,
			  "round trip: Debian miredo-server.conf");
	round_trip_server("ServerBindAddress 203.0.113.1\n"
			  "ServerBindAddress2 198.51.100.1\nPrefix 2001:db8::\n"
			  "InterfaceMTU 1500\nSyslogFacility local0\n"
			  "ControlSocket /run/x\n",
			  "round trip: every server key");

	/* The canonical text of Debian's miredo.conf, exactly. */
	{
		struct teredo_client_conf c =
			client_ok(debian_miredo_conf, "Debian miredo.conf");
		char out[1024];

		ok(conf_client_format(&c, out, sizeof(out)) == 0, "  formats");
		str_is(out,
		       "# teredod configuration, canonical form "
		       "(miredo.conf(5) "
		       "syntax)\n"
		       "RelayType client\n"
		       "InterfaceName teredo\n"
		       "ServerAddress teredo-debian.remlab.net\n"
		       "#ServerAddress2 not set: the primary server address "
		       "+ 1\n"
		       "BindAddress 0.0.0.0\n"
		       "BindPort 0\n"
		       "SyslogFacility daemon\n"
		       "# Shipworm extensions (not known to Miredo)\n"
		       "RefreshInterval 30\n"
		       "SymmetricNATSupport yes\n"
		       "MaxPeers 1024\n"
		       "ControlSocket /run/shipworm/teredod.sock\n",
		       "  canonical text");
	}
}

static void
test_format_refuses_garbage(void)
{
	struct teredo_client_conf c;
	struct teredo_server_conf s;
	char out[2048];

	conf_client_defaults(&c);
	c.relay_type = (enum conf_relay_type)CONF_RELAY_TYPE_COUNT;
	is_int(conf_client_format(&c, out, sizeof(out)), -EINVAL,
	       "format: RelayType out of range");
	conf_client_defaults(&c);
	c.syslog_facility = (enum conf_syslog_facility)99;
	is_int(conf_client_format(&c, out, sizeof(out)), -EINVAL,
	       "format: facility out of range");
	conf_client_defaults(&c);
	memset(c.interface_name, 'x', sizeof(c.interface_name));
	is_int(conf_client_format(&c, out, sizeof(out)), -EINVAL,
	       "format: unterminated InterfaceName");
	conf_server_defaults(&s);
	memset(s.control_socket, 'x', sizeof(s.control_socket));
	is_int(conf_server_format(&s, out, sizeof(out)), -EINVAL,
	       "format: unterminated ControlSocket");

	str_is(conf_relay_type_name(CONF_RELAY_RESTRICTED), "restricted",
	       "relay type name");
	str_is(conf_relay_type_name((enum conf_relay_type)7), "?",
	       "relay type name out of range");
	str_is(conf_syslog_facility_name(CONF_SYSLOG_UUCP), "uucp",
	       "facility name");
	str_is(conf_syslog_facility_name((enum conf_syslog_facility)20), "?",
	       "facility name out of range");
}

int
main(void)
{
	test_defaults();
	test_debian();
	test_client_keys();
	test_server_keys();
	test_client_errors();
	test_server_errors();
	test_ipv4_text();
	test_lexical();
	test_lengths();
	test_out_untouched_and_err_buffers();
	test_round_trips();
	test_format_refuses_garbage();
	return done_testing();
}
