#!/bin/bash
# End-to-end tests: a client, a gateway running portcullisd and an origin in
# three network namespaces joined by veth pairs. Every scenario t_*.sh runs
# in its own process with a fresh daemon and database. Everything created
# here is removed on exit.
set -u
cd "$(dirname "$0")/../.."
HERE=tests/e2e
SCENARIOS=${E2E_SCENARIOS:-$HERE}
# the stage's name in its messages: "e2e", or "browser" for tests/browser
LABEL=$(basename "$SCENARIOS")
if [ "$(id -u)" != 0 ]; then
	echo "$LABEL: needs root (network namespaces)"; exit 1
fi
. "$HERE/wait.sh"
ID=pc$(( $$ % 100000 ))
export E2E_NS=$ID
WORK=$(mktemp -d /tmp/portcullis-e2e-topo.XXXXXX)
export E2E_RECORD=$WORK/record.jsonl
touch "$E2E_RECORD"
PIDS=""

cleanup() {
	local p
	[ -f "$WORK/nginx.pid" ] && PIDS="$PIDS $(cat "$WORK/nginx.pid")"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait_until 2 gone "$p"; done
	# and the namespaces a scenario may have left behind: a second LAN
	# host's (second_lan_host.sh), a directory's, a second gateway's, a KDC's (kdc.sh)
	for n in c g o a l g2 c2 k; do ip netns del "$ID-$n" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

set -e
for n in c g o; do ip netns add "$ID-$n"; ip -n "$ID-$n" link set lo up; done
ip link add "$ID-cg" netns "$ID-c" type veth peer name "$ID-gc" netns "$ID-g"
ip link add "$ID-go" netns "$ID-g" type veth peer name "$ID-og" netns "$ID-o"
ip -n "$ID-c" addr add 10.201.0.2/24 dev "$ID-cg"
ip -n "$ID-c" addr add fd00:201::2/64 dev "$ID-cg" nodad
ip -n "$ID-g" addr add 10.201.0.1/24 dev "$ID-gc"
ip -n "$ID-g" addr add fd00:201::1/64 dev "$ID-gc" nodad
ip -n "$ID-g" addr add 10.202.0.1/24 dev "$ID-go"
ip -n "$ID-g" addr add fd00:202::1/64 dev "$ID-go" nodad
ip -n "$ID-o" addr add 10.202.0.2/24 dev "$ID-og"
ip -n "$ID-o" addr add fd00:202::2/64 dev "$ID-og" nodad
for l in "c $ID-cg" "g $ID-gc" "g $ID-go" "o $ID-og"; do
	set -- $l; ip -n "$ID-$1" link set "$2" up
done
ip -n "$ID-c" route add default via 10.201.0.1
ip -n "$ID-c" -6 route add default via fd00:201::1
ip -n "$ID-o" route add default via 10.202.0.1
ip -n "$ID-o" -6 route add default via fd00:202::1
ip netns exec "$ID-g" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# the origin: nginx on 80/8080 (+ TLS on 443) and the recording origin on 8081
mkdir -p "$WORK/www" "$WORK/nginx"
chmod 755 "$WORK" "$WORK/www"   # nginx workers run as www-data
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$WORK/www/1k"
head -c 1048576 /dev/urandom > "$WORK/www/1m"
chmod 644 "$WORK/www/1k" "$WORK/www/1m"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=origin.test \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat > "$WORK/nginx.conf" <<CONF
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
worker_processes 1;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx;
	proxy_temp_path $WORK/nginx;
	fastcgi_temp_path $WORK/nginx;
	uwsgi_temp_path $WORK/nginx;
	scgi_temp_path $WORK/nginx;
	default_type application/octet-stream;
	server {
		listen 10.202.0.2:80; listen [fd00:202::2]:80; listen 10.202.0.2:8080;
		listen 10.202.0.2:443 ssl; listen [fd00:202::2]:443 ssl;
		ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
		root $WORK/www;
		# the same files sent at 2 MB/s a connection, for a scenario that
		# needs a download to last (the pace set by the sender, not by the
		# client's reads: the kernel buffers between them are not the test's)
		location /paced/ {
			alias $WORK/www/;
			limit_rate 2000000;
		}
		location = /private {
			add_header WWW-Authenticate 'Basic realm="origin"' always;
			return 401 "origin says no\n";
		}
	}
}
CONF
ip netns exec "$ID-o" nginx -c "$WORK/nginx.conf"
ip netns exec "$ID-o" python3 "$HERE/recorder.py" 10.202.0.2 "$E2E_RECORD" &
PIDS="$PIDS $!"
export E2E_WWW=$WORK/www
in_origin() { ip netns exec "$ID-o" "$@"; }
wait_until 30 listening in_origin 10.202.0.2:8081 || echo "$LABEL: the recording origin did not start"
set +e

passed=0; failed=0; skipped=0; failed_names=""; flaky_names=""; ran=0
only=${E2E_ONLY:-}
for t in "$SCENARIOS"/t_*.sh; do
	name=$(basename "$t" .sh)
	# E2E_ONLY: one scenario's name, or several separated by spaces
	if [ -n "$only" ]; then
		case " $only " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "== $name"
	ran=$((ran + 1))
	# exit status 77: the scenario skipped itself (lib.sh's skip), which is
	# neither a pass nor a failure
	timeout "${E2E_TIMEOUT:-180}" bash "$t"
	rc=$?
	# A failure is run once more (E2E_RETRY=0: never): on two shared cores
	# a scenario can lose a race with the machine rather than with the
	# daemon. One that passes then still counts as passed, but is named
	# at the end with its first run's output above, so a race of the
	# daemon's own does not go unseen; one that fails twice fails.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "${E2E_RETRY:-1}" != 0 ]; then
		echo "== $name (once more: the run above failed)"
		timeout "${E2E_TIMEOUT:-180}" bash "$t"
		rc=$?
		[ "$rc" -eq 0 ] && flaky_names="$flaky_names $name"
	fi
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); failed_names="$failed_names $name" ;;
	esac
done
if [ -n "$only" ] && [ "$ran" -eq 0 ]; then
	echo "$LABEL: no scenario in $SCENARIOS matches E2E_ONLY='$only'"
	failed=1
fi
[ -n "$flaky_names" ] && echo "$LABEL failed once, passed when run again:$flaky_names"
[ -n "$failed_names" ] && echo "$LABEL failed:$failed_names"
echo "$LABEL: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
