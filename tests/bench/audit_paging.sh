#!/bin/bash
# Audit paging with a million rows through the admin API: time of the first
# page, of a deep page (keyset cursor near the oldest rows), of filtered
# pages, and of the dashboard's statistics (one row a second, so the last
# 24 hours hold 86 400 of them). Prints figures; asserts nothing about
# speed. Loopback only.
set -eu
cd "$(dirname "$0")/../.."
rows=${AUDIT_ROWS:-1000000}
dir=$(mktemp -d /tmp/portcullis-audit-bench.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
db=$dir/p.db
printf 'bench-pw\n' | build/portcullis -d "$db" admin add root >/dev/null
t0=$(date +%s.%N)
base=$(( $(date +%s) * 1000 - rows * 1000 ))
sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO failures (time_ms, client_addr, client_port, mode, scheme, username, reason, host, user_agent)
SELECT $base + i * 1000, '10.0.' || (i % 250) || '.' || (i % 200), 40000 + i % 20000,
       'explicit', 'basic', 'user' || (i % 5000),
       CASE i % 3 WHEN 0 THEN 'wrong_password' WHEN 1 THEN 'unknown_user' ELSE 'disabled' END,
       'example.org', 'bench/1.0' FROM n;
SQL
echo "generated $rows audit rows in $(echo "$(date +%s.%N) - $t0" | bc) s"
cat > "$dir/c.conf" <<CONF
[proxy]
listen = 127.0.0.1:13128
[db]
path = $db
[admin]
listen = 127.0.0.1:18080
CONF
build/portcullisd -c "$dir/c.conf" 2>"$dir/log" &
pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:18080/metrics && break; sleep 0.1; done
A=http://127.0.0.1:18080
curl -s -c "$dir/jar" -H 'Content-Type: application/json' -d '{"username":"root","password":"bench-pw"}' $A/api/login >/dev/null
t() { # label url
	best=""
	for _ in 1 2 3 4 5; do
		v=$(curl -s -o /dev/null -b "$dir/jar" -w '%{time_total}' "$2")
		best=$(printf '%s\n%s\n' "$v" "$best" | grep . | sort -n | head -1)
	done
	what=$(curl -s -o /dev/null -b "$dir/jar" -w '%{http_code}, %{size_download} bytes' "$2")
	printf '  %-44s %6.1f ms (best of 5; HTTP %s)\n' "$1" "$(echo "$best * 1000" | bc)" "$what"
}
t "first page (100 newest)" "$A/api/audit?limit=100"
deep=$((base + 1000 * 1000))
t "deep page (cursor near the oldest rows)" "$A/api/audit?limit=100&before_time_ms=$deep&before_id=1001"
t "filtered by user, first page" "$A/api/audit?limit=100&user=user42"
t "filtered by address, first page" "$A/api/audit?limit=100&addr=10.0.42.42"
t "filtered by reason, deep page" "$A/api/audit?limit=100&reason=disabled&before_time_ms=$deep&before_id=1001"
t "dashboard statistics (24 h of failures)" "$A/api/stats"
t "users page" "$A/api/users?limit=25"
