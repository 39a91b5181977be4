#!/bin/bash
# An Access-Accept that is not the server's lets no one in: one without a
# Message-Authenticator whose Response Authenticator is right (what a
# BlastRADIUS attacker makes, CVE-2024-3596), one with a wrong
# Message-Authenticator, one with a wrong Response Authenticator. Each
# login is refused (407 on the proxy, the portal's wrong-password page),
# audited with reason forged_answer and logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
frank	Cleartext-Password := "frank-pw"
USERS
ROGUE_LOG=$RDIR/rogue.log
in_radius python3 "$REPO/tests/e2e/radius_rogue.py" "$RADIUS_ROGUE" 1812 "$RDIR/secret" "$ROGUE_LOG" \
	>/dev/null 2>"$RDIR/rogue.err" &
ROGUE=$!
on_finish "kill $ROGUE 2>/dev/null"
rogue_listening() { in_radius ss -Hlun "src $RADIUS_ROGUE:1812" | grep -q 1812; }
wait_until 10 rogue_listening || fail "the attacker's responder listens"
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf "$RADIUS_ROGUE:1812" >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

assert_eq 407 "$(status_of -U 'nomac-u1:pw' http://10.202.0.2/1k)" "accept without Message-Authenticator: 407"
assert_contains "$(cat "$ROGUE_LOG")" "nomac nomac-u1" "the forged answer was sent"
assert_eq 407 "$(status_of -U 'badmac-u2:pw' http://10.202.0.2/1k)" "accept with a wrong Message-Authenticator: 407"
assert_eq 407 "$(status_of -U 'u3:pw' http://10.202.0.2/1k)" "accept with a wrong Response Authenticator: 407"
assert_eq 401 "$(portal_login nomac-u4 pw)" "the portal refuses a forged accept too"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "and starts no session"

rows=$(audit_json 4)
for u in nomac-u1 badmac-u2 u3 nomac-u4; do
	n=$(printf '%s' "$rows" | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['username'] == '$u' and r['reason'] == 'forged_answer'))")
	assert_eq 1 "$n" "audited: $u, reason forged_answer"
done
assert_contains "$(cat "$DLOG")" "answer refused: no Message-Authenticator" "logged: no Message-Authenticator"
assert_contains "$(cat "$DLOG")" "answer refused: wrong Message-Authenticator" "logged: wrong Message-Authenticator"
assert_contains "$(cat "$DLOG")" "answer refused: wrong Response Authenticator" "logged: wrong Response Authenticator"
out=$(in_gw "$CLI" -d "$DB" audit --reason forged_answer)
assert_contains "$out" "nomac-u4" "portcullis audit --reason forged_answer lists them"

finish
