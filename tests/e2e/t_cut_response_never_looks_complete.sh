#!/bin/bash
# A response cut short never reaches the client as complete. Where the
# client reads the body until the connection closes (an HTTP/1.0 client,
# to which a chunked body goes without its chunking; an origin's body
# delimited by its close), a plain close would look like the end: the
# proxy resets the connection instead, so the client reports an error, when
# a bad trailer comes after the data, when the origin closes before the
# last chunk, when the origin resets (RST) its close-delimited body (only a
# close ends such a body) and when the origin stalls in the middle of a
# body. The access log says the transfer was cut (TCP_MISS_ABORTED/200,
# TCP_MISS_TIMEDOUT/200), not TCP_MISS/200.
# A complete body still ends cleanly and is logged TCP_MISS/200.
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="upstream_timeout = 2s"
setup_daemon; add_user alice secret; start_daemon || exit 1
start_bad_origin 8092 || fail "the bad origin did not start"
B=http://10.202.0.2:8092

# get PATH CURL_ARGS...: curl's exit status and the body it was given
get() {
	local path=$1 rc
	shift
	rm -f "$DIR/body"
	pcurl -U alice:secret -o "$DIR/body" "$@" "$B$path" 2>/dev/null
	rc=$?
	echo "$rc $(cat "$DIR/body" 2>/dev/null)"
}
# logged PATH: the access log's status field (tag/status) for PATH, once
# its line is written at the end of the exchange (bounded wait)
logged() {
	local f=""
	path_logged() { f=$(awk -v u="$B$1" '$7 == u { f = $4 } END { print f }' "$ACCESS"); [ -n "$f" ]; }
	wait_until 10 path_logged "$1"
	echo "$f"
}

# the control: a valid chunked body reaches an HTTP/1.0 client unchunked,
# ended by a clean close, and is logged as complete
assert_eq "0 hello world" "$(get /chunked-ext-trailer --http1.0)" "an HTTP/1.0 client gets a complete body"
assert_eq TCP_MISS/200 "$(logged /chunked-ext-trailer)" "a complete body is logged TCP_MISS/200"

# curl 56: "Recv failure: Connection reset by peer"
out=$(get /trailer-late --http1.0)
assert_eq "56 hello" "$out" "HTTP/1.0 client: a bad trailer after the data is an error, not the end"
assert_eq TCP_MISS_ABORTED/200 "$(logged /trailer-late)" "the cut body is logged aborted"

out=$(get /chunked-close --http1.0)
assert_eq "56 hello" "$out" "HTTP/1.0 client: the origin closing before the last chunk is an error"
assert_eq TCP_MISS_ABORTED/200 "$(logged /chunked-close)" "logged aborted"

out=$(get /body-reset)
assert_eq "56 hello" "$out" "an origin's reset in a close-delimited body is an error, not the end"
assert_eq TCP_MISS_ABORTED/200 "$(logged /body-reset)" "logged aborted"

out=$(get /body-stall)
assert_eq "56 hello" "$out" "an origin stalling in a close-delimited body: an error at the timeout"
assert_eq TCP_MISS_TIMEDOUT/200 "$(logged /body-stall)" "logged timed out"

out=$(get '/body-stall?1.0' --http1.0)
assert_eq "56 hello" "$out" "the same for an HTTP/1.0 client"

# a client that frames by chunking or length already sees the cut: the
# close before the last chunk, as before
assert_eq "18 hello" "$(get '/chunked-close?1.1')" "an HTTP/1.1 client sees the chunked body incomplete (curl 18)"
assert_eq TCP_MISS_ABORTED/200 "$(logged '/chunked-close?1.1')" "logged aborted"

assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the daemon still serves"
