/*
 * The admin API's lists and the changes that go with them: the dashboard
 * (GET /api/stats), the audit trail (as JSON pages and as a streamed CSV),
 * the whitelist, intercept sessions and the admin log.
 */
#include "admin_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_input.h"
#include "csv.h"
#include "gate.h"
#include "metrics.h"
#include "rowjson.h"
#include "web_headers.h"

static int audit_cb(const struct store_failure *f, void *ud)
{
	json_array_append_new(ud, rowjson_failure(f));
	return 0;
}

/* A text query parameter copied into dst (which the filter then points
 * at); -1 when it does not fit: a longer value could never match. */
static int arg_copy(struct MHD_Connection *conn, const char *name, char *dst, size_t len,
		    const char **field)
{
	const char *v = admin_arg_str(conn, name);

	if (!v)
		return 0;
	if (strlen(v) >= len)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	*field = dst;
	return 0;
}

static const char *const audit_modes[] = { "explicit", "intercept", "portal", "admin" };

/* The audit filters of /api/audit and /api/audit.csv, with copies of the
 * strings so that a streamed export outlives the request's arguments. */
struct audit_query {
	struct store_failure_filter f;
	char user[STORE_NAME_MAX + 1], addr[STORE_ADDR_MAX + 1], reason[24], mode[16];
};

/* NULL when the query is good, else the name of the bad parameter; *what
 * says what it should be. */
