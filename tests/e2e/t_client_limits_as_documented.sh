#!/bin/bash
# The Python client limits the deployment guide's client notes state, as
# the gateway's default configuration meets them: urllib's digest handler
# reads only the first Proxy-Authenticate (Digest SHA-256, which it does
# not know) and gives up, while its Basic handler works; requests'
# HTTPProxyAuth covers http:// but not the CONNECT of https://, while
# credentials in the proxy URL cover both. With [auth] schemes = digest-md5
# (MD5 offered first) urllib's digest handler works, given the password for
# the URL asked for (it looks it up by that, not by the proxy's address).
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice 'py pw'; start_daemon || exit 1
clients() {
	in_client env PROXY=$PROXY USER_NAME=alice PASSWORD='py pw' URL_HTTP=http://$ORIGIN/1k \
		URL_HTTPS=https://$ORIGIN/1k timeout 60 python3 "$REPO/tests/e2e/client_limits.py" "$@" 2>&1
}
out=$(clients urllib-digest urllib-basic requests-proxyauth-http requests-proxyauth-https \
	requests-url-http requests-url-https)
printf '%s\n' "$out" | sed 's/^/  /'
assert_contains "$out" "urllib-digest: ValueError Unsupported digest authentication algorithm 'SHA-256'" \
	"urllib's digest handler stops at the first challenge (SHA-256)"
assert_contains "$out" "urllib-basic: 200 1024" "urllib's Basic handler works"
assert_contains "$out" "requests-proxyauth-http: 200 1024" "HTTPProxyAuth works for http://"
assert_contains "$out" "requests-proxyauth-https: ProxyError 407" "HTTPProxyAuth does not cover the CONNECT of https://"
assert_contains "$out" "requests-url-http: 200 1024" "credentials in the proxy URL: http://"
assert_contains "$out" "requests-url-https: 200 1024" "credentials in the proxy URL: https://"

stop_daemon
sed -i 's|^\[auth\]|[auth]\nschemes = digest-md5, basic|' "$DIR/portcullis.conf"
start_daemon || exit 1
assert_contains "$(clients urllib-digest)" "urllib-digest: 200 1024" "with MD5 offered first urllib's digest handler works"
