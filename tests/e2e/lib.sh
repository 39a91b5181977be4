#!/bin/bash
# Shared helpers for the end-to-end scenarios. The topology (set up once by
# run.sh) is three network namespaces:
#
#   client 10.201.0.2 fd00:201::2  --veth--  10.201.0.1 fd00:201::1 gateway
#   gateway 10.202.0.1 fd00:202::1 --veth--  10.202.0.2 fd00:202::2 origin
#
# Every address is owned by these namespaces; no test traffic leaves them.

: "${E2E_NS:?run scenarios through tests/e2e/run.sh}"
NS_C=$E2E_NS-c
NS_G=$E2E_NS-g
NS_O=$E2E_NS-o
PROXY=http://10.201.0.1:3128
ORIGIN=10.202.0.2
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}     # build-asan for the sanitizer run
CLI=$BUILD_DIR/portcullis
DAEMON=$BUILD_DIR/portcullisd

in_client() { ip netns exec "$NS_C" "$@"; }
in_gw() { ip netns exec "$NS_G" "$@"; }
in_origin() { ip netns exec "$NS_O" "$@"; }

FAILS=0
CHECKS=0
fail() { echo "  FAIL: $*"; FAILS=$((FAILS + 1)); CHECKS=$((CHECKS + 1)); }
ok() { CHECKS=$((CHECKS + 1)); }
assert_eq() { # expected actual what
	if [ "$1" == "$2" ]; then ok; else fail "$3: expected '$1', got '$2'"; fi
}
assert_contains() { # haystack needle what
	if printf '%s' "$1" | grep -qF -- "$2"; then ok; else fail "$3: '$2' not found in: $(printf '%s' "$1" | head -c 600)"; fi
}
# One metric line NAME VALUE, matched whole: a check for "x_total 1" must
# not pass on "x_total 12". NAME may carry its labels: 'x{reason="a"}'.
assert_metric() { # metrics_text name value what
	if printf '%s\n' "$1" | awk -v n="$2" -v v="$3" '$1 == n && $2 == v { f = 1 } END { exit !f }'; then ok
	else fail "$4: expected '$2 $3', got '$(printf '%s\n' "$1" | awk -v n="$2" '$1 == n' | head -n 3)'"; fi
}
# wait_until SECONDS COMMAND..., and the conditions listening, log_has,
# lines_at_least, gone
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"
assert_not_contains() {
	if printf '%s' "$1" | grep -qiF -- "$2"; then fail "$3: '$2' must not appear in: $(printf '%s' "$1" | head -c 600)"; else ok; fi
}

# A fresh daemon for this scenario: DIR with config, database and logs.
# Extra config lines come on stdin as "[section]\nkey = value" blocks.
DIR=""
DPID=""
setup_daemon() {
	DIR=$(mktemp -d /tmp/portcullis-e2e.XXXXXX)
	# a scenario that sets up several daemons in turn: finish removes
	# every one's directory, not only the last
	DIRS="${DIRS:-} $DIR"
	# the namespaces outlive a scenario: forget the client addresses the
	# gateway learnt in the last one (forged entries an attacker left)
	in_gw ip neigh flush dev "$E2E_NS-gc" 2>/dev/null
	# and the closed table an intercept-mode daemon leaves when it stops
	in_gw nft delete table inet portcullis 2>/dev/null
	DB=$DIR/portcullis.db
	ACCESS=$DIR/access.log
	DLOG=$DIR/daemon.log
	local extra_auth=${AUTH_EXTRA:-}
	cat > "$DIR/portcullis.conf" <<CONF
[proxy]
listen = 10.201.0.1:3128, [fd00:201::1]:3128
access_log = $ACCESS
connect_timeout = 3s
${PROXY_EXTRA:-}
[auth]
${extra_auth}
[db]
path = $DB
${DB_EXTRA:-}
[admin]
listen = ${ADMIN_LISTEN:-}
web_root = $REPO/web
${ADMIN_EXTRA:-}
[log]
level = info
${CONF_EXTRA:-}
CONF
	# the CLI makes Digest secrets for the realm of this daemon's
	# configuration, never for one a host-wide file names
	export PORTCULLIS_CONF=$DIR/portcullis.conf
	"$CLI" -d "$DB" migrate >/dev/null
}

add_user() { # name password
	printf '%s\n' "$2" | "$CLI" -d "$DB" user add "$1" >/dev/null
}

