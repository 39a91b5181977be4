#!/bin/bash
# A group change in the directory reaches the per-group policy once [ldap]
# group_cache_ttl has passed, without a new password check: the
# credentials stay cached ([auth] cache_ttl 10 minutes) and the gateway
# reads the user's groups again off the request path. Before the TTL the
# groups last read apply.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = local,ldap
cache_ttl = 10m"
LDAP_EXTRA="group_attribute = memberOf
group_cache_ttl = 5s"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
pc() { in_gw "$CLI" -d "$DB" "$@"; }
pc policy set students --deny >/dev/null
start_daemon || exit 1

assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "alice (staff) passes"
out=$(pcurl -U bob:bob-pw -w ' %{http_code}' http://$ORIGIN/1k 2>/dev/null)
assert_eq 403 "${out##* }" "bob (students) is refused"
assert_contains "$out" "may not go online (the policy of group students)" "and told why"

# alice joins students in the directory
in_ldap env LDAPTLS_CACERT="$LDAP_DIR/ca.pem" ldapmodify -x -H "ldaps://$(ldap_addr 1)" \
	-D "cn=admin,$LDAP_BASE" -w admin-pw >/dev/null <<LDIF
dn: cn=students,ou=groups,$LDAP_BASE
changetype: modify
add: member
member: uid=alice,ou=people,$LDAP_BASE
LDIF
changed=$(date +%s.%N)
assert_contains "$(ldapsearch_as_service '(uid=alice)' memberOf)" "cn=students" "the directory has the change"
# the groups read at the login still apply at once
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "before the TTL, the groups last read"
alice_refused() { [ "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" = 403 ]; }
wait_until 20 alice_refused
alice_refused && ok || fail "alice refused once her new group is read"
took=$(awk -v a="$changed" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
[ "$took" -le 14 ] && ok || fail "the change took ${took}s to reach the policy (TTL 5 s)"
out=$(pcurl -U alice:alice-pw http://$ORIGIN/1k 2>/dev/null)
assert_contains "$out" "the policy of group students" "her refusal names the group"
assert_eq 0 "$(grep -c 'TCP_DENIED/407' "$ACCESS")" "no new challenge: the credentials stayed cached"
finish
