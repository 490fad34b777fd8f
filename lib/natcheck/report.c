/* natcheck's report, text or JSON (see README.md "natcheck"). */
#include <string.h>

#include "base/strbuf.h"
#include "natcheck/natcheck.h"

bool
natcheck_is_global_ipv4(uint32_t a)
{
	/*
	 * Not global: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
	 * 192.0.0/24, 192.168/16, 198.18/15, 224/3 (multicast, reserved,
	 * broadcast).  The documentation ranges are accepted, as Miredo
	 * does (the lab's "Internet" lives in them).
	 */
	return !((a >> 24) == 0 || (a >> 24) == 10 ||
		 (a & 0xffc00000u) == 0x64400000u || (a >> 24) == 127 ||
		 (a & 0xffff0000u) == 0xa9fe0000u ||
		 (a & 0xfff00000u) == 0xac100000u ||
		 (a & 0xffffff00u) == 0xc0000000u ||
		 (a & 0xffff0000u) == 0xc0a80000u ||
		 (a & 0xfffe0000u) == 0xc6120000u || (a >> 29) == 7);
}

bool
natcheck_is_double_nat(const struct natcheck_findings *f)
{
	uint32_t ext = f->upnp_external	    ? f->upnp_external
		       : f->natpmp_external ? f->natpmp_external
					    : f->pcp_external;

	return f->udp && ext != 0 && ext != f->mapped.ipv4;
}

