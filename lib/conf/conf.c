/* Miredo-compatible configuration files (see conf.h for the rules). */
#include "conf/conf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/strbuf.h"
#include "teredo/addr.h"
#include "wire/ip6.h"
#include "wire/be.h"
#include "wire/rd.h"

/* Every key either file knows; each parse accepts a subset. */
enum conf_key {
	KEY_RELAY_TYPE,
	KEY_INTERFACE_NAME,
	KEY_SERVER_ADDRESS,
	KEY_SERVER_ADDRESS2,
	KEY_BIND_ADDRESS,
	KEY_BIND_PORT,
	KEY_PREFIX,
	KEY_INTERFACE_MTU,
	KEY_SYSLOG_FACILITY,
	KEY_REFRESH_INTERVAL,
	KEY_SYMMETRIC_NAT_SUPPORT,
	KEY_MAX_PEERS,
	KEY_CONTROL_SOCKET,
	KEY_SERVER_BIND_ADDRESS,
	KEY_SERVER_BIND_ADDRESS2,
	KEY_CONTROL_GROUP,
	KEY_COUNT
};

/* Spelled as miredo.conf(5) and miredo-server.conf(5) spell them. */
static const char *const key_names[KEY_COUNT] = {
	[KEY_RELAY_TYPE] = "RelayType",
	[KEY_INTERFACE_NAME] = "InterfaceName",
	[KEY_SERVER_ADDRESS] = "ServerAddress",
	[KEY_SERVER_ADDRESS2] = "ServerAddress2",
	[KEY_BIND_ADDRESS] = "BindAddress",
	[KEY_BIND_PORT] = "BindPort",
	[KEY_PREFIX] = "Prefix",
	[KEY_INTERFACE_MTU] = "InterfaceMTU",
	[KEY_SYSLOG_FACILITY] = "SyslogFacility",
	[KEY_REFRESH_INTERVAL] = "RefreshInterval",
	[KEY_SYMMETRIC_NAT_SUPPORT] = "SymmetricNATSupport",
	[KEY_MAX_PEERS] = "MaxPeers",
	[KEY_CONTROL_SOCKET] = "ControlSocket",
	[KEY_SERVER_BIND_ADDRESS] = "ServerBindAddress",
	[KEY_SERVER_BIND_ADDRESS2] = "ServerBindAddress2",
	[KEY_CONTROL_GROUP] = "ControlGroup",
};

/* miredo.conf: Miredo 1.2.6's keys (src/relayd.c), then ours. */
static const enum conf_key client_keys[] = {
	KEY_RELAY_TYPE,	      KEY_INTERFACE_NAME,	 KEY_SERVER_ADDRESS,
	KEY_SERVER_ADDRESS2,  KEY_BIND_ADDRESS,		 KEY_BIND_PORT,
	KEY_PREFIX,	      KEY_INTERFACE_MTU,	 KEY_SYSLOG_FACILITY,
	KEY_REFRESH_INTERVAL, KEY_SYMMETRIC_NAT_SUPPORT, KEY_MAX_PEERS,
	KEY_CONTROL_SOCKET,   KEY_CONTROL_GROUP,
};

/* miredo-server.conf: Miredo 1.2.6's keys (src/serverd.c), then ours. */
static const enum conf_key server_keys[] = {
	KEY_SERVER_BIND_ADDRESS, KEY_SERVER_BIND_ADDRESS2, KEY_PREFIX,
	KEY_INTERFACE_MTU,	 KEY_SYSLOG_FACILITY,	   KEY_CONTROL_SOCKET,
	KEY_CONTROL_GROUP,
};

static const char *const relay_type_names[CONF_RELAY_TYPE_COUNT] = {
	[CONF_RELAY_CLIENT] = "client",
	[CONF_RELAY_AUTOCLIENT] = "autoclient",
	[CONF_RELAY_CONE] = "cone",
	[CONF_RELAY_RESTRICTED] = "restricted",
};

/* Miredo's table in src/conf.c, which follows syslog.h. */
static const char *const facility_names[CONF_SYSLOG_FACILITY_COUNT] = {
	[CONF_SYSLOG_AUTH] = "auth",	 [CONF_SYSLOG_AUTHPRIV] = "authpriv",
	[CONF_SYSLOG_CRON] = "cron",	 [CONF_SYSLOG_DAEMON] = "daemon",
	[CONF_SYSLOG_FTP] = "ftp",	 [CONF_SYSLOG_KERN] = "kern",
	[CONF_SYSLOG_LOCAL0] = "local0", [CONF_SYSLOG_LOCAL1] = "local1",
	[CONF_SYSLOG_LOCAL2] = "local2", [CONF_SYSLOG_LOCAL3] = "local3",
	[CONF_SYSLOG_LOCAL4] = "local4", [CONF_SYSLOG_LOCAL5] = "local5",
	[CONF_SYSLOG_LOCAL6] = "local6", [CONF_SYSLOG_LOCAL7] = "local7",
	[CONF_SYSLOG_LPR] = "lpr",	 [CONF_SYSLOG_MAIL] = "mail",
	[CONF_SYSLOG_NEWS] = "news",	 [CONF_SYSLOG_SYSLOG] = "syslog",
	[CONF_SYSLOG_USER] = "user",	 [CONF_SYSLOG_UUCP] = "uucp",
};

