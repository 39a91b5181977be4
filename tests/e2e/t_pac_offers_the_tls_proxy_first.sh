#!/bin/bash
# With the proxy's TLS listener on, /proxy.pac and /wpad.dat send browsers
# to "HTTPS gw:port" first, with the plain proxy after it for a browser that
# cannot speak TLS to a proxy; and the TLS proxy they name answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlsproxy.sh"
CONF_EXTRA="[portal]
listen = 10.201.0.1:8000"
setup_daemon; add_user alice secret; start_daemon || exit 1
wait_until 30 listening in_gw 10.201.0.1:8000
for f in proxy.pac wpad.dat; do
	pac=$(in_client timeout 10 curl -s http://10.201.0.1:8000/$f)
	assert_contains "$pac" "return \"HTTPS 10.201.0.1:$TLS_PORT; PROXY 10.201.0.1:3128\";" "/$f: HTTPS first, then PROXY"
done
assert_eq 200 "$(tstatus_of -U alice:secret http://$ORIGIN/1k)" "the HTTPS proxy the PAC names"
