# shellcheck shell=bash disable=SC2034,SC2153,SC2004 # lab.sh globals
# Lab additions for natcheck (issue 12), sourced after lab.sh: NAT routers
# with hairpinning, with a real miniupnpd (UPnP IGD, NAT-PMP, PCP), a
# double NAT, a router with a fake IGD / NAT-PMP responder, and an RFC 5780
# STUN server (coturn).  Everything runs inside the lab's namespaces with
# configurations written here (never a packaged one).
#
#   natlab_site NAME KIND WAN [hairpin] [upnp|pmp|fake] [double=OUTER_WAN]
#     KIND as lab_site (fullcone ... blocked).  WAN may be outside the
#     documentation ranges only in NATLAB_UPNP_NET (miniupnpd 2.3.1 refuses
#     reserved WAN addresses): a block that exists only inside the lab's
#     namespaces (no link reaches the root namespace).
#     hairpin: the router hairpins UDP (RFC 4787 REQ-9).
#     upnp: miniupnpd with UPnP IGD + NAT-PMP + PCP; pmp: NAT-PMP + PCP
#     only; fake: tests/lab/fakeigd.py (its mode set by natlab_fake_mode).
#     double=OUTER_WAN: NAME-gw's WAN is 172.16.<n>.2 behind a second,
#     port-restricted NAT NAME-out whose WAN is OUTER_WAN.
#   natlab_coturn SRV          coturn on SRV's two addresses, ports 3478/3479
#                              (and its native IPv6 address, if it has one)

NATLAB_UPNP_NET=${NATLAB_UPNP_NET:-11.0.0}
declare -gA NATLAB_GW=()       # site -> its router's LAN address
declare -gA NATLAB_WAN=()      # site -> its router's own WAN address
declare -gA NATLAB_FAKE_PID=() # site -> fakeigd.py's PID

# _lab_attach without the documentation-range check, for NATLAB_UPNP_NET.
_natlab_attach() {
	local name=$1 a=$2 core host
	case $a in
	"$NATLAB_UPNP_NET".*) ;;
	*) _lab_check_public "$a" ;;
	esac
	core=$(lab_ns "$LAB_CORE") host=$(lab_ns "$name")
	LAB_LINKS=$((LAB_LINKS + 1))
	local cif="c$LAB_LINKS"
	ip -n "$core" link add "$cif" type veth peer name wan netns "$host" ||
		lab_die "veth $cif"
	ip -n "$core" addr add "$LAB_GW4/32" dev "$cif"
	ip -n "$core" link set "$cif" up
	ip -n "$core" route add "$a/32" dev "$cif"
	ip -n "$host" addr add "$a/32" dev wan
	ip -n "$host" link set wan up
	ip -n "$host" route add default via "$LAB_GW4" dev wan onlink
}

# Inserts a rule after the line containing PATTERN (a chain's hook line).
_natlab_insert() { # PATTERN RULE < ruleset
	awk -v pat="$1" -v rule="$2" '{ print } index($0, pat) { print "\t\t" rule }'
}

_natlab_upnp_tables() {
	cat <<'NFT'
table inet upnp {
	chain fwd_upnp {
	}
	chain pre_upnp {
	}
	chain post_upnp {
	}
	chain forward {
		type filter hook forward priority filter - 1; policy accept;
		jump fwd_upnp
	}
	chain prerouting {
		type nat hook prerouting priority dstnat - 1; policy accept;
		jump pre_upnp
	}
	chain postrouting {
		type nat hook postrouting priority srcnat - 1; policy accept;
		jump post_upnp
	}
}
NFT
}

_natlab_ruleset() { # KIND WAN HAIRPIN PORTMAP
	local kind=$1 wan=$2 hp=$3 pm=$4 rs
	rs=$(_lab_nat_ruleset "$kind" "$wan")
	if [ "$hp" = 1 ]; then
		# Hairpinning: LAN traffic to the WAN address goes through the
		# same mapping table and comes back with the WAN address as
		# source (RFC 4787 §6, REQ-9).
		rs=$(printf '%s\n' "$rs" |
			_natlab_insert "type nat hook prerouting" \
				"iifname \"lan\" ip daddr $wan meta l4proto udp dnat ip to udp dport map @fc" |
			_natlab_insert "type nat hook postrouting" \
				"iifname \"lan\" oifname \"lan\" ct status dnat snat ip to $wan" |
			_natlab_insert "type filter hook forward" \
				"iifname \"lan\" oifname \"lan\" ct status dnat accept")
	fi
	printf '%s\n' "$rs" | if [ "$pm" = upnp ] || [ "$pm" = pmp ]; then
		# miniupnpd's chains (named in its configuration); the lab's
		# forward chain lets its DNATed flows in.
		_natlab_insert "type filter hook forward" \
			"iifname \"wan\" oifname \"lan\" ct status dnat accept"
		_natlab_upnp_tables
	else
		cat
	fi
}

