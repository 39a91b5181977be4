#!/bin/bash
# Accounting records that no server answers wait in the database: with the
# accounting server down, a login, a kick and a second login queue Start,
# Stop, Start; the daemon is killed (kill -9) and started again, and when
# the server comes up the three arrive, each once, every session's in its
# order (the Start before the Stop), with an Acct-Delay-Time that says how
# long each waited (RFC 2866 §5.2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
# authentication from server 1, accounting to server 2, down for now
echo "accounting_servers = $RADIUS2:1813" >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

queued() { sqlite3 "$DB" 'SELECT count(*) FROM acct_queue' 2>/dev/null; }
queued_is() { [ "$(queued)" = "$1" ]; }
assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
wait_until 15 queued_is 2 || fail "the Start and the Stop wait in the queue"
assert_eq 303 "$(portal_login gina gina-pw)" "a second login"
wait_until 15 queued_is 3 && ok || fail "the second Start waits too ($(queued) queued)"
assert_contains "$(cat "$DLOG")" "accounting: no server answered" "the log says the server does not answer"

kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
start_daemon || exit 1
assert_eq 3 "$(queued)" "the records survived kill -9"
radius_start 2 || exit 1
# one line per record: Acct-Session-Id Acct-Status-Type, as they arrived
arrived_records() {
	radius_detail 2 | awk -F' = ' '/Acct-Status-Type/ { t = $2 } /Acct-Session-Id/ { gsub(/"/, "", $2); s = $2 }
		/^$/ && s != "" { print s, t; s = "" } END { if (s != "") print s, t }'
}
all_three() { [ "$(arrived_records | wc -l)" -ge 3 ]; }
wait_until 90 all_three && ok || fail "the three records arrived (got: $(arrived_records | tr '\n' ';'))"
wait_until 10 queued_is 0 && ok || fail "the queue is empty once answered ($(queued) left)"
assert_eq 3 "$(arrived_records | wc -l)" "each arrived once"
assert_eq 2 "$(arrived_records | awk '{ print $1 }' | sort -u | wc -l)" "two sessions"
first=$(arrived_records | awk '$2 == "Stop" { print $1 }')
assert_eq "Start Stop " "$(arrived_records | awk -v s="$first" '$1 == s { printf "%s ", $2 }')" \
	"the kicked session's Start arrived before its Stop"
assert_eq "Start " "$(arrived_records | awk -v s="$first" '$1 != s { printf "%s ", $2 }')" \
	"the second session's Start"
delay=$(radius_detail_values 2 Acct-Delay-Time | sed -n 1p)
[ "${delay:-0}" -ge 1 ] && ok || fail "the first record says it waited (Acct-Delay-Time $delay)"
assert_eq Admin-Reset "$(radius_detail_values 2 Acct-Terminate-Cause)" "the kick's Stop"
finish
