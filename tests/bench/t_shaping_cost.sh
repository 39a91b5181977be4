#!/bin/bash
# The cost of [shaping]: intercept mode's requests/s (wrk, keep-alive 1 KiB
# GETs through the daemon, port 80) and a 100 MiB download (curl, median of
# BENCH_DOWNLOADS, forwarded by the kernel on port 8080 and relayed by the
# daemon on port 80), with 1, 100 and BENCH_SHAPED_MAX (default 1000)
# sessions, shaping off and on. Every session is in a class of 100gbit when
# on: the class never limits, so what is measured is counting, steering
# and HTB's cost. The extra sessions are rows of the database the daemon
# restores at start, each with a leaf of its own when shaped.
#
# This machine's speed drifts by a third from one minute to the next (a
# shared host), so off and on alternate, BENCH_PAIRS times each, in the
# order off on on off ...: the ratio printed for a session count is the
# sum of its "on" runs over the sum of its "off" runs, each figure under
# the same drift. Figures only; bounded by BENCH_SECONDS per wrk run and
# 60 s per download.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
. "$(dirname "$0")/../e2e/rate.sh"
. "$(dirname "$0")/sessions_rows.sh"
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNECTIONS:-50}
many=${BENCH_SHAPED_MAX:-1000}
pairs=${BENCH_PAIRS:-2}
downloads=${BENCH_DOWNLOADS:-5}
# thousands of sessions restored (a class each) take longer to start
DAEMON_START_WAIT=${DAEMON_START_WAIT:-300}
served_zeros 100m $((100 * 1024 * 1024))
shaping_cleanup

# run LABEL SESSIONS SHAPED(0|1): one daemon, one line; adds its figures
# to SUM_<metric>_<shaped>
run() {
	local label=$1 n=$2 shaped=$3 rps dl80 dl8080 classes
	intercept_conf
	if [ "$shaped" = 1 ]; then
		CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = bench=100gbit"
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
		awk '/Requests\/sec/ {printf "%.0f", $2}')
	dl8080=$(median_mbit "$downloads" http://10.202.0.2:8080/100m)
	dl80=$(median_mbit "$downloads" http://10.202.0.2/100m)
	printf '  %-24s %6s htb classes %7s req/s   100 MiB forwarded %6s Mbit/s   relayed %6s Mbit/s\n' \
		"$label" "$classes" "$rps" "$dl8080" "$dl80"
	[ -n "$rps" ] && [ -n "$dl8080" ] && [ -n "$dl80" ] && ok || fail "a figure is missing ($label)"
	SUMS="$SUMS $n $shaped ${rps:-0} ${dl8080:-0} ${dl80:-0}
"
	stop_daemon
}

for n in 1 100 "$many"; do
	for p in $(seq "$pairs"); do
		if [ $((p % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
		for s in $order; do
			[ "$s" = 1 ] && st=on || st=off
			run "$st, $n sessions" "$n" "$s"
		done
	done
done
echo "  on / off, sums of the alternating runs:"
printf '%s' "$SUMS" | awk '
	NF == 5 { k = $1; seen[k] = 1; r[k, $2] += $3; f[k, $2] += $4; d[k, $2] += $5 }
	END {
		for (k in seen)
			printf "    %6d sessions: requests %.2fx   forwarded %.2fx   relayed %.2fx\n", k,
				r[k, 0] ? r[k, 1] / r[k, 0] : 0, f[k, 0] ? f[k, 1] / f[k, 0] : 0,
				d[k, 0] ? d[k, 1] / d[k, 0] : 0
	}' | sort -n
finish
