#!/bin/bash
# Intercept mode: the kernel counts each session's bytes (nft per-element
# counters). A logged-in client downloads 3 MiB forwarded (port 8080, past
# the daemon) and 1 MiB through the daemon (port 80, intercepted): what
# `portcullis session list --json` shows as bytes_out covers both bodies
# and exceeds them by no more than the packets' IP/TCP headers and the
# HTTP headers (margin: 5 % + 64 KiB; the headers are about 3.5 % at a
# 1448-byte segment); bytes_in (its requests and acks) stays below 5 % of
# it. The counts survive a reload (SIGHUP) and the table being put back
# after another process deleted it; a stop writes them to the row, and
# after a start they carry on from there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/counts-3m
head -c 3145728 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"
MIB=1048576

ADMIN_LISTEN=127.0.0.1:8080
intercept_conf
setup_daemon
add_user carol 'pw'
start_daemon || exit 1
assert_eq 303 "$(portal_login carol pw)" "login"

# a field of the client's session row, as the CLI lists it
count() { "$CLI" -d "$DB" session list --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["addr"] == "10.201.0.2":
        print(r[sys.argv[1]])' "$1"; }

size=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/counts-3m)
assert_eq 3145728 "$size" "3 MiB downloaded, forwarded"
size=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2/1m)
assert_eq $MIB "$size" "1 MiB downloaded through the daemon"
body=$((4 * MIB))
# the rows get the counts within COUNTS_SAVE_S (10 s) of a change
wait_until 30 eval '[ "$(count bytes_out)" -ge '$body' ]' || fail "bytes_out reached $body: $(count bytes_out)"
out=$(count bytes_out)
in=$(count bytes_in)
[ "$out" -le $((body + body / 20 + 65536)) ] && ok || fail "bytes_out $out within the headers' margin of $body"
[ "$in" -gt 0 ] && [ "$in" -lt $((body / 20)) ] && ok || fail "bytes_in $in: the requests and acks"
[ "$(count packets_out)" -gt $((body / 65536)) ] && ok || fail "packets_out counted: $(count packets_out)"
# /metrics: the totals, no series per session
m=$(metric portcullis_session_bytes_out_total)
[ "${m:-0}" -ge "$out" ] && ok || fail "/metrics has the sessions' bytes out: ${m:-none}"
[ "$(metric portcullis_session_bytes_in_total)" -ge "$in" ] && ok || fail "/metrics has the bytes in"
mtext=$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)
assert_not_contains "$mtext" "carol" "no series per user"
list=$("$CLI" -d "$DB" session list)
assert_contains "$list" "BYTES OUT" "the table shows the counts"
assert_contains "$list" "$out" "the table shows bytes_out"

# the kernel's own view: the element's counter
set=$(in_gw nft list set inet portcullis acct_out4)
assert_contains "$set" "10.201.0.2 counter packets" "the element carries a counter"

# a reload keeps the table, and so the counts
kill -HUP "$DPID"
wait_until 10 log_has "reload" || true
size=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/1m)
assert_eq $MIB "$size" "1 MiB more after the reload"
wait_until 30 eval '[ "$(count bytes_out)" -ge '$((body + MIB))' ]' \
	|| fail "the counts went on across the reload: $(count bytes_out)"

# the table deleted by another process comes back with the counts where
# the last round read them
before=$(count bytes_out)
in_gw nft delete table $TABLE
wait_until 10 eval 'in_gw nft list set $TABLE acct_out4 2>/dev/null | grep -q "10.201.0.2 counter"' \
	|| fail "the table came back with the counting element"
kept=$(in_gw nft list set $TABLE acct_out4 | sed -n 's/.*10.201.0.2 counter packets [0-9]* bytes \([0-9]*\).*/\1/p')
[ "${kept:-0}" -ge "$before" ] && ok || fail "the counts came back with the table: ${kept:-none} after $before"

# a stop writes the counts to the row; the start carries on from them
stop_daemon
saved=$(count bytes_out)
[ "$saved" -ge $((body + MIB)) ] && ok || fail "the stop wrote the counts: $saved"
start_daemon || exit 1
size=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/1m)
assert_eq $MIB "$size" "1 MiB more after the restart"
wait_until 30 eval '[ "$(count bytes_out)" -ge '$((saved + MIB))' ]' \
	|| fail "the counts carried on after the restart: $(count bytes_out) after $saved"
finish
