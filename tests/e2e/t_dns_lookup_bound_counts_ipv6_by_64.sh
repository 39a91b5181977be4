#!/bin/bash
# The per-client bound on name lookups in flight counts an IPv6 client by
# its /64: a host on a SLAAC LAN owns the whole /64 and could take a new
# address for every lookup. With max_lookups_per_client = 4, four stalled
# lookups from four addresses of the client's /64 leave a fifth address of
# the same /64 a 503 at once (saying why), while a client outside that /64
# still resolves a name at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
PROXY_EXTRA="max_lookups_per_client = 4"
PROXY6=http://[fd00:201::1]:3128
setup_daemon; add_user alice secret
start_nameserver 4 1 good.portcullis-e2e.test=10.202.0.2 || exit 1
CG=$E2E_NS-cg
on_finish 'for i in 10 11 12 13 14; do in_client ip addr del fd00:201::$i/64 dev "$CG" 2>/dev/null; done'
for i in 10 11 12 13 14; do in_client ip addr add fd00:201::$i/64 dev "$CG" nodad; done
start_daemon || exit 1
# p6 ADDRESS CURL_ARGS...: through the proxy's IPv6 listener from ADDRESS
p6() { local a=$1; shift; in_client timeout 20 curl -sS --max-time 15 --interface "$a" -x "$PROXY6" -U alice:secret "$@"; }
# the password check is cached after this: the timings below are the lookups'
assert_eq 200 "$(p6 fd00:201::10 -o /dev/null -w '%{http_code}' http://$ORIGIN/1k 2>/dev/null)" "a first request"

# stalled lookup I (1 to 4) from fd00:201::10 to fd00:201::13
from_64() { p6 fd00:201::1$((STALL_I - 1)) "$@"; }
stall_lookups 4 from_64
assert_eq 4 "$(stalled_queries)" "four stalled lookups from four addresses of one /64 in flight"

out=$(p6 fd00:201::14 -o "$DIR/refused" -w '%{http_code} %{time_total}' http://stall14.portcullis-e2e.test/ 2>/dev/null)
assert_eq 503 "${out%% *}" "a fifth lookup from another address of the same /64 is refused"
secs=${out#* }
[ "${secs%%.*}" -lt 1 ] && ok || fail "the refusal took ${secs}s"
assert_contains "$(cat "$DIR/refused")" "too many name lookups in progress from this address (its /64 for IPv6)" "the 503 says why"
assert_eq 0 "$(queries_for stall14.portcullis-e2e.test 1)" "the refused name was not looked up"

# a client outside that /64 (the client's IPv4 address) resolves meanwhile
out=$(pcurl -U alice:secret -o /dev/null -w '%{http_code} %{time_total}' http://good.portcullis-e2e.test/1k 2>/dev/null)
assert_eq 200 "${out%% *}" "a client outside the /64 resolves a name meanwhile"
wait $STALLED
