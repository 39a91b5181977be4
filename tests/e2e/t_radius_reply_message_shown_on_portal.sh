#!/bin/bash
# The Reply-Message of FreeRADIUS's Access-Accept (RFC 2865 §5.18) is shown
# to the person on the portal after the login, as text: markup in it is
# escaped, never rendered; the page sends them on to the page they asked
# for after a moment. A login without one is sent on at once (303).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
	Reply-Message = "Welcome <b>guest</b> & enjoy"
tom	Cleartext-Password := "tom-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

# the login form posted as a browser does, from the page the intercept
# sent the client to (its URL signed); prints the page, then the status
login_page() {
	local jar loc page csrf sig
	jar=$(mktemp /tmp/portcullis-e2e-jar.XXXXXX)
	loc=$(ccurl -D - -o /dev/null "http://10.202.0.2/1k" | tr -d '\r' | sed -n 's/^Location: //p')
	sig=${loc##*&sig=}
	page=$(ccurl -c "$jar" "$loc")
	csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
	ccurl -b "$jar" -w '\n%{http_code}' --data-urlencode "csrf=$csrf" \
		--data-urlencode "username=$1" --data-urlencode "password=$2" \
		--data-urlencode "url=http://10.202.0.2/1k" --data-urlencode "sig=$sig" "$PORTAL/login"
	rm -f "$jar"
}
out=$(login_page gina gina-pw)
assert_eq 200 "$(echo "$out" | tail -n 1)" "the login with a Reply-Message answers with a page"
assert_contains "$out" "Welcome &lt;b&gt;guest&lt;/b&gt; &amp; enjoy" "the Reply-Message, as text"
assert_not_contains "$out" "<b>guest" "its markup is not rendered"
assert_contains "$out" "You are signed in as gina" "the page says who is signed in"
assert_contains "$out" 'content="10; url=http://10.202.0.2/1k"' "and sends them on after 10 s"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the session passes traffic"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
sent_to_portal() { [ "$(direct_status http://10.202.0.2/1k)" = 302 ]; }
wait_until 10 sent_to_portal || fail "the kick sends the client back to the portal"
out=$(login_page tom tom-pw)
assert_eq 303 "$(echo "$out" | tail -n 1)" "a login without one is sent on at once"
finish
