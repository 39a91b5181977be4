#!/bin/bash
# WPAD and the PAC file as the deployment guide sets them up for explicit
# mode: the portal listener on the gateway's LAN address port 8000 (DHCP
# option 252 names http://GW:8000/wpad.dat) and the guide's nftables rule
# that sends the LAN's port 80 on that address to it, for browsers that
# look up http://wpad.lan/wpad.dat. A browser's view of the file: the LAN's
# own prefix goes direct, any other private range (a server beyond the
# gateway) through the proxy; [portal] pac_direct replaces the LAN default.
. "$(dirname "$0")/lib.sh"
LAN_IF=$E2E_NS-gc

# the guide's rule, with the test's interface and address
in_gw nft -f - <<NFT
table ip wpad {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		iifname "$LAN_IF" ip daddr 10.201.0.1 tcp dport 80 redirect to :8000
	}
}
NFT
on_finish 'in_gw nft delete table ip wpad 2>/dev/null'

CONF_EXTRA="[portal]
listen = 10.201.0.1:8000"
setup_daemon
add_user alice 'pw'
start_daemon || exit 1
ccurl() { in_client timeout 20 curl -sS --max-time 10 "$@"; }
pac_eval() { node "$REPO/tests/e2e/pac_eval.js" "$@"; }

# DHCP option 252's URL
hdr=$(ccurl -D - -o "$DIR/wpad.dat" http://10.201.0.1:8000/wpad.dat)
assert_contains "$hdr" "HTTP/1.1 200" "option 252's http://GW:8000/wpad.dat is served"
assert_contains "$hdr" "Content-Type: application/x-ns-proxy-autoconfig" "as a PAC file"
assert_contains "$(cat "$DIR/wpad.dat")" 'return "PROXY 10.201.0.1:3128";' "naming the explicit proxy"
# WPAD by DNS: the browser asks wpad.lan (the gateway) on port 80
hdr=$(ccurl -D - -o "$DIR/wpad-dns.dat" --resolve wpad.lan:80:10.201.0.1 http://wpad.lan/wpad.dat)
assert_contains "$hdr" "HTTP/1.1 200" "http://wpad.lan/wpad.dat (port 80) is served"
assert_eq "$(cat "$DIR/wpad.dat")" "$(cat "$DIR/wpad-dns.dat")" "the same file both ways"
assert_eq "$(cat "$DIR/wpad.dat")" "$(ccurl http://10.201.0.1:8000/proxy.pac)" "/proxy.pac is the same file"

# what a browser does with it
got=$(pac_eval 10.201.0.7 10.202.0.2 192.168.1.5 172.16.0.1 127.0.0.1 169.254.169.254 intranet < "$DIR/wpad.dat")
assert_contains "$got" "10.201.0.7 DIRECT" "the LAN's own prefix (10.201.0.0/24) goes direct"
assert_contains "$got" "10.202.0.2 PROXY 10.201.0.1:3128" "a private address beyond the gateway goes through the proxy"
assert_contains "$got" "192.168.1.5 PROXY 10.201.0.1:3128" "192.168.0.0/16 is not hard-coded direct"
assert_contains "$got" "172.16.0.1 PROXY 10.201.0.1:3128" "172.16.0.0/12 is not hard-coded direct"
assert_contains "$got" "127.0.0.1 DIRECT" "loopback direct"
assert_contains "$got" "169.254.169.254 DIRECT" "link-local direct"
assert_contains "$got" "intranet DIRECT" "plain host names direct"
assert_contains "$(cat "$DLOG")" "/proxy.pac sends 10.201.0.0/24 direct" "the daemon says which ranges go direct"
# and the proxy the PAC names carries the request beyond the gateway
assert_eq 200 "$(status_of -U alice:pw http://10.202.0.2/1k)" "through the proxy to 10.202.0.2"

# [portal] pac_direct instead of the LAN default
stop_daemon
printf '[portal]\npac_direct = 10.202.0.0/24, 198.51.100.0/24\n' >> "$DIR/portcullis.conf"
in_gw "$DAEMON" -t -c "$DIR/portcullis.conf" >/dev/null || fail "-t accepts pac_direct"
start_daemon || exit 1
got=$(ccurl http://10.201.0.1:8000/proxy.pac | pac_eval 10.201.0.7 10.202.0.2 198.51.100.9 192.168.1.5)
assert_contains "$got" "10.202.0.2 DIRECT" "a configured range goes direct"
assert_contains "$got" "198.51.100.9 DIRECT" "each configured range"
assert_contains "$got" "10.201.0.7 PROXY 10.201.0.1:3128" "the LAN default is replaced"
assert_contains "$got" "192.168.1.5 PROXY 10.201.0.1:3128" "nothing else direct"
printf '[portal]\npac_direct = 10.202.0.0/33\n' > "$DIR/bad.conf"
assert_contains "$(in_gw "$DAEMON" -t -c "$DIR/bad.conf" 2>&1)" "portal.pac_direct: expected address/prefix ranges" "a bad range is refused by name"
