#!/bin/bash
# Intercept mode with [shaping] quota_action = throttle: a user whose 3 MB
# session quota is used up during a download keeps her session, and her
# device moves into quota_class (slow, 2 Mbit/s): the rate the client
# measures over 3 s drops to the class's within 15 % (payload: IP and TCP
# headers are about 4 % of what HTB counts), the session list says she is
# throttled, and when the quota no longer holds (here: removed, as a new
# day would) her device leaves the slow class and the download speeds up
# again. The portal's status page tells the device it is throttled. Put in
# a group whose policy names its own quota class (mid, 4 Mbit/s), and over
# her quota again, her device goes into that class instead. The origin
# paces the download at 2 MB/s (nginx /paced/).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/rate.sh"

intercept_conf
CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = slow=2mbit, mid=4mbit
quota_action = throttle
quota_class = slow"
setup_daemon
add_user tess 'pw'
"$CLI" -d "$DB" user quota tess --session 3MB >/dev/null || fail "user quota"
on_finish "in_gw tc qdisc del dev $LAN_IF root 2>/dev/null; in_gw nft delete table inet portcullis_shape 2>/dev/null"
big=$E2E_WWW/throttle-40m
head -c 40000000 /dev/zero > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"
start_daemon || exit 1
assert_eq 303 "$(portal_login tess pw)" "login"

download() { in_client timeout 60 curl -sS --max-time 50 -o "$DIR/dl" \
	http://10.202.0.2:8080/paced/throttle-40m 2>/dev/null; }
bg_download "$DIR/dl" download
wait_until 10 log_has 'session throttled: client=10.201.0.2 user="tess" reason=quota_exceeded class=slow' \
	|| fail "the log says tess's session is throttled"
assert_eq 0 "$(grep -c 'session ended: client=10.201.0.2' "$DLOG")" "the session did not end"
# the rate the client sees over 3 s, once the queue of the class settled
sleep 1
slow=$(rate_over_3s)
echo "  throttled: $slow B/s (slow = 2 Mbit/s = 250000 B/s)"
within_15pct "$slow" 2000000 && ok \
	|| fail "the throttled download ran at $slow B/s, not 2 Mbit/s within 15 %"
wait_until 15 eval '"$CLI" -d "$DB" session list | grep 10.201.0.2 | grep -q "throttled: quota used"' \
	|| fail "session list shows the session as throttled"
assert_contains "$("$CLI" -d "$DB" session list --json)" '"quota_throttled": true' \
	"the JSON (as the API gives it) says throttled"
assert_contains "$(ccurl "$PORTAL/status")" "Throttled: your data quota is used" \
	"the portal's status page tells the device"

# the quota lets go (removed here; a new day or month does the same)
"$CLI" -d "$DB" user quota tess --session none >/dev/null || fail "quota removed"
wait_until 10 log_has 'session no longer throttled: client=10.201.0.2' \
	|| fail "the log says the device left the slow class"
sleep 1
fast=$(rate_over_3s)
echo "  let go: $fast B/s"
[ "$fast" -gt $(( slow * 3 )) ] && ok || fail "the download sped up again: $fast B/s after $slow B/s"
stop_download

# her group's policy names a quota class: over her quota again (the
# session's bytes are past 3 MB already), her device goes into mid
"$CLI" -d "$DB" group add metered >/dev/null && "$CLI" -d "$DB" group member add metered tess >/dev/null &&
	"$CLI" -d "$DB" policy set metered --quota-class mid >/dev/null || fail "the policy's quota class"
"$CLI" -d "$DB" user quota tess --session 3MB >/dev/null || fail "quota set again"
bg_download "$DIR/dl" download
wait_until 15 log_has 'session throttled: client=10.201.0.2 user="tess" reason=quota_exceeded class=mid' \
	|| fail "the log says tess's device is throttled into her policy's class"
sleep 1
mid=$(rate_over_3s)
echo "  throttled by the policy's class: $mid B/s (mid = 4 Mbit/s = 500000 B/s)"
within_15pct "$mid" 4000000 && ok || fail "the download ran at $mid B/s, not 4 Mbit/s within 15 %"
stop_download
finish
