#!/bin/bash
# The access log's bytes field (field 5 of Squid's native format) is what
# was written to the client, head and body, as Squid counts it: for
# forwarded responses (a small body, a spliced 1 MiB body, HEAD, an
# origin's 404, a chunked body as the proxy re-encoded it), for a CONNECT
# tunnel and for the proxy's own refusals (407, 403) alike. Checked against
# what curl says it received (%{size_header} + %{size_download}).
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="connect_ports = 443, 8081" setup_daemon; add_user alice secret; start_daemon || exit 1

# check WHAT URL_IN_LOG CURL_ARGS...: curl through the proxy, then the log
# line for URL_IN_LOG must count exactly the bytes curl received. curl's
# size_download is the body after removing the chunked framing; with --raw
# the body file holds what came, framing and all, and its size counts.
check() {
	local what=$1 url=$2 got logged="" body
	shift 2
	rm -f "$DIR/body"
	got=$(pcurl -o "$DIR/body" -w '%{size_header} %{size_download}' "$@" 2>/dev/null)
	body=${got#* }
	case " $* " in *" --raw "*) body=$(stat -c %s "$DIR/body") ;; esac
	got=$(( ${got% *} + body ))
	# the line is written at the end of the exchange: wait for it (bounded)
	url_logged() { logged=$(awk -v u="$url" '$7 == u { b = $5 } END { print b }' "$ACCESS"); [ -n "$logged" ]; }
	wait_until 10 url_logged
	assert_eq "$got" "$logged" "bytes logged for $what (curl received $got)"
}
check "a forwarded 1 KiB body" "http://$ORIGIN/1k" -U alice:secret "http://$ORIGIN/1k"
check "a spliced 1 MiB body" "http://$ORIGIN/1m?big" -U alice:secret "http://$ORIGIN/1m?big"
check "a HEAD" "http://$ORIGIN/1k?head" -U alice:secret -I "http://$ORIGIN/1k?head"
check "the origin's 404" "http://$ORIGIN/no-such-page" -U alice:secret "http://$ORIGIN/no-such-page"
check "a chunked body, as re-encoded" "http://$ORIGIN:8081/chunked-response" \
	-U alice:secret --raw "http://$ORIGIN:8081/chunked-response"
check "the 407" "http://$ORIGIN/without-credentials" "http://$ORIGIN/without-credentials"
check "a 403" "http://127.0.0.1/refused" -U alice:secret "http://127.0.0.1/refused"
check "a CONNECT tunnel" "$ORIGIN:8081" -U alice:secret -p "http://$ORIGIN:8081/through-a-tunnel"
# the head counts: a forwarded 200 is more than its body
line=$(awk -v u="http://$ORIGIN/1k" '$7 == u' "$ACCESS")
bytes=$(printf '%s' "$line" | awk '{ print $5 }')
[ -n "$bytes" ] && [ "$bytes" -gt 1124 ] && ok || fail "a 1 KiB body and its head logged as '$bytes' bytes"
