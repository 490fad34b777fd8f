# shellcheck shell=bash disable=SC2034,SC2154 # PING_SUMMARY is for the callers; $here is theirs
# Helpers shared by the relay tests (t-relay-miredo-baseline, t-relay) and
# bench/lab/run: Miredo's daemons with configs written here, pings that may
# need a few tries while bubbles and the direct IPv6 connectivity test
# (teredo-spec.md §4.7, §4.13) set up a path, and parallel TCP transfers.
# Needs lab.sh and tap.sh sourced.

# m_server HOST IPV4: miredo-server on HOST's two addresses (log HOST.log).
m_server() {
	printf 'ServerBindAddress %s\n' "$2" >"$LAB_DIR/$1.conf"
	lab_daemon "$1" "$LAB_DIR/$1.log" \
		miredo-server -f -c "$LAB_DIR/$1.conf" -p "$LAB_DIR/$1.pid"
}
# m_client HOST SERVER_IPV4: a Miredo client.
m_client() {
	printf 'RelayType client\nInterfaceName teredo\nServerAddress %s\n' \
		"$2" >"$LAB_DIR/$1.conf"
	lab_daemon "$1" "$LAB_DIR/$1.log" \
		miredo -f -c "$LAB_DIR/$1.conf" -p "$LAB_DIR/$1.pid"
}
# m_relay HOST: a Miredo cone relay on HOST's public address (it routes
# 2001::/32 into its "teredo" interface by itself).
m_relay() {
	printf 'RelayType cone\nInterfaceName teredo\nBindAddress %s\n' \
		"${LAB_ADDR[$1]}" >"$LAB_DIR/$1.conf"
	lab_daemon "$1" "$LAB_DIR/$1.log" \
		miredo -f -c "$LAB_DIR/$1.conf" -p "$LAB_DIR/$1.pid"
}

# udp_bound HOST IPV4:PORT: something listens on that UDP endpoint.
udp_bound() {
	lab_exec "$1" ss -Hnul 2>/dev/null | grep -q " $2 "
}
# teredo_routed HOST: 2001::/32 goes into HOST's teredo interface.
teredo_routed() {
	lab_exec "$1" ip -6 route show 2001::/32 2>/dev/null | grep -q 'dev teredo'
}
# t_addr HOST: the host's global Teredo address (any implementation).
t_addr() {
	lab_exec "$1" ip -6 -o addr show dev teredo scope global 2>/dev/null |
		awk '$3 == "inet6" { sub("/.*", "", $4); print $4; exit }'
}

# ping_try SRC DST SECS: "ping -6 -c 3" from SRC until one gets a reply or
# SECS pass (at most 10 tries); PING_SUMMARY says how it went.  The first
# echo requests may be lost or queued while the path is set up.
ping_try() {
	local src=$1 dst=$2 secs=$3 end out i
	end=$((SECONDS + secs))
	for ((i = 1; i <= 10 && SECONDS < end; i++)); do
		if out=$(timeout 15 ip netns exec "$(lab_ns "$src")" \
			ping -6 -n -c 3 -i 0.5 -W 2 "$dst" 2>&1); then
			PING_SUMMARY="try $i: $(grep -o '[0-9]* received' <<<"$out") of 3"
			return 0
		fi
		sleep 1
	done
	PING_SUMMARY="no reply in $((i - 1)) tries"
	return 1
}

# tcp_batch "SRC DST_NAME DST_ADDR PORT"...: 1 MiB from SRC to DST_ADDR:PORT
# for every argument, all at once, each bounded to 40 s; then one TAP line
# per transfer ("TCP SRC -> DST_NAME").  TCP_FAILED lists the failed ones.
tcp_batch() {
	local x a b addr port sent recv jobs_=()
	TCP_FAILED=()
	for x in "$@"; do
		read -r a b addr port <<<"$x"
		lab_exec "$b" timeout 40 python3 "$here/tcpxfer.py" serve "$port" \
			>"$LAB_DIR/tcp-$a-$b.recv" 2>&1 &
		jobs_+=($!)
	done
	# Each receiver listening before its sender connects (a loaded
	# machine may take more than a second to start them all).
	for x in "$@"; do
		read -r a b addr port <<<"$x"
		lab_wait_for 10 lab_tcp_listening "$b" "$port" || true
	done
	for x in "$@"; do
		read -r a b addr port <<<"$x"
		lab_exec "$a" timeout 40 python3 "$here/tcpxfer.py" send \
			"$addr" "$port" 1048576 >"$LAB_DIR/tcp-$a-$b.sent" 2>&1 &
		jobs_+=($!)
	done
	wait "${jobs_[@]}"
	for x in "$@"; do
		read -r a b addr port <<<"$x"
		sent=$(cat "$LAB_DIR/tcp-$a-$b.sent") recv=$(cat "$LAB_DIR/tcp-$a-$b.recv")
		if [ -n "$sent" ] && [ "$sent" = "$recv" ] &&
			[ "${sent%% *}" = 1048576 ]; then
			ok "TCP $a -> $b ($addr): 1 MiB, same SHA-256"
		else
			# The last line says why (a Python exception, typically).
			not_ok "TCP $a -> $b ($addr): sender: '$(tail -n 1 <<<"$sent")', receiver: '$(tail -n 1 <<<"$recv")'"
			TCP_FAILED+=("$a" "$b")
		fi
	done
}

# log_tails FILE...: the last 30 lines of each log, as TAP diagnostics.
log_tails() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || continue
		echo "# --- tail of $(basename "$f")"
		tail -n 30 "$f" | diag
	done
}
