#!/bin/sh
# `make install` into a temporary DESTDIR: the tree an administrator gets,
# the unit as systemd reads it and its hardening rating, the man pages as
# man renders them, the logrotate file as logrotate reads it, an existing
# configuration kept.
# tests/install-deps.sh installs every tool used here: none is optional.
set -u
cd "$(dirname "$0")/../.." || exit 1
dest=$(mktemp -d /tmp/portcullis-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
chmod 755 "$dest"    # logrotate, run as the daemon's user below, must get in
passed=0
failed=0
check() { # description, command...
	what=$1; shift
	if "$@"; then passed=$((passed + 1)); else echo "  FAIL: $what"; failed=$((failed + 1)); fi
}
quiet() { # command...: succeeds and prints nothing (warnings are failures)
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
	[ "$rc" -eq 0 ] && [ -z "$out" ]
}
make --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null || { echo "install: make install failed"; exit 1; }
for f in usr/sbin/portcullisd usr/bin/portcullis etc/portcullis/portcullis.conf \
	usr/lib/systemd/system/portcullisd.service usr/lib/sysusers.d/portcullis.conf \
	usr/lib/tmpfiles.d/portcullis.conf etc/fail2ban/filter.d/portcullis.conf \
	usr/share/doc/portcullis/fail2ban-jail.conf etc/logrotate.d/portcullis \
	usr/share/man/man8/portcullisd.8 usr/share/man/man8/portcullis.8 \
	usr/share/man/man5/portcullis.conf.5 usr/share/portcullis/web/index.html \
	usr/share/portcullis/web/app.js usr/share/portcullis/web/style.css; do
	check "$f installed" test -f "$dest/$f"
done
check "installed daemon checks the installed configuration" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/etc/portcullis/portcullis.conf' >/dev/null"
printf '[intercept]\ninterface = lan0\n' > "$dest/intercept-no-portal.conf"
check "-t refuses intercept mode without the login portal, and says why" \
	sh -c "! '$dest/usr/sbin/portcullisd' -t -c '$dest/intercept-no-portal.conf' 2>&1 | grep -q 'configuration OK' &&
	       '$dest/usr/sbin/portcullisd' -t -c '$dest/intercept-no-portal.conf' 2>&1 | grep -q 'set \[portal\] listen'"
check "the example configuration is not world-readable" \
	test "$(stat -c %a "$dest/etc/portcullis/portcullis.conf")" = 640
for f in etc/portcullis/portcullis.conf etc/fail2ban/filter.d/portcullis.conf etc/logrotate.d/portcullis; do
	echo "# local change" >> "$dest/$f"
done
make --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null
for f in etc/portcullis/portcullis.conf etc/fail2ban/filter.d/portcullis.conf etc/logrotate.d/portcullis; do
	check "an existing $f is never overwritten" grep -q '^# local change' "$dest/$f"
done
for f in fail2ban-filter.conf fail2ban-jail.conf logrotate.conf portcullis.conf.example; do
	check "the shipped $f is in the doc folder" test -f "$dest/usr/share/doc/portcullis/$f"
done
check "the doc folder's copy is the shipped file, whatever /etc has" \
	cmp -s etc/fail2ban/filter.d/portcullis.conf "$dest/usr/share/doc/portcullis/fail2ban-filter.conf"

# the unit names the binaries where PREFIX put them
local_dest=$dest/local
make --no-print-directory install PREFIX=/usr/local DESTDIR="$local_dest" >/dev/null
check "PREFIX=/usr/local: the unit runs /usr/local/sbin/portcullisd" \
	grep -q '^ExecStart=/usr/local/sbin/portcullisd -c /etc/portcullis/portcullis.conf$' \
	"$local_dest/usr/local/lib/systemd/system/portcullisd.service"
check "PREFIX=/usr/local: the daemon looks for its web assets where they went" \
	sh -c "test -f '$local_dest/usr/local/share/portcullis/web/index.html' &&
	       grep -qa '/usr/local/share/portcullis/web' '$local_dest/usr/local/sbin/portcullisd'"
check "PREFIX=/usr: and there for /usr" grep -qa '/usr/share/portcullis/web' "$dest/usr/sbin/portcullisd"
check "PREFIX=/usr/local: binaries and man pages under it" \
	test -x "$local_dest/usr/local/sbin/portcullisd" -a -f "$local_dest/usr/local/share/man/man5/portcullis.conf.5"

unit=$dest/usr/lib/systemd/system/portcullisd.service
check "the unit is Type=notify with a watchdog" \
	sh -c "grep -q '^Type=notify$' '$unit' && grep -q '^WatchdogSec=' '$unit'"
check "the unit keeps only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE" \
	sh -c "grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE$' '$unit' &&
	       grep -q '^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE$' '$unit'"
check "the unit lets the daemon reach netlink (nftables, rtnetlink, conntrack)" \
	sh -c "grep '^RestrictAddressFamilies=' '$unit' | grep -qw AF_NETLINK"
# verify resolves ExecStart= on this machine: point it at the installed binary
mkdir "$dest/verify"
sed "s|/usr/sbin/portcullisd|$dest/usr/sbin/portcullisd|g" "$unit" > "$dest/verify/portcullisd.service"
check "systemd-analyze verify: no errors or warnings" quiet systemd-analyze verify --man=no "$dest/verify/portcullisd.service"
rating=$(systemd-analyze security --offline=yes --root="$dest" portcullisd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for portcullisd.service: \([0-9.]*\).*/\1/p')
echo "  systemd-analyze security: exposure $rating"
check "unit exposure rating 2.0 or lower (got '$rating')" awk -v r="$rating" 'BEGIN { exit !(r != "" && r <= 2.0) }'

# fail2ban reads the installed filter with the example jail in place
f2b=$dest/fail2ban
cp -a /etc/fail2ban "$f2b"
rm -f "$f2b"/jail.d/*
cp "$dest/etc/fail2ban/filter.d/portcullis.conf" "$f2b/filter.d/portcullis.conf"
cp "$dest/usr/share/doc/portcullis/fail2ban-jail.conf" "$f2b/jail.d/portcullis.conf"
check "fail2ban-client -t accepts the filter and the example jail" \
	sh -c "timeout 60 fail2ban-client -c '$f2b' -t 2>&1 | grep -q 'OK: configuration test is successful'"
check "the example jail bans on every port (intercepted 80/443 arrive redirected)" \
	sh -c "timeout 60 fail2ban-client -c '$f2b' -d 2>/dev/null | grep \"'portcullis', 'action'\" | grep -q 'allports'"
check "the example jail reads the unit's journal entries with the portcullis filter" \
	sh -c "timeout 60 fail2ban-client -c '$f2b' -d 2>/dev/null | grep -q \"'addjournalmatch', '_SYSTEMD_UNIT=portcullisd.service'\""

# man pages: mandoc's lint and groff find nothing, man renders them
for page in usr/share/man/man8/portcullisd.8 usr/share/man/man8/portcullis.8 usr/share/man/man5/portcullis.conf.5; do
	check "mandoc -T lint $page" quiet mandoc -T lint "$dest/$page"
	check "groff -man -z -ww $page" quiet groff -man -z -ww "$dest/$page"
	check "man -l renders $page" sh -c "MANWIDTH=80 man -l '$dest/$page' 2>&1 | grep -q '^NAME'"
done
# every key of the example configuration (the unit tests keep it complete)
# has an entry in its section of portcullis.conf(5)
keys=$(awk '/^\[[a-z]+\]/ { s = substr($1, 2, length($1) - 2); next }
	match($0, /^#?[a-z_]+ =/) { k = $0; sub(/^#/, "", k); sub(/ =.*/, "", k); print s "." k }' etc/portcullis.conf)
