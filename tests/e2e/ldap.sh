#!/bin/bash
# A directory for the scenarios (sourced after lib.sh): Debian's slapd in a
# namespace of its own, joined to the gateway by a veth pair on
# 10.207.0.0/24, serving LDAPS with a certificate from a CA made here.
#
#   ldap_up [N]     N servers (default 1) of the same directory: server i
#                   listens on ldaps://10.207.0.(1+i):636 and
#                   ldap://10.207.0.(1+i):389 (StartTLS); everything is
#                   removed when the scenario finishes
#   ldap_down I     stop server I (1-based)
#   ldap_conf URIS  the [ldap] section that points the daemon at them, for
#                   CONF_EXTRA (the service account's password file, mode 0600)
#   ldapsearch_as_service ARGS...   ldapsearch against server 1 as the
#                   service account, for what a scenario wants to verify
#
# The directory (dc=example,dc=org) holds:
#   uid=alice  password alice-pw   member of cn=staff (groupOfNames, so
#                                  memberOf), cn=wifi (posixGroup)
#   uid=bob    password bob-pw     member of cn=students (groupOfNames)
#   uid=carol  password carol-pw   locked by the password policy
#                                  (pwdAccountLockedTime)
#   uid=dave   password dave-pw    an Active Directory style entry
#                                  (Active Directory's attributes, extensibleObject) whose userAccountControl
#                                  has the ACCOUNTDISABLE bit
#   cn=portcullis  password svc-pw the service account, which may search
NS_L=$E2E_NS-l
LDAP_BASE=dc=example,dc=org
LDAP_SVC_DN=cn=portcullis,$LDAP_BASE
LDAP_DIR=""
LDAP_N=0
in_ldap() { ip netns exec "$NS_L" "$@"; }
ldap_addr() { echo "10.207.0.$((1 + $1))"; }

ldap_make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=portcullis-test-ca \
		-keyout "$LDAP_DIR/ca.key" -out "$LDAP_DIR/ca.pem" 2>/dev/null || return 1
	local san="DNS:ldap.test" i
	for i in $(seq 1 "$LDAP_N"); do san="$san,IP:$(ldap_addr "$i")"; done
	openssl req -newkey rsa:2048 -nodes -subj /CN=ldap.test \
		-keyout "$LDAP_DIR/server.key" -out "$LDAP_DIR/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\n' "$san" > "$LDAP_DIR/san.ext"
	openssl x509 -req -in "$LDAP_DIR/server.csr" -CA "$LDAP_DIR/ca.pem" \
		-CAkey "$LDAP_DIR/ca.key" -CAcreateserial -days 2 -extfile "$LDAP_DIR/san.ext" \
		-out "$LDAP_DIR/server.pem" 2>/dev/null
}

ldap_write_seed() {
	local pw
	pw() { slappasswd -s "$1"; }
	cat > "$LDAP_DIR/seed.ldif" <<LDIF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: $LDAP_SVC_DN
objectClass: person
cn: portcullis
sn: service
userPassword: $(pw svc-pw)

dn: ou=people,$LDAP_BASE
objectClass: organizationalUnit
ou: people

dn: ou=groups,$LDAP_BASE
objectClass: organizationalUnit
ou: groups

dn: ou=policies,$LDAP_BASE
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$LDAP_BASE
objectClass: person
objectClass: pwdPolicy
cn: default
sn: policy
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 50

dn: uid=alice,ou=people,$LDAP_BASE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice
sn: Liddell
uidNumber: 1001
gidNumber: 1001
homeDirectory: /home/alice
userPassword: $(pw alice-pw)

dn: uid=bob,ou=people,$LDAP_BASE
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: $(pw bob-pw)

dn: uid=carol,ou=people,$LDAP_BASE
objectClass: inetOrgPerson
uid: carol
cn: Carol
sn: Locked
userPassword: $(pw carol-pw)
pwdAccountLockedTime: 000001010000Z

dn: uid=dave,ou=people,$LDAP_BASE
objectClass: inetOrgPerson
objectClass: extensibleObject
uid: dave
cn: Dave
sn: Disabled
sAMAccountName: dave
userAccountControl: 514
userPassword: $(pw dave-pw)
LDIF
	# added to the running server, whose memberof overlay then gives the
	# members their memberOf (slapadd, offline, runs no overlay)
	cat > "$LDAP_DIR/groups.ldif" <<LDIF
dn: cn=staff,ou=groups,$LDAP_BASE
objectClass: groupOfNames
cn: staff
member: uid=alice,ou=people,$LDAP_BASE

dn: cn=students,ou=groups,$LDAP_BASE
objectClass: groupOfNames
cn: students
member: uid=bob,ou=people,$LDAP_BASE

dn: cn=wifi,ou=groups,$LDAP_BASE
objectClass: posixGroup
cn: wifi
gidNumber: 2001
memberUid: alice
LDIF
}

# The two attributes of Active Directory's user schema the source reads,
# with AD's own OIDs (Debian's msuser.schema would bring its memberOf, which
# the memberof overlay defines already)
ldap_write_ad_schema() {
	cat > "$LDAP_DIR/ad.schema" <<'SCHEMA'
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
	EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
	EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
SCHEMA
}

