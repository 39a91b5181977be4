#!/bin/bash
# Large transfers both ways through CONNECT tunnels arrive intact (the
# tunnel relays with splice once its buffers are empty), and the access
# log counts every byte sent to the client.
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="connect_ports = 443, 80, 8081" setup_daemon; add_user alice secret; start_daemon || exit 1
pcurl -p -U alice:secret -o "$DIR/1m" http://$ORIGIN/1m
assert_eq "" "$(cmp "$DIR/1m" "$E2E_WWW/1m" 2>&1)" "1 MiB through a CONNECT tunnel intact"
pcurl -k -p -U alice:secret -o "$DIR/1m-tls" https://$ORIGIN/1m
assert_eq "" "$(cmp "$DIR/1m-tls" "$E2E_WWW/1m" 2>&1)" "1 MiB of TLS through a CONNECT tunnel intact"
head -c 3000000 /dev/urandom > "$DIR/up"
out=$(pcurl -p -U alice:secret --data-binary @"$DIR/up" http://$ORIGIN:8081/upload)
assert_eq '{"body_len": 3000000}' "$out" "3 MB upload through a CONNECT tunnel"
# field 5 of Squid's format is the bytes sent to the client: the whole 1 MiB
# body, its response head and the 200 Connection established
tunnel_bytes() { awk '$4 == "TCP_TUNNEL/200" && $7 == "'"$ORIGIN"':80" { print $5; exit }' "$ACCESS"; }
tunnel_logged() { [ -n "$(tunnel_bytes)" ]; }
wait_until 10 tunnel_logged
bytes=$(tunnel_bytes)
if [ -n "$bytes" ] && [ "$bytes" -gt 1048576 ]; then ok; else fail "tunnel bytes in the access log: '$bytes'"; fi
