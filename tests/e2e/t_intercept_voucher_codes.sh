#!/bin/bash
# Intercept mode, guest vouchers on the portal: an unknown code is refused
# with a clear message and audited, and counts towards the address's
# lockout; a good code logs the client in as voucher:ROLL-NUMBER; a second
# device (another MAC on the LAN) with the same one-device code is offered
# to sign out the oldest, and choosing it moves the session over; a code
# of short validity ends its session when the validity, counted from the
# first use, runs out, and is refused as expired afterwards; revoking a
# roll ends its codes' sessions and refuses them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
. "$(dirname "$0")/voucher.sh"

intercept_conf "session_lifetime = 1h"
AUTH_EXTRA="lockout_threshold = 4
lockout_window = 60s
lockout_duration = 60s"
setup_daemon
second_lan_host_up same-link || fail "second LAN host"
start_daemon || exit 1

A=$(code_of 1 --validity 1h --devices 1 --comment "lobby")
B=$(code_of 1 --validity 6s)
C=$(code_of 2 --validity 1h --length 8 --alphabet numeric)
[ ${#A} -eq 10 ] && [ ${#B} -eq 10 ] && [ ${#C} -eq 8 ] && ok || fail "codes printed at creation"

# an unknown code: refused, said so, audited
assert_eq 401 "$(voucher_post in_client XXXX-XXXX-XX)" "an unknown code refused"
assert_contains "$(page)" "Unknown voucher code" "the portal says the code is unknown"
voucher_audited() { "$CLI" -d "$DB" audit --mode portal | grep -q 'voucher.*voucher'; }
wait_until 10 voucher_audited && ok || fail "the unknown code audited (mode portal, scheme and user voucher)"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "no passage with an unknown code"

# a good code
assert_eq 303 "$(voucher_post in_client "$(printf '%s' "$A" | tr 'A-Z' 'a-z')")" "the code (typed in lower case) logs the client in"
assert_contains "$("$CLI" -d "$DB" session list)" "voucher:1-1" "the session's user is voucher:ROLL-NUMBER"
wait_until 5 host_in in_client && ok || fail "the client passes with the code"
assert_contains "$("$CLI" -d "$DB" voucher list)" "lobby" "the roll listed"
assert_eq "1 1 0" "$("$CLI" -d "$DB" voucher list --json | python3 -c '
import json, sys
r = json.load(sys.stdin)[0]; print(r["codes"], r["used"], r["unused"])')" "the roll counts the code as used"

# a second device with the one-device code: the choice, then the move
assert_eq 409 "$(voucher_post in_second "$A")" "a second device at the code's limit gets the choice"
assert_contains "$(page)" "end-oldest" "the page offers to sign out the oldest device"
host_out in_second && ok || fail "the second device does not pass before choosing"
assert_eq 303 "$(choose_end_oldest in_second)" "choosing signs the second device in"
wait_until 5 host_in in_second && ok || fail "the second device passes"
wait_until 5 host_out in_client && ok || fail "the oldest device signed out"
# a forged ticket is refused
voucher_post in_client "$A" >/dev/null
sed -i 's/name="t_sig" value="[0-9a-f]/name="t_sig" value="x/' "$DIR/page"
assert_eq 403 "$(choose_end_oldest in_client)" "a forged device ticket refused"
host_in in_second && ok || fail "the forged choice signed nobody out"

# a short validity: the session ends with it, and the code is spent
assert_eq 303 "$(voucher_post in_client "$B")" "the short code logs the client in"
wait_until 5 host_in in_client && ok || fail "the client passes with the short code"
wait_until 15 host_out in_client && ok || fail "the session ends when the code's validity runs out"
assert_eq 401 "$(voucher_post in_client "$B")" "the spent code refused"
assert_contains "$(page)" "expired" "the portal says it expired"

# revoking the roll ends its sessions and refuses its codes
C2=$("$CLI" -d "$DB" voucher create 1 --validity 1h | awk 'NR == 2 { print $2 }')
assert_eq 303 "$(voucher_post in_client "$C")" "a code of the third roll logs in"
wait_until 5 host_in in_client && ok || fail "the client passes"
"$CLI" -d "$DB" voucher revoke 3 >/dev/null
wait_until 10 host_out in_client && ok || fail "revoking the roll ends its session"
assert_eq 401 "$(voucher_post in_client "$C")" "a revoked code refused"
assert_contains "$(page)" "withdrawn" "the portal says it was withdrawn"
assert_contains "$("$CLI" -d "$DB" voucher export 3)" '"3-1","revoked"' "the export shows the code revoked"

# wrong codes count towards the address's lockout like wrong passwords
for i in 1 2 3 4; do voucher_post in_client "WRONG$i-CODE" >/dev/null; done
assert_eq 429 "$(voucher_post in_client "$C2")" "the address is locked out after wrong codes"
finish
