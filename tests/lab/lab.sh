# shellcheck shell=bash disable=SC2034 # LAB_KIND/ADDR/PUB are for the tests
# Teredo NAT lab: a sourced bash library that builds a small "Internet" out of
# network namespaces, with NAT routers of the kinds RFC 4380 §3.1 and RFC 6081
# §2 talk about (see docs: teredo-spec.md §5.0 and tests/lab/README.md).
#
#   . tests/lab/lab.sh
#   lab_require_packages
#   lab_init                       # per-run prefix, temp dir, cleanup trap
#   lab_core                       # the "Internet" router
#   lab_server srv 192.0.2.10      # 192.0.2.10 and 192.0.2.11
#   lab_public_host pub 198.51.100.20
#   lab_site fc fullcone 203.0.113.1   # fc-gw (NAT) + fc (10.1.0.2)
#   lab_exec fc ping -c 1 192.0.2.10
#   lab_daemon srv "$LAB_DIR/x.log" some-daemon -f   # PID in $LAB_LAST_PID
#   lab_down                       # also run by the trap
#
# Hermetic by construction: every namespace carries the per-run prefix, the
# only links are veth pairs between lab namespaces (none to the root
# namespace), sysctls are set only inside lab namespaces, daemons run only
# inside them (setsid, stdin </dev/null, output to a file) and are stopped by
# recorded PID.  Every wait is bounded in count and in time.

LAB_PREFIX=${LAB_PREFIX:-}
LAB_DIR=${LAB_DIR:-}
LAB_CORE=core
LAB_GW4=169.254.0.1     # the core's address on every link (link-scope only)
LAB_NAT_TIMEOUT=${LAB_NAT_TIMEOUT:-120s}
declare -gA LAB_NS=()    # lab name -> real namespace name
declare -gA LAB_KIND=()  # lab name -> none|server|fullcone|...|router
declare -gA LAB_ADDR=()  # lab name -> host's own IPv4 address
declare -gA LAB_PUB=()   # lab name -> public IPv4 address seen from the core
declare -ga LAB_ORDER=() # lab names, creation order
declare -ga LAB_PIDS=()  # daemons to stop, by PID
declare -gA LAB_ADDR6=() # lab name -> native IPv6 address (lab_v6_*)
LAB_V6NET=ix6            # lab name of the native IPv6 segment's namespace
LAB_V6_PREFIX=${LAB_V6_PREFIX:-2001:db8:6::} # its /64 (RFC 3849 range)
LAB_V6_PORTS=0
LAB_LINKS=0
LAB_SITES=0
LAB_LAST_PID=
LAB_UP=0

lab_log() { printf '# lab: %s\n' "$*" >&2; }
lab_die() {
	printf '# lab: FATAL: %s\n' "$*" >&2
	exit 1
}

# Installs what the lab needs (Debian package names), only when missing.
lab_require_packages() {
	local want=(nftables iproute2 python3 iputils-ping procps util-linux
		conntrack)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || lab_die "missing packages: ${missing[*]}"
	lab_log "installing ${missing[*]}"
	lab_apt_install "${missing[@]}"
}

# apt-get install with every service kept from starting: a policy-rc.d that
# exits 101.  An existing /usr/sbin/policy-rc.d is kept as it is; one this
# function creates is removed again.
lab_apt_install() {
	local rc=0 made=0 prc=/usr/sbin/policy-rc.d
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc" && made=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "$@" \
		</dev/null >/dev/null 2>&1; then
		apt-get update -qq </dev/null >/dev/null 2>&1
		apt-get install -y -qq --no-install-recommends "$@" \
			</dev/null >/dev/null 2>&1 || rc=$?
	fi
	[ "$made" -eq 1 ] && rm -f "$prc"
	return "$rc"
}

# Miredo client and server, installed without letting them start.
lab_require_miredo() {
	local missing=() p
	for p in miredo miredo-server; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || lab_die "missing packages: ${missing[*]}"
	lab_log "installing ${missing[*]} (services kept from starting)"
	lab_apt_install "${missing[@]}"
}

