#!/bin/bash
# Whitelisted addresses pass without credentials; added or removed while
# the daemon runs.
. "$(dirname "$0")/lib.sh"
setup_daemon; start_daemon || exit 1
assert_eq 407 "$(status_of http://$ORIGIN/1k)" "not whitelisted"
"$CLI" -d "$DB" whitelist add 10.201.0.0/24 "test LAN" >/dev/null; sleep 1
assert_eq 200 "$(status_of http://$ORIGIN/1k)" "whitelisted"
"$CLI" -d "$DB" whitelist del 10.201.0.0/24 >/dev/null; sleep 1
assert_eq 407 "$(status_of http://$ORIGIN/1k)" "removed again"
