#!/bin/bash
# Active Directory as the directory, the real thing: Debian's Samba AD DC,
# provisioned by the test. Users are found by sAMAccountName over LDAPS,
# checked by a bind as their entry; groups come from the nested membership
# rule (alice is in staff only because her group wifi is); a disabled
# account (userAccountControl ACCOUNTDISABLE) is refused with its right
# password and audited as disabled, an account the domain locked out (the
# bind's "data 775") as account_locked; a wrong password and an unknown
# name are refused with their own reasons.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/samba_ad.sh"
ad_up || exit 1
AUTH_EXTRA="sources = ldap"
setup_daemon
ad_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 200 "$(status_of -U alice:Alice-pw-1 http://$ORIGIN/1k)" "an AD user's login passes"
assert_eq 407 "$(status_of -U alice:Alice-pw-2 http://$ORIGIN/1k)" "a wrong password is refused"
assert_eq 407 "$(status_of -U mallory:Alice-pw-1 http://$ORIGIN/1k)" "an unknown name is refused"
assert_eq 407 "$(status_of -U dave:Dave-pw-1 http://$ORIGIN/1k)" "a disabled AD account is refused with its right password"
assert_eq 200 "$(status_of -U bob:Bob-pw-1 http://$ORIGIN/1k)" "another AD user passes"

ad_lock_out erin || fail "the domain did not lock erin out after three wrong passwords"
assert_eq 407 "$(status_of -U erin:Erin-pw-1 http://$ORIGIN/1k)" "an account the domain locked out is refused with its right password"

rows=$(audit_json 4 | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["username"], r["reason"])')
assert_contains "$rows" "alice wrong_password" "audit: alice's wrong password"
assert_contains "$rows" "mallory unknown_user" "audit: an unknown name"
assert_contains "$rows" "dave disabled" "audit: dave's account is disabled"
assert_contains "$rows" "erin account_locked" "audit: erin's account is locked"
assert_contains "$(cat "$DLOG")" 'ldap: user "dave" refused: account disabled' "log: the directory refused dave, disabled"

# nested groups: the in-chain rule gives staff through wifi
out=$(in_gw "$CLI" -d "$DB" user explain alice)
assert_contains "$out" "source:  ldap (CN=alice,CN=Users,DC=ad,DC=test)" "alice's entry in the AD"
assert_contains "$out" "staff" "alice is in staff through her group wifi"
assert_contains "$out" "wifi" "alice is in wifi"
assert_not_contains "$(in_gw "$CLI" -d "$DB" user explain bob)" "staff" "bob is in no group of ours"
