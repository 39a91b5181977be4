#!/bin/bash
# CONNECT tunnels to allowed ports only.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
assert_eq 200 "$(status_of -k -p -U alice:secret https://$ORIGIN/1k)" "TLS through a CONNECT tunnel"
out=$(pcurl -v -p -U alice:secret http://$ORIGIN:25/ 2>&1)
assert_contains "$out" "< HTTP/1.1 403" "CONNECT to port 25 refused"
wait_until 10 log_has TCP_TUNNEL/200 "$ACCESS"
assert_contains "$(cat "$ACCESS")" "TCP_TUNNEL/200" "tunnel in the access log"
assert_contains "$(grep TCP_TUNNEL "$ACCESS")" "CONNECT $ORIGIN:443 alice" "tunnel line names target and user"
