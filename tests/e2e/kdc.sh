#!/bin/bash
# A Kerberos realm for the scenarios (sourced after lib.sh): Debian's MIT
# KDC (krb5kdc) in a namespace of its own, joined to the CLIENT namespace by
# a veth pair on 10.216.0.0/24 (the client asks it for tickets; the gateway
# never talks to it: it checks tickets with its keytab alone).
#
#   kdc_up          make the realm PORTCULLIS.TEST in a temporary directory
#                   (kdb5_util), start krb5kdc on 10.216.0.2:88, write the
#                   gateway's keytab; everything is removed when the
#                   scenario finishes
#   kdc_conf        the [kerberos] section for CONF_EXTRA
#   kinit_as USER [KINIT ARGS...]   a ticket for USER in the client's own
#                   credential cache $KRB_CC (KINIT ARGS: -l 10s ...)
#   in_krb_client CMD...   CMD in the client namespace with the test's
#                   KRB5_CONFIG and KRB5CCNAME
#   ncurl ARGS...   curl --proxy-negotiate -U : through the proxy, reached by
#                   its principal's host name ($KRB_GW_NAME, pinned to
#                   10.201.0.1 with --resolve: no DNS needed)
#
# Principals: alice (password alice-pw), bob (bob-pw),
# HTTP/gw.portcullis.test (the gateway; its keytab $KRB_KEYTAB) and
# HTTP/other.portcullis.test (another service, whose key the gateway lacks).
NS_K=$E2E_NS-k
KRB_REALM=PORTCULLIS.TEST
KRB_GW_NAME=gw.portcullis.test
KRB_GW_PRINCIPAL=HTTP/$KRB_GW_NAME@$KRB_REALM
KRB_DIR=""
in_kdc() { ip netns exec "$NS_K" env KRB5_CONFIG="$KRB_DIR/krb5.conf" KRB5_KDC_PROFILE="$KRB_DIR/kdc.conf" "$@"; }
in_krb_client() { in_client env KRB5_CONFIG="$KRB_DIR/krb5.conf" KRB5CCNAME="FILE:$KRB_CC" "$@"; }

kdc_teardown() {
	[ -n "$KRB_DIR" ] || return 0
	[ -f "$KRB_DIR/kdc.pid" ] && kill "$(cat "$KRB_DIR/kdc.pid")" 2>/dev/null
	ip -n "$NS_C" link del "$E2E_NS-ck" 2>/dev/null
	ip netns del "$NS_K" 2>/dev/null
	rm -rf "$KRB_DIR"
}

kdc_listening() { in_kdc ss -Hlun "sport = :88" | grep -qF "10.216.0.2:88"; }

kdc_up() {
	KRB_DIR=$(mktemp -d /tmp/portcullis-kdc.XXXXXX)
	KRB_KEYTAB=$KRB_DIR/http.keytab
	KRB_CC=$KRB_DIR/client.ccache
	on_finish kdc_teardown
	ip -n "$NS_C" link del "$E2E_NS-ck" 2>/dev/null   # a pair an interrupted run left
	ip netns add "$NS_K" || return 1
	ip -n "$NS_K" link set lo up
	ip link add "$E2E_NS-kc" netns "$NS_K" type veth peer name "$E2E_NS-ck" netns "$NS_C"
	ip -n "$NS_C" addr add 10.216.0.1/24 dev "$E2E_NS-ck"
	ip -n "$NS_K" addr add 10.216.0.2/24 dev "$E2E_NS-kc"
	ip -n "$NS_C" link set "$E2E_NS-ck" up
	ip -n "$NS_K" link set "$E2E_NS-kc" up
	# host names are taken as written (no DNS canonicalisation, no reverse
	# lookups), as a client configured by the guide does
	cat > "$KRB_DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $KRB_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
[realms]
	$KRB_REALM = {
		kdc = 10.216.0.2:88
	}
[domain_realm]
	.portcullis.test = $KRB_REALM
CONF
	cat > "$KRB_DIR/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 10.216.0.2:88
	kdc_tcp_listen = 10.216.0.2:88
[realms]
	$KRB_REALM = {
		database_name = $KRB_DIR/principal
		key_stash_file = $KRB_DIR/stash
		acl_file = $KRB_DIR/kadm5.acl
		max_life = 10h
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}
[logging]
	kdc = FILE:$KRB_DIR/kdc.log
CONF
	: > "$KRB_DIR/kadm5.acl"
	if ! in_kdc kdb5_util create -s -r "$KRB_REALM" -P kdc-master-pw > "$KRB_DIR/setup.log" 2>&1; then
		fail "kdc: kdb5_util create"; sed 's/^/    /' "$KRB_DIR/setup.log"; return 1
	fi
	local q
	for q in "addprinc -pw alice-pw alice" "addprinc -pw bob-pw bob" \
		"addprinc -randkey HTTP/$KRB_GW_NAME" "addprinc -randkey HTTP/other.portcullis.test" \
		"ktadd -k $KRB_KEYTAB HTTP/$KRB_GW_NAME"; do
		if ! in_kdc kadmin.local -r "$KRB_REALM" -q "$q" >> "$KRB_DIR/setup.log" 2>&1; then
			fail "kdc: kadmin.local $q"; sed 's/^/    /' "$KRB_DIR/setup.log"; return 1
		fi
	done
	in_kdc krb5kdc -n -r "$KRB_REALM" -P "$KRB_DIR/kdc.pid" > "$KRB_DIR/krb5kdc.out" 2>&1 &
	if ! wait_until 10 kdc_listening; then
		fail "kdc: krb5kdc did not start"; sed 's/^/    /' "$KRB_DIR/krb5kdc.out" "$KRB_DIR/kdc.log"
		return 1
	fi
	# the daemon reads the same realm configuration (its default realm)
	export KRB5_CONFIG=$KRB_DIR/krb5.conf
}

kdc_conf() {
	printf '[kerberos]\nkeytab = %s\nprincipal = %s\n' "$KRB_KEYTAB" "$KRB_GW_PRINCIPAL"
}

kinit_as() { # user [kinit args]
	local user=$1
	shift
	printf '%s-pw\n' "$user" | in_krb_client kinit "$@" "$user" > "$KRB_DIR/kinit.log" 2>&1
}

ncurl() {
	in_krb_client timeout 20 curl -sS --max-time 15 --proxy-negotiate -U : \
		-x "http://$KRB_GW_NAME:3128" --resolve "$KRB_GW_NAME:3128:10.201.0.1" "$@"
}
