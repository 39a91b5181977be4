/*
 * The groups and their policies in the admin API: GET /api/groups (the
 * local groups with their members, and every policy: of local groups, of
 * directory groups, the default one), POST /api/policies (set one) and
 * POST /api/policies/delete. A policy's texts are checked with the
 * daemon's own parsers (gate_policy_from_store) before they are stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_api.h"
#include "admin_input.h"
#include "config.h"
#include "explain.h"
#include "gate.h"
#include "rowjson.h"
#include "shaper.h"

struct groups_listing {
	struct store *st;
	json_t *rows;
	int failed;
};

static int member_cb(const char *user, void *ud)
{
	return json_array_append_new(ud, rowjson_text(user)) < 0;
}

static int group_cb(const struct store_group *g, void *ud)
{
	struct groups_listing *l = ud;
	json_t *members = json_array(), *row;

	/* a statement of its own: the group listing's is still stepping */
	if (!members || store_group_members(l->st, g->name, member_cb, members) < 0) {
		json_decref(members);
		l->failed = 1;
		return 1;
	}
	row = json_pack("{s:o, s:o, s:I}", "name", rowjson_text(g->name), "members", members,
			"created_at", (json_int_t)g->created_at);
	if (!row || json_array_append_new(l->rows, row) < 0) {
		l->failed = 1;
		return 1;
	}
	return 0;
}

struct policies_listing {
	json_t *rows;
	const struct config *cfg;
};

/* A policy, and whether its quota class is one of [shaping] classes
 * (false: the configuration lost it, its users get quota_class) */
static int policy_cb(const struct store_policy *p, void *ud)
{
	const struct policies_listing *l = ud;
	json_t *o = rowjson_policy(p);

	if (o)
		json_object_set_new(o, "quota_class_configured",
				    json_boolean(!explain_quota_class_missing(p, l->cfg)));
	return json_array_append_new(l->rows, o) < 0;
}

int admin_api_groups(struct admin_call *c)
{
	struct groups_listing l = { .st = c->st };
	json_t *policies;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	l.rows = json_array();
	policies = json_array();
	if (!l.rows || !policies || store_group_list(c->st, group_cb, &l) < 0 || l.failed ||
	    store_policy_list(c->st, policy_cb,
			      &(struct policies_listing){ policies, c->a->cfg }) < 0) {
		json_decref(l.rows);
		json_decref(policies);
		return admin_reply_error(c->conn, 503, "cannot list the groups");
	}
	return admin_reply_json(c->conn, 200, json_pack("{s:o, s:o}", "groups", l.rows, "policies",
							policies), NULL);
}

/* The "group" field: a name the panel got from rowjson, or null / absent
 * for the default policy, into out. 0, or -1. */
static int body_group(json_t *body, char *out, size_t len)
{
	json_t *g = json_object_get(body, "group");

	if (!g || json_is_null(g)) {
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(g) || !json_string_length(g))
		return -1;
	return admin_arg_name(json_string_value(g), out, len);
}

/* A text field into out ("" when absent): 0, or -1 when not a string or
 * too long. */