start_daemon() {
	# not through in_gw: $! must be the daemon itself (ip netns exec execs it)
	ip netns exec "$NS_G" "$DAEMON" -c "$DIR/portcullis.conf" > "$DLOG" 2>&1 &
	DPID=$!
	# up once a client can connect (within DAEMON_START_WAIT s, default 30:
	# a bench restoring thousands of sessions takes longer), or given up on
	# once it has exited
	wait_until "${DAEMON_START_WAIT:-30}" daemon_up_or_gone
	daemon_up && return 0
	echo "  daemon did not start:"; sed 's/^/    /' "$DLOG"
	fail "daemon start"
	return 1
}
# The daemon under valgrind's memcheck (an error, or a definite or indirect
# leak, makes it exit 99 and is reported in $VLOG); a sanitizer build
# (BUILD_DIR other than build/) runs as it is and reports into the daemon's
# log, where finish looks. Returns once the daemon has logged its start
# (30 s at most: memcheck is slow).
start_daemon_memcheck() {
	VLOG=$DIR/valgrind.log
	if [ "$BUILD_DIR" = "$REPO/build" ]; then
		ip netns exec "$NS_G" valgrind --quiet --error-exitcode=99 --leak-check=full \
			--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
			--log-file="$VLOG" "$DAEMON" -c "$DIR/portcullis.conf" > "$DLOG" 2>&1 &
	else
		ip netns exec "$NS_G" "$DAEMON" -c "$DIR/portcullis.conf" > "$DLOG" 2>&1 &
	fi
	DPID=$!
	wait_until 30 started_or_gone
}
started_or_gone() { log_has "portcullisd started" || gone "$DPID"; }
# valgrind's report is empty
assert_memcheck_clean() {
	if [ -s "$VLOG" ]; then
		fail "valgrind reported:"; head -60 "$VLOG" | sed 's/^/    /'
	else
		ok
	fi
}
# its listener is open: asked of the gateway's sockets, not tried with a
# connection from the client, whose short timeout a busy machine overruns
daemon_up() { listening in_gw 10.201.0.1:3128; }
daemon_up_or_gone() { daemon_up || gone "$DPID"; }

stop_daemon() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		wait_until 10 gone "$DPID"
		kill -KILL "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	DPID=""
}

