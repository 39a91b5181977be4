#!/bin/bash
# Admin account names are counted apart from proxy usernames: a LAN client
# that fails proxy logins as "root" past the threshold does not lock the
# administrator "root" out of the panel, and failed admin logins lock the
# admin name, not a proxy user of the same name.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 3\nlockout_window = 60s\nlockout_duration = 60s'
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user root proxy-pw; add_user ops ops-proxy-pw
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
printf 'ops-admin-pw\n' | "$CLI" -d "$DB" admin add ops >/dev/null
start_daemon || exit 1
login() { # name password -> status
	in_gw timeout 10 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$2\"}" $A/api/login
}
# from the client's IPv6 address, so that its IPv4 address stays unlocked
for i in 1 2 3 4; do
	in_client timeout 10 curl -s -o /dev/null -x 'http://[fd00:201::1]:3128' -U "root:wrong$i" http://$ORIGIN/1k
done
assert_eq 429 "$(in_client timeout 10 curl -s -o /dev/null -w '%{http_code}' -x 'http://[fd00:201::1]:3128' \
	-U root:proxy-pw http://$ORIGIN/1k)" "the proxy username root is locked out"
assert_eq 200 "$(login root admin-pw)" "the admin root still logs in to the panel"
for i in 1 2 3; do login ops "wrong$i" >/dev/null; done
assert_eq 429 "$(login ops ops-admin-pw)" "failed admin logins lock the admin name"
assert_eq 200 "$(status_of -U ops:ops-proxy-pw http://$ORIGIN/1k)" "the proxy user of the same name is not locked"
