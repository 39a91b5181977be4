#!/bin/sh
# The installed unit started for real: a minimal Debian 12 tree (debootstrap
# from Debian's mirror, kept in a cache folder between runs) booted with
# systemd-nspawn on a private network, with the `make install` tree copied
# in. Inside, inside.sh enables the unit and checks what an administrator
# would: Type=notify start, the daemon's own user and capabilities, watchdog
# pings, reload (good and broken file), a backup while it runs, stop.
#
# The base tree is never written: each run boots an overlay of it that is
# thrown away. Needs root. If this machine cannot run systemd-nspawn at all
# (some containers), the scenario says so and is skipped; every failure
# after that is a failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$(pwd)
BASE=${SYSTEST_BASE:-/var/cache/portcullis-systest/bookworm}
# the mirror apt already uses on this machine, else Debian's own
apt_mirror() {
	sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*[[:space:]]*$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1
	sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\)\/*[[:space:]].*/\1/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1
}
MIRROR=${SYSTEST_MIRROR:-$(apt_mirror | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
START=$(date +%s)
if [ "$(id -u)" != 0 ]; then
	echo "system: needs root"; exit 1
fi
for tool in systemd-nspawn debootstrap; do
	command -v "$tool" >/dev/null || { echo "system: $tool missing (tests/install-deps.sh installs it)"; exit 1; }
done

PACKAGES=systemd,systemd-sysv,dbus,libsqlite3-0,libssl3,libmicrohttpd12,libjansson4,libnftnl11,libmnl0,libc-ares2,libldap-2.5-0,libsystemd0,libnl-3-200,libnl-route-3-200,libgssapi-krb5-2,libkrb5-3,libk5crypto3,libcom-err2,libqrencode4,iproute2,nftables
# a tree made for another package list is made again
if [ -d "$BASE" ] && [ "$(cat "$BASE/.portcullis-packages" 2>/dev/null)" != "$PACKAGES" ]; then
	rm -rf "$BASE"
fi
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
	echo "system: building the base tree in $BASE (debootstrap from $MIRROR, once)"
	# a private folder first: another run may be building the same tree
	tmp=$BASE.tmp.$$
	mkdir -p "$(dirname "$BASE")"
	if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$tmp" "$MIRROR" > "$tmp.log" 2>&1; then
		echo "system: debootstrap failed:"; tail -n 20 "$tmp.log" | sed 's/^/    /'
		rm -rf "$tmp" "$tmp.log"
		exit 1
	fi
	rm -f "$tmp.log"
	echo "$PACKAGES" > "$tmp/.portcullis-packages"
	mv -T "$tmp" "$BASE" 2>/dev/null || rm -rf "$tmp"
	echo "system: base tree ready after $(( $(date +%s) - START )) s"
fi

WORK=$(mktemp -d /tmp/portcullis-systest.XXXXXX)
ROOT=$WORK/root
cleanup() {
	[ -n "${SYSTEST_KEEP:-}" ] && cp -r "$WORK/out" "$SYSTEST_KEEP"
	mountpoint -q "$ROOT" && umount "$ROOT"
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
mkdir -p "$WORK/upper" "$WORK/work" "$ROOT" "$WORK/out"
# where /tmp cannot be an overlay's upper layer (itself an overlay, as in
# some containers), a copy of the tree does the same, a few seconds slower
if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT" 2>/dev/null; then
	cp -a "$BASE/." "$ROOT/" || { echo "system: cannot copy the base tree"; exit 1; }
fi

if ! probe=$(timeout 30 systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --private-network \
	--console=pipe /bin/true < /dev/null 2>&1); then
	printf '%s\n' "$probe" | sed 's/^/    /'
	# CI sets SYSTEST_REQUIRED: there a skip would let a green run hide that
	# the unit was never booted
	if [ -n "${SYSTEST_REQUIRED:-}" ]; then
		echo "system: FAILED: systemd-nspawn cannot run a container, and SYSTEST_REQUIRED is set"
		exit 1
	fi
	echo "system: SKIPPED: systemd-nspawn cannot run a container on this machine (above)"
	exit 0
fi

make --no-print-directory install PREFIX=/usr DESTDIR="$ROOT" >/dev/null || { echo "system: make install failed"; exit 1; }
install -m 0755 tests/system/inside.sh "$ROOT/usr/local/sbin/portcullis-systest"
cat > "$ROOT/etc/systemd/system/portcullis-systest.service" <<'UNIT'
[Unit]
Description=Portcullis system test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/portcullis-systest /systest/out
StandardOutput=journal+console
UNIT
mkdir -p "$ROOT/etc/systemd/system/default.target.wants"
ln -sf /etc/systemd/system/portcullis-systest.service "$ROOT/etc/systemd/system/default.target.wants/"
# the container's own name resolution and machine id, so nothing waits
echo systest > "$ROOT/etc/hostname"

booted=$(date +%s)
timeout 240 systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --private-network \
	--bind="$WORK/out:/systest/out" --console=pipe --boot < /dev/null > "$WORK/console.log" 2>&1
rc=$?
if [ ! -f "$WORK/out/result" ]; then
	echo "system: the test inside the container did not finish (nspawn status $rc)"
	tail -n 30 "$WORK/out/log" 2>/dev/null | sed 's/^/    /'
	tail -n 10 "$WORK/console.log" | sed 's/^/    /'
	exit 1
fi
sed 's/^/  /' "$WORK/out/checks"
echo "system: booted, tested and powered off in $(( $(date +%s) - booted )) s ($(( $(date +%s) - START )) s in all)"
# the shipped fail2ban filter, reading the container's journal as the
# example jail does (backend = systemd, the unit's entries): it finds both
# failures, with the client's address, never the forged one
f2b=$(timeout 60 fail2ban-regex -v -m "_SYSTEMD_UNIT=portcullisd.service" \
	"systemd-journal[journalpath=$WORK/out/journal]" etc/fail2ban/filter.d/portcullis.conf 2>&1)
f2b_fail=""
printf '%s' "$f2b" | grep -q "Failregex: 2 total" || f2b_fail="two failures not matched"
# -v lists each match as "|      ADDRESS  DATE" under the regex
printf '%s' "$f2b" | grep -Eq '^\|[[:space:]]+127\.0\.0\.1[[:space:]]' || f2b_fail="$f2b_fail; client address not found"
printf '%s' "$f2b" | grep -Eq '^\|[[:space:]]+6\.6\.6\.6[[:space:]]' && f2b_fail="$f2b_fail; forged address taken"
if [ -n "$f2b_fail" ]; then
	echo "  FAIL fail2ban filter on the journal: $f2b_fail"
	printf '%s\n' "$f2b" | grep -E 'Failregex|Use|\|' | head -n 20 | sed 's/^/    /'
	echo fail > "$WORK/out/result"
else
	echo "  ok fail2ban filter matches the journal's failure lines (backend systemd)"
	echo "ok fail2ban" >> "$WORK/out/checks"
fi
if [ "$(cat "$WORK/out/result")" != pass ]; then
	echo "  log of the failing run:"; tail -n 40 "$WORK/out/log" | sed 's/^/    /'
	exit 1
fi
echo "system: $(grep -c '^ok' "$WORK/out/checks") passed, 0 failed"
