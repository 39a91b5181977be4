#!/bin/bash
# Intercept mode: a voucher roll's data quota counts every session of the
# code, on all its devices. A two-device code with a 5 MiB quota is used
# by a second LAN host (online, idle) and by the client, which downloads
# 12 MB that the origin sends at 2 MB/s. The maintenance round (twice a
# second) ends both devices' sessions with reason quota_exceeded: the
# download is cut under 8 MB. The client's next request goes to the
# portal, whose page says the quota is used up; the code, typed again on
# either device, is refused with that reason and starts no session. The
# admin API's voucher list shows the code's use at the quota.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
. "$(dirname "$0")/voucher.sh"

big=$E2E_WWW/voucher-12m
head -c 12000000 /dev/urandom > "$big"
chmod 644 "$big"
on_finish "rm -f '$big'"

intercept_conf "session_lifetime = 1h"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
printf 'desk-pw\n' | "$CLI" -d "$DB" admin add desk --role frontdesk >/dev/null
second_lan_host_up same-link || fail "second LAN host"
start_daemon || exit 1

Q=$(code_of 1 --validity 1d --devices 2 --quota 5M)
[ ${#Q} -eq 10 ] && ok || fail "the code printed at creation"
assert_contains "$("$CLI" -d "$DB" voucher list --json)" '"quota_bytes": 5242880' "the roll keeps its quota"

assert_eq 303 "$(voucher_post in_second "$Q")" "the second device logs in with the code"
wait_until 5 host_in in_second && ok || fail "the second device passes"
assert_eq 303 "$(voucher_post in_client "$Q")" "the client logs in with the same code"
wait_until 5 host_in in_client && ok || fail "the client passes"

got=$(ccurl -o /dev/null -w '%{size_download}' http://10.202.0.2:8080/paced/voucher-12m 2>/dev/null)
[ "${got:-0}" -ge 4500000 ] && [ "${got:-0}" -lt 8000000 ] && ok \
	|| fail "the download was cut between 4.5 and 8 MB: ${got:-0} bytes"
two_ends() { [ "$(grep -c "reason=quota_exceeded" "$DLOG")" -ge 2 ]; }
wait_until 5 two_ends || fail "the log says the quota ended both devices' sessions"
assert_eq "" "$("$CLI" -d "$DB" session list --json | grep voucher:1-1)" "no session of the code is left"
ended=$(sqlite3 "$DB" "SELECT count(*) || ' ' || (sum(bytes_in + bytes_out) >= 5242880) FROM session_history
	WHERE username = 'voucher:1-1' AND reason = 'quota_exceeded'")
assert_eq "2 1" "$ended" "the history has both devices' ends, the quota's bytes between them"
host_out in_second && ok || fail "the second device is out too"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "the client is sent to the portal again"
assert_contains "$(ccurl "$PORTAL/")" "data quota is used up" "the portal tells the client why"

assert_eq 401 "$(voucher_post in_client "$Q")" "the code is refused on the client"
assert_contains "$(page)" "data quota is used up" "the portal says the code's quota is used up"
assert_eq 401 "$(voucher_post in_second "$Q")" "the code is refused on the second device"
host_out in_client && host_out in_second && ok || fail "the code started no new session"
assert_eq 0 "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE username = 'voucher:1-1'")" "no session row"

# the panel's voucher list shows the code's use against the roll's quota
admin_api_login desk desk-pw
use=$(acurl -b "$ADMIN_JAR" "$A/api/vouchers" | python3 -c '
import json, sys
r = json.load(sys.stdin)["rolls"][0]
print(r["quota_bytes"], r["bytes_max"] >= r["quota_bytes"], r["quota_reached"])')
assert_eq "5242880 True 1" "$use" "the API lists the code's bytes at the quota, one code used up"
finish
