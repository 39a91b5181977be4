#!/bin/bash
# After a portal login the client goes back to the page its intercepted
# request named, and nowhere else: a url in a link to the portal or in the
# login form (http://evil.example/) is not followed, nor is the signature
# the intercept made for one page used for another. The way back leads
# through the portal's own status page (a form may only lead to its own
# origin), which sends the browser on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice 'pw-a'
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

# the intercept signs the URL it sends the client to the portal with
loc=$(ccurl -D - -o /dev/null "http://10.202.0.2/1k?x=1" | tr -d '\r' | sed -n 's/^Location: //p')
assert_contains "$loc" "$PORTAL/?url=http%3A%2F%2F10.202.0.2%2F1k%3Fx%3D1&sig=" "the redirect carries the URL and its signature"
sig=${loc##*&sig=}
[ -n "$sig" ] && ok || fail "a signature in '$loc'"

jar=$DIR/jar
form() { # portal query string; sets csrf, and prints the form's url and sig fields
	local page
	page=$(ccurl -c "$jar" "$PORTAL/$1")
	csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
	printf '%s|%s' "$(printf '%s' "$page" | sed -n 's/.*name="url" value="\([^"]*\)".*/\1/p')" \
		"$(printf '%s' "$page" | sed -n 's/.*name="sig" value="\([^"]*\)".*/\1/p')"
}
login() { # extra curl arguments (url=, sig=); prints the answer's Location
	ccurl -b "$jar" -D - -o /dev/null --data-urlencode "csrf=$csrf" -d username=alice -d password=pw-a \
		"$@" "$PORTAL/login" | tr -d '\r' | sed -n 's/^Location: //p'
}

# the form carries what the intercept signed; a link to the portal with
# another URL gives a form without one
assert_eq "http://10.202.0.2/1k?x=1|$sig" "$(form "${loc#"$PORTAL/"}")" "the form carries the intercepted URL and its signature"
assert_eq "|" "$(form '?url=http%3A%2F%2Fevil.example%2F')" "a link's own url is not carried"
assert_eq "|" "$(form "?url=http%3A%2F%2Fevil.example%2F&sig=$sig")" "nor with another URL's signature"

# the open redirect: a url the form carries on its own leads to the status page
form "" >/dev/null
assert_eq "/status" "$(login --data-urlencode url=http://evil.example/)" "login with a forged url: back to the status page only"
form "" >/dev/null
assert_eq "/status" "$(login --data-urlencode url=http://evil.example/ --data-urlencode "sig=$sig")" \
	"the signature of another page does not carry evil.example"
form "" >/dev/null
# the last hex digit changed (to 1 when it was 0: "0" for "0" is no change,
# and the scenario failed whenever a signature ended in 0)
changed=${sig%?}0; [ "$changed" = "$sig" ] && changed=${sig%?}1
assert_eq "/status" "$(login --data-urlencode 'url=http://10.202.0.2/1k?x=1' --data-urlencode "sig=$changed")" \
	"a changed signature does not carry the page"

# the real way back: 303 to the portal's own status page, which sends the
# signed-in client on to its page
form "" >/dev/null
next=$(login --data-urlencode 'url=http://10.202.0.2/1k?x=1' --data-urlencode "sig=$sig")
assert_contains "$next" "/status?url=http%3A%2F%2F10.202.0.2%2F1k%3Fx%3D1&sig=" "the login leads to the portal's status page with the page"
page=$(ccurl "$PORTAL$next")
assert_contains "$page" '<meta http-equiv="refresh" content="0; url=http://10.202.0.2/1k?x=1">' "the status page sends the browser on"
assert_contains "$page" '<a href="http://10.202.0.2/1k?x=1">' "with a link to the page"
assert_contains "$page" "signed in as alice" "and says who is signed in"
page=$(ccurl "$PORTAL/status?url=http%3A%2F%2Fevil.example%2F&sig=$sig")
assert_not_contains "$page" "evil.example" "the status page sends nobody to an unsigned URL"
assert_contains "$page" '<meta http-equiv="refresh" content="">' "no refresh then"
