#!/bin/bash
# [intercept] fail_open = yes, for the site that prefers it: a stop removes
# the daemon's table and the gateway forwards the LAN's traffic unfiltered
# (the documented opposite of the default), no closed ruleset file is
# written; while the daemon runs a flushed table is still put back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "fail_open = yes"
setup_daemon
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "running: unauthenticated client refused"
in_gw nft flush ruleset
wait_until 2 table_running && ok || fail "running: a flushed table is put back"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "running: still refused after the flush"
[ -e "$DIR/nftables-closed.nft" ] && fail "no closed ruleset file with fail_open = yes" || ok

stop_daemon
table_present && fail "fail_open = yes: the stop removes the table" || ok
assert_contains "$(cat "$DLOG")" "fail_open = yes" "the stop says the LAN is open"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "stopped: the LAN is routed unfiltered"
