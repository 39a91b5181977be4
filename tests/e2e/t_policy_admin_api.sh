#!/bin/bash
# Group policies through the admin API: GET /api/groups lists the local
# groups with their members and every policy; POST /api/policies sets one
# (checked with the daemon's own parsers: a bad field is refused by name,
# an unknown one too) and the proxy applies it; names a client could send
# come back as JSON text, never markup; POST /api/policies/delete removes
# one. Each change is in the admin action log. A policy's quota class is
# one of [shaping] classes (here named, shaping off).
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
CONF_EXTRA="[shaping]
classes = slow=2mbit"
setup_daemon; add_user alice secret; add_user '<b>bo</b>' secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
"$CLI" -d "$DB" group add staff >/dev/null
"$CLI" -d "$DB" group member add staff alice >/dev/null
"$CLI" -d "$DB" group member add staff '<b>bo</b>' >/dev/null
start_daemon || exit 1
admin_api_login root admin-pw
[ ${#CSRF} = 64 ] && ok || fail "admin login"
answer() { acurl -b "$ADMIN_JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d "$2" "$A$1"; }

assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "alice passes before any policy"
assert_eq 200 "$(admin_api_post /api/policies '{"group":"staff","denied":true,"priority":5,"windows":"mon-fri 08:00-18:00","bandwidth_class":"slow"}')" \
	"policy set"
denied() { [ "$(status_of -U alice:secret http://$ORIGIN/1k)" = 403 ]; }
wait_until 10 denied
assert_eq 403 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the proxy applies a policy set by the API"

g=$(acurl -b "$ADMIN_JAR" $A/api/groups)
assert_contains "$g" '"name":"staff","members":["<b>bo</b>","alice"]' "groups with their members"
assert_contains "$g" '"group":"staff","default":false,"priority":5,"denied":true,"windows":"mon-fri 08:00-18:00"' \
	"and the policy"
hdr=$(acurl -D - -o /dev/null -b "$ADMIN_JAR" $A/api/groups)
assert_contains "$hdr" "Content-Type: application/json" "JSON, not markup"

assert_contains "$(answer /api/policies '{"group":"staff","windows":"mon 25:00-26:00"}')" \
	"field 'windows'" "a bad window refused by field"
assert_contains "$(answer /api/policies '{"group":"staff","deny_destinations":"*.*.example"}')" \
	"field 'deny_destinations'" "a bad rule refused by field"
assert_contains "$(answer /api/policies '{"group":"staff","bandwidth_class":"<script>"}')" \
	"field 'bandwidth_class'" "a bad class refused by field"
assert_contains "$(answer /api/policies '{"group":"staff","quota_day":"5 parsecs"}')" \
	"field 'quota_day'" "a bad quota size refused by field"
assert_contains "$(answer /api/policies '{"group":"staff","max_devices":65}')" \
	"field 'max_devices'" "a device limit over 64 refused by field"
assert_eq 200 "$(admin_api_post /api/policies '{"group":"lobby","max_devices":2}')" "a device limit set"
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/groups)" '"max_devices":2,' \
	"the device limit listed with the policy"
assert_contains "$(answer /api/policies '{"group":"staff","denyed":true}')" "field 'denyed': unknown" \
	"an unknown field refused by name"
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/groups)" '"denied":true' "refused bodies changed nothing"

# data quotas: a number of bytes, or a size with its unit
assert_eq 200 "$(admin_api_post /api/policies '{"group":"quota-group","quota_session":"5MB","quota_month":1073741824}')" \
	"a policy with quotas set"
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/groups)" \
	'"quota_session":5000000,"quota_day":0,"quota_month":1073741824' "the quotas listed in bytes"

# the class a used-up quota throttles into: one of the configured classes
assert_contains "$(answer /api/policies '{"group":"quota-group","quota_class":"<b>x</b>"}')" \
	"field 'quota_class'" "a quota class that is no class name refused by field"
assert_contains "$(answer /api/policies '{"group":"quota-group","quota_class":"nope"}')" \
	"field 'quota_class'" "a quota class not among the classes refused by field"
assert_eq 200 "$(admin_api_post /api/policies '{"group":"quota-group","quota_class":"slow"}')" \
	"a policy with a quota class set"
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/groups)" '"quota_class":"slow"' \
	"the quota class listed with the policy"

# the default policy: group null
assert_eq 200 "$(admin_api_post /api/policies '{"group":null,"deny_destinations":"10.202.0.0/24"}')" \
	"default policy set"
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/groups)" '"group":null,"default":true' "listed as the default"
assert_eq 200 "$(admin_api_post /api/policies/delete '{"group":"staff"}')" "policy deleted"
assert_eq 404 "$(admin_api_post /api/policies/delete '{"group":"staff"}')" "deleting it again: 404"
by_default() { pcurl -U alice:secret http://$ORIGIN/1k 2>/dev/null | grep -q "the default policy (rule 10.202.0.0/24)"; }
wait_until 10 by_default
by_default && ok || fail "alice falls to the default policy once staff's is deleted"
assert_contains "$("$CLI" -d "$DB" actions)" "policy.del" "the change is in the action log"
finish
