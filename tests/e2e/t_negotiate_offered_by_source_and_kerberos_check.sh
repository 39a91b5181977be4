#!/bin/bash
# [auth] schemes_by_source: the client's IPv4 range is offered Negotiate and
# Basic, its IPv6 range (falling to [auth] schemes) Digest and Basic; a
# Negotiate token from the range it is not offered to is refused. And
# `portcullis kerberos check` lists the keytab's principals and enctypes,
# says the daemon can use it, and fails for a principal the keytab lacks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kdc.sh"
kdc_up || exit 1
AUTH_EXTRA="schemes = digest,basic
schemes_by_source = 10.201.0.0/24:negotiate,basic"
CONF_EXTRA=$(kdc_conf)
setup_daemon
add_user erin erin-pw
start_daemon || exit 1

v4=$(pcurl -s -o /dev/null -D - http://$ORIGIN/1k | grep -i '^Proxy-Authenticate:' | tr -d '\r')
assert_eq "Proxy-Authenticate: Negotiate" "$(printf '%s\n' "$v4" | head -n 1)" "IPv4 range: Negotiate first"
assert_contains "$v4" "Basic realm=" "IPv4 range: Basic too"
assert_not_contains "$v4" "Digest" "IPv4 range: no Digest"
v6=$(in_client timeout 20 curl -sS --max-time 15 -x "http://[fd00:201::1]:3128" -o /dev/null -D - \
	http://$ORIGIN/1k | grep -i '^Proxy-Authenticate:' | tr -d '\r')
assert_contains "$v6" "Digest realm=" "IPv6 range: Digest"
assert_contains "$v6" "Basic realm=" "IPv6 range: Basic"
assert_not_contains "$v6" "Negotiate" "IPv6 range: no Negotiate"

kinit_as alice || { fail "kinit alice"; cat "$KRB_DIR/kinit.log"; }
assert_eq 200 "$(ncurl -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "Negotiate from the IPv4 range"
code=$(in_krb_client timeout 20 curl -sS --max-time 15 --proxy-negotiate -U : \
	-x "http://$KRB_GW_NAME:3128" --resolve "$KRB_GW_NAME:3128:[fd00:201::1]" \
	-o /dev/null -w '%{http_code}' http://$ORIGIN/1k)
assert_eq 407 "$code" "Negotiate from the IPv6 range, where it is not offered"
assert_eq 200 "$(in_client timeout 20 curl -sS --max-time 15 -x "http://[fd00:201::1]:3128" --proxy-digest \
	-U erin:erin-pw -o /dev/null -w '%{http_code}' http://$ORIGIN/1k)" "Digest from the IPv6 range"

# the check looks the principal's name up: a hosts file for the gateway
# namespace (which `ip netns exec` mounts over /etc/hosts) answers it, so
# that no query leaves the test's namespaces
netns_dir=/etc/netns/$NS_G
[ -d /etc/netns ] && had_netns=1 || had_netns=0
mkdir -p "$netns_dir"
printf '127.0.0.1 localhost\n10.201.0.1 %s\n' "$KRB_GW_NAME" > "$netns_dir/hosts"
on_finish "rm -f '$netns_dir/hosts'; rmdir '$netns_dir' 2>/dev/null; [ $had_netns = 1 ] || rmdir /etc/netns 2>/dev/null"
out=$(in_gw "$CLI" -c "$DIR/portcullis.conf" kerberos check 2>&1)
rc=$?
assert_eq 0 "$rc" "kerberos check: exit 0"
assert_contains "$out" "HTTP/$KRB_GW_NAME@$KRB_REALM" "kerberos check lists the principal"
assert_contains "$out" "aes256-cts-hmac-sha1-96" "kerberos check lists the enctype"
assert_contains "$out" "$KRB_GW_NAME resolves to 10.201.0.1" "kerberos check looks the name up"
assert_contains "$out" "the daemon can accept tickets for it" "kerberos check: usable"
assert_contains "$out" "network.negotiate-auth.trusted-uris = $KRB_GW_NAME" "kerberos check: what Firefox needs"
assert_contains "$out" "AuthServerAllowlist = $KRB_GW_NAME" "kerberos check: what Chromium needs"

sed "s|^principal = .*|principal = HTTP/nope.portcullis.test@$KRB_REALM|" "$DIR/portcullis.conf" > "$DIR/other.conf"
out=$(in_gw "$CLI" -c "$DIR/other.conf" kerberos check 2>&1)
rc=$?
assert_eq 1 "$rc" "kerberos check: exit 1 for a principal the keytab lacks"
assert_contains "$out" "HTTP/nope.portcullis.test@$KRB_REALM is NOT in the keytab" "kerberos check says which"
