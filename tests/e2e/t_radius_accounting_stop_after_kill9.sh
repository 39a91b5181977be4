#!/bin/bash
# After kill -9 of the daemon, accounting keeps its promise at the next
# start: a session that the restart does not restore (its Session-Timeout
# ran out while the daemon was down) gets its Stop, Acct-Terminate-Cause
# NAS-Reboot; a session it restores keeps its Acct-Session-Id and gets one
# Stop only, when it really ends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
tom	Cleartext-Password := "tom-pw"
	Session-Timeout = 6
gina	Cleartext-Password := "gina-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

records() { radius_detail_values 1 Acct-Status-Type | grep -c "^$1$"; }
at_least() { [ "$(records "$1")" -ge "$2" ]; }
crash() { kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""; }

# a session that ends while the daemon is down
assert_eq 303 "$(portal_login tom tom-pw)" "tom's login"
wait_until 15 at_least Start 1 || fail "tom's Start arrived"
crash
since=$(date +%s)
past_lifetime() { [ "$(date +%s)" -ge $((since + 8)) ]; }
wait_until 15 past_lifetime
start_daemon || exit 1
wait_until 30 at_least Stop 1 && ok || fail "tom's Stop arrived after the restart"
assert_eq NAS-Reboot "$(radius_detail_values 1 Acct-Terminate-Cause | sed -n 1p)" \
	"the Stop of a session lost with the daemon says NAS-Reboot"
assert_eq 1 "$(radius_detail_values 1 Acct-Session-Id | sort -u | wc -l)" "under tom's Acct-Session-Id"
assert_contains "$(cat "$DLOG")" "did not survive the restart" "the log says why"

# a session the restart restores
assert_eq 303 "$(portal_login gina gina-pw)" "gina's login"
wait_until 15 at_least Start 2 || fail "gina's Start arrived"
crash
start_daemon || exit 1
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "gina's session was restored"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
wait_until 15 at_least Stop 2 && ok || fail "gina's Stop arrived after the kick"
assert_eq 2 "$(records Stop)" "one Stop for each session, no more"
assert_eq Admin-Reset "$(radius_detail_values 1 Acct-Terminate-Cause | sed -n 2p)" \
	"gina's Stop says Admin-Reset, not NAS-Reboot"
gina_id=$(radius_detail_values 1 Acct-Session-Id | sed -n 3p)
assert_eq "$gina_id" "$(radius_detail_values 1 Acct-Session-Id | sed -n 4p)" \
	"the restored session kept its Acct-Session-Id"
finish
