#!/bin/sh
# `make run`: a local database with a first admin and a demo user, then the
# daemon in the foreground with the explicit proxy on 127.0.0.1:3128.
set -eu
dir=${1:-var}
mkdir -p "$dir"
conf="$dir/portcullis.conf"
db="$dir/portcullis.db"
cli="build/portcullis"

if [ ! -e "$conf" ]; then
	cat > "$conf" <<CONF
# Written by 'make run' for local use; see etc/portcullis.conf for every key.
[proxy]
listen = 127.0.0.1:3128
access_log = $dir/access.log

[db]
path = $db

[admin]
listen = 127.0.0.1:8080
web_root = $(pwd)/web

[log]
level = info
CONF
fi

if [ ! -e "$db" ]; then
	admin_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)
	demo_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)
	# a new database knows the default realm, so the demo user gets Digest
	# hashes too (the daemon rewrites the realm from the configuration)
	"$cli" -d "$db" migrate >/dev/null
	printf '%s\n' "$admin_pw" | "$cli" -d "$db" admin add admin
	printf '%s\n' "$demo_pw" | "$cli" -d "$db" user add demo --comment "created by make run"
	cat <<MSG

  First admin:  admin / $admin_pw
  Demo user:    demo  / $demo_pw
  (printed once; change them with: $cli -d $db admin passwd admin / user passwd demo)

  Try:  curl -x http://127.0.0.1:3128 -U demo:$demo_pw http://example.org/
  Admin panel: http://127.0.0.1:8080/ (log in as admin)

MSG
else
	echo "Using the existing database $db (users: $cli -d $db user list)."
fi
exec build/portcullisd -c "$conf"
