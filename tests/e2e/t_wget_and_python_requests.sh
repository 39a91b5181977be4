#!/bin/bash
# wget with proxy credentials; Python requests with percent-encoded
# credentials in the proxy URL.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user 'us@er' 'p:ss'; add_user carol 'w g3t'; start_daemon || exit 1
in_client env http_proxy=$PROXY timeout 20 wget -q -O "$DIR/w" --proxy-user=carol --proxy-password='w g3t' http://$ORIGIN/1k
assert_eq "" "$(cmp "$DIR/w" "$E2E_WWW/1k" 2>&1)" "wget download"
code=$(in_client timeout 20 python3 -c "
import requests
r = requests.get('http://$ORIGIN/1k', proxies={'http': 'http://us%40er:p%3Ass@10.201.0.1:3128'}, timeout=10)
print(r.status_code, len(r.content))")
assert_eq "200 1024" "$code" "python requests with percent-encoded credentials"
