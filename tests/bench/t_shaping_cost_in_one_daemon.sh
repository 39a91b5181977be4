#!/bin/bash
# Shaping's cost without a daemon restart between the figures: one daemon
# with shaping on and one logged-in client in a class of 100gbit, and
# its traffic switched, BENCH_ROUNDS times in turn, between
#   classified  the client's address in the shaping map: its class's leaf
#   direct      the map emptied: HTB's direct queue, unclassified
#   no qdisc    the LAN interface's HTB removed (a veth's noqueue), as
#               with shaping off
# each measured by 1 KiB requests/s through the daemon (wrk, keep-alive)
# and a 100 MiB download forwarded by the kernel (median of
# BENCH_DOWNLOADS). Daemons started one after the other differ by more than
# shaping does on this machine (t_shaping_cost.sh alternates them for
# that); this is the same comparison with that difference taken out.
# BENCH_SESSIONS (default 1): with more, the others are restored rows with
# a leaf each, as in t_shaping_cost.sh; removing the qdisc removes their
# leaves too, so only the first round has them (the next rounds put back
# the client's leaf alone). Figures only; bounded by
# BENCH_SECONDS per wrk run, 60 s per download.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
. "$(dirname "$0")/../e2e/rate.sh"
. "$(dirname "$0")/sessions_rows.sh"
n=${BENCH_SESSIONS:-1}
DAEMON_START_WAIT=${DAEMON_START_WAIT:-300}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
downloads=${BENCH_DOWNLOADS:-5}
served_zeros 100m $((100 * 1024 * 1024))
shaping_cleanup

requests() {
	in_client timeout $((secs + 30)) wrk -t2 -c50 -d"${secs}s" http://10.202.0.2/1k 2>&1 |
		awk '/Requests\/sec/ {printf "%.0f", $2}'
}
measure() { # label
	local rps dl
	rps=$(requests)
	dl=$(median_mbit "$downloads" http://10.202.0.2:8080/100m)
	printf '  %-12s %7s req/s   100 MiB forwarded %6s Mbit/s\n' "$1" "$rps" "$dl"
	[ -n "$rps" ] && [ -n "$dl" ] && ok || fail "a figure is missing ($1)"
}

intercept_conf
CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = bench=100gbit"
setup_daemon
add_user bench 'bench-pass'
"$CLI" -d "$DB" user set bench --class bench >/dev/null
insert_session_rows $((n - 1)) bench
start_daemon || exit 1
[ "$(portal_login bench bench-pass)" = 303 ] && ok || fail "portal login"
wait_until 60 log_has "shaping: 10.201.0.2 in class bench" || fail "client not shaped"
leaf=$(in_gw nft list map inet portcullis_shape shape4 | grep -o '10.201.0.2 : [0-9a-f]*:[0-9a-f]*' | awk '{print $3}')
[ -n "$leaf" ] && ok || fail "no map element for the client"
class_line=$(in_gw tc class show dev "$LAN_IF" classid "$leaf")
for r in $(seq "$rounds"); do
	measure classified
	in_gw nft flush map inet portcullis_shape shape4
	measure direct
	in_gw tc qdisc del dev "$LAN_IF" root
	measure "no qdisc"
	# the daemon's tree as it was: its root and the client's leaf
	in_gw tc qdisc add dev "$LAN_IF" root handle 1: htb
	in_gw tc class add dev "$LAN_IF" parent 1: classid "$leaf" htb rate 100gbit ceil 100gbit \
		burst 62500000 cburst 62500000 quantum 200000
	in_gw nft add element inet portcullis_shape shape4 "{ 10.201.0.2 : $leaf }"
done
echo "  ($n sessions; the client's leaf as the daemon made it: $class_line)"
stop_daemon
finish