# slapd.conf for server $1 (its own database directory, same data)
ldap_write_slapd_conf() {
	local i=$1 d=$LDAP_DIR/s$1
	mkdir -p "$d/db"
	cat > "$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include $LDAP_DIR/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
pidfile $d/slapd.pid
TLSCACertificateFile $LDAP_DIR/ca.pem
TLSCertificateFile $LDAP_DIR/server.pem
TLSCertificateKeyFile $LDAP_DIR/server.key
database mdb
maxsize 10485760
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
rootpw admin-pw
directory $d/db
overlay memberof
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$LDAP_BASE"
ppolicy_use_lockout
access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by dn.exact="$LDAP_SVC_DN" read
	by self read
	by * none
CONF
}

ldap_up() { # [servers]
	LDAP_N=${1:-1}
	LDAP_DIR=$(mktemp -d /tmp/portcullis-ldap.XXXXXX)
	on_finish ldap_teardown
	ip -n "$NS_G" link del "$E2E_NS-gl" 2>/dev/null   # a pair an interrupted run left
	ip netns add "$NS_L" || return 1
	ip -n "$NS_L" link set lo up
	ip link add "$E2E_NS-lg" netns "$NS_L" type veth peer name "$E2E_NS-gl" netns "$NS_G"
	ip -n "$NS_G" addr add 10.207.0.1/24 dev "$E2E_NS-gl"
	ip -n "$NS_G" link set "$E2E_NS-gl" up
	ip -n "$NS_L" link set "$E2E_NS-lg" up
	local i
	for i in $(seq 1 "$LDAP_N"); do
		ip -n "$NS_L" addr add "$(ldap_addr "$i")/24" dev "$E2E_NS-lg"
	done
	ldap_make_ca || { fail "ldap: cannot make the test CA"; return 1; }
	ldap_write_seed
	ldap_write_ad_schema
	for i in $(seq 1 "$LDAP_N"); do
		ldap_write_slapd_conf "$i"
		# the memberof overlay keeps memberOf as entries are added: load
		# the groups through it, as a directory being filled would
		if ! slapadd -f "$LDAP_DIR/s$i/slapd.conf" -l "$LDAP_DIR/seed.ldif" \
			> "$LDAP_DIR/s$i/slapadd.log" 2>&1; then
			fail "ldap: slapadd"; sed 's/^/    /' "$LDAP_DIR/s$i/slapadd.log"; return 1
		fi
		local a; a=$(ldap_addr "$i")
		in_ldap slapd -f "$LDAP_DIR/s$i/slapd.conf" \
			-h "ldaps://$a:636/ ldap://$a:389/" > "$LDAP_DIR/s$i/slapd.log" 2>&1
	done
	for i in $(seq 1 "$LDAP_N"); do
		if ! wait_until 10 ldap_listening "$i"; then
			fail "ldap: slapd $i did not start"; return 1
		fi
		if ! in_ldap env LDAPTLS_CACERT="$LDAP_DIR/ca.pem" ldapadd -x -H "ldaps://$(ldap_addr "$i")" \
			-D "cn=admin,$LDAP_BASE" -w admin-pw -f "$LDAP_DIR/groups.ldif" \
			> "$LDAP_DIR/s$i/ldapadd.log" 2>&1; then
			fail "ldap: adding the groups"; sed 's/^/    /' "$LDAP_DIR/s$i/ldapadd.log"; return 1
		fi
	done
}

ldap_listening() { in_ldap ss -Hltn "sport = :636" | grep -qF "$(ldap_addr "$1"):636"; }

ldap_down() { # server
	local pidf=$LDAP_DIR/s$1/slapd.pid pid
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	kill "$pid" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null"
}

ldap_teardown() {
	local i
	for i in $(seq 1 "$LDAP_N"); do ldap_down "$i"; done
	# the gateway's end first: a namespace goes away in the background,
	# and the next scenario's pair of the same name met "File exists"
	ip -n "$NS_G" link del "$E2E_NS-gl" 2>/dev/null
	ip netns del "$NS_L" 2>/dev/null
	[ -n "$LDAP_DIR" ] && rm -rf "$LDAP_DIR"
}

# The [ldap] section for CONF_EXTRA: uri as given (default: every server
# over LDAPS, in order), the test CA, the service account.
ldap_conf() { # [uris]
	local uris=${1:-} i
	if [ -z "$uris" ]; then
		for i in $(seq 1 "$LDAP_N"); do uris="$uris${uris:+, }ldaps://$(ldap_addr "$i")"; done
	fi
	printf 'svc-pw\n' > "$LDAP_DIR/svc.pw"
	chmod 600 "$LDAP_DIR/svc.pw"
	cat <<CONF
[ldap]
uri = $uris
ca_file = $LDAP_DIR/ca.pem
base = ou=people,$LDAP_BASE
user_filter = (&(objectClass=inetOrgPerson)(uid=%s))
bind_dn = $LDAP_SVC_DN
bind_password_file = $LDAP_DIR/svc.pw
timeout = 2s
${LDAP_EXTRA:-}
CONF
}

ldapsearch_as_service() {
	in_ldap env LDAPTLS_CACERT="$LDAP_DIR/ca.pem" ldapsearch -LLL -x \
		-H "ldaps://$(ldap_addr 1)" -D "$LDAP_SVC_DN" -w svc-pw -b "$LDAP_BASE" "$@"
}
