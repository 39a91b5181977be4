#!/bin/bash
# RADIUS servers for the scenarios that authenticate through RADIUS
# (sourced after lib.sh). A namespace of their own, joined to the gateway
# by a veth pair:
#
#   gateway 10.204.0.1  --veth--  10.204.0.2 (first server), 10.204.0.3
#                                 (second server), 10.204.0.4 (a
#                                 scenario's own responder: an attacker)
#
# radius_up writes a FreeRADIUS configuration (Debian's freeradius, the
# real server) into $RDIR: this gateway as its client (and
# second_gateway.sh's, 10.205.0.1), with require_message_authenticator =
# yes, and the users file the scenario gives on stdin (FreeRADIUS "users"
# syntax). radius_start N starts server
# N (1 or 2) on port 1812 of its address, and its accounting (RFC 2866)
# on port 1813, which writes every Accounting-Request it accepts to its
# detail file ($RDIR/sN/log/detail: radius_detail N); radius_stop N stops
# it. Both, the namespace and $RDIR are removed when the scenario exits.
#
# Dynamic Authorization (RFC 5176): radius_dae_conf gives the daemon's
# dae_listen (10.204.0.1:3799) and dae_clients (the first server's
# address); radius_dae sends a Disconnect- or CoA-Request with FreeRADIUS's
# radclient from the servers' namespace, as a server's administrator does.
NS_R=$E2E_NS-r
RADIUS1=10.204.0.2
RADIUS2=10.204.0.3
RADIUS_ROGUE=10.204.0.4
RADIUS_SECRET="e2e-shared-$$-secret"
RDIR=""
in_radius() { ip netns exec "$NS_R" "$@"; }

radius_up() {
	command -v freeradius >/dev/null || skip "freeradius is not installed (tests/install-deps.sh test)"
	RDIR=$(mktemp -d /tmp/portcullis-radius.XXXXXX)
	on_finish radius_down
	ip -n "$NS_G" link del "$E2E_NS-gr" 2>/dev/null   # a pair an interrupted run left
	ip netns add "$NS_R" || return 1
	ip -n "$NS_R" link set lo up
	ip link add "$E2E_NS-rg" netns "$NS_R" type veth peer name "$E2E_NS-gr" netns "$NS_G"
	for a in $RADIUS1 $RADIUS2 $RADIUS_ROGUE; do
		ip -n "$NS_R" addr add "$a/24" dev "$E2E_NS-rg"
	done
	ip -n "$NS_G" addr add 10.204.0.1/24 dev "$E2E_NS-gr"
	ip -n "$NS_R" link set "$E2E_NS-rg" up
	ip -n "$NS_G" link set "$E2E_NS-gr" up
	cat > "$RDIR/users"
	# the daemon's copy of the secret: its owner only may read it
	printf '%s\n' "$RADIUS_SECRET" > "$RDIR/secret"
	chmod 600 "$RDIR/secret"
	for n in 1 2; do
		local addr d=$RDIR/s$n
		if [ "$n" = 1 ]; then addr=$RADIUS1; else addr=$RADIUS2; fi
		mkdir -p "$d/run" "$d/log"
		cat > "$d/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $d/log
raddbdir = $d
radacctdir = $d/log
name = freeradius
confdir = $d
modconfdir = $d
run_dir = $d/run
db_dir = $d
libdir = /usr/lib/freeradius
pidfile = $d/run/radiusd.pid
max_request_time = 10
cleanup_delay = 2
max_requests = 4096
hostname_lookups = no
log {
	destination = files
	file = $d/log/radius.log
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 3
	max_requests_per_server = 0
}
client gateway {
	ipaddr = 10.204.0.1
	secret = $RADIUS_SECRET
	require_message_authenticator = yes
}
# the second site of second_gateway.sh
client gateway2 {
	ipaddr = 10.205.0.1
	secret = $RADIUS_SECRET
	require_message_authenticator = yes
}
modules {
	pap {
		normalise = yes
	}
	files {
		filename = $RDIR/users
	}
	detail {
		filename = $d/log/detail
		header = "%t"
		permissions = 0600
		locking = no
	}
}
server default {
	listen {
		type = auth
		ipaddr = $addr
		port = 1812
	}
	listen {
		type = acct
		ipaddr = $addr
		port = 1813
	}
	accounting {
		detail
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	# FreeRADIUS before 3.2.5 signs an answer with a Message-Authenticator
	# only when the reply holds one (the BlastRADIUS fix made it the
	# default): what an administrator of Debian 12's 3.2.1 adds
	post-auth {
		update reply {
			&Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				&Message-Authenticator := 0x00
			}
		}
	}
}
CONF
	done
}

