#!/bin/bash
# wrk from the client namespace through the explicit proxy to nginx in the
# origin namespace: keep-alive 1 KiB GETs, authenticated (Basic) and
# whitelisted (no credentials). Bounded: each run lasts BENCH_SECONDS.
. "$(dirname "$0")/../e2e/lib.sh"
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-50}
setup_daemon; add_user bench 'bench-pass'; start_daemon || exit 1
cat > "$DIR/abs.lua" <<LUA
wrk.path = "http://$ORIGIN/1k"
wrk.headers["Host"] = "$ORIGIN"
LUA
auth="Proxy-Authorization: Basic $(printf 'bench:bench-pass' | base64)"
run() { # label, extra wrk args
	label=$1; shift
	out=$(in_client timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$DIR/abs.lua" "$@" http://10.201.0.1:3128 2>&1)
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
	printf '  %-28s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${non2xx:-0}"
	[ -n "$rps" ] && ok || fail "$label: wrk produced no figure: $out"
}
direct=$(in_client timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" --latency http://$ORIGIN/1k 2>&1)
printf '  %-28s %10s req/s   p99 %8s\n' "direct (routed, no proxy)" \
	"$(printf '%s\n' "$direct" | awk '/Requests\/sec/ {print $2}')" "$(printf '%s\n' "$direct" | awk '$1 == "99%" {print $2}')"
run "proxy, Basic auth" -H "$auth"
"$CLI" -d "$DB" whitelist add 10.201.0.2 >/dev/null; sleep 1
run "proxy, whitelisted (no auth)"
