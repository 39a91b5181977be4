#!/bin/bash
# A hostile origin's framing never reaches the client as it came. A
# response whose Connection header names its own framing header
# (Content-Length or Transfer-Encoding) is refused with 502 at once, not
# passed on unframed to leave the client hanging; a chunked body with a
# loose size line ("5 junk"), a Content-Length trailer or a control byte in
# a trailer is cut before its last chunk, so the client sees an incomplete
# body, never the bad bytes; a valid chunked body reaches the client
# re-encoded, without its chunk extensions and trailers. A chunked request
# body reaches the origin re-encoded the same way.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
start_bad_origin 8092 || fail "the bad origin did not start"
B=http://10.202.0.2:8092

# raw PATH [BODY_FILE]: one request through the proxy on a raw socket; the
# bytes of the answer go to $DIR/raw, and "closed" or "open" is printed
# (open: a complete response came and the connection stayed, or nothing
# more came for 3 s)
raw() {
	in_client timeout 20 python3 - "$1" "${2:-}" "$DIR/raw" <<'PY'
import base64, socket, sys
path, body_file, out = sys.argv[1:4]
auth = base64.b64encode(b"alice:secret").decode()
if body_file:
    body = open(body_file, "rb").read()
    msg = ("POST http://10.202.0.2:8092%s HTTP/1.1\r\nHost: 10.202.0.2:8092\r\n"
           "Proxy-Authorization: Basic %s\r\nTransfer-Encoding: chunked\r\n\r\n" % (path, auth)).encode() + body
else:
    msg = ("GET http://10.202.0.2:8092%s HTTP/1.1\r\nHost: 10.202.0.2:8092\r\n"
           "Proxy-Authorization: Basic %s\r\n\r\n" % (path, auth)).encode()
s = socket.create_connection(("10.201.0.1", 3128), timeout=3)
s.sendall(msg)
def complete(d):
    head, sep, body = d.partition(b"\r\n\r\n")
    if not sep or b"\r\nconnection: close\r\n" in head.lower() + b"\r\n":
        return False    # then read on to the end
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return b"transfer-encoding: chunked" in head.lower() and body.endswith(b"0\r\n\r\n")
data, state = b"", "open"
try:
    while not complete(data):
        d = s.recv(65536)
        if not d:
            state = "closed"
            break
        data += d
except socket.timeout:
    pass
except ConnectionResetError:
    state = "closed"
open(out, "wb").write(data)
print(state)
PY
}
body_of_raw() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.write(repr(d.split(b"\r\n\r\n",1)[1] if b"\r\n\r\n" in d else b""))' "$DIR/raw"; }

# framing named as hop-by-hop: 502 at once, never an unframed 200
for p in /conn-content-length /conn-transfer-encoding; do
	out=$(pcurl -U alice:secret -o "$DIR/body" -w '%{http_code} %{time_total}' "$B$p" 2>/dev/null)
	assert_eq 502 "${out%% *}" "502 for an origin whose Connection names its framing ($p)"
	secs=${out#* }
	[ "${secs%%.*}" -lt 2 ] && ok || fail "$p answered after ${secs}s: the client was left waiting"
	assert_contains "$(cat "$DIR/body")" "Bad gateway" "the 502 for $p says why"
done
assert_contains "$(cat "$DLOG")" "Connection names a framing header" "the daemon log says what was wrong"

# bad chunk framing from the origin, found before anything of the response
# was written to the client: a 502 (and the connection closed); the bad
# bytes never reach the client
for p in /chunk-size-junk /trailer-content-length /trailer-control; do
	assert_eq closed "$(raw $p)" "the connection is closed for $p"
	assert_contains "$(head -c 40 "$DIR/raw")" "HTTP/1.1 502 Bad Gateway" "502 for $p"
	body=$(body_of_raw)
	assert_contains "$body" "malformed chunked body" "the 502 for $p says why"
	assert_not_contains "$body" "hello" "none of the body reaches the client ($p)"
	assert_not_contains "$(cat "$DIR/raw")" "junk" "no loose size line reaches the client ($p)"
	assert_not_contains "$(cat "$DIR/raw")" "Content-Length: 99" "no Content-Length trailer reaches the client ($p)"
	assert_eq 0 "$(tr -d -c '\033' < "$DIR/raw" | wc -c)" "no control byte reaches the client ($p)"
done
# found once part of the body had gone: the connection is cut before the
# last chunk, so the client knows the body is incomplete
assert_eq closed "$(raw /trailer-late)" "the connection is closed for a bad trailer after the data"
assert_eq "b'5\\r\\nhello\\r\\n'" "$(body_of_raw)" "the data went, the trailer and the last chunk did not"
rc=$(pcurl -U alice:secret -o /dev/null "$B/trailer-late" >/dev/null 2>&1; echo $?)
assert_eq 18 "$rc" "curl reports the transfer cut short"

# a valid chunked body: re-encoded, extensions and trailers dropped
assert_eq open "$(raw /chunked-ext-trailer)" "a valid chunked response keeps the connection"
assert_eq "b'5\\r\\nhello\\r\\n6\\r\\n world\\r\\n0\\r\\n\\r\\n'" "$(body_of_raw)" \
	"the client gets the data in chunks of the proxy's own, no extension, no trailer"
assert_eq "hello world" "$(pcurl -U alice:secret "$B/chunked-ext-trailer")" "curl reads the body"

# a chunked request body with an extension and a trailer: the origin gets
# the data re-encoded, nothing else
printf '5;ext="a b"\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n' > "$DIR/req-body"
assert_eq open "$(raw /echo-raw "$DIR/req-body")" "the echo answers"
got=$(body_of_raw)
assert_contains "$got" 'Transfer-Encoding: chunked\r\n' "the origin got a chunked request"
case "$got" in
*'\r\n\r\n5\r\nhello\r\n0\r\n\r\n'"'") ok ;;
*) fail "the origin got the body re-encoded: $got" ;;
esac
assert_not_contains "$got" 'ext=' "no chunk extension reaches the origin"
assert_not_contains "$got" 'X-Trailer' "no trailer reaches the origin"

assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the daemon still serves"