#define DEFAULT_INTERFACE_NAME "teredo"
#define DEFAULT_CLIENT_SOCKET "/run/shipworm/teredod.sock"
#define DEFAULT_SERVER_SOCKET "/run/shipworm/teredo-serverd.sock"
/* RFC 4380 §5.2: 30 s; RFC 6081 §5.1.1 makes it configurable. */
#define DEFAULT_REFRESH_S 30u
#define REFRESH_MIN_S 10u
#define REFRESH_MAX_S 3600u
/* Miredo's relay kept at most 1024 peers (TeredoRelay::MaxPeers). */
#define DEFAULT_MAX_PEERS 1024u
#define MAX_PEERS_MIN 16u
#define MAX_PEERS_MAX 1048576u

/* At most this many bytes of a bad value are quoted in a message, and of
 * the file name; escaping takes up to 4 bytes per byte, plus "..." and NUL. */
#define SHOW_IN_MAX 40
#define SHOW_LEN (4 * SHOW_IN_MAX + 4)
#define FILE_IN_MAX 160
#define FILE_LEN (4 * FILE_IN_MAX + 4)

/* A word of the text; borrows the caller's buffer for the parse. */
struct tok {
	const uint8_t *p;
	size_t len;
};

/* Where a key was set: line 0 means not in the file. */
struct directive {
	size_t line;
	struct tok value;
};

struct ctx {
	const char *filename;
	char *err;
	size_t err_cap;
	struct directive dir[KEY_COUNT];
	enum conf_key order[KEY_COUNT]; /* the keys set, in file order */
	size_t n_order;
};

/*
 * Text for a message: printable ASCII as is, '"' and '\' escaped, anything
 * else as \xNN, cut after SHOW_IN_MAX bytes (rule 11: never print bytes
 * from a file unescaped).
 */
static void
show_n(const uint8_t *p, size_t len, size_t max_in, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len && i < max_in; i++) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[n++] = (char)c;
		} else {
			snprintf(out + n, 5, "\\x%02x", c);
			n += 4;
		}
	}
	if (len > max_in) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static void
show_tok(const struct tok *t, char out[static SHOW_LEN])
{
	show_n(t->p, t->len, SHOW_IN_MAX, out);
}

/* Writes "file:line: message" (or "file: message" for line 0). */
__attribute__((format(printf, 3, 4))) static int
fail(const struct ctx *ctx, size_t line, const char *fmt, ...)
{
	char msg[CONF_ERR_LEN], name[FILE_LEN];
	const char *file = ctx->filename != NULL ? ctx->filename : "(config)";
	va_list ap;

	if (ctx->err == NULL || ctx->err_cap == 0)
		return -EINVAL;
	show_n((const uint8_t *)file, strlen(file), FILE_IN_MAX, name);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(ctx->err, ctx->err_cap, "%s:%zu: %s", name, line, msg);
	else
		snprintf(ctx->err, ctx->err_cap, "%s: %s", name, msg);
	return -EINVAL;
}

/* The value of a key as it appears in messages. */
static const char *
key_name(enum conf_key k)
{
	return key_names[k];
}

static bool
tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	/* Keys and words are case-insensitive, as Miredo's strcasecmp(). */
	return t->len == n && strncasecmp((const char *)t->p, word, n) == 0;
}

