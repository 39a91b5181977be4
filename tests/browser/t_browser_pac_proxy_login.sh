#!/bin/bash
# A browser set up as the README says for explicit mode: Chromium with only
# the portal's proxy.pac, logging in at the gateway's 407 with a password
# that would need percent-encoding in a proxy URL (p@ss:w%rd / #?). The
# gateway's access log names the user; the wrong password is audited.
. "$(dirname "$0")/../e2e/lib.sh"
CONF_EXTRA=$'[portal]\nlisten = 10.201.0.1:8082'
setup_daemon
PW='p@ss:w%rd / #?'
add_user alice "$PW"
# The PAC file sends internal address literals direct and names to the
# proxy, so the browser asks for the origin by a name that only the
# gateway's daemon knows: a hosts file for the gateway namespace, which
# `ip netns exec` mounts over /etc/hosts when the daemon starts and which is
# removed again at once (the daemon's mount keeps it).
netns_dir=/etc/netns/$NS_G
[ -d /etc/netns ] && had_netns=1 || had_netns=0
mkdir -p "$netns_dir"
printf '127.0.0.1 localhost\n10.202.0.2 origin.test\n' > "$netns_dir/hosts"
start_daemon; started=$?
rm -f "$netns_dir/hosts"; rmdir "$netns_dir"
[ "$had_netns" = 1 ] || rmdir /etc/netns 2>/dev/null
[ "$started" = 0 ] || exit 1
pac=$(in_client timeout 10 curl -sS --max-time 5 http://10.201.0.1:8082/proxy.pac)
assert_contains "$pac" 'PROXY 10.201.0.1:3128' "proxy.pac names the explicit proxy"

out=$(cd "$REPO/tests/browser" && PAC_URL=http://10.201.0.1:8082/proxy.pac PAGE_URL=http://origin.test:8081/browser-pac-login \
	PROXY_USER=alice PROXY_PASSWORD="$PW" HOME=$DIR timeout 120 ip netns exec "$NS_C" node pac_proxy.js 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
assert_contains "$(grep browser-pac-login "$ACCESS")" "10.201.0.2 TCP_DENIED/407" "the browser met the gateway's 407"
assert_contains "$(grep browser-pac-login "$ACCESS")" "10.201.0.2 TCP_MISS/200" "the access log has the browser's request"
assert_contains "$(grep 'TCP_MISS/200.*browser-pac-login' "$ACCESS")" " alice " "attributed to alice"
rec=$(grep '"/browser-pac-login"' "$RECORD" | tail -n 1)
assert_contains "$rec" '"Via"' "the origin got it through the proxy"
assert_not_contains "$rec" 'proxy-authorization' "the proxy credentials stayed at the gateway"
assert_contains "$(audit_json 1)" '"reason": "wrong_password"' "the wrong password is audited"
# test traffic stays in the test's namespaces: whatever else the browser
# asked the proxy for on its own was refused, never forwarded
assert_eq "" "$(grep -v ' http://origin.test:8081/' "$ACCESS" | grep -v ' TCP_DENIED/407 ')" \
	"nothing but the test origin's pages was forwarded"
