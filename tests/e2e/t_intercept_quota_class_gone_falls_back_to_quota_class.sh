#!/bin/bash
# A group policy's quota class that the configuration no longer has: set
# while [shaping] classes had it (mid), then the daemon restarted with mid
# removed. The daemon says so once at its start, naming the policy and the
# class; policy show and policy list, user explain and the admin API's
# policies (the panel's Groups page) say it is not configured. A device of
# the policy's user that uses up its quota ([shaping] quota_action =
# throttle) is throttled into [shaping] quota_class (slow, 2 Mbit/s): the
# rate the client measures over 3 s is the class's within 15 % (the
# throttle scenarios' tolerance), not the full speed of a device in no
# class; so is a device whose row a previous run left throttled into mid,
# after a restart. The origin paces the download at 2 MB/s (nginx /paced/).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/rate.sh"

ADMIN_LISTEN=127.0.0.1:8080
intercept_conf
CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = slow=2mbit, mid=4mbit
quota_action = throttle
quota_class = slow"
setup_daemon
add_user tess 'pw'
"$CLI" -d "$DB" group add metered >/dev/null && "$CLI" -d "$DB" group member add metered tess >/dev/null &&
	"$CLI" -d "$DB" policy set metered --quota-session 3MB --quota-class mid >/dev/null ||
	fail "the policy with its quota class, while the class is configured"
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
shaping_cleanup
served_zeros gone-40m 40000000
# the configuration loses the class; the daemon starts with it gone
sed -i 's/^classes = slow=2mbit, mid=4mbit$/classes = slow=2mbit/' "$DIR/portcullis.conf"
grep -q '^classes = slow=2mbit$' "$DIR/portcullis.conf" && ok || fail "mid removed from the classes"
start_daemon || exit 1
warning='policy of group "metered": quota class "mid" is not one of [shaping] classes; its users are throttled into quota_class slow instead'
wait_until 5 eval 'grep -qF "$warning" "$DLOG"' || fail "the daemon warns about the policy's missing class"

assert_contains "$("$CLI" -d "$DB" policy show metered)" \
	"quota class: mid (not configured: [shaping] quota_class slow instead)" "policy show says so"
assert_contains "$("$CLI" -d "$DB" policy show --json metered)" '"quota_class_configured": false' \
	"policy show --json says so"
assert_contains "$("$CLI" -d "$DB" policy list | grep metered)" "mid (not configured)" "policy list says so"
assert_contains "$("$CLI" -d "$DB" user explain tess)" "mid (not configured" "user explain says so"
admin_api_login root admin-pw
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/groups")" \
	'"quota_class":"mid","updated_at":' "the API lists the policy's quota class"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/groups")" '"quota_class_configured":false' \
	"the API (the Groups page) says it is not configured"

assert_eq 303 "$(portal_login tess pw)" "login"
download() { in_client timeout 60 curl -sS --max-time 50 -o "$DIR/dl" \
	http://10.202.0.2:8080/paced/gone-40m 2>/dev/null; }
bg_download "$DIR/dl" download
wait_until 10 log_has 'session throttled: client=10.201.0.2 user="tess" reason=quota_exceeded class=slow' \
	|| fail "the log says tess's device is throttled into quota_class"
sleep 1
slow=$(rate_over_3s)
echo "  throttled: $slow B/s (slow = 2 Mbit/s = 250000 B/s)"
within_15pct "$slow" 2000000 && ok \
	|| fail "the throttled download ran at $slow B/s, not 2 Mbit/s within 15 %"
stop_download
assert_eq 1 "$(grep -cF "$warning" "$DLOG")" "the warning is logged once"
assert_contains "$(grep 'shaping: 10.201.0.2 in class' "$DLOG" | tail -n 1)" "in class slow" \
	"the device's leaf is in slow"

# a device a previous run throttled into mid (its row says so) comes back
# after a restart in quota_class, not unshaped
stop_daemon
sqlite3 "$DB" "UPDATE sessions SET throttle_class = 'mid' WHERE addr = '10.201.0.2'"
start_daemon || exit 1
assert_contains "$("$CLI" -d "$DB" session list | grep '^10.201.0.2 ')" "slow (quota)" \
	"the restored session's row says slow"
bg_download "$DIR/dl" download
wait_until 10 eval '[ "$(stat -c %s "$DIR/dl" 2>/dev/null || echo 0)" -gt 300000 ]' \
	|| fail "a download after the restart"
slow=$(rate_over_3s)
echo "  after the restart: $slow B/s"
within_15pct "$slow" 2000000 && ok \
	|| fail "after the restart the download ran at $slow B/s, not 2 Mbit/s within 15 %"
stop_download
finish
