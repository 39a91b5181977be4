#!/bin/sh
# `make bench`'s own packages (not `make test`'s): the proxies Portcullis is
# compared with, and htpasswd for Squid's basic_ncsa_auth password file.
# Debian starts squid and tinyproxy as system services on install (listening
# on 3128 and 8888 in the root namespace, where `make run` wants 3128), so
# they are installed under a policy-rc.d that forbids starting services, and
# stopped and disabled afterwards in case a policy was already in place that
# allowed it. The bench runs its own instances inside its namespaces.
set -eu
pkgs="squid tinyproxy apache2-utils wrk nginx-light linux-perf"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "bench install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# installed by portcullis tests/bench/install-deps.sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	own_policy=1
fi
rc=0
apt-get update -qq || rc=$?
if [ "$rc" -eq 0 ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
fi
[ "$own_policy" -eq 1 ] && rm -f "$policy"
for svc in squid tinyproxy; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done
exit "$rc"
