/*
 * natcheck's judgement: RFC 4787 words, Windows' word, the network's kind,
 * and the verdict per kind of peer from teredo-spec.md §5.2.
 */
#include <string.h>

#include "base/strbuf.h"
#include "natcheck/natcheck.h"

const char *
natcheck_behaviour_name(enum natcheck_behaviour b)
{
	switch (b) {
	case NATCHECK_EI:
		return "endpoint-independent";
	case NATCHECK_AD:
		return "address-dependent";
	case NATCHECK_APD:
		return "address-and-port-dependent";
	default:
		return NULL;
	}
}

static bool
is_symmetric(const struct natcheck_findings *f)
{
	return f->mapping == NATCHECK_AD || f->mapping == NATCHECK_APD ||
	       f->mapping_varies;
}

const char *
natcheck_windows_word(const struct natcheck_findings *f)
{
	if (!f->udp)
		return "unknown";
	if (is_symmetric(f))
		return "symmetric";
	if (!f->nat_present &&
	    (f->filtering == NATCHECK_EI || f->filtering == NATCHECK_UNKNOWN))
		return "none (global connectivity)";
	if (f->mapping != NATCHECK_EI)
		return "unknown";
	switch (f->filtering) {
	case NATCHECK_EI:
		return "cone";
	case NATCHECK_AD:
		return "restricted";
	case NATCHECK_APD:
		return "restricted (port)";
	default:
		return "unknown";
	}
}

const char *
natcheck_kind_name(enum natcheck_kind k)
{
	static const char *const names[] = {
		[NK_PUBLIC] = "no NAT (public address)",
		[NK_FULLCONE] = "a full-cone NAT",
		[NK_RESTRICTED] = "a restricted NAT",
		[NK_PORTRESTRICTED] = "a port-restricted NAT",
		[NK_SYMMETRIC] = "a symmetric NAT",
		[NK_SYMMETRIC_UPNP] = "a symmetric NAT with UPnP",
		[NK_SYMMETRIC_PP] = "a port-preserving symmetric NAT",
		[NK_BLOCKED] = "a network that blocks UDP",
	};

	return (unsigned)k < ARRAY_SIZE(names) ? names[k]
					       : "an unknown network";
}

enum natcheck_kind
natcheck_kind_of(const struct natcheck_findings *f)
{
	if (!f->udp)
		return NK_BLOCKED;
	if (is_symmetric(f)) {
		if (f->upnp)
			return NK_SYMMETRIC_UPNP;
		if (f->port_preserving == NATCHECK_YES)
			return NK_SYMMETRIC_PP;
		return NK_SYMMETRIC;
	}
	if (f->mapping != NATCHECK_EI)
		return NK_KINDS;
	switch (f->filtering) {
	case NATCHECK_EI:
		return f->nat_present ? NK_FULLCONE : NK_PUBLIC;
	case NATCHECK_AD:
		return NK_RESTRICTED;
	case NATCHECK_APD:
		/* A host firewall without NAT behaves as port-restricted. */
		return NK_PORTRESTRICTED;
	default:
		return f->nat_present ? NK_KINDS : NK_PUBLIC;
	}
}

/* teredo-spec.md §5.2, right-hand side: 4380 + 5991 + 6081. */
enum cell { NO, Y, SNS, PP, UP };

static const unsigned char matrix[NK_KINDS][NK_KINDS] = {
	/* pub fc rc pr sym sym+upnp pp-sym blocked */
	[NK_PUBLIC] = {Y, Y, Y, Y, SNS, SNS, SNS, NO},
	[NK_FULLCONE] = {Y, Y, Y, Y, SNS, SNS, SNS, NO},
	[NK_RESTRICTED] = {Y, Y, Y, Y, SNS, SNS, SNS, NO},
	[NK_PORTRESTRICTED] = {Y, Y, Y, Y, NO, NO, PP, NO},
	[NK_SYMMETRIC] = {SNS, SNS, SNS, NO, NO, NO, NO, NO},
	[NK_SYMMETRIC_UPNP] = {SNS, SNS, SNS, NO, NO, UP, NO, NO},
	[NK_SYMMETRIC_PP] = {SNS, SNS, SNS, PP, NO, NO, PP, NO},
	[NK_BLOCKED] = {NO, NO, NO, NO, NO, NO, NO, NO},
};

