#!/bin/bash
# Intercept mode, a logged-in client: wrk straight at the origin's port 80
# (redirected through the daemon, keep-alive 1 KiB GETs), and TLS
# handshakes per second through the splice (a bounded loop of Python TLS
# handshakes; each handshake is a new connection: ClientHello peek, session
# check, connect, splice). Figures only; bounded by BENCH_SECONDS and
# BENCH_TLS_HANDSHAKES.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/intercept.sh"
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-50}
hs=${BENCH_TLS_HANDSHAKES:-500}
intercept_conf
setup_daemon; add_user bench 'bench-pass'; start_daemon || exit 1
[ "$(portal_login bench bench-pass)" = 303 ] && ok || fail "portal login"
out=$(in_client timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" --latency http://$ORIGIN/1k 2>&1)
rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
printf '  %-34s %10s req/s   p99 %8s   non-2xx %s\n' "intercept HTTP, logged in" "$rps" "$p99" "${non2xx:-0}"
[ -n "$rps" ] && ok || fail "wrk produced no figure: $out"
total=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
sleep 1
logged=$(grep -c "GET http://$ORIGIN/1k bench" "$ACCESS")
printf '  %-34s %10s of %s requests logged with the user\n' "" "$logged" "$total"
out=$(in_client timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" --latency http://$ORIGIN:8080/1k 2>&1)
printf '  %-34s %10s req/s   p99 %8s\n' "forwarded by the kernel (port 8080)" \
	"$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')" "$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')"
tls=$(in_client timeout $((secs + 60)) python3 - "$hs" "$secs" <<'PY'
import socket, ssl, sys, time
n, limit = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_3
done = 0; t0 = time.monotonic()
while done < n and time.monotonic() - t0 < limit:
    s = ctx.wrap_socket(socket.create_connection(("10.202.0.2", 443), timeout=5), server_hostname="origin.test")
    s.close(); done += 1
el = time.monotonic() - t0
print("%d %.1f" % (done, done / el))
PY
)
printf '  %-34s %10s handshakes/s (%s handshakes)\n' "intercept TLS splice, logged in" "${tls#* }" "${tls%% *}"
[ -n "$tls" ] && ok || fail "TLS loop produced no figure"
