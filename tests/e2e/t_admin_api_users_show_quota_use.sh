#!/bin/bash
# The admin API's GET /api/users gives, for each user a data quota holds,
# the use against it (the panel's Users page shows it): "quota" is null for
# a user without one; else "from" (user: her own, policy: her group
# policy's, which holds only a user without her own), and for the day and
# month quotas that are set the bytes used so far in the period, the size
# and when the period starts again (the next local midnight; the first of
# the next month). dave has a 5 MB day quota of his own and downloads 1 MB
# through the proxy: his day use is at least what he received and at most
# that plus 5 % and 64 KiB of headers, under the size, at once (the
# proxy's bytes not written to the history yet count); fay's 2 MB a day
# comes from her group's policy and she used nothing; erin has no quota.
. "$(dirname "$0")/lib.sh"

ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user dave 'pw'
add_user erin 'pw'
add_user fay 'pw'
"$CLI" -d "$DB" user quota dave --day 5MB >/dev/null || fail "the CLI sets dave's quota"
"$CLI" -d "$DB" group add metered >/dev/null && "$CLI" -d "$DB" group member add metered fay >/dev/null &&
	"$CLI" -d "$DB" policy set metered --quota-day 2MB >/dev/null || fail "the metered group's policy"
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
admin_api_login root admin-pw
[ -n "$CSRF" ] && ok || fail "admin login"

got=$(pcurl -U dave:pw -o /dev/null -w '%{size_download}' http://10.202.0.2/1m 2>/dev/null)
[ "${got:-0}" -eq 1048576 ] && ok || fail "dave's download: ${got:-0} bytes"

# the user's quota object, as "FROM DAY_USED DAY_BYTES DAY_RESETS MONTH", or "null"
quota_of() {
	acurl -b "$ADMIN_JAR" "$A/api/users" | python3 -c '
import json, sys
for u in json.load(sys.stdin)["users"]:
    if u["name"] != sys.argv[1]:
        continue
    q = u.get("quota", "absent")
    if not isinstance(q, dict):
        print(json.dumps(q))
    else:
        d = q["day"] or {"used": "-", "bytes": "-", "resets_at": "-"}
        print(q["from"], d["used"], d["bytes"], d["resets_at"], json.dumps(q["month"]))' "$1"
}
midnight=$(python3 -c '
import datetime
d = datetime.date.today() + datetime.timedelta(days=1)
print(int(datetime.datetime.combine(d, datetime.time()).timestamp()))')

read -r from used size resets month <<<"$(quota_of dave)"
assert_eq "user 5000000 $midnight null" "$from $size $resets $month" "dave's own day quota and its reset"
awk -v u="${used:-0}" -v g="$got" 'BEGIN { exit !(u >= g && u <= g * 1.05 + 65536 && u <= 5000000) }' &&
	ok || fail "dave's day use: $used bytes for $got received"
assert_eq "policy 0 2000000 $midnight null" "$(quota_of fay)" "fay's day quota from her group policy"
assert_eq "null" "$(quota_of erin)" "erin has no quota"
finish
