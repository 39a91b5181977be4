#!/bin/sh
# `make stress`: the limit scenarios that take the machine for a while
# (tests/stress/t_*.sh), in the end-to-end topology of tests/e2e/run.sh.
set -eu
cd "$(dirname "$0")/../.."
E2E_SCENARIOS=tests/stress E2E_TIMEOUT=${E2E_TIMEOUT:-900} exec bash tests/e2e/run.sh
