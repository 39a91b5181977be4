#!/bin/bash
# A configuration without Digest in [auth] schemes, at a start or at a
# reload, keeps every user's stored Digest secrets: with Digest listed
# again, Digest logins work as before, without a new password.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA="schemes = basic" setup_daemon
add_user alice 'Circle of Life'
ha1_rows() { sqlite3 "$DB" "SELECT count(*) FROM users WHERE ha1_md5 IS NOT NULL AND ha1_sha256 IS NOT NULL"; }
schemes() { # the [auth] schemes line of the configuration
	sed -i "s/^schemes = .*/schemes = $1/" "$DIR/portcullis.conf"
}
challenge() { pcurl -o /dev/null -D - http://$ORIGIN/1k 2>/dev/null | tr -d '\r' | grep -i '^Proxy-Authenticate:'; }
reloaded() { # n: the n-th "configuration reloaded" line is in the log
	[ "$(grep -c 'configuration reloaded from' "$DLOG")" -ge "$1" ]
}

start_daemon || exit 1
assert_not_contains "$(challenge)" "Digest" "Digest not offered with schemes = basic"
assert_eq 200 "$(status_of -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Basic login without Digest"
assert_eq 1 "$(ha1_rows)" "a start without Digest keeps the secrets"
stop_daemon

schemes "digest,basic"
start_daemon || exit 1
assert_contains "$(challenge)" "Digest" "Digest offered again"
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" \
	"Digest login after a start without Digest, no new password"

# the same through reloads
schemes "basic"
kill -HUP "$DPID"
wait_until 10 reloaded 1 && ok || fail "first reload"
wait_until 5 eval '! challenge | grep -q Digest' && ok || fail "Digest no longer offered after the reload"
assert_eq 1 "$(ha1_rows)" "a reload without Digest keeps the secrets"
schemes "digest,basic"
kill -HUP "$DPID"
wait_until 10 reloaded 2 && ok || fail "second reload"
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" \
	"Digest login after a reload without Digest and back"
assert_not_contains "$(cat "$DLOG")" "users changed" "no stored credential changed with the configuration"
