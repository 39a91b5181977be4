#!/bin/bash
# Node's fetch (undici's ProxyAgent) through the explicit proxy with the
# default configuration: undici sends http:// URLs as CONNECT host:80, which
# the default connect_ports (443, 80) allows, so an http:// and an https://
# fetch both work; without credentials the error names the 407. With
# connect_ports = 443 alone the http:// fetch fails with the 403, as the
# deployment guide's client notes say.
. "$(dirname "$0")/../e2e/lib.sh"
setup_daemon
add_user alice 'n0de pw'
start_daemon || exit 1
undici() { # url [user password]
	(cd "$REPO/tests/browser" && PROXY_URL=$PROXY PROXY_USER=${2:-} PROXY_PASSWORD=${3:-} \
		timeout 30 ip netns exec "$NS_C" node undici_fetch.js "$1" 2>&1)
}

assert_eq "200 1024" "$(undici "http://$ORIGIN/1k" alice 'n0de pw')" "fetch of an http:// URL through the proxy"
assert_contains "$(grep 'CONNECT 10.202.0.2:80 ' "$ACCESS")" "TCP_TUNNEL/200" "it came as CONNECT host:80, tunnelled"
assert_contains "$(grep 'CONNECT 10.202.0.2:80 ' "$ACCESS")" " alice " "attributed to alice"
assert_eq "200 1024" "$(undici "https://$ORIGIN/1k" alice 'n0de pw')" "fetch of an https:// URL through the proxy"
assert_contains "$(undici "http://$ORIGIN/1k")" "407" "without credentials the error names the 407"
assert_contains "$(undici "http://$ORIGIN/1k" alice wrong)" "407" "a wrong password likewise"

# connect_ports without 80: undici's http:// fetches are refused
stop_daemon
sed -i 's|^\[proxy\]|[proxy]\nconnect_ports = 443|' "$DIR/portcullis.conf"
start_daemon || exit 1
assert_contains "$(undici "http://$ORIGIN/1k" alice 'n0de pw')" "403" "connect_ports = 443: the http:// fetch gets 403"
assert_eq "200 1024" "$(undici "https://$ORIGIN/1k" alice 'n0de pw')" "https:// still works"
