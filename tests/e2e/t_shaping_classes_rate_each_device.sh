#!/bin/bash
# Intercept mode with [shaping]: each logged-in device is shaped in the
# kernel at its user's bandwidth class. Two devices downloading at once,
# in classes of 8 and 2 Mbit/s, each get their class's rate within 15 %
# (curl's average over 5 s); a device whose user has no class beside them
# is not held to either; a device whose session ends leaves its class; a
# user with no class of her own gets her group policy's; the stop removes
# the qdiscs and the shaping table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
. "$(dirname "$0")/rate.sh"

intercept_conf
CONF_EXTRA="$CONF_EXTRA
[shaping]
enabled = yes
classes = fast=8mbit, slow=2mbit"
setup_daemon
add_user anna 'pw'
add_user ben 'pw'
add_user carl 'pw'
add_user dora 'pw'
# dora has no class of her own; her group's policy names one (set before the
# start: the daemon reads policies within half a second of a change, and a
# login in that half second would race it)
"$CLI" -d "$DB" group add guests >/dev/null && "$CLI" -d "$DB" group member add guests dora >/dev/null &&
	"$CLI" -d "$DB" policy set guests --class slow >/dev/null || fail "the guests' policy"
# a crash of this scenario must not leave the LAN shaped for the next one
shaping_cleanup
head -c 20000000 /dev/zero > "$E2E_WWW/20m"
chmod 644 "$E2E_WWW/20m"
on_finish "rm -f '$E2E_WWW/20m'"

out=$("$CLI" -d "$DB" user set ben --class nope 2>&1)
assert_eq 1 "$?" "a class the configuration does not name is refused"
assert_contains "$out" "no class 'nope'" "and the error names it"
"$CLI" -d "$DB" user set anna --class fast >/dev/null || fail "user set anna --class fast"
"$CLI" -d "$DB" user set ben --class slow >/dev/null || fail "user set ben --class slow"

second_lan_host_up same-link || { fail "second LAN host"; finish; exit 1; }
start_daemon || exit 1
assert_eq 303 "$(portal_login anna pw)" "anna logs in from the client"
assert_eq 303 "$(portal_login_via in_second ben pw)" "ben logs in from the second host"
wait_until 5 log_has "shaping: 10.201.0.3 in class slow" && ok || fail "ben's device is in class slow"
list=$("$CLI" -d "$DB" session list)
assert_contains "$(printf '%s\n' "$list" | grep 10.201.0.2)" " fast" "session list shows anna's class"
assert_contains "$(printf '%s\n' "$list" | grep 10.201.0.3)" " slow" "and ben's"
assert_contains "$("$CLI" -d "$DB" session list --json)" '"bandwidth_class": "slow"' "and the JSON names it"

# The average rate (bytes/s) of a 5 s download of 20 MB, forwarded by the
# kernel (port 8080 is not intercepted), into file $2; $1 runs curl.
download() { # runner file
	"$1" timeout 20 curl -sS --max-time 5 -o /dev/null -w '%{speed_download}\n' \
		http://10.202.0.2:8080/20m > "$2" 2>/dev/null
}
# 0 when rate $1 (bytes/s) is within 15 % of $2 bit/s
within() { awk -v r="$1" -v want="$2" 'BEGIN { exit !(r * 8 >= want * 0.85 && r * 8 <= want * 1.15) }'; }

download in_client "$DIR/anna" & a=$!
download in_second "$DIR/ben" & b=$!
wait $a $b
anna=$(cat "$DIR/anna"); ben=$(cat "$DIR/ben")
echo "  anna (fast, 8 Mbit/s): $anna B/s; ben (slow, 2 Mbit/s): $ben B/s"
within "$anna" 8000000 && ok || fail "anna's download ran at $anna B/s, not 8 Mbit/s within 15 %"
within "$ben" 2000000 && ok || fail "ben's download ran at $ben B/s, not 2 Mbit/s within 15 %"

# ben's session ends: his address leaves the map and its class goes
"$CLI" -d "$DB" session kick 10.201.0.3 >/dev/null
wait_until 10 log_has 'session ended: client=10.201.0.3' && ok || fail "ben's session ended"
wait_until 5 eval '! in_gw nft list map inet portcullis_shape shape4 | grep -q 10.201.0.3' && ok ||
	fail "ben's address left the shaping map"
classes=$(in_gw tc class show dev "$LAN_IF")
assert_eq 1 "$(printf '%s\n' "$classes" | grep -c 'class htb')" "one class left (anna's): $classes"

# carl, with no class and no default class, from the same host: unshaped
# beside anna, who keeps her rate
assert_eq 303 "$(portal_login_via in_second carl pw)" "carl logs in from the second host"
wait_until 5 eval '"$CLI" -d "$DB" session list | grep -q "10.201.0.3 .*carl"' || fail "carl's session row"
assert_contains "$("$CLI" -d "$DB" session list | grep 10.201.0.3)" " -" "carl's session has no class"
download in_client "$DIR/anna" & a=$!
download in_second "$DIR/carl" & b=$!
wait $a $b
anna=$(cat "$DIR/anna"); carl=$(cat "$DIR/carl")
echo "  anna (fast): $anna B/s; carl (no class): $carl B/s"
within "$anna" 8000000 && ok || fail "anna's download ran at $anna B/s beside carl's"
awk -v r="$carl" 'BEGIN { exit !(r * 8 > 32000000) }' && ok ||
	fail "carl's unshaped download ran at $carl B/s, no faster than 4 times the fast class"

# dora's class is her group policy's
"$CLI" -d "$DB" session kick 10.201.0.3 >/dev/null
wait_until 10 log_has 'session ended: client=10.201.0.3 user="carl"' && ok || fail "carl's session ended"
assert_eq 303 "$(portal_login_via in_second dora pw)" "dora logs in from the second host"
wait_until 5 eval "[ \$(grep -c 'shaping: 10.201.0.3 in class slow' \"\$DLOG\") = 2 ]" && ok ||
	fail "dora's device is in her group policy's class"

stop_daemon
assert_not_contains "$(in_gw tc qdisc show dev "$LAN_IF")" "htb" "the stop removes the htb qdisc"
in_gw nft list table inet portcullis_shape >/dev/null 2>&1 && fail "the stop leaves the shaping table" || ok
finish
