#!/bin/bash
# `portcullis radius test USER` asks the configured servers as the daemon
# would: exit 0 and the attributes on an Access-Accept from the real
# FreeRADIUS (which requires our Message-Authenticator), 1 on a reject, the
# second server when the first is down, a clear error when none answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
alice	Cleartext-Password := "alice pw:1"
	Session-Timeout = 120,
	Idle-Timeout = 60,
	Class = "grp=staff",
	Reply-Message = "Welcome, alice"
bob	Cleartext-Password := "bob-pw"
	Reply-Message = "<b>bob</b>\nsecond line"
USERS
radius_start 1 || exit 1
setup_daemon <<<''
radius_conf "$RADIUS1:1812,$RADIUS2:1812" >> "$DIR/portcullis.conf"
rt() { printf '%s\n' "$2" | in_gw timeout 20 "$CLI" -c "$DIR/portcullis.conf" radius test "$1" 2>&1; }

out=$(rt alice 'alice pw:1'); rc=$?
assert_eq 0 "$rc" "accepted: exit status"
assert_contains "$out" "Access-Accept from $RADIUS1:1812" "accepted: the server named"
assert_contains "$out" "Session-Timeout: 120" "Session-Timeout printed"
assert_contains "$out" "Idle-Timeout: 60" "Idle-Timeout printed"
assert_contains "$out" "Class: 0x$(printf 'grp=staff' | od -An -tx1 | tr -d ' \n')" "Class printed"
assert_contains "$out" "Reply-Message: Welcome, alice" "Reply-Message printed"

out=$(rt alice 'wrong'); rc=$?
assert_eq 1 "$rc" "wrong password: exit status"
assert_contains "$out" "Access-Reject from $RADIUS1:1812" "wrong password: a reject"
out=$(rt nobody 'x'); rc=$?
assert_eq 1 "$rc" "unknown user: exit status"
assert_contains "$out" "Access-Reject" "unknown user: a reject"

# what the server sent is shown as text, one line per line, never raw
out=$(rt bob 'bob-pw'); rc=$?
assert_eq 0 "$rc" "bob accepted"
assert_contains "$out" "Reply-Message: <b>bob</b>" "Reply-Message as text"

# the first server down (nothing listens: the host says so), the second answers
radius_start 2 || exit 1
radius_stop 1
out=$(rt alice 'alice pw:1'); rc=$?
assert_eq 0 "$rc" "failover: exit status"
assert_contains "$out" "Access-Accept from $RADIUS2:1812" "failover: the second server answered"

# the first server up but silent (its packets dropped): the second after
# the timeout and the retry (1 s each)
radius_start 1 || exit 1
in_radius nft add table inet e2e_drop
in_radius nft add chain inet e2e_drop input '{ type filter hook input priority 0; }'
in_radius nft add rule inet e2e_drop input ip daddr "$RADIUS1" udp dport 1812 drop
start=$(date +%s%N)
out=$(rt alice 'alice pw:1'); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 0 "$rc" "silent first server: exit status"
assert_contains "$out" "Access-Accept from $RADIUS2:1812" "silent first server: the second answered"
[ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] && ok || fail "silent first server: answered after $ms ms, not after 2 timeouts"
in_radius nft delete table inet e2e_drop
radius_stop 1

# both down
radius_stop 2
start=$(date +%s)
out=$(rt alice 'alice pw:1'); rc=$?
assert_eq 1 "$rc" "none answers: exit status"
assert_contains "$out" "no RADIUS server answered" "none answers: said so"
[ $(( $(date +%s) - start )) -le 10 ] && ok || fail "none answers: took more than 10 s"

# a secret file the group may read is refused before anything is sent
chmod 640 "$RDIR/secret"
out=$(rt alice 'alice pw:1'); rc=$?
assert_eq 1 "$rc" "readable secret: exit status"
assert_contains "$out" "$RDIR/secret" "readable secret: the file named"
chmod 600 "$RDIR/secret"
finish
