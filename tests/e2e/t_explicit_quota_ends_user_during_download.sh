#!/bin/bash
# The explicit proxy counts what it relays for each user (both directions)
# into the user's data use, where the day and month quotas read it: a user
# with a 5 MB day quota downloads 12 MB that the origin sends at 2 MB/s
# through the proxy. Once 5 MB are used the connection is closed (the
# proxy adds its bytes at least once a second and the gate checks every
# 250 ms: the check allows 8 MB of the 12), the log says why, the end is in
# the history with reason quota_exceeded, and the next request gets a 403
# that says the quota is used up and until when. Another user is not
# touched, and the relayed bytes are in the history under each user. A
# user without quotas of her own is held to her group policy's.
. "$(dirname "$0")/lib.sh"

big=$E2E_WWW/xquota-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

setup_daemon
add_user dave 'pw'
add_user erin 'pw'
"$CLI" -d "$DB" user quota dave --day 5M >/dev/null || fail "the CLI sets the quota"
add_user fay 'pw'
"$CLI" -d "$DB" group add metered >/dev/null && "$CLI" -d "$DB" group member add metered fay >/dev/null &&
	"$CLI" -d "$DB" policy set metered --quota-day 2M >/dev/null || fail "the metered group's policy"
start_daemon || exit 1

assert_eq 200 "$(status_of -U erin:pw http://10.202.0.2/1k)" "erin passes"
got=$(pcurl -U dave:pw -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/xquota-12m 2>/dev/null)
echo "  dave received $got bytes of 12000000"
[ "${got:-0}" -ge 5000000 ] && [ "${got:-0}" -lt 8000000 ] && ok \
	|| fail "the download was cut between 5 and 8 MB: ${got:-0} bytes"
wait_until 5 log_has 'user "dave" has used up a data quota' && ok || fail "the log says why"
wait_until 5 eval "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM session_history WHERE username = 'dave' AND reason = 'quota_exceeded'\")\" = 1 ]" &&
	ok || fail "the history records the quota's end"
body=$(pcurl -U dave:pw http://10.202.0.2/1k 2>/dev/null)
assert_eq 403 "$(status_of -U dave:pw http://10.202.0.2/1k)" "dave's next request is refused"
assert_contains "$body" "data quota is used up until" "and the page says why and until when"
assert_eq 200 "$(status_of -U erin:pw http://10.202.0.2/1k)" "erin still passes"

got_fay=$(pcurl -U fay:pw -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/xquota-12m 2>/dev/null)
echo "  fay (policy: 2 MB a day) received $got_fay bytes of 12000000"
[ "${got_fay:-0}" -ge 2000000 ] && [ "${got_fay:-0}" -lt 5000000 ] && ok \
	|| fail "fay's download was cut between 2 and 5 MB by her policy's quota: ${got_fay:-0} bytes"
assert_eq 403 "$(status_of -U fay:pw http://10.202.0.2/1k)" "fay's next request is refused"

# what was counted for dave is what he was sent, within headers: at least
# what curl received, at most 5 % + 64 KiB more (the whole 12 MB never);
# the stop writes what was not written yet
stop_daemon
wait_until 15 eval "[ \"\$(sqlite3 '$DB' \"SELECT coalesce(sum(bytes_out), 0) >= $got FROM session_history WHERE username = 'dave'\")\" = 1 ]" &&
	ok || fail "dave's relayed bytes are in the history: $(sqlite3 "$DB" "SELECT * FROM session_history")"
counted=$(sqlite3 "$DB" "SELECT sum(bytes_out) FROM session_history WHERE username = 'dave'")
awk -v c="${counted:-0}" -v g="$got" 'BEGIN { exit !(c <= g * 1.05 + 65536) }' && ok ||
	fail "dave's count ($counted) is more than what he received ($got) and headers"
wait_until 15 eval "[ \"\$(sqlite3 '$DB' \"SELECT coalesce(sum(bytes_out), 0) > 1024 FROM session_history WHERE username = 'erin'\")\" = 1 ]" &&
	ok || fail "erin's relayed bytes are in the history"
finish
