#!/bin/bash
# The portal and the intercept listeners under bad input, and what the
# portal serves besides the form: the RFC 8908 Captive Portal API (over
# HTTPS when a certificate is configured) and the proxy auto-config file.
# Forged CSRF, missing or huge fields, not-TLS bytes on 443, a truncated
# ClientHello, not-HTTP bytes on 80 and a bad Host each get a clear
# refusal, and the daemon carries on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

CERTDIR=$(mktemp -d /tmp/portcullis-e2e-cert.XXXXXX)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=10.201.0.1 \
	-addext "subjectAltName=IP:10.201.0.1" \
	-keyout "$CERTDIR/key.pem" -out "$CERTDIR/cert.pem" 2>/dev/null
PORTAL_EXTRA="tls_cert = $CERTDIR/cert.pem
tls_key = $CERTDIR/key.pem"
PROXY_EXTRA="header_timeout = 2s"
intercept_conf
setup_daemon
add_user dave 'pw'
start_daemon || exit 1
PORTAL=https://10.201.0.1:8082
ccurl() { in_client timeout 20 curl -sS --max-time 10 --cacert "$CERTDIR/cert.pem" "$@"; }

# the challenge sends clients to the HTTPS portal
hdr=$(ccurl -D - -o /dev/null "http://10.202.0.2/")
assert_contains "$hdr" "Location: https://10.201.0.1:8082/?url=" "redirect to the HTTPS portal"

# RFC 8908 Captive Portal API
hdr=$(ccurl -D - -o "$DIR/captive.json" "$PORTAL/api/captive")
assert_contains "$hdr" "application/captive+json" "captive API content type"
assert_contains "$(cat "$DIR/captive.json")" '"captive":true' "captive before login"
assert_contains "$(cat "$DIR/captive.json")" '"user-portal-url":"https://10.201.0.1:8082/"' "captive API names the portal"

# the login page: no script, a CSP, a CSRF field
hdr=$(ccurl -D - -o "$DIR/login.html" "$PORTAL/")
assert_contains "$hdr" "Content-Security-Policy: default-src 'none'" "portal CSP"
assert_contains "$hdr" "Strict-Transport-Security: max-age=31536000" "HSTS on the HTTPS portal"
assert_not_contains "$(cat "$DLOG")" "over plain HTTP" "no plain-HTTP warning for an HTTPS portal"
assert_not_contains "$(cat "$DIR/login.html")" "<script" "no script on the portal"
assert_contains "$(cat "$DIR/login.html")" 'name="csrf"' "CSRF token in the form"
# what a client puts in url= comes back as text
page=$(ccurl "$PORTAL/?url=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
assert_not_contains "$page" "<script>alert" "url parameter escaped in the page"

# bad portal input
jar=$DIR/jar
page=$(ccurl -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
post() { ccurl -b "$jar" -o /dev/null -w '%{http_code}' "$@" "$PORTAL/login"; }
assert_eq 403 "$(post --data-urlencode "csrf=0123456789abcdef0123456789abcdef.1" -d username=dave -d password=pw)" "forged CSRF token refused"
assert_eq 403 "$(ccurl -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" -d username=dave -d password=pw "$PORTAL/login")" "token without its cookie refused"
assert_eq 400 "$(post --data-urlencode "csrf=$csrf" -d username=dave)" "missing password refused"
assert_eq 400 "$(post --data-urlencode "csrf=$csrf" -d "username=$(head -c 600 /dev/zero | tr '\0' a)" -d password=pw)" "oversized username refused"
assert_eq 413 "$(post --data-urlencode "csrf=$csrf" -d username=dave -d "password=$(head -c 20000 /dev/zero | tr '\0' a)")" "huge form refused"
assert_eq 415 "$(post -H 'Content-Type: application/json' -d '{}')" "not a form refused"
assert_eq 405 "$(ccurl -o /dev/null -w '%{http_code}' -X PUT "$PORTAL/login")" "other methods refused"
# the portal never serves admin routes
for path in /api/users /api/sessions /metrics /api/login; do
	assert_eq 404 "$(ccurl -o /dev/null -w '%{http_code}' "$PORTAL$path")" "portal does not serve $path"
done

# bad bytes on the intercept listeners
out=$(in_client timeout 5 bash -c 'exec 3<>/dev/tcp/10.202.0.2/443; printf "GET / HTTP/1.1\r\n\r\n" >&3; cat <&3; echo "rc=$?"' 2>&1)
assert_not_contains "$out" "HTTP/1.1" "plain HTTP on 443 gets no answer but a close"
start=$(date +%s)
out=$(in_client timeout 8 bash -c 'exec 3<>/dev/tcp/10.202.0.2/443; printf "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" >&3; cat <&3; echo closed' 2>&1)
assert_contains "$out" "closed" "truncated ClientHello closed by the header timeout"
[ $(( $(date +%s) - start )) -le 6 ] && ok || fail "truncated ClientHello held too long"
out=$(in_client timeout 5 bash -c 'exec 3<>/dev/tcp/10.202.0.2/80; printf "\x16\x03\x01\x00\x05hello\r\n\r\n" >&3; cat <&3' 2>&1)
assert_contains "$out" "400 Bad Request" "not-HTTP bytes on 80 get 400"
st=$(ccurl -o /dev/null -w '%{http_code}' -H 'Host: bad host<>' "http://10.202.0.2/")
assert_eq 400 "$st" "malformed Host refused"

# the daemon carries on: log in and use the API again
page=$(ccurl -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
assert_eq 303 "$(post --data-urlencode "csrf=$csrf" -d username=dave -d password=pw --data-urlencode url=http://10.202.0.2/1k)" "login after all that"
json=$(ccurl "$PORTAL/api/captive")
assert_contains "$json" '"captive":false' "not captive after login"
assert_contains "$json" '"seconds-remaining":' "seconds-remaining after login"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "traffic passes after login"

# proxy auto-config
hdr=$(ccurl -D - -o "$DIR/proxy.pac" "$PORTAL/proxy.pac")
assert_contains "$hdr" "application/x-ns-proxy-autoconfig" "PAC content type"
assert_contains "$(cat "$DIR/proxy.pac")" 'return "PROXY 10.201.0.1:3128";' "PAC names the explicit proxy"
assert_eq 200 "$(ccurl -o /dev/null -w '%{http_code}' "$PORTAL/wpad.dat")" "wpad.dat served"
rm -rf "$CERTDIR"
