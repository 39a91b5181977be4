#!/bin/bash
# The directory refuses an account whatever its password: carol is locked by
# OpenLDAP's password policy (pwdAccountLockedTime), dave is disabled the
# Active Directory way (userAccountControl with ACCOUNTDISABLE). Both are
# refused with their right passwords and audited with the reason, and the
# daemon log says the directory refused and why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = ldap"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 407 "$(status_of -U carol:carol-pw http://$ORIGIN/1k)" "locked account refused"
assert_eq 407 "$(status_of -U dave:dave-pw http://$ORIGIN/1k)" "disabled account refused"
assert_eq 200 "$(status_of -U bob:bob-pw http://$ORIGIN/1k)" "an unlocked account passes"

rows=$(audit_json 2 | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["username"], r["reason"])')
assert_contains "$rows" "carol account_locked" "audit: carol's account is locked"
assert_contains "$rows" "dave disabled" "audit: dave's account is disabled"
assert_contains "$(cat "$DLOG")" 'ldap: user "carol" refused: account locked' "log: the directory refused carol, locked"
assert_contains "$(cat "$DLOG")" 'ldap: user "dave" refused: account disabled' "log: the directory refused dave, disabled"
