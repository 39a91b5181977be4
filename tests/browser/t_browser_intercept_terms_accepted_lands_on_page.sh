#!/bin/bash
# Click-through terms alone ([portal] terms = alone) in Chromium at laptop
# and phone sizes: a plain page request is sent to the portal, which shows
# the terms an admin saved (markup in them as text); pressing Accept leads
# to the page asked for, and each acceptance is recorded with the device's
# address and MAC. Screenshots go to build/browser/terms-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
ADMIN_LISTEN=127.0.0.1:8080
PORTAL_EXTRA="terms = alone"
intercept_conf
setup_daemon
printf 'root-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"
admin_api_login root root-pw
line='No <script>alert(1)</script> on this network & be kind.'
assert_eq 201 "$(admin_api_post /api/terms "{\"text\":\"Welcome, guest.\\n$line\"}")" "terms saved"

name=terms-return-$$
text="The page the guest asked for ($$)."
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>asked for</title></head><body><h1>%s</h1></body></html>\n' \
	"$text" > "$E2E_WWW/$name.html"
chmod 644 "$E2E_WWW/$name.html"
on_finish "rm -f '$E2E_WWW/$name.html'"
SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/terms-*.png
mac=$(in_client cat "/sys/class/net/$E2E_NS-cg/address")
n=0
for size in laptop phone; do
	n=$((n + 1))
	url="http://10.202.0.2/$name.html?size=$size"
	out=$(cd "$REPO/tests/browser" && PAGE_URL=$url PAGE_TEXT=$text PORTAL=$PORTAL TERMS_LINE=$line \
		SIZE=$size SHOTS=$SHOTS HOME=$DIR timeout 90 ip netns exec "$NS_C" node portal_terms.js 2>&1)
	rc=$?
	echo "  $size:"
	printf '%s\n' "$out" | sed 's/^/  /'
	CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
	assert_eq 0 "$rc" "browser scenario $size ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
	assert_eq "$n" "$(sqlite3 "$DB" "SELECT count(*) FROM terms_acceptances WHERE client_addr = '10.201.0.2' AND mac = '$mac' AND version = 1")" \
		"acceptance $n recorded with the device's address and MAC"
	assert_eq "terms:10.201.0.2" "$(sqlite3 "$DB" "SELECT username FROM sessions WHERE addr = '10.201.0.2'")" "the device's session ($size)"
	out=$("$CLI" -d "$DB" session kick 10.201.0.2)
	assert_contains "$out" "ended" "session kicked before the next size"
	wait_for "[ \"\$(direct_status 'http://10.202.0.2/1k')\" = 302 ]" 50 ||
		fail "the client is sent to the portal again after the kick"
done
for f in laptop-1-terms laptop-2-after-accept phone-1-terms phone-2-after-accept; do
	if [ -s "$SHOTS/terms-$f.png" ]; then ok; else fail "screenshot terms-$f.png"; fi
done
finish
