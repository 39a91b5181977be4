#!/bin/bash
# `portcullis user explain NAME` asks the sources as the daemon does ([auth]
# sources = local,ldap): a directory user's source is the directory (its
# entry's DN) and its groups the directory's, from memberOf (groupOfNames)
# and from a group search (posixGroup memberUid); a local user's groups are
# the local groups `portcullis group` manages; a name no source knows is
# said so (exit 1). A local group holds local users only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = local,ldap"
LDAP_EXTRA="group_attribute = memberOf
group_base = ou=groups,$LDAP_BASE
group_filter = (&(objectClass=posixGroup)(memberUid=%s))"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
add_user erin 'local-pw'
# the CLI reaches the directory from the gateway's namespace
pc() { in_gw "$CLI" -d "$DB" "$@"; }

assert_contains "$(pc group add guests)" "group guests added" "group add"
assert_contains "$(pc group add guests 2>&1)" "exists already" "a group's name is taken once"
assert_contains "$(pc group member add guests erin)" "user erin added to the group" "group member add"
assert_contains "$(pc group member add guests bob 2>&1)" "no local user 'bob'" "a directory user is no local group's member"
assert_contains "$(pc group member add nosuch erin 2>&1)" "no group 'nosuch'" "a member of a group that does not exist"
assert_eq "guests 1" "$(pc group list --json | python3 -c 'import json,sys; print(" ".join("%s %d" % (g["name"], g["members"]) for g in json.load(sys.stdin)))')" "group list"

out=$(pc user explain alice)
assert_contains "$out" "source:  ldap (uid=alice,ou=people,dc=example,dc=org)" "alice's source is the directory"
assert_contains "$out" "groups:  staff, wifi" "alice's groups: memberOf and the posixGroup search"
assert_contains "$(pc user explain bob)" "groups:  students" "bob's groups from the directory"
out=$(pc user explain erin)
assert_contains "$out" "source:  local (enabled)" "erin is a local user"
assert_contains "$out" "groups:  guests" "erin's local group"
assert_contains "$(pc user explain erin)" "policy:" "the policy line"
out=$(pc user explain nobody; echo "exit $?")
assert_contains "$out" "none: no source in [auth] sources knows this name" "an unknown name"
assert_contains "$out" "exit 1" "an unknown name exits 1"
json=$(pc user explain --json alice)
assert_eq "ldap staff,wifi" "$(printf '%s' "$json" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["source"], ",".join(j["groups"]))')" "user explain --json"
# the admin action log records the group changes
assert_contains "$(pc actions)" "group.member.add" "group changes are in the admin action log"
