#!/bin/sh
# `make install` into a temporary DESTDIR: the tree an administrator gets,
# the unit's systemd hardening rating, an existing configuration kept.
set -u
cd "$(dirname "$0")/../.." || exit 1
dest=$(mktemp -d /tmp/portcullis-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
passed=0
failed=0
check() { # description, command...
	what=$1; shift
	if "$@"; then passed=$((passed + 1)); else echo "  FAIL: $what"; failed=$((failed + 1)); fi
}
make --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null || { echo "install: make install failed"; exit 1; }
for f in usr/sbin/portcullisd usr/bin/portcullis etc/portcullis/portcullis.conf \
	usr/lib/systemd/system/portcullisd.service usr/lib/sysusers.d/portcullis.conf \
	usr/lib/tmpfiles.d/portcullis.conf etc/fail2ban/filter.d/portcullis.conf \
	usr/share/doc/portcullis/fail2ban-jail.conf usr/share/portcullis/web/index.html \
	usr/share/portcullis/web/app.js usr/share/portcullis/web/style.css; do
	check "$f installed" test -f "$dest/$f"
done
check "installed daemon checks the installed configuration" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/etc/portcullis/portcullis.conf' >/dev/null"
echo "# local change" >> "$dest/etc/portcullis/portcullis.conf"
make --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null
check "an existing configuration is never overwritten" grep -q '^# local change' "$dest/etc/portcullis/portcullis.conf"
if command -v systemd-analyze >/dev/null; then
	rating=$(systemd-analyze security --offline=yes --root="$dest" portcullisd.service 2>/dev/null |
		sed -n 's/.*Overall exposure level for portcullisd.service: \([0-9.]*\).*/\1/p')
	echo "  systemd-analyze security: exposure $rating"
	check "unit exposure rating 2.0 or lower (got '$rating')" awk -v r="$rating" 'BEGIN { exit !(r != "" && r <= 2.0) }'
fi
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
