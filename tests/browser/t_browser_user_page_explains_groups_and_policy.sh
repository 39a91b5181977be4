#!/bin/bash
# The admin panel's Users page says a user's groups and the policy that
# applies and why, in the words of `portcullis user explain` (one code for
# both): a local user's local groups; a directory user's groups as the
# daemon read them at a login through the proxy; a name that is markup
# shown as text (user_explain_page.js, headless Chromium). Each row shows
# the user's data use against her quotas: lena's own 5 MB a day, with the
# bytes of a request through the proxy, resetting at the next local
# midnight; the markup-named user's 1 GB a month from the staff policy.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/ldap.sh"
ldap_up 1 || exit 1
ADMIN_LISTEN=127.0.0.1:8080
AUTH_EXTRA="sources = local,ldap"
LDAP_EXTRA="group_attribute = memberOf"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
pc() { in_gw "$CLI" -d "$DB" "$@"; }
printf 'panel admin pw\n' | pc admin add root >/dev/null
add_user lena secret; add_user '<img src=x onerror=alert(1)>' secret
pc group add staff >/dev/null
pc group member add staff lena >/dev/null
pc group member add staff '<img src=x onerror=alert(1)>' >/dev/null
pc policy set staff --priority 10 --lifetime 600 --quota-month 1GB >/dev/null
pc user quota lena --day 5MB >/dev/null
pc policy set students --priority 5 --deny >/dev/null
start_daemon || exit 1
# bob (students in the directory) asks the proxy: refused by his group's
# policy, and the daemon now knows his directory groups
assert_eq 403 "$(status_of -U bob:bob-pw http://$ORIGIN/1k)" "bob is refused by the students' policy"
assert_eq 200 "$(status_of -U lena:secret http://$ORIGIN/1k)" "lena's request through the proxy"
midnight=$(python3 -c '
import datetime
print((datetime.date.today() + datetime.timedelta(days=1)).isoformat() + " 00:00:00")')
bob_policy=$(pc user explain --json bob | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"])')
assert_contains "$bob_policy" "group students" "the CLI explains bob's policy"

SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/user-explain.png
out=$(cd "$REPO/tests/browser" && ADMIN_URL=http://127.0.0.1:8080 SHOTS=$SHOTS \
	BOB_POLICY=$bob_policy MIDNIGHT=$midnight HOME=$DIR timeout 150 ip netns exec "$NS_G" node user_explain_page.js 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  ok ' | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
[ -s "$SHOTS/user-explain.png" ] && ok || fail "screenshot user-explain.png"
finish
