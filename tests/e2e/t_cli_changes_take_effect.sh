#!/bin/bash
# A change made with the CLI while the daemon runs applies to the user's
# next request once the daemon has taken it in (it looks every half
# second), even with credentials cached.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
# the CLI command, then wait until the daemon has taken the change in
cli_change() { log_mark; "$CLI" -d "$DB" "$@" >/dev/null; wait_until 5 logged_since_mark 'users changed'; }
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before"
cli_change user disable alice
assert_eq 407 "$(status_of -U alice:secret http://$ORIGIN/1k)" "disabled"
assert_contains "$(audit_json 1)" '"reason": "disabled"' "audit says disabled"
cli_change user enable alice
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "enabled again"
printf 'n3w\n' | cli_change user passwd alice
assert_eq 407 "$(status_of -U alice:secret http://$ORIGIN/1k)" "old password after passwd"
assert_eq 200 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "new password"
cli_change user expiry alice 2000-01-01
assert_eq 407 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "expired"
cli_change user del alice
assert_eq 407 "$(status_of -U alice:n3w http://$ORIGIN/1k)" "deleted"
