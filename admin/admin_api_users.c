/*
 * The admin API's proxy users: the list (GET /api/users) and the changes
 * (create, update, delete), each recorded in the admin log.
 */
#include "admin_api.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "admin_input.h"
#include "explain.h"
#include "gate.h"
#include "idsource.h"
#include "rowjson.h"

/* Rows become JSON in rowjson, as for the CLI: a row whose text is not
 * UTF-8 (a username a client sent) is listed with those bytes escaped,
 * never dropped. */
struct user_rows {
	json_t *arr;
	const char *realm;        /* the daemon's, for "digest" */
	int64_t now;
	struct gate *gate;        /* for the quotas' use */
	struct store *st;
};

/* {"used", "bytes", "resets_at"}, or null for a quota that is not set. */
static json_t *quota_period_json(uint64_t used, uint64_t bytes, int64_t resets_at)
{
	if (!bytes)
		return json_null();
	return json_pack("{s:I, s:I, s:I}", "used", (json_int_t)used, "bytes", (json_int_t)bytes,
			 "resets_at", (json_int_t)resets_at);
}

/* A user's use against the quotas that hold it (null: none), or -1 the
 * store did not answer. */
static json_t *user_quota_json(struct user_rows *r, const char *name)
{
	struct gate_quota_use q;

	if (gate_user_quota_use(r->gate, r->st, name, r->now, &q) < 0)
		return NULL;
	if (q.from == GATE_QUOTA_NONE)
		return json_null();
	return json_pack("{s:s, s:I, s:o, s:o}", "from", q.from == GATE_QUOTA_OWN ? "user" : "policy",
			 "session_bytes", (json_int_t)q.session_bytes,
			 "day", quota_period_json(q.day_used, q.day_bytes, q.day_resets_at),
			 "month", quota_period_json(q.month_used, q.month_bytes, q.month_resets_at));
}

static int users_cb(const struct store_user *u, void *ud)
{
	struct user_rows *r = ud;
	json_t *o = rowjson_user(u, r->realm, r->now), *quota;

	if (o && r->gate) {
		quota = user_quota_json(r, u->name);
		if (!quota) {
			json_decref(o);
			return -1;
		}
		json_object_set_new(o, "quota", quota);
	}
	json_array_append_new(r->arr, o);
	return 0;
}

/* Append "; " and a formatted item to out; cut (at a byte) when full. */
__attribute__((format(printf, 3, 4)))
static void detail_add(char *out, size_t len, const char *fmt, ...)
{
	size_t off = strlen(out);
	va_list ap;

	if (off && off + 2 < len) {
		memcpy(out + off, "; ", 3);
		off += 2;
	}
	if (off + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + off, len - off, fmt, ap);
	va_end(ap);
}

/* What an update changed, for the admin log: "disabled; password changed;
 * expires 2027-01-01T00:00:00Z; comment: ..." (never the password). */
