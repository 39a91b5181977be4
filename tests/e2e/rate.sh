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
# The shaping qdisc and table go at the end, whatever the daemon left.
shaping_cleanup() {
	on_finish "in_gw tc qdisc del dev $LAN_IF root 2>/dev/null; in_gw nft delete table inet portcullis_shape 2>/dev/null"
}
# served_zeros NAME BYTES: a file of zeros the origin serves as /NAME,
# removed at the end; its path in $big.
served_zeros() {
	big=$E2E_WWW/$1
	head -c "$2" /dev/zero > "$big"
	chmod 644 "$big"
	on_finish "rm -f '$big'"
}
# median_mbit COUNT URL: the median of COUNT downloads of URL, in Mbit/s
# (each bounded at 60 s); empty when none finished.
median_mbit() {
	local i
	for i in $(seq "$1"); do
		in_client timeout 60 curl -sS -o /dev/null -w '%{speed_download}\n' "$2"
	done | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] * 8 / 1e6 }'
}
