#!/bin/bash
# The holder of one account cannot guess at others' forever from one
# address by logging in as itself between guesses (9 wrong, 1 right,
# repeat): a success forgives only what that username failed from that
# address. A user's own typos are still forgiven by their login.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 10\nlockout_window = 300s\nlockout_duration = 300s'
setup_daemon; add_user alice secret; add_user guest guestpw; add_user bob bobpw
start_daemon || exit 1

# bob's own typos, then his login: forgiven, the address may fail 9 more
for i in $(seq 1 9); do status_of -U bob:typo$i http://$ORIGIN/1k >/dev/null; done
assert_eq 200 "$(status_of -U bob:bobpw http://$ORIGIN/1k)" "bob logs in after 9 typos"

# the spray: one guess at each of 9 accounts (no account reaches the
# threshold), then a guest login, twice over
codes=""
for round in 1 2; do
	for i in $(seq 1 9); do
		codes="$codes $(status_of -U user$i:guess$round http://$ORIGIN/1k)"
	done
	codes="$codes $(status_of -U guest:guestpw http://$ORIGIN/1k)"
done
echo "    spray answers:$codes"
assert_eq " 407 407 407 407 407 407 407 407 407 200 407 429 429 429 429 429 429 429 429 429" \
	"$codes" "the tenth guess from the address locks it; the guest's login does not reset it"
assert_eq 429 "$(status_of -U bob:bobpw http://$ORIGIN/1k)" "the address stays locked"
assert_contains "$(audit_json 2)" '"reason": "locked_out"' "lockout audited"
