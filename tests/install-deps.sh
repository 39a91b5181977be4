#!/bin/sh
# Install, from Debian's packages, what is missing. A no-op (one dpkg-query
# per package) when everything is there.
#
#   sh tests/install-deps.sh        build and run (`make deps`, `make run`):
#                                   what a production gateway needs, nothing more
#   sh tests/install-deps.sh test   the same and the test toolchain (`make
#                                   test-deps`, `make test`)
#   sh tests/install-deps.sh build --list   print the list, install nothing
#
# The test list must never go onto a gateway by accident: it holds nginx
# (whose default site listens on port 80 of every interface), a browser,
# compilers and debuggers, none of which a gateway should carry.
set -eu
# build: compiler, headers, pkg-config; run: the CLI's sqlite3 for backup
# checks, nftables for intercept mode, python3 and iproute2 for `make run`'s
# local page
build_pkgs="build-essential pkg-config libsqlite3-dev sqlite3 libssl-dev openssl
libmicrohttpd-dev libnftnl-dev libmnl-dev libjansson-dev libsystemd-dev libc-ares-dev libldap-dev libkrb5-dev
libnl-3-dev libnl-route-3-dev libqrencode-dev
nftables ca-certificates python3 iproute2"
test_pkgs="libcmocka-dev clang libclang-rt-14-dev curl wget python3-requests
fail2ban python3-systemd nginx-light wrk procps psmisc bc chromium zbar-tools
systemd man-db groff-base mandoc logrotate systemd-container debootstrap valgrind
freeradius freeradius-utils slapd ldap-utils tcpdump samba-ad-dc samba-ad-provision
krb5-kdc krb5-admin-server krb5-user faketime"
case "${1:-build}" in
build) pkgs=$build_pkgs; want_node=no ;;
test) pkgs="$build_pkgs $test_pkgs"; want_node=yes ;;
*) echo "usage: sh tests/install-deps.sh [build|test]" >&2; exit 2 ;;
esac
if [ "${2:-}" = --list ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs
	[ "$want_node" = no ] || printf '%s\n' nodejs npm
	exit 0
fi
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# the browser tests' node and npm: Debian's packages unless a node with its
# own npm is already installed
if [ "$want_node" = yes ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# the e2e scenarios start slapd themselves, each with a configuration of its
# own: the package must not set up (and start) a directory of its own
case " $missing " in
*" slapd "*) echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections ;;
esac
# the AD scenarios start a Samba DC of their own in a namespace: the
# package's file and name servers (smbd, nmbd, winbind; nmbd broadcasts on
# every interface) must not start on the test machine. invoke-rc.d and
# deb-systemd-invoke ask policy-rc.d; an existing one is left alone.
samba_policy=""
case " $missing " in
*" samba-ad-dc "*)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		samba_policy=/usr/sbin/policy-rc.d
		cat > "$samba_policy" <<'POLICY'
#!/bin/sh
# invoke-rc.d may put --quiet before the service's name
for a in "$@"; do
	case "$a" in smbd*|nmbd*|winbind*|samba*) exit 101 ;; esac
done
exit 0
POLICY
		chmod 755 "$samba_policy"
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi ;;
esac
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ -n "$samba_policy" ]; then
	rm -f "$samba_policy"
	if [ -d /run/systemd/system ]; then
		systemctl disable --now smbd nmbd winbind samba-ad-dc >/dev/null 2>&1 || true
	fi
fi
