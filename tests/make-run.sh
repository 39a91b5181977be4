#!/bin/sh
# `make run`: a local database with a first admin and a demo user, a small
# local page to fetch through the proxy without the internet, then the
# daemon in the foreground with the explicit proxy on 127.0.0.1:3128.
#
# The proxy refuses loopback origins and the gateway's own addresses by
# design (a proxy user must not reach the gateway's own services that way),
# so the page is served on this machine's first global address, on the one
# port the configuration below opens there ([proxy] gateway_ports); a
# machine with no such address gets the explanation and the internet check
# only.
set -eu
dir=${1:-var}
build=${BUILD:-build}
page_port=${PAGE_PORT:-8088}
mkdir -p "$dir"
conf="$dir/portcullis.conf"
db="$dir/portcullis.db"
cli="$build/portcullis"

if [ ! -e "$conf" ]; then
	cat > "$conf" <<CONF
# Written by 'make run' for local use; see etc/portcullis.conf for every key.
[proxy]
listen = 127.0.0.1:3128
access_log = $dir/access.log
# the local page make run serves on this machine's address
gateway_ports = $page_port

[db]
path = $db

[admin]
listen = 127.0.0.1:8080
web_root = $(pwd)/web

[log]
level = info
CONF
fi

demo_pw=PASSWORD
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
MSG
else
	echo "Using the existing database $db (users: $cli -d $db user list)."
fi

# the local page: this machine's first global address (IPv4, else IPv6)
page_addr=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
page_host=$page_addr
if [ -z "$page_addr" ]; then
	page_addr=$(ip -o -6 addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	page_host="[$page_addr]"
fi
page_pid=""
if [ -n "$page_addr" ] && ! grep -q "^gateway_ports = $page_port\$" "$conf"; then
	echo "  $conf opens no port for the local page: add 'gateway_ports = $page_port' to [proxy]"
	echo "  (a file written by an older make run), or remove the file to have it written anew."
	page_addr=""
fi
if [ -n "$page_addr" ]; then
	mkdir -p "$dir/www"
	cat > "$dir/www/index.html" <<'HTML'
<!doctype html>
<title>Portcullis: it works</title>
<p>This page came through the Portcullis proxy: the demo user's login was accepted.</p>
HTML
	python3 -m http.server --bind "$page_addr" --directory "$dir/www" "$page_port" \
		> "$dir/page.log" 2>&1 &
	page_pid=$!
fi

cat <<MSG

  Admin panel:  http://127.0.0.1:8080/ (log in as admin)
MSG
if [ -n "$page_pid" ]; then
	cat <<MSG
  Try, offline: curl -x http://127.0.0.1:3128 -U demo:$demo_pw http://$page_host:$page_port/
                (a small page this script serves on $page_addr, an address of this
                machine, on the port [proxy] gateway_ports opens there)
MSG
else
	cat <<MSG
  This machine has no address but loopback, so there is no local page to try.
MSG
fi
cat <<MSG
  With internet: curl -x http://127.0.0.1:3128 -U demo:$demo_pw http://example.org/
  A loopback origin (http://127.0.0.1:.../) gets 403 by design: the proxy
  never lets a user reach the gateway's own services (loopback, and its own
  addresses except on [proxy] gateway_ports).

MSG

# the daemon as a child, so that the page server ends with it
cleanup() {
	[ -z "$page_pid" ] || kill "$page_pid" 2>/dev/null || true
}
trap cleanup EXIT
# (a background child of a script ignores SIGINT: Ctrl-C comes here)
trap 'kill -TERM "$daemon_pid" 2>/dev/null' TERM INT
"$build/portcullisd" -c "$conf" &
daemon_pid=$!
# wait returns early when a trapped signal arrives: wait again for the exit
rc=0
while kill -0 "$daemon_pid" 2>/dev/null; do
	wait "$daemon_pid" || rc=$?
done
exit "$rc"
