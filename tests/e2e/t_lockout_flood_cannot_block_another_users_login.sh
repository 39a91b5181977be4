#!/bin/bash
# With lockouts off, a second LAN host keeps 8 wrong-password
# checks for bob in flight; bob's own correct (uncached) logins must still pass:
# the bound on checks in flight is per address and per address+username,
# never per bare username.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/second_lan_host.sh"
on_finish '[ -n "${FLOOD:-}" ] && kill "$FLOOD" 2>/dev/null'
AUTH_EXTRA="lockout_threshold = 0"
setup_daemon
add_user bob pw-bob
start_daemon || exit 1
second_lan_host_up || { fail "second LAN host"; exit 1; }
in_second python3 "$REPO/tests/e2e/auth_flood.py" 10.201.0.1 3128 http://$ORIGIN/1k bob \
	16 12 200000 > "$DIR/flood.out" &
FLOOD=$!
flooding() { grep -q 'auth failure: client=10.203.0.2' "$DLOG"; }
wait_until 20 flooding || fail "the flood did not start"
codes=""
# ten logins spread over the flood's run (the pause paces them)
for i in 1 2 3 4 5 6 7 8 9 10; do
	codes="$codes $(pcurl -o /dev/null -w '%{http_code}' -U bob:pw-bob http://$ORIGIN/1k)"
	sleep 0.3
done
echo "    bob's own logins during the flood:$codes"
case "$codes" in *429*) fail "bob refused by someone else's guesses at his name";; *) ok;; esac
wait "$FLOOD"; FLOOD=""
sed 's/^/    flood: /' "$DIR/flood.out"
