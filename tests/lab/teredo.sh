# shellcheck shell=bash
# Shipworm's daemons in the lab: start them with configs written here and
# ask them their state.  Needs lab.sh sourced and SHIPWORM_BUILD set to a
# build directory (tests pass it; by hand: build/release).

: "${SHIPWORM_BUILD:?set SHIPWORM_BUILD to the build directory}"
TEREDOD=$SHIPWORM_BUILD/daemons/teredod
SERVERD=$SHIPWORM_BUILD/daemons/teredo-serverd
TEREDOCTL=$SHIPWORM_BUILD/tools/teredoctl/teredoctl

# Without -u the daemons run as "shipworm" (README "Privileges"), the
# account the package creates; a lab run from the source tree makes it
# when it is missing (as root only: the lab needs root anyway).
sw_require_user() {
	getent passwd shipworm >/dev/null && return 0
	useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin shipworm
}
if [ "$(id -u)" -eq 0 ]; then sw_require_user; fi

# sw_server HOST IPV4: teredo-serverd on HOST's two addresses.
sw_server() {
	local host=$1 ipv4=$2
	printf 'ServerBindAddress %s\nControlSocket %s/%s.sock\n' \
		"$ipv4" "$LAB_DIR" "$host" >"$LAB_DIR/$host.conf"
	lab_daemon "$host" "$LAB_DIR/$host.log" \
		"$SERVERD" -f -c "$LAB_DIR/$host.conf"
}

# sw_client HOST SERVER_IPV4 [OPTION...]: teredod on HOST, with extra
# command-line options (-u USER, -t DIR, -p FILE ...) and the configuration
# lines in $SW_CONF_EXTRA, if any.
sw_client() {
	local host=$1 server=$2
	shift 2
	{
		printf 'RelayType client\nServerAddress %s\n' "$server"
		printf 'InterfaceName teredo\nControlSocket %s/%s.sock\n' \
			"$LAB_DIR" "$host"
		[ -n "${SW_CONF_EXTRA:-}" ] && printf '%s\n' "$SW_CONF_EXTRA"
	} >"$LAB_DIR/$host.conf"
	lab_daemon "$host" "$LAB_DIR/$host.log" \
		"$TEREDOD" -f -c "$LAB_DIR/$host.conf" "$@"
}

# sw_ctl HOST ARGS...: teredoctl against HOST's daemon.
sw_ctl() {
	local host=$1
	shift
	"$TEREDOCTL" -s "$LAB_DIR/$host.sock" "$@"
}

# sw_field HOST FIELD: one value of `show state` ("State", "NAT", ...).
sw_field() {
	sw_ctl "$1" show state 2>/dev/null |
		sed -n "s/^$2 *: //p"
}

sw_settled() {
	local state
	state=$(sw_field "$1" State)
	[ "$state" = qualified ] || [ "$state" = offline ]
}

# The host's Teredo address, as configured on its interface.
sw_addr() {
	lab_exec "$1" ip -6 -o addr show dev teredo scope global 2>/dev/null |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

# sw_relay HOST: teredod as a cone Teredo relay on HOST (RFC 4380 §5.4); it
# routes 2001::/32 into its "teredo" interface by itself.
sw_relay() {
	printf 'RelayType cone\nInterfaceName teredo\nControlSocket %s/%s.sock\n' \
		"$LAB_DIR" "$1" >"$LAB_DIR/$1.conf"
	lab_daemon "$1" "$LAB_DIR/$1.log" "$TEREDOD" -f -c "$LAB_DIR/$1.conf"
}
