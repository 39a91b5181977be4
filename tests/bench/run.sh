#!/bin/sh
# `make bench`: figures, not part of `make test`; asserts nothing about speed.
#  - intercept session lookups: the address index against a text scan;
#  - the comparison (t_compare.sh): direct routing, Squid, tinyproxy and
#    Portcullis in the three-namespace topology, one table at the end;
#  - audit paging through the admin API with a million rows (loopback);
#  - the cost of shaping, daemons alternated (t_shaping_cost.sh) and in one
#    daemon (t_shaping_cost_in_one_daemon.sh), and the daemon's idle CPU
#    with 10 000 sessions (t_counters_idle_cpu.sh), about 7 minutes of the
#    total.
# BENCH_SECONDS (4) per wrk run, BENCH_RUNS (10) rounds; about 18 minutes in all.
cd "$(dirname "$0")/../.." || exit 1
sh tests/bench/install-deps.sh || exit 1
"${BUILD:-build}/bench/sessions_lookup"
E2E_SCENARIOS=tests/bench E2E_TIMEOUT=900 bash tests/e2e/run.sh
echo "== audit paging, ${AUDIT_ROWS:-1000000} rows"
bash tests/bench/audit_paging.sh
