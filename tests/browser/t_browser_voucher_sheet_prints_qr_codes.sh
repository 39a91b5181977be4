#!/bin/bash
# A front desk makes a roll of ten day codes in the admin panel (headless
# Chromium) and prints the sheet: the printed page holds the ten codes and
# ten QR codes, each of which zbarimg decodes to the portal's URL with its
# code filled in; a guest in the client namespace then signs in on the
# portal with one of the printed codes and is online.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) is not installed"
ADMIN_LISTEN=127.0.0.1:8080
PORTAL_EXTRA="url = http://10.201.0.1:8082/"
intercept_conf "session_lifetime = 1h"
setup_daemon
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

# a guest opens that URL (as the phone would) and signs in with the code
code=$(awk 'NR == 3 { print $2 }' "$DIR/codes")
jar=$DIR/guest.jar
page=$(ccurl -c "$jar" "http://10.201.0.1:8082/?code=$code")
assert_contains "$page" "value=\"$code\"" "the portal opens with the code filled in"
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
assert_eq 303 "$(ccurl -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	--data-urlencode "code=$code" --data-urlencode "with=code" http://10.201.0.1:8082/login)" "the guest signs in with the code"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the guest is online"
assert_contains "$("$CLI" -d "$DB" voucher list)" "browser roll" "the roll is in the database"
finish
