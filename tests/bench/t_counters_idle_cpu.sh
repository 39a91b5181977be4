#!/bin/bash
# The daemon's CPU with BENCH_IDLE_SESSIONS (default 10 000) intercept-mode
# sessions and no traffic: what the maintenance round costs (the session
# sets, and the per-session byte counters it reads), in ms of CPU per
# second of wall time, from /proc/PID/stat over BENCH_IDLE_SECONDS
# (default 30), with shaping off and on (every session in a class). The
# sessions are rows the daemon restores at its start. Figures only.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
. "$(dirname "$0")/../e2e/rate.sh"
. "$(dirname "$0")/sessions_rows.sh"
n=${BENCH_IDLE_SESSIONS:-10000}
secs=${BENCH_IDLE_SECONDS:-30}
tick=$(getconf CLK_TCK)
DAEMON_START_WAIT=${DAEMON_START_WAIT:-300}
shaping_cleanup

cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$DPID"/stat; }
sessions_in_kernel() { # at least $1 elements in sess6
	[ "$(in_gw nft list set $TABLE sess6 2>/dev/null | grep -o 'fd00:201::1:' | wc -l)" -ge "$1" ]
}

run() { # label shaping(0/1)
	local label=$1 t0 t1 c0 c1
	intercept_conf
	if [ "$2" = 1 ]; then
		CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = bench=10gbit
default_class = bench"
	fi
	setup_daemon
	add_user bench 'bench-pass'
	insert_session_rows "$n" bench
	start_daemon || return 1
	wait_until 120 sessions_in_kernel "$n" && ok || { fail "$n sessions not in the kernel ($label)"; stop_daemon; return 1; }
	# the restore's own work (the rows' elements, the classes) settles first
	wait_until 60 log_has "sessions restored" || true
	t0=$(date +%s.%N); c0=$(cpu_ticks)
	timeout $((secs + 5)) sleep "$secs"
	t1=$(date +%s.%N); c1=$(cpu_ticks)
	printf '  %-34s %6d sessions   %6.1f ms CPU per s\n' "$label" "$n" \
		"$(awk -v c=$((c1 - c0)) -v t="$tick" -v a="$t0" -v b="$t1" 'BEGIN { print c * 1000 / t / (b - a) }')"
	stop_daemon
}
run "idle, shaping off" 0
run "idle, shaping on" 1
finish
