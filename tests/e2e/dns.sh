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

start_nameserver() { # timeout_s attempts [NAME=IP[/TTL] ...]
	local timeout=$1 attempts=$2
	shift 2
	[ -d /etc/netns ] || NETNS_DIR_MADE=1
	mkdir -p /etc/netns/"$NS_G"
	printf 'nameserver 10.202.0.2\noptions timeout:%s attempts:%s\n' "$timeout" "$attempts" \
		> /etc/netns/"$NS_G"/resolv.conf
	: > "$DIR/queries"
	# ip netns exec execs python: $! is the server itself
	ip netns exec "$NS_O" python3 "$REPO/tests/e2e/dns_server.py" 10.202.0.2 "$DIR/queries" 180 "$@" \
		> "$DIR/nameserver.log" 2>&1 &
	NAMESERVER_PID=$!
	# ready once it answers a probe from the gateway (NXDOMAIN)
	for _ in $(seq 1 50); do
		in_gw python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x05probe\x00\x00\x01\x00\x01", ("10.202.0.2", 53))
sys.exit(0 if s.recv(512)[:2] == bytes.fromhex("abcd") else 1)' 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the test's nameserver did not start"
	return 1
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

trap 'rc=$?; stop_nameserver; finish; r=$?; if [ "$rc" -ne 0 ]; then echo "  scenario exited with status $rc"; exit 1; fi; exit $r' EXIT
