#!/bin/sh
# Waiting on conditions instead of fixed sleeps (sh or bash:
# run.sh and tests/install source it as well as lib.sh).

# Poll a command until it succeeds: every 0.1 s, for at most SECONDS
# (decimals allowed). Returns the command's last status, so a scenario can
# assert on it.
wait_until() { # seconds command...
	local end
	end=$(( $(date +%s%N) + $(awk -v s="$1" 'BEGIN { printf "%.0f", s * 1e9 }') ))
	shift
	while :; do
		"$@" && return 0
		if [ "$(date +%s%N)" -ge "$end" ]; then "$@"; return; fi
		sleep 0.1
	done
}

# Conditions to wait on (wait_until 30 listening in_origin 10.202.0.2:8091):
# a TCP (UDP) listener on ADDRESS:PORT as bound (0.0.0.0:PORT for a wildcard)
# in the namespace that IN runs commands in (in_gw, in_origin, in_client,
# or env for this one); a line matching the extended regular expression in
# a file (the daemon's log by default), or at least N such lines; a process
# that has exited.
listening() { # in address:port
	[ -n "$("$1" ss -Hltn src "$2" 2>/dev/null)" ]
}
listening_udp() { # in address:port
	[ -n "$("$1" ss -Hlun src "$2" 2>/dev/null)" ]
}
log_has() { # regex [file]
	grep -qE -- "$1" "${2:-$DLOG}" 2>/dev/null
}
lines_at_least() { # n regex [file]
	[ "$(grep -cE -- "$2" "${3:-$DLOG}" 2>/dev/null)" -ge "$1" ]
}
gone() { # pid
	! kill -0 "$1" 2>/dev/null
}
