#!/bin/sh
# Browser tests of the admin panel: playwright-core from the npm registry
# (pinned by package-lock.json, installed here, git-ignored) drives Debian's
# chromium; no browser is downloaded. The scenarios run in the e2e network
# namespaces (tests/e2e/run.sh with this directory's t_*.sh).
set -eu
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
	echo "browser: /usr/bin/chromium is missing (tests/install-deps.sh installs it)"; exit 1
fi
if [ ! -f node_modules/playwright-core/package.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
cd ../..
E2E_SCENARIOS=tests/browser sh tests/e2e/run.sh
