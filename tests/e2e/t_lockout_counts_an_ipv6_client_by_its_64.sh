#!/bin/bash
# A host on a SLAAC LAN owns a whole /64 and can take a new address in it
# for every attempt. The lockout counts an IPv6 client by its /64: one
# host that sprays one guess from each of 30 addresses of its /64 gets
# lockout_threshold guesses checked (407), the rest refused (429). Its
# IPv4 address is another client and is not locked.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 5\nlockout_window = 300s\nlockout_duration = 300s'
setup_daemon; add_user alice secret; start_daemon || exit 1

dev=$(in_client ip -o -6 addr show | awk '/fd00:201::2\// {print $2; exit}')
[ -n "$dev" ] || { fail "no LAN interface with fd00:201::2 in the client"; exit 1; }
# the namespaces outlive the scenario: the extra addresses must go, or the
# next scenarios' IPv6 traffic leaves from one of them
ADDED=""
del_added() { for a in $ADDED; do in_client ip -6 addr del "$a/64" dev "$dev" 2>/dev/null; done; ADDED=""; }
on_finish del_added
codes=""
for i in $(seq 1 30); do
	a=fd00:201::$(printf '%x' $((0x100 + i)))
	in_client ip -6 addr add $a/64 dev "$dev" nodad && ADDED="$ADDED $a"
	codes="$codes $(in_client timeout 20 curl -sS --max-time 15 -x '[fd00:201::1]:3128' \
		--interface $a -o /dev/null -w '%{http_code}' -U user$i:guess http://$ORIGIN/1k 2>/dev/null)"
done
echo "    answers from 30 addresses of one /64:$codes"
n407=$(echo $codes | tr ' ' '\n' | grep -cx 407)
n429=$(echo $codes | tr ' ' '\n' | grep -cx 429)
assert_eq 5 "$n407" "guesses checked from the /64 (lockout_threshold 5)"
assert_eq 25 "$n429" "guesses refused as locked out"
assert_contains "$(grep 'auth failure' "$DLOG" | tail -n 1)" "fd00:201::" "failures logged with the address"
assert_eq 407 "$(status_of -U alice:wrong http://$ORIGIN/1k)" "the host's IPv4 address is another client"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "alice logs in over IPv4"
finish
