#!/bin/bash
# Helpers for the name-lookup scenarios (sourced after lib.sh, then
# setup_daemon; start_nameserver before start_daemon, which reads the
# resolver configuration at start).
#
# The nameserver is tests/e2e/dns_server.py in the origin namespace at
# 10.202.0.2: names given as NAME=IP[/TTL] answer, names starting with
# "stall" never do, others are NXDOMAIN; every query it receives is a line
# "NAME TYPE" in $DIR/queries. The gateway namespace resolves through it by
# /etc/netns/$NS_G/resolv.conf (ip netns exec mounts it on /etc/resolv.conf).
NAMESERVER_PID=""
NETNS_DIR_MADE=""
on_finish stop_nameserver

# The gateway namespace resolves through NAMESERVER (10.202.0.2 by default)
# with the resolver's timeout and attempts; undone when the scenario ends.
gateway_resolv_conf() { # timeout_s attempts [nameserver]
	[ -d /etc/netns ] || NETNS_DIR_MADE=1
	mkdir -p /etc/netns/"$NS_G"
	printf 'nameserver %s\noptions timeout:%s attempts:%s\n' "${3:-10.202.0.2}" "$1" "$2" \
		> /etc/netns/"$NS_G"/resolv.conf
}

start_nameserver() { # timeout_s attempts [NAME=IP[/TTL] ...]
	gateway_resolv_conf "$1" "$2"
	shift 2
	: > "$DIR/queries"
	# ip netns exec execs python: $! is the server itself
	ip netns exec "$NS_O" python3 "$REPO/tests/e2e/dns_server.py" 10.202.0.2 "$DIR/queries" 180 "$@" \
		> "$DIR/nameserver.log" 2>&1 &
	NAMESERVER_PID=$!
	# ready once it answers a probe from the gateway (NXDOMAIN)
	wait_until 30 nameserver_answers && return 0
	fail "the test's nameserver did not start"
	return 1
}
nameserver_answers() {
	in_gw python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x05probe\x00\x00\x01\x00\x01", ("10.202.0.2", 53))
sys.exit(0 if s.recv(512)[:2] == bytes.fromhex("abcd") else 1)' 2>/dev/null
}

stop_nameserver() {
	[ -n "$NAMESERVER_PID" ] && kill "$NAMESERVER_PID" 2>/dev/null
	NAMESERVER_PID=""
	rm -rf /etc/netns/"$NS_G"
	[ -n "$NETNS_DIR_MADE" ] && rmdir /etc/netns 2>/dev/null
	NETNS_DIR_MADE=""
}

# How many queries of TYPE (1: A) for NAME reached the nameserver.
queries_for() { # name type
	grep -c "^$1 $2\$" "$DIR/queries" 2>/dev/null
}
# How many A queries for names that stall reached it.
stalled_queries() { grep -c '^stall.* 1$' "$DIR/queries"; }
stalled_at_least() { [ "$(stalled_queries)" -ge "$1" ]; }

# COUNT requests in the background (their pids in $STALLED) for
# stall1..stallCOUNT.portcullis-e2e.test, names the nameserver never
# answers, each made by CMD... URL (a curl through the proxy; $STALL_I is
# its number); "STATUS SECONDS" of request I goes to $DIR/stalledI.out.
# Returns once all COUNT lookups have reached the nameserver (10 s at most).
stall_lookups() { # count cmd...
	local n=$1 i
	shift
	STALLED=""
	for i in $(seq 1 "$n"); do
		STALL_I=$i "$@" -o /dev/null -w '%{http_code} %{time_total}' \
			"http://stall$i.portcullis-e2e.test/" > "$DIR/stalled$i.out" 2>/dev/null &
		STALLED="$STALLED $!"
	done
	wait_until 10 stalled_at_least "$n"
}
# The status request I of stall_lookups got.
stalled_status() { cut -d' ' -f1 "$DIR/stalled$1.out"; }
