#!/bin/bash
# Intercept mode in Chromium, the main path of a person on the LAN: a plain
# page request is sent to the portal, the person signs in with the real
# form and sees the page it asked for (not the form again: the portal's CSP
# allows a form to lead only to the portal itself, and Chromium aborts a
# redirect to another origin). At laptop and phone sizes, and after a wrong
# password first. Screenshots go to build/browser/portal-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"

intercept_conf
setup_daemon
add_user alice 'pa:ss w@rd'
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

name=portal-return-$$
text="The page alice asked for ($$)."
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>asked for</title></head><body><h1>%s</h1></body></html>\n' \
	"$text" > "$E2E_WWW/$name.html"
chmod 644 "$E2E_WWW/$name.html"
SHOTS=$REPO/build/browser
mkdir -p "$SHOTS"
rm -f "$SHOTS"/portal-*.png

run=0
for variant in "laptop 0" "laptop 1" "phone 1"; do
	set -- $variant
	run=$((run + 1))
	url="http://10.202.0.2/$name.html?run=$run&size=$1"
	out=$(cd "$REPO/tests/browser" && PAGE_URL=$url PAGE_TEXT=$text PORTAL=$PORTAL \
		PORTAL_USER=alice PORTAL_PASSWORD='pa:ss w@rd' WRONG_FIRST=$2 SIZE=$1 SHOTS=$SHOTS \
		HOME=$DIR timeout 90 ip netns exec "$NS_C" node portal_login.js 2>&1)
	rc=$?
	[ "$2" = 1 ] && echo "  $1, after a wrong password:" || echo "  $1:"
	printf '%s\n' "$out" | sed 's/^/  /'
	CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
	assert_eq 0 "$rc" "browser scenario $1 ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
	# the page came from the origin through the daemon, for alice
	wait_for "grep -q 'run=$run&size=$1 alice' '$ACCESS'" 30 ||
		fail "access log has alice's request for the page ($1)"
	# next size: a fresh start, the session ended
	out=$("$CLI" -d "$DB" session kick 10.201.0.2)
	assert_contains "$out" "ended" "session kicked before the next size"
	wait_for "[ \"\$(direct_status 'http://10.202.0.2/1k')\" = 302 ]" 50 ||
		fail "the client is sent to the portal again after the kick"
done
rm -f "$E2E_WWW/$name.html"
for f in laptop-1-form laptop-3-after-login laptop-after-wrong-2-wrong phone-after-wrong-1-form \
	 phone-after-wrong-3-after-login; do
	if [ -s "$SHOTS/portal-$f.png" ]; then ok; else fail "screenshot portal-$f.png"; fi
done