lab_init() {
	[ "$(id -u)" -eq 0 ] || lab_die "the lab needs root"
	local c
	for c in ip nft python3 setsid timeout; do
		command -v "$c" >/dev/null || lab_die "$c not found (lab_require_packages)"
	done
	LAB_PREFIX="sw$$x${RANDOM}-"
	LAB_DIR=$(mktemp -d "/tmp/${LAB_PREFIX}XXXXXX") || lab_die "mktemp"
	LAB_UP=1
	trap 'lab_down' EXIT
	trap 'lab_down; trap - EXIT; exit 130' INT
	trap 'lab_down; trap - EXIT; exit 143' TERM
	lab_log "prefix $LAB_PREFIX, files in $LAB_DIR"
}

# Prints the real namespace name of a lab name.
lab_ns() {
	local ns=${LAB_NS[$1]:-}
	[ -n "$ns" ] || lab_die "no lab host '$1'"
	printf '%s\n' "$ns"
}

lab_exec() {
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@"
}

# Adds one IPv4 address to a dotted quad: "192.0.2.10" 1 -> 192.0.2.11.
lab_ip_add() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	d=$((d + $2))
	if [ "$d" -lt 1 ] || [ "$d" -gt 254 ]; then
		lab_die "address $1 + $2 leaves the /24"
	fi
	printf '%s.%s.%s.%s\n' "$a" "$b" "$c" "$d"
}

# Public addresses come from the documentation ranges only (RFC 5737):
# nothing the lab uses could ever be routed outside it.
_lab_check_public() {
	case $1 in
	192.0.2.* | 198.51.100.* | 203.0.113.*) ;;
	*) lab_die "public address $1 is not in 192.0.2/24, 198.51.100/24, 203.0.113/24" ;;
	esac
}

_lab_new_ns() {
	local name=$1 kind=$2 ns="${LAB_PREFIX}$1"
	[ "$LAB_UP" -eq 1 ] || lab_die "lab_init first"
	[ -z "${LAB_NS[$name]:-}" ] || lab_die "lab host '$name' exists"
	[[ $name =~ ^[a-z][a-z0-9-]{0,15}$ ]] || lab_die "bad lab name '$name'"
	ip netns add "$ns" || lab_die "ip netns add $ns"
	LAB_NS[$name]=$ns
	LAB_KIND[$name]=$kind
	LAB_ORDER+=("$name")
	ip -n "$ns" link set lo up
	# The kernel defaults of a fresh namespace, made explicit: no reverse
	# path filter (asymmetric lab routes), no IPv6 autoconfiguration noise.
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		>/dev/null
}

lab_core() {
	_lab_new_ns "$LAB_CORE" router
	lab_exec "$LAB_CORE" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
}

# Links lab host NAME to the core with a veth pair created directly inside
# the two namespaces (it never exists in the root namespace).  The host's
# side is "wan" and carries the given /32 addresses; its default route goes
# to the core's link-scope address.
_lab_attach() {
	local name=$1 core host a
	shift
	core=$(lab_ns "$LAB_CORE") host=$(lab_ns "$name")
	LAB_LINKS=$((LAB_LINKS + 1))
	local cif="c$LAB_LINKS"
	ip -n "$core" link add "$cif" type veth peer name wan netns "$host" ||
		lab_die "veth $cif"
	ip -n "$core" addr add "$LAB_GW4/32" dev "$cif"
	ip -n "$core" link set "$cif" up
	for a in "$@"; do
		_lab_check_public "$a"
		ip -n "$core" route add "$a/32" dev "$cif"
		ip -n "$host" addr add "$a/32" dev wan
	done
	ip -n "$host" link set wan up
	ip -n "$host" route add default via "$LAB_GW4" dev wan onlink
}

# A server host with two consecutive public addresses (Teredo servers need
# a primary and a secondary, RFC 4380 §5.2.1).
lab_server() {
	local name=$1 ip1=$2 ip2
	ip2=$(lab_ip_add "$ip1" 1)
	_lab_new_ns "$name" server
	_lab_attach "$name" "$ip1" "$ip2"
	LAB_ADDR[$name]=$ip1
	LAB_PUB[$name]=$ip1
}

# A host with a global address and no NAT or firewall ("open Internet").
lab_public_host() {
	local name=$1 ip=$2
	_lab_new_ns "$name" none
	_lab_attach "$name" "$ip"
	LAB_ADDR[$name]=$ip
	LAB_PUB[$name]=$ip
}

