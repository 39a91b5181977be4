#!/bin/bash
# No credentials: 407 with every scheme, strongest first, a body with
# Content-Length, on a connection that stays open; and no audit row.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice 'secret'; start_daemon || exit 1

out=$(pcurl -v -o /dev/null http://$ORIGIN/1k http://$ORIGIN/1k 2>&1)
assert_contains "$out" "< HTTP/1.1 407 Proxy Authentication Required" "status"
hdrs=$(printf '%s\n' "$out" | grep -i '^< Proxy-Authenticate' | head -3 | tr -d '\r')
first=$(printf '%s\n' "$hdrs" | sed -n 1p); second=$(printf '%s\n' "$hdrs" | sed -n 2p); third=$(printf '%s\n' "$hdrs" | sed -n 3p)
assert_contains "$first" "Digest realm=\"Portcullis\", qop=\"auth\", algorithm=SHA-256" "first challenge"
assert_contains "$second" "algorithm=MD5" "second challenge"
assert_contains "$third" "Basic realm=\"Portcullis\", charset=\"UTF-8\"" "third challenge"
assert_contains "$out" "< Content-Length:" "407 has a Content-Length body"
assert_contains "$out" "Re-using existing connection" "connection kept alive after the 407"
# no audit row proves itself by its absence: wait past two of the audit
# writer's quarter-second rounds, in which a row would have been written
sleep 0.6
assert_eq "[]" "$("$CLI" -d "$DB" audit --json | tr -d ' \n')" "a bare request is not an audited failure"
assert_contains "$(cat "$ACCESS")" "TCP_DENIED/407" "access log challenge line"
