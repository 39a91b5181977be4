#!/bin/sh
# `make install` into a temporary DESTDIR: the tree an administrator gets,
# the unit as systemd reads it and its hardening rating, the man pages as
# man renders them, the logrotate file as logrotate reads it, an existing
# configuration kept.
# tests/install-deps.sh installs every tool used here: none is optional.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/wait.sh
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
# `make deps` is what the deployment guide runs on a gateway: nothing of the
# test toolchain (nginx-light alone would listen on port 80 everywhere)
build_list=$(sh tests/install-deps.sh build --list)
for p in nginx-light chromium clang valgrind wrk nodejs npm debootstrap libcmocka-dev systemd-container; do
	check "make deps does not install $p" sh -c "! printf '%s\n' \"\$1\" | grep -qx '$p'" _ "$build_list"
done
check "make test-deps installs what make deps does, and the tests' packages" \
	sh -c "sh tests/install-deps.sh test --list | grep -qx nginx-light &&
	       sh tests/install-deps.sh test --list | grep -qx libmicrohttpd-dev"
make --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null || { echo "install: make install failed"; exit 1; }
for f in usr/sbin/portcullisd usr/bin/portcullis etc/portcullis/portcullis.conf \
	usr/lib/systemd/system/portcullisd.service usr/lib/sysusers.d/portcullis.conf \
	usr/lib/tmpfiles.d/portcullis.conf etc/fail2ban/filter.d/portcullis.conf \
	usr/share/doc/portcullis/fail2ban-jail.conf etc/logrotate.d/portcullis \
	usr/share/man/man8/portcullisd.8 usr/share/man/man8/portcullis.8 \
	usr/share/man/man5/portcullis.conf.5 usr/share/portcullis/web/index.html \
	usr/share/portcullis/web/app.js usr/share/portcullis/web/style.css \
	usr/share/portcullis/lang/en.txt usr/share/portcullis/lang/de.txt; do
	check "$f installed" test -f "$dest/$f"
done
check "installed daemon checks the installed configuration" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/etc/portcullis/portcullis.conf' >/dev/null"
printf '[intercept]\ninterface = lan0\n' > "$dest/intercept-no-portal.conf"
check "-t refuses intercept mode without the login portal, and says why" \
	sh -c "! '$dest/usr/sbin/portcullisd' -t -c '$dest/intercept-no-portal.conf' 2>&1 | grep -q 'configuration OK' &&
	       '$dest/usr/sbin/portcullisd' -t -c '$dest/intercept-no-portal.conf' 2>&1 | grep -q 'set \[portal\] listen'"
# -t checks what a start reads: the portal's pages (a start refuses without
# them), its TLS pair, a configured admin certificate
mkdir -p "$dest/empty-web"
printf '[intercept]\ninterface = lan0\n[portal]\nlisten = 192.168.10.1:8000\n[admin]\nweb_root = %s\n' \
	"$dest/empty-web" > "$dest/portal-no-pages.conf"
check "-t refuses a portal whose pages are missing, and names where it looked" \
	sh -c "! '$dest/usr/sbin/portcullisd' -t -c '$dest/portal-no-pages.conf' >/dev/null 2>&1 &&
	       '$dest/usr/sbin/portcullisd' -t -c '$dest/portal-no-pages.conf' 2>&1 | grep -q 'cannot read its pages in $dest/empty-web/portal/'"
printf '[intercept]\ninterface = lan0\n[portal]\nlisten = 192.168.10.1:8000\n[admin]\nweb_root = %s\n' \
	"$dest/usr/share/portcullis/web" > "$dest/portal-pages.conf"
