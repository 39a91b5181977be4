#!/bin/bash
# An Active Directory for the scenarios (sourced after lib.sh): Debian's
# Samba AD DC (samba-tool domain provision) in a namespace of its own,
# joined to the gateway by a veth pair on 10.209.0.0/24, serving LDAPS on
# 10.209.0.2:636 with a certificate from a CA made here.
#
#   ad_up        provision the domain AD.TEST, add the accounts below, start
#                the DC; everything is removed when the scenario finishes
#   ad_conf      the [ldap] section that points the daemon at it, for
#                CONF_EXTRA: users by sAMAccountName, groups by the nested
#                membership rule (LDAP_MATCHING_RULE_IN_CHAIN)
#   ad_tool ARGS...  samba-tool against the domain's database (while the DC
#                runs, through its LDAP server as Administrator)
#
# The domain (DC=ad,DC=test) holds, under CN=Users:
#   alice      password Alice-pw-1   member of wifi, itself a member of
#                                    staff (so staff only through nesting)
#   bob        password Bob-pw-1     no group of ours
#   dave       password Dave-pw-1    disabled (userAccountControl has
#                                    ACCOUNTDISABLE)
#   erin       password Erin-pw-1    for a scenario to lock out: the domain
#                                    locks an account after 3 wrong
#                                    passwords (ad_lock_out erin)
#   portcullis password Svc-pw-1     the service account the daemon searches as
NS_AD=$E2E_NS-a
AD_ADDR=10.209.0.2
AD_BASE=DC=ad,DC=test
AD_SVC_DN=CN=portcullis,CN=Users,$AD_BASE
AD_DIR=""
in_ad() { ip netns exec "$NS_AD" "$@"; }

ad_make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=portcullis-test-ad-ca \
		-keyout "$AD_DIR/tls/ca.key" -out "$AD_DIR/tls/ca.pem" 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -subj /CN=dc1.ad.test \
		-keyout "$AD_DIR/tls/key.pem" -out "$AD_DIR/tls/dc.csr" 2>/dev/null || return 1
	printf 'subjectAltName=DNS:dc1.ad.test,IP:%s\n' "$AD_ADDR" > "$AD_DIR/tls/san.ext"
	openssl x509 -req -in "$AD_DIR/tls/dc.csr" -CA "$AD_DIR/tls/ca.pem" \
		-CAkey "$AD_DIR/tls/ca.key" -CAcreateserial -days 2 -extfile "$AD_DIR/tls/san.ext" \
		-out "$AD_DIR/tls/cert.pem" 2>/dev/null || return 1
	chmod 600 "$AD_DIR/tls/key.pem"
}

# samba-tool on the provisioned database, offline (before the DC starts)
ad_tool_offline() {
	samba-tool "$@" -s "$AD_DIR/dc/etc/smb.conf" -H "$AD_DIR/dc/private/sam.ldb" \
		>> "$AD_DIR/accounts.log" 2>&1
}

ad_tool() {
	in_ad samba-tool "$@" -s "$AD_DIR/dc/etc/smb.conf" -H "ldaps://$AD_ADDR" \
		-U Administrator --password=Adm1n-pw-1
}

