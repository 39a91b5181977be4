#!/bin/bash
# Intercept mode, point 7: the daemon's table has the documented shape
# (read from `nft -j list ruleset`), SIGTERM replaces it by the closed one
# (no redirect, no session sets), a table left by a crash is replaced at
# the next start, and nothing else in the gateway's ruleset is touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

# someone else's table, which must survive everything below
in_gw nft -f - <<'NFT'
table inet siteadmin {
	chain input { type filter hook input priority 10; policy accept; tcp dport 9999 counter accept; }
}
NFT
in_gw nft list table inet siteadmin >/dev/null 2>&1 || fail "foreign table created"
# (the gateway namespace, and this table with it, is removed by run.sh even
# if the scenario dies half way)

intercept_conf
setup_daemon
start_daemon || exit 1
shape=$(in_gw nft -j list ruleset | python3 -c '
import json, sys
rs = json.load(sys.stdin)["nftables"]
mine = lambda o: o.get("family") == "inet" and o.get("table") == "portcullis"
out = []
for item in rs:
    (kind, o), = item.items()
    if kind == "table" and o["family"] == "inet" and o["name"] == "portcullis":
        out.append("table")
    elif kind == "set" and mine(o):
        t = o["type"] if isinstance(o["type"], str) else ".".join(o["type"])
        out.append("set %s %s %s" % (o["name"], t, ",".join(o.get("flags", []))))
    elif kind == "chain" and mine(o):
        out.append("chain %s %s %s" % (o["name"], o.get("type"), o.get("hook")))
    elif kind == "rule" and mine(o):
        ex = json.dumps(o["expr"])
        for word in ("redirect", "reject", "update", "@wl4", "@wl6", "@sess4", "@sess6", "@sessaddr4",
                     "@sessaddr6", "established", "direction", "mark"):
            if word in ex:
                out.append("rule %s %s" % (o["chain"], word))
print("\n".join(out))
')
for want in "table" "set wl4 ipv4_addr interval" "set wl6 ipv6_addr interval" \
	    "set sess4 ipv4_addr.ether_addr" "set sess6 ipv6_addr.ether_addr" \
	    "chain prerouting nat prerouting" "chain forward filter forward" \
	    "rule prerouting redirect" "rule forward reject" \
	    "rule forward update" "rule forward established" "rule forward @sess6" \
	    "set sessaddr4 ipv4_addr" "set sessaddr6 ipv6_addr" "chain to_lan None None" \
	    "rule forward direction" "rule to_lan established" "rule to_lan @wl6" \
	    "rule to_lan @sessaddr4" "rule to_lan @sessaddr6" "rule to_lan reject"; do
	assert_contains "$shape" "$want" "table shape: $want"
done
# no rule lets a packet pass on its mark: any other rule could set the same
assert_not_contains "$shape" " mark" "no rule matches a packet mark"
assert_contains "$(in_gw nft list set inet portcullis sess4)" "timeout" "session set has timeouts"
assert_contains "$(in_gw nft list chain inet portcullis forward)" "reject with icmpx admin-prohibited" "forward rejects with admin-prohibited"
# from the LAN, established flows pass only in the direction the LAN host opened them
assert_contains "$(in_gw nft list chain inet portcullis forward)" "ct state established,related ct direction original accept" "forward: LAN's own flows only"
assert_contains "$(in_gw nft list chain inet portcullis forward)" "goto to_lan" "forward: traffic towards the LAN goes to to_lan"

# SIGTERM leaves ours closed, and touches nothing else
stop_daemon
table_closed && ok || fail "SIGTERM leaves the closed table inet portcullis"
in_gw nft list table inet siteadmin >/dev/null 2>&1 && ok || fail "foreign table removed"

# a crash leaves the table; the next start replaces it (one table, fresh sets)
start_daemon || exit 1
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
table_running && ok || fail "table still there after a crash (expected)"
# (changed while the daemon is dead: a running daemon would put it back)
in_gw nft add element inet portcullis wl4 '{ 192.0.2.0/24 }'
assert_contains "$(in_gw nft list set inet portcullis wl4)" "192.0.2.0" "leftover table changed"
start_daemon || exit 1
n=$(in_gw nft -j list tables | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin)["nftables"] if i.get("table",{}).get("name")=="portcullis"))')
assert_eq 1 "$n" "one table after restart"
assert_not_contains "$(in_gw nft list set inet portcullis wl4)" "192.0.2.0" "leftover table replaced, not reused"
assert_contains "$(in_gw nft list table inet siteadmin)" "dport 9999" "foreign rules untouched"
stop_daemon
table_closed && ok || fail "closed table after the second SIGTERM"
in_gw nft delete table inet siteadmin