static bool
is_space(uint8_t c)
{
	/* sscanf()'s %s stops at isspace() in the C locale. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Skips white space, then takes the next word of the line (len 0: none). */
static struct tok
next_word(struct rd *line)
{
	struct tok t = {NULL, 0};
	size_t n = 0;

	while (rd_left(line) > 0 && is_space(rd_peek_u8(line, 0)))
		rd_skip(line, 1);
	while (n < rd_left(line) && !is_space(rd_peek_u8(line, n)))
		n++;
	if (n > 0) {
		t.p = rd_take(line, n);
		t.len = t.p != NULL ? n : 0;
	}
	return t;
}

static int
lookup_key(const struct tok *word, const enum conf_key *keys, size_t n_keys,
	   enum conf_key *out)
{
	for (size_t i = 0; i < n_keys; i++) {
		if (tok_is(word, key_names[keys[i]])) {
			*out = keys[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* One line: blank, a comment, or "Key value [# comment]". */
static int
scan_line(struct ctx *ctx, struct rd *line, size_t line_no,
	  const enum conf_key *keys, size_t n_keys)
{
	char shown[SHOW_LEN];
	struct tok key, value, rest;
	enum conf_key k;

	key = next_word(line);
	if (key.len == 0 || key.p[0] == '#')
		return 0;
	if (lookup_key(&key, keys, n_keys, &k) < 0) {
		show_tok(&key, shown);
		/* A key of the other file: say so. */
		for (size_t i = 0; i < ARRAY_SIZE(key_names); i++)
			if (tok_is(&key, key_names[i]))
				return fail(ctx, line_no,
					    "unknown key \"%s\" (a %s key)",
					    shown,
					    keys == client_keys
						    ? "miredo-server.conf"
						    : "miredo.conf");
		return fail(ctx, line_no, "unknown key \"%s\"", shown);
	}
	value = next_word(line);
	if (value.len == 0 || value.p[0] == '#')
		return fail(ctx, line_no, "missing value for %s", key_name(k));
	if (ctx->dir[k].line != 0)
		return fail(ctx, line_no,
			    "duplicate key %s (first set on line %zu)",
			    key_name(k), ctx->dir[k].line);
	if (value.p[0] == '"' || value.p[0] == '\'')
		return fail(ctx, line_no,
			    "quoting is not supported: the value of %s cannot "
			    "start with a quote",
			    key_name(k));
	rest = next_word(line);
	if (rest.len > 0 && rest.p[0] != '#') {
		show_tok(&rest, shown);
		return fail(ctx, line_no,
			    "unexpected \"%s\" after the value of %s (a value "
			    "has no spaces; '#' starts a comment)",
			    shown, key_name(k));
	}
	ctx->dir[k].line = line_no;
	ctx->dir[k].value = value;
	ctx->order[ctx->n_order++] = k;
	return 0;
}

/* Splits the text into lines and records each directive. */
static int
scan(struct ctx *ctx, const char *text, size_t len, const enum conf_key *keys,
     size_t n_keys)
{
	struct rd rd;
	size_t line_no = 0;

	rd_init(&rd, text, len);
	while (rd_left(&rd) > 0) {
		struct rd line;
		size_t n = 0;
		int rc;

		line_no++;
		/* Look no further than one byte past the limit. */
		while (n < rd_left(&rd) && n <= CONF_LINE_MAX &&
		       rd_peek_u8(&rd, n) != '\n') {
			if (rd_peek_u8(&rd, n) == '\0')
				return fail(ctx, line_no, "NUL byte in line");
			n++;
		}
		if (n > CONF_LINE_MAX)
			return fail(ctx, line_no, "line longer than %d bytes",
				    CONF_LINE_MAX);
		rd_sub(&rd, n, &line);
		if (rd_left(&rd) > 0)
			rd_skip(&rd, 1); /* the '\n' */
		rc = scan_line(ctx, &line, line_no, keys, n_keys);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void
ctx_init(struct ctx *ctx, const char *filename, char *err, size_t err_cap)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->filename = filename;
	ctx->err = err;
	ctx->err_cap = err_cap;
	if (err != NULL && err_cap > 0)
		err[0] = '\0';
}

/* ---- Values ---- */

/* A decimal number in [lo, hi]; no sign, no leading zeros. */
static int
get_uint(const struct ctx *ctx, enum conf_key k, uint32_t lo, uint32_t hi,
	 uint32_t *out)
{
	const struct directive *d = &ctx->dir[k];
	char shown[SHOW_LEN];
	uint64_t v = 0;

	show_tok(&d->value, shown);
	for (size_t i = 0; i < d->value.len; i++) {
		uint8_t c = d->value.p[i];

		if (!is_digit(c))
			return fail(ctx, d->line,
				    "invalid number \"%s\" for %s: not a "
				    "decimal number",
				    shown, key_name(k));
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(c - '0');
	}
	if (d->value.len > 1 && d->value.p[0] == '0')
		return fail(ctx, d->line,
			    "invalid number \"%s\" for %s: leading zeros are "
			    "not allowed (Miredo would read octal)",
			    shown, key_name(k));
	if (v < lo || v > hi)
		return fail(ctx, d->line,
			    "value \"%s\" for %s out of range %" PRIu32
			    "..%" PRIu32,
			    shown, key_name(k), lo, hi);
	*out = (uint32_t)v;
	return 0;
}

/* A strict dotted quad: four decimal bytes, no leading zeros. */
static bool
ipv4_from_tok(const struct tok *t, uint32_t *out)
{
	uint32_t addr = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= t->len || t->p[i] != '.')
				return false;
			start = ++i;
		}
		while (i < t->len && is_digit(t->p[i]) && i - start < 3) {
			v = v * 10 + (unsigned)(t->p[i] - '0');
			i++;
		}
		if (i == start || v > 255 ||
		    (i - start > 1 && t->p[start] == '0'))
			return false;
		addr = addr << 8 | v;
	}
	if (i != t->len)
		return false;
	*out = addr;
	return true;
}

static int
get_ipv4(const struct ctx *ctx, enum conf_key k, uint32_t *out)
{
	const struct directive *d = &ctx->dir[k];
	char shown[SHOW_LEN];

	if (ipv4_from_tok(&d->value, out))
		return 0;
	show_tok(&d->value, shown);
	return fail(ctx, d->line, "invalid IPv4 address \"%s\" for %s", shown,
		    key_name(k));
}

/* RFC 4380 §5.2.4: a Teredo server address must be global unicast. */
static int
check_global(const struct ctx *ctx, enum conf_key k, uint32_t ipv4)
{
	char text[16];

	if (teredo_ipv4_is_global(ipv4, NULL, 0))
		return 0;
	ipv4_format(ipv4, text);
	return fail(ctx, ctx->dir[k].line,
		    "%s %s is not a global unicast IPv4 address "
		    "(RFC 4380 §5.2.4)",
		    key_name(k), text);
}

/* A host name (RFC 1123 §2.1 labels; '_' tolerated) or a dotted quad. */
static int
get_host(const struct ctx *ctx, enum conf_key k,
	 char out[static CONF_HOSTNAME_MAX + 1])
{
	const struct directive *d = &ctx->dir[k];
	const struct tok *t = &d->value;
	char shown[SHOW_LEN];
	bool numeric = true;
	size_t len = t->len, label = 0;
	uint32_t ipv4;

	show_tok(t, shown);
	for (size_t i = 0; i < len; i++)
		if (!is_digit(t->p[i]) && t->p[i] != '.')
			numeric = false;
	if (numeric) {
		/* getaddrinfo() would take "1.2.3" as inet_aton() shorthand
		 * for 1.2.0.3: refuse rather than guess. */
		if (!ipv4_from_tok(t, &ipv4))
			return fail(ctx, d->line,
				    "invalid IPv4 address \"%s\" for %s", shown,
				    key_name(k));
		if (check_global(ctx, k, ipv4) < 0)
			return -EINVAL;
	} else {
		if (t->len > CONF_HOSTNAME_MAX)
			return fail(ctx, d->line,
				    "host name for %s too long (%zu bytes, at "
				    "most %d)",
				    key_name(k), t->len, CONF_HOSTNAME_MAX);
		if (len > 0 && t->p[len - 1] == '.')
			len--; /* the root label */
		for (size_t i = 0; i <= len; i++) {
			uint8_t c = i < len ? t->p[i] : '.';

			if (c == '.') {
				if (label == 0 || label > 63 ||
				    t->p[i - 1] == '-' ||
				    t->p[i - label] == '-')
					return fail(ctx, d->line,
						    "invalid host name \"%s\" "
						    "for %s",
						    shown, key_name(k));
				label = 0;
			} else if (is_alnum(c) || c == '-' || c == '_') {
				label++;
			} else {
				return fail(ctx, d->line,
					    "invalid host name \"%s\" for %s",
					    shown, key_name(k));
			}
		}
	}
	/* Kept as written (a final dot included): the daemon resolves it. */
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

/* A Linux interface name (dev_valid_name()), in a portable subset. */
static int
get_ifname(const struct ctx *ctx, char out[static CONF_IFNAME_MAX + 1])
{
	const struct directive *d = &ctx->dir[KEY_INTERFACE_NAME];
	const struct tok *t = &d->value;
	char shown[SHOW_LEN];

	show_tok(t, shown);
	if (t->len > CONF_IFNAME_MAX)
		return fail(ctx, d->line,
			    "invalid interface name \"%s\" for InterfaceName: "
			    "at most %d characters",
			    shown, CONF_IFNAME_MAX);
	/* '/', ':' and white space are refused by the kernel, '%' would
	 * make the name a template; keep to letters, digits, '_-.'. */
	for (size_t i = 0; i < t->len; i++)
		if (!is_alnum(t->p[i]) && t->p[i] != '_' && t->p[i] != '-' &&
		    t->p[i] != '.')
			return fail(ctx, d->line,
				    "invalid interface name \"%s\" for "
				    "InterfaceName: letters, digits, '_', "
				    "'-' and '.' only",
				    shown);
	if (tok_is(t, ".") || tok_is(t, ".."))
		return fail(ctx, d->line,
			    "invalid interface name \"%s\" for InterfaceName",
			    shown);
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

/* An absolute path for a Unix socket. */
static int
get_path(const struct ctx *ctx, enum conf_key k,
	 char out[static CONF_PATH_MAX + 1])
{
	const struct directive *d = &ctx->dir[k];
	const struct tok *t = &d->value;
	char shown[SHOW_LEN];

	show_tok(t, shown);
	if (t->p[0] != '/')
		return fail(ctx, d->line,
			    "invalid path \"%s\" for %s: must be absolute",
			    shown, key_name(k));
	if (t->len > CONF_PATH_MAX)
		return fail(ctx, d->line,
			    "path for %s too long (%zu bytes, at most %d)",
			    key_name(k), t->len, CONF_PATH_MAX);
	for (size_t i = 0; i < t->len; i++)
		if (t->p[i] < 0x21 || t->p[i] > 0x7e || t->p[i] == '"' ||
		    t->p[i] == '\'' || t->p[i] == '\\')
			return fail(ctx, d->line,
				    "invalid path \"%s\" for %s: printable "
				    "ASCII without quotes or '\\' only",
				    shown, key_name(k));
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

/* A group name as useradd(8) takes one: [a-z_][a-z0-9_-]*, 32 at most. */
static int
get_group(const struct ctx *ctx, char out[static CONF_GROUP_MAX + 1])
{
	const struct directive *d = &ctx->dir[KEY_CONTROL_GROUP];
	const struct tok *t = &d->value;
	char shown[SHOW_LEN];
	bool ok = t->len <= CONF_GROUP_MAX;

	show_tok(t, shown);
	for (size_t i = 0; ok && i < t->len; i++) {
		uint8_t c = t->p[i];

		ok = (c >= 'a' && c <= 'z') || c == '_' ||
		     (i > 0 && ((c >= '0' && c <= '9') || c == '-'));
	}
	if (!ok)
		return fail(ctx, d->line,
			    "invalid group name \"%s\" for ControlGroup: "
			    "[a-z_][a-z0-9_-]*, at most %d characters",
			    shown, CONF_GROUP_MAX);
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

/* Miredo's boolean words (src/conf.c), and 0 or 1. */
static int
get_bool(const struct ctx *ctx, enum conf_key k, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "enabled", "1"};
	static const char *const no[] = {"no", "false", "off", "disabled", "0"};
	const struct directive *d = &ctx->dir[k];
	char shown[SHOW_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (tok_is(&d->value, yes[i])) {
			*out = true;
			return 0;
		}
		if (tok_is(&d->value, no[i])) {
			*out = false;
			return 0;
		}
	}
	show_tok(&d->value, shown);
	return fail(ctx, d->line,
		    "invalid value \"%s\" for %s: must be yes or no", shown,
		    key_name(k));
}

static int
get_relay_type(const struct ctx *ctx, enum conf_relay_type *out)
{
	const struct directive *d = &ctx->dir[KEY_RELAY_TYPE];
	char shown[SHOW_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(relay_type_names); i++) {
		if (tok_is(&d->value, relay_type_names[i])) {
			*out = (enum conf_relay_type)i;
			return 0;
		}
	}
	/* miredo.conf(5): "cone mode (relay also works)". */
	if (tok_is(&d->value, "relay")) {
		*out = CONF_RELAY_CONE;
		return 0;
	}
	show_tok(&d->value, shown);
	return fail(ctx, d->line,
		    "invalid value \"%s\" for RelayType: must be one of "
		    "client, autoclient, cone, restricted (or relay, an alias "
		    "of cone)",
		    shown);
}

static int
get_facility(const struct ctx *ctx, enum conf_syslog_facility *out)
{
	const struct directive *d = &ctx->dir[KEY_SYSLOG_FACILITY];
	char shown[SHOW_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(facility_names); i++) {
		if (tok_is(&d->value, facility_names[i])) {
			*out = (enum conf_syslog_facility)i;
			return 0;
		}
	}
	show_tok(&d->value, shown);
	return fail(ctx, d->line,
		    "invalid value \"%s\" for SyslogFacility: must be one of "
		    "auth, authpriv, cron, daemon, ftp, kern, local0 to "
		    "local7, lpr, mail, news, syslog, user, uucp",
		    shown);
}

/*
 * Prefix: an IPv6 address whose first 32 bits are the Teredo prefix.
 * Miredo ignored the other 96 bits and refused only ff00::/8
 * (is_valid_teredo_prefix()); we also refuse set low bits and ::.
 */
static int
get_prefix(const struct ctx *ctx, uint32_t *out)
{
	const struct directive *d = &ctx->dir[KEY_PREFIX];
	char text[IP6_ADDR_TEXT_LEN], shown[SHOW_LEN];
	struct ip6_addr a;
	uint32_t prefix;

	show_tok(&d->value, shown);
	if (d->value.len >= sizeof(text))
		return fail(ctx, d->line,
			    "invalid IPv6 prefix \"%s\" for Prefix", shown);
	memcpy(text, d->value.p, d->value.len);
	text[d->value.len] = '\0';
	if (ip6_addr_parse(text, &a) < 0)
		return fail(ctx, d->line,
			    "invalid IPv6 prefix \"%s\" for Prefix", shown);
	for (size_t i = 4; i < sizeof(a.bytes); i++)
		if (a.bytes[i] != 0)
			return fail(ctx, d->line,
				    "invalid Teredo prefix \"%s\" for Prefix: "
				    "only the first 32 bits may be set",
				    shown);
	prefix = be32_load(a.bytes);
	if (prefix == 0 || a.bytes[0] == 0xff)
		return fail(ctx, d->line,
			    "invalid Teredo prefix \"%s\" for Prefix: neither "
			    ":: nor multicast (ff00::/8)",
			    shown);
	*out = prefix;
	return 0;
}

static int
get_mtu(const struct ctx *ctx, uint16_t *out)
{
	uint32_t v;
	int rc;

	/* RFC 8200 §5: no IPv6 link has an MTU below 1280. */
	rc = get_uint(ctx, KEY_INTERFACE_MTU, IP6_MIN_MTU, UINT16_MAX, &v);
	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

/* BindAddress: any unicast address of this host, or 0.0.0.0 for any. */
static int
get_bind_ipv4(const struct ctx *ctx, uint32_t *out)
{
	char text[16];
	uint32_t v;

	if (get_ipv4(ctx, KEY_BIND_ADDRESS, &v) < 0)
		return -EINVAL;
	if (v >= 0xe0000000u) {
		ipv4_format(v, text);
		return fail(ctx, ctx->dir[KEY_BIND_ADDRESS].line,
			    "BindAddress %s is not a unicast address", text);
	}
	*out = v;
	return 0;
}

/* ---- miredo.conf ---- */

void
conf_client_defaults(struct teredo_client_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->relay_type = CONF_RELAY_CLIENT;
	memcpy(c->interface_name, DEFAULT_INTERFACE_NAME,
	       sizeof(DEFAULT_INTERFACE_NAME));
	c->bind_ipv4 = 0;
	c->bind_port = 0;
	c->prefix = TEREDO_PREFIX;
	c->mtu = IP6_MIN_MTU;
	c->syslog_facility = CONF_SYSLOG_DAEMON;
	c->refresh_interval_s = DEFAULT_REFRESH_S;
	c->symmetric_nat_support = true;
	c->max_peers = DEFAULT_MAX_PEERS;
	memcpy(c->control_socket, DEFAULT_CLIENT_SOCKET,
	       sizeof(DEFAULT_CLIENT_SOCKET));
}

static bool
relay_type_is_relay(enum conf_relay_type t)
{
	return t == CONF_RELAY_CONE || t == CONF_RELAY_RESTRICTED;
}

bool
conf_client_is_relay(const struct teredo_client_conf *c)
{
	return relay_type_is_relay(c->relay_type);
}

/* Keys a relay has no use for, and the reverse (miredo.conf(5)). */
static bool
key_is_client_only(enum conf_key k)
{
	return k == KEY_SERVER_ADDRESS || k == KEY_SERVER_ADDRESS2 ||
	       k == KEY_REFRESH_INTERVAL || k == KEY_SYMMETRIC_NAT_SUPPORT;
}

static bool
key_is_relay_only(enum conf_key k)
{
	return k == KEY_PREFIX || k == KEY_INTERFACE_MTU;
}

static int
client_key(const struct ctx *ctx, enum conf_key k, struct teredo_client_conf *c)
{
	const char *type = conf_relay_type_name(c->relay_type);
	uint32_t v;
	int rc;

	if (relay_type_is_relay(c->relay_type) && key_is_client_only(k))
		return fail(ctx, ctx->dir[k].line,
			    "%s is for clients only (RelayType client or "
			    "autoclient), but RelayType is %s",
			    key_name(k), type);
	if (!relay_type_is_relay(c->relay_type) && key_is_relay_only(k))
		return fail(ctx, ctx->dir[k].line,
			    "%s is for relays only (RelayType cone or "
			    "restricted), but RelayType is %s",
			    key_name(k), type);
	switch (k) {
	case KEY_RELAY_TYPE:
		return 0; /* done first */
	case KEY_INTERFACE_NAME:
		return get_ifname(ctx, c->interface_name);
	case KEY_SERVER_ADDRESS:
		return get_host(ctx, k, c->server_address);
	case KEY_SERVER_ADDRESS2:
		return get_host(ctx, k, c->server_address2);
	case KEY_BIND_ADDRESS:
		return get_bind_ipv4(ctx, &c->bind_ipv4);
	case KEY_BIND_PORT:
		rc = get_uint(ctx, k, 0, UINT16_MAX, &v);
		if (rc == 0)
			c->bind_port = (uint16_t)v;
		return rc;
	case KEY_PREFIX:
		return get_prefix(ctx, &c->prefix);
	case KEY_INTERFACE_MTU:
		return get_mtu(ctx, &c->mtu);
	case KEY_SYSLOG_FACILITY:
		return get_facility(ctx, &c->syslog_facility);
	case KEY_REFRESH_INTERVAL:
		/* RFC 6081 §5.1.1: the refresh interval is configurable. */
		return get_uint(ctx, k, REFRESH_MIN_S, REFRESH_MAX_S,
				&c->refresh_interval_s);
	case KEY_SYMMETRIC_NAT_SUPPORT:
		return get_bool(ctx, k, &c->symmetric_nat_support);
	case KEY_MAX_PEERS:
		return get_uint(ctx, k, MAX_PEERS_MIN, MAX_PEERS_MAX,
				&c->max_peers);
	case KEY_CONTROL_SOCKET:
		return get_path(ctx, k, c->control_socket);
	case KEY_CONTROL_GROUP:
		return get_group(ctx, c->control_group);
	case KEY_SERVER_BIND_ADDRESS:
	case KEY_SERVER_BIND_ADDRESS2:
	case KEY_COUNT:
		break;
	}
	return -EINVAL; /* not in client_keys: scan() refused it */
}

int
conf_client_parse(const char *text, size_t len, const char *filename,
		  struct teredo_client_conf *out, char *err, size_t err_cap)
{
	struct teredo_client_conf c;
	struct ctx ctx;
	int rc;

	ctx_init(&ctx, filename, err, err_cap);
	rc = scan(&ctx, text, len, client_keys, ARRAY_SIZE(client_keys));
	if (rc < 0)
		return rc;
	conf_client_defaults(&c);
	/* The role decides which other keys are allowed. */
	if (ctx.dir[KEY_RELAY_TYPE].line != 0 &&
	    get_relay_type(&ctx, &c.relay_type) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ctx.n_order; i++) {
		rc = client_key(&ctx, ctx.order[i], &c);
		if (rc < 0)
			return rc;
	}
	/* miredo.conf(5): ServerAddress MUST be given in client mode. */
	if (!relay_type_is_relay(c.relay_type) && c.server_address[0] == '\0')
		return fail(&ctx, 0,
			    "missing ServerAddress (required when RelayType "
			    "is %s)",
			    conf_relay_type_name(c.relay_type));
	if (c.server_address2[0] != '\0' &&
	    strcasecmp(c.server_address, c.server_address2) == 0)
		return fail(&ctx, ctx.dir[KEY_SERVER_ADDRESS2].line,
			    "ServerAddress2 must differ from ServerAddress");
	*out = c;
	return 0;
}

/* ---- miredo-server.conf ---- */

void
conf_server_defaults(struct teredo_server_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->server_ipv4 = 0; /* required */
	s->server2_ipv4 = 0;
	s->prefix = TEREDO_PREFIX;
	s->mtu = IP6_MIN_MTU;
	s->syslog_facility = CONF_SYSLOG_DAEMON;
	memcpy(s->control_socket, DEFAULT_SERVER_SOCKET,
	       sizeof(DEFAULT_SERVER_SOCKET));
}

static int
server_key(const struct ctx *ctx, enum conf_key k, struct teredo_server_conf *s)
{
	switch (k) {
	case KEY_SERVER_BIND_ADDRESS:
		/* libteredo's server refused non-global addresses too. */
		if (get_ipv4(ctx, k, &s->server_ipv4) < 0)
			return -EINVAL;
		return check_global(ctx, k, s->server_ipv4);
	case KEY_SERVER_BIND_ADDRESS2:
		if (get_ipv4(ctx, k, &s->server2_ipv4) < 0)
			return -EINVAL;
		return check_global(ctx, k, s->server2_ipv4);
	case KEY_PREFIX:
		return get_prefix(ctx, &s->prefix);
	case KEY_INTERFACE_MTU:
		return get_mtu(ctx, &s->mtu);
	case KEY_SYSLOG_FACILITY:
		return get_facility(ctx, &s->syslog_facility);
	case KEY_CONTROL_SOCKET:
		return get_path(ctx, k, s->control_socket);
	case KEY_CONTROL_GROUP:
		return get_group(ctx, s->control_group);
	default:
		break;
	}
	return -EINVAL; /* not in server_keys: scan() refused it */
}

int
conf_server_parse(const char *text, size_t len, const char *filename,
		  struct teredo_server_conf *out, char *err, size_t err_cap)
{
	struct teredo_server_conf s;
	struct ctx ctx;
	char a[16], b[16];
	int rc;

	ctx_init(&ctx, filename, err, err_cap);
	rc = scan(&ctx, text, len, server_keys, ARRAY_SIZE(server_keys));
	if (rc < 0)
		return rc;
	conf_server_defaults(&s);
	for (size_t i = 0; i < ctx.n_order; i++) {
		rc = server_key(&ctx, ctx.order[i], &s);
		if (rc < 0)
			return rc;
	}
	if (ctx.dir[KEY_SERVER_BIND_ADDRESS].line == 0)
		return fail(&ctx, 0, "missing ServerBindAddress (required)");
	if (ctx.dir[KEY_SERVER_BIND_ADDRESS2].line == 0) {
		/* miredo-server.conf(5): the secondary address is the
		 * primary + 1 unless configured (teredo-spec.md §3.1). */
		s.server2_ipv4 = s.server_ipv4 + 1;
		if (!teredo_ipv4_is_global(s.server2_ipv4, NULL, 0)) {
			ipv4_format(s.server2_ipv4, b);
			return fail(&ctx, ctx.dir[KEY_SERVER_BIND_ADDRESS].line,
				    "the secondary address, ServerBindAddress "
				    "+ 1 = %s, is not global unicast: set "
				    "ServerBindAddress2",
				    b);
		}
	}
	if (s.server2_ipv4 == s.server_ipv4) {
		ipv4_format(s.server_ipv4, a);
		return fail(&ctx, ctx.dir[KEY_SERVER_BIND_ADDRESS2].line,
			    "ServerBindAddress2 must differ from "
			    "ServerBindAddress (%s)",
			    a);
	}
	*out = s;
	return 0;
}

/* ---- Canonical text ---- */

static void
put_ipv4(struct strbuf *o, enum conf_key k, uint32_t ipv4)
{
	char text[16];

	ipv4_format(ipv4, text);
	strbuf_put(o, "%s %s\n", key_name(k), text);
}

static void
put_prefix(struct strbuf *o, uint32_t prefix)
{
	struct ip6_addr a = {{0}};
	char text[IP6_ADDR_TEXT_LEN];

	a.bytes[0] = (uint8_t)(prefix >> 24);
	a.bytes[1] = (uint8_t)(prefix >> 16);
	a.bytes[2] = (uint8_t)(prefix >> 8);
	a.bytes[3] = (uint8_t)prefix;
	ip6_addr_format(&a, text);
	strbuf_put(o, "%s %s\n", key_name(KEY_PREFIX), text);
}

static bool
terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

int
conf_client_format(const struct teredo_client_conf *c, char *buf, size_t cap)
{
	bool relay = relay_type_is_relay(c->relay_type);
	struct strbuf o;

	if ((unsigned)c->relay_type >= CONF_RELAY_TYPE_COUNT ||
	    (unsigned)c->syslog_facility >= CONF_SYSLOG_FACILITY_COUNT ||
	    !terminated(c->interface_name, sizeof(c->interface_name)) ||
	    !terminated(c->server_address, sizeof(c->server_address)) ||
	    !terminated(c->server_address2, sizeof(c->server_address2)) ||
	    !terminated(c->control_socket, sizeof(c->control_socket)) ||
	    !terminated(c->control_group, sizeof(c->control_group)))
		return -EINVAL;
	strbuf_init(&o, buf, cap);
	strbuf_put(&o,
		   "# teredod configuration, canonical form (miredo.conf(5) "
		   "syntax)\n");
	strbuf_put(&o, "%s %s\n", key_name(KEY_RELAY_TYPE),
		   conf_relay_type_name(c->relay_type));
	strbuf_put(&o, "%s %s\n", key_name(KEY_INTERFACE_NAME),
		   c->interface_name);
	if (!relay) {
		strbuf_put(&o, "%s %s\n", key_name(KEY_SERVER_ADDRESS),
			   c->server_address);
		if (c->server_address2[0] != '\0')
			strbuf_put(&o, "%s %s\n", key_name(KEY_SERVER_ADDRESS2),
				   c->server_address2);
		else
			strbuf_put(&o,
				   "#%s not set: the primary server address "
				   "+ 1\n",
				   key_name(KEY_SERVER_ADDRESS2));
	} else {
		put_prefix(&o, c->prefix);
		strbuf_put(&o, "%s %u\n", key_name(KEY_INTERFACE_MTU), c->mtu);
	}
	put_ipv4(&o, KEY_BIND_ADDRESS, c->bind_ipv4);
	strbuf_put(&o, "%s %u\n", key_name(KEY_BIND_PORT), c->bind_port);
	strbuf_put(&o, "%s %s\n", key_name(KEY_SYSLOG_FACILITY),
		   conf_syslog_facility_name(c->syslog_facility));
	strbuf_put(&o, "# Shipworm extensions (not known to Miredo)\n");
	if (!relay) {
		strbuf_put(&o, "%s %" PRIu32 "\n",
			   key_name(KEY_REFRESH_INTERVAL),
			   c->refresh_interval_s);
		strbuf_put(&o, "%s %s\n", key_name(KEY_SYMMETRIC_NAT_SUPPORT),
			   c->symmetric_nat_support ? "yes" : "no");
	}
	strbuf_put(&o, "%s %" PRIu32 "\n", key_name(KEY_MAX_PEERS),
		   c->max_peers);
	strbuf_put(&o, "%s %s\n", key_name(KEY_CONTROL_SOCKET),
		   c->control_socket);
	if (c->control_group[0] != '\0')
		strbuf_put(&o, "%s %s\n", key_name(KEY_CONTROL_GROUP),
			   c->control_group);
	return strbuf_status(&o);
}

int
conf_server_format(const struct teredo_server_conf *s, char *buf, size_t cap)
{
	struct strbuf o;

	if ((unsigned)s->syslog_facility >= CONF_SYSLOG_FACILITY_COUNT ||
	    !terminated(s->control_socket, sizeof(s->control_socket)) ||
	    !terminated(s->control_group, sizeof(s->control_group)))
		return -EINVAL;
	strbuf_init(&o, buf, cap);
	strbuf_put(&o, "# teredo-serverd configuration, canonical form "
		       "(miredo-server.conf(5) syntax)\n");
	put_ipv4(&o, KEY_SERVER_BIND_ADDRESS, s->server_ipv4);
	put_ipv4(&o, KEY_SERVER_BIND_ADDRESS2, s->server2_ipv4);
	put_prefix(&o, s->prefix);
	strbuf_put(&o, "%s %u\n", key_name(KEY_INTERFACE_MTU), s->mtu);
	strbuf_put(&o, "%s %s\n", key_name(KEY_SYSLOG_FACILITY),
		   conf_syslog_facility_name(s->syslog_facility));
	strbuf_put(&o, "# Shipworm extension (not known to Miredo)\n");
	strbuf_put(&o, "%s %s\n", key_name(KEY_CONTROL_SOCKET),
		   s->control_socket);
	if (s->control_group[0] != '\0')
		strbuf_put(&o, "%s %s\n", key_name(KEY_CONTROL_GROUP),
			   s->control_group);
	return strbuf_status(&o);
}

/* ---- Small helpers ---- */

bool
conf_client_equal(const struct teredo_client_conf *a,
		  const struct teredo_client_conf *b)
{
	return a->relay_type == b->relay_type &&
	       strcmp(a->interface_name, b->interface_name) == 0 &&
	       strcmp(a->server_address, b->server_address) == 0 &&
	       strcmp(a->server_address2, b->server_address2) == 0 &&
	       a->bind_ipv4 == b->bind_ipv4 && a->bind_port == b->bind_port &&
	       a->prefix == b->prefix && a->mtu == b->mtu &&
	       a->syslog_facility == b->syslog_facility &&
	       a->refresh_interval_s == b->refresh_interval_s &&
	       a->symmetric_nat_support == b->symmetric_nat_support &&
	       a->max_peers == b->max_peers &&
	       strcmp(a->control_socket, b->control_socket) == 0 &&
	       strcmp(a->control_group, b->control_group) == 0;
}

bool
conf_server_equal(const struct teredo_server_conf *a,
		  const struct teredo_server_conf *b)
{
	return a->server_ipv4 == b->server_ipv4 &&
	       a->server2_ipv4 == b->server2_ipv4 && a->prefix == b->prefix &&
	       a->mtu == b->mtu && a->syslog_facility == b->syslog_facility &&
	       strcmp(a->control_socket, b->control_socket) == 0 &&
	       strcmp(a->control_group, b->control_group) == 0;
}

const char *
conf_relay_type_name(enum conf_relay_type t)
{
	if ((unsigned)t >= ARRAY_SIZE(relay_type_names))
		return "?";
	return relay_type_names[t];
}

const char *
conf_syslog_facility_name(enum conf_syslog_facility f)
{
	if ((unsigned)f >= ARRAY_SIZE(facility_names))
		return "?";
	return facility_names[f];
}
