/*
 * The remote-assistance invitation (issue 5; docs: remote-assistance.md
 * §3.4): what the User hands the Helper, as a file or as one line.  It
 * carries what Windows RA's ticket carried (MS-RAI §2.2.2: every listener,
 * the pinned server key `KH`), with an absolute UTC expiry instead of RA's
 * ambiguous relative DtLength, and as plain key=value text instead of XML
 * (CVE-2018-0878 was an XXE in RA's invitation parser).  The one-time
 * password is NOT in it: it is shown to the User separately, as Windows
 * did, and travels by another channel (a phone call).
 *
 * Text form (version 1), one field per line, '\n' or "\r\n":
 *
 *   shipworm-assist 1                              <- version line, first
 *   id=7f3c9a0e1b2d4c5f                            <- 8 random bytes, hex
 *   expires=2026-11-24T18:30:00Z                   <- RFC 3339 UTC, or
 *                                                     Unix seconds
 *   hostkey=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...  <- pinned, per
 *                                                     invitation (RFC 8709)
 *   user=helper                                    <- optional
 *   cand=teredo [2001:0:c000:20a::1]:40001         <- 1..8, in the User's
 *   cand=ipv4 10.3.0.2:40001                          order of preference
 *   cand=upnp 11.0.0.7:40001                       <- a port mapping on the
 *                                                     User's router (issue
 *                                                     12): upnp, natpmp or
 *                                                     pcp; TCP; the address
 *                                                     must be global
 *
 * The host key is the whole public key (an OpenSSH known_hosts line needs
 * it; its SHA-256 is the fingerprint users compare).  Its base64 is the
 * SSH wire blob of RFC 8709 §4:
 *
 *   +-----------------+----------------+-----------------+--------------+
 *   | u32 len = 11    | "ssh-ed25519"  | u32 len = 32    | key (32)     |
 *   +-----------------+----------------+-----------------+--------------+
 *
 * Parsing fails closed: the version line must come first; blank lines and
 * lines starting with '#' are ignored; a line holds at most
 * ASSIST_INVITE_LINE_MAX bytes of printable ASCII; the whole text at most
 * ASSIST_INVITE_MAX bytes; every key is known and given once (cand: 1 to
 * ASSIST_CAND_MAX times); id, expires, hostkey and one cand are required.
 * A newer version is refused by number (-EPROTONOSUPPORT) before anything
 * else is read, so the Helper can say "unsupported version" rather than
 * "malformed".
 *
 * One-line form: "shipworm-assist:" followed by the text form in base64url
 * without padding (RFC 4648 §5), e.g. for a chat message.
 *
 * Sans-I/O: bytes in, a fully validated struct out; nothing allocated.
 */
#ifndef SHIPWORM_ASSIST_INVITE_H
#define SHIPWORM_ASSIST_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/ip6.h"

#define ASSIST_INVITE_VERSION 1
#define ASSIST_INVITE_MAX 2048	   /* bytes of text form */
#define ASSIST_INVITE_LINE_MAX 200 /* bytes per line, newline excluded */
#define ASSIST_INVITE_PREFIX "shipworm-assist"
#define ASSIST_INVITE_LINE_PREFIX "shipworm-assist:"
/* One-line form: prefix + base64url of ASSIST_INVITE_MAX bytes + NUL. */
#define ASSIST_INVITE_LINE_CAP (16 + (ASSIST_INVITE_MAX * 4 + 2) / 3 + 1)
#define ASSIST_CAND_MAX 8
#define ASSIST_ID_LEN 8
#define ASSIST_HOSTKEY_LEN 32  /* Ed25519 public key, RFC 8032 */
#define ASSIST_HOSTKEY_TEXT 81 /* "ssh-ed25519 " + 68 base64 + NUL */
#define ASSIST_USER_MAX 32
#define ASSIST_SECRET_LEN 16  /* 128-bit one-time password */
#define ASSIST_SECRET_TEXT 32 /* 26 base32 letters, 4 dashes, NUL */
#define ASSIST_CAND_TEXT 72   /* "teredo [v6]:65535" and its NUL */
#define ASSIST_TIME_TEXT 21   /* "2026-11-24T18:30:00Z" and its NUL */

