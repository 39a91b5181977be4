#!/bin/sh
# `make bench`: throughput figures in the same three-namespace topology as
# the end-to-end tests (not part of `make test`). Prints figures; asserts
# nothing about speed.
cd "$(dirname "$0")/../.." || exit 1
E2E_SCENARIOS=tests/bench exec bash tests/e2e/run.sh
