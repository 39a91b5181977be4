#!/bin/sh
# Install, from Debian's packages, whatever the build and the tests need and
# is missing. A no-op (one dpkg-query) when everything is there.
set -eu
pkgs="build-essential pkg-config libsqlite3-dev sqlite3 libssl-dev openssl
libmicrohttpd-dev libnftnl-dev libmnl-dev libcmocka-dev libjansson-dev
libsystemd-dev clang libclang-rt-14-dev curl wget python3 python3-requests fail2ban python3-systemd
nginx-light wrk iproute2 nftables procps psmisc ca-certificates bc chromium
systemd man-db groff-base mandoc logrotate systemd-container debootstrap valgrind"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# the browser tests' node and npm: Debian's packages unless a node with its
# own npm is already installed
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
