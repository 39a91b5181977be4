#!/bin/bash
# Negotiate tokens the gateway must refuse, each answered 407 (Negotiate
# offered again) and audited with its reason: a ticket for another service
# (kerberos_bad_token), a token that is not Kerberos at all
# (kerberos_bad_token), a token replayed on another connection
# (kerberos_bad_token: refused from memory, with no replay-cache file) and
# a client clock ten minutes ahead (kerberos_skew); an expired ticket gets
# 407 (an MIT client holding one sends no token: kerberos_expired is what a
# client that sends one gets, past the skew the gateway allows). The
# client's clock is moved with Debian's faketime, for curl alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kdc.sh"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -f "$FAKETIME_LIB" ] || skip "faketime is not installed"
kdc_up || exit 1
AUTH_EXTRA="schemes = negotiate,basic"
CONF_EXTRA=$(kdc_conf)
setup_daemon
start_daemon || exit 1
# curl with the client's clock moved by $1 seconds
fcurl() { # offset args
	local off=$1
	shift
	in_krb_client env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$off" timeout 20 curl -sS --max-time 15 \
		--proxy-negotiate -U : -x "http://$KRB_GW_NAME:3128" \
		--resolve "$KRB_GW_NAME:3128:10.201.0.1" "$@"
}
# the audit's rows (identical failures within a minute are one row)
reasons() { "$CLI" -d "$DB" audit --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["scheme"], r["reason"])'; }
# the fail2ban line each failure gets
failures() { grep -c "auth failure: client=10.201.0.2 user=\"\" reason=$1 mode=explicit" "$DLOG"; }

kinit_as alice || { fail "kinit alice"; cat "$KRB_DIR/kinit.log"; }

# another service's ticket: the client asks the KDC for the principal of
# the name it used for the proxy, which the gateway holds no key for
out=$(in_krb_client timeout 20 curl -sS --max-time 15 --proxy-negotiate -U : \
	-x "http://other.portcullis.test:3128" --resolve "other.portcullis.test:3128:10.201.0.1" \
	-o /dev/null -D - http://$ORIGIN/1k 2>&1)
assert_contains "$out" "HTTP/1.1 407" "a ticket for another service: 407"
assert_contains "$out" "Proxy-Authenticate: Negotiate" "Negotiate offered again"
in_krb_client klist > "$DIR/klist.txt" 2>&1
assert_contains "$(cat "$DIR/klist.txt")" "HTTP/other.portcullis.test@$KRB_REALM" "the client did hold a ticket for the other service"
wait_until 10 audit_has 1 && ok || fail "audit row for the other service's ticket"
assert_contains "$(reasons)" "negotiate kerberos_bad_token" "audited as kerberos_bad_token"
assert_eq 1 "$(failures kerberos_bad_token)" "one failure line"

# not a Kerberos token
assert_eq 407 "$(status_of -H 'Proxy-Authorization: Negotiate YIIGAQ==' http://$ORIGIN/1k)" "a token that is not Kerberos: 407"
wait_until 10 lines_at_least 2 "reason=kerberos_bad_token" && ok || fail "failure line for the bad token"

# a token captured from a passing request, replayed on a new connection
ncurl -v -o /dev/null http://$ORIGIN/1k > "$DIR/verbose.txt" 2>&1
token=$(grep -o 'Proxy-Authorization: Negotiate [A-Za-z0-9+/=]*' "$DIR/verbose.txt" | head -n 1 | cut -d' ' -f3)
[ -n "$token" ] && ok || fail "a token seen in curl's trace"
assert_contains "$(cat "$DIR/verbose.txt")" "HTTP/1.1 200" "the token's own request passed"
assert_eq 407 "$(status_of -H "Proxy-Authorization: Negotiate $token" http://$ORIGIN/1k)" "the same token on another connection: 407"
wait_until 10 lines_at_least 3 "reason=kerberos_bad_token" && ok || fail "failure line for the replay"
assert_contains "$(cat "$DLOG")" "a token accepted before (replayed)" "the daemon log says it was a replay"
assert_eq "" "$(find "$DIR" /var/tmp /tmp -maxdepth 1 -name 'krb5_*.rcache*' -newer "$DIR/portcullis.conf" 2>/dev/null)" "no replay-cache file written"

# a clock ten minutes ahead (MIT's clock skew is five)
assert_eq 407 "$(fcurl +600 -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "a client clock 10 minutes ahead: 407"
wait_until 10 lines_at_least 1 "reason=kerberos_skew" && ok || fail "failure line for the skewed clock"
wait_until 10 sh -c "'$CLI' -d '$DB' audit --json | grep -q kerberos_skew" && ok || fail "audit row for the skewed clock"
assert_contains "$(reasons)" "negotiate kerberos_skew" "audited as kerberos_skew"

# an expired ticket
kinit_as bob -l 5s || { fail "kinit bob"; cat "$KRB_DIR/kinit.log"; }
assert_eq 200 "$(ncurl -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "bob's short ticket passes while good"
# waiting for the expiry is what is tested
wait_until 30 sh -c "! ip netns exec $NS_C env KRB5_CONFIG=$KRB_DIR/krb5.conf KRB5CCNAME=FILE:$KRB_CC klist -s" \
	&& ok || fail "bob's ticket expired"
sleep 1   # past the second the ticket ends in
assert_eq 407 "$(ncurl -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "an expired ticket: 407"
assert_eq 1 "$(grep -c " GET http://$ORIGIN/1k bob " "$ACCESS")" "bob passed only while his ticket was good"
