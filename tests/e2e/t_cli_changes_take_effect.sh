#!/bin/bash
# A change made with the CLI while the daemon runs applies to the user's
# next request (within a second), even with credentials cached.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before"
"$CLI" -d "$DB" user disable alice >/dev/null; sleep 1
assert_eq 407 "$(status_of -U alice:secret http://$ORIGIN/1k)" "disabled"
assert_contains "$(audit_json 1)" '"reason": "disabled"' "audit says disabled"
"$CLI" -d "$DB" user enable alice >/dev/null; sleep 1
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "enabled again"
printf 'n3w\n' | "$CLI" -d "$DB" user passwd alice >/dev/null; sleep 1
assert_eq 407 "$(status_of -U alice:secret http://$ORIGIN/1k)" "old password after passwd"
assert_eq 200 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "new password"
"$CLI" -d "$DB" user expiry alice 2000-01-01 >/dev/null; sleep 1
assert_eq 407 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "expired"
"$CLI" -d "$DB" user del alice >/dev/null; sleep 1
assert_eq 407 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "deleted"
