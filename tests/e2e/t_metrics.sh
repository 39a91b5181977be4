#!/bin/bash
# Prometheus metrics on the admin listener count what clients saw.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret; start_daemon || exit 1
status_of http://$ORIGIN/1k >/dev/null
status_of -U alice:wrong http://$ORIGIN/1k >/dev/null
status_of -U alice:secret http://$ORIGIN/1k >/dev/null
m=$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)
assert_metric "$m" portcullis_challenges_total 1 "one challenge counted"
assert_metric "$m" 'portcullis_auth_failures_total{reason="wrong_password"}' 1 "one failure counted"
assert_metric "$m" portcullis_auth_success_total 1 "one success counted"
assert_contains "$m" "# TYPE portcullis_connections_open gauge" "gauges typed"
assert_eq 404 "$(in_gw timeout 5 curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/nothing)" "unknown path"
assert_eq 405 "$(in_gw timeout 5 curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:8080/metrics)" "POST refused"
assert_eq 403 "$(status_of -U alice:secret http://127.0.0.1:8080/metrics)" "the proxy refuses its own admin listener"