# A NAT router NAME-gw (WAN PUBLIC_IPV4 toward the core, LAN 10.<n>.0.1/24)
# and a client host NAME (10.<n>.0.2) behind it.
lab_site() {
	local name=$1 kind=$2 pub=$3 gw client n
	local pub2=
	case $kind in
	fullcone | restricted | portrestricted | symmetric | blocked) ;;
	ppsymmetric | sequential) ;;
	addrsymmetric) pub2=${LAB_ASYM_PUB2:-$(lab_ip_add "$pub" 100)} ;;
	none)
		lab_public_host "$name" "$pub"
		return
		;;
	*) lab_die "unknown NAT kind '$kind'" ;;
	esac
	LAB_SITES=$((LAB_SITES + 1))
	n=$LAB_SITES
	[ "$n" -le 250 ] || lab_die "too many sites"
	_lab_new_ns "$name-gw" router
	_lab_new_ns "$name" "$kind"
	gw=$(lab_ns "$name-gw") client=$(lab_ns "$name")
	_lab_attach "$name-gw" "$pub" ${pub2:+"$pub2"}
	LAB_PUB[$name-gw]=$pub
	LAB_ADDR[$name-gw]=$pub
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
	ip -n "$gw" link add lan type veth peer name eth0 netns "$client" ||
		lab_die "veth lan"
	ip -n "$gw" addr add "10.$n.0.1/24" dev lan
	ip -n "$gw" link set lan up
	ip -n "$client" addr add "10.$n.0.2/24" dev eth0
	ip -n "$client" link set eth0 up
	ip -n "$client" route add default via "10.$n.0.1"
	LAB_ADDR[$name]=10.$n.0.2
	LAB_PUB[$name]=$pub
	_lab_nat_ruleset "$kind" "$pub" "" "$pub2" >"$LAB_DIR/$name-gw.nft"
	ip netns exec "$gw" nft -f "$LAB_DIR/$name-gw.nft" ||
		lab_die "nft ruleset for $name ($kind)"
}

# The NAT router's ruleset.  Mapping: Linux source NAT keeps the source port
# when it is free, which makes "snat to WAN" endpoint-independent (EIM,
# RFC 4787 §4.1) with port preservation; "fully-random" picks a fresh random
# port for every new conntrack, i.e. every remote address and port (APDM: a
# symmetric NAT).  Filtering: conntrack alone lets in only replies from the
# exact remote address and port (APDF, port-restricted cone).  Full cone (EIF)
# and address-restricted (ADF) filtering need state conntrack does not keep:
#   @fc  mapped port -> internal address . port, learnt from every packet
#        leaving through the WAN (after source NAT, so "udp sport" is the
#        mapped port); inbound UDP to a mapped port from a new remote endpoint
#        is DNATed through it;
#   @ra  remote address . mapped port, for every remote the mapping sent to;
#        restricted only DNATs through @fc when the pair is in @ra.
# Entries expire after LAB_NAT_TIMEOUT (RFC 4787 REQ-5: >= 2 min) unless
# traffic refreshes them.  Everything unsolicited on the WAN is dropped, in
# input and in forward, as home routers do.
_lab_nat_ruleset() {
	local kind=$1 pub=$2 hairpin=${3:-} pub2=${4:-} t=$LAB_NAT_TIMEOUT
	cat <<EOF
flush ruleset
table ip lab {
EOF
	_lab_nat_sets_more "$kind"
	cat <<EOF
	map fc {
		type inet_service : ipv4_addr . inet_service
		flags dynamic, timeout
		timeout $t
	}
	set ra {
		type ipv4_addr . inet_service
		flags dynamic, timeout
		timeout $t
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
EOF
	case $kind in
	fullcone)
		echo "		iifname \"wan\" ip daddr $pub meta l4proto udp dnat ip to udp dport map @fc"
		;;
	restricted)
		echo "		iifname \"wan\" ip daddr $pub meta l4proto udp ip saddr . udp dport @ra dnat ip to udp dport map @fc"
		;;
	esac
	[ "$hairpin" = yes ] && _lab_nat_hairpin_pre "$pub"
	cat <<EOF
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
EOF
	if [ "$kind" = symmetric ]; then
		echo "		oifname \"wan\" meta l4proto { tcp, udp } snat ip to $pub:1024-65535 fully-random"
	fi
	_lab_nat_snat_more "$kind" "$pub" "$pub2"
	[ "$hairpin" = yes ] && _lab_nat_hairpin_post "$pub"
	echo "		oifname \"wan\" snat ip to $pub"
	cat <<EOF
	}
	chain learn {
		type filter hook postrouting priority srcnat + 50; policy accept;
EOF
	_lab_nat_learn_more "$kind" "$hairpin"
	case $kind in
	fullcone | restricted)
		# Original direction: an outbound flow (internal = original source).
		# Reply direction: the internal host answering a DNATed inbound flow
		# (internal = reply source).
		echo "		oifname \"wan\" meta l4proto udp ct direction original update @fc { udp sport : ct original ip saddr . ct original proto-src }"
		echo "		oifname \"wan\" meta l4proto udp ct direction reply update @fc { udp sport : ct reply ip saddr . ct reply proto-src }"
		;;
	esac
	if [ "$kind" = restricted ]; then
		echo "		oifname \"wan\" meta l4proto udp update @ra { ip daddr . udp sport }"
	fi
	cat <<EOF
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "wan" ct state established,related accept
		iifname "wan" drop
