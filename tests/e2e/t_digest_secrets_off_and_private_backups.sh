#!/bin/bash
# `portcullis digest off`: every stored Digest secret (password-equivalent
# for Digest, one MD5 per guess) is gone from the database, none is stored
# for new passwords, the running daemon stops offering Digest and Basic
# works; a restart does not bring Digest back, `digest on` and a new
# password do. Backups made by the CLI are readable by their owner only,
# also when written over an old file that others could read.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA="schemes = digest,basic" setup_daemon
add_user alice 'Circle of Life'
secrets() { sqlite3 "$DB" "SELECT count(*) FROM users WHERE ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL OR ha1_realm IS NOT NULL"; }
challenge() { pcurl -o /dev/null -D - http://$ORIGIN/1k 2>/dev/null | tr -d '\r' | grep -i '^Proxy-Authenticate:'; }
no_digest_offered() { ! challenge | grep -q Digest; }
mode_of() { stat -c %a "$1"; }

start_daemon || exit 1
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Digest before"
assert_eq 1 "$(secrets)" "a secret is stored at first"

# a backup holds it: the copy is private, over an old world-readable file too
"$CLI" -d "$DB" backup "$DIR/new.db" >/dev/null
assert_eq 600 "$(mode_of "$DIR/new.db")" "a new backup is 0600"
cp "$DIR/new.db" "$DIR/old.db"; chmod 644 "$DIR/old.db"   # last night's, made readable
"$CLI" -d "$DB" backup "$DIR/old.db" >/dev/null
assert_eq 600 "$(mode_of "$DIR/old.db")" "a backup over a 0644 file makes it 0600"
assert_eq 1 "$(sqlite3 "$DIR/old.db" "SELECT count(*) FROM users WHERE name = 'alice'")" "the backup is a copy"

out=$("$CLI" -d "$DB" digest off)
assert_contains "$out" "Digest secrets dropped" "digest off says what it did"
assert_eq 0 "$(secrets)" "no Digest secret left in the database"
assert_eq 1 "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE name = 'alice' AND phc LIKE '\$scrypt\$%'")" \
	"the scrypt hash stays"
assert_contains "$("$CLI" -d "$DB" actions)" "digest.off" "the change is in the admin action log"
wait_until 5 no_digest_offered && ok || fail "the running daemon stops offering Digest"
assert_contains "$(challenge)" "Basic" "Basic still offered"
assert_eq 200 "$(status_of -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Basic works"
assert_eq 407 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" "no Digest login"
printf 'pw-of-bob\n' | "$CLI" -d "$DB" user add bob >/dev/null
printf 'Circle of Life\n' | "$CLI" -d "$DB" user passwd alice >/dev/null
assert_eq 0 "$(secrets)" "no secret stored for a new user or a new password"
assert_contains "$("$CLI" -d "$DB" digest)" "none stored" "digest status"

# a restart (or a reload) does not change the choice
stop_daemon; start_daemon || exit 1
assert_eq "" "$(challenge | grep Digest)" "no Digest offered after a restart"
# with Digest the only scheme the 407 still carries a challenge (that
# nobody can answer), and the log says why no login can succeed
sed -i 's/^schemes = .*/schemes = digest/' "$DIR/portcullis.conf"
stop_daemon; start_daemon || exit 1
assert_contains "$(challenge)" "Digest" "a 407 always carries a challenge"
assert_contains "$(cat "$DLOG")" "Digest is the only scheme: no proxy login can succeed" "the log says so"
sed -i 's/^schemes = .*/schemes = digest,basic/' "$DIR/portcullis.conf"
stop_daemon; start_daemon || exit 1

out=$("$CLI" -d "$DB" digest on)
assert_contains "$out" "stored again" "digest on"
printf 'Circle of Life\n' | "$CLI" -d "$DB" user passwd alice >/dev/null
assert_eq 1 "$(secrets)" "a new password gets its secret again"
wait_until 5 eval '! no_digest_offered' && ok || fail "Digest offered again"
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Digest after digest on"
