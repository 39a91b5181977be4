#!/bin/bash
# A front desk makes a roll of ten day codes in the admin panel (headless
# Chromium) and prints the sheet: the printed page holds the ten codes and
# ten QR codes, each of which zbarimg decodes to the portal's URL with its
# code filled in. Guests then type one printed code on phones (Chromium at
# phone size, each in the namespace of its own LAN device): two devices
# within the roll's limit of two land on the pages they asked for; a third
# gets the "sign out the oldest device" choice, takes it and is online,
# while the oldest is signed out. Screenshots go to build/browser/.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
. "$(dirname "$0")/../e2e/second_lan_host.sh"
command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) is not installed"
ADMIN_LISTEN=127.0.0.1:8080
PORTAL_EXTRA="url = http://10.201.0.1:8082/"
intercept_conf "session_lifetime = 1h"
setup_daemon
second_lan_host_up same-link || fail "second LAN host"
third_lan_host_up || fail "third LAN host"
printf 'desk pw\n' | "$CLI" -d "$DB" admin add desk --role frontdesk >/dev/null
start_daemon || exit 1

SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/voucher-sheet.*
out=$(cd "$REPO/tests/browser" && ADMIN_URL=http://127.0.0.1:8080 SHOTS=$SHOTS ADMIN_NAME=desk \
	ADMIN_PW='desk pw' HOME=$DIR timeout 150 ip netns exec "$NS_G" node voucher_sheet.js 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  ok \|^CODE ' | sed 's/^/  /'
CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
assert_eq 0 "$rc" "browser scenario ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
printf '%s\n' "$out" | awk '/^CODE / { print $2, $3 }' > "$DIR/codes"
assert_eq 10 "$(wc -l < "$DIR/codes")" "ten codes on the sheet"
[ -s "$SHOTS/voucher-sheet.pdf" ] && ok || fail "the sheet printed to PDF"

# every QR code of the printed sheet opens the portal with its card's code
zbarimg -q --raw "$SHOTS/voucher-sheet.png" 2>/dev/null | sort > "$DIR/decoded"
assert_eq 10 "$(wc -l < "$DIR/decoded")" "ten QR codes decoded from the printed sheet"
awk '{ print "http://10.201.0.1:8082/?code=" $2 }' "$DIR/codes" | sort > "$DIR/expected"
assert_eq "$(cat "$DIR/expected")" "$(cat "$DIR/decoded")" "each QR code is the portal URL with a card's code"

# a guest opens the card's URL (as the phone's camera would): the code is filled in
code=$(awk 'NR == 3 { print $2 }' "$DIR/codes")
assert_contains "$(ccurl "http://10.201.0.1:8082/?code=$code")" "value=\"$code\"" \
	"the portal opens with the code filled in"

# guests on phones (Chromium at phone size) type that code: two devices
# within the roll's limit of two go online; a third gets the choice, takes
# it, and is online while the oldest device is signed out
name=voucher-guest-$$
text="The page the guest asked for ($$)."
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>asked for</title></head><body><h1>%s</h1></body></html>\n' \
	"$text" > "$E2E_WWW/$name.html"
chmod 644 "$E2E_WWW/$name.html"
on_finish "rm -f '$E2E_WWW/$name.html'"
rm -f "$SHOTS"/voucher-guest-*.png
guest() { # namespace tag choice
	local out rc
	out=$(cd "$REPO/tests/browser" && PAGE_URL="http://10.202.0.2/$name.html?device=$2" PAGE_TEXT=$text \
		PORTAL=$PORTAL CODE=$code CHOICE=$3 TAG=$2 SHOTS=$SHOTS HOME=$DIR \
		timeout 90 ip netns exec "$1" node voucher_guest.js 2>&1)
	rc=$?
	echo "  $2:"
	printf '%s\n' "$out" | sed 's/^/  /'
	CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
	assert_eq 0 "$rc" "guest browser $2 ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
}
host_in() { [ "$($1 timeout 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://10.202.0.2:8080/1k)" = 200 ]; }
host_out() { ! host_in "$@"; }

guest "$NS_C" first 0
wait_until 5 host_in in_client && ok || fail "the first device is online"
guest "$NS_A" second 0
wait_until 5 host_in in_second && ok || fail "the second device is online"
host_in in_client && ok || fail "the first device is still online: two devices fit the roll's limit"
guest "$NS_B" third 1
wait_until 5 host_in in_third && ok || fail "the third device is online after the choice"
wait_until 5 host_out in_client && ok || fail "the oldest device (the first) is signed out"
host_in in_second && ok || fail "the second device stays online"
assert_eq 2 "$("$CLI" -d "$DB" session list --json | grep -c 'voucher:1-3')" "two sessions of the code"
for f in first-1-code-typed first-3-online second-3-online third-2-choice third-3-online; do
	[ -s "$SHOTS/voucher-guest-$f.png" ] && ok || fail "screenshot voucher-guest-$f.png"
done
assert_contains "$("$CLI" -d "$DB" voucher list)" "browser roll" "the roll is in the database"
finish