EOF
	[ "$hairpin" = no ] && _lab_nat_nohairpin_input "$pub"
	cat <<EOF
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
EOF
	if [ "$kind" = blocked ]; then
		echo "		meta l4proto udp drop"
	fi
	cat <<EOF
		iifname "lan" oifname "wan" accept
		iifname "wan" oifname "lan" ct state established,related accept
EOF
	case $kind in
	fullcone | restricted)
		echo "		iifname \"wan\" oifname \"lan\" ct status dnat accept"
		;;
	esac
	[ "$hairpin" = yes ] && _lab_nat_hairpin_forward
	cat <<EOF
	}
}
EOF
}

# --- more NAT kinds: RFC 6081 symmetric variants, shared and nested NATs -----
#
# (issue 14; docs/matrix.md describes each kind and its probe results)
#
#   ppsymmetric    port-preserving symmetric (RFC 6081 §3.3): a new mapping
#                  keeps the internal port when it is free; every further
#                  destination from an internal endpoint that already has a
#                  mapping gets a fresh random port.  A dynamic set @pp of
#                  internal endpoints already mapped (added by the first
#                  mapping's SNAT rule, refreshed by every outbound packet)
#                  sends the later conntracks to a `fully-random` SNAT.
#   sequential     sequential port-symmetric (RFC 6081 §3.4): every new UDP
#                  mapping, whatever the internal host, takes the next port
#                  of 20000..20999 (step 1; other hosts' mappings interleave).
#                  `snat to ADDR : numgen inc mod N offset K` loads numgen's
#                  host-order 32-bit value where nf_nat reads a network-order
#                  port: on x86 the step is 256, not 1 (the probe sees it).
#                  The workaround is a verdict-free lookup: `numgen inc mod N
#                  map { 0 : K, 1 : K+1, ... }`, whose values nft stores as
#                  inet_service, i.e. in network order.
#   addrsymmetric  address-symmetric (RFC 6081 §2; RFC 4787 ADM): two WAN
#                  addresses; the mapping toward the addresses in @first
#                  (LAB_ASYM_FIRST, default the lab server's primary
#                  192.0.2.10) uses the first, every other remote the second
#                  (LAB_ASYM_PUB2, default WAN + 100), each keeping the port:
#                  one mapping per remote address, and a peer never sees the
#                  address a Teredo client's address embeds.
#
#   lab_shared_site GW KIND PUB HAIRPIN [LAN]   a NAT router GW whose LAN
#       is a bridge (10.n.0.1/24, or LAN.1/24 when LAN "A.B.C" is given: a
#       routable block for an IGD on a nested NAT there, as miniupnpd
#       refuses a private WAN address; only with HAIRPIN no, never
#       reachable from the root namespace) that several hosts join;
#       HAIRPIN yes: a packet
#       from the LAN to PUB:port is DNATed through the mapped-port map @fc
#       and SNATed to PUB (RFC 4787 REQ-9: the peer sees the sender's
#       mapping); no: dropped.  KIND fullcone, restricted, portrestricted,
#       symmetric, ppsymmetric or sequential (one counter for all hosts).
#   lab_lan_host GW NAME                  a client NAME on GW's LAN
#   lab_lan_nat GW NAME KIND              a nested NAT: router NAME-gw whose
#       WAN is on GW's LAN, client NAME behind it; then calls
#       `lab_nested_hook NAME-gw GW` if the caller defined it (the port-
#       mapping work starts miniupnpd on the inner router there).
#   lab_loss NAME PCT                     PCT % random loss of UDP crossing
#       NAME's NAT router (NAME-gw, or NAME itself when it is a router), or
#       in and out of a public host (no netem here: `numgen random mod 100`).

