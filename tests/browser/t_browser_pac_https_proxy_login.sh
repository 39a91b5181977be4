#!/bin/bash
# Chromium given only the portal's proxy.pac, which with the proxy's TLS
# listener on says "HTTPS gw:3443" first: the browser talks TLS to the
# gateway (trusting its generated certificate by its public key), meets the
# 407 inside it and loads the page after logging in; the access log shows
# the requests came over the TLS listener's 407 flow.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/tlsproxy.sh"
CONF_EXTRA=$'[portal]\nlisten = 10.201.0.1:8082'
setup_daemon
PW='tls p@ss'
add_user alice "$PW"
# names go to the proxy (address literals of the LAN go direct): a name
# only the gateway knows, as in t_browser_pac_proxy_login
netns_dir=/etc/netns/$NS_G
[ -d /etc/netns ] && had_netns=1 || had_netns=0
mkdir -p "$netns_dir"
printf '127.0.0.1 localhost\n10.202.0.2 origin.test\n' > "$netns_dir/hosts"
start_daemon; started=$?
rm -f "$netns_dir/hosts"; rmdir "$netns_dir"
[ "$had_netns" = 1 ] || rmdir /etc/netns 2>/dev/null
[ "$started" = 0 ] || exit 1
wait_until 30 listening in_gw 10.201.0.1:8082
pac=$(in_client timeout 10 curl -sS --max-time 5 http://10.201.0.1:8082/proxy.pac)
assert_contains "$pac" "HTTPS 10.201.0.1:$TLS_PORT; PROXY 10.201.0.1:3128" "proxy.pac names the TLS proxy first"
spki=$(openssl x509 -in "$DIR/proxy-tls.crt" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
# a capture of the client link: the browser's password never in clear
start_capture
out=$(cd "$REPO/tests/browser" && PAC_URL=http://10.201.0.1:8082/proxy.pac PAGE_URL=http://origin.test:8081/browser-pac-tls-login \
	PROXY_USER=alice PROXY_PASSWORD="$PW" EXTRA_ARGS="--ignore-certificate-errors-spki-list=$spki" \
	HOME=$DIR timeout 120 ip netns exec "$NS_C" node pac_proxy.js 2>&1)
rc=$?
stop_capture
printf '%s\n' "$out" | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
assert_contains "$(grep browser-pac-tls-login "$ACCESS")" "10.201.0.2 TCP_DENIED/407" "the browser met the gateway's 407"
assert_contains "$(grep 'TCP_MISS/200.*browser-pac-tls-login' "$ACCESS")" " alice " "the page loaded as alice"
if captured "tls p@ss" || captured "$(printf 'alice:%s' "$PW" | base64)"; then
	fail "the browser's password crossed the client link in clear"; else ok; fi
assert_eq 0 "$(grep -caF 'browser-pac-tls-login' "$DIR/client-link.pcap")" "not even the URL in clear on the client link"
