#!/bin/bash
# Eight names whose lookups never complete are in flight at once (twice as
# many as the old resolver had threads); a name the nameserver answers
# still resolves at once and its page is served, and a stalled one gets
# its 504 at the connect timeout (3 s here), saying why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 10 1 good.portcullis-e2e.test=10.202.0.2 || exit 1
start_daemon || exit 1

# the password check is cached after this: the timings below are the lookups'
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "a first request"
stall_lookups 8 pcurl -U alice:secret
assert_eq 8 "$(stalled_queries)" "eight stalled lookups in flight"

out=$(pcurl -U alice:secret -o "$DIR/good" -w '%{http_code} %{time_total}' \
	http://good.portcullis-e2e.test/1k 2>/dev/null)
assert_eq 200 "${out%% *}" "a name that answers is served while eight lookups stall"
secs=${out#* }
echo "  answered in ${secs}s with eight lookups stalled"
[ "${secs%%.*}" -lt 1 ] && ok || fail "the good name took ${secs}s: it waited behind the stalled ones"
cmp -s "$DIR/good" "$E2E_WWW/1k" && ok || fail "the page is the origin's"

wait $STALLED
for i in 1 2 3 4 5 6 7 8; do
	assert_eq 504 "$(stalled_status $i)" "stalled lookup $i answered 504"
done
secs=$(cut -d' ' -f2 "$DIR/stalled1.out")
[ "${secs%%.*}" -ge 2 ] && [ "${secs%%.*}" -le 4 ] && ok || fail "504 after ${secs}s, connect_timeout is 3 s"