LAB_SEQ_BASE=${LAB_SEQ_BASE:-20000}
LAB_SEQ_PORTS=${LAB_SEQ_PORTS:-1000}
LAB_ASYM_FIRST=${LAB_ASYM_FIRST:-192.0.2.10}
declare -gA LAB_LAN_NET=()  # shared router -> its LAN's n (10.n.0.0/24)
declare -gA LAB_LAN_PFX=()  # shared router -> its LAN's /24 ("10.n.0")
declare -gA LAB_LAN_NEXT=() # shared router -> last host number used
declare -gA LAB_LAN_KIND=() # shared router -> its NAT kind

_lab_nat_sets_more() {
	case $1 in
	ppsymmetric)
		cat <<EOF
	set pp {
		type ipv4_addr . inet_service
		flags dynamic, timeout
		timeout $t
	}
EOF
		;;
	addrsymmetric)
		printf '\tset first {\n\t\ttype ipv4_addr\n\t\telements = { %s }\n\t}\n' \
			"$LAB_ASYM_FIRST"
		;;
	esac
}

_lab_nat_snat_more() {
	local kind=$1 pub=$2 pub2=$3 i sep=
	case $kind in
	ppsymmetric)
		echo "		oifname \"wan\" meta l4proto udp ip saddr . udp sport @pp snat ip to $pub:1024-65535 fully-random"
		echo "		oifname \"wan\" meta l4proto udp add @pp { ip saddr . udp sport } snat ip to $pub"
		;;
	sequential)
		printf '\t\toifname "wan" meta l4proto udp snat ip to %s : numgen inc mod %d map {' \
			"$pub" "$LAB_SEQ_PORTS"
		for ((i = 0; i < LAB_SEQ_PORTS; i++)); do
			printf '%s %d : %d' "$sep" "$i" $((LAB_SEQ_BASE + i))
			sep=,
		done
		printf ' }\n'
		;;
	addrsymmetric)
		echo "		oifname \"wan\" meta l4proto udp ip daddr != @first snat ip to $pub2"
		;;
	esac
}

_lab_nat_learn_more() {
	local kind=$1 hairpin=$2
	if [ "$kind" = ppsymmetric ]; then
		echo "		oifname \"wan\" meta l4proto udp ct direction original update @pp { ct original ip saddr . ct original proto-src }"
	fi
	# Hairpinning needs the mapped-port map the cone kinds keep anyway.
	if [ "$hairpin" = yes ] && [ "$kind" != fullcone ] && [ "$kind" != restricted ]; then
		echo "		oifname \"wan\" meta l4proto udp ct direction original update @fc { udp sport : ct original ip saddr . ct original proto-src }"
	fi
}

_lab_nat_hairpin_pre() {
	echo "		iifname \"lan\" ip daddr $1 meta l4proto udp dnat ip to udp dport map @fc"
}

# After the DNAT above the packet leaves on the LAN: give it the sender's
# mapping as its source (a free port is kept, so it is the sender's mapped
# port).  Inbound DNATed traffic from the WAN has a public source.
_lab_nat_hairpin_post() {
	echo "		oifname \"lan\" ct status dnat ip saddr 10.0.0.0/8 snat ip to $1"
}

_lab_nat_hairpin_forward() {
	echo "		iifname \"lan\" oifname \"lan\" accept"
}

_lab_nat_nohairpin_input() {
	echo "		iifname \"lan\" ip daddr $1 meta l4proto udp drop"
}

