#!/bin/bash
# Intercept mode: the admin API's /api/sessions gives each session's
# current rate (rate_out, rate_in: bytes/s over about the last minute),
# computed by the daemon from its reads of the kernel's counters, not left
# to the page. A logged-in client downloads from the origin's paced path
# (nginx sends 2 000 000 bytes/s): while it does, its rate_out comes within
# 1.0 to 2.4 MB/s (the rate is measured from the last mark, taken up to
# 10 s back, so it starts below the pace; the upper bound leaves room for
# the TCP/IP headers), and its rate_in (the acks) stays small; before the
# download the session's rate is near 0.
# `portcullis session list` reads the rate from the session's row (the
# daemon writes it with the counts every 10 s): during the download its
# rate_out is in the same 1.0 to 2.4 MB/s and its table shows the RATE in
# MB/s; some seconds after the download ends the rate it shows has fallen
# below 80 % of the rate seen during it; and once the daemon has stopped
# the row's rate is 0, not a rate left over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/rate.sh"

served_zeros rate-40m 40000000

ADMIN_LISTEN=127.0.0.1:8080
intercept_conf
setup_daemon
add_user carol 'pw'
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
assert_eq 303 "$(portal_login carol pw)" "login"
admin_api_login root admin-pw
[ -n "$CSRF" ] && ok || fail "admin login"

# field $1 of the client's session in /api/sessions
api_field() {
	acurl -b "$ADMIN_JAR" "$A/api/sessions" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["sessions"]:
    if r["addr"] == "10.201.0.2":
        print(r.get(sys.argv[1], "absent"))' "$1"
}
r=$(api_field rate_out)
[ "$r" -ge 0 ] 2>/dev/null && [ "$r" -lt 20000 ] && ok || fail "an idle session's rate_out: $r"

in_client timeout 30 curl -sS -o /dev/null --max-time 25 http://10.202.0.2:8080/paced/rate-40m &
DL=$!
on_finish "kill $DL 2>/dev/null"
in_range() { local r; r=$(api_field rate_out); [ "$r" -ge 1000000 ] 2>/dev/null && [ "$r" -le 2400000 ]; }
wait_until 12 in_range && ok || fail "rate_out during a 2 MB/s download: $(api_field rate_out)"
r=$(api_field rate_in)
[ "$r" -gt 0 ] 2>/dev/null && [ "$r" -lt 200000 ] && ok || fail "rate_in (the acks): $r"

# field $1 of the client's session in `portcullis session list --json`
cli_field() {
	"$CLI" -d "$DB" session list --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["addr"] == "10.201.0.2":
        print(r.get(sys.argv[1], "absent"))' "$1"
}
cli_in_range() { CLI_RATE=$(cli_field rate_out); [ "$CLI_RATE" -ge 1000000 ] 2>/dev/null && [ "$CLI_RATE" -le 2400000 ]; }
wait_until 15 cli_in_range && ok || fail "the CLI's rate_out during a 2 MB/s download: $CLI_RATE"
during=$CLI_RATE
row=$("$CLI" -d "$DB" session list | grep '^10\.201\.0\.2 ')
assert_contains "$row" " MB/s" "the RATE column of session list, in MB/s"
assert_contains "$("$CLI" -d "$DB" session list | head -n 1)" "RATE IN / OUT" "the RATE column's heading"
wait_until 30 gone "$DL" && ok || fail "the download did not end"
fallen() { CLI_RATE=$(cli_field rate_out); [ "$CLI_RATE" -ge 0 ] 2>/dev/null && [ "$CLI_RATE" -lt $((during * 8 / 10)) ]; }
wait_until 40 fallen && ok || fail "the CLI's rate_out after the download: $CLI_RATE (during it: $during)"
stop_daemon
assert_eq 0 "$(cli_field rate_out)" "the CLI's rate_out once the daemon has stopped"
finish
