#!/bin/bash
# The explicit proxy alone with [shaping] (interface names the LAN side):
# what the proxy relays for a user is shaped in the kernel at the user's
# bandwidth class, per user, not per address. Two users downloading through
# the proxy at once from the same client host, in classes of 8 and 2
# Mbit/s, each get their class's rate within 15 % (curl's average over
# 5 s); a user with no class beside them is not held to either; a user's
# leaf goes a while after the user's last connection closes; the stop
# removes the qdiscs. The daemon keeps CAP_NET_ADMIN for this.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rate.sh"

LAN_IF=$E2E_NS-gc
CONF_EXTRA="[shaping]
enabled = yes
interface = $LAN_IF
classes = fast=8mbit, slow=2mbit"
setup_daemon
add_user anna 'pw'
add_user ben 'pw'
add_user carl 'pw'
"$CLI" -d "$DB" user set anna --class fast >/dev/null || fail "user set anna --class fast"
"$CLI" -d "$DB" user set ben --class slow >/dev/null || fail "user set ben --class slow"
# a crash of this scenario must not leave the LAN shaped for the next one
shaping_cleanup
head -c 20000000 /dev/zero > "$E2E_WWW/20m"
chmod 644 "$E2E_WWW/20m"
on_finish "rm -f '$E2E_WWW/20m'"

start_daemon || exit 1
assert_not_contains "$(cat "$DLOG")" "CAP_NET_ADMIN given up" "shaping keeps CAP_NET_ADMIN"

# The average rate (bytes/s) of a 5 s download of 20 MB through the proxy
# as user $1, into file $2.
download() { # user file
	in_client timeout 20 curl -sS --max-time 5 -x "$PROXY" -U "$1:pw" -o /dev/null \
		-w '%{speed_download}\n' http://10.202.0.2:8080/20m > "$2" 2>/dev/null
}
# 0 when rate $1 (bytes/s) is within 15 % of $2 bit/s
within() { awk -v r="$1" -v want="$2" 'BEGIN { exit !(r * 8 >= want * 0.85 && r * 8 <= want * 1.15) }'; }

# a first request each: the password check (scrypt, then cached) is not
# part of the measured download
for u in anna ben carl; do
	assert_eq 200 "$(status_of -U "$u:pw" http://10.202.0.2/1k)" "$u passes the proxy"
done
download anna "$DIR/anna" & a=$!
download ben "$DIR/ben" & b=$!
wait $a $b
anna=$(cat "$DIR/anna"); ben=$(cat "$DIR/ben")
echo "  anna (fast, 8 Mbit/s): $anna B/s; ben (slow, 2 Mbit/s): $ben B/s"
within "$anna" 8000000 && ok || fail "anna's download ran at $anna B/s, not 8 Mbit/s within 15 %"
within "$ben" 2000000 && ok || fail "ben's download ran at $ben B/s, not 2 Mbit/s within 15 %"
assert_contains "$(cat "$DLOG")" 'shaping: user "anna" in class fast' "the log names anna's class"
classes=$(in_gw tc class show dev "$LAN_IF")
assert_eq 2 "$(printf '%s\n' "$classes" | grep -c 'class htb')" "a leaf per user: $classes"

# carl, with no class and no default class: unshaped beside anna, who keeps
# her rate
download anna "$DIR/anna" & a=$!
download carl "$DIR/carl" & b=$!
wait $a $b
anna=$(cat "$DIR/anna"); carl=$(cat "$DIR/carl")
echo "  anna (fast): $anna B/s; carl (no class): $carl B/s"
within "$anna" 8000000 && ok || fail "anna's download ran at $anna B/s beside carl's"
awk -v r="$carl" 'BEGIN { exit !(r * 8 > 32000000) }' && ok ||
	fail "carl's unshaped download ran at $carl B/s, no faster than 4 times the fast class"

# no connection open: the leaves go after their idle time (10 s)
wait_until 25 eval "! in_gw tc class show dev $LAN_IF | grep -q 'class htb'" && ok ||
	fail "the users' leaves outlived their connections: $(in_gw tc class show dev "$LAN_IF")"

stop_daemon
assert_not_contains "$(in_gw tc qdisc show dev "$LAN_IF")" "htb" "the stop removes the htb qdisc"
finish
