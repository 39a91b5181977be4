#!/bin/bash
# The cost of [shaping]: intercept mode's requests/s (wrk, keep-alive 1 KiB
# GETs through the daemon, port 80) and a 100 MiB download (curl's average,
# forwarded by the kernel on port 8080, and relayed by the daemon on port
# 80), with shaping off and on with 1 and BENCH_SHAPED_MAX (default 1000)
# sessions, and on with 100, every session in a class of 10gbit when on
# (the class never limits: what is measured is the classification and
# HTB's cost; the same number of sessions without is what to compare
# with). The extra sessions are rows of the database the daemon restores
# at start, each with a leaf of its own when shaped. Figures only; bounded
# by BENCH_SECONDS per wrk run.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
. "$(dirname "$0")/sessions_rows.sh"
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNECTIONS:-50}
big=${BENCH_SHAPED_MAX:-1000}
# thousands of sessions restored (a class each) take longer to start
DAEMON_START_WAIT=${DAEMON_START_WAIT:-300}
head -c $((100 * 1024 * 1024)) /dev/zero > "$E2E_WWW/100m"
chmod 644 "$E2E_WWW/100m"
on_finish "rm -f '$E2E_WWW/100m'; in_gw tc qdisc del dev $LAN_IF root 2>/dev/null; in_gw nft delete table inet portcullis_shape 2>/dev/null"

run() { # label sessions shaping(0 off, 1 on)
	local label=$1 n=$2 shaped=$3 rps dl80 dl8080
	intercept_conf
	if [ "$shaped" = 1 ]; then
		CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = bench=10gbit"
	fi
	setup_daemon
	add_user bench 'bench-pass'
	[ "$shaped" = 1 ] && "$CLI" -d "$DB" user set bench --class bench >/dev/null
	insert_session_rows $((n - 1)) bench
	start_daemon || return 1
	[ "$(portal_login bench bench-pass)" = 303 ] && ok || fail "portal login ($label)"
	[ "$shaped" = 1 ] && { wait_until 60 log_has "shaping: 10.201.0.2 in class" || fail "client not shaped ($label)"; }
	classes=$(in_gw tc class show dev "$LAN_IF" | grep -c 'class htb')
	rps=$(in_client timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" http://10.202.0.2/1k 2>&1 |
		awk '/Requests\/sec/ {print $2}')
	dl8080=$(in_client timeout 60 curl -sS -o /dev/null -w '%{speed_download}' http://10.202.0.2:8080/100m)
	dl80=$(in_client timeout 60 curl -sS -o /dev/null -w '%{speed_download}' http://10.202.0.2/100m)
	printf '  %-28s %6s htb classes %10s req/s   100 MiB forwarded %7.0f Mbit/s   relayed %7.0f Mbit/s\n' \
		"$label" "$classes" "$rps" "$(awk -v b="$dl8080" 'BEGIN { print b * 8 / 1e6 }')" \
		"$(awk -v b="$dl80" 'BEGIN { print b * 8 / 1e6 }')"
	[ -n "$rps" ] && ok || fail "wrk produced no figure ($label)"
	stop_daemon
}
run "shaping off, 1 session" 1 0
run "shaping on, 1 session" 1 1
run "shaping on, 100 sessions" 100 1
run "shaping off, $big sessions" "$big" 0
run "shaping on, $big sessions" "$big" 1
finish
