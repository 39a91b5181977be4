#!/bin/bash
# SIGTERM while name lookups are in flight: the nameserver never answers
# them, the clients get their 504s and the drain ends while the lookups
# still run. The daemon must then stop every lookup before it frees the
# event loops the lookups complete on: it exits 0, logs no write to a
# closed descriptor, and memcheck (plain build) or AddressSanitizer (the
# build-asan run) reports no error and no leak.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 8 1 || exit 1

VLOG=$DIR/valgrind.log
if [ "$BUILD_DIR" = "$REPO/build" ]; then
	ip netns exec "$NS_G" valgrind --quiet --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--log-file="$VLOG" "$DAEMON" -c "$DIR/portcullis.conf" > "$DLOG" 2>&1 &
else
	# a sanitizer build reports into the daemon's log; finish looks there
	ip netns exec "$NS_G" "$DAEMON" -c "$DIR/portcullis.conf" > "$DLOG" 2>&1 &
fi
DPID=$!
for _ in $(seq 1 300); do
	grep -q "portcullisd started" "$DLOG" 2>/dev/null && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
assert_contains "$(cat "$DLOG")" "portcullisd started" "daemon started"

# the password check is cached after this, so the lookups start at once
# even under memcheck
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "a first request"
CLIENTS=""
for i in 1 2 3 4; do
	pcurl -U alice:secret -o /dev/null -w '%{http_code}' http://stall$i.portcullis-e2e.test/ \
		> "$DIR/stalled$i.out" 2>/dev/null &
	CLIENTS="$CLIENTS $!"
done
# every lookup has reached the nameserver (and stays unanswered)
for _ in $(seq 1 100); do
	[ "$(grep -c '^stall.* 1$' "$DIR/queries")" -ge 4 ] && break
	sleep 0.1
done
[ "$(grep -c '^stall.* 1$' "$DIR/queries")" -ge 4 ] && ok || fail "four lookups in flight"
kill -TERM "$DPID"
wait $CLIENTS
for i in 1 2 3 4; do
	assert_eq 504 "$(cat "$DIR/stalled$i.out")" "stalled lookup $i answered 504 while draining"
done
for _ in $(seq 1 300); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
	fail "daemon still running 30 s after SIGTERM"
else
	wait "$DPID"; rc=$?
	assert_eq 0 "$rc" "exit status (99: memcheck found errors or leaks)"
fi
DPID=""
assert_not_contains "$(cat "$DLOG")" "Bad file descriptor" "no write to a closed descriptor"
assert_contains "$(cat "$DLOG")" "portcullisd stopped" "stop logged"
if [ -s "$VLOG" ]; then
	fail "valgrind reported:"; head -60 "$VLOG" | sed 's/^/    /'
else
	ok
fi
