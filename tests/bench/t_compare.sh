#!/bin/bash
# The comparison `make bench` prints: direct routing, Squid (explicit with
# Basic auth, and intercept behind an nftables redirect), tinyproxy with
# BasicAuth and Portcullis (Basic auth, and a whitelisted client), all in
# the three-namespace topology, all running at once on their own ports in
# the gateway namespace so that the wrk runs can be interleaved (round 1 of
# every row, then round 2, ...) and slow drift of a shared machine spreads
# over all rows alike. Figures only: nothing here asserts a speed.
#
# Bounded: every wrk run lasts BENCH_SECONDS, every curl and helper has a
# timeout, the idle-connection holder gives up after 240 s. Traffic stays
# between the scenario's namespaces.
. "$(dirname "$0")/../e2e/lib.sh"
secs=${BENCH_SECONDS:-4}
# an even number of rounds: the order of the rows is reversed every other
# round (A B C, C B A), so a row's place in the round favours none of them
runs=${BENCH_RUNS:-10}
conns=${BENCH_CONNECTIONS:-50}
GW=10.201.0.1
SQUID_PORT=3138         # explicit, Basic auth
SQUID_ICPT_PORT=3139    # intercept (nftables redirects origin port 8080 here)
TINY_PORT=8888
OPEN_PORT=3228          # a second Portcullis whose database whitelists the client
AUTO_PORT=3428          # a third, Basic auth, one event loop per CPU
# 10 000 idle connections need more descriptors than the usual 1 024
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
in_client sysctl -qw net.ipv4.ip_local_port_range="10000 65000"

BDIR=$(mktemp -d /tmp/portcullis-bench.XXXXXX)
chmod 755 "$BDIR"
RES=$BDIR/results
: > "$RES"
SQUID_PID=""; TINY_PID=""; OPEN_PID=""; ICPT_PID=""; AUTO_PID=""
bench_cleanup() {
	for p in $SQUID_PID $TINY_PID $OPEN_PID $ICPT_PID $AUTO_PID; do
		kill "$p" 2>/dev/null
	done
	for p in $SQUID_PID $TINY_PID $OPEN_PID $ICPT_PID $AUTO_PID; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	in_gw nft delete table ip pcbench 2>/dev/null
	rm -rf "$BDIR" "$E2E_WWW/100m"
}
trap 'rc=$?; bench_cleanup; finish; r=$?; if [ "$rc" -ne 0 ]; then echo "  scenario exited with status $rc"; exit 1; fi; exit $r' EXIT

