#!/bin/bash
# Sourced by the bench scenarios: session rows for the daemon to restore at
# its start, so that a bench can hold thousands of logged-in devices
# without thousands of portal logins.

# insert_session_rows COUNT USER: COUNT rows of USER's sessions on
# fd00:201::1:1 .. (each with a MAC of its own, an hour to live) in $DB.
insert_session_rows() {
	local n=$1 user=$2 now
	now=$(date +%s)
	[ "$n" -gt 0 ] || return 0
	{
		echo "BEGIN;"
		for i in $(seq 1 "$n"); do
			printf "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at) VALUES ('fd00:201::1:%x','02:00:00:00:%02x:%02x','%s',%d,%d,3600,%d);\n" \
				"$i" $((i / 256)) $((i % 256)) "$user" "$now" "$now" $((now + 3600))
		done
		echo "COMMIT;"
	} | sqlite3 "$DB"
}