# A router namespace NAME with WAN already attached gets a bridge LAN
# 10.n.0.1/24 and its ruleset.
_lab_lan_router() {
	local name=$1 kind=$2 pub=$3 hairpin=$4 pfx=${5:-} ns n
	LAB_SITES=$((LAB_SITES + 1))
	n=$LAB_SITES
	[ "$n" -le 250 ] || lab_die "too many sites"
	ns=$(lab_ns "$name")
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0 >/dev/null
	# Bridged frames between LAN hosts stay at layer 2 (br_netfilter off
	# in here when the host kernel has it).
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
			>/dev/null 2>&1
	fi
	ip -n "$ns" link add lan type bridge stp_state 0 forward_delay 0 ||
		lab_die "bridge lan in $name"
	[ -n "$pfx" ] || pfx=10.$n.0
	ip -n "$ns" addr add "$pfx.1/24" dev lan
	ip -n "$ns" link set lan up
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.lan.send_redirects=0 >/dev/null
	LAB_LAN_NET[$name]=$n
	LAB_LAN_PFX[$name]=$pfx
	LAB_LAN_NEXT[$name]=1
	LAB_LAN_KIND[$name]=$kind
	_lab_nat_ruleset "$kind" "$pub" "$hairpin" >"$LAB_DIR/$name.nft"
	ip netns exec "$ns" nft -f "$LAB_DIR/$name.nft" ||
		lab_die "nft ruleset for $name ($kind, hairpin $hairpin)"
}

lab_shared_site() {
	local gw=$1 kind=$2 pub=$3 hairpin=$4 pfx=${5:-}
	case $kind in
	fullcone | restricted | portrestricted) ;;
	symmetric | ppsymmetric | sequential) ;;
	*) lab_die "shared NAT kind '$kind'" ;;
	esac
	case $hairpin in
	yes | no) ;;
	*) lab_die "hairpin '$hairpin': yes or no" ;;
	esac
	_lab_new_ns "$gw" router
	_lab_attach "$gw" "$pub"
	LAB_PUB[$gw]=$pub
	LAB_ADDR[$gw]=$pub
	if [ -n "$pfx" ]; then
		[[ $pfx =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || lab_die "LAN '$pfx': A.B.C"
		[ "$hairpin" = no ] || lab_die "LAN '$pfx': only without hairpinning"
	fi
	_lab_lan_router "$gw" "$kind" "$pub" "$hairpin" "$pfx"
}

# _lab_lan_join GW NAME: NAME's "eth0" (or "wan" for a router) on GW's LAN;
# prints the address it got.
_lab_lan_join() {
	local gw=$1 name=$2 ifname=$3 n k g h pfx
	n=${LAB_LAN_NET[$gw]:-}
	[ -n "$n" ] || lab_die "'$gw' is not a lab_shared_site"
	pfx=${LAB_LAN_PFX[$gw]}
	k=$((LAB_LAN_NEXT[$gw] + 1))
	[ "$k" -le 250 ] || lab_die "too many hosts on $gw"
	LAB_LAN_NEXT[$gw]=$k
	g=$(lab_ns "$gw") h=$(lab_ns "$name")
	ip -n "$g" link add "lp$k" type veth peer name "$ifname" netns "$h" ||
		lab_die "veth lp$k"
	ip -n "$g" link set "lp$k" master lan
	ip -n "$g" link set "lp$k" up
	ip -n "$h" addr add "$pfx.$k/24" dev "$ifname"
	ip -n "$h" link set "$ifname" up
	ip -n "$h" route add default via "$pfx.1"
	LAB_ADDR[$name]=$pfx.$k
	LAB_PUB[$name]=${LAB_PUB[$gw]}
}

lab_lan_host() {
	local gw=$1 name=$2
	_lab_new_ns "$name" "${LAB_LAN_KIND[$gw]:-?}"
	_lab_lan_join "$gw" "$name" eth0
}

lab_lan_nat() {
	local gw=$1 name=$2 kind=$3 inner client n
	case $kind in
	fullcone | restricted | portrestricted | symmetric) ;;
	*) lab_die "nested NAT kind '$kind'" ;;
	esac
	_lab_new_ns "$name-gw" router
	_lab_lan_join "$gw" "$name-gw" wan
	inner=$(lab_ns "$name-gw")
	LAB_SITES=$((LAB_SITES + 1))
	n=$LAB_SITES
	[ "$n" -le 250 ] || lab_die "too many sites"
	_lab_new_ns "$name" "nested-$kind"
	client=$(lab_ns "$name")
	ip netns exec "$inner" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
	ip -n "$inner" link add lan type veth peer name eth0 netns "$client" ||
		lab_die "veth lan"
	ip -n "$inner" addr add "10.$n.0.1/24" dev lan
	ip -n "$inner" link set lan up
	ip -n "$client" addr add "10.$n.0.2/24" dev eth0
	ip -n "$client" link set eth0 up
	ip -n "$client" route add default via "10.$n.0.1"
	LAB_ADDR[$name]=10.$n.0.2
	LAB_PUB[$name]=${LAB_PUB[$gw]}
	_lab_nat_ruleset "$kind" "${LAB_ADDR[$name-gw]}" >"$LAB_DIR/$name-gw.nft"
	ip netns exec "$inner" nft -f "$LAB_DIR/$name-gw.nft" ||
		lab_die "nft ruleset for $name-gw ($kind)"
	if declare -F lab_nested_hook >/dev/null; then
		lab_nested_hook "$name-gw" "$gw"
	fi
}