note() { printf '%s %s %s\n' "$1" "$2" "$3" >> "$RES"; }
wait_port() { # port
	for _ in $(seq 1 100); do
		in_client timeout 1 bash -c "exec 3<>/dev/tcp/$GW/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

head -c $((100 * 1024 * 1024)) /dev/urandom > "$E2E_WWW/100m"
chmod 644 "$E2E_WWW/100m"

# ---------------------------------------------------------------- Portcullis
# One event loop, as Squid's default: the bench box's two cores also run
# wrk and nginx, and on it one loop has both the higher throughput and the
# lower tail (two loops preempt each other and the clients). The row
# pc_auth_auto is the same daemon with one loop per CPU, the default.
PROXY_EXTRA="workers = 1
connect_ports = 443, 80
max_connections = 30000
max_connections_per_client = 30000
header_timeout = 300s" setup_daemon
add_user bench 'bench-pass'
add_user other 'other-pass'
start_daemon || exit 1
mkdir "$BDIR/open"
"$CLI" -d "$BDIR/open/p.db" migrate >/dev/null
"$CLI" -d "$BDIR/open/p.db" whitelist add 10.201.0.0/24 "bench client" >/dev/null
sed -e "s|^listen = .*3128.*|listen = $GW:$OPEN_PORT|" -e "s|^path = .*|path = $BDIR/open/p.db|" \
	-e "s|^access_log = .*|access_log = $BDIR/open/access.log|" "$DIR/portcullis.conf" > "$BDIR/open/p.conf"
ip netns exec "$NS_G" "$DAEMON" -c "$BDIR/open/p.conf" > "$BDIR/open/daemon.log" 2>&1 &
OPEN_PID=$!
mkdir "$BDIR/auto"
"$CLI" -d "$BDIR/auto/p.db" migrate >/dev/null
printf '%s\n' bench-pass | "$CLI" -d "$BDIR/auto/p.db" user add bench >/dev/null
sed -e "s|^listen = .*3128.*|listen = $GW:$AUTO_PORT|" -e "s|^path = .*|path = $BDIR/auto/p.db|" \
	-e "s|^workers = 1|workers = 0|" \
	-e "s|^access_log = .*|access_log = $BDIR/auto/access.log|" "$DIR/portcullis.conf" > "$BDIR/auto/p.conf"
ip netns exec "$NS_G" "$DAEMON" -c "$BDIR/auto/p.conf" > "$BDIR/auto/daemon.log" 2>&1 &
AUTO_PID=$!

# ---------------------------------------------------------------- Squid
htpasswd -bcm "$BDIR/squid.passwd" bench bench-pass 2>/dev/null
mkdir "$BDIR/squid"
chown proxy: "$BDIR/squid"
cat > "$BDIR/squid.conf" <<CONF
http_port $GW:$SQUID_PORT
http_port $GW:$SQUID_ICPT_PORT intercept name=icpt
visible_hostname portcullis-bench
pid_filename $BDIR/squid/squid.pid
cache_log $BDIR/squid/cache.log
access_log stdio:$BDIR/squid/access.log
coredump_dir $BDIR/squid
cache deny all
max_filedescriptors 65536
shutdown_lifetime 1 second
auth_param basic program /usr/lib/squid/basic_ncsa_auth $BDIR/squid.passwd
auth_param basic children 5
auth_param basic credentialsttl 2 hours
acl authed proxy_auth REQUIRED
acl intercepted myportname icpt
http_access allow intercepted
http_access allow authed
http_access deny all
CONF
ip netns exec "$NS_G" squid -N -f "$BDIR/squid.conf" > "$BDIR/squid/stdout.log" 2>&1 &
SQUID_PID=$!
in_gw nft -f - <<NFT
table ip pcbench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "$E2E_NS-gc" ip daddr $ORIGIN tcp dport 8080 redirect to :$SQUID_ICPT_PORT
	}
}
NFT

# ---------------------------------------------------------------- tinyproxy
mkdir "$BDIR/tiny"
chown nobody: "$BDIR/tiny"
cat > "$BDIR/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port $TINY_PORT
Listen $GW
Timeout 600
MaxClients 12000
LogFile "$BDIR/tiny/tinyproxy.log"
LogLevel Warning
PidFile "$BDIR/tiny/tinyproxy.pid"
BasicAuth bench bench-pass
ConnectPort 80
ConnectPort 443
CONF
ip netns exec "$NS_G" tinyproxy -d -c "$BDIR/tinyproxy.conf" > "$BDIR/tiny/stdout.log" 2>&1 &
TINY_PID=$!

for port in $OPEN_PORT $AUTO_PORT $SQUID_PORT $SQUID_ICPT_PORT $TINY_PORT; do
	if wait_port $port; then ok; else fail "nothing listens on $GW:$port"; fi
done

# row -> pid, wrk target and arguments, 100 MiB URL and curl arguments
auth_b64=$(printf 'bench:bench-pass' | base64)
cat > "$BDIR/abs.lua" <<LUA
wrk.path = "http://$ORIGIN/1k"
wrk.headers["Host"] = "$ORIGIN"
LUA
ROWS="direct squid squid_icpt tinyproxy pc_auth pc_open pc_auth_auto"
row_pid() {
	case $1 in
	squid|squid_icpt) echo "$SQUID_PID" ;;
	tinyproxy) echo "$TINY_PID" ;;
	pc_auth) echo "$DPID" ;;
	pc_open) echo "$OPEN_PID" ;;
	pc_auth_auto) echo "$AUTO_PID" ;;
	pc_icpt) echo "$ICPT_PID" ;;
	esac
}
row_proxy() {
	case $1 in
	squid) echo "$GW:$SQUID_PORT" ;;
	tinyproxy) echo "$GW:$TINY_PORT" ;;
	pc_auth) echo "$GW:3128" ;;
	pc_open) echo "$GW:$OPEN_PORT" ;;
	pc_auth_auto) echo "$GW:$AUTO_PORT" ;;
	pc_icpt) echo "$ORIGIN:80" ;;     # the client's own destination, redirected
	esac
}
row_needs_auth() { case $1 in squid|tinyproxy|pc_auth|pc_auth_auto) return 0 ;; esac; return 1; }

