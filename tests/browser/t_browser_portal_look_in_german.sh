#!/bin/bash
# The portal's look and language as people see them, in Chromium: an admin
# sets the title and colours on the panel's Portal page and uploads a logo
# (an SVG with script and a text file named .png are refused with a clear
# message); a client with Accept-Language de then sees, at a phone's
# (390x844) and a laptop's (1366x768) size, the German portal under that
# title, with the logo loaded, the accent on the button, the background,
# no CSP violation and no horizontal overflow. Screenshots go to
# build/browser/portal-look/ (the paths are printed).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
ADMIN_LISTEN=127.0.0.1:8080
intercept_conf
setup_daemon
printf 'look admin pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1

# a 96x32 PNG logo, drawn here
python3 - "$DIR/logo.png" <<'PY'
import struct, sys, zlib
w, h = 96, 32
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
rows = b"".join(b"\x00" + b"".join(bytes((200, 40 + x, 90)) if (x // 8 + y // 8) % 2
                                     else bytes((20, 20, 60)) for x in range(w))
                for y in range(h))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
SHOTS=$REPO/build/browser/portal-look
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
TITLE='Café Sonnenschein <Gäste>'
run_part() { # part namespace
	out=$(cd "$REPO/tests/browser" && PART=$1 ADMIN_URL=http://127.0.0.1:8080 ADMIN_NAME=root \
		ADMIN_PW='look admin pw' PORTAL=$PORTAL TITLE=$TITLE ACCENT='#c0306a' BACKGROUND='#fdf6e3' \
		LOGO=$DIR/logo.png SHOTS=$SHOTS HOME=$DIR timeout 120 ip netns exec "$2" node portal_look.js 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/  /'
	CHECKS=$((CHECKS + $(printf '%s\n' "$out" | grep -c '^  ok ')))
	assert_eq 0 "$rc" "browser part $1 ($(printf '%s\n' "$out" | grep -c '^  FAIL') failed checks)"
}
run_part admin "$NS_G"
# what the panel did is in the database
assert_contains "$("$CLI" -d "$DB" --json portal show)" '"accent": "#c0306a"' "the accent stored"
run_part portal "$NS_C"
for f in admin-portal-page portal-phone-de portal-laptop-de; do
	if [ -s "$SHOTS/$f.png" ]; then ok "screenshot $SHOTS/$f.png"; else fail "screenshot $f.png"; fi
done
finish
