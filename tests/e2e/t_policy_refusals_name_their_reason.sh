#!/bin/bash
# Per-group policy through the explicit proxy, after authentication: a
# group that may not go online gets a 403 saying so; a group outside its
# time window gets a 403 saying when access opens; destination rules (host
# names exact and *.suffix, CIDR ranges, deny and allow lists, the default
# policy for users in no group) refuse with a 403 naming the rule. Every
# refusal is TCP_DENIED/403 with the user in the access log and counted in
# the metrics; a policy changed with the CLI applies without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
for u in alice bob carol dave erin; do add_user $u secret; done
pc() { "$CLI" -d "$DB" "$@"; }
for g in staff guests students ranges; do pc group add $g >/dev/null; done
pc group member add staff alice >/dev/null
pc group member add guests bob >/dev/null
pc group member add students carol >/dev/null
pc group member add ranges erin >/dev/null
# carol is in staff too, but students comes first by priority
pc group member add staff carol >/dev/null

# a window that excludes now: the whole of the day after tomorrow
days=(Sun Mon Tue Wed Thu Fri Sat)
later=${days[$(( ($(date +%w) + 2) % 7 ))]}
assert_contains "$(pc policy set guests --deny)" "policy of group guests set" "policy set"
pc policy set students --priority 10 --windows "${later,,} 00:00-24:00" >/dev/null
pc policy set staff --priority 50 --deny-dest "blocked.example, *.ads.example" --class fast >/dev/null
pc policy set ranges --deny-dest 10.202.0.0/24 >/dev/null
pc policy set --default --allow-dest "intranet.example" >/dev/null
out=$(pc policy set staff --windows "mon 25:00-26:00" 2>&1)
assert_contains "$out" "time window 'mon 25:00-26:00'" "a bad window refused by the CLI"
out=$(pc policy set staff --deny-dest "*.*.example" 2>&1)
assert_contains "$out" "destination rule '*.*.example'" "a bad rule refused by the CLI"

start_nameserver 2 1 blocked.example=10.202.0.2 www.ads.example=10.202.0.2 \
	ads.example=10.202.0.2 good.example=10.202.0.2 intranet.example=10.202.0.2 || exit 1
start_daemon || exit 1

body_of() { pcurl -w ' %{http_code}' "$@" 2>/dev/null; }

out=$(body_of -U bob:secret http://good.example/1k)
assert_eq 403 "${out##* }" "a denied group: 403"
assert_contains "$out" "this account may not go online (the policy of group guests)" "and says why"

out=$(body_of -U carol:secret http://good.example/1k)
assert_eq 403 "${out##* }" "outside the time window: 403"
assert_contains "$out" "access opens $later 00:00 (gateway local time; the policy of group students)" \
	"and says when access opens"

assert_eq 200 "$(status_of -U alice:secret http://good.example/1k)" "staff to an allowed host"
assert_eq 200 "$(status_of -U alice:secret http://ads.example/1k)" "*.ads.example is not ads.example itself"
out=$(body_of -U alice:secret http://blocked.example/1k)
assert_eq 403 "${out##* }" "a host on the deny list: 403"
assert_contains "$out" "blocked.example is refused by the policy of group staff (rule blocked.example)" \
	"and names the rule"
out=$(body_of -U alice:secret http://www.ads.example/1k)
assert_contains "$out" "www.ads.example is refused by the policy of group staff (rule *.ads.example)" \
	"a *.suffix rule"
out=$(in_client curl -s -x "$PROXY" -U alice:secret -X CONNECT --request-target "blocked.example:443" \
	-w ' %{http_code}' http://blocked.example:443/ 2>/dev/null)
assert_contains "$out" "blocked.example is refused by the policy of group staff" "a CONNECT target too"

out=$(body_of -U erin:secret http://good.example/1k)
assert_eq 403 "${out##* }" "a name resolving into a denied range: 403"
assert_contains "$out" "good.example:80 is refused by the policy of group ranges (rule 10.202.0.0/24)" \
	"and names the range"
out=$(body_of -U erin:secret http://$ORIGIN/1k)
assert_contains "$out" "refused by the policy of group ranges (rule 10.202.0.0/24)" "an address literal too"

# dave is in no group with a policy: the default one, an allow list
assert_eq 200 "$(status_of -U dave:secret http://intranet.example/1k)" "default policy: allowed host"
out=$(body_of -U dave:secret http://good.example/1k)
assert_eq 403 "${out##* }" "default policy: other hosts 403"
assert_contains "$out" "good.example is not in the allow list of the default policy" "and says so"

line=$(grep ' bob ' "$ACCESS" | head -1)
assert_contains "$line" "TCP_DENIED/403" "the refusal is TCP_DENIED/403 in the access log"
assert_contains "$line" "http://good.example/1k bob " "with the user"
m=$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)
assert_metric "$m" portcullis_policy_refusals_total 8 "every policy refusal counted"

explain=$(pc user explain carol)
assert_contains "$explain" "group students (its first group with a policy, by priority)" \
	"user explain says which group's policy applies"
assert_contains "$(pc user explain dave)" "the default policy (no group of this user has one)" \
	"and when the default one does"
assert_contains "$(pc policy list)" "fast" "policy list shows the bandwidth class"

# a change applies without a restart
pc policy set guests --allow >/dev/null
bob_allowed() { [ "$(status_of -U bob:secret http://intranet.example/1k)" = 200 ]; }
wait_until 10 bob_allowed
assert_eq 200 "$(status_of -U bob:secret http://intranet.example/1k)" "a policy changed by the CLI applies"
pc group member del ranges erin >/dev/null
erin_default() { [ "$(status_of -U erin:secret http://intranet.example/1k)" = 200 ]; }
wait_until 10 erin_default
assert_eq 200 "$(status_of -U erin:secret http://intranet.example/1k)" "so does a membership change"
finish
