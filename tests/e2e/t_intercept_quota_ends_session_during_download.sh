#!/bin/bash
# Intercept mode: a user with a 5 MB day quota (portcullis user quota
# --day 5M) downloads 12 MB that the origin sends at 2 MB/s, forwarded past
# the daemon. The maintenance round, reading the kernel's counts twice a
# second, ends the session with reason quota_exceeded once 5 MB are used:
# the download is cut one round past the quota (5 MB + 0.5 s at 2 MB/s);
# the check allows 1.5 s (a round is late on a busy machine): under 8 MB
# received of the 12. The row goes to the history with that
# reason, the next request is sent to the portal again, whose page says the
# quota is used up. A new login ends in the next round too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/quota-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

intercept_conf
setup_daemon
add_user dave 'pw'
out=$("$CLI" -d "$DB" user quota dave --day 5M 2>&1)
assert_contains "$out" "dave" "the CLI sets the quota"
assert_contains "$("$CLI" -d "$DB" user quota dave)" "day 5000000" "the CLI shows the quota"
out=$("$CLI" -d "$DB" user quota dave --day 5X 2>&1)
assert_contains "$out" "takes bytes" "a bad size is refused with a clear error"
start_daemon || exit 1
assert_eq 303 "$(portal_login dave pw)" "login"

got=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/quota-12m 2>/dev/null)
[ "${got:-0}" -ge 5000000 ] && [ "${got:-0}" -lt 8000000 ] && ok \
	|| fail "the download was cut between 5 and 8 MB: ${got:-0} bytes"
wait_until 5 log_has "reason=quota_exceeded" || fail "the log says the quota ended the session"
assert_eq "" "$("$CLI" -d "$DB" session list --json | grep 10.201.0.2)" "the session is gone"
reason=$(sqlite3 "$DB" "SELECT reason || ' ' || (bytes_in + bytes_out >= 5000000) FROM session_history WHERE username = 'dave'")
assert_eq "quota_exceeded 1" "$reason" "the history keeps the reason and the counts"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "sent to the portal again"
page=$(ccurl "$PORTAL/")
assert_contains "$page" "data quota is used up" "the portal says why"

# the day's quota is used up: a new login lasts one round
assert_eq 303 "$(portal_login dave pw)" "a new login is taken"
wait_until 5 eval '[ "$(grep -c "reason=quota_exceeded" "$DLOG")" -ge 2 ]' \
	|| fail "the new login ends too: the day's quota is used up"
finish
