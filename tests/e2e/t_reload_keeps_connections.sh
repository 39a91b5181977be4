#!/bin/bash
# SIGHUP (systemctl reload) while a client keeps downloading: the download
# finishes whole on its connection; the new settings apply to new requests
# (a denied range, the realm, a new access log path); a listener change is
# named as needing a restart and not applied; a broken file is refused and
# the running configuration stays.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
CONF=$DIR/portcullis.conf

wait_log() { # text, n-th occurrence
	wait_until 10 lines_at_least "${2:-1}" "$1"
}
# the workers take a new configuration on their next tick (within a second)
wait_status() { # expected, curl args...
	local want=$1 got=""; shift
	status_is() { got=$(status_of "$@"); [ "$got" = "$want" ]; }
	wait_until 5 status_is "$@"
	echo "$got"
}

assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before the reload"
# about 4 s at 16 KiB per 60 ms: long enough to span both reloads
in_client timeout 40 python3 "$REPO/tests/e2e/slow_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/1m alice:secret "$DIR/dl" 16384 0.06 "$DIR/dl.started" > "$DIR/dl.out" 2>&1 &
DL=$!
wait_files "$DIR/dl.started" && ok || fail "the download started before the reload"

sed -i -e "s|^connect_timeout = 3s|connect_timeout = 3s\ndeny_ranges = 10.202.0.0/24|" \
	-e "s|^access_log = .*|access_log = $DIR/access2.log|" \
	-e "s|^listen = 10.201.0.1:3128, .*|listen = 10.201.0.1:3128, 10.201.0.1:3199|" \
	-e "s|^\[auth\]|[auth]\nrealm = Reloaded|" "$CONF"
in_gw "$DAEMON" -t -c "$CONF" >/dev/null 2>&1 && ok || fail "the new file passes -t"
kill -HUP "$DPID"
wait_log "configuration reloaded from" && ok || fail "reload logged"
assert_contains "$(cat "$DLOG")" "reload: proxy.listen changed; that needs a restart, the running value stays" \
	"a listener change is named as needing a restart"
assert_eq 403 "$(wait_status 403 -U alice:secret http://$ORIGIN/1k)" "new deny range applies to a new request"
hdrs=$(in_client timeout 10 curl -sS -o /dev/null -D - --max-time 5 -x "$PROXY" http://$ORIGIN/1k 2>&1)
assert_contains "$hdrs" 'Basic realm="Reloaded"' "new realm offered"
in_client timeout 2 bash -c 'exec 3<>/dev/tcp/10.201.0.1/3199' 2>/dev/null &&
	fail "a listener was added by a reload" || ok
kill -0 "$DL" 2>/dev/null && ok || fail "the download was still running across the reload"

# a broken file: refused, and the running configuration stays
cp "$CONF" "$DIR/good.conf"
printf '[proxy]\nno_such_key = 1\n' >> "$CONF"
if in_gw "$DAEMON" -t -c "$CONF" >/dev/null 2>&1; then fail "-t refuses the broken file"; else ok; fi
kill -HUP "$DPID"
wait_log "reload refused, the running configuration stays" && ok || fail "broken reload refused"
assert_contains "$(cat "$DLOG")" "unknown key 'no_such_key' in [proxy]" "the refusal names the error"
assert_eq 403 "$(status_of -U alice:secret http://$ORIGIN/1k)" "deny range still in force"
kill -0 "$DPID" 2>/dev/null && ok || fail "daemon alive after a broken reload"
kill -0 "$DL" 2>/dev/null && ok || fail "the download was still running across the broken reload"

wait "$DL"
assert_eq "200 1048576" "$(cat "$DIR/dl.out")" "download finished whole"
cmp -s "$DIR/dl" "$E2E_WWW/1m" && ok || fail "downloaded bytes are the origin's"
assert_contains "$(cat "$DIR/access2.log" 2>/dev/null)" "TCP_DENIED/403" "new access log path in use"
assert_contains "$(cat "$DIR/access2.log" 2>/dev/null)" "TCP_MISS/200 1048" "the long download is logged when it ends"

# back to the good file without the range, with CONNECT to 8080 allowed
# and a lockout after two failures
connect_status() { pcurl -p -o /dev/null -w '%{http_connect}' -U alice:secret "$@" 2>/dev/null; }
assert_eq 403 "$(connect_status http://$ORIGIN:8080/1k)" "CONNECT to 8080 refused before"
cp "$DIR/good.conf" "$CONF"
sed -i -e '/^deny_ranges/d' -e 's|^connect_timeout = 3s|connect_timeout = 3s\nconnect_ports = 443, 8080|' \
	-e 's|^\[auth\]|[auth]\nlockout_threshold = 2|' "$CONF"
kill -HUP "$DPID"
wait_log "configuration reloaded from" 2 && ok || fail "second reload logged"
assert_eq 200 "$(wait_status 200 -U alice:secret http://$ORIGIN/1k)" "deny range lifted by a reload"
assert_eq 200 "$(connect_status http://$ORIGIN:8080/1k)" "CONNECT to 8080 allowed after the reload"
assert_eq 200 "$(status_of -p -U alice:secret http://$ORIGIN:8080/1k)" "and the page came through the tunnel"
status_of -U alice:wrong1 http://$ORIGIN/1k >/dev/null; status_of -U alice:wrong2 http://$ORIGIN/1k >/dev/null
assert_eq 429 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the new lockout threshold applies"