radius_start() { # N
	local d=$RDIR/s$1 try
	# a server just stopped may hold its port a moment longer: three tries
	for try in 1 2 3; do
		if in_radius freeradius -d "$d" -n radiusd -l "$d/log/radius.log"; then
			wait_until 5 test -s "$d/run/radiusd.pid"
			return
		fi
		sleep 0.5
	done
	fail "FreeRADIUS $1 did not start"
	tail -n 20 "$d/log/radius.log" | sed 's/^/    /'
	return 1
}

radius_stop() { # N
	local f=$RDIR/s$1/run/radiusd.pid p
	[ -s "$f" ] || return 0
	p=$(cat "$f")
	kill "$p" 2>/dev/null
	wait_until 5 sh -c "! kill -0 $p 2>/dev/null"
	rm -f "$f"
}

radius_down() {
	radius_stop 1
	radius_stop 2
	# the gateway's end first: a namespace goes away in the background,
	# and the next scenario's pair of the same name met "File exists"
	# whatever else runs there (a scenario's responder) would keep the
	# namespace, and the veth pair with it, alive into the next scenario
	ip netns pids "$NS_R" 2>/dev/null | xargs -r kill 2>/dev/null
	ip -n "$NS_G" link del "$E2E_NS-gr" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
	[ -n "$RDIR" ] && rm -rf "$RDIR"
}

# The accounting records server N wrote, as FreeRADIUS's detail file has
# them (a header line with the time, then "\tAttribute = value" lines).
radius_detail() { # N
	cat "$RDIR/s$1/log/detail" 2>/dev/null
}

# The values of attribute NAME in server N's detail file, one a line, in
# the order the records arrived.
radius_detail_values() { # N NAME
	radius_detail "$1" | sed -n "s/^[[:space:]]*$2 = //p" | tr -d '"'
}

# The daemon's [radius] section for the servers given (default: the first).
radius_conf() { # [ADDRESS:PORT,...]
	printf '[radius]\nservers = %s\nsecret_file = %s\nnas_identifier = e2e-gateway\ntimeout = 1s\nretries = 1\n' \
		"${1:-$RADIUS1:1812}" "$RDIR/secret"
}

# The daemon's Dynamic Authorization keys (append to radius_conf's section).
RADIUS_DAE=10.204.0.1:3799
radius_dae_conf() { # [TARGET-ADDRESS:PORT]
	printf 'dae_listen = %s\ndae_clients = %s/32\n' "${1:-$RADIUS_DAE}" "$RADIUS1"
}

# radclient's disconnect or coa with the attributes on stdin (one per line,
# FreeRADIUS syntax), signed with a Message-Authenticator; from SOURCE (the
# first server's address by default), with SECRET (the shared one by
# default), to TARGET (the daemon's dae_listen). Prints radclient's output
# (the answer's code and attributes); one try, 2 s for the answer.
radius_dae() { # disconnect|coa [SECRET] [SOURCE] [TARGET]
	{ cat; printf 'Packet-Src-IP-Address = %s\nMessage-Authenticator = 0x00\n' "${3:-$RADIUS1}"; } |
		in_radius timeout 10 radclient -x -r 1 -t 2 "${4:-$RADIUS_DAE}" "$1" "${2:-$RADIUS_SECRET}" 2>&1
}