check "-t accepts the same with the installed pages" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/portal-pages.conf' | grep -q 'configuration OK'"
printf '[portal]\ntls_cert = %s/none.crt\ntls_key = %s/none.key\n' "$dest" "$dest" >> "$dest/portal-pages.conf"
check "-t refuses a portal TLS pair that cannot be read" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/portal-pages.conf' 2>&1 | grep -q 'cannot read tls_cert'"
printf '[admin]\ntls = yes\ntls_cert = %s/none.crt\ntls_key = %s/none.key\n' "$dest" "$dest" > "$dest/admin-tls.conf"
check "-t refuses an admin certificate that cannot be read" \
	sh -c "! '$dest/usr/sbin/portcullisd' -t -c '$dest/admin-tls.conf' >/dev/null 2>&1"
printf '[proxy]\naccess_log = %s/no-such-dir/access.log\n' "$dest" > "$dest/bad-log.conf"
check "-t refuses an access log in a directory that does not exist" \
	sh -c "'$dest/usr/sbin/portcullisd' -t -c '$dest/bad-log.conf' 2>&1 | grep -q 'cannot open access log $dest/no-such-dir/access.log: No such file'"
check "-t creates no access log" \
	sh -c "printf '[proxy]\naccess_log = %s/new-access.log\n' '$dest' > '$dest/log.conf' &&
	       '$dest/usr/sbin/portcullisd' -t -c '$dest/log.conf' >/dev/null && ! test -e '$dest/new-access.log'"
check "portcullisd --help and -h print the usage and succeed" \
	sh -c "'$dest/usr/sbin/portcullisd' --help | grep -q '^usage: portcullisd' &&
	       '$dest/usr/sbin/portcullisd' -h | grep -q -- '--test'"