static const char *audit_query_parse(struct MHD_Connection *conn, struct audit_query *q,
				     const char **what)
{
	int64_t limit = 100;
	int known = 0;

	memset(q, 0, sizeof(*q));
	*what = "milliseconds since the epoch";
	if (admin_arg_int(conn, "since_ms", 0, INT64_MAX, &q->f.since_ms) < 0)
		return "since_ms";
	if (admin_arg_int(conn, "until_ms", 0, INT64_MAX, &q->f.until_ms) < 0)
		return "until_ms";
	if (admin_arg_int(conn, "before_time_ms", 0, INT64_MAX, &q->f.before_time_ms) < 0)
		return "before_time_ms";
	*what = "a row id";
	if (admin_arg_int(conn, "before_id", 0, INT64_MAX, &q->f.before_id) < 0)
		return "before_id";
	*what = "1..1000";
	if (admin_arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return "limit";
	q->f.limit = (size_t)limit;
	*what = "at most 256 bytes";
	if (arg_copy(conn, "user", q->user, sizeof(q->user), &q->f.username) < 0 ||
	    (q->f.username && admin_arg_name(q->f.username, q->user, sizeof(q->user)) < 0))
		return "user";
	*what = "an IPv4 or IPv6 address";
	if (arg_copy(conn, "addr", q->addr, sizeof(q->addr), &q->f.client_addr) < 0)
		return "addr";
	*what = "unknown_user, wrong_password, disabled, expired, malformed, stale_nonce, "
		"replayed_nonce, locked_out, account_locked, forged_answer, kerberos_skew, "
		"kerberos_expired or kerberos_bad_token";
	if (arg_copy(conn, "reason", q->reason, sizeof(q->reason), &q->f.reason) < 0)
		return "reason";
	for (int r = 0; r < METRICS_REASON_COUNT; r++)
		known |= q->f.reason && !strcmp(q->f.reason, metrics_reason_name(r));
	if (q->f.reason && !known)
		return "reason";
	*what = "explicit, intercept, portal or admin";
	if (arg_copy(conn, "mode", q->mode, sizeof(q->mode), &q->f.mode) < 0)
		return "mode";
	known = 0;
	for (size_t i = 0; i < sizeof(audit_modes) / sizeof(audit_modes[0]); i++)
		known |= q->f.mode && !strcmp(q->f.mode, audit_modes[i]);
	if (q->f.mode && !known)
		return "mode";
	return NULL;
}

/* GET /api/audit[?filters]: keyset pages, newest first. */
int admin_api_audit(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	struct audit_query q;
	const char *what, *bad = audit_query_parse(conn, &q, &what);
	json_t *rows, *last;

	if (!st)
		return admin_reply_unavailable(conn);
	if (bad)
		return admin_bad_param(conn, bad, what);
	q.f.guests_only = admin_role_guests_only(c->session->role);
	rows = json_array();
	if (store_failures_list(st, &q.f, audit_cb, rows) < 0) {
		json_decref(rows);
		return admin_reply_error(conn, 503, "cannot read the audit trail");
	}
	/* keyset paging: the cursor of the next page is the last row's key */
	last = json_array_size(rows) == q.f.limit ? json_array_get(rows, q.f.limit - 1) : NULL;
	return admin_reply_json(conn, 200, json_pack("{s:o, s:o}", "rows", rows, "next",
		last ? json_pack("{s:O, s:O}", "before_time_ms", json_object_get(last, "time_ms"),
				 "before_id", json_object_get(last, "id")) : json_null()), NULL);
}

static int whitelist_cb(const struct store_whitelist *w, void *ud)
{
	json_array_append_new(ud, rowjson_whitelist(w));
	return 0;
}

struct sessions_listing {
	json_t *rows;
	int guests_only;
	struct gate *gate;
};

static int sessions_cb(const struct store_session *x, void *ud)
{
	struct sessions_listing *l = ud;
	uint64_t in = 0, out = 0;
	json_t *o;

	if (l->guests_only && !store_user_is_guest(x->username))
		return 0;
	o = rowjson_session(x);
	/* the daemon's own rate (bytes/s over about the last minute, from
	 * its counter reads); 0 for a session it does not hold (yet) */
	gate_session_rate(l->gate, x->addr, &in, &out);
	if (o) {
		json_object_set_new(o, "rate_in", json_integer((json_int_t)in));
		json_object_set_new(o, "rate_out", json_integer((json_int_t)out));
	}
	json_array_append_new(l->rows, o);
	return 0;
}

static int actions_cb(const struct store_admin_action *x, void *ud)
{
	json_array_append_new(ud, rowjson_action(x));
	return 0;
}

/* GET /api/actions[?limit=&before_time_ms=&before_id=]: newest first. */
int admin_api_actions(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	int64_t limit = 100, before_time_ms = 0, before_id = 0;
	json_t *arr, *last;

	if (!st)
		return admin_reply_unavailable(conn);
	if (admin_arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return admin_bad_param(conn, "limit", "1..1000");
	if (admin_arg_int(conn, "before_time_ms", 0, INT64_MAX, &before_time_ms) < 0)
		return admin_bad_param(conn, "before_time_ms", "milliseconds since the epoch");
	if (admin_arg_int(conn, "before_id", 0, INT64_MAX, &before_id) < 0)
		return admin_bad_param(conn, "before_id", "a row id");
	arr = json_array();
	if (store_admin_action_list(st, before_time_ms, before_id, (size_t)limit, actions_cb, arr) < 0) {
		json_decref(arr);
		return admin_reply_error(conn, 503, "cannot list admin actions");
	}
	last = json_array_size(arr) == (size_t)limit ? json_array_get(arr, (size_t)limit - 1) : NULL;
	return admin_reply_json(conn, 200, json_pack("{s:o, s:o}", "actions", arr, "next",
		last ? json_pack("{s:O, s:O}", "before_time_ms", json_object_get(last, "time_ms"),
				 "before_id", json_object_get(last, "id")) : json_null()), NULL);
}

#define HOUR_MS   3600000LL
#define STATS_TOP 10

static int top_cb(const char *value, uint64_t count, void *ud)
{
	json_array_append_new(ud, rowjson_top(value, count));
	return 0;
}

struct session_count {
	int64_t now;
	json_int_t active;
};

static int session_count_cb(const struct store_session *x, void *ud)
{
	struct session_count *c = ud;

	if (!x->expires_at || x->expires_at > c->now)
		c->active++;
	return 0;
}

int admin_sessions_active(struct store *st, json_int_t *out)
{
	struct session_count c = { .now = (int64_t)time(NULL), .active = 0 };

	if (store_session_list(st, session_count_cb, &c) < 0)
		return -1;
	*out = c.active;
	return 0;
}

/* GET /api/stats: the dashboard. Counters since the daemon started, and
 * from the audit trail the failures of the last 24 hours in hourly buckets
 * (the last bucket is the current hour) and the worst offenders. */
int admin_api_stats(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	uint64_t hours[24];
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	int64_t since_ms = (now_ms / HOUR_MS + 1) * HOUR_MS - 24 * HOUR_MS;
	json_t *by_reason = json_object(), *hourly = json_array();
	json_t *top_addrs = json_array(), *top_users = json_array();
	json_int_t failures = 0, sessions = 0;

	if (!st) {
		json_decref(by_reason);
		json_decref(hourly);
		json_decref(top_addrs);
		json_decref(top_users);
		return admin_reply_unavailable(conn);
	}

	for (int r = 0; r < METRICS_REASON_COUNT; r++) {
		uint64_t n = __atomic_load_n(&metrics.failures[r], __ATOMIC_RELAXED);

		json_object_set_new(by_reason, metrics_reason_name(r), json_integer((json_int_t)n));
		failures += (json_int_t)n;
	}
	if (store_failures_histogram(st, since_ms, HOUR_MS, hours, 24) < 0 ||
	    store_failures_top(st, 0, now_ms - 24 * HOUR_MS, STATS_TOP, top_cb, top_addrs) < 0 ||
	    store_failures_top(st, 1, now_ms - 24 * HOUR_MS, STATS_TOP, top_cb, top_users) < 0 ||
	    admin_sessions_active(st, &sessions) < 0) {
		json_decref(by_reason);
		json_decref(hourly);
		json_decref(top_addrs);
		json_decref(top_users);
		return admin_reply_error(conn, 503, "cannot read the audit trail");
	}
	for (int h = 0; h < 24; h++)
		json_array_append_new(hourly, json_integer((json_int_t)hours[h]));
	return admin_reply_json(conn, 200, json_pack(
		"{s:I, s:{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:o}, s:o, s:o}",
		"now_ms", (json_int_t)now_ms,
		"counters",
		"requests", (json_int_t)metrics_get(requests),
		"challenges", (json_int_t)metrics_get(challenges),
		"failures", failures,
		"failures_by_reason", by_reason,
		"lockouts", (json_int_t)metrics_get(lockouts),
		"locked_refusals", (json_int_t)metrics_get(locked_refusals),
		"sessions_active", sessions,
		"connections_open", (json_int_t)metrics_get(connections_open),
		"audit_dropped", (json_int_t)metrics_get(audit_dropped),
		"hourly", "since_ms", (json_int_t)since_ms, "bucket_ms", (json_int_t)HOUR_MS,
		"counts", hourly,
		"top_addrs", top_addrs, "top_users", top_users), NULL);
}

static enum MHD_Result whitelist_write(struct admin_call *c, int add, json_t *body)
{
	struct MHD_Connection *conn = c->conn;
	struct store *st = c->st;
	const struct admin_session *s = c->session;
	struct admin_input_error err;
	const char *comment;
	char canon[64];
	int rc;

	if (admin_input_whitelist(body, canon, sizeof(canon), &comment, &err) < 0)
		return admin_bad_field(conn, err.field, err.rule);
	rc = add ? store_whitelist_add(st, canon, comment ? comment : "") : store_whitelist_del(st, canon);
	if (rc == -EEXIST)
		return admin_reply_error(conn, 409, "already on the whitelist");
	if (rc == 1)
		return admin_reply_error(conn, 404, "not on the whitelist");
	if (rc < 0)
		return admin_reply_error(conn, 503, "the database refused the change");
	admin_record(c, s->admin, add ? "whitelist.add" : "whitelist.del", canon, comment);
	return admin_done_ok(conn, add ? 201 : 200);
}

static enum MHD_Result session_kick(struct admin_call *c, json_t *body)
{
	struct MHD_Connection *conn = c->conn;
	const struct admin_session *s = c->session;
	struct admin_input_error err;
	char canon[64];
	int rc;

	if (admin_input_session_addr(body, canon, sizeof(canon), &err) < 0)
		return admin_bad_field(conn, err.field, err.rule);
	if (admin_role_guests_only(s->role)) {
		struct store_session x;

		/* a front desk ends guests' sessions only; another's is as
		 * unknown to it as it is invisible in its list */
		rc = store_session_get(c->st, canon, &x);
		if (rc < 0)
			return admin_reply_error(conn, 503, "cannot read the session");
		if (rc == 1 || !store_user_is_guest(x.username))
			return admin_reply_error(conn, 404, "no session for that address");
	}
	rc = store_session_delete(c->st, canon);
	if (rc == 1)
		return admin_reply_error(conn, 404, "no session for that address");
	if (rc < 0)
		return admin_reply_error(conn, 503, "the database refused the change");
	admin_record(c, s->admin, "session.kick", canon, "");
	return admin_done_ok(conn, 200);
}

/* Whether the change can be made at all; 0 with *answer when not. Then
 * *body is the request's JSON object (the caller decrefs). */
static int change_ready(struct admin_call *c, json_t **body, enum MHD_Result *answer)
{
	if (!c->st) {
		*answer = admin_reply_unavailable(c->conn);
		return 0;
	}
	return admin_body_object(c, body, answer);
}

int admin_api_whitelist_add(struct admin_call *c)
{
	enum MHD_Result rc;
	json_t *body;

	if (!change_ready(c, &body, &rc))
		return rc;
	rc = whitelist_write(c, 1, body);
	json_decref(body);
	return rc;
}

int admin_api_whitelist_delete(struct admin_call *c)
{
	enum MHD_Result rc;
	json_t *body;

	if (!change_ready(c, &body, &rc))
		return rc;
	rc = whitelist_write(c, 0, body);
	json_decref(body);
	return rc;
}

int admin_api_session_kick(struct admin_call *c)
{
	enum MHD_Result rc;
	json_t *body;

	if (!change_ready(c, &body, &rc))
		return rc;
	rc = session_kick(c, body);
	json_decref(body);
	return rc;
}

int admin_api_whitelist(struct admin_call *c)
{
	json_t *arr;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	arr = json_array();
	if (store_whitelist_list(c->st, whitelist_cb, arr) < 0) {
		json_decref(arr);
		return admin_reply_error(c->conn, 503, "cannot list the whitelist");
	}
	return admin_reply_json(c->conn, 200, json_pack("{s:o}", "whitelist", arr), NULL);
}

int admin_api_sessions(struct admin_call *c)
{
	struct sessions_listing l = { .guests_only = admin_role_guests_only(c->session->role),
				      .gate = c->a->gate };

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	l.rows = json_array();
	if (store_session_list(c->st, sessions_cb, &l) < 0) {
		json_decref(l.rows);
		return admin_reply_error(c->conn, 503, "cannot list sessions");
	}
	return admin_reply_json(c->conn, 200, json_pack("{s:o}", "sessions", l.rows), NULL);
}

/* ------------------------------------------------------------ CSV export */

#define CSV_PAGE 500

/* The export streams: one keyset page at a time is read and formatted, so
 * a million rows never sit in memory. */
struct csv_stream {
	struct admin_server *a;   /* for this thread's database connection */
	struct audit_query q;     /* its filter points into itself: never copied */
	char *buf;
	size_t len, off, cap;
	size_t rows_in_page;
	int header_done, done;
};

/* One cell appended to the stream (csv.h: quoted, and a value a
 * spreadsheet would run as a formula made text: a username is whatever a
 * client typed). */
static void csv_append(struct csv_stream *c, const char *v, int last)
{
	size_t need = CSV_CELL_MAX(strlen(v));

	if (c->len + need > c->cap) {
		size_t cap = (c->len + need) * 2;
		char *b = realloc(c->buf, cap);

		if (!b)
			return;
		c->buf = b;
		c->cap = cap;
	}
	c->len += csv_cell(c->buf + c->len, v, last);
}

static int csv_row_cb(const struct store_failure *f, void *ud)
{
	struct csv_stream *c = ud;
	char t[32], port[16], count[24];
	time_t secs = (time_t)(f->time_ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03dZ", (int)(f->time_ms % 1000));
	snprintf(port, sizeof(port), "%d", f->client_port);
	csv_append(c, t, 0);
	csv_append(c, f->client_addr, 0);
	csv_append(c, port, 0);
	csv_append(c, f->mode, 0);
	csv_append(c, f->scheme, 0);
	csv_append(c, f->username, 0);
	csv_append(c, f->reason, 0);
	csv_append(c, f->host, 0);
	csv_append(c, f->user_agent, 0);
	snprintf(count, sizeof(count), "%lld", (long long)f->count);
	csv_append(c, count, 1);
	c->q.f.before_time_ms = f->time_ms;
	c->q.f.before_id = f->id;
	c->rows_in_page++;
	return 0;
}

static ssize_t csv_reader_cb(void *cls, uint64_t pos, char *out, size_t max)
{
	struct csv_stream *c = cls;
	size_t n;

	(void)pos;
	while (c->off == c->len) {
		struct store *st;

		if (c->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		c->len = c->off = 0;
		if (!c->header_done) {
			static const char head[] = "time,client_addr,client_port,mode,scheme,username,"
						   "reason,host,user_agent,count\r\n";

			c->header_done = 1;
			if (!(c->buf = malloc(sizeof(head))))
				return MHD_CONTENT_READER_END_WITH_ERROR;
			c->cap = sizeof(head);
			memcpy(c->buf, head, sizeof(head) - 1);
			c->len = sizeof(head) - 1;
			break;
		}
		st = admin_store(c->a);
		c->rows_in_page = 0;
		c->q.f.limit = CSV_PAGE;
		if (!st || store_failures_list(st, &c->q.f, csv_row_cb, c) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (c->rows_in_page < CSV_PAGE)
			c->done = 1;
	}
	n = c->len - c->off < max ? c->len - c->off : max;
	memcpy(out, c->buf + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

static void csv_free_cb(void *cls)
{
	struct csv_stream *c = cls;

	free(c->buf);
	free(c);
}

/* GET /api/audit.csv[?filters]: the whole filtered audit trail, streamed. */
int admin_api_audit_csv(struct admin_call *call)
{
	struct MHD_Connection *conn = call->conn;
	struct csv_stream *c;
	const char *what, *bad;
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (!call->st)
		return admin_reply_unavailable(conn);
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	c->a = call->a;
	bad = audit_query_parse(conn, &c->q, &what);
	if (bad) {
		free(c);
		return admin_bad_param(conn, bad, what);
	}
	c->q.f.guests_only = admin_role_guests_only(call->session->role);
	/* the export starts from the newest row the filter allows, or from
	 * the cursor the page showed */
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, csv_reader_cb, c, csv_free_cb);
	if (!r) {
		free(c);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(r, "Content-Disposition", "attachment; filename=\"portcullis-audit.csv\"");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	web_headers_add(r, WEB_HEADERS_PANEL);
	rc = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return rc;
}
