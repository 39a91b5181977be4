#!/bin/bash
# The admin panel in headless Chromium: log in (by keyboard), create a user,
# watch that user fail a real proxy login from the client namespace on the
# audit page and the dashboard chart, whitelist add/remove, kick a session,
# disable and delete the user, read the admin log, log out; and usernames
# that are markup shown as text, never run, and one that is not UTF-8
# shown escaped. The browser runs inside the
# gateway namespace against the admin listener on its loopback; screenshots
# of every page go to build/browser/.
. "$(dirname "$0")/../e2e/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
printf 'panel admin pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
# Sessions come from intercept mode (another branch builds it); for this test
# one is inserted as a fixture straight into the store's sessions table.
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at,
	bytes_in, bytes_out, quota_used, quota_bytes, quota_period, quota_resets_at, bandwidth_class,
	throttle_class)
	VALUES ('10.201.0.7', '02:00:00:00:00:07', 'dora', $((now - 600)), $((now - 42)), 900, $((now + 3000)),
	54321, 1234567, 1288888, 5000000, 'day', $((now + 3600)), 'fast', 'slow');"
start_daemon || exit 1
# a username that is not UTF-8 (ISO-8859-1 "müller", as some clients send
# Basic credentials) fails twice: the panel shows it escaped, never drops it
for _ in 1 2; do
	assert_eq 407 "$(status_of -U $'m\xfcller:guess' http://$ORIGIN/1k)" "failed login as m\\xfcller"
done

SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
out=$(cd "$REPO/tests/browser" && ADMIN_URL=http://127.0.0.1:8080 SHOTS=$SHOTS NS_CLIENT=$NS_C \
	PROXY=$PROXY ORIGIN=$ORIGIN ADMIN_NAME=root ADMIN_PW='panel admin pw' SESSION_ADDR=10.201.0.7 \
	HOME=$DIR timeout 150 ip netns exec "$NS_G" node admin_panel.js 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  ok ' | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"

# what the browser did is in the database, not only on the screen
assert_eq "" "$("$CLI" -d "$DB" session list | grep 10.201.0.7)" "kicked session gone from the store"
assert_eq "" "$("$CLI" -d "$DB" user list | grep carol)" "deleted user gone from the store"
for f in 01-login 02-users 03-audit 04-dashboard 05-whitelist 06-sessions 07-admin-log 08-dashboard-phone; do
	if [ -s "$SHOTS/$f.png" ]; then ok; else fail "screenshot $f.png"; fi
done
