#!/bin/bash
# The unit grants CAP_NET_ADMIN for intercept mode; with intercept mode off
# (explicit proxy only) the daemon gives it up at start, in every thread
# (effective, permitted, ambient), and keeps the rest (binding low ports).
# In intercept mode it keeps it: its nftables table goes in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

NET_ADMIN=12    # capability number, include/uapi/linux/capability.h
has_cap() { # hex-mask bit
	python3 -c 'import sys; print(1 if int(sys.argv[1], 16) >> int(sys.argv[2]) & 1 else 0)' "$1" "$2"
}
caps_of() { # pid field: the field of every thread of pid, one a line
	for t in /proc/"$1"/task/*; do awk -v f="$2:" '$1 == f { print $2 }' "$t/status"; done
}

setup_daemon
start_daemon || exit 1
threads=$(ls /proc/"$DPID"/task | wc -l)
[ "$threads" -gt 1 ] && ok || fail "the daemon runs threads ($threads)"
for field in CapEff CapPrm CapInh CapAmb; do
	bad=0
	for mask in $(caps_of "$DPID" $field); do
		[ "$(has_cap "$mask" $NET_ADMIN)" = 0 ] || bad=1
	done
	assert_eq 0 "$bad" "explicit mode: no thread has CAP_NET_ADMIN in $field"
done
eff=$(caps_of "$DPID" CapEff | head -n 1)
assert_eq 1 "$(has_cap "$eff" 10)" "explicit mode keeps CAP_NET_BIND_SERVICE"
assert_contains "$(cat "$DLOG")" "CAP_NET_ADMIN given up" "the log says so"
assert_eq 407 "$(status_of http://10.202.0.2/1k)" "the explicit proxy works without it"
stop_daemon
rm -rf "$DIR"

intercept_conf
setup_daemon
start_daemon || exit 1
wait_until 3 table_running && ok || fail "intercept mode installs its table"
eff=$(caps_of "$DPID" CapEff | head -n 1)
assert_eq 1 "$(has_cap "$eff" $NET_ADMIN)" "intercept mode keeps CAP_NET_ADMIN"
assert_not_contains "$(cat "$DLOG")" "CAP_NET_ADMIN given up" "intercept mode does not give it up"
