#!/bin/bash
# Request bodies: Content-Length with Expect: 100-continue, and chunked.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
head -c 2000000 /dev/urandom > "$DIR/up"
out=$(pcurl -U alice:secret -H 'Expect: 100-continue' --data-binary @"$DIR/up" http://$ORIGIN:8081/upload)
assert_eq '{"body_len": 2000000}' "$out" "Content-Length body with Expect: 100-continue"
out=$(pcurl -U alice:secret -H 'Transfer-Encoding: chunked' --data-binary @"$DIR/up" http://$ORIGIN:8081/chunked)
assert_eq '{"body_len": 2000000}' "$out" "chunked request body"
pcurl -U alice:secret -o "$DIR/1m" http://$ORIGIN/1m
assert_eq "" "$(cmp "$DIR/1m" "$E2E_WWW/1m" 2>&1)" "1 MiB response body intact"
# a chunked response to an HTTP/1.0 client arrives de-chunked, delimited by close
out=$(pcurl --http1.0 -s -D "$DIR/h10" -U alice:secret http://$ORIGIN:8081/chunked-response)
assert_eq "first part, second part, last part" "$out" "HTTP/1.0 client gets the body de-chunked"
assert_not_contains "$(cat "$DIR/h10")" "Transfer-Encoding" "no chunked framing sent to a 1.0 client"
out=$(pcurl -s -U alice:secret http://$ORIGIN:8081/chunked-response)
assert_eq "first part, second part, last part" "$out" "HTTP/1.1 client gets the chunked body"
