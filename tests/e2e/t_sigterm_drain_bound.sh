#!/bin/bash
# The drain on SIGTERM is bounded: a download that would take far longer
# than the bound (10 s) is cut when it runs out, the daemon exits 0 within
# the bound, and the cut exchange is still in the access log.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
BIG=$E2E_WWW/drain-20m
head -c $((20 * 1024 * 1024)) /dev/zero > "$BIG"; chmod 644 "$BIG"
# about 26 s at 16 KiB per 20 ms, much more than the kernel's buffers hold
# (the client gives up after 30 s)
in_client timeout 40 python3 "$REPO/tests/e2e/slow_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/drain-20m alice:secret "$DIR/dl" 16384 0.02 "$DIR/dl.started" > "$DIR/dl.out" 2>&1 &
DL=$!
wait_files "$DIR/dl.started" && ok || fail "the download began before SIGTERM"
t0=$(date +%s%N)
kill -TERM "$DPID"
wait_until 15 gone "$DPID"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "  the daemon exited ${ms} ms after SIGTERM"
if kill -0 "$DPID" 2>/dev/null; then
	fail "daemon still running 15 s after SIGTERM"
else
	wait "$DPID"; assert_eq 0 "$?" "exit status after a drain cut short"
	[ "$ms" -ge 9000 ] && ok || fail "exited after ${ms} ms: the download in flight was not given the bound"
	[ "$ms" -le 12000 ] && ok || fail "exited after ${ms} ms: the bound is 10 s"
fi
DPID=""
wait "$DL"
read -r status len < "$DIR/dl.out"
assert_eq 200 "$status" "the download had begun with a 200"
echo "  the client got $len of $((20 * 1024 * 1024)) bytes"
[ "${len:-0}" -gt 0 ] && [ "${len:-0}" -lt $((20 * 1024 * 1024)) ] && ok ||
	fail "the download was cut at the bound (got ${len:-?} of 20 MiB)"
rm -f "$BIG"
assert_contains "$(cat "$DLOG")" "portcullisd stopped" "stop logged"
assert_contains "$(cat "$ACCESS")" "GET http://$ORIGIN/drain-20m alice" "the cut download is in the access log"
