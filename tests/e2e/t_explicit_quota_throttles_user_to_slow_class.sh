#!/bin/bash
# The explicit proxy with [shaping] quota_action = throttle: a user whose
# 5 MB day quota is used up during a download is not refused and his
# connection is not closed; his leaf takes quota_class's rate (slow,
# 2 Mbit/s), and the rate the client measures over 3 s drops to the
# class's within 15 % (payload: IP and TCP headers are about 4 % of what
# HTB counts). The log says so once, new requests pass (throttled too), the
# access log still names him, and when the quota no longer holds (here:
# removed, as a new day would) his leaf goes back to his own class (none:
# unshaped) and the download speeds up again. A user whose group policy
# names its own quota class (mid, 4 Mbit/s) is throttled into that one
# instead, and a quota class that is not among the classes is refused;
# restarted with that class gone from the configuration, she is throttled
# into quota_class (slow) and the log says why. The origin paces at 2 MB/s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rate.sh"

LAN_IF=$E2E_NS-gc
CONF_EXTRA="[shaping]
enabled = yes
interface = $LAN_IF
classes = slow=2mbit, mid=4mbit
quota_action = throttle
quota_class = slow"
setup_daemon
add_user dave 'pw'
"$CLI" -d "$DB" user quota dave --day 5M >/dev/null || fail "the CLI sets the quota"
add_user erin 'pw'
"$CLI" -d "$DB" group add metered >/dev/null && "$CLI" -d "$DB" group member add metered erin >/dev/null &&
	"$CLI" -d "$DB" policy set metered --quota-day 5M --quota-class mid >/dev/null ||
	fail "the metered group's policy with its quota class"
out=$("$CLI" -d "$DB" policy set metered --quota-class nope 2>&1) && fail "an unknown quota class is taken"
assert_contains "$out" "no class 'nope' in [shaping] classes" "an unknown quota class is refused, saying why"
assert_contains "$("$CLI" -d "$DB" policy show --json metered)" '"quota_class": "mid"' \
	"the policy keeps its quota class"
shaping_cleanup
served_zeros xthrottle-40m 40000000
start_daemon || exit 1
# the password check (scrypt, then cached) is not part of the download
assert_eq 200 "$(status_of -U dave:pw http://10.202.0.2/1k)" "dave passes"

download() { # user
	in_client timeout 60 curl -sS --max-time 50 -x "$PROXY" -U "$1:pw" -o "$DIR/dl" \
		http://10.202.0.2:8080/paced/xthrottle-40m 2>/dev/null
}
bg_download "$DIR/dl" download dave
wait_until 15 log_has 'explicit proxy: user "dave" throttled: reason=quota_exceeded class=slow' \
	|| fail "the log says dave is throttled"
# the leaf's class follows within the shaper's sweep (1 s), then the queue
# settles
sleep 2
slow=$(rate_over_3s)
echo "  throttled: $slow B/s (slow = 2 Mbit/s = 250000 B/s)"
within_15pct "$slow" 2000000 && ok \
	|| fail "the throttled download ran at $slow B/s, not 2 Mbit/s within 15 %"
kill -0 $dl 2>/dev/null && ok || fail "the download goes on past the quota"
assert_eq 0 "$(grep -c 'has used up a data quota' "$DLOG")" "nothing was refused or closed"
assert_eq 1 "$(grep -c 'user "dave" throttled' "$DLOG")" "the log says it once"
assert_eq 200 "$(status_of -U dave:pw http://10.202.0.2/1k)" "a new request passes"
dave_1k() { [ "$(awk '$7 == "http://10.202.0.2/1k" && $8 == "dave"' "$ACCESS" | wc -l)" -ge 2 ]; }
wait_until 5 dave_1k && ok ||
	fail "the access log names dave for the request made while throttled"

# the quota lets go (removed here; a new day or month does the same)
"$CLI" -d "$DB" user quota dave --day none >/dev/null || fail "quota removed"
wait_until 15 log_has 'explicit proxy: user "dave" no longer throttled' \
	|| fail "the log says dave is no longer throttled"
sleep 2
fast=$(rate_over_3s)
echo "  let go: $fast B/s"
[ "$fast" -gt $(( slow * 3 )) ] && ok || fail "the download sped up again: $fast B/s after $slow B/s"
stop_download

# erin, over her policy's quota: into its class, mid (4 Mbit/s = 500000 B/s)
assert_eq 200 "$(status_of -U erin:pw http://10.202.0.2/1k)" "erin passes"
bg_download "$DIR/dl" download erin
wait_until 15 log_has 'explicit proxy: user "erin" throttled: reason=quota_exceeded class=mid' \
	|| fail "the log says erin is throttled into her policy's class"
sleep 2
mid=$(rate_over_3s)
echo "  erin throttled: $mid B/s (mid = 4 Mbit/s = 500000 B/s)"
within_15pct "$mid" 4000000 && ok \
	|| fail "erin's throttled download ran at $mid B/s, not 4 Mbit/s within 15 %"
stop_download

# restarted with mid gone from the classes: erin, still over her quota, is
# throttled into quota_class (slow), not left unshaped; the daemon says why
stop_daemon
sed -i 's/^classes = slow=2mbit, mid=4mbit$/classes = slow=2mbit/' "$DIR/portcullis.conf"
start_daemon || exit 1
assert_eq 1 "$(grep -cF 'policy of group "metered": quota class "mid" is not one of [shaping] classes' "$DLOG")" \
	"the daemon warns once about the policy's missing class"
bg_download "$DIR/dl" download erin
wait_until 15 log_has 'explicit proxy: user "erin" throttled: reason=quota_exceeded class=slow' \
	|| fail "the log says erin is throttled into quota_class"
sleep 2
slow=$(rate_over_3s)
echo "  erin, mid gone: $slow B/s (slow = 2 Mbit/s = 250000 B/s)"
within_15pct "$slow" 2000000 && ok \
	|| fail "with mid gone erin's download ran at $slow B/s, not 2 Mbit/s within 15 %"
stop_download
finish
