#!/bin/bash
# Helpers for the guest voucher scenarios (sourced after lib.sh and
# intercept.sh): a roll made with the CLI, the portal's voucher form posted
# from a LAN host, and the device choice's button pressed.

# A roll of the CLI's arguments ("voucher create N ..."): its first code.
code_of() { "$CLI" -d "$DB" voucher create "$@" | awk 'NR == 2 { print $2 }'; }

# Post the voucher form as the host whose in-namespace runner is $1 (with
# its own cookie jar); prints the status, the page into $DIR/page.
voucher_post() { # runner code
	local jar=$DIR/jar.$1 page csrf
	page=$($1 timeout 20 curl -sS --max-time 10 -c "$jar" "$PORTAL/")
	csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	$1 timeout 20 curl -sS --max-time 10 -b "$jar" -o "$DIR/page" -w '%{http_code}' \
		--data-urlencode "csrf=$csrf" --data-urlencode "code=$2" "$PORTAL/login"
}

# The device choice's button on the page last posted, by the same host.
choose_end_oldest() { # runner
	local args=() f
	for f in csrf t_user t_life t_cred t_when t_sig t_class; do
		args+=(--data-urlencode "$f=$(sed -n "s/.*name=\"$f\" value=\"\([^\"]*\)\".*/\1/p" "$DIR/page" | head -1)")
	done
	$1 timeout 20 curl -sS --max-time 10 -b "$DIR/jar.$1" -o "$DIR/page" -w '%{http_code}' \
		"${args[@]}" "$PORTAL/login"
}

page() { cat "$DIR/page"; }
# Whether the host of runner $1 reaches the origin past the gateway.
host_in() { [ "$($1 timeout 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://10.202.0.2:8080/1k)" = 200 ]; }
host_out() { ! host_in "$@"; }
