#!/bin/bash
# Junk usernames cannot hide which account is under attack: one address
# uses up its 10 named rows of the minute with 12 unknown names, then
# guesses at alice's password 5 times. The unknown names past the 10 fold
# into a row without a username, but the wrong passwords keep alice's
# name (only a real account can have one, so such rows are bounded by the
# number of accounts): the audit shows alice's row with count 5.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA="lockout_threshold = 0"
setup_daemon; add_user alice secret; start_daemon || exit 1

rows_json() { "$CLI" -d "$DB" audit --json --limit 1000; }
sum_counts() { rows_json | python3 -c "import json,sys; print(sum(r['count'] for r in json.load(sys.stdin) if $1))"; }

steps="challenge $(for i in $(seq 1 12); do printf 'user:junk%s ok ' "$i"; done)"
steps="$steps user:alice ok ok ok ok ok"
out=$(in_client timeout 120 python3 "$REPO/tests/e2e/digest_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/1k alice wrong-password $steps)
assert_eq 17 "$(printf '%s\n' "$out" | grep -c '^ok 407 ')" "17 failures on one connection"
all_counted() { [ "$(sum_counts True)" = 17 ]; }
wait_until 10 all_counted || fail "the audit counts 17 failures: $(sum_counts True)"
assert_eq 5 "$(sum_counts "r['username'] == 'alice' and r['reason'] == 'wrong_password'")" \
	"alice's wrong passwords are in rows that name her"
assert_eq 0 "$(sum_counts "r['username'] == '' and r['reason'] == 'wrong_password'")" \
	"no wrong password folded into a row without a username"
assert_eq 2 "$(sum_counts "r['username'] == '' and r['reason'] == 'unknown_user'")" \
	"the unknown names past the 10 rows fold without a username"
assert_eq 10 "$(rows_json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["username"].startswith("junk")))')" \
	"10 named rows for the unknown names"