documented=$(awk '/^\.SS \[[a-z]+\]/ { s = substr($2, 2, length($2) - 2); next }
	/^\.SH/ { s = "" }
	prev == ".TP" && s != "" && /^\.BR? / { print s "." $2 }
	{ prev = $0 }' man/portcullis.conf.5)
missing=""
for k in $keys; do
	printf '%s\n' "$documented" | grep -qx "$k" || missing="$missing $k"
done
check "portcullis.conf(5) documents every key (missing:${missing:- none})" test -z "$missing"
check "portcullis.conf(5) documents no unknown key" \
	sh -c "[ \"\$(printf '%s\n' \"$documented\" | sort -u)\" = \"\$(printf '%s\n' \"$keys\" | sort -u)\" ]"

# logrotate reads the shipped file as it is. It names the daemon's user,
# which only systemd-sysusers creates: a private mount namespace gives
# logrotate a passwd with that user, nothing on this machine changes. A
# forced dry run on a copy aimed at a scratch folder shows what it would do.
lr=$dest/logrotate
mkdir -p "$lr/log"
cp /etc/passwd "$lr/passwd"; cp /etc/group "$lr/group"
echo 'portcullis:x:64999:64999:Portcullis gateway:/var/lib/portcullis:/usr/sbin/nologin' >> "$lr/passwd"
echo 'portcullis:x:64999:' >> "$lr/group"
echo "1732451234.567 12 10.0.0.2 TCP_MISS/200 1270 GET http://a/ alice HIER_DIRECT/192.0.2.1 text/html" > "$lr/log/access.log"
chown -R 64999:64999 "$lr/log"; chmod 750 "$lr/log"; chmod 755 "$lr"
sed "s|/var/log/portcullis/|$lr/log/|" "$dest/etc/logrotate.d/portcullis" > "$lr/copy.conf"
in_ns() { unshare -m sh -c "mount --bind '$lr/passwd' /etc/passwd && mount --bind '$lr/group' /etc/group && $1"; }
out=$(in_ns "logrotate -d -s '$lr/state' '$dest/etc/logrotate.d/portcullis'" 2>&1)
check "logrotate -d reads the shipped file without an error" \
	sh -c "! printf '%s' \"\$1\" | grep -qi 'error'" _ "$out"
out=$(in_ns "logrotate -d -f -s '$lr/state' '$lr/copy.conf'" 2>&1)
before=$failed
check "logrotate would rotate the access log and signal the daemon" \
	sh -c "printf '%s' \"\$1\" | grep -q 'renaming $lr/log/access.log to $lr/log/access.log.1' &&
	       printf '%s' \"\$1\" | grep -q 'creating new $lr/log/access.log mode = 0640 uid = 64999' &&
	       printf '%s' \"\$1\" | grep -q 'systemctl kill --kill-whom=main --signal=HUP portcullisd.service' &&
	       ! printf '%s' \"\$1\" | grep -qi 'error'" _ "$out"
[ "$failed" -eq "$before" ] || printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /'
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