static void user_change_detail(char *out, size_t len, const struct admin_input_user *in)
{
	out[0] = '\0';
	if (in->enabled >= 0)
		detail_add(out, len, "%s", in->enabled ? "enabled" : "disabled");
	if (in->password)
		detail_add(out, len, "%s", "password changed");
	if (in->has_expires) {
		int64_t at = in->expires_at;
		time_t t = (time_t)at;
		struct tm tm;
		char when[32] = "";

		if (at && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (when[0])
			detail_add(out, len, "expires %s", when);
		else
			detail_add(out, len, "%s", "never expires");
	}
	if (in->comment)
		detail_add(out, len, "comment: %s", in->comment);
}

/* POST /api/users, /api/users/update, /api/users/delete (op "create",
 * "update", "delete"); the body is a JSON object. */
static enum MHD_Result user_write(struct admin_call *c, const char *op, json_t *body)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	const struct admin_session *s = c->session;
	struct admin_input_user in;
	struct admin_input_error err;
	const char *name, *comment;
	struct account_secret sec;
	char action[32], stored[STORE_NAME_MAX + 1];
	int rc = 0;

	if (admin_input_user(body, !strcmp(op, "create") ? ADMIN_INPUT_USER_CREATE :
			     !strcmp(op, "update") ? ADMIN_INPUT_USER_UPDATE : ADMIN_INPUT_USER_DELETE,
			     &in, &err) < 0)
		return admin_bad_field(conn, err.field, err.rule);
	name = in.name;
	/* An existing user is named as /api/users shows it: bytes that are
	 * not UTF-8 come back as \xHH (JSON cannot carry them), so the name
	 * is unescaped to the stored bytes. A new user's name is taken as
	 * typed. */
	if (strcmp(op, "create")) {
		if (admin_arg_name(name, stored, sizeof(stored)) < 0)
			return admin_reply_error(conn, 404, "no such user");
		name = stored;
	}
	comment = in.comment;
	if (in.password && account_hash_password(st, NULL, name, in.password, in.password_len, &sec) < 0)
		return admin_reply_error(conn, 500, "hashing failed");
	if (!strcmp(op, "create")) {
		struct store_user u;

		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", name);
		memcpy(u.phc, sec.phc, sizeof(u.phc));
		memcpy(u.ha1_md5, sec.ha1_md5, sizeof(u.ha1_md5) - 1);
		memcpy(u.ha1_sha256, sec.ha1_sha256, sizeof(u.ha1_sha256));
		memcpy(u.ha1_realm, sec.ha1_realm, sizeof(u.ha1_realm));
		u.enabled = in.enabled != 0;
		u.expires_at = in.expires_at;
		snprintf(u.comment, sizeof(u.comment), "%s", comment ? comment : "");
		rc = store_user_add(st, &u);
		if (rc == -EEXIST)
			return admin_reply_error(conn, 409, "a user of that name exists");
	} else if (!strcmp(op, "update")) {
		if (in.password)
			rc = store_user_set_password(st, name, sec.phc, sec.ha1_md5, sec.ha1_sha256,
						     sec.ha1_realm);
		if (rc == 0 && in.enabled >= 0)
			rc = store_user_set_enabled(st, name, in.enabled);
		if (rc == 0 && in.has_expires)
			rc = store_user_set_expiry(st, name, in.expires_at);
		if (rc == 0 && comment)
			rc = store_user_set_comment(st, name, comment);
	} else {
		rc = store_user_delete(st, name);
	}
	OPENSSL_cleanse(&sec, sizeof(sec));
	if (rc == 1)
		return admin_reply_error(conn, 404, "no such user");
	if (rc < 0)
		return admin_reply_error(conn, 503, "the database refused the change");
	snprintf(action, sizeof(action), "user.%s", op);
	if (!strcmp(op, "update")) {
		char detail[STORE_COMMENT_MAX + 128];

		user_change_detail(detail, sizeof(detail), &in);
		admin_record(c, s->admin, action, name, detail);
	} else {
		admin_record(c, s->admin, action, name, comment);
	}
	return admin_done_ok(conn, !strcmp(op, "create") ? 201 : 200);
}

static int user_write_body(struct admin_call *c, const char *op)
{
	enum MHD_Result rc;
	json_t *body;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	rc = user_write(c, op, body);
	json_decref(body);
	return rc;
}

int admin_api_user_create(struct admin_call *c)
{
	return user_write_body(c, "create");
}

int admin_api_user_update(struct admin_call *c)
{
	return user_write_body(c, "update");
}

int admin_api_user_delete(struct admin_call *c)
{
	return user_write_body(c, "delete");
}

