#!/bin/bash
# Guesses sent all at once count as they are admitted, not as their checks
# complete: of 60 wrong passwords in flight from one address, exactly the
# threshold (5) are checked and answered 407, the rest 429, and then the
# address is locked out (the right password gets 429 too).
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 5\nlockout_window = 60s\nlockout_duration = 60s'
setup_daemon; add_user alice secret; start_daemon || exit 1
out=$(in_client timeout 60 python3 "$REPO/tests/e2e/auth_flood.py" 10.201.0.1 3128 \
	http://$ORIGIN/1k alice 60 30 60)
echo "$out" | sed 's/^/    /'
assert_eq "407 5" "$(printf '%s\n' "$out" | grep '^407 ')" "guesses checked: the threshold"
assert_eq "429 55" "$(printf '%s\n' "$out" | grep '^429 ')" "the others refused before any check"
assert_eq 429 "$(status_of -U alice:secret http://$ORIGIN/1k)" "address and user locked out"
audit=$(audit_json 2)
assert_eq 5 "$(printf '%s' "$audit" | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin) if r["reason"] == "wrong_password"))')" \
	"wrong passwords audited: the threshold"
assert_contains "$audit" '"reason": "locked_out"' "lockout audited"
assert_eq 5 "$(grep -c 'auth failure: client=10.201.0.2 user="alice" reason=wrong_password' "$DLOG")" \
	"fail2ban lines: one per guess checked"
