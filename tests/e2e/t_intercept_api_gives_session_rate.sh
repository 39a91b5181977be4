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
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/rate-24m
head -c 24000000 /dev/zero > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

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

in_client timeout 20 curl -sS -o /dev/null --max-time 15 http://10.202.0.2:8080/paced/rate-24m &
on_finish "kill $! 2>/dev/null"
in_range() { local r; r=$(api_field rate_out); [ "$r" -ge 1000000 ] 2>/dev/null && [ "$r" -le 2400000 ]; }
wait_until 12 in_range && ok || fail "rate_out during a 2 MB/s download: $(api_field rate_out)"
r=$(api_field rate_in)
[ "$r" -gt 0 ] 2>/dev/null && [ "$r" -lt 200000 ] && ok || fail "rate_in (the acks): $r"
finish