/* GET /api/users[?search=&after=&limit=]: keyset pages ordered by name. */
int admin_api_users(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	const char *search = admin_arg_str(conn, "search"), *after = admin_arg_str(conn, "after");
	char after_name[STORE_NAME_MAX + 1], realm[STORE_REALM_MAX + 1];
	struct user_rows rows = { .realm = realm, .now = (int64_t)time(NULL), .gate = c->a->gate,
				  .st = st };
	int64_t limit = 100;
	json_t *arr, *last;

	if (!st)
		return admin_reply_unavailable(conn);
	if (admin_arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return admin_bad_param(conn, "limit", "1..1000");
	if (search && strlen(search) > STORE_NAME_MAX)
		return admin_bad_param(conn, "search", "at most 256 bytes");
	/* the cursor is the last name of a page as rowjson showed it */
	if (after && admin_arg_name(after, after_name, sizeof(after_name)) < 0)
		return admin_bad_param(conn, "after", "a user name");
	if (account_daemon_realm(st, realm, sizeof(realm)) < 0)
		rows.realm = NULL;
	arr = rows.arr = json_array();
	if (store_user_list_page(st, search, after ? after_name : NULL, (size_t)limit, users_cb,
				 &rows) < 0) {
		json_decref(arr);
		return admin_reply_error(conn, 503, "cannot list users");
	}
	last = json_array_size(arr) == (size_t)limit ? json_array_get(arr, (size_t)limit - 1) : NULL;
	return admin_reply_json(conn, 200, json_pack("{s:o, s:O}", "users", arr, "next",
		last ? json_object_get(last, "name") : json_null()), NULL);
}


/* ------------------------------------------------------------ explain */

struct explain_groups {
	json_t *arr;
	struct idsource_attrs *all;      /* every group, for the policy's choice */
};

static int explain_group_cb(const char *name, void *ud)
{
	struct explain_groups *eg = ud;

	json_array_append_new(eg->arr, json_pack("{s:o, s:s}", "name", rowjson_text(name),
						 "from", "local"));
	idsource_attrs_add_group(eg->all, name);
	return 0;
}

/* GET /api/users/explain?name=NAME: what `portcullis user explain` says,
 * from what the daemon holds: the local account (if any) and its groups, a
 * directory's groups as the daemon last read them (a directory user who
 * has logged in since the start), and the policy that applies and why
 * (explain.h: the same text). The directory is not asked here. */
int admin_api_user_explain(struct admin_call *c)
{
	const char *arg = admin_arg_str(c->conn, "name");
	char name[STORE_NAME_MAX + 1], detail[128], *policy = NULL;
	struct explain_groups eg = { 0 };
	struct idsource_attrs *dir = NULL;
	struct store_user u;
	const char *source = NULL;
	int rc, answer;

	if (!arg || admin_arg_name(arg, name, sizeof(name)) < 0)
		return admin_bad_param(c->conn, "name", "a user name");
	if (!c->st)
		return admin_reply_unavailable(c->conn);
	eg.arr = json_array();
	eg.all = calloc(1, sizeof(*eg.all));
	dir = calloc(1, sizeof(*dir));
	policy = malloc(EXPLAIN_POLICY_MAX);
	if (!eg.arr || !eg.all || !dir || !policy) {
		answer = admin_reply_error(c->conn, 500, "out of memory");
		goto out;
	}
	detail[0] = '\0';
	rc = store_user_get(c->st, name, &u);
	if (rc == 0) {
		source = "local";
		snprintf(detail, sizeof(detail), "%s", !u.enabled ? "disabled"
			 : u.expires_at && u.expires_at <= time(NULL) ? "expired" : "enabled");
		memset(&u, 0, sizeof(u));
		rc = store_user_groups(c->st, name, explain_group_cb, &eg);
	}
	if (rc < 0) {
		answer = admin_reply_error(c->conn, 503, "cannot read the user");
		goto out;
	}
	if (gate_source_groups(c->a->gate, name, dir)) {
		const char *g = dir->groups;

		if (!source) {
			source = dir->source;
			snprintf(detail, sizeof(detail), "groups as last read from the directory");
		}
		for (unsigned i = 0; i < dir->n_groups; i++, g += strlen(g) + 1) {
			json_array_append_new(eg.arr, json_pack("{s:o, s:s}", "name", rowjson_text(g),
								 "from", dir->source));
			idsource_attrs_add_group(eg.all, g);
		}
	}
	if (explain_policy(c->st, c->a->cfg, eg.all->groups, eg.all->groups_len, eg.all->n_groups, policy,
			   EXPLAIN_POLICY_MAX) < 0) {
		answer = admin_reply_error(c->conn, 503, "cannot read the policies");
		goto out;
	}
	answer = admin_reply_json(c->conn, 200,
				  json_pack("{s:o, s:s?, s:s, s:O, s:o}", "name", rowjson_text(name),
					    "source", source, "detail", detail, "groups", eg.arr,
					    "policy", rowjson_text(policy)), NULL);
out:
	json_decref(eg.arr);
	free(eg.all);
	free(dir);
	free(policy);
	return answer;
}
