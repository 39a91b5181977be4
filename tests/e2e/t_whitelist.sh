#!/bin/bash
# Whitelisted addresses pass without credentials; added or removed while
# the daemon runs.
. "$(dirname "$0")/lib.sh"
setup_daemon; start_daemon || exit 1
# the CLI command, then wait until the daemon has taken the change in
cli_change() { log_mark; "$CLI" -d "$DB" "$@" >/dev/null; wait_until 5 logged_since_mark 'whitelist reloaded'; }
assert_eq 407 "$(status_of http://$ORIGIN/1k)" "not whitelisted"
cli_change whitelist add 10.201.0.0/24 "test LAN"
assert_eq 200 "$(status_of http://$ORIGIN/1k)" "whitelisted"
cli_change whitelist del 10.201.0.0/24
assert_eq 407 "$(status_of http://$ORIGIN/1k)" "removed again"
