#!/bin/bash
# Intercept mode: a user with no quota of her own, in a group whose policy
# has a 5 MB session quota (portcullis policy set GROUP --quota-session
# 5MB), downloads 12 MB that the origin sends at 2 MB/s. The maintenance
# round holds her to her group policy's quota: the session ends with
# reason quota_exceeded one round past 5 MB (the check allows 1.5 s at
# 2 MB/s: under 8 MB received of the 12), and the portal says why. The
# group and the policy are set before the daemon starts (the daemon reads
# policies every half second: set just before the login they would race
# it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/group-quota-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

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

got=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/group-quota-12m 2>/dev/null)
[ "${got:-0}" -ge 5000000 ] && [ "${got:-0}" -lt 8000000 ] && ok \
	|| fail "the download was cut between 5 and 8 MB by the group's quota: ${got:-0} bytes"
wait_until 5 log_has 'user="erin" reason=quota_exceeded' \
	|| fail "the log says the quota ended erin's session"
reason=$(sqlite3 "$DB" "SELECT reason FROM session_history WHERE username = 'erin'")
assert_eq "quota_exceeded" "$reason" "the history keeps the reason"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "sent to the portal again"
assert_contains "$(ccurl "$PORTAL/")" "data quota is used up" "the portal says why"
finish
