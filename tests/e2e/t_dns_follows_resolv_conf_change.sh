#!/bin/bash
# The nameservers come from resolv.conf, and a change to it (DHCP on the
# uplink rewrites it) takes effect without a restart: while it names a
# nameserver that is not there, a name gets a 502 that says the lookup
# failed; once it names the test's own, the same name is served within a
# few seconds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 2 1 good.portcullis-e2e.test=10.202.0.2 || exit 1
# nothing answers DNS on the gateway's own address: refused at once
gateway_resolv_conf 2 1 10.202.0.1
start_daemon || exit 1

assert_eq 502 "$(pcurl -U alice:secret -o "$DIR/body" -w '%{http_code}' http://good.portcullis-e2e.test/1k 2>/dev/null)" \
	"no nameserver: 502"
assert_contains "$(cat "$DIR/body")" "cannot resolve good.portcullis-e2e.test" "the 502 says the lookup failed"
assert_eq 0 "$(queries_for good.portcullis-e2e.test 1)" "the test's nameserver was not asked yet"

# rewritten in place, as resolvconf and dhclient do
gateway_resolv_conf 2 1
served() { st=$(status_of -U alice:secret http://good.portcullis-e2e.test/1k); [ "$st" = 200 ]; }
wait_until 10 served
assert_eq 200 "$st" "served through the new nameserver within 10 s"
[ "$(queries_for good.portcullis-e2e.test 1)" -ge 1 ] && ok || fail "the new nameserver was asked"
