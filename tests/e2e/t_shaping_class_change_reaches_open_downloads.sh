#!/bin/bash
# A class change applies to what is open, not only to the next login or
# connection: a user of the explicit proxy downloading in a 2 Mbit/s class
# is moved to an 8 Mbit/s one (portcullis user set --class) and the rate
# the client measures on the same download follows within 15 %; so does a
# move of her group policy's class. The same in intercept mode: a
# logged-in device's forwarded download follows its user's new class, and
# the session list shows it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/rate.sh"

LAN_IF=$E2E_NS-gc
CONF_EXTRA="[shaping]
enabled = yes
interface = $LAN_IF
classes = fast=8mbit, slow=2mbit"
setup_daemon
add_user anna 'pw'
add_user dora 'pw'
"$CLI" -d "$DB" user set anna --class slow >/dev/null || fail "user set anna --class slow"
"$CLI" -d "$DB" group add guests >/dev/null && "$CLI" -d "$DB" group member add guests dora >/dev/null &&
	"$CLI" -d "$DB" policy set guests --class slow >/dev/null || fail "the guests' policy"
shaping_cleanup
served_zeros 40m 40000000
start_daemon || exit 1

now_ns() { date +%s%N; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The rate (bit/s) of the download into $1 over the next $2 seconds, as the
# client's received bytes grow.
rate_over() { # file seconds
	local t0 s0 t1 s1
	t0=$(now_ns); s0=$(size_of "$1")
	sleep "$2"   # the measuring window itself, not a wait for a condition
	t1=$(now_ns); s1=$(size_of "$1")
	awk -v b=$((s1 - s0)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", b * 8 / (ns / 1e9) }'
}
within() { awk -v r="$1" -v want="$2" 'BEGIN { exit !(r >= want * 0.85 && r <= want * 1.15) }'; }

# One long download as user $1 into $DIR/$1.out, in the background ($DL).
start_download() { # user
	assert_eq 200 "$(status_of -U "$1:pw" http://10.202.0.2/1k)" "$1 passes the proxy"
	rm -f "$DIR/$1.out"
	in_client timeout 40 curl -sS --max-time 30 -x "$PROXY" -U "$1:pw" -o "$DIR/$1.out" \
		http://10.202.0.2:8080/40m 2>/dev/null &
	DL=$!
	on_finish "kill $DL 2>/dev/null"
	wait_until 10 eval "[ \$(size_of '$DIR/$1.out') -gt 100000 ]" || fail "$1's download started"
}

start_download anna
before=$(rate_over "$DIR/anna.out" 4)
"$CLI" -d "$DB" user set anna --class fast >/dev/null || fail "user set anna --class fast"
wait_until 5 log_has 'shaping: user "anna" in class fast' && ok || fail "anna's leaf moved to fast"
after=$(rate_over "$DIR/anna.out" 4)
echo "  anna: $before bit/s in slow, then $after bit/s in fast on the same download"
within "$before" 2000000 && ok || fail "anna's download in slow ran at $before bit/s"
within "$after" 8000000 && ok || fail "anna's download after the change ran at $after bit/s"
kill "$DL" 2>/dev/null; wait "$DL" 2>/dev/null

# dora's class is her group policy's; the policy's change reaches her download
start_download dora
before=$(rate_over "$DIR/dora.out" 4)
"$CLI" -d "$DB" policy set guests --class fast >/dev/null || fail "policy set guests --class fast"
wait_until 5 log_has 'shaping: user "dora" in class fast' && ok || fail "dora's leaf moved to fast"
after=$(rate_over "$DIR/dora.out" 4)
echo "  dora: $before bit/s by her policy's slow, then $after bit/s by its fast"
within "$before" 2000000 && ok || fail "dora's download in slow ran at $before bit/s"
within "$after" 8000000 && ok || fail "dora's download after the policy's change ran at $after bit/s"
kill "$DL" 2>/dev/null; wait "$DL" 2>/dev/null

stop_daemon
rm -rf "$DIR"

# intercept mode: a device's session moves with its user's class
intercept_conf
CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = fast=8mbit, slow=2mbit"
setup_daemon
add_user erik 'pw'
"$CLI" -d "$DB" user set erik --class slow >/dev/null || fail "user set erik --class slow"
start_daemon || exit 1
assert_eq 303 "$(portal_login erik pw)" "erik logs in from the client"
wait_until 5 log_has "shaping: 10.201.0.2 in class slow" && ok || fail "erik's device is in class slow"
rm -f "$DIR/erik.out"
# port 8080 is not intercepted: the kernel forwards it, shaped by the map
in_client timeout 40 curl -sS --max-time 30 -o "$DIR/erik.out" http://10.202.0.2:8080/40m 2>/dev/null &
DL=$!
on_finish "kill $DL 2>/dev/null"
wait_until 10 eval "[ \$(size_of '$DIR/erik.out') -gt 100000 ]" || fail "erik's download started"
before=$(rate_over "$DIR/erik.out" 4)
"$CLI" -d "$DB" user set erik --class fast >/dev/null || fail "user set erik --class fast"
wait_until 5 log_has "shaping: 10.201.0.2 in class fast" && ok || fail "erik's device moved to fast"
after=$(rate_over "$DIR/erik.out" 4)
echo "  erik's device: $before bit/s in slow, then $after bit/s in fast on the same download"
within "$before" 2000000 && ok || fail "erik's download in slow ran at $before bit/s"
within "$after" 8000000 && ok || fail "erik's download after the change ran at $after bit/s"
kill "$DL" 2>/dev/null; wait "$DL" 2>/dev/null
wait_until 15 eval '"$CLI" -d "$DB" session list | grep 10.201.0.2 | grep -q " fast"' && ok ||
	fail "the session list shows the new class: $("$CLI" -d "$DB" session list)"
stop_daemon
finish
