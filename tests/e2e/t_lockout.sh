#!/bin/bash
# Brute force: after the threshold, 429 with Retry-After even for the right
# password, and the lockout is audited.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 5\nlockout_window = 60s\nlockout_duration = 60s'
setup_daemon; add_user alice secret; start_daemon || exit 1
for i in 1 2 3 4 5; do status_of -U alice:wrong$i http://$ORIGIN/1k >/dev/null; done
out=$(pcurl -s -D - -o /dev/null -U alice:secret http://$ORIGIN/1k)
assert_contains "$out" "HTTP/1.1 429" "locked out"
assert_contains "$out" "Retry-After:" "Retry-After given"
assert_contains "$(audit_json 2)" '"reason": "locked_out"' "lockout audited"
