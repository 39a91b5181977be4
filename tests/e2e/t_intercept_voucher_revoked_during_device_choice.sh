#!/bin/bash
# Intercept mode: a one-device voucher code in use on the client; a second
# LAN host types it and gets the "sign out the oldest device" choice, with
# its ticket (good for two minutes). The front desk revokes the code before
# the choice is made: revoking ends the client's session, and the ticket,
# used then, starts no session: the portal says the code was withdrawn and
# the second host stays out. A code of the same roll that was not revoked
# still goes through the same choice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
. "$(dirname "$0")/voucher.sh"

intercept_conf "session_lifetime = 1h"
setup_daemon
second_lan_host_up same-link || fail "second LAN host"
start_daemon || exit 1

"$CLI" -d "$DB" voucher create 2 --validity 1h --devices 1 > "$DIR/roll"
A=$(awk 'NR == 2 { print $2 }' "$DIR/roll")
B=$(awk 'NR == 3 { print $2 }' "$DIR/roll")
[ ${#A} -eq 10 ] && [ ${#B} -eq 10 ] && ok || fail "two codes printed at creation"

assert_eq 303 "$(voucher_post in_client "$A")" "the client logs in with the code"
wait_until 5 host_in in_client && ok || fail "the client passes"
assert_eq 409 "$(voucher_post in_second "$A")" "the second host at the code's limit gets the choice"
assert_contains "$(page)" "end-oldest" "the page offers to sign out the oldest device"

out=$("$CLI" -d "$DB" voucher revoke 1-1 2>&1)
assert_eq 0 "$?" "the code revoked: $out"
wait_until 10 host_out in_client && ok || fail "revoking ends the client's session"
assert_eq 401 "$(choose_end_oldest in_second)" "the ticket of a revoked code is refused"
assert_contains "$(page)" "withdrawn" "the portal says the code was withdrawn"
host_out in_second && ok || fail "the second host did not get online"
assert_eq 0 "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE username = 'voucher:1-1'")" \
	"no session of the revoked code"
log_has "device choice for voucher:1-1 refused" && ok || fail "the log names the refused choice"

# the other code, not revoked: the same choice goes through
assert_eq 303 "$(voucher_post in_client "$B")" "the client logs in with the other code"
wait_until 5 host_in in_client && ok || fail "the client passes with it"
assert_eq 409 "$(voucher_post in_second "$B")" "the second host gets the choice"
assert_eq 303 "$(choose_end_oldest in_second)" "choosing signs the second host in"
wait_until 5 host_in in_second && ok || fail "the second host passes"
wait_until 5 host_out in_client && ok || fail "the oldest device was signed out"
finish