lab_loss() {
	local name=$1 pct=$2 r
	if ! [[ $pct =~ ^[0-9]+$ ]] || [ "$pct" -gt 100 ]; then
		lab_die "loss '$pct'"
	fi
	if [ -n "${LAB_NS[$name-gw]:-}" ]; then
		r=$name-gw
	else
		r=$name
	fi
	if [ "${LAB_KIND[$r]}" = router ]; then
		lab_exec "$r" nft -f - <<EOF || lab_die "loss rule on $r"
table ip labloss {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		iifname "wan" meta l4proto udp numgen random mod 100 < $pct drop
		oifname "wan" meta l4proto udp numgen random mod 100 < $pct drop
	}
}
EOF
	else
		lab_exec "$r" nft -f - <<EOF || lab_die "loss rule on $r"
table ip labloss {
	chain input {
		type filter hook input priority filter - 10; policy accept;
		iifname "wan" meta l4proto udp numgen random mod 100 < $pct drop
	}
	chain output {
		type filter hook output priority filter - 10; policy accept;
		oifname "wan" meta l4proto udp numgen random mod 100 < $pct drop
	}
}
EOF
	fi
}

# --- native IPv6 (teredo-spec.md §4.10, §4.13) --------------------------------
#
# One native IPv6 Ethernet segment, $LAB_V6_PREFIX/64 (documentation range,
# RFC 3849), is a bridge "br0" in its own namespace (lab name ix6, no address
# of its own, IPv6 off in it).  Hosts join it with a veth pair created inside
# the two lab namespaces (host side "v6", no DAD, no RAs).  On it:
#   lab_v6_relay NAME IPV4 [ADDR6]   a relay host: public IPV4 on the core
#       (as lab_public_host) and ADDR6 on the segment, IPv6 forwarding on;
#       the relay daemon routes 2001::/32 into its tunnel by itself;
#   lab_v6_host NAME RELAY [ADDR6]   an IPv6-only host (no IPv4 address),
#       default IPv6 route via RELAY's native address: its "nearest relay";
#   lab_v6_attach NAME [ADDR6]       a native address for an existing host
#       (a Teredo server forwards echo requests natively, §4.9): on-link
#       /64 only, no default route (the replies go through a relay).
# Several relays share the segment; each IPv6-only host picks its own by
# its default route, so one lab can test several relays side by side.
# ADDR6 defaults to ${LAB_V6_PREFIX}<n>, n counting attachments from 0x100.

_lab_check_v6() {
	case $1 in
	2001:db8:* | 2001:DB8:*) ;;
	*) lab_die "native address $1 is not in 2001:db8::/32" ;;
	esac
}

_lab_v6_net() {
	[ -n "${LAB_NS[$LAB_V6NET]:-}" ] && return 0
	local ns
	_lab_new_ns "$LAB_V6NET" bridge
	ns=$(lab_ns "$LAB_V6NET")
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || lab_die "bridge for the native segment"
	ip -n "$ns" link set br0 up
}

