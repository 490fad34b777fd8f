/*
 * Miredo-compatible configuration files, parsed sans-I/O.
 *
 * teredod reads miredo.conf(5) syntax and teredo-serverd reads
 * miredo-server.conf(5) syntax, so that an existing Miredo 1.2.6
 * configuration works unchanged.  The daemon reads the file; this module
 * gets its bytes and a name for messages, and fills a fixed-size struct:
 * nothing is allocated, resolved or opened here.
 *
 * Lexical rules (Miredo's src/conf.c reads a line with fgets() and then
 * sscanf(" %31s %1023s"); we follow it and are stricter where it is silent):
 *
 *   - One directive per line: a key, white space, a value.  White space is
 *     space, tab, CR, VT and FF, so CRLF files work as they do in Miredo.
 *   - A line whose first word starts with '#' is a comment; so are blank
 *     lines.  After the value, a word starting with '#' starts a comment
 *     (Miredo ignored anything after the value); any other word there is an
 *     error, because values never contain white space.
 *   - Keys are case-insensitive (Miredo compares them with strcasecmp); so
 *     are the words RelayType, SyslogFacility and booleans take.
 *   - There is no quoting: Miredo takes quotes literally, so a value that
 *     starts with a quote is rejected with a clear message.
 *   - A line holds at most CONF_LINE_MAX bytes, its '\n' excluded (Miredo
 *     skips lines longer than 1054 bytes with a warning; we reject them).
 *     The last line needs no '\n' (Miredo would skip it).  NUL bytes are
 *     rejected.
 *   - Fail closed where Miredo only warned: an unknown key, a key given
 *     twice (Miredo used the first one), a key without a value, and a key of
 *     the other role (Prefix in client mode, ServerAddress in relay mode:
 *     Miredo's "Superfluous directive", which miredo-checkconf(8) treats as
 *     an error) each stop the parse.
 *   - Numbers are decimal, without sign or leading zeros (Miredo's
 *     strtoul(..., 0) would read "03545" as octal: we refuse to guess).
 *     IPv4 addresses are strict dotted quads (no inet_aton() shorthand such
 *     as "1.2.3"); addresses given as host names are only accepted where a
 *     name is meant (ServerAddress, ServerAddress2).
 *
 * Errors: the parsers return 0 or -EINVAL.  On error `err` holds one line,
 * "file:line: message" (or "file: message" for a missing key), with the
 * offending bytes escaped, and `out` is left untouched.  The first error
 * in file order is reported, except that RelayType is checked first, as
 * the other keys depend on it.
 *
 * Canonical form: conf_*_format() prints every key of the role, defaults
 * included, in a fixed order, one "Key value" per line after a header
 * comment; parse(format(parse(x))) equals parse(x), and format is
 * idempotent.  A daemon's "check the configuration" option prints it.
 */
#ifndef SHIPWORM_CONF_CONF_H
#define SHIPWORM_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CONF_LINE_MAX 1024    /* bytes per line, '\n' excluded */
#define CONF_IFNAME_MAX 15    /* Linux IFNAMSIZ - 1 */
#define CONF_HOSTNAME_MAX 253 /* RFC 1035 §2.3.4; a final dot counts */
#define CONF_PATH_MAX 107     /* sizeof(sun_path) - 1 */
#define CONF_GROUP_MAX 32     /* a group name (useradd's limit) */
#define CONF_ERR_LEN 512      /* a good size for the `err` buffer */

/* RelayType (miredo.conf(5)); "relay" is read as an alias of cone. */
enum conf_relay_type {
	CONF_RELAY_CLIENT,     /* Teredo client (the default) */
	CONF_RELAY_AUTOCLIENT, /* client; Miredo: an alias of client */
	CONF_RELAY_CONE,       /* relay with public, unfiltered IPv4 */
	CONF_RELAY_RESTRICTED, /* relay that sends direct bubbles */
};
#define CONF_RELAY_TYPE_COUNT 4

/* The facility names Miredo's SyslogFacility accepts; the daemon maps
 * them to LOG_* (lib/ does not include syslog.h). */
enum conf_syslog_facility {
	CONF_SYSLOG_AUTH,
	CONF_SYSLOG_AUTHPRIV,
	CONF_SYSLOG_CRON,
	CONF_SYSLOG_DAEMON, /* the default */
	CONF_SYSLOG_FTP,
	CONF_SYSLOG_KERN,
	CONF_SYSLOG_LOCAL0,
	CONF_SYSLOG_LOCAL1,
	CONF_SYSLOG_LOCAL2,
	CONF_SYSLOG_LOCAL3,
	CONF_SYSLOG_LOCAL4,
	CONF_SYSLOG_LOCAL5,
	CONF_SYSLOG_LOCAL6,
	CONF_SYSLOG_LOCAL7,
	CONF_SYSLOG_LPR,
	CONF_SYSLOG_MAIL,
	CONF_SYSLOG_NEWS,
	CONF_SYSLOG_SYSLOG,
	CONF_SYSLOG_USER,
	CONF_SYSLOG_UUCP,
};
#define CONF_SYSLOG_FACILITY_COUNT 20