static void
json_str(struct strbuf *sb, const char *s)
{
	if (s == NULL) {
		strbuf_put(sb, "null");
		return;
	}
	strbuf_put(sb, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_put(sb, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			strbuf_put(sb, "\\u%04x", c);
		else
			strbuf_put(sb, "%c", c);
	}
	strbuf_put(sb, "\"");
}

static const char *
tri_json(enum natcheck_tri t)
{
	return t == NATCHECK_YES ? "true" : t == NATCHECK_NO ? "false" : "null";
}

static const char *
tri_text(enum natcheck_tri t)
{
	return t == NATCHECK_YES ? "yes" : t == NATCHECK_NO ? "no" : "unknown";
}

static void
ep_text(struct natcheck_endpoint e, char out[static 24])
{
	char ip[IPV4_TEXT_LEN];
	struct strbuf sb;

	ipv4_format(e.ipv4, ip);
	strbuf_init(&sb, out, 24);
	strbuf_put(&sb, "%s:%u", ip, e.port);
}

static void
ip_json(struct strbuf *sb, uint32_t a)
{
	char ip[IPV4_TEXT_LEN];

	if (a == 0) {
		strbuf_put(sb, "null");
		return;
	}
	ipv4_format(a, ip);
	strbuf_put(sb, "\"%s\"", ip);
}

/* connected: the JSON value of a "connected" field, or NULL for none. */
static void
router_json(struct strbuf *sb, const char *name, bool present, uint32_t ext,
	    const char *note, const char *connected)
{
	strbuf_put(sb, "\"%s\":{\"present\":%s,\"external_ipv4\":", name,
		   present ? "true" : "false");
	ip_json(sb, present ? ext : 0);
	strbuf_put(sb, ",\"global\":%s,\"note\":",
		   present && ext != 0
			   ? (natcheck_is_global_ipv4(ext) ? "true" : "false")
			   : "null");
	json_str(sb, note);
	if (connected != NULL)
		strbuf_put(sb, ",\"connected\":%s", connected);
	strbuf_put(sb, "},");
}

static void
report_json(struct strbuf *sb, const struct natcheck_findings *f,
	    const struct natcheck_verdict *v, size_t nv)
{
	char a[24], b[24];

	ep_text(f->local, a);
	ep_text(f->mapped, b);
	strbuf_put(sb, "{\"udp\":%s,\"local\":", f->udp ? "true" : "false");
	json_str(sb, f->local.ipv4 != 0 ? a : NULL);
	strbuf_put(sb, ",\"mapped\":");
	json_str(sb, f->udp ? b : NULL);
	strbuf_put(sb, ",\"nat\":{\"present\":");
	strbuf_put(sb, "%s",
		   f->udp ? (f->nat_present ? "true" : "false") : "null");
	strbuf_put(sb, ",\"mapping\":");
	json_str(sb, natcheck_behaviour_name(f->mapping));
	strbuf_put(sb, ",\"filtering\":");
	json_str(sb, natcheck_behaviour_name(f->filtering));
	strbuf_put(sb,
		   ",\"port_preserving\":%s,\"hairpinning\":%s,"
		   "\"mapping_varies_by_destination\":%s,\"rfc5780\":%s,"
		   "\"double_nat\":%s,\"windows\":",
		   tri_json(f->port_preserving), tri_json(f->hairpinning),
		   f->mapping_varies ? "true" : "false",
		   f->rfc5780 ? "true" : "false",
		   natcheck_is_double_nat(f) ? "true" : "false");
	json_str(sb, natcheck_windows_word(f));
	strbuf_put(sb, ",\"kind\":");
	json_str(sb, natcheck_kind_of(f) < NK_KINDS
			     ? natcheck_kind_name(natcheck_kind_of(f))
			     : NULL);
	strbuf_put(sb, "},");
	router_json(sb, "upnp", f->upnp, f->upnp_external, f->upnp_note,
		    f->upnp ? (f->upnp_connected ? "true" : "false") : "null");
	router_json(sb, "natpmp", f->natpmp, f->natpmp_external, f->natpmp_note,
		    NULL);
	router_json(sb, "pcp", f->pcp, f->pcp_external, f->pcp_note, NULL);
	strbuf_put(sb, "\"mapping_test\":{\"protocol\":");
	json_str(sb, f->map_proto);
	strbuf_put(sb, ",\"added\":%s,\"reachable\":%s,\"removed\":%s},",
		   f->map_proto ? tri_json(f->map_added) : "null",
		   f->map_proto ? tri_json(f->map_reachable) : "null",
		   f->map_proto ? tri_json(f->map_removed) : "null");
	strbuf_put(sb, "\"ipv6\":{\"global\":%s,\"reachable\":%s,\"address\":",
		   f->ipv6_global ? "true" : "false",
		   tri_json(f->ipv6_reachable));
	json_str(sb, f->ipv6_address);
	strbuf_put(sb, ",\"mapped\":");
	json_str(sb, f->ipv6_mapped);
	strbuf_put(sb, "},\"teredo\":{\"state\":");
	json_str(sb, f->teredo_state);
	strbuf_put(sb, "},\"verdict\":[");
	for (size_t i = 0; i < nv; i++) {
		strbuf_put(sb, "%s{\"peer\":", i ? "," : "");
		json_str(sb, v[i].peer);
		strbuf_put(sb, ",\"supported\":%s,\"path\":",
			   v[i].supported ? "true" : "false");
		json_str(sb, v[i].path);
		strbuf_put(sb, ",\"why\":");
		json_str(sb, v[i].why);
		strbuf_put(sb, "}");
	}
	strbuf_put(sb, "]}\n");
}

static void
router_text(struct strbuf *sb, const char *name, bool present, uint32_t ext,
	    const char *note)
{
	char ip[IPV4_TEXT_LEN];

	strbuf_put(sb, "%-22s: ", name);
	if (!present) {
		strbuf_put(sb, "not found%s%s%s\n", note ? " (" : "",
			   note ? note : "", note ? ")" : "");
		return;
	}
	if (ext == 0) {
		strbuf_put(sb, "found%s%s%s\n", note ? " (" : "",
			   note ? note : "", note ? ")" : "");
		return;
	}
	ipv4_format(ext, ip);
	strbuf_put(sb, "found, external IPv4 %s (%s)%s%s\n", ip,
		   natcheck_is_global_ipv4(ext) ? "global" : "not global",
		   note ? ": " : "", note ? note : "");
}

static void
report_text(struct strbuf *sb, const struct natcheck_findings *f,
	    const struct natcheck_verdict *v, size_t nv)
{
	char a[24], b[24];
	const char *m = natcheck_behaviour_name(f->mapping);
	const char *fl = natcheck_behaviour_name(f->filtering);

	ep_text(f->local, a);
	ep_text(f->mapped, b);
	strbuf_put(sb, "%-22s: %s\n", "UDP to the Internet",
		   f->udp ? "supported" : "not supported (blocked)");
	strbuf_put(sb, "%-22s: %s\n", "Local address", a);
	if (f->udp) {
		strbuf_put(sb, "%-22s: %s\n", "Mapped address", b);
		strbuf_put(sb, "%-22s: %s%s\n", "NAT",
			   f->nat_present ? "yes" : "no",
			   natcheck_is_double_nat(f)
				   ? " (double NAT: the router's external "
				     "address is not what the outside sees)"
				   : "");
		strbuf_put(sb, "%-22s: %s%s\n", "NAT mapping",
			   m ? m : "unknown",
			   f->mapping_varies ? " (varies by destination)" : "");
		strbuf_put(sb, "%-22s: %s%s\n", "NAT filtering",
			   fl ? fl : "unknown",
			   f->filtering != NATCHECK_UNKNOWN
				   ? ""
				   : " (the STUN server has no second "
				     "address: RFC 5780 needs one)");
		strbuf_put(sb, "%-22s: %s\n", "Port preserving",
			   tri_text(f->port_preserving));
		strbuf_put(sb, "%-22s: %s\n", "Hairpinning",
			   f->nat_present ? tri_text(f->hairpinning)
					  : "not applicable (no NAT)");
	}
	strbuf_put(sb, "%-22s: %s\n", "NAT (Windows)",
		   natcheck_windows_word(f));
	router_text(sb, "UPnP IGD", f->upnp, f->upnp_external, f->upnp_note);
	router_text(sb, "NAT-PMP", f->natpmp, f->natpmp_external,
		    f->natpmp_note);
	router_text(sb, "PCP", f->pcp, f->pcp_external, f->pcp_note);
	if (f->map_proto != NULL)
		strbuf_put(sb,
			   "%-22s: by %s: added %s, reachable from outside %s, "
			   "removed %s\n",
			   "Port mapping test", f->map_proto,
			   tri_text(f->map_added), tri_text(f->map_reachable),
			   tri_text(f->map_removed));
	strbuf_put(sb, "%-22s: %s%s%s\n", "Native IPv6",
		   f->ipv6_global ? "yes, " : "no global address",
		   f->ipv6_global && f->ipv6_address ? f->ipv6_address : "",
		   f->ipv6_reachable == NATCHECK_YES
			   ? " (reaches the STUN server)"
		   : f->ipv6_reachable == NATCHECK_NO
			   ? " (but no answer over IPv6)"
			   : "");
	strbuf_put(sb, "%-22s: %s\n", "Teredo (teredod)",
		   f->teredo_state ? f->teredo_state : "not running");
	strbuf_put(sb, "\nVerdict: remote assistance with ...\n");
	for (size_t i = 0; i < nv; i++)
		strbuf_put(sb, "  %-34s %-13s %s: %s\n", v[i].peer,
			   v[i].supported ? "supported" : "NOT supported",
			   v[i].path, v[i].why);
}

int
natcheck_report(const struct natcheck_findings *f, bool json, char *buf,
		size_t cap)
{
	struct natcheck_verdict v[NATCHECK_VERDICT_MAX];
	size_t nv = natcheck_verdict(f, v, ARRAY_SIZE(v));
	struct strbuf sb;

	strbuf_init(&sb, buf, cap);
	if (json)
		report_json(&sb, f, v, nv);
	else
		report_text(&sb, f, v, nv);
	return strbuf_status(&sb);
}
