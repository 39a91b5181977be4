#!/bin/bash
# Digest (SHA-256 and MD5 offered) with curl --proxy-digest, and
# --proxy-anyauth (probe without credentials, then the strongest scheme).
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice 'Circle of Life'; start_daemon || exit 1
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" "digest"
assert_eq 200 "$(status_of --proxy-anyauth -U 'alice:Circle of Life' http://$ORIGIN/1k)" "anyauth"
assert_eq 407 "$(status_of --proxy-digest -U 'alice:wrong' http://$ORIGIN/1k)" "digest wrong password"
# many requests on one connection: nonce counts go up and are all accepted
out=$(pcurl --proxy-digest -U 'alice:Circle of Life' -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} ' http://$ORIGIN/1k http://$ORIGIN/1k http://$ORIGIN/1k)
assert_eq "200 200 200 " "$out" "three digest requests on one connection"
