#!/bin/bash
# A Kerberos user's groups come from the directory ([auth] sources with
# ldap): the per-group policy applies to Negotiate logins as to password
# ones. bob (in the directory's students, whose policy denies) is refused
# with the reason although his ticket is good; alice (staff) passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
. "$(dirname "$0")/kdc.sh"
ldap_up 1 || exit 1
kdc_up || exit 1
AUTH_EXTRA="sources = local,ldap
schemes = negotiate,basic"
LDAP_EXTRA="group_attribute = memberOf"
CONF_EXTRA=$(kdc_conf)
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
in_gw "$CLI" -d "$DB" policy set students --deny >/dev/null
start_daemon || exit 1

kinit_as alice || { fail "kinit alice"; cat "$KRB_DIR/kinit.log"; }
assert_eq 200 "$(ncurl -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "alice (staff) passes with her ticket"
kinit_as bob || { fail "kinit bob"; cat "$KRB_DIR/kinit.log"; }
out=$(ncurl -w ' %{http_code}' http://$ORIGIN/1k 2>/dev/null)
assert_eq 403 "${out##* }" "bob (students) is refused with a good ticket"
assert_contains "$out" "may not go online (the policy of group students)" "and told why"
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "Basic for a directory user beside it"
