#!/bin/bash
# A group policy changed while portal sessions are open applies to them in
# the next maintenance round, not at their lifetime's end: dora (group
# staff) downloads from a port the daemon does not intercept (forwarded by
# the kernel alone, 2 MB/s from the origin) when the administrator denies
# staff; within about a second the download is cut, her session is gone
# from the session list, the log and the history say policy_denied, and
# the portal tells the device why when it comes back. A lifetime the
# policy shortens below what a session has lasted ends it at once
# (policy_changed); a time window that excludes now ends it with
# outside_hours.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

big=$E2E_WWW/policy-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

intercept_conf "session_lifetime = 1h"
setup_daemon
add_user dora pw; add_user tina pw
pc() { "$CLI" -d "$DB" "$@"; }
pc group add staff >/dev/null; pc group add short >/dev/null
pc group member add staff dora >/dev/null
pc group member add short tina >/dev/null
pc policy set staff --lifetime 3600 >/dev/null
start_daemon || exit 1

assert_eq 303 "$(portal_login dora pw)" "dora signs in"
out=$(mktemp /tmp/portcullis-e2e-dl.XXXXXX)
on_finish "rm -f $out"
in_client timeout 30 curl -sS --max-time 20 -o "$out" \
	http://10.202.0.2:8080/paced/policy-12m 2>/dev/null &
dl=$!
flowing() { [ "$(stat -c %s "$out")" -ge 1000000 ]; }
wait_until 10 flowing && ok || fail "the download flows past the daemon"
log_mark
denied_at=$(date +%s.%N)
pc policy set staff --deny >/dev/null
# the time of the last byte: the file's size sampled every 0.1 s until it
# has not grown for 1.5 s (bounded: 100 samples)
last=$(stat -c %s "$out"); last_at=$(date +%s.%N); still=0
for _ in $(seq 100); do
	sleep 0.1   # the sampling interval
	now=$(stat -c %s "$out")
	if [ "$now" != "$last" ]; then last=$now; last_at=$(date +%s.%N); still=0
	else still=$((still + 1)); [ $still -ge 15 ] && break; fi
done
kill $dl 2>/dev/null
cut_after=$(awk -v a="$denied_at" -v b="$last_at" 'BEGIN { printf "%.2f", b - a }')
[ "$still" -ge 15 ] && [ "$last" -lt 11000000 ] && ok \
	|| fail "the download stopped (${last} of 12000000 bytes)"
awk -v t="$cut_after" 'BEGIN { exit !(t < 2.5) }' && ok \
	|| fail "its last byte came within a round or two of the change (${cut_after} s after)"
echo "# last byte ${cut_after} s after the policy change, at ${last} bytes"
wait_until 5 logged_since_mark 'session ended: client=10.201.0.2 user="dora" reason=policy_denied' \
	&& ok || fail "the log says the policy ended the session"
assert_eq "" "$("$CLI" -d "$DB" session list --json | grep 10.201.0.2)" "her session is gone from the list"
reason=$(sqlite3 "$DB" "SELECT reason FROM session_history WHERE username = 'dora'")
assert_eq "policy_denied" "$reason" "the history keeps the reason"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "the device is sent to the portal again"
page=$(ccurl "$PORTAL/")
assert_contains "$page" "Your session ended: This account may not go online (the policy of group staff)" \
	"the portal says why"

# a lifetime shorter than what the session has lasted: it ends at once
assert_eq 303 "$(portal_login tina pw)" "tina signs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "she is online"
sleep 2   # the time passing is what is tested: her session is older than the new lifetime
log_mark
pc policy set short --lifetime 1 >/dev/null
wait_until 5 logged_since_mark 'user="tina" reason=policy_changed' && ok \
	|| fail "a lifetime already over ends the session (policy_changed)"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "and the device is out"

# a time window that excludes now
pc policy set short --lifetime 0 >/dev/null
# the daemon reads a changed policy within half a second: a login made
# before that still gets the 1 s lifetime (and is over before the window
# below could end it), so she signs in until a login gets the hour
hour_login() {
	log_mark
	[ "$(portal_login tina pw)" = 303 ] &&
		wait_until 2 logged_since_mark 'user="tina" lifetime=3600s'
}
wait_until 10 hour_login && ok || fail "tina signs in again, with the configuration's hour"
days=(Sun Mon Tue Wed Thu Fri Sat)
later=${days[$(( ($(date +%w) + 2) % 7 ))]}
log_mark
pc policy set short --windows "${later,,} 00:00-24:00" >/dev/null
wait_until 5 logged_since_mark 'user="tina" reason=outside_hours' && ok \
	|| fail "a window that excludes now ends the session (outside_hours)"
page=$(ccurl "$PORTAL/")
assert_contains "$page" "access opens $later 00:00" "the portal says when access opens"
finish
