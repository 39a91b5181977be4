#!/bin/bash
# The audit bound per source holds when the table of runs is full. 600
# IPv6 clients (each in a /64 of its own) fail 11 times each (10 rows and
# one folded row), which fills every run slot for a minute; then 300 failures under 300
# names from one fresh IPv4 address still make at most 10 named rows and a
# folded one: the failures that find no run to fold into get no row and
# are counted in portcullis_audit_unrecorded_total (each is still logged).
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA="lockout_threshold = 0"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret; start_daemon || exit 1
dev=$(in_client ip -o -6 addr show | awk '/fd00:201::2/ {print $2; exit}')
# an IPv6 client counts once for its /64: 600 sources need 600 prefixes,
# which the gateway reaches on its LAN link
# (all taken away again at the end: the namespaces outlive the scenario,
# and later scenarios' IPv6 traffic would leave from these addresses)
v6_addrs() { # add|del
	for a in $(seq 0 599); do echo "addr $1 fd00:201:0:$(printf %x $((0x1000 + a)))::2/64 dev $dev nodad"; done |
		in_client ip -6 -force -batch - 2>/dev/null
}
gwdev=$(in_gw ip -o -6 addr show | awk '/fd00:201::1/ {print $2; exit}')
on_finish 'v6_addrs del; in_gw ip -6 route del fd00:201::/48 dev "$gwdev" 2>/dev/null; in_client ip addr del 10.201.0.77/24 dev "$dev" 2>/dev/null'
v6_addrs add
in_gw ip -6 route add fd00:201::/48 dev "$gwdev"
in_client ip addr add 10.201.0.77/24 dev "$dev"

metric() { in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics | awk -v n="$1" '$1 == n {print $2}'; }
rows() { "$CLI" -d "$DB" audit --json --limit 100000 |
	python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), sum(x["count"] for x in r))'; }
# every failure so far is in a row's count or unrecorded
settled() { # failures
	local r u
	r=$(rows); u=$(metric portcullis_audit_unrecorded_total)
	[ $(( ${r#* } + ${u:-0} )) -eq "$1" ]
}

out=$(in_client timeout 300 python3 "$REPO/tests/e2e/audit_fill.py" fd00:201::1 600 11 "fd00:201:0:%x::2" $ORIGIN)
assert_eq "sent 6600" "$out" "6600 failures from 600 addresses"
wait_until 30 settled 6600 || fail "the v6 failures are not all accounted for: $(rows) unrecorded=$(metric portcullis_audit_unrecorded_total)"
unrec=$(metric portcullis_audit_unrecorded_total)
[ "${unrec:-0}" -gt 0 ] && ok || fail "the v6 fill left some failures unrecorded (the run table was full)"
before=$(rows)
echo "    rows/failures after the v6 fill: $before, unrecorded $(metric portcullis_audit_unrecorded_total)"

out=$(in_client timeout 120 python3 "$REPO/tests/e2e/audit_fill.py" 10.201.0.1 1 300 "10.201.0.%d" $ORIGIN)
assert_eq "sent 300" "$out" "300 failures from one IPv4 address"
wait_until 30 settled 6900 || fail "the v4 failures are not all accounted for: $(rows) unrecorded=$(metric portcullis_audit_unrecorded_total)"
after=$(rows)
echo "    rows/failures after 300 more from one v4 address: $after"
b=${before%% *}; a=${after%% *}
[ $((a - b)) -ge 1 ] && [ $((a - b)) -le 11 ] && ok ||
	fail "300 failures from one v4 address made $((a - b)) rows once the run table was full (at most 11)"
v4named=$("$CLI" -d "$DB" audit --json --limit 100000 |
	python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["client_addr"] == "10.201.0.77" and r["username"]))')
[ "$v4named" -ge 1 ] && [ "$v4named" -le 10 ] && ok || fail "named rows from the v4 address: $v4named (1..10)"
assert_eq 300 "$(grep -c 'auth failure: client=10.201.0.77 user="a0u[0-9]*" reason=malformed' "$DLOG")" \
	"one fail2ban line per failure"