/*
 * teredod: miredo.conf.  Addresses and numbers in host order.  Keys marked
 * "client" are refused in relay modes and "relay" ones in client modes.
 */
struct teredo_client_conf {
	enum conf_relay_type relay_type;	  /* RelayType */
	char interface_name[CONF_IFNAME_MAX + 1]; /* InterfaceName, "teredo" */
	/* client: ServerAddress, a host name or dotted quad, kept as text (the
	 * daemon resolves it); required in client modes, "" in relay modes.
	 * A dotted quad must be global unicast (RFC 4380 §5.2.4); a name is
	 * checked by the daemon once resolved. */
	char server_address[CONF_HOSTNAME_MAX + 1];
	/* client: ServerAddress2; "" means primary + 1 (the daemon computes
	 * it after resolving ServerAddress). */
	char server_address2[CONF_HOSTNAME_MAX + 1];
	/* BindAddress: a dotted quad, neither 224/4 nor 240/4; 0 = any. */
	uint32_t bind_ipv4;
	uint16_t bind_port; /* BindPort; 0 = chosen by the kernel */
	uint32_t prefix;    /* relay: Prefix, the top 32 bits; 2001:0:: */
	uint16_t mtu;	    /* relay: InterfaceMTU, >= 1280 */
	enum conf_syslog_facility syslog_facility; /* SyslogFacility */
	/* Shipworm extensions. */
	uint32_t refresh_interval_s; /* client: RefreshInterval, 30 */
	bool symmetric_nat_support;  /* client: SymmetricNATSupport, yes */
	uint32_t max_peers;	     /* MaxPeers, 1024 */
	char control_socket[CONF_PATH_MAX + 1]; /* ControlSocket */
	/* ControlGroup: who may use the control socket besides root and the
	 * daemon's user; "" = the daemon's user's primary group (shipworm). */
	char control_group[CONF_GROUP_MAX + 1];
};

/* teredo-serverd: miredo-server.conf. */
struct teredo_server_conf {
	uint32_t server_ipv4;  /* ServerBindAddress, required, global */
	uint32_t server2_ipv4; /* ServerBindAddress2; parse fills in
				* primary + 1 when the file has none */
	uint32_t prefix;       /* Prefix, the top 32 bits; 2001:0:: */
	uint16_t mtu;	       /* InterfaceMTU advertised in RAs, 1280 */
	enum conf_syslog_facility syslog_facility;
	/* Shipworm extensions. */
	char control_socket[CONF_PATH_MAX + 1];
	char control_group[CONF_GROUP_MAX + 1]; /* ControlGroup, as above */
};

void conf_client_defaults(struct teredo_client_conf *c);
void conf_server_defaults(struct teredo_server_conf *s);

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated).  `filename`
 * (may be NULL) only names the file in messages.  `err` (may be NULL when
 * err_cap is 0) receives the message, NUL-terminated and truncated to fit.
 * 0, or -EINVAL with `out` untouched.
 */
MUST_CHECK int conf_client_parse(const char *text, size_t len,
				 const char *filename,
				 struct teredo_client_conf *out, char *err,
				 size_t err_cap);
MUST_CHECK int conf_server_parse(const char *text, size_t len,
				 const char *filename,
				 struct teredo_server_conf *out, char *err,
				 size_t err_cap);

/*
 * The canonical text, NUL-terminated, into buf.  0; -ENOBUFS when it does
 * not fit (buf then holds a truncated, NUL-terminated prefix); -EINVAL when
 * the struct is not something a parse returns (an enum out of range, an
 * unterminated string).
 */
MUST_CHECK int conf_client_format(const struct teredo_client_conf *c, char *buf,
				  size_t cap);
MUST_CHECK int conf_server_format(const struct teredo_server_conf *s, char *buf,
				  size_t cap);

/* Field-by-field equality (strings up to their NUL). */
bool conf_client_equal(const struct teredo_client_conf *a,
		       const struct teredo_client_conf *b);
bool conf_server_equal(const struct teredo_server_conf *a,
		       const struct teredo_server_conf *b);

/* True for relay modes (cone, restricted), false for client modes. */
bool conf_client_is_relay(const struct teredo_client_conf *c);

/* The word the file uses ("client", "local3"); "?" when out of range. */
const char *conf_relay_type_name(enum conf_relay_type t);
const char *conf_syslog_facility_name(enum conf_syslog_facility f);

#endif