# _lab_v6_join NAME [ADDR6]: NAME's "v6" port on the segment, ADDR6/64.
_lab_v6_join() {
	local name=$1 a=${2:-} br host pif
	_lab_v6_net
	LAB_V6_PORTS=$((LAB_V6_PORTS + 1))
	[ "$LAB_V6_PORTS" -le 200 ] || lab_die "too many native hosts"
	[ -n "$a" ] || a=$(printf '%s%x' "$LAB_V6_PREFIX" $((0xff + LAB_V6_PORTS)))
	_lab_check_v6 "$a"
	[ -z "${LAB_ADDR6[$name]:-}" ] || lab_die "$name is already on the native segment"
	br=$(lab_ns "$LAB_V6NET") host=$(lab_ns "$name")
	pif="p$LAB_V6_PORTS"
	ip -n "$br" link add "$pif" type veth peer name v6 netns "$host" ||
		lab_die "veth $pif"
	ip -n "$br" link set "$pif" master br0
	ip -n "$br" link set "$pif" up
	ip netns exec "$host" sysctl -qw net.ipv6.conf.v6.accept_dad=0 \
		net.ipv6.conf.v6.accept_ra=0 net.ipv6.conf.v6.autoconf=0 >/dev/null
	ip -n "$host" addr add "$a/64" dev v6 nodad
	ip -n "$host" link set v6 up
	LAB_ADDR6[$name]=$a
}

lab_v6_relay() {
	local name=$1 ip=$2 a=${3:-}
	lab_public_host "$name" "$ip"
	LAB_KIND[$name]=relay
	lab_exec "$name" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null
	_lab_v6_join "$name" "$a"
}

lab_v6_host() {
	local name=$1 relay=$2 a=${3:-}
	[ "${LAB_KIND[$relay]:-}" = relay ] || lab_die "'$relay' is not a lab_v6_relay"
	_lab_new_ns "$name" v6only
	_lab_v6_join "$name" "$a"
	ip -n "$(lab_ns "$name")" -6 route add default via "${LAB_ADDR6[$relay]}" dev v6
	LAB_ADDR[$name]=
	LAB_PUB[$name]=
}

lab_v6_attach() {
	_lab_v6_join "$1" "${2:-}"
}

# Starts a daemon inside lab host NAME: own session (setsid), stdin from
# /dev/null, stdout and stderr to LOG.  The PID (which is the daemon's own:
# setsid and "ip netns exec" both exec) goes to $LAB_LAST_PID and to the list
# lab_down stops.
lab_daemon() {
	local name=$1 log=$2 ns
	shift 2
	ns=$(lab_ns "$name") || return 1
	setsid ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# Stops one daemon by PID: TERM, then KILL after a bounded wait.
lab_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Polls "cmd..." every 0.2 s until it succeeds or SECONDS pass.
# lab_tcp_listening NAME PORT: something listens on TCP PORT in host NAME
# (a receiver is up before its sender connects; a loaded machine may take
# more than a second to start one).
lab_tcp_listening() {
	lab_exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

lab_wait_for() {
	local secs=$1 i n
	shift
	n=$((secs * 5))
	for ((i = 0; i <= n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

lab_down() {
	[ "$LAB_UP" -eq 1 ] || return 0
	LAB_UP=0
	local pid name ns i left pids
	for pid in "${LAB_PIDS[@]}"; do
		lab_stop_pid "$pid"
	done
	# Anything else still running inside a lab namespace was started by this
	# lab (or by one of its daemons): stop it by PID, then delete.
	for ((i = ${#LAB_ORDER[@]} - 1; i >= 0; i--)); do
		name=${LAB_ORDER[$i]}
		ns=${LAB_NS[$name]}
		pids=$(ip netns pids "$ns" 2>/dev/null)
		for pid in $pids; do
			lab_stop_pid "$pid"
		done
		ip netns del "$ns" 2>/dev/null
	done
	left=$(ip netns list 2>/dev/null | grep -c "^${LAB_PREFIX}")
	if [ "$left" -ne 0 ]; then
		lab_log "WARNING: $left namespaces left with prefix $LAB_PREFIX"
	fi
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP_DIR:-}" ]; then
			lab_log "files kept in $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	LAB_NS=() LAB_ORDER=() LAB_PIDS=() LAB_ADDR6=()
	LAB_V6_PORTS=0
	return 0
}
