#!/bin/bash
# Intercept mode: the operating systems' captive-portal probes.
# Before login each probe (Android generate_204, Apple hotspot-detect.html,
# Windows connecttest.txt, Firefox success.txt, sent with the probe's own
# Host) gets a redirect with a Location to the portal carrying the probe's
# URL and Cache-Control: no-store, never a 204, an empty 200 or a 407. The
# moment the client has logged in, each probe reaches the real destination
# (the origin's file), so the device sees it is online.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

# host path body: what the origin answers after login
PROBES="connectivitycheck.gstatic.com generate_204 android-probe-body
captive.apple.com hotspot-detect.html <HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>
www.msftconnecttest.com connecttest.txt Microsoft Connect Test
detectportal.firefox.com success.txt success"

intercept_conf
setup_daemon
add_user mona 'pw'
while read -r host path body; do
	printf '%s\n' "$body" > "$E2E_WWW/$path"
	chmod 644 "$E2E_WWW/$path"
done <<< "$PROBES"
start_daemon || exit 1
# a portal without a certificate: the start says the passwords go in clear
wait_until 10 log_has "portal: the login form posts passwords over plain HTTP"
assert_contains "$(cat "$DLOG")" "portal: the login form posts passwords over plain HTTP" "plain-HTTP portal warned of"

while read -r host path body; do
	hdr=$(ccurl -D - -o "$DIR/body" -H "Host: $host" -A "probe" "http://10.202.0.2/$path")
	status=$(printf '%s' "$hdr" | sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p')
	case "$status" in
	302|307) ok ;;
	*) fail "probe $host/$path before login: expected a redirect, got '$status'" ;;
	esac
	loc=$(printf '%s' "$hdr" | tr -d '\r' | sed -n 's/^Location: //p')
	case "$loc" in
	"$PORTAL/?url="*"$host"*"${path%%.*}"*) ok ;;
	*) fail "probe $host: Location '$loc' does not lead to the portal with the probe's URL" ;;
	esac
	assert_contains "$hdr" "Cache-Control: no-store" "probe $host: redirect not cached"
	[ "$(cat "$DIR/body")" != "$body" ] && ok || fail "probe $host: the origin's answer shown before login"
done <<< "$PROBES"

assert_eq 303 "$(portal_login mona pw)" "login"
# at once: no wait for any timer
while read -r host path body; do
	out=$(ccurl -o "$DIR/body" -w '%{http_code}' -H "Host: $host" "http://10.202.0.2/$path")
	assert_eq 200 "$out" "probe $host/$path after login reaches the origin"
	assert_eq "$body" "$(cat "$DIR/body")" "probe $host: the origin's own answer"
done <<< "$PROBES"
wait_until 10 log_has "GET http://captive.apple.com/hotspot-detect.html mona" "$ACCESS"
assert_contains "$(cat "$ACCESS")" "GET http://captive.apple.com/hotspot-detect.html mona" \
	"probe after login logged with the user"

while read -r host path body; do rm -f "$E2E_WWW/$path"; done <<< "$PROBES"