# Commands finish runs first, however the scenario ends: a scenario that
# adds addresses or routes to the namespaces (which outlive it) takes them
# away again with on_finish "COMMAND ...".
FINISH_HOOKS=""
on_finish() { FINISH_HOOKS="$FINISH_HOOKS$*
"; }

finish() {
	# once: a scenario may end with finish, and the EXIT trap calls it too
	[ -n "${FINISHED:-}" ] && return "$FINISH_RC"
	FINISHED=1; FINISH_RC=1
	eval "$FINISH_HOOKS"
	stop_daemon
	# a sanitizer build (make SANITIZE=1) reports into the daemon's log
	if [ -n "$DIR" ] && grep -qE 'runtime error|Sanitizer' "$DLOG" 2>/dev/null; then
		fail "sanitizer report in the daemon log"
		FAILS=$((FAILS + 1))
		grep -A 20 -E 'runtime error|Sanitizer' "$DLOG" | head -40 | sed 's/^/    /'
	fi
	if [ "$FAILS" -ne 0 ] && [ -n "$DIR" ]; then
		echo "  daemon log:"; tail -n 30 "$DLOG" | sed 's/^/    /'
		# what the clients were answered, for a failure seen only in CI
		if [ -s "${ACCESS:-}" ]; then
			echo "  access log:"; tail -n 15 "$ACCESS" | sed 's/^/    /'
		fi
	fi
	for d in ${DIRS:-} $DIR; do rm -rf "$d"; done
	# a scenario that checked nothing proved nothing
	if [ "$CHECKS" -eq 0 ] && [ -z "$SKIPPED" ]; then
		echo "  FAIL: the scenario made no check"; FAILS=1
	fi
	echo "  $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ] && FINISH_RC=0
	return "$FINISH_RC"
}
# skip REASON: this scenario cannot run here; run.sh counts it as skipped,
# neither passed nor failed
SKIPPED=""
skip() { echo "  skipped: $*"; SKIPPED=1; exit 0; }

# a scenario that dies (a syntax error, a failed start) fails, whatever it
# had checked before
trap 'rc=$?; finish; r=$?; if [ -n "$SKIPPED" ]; then exit 77; fi; if [ "$rc" -ne 0 ]; then echo "  scenario exited with status $rc"; exit 1; fi; exit $r' EXIT

# Wait (bounded, 30 s) until every file named exists: background clients
# mark that their exchange has begun before a scenario acts on it.
wait_files() {
	wait_until 30 files_exist "$@"
}
files_exist() {
	local f
	for f in "$@"; do [ -e "$f" ] || return 1; done
}

# curl from the client namespace through the proxy, bounded in time.
pcurl() { in_client timeout 20 curl -sS --max-time 15 -x "$PROXY" "$@"; }
status_of() { pcurl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }

# The recording origin's log of what it received (one JSON object a line).
RECORD=${E2E_RECORD:?}
record_last() { tail -n 1 "$RECORD"; }

# The misbehaving origin (badorigin.py) on 10.202.0.2:PORT, stopped when
# the scenario ends; returns once it listens.
start_bad_origin() { # port
	# not through in_origin: $! must be the server itself
	ip netns exec "$NS_O" python3 "$REPO/tests/e2e/badorigin.py" 10.202.0.2 "$1" > /dev/null 2>&1 &
	on_finish "kill $! 2>/dev/null"
	wait_until 30 listening in_origin "10.202.0.2:$1"
}

# A service of the gateway's own on port 2222 of every address
# (gateway_service.py): each connection it accepts, and what came on it, is
# a line in $E2E_RECORD.gw. Stopped when the scenario ends; returns once it
# listens.
start_gateway_service() {
	: > "$E2E_RECORD.gw"
	# not through in_gw: $! must be timeout itself, which passes the kill on
	ip netns exec "$NS_G" timeout 60 python3 "$REPO/tests/e2e/gateway_service.py" "$E2E_RECORD.gw" &
	on_finish "kill $! 2>/dev/null; rm -f \"\$E2E_RECORD.gw\""
	wait_until 30 listening in_gw 0.0.0.0:2222 && wait_until 30 listening in_gw '[::]:2222'
}

# After setup_daemon: the database moves to a 4 MiB tmpfs of its own,
# mounted on $MNT (unmounted when the scenario ends, once the daemon has
# stopped), which a scenario can fill.
db_on_small_disk() {
	MNT=$DIR/full
	mkdir -p "$MNT"
	mount -t tmpfs -o size=4m,mode=0700 portcullis-e2e "$MNT" || return 1
	on_finish 'stop_daemon; umount "$MNT" 2>/dev/null'
	DB=$MNT/portcullis.db
	sed -i "s|^path = .*|path = $DB|" "$DIR/portcullis.conf"
	"$CLI" -d "$DB" migrate >/dev/null
}

# The daemon looks at the database every half second for changes the CLI
# or the admin API made, and logs "users changed" or "whitelist reloaded"
# when it has taken one in: log_mark before the change, then
# wait_until 5 logged_since_mark 'users changed'.
LOG_MARK=0
log_mark() { LOG_MARK=$(wc -l < "$DLOG"); }
logged_since_mark() { # regex
	tail -n +"$((LOG_MARK + 1))" "$DLOG" | grep -qE -- "$1"
}

# Wait (bounded) until the audit has at least N rows, then print them as JSON.
audit_json() { # min_rows
	wait_until 10 audit_has "$1"
	"$CLI" -d "$DB" audit --json
}
audit_has() { # min_rows
	[ "$("$CLI" -d "$DB" audit --json 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null)" -ge "$1" ] 2>/dev/null
}

# The admin API, from the gateway's loopback (ADMIN_LISTEN=127.0.0.1:8080).
A=http://127.0.0.1:8080
acurl() { in_gw timeout 10 curl -s "$@"; }

# Log in to the admin API as $1 with password $2: the session cookie goes
# to $ADMIN_JAR, the CSRF token its answer gives to $CSRF.
admin_api_login() { # name password
	ADMIN_JAR=$DIR/cookies
	CSRF=$(acurl -c "$ADMIN_JAR" -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$2\"}" "$A/api/login" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("csrf", ""))')
}

# POST JSON $2 to the admin API route $1 as the logged-in admin; prints the
# HTTP status.
admin_api_post() { # route json
	acurl -o /dev/null -w '%{http_code}' -b "$ADMIN_JAR" -H "X-CSRF-Token: $CSRF" \
		-H 'Content-Type: application/json' -d "$2" "$A$1"
}
