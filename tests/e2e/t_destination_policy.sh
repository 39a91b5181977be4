#!/bin/bash
# Destinations the proxy must not reach: 403 even with valid credentials;
# an unreachable origin: 502 with the reason.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
for url in http://127.0.0.1/ http://169.254.169.254/latest/meta-data/ 'http://[::1]/' http://10.201.0.1:3128/ http://0.0.0.0/; do
	assert_eq 403 "$(status_of -U alice:secret "$url")" "403 for $url"
done
body=$(pcurl -U alice:secret http://$ORIGIN:9/)
assert_contains "$body" "cannot connect to $ORIGIN port 9" "502 names the reason"
assert_eq 502 "$(status_of -U alice:secret http://$ORIGIN:9/)" "502 status"
