#!/bin/sh
# `make bench`: figures, not part of `make test`; asserts nothing about speed.
#  - intercept session lookups: the address index against a text scan;
#  - wrk through the explicit proxy in the three-namespace topology;
#  - audit paging through the admin API with a million rows (loopback).
cd "$(dirname "$0")/../.." || exit 1
"${BUILD:-build}/bench/sessions_lookup"
E2E_SCENARIOS=tests/bench bash tests/e2e/run.sh
echo "== audit paging, ${AUDIT_ROWS:-1000000} rows"
bash tests/bench/audit_paging.sh
