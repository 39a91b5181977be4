#!/bin/bash
# The shipped logrotate file, run for real on this scenario's access log
# (its path, user and signal adapted to the scenario): the old lines stay in
# access.log.1, the daemon re-opens and writes new lines to a new
# access.log, and no request is lost.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k?before)" "before rotation"
sed -e "s|^/var/log/portcullis/\*.log {|$ACCESS {|" -e "s|^\tsu portcullis portcullis|\tsu root root|" \
	-e "s|^\tcreate 0640 portcullis portcullis|\tcreate 0640 root root|" \
	-e "s|systemctl kill --kill-whom=main --signal=HUP portcullisd.service|kill -HUP $DPID|" \
	"$REPO/etc/logrotate.d/portcullis" > "$DIR/logrotate.conf"
grep -q "kill -HUP $DPID" "$DIR/logrotate.conf" && ok || fail "logrotate file adapted (its postrotate line changed?)"
out=$(logrotate -v -f -s "$DIR/logrotate.state" "$DIR/logrotate.conf" 2>&1) && ok || fail "logrotate failed: $out"
wait_until 10 log_has 'configuration reloaded'
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k?after)" "after rotation"
assert_contains "$(cat "$ACCESS.1" 2>/dev/null)" "1k?before" "the old lines moved to access.log.1"
assert_not_contains "$(cat "$ACCESS.1" 2>/dev/null)" "1k?after" "no new line in the rotated file"
assert_contains "$(cat "$ACCESS" 2>/dev/null)" "1k?after" "new lines in a new access.log"
assert_eq 640 "$(stat -c %a "$ACCESS")" "the new file's mode"
assert_not_contains "$(cat "$DLOG")" "access log" "no access log error in the daemon log"
