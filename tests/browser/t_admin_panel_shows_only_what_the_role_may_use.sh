#!/bin/bash
# The admin panel shows each role what it may use: a front desk the
# sessions and the audit (of guests), an auditor every page without a
# control that changes something, an admin everything. (The server refuses
# the rest anyway: t_admin_roles_refused_outside_their_role.) Screenshots
# go to build/browser/.
. "$(dirname "$0")/../e2e/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret
for a in root:admin desk:frontdesk audit:auditor; do
	printf 'role test pw\n' | "$CLI" -d "$DB" admin add "${a%%:*}" --role "${a#*:}" >/dev/null
done
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at) VALUES
	('10.201.0.8', '02:00:00:00:00:08', 'voucher:ab12', $now, $now, 600, $((now + 600))),
	('10.201.0.9', '02:00:00:00:00:09', 'alice', $now, $now, 600, $((now + 600)));"
start_daemon || exit 1

SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/roles-*.png
out=$(cd "$REPO/tests/browser" && ADMIN_URL=http://127.0.0.1:8080 SHOTS=$SHOTS ADMIN_PW='role test pw' \
	HOME=$DIR timeout 120 ip netns exec "$NS_G" node admin_roles.js 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  ok ' | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
for f in roles-frontdesk roles-auditor-users; do
	if [ -s "$SHOTS/$f.png" ]; then ok; else fail "screenshot $f.png"; fi
done
finish