# wrk: print "rps p50_ms p99_ms non2xx"
wrk_figures() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
		if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
	}
	/Requests\/sec/ { rps = $2 }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx/ { bad = $NF }
	END { printf "%s %s %s %d\n", rps, p50, p99, bad }'
}
wrk_row() { # row
	local row=$1 out
	if [ "$row" = direct ] || [ "$row" = pc_icpt ]; then
		out=$(in_client timeout $((secs + 20)) wrk -t2 -c"$conns" -d"${secs}s" --latency "http://$ORIGIN/1k" 2>&1)
	elif [ "$row" = squid_icpt ]; then
		out=$(in_client timeout $((secs + 20)) wrk -t2 -c"$conns" -d"${secs}s" --latency "http://$ORIGIN:8080/1k" 2>&1)
	elif row_needs_auth "$row"; then
		out=$(in_client timeout $((secs + 20)) wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$BDIR/abs.lua" \
			-H "Proxy-Authorization: Basic $auth_b64" "http://$(row_proxy "$row")" 2>&1)
	else
		out=$(in_client timeout $((secs + 20)) wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$BDIR/abs.lua" \
			"http://$(row_proxy "$row")" 2>&1)
	fi
	printf '%s\n' "$out" | wrk_figures
}
# Wait (at most 5 s) until the machine is idle: what the row before left
# running (a proxy closing 50 connections, its helpers, TIME_WAIT
# timers) must not count against the next row. Prints nothing.
cpu_busy_pct() { # over 0.25 s, all cores
	local a b
	a=$(head -1 /proc/stat); sleep 0.25; b=$(head -1 /proc/stat)
	echo "$a
$b" | awk '{ idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i
		if (NR == 1) { i0 = idle; t0 = tot } else { printf "%d\n", 100 - 100 * (idle - i0) / (tot - t0 + 0.001) } }'
}
SETTLE_SAMPLES=0; SETTLE_CALLS=0
settle() {
	SETTLE_CALLS=$((SETTLE_CALLS + 1))
	for _ in $(seq 1 20); do
		SETTLE_SAMPLES=$((SETTLE_SAMPLES + 1))
		[ "$(cpu_busy_pct)" -lt 5 ] && return 0
	done
	return 0
}
record_wrk() { # row label-row (NO_SETTLE=1: the machine is meant to be busy)
	[ -n "${NO_SETTLE:-}" ] || settle
	set -- "$1" "$2" $(wrk_row "$1")
	if [ -z "${3:-}" ] || [ "${6:-1}" != 0 ]; then
		fail "$1: wrk gave no figure or non-2xx answers (rps ${3:-none}, non-2xx ${6:-?})"
		return
	fi
	ok
	note "$2" rps "$3"; note "$2" p50 "$4"; note "$2" p99 "$5"
	printf '  %-11s %10.0f req/s   p50 %7.2f ms   p99 %7.2f ms\n' "$2" "$3" "$4" "$5"
}

# ---------------------------------------------------------------- idle connections
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }
wait_fds() { # pid at-least
	for _ in $(seq 1 300); do
		[ "$(nfds "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
idle_row() { # row
	local row=$1 pid addr port base_rss base_fds line held
	pid=$(row_pid "$row")
	addr=$(row_proxy "$row"); port=${addr##*:}; addr=${addr%:*}
	sleep 1
	base_rss=$(rss_kb "$pid"); base_fds=$(nfds "$pid")
	coproc HOLD { in_client python3 "$REPO/tests/bench/idle_conns.py" "$addr" "$port" 2000 10000; }
	line=""
	for n in 2000 10000; do
		read -r -t 120 -u "${HOLD[0]}" line || { fail "$row: idle holder stopped"; break; }
		set -- $line; held=$2
		wait_fds "$pid" $((base_fds + held)) || held=$(( $(nfds "$pid") - base_fds ))
		sleep 1
		kib=$(echo "($(rss_kb "$pid") - $base_rss) / $held" | bc -l)
		if [ "$n" = 2000 ]; then note "$row" mem2k "$kib"; else note "$row" mem10k "$kib"; note "$row" held10k "$held"; fi
		printf '  %-11s %5d idle connections held: %.2f KiB each (RSS %d -> %d KiB)\n' \
			"$row" "$held" "$kib" "$base_rss" "$(rss_kb "$pid")"
		echo next >&"${HOLD[1]}"
	done
	eval "exec ${HOLD[1]}>&-"
	wait "$HOLD_PID" 2>/dev/null
	# let the proxy finish closing them before the next measurement
	for _ in $(seq 1 300); do
		[ "$(nfds "$pid")" -le $((base_fds + 16)) ] && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then ok; else fail "$row: the proxy died holding idle connections"; fi
}
# first, on fresh processes: memory that earlier load left free in a heap or
# a pool would hide the cost of new connections
echo "  idle client connections (connected, nothing sent); RSS growth per connection"
for row in squid tinyproxy pc_auth; do
	idle_row "$row"
done

echo "  keep-alive 1 KiB GETs: wrk -t2 -c$conns, $runs rounds of ${secs}s per row"
# one unmeasured round first: Portcullis's first request of each
# connection waits for one scrypt, Squid starts its helpers
for row in $ROWS; do
	wrk_row "$row" >/dev/null
done
REVERSED=$(printf '%s\n' $ROWS | tac | tr '\n' ' ')
for round in $(seq 1 "$runs"); do
	order=$ROWS
	[ $((round % 2)) = 0 ] && order=$REVERSED
	for row in $order; do
		record_wrk "$row" "$row"
	done
done

echo "  (before each run the machine was let settle below 5 % CPU: $SETTLE_CALLS runs," \
	"$(echo "$SETTLE_SAMPLES * 0.25 / $SETTLE_CALLS" | bc -l | cut -c1-4) s on average)"

# ---------------------------------------------------------------- 100 MiB
# user + system CPU seconds of a process, its exited threads included
# (tinyproxy's thread per connection is gone when we look); 10 ms steps
TCK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
get_100m() { # row connect(0/1): prints bytes/s
	local row=$1 tunnel=$2 args="" url="http://$ORIGIN/100m"
	case $row in
	direct|pc_icpt) ;;
	squid_icpt) url="http://$ORIGIN:8080/100m" ;;
	*) args="-x http://$(row_proxy "$row")"
	   row_needs_auth "$row" && args="$args -U bench:bench-pass"
	   [ "$tunnel" = 1 ] && args="$args -p" ;;
	esac
	# shellcheck disable=SC2086
	in_client timeout 60 curl -sS --max-time 50 $args -o /dev/null -w '%{size_download} %{speed_download}\n' "$url"
}
mbs() { echo "$1 / 1000000" | bc -l; }
echo "  100 MiB GETs (and the same through a CONNECT tunnel), $runs rounds"
for round in $(seq 1 "$runs"); do
	for row in $ROWS; do
		pid=$(row_pid "$row")
		[ -n "$pid" ] && t0=$(cpu_s "$pid")
		set -- $(get_100m "$row" 0)
		if [ "${1:-0}" != $((100 * 1024 * 1024)) ]; then
			fail "$row: 100 MiB GET got ${1:-nothing}"; continue
		fi
		ok
		note "$row" get_mbs "$(mbs "$2")"
		line=$(printf '  %-11s GET %7.0f MB/s' "$row" "$(mbs "$2")")
		if [ -n "$pid" ]; then
			cpu=$(echo "$(cpu_s "$pid") - $t0" | bc -l)
			note "$row" cpu_s "$cpu"
			line="$line$(printf ' (%.2f CPU s)' "$cpu")"
		fi
		case $row in direct|squid_icpt|pc_icpt) ;; *)
			set -- $(get_100m "$row" 1)
			if [ "${1:-0}" = $((100 * 1024 * 1024)) ]; then
				ok; note "$row" connect_mbs "$(mbs "$2")"
				line="$line$(printf '   CONNECT %7.0f MB/s' "$(mbs "$2")")"
			else
				fail "$row: 100 MiB through CONNECT got ${1:-nothing}"
			fi ;;
		esac
		echo "$line"
	done
