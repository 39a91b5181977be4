#!/bin/bash
# The admin panel's Groups page in headless Chromium: groups with their
# members, a policy set, edited and deleted with the form and applied by the
# proxy (groups_page.js); what the browser did is in the database. The
# policy's quota class is one of [shaping] classes (named, shaping off); a
# policy put in the database naming one that is not is shown as not
# configured.
. "$(dirname "$0")/../e2e/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
CONF_EXTRA="[shaping]
classes = crawl=1mbit"
setup_daemon
printf 'panel admin pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
add_user alice secret; add_user '<img src=x onerror=alert(1)>' secret
"$CLI" -d "$DB" group add staff >/dev/null
"$CLI" -d "$DB" group member add staff alice >/dev/null
"$CLI" -d "$DB" group member add staff '<img src=x onerror=alert(1)>' >/dev/null
start_daemon || exit 1

SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/groups-page.png
out=$(cd "$REPO/tests/browser" && ADMIN_URL=http://127.0.0.1:8080 SHOTS=$SHOTS NS_CLIENT=$NS_C \
	PROXY=$PROXY ORIGIN=$ORIGIN DB=$DB HOME=$DIR timeout 150 ip netns exec "$NS_G" node groups_page.js 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  ok ' | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
assert_eq "" "$("$CLI" -d "$DB" policy list | grep staff)" "the deleted policy is gone from the store"
assert_contains "$("$CLI" -d "$DB" actions)" "policy.set" "the panel's changes are in the action log"
[ -s "$SHOTS/groups-page.png" ] && ok || fail "screenshot groups-page.png"
finish
