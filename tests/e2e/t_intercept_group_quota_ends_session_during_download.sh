#!/bin/bash
# Intercept mode: a user with no quota of her own, in a group whose policy
# has a 5 MB session quota (portcullis policy set GROUP --quota-session
# 5MB), downloads 12 MB that the origin sends at 2 MB/s. The maintenance
# round holds her to her group policy's quota: the session ends with
# reason quota_exceeded one round past 5 MB (the check allows 1.5 s at
# 2 MB/s: under 8 MB received in all), and the portal says why. Before
# that, after 1 MB, the session list (CLI table, JSON as the API gives it)
# shows her use against that quota: used/5000000, period "session". The
# group and the policy are set before the daemon starts (the daemon reads
# policies every half second: set just before the login they would race
# it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/group-quota-12m
head -c 12000000 /dev/urandom > "$big"
head -c 1000000 /dev/urandom > "$big-1m"
chmod 644 "$big" "$big-1m"
on_finish "rm -f '$big' '$big-1m'"

intercept_conf
setup_daemon
add_user erin 'pw'
"$CLI" -d "$DB" group add guests >/dev/null || fail "group add"
"$CLI" -d "$DB" group member add guests erin >/dev/null || fail "member add"
out=$("$CLI" -d "$DB" policy set guests --quota-session 5XB 2>&1)
assert_contains "$out" "takes bytes" "a bad size is refused with a clear error"
out=$("$CLI" -d "$DB" policy set guests --quota-session 5MB --quota-month 1GiB 2>&1)
assert_contains "$out" "guests" "the CLI sets the policy's quotas"
assert_contains "$("$CLI" -d "$DB" policy show guests)" "5000000/0/1073741824" \
	"the policy shows its quotas in bytes"
assert_contains "$("$CLI" -d "$DB" policy show --json guests)" '"quota_session": 5000000' \
	"the policy's JSON has the session quota"
assert_contains "$("$CLI" -d "$DB" user quota erin)" "session 0" "erin has no quota of her own"
start_daemon || exit 1
assert_eq 303 "$(portal_login erin pw)" "login"

# use against the quota: written with the session's counts (every 10 s)
got=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2/group-quota-12m-1m 2>/dev/null)
assert_eq 1000000 "${got:-0}" "1 MB downloaded"
quota_shown() {
	"$CLI" -d "$DB" session list --json | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["username"] == "erin"]
sys.exit(0 if s and s[0]["quota_bytes"] == 5000000 and s[0]["quota_period"] == "session"
	and 1000000 <= s[0]["quota_used"] < 5000000 and s[0]["quota_resets_at"] == 0 else 1)'
}
wait_until 20 quota_shown || fail "the session's JSON shows its use against the group's quota"
assert_contains "$("$CLI" -d "$DB" session list)" "/5000000 session" \
	"session list shows used/quota and the period"

got=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/group-quota-12m 2>/dev/null)
# with the 1 MB before: the session had received 5 MB (less the client's
# own packets, which count too: 4.8 MB) and under 8 MB when it was cut
total=$(( ${got:-0} + 1000000 ))
[ "$total" -ge 4800000 ] && [ "$total" -lt 8000000 ] && ok \
	|| fail "the session was cut between 5 and 8 MB by the group's quota: ${got:-0} + 1000000 bytes"
wait_until 5 log_has 'user="erin" reason=quota_exceeded' \
	|| fail "the log says the quota ended erin's session"
reason=$(sqlite3 "$DB" "SELECT reason FROM session_history WHERE username = 'erin'")
assert_eq "quota_exceeded" "$reason" "the history keeps the reason"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "sent to the portal again"
assert_contains "$(ccurl "$PORTAL/")" "data quota is used up" "the portal says why"
finish
