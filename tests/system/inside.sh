#!/bin/bash
# Runs inside the booted container (tests/system/run.sh) as a oneshot unit
# once the system is up. Writes "ok WHAT" / "FAIL WHAT" lines to OUT/checks,
# everything it did to OUT/log, and pass/fail to OUT/result; then powers
# the container off. Test traffic goes to the container's own loopback.
OUT=$1
exec > "$OUT/log" 2>&1
set -x
FAILS=0
ok() { echo "ok $*" >> "$OUT/checks"; }
fail() { echo "FAIL $*" >> "$OUT/checks"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
prop() { systemctl show -p "$1" --value portcullisd; }
CONF=/etc/portcullis/portcullis.conf
DB=/var/lib/portcullis/portcullis.db

# the first line of the proxy's answer to a request without credentials,
# and its Proxy-Authenticate headers
ask() {
	exec 3<>/dev/tcp/127.0.0.1/3128 || return 1
	printf 'GET http://192.0.2.1/ HTTP/1.1\r\nHost: 192.0.2.1\r\nConnection: close\r\n\r\n' >&3
	timeout 5 cat <&3 | tr -d '\r' | grep -E '^(HTTP/|Proxy-Authenticate)'
	exec 3<&-
}

systemd-sysusers
systemd-tmpfiles --create
systemctl daemon-reload
# intercept mode on a LAN interface of the container's own (one end of a
# veth pair; not every kernel has the dummy driver), with the portal: the
# hardened unit must let the daemon program nftables
ip link add lan0 type veth peer name lan0peer
ip addr add 192.168.77.1/24 dev lan0
ip link set lan0peer up
ip link set lan0 up
sed -i -e 's|^#access_log = .*|access_log = /var/log/portcullis/access.log|' \
	-e 's|^interface =$|interface = lan0|' \
	-e '/^\[portal\]/,/^\[/ s|^listen =$|listen = 192.168.77.1:8000|' "$CONF"
grep -E '^(interface|listen) =' "$CONF"
printf '%s\n' 'first-admin-pw' | portcullis -d "$DB" admin add admin
printf '%s\n' 'alice-pw' | portcullis -d "$DB" user add alice
chown portcullis:portcullis "$DB"
mkdir -p /etc/systemd/system/portcullisd.service.d
# a short watchdog, so that a missing ping shows within this test
printf '[Service]\nWatchdogSec=3s\n' > /etc/systemd/system/portcullisd.service.d/watchdog.conf
systemctl daemon-reload

check "systemctl enable --now portcullisd" systemctl enable --now portcullisd
check "active (running) once started" test "$(prop ActiveState)/$(prop SubState)" = active/running
check "Type=notify" test "$(prop Type)" = notify
PID=$(prop MainPID)
check "runs as the portcullis user" test "$(stat -c %U "/proc/$PID")" = portcullis
# CAP_NET_BIND_SERVICE is bit 10, CAP_NET_ADMIN bit 12: 0x1400
check "effective capabilities: CAP_NET_ADMIN and CAP_NET_BIND_SERVICE only" \
	grep -q '^CapEff:[[:space:]]*0000000000001400$' "/proc/$PID/status"
check "bounding set: the same two" grep -q '^CapBnd:[[:space:]]*0000000000001400$' "/proc/$PID/status"
check "no new privileges" grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$PID/status"
check "system call filter in force" grep -q '^Seccomp:[[:space:]]*2$' "/proc/$PID/status"
check "intercept mode: the daemon's nftables table is in place" nft list table inet portcullis
pac() {
	exec 4<>/dev/tcp/192.168.77.1/8000 || return 1
	printf 'GET /proxy.pac HTTP/1.1\r\nHost: 192.168.77.1:8000\r\nConnection: close\r\n\r\n' >&4
	timeout 5 cat <&4 | tr -d '\r'
	exec 4<&-
}
pac_answer=$(pac)
check "the portal serves /proxy.pac" grep -q '^HTTP/1.1 200' <<< "$pac_answer"
check "the PAC file sends browsers to the explicit proxy" grep -q 'PROXY 127.0.0.1:3128' <<< "$pac_answer"
answer=$(ask)
check "the proxy answers 407 on 127.0.0.1:3128" grep -q '^HTTP/1.1 407' <<< "$answer"
check "with the configured realm" grep -q 'realm="Portcullis"' <<< "$answer"
check "systemd has no complaint about the unit or its folders" \
	sh -c '! journalctl -u portcullisd --no-pager | grep -Ei "mode is different|ignoring|unknown|deprecated"'
check "journal says started" sh -c 'journalctl -u portcullisd --no-pager | grep -q "portcullisd started"'

sleep 8   # more than two watchdog periods
check "watchdog pings keep it running (same PID, no restart)" \
	test "$(prop MainPID)/$(prop NRestarts)/$(prop ActiveState)" = "$PID/0/active"

sed -i 's|^\[auth\]|[auth]\nrealm = Reloaded|' "$CONF"
check "systemctl reload with a changed file" systemctl reload portcullisd
sleep 1.5
check "the reload took effect (new realm)" grep -q 'realm="Reloaded"' <<< "$(ask)"
check "reloaded without a restart" test "$(prop MainPID)" = "$PID"
cp "$CONF" /root/good.conf
printf '[proxy]\nno_such_key = 1\n' >> "$CONF"
if systemctl reload portcullisd; then fail "systemctl reload refuses a broken file"; else ok "systemctl reload refuses a broken file"; fi
check "still running the old configuration" sh -c "test '$(prop MainPID)/$(prop ActiveState)' = '$PID/active'"
check "and still answering with it" grep -q 'realm="Reloaded"' <<< "$(ask)"
cp /root/good.conf "$CONF"

# two failed logins for fail2ban (run.sh reads them from this journal),
# one with a username that tries to forge an address
for cred in 'alice:wrong-pw' 'x" client=6.6.6.6 user="y:pw'; do
	exec 3<>/dev/tcp/127.0.0.1/3128
	printf 'GET http://192.0.2.1/ HTTP/1.1\r\nHost: 192.0.2.1\r\nProxy-Authorization: Basic %s\r\nConnection: close\r\n\r\n' \
		"$(printf '%s' "$cred" | base64 -w0)" >&3
	timeout 10 cat <&3 > /dev/null
	exec 3<&-
done
check "the failures are in the journal" sh -c 'journalctl -u portcullisd --no-pager | grep -c "auth failure: client=127.0.0.1" | grep -qx 2'

check "portcullis backup while the daemon runs" portcullis -d "$DB" backup /root/backup.db
check "the backup holds the users" sh -c 'portcullis -d /root/backup.db user list | grep -q alice'
check "access log written under /var/log/portcullis" grep -q 'TCP_DENIED/407' /var/log/portcullis/access.log

systemd-analyze security portcullisd.service --no-pager | tail -n 1
check "systemctl stop" systemctl stop portcullisd
# intercept mode fails closed: the stop leaves a table that forwards nothing
# from the LAN (no redirect, no session sets), until the next start
check "the stop leaves the closed table" sh -c 't=$(nft list table inet portcullis) && printf "%s" "$t" | grep -q "hook forward" && ! printf "%s" "$t" | grep -qE "prerouting|sess4|redirect"'
check "stopped cleanly (Result=success)" test "$(prop Result)/$(prop ActiveState)" = success/inactive
check "journal says stopped" sh -c 'journalctl -u portcullisd --no-pager | grep -q "portcullisd stopped"'

journalctl -u portcullisd --no-pager | tail -n 30
journalctl --sync
mkdir -p "$OUT/journal"
cp /run/log/journal/*/*.journal /var/log/journal/*/*.journal "$OUT/journal/" 2>/dev/null
if [ "$FAILS" -eq 0 ]; then echo pass > "$OUT/result"; else echo fail > "$OUT/result"; fi
systemctl --no-block poweroff