done

# ---------------------------------------------------------------- wrong-password flood
# The attacker is the client namespace's IPv6 address (its own lockout
# key), sending a wrong password for another user at about 2 000 req/s:
# 24 connections, each waiting 10 ms between requests (wrk's delay()).
cat > "$BDIR/flood.lua" <<LUA
wrk.path = "http://$ORIGIN/1k"
wrk.headers["Host"] = "$ORIGIN"
wrk.headers["Proxy-Authorization"] = "Basic $(printf 'other:wrong-pass' | base64)"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n407 = 0; n429 = 0; nother = 0 end
function delay() return 10 end
function response(status, headers, body)
	if status == 407 then n407 = n407 + 1 elseif status == 429 then n429 = n429 + 1
	else nother = nother + 1 end
end
function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do a = a + t:get("n407"); b = b + t:get("n429"); c = c + t:get("nother") end
	io.write(string.format("status 407 %d\nstatus 429 %d\nstatus other %d\n", a, b, c))
end
LUA
echo "  Portcullis Basic auth, quiet and while another client floods wrong passwords (alternating)"
for round in $(seq 1 "$runs"); do
	# quiet then flood, and flood then quiet every other round
	[ $((round % 2)) = 1 ] && record_wrk pc_auth pc_quiet
	settle
	in_client timeout $((secs + 20)) wrk -t1 -c24 -d"$((secs + 2))s" -s "$BDIR/flood.lua" \
		"http://[fd00:201::1]:3128" > "$BDIR/flood.out" 2>&1 &
	fpid=$!
	sleep 1
	NO_SETTLE=1 record_wrk pc_auth pc_flood
	wait "$fpid"
	[ $((round % 2)) = 0 ] && record_wrk pc_auth pc_quiet
	note pc_flood flood_rate "$(awk '/Requests\/sec/ { print $2 }' "$BDIR/flood.out")"
	awk '$1 == "status" { print "pc_flood status_" $2, $3 }' "$BDIR/flood.out" >> "$RES"
