#!/bin/bash
# The login name goes into the directory's search filter escaped (RFC 4515):
# "*)(uid=*" would make the filter match every entry, "ali*" alice's; with
# alice's password either would log in as alice if the name reached the
# filter as written. Both are refused and audited as unknown names, while
# alice herself logs in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = ldap"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 407 "$(status_of -U '*)(uid=*:alice-pw' http://$ORIGIN/1k)" "filter injection refused"
assert_eq 407 "$(status_of -U 'ali*:alice-pw' http://$ORIGIN/1k)" "wildcard name refused"
assert_eq 407 "$(status_of -U 'alice)(|(uid=*:alice-pw' http://$ORIGIN/1k)" "a name closing the filter refused"
assert_eq 407 "$(status_of -U '\2a:alice-pw' http://$ORIGIN/1k)" "an escape sequence in the name refused"
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "alice herself"

rows=$(audit_json 4 | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["username"], r["reason"])')
assert_contains "$rows" '*)(uid=* unknown_user' "audit: the injection is an unknown name"
assert_contains "$rows" 'ali* unknown_user' "audit: the wildcard is an unknown name"
assert_contains "$rows" 'alice)(|(uid=* unknown_user' "audit: the closing name is an unknown name"
assert_not_contains "$(cat "$DLOG")" "more than one entry" "no search ever matched several entries"