ad_up() {
	AD_DIR=$(mktemp -d /tmp/portcullis-ad.XXXXXX)
	on_finish ad_teardown
	mkdir -p "$AD_DIR/tls" "$AD_DIR/log"
	ip -n "$NS_G" link del "$E2E_NS-ga" 2>/dev/null   # a pair an interrupted run left
	ip netns add "$NS_AD" || return 1
	ip -n "$NS_AD" link set lo up
	ip link add "$E2E_NS-ag" netns "$NS_AD" type veth peer name "$E2E_NS-ga" netns "$NS_G"
	ip -n "$NS_G" addr add 10.209.0.1/24 dev "$E2E_NS-ga"
	ip -n "$NS_G" link set "$E2E_NS-ga" up
	ip -n "$NS_AD" addr add "$AD_ADDR/24" dev "$E2E_NS-ag"
	ip -n "$NS_AD" link set "$E2E_NS-ag" up
	ad_make_cert || { fail "ad: cannot make the test CA"; return 1; }
	# only the services a directory needs: LDAP (with the TLS above) and
	# the KDC; no DNS, no file server
	if ! in_ad samba-tool domain provision --targetdir="$AD_DIR/dc" --realm=AD.TEST \
		--domain=ADTEST --server-role=dc --dns-backend=NONE --adminpass=Adm1n-pw-1 \
		--host-name=dc1 --host-ip="$AD_ADDR" \
		--option="interfaces = $AD_ADDR" --option="bind interfaces only = yes" \
		--option="server services = ldap, kdc" --option="log file = $AD_DIR/log/%m.log" \
		--option="tls enabled = yes" --option="tls keyfile = $AD_DIR/tls/key.pem" \
		--option="tls certfile = $AD_DIR/tls/cert.pem" --option="tls cafile = $AD_DIR/tls/ca.pem" \
		> "$AD_DIR/provision.log" 2>&1; then
		fail "ad: samba-tool domain provision"; tail -20 "$AD_DIR/provision.log" | sed 's/^/    /'
		return 1
	fi
	local ok=1
	ad_tool_offline user create alice Alice-pw-1 || ok=0
	ad_tool_offline user create bob Bob-pw-1 || ok=0
	ad_tool_offline user create dave Dave-pw-1 || ok=0
	ad_tool_offline user create erin Erin-pw-1 || ok=0
	ad_tool_offline user create portcullis Svc-pw-1 || ok=0
	ad_tool_offline domain passwordsettings set --account-lockout-threshold=3 \
		--account-lockout-duration=10 --reset-account-lockout-after=10 || ok=0
	ad_tool_offline user disable dave || ok=0
	ad_tool_offline group add staff || ok=0
	ad_tool_offline group add wifi || ok=0
	ad_tool_offline group addmembers wifi alice || ok=0
	ad_tool_offline group addmembers staff wifi || ok=0
	if [ "$ok" = 0 ]; then
		fail "ad: adding the accounts"; sed 's/^/    /' "$AD_DIR/accounts.log"; return 1
	fi
	in_ad samba -s "$AD_DIR/dc/etc/smb.conf" --foreground --no-process-group \
		> "$AD_DIR/log/samba.out" 2>&1 &
	AD_PID=$!
	if ! wait_until 60 ad_listening; then
		fail "ad: the DC did not start"; tail -20 "$AD_DIR/log/samba.out" | sed 's/^/    /'
		return 1
	fi
}

# Lock USER out in the directory itself: three wrong passwords in binds
# from the DC's own namespace, not through the gateway (whose own lockout
# would count them too).
ad_lock_out() { # user
	local i
	for i in 1 2 3; do
		in_ad env LDAPTLS_CACERT="$AD_DIR/tls/ca.pem" ldapwhoami -x -H "ldaps://$AD_ADDR" \
			-D "CN=$1,CN=Users,$AD_BASE" -w "wrong-$i" > /dev/null 2>&1
	done
	in_ad env LDAPTLS_CACERT="$AD_DIR/tls/ca.pem" ldapwhoami -x -H "ldaps://$AD_ADDR" \
		-D "CN=$1,CN=Users,$AD_BASE" -w "wrong-4" 2>&1 | grep -q "data 775"
}

ad_listening() { in_ad ss -Hltn "sport = :636" | grep -qF "$AD_ADDR:636"; }

ad_teardown() {
	if [ -n "${AD_PID:-}" ]; then
		kill "$AD_PID" 2>/dev/null
		wait_until 10 sh -c "! kill -0 $AD_PID 2>/dev/null" || kill -9 "$AD_PID" 2>/dev/null
	fi
	# every process the DC forked lives in its namespace
	local p
	for p in $(ip netns pids "$NS_AD" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip -n "$NS_G" link del "$E2E_NS-ga" 2>/dev/null
	ip netns del "$NS_AD" 2>/dev/null
	[ -n "$AD_DIR" ] && rm -rf "$AD_DIR"
}

ad_conf() {
	printf 'Svc-pw-1\n' > "$AD_DIR/svc.pw"
	chmod 600 "$AD_DIR/svc.pw"
	cat <<CONF
[ldap]
uri = ldaps://$AD_ADDR
ca_file = $AD_DIR/tls/ca.pem
base = CN=Users,$AD_BASE
user_filter = (&(objectClass=user)(sAMAccountName=%s))
bind_dn = $AD_SVC_DN
bind_password_file = $AD_DIR/svc.pw
group_base = $AD_BASE
group_filter = (&(objectClass=group)(member:1.2.840.113556.1.4.1941:=%d))
timeout = 5s
${LDAP_EXTRA:-}
CONF
}
