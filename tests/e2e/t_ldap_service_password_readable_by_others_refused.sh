#!/bin/bash
# The service account's password file must be readable by its owner only:
# a file the group or others may read stops `portcullisd -t` and the start
# with a message that names it and says what to run; [auth] sources =
# ldap without a directory URI is refused the same way. Made owner-only,
# the same configuration starts and logs a directory user in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = local,ldap"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
chmod 640 "$LDAP_DIR/svc.pw"

out=$("$DAEMON" -t -c "$DIR/portcullis.conf" 2>&1; echo "exit $?")
assert_contains "$out" "ldap.bind_password_file: $LDAP_DIR/svc.pw: readable by others than its owner (mode 0640); run chmod 600 on it" "-t names the file and the fix"
assert_contains "$out" "exit 1" "-t fails"
out=$(in_gw timeout 20 "$DAEMON" -c "$DIR/portcullis.conf" 2>&1; echo "exit $?")
assert_contains "$out" "readable by others than its owner" "the start is refused with the same message"
assert_not_contains "$out" "exit 0" "the daemon did not start"

sed -i 's|^uri = .*|uri =|' "$DIR/portcullis.conf"
chmod 600 "$LDAP_DIR/svc.pw"
assert_contains "$("$DAEMON" -t -c "$DIR/portcullis.conf" 2>&1)" "ldap.uri: no directory URI" "sources = ldap without a URI"

sed -i "s|^uri =\$|uri = ldaps://$(ldap_addr 1)|" "$DIR/portcullis.conf"
assert_contains "$("$DAEMON" -t -c "$DIR/portcullis.conf" 2>&1)" "configuration OK" "owner-only: -t passes"
start_daemon || exit 1
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "owner-only: a directory user logs in"
