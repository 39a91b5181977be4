#!/bin/bash
# Digest through the daemon (RFC 7616 §3.3, §3.4): a nonce past its
# lifetime is answered 407 with stale=true on every Digest challenge, on a
# connection kept open, and a client that takes the new nonce gets through
# without the user being asked again; a nonce count sent twice is a replay,
# refused and audited as replayed_nonce; the stale answer is audited as
# stale_nonce.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA='nonce_lifetime = 10s'
setup_daemon; add_user alice 'Circle of Life'; start_daemon || exit 1
out=$(in_client timeout 60 python3 "$REPO/tests/e2e/digest_client.py" 10.201.0.1 3128 \
	"http://$ORIGIN/1k" alice 'Circle of Life' challenge ok ok replay ok sleep:11 ok renew ok ok 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
line() { printf '%s\n' "$out" | sed -n "$1p"; }
assert_eq "challenge 407 stale=-,- algorithms=SHA-256,MD5" "$(line 1)" "first leg: SHA-256 offered before MD5"
assert_eq "ok 200 stale=- algorithms=-" "$(line 2)" "nonce count 1 accepted"
assert_eq "ok 200 stale=- algorithms=-" "$(line 3)" "nonce count 2 accepted"
assert_eq "replay 407" "$(line 4 | cut -d' ' -f1-2)" "nonce count 2 again is refused"
assert_eq "ok 200 stale=- algorithms=-" "$(line 5)" "the next count after a replay still works"
assert_eq "ok 407 stale=true,true algorithms=SHA-256,MD5" "$(line 6)" "an expired nonce: stale=true on both Digest challenges"
assert_eq "ok 200 stale=- algorithms=-" "$(line 7)" "the new nonce works on the same connection"
assert_eq "ok 200 stale=- algorithms=-" "$(line 8)" "and keeps working"
json=$(audit_json 2)
reasons=$(printf '%s' "$json" | python3 -c 'import json,sys; print(" ".join(sorted(r["reason"] for r in json.load(sys.stdin))))')
assert_eq "replayed_nonce stale_nonce" "$reasons" "the replay and the stale nonce are audited, nothing else"
