#!/bin/bash
# [ldap] uri lists two servers of one directory. With both up, logins go to
# the first; when it stops, a login goes to the second (the pool's
# connections to the first are opened again, on the second); a first URI
# that drops packets instead of refusing costs a login at most the timeout,
# never a hang; with no server up a login gets 503.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 2 || exit 1
AUTH_EXTRA="sources = ldap
cache_ttl = 0"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "login with both servers up"
assert_not_contains "$(cat "$DLOG")" "now using" "the first URI answered"
ldap_down 1
assert_eq 200 "$(status_of -U bob:bob-pw http://$ORIGIN/1k)" "login with the first server stopped"
assert_contains "$(cat "$DLOG")" "ldap: now using ldaps://10.207.0.3" "the log says which URI took over"
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "the next login on the second server"

# a second daemon whose first URI is a black hole (packets dropped)
stop_daemon
in_ldap nft add table inet blackhole
in_ldap nft add chain inet blackhole in '{ type filter hook input priority 0; }'
in_ldap nft add rule inet blackhole in ip daddr 10.207.0.2 drop
sed -i 's/^timeout = 2s$/timeout = 1s/' "$DIR/portcullis.conf"
: > "$DLOG"
start_daemon || exit 1
start=$(date +%s%N)
assert_eq 200 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "login past a first URI that drops packets"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 4000 ] && ok || fail "the login past the black hole took ${ms} ms (timeout 1s)"

# no URI answers: the login cannot be checked (503), and the log says why
ldap_down 2
assert_eq 503 "$(status_of -U bob:bob-pw http://$ORIGIN/1k)" "no directory server answers: 503"
assert_contains "$(cat "$DLOG")" 'ldap: user "bob" cannot be checked: directory unreachable' "the log says the directory is unreachable"
