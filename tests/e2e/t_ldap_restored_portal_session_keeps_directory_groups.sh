#!/bin/bash
# After a restart, a directory user's restored portal session gets the
# directory's groups again (read off the request path in the first
# maintenance round, not at the user's next login), so the group policy
# keeps applying to it: bob (students in the directory) logs in on the
# portal; the daemon restarts; his group's destination rule still refuses
# 10.202.0.99 with a page naming the group, and when the administrator
# then denies students his restored session ends (policy_denied).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
intercept_conf "session_lifetime = 1h"
AUTH_EXTRA="sources = ldap"
LDAP_EXTRA="group_attribute = memberOf"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
pc() { "$CLI" -d "$DB" "$@"; }
pc policy set students --deny-dest "10.202.0.99/32" >/dev/null
start_daemon || exit 1
wait_for table_running 30 || fail "the table runs"

assert_eq 303 "$(portal_login bob bob-pw)" "bob (students in the directory) signs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "he browses"
out=$(ccurl -w ' %{http_code}' http://10.202.0.99/ 2>/dev/null)
assert_eq 403 "${out##* }" "his group's rule refuses 10.202.0.99"

stop_daemon
log_mark
start_daemon || exit 1
wait_for table_running 30 || fail "the table runs again after the restart"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the restored session browses"
refused_99() { [ "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.99/ 2>/dev/null)" = 403 ]; }
wait_until 10 refused_99 && ok || fail "after the restart his group's rule still refuses 10.202.0.99"
out=$(ccurl http://10.202.0.99/ 2>/dev/null)
assert_contains "$out" "the policy of group students" "the page names the directory's group"

log_mark
pc policy set students --deny >/dev/null
wait_until 10 logged_since_mark 'user="bob" reason=policy_denied' && ok \
	|| fail "denying students ends the restored session"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "the device is sent to the portal"
finish
