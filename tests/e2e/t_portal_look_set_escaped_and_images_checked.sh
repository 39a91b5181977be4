#!/bin/bash
# The portal's look as an administrator sets it through the admin API and
# the CLI: a title with markup shows on the portal as text; a colour that
# is not #rrggbb is refused with the rule, and the accepted one reaches
# the portal only through its generated stylesheet (/look.css); a logo is
# checked by its magic bytes (a text file named .png and an SVG with script
# are refused, with the reason; one larger than 256 KiB too) and served
# from /logo with its type, nosniff and an ETag that a revalidation
# answers with 304. Removing the logo takes it off the pages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
ADMIN_LISTEN=127.0.0.1:8080
intercept_conf
setup_daemon
printf 'root-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
printf 'audit-pw\n' | "$CLI" -d "$DB" admin add --role auditor eve >/dev/null
start_daemon || exit 1

# a 1x1 PNG, an SVG with script, a text file named .png, a PNG too large
python3 - "$DIR" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(b"\x00\xc0\xff\xee")) + chunk(b"IEND", b""))
open(d + "/logo.png", "wb").write(png)
open(d + "/evil.svg", "w").write('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
open(d + "/notes.png", "w").write("just some text\n")
open(d + "/huge.png", "wb").write(png + b"\0" * (300 * 1024))
PY
upload() { # file: the HTTP status; the answer in $DIR/answer
	acurl -o "$DIR/answer" -w '%{http_code}' -b "$ADMIN_JAR" -H "X-CSRF-Token: $CSRF" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$1" "$A/api/portal/logo"
}

admin_api_login root root-pw
assert_eq 200 "$(admin_api_post /api/portal '{"title":"<script>alert(1)</script> Caf\u00e9","accent":"#c0ffee"}')" \
	"title and accent set"
code=$(acurl -o "$DIR/answer" -w '%{http_code}' -b "$ADMIN_JAR" -H "X-CSRF-Token: $CSRF" \
	-H 'Content-Type: application/json' -d '{"accent":"red;} body {display:none"}' "$A/api/portal")
assert_eq 400 "$code" "a colour that is not #rrggbb refused"
assert_contains "$(cat "$DIR/answer")" '#rrggbb' "the refusal gives the rule"
assert_eq 400 "$(admin_api_post /api/portal '{"title":"two\nlines"}')" "a title with a line break refused"
assert_eq 400 "$(admin_api_post /api/portal '{"colour":"#000000"}')" "an unknown field refused"

assert_eq 415 "$(upload "$DIR/notes.png")" "a text file named .png refused"
assert_contains "$(cat "$DIR/answer")" "must be a PNG, JPEG, GIF or WebP image" "the refusal says what a logo may be"
assert_eq 415 "$(upload "$DIR/evil.svg")" "an SVG with script refused"
assert_contains "$(cat "$DIR/answer")" "SVG is refused" "the refusal names SVG"
assert_eq 413 "$(upload "$DIR/huge.png")" "a logo over 256 KiB refused"
assert_contains "$(cat "$DIR/answer")" "larger than 256 KiB" "the refusal says the cap"
assert_eq 200 "$(upload "$DIR/logo.png")" "a PNG logo stored"
assert_contains "$(cat "$DIR/answer")" '"logo_type":"image/png"' "stored as image/png"

# an auditor reads the look and changes nothing
admin_api_login eve audit-pw
assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$ADMIN_JAR" "$A/api/portal")" "an auditor reads the look"
assert_eq 403 "$(admin_api_post /api/portal '{"title":"mine"}')" "an auditor may not set it"

page=$(ccurl "$PORTAL/")
assert_contains "$page" '<h1>&lt;script&gt;alert(1)&lt;/script&gt; Café</h1>' "the title shows as text"
assert_contains "$page" '<title>&lt;script&gt;alert(1)&lt;/script&gt; Café</title>' "and in the window's title"
assert_not_contains "$page" '<script' "no markup from the title on the portal"
version=$(printf '%s' "$page" | sed -n 's/.*href="\/look.css?v=\([0-9]*\)".*/\1/p')
assert_contains "$page" "<img class=\"logo\" src=\"/logo?v=$version\" alt=\"\">" "the page shows the logo"
assert_contains "$(ccurl "$PORTAL/look.css?v=$version")" "--accent: #c0ffee;" "the stylesheet carries the accent"
assert_not_contains "$(ccurl "$PORTAL/look.css")" "red" "the refused colour is nowhere"

hdr=$(ccurl -D - -o "$DIR/got.png" "$PORTAL/logo?v=$version")
assert_contains "$hdr" "Content-Type: image/png" "the logo is served as image/png"
assert_contains "$hdr" "X-Content-Type-Options: nosniff" "with nosniff"
etag=$(printf '%s' "$hdr" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
assert_eq "\"look-$version\"" "$etag" "with the look's version as its ETag"
cmp -s "$DIR/logo.png" "$DIR/got.png" && ok "the logo's bytes are the upload's" || fail "the logo served differs"
assert_eq 304 "$(ccurl -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$PORTAL/logo")" \
	"a revalidation of the same logo gets 304"

# the CLI refuses what the API refuses, and removes the logo
"$CLI" -d "$DB" portal set --accent 'red' 2>"$DIR/err" && fail "the CLI took a bad colour" ||
	assert_contains "$(cat "$DIR/err")" "#rrggbb" "the CLI refuses a bad colour with the rule"
"$CLI" -d "$DB" portal logo "$DIR/evil.svg" 2>"$DIR/err" && fail "the CLI took an SVG" ||
	assert_contains "$(cat "$DIR/err")" "not a PNG, JPEG, GIF or WebP image" "the CLI refuses an SVG"
"$CLI" -d "$DB" portal logo --remove >/dev/null
assert_not_contains "$(ccurl "$PORTAL/")" 'class="logo"' "without a logo, none on the page"
assert_eq 404 "$(ccurl -o /dev/null -w '%{http_code}' "$PORTAL/logo")" "and /logo is 404"
finish
