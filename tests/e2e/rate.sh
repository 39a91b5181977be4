# Rates a client measures, for the shaping scenarios (sourced after lib.sh).
#
# bg_download FILE CMD...: CMD (a curl writing to FILE) in the background,
# its pid in $dl; stop_download ends it and what it started (in_client's
# subshell forks ip netns exec, whose timeout relays the signal to curl).
bg_download() { # file cmd...
	RATE_FILE=$1
	shift
	rm -f "$RATE_FILE"
	"$@" & dl=$!
	on_finish "pkill -TERM -P $dl 2>/dev/null; kill $dl 2>/dev/null"
}
stop_download() {
	pkill -TERM -P "$dl" 2>/dev/null
	kill "$dl" 2>/dev/null
	wait "$dl" 2>/dev/null
}
# The bytes/s $RATE_FILE grew by over 3 s.
rate_over_3s() {
	local a b
	a=$(stat -c %s "$RATE_FILE" 2>/dev/null || echo 0); sleep 3
	b=$(stat -c %s "$RATE_FILE" 2>/dev/null || echo 0)
	echo $(( (b - a) / 3 ))
}
# 0 when rate $1 (bytes/s) is within 15 % of $2 bit/s (payload: IP and TCP
# headers are about 4 % of what HTB counts)
within_15pct() { awk -v r="$1" -v want="$2" 'BEGIN { exit !(r * 8 >= want * 0.85 && r * 8 <= want * 1.15) }'; }
