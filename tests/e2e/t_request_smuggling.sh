#!/bin/bash
# Request smuggling (RFC 9112 §6.1, §6.3, §7.1, §5.2): every hostile request
# of the corpus in tests/e2e/smuggling/ (CL.TE, TE.CL, obfuscated
# Transfer-Encoding, signed or conflicting Content-Length, a Connection
# header naming Content-Length, Transfer-Encoding or Host, obs-fold, bare CR
# and LF, NUL, bad chunk framing: a loose size line such as "5 junk", a
# trailer with a control byte or a framing field, HTTP/1.0 with
# Transfer-Encoding) is sent
# with valid credentials on its own connection: each gets 400 and a closed
# connection, the recording origin receives none of them whole, nor the
# request hidden in their bodies. Bodies are streamed, never buffered, so
# the head of a request whose chunk framing breaks later has already gone
# upstream when the break is found: the proxy then cuts that upstream
# connection mid-body, and the origin sees a body that never ends.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
CORPUS=$REPO/tests/e2e/smuggling
before=$(wc -l < "$RECORD")
out=$(in_client timeout 120 python3 "$REPO/tests/e2e/smuggle.py" 10.201.0.1 3128 "$CORPUS" \
	alice:secret 10.202.0.2:8081)
n=$(ls "$CORPUS"/*.http | wc -l)
[ "$n" -ge 40 ] && ok || fail "the corpus has only $n cases"
assert_eq "$n" "$(printf '%s\n' "$out" | grep -c .)" "every case answered or timed out"
bad=$(printf '%s\n' "$out" | grep -v ': HTTP/1.1 400 Bad Request CLOSED$')
assert_eq "" "$bad" "cases not answered 400 and closed"
echo "  $(printf '%s\n' "$out" | grep -c ': HTTP/1.1 400 Bad Request CLOSED$') of $n smuggling cases got 400 and a closed connection"
# each head the origin got has ended, aborted (or, wrongly, complete)
heads_ended() {
	local lines heads
	lines=$(tail -n +"$((before + 1))" "$RECORD" | grep -c .)
	heads=$(tail -n +"$((before + 1))" "$RECORD" | grep -c '"event": "head"')
	[ "$lines" -eq $((2 * heads)) ]
}
wait_until 10 heads_ended
new=$(tail -n +"$((before + 1))" "$RECORD")
summary=$(printf '%s\n' "$new" | python3 -c '
import collections, json, sys
events = collections.defaultdict(list)
for line in sys.stdin:
    if line.strip():
        r = json.loads(line)
        events[r["path"]].append(r.get("event", "complete"))
for path, ev in sorted(events.items()):
    print(path.rsplit("/", 1)[-1] if "/smuggle/" in path else path, " ".join(ev))
')
assert_eq "" "$(printf '%s\n' "$summary" | grep SMUGGLED)" "no smuggled request reached the origin, not even its head"
assert_eq "" "$(printf '%s\n' "$summary" | grep -E ' complete$|complete ')" "no hostile request reached the origin whole"
assert_eq "" "$(printf '%s\n' "$summary" | grep -v '^chunk-' | grep .)" "only heads with valid framing went upstream, and only bad-chunk cases"
assert_eq "" "$(printf '%s\n' "$summary" | grep -v ' head aborted$' | grep .)" "every head that went upstream saw its connection cut mid-body"
echo "  $(printf '%s\n' "$summary" | grep -c .) bad-chunk cases had their head upstream before the break, each cut mid-body"
# the daemon still serves, and the origin still records what it does get
assert_eq 200 "$(status_of -U alice:secret http://10.202.0.2:8081/after-smuggling)" "daemon still serves"
assert_contains "$(record_last)" '"/after-smuggling"' "origin records normal requests"
