#!/bin/bash
# A directory that disables or removes a user ends what that user has open
# at the next refresh of the user's groups ([ldap] group_cache_ttl, here
# 3 s), not at the next password check: alice's portal session ends when
# the directory locks her account (pwdAccountLockedTime, reason
# user_disabled); bob's download through the explicit proxy, on
# credentials the gateway has cached, is cut when his entry is deleted,
# and his next request is challenged again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/ldap.sh"
big=$E2E_WWW/dirsess-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"
ldap_up 1 || exit 1
intercept_conf "session_lifetime = 1h"
AUTH_EXTRA="sources = ldap
cache_ttl = 10m"
LDAP_EXTRA="group_attribute = memberOf
group_cache_ttl = 3s"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_running 30 || fail "the table runs"
ldap_admin() { # ldapmodify as the directory's manager, LDIF on stdin
	in_ldap env LDAPTLS_CACERT="$LDAP_DIR/ca.pem" ldapmodify -x -H "ldaps://$(ldap_addr 1)" \
		-D "cn=admin,$LDAP_BASE" -w admin-pw >/dev/null
}

assert_eq 303 "$(portal_login alice alice-pw)" "alice signs in on the portal"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "and browses"
log_mark
changed=$(date +%s.%N)
ldap_admin <<LDIF
dn: uid=alice,ou=people,$LDAP_BASE
changetype: modify
add: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
LDIF
assert_contains "$(ldapsearch_as_service '(uid=alice)' pwdAccountLockedTime)" "000001010000Z" \
	"the directory has locked her"
wait_until 25 logged_since_mark 'user="alice" reason=user_disabled' && ok \
	|| fail "her portal session ends without a new password check"
took=$(awk -v a="$changed" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "# alice's session ended ${took} s after the directory locked her"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "her device is sent to the portal"
assert_eq "" "$("$CLI" -d "$DB" session list --json | grep '"alice"')" "her session is gone from the list"
assert_contains "$(ccurl "$PORTAL/")" "Your session was ended by the gateway" "the portal tells the device its session was ended"
assert_eq 401 "$(portal_login alice alice-pw)" "her password no longer logs in"

# bob, explicit proxy: cached credentials, a download in progress
assert_eq 200 "$(status_of -U bob:bob-pw http://10.202.0.2/1k)" "bob passes the explicit proxy"
dl=$(mktemp /tmp/portcullis-e2e-dl.XXXXXX)
on_finish "rm -f $dl"
in_client timeout 40 curl -sS --max-time 35 -x http://10.201.0.1:3128 -U bob:bob-pw -o "$dl" \
	http://10.202.0.2:8080/paced/dirsess-12m 2>/dev/null &
pid=$!
flowing() { [ "$(stat -c %s "$dl")" -ge 500000 ]; }
wait_until 10 flowing && ok || fail "his download flows"
log_mark
ldap_admin <<LDIF
dn: uid=bob,ou=people,$LDAP_BASE
changetype: delete
LDIF
wait_until 25 gone $pid && ok || fail "his download is cut once the directory has no bob"
got=$(stat -c %s "$dl")
[ "$got" -lt 12000000 ] && ok || fail "cut before its end (${got} of 12000000 bytes)"
assert_eq 407 "$(status_of -U bob:bob-pw http://10.202.0.2/1k)" \
	"his cached credentials no longer pass"
finish
