#!/bin/bash
# Request smuggling (RFC 9112 §6.1, §6.3, §7.1, §5.2): every hostile request
# of the corpus in tests/e2e/smuggling/ (CL.TE, TE.CL, obfuscated
# Transfer-Encoding, signed or conflicting Content-Length, obs-fold, bare CR
# and LF, NUL, bad chunk framing, HTTP/1.0 with Transfer-Encoding) is sent
# with valid credentials on its own connection: each gets 400 and a closed
# connection, and the recording origin receives none of them, nor the
# request hidden in their bodies.
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
sleep 0.5
received=$(tail -n +"$((before + 1))" "$RECORD" | grep -E 'smuggle/|SMUGGLED')
assert_eq "" "$received" "the origin received a hostile or smuggled request"
# the daemon still serves, and the origin still records what it does get
assert_eq 200 "$(status_of -U alice:secret http://10.202.0.2:8081/after-smuggling)" "daemon still serves"
assert_contains "$(record_last)" '"/after-smuggling"' "origin records normal requests"