static int body_text(json_t *body, const char *name, char *out, size_t len)
{
	json_t *v = json_object_get(body, name);

	if (!v) {
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int body_int(json_t *body, const char *name, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* A data quota: a whole number of bytes, or a text with a unit
 * (admin_input_bytes: "5MB", "1GiB", "none"); absent or null is none. */
#define ADMIN_BYTES_RULE "bytes: a whole number, or a text like \"5MB\", \"1GiB\", \"none\""
static int body_bytes(json_t *body, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(body, name);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		return admin_input_bytes(json_string_value(v), out);
	return -1;
}

static enum MHD_Result policy_set(struct admin_call *c, json_t *body, struct store_policy *sp,
				  struct policy *p)
{
	struct MHD_Connection *conn = c->conn;
	json_t *denied = json_object_get(body, "denied");
	struct policy_window w[POLICY_WINDOWS_MAX];
	struct policy_rule *r = p->allow;
	int64_t devices = 0;
	char err[512];
	size_t n;
	int rc;

	static const char *const known[] = {
		"group", "priority", "denied", "windows", "session_lifetime", "idle_timeout",
		"allow_destinations", "deny_destinations", "bandwidth_class",
		"quota_session", "quota_day", "quota_month", "max_devices", "quota_class",
	};
	const char *key;
	json_t *value;

	json_object_foreach(body, key, value) {
		size_t i = 0;

		while (i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]))
			i++;
		if (i == sizeof(known) / sizeof(known[0]))
			return admin_bad_field(conn, key, "unknown");
	}
	memset(sp, 0, sizeof(*sp));
	sp->priority = 100;
	if (body_group(body, sp->group, sizeof(sp->group)) < 0)
		return admin_bad_field(conn, "group", "a group name, or null for the default policy");
	if (body_int(body, "priority", -1000000, 1000000, &sp->priority) < 0)
		return admin_bad_field(conn, "priority", "a whole number, -1000000 to 1000000");
	if (denied && !json_is_boolean(denied))
		return admin_bad_field(conn, "denied", "true or false");
	sp->denied = denied && json_is_true(denied);
	if (body_int(body, "session_lifetime", 0, 10LL * 366 * 86400, &sp->session_lifetime) < 0)
		return admin_bad_field(conn, "session_lifetime", "seconds, 0 for the configuration's");
	if (body_int(body, "idle_timeout", 0, 10LL * 366 * 86400, &sp->idle_timeout) < 0)
		return admin_bad_field(conn, "idle_timeout", "seconds, 0 for the configuration's");
	/* each text checked alone, so that the answer names its field */
	if (body_text(body, "windows", sp->windows, sizeof(sp->windows)) < 0 ||
	    policy_parse_windows(sp->windows, w, &n, err, sizeof(err)) < 0)
		return admin_bad_field(conn, "windows", "DAYS HH:MM-HH:MM, ... (mon, mon-fri, daily)");
	if (body_text(body, "allow_destinations", sp->allow, sizeof(sp->allow)) < 0 ||
	    policy_parse_rules(sp->allow, r, &n, err, sizeof(err)) < 0)
		return admin_bad_field(conn, "allow_destinations",
				       "host names, *.domain and CIDR ranges");
	if (body_text(body, "deny_destinations", sp->deny, sizeof(sp->deny)) < 0 ||
	    policy_parse_rules(sp->deny, r, &n, err, sizeof(err)) < 0)
		return admin_bad_field(conn, "deny_destinations",
				       "host names, *.domain and CIDR ranges");
	if (body_text(body, "bandwidth_class", sp->bandwidth_class, sizeof(sp->bandwidth_class)) < 0 ||
	    !policy_valid_class(sp->bandwidth_class))
		return admin_bad_field(conn, "bandwidth_class", "letters, digits, '_', '.', '-'");
	if (body_bytes(body, "quota_session", &sp->quota.session_bytes) < 0)
		return admin_bad_field(conn, "quota_session", ADMIN_BYTES_RULE);
	if (body_bytes(body, "quota_day", &sp->quota.day_bytes) < 0)
		return admin_bad_field(conn, "quota_day", ADMIN_BYTES_RULE);
	if (body_bytes(body, "quota_month", &sp->quota.month_bytes) < 0)
		return admin_bad_field(conn, "quota_month", ADMIN_BYTES_RULE);
	if (body_int(body, "max_devices", 0, POLICY_DEVICES_MAX, &devices) < 0)
		return admin_bad_field(conn, "max_devices", "devices at once, 1 to 64; 0 for no limit");
	sp->max_devices = (unsigned)devices;
	/* one of [shaping] classes, or "" for [shaping] quota_class */
	if (body_text(body, "quota_class", sp->quota_class, sizeof(sp->quota_class)) < 0 ||
	    strlen(sp->quota_class) > SHAPER_NAME_MAX || !policy_valid_class(sp->quota_class))
		return admin_bad_field(conn, "quota_class", "letters, digits, '_', '.', '-'");
	if (sp->quota_class[0]) {
		struct shaper_classes classes;
		char why[160];

		if (shaper_classes_parse(c->a->cfg->shaping_classes, &classes, why, sizeof(why)) < 0 ||
		    !shaper_class_find(&classes, sp->quota_class))
			return admin_bad_field(conn, "quota_class", "a class of [shaping] classes");
	}
	if (gate_policy_from_store(sp, p, err, sizeof(err)) < 0)
		return admin_reply_error(conn, 400, err);
	rc = store_policy_set(c->st, sp);
	if (rc < 0)
		return admin_reply_error(conn, 503, "the database refused the change");
	admin_record(c, c->session->admin, "policy.set", sp->group[0] ? sp->group : "(default)", "");
	return admin_done_ok(conn, 200);
}

int admin_api_policy_set(struct admin_call *c)
{
	struct store_policy *sp;
	struct policy *p;
	enum MHD_Result rc;
	json_t *body;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	sp = malloc(sizeof(*sp));
	p = malloc(sizeof(*p));
	rc = sp && p ? policy_set(c, body, sp, p) : admin_reply_error(c->conn, 503, "out of memory");
	free(sp);
	free(p);
	json_decref(body);
	return rc;
}

int admin_api_policy_delete(struct admin_call *c)
{
	char group[STORE_NAME_MAX + 1];
	enum MHD_Result rc;
	json_t *body;
	int r;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	if (json_object_size(body) > (json_object_get(body, "group") ? 1u : 0u)) {
		const char *key;
		json_t *value;

		rc = MHD_NO;
		json_object_foreach(body, key, value) {
			if (strcmp(key, "group")) {
				rc = admin_bad_field(c->conn, key, "unknown");
				break;
			}
		}
	} else if (body_group(body, group, sizeof(group)) < 0) {
		rc = admin_bad_field(c->conn, "group", "a group name, or null for the default policy");
	} else {
		r = store_policy_delete(c->st, group);
		if (r == 1)
			rc = admin_reply_error(c->conn, 404, "no such policy");
		else if (r < 0)
			rc = admin_reply_error(c->conn, 503, "the database refused the change");
		else {
			admin_record(c, c->session->admin, "policy.del", group[0] ? group : "(default)",
				     "");
			rc = admin_done_ok(c->conn, 200);
		}
	}
	json_decref(body);
	return rc;
}