done
echo "  (the flood: $(awk '/Requests\/sec/ { print $2 }' "$BDIR/flood.out") req/s in the last round;" \
	"answers $(awk '$1 == "status" { printf "%s×%s ", $3, $2 }' "$BDIR/flood.out"))"

# ---------------------------------------------------------------- intercept
# A third Portcullis, in intercept mode, with the client logged in on its
# portal. Its nftables redirect takes every client connection to ports 80
# and 443, the direct row's included, so it runs alone, after the others.
. "$REPO/tests/e2e/intercept.sh"
mkdir "$BDIR/icpt"
"$CLI" -d "$BDIR/icpt/p.db" migrate >/dev/null
printf '%s\n' bench-pass | "$CLI" -d "$BDIR/icpt/p.db" user add bench >/dev/null
intercept_conf
sed -e "s|^listen = .*3128.*|listen = $GW:3328|" -e "s|^path = .*|path = $BDIR/icpt/p.db|" \
	-e "s|^access_log = .*|access_log = $BDIR/icpt/access.log|" "$DIR/portcullis.conf" > "$BDIR/icpt/p.conf"
printf '%s\n' "$CONF_EXTRA" >> "$BDIR/icpt/p.conf"
ip netns exec "$NS_G" "$DAEMON" -c "$BDIR/icpt/p.conf" > "$BDIR/icpt/daemon.log" 2>&1 &
ICPT_PID=$!
if wait_port 8082 && [ "$(portal_login bench bench-pass)" = 303 ]; then
	ok
	echo "  Portcullis intercept mode, client logged in on the portal"
	idle_row pc_icpt
	wrk_row pc_icpt >/dev/null
	for round in $(seq 1 "$runs"); do
		record_wrk pc_icpt pc_icpt
	done
	for round in $(seq 1 "$runs"); do
		t0=$(cpu_s "$ICPT_PID")
		set -- $(get_100m pc_icpt 0)
		if [ "${1:-0}" != $((100 * 1024 * 1024)) ]; then
			fail "pc_icpt: 100 MiB GET got ${1:-nothing}"; continue
		fi
		ok
		cpu=$(echo "$(cpu_s "$ICPT_PID") - $t0" | bc -l)
		note pc_icpt get_mbs "$(mbs "$2")"; note pc_icpt cpu_s "$cpu"
		printf '  %-11s GET %7.0f MB/s (%.2f CPU s)\n' pc_icpt "$(mbs "$2")" "$cpu"
	done
else
	fail "intercept daemon or portal login: $(tail -5 "$BDIR/icpt/daemon.log")"
fi
kill "$ICPT_PID" 2>/dev/null
wait "$ICPT_PID" 2>/dev/null
ICPT_PID=""

echo
printf 'Figures of %s on %s (%s cores), %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(hostname)" \
	"$(nproc)" "$(uname -r)"
python3 "$REPO/tests/bench/table.py" "$RES"
