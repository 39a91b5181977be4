#!/bin/bash
# /metrics (the load, the failures by reason, the sessions) is no longer
# for anyone who reaches the admin listener: an address in [admin]
# metrics_allow (loopback by default) reads it, another needs the bearer
# token of [admin] metrics_token_file (as Prometheus sends it with
# authorization.credentials_file), and without a token configured gets 403.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=10.201.0.1:8080
ADMIN_EXTRA="metrics_allow = 10.201.0.1/32"
setup_daemon
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$token" > "$DIR/metrics.token"
printf '[admin]\nmetrics_token_file = %s\n' "$DIR/metrics.token" >> "$DIR/portcullis.conf"
start_daemon || exit 1
M=http://10.201.0.1:8080/metrics

# the gateway's own address is on the list
m=$(in_gw timeout 5 curl -s "$M")
assert_contains "$m" "# TYPE portcullis_connections_open gauge" "a listed address reads the metrics"

# a LAN client is not: it needs the token
hdr=$(in_client timeout 5 curl -s -D - -o "$DIR/body" "$M")
assert_contains "$hdr" "HTTP/1.1 401" "an unlisted address without the token: 401"
assert_contains "$hdr" 'WWW-Authenticate: Bearer realm="portcullis metrics"' "naming the Bearer scheme"
assert_not_contains "$(cat "$DIR/body")" "portcullis_" "and no metric in the answer"
st=$(in_client timeout 5 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token}x" "$M")
assert_eq 401 "$st" "a wrong token: 401"
st=$(in_client timeout 5 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $(printf 'a:%s' "$token" | base64)" "$M")
assert_eq 401 "$st" "the token in another scheme: 401"
m=$(in_client timeout 5 curl -s -H "Authorization: Bearer $token" "$M")
assert_contains "$m" "# TYPE portcullis_connections_open gauge" "the token reads the metrics"

# the file is read at each scrape: a new token replaces the old one
printf 'second-%s\n' "$token" > "$DIR/metrics.token"
assert_eq 401 "$(in_client timeout 5 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$M")" "the old token no longer works"
assert_eq 200 "$(in_client timeout 5 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer second-$token" "$M")" "the new one does"

# no token configured: an unlisted address gets 403 and nothing else
stop_daemon
sed -i '/^metrics_token_file/d' "$DIR/portcullis.conf"
start_daemon || exit 1
hdr=$(in_client timeout 5 curl -s -D - -o "$DIR/body" "$M")
assert_contains "$hdr" "HTTP/1.1 403" "no token configured: an unlisted address gets 403"
assert_contains "$(cat "$DIR/body")" "metrics_allow" "saying which setting"
assert_not_contains "$(cat "$DIR/body")" "portcullis_" "and no metric"
