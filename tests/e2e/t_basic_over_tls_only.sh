#!/bin/bash
# [auth] basic_over_tls_only: the plain listener's 407 offers Digest only
# and Basic sent to it in clear is not taken (even with the right password);
# over the TLS listener Basic is offered and works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlsproxy.sh"
AUTH_EXTRA="basic_over_tls_only = yes"
setup_daemon; add_user alice secret; start_daemon || exit 1

out=$(pcurl -s -D - -o /dev/null http://$ORIGIN/1k)
assert_contains "$out" "407" "plain listener: 407"
assert_contains "$out" 'Proxy-Authenticate: Digest realm="Portcullis"' "plain listener offers Digest"
assert_not_contains "$out" "Proxy-Authenticate: Basic" "plain listener offers no Basic"
assert_eq 407 "$(status_of -U alice:secret http://$ORIGIN/1k)" "Basic in clear refused with the right password"
assert_eq 200 "$(status_of --proxy-digest -U alice:secret http://$ORIGIN/1k)" "Digest over the plain listener"
assert_eq 200 "$(status_of --proxy-anyauth -U alice:secret http://$ORIGIN/1k)" "curl --proxy-anyauth picks Digest"

out=$(tpcurl -s -D - -o /dev/null http://$ORIGIN/1k)
assert_contains "$out" 'Proxy-Authenticate: Basic realm="Portcullis"' "TLS listener offers Basic"
assert_eq 200 "$(tstatus_of -U alice:secret http://$ORIGIN/1k)" "Basic over TLS"