bool
natcheck_teredo_works(enum natcheck_kind from, enum natcheck_kind to,
		      bool ext_upnp, bool ext_pp)
{
	if ((unsigned)from >= NK_KINDS || (unsigned)to >= NK_KINDS)
		return false;
	switch (matrix[from][to]) {
	case Y:
	case SNS:
		return true;
	case PP:
		return ext_pp;
	case UP:
		return ext_upnp;
	default:
		return false;
	}
}

static const char *
protocol_word(const struct natcheck_findings *f)
{
	return f->upnp ? "UPnP" : f->natpmp ? "NAT-PMP" : "PCP";
}

static void
one(struct natcheck_verdict *v, const struct natcheck_findings *f,
    enum natcheck_kind me, enum natcheck_kind peer)
{
	struct strbuf sb;

	v->peer = natcheck_kind_name(peer);
	strbuf_init(&sb, v->why, sizeof(v->why));
	if (f->portmap_global) {
		v->supported = true;
		v->path = "ipv4-mapped";
		strbuf_put(&sb,
			   "your router forwards a port to you (%s): a Helper "
			   "connects to your global IPv4 address",
			   protocol_word(f));
		if (peer == NK_BLOCKED)
			strbuf_put(&sb, " over TCP, even from there");
		return;
	}
	if (me == NK_PUBLIC) {
		v->supported = true;
		v->path = "public-ipv4";
		strbuf_put(&sb, "you have a public IPv4 address: a Helper "
				"connects to it directly");
		return;
	}
	if (me == NK_BLOCKED) {
		v->supported = false;
		v->path = "none";
		strbuf_put(&sb, "this network blocks UDP to the Internet, so "
				"Teredo cannot work; ask for native IPv6 or "
				"UPnP on the router");
		return;
	}
	if (me == NK_KINDS) {
		v->supported = false;
		v->path = "none";
		strbuf_put(&sb, "the NAT's behaviour could not be measured "
				"(the STUN server lacks RFC 5780?)");
		return;
	}
	if (peer == NK_BLOCKED) {
		v->supported = false;
		v->path = "none";
		strbuf_put(&sb, "the other network blocks UDP: only native "
				"IPv6 or a port mapping there can help");
		return;
	}
	if (natcheck_teredo_works(me, peer, false, false) &&
	    natcheck_teredo_works(peer, me, false, false)) {
		v->supported = true;
		v->path = "teredo";
		if (matrix[me][peer] == SNS)
			strbuf_put(&sb,
				   "Teredo connects you both, with RFC 6081 "
				   "symmetric NAT support");
		else
			strbuf_put(&sb, "Teredo connects you both directly "
					"(its bubbles open both NATs)");
		return;
	}
	v->supported = false;
	v->path = "none";
	if (me >= NK_SYMMETRIC && me <= NK_SYMMETRIC_PP &&
	    peer >= NK_PORTRESTRICTED)
		strbuf_put(&sb,
			   "your NAT picks a new port for every destination "
			   "and the other side only accepts the exact "
			   "address and port it sent to: no direct path; "
			   "UPnP on either router or native IPv6 fixes it");
	else
		strbuf_put(&sb,
			   "the other NAT picks a new port for every "
			   "destination and yours only accepts the exact "
			   "address and port it sent to: no direct path; "
			   "UPnP on either router or native IPv6 fixes it");
}

size_t
natcheck_verdict(const struct natcheck_findings *f,
		 struct natcheck_verdict *out, size_t cap)
{
	static const enum natcheck_kind peers[] = {
		NK_PUBLIC,	   NK_FULLCONE,	 NK_RESTRICTED,
		NK_PORTRESTRICTED, NK_SYMMETRIC, NK_BLOCKED,
	};
	enum natcheck_kind me = natcheck_kind_of(f);
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(peers) && n < cap; i++, n++) {
		memset(&out[n], 0, sizeof(out[n]));
		one(&out[n], f, me, peers[i]);
	}
	if (n < cap) {
		struct natcheck_verdict *v = &out[n++];
		struct strbuf sb;

		memset(v, 0, sizeof(*v));
		v->peer = "a peer with native IPv6";
		v->supported =
			f->ipv6_global && f->ipv6_reachable != NATCHECK_NO;
		v->path = v->supported ? "ipv6" : "none";
		strbuf_init(&sb, v->why, sizeof(v->why));
		strbuf_put(&sb, "%s",
			   !f->ipv6_global
				   ? "this computer has no global IPv6 address"
			   : f->ipv6_reachable == NATCHECK_NO
				   ? "this computer has a global IPv6 address "
				     "but IPv6 does not reach the Internet"
				   : "you both have native IPv6: direct, "
				     "whatever the IPv4 NATs");
	}
	return n;
}
