#!/bin/bash
# A database upgraded from schema 2: the old CLI stored alice's Digest
# secrets for the default realm "Portcullis", the daemon then recorded
# its realm "Office". The upgrade cannot know which realm the secrets were
# made for, so they are of unknown realm: `user list`, `user show` and the
# JSON say so (not "yes"), a Digest login is challenged again without
# counting against alice (no lockout, no failure logged), and her next
# Basic login makes them anew for "Office", after which Digest works.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'realm = Office\nlockout_threshold = 3\nlockout_window = 300s\nlockout_duration = 300s'
setup_daemon

# secrets as the old CLI made them: the default realm, whatever the daemon's
old=$DIR/old.db
printf '[auth]\n' > "$DIR/old.conf"
printf 'secret\n' | "$CLI" -d "$old" -c "$DIR/old.conf" user add alice >/dev/null
row=$(sqlite3 -separator ' ' "$old" "SELECT phc, ha1_md5, ha1_sha256, ha1_realm FROM users WHERE name = 'alice'")
set -- $row
assert_eq Portcullis "$4" "the old secrets are for the default realm"
# a version-2 database as the daemon left it, realm "Office" recorded
rm -f "$DB"
{ cat "$REPO/db/migrations/001_initial.sql" "$REPO/db/migrations/002_mode_index_update_triggers.sql"
  echo "UPDATE meta SET value = 'Office' WHERE key = 'digest_realm';"
  echo "INSERT INTO users (name, phc, ha1_md5, ha1_sha256, created_at, updated_at) VALUES ('alice', '$1', '$2', '$3', 1, 1);"
  echo "PRAGMA user_version = 2;"
} | sqlite3 "$DB"
"$CLI" -d "$DB" migrate >/dev/null || fail "migrate"
assert_eq "" "$(sqlite3 "$DB" "SELECT ha1_realm FROM users WHERE name = 'alice'")" "the upgrade records no realm"
assert_eq "unknown realm" "$("$CLI" -d "$DB" user list | awk '$1 == "alice" { print $(NF-1), $(NF) }')" \
	"user list: Digest unknown realm"
assert_contains "$("$CLI" -d "$DB" user show alice)" "secrets of unknown realm" "user show says why"
json=$("$CLI" -d "$DB" user list --json)
assert_eq "False unknown realm" "$(printf '%s' "$json" | python3 -c 'import json,sys; u=json.load(sys.stdin)[0]; print(u["digest"], u["digest_secrets"])')" \
	"JSON: digest false, digest_secrets unknown realm"

start_daemon || exit 1
codes=""
for i in 1 2 3 4 5; do codes="$codes $(status_of --proxy-digest -U alice:secret http://$ORIGIN/1k)"; done
assert_eq " 407 407 407 407 407" "$codes" "Digest with secrets of unknown realm: challenged, never locked"
assert_not_contains "$(cat "$DLOG")" 'auth failure: client=10.201.0.2 user="alice"' "no failure logged for alice"
assert_contains "$(cat "$DLOG")" 'user="alice" has no Digest secret for this realm' "the daemon says why"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "Basic login after 5 Digest tries (threshold 3)"
assert_eq Office "$(sqlite3 "$DB" "SELECT ha1_realm FROM users WHERE name = 'alice'")" \
	"the Basic login made the secrets anew for the daemon's realm"
assert_eq yes "$("$CLI" -d "$DB" user list | awk '$1 == "alice" { print $(NF) }')" "user list: Digest yes"
wait_until 5 eval '[ "$(status_of --proxy-digest -U alice:secret http://$ORIGIN/1k)" = 200 ]' && ok ||
	fail "Digest login with the secrets made anew"
finish
