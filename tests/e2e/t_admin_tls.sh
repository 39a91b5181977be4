#!/bin/bash
# [admin] tls = yes without a certificate: a self-signed pair is generated
# with OpenSSL on first start next to the database (key mode 0600), serves
# HTTPS that verifies against it, is kept across restarts, and the session
# cookie gets Secure.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
ADMIN_EXTRA="tls = yes"
setup_daemon
printf 'tls admin pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
A=https://127.0.0.1:8080
wait_until 10 test -s "$DIR/admin-tls.crt"

assert_eq 600 "$(stat -c %a "$DIR/admin-tls.key")" "generated key is private"
assert_contains "$(openssl x509 -in "$DIR/admin-tls.crt" -noout -ext subjectAltName)" "IP Address:127.0.0.1" "certificate names the loopback address"
fp1=$(openssl x509 -in "$DIR/admin-tls.crt" -noout -fingerprint -sha256 | cut -d= -f2)
assert_contains "$(cat "$DLOG")" "SHA-256 fingerprint $fp1" "fingerprint logged for the administrator"

tcurl() { in_gw timeout 10 curl -s --cacert "$DIR/admin-tls.crt" "$@"; }
assert_eq 200 "$(tcurl -o /dev/null -w '%{http_code}' $A/)" "panel over verified HTTPS"
assert_eq 401 "$(tcurl -o /dev/null -w '%{http_code}' $A/api/users)" "API over HTTPS needs a login"
hdrs=$(tcurl -D - -o /dev/null -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"tls admin pw"}' $A/api/login)
assert_contains "$hdrs" "HttpOnly; SameSite=Strict; Secure" "cookie is Secure over TLS"
assert_eq 000 "$(in_gw timeout 10 curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/)" "no plain HTTP on the TLS listener"

# the pair is kept: same certificate after a restart
stop_daemon
start_daemon || exit 1
wait_until 10 tcurl -o /dev/null $A/
fp2=$(openssl x509 -in "$DIR/admin-tls.crt" -noout -fingerprint -sha256 | cut -d= -f2)
assert_eq "$fp1" "$fp2" "certificate kept across restarts"
assert_eq 200 "$(tcurl -o /dev/null -w '%{http_code}' $A/)" "still verifies after the restart"

# half a pair is an error that says what to do, not a silent new key
stop_daemon
rm -f "$DIR/admin-tls.crt"
ip netns exec "$NS_G" timeout 10 "$DAEMON" -c "$DIR/portcullis.conf" > "$DIR/half.log" 2>&1
assert_contains "$(cat "$DIR/half.log")" "admin-tls.key exists without" "half a pair refused with a message"
