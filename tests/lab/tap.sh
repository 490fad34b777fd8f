# shellcheck shell=bash
# TAP output for the lab's shell tests: ok/not_ok/check, diag, finish.
n=0
failed=0
ok() {
	n=$((n + 1))
	printf 'ok %d - %s\n' "$n" "$*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	printf 'not ok %d - %s\n' "$n" "$*"
}
# check DESCRIPTION CMD...: ok when CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
diag() { sed 's/^/# /' "$@"; }
finish() {
	printf '1..%d\n' "$n"
	[ "$failed" -eq 0 ]
	exit $?
}