natlab_site() {
	local name=$1 kind=$2 wan=$3 hp=0 pm=none outer='' arg n gw client up
	shift 3
	for arg in "$@"; do
		case $arg in
		hairpin) hp=1 ;;
		upnp | pmp | fake) pm=$arg ;;
		double=*) outer=${arg#double=} ;;
		*) lab_die "natlab_site: unknown option $arg" ;;
		esac
	done
	LAB_SITES=$((LAB_SITES + 1))
	n=$LAB_SITES
	_lab_new_ns "$name-gw" router
	_lab_new_ns "$name" "$kind"
	gw=$(lab_ns "$name-gw") client=$(lab_ns "$name")
	if [ -n "$outer" ]; then
		# The outer NAT: port-restricted, WAN OUTER, LAN 172.16.n.0/24.
		_lab_new_ns "$name-out" router
		up=$(lab_ns "$name-out")
		_natlab_attach "$name-out" "$outer"
		ip netns exec "$up" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
		ip -n "$up" link add lan type veth peer name wan netns "$gw" ||
			lab_die "veth outer"
		ip -n "$up" addr add "172.16.$n.1/24" dev lan
		ip -n "$up" link set lan up
		_lab_nat_ruleset portrestricted "$outer" >"$LAB_DIR/$name-out.nft"
		ip netns exec "$up" nft -f "$LAB_DIR/$name-out.nft" ||
			lab_die "nft ruleset for $name-out"
		ip -n "$gw" addr add "172.16.$n.2/24" dev wan
		ip -n "$gw" link set wan up
		ip -n "$gw" route add default via "172.16.$n.1"
		wan=172.16.$n.2
		LAB_PUB[$name]=$outer
	else
		_natlab_attach "$name-gw" "$wan"
		LAB_PUB[$name]=$wan
	fi
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
	ip -n "$gw" link add lan type veth peer name eth0 netns "$client" ||
		lab_die "veth lan"
	ip -n "$gw" addr add "10.$n.0.1/24" dev lan
	ip -n "$gw" link set lan up
	ip -n "$client" addr add "10.$n.0.2/24" dev eth0
	ip -n "$client" link set eth0 up
	ip -n "$client" route add default via "10.$n.0.1"
	LAB_ADDR[$name]=10.$n.0.2
	LAB_ADDR[$name-gw]=$wan
	NATLAB_GW[$name]=10.$n.0.1
	NATLAB_WAN[$name]=$wan
	_natlab_ruleset "$kind" "$wan" "$hp" "$pm" >"$LAB_DIR/$name-gw.nft"
	ip netns exec "$gw" nft -f "$LAB_DIR/$name-gw.nft" ||
		lab_die "nft ruleset for $name ($kind)"
	case $pm in
	upnp | pmp) _natlab_miniupnpd "$name" "$pm" ;;
	esac
	return 0
}

# miniupnpd on NAME-gw: LAN "lan", WAN "wan", its own config and files.
_natlab_miniupnpd() {
	local name=$1 pm=$2 conf=$LAB_DIR/$1-miniupnpd.conf up=yes
	[ "$pm" = upnp ] || up=no
	cat >"$conf" <<CONF
ext_ifname=wan
listening_ip=lan
http_port=5000
enable_natpmp=yes
enable_upnp=$up
secure_mode=yes
system_uptime=yes
min_lifetime=120
max_lifetime=86400
upnp_table_name=upnp
upnp_nat_table_name=upnp
upnp_forward_chain=fwd_upnp
upnp_nat_chain=pre_upnp
upnp_nat_postrouting_chain=post_upnp
lease_file=$LAB_DIR/$name-upnp.leases
uuid=3d3b8b55-$(printf '%04x' "$LAB_SITES")-4a4f-9a7d-5c3b5f1e2d10
allow 1-65535 10.0.0.0/8 1-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	lab_daemon "$name-gw" "$LAB_DIR/$name-miniupnpd.log" \
		miniupnpd -f "$conf" -d -P "$LAB_DIR/$name-miniupnpd.pid"
}

# The fake IGD / NAT-PMP / PCP responder on NAME-gw in MODE (fakeigd.py),
# (re)started and waited for.
natlab_fake_mode() {
	local name=$1 mode=$2 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ -n "${NATLAB_FAKE_PID[$name]:-}" ]; then
		lab_stop_pid "${NATLAB_FAKE_PID[$name]}"
	fi
	: >"$LAB_DIR/$name-fake.log"
	lab_daemon "$name-gw" "$LAB_DIR/$name-fake.log" \
		python3 "$here/fakeigd.py" "${NATLAB_GW[$name]}" "$mode" \
		"${NATLAB_WAN[$name]}" 300
	NATLAB_FAKE_PID[$name]=$LAB_LAST_PID
	lab_wait_for 10 grep -q ready "$LAB_DIR/$name-fake.log"
}

# coturn (turnserver) as an RFC 5780 STUN server: both addresses of SRV,
# ports 3478 and 3479, no authentication, STUN only, no CLI, no TLS.
natlab_coturn() {
	local srv=$1 a1 a2 conf=$LAB_DIR/turnserver.conf
	a1=${LAB_ADDR[$srv]}
	a2=$(lab_ip_add "$a1" 1)
	cat >"$conf" <<CONF
listening-ip=$a1
listening-ip=$a2
$([ -n "${LAB_ADDR6[$srv]:-}" ] && echo "listening-ip=${LAB_ADDR6[$srv]}")
listening-port=3478
alt-listening-port=3479
stun-only
no-auth
no-cli
no-tls
no-dtls
simple-log
log-file=$LAB_DIR/turnserver.log
pidfile=$LAB_DIR/turnserver.pid
userdb=$LAB_DIR/turndb
CONF
	lab_daemon "$srv" "$LAB_DIR/turnserver.out" turnserver -c "$conf"
}
