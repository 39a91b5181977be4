#!/bin/bash
# Single sign-on in a browser: headless Chromium in the client namespace with
# alice's Kerberos ticket cache (KRB5CCNAME) and the proxy's name allowed for
# Negotiate reaches a page through the proxy with no credentials typed; the
# gateway's access log names alice and the origin never sees the token.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/kdc.sh"
kdc_up || exit 1
AUTH_EXTRA="schemes = negotiate,basic"
CONF_EXTRA=$(kdc_conf)
setup_daemon
start_daemon || exit 1
kinit_as alice || { fail "kinit alice"; cat "$KRB_DIR/kinit.log"; }
# the browser finds the proxy by its principal's name: a hosts file for the
# client namespace, which `ip netns exec` mounts over /etc/hosts for the
# browser (and which the browser must not resolve to its address in the
# request for a ticket)
netns_dir=/etc/netns/$NS_C
[ -d /etc/netns ] && had_netns=1 || had_netns=0
mkdir -p "$netns_dir"
printf '127.0.0.1 localhost\n10.201.0.1 %s\n' "$KRB_GW_NAME" > "$netns_dir/hosts"
on_finish "rm -f '$netns_dir/hosts'; rmdir '$netns_dir'; [ $had_netns = 1 ] || rmdir /etc/netns 2>/dev/null"

out=$(cd "$REPO/tests/browser" && PROXY_NAME=$KRB_GW_NAME \
	PAGE_URL=http://$ORIGIN:8081/browser-negotiate WARM_URL=http://$ORIGIN:8081/warm HOME=$DIR \
	KRB5_CONFIG="$KRB_DIR/krb5.conf" KRB5CCNAME="FILE:$KRB_CC" \
	timeout 120 ip netns exec "$NS_C" node negotiate_proxy.js 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
assert_contains "$(grep browser-negotiate "$ACCESS")" "10.201.0.2 TCP_DENIED/407" "the browser met the gateway's 407"
assert_contains "$(grep 'TCP_MISS/200.*browser-negotiate' "$ACCESS")" " alice " "attributed to alice"
rec=$(grep '"/browser-negotiate"' "$RECORD" | tail -n 1)
assert_contains "$rec" '"Via"' "the origin got it through the proxy"
assert_not_contains "$rec" 'proxy-authorization' "the token stayed at the gateway"
in_krb_client klist > "$DIR/klist.txt" 2>&1
assert_contains "$(cat "$DIR/klist.txt")" "HTTP/$KRB_GW_NAME@$KRB_REALM" "the browser asked the KDC for the gateway's ticket"