check "portcullis --help prints the usage and succeeds" \
	sh -c "'$dest/usr/bin/portcullis' --help | grep -q '^usage: portcullis'"
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
# verify loads the units the default target pulls in too: a warning about
# another package's unit (FreeRADIUS's, installed for the RADIUS tests, uses
# the deprecated MemoryLimit=) is shown but is not ours to fail on
verify_ours() {
	out=$(systemd-analyze verify --man=no "$dest/verify/portcullisd.service" 2>&1); rc=$?
	theirs=$(printf '%s\n' "$out" | grep -E '^/(lib|usr/lib|etc)/systemd/system/' | grep -v portcullis)
	ours=$(printf '%s\n' "$out" | grep -vxF -e "$theirs" | grep -v '^$')
	[ -n "$theirs" ] && printf '%s\n' "$theirs" | sed 's/^/    (another unit) /'
	[ -n "$ours" ] && printf '%s\n' "$ours" | sed 's/^/    /'
	[ "$rc" -eq 0 ] || [ -n "$theirs" ] && [ -z "$ours" ]
}
check "systemd-analyze verify: no errors or warnings" verify_ours
rating=$(systemd-analyze security --offline=yes --root="$dest" portcullisd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for portcullisd.service: \([0-9.]*\).*/\1/p')
echo "  systemd-analyze security: exposure $rating"
check "unit exposure rating 2.0 or lower (got '$rating')" awk -v r="$rating" 'BEGIN { exit !(r != "" && r <= 2.0) }'

# fail2ban as a stock Debian 12 has it (jail.d/defaults-debian.conf and its
# [sshd] jail included, no /var/log/auth.log, no iptables) with the installed
# filter and the shipped jail copied in as the guide says
f2b=$dest/fail2ban
cp -a /etc/fail2ban "$f2b"
cp "$dest/etc/fail2ban/filter.d/portcullis.conf" "$f2b/filter.d/portcullis.conf"
cp "$dest/usr/share/doc/portcullis/fail2ban-jail.conf" "$f2b/jail.d/portcullis.conf"
check "the stock jail.d/defaults-debian.conf is there, untouched" \
	sh -c "grep -q '^enabled = true' '$f2b/jail.d/defaults-debian.conf'"
check "fail2ban-client -t accepts the stock configuration with the shipped jail" \
	sh -c "timeout 60 fail2ban-client -c '$f2b' -t 2>&1 | grep -q 'OK: configuration test is successful'"
f2b_dump=$(timeout 60 fail2ban-client -c "$f2b" -d 2>/dev/null)
check "the example jail bans on every port (intercepted 80/443 arrive redirected)" \
	sh -c "printf '%s' \"\$1\" | grep \"'portcullis', 'action'\" | grep -q 'nftables-allports'" _ "$f2b_dump"
check "no jail bans with iptables (not installed on Debian 12; nftables is)" \
	sh -c "! printf '%s' \"\$1\" | grep \"'action'\" | grep -q iptables" _ "$f2b_dump"
check "the example jail reads the unit's journal entries with the portcullis filter" \
	sh -c "printf '%s' \"\$1\" | grep -q \"'addjournalmatch', '_SYSTEMD_UNIT=portcullisd.service'\"" _ "$f2b_dump"
# A real ban: fail2ban-server with that configuration in a network namespace
# of its own (its nftables rules go there). This machine has no journal, so
# a .local file (read after the shipped one) gives the portcullis jail the
# daemon's log lines from a file; everything else, the action included, is
# as shipped.
f2b_ns=pcf2b$$
mkdir -p "$dest/f2b-run"
printf '[Definition]\nlogtarget = %s\ndbfile = :memory:\nsocket = %s\npidfile = %s\n' \
	"$dest/f2b-run/fail2ban.log" "$dest/f2b-run/sock" "$dest/f2b-run/pid" > "$f2b/fail2ban.local"
printf '[portcullis]\nbackend = polling\nlogpath = %s\njournalmatch =\n' "$dest/f2b-run/daemon.log" \
	> "$f2b/jail.d/zz-test.local"
: > "$dest/f2b-run/daemon.log"
ip netns add "$f2b_ns"
ip netns exec "$f2b_ns" fail2ban-server -b -c "$f2b" -s "$dest/f2b-run/sock" -p "$dest/f2b-run/pid" >/dev/null 2>&1
f2b() { ip netns exec "$f2b_ns" timeout 10 fail2ban-client -c "$f2b" -s "$dest/f2b-run/sock" "$@"; }
f2b_up() { f2b status portcullis >/dev/null 2>&1; }
wait_until 10 f2b_up
check "fail2ban starts with the stock configuration and the shipped jail (sshd jail too)" \
	sh -c "f2b_out=\$(ip netns exec '$f2b_ns' timeout 10 fail2ban-client -c '$f2b' -s '$dest/f2b-run/sock' status) &&
	       printf '%s' \"\$f2b_out\" | grep -q 'portcullis' && printf '%s' \"\$f2b_out\" | grep -q 'sshd'"
for i in $(seq 1 25); do
	printf '%s.%03d notice: auth failure: client=192.0.2.77 user="mallory" reason=wrong_password mode=explicit\n' \
		"$(date '+%Y-%m-%dT%H:%M:%S')" "$i" >> "$dest/f2b-run/daemon.log"
done
f2b_lists_ban() { f2b status portcullis 2>/dev/null | grep -q '192.0.2.77'; }
wait_until 10 f2b_lists_ban
check "25 failures from one address: fail2ban bans it" \
	sh -c "ip netns exec '$f2b_ns' timeout 10 fail2ban-client -c '$f2b' -s '$dest/f2b-run/sock' status portcullis | grep -q 'Banned IP list:.*192.0.2.77'"
# fail2ban lists the address as banned before its action has run: wait
# (bounded) for the rule itself
ban_rule_in_place() { ip netns exec "$f2b_ns" nft list ruleset 2>/dev/null | grep -q '192.0.2.77'; }
wait_until 10 ban_rule_in_place
check "the ban is an nftables rule on every port (no iptables needed)" \
	sh -c "ip netns exec '$f2b_ns' nft list ruleset | grep -q '192.0.2.77'"
f2b stop >/dev/null 2>&1
wait_until 10 test ! -e "$dest/f2b-run/pid"
ip netns del "$f2b_ns"
[ "$failed" -eq 0 ] || tail -n 20 "$dest/f2b-run/fail2ban.log" | sed 's/^/    /'

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
