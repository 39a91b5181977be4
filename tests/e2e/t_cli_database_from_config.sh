#!/bin/bash
# The CLI works on the database the daemon's configuration names in
# [db] path (-c FILE, else $PORTCULLIS_CONF): an administrator who moved the
# database gets the daemon's users, not a new empty file. -d DBFILE and
# $PORTCULLIS_DB still win; a configuration that cannot be read is an error
# naming it, never a silent default.
. "$(dirname "$0")/lib.sh"
setup_daemon     # [db] path = $DB; PORTCULLIS_CONF names the configuration
CONF=$DIR/portcullis.conf
unset PORTCULLIS_DB
printf 'secret\n' | "$CLI" -c "$CONF" user add alice >/dev/null
assert_eq alice "$(sqlite3 "$DB" 'SELECT name FROM users')" "user add with -c writes to [db] path"
assert_contains "$("$CLI" user list)" alice "without -c, \$PORTCULLIS_CONF's [db] path is used"
start_daemon || exit 1
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the daemon knows the user the CLI added"

other=$DIR/other.db
"$CLI" -d "$other" migrate >/dev/null
assert_eq "" "$("$CLI" -c "$CONF" -d "$other" user list | grep alice)" "-d wins over [db] path"
assert_eq "" "$(PORTCULLIS_DB=$other "$CLI" -c "$CONF" user list | grep alice)" "\$PORTCULLIS_DB wins over [db] path"

out=$("$CLI" -c "$DIR/missing.conf" user list 2>&1)
assert_eq 1 "$?" "a -c file that is not there fails"
assert_contains "$out" "missing.conf" "the error names the file"
printf '[db]\nbogus = 1\n' > "$DIR/bad.conf"
out=$("$CLI" -c "$DIR/bad.conf" user list 2>&1)
assert_eq 1 "$?" "a configuration that does not parse fails"
assert_contains "$out" "unless -d DBFILE names one" "the error says -d is the way round it"
assert_contains "$("$CLI" -c "$DIR/bad.conf" -d "$DB" actions)" alice "with -d a command that needs nothing else of the configuration works"
finish
