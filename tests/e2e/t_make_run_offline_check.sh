#!/bin/bash
# `make run` on a machine without internet: tests/make-run.sh (what make run
# runs after the build) in the gateway namespace prints a check that needs
# no internet, and following it as printed fetches its local page through
# the proxy as the demo user. A loopback origin gets the 403 it explains.
# Stopping the script stops the daemon and the page server.
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/portcullis-e2e.XXXXXX)
DLOG=$DIR/out
(cd "$REPO" && BUILD=$BUILD_DIR exec ip netns exec "$NS_G" sh tests/make-run.sh "$DIR/run") > "$DLOG" 2>&1 &
RUN_PID=$!
port_open() { in_gw timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
open_or_gone() { port_open "$1" || gone "$RUN_PID"; }
wait_until 30 open_or_gone 3128
port_open 3128 && ok || fail "make-run started the proxy on 127.0.0.1:3128"
try=$(sed -n 's/^ *Try, offline: //p' "$DLOG")
assert_contains "$try" "curl -x http://127.0.0.1:3128 -U demo:" "an offline check is printed"
page_url=${try##* }
case $page_url in
	http://127.*|http://\[::1\]*|*localhost*) fail "the local page is on loopback: $page_url" ;;
	http://*:8088/) ok ;;
	*) fail "unexpected page URL '$page_url'" ;;
esac
# the page server may start a moment after the banner
wait_until 10 log_has 'Serving HTTP' "$DIR/run/page.log"
# shellcheck disable=SC2086
body=$(in_gw timeout 20 $try -sS --max-time 10 2>&1)
assert_contains "$body" "This page came through the Portcullis proxy" "the printed check works as printed"
assert_contains "$(cat "$DIR/run/access.log")" " demo " "the access log names the demo user"
pw=$(sed -n 's/^ *Demo user: *demo *\/ *//p' "$DLOG")
out=$(in_gw timeout 20 curl -sS --max-time 10 -x http://127.0.0.1:3128 -U "demo:$pw" -w '%{http_code}' http://127.0.0.1:8080/ 2>&1)
assert_contains "$out" "403" "a loopback origin gets 403"
assert_contains "$(cat "$DLOG")" "A loopback origin (http://127.0.0.1:.../) gets 403 by design" "the banner says why"
assert_contains "$(cat "$DLOG")" "With internet: curl -x http://127.0.0.1:3128 -U demo:" "the internet check is there too"

kill -TERM "$RUN_PID"
wait_until 10 gone "$RUN_PID"
kill -0 "$RUN_PID" 2>/dev/null && { fail "make-run ends on SIGTERM"; kill -KILL "$RUN_PID"; }
wait "$RUN_PID" 2>/dev/null
assert_contains "$(cat "$DLOG")" "portcullisd stopped" "the daemon stopped with it"
host_port=${page_url#http://}; host_port=${host_port%/}
if in_gw timeout 1 bash -c "exec 3<>/dev/tcp/${host_port%:*}/${host_port##*:}" 2>/dev/null; then
	fail "the page server outlived make-run"
else
	ok
fi
