#!/bin/bash
# What the origin receives: no proxy credentials, no hop-by-hop headers, a
# Via; the client's Authorization unchanged; an origin's 401 passed through.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
pcurl -U alice:secret -o /dev/null -H 'Connection: close, X-Hop' -H 'X-Hop: 1' -H 'Keep-Alive: timeout=5' \
	-H 'TE: trailers' -H 'Proxy-Connection: keep-alive' -H 'Authorization: Bearer origin-token' \
	http://$ORIGIN:8081/echo
rec=$(record_last)
assert_contains "$rec" '"path": "/echo"' "request reached the origin in origin-form"
assert_not_contains "$rec" 'proxy-authorization' "credentials consumed"
assert_not_contains "$rec" '"x-hop"' "header named in Connection removed"
assert_not_contains "$rec" '"keep-alive"' "Keep-Alive removed"
assert_not_contains "$rec" '"te"' "TE removed"
assert_not_contains "$rec" 'proxy-connection' "Proxy-Connection removed"
assert_contains "$rec" '["Authorization", "Bearer origin-token"]' "client Authorization passed through"
assert_contains "$rec" '["Via", "1.1 portcullis"]' "Via added"
out=$(pcurl -s -D - -U alice:secret http://$ORIGIN/private)
assert_contains "$out" "HTTP/1.1 401" "origin 401 passed"
assert_contains "$out" 'WWW-Authenticate: Basic realm="origin"' "origin challenge untouched"
