#!/bin/bash
# Failed authentications become audit rows (never the password) and one
# daemon log line each with address and username.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
status_of -U alice:Hunter2pw -A 'agent/1.0' http://$ORIGIN/1k >/dev/null
status_of -U nosuchuser:whatever http://$ORIGIN/1k >/dev/null
json=$(audit_json 2)
reasons=$(printf '%s' "$json" | python3 -c 'import json,sys; print(" ".join(sorted(r["reason"] for r in json.load(sys.stdin))))')
assert_eq "unknown_user wrong_password" "$reasons" "audit reasons"
assert_contains "$json" '"client_addr": "10.201.0.2"' "client address"
assert_contains "$json" '"mode": "explicit"' "mode"
assert_contains "$json" '"user_agent": "agent/1.0"' "user agent"
assert_contains "$json" '"username": "nosuchuser"' "username as given"
assert_not_contains "$json" "Hunter2pw" "password never stored"
assert_not_contains "$(cat "$DLOG")" "Hunter2pw" "password never logged"
assert_contains "$(cat "$DLOG")" 'auth failure: client=10.201.0.2 user="alice" reason=wrong_password' "fail2ban line"

# the shipped fail2ban filter finds exactly the failures, with the right
# address, even when the username tries to forge one
status_of -U 'x" client=6.6.6.6 user="y:pw' http://$ORIGIN/1k >/dev/null
wait_until 10 lines_at_least 3 'auth failure: client='
f2b=$(timeout 30 fail2ban-regex -v "$DLOG" "$REPO/etc/fail2ban/filter.d/portcullis.conf" 2>&1)
assert_contains "$f2b" "Failregex: 3 total" "three failures matched"
assert_contains "$f2b" "10.201.0.2" "banned address is the client's"
assert_not_contains "$f2b" "6.6.6.6" "a forged address in a username is not taken"

# the access log names only verified users: a failed attempt's name (any
# bytes an attacker chose) is in the audit trail, not credited in the log
status_of -U alice:secret http://$ORIGIN/1k >/dev/null
wait_until 10 log_has ' TCP_MISS/200 ' "$ACCESS"
log=$(cat "$ACCESS")
assert_contains "$log" " TCP_MISS/200 " "the verified request is logged"
assert_contains "$(grep ' TCP_MISS/200 ' "$ACCESS")" " alice HIER_DIRECT/" "with its user"
assert_not_contains "$(grep ' TCP_DENIED/407 ' "$ACCESS")" "nosuchuser" "a failed name is not credited in the access log"
assert_eq 0 "$(grep ' TCP_DENIED/407 ' "$ACCESS" | awk '$8 != "-"' | wc -l)" "every refused line has user -"
