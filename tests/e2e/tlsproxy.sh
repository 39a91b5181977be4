#!/bin/bash
# The proxy's TLS listener for the scenarios that use it (source after
# lib.sh, before setup_daemon): [proxy] tls_listen on 10.201.0.1:3443 with
# the self-signed pair the daemon makes at its first start, next to the
# database ($DIR/proxy-tls.crt, which is then the CA a client trusts).
TLS_PORT=3443
TPROXY=https://10.201.0.1:$TLS_PORT
PROXY_EXTRA="tls_listen = 10.201.0.1:$TLS_PORT
${PROXY_EXTRA:-}"

# curl from the client through the TLS listener
tpcurl() { in_client timeout 20 curl -sS --max-time 15 --proxy "$TPROXY" --proxy-cacert "$DIR/proxy-tls.crt" "$@"; }
tstatus_of() { tpcurl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }

# A capture of the client's link, as the gateway sees it (every packet
# between the client and the proxy's ports), into $DIR/client-link.pcap.
CAPTURE_PID=""
start_capture() {
	rm -f "$DIR/capture.err"
	ip netns exec "$NS_G" tcpdump -i "$E2E_NS-gc" --immediate-mode -U -s 0 -w "$DIR/client-link.pcap" \
		"tcp port 3128 or tcp port $TLS_PORT" 2> "$DIR/capture.err" &
	CAPTURE_PID=$!
	on_finish "kill $CAPTURE_PID 2>/dev/null"
	wait_until 10 log_has "listening on" "$DIR/capture.err" || fail "tcpdump did not start: $(cat "$DIR/capture.err")"
}
stop_capture() {
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait_until 10 gone "$CAPTURE_PID"
	wait "$CAPTURE_PID" 2>/dev/null
}
# 0 if the bytes (a fixed string) appear anywhere in the capture
captured() { grep -qaF -- "$1" "$DIR/client-link.pcap"; }
