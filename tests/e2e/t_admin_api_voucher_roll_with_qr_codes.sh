#!/bin/bash
# Voucher rolls through the admin API, as a front desk: a roll made with
# POST /api/vouchers answers its codes once, each with the URL of the
# portal with the code filled in and a QR code of that URL (drawn here and
# decoded by zbarimg, as a guest's phone would); GET /api/vouchers counts
# them; bad input is refused naming the field; revoking a code through the
# API shows in the counts; every change is in the admin action log.
. "$(dirname "$0")/lib.sh"
command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) is not installed"
ADMIN_LISTEN=127.0.0.1:8080
CONF_EXTRA="[portal]
url = http://10.201.0.1:8082/"
setup_daemon
printf 'desk-pw\n' | "$CLI" -d "$DB" admin add desk --role frontdesk >/dev/null
start_daemon || exit 1
admin_api_login desk desk-pw
[ -n "$CSRF" ] && ok || fail "front desk logged in"

post() { # route json -> body into $DIR/answer, prints the status
	acurl -o "$DIR/answer" -w '%{http_code}' -b "$ADMIN_JAR" -H "X-CSRF-Token: $CSRF" \
		-H 'Content-Type: application/json' -d "$2" "$A$1"
}
assert_eq 400 "$(post /api/vouchers '{"count":0,"validity":"1d"}')" "zero codes refused"
assert_contains "$(cat "$DIR/answer")" "count" "the refusal names the field"
assert_eq 400 "$(post /api/vouchers '{"count":3,"validity":"forever"}')" "a bad validity refused"
assert_eq 400 "$(post /api/vouchers '{"count":3,"validity":"1d","alphabet":"<b>"}')" "a bad alphabet refused"
assert_eq 400 "$(post /api/vouchers '{"count":3,"validity":"1d","colour":"red"}')" "an unknown field refused"

assert_eq 201 "$(post /api/vouchers '{"count":3,"validity":"1d","comment":"conference","devices":2}')" \
	"a roll of three made"
python3 - "$DIR" <<'PY' > "$DIR/check"
import json, os, sys
d = sys.argv[1]
a = json.load(open(os.path.join(d, "answer")))
for c in a["codes"]:
    n, q = c["number"], c["qr"]
    # each dark module a unit square: a PGM a decoder reads, 8 pixels a module
    s, px = q["size"], 8
    img = [[255] * (s * px) for _ in range(s * px)]
    for part in q["path"].split("M")[1:]:
        x, y = part.split("h")[0].split()
        for dy in range(px):
            for dx in range(px):
                img[int(y) * px + dy][int(x) * px + dx] = 0
    with open(os.path.join(d, "qr%d.pgm" % n), "wb") as f:
        f.write(b"P5 %d %d 255\n" % (s * px, s * px) + bytes(v for row in img for v in row))
    print(n, c["code"], c["url"])
PY
assert_eq 3 "$(wc -l < "$DIR/check")" "three codes answered"
while read -r n code url; do
	assert_eq "http://10.201.0.1:8082/?code=$code" "$url" "code $n's portal URL carries the code"
	assert_eq "QR-Code:$url" "$(zbarimg -q --raw "$DIR/qr$n.pgm" 2>/dev/null | sed 's/^/QR-Code:/')" \
		"code $n's QR code decodes to its portal URL"
done < "$DIR/check"

rolls() { acurl -b "$ADMIN_JAR" "$A/api/vouchers"; }
field() { python3 -c 'import json,sys; r=json.load(sys.stdin)["rolls"][0]; print(" ".join(str(r[k]) for k in sys.argv[1:]))' "$@"; }
assert_eq "3 3 0 0 2 conference" "$(rolls | field codes unused used revoked max_devices comment)" "the roll listed with its counts"
assert_eq 400 "$(post /api/vouchers/revoke '{"roll":"1"}')" "a roll id that is no number refused"
assert_eq 404 "$(post /api/vouchers/revoke '{"roll":9}')" "an unknown roll answers 404"
assert_eq 200 "$(post /api/vouchers/revoke '{"roll":1,"number":2}')" "one code revoked"
assert_eq "1" "$(rolls | field revoked)" "the count of revoked codes"
assert_contains "$("$CLI" -d "$DB" actions)" "voucher.revoke" "the revoke is in the action log"
assert_contains "$("$CLI" -d "$DB" actions)" "voucher.create" "the roll's creation is in the action log"
# the codes are stored hashed: none of them is in the database file
code1=$(awk 'NR == 1 { print $2 }' "$DIR/check")
! cat "$DB" "$DB-wal" 2>/dev/null | grep -qa "$code1" && ok || fail "a code stored in clear"
finish
