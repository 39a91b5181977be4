#!/bin/bash
# `portcullis audit` as the troubleshooting guide uses it: the filters by
# user, address, reason, mode and time pick the failures a real daemon
# recorded, --limit cuts the list and says so on stderr (with --json too,
# whose standard output stays valid JSON), and bad filter values are
# refused with a message. alice's two wrong passwords are identical
# failures (same address, scheme, username, reason): one row, count 2.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; add_user bob bobpw
"$CLI" -d "$DB" user disable bob >/dev/null
start_daemon || exit 1
V6PROXY='http://[fd00:201::1]:3128'
status_of -U alice:wrong1 http://$ORIGIN/1k >/dev/null
status_of -U alice:wrong2 http://$ORIGIN/1k >/dev/null
status_of -U bob:bobpw http://$ORIGIN/1k >/dev/null
in_client timeout 10 curl -s -o /dev/null -x "$V6PROXY" -U mallory:x http://$ORIGIN/1k
audit_json 3 >/dev/null
count() { # args... -> number of rows of audit --json with those filters
	"$CLI" -d "$DB" audit --json "$@" 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
assert_eq 3 "$(count)" "all failures"
assert_eq 1 "$(count --user alice)" "--user alice"
assert_eq 2 "$("$CLI" -d "$DB" audit --json --user alice | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["count"])')" \
	"alice's row counts her two failures"
assert_eq 1 "$(count --addr fd00:201::2)" "--addr of the IPv6 client"
assert_eq 2 "$(count --addr 10.201.0.2)" "--addr of the IPv4 client"
assert_eq 1 "$(count --reason disabled)" "--reason disabled"
assert_eq 1 "$(count --reason unknown_user --user mallory)" "--reason and --user together"
assert_eq 3 "$(count --mode explicit)" "--mode explicit"
assert_eq 0 "$(count --mode portal)" "--mode portal"
assert_eq 3 "$(count --since 10m)" "--since 10 minutes ago"
assert_eq 0 "$(count --until 10m)" "--until 10 minutes ago"
text=$("$CLI" -d "$DB" audit --user alice)
assert_contains "$text" "wrong_password" "text listing shows the reason"
assert_not_contains "$text" "mallory" "text listing filtered"
# newest first
newest=$("$CLI" -d "$DB" audit --json --limit 1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["username"])')
assert_eq mallory "$newest" "newest first"
err=$("$CLI" -d "$DB" audit --json --limit 2 2>&1 >/dev/null)
assert_contains "$err" "the newest 2 shown" "a cut listing says so on stderr, with --json too"
assert_eq 2 "$(count --limit 2)" "--limit 2 gives two rows of valid JSON"
"$CLI" -d "$DB" audit --reason nonsense >/dev/null 2>"$DIR/err"; rc=$?
assert_eq 2 "$rc" "unknown reason is a usage error"
assert_contains "$(cat "$DIR/err")" "unknown reason 'nonsense'" "and says which"
"$CLI" -d "$DB" audit --addr 10.201.0.0/24 >/dev/null 2>"$DIR/err"
assert_contains "$(cat "$DIR/err")" "one address, not a prefix" "--addr refuses a prefix"
"$CLI" -d "$DB" audit --since yesterdayish >/dev/null 2>"$DIR/err"
assert_contains "$(cat "$DIR/err")" "bad time 'yesterdayish'" "--since refuses a bad time"
