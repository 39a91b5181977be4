#!/bin/bash
# The audit trail is bounded per source. 2000 identical Digest failures
# from one connection are one row with count 2000; failures under 300
# usernames from one address open at most 10 rows in the minute, and the
# rest fold into one row with no username carrying their count. Every
# failure still has its own fail2ban line, and the counts add up.
. "$(dirname "$0")/lib.sh"
# with lockouts on, the flood would be answered 429 after the threshold
# and never audited: off, every failure reaches the audit
AUTH_EXTRA="lockout_threshold = 0"
setup_daemon; add_user alice secret; start_daemon || exit 1

rows_json() { "$CLI" -d "$DB" audit --json --limit 1000; }
# sum of count over rows matching a python condition on r
sum_counts() { rows_json | python3 -c "import json,sys; print(sum(r['count'] for r in json.load(sys.stdin) if $1))"; }

steps="challenge $(for _ in $(seq 1 2000); do printf 'ok '; done)"
out=$(in_client timeout 300 python3 "$REPO/tests/e2e/digest_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/1k alice wrong-password $steps)
assert_eq 2000 "$(printf '%s\n' "$out" | grep -c '^ok 407 ')" "2000 wrong Digest responses on one connection"
alice_counted() { [ "$(sum_counts "r['username'] == 'alice'")" = 2000 ]; }
wait_until 10 alice_counted && ok || fail "the audit counts 2000 failures for alice: $(sum_counts "r['username'] == 'alice'")"
assert_eq 1 "$(rows_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "one row for them"
json=$(rows_json)
assert_contains "$json" '"scheme": "digest", "username": "alice", "reason": "wrong_password"' "the row says what failed"
assert_contains "$json" '"count": 2000' "with its count"
assert_contains "$("$CLI" -d "$DB" audit | grep alice)" " 2000 " "the CLI's table shows the count"
assert_eq 2000 "$(grep -c 'auth failure: client=10.201.0.2 user="alice" reason=wrong_password' "$DLOG")" \
	"one fail2ban line per failure"

steps="challenge $(for i in $(seq 1 300); do printf 'user:u%s ok ' "$i"; done)"
out=$(in_client timeout 300 python3 "$REPO/tests/e2e/digest_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/1k alice x $steps)
assert_eq 300 "$(printf '%s\n' "$out" | grep -c '^ok 407 ')" "300 unknown users on one connection"
others_counted() { [ "$(sum_counts "r['username'] != 'alice'")" = 300 ]; }
wait_until 10 others_counted && ok || fail "the audit counts 300 failures: $(sum_counts "r['username'] != 'alice'")"
named=$(rows_json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["username"].startswith("u")))')
[ "$named" -ge 1 ] && [ "$named" -le 10 ] && ok || fail "rows with a username: $named (at most 10 a minute)"
assert_contains "$(rows_json)" '"username": "", "reason": "unknown_user", "host": "10.202.0.2", "user_agent": "", "count": ' \
	"the rest folded into a row without a username"
assert_eq 300 "$(grep -c 'auth failure: client=10.201.0.2 user="u[0-9]*" reason=unknown_user' "$DLOG")" \
	"one fail2ban line per failure"