enum assist_cand_kind {
	ASSIST_CAND_TEREDO, /* the Teredo address (RFC 4380), from teredod */
	ASSIST_CAND_IPV6,   /* a native global IPv6 address */
	ASSIST_CAND_IPV4,   /* an IPv4 address of the User's host */
	/* A TCP port mapping the User's router granted (issue 12 point 4):
	 * its global external IPv4 address and port, by the protocol named. */
	ASSIST_CAND_UPNP,   /* UPnP IGD AddPortMapping */
	ASSIST_CAND_NATPMP, /* NAT-PMP (RFC 6886) */
	ASSIST_CAND_PCP,    /* PCP MAP (RFC 6887) */
};

/* upnp, natpmp, pcp: a router's mapping (IPv4, global). */
bool assist_cand_is_mapped(enum assist_cand_kind kind);

struct assist_cand {
	enum assist_cand_kind kind;
	bool is_v6;	    /* teredo and ipv6: a6; ipv4 and mapped: a4 */
	struct ip6_addr a6; /* wire bytes */
	uint32_t a4;	    /* host order */
	uint16_t port;	    /* never 0 */
};

struct assist_invite {
	unsigned version;
	uint8_t id[ASSIST_ID_LEN];
	int64_t expires_s; /* Unix time, UTC */
	uint8_t hostkey[ASSIST_HOSTKEY_LEN];
	char user[ASSIST_USER_MAX + 1]; /* [a-z0-9_-], default "helper" */
	unsigned cand_count;		/* 1..ASSIST_CAND_MAX */
	struct assist_cand cand[ASSIST_CAND_MAX];
};

/* Where and why a parse failed; `why` is a static string. */
struct assist_invite_err {
	unsigned line; /* 1-based line of the text form; 0: the whole input */
	const char *why;
};

/*
 * Parses the text form or the one-line form (told apart by their first
 * bytes; surrounding white space is ignored).  0, or -EPROTONOSUPPORT (a
 * version other than 1: out->version holds it), -EMSGSIZE (longer than the
 * limits), -EBADMSG (anything else).  err, if not NULL, says where and why.
 */
MUST_CHECK int assist_invite_parse(const void *text, size_t len,
				   struct assist_invite *out,
				   struct assist_invite_err *err);

/*
 * Writes the text form into buf (NUL-terminated; *len excludes the NUL).
 * -EINVAL for an invitation the parser would refuse, -ENOBUFS if it does
 * not fit.
 */
MUST_CHECK int assist_invite_format(const struct assist_invite *inv, char *buf,
				    size_t cap, size_t *len);

/* The one-line form, NUL-terminated; errors as assist_invite_format(). */
MUST_CHECK int assist_invite_format_line(const struct assist_invite *inv,
					 char *buf, size_t cap);

/* 0 while now_s is before the expiry, else -EKEYEXPIRED. */
MUST_CHECK int assist_invite_check_time(const struct assist_invite *inv,
					int64_t now_s);

/* "teredo [2001:0:...]:40001" / "ipv4 10.3.0.2:40001" / "upnp ...". */
void assist_cand_format(const struct assist_cand *c,
			char out[static ASSIST_CAND_TEXT]);
const char *assist_cand_kind_name(enum assist_cand_kind kind);

/*
 * The host key as an OpenSSH public key ("ssh-ed25519 AAAA...", RFC 8709),
 * and back from its base64 part alone (what libssh exports).
 */
void assist_hostkey_format(const uint8_t key[static ASSIST_HOSTKEY_LEN],
			   char out[static ASSIST_HOSTKEY_TEXT]);
MUST_CHECK int assist_hostkey_parse_b64(const char *b64, size_t len,
					uint8_t key[static ASSIST_HOSTKEY_LEN]);

/* RFC 3339 UTC text of Unix time t (1970..9999); -EINVAL outside. */
MUST_CHECK int assist_time_format(int64_t t, char out[static ASSIST_TIME_TEXT]);

/*
 * The one-time password: 128 bits as RFC 4648 base32 (26 letters and
 * digits 2-7), shown in groups "ABCDE-FGHIJ-KLMNO-PQRST-UVWXYZ".  The parse
 * ignores dashes and spaces and case, and wants exactly 26 symbols whose
 * unused last bits are zero (one text per secret).  -EINVAL otherwise.
 */
void assist_secret_format(const uint8_t secret[static ASSIST_SECRET_LEN],
			  char out[static ASSIST_SECRET_TEXT]);
MUST_CHECK int assist_secret_parse(const char *text,
				   uint8_t secret[static ASSIST_SECRET_LEN]);

#endif
