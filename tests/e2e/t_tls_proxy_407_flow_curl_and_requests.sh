#!/bin/bash
# The proxy over TLS (curl --proxy https://, python requests with an https://
# proxy): the same 407 flow as the plain listener with Basic and Digest, a
# CONNECT tunnel inside the TLS connection, keep-alive, the same access log;
# the certificate made at first start and its fingerprint logged; a capture
# of the client's link never shows the password or the Proxy-Authorization
# header, which it does show for the plain listener.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlsproxy.sh"
setup_daemon; add_user alice 'tls-S3cret-pw'; add_user bob 'plain-V1sible-pw'; start_daemon || exit 1

assert_contains "$(cat "$DLOG")" "proxy: generated a self-signed certificate $DIR/proxy-tls.crt" "certificate made at first start"
fp=$(in_gw openssl x509 -in "$DIR/proxy-tls.crt" -noout -fingerprint -sha256 | cut -d= -f2)
assert_contains "$(cat "$DLOG")" "SHA-256 fingerprint $fp" "its fingerprint logged"
start_capture

assert_eq 407 "$(tstatus_of http://$ORIGIN/1k)" "no credentials over TLS: 407"
out=$(tpcurl -s -D - -o /dev/null http://$ORIGIN/1k)
assert_contains "$out" 'Proxy-Authenticate: Basic realm="Portcullis"' "the 407 over TLS offers Basic"
assert_contains "$out" 'Proxy-Authenticate: Digest realm="Portcullis"' "and Digest"
tpcurl -U alice:tls-S3cret-pw -o "$DIR/body" http://$ORIGIN/1k
assert_eq "" "$(cmp "$DIR/body" "$E2E_WWW/1k" 2>&1)" "Basic over TLS: the body"
assert_eq 407 "$(tstatus_of -U alice:wrong http://$ORIGIN/1k)" "wrong password over TLS: 407"
assert_eq 200 "$(tstatus_of --proxy-digest -U alice:tls-S3cret-pw http://$ORIGIN/1k)" "Digest over TLS (407, then the answer)"
assert_eq 200 "$(tstatus_of --proxy-anyauth -U alice:tls-S3cret-pw http://$ORIGIN/1k)" "curl picks a scheme from the 407"
# CONNECT inside the TLS connection to the proxy, then TLS to the origin
assert_eq 200 "$(tstatus_of -k -p -U alice:tls-S3cret-pw https://$ORIGIN/1k)" "CONNECT tunnel inside TLS"
tpcurl -k -U alice:tls-S3cret-pw -o "$DIR/big" https://$ORIGIN/1m
assert_eq "" "$(cmp "$DIR/big" "$E2E_WWW/1m" 2>&1)" "1 MiB through the tunnel inside TLS"
# keep-alive: two requests, one TLS connection
out=$(tpcurl -v -U alice:tls-S3cret-pw -o /dev/null -o /dev/null http://$ORIGIN/1k http://$ORIGIN/1k 2>&1)
assert_contains "$out" "Re-using existing connection" "second request on the same TLS connection"
assert_eq 2 "$(printf '%s\n' "$out" | grep -c '< HTTP/1.1 200')" "both answered"
# python requests with an https:// proxy, credentials in its URL
# (the proxy's certificate is trusted through OpenSSL's SSL_CERT_FILE)
code=$(in_client env SSL_CERT_FILE="$DIR/proxy-tls.crt" timeout 20 python3 -c "
import requests
r = requests.get('http://$ORIGIN/1k', proxies={'http': 'https://alice:tls-S3cret-pw@10.201.0.1:$TLS_PORT'},
                 timeout=10)
print(r.status_code, len(r.content))" 2>&1 | tail -1)
assert_eq "200 1024" "$code" "python requests through an https:// proxy"
code=$(in_client env SSL_CERT_FILE="$DIR/proxy-tls.crt" timeout 20 python3 -c "
import requests
r = requests.get('http://$ORIGIN/1k', proxies={'http': 'https://alice:wrong@10.201.0.1:$TLS_PORT'}, timeout=10)
print(r.status_code)" 2>&1 | tail -1)
assert_eq 407 "$code" "python requests, wrong password: 407"

# the same access log as the plain listener
wait_until 5 log_has "TCP_TUNNEL/200 .* CONNECT $ORIGIN:443 alice" "$ACCESS"
assert_contains "$(grep 'TCP_MISS/200' "$ACCESS" | head -1)" " GET http://$ORIGIN/1k alice HIER_DIRECT/$ORIGIN " "access log line of a TLS client"
assert_contains "$(cat "$ACCESS")" "TCP_TUNNEL/200" "the tunnel in the access log"

# the capture's control: Basic over the plain listener is there in clear
assert_eq 200 "$(status_of -U bob:plain-V1sible-pw http://$ORIGIN/1k)" "Basic over the plain listener"
# the control's packets are in the file before the capture stops (tcpdump
# is told to write each as it comes; without that, a block of packets could
# still sit in the kernel's ring when it was stopped)
wait_until 10 captured "$(printf 'bob:plain-V1sible-pw' | base64)"
stop_capture
if captured "$(printf 'bob:plain-V1sible-pw' | base64)"; then ok; else fail "the capture does not show plain Basic credentials: it proves nothing"; fi
if captured "tls-S3cret-pw" || captured "$(printf 'alice:tls-S3cret-pw' | base64)"; then
	fail "alice's password went over the client link in clear"; else ok; fi
n_auth=$(grep -caF "Proxy-Authorization" "$DIR/client-link.pcap")
assert_eq 1 "$n_auth" "Proxy-Authorization in clear only in bob's one plain request"
