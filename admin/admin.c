#include "admin.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "account.h"
#include "admin_input.h"
#include "cidr.h"
#include "config.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#define ADMIN_MAX_CONNECTIONS 64
#define ADMIN_PER_IP          16
#define ADMIN_TIMEOUT_S       30
#define ADMIN_BODY_MAX        (64 * 1024)
#define SESSIONS_MAX          256
#define SESSION_IDLE_S        (30 * 60)
#define SESSION_MAX_S         (12 * 3600)
#define TOKEN_HEX             64
#define COOKIE_NAME           "portcullis_session"

struct admin_session {
	char token[TOKEN_HEX + 1];
	char csrf[TOKEN_HEX + 1];
	char admin[257];
	int64_t created, last_used;
};

struct admin_server {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct gate *gate;
	pthread_mutex_t lock;             /* guards sessions */
	struct admin_session sessions[SESSIONS_MAX];
};

/* Per-request state: allocated on the first callback, freed in the
 * completion callback (libmicrohttpd's model). */
struct request {
	char *body;
	size_t len;
	int too_large;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int random_hex(char out[TOKEN_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TOKEN_HEX / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[TOKEN_HEX] = '\0';
	return 0;
}

/* ------------------------------------------------------------ responses */

/* Every response carries the same security headers (SPEC §4). */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; object-src 'none'; "
				"base-uri 'none'; frame-ancestors 'none'");
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Takes ownership of j. */
static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *j,
				  const char *cookie)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	enum MHD_Result rc;

	json_decref(j);
	if (!text)
		return reply(conn, 500, "text/plain", "out of memory\n", 14, NULL);
	rc = reply(conn, status, "application/json", text, strlen(text), cookie);
	free(text);
	return rc;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply_json(conn, status, json_pack("{s:s}", "error", msg), NULL);
}

/* ------------------------------------------------------------ sessions */

static const struct sockaddr *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

/* The session named by the request's cookie, copied into *out; 1 found. */
static int session_find(struct admin_server *a, struct MHD_Connection *conn,
			struct admin_session *out)
{
	const char *token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE_NAME);
	int64_t now = now_s();
	int found = 0;

	if (!token || strlen(token) != TOKEN_HEX)
		return 0;
	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		struct admin_session *s = &a->sessions[i];

		if (!s->token[0])
			continue;
		if (now - s->last_used > SESSION_IDLE_S || now - s->created > SESSION_MAX_S) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (CRYPTO_memcmp(s->token, token, TOKEN_HEX) == 0) {
			s->last_used = now;
			*out = *s;
			found = 1;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return found;
}

static int session_new(struct admin_server *a, const char *admin, struct admin_session *out)
{
	struct admin_session *slot = NULL;
	int rc = -1;

	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		struct admin_session *s = &a->sessions[i];

		if (!s->token[0]) {
			slot = s;
			break;
		}
		if (!slot || s->last_used < slot->last_used)
			slot = s;     /* full: the least recently used goes */
	}
	if (!slot) {
		pthread_mutex_unlock(&a->lock);
		return -1;
	}
	memset(slot, 0, sizeof(*slot));
	if (random_hex(slot->token) == 0 && random_hex(slot->csrf) == 0) {
		snprintf(slot->admin, sizeof(slot->admin), "%s", admin);
		slot->created = slot->last_used = now_s();
		*out = *slot;
		rc = 0;
	} else {
		memset(slot, 0, sizeof(*slot));
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static void session_end(struct admin_server *a, const char *token)
{
	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < SESSIONS_MAX; i++)
		if (a->sessions[i].token[0] && !strcmp(a->sessions[i].token, token))
			memset(&a->sessions[i], 0, sizeof(a->sessions[i]));
	pthread_mutex_unlock(&a->lock);
}

static void admin_audit(struct admin_server *a, struct MHD_Connection *conn, const char *admin,
			const char *action, const char *target, const char *detail)
{
	struct store *st = gate_store(a->gate);
	char addr[46] = "";
	const struct sockaddr *sa = client_of(conn);

	if (sa)
		cidr_addr_text(sa, addr, sizeof(addr));
	if (!st || store_admin_action_insert(st, (int64_t)time(NULL) * 1000, admin, action,
					     target ? target : "", detail ? detail : "", addr) < 0)
		log_warn("admin: cannot record action %s by %s", action, admin);
}

/* ------------------------------------------------------------ API */

static enum MHD_Result api_login(struct admin_server *a, struct MHD_Connection *conn,
				 const struct request *req)
{
	json_t *body = admin_input_object(req->body, req->len);
	struct admin_input_login in;
	const char *user;
	struct admin_session s;
	const struct sockaddr *sa = client_of(conn);
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	unsigned retry = 0;
	char cookie[256];
	enum gate_verdict v;
	enum MHD_Result rc;

	if (!body || !sa || admin_input_login(body, &in) < 0) {
		json_decref(body);
		return reply_error(conn, 400, "expected JSON {\"username\": ..., \"password\": ...} "
				   "of at most 256 and 1024 bytes");
	}
	user = in.username;
	v = gate_check_admin(a->gate, sa, user, in.password, in.password_len, ua ? ua : "", &retry);
	if (v == GATE_LOCKED) {
		json_decref(body);
		return reply_error(conn, 429, "too many failed logins; try again later");
	}
	if (v == GATE_UNAVAILABLE) {
		json_decref(body);
		return reply_error(conn, 503, "the database is unavailable");
	}
	if (v != GATE_PASS) {
		/* user points into body: record before letting it go */
		admin_audit(a, conn, user, "admin.login_failed", "", "");
		json_decref(body);
		return reply_error(conn, 401, "wrong username or password");
	}
	if (session_new(a, user, &s) < 0) {
		json_decref(body);
		return reply_error(conn, 500, "cannot create a session");
	}
	admin_audit(a, conn, user, "admin.login", "", "");
	snprintf(cookie, sizeof(cookie), COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s",
		 s.token, a->cfg->admin_tls ? "; Secure" : "");
	rc = reply_json(conn, 200, json_pack("{s:s, s:s}", "admin", s.admin, "csrf", s.csrf), cookie);
	json_decref(body);
	return rc;
}

static int users_cb(const struct store_user *u, void *ud)
{
	json_array_append_new(ud, json_pack("{s:s, s:b, s:I, s:s, s:I, s:I, s:I}", "name", u->name,
		"enabled", u->enabled, "expires_at", (json_int_t)u->expires_at, "comment", u->comment,
		"created_at", (json_int_t)u->created_at, "updated_at", (json_int_t)u->updated_at,
		"last_login_at", (json_int_t)u->last_login_at));
	return 0;
}

static int audit_cb(const struct store_failure *f, void *ud)
{
	json_array_append_new(ud, json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
		"id", (json_int_t)f->id, "time_ms", (json_int_t)f->time_ms,
		"client_addr", f->client_addr, "client_port", f->client_port, "mode", f->mode,
		"scheme", f->scheme, "username", f->username, "reason", f->reason,
		"host", f->host, "user_agent", f->user_agent));
	return 0;
}

static int64_t arg_int(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v ? strtoll(v, NULL, 10) : 0;
}

static const char *arg_str(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

static enum MHD_Result api_audit(struct MHD_Connection *conn, struct store *st)
{
	struct store_failure_filter f = { 0 };
	json_t *rows = json_array(), *last;
	int64_t limit = arg_int(conn, "limit");

	f.since_ms = arg_int(conn, "since_ms");
	f.until_ms = arg_int(conn, "until_ms");
	f.username = arg_str(conn, "user");
	f.client_addr = arg_str(conn, "addr");
	f.reason = arg_str(conn, "reason");
	f.mode = arg_str(conn, "mode");
	f.before_time_ms = arg_int(conn, "before_time_ms");
	f.before_id = arg_int(conn, "before_id");
	if (limit < 0 || limit > 1000) {
		json_decref(rows);
		return reply_error(conn, 400, "limit: 1..1000");
	}
	f.limit = limit ? (size_t)limit : 100;
	if (store_failures_list(st, &f, audit_cb, rows) < 0) {
		json_decref(rows);
		return reply_error(conn, 503, "cannot read the audit trail");
	}
	/* keyset paging: the cursor of the next page is the last row's key */
	last = json_array_size(rows) == f.limit ? json_array_get(rows, f.limit - 1) : NULL;
	return reply_json(conn, 200, json_pack("{s:o, s:o}", "rows", rows, "next",
		last ? json_pack("{s:O, s:O}", "before_time_ms", json_object_get(last, "time_ms"),
				 "before_id", json_object_get(last, "id")) : json_null()), NULL);
}

static enum MHD_Result bad_field(struct MHD_Connection *conn, const char *field, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "field '%s': %s", field, what);
	return reply_error(conn, 400, msg);
}

static enum MHD_Result done_ok(struct MHD_Connection *conn, unsigned status)
{
	return reply_json(conn, status, json_pack("{s:b}", "ok", 1), NULL);
}

static enum MHD_Result api_user_write(struct admin_server *a, struct MHD_Connection *conn,
				      struct store *st, const struct admin_session *s,
				      const char *op, json_t *body)
{
	struct admin_input_user in;
	struct admin_input_error err;
	const char *name, *comment;
	struct account_secret sec;
	char action[32];
	int rc = 0;

	if (admin_input_user(body, !strcmp(op, "create") ? ADMIN_INPUT_USER_CREATE :
			     !strcmp(op, "update") ? ADMIN_INPUT_USER_UPDATE : ADMIN_INPUT_USER_DELETE,
			     &in, &err) < 0)
		return bad_field(conn, err.field, err.rule);
	name = in.name;
	comment = in.comment;
	if (in.password && account_hash_password(st, name, in.password, in.password_len, &sec) < 0)
		return reply_error(conn, 500, "hashing failed");
	if (!strcmp(op, "create")) {
		struct store_user u;

		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", name);
		memcpy(u.phc, sec.phc, sizeof(u.phc));
		memcpy(u.ha1_md5, sec.ha1_md5, sizeof(u.ha1_md5) - 1);
		memcpy(u.ha1_sha256, sec.ha1_sha256, sizeof(u.ha1_sha256));
		u.enabled = in.enabled != 0;
		u.expires_at = in.expires_at;
		snprintf(u.comment, sizeof(u.comment), "%s", comment ? comment : "");
		rc = store_user_add(st, &u);
		if (rc == -EEXIST)
			return reply_error(conn, 409, "a user of that name exists");
	} else if (!strcmp(op, "update")) {
		if (in.password)
			rc = store_user_set_password(st, name, sec.phc, sec.ha1_md5, sec.ha1_sha256);
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
		return reply_error(conn, 404, "no such user");
	if (rc < 0)
		return reply_error(conn, 503, "the database refused the change");
	snprintf(action, sizeof(action), "user.%s", op);
	admin_audit(a, conn, s->admin, action, name, comment);
	return done_ok(conn, !strcmp(op, "create") ? 201 : 200);
}

static int whitelist_cb(const struct store_whitelist *w, void *ud)
{
	json_array_append_new(ud, json_pack("{s:s, s:s, s:I}", "cidr", w->cidr, "comment", w->comment,
					    "created_at", (json_int_t)w->created_at));
	return 0;
}

static int sessions_cb(const struct store_session *x, void *ud)
{
	json_array_append_new(ud, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:i}", "addr", x->addr,
		"mac", x->mac, "username", x->username, "created_at", (json_int_t)x->created_at,
		"last_seen_at", (json_int_t)x->last_seen_at, "expires_at", (json_int_t)x->expires_at,
		"idle_timeout", (int)x->idle_timeout));
	return 0;
}

static int actions_cb(const struct store_admin_action *x, void *ud)
{
	json_array_append_new(ud, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)x->id,
		"time_ms", (json_int_t)x->time_ms, "admin", x->admin, "action", x->action,
		"target", x->target, "detail", x->detail, "client_addr", x->client_addr));
	return 0;
}

static enum MHD_Result api_whitelist_write(struct admin_server *a, struct MHD_Connection *conn,
					   struct store *st, const struct admin_session *s,
					   int add, json_t *body)
{
	struct admin_input_error err;
	const char *comment;
	char canon[64];
	int rc;

	if (admin_input_whitelist(body, canon, sizeof(canon), &comment, &err) < 0)
		return bad_field(conn, err.field, err.rule);
	rc = add ? store_whitelist_add(st, canon, comment ? comment : "") : store_whitelist_del(st, canon);
	if (rc == -EEXIST)
		return reply_error(conn, 409, "already on the whitelist");
	if (rc == 1)
		return reply_error(conn, 404, "not on the whitelist");
	if (rc < 0)
		return reply_error(conn, 503, "the database refused the change");
	admin_audit(a, conn, s->admin, add ? "whitelist.add" : "whitelist.del", canon, comment);
	return done_ok(conn, add ? 201 : 200);
}

static enum MHD_Result api_session_kick(struct admin_server *a, struct MHD_Connection *conn,
					struct store *st, const struct admin_session *s, json_t *body)
{
	struct admin_input_error err;
	char canon[64];
	int rc;

	if (admin_input_session_addr(body, canon, sizeof(canon), &err) < 0)
		return bad_field(conn, err.field, err.rule);
	rc = store_session_delete(st, canon);
	if (rc == 1)
		return reply_error(conn, 404, "no session for that address");
	if (rc < 0)
		return reply_error(conn, 503, "the database refused the change");
	admin_audit(a, conn, s->admin, "session.kick", canon, "");
	return done_ok(conn, 200);
}

/* Routes that change something: JSON body in, {"ok": true} out. */
static enum MHD_Result api_write(struct admin_server *a, struct MHD_Connection *conn,
				 struct store *st, const struct admin_session *s, const char *url,
				 const struct request *req)
{
	json_t *body = admin_input_object(req->body, req->len);
	enum MHD_Result rc;

	if (!body)
		return reply_error(conn, 400, "expected a JSON object");
	if (!strcmp(url, "/api/users"))
		rc = api_user_write(a, conn, st, s, "create", body);
	else if (!strcmp(url, "/api/users/update"))
		rc = api_user_write(a, conn, st, s, "update", body);
	else if (!strcmp(url, "/api/users/delete"))
		rc = api_user_write(a, conn, st, s, "delete", body);
	else if (!strcmp(url, "/api/whitelist"))
		rc = api_whitelist_write(a, conn, st, s, 1, body);
	else if (!strcmp(url, "/api/whitelist/delete"))
		rc = api_whitelist_write(a, conn, st, s, 0, body);
	else if (!strcmp(url, "/api/sessions/kick"))
		rc = api_session_kick(a, conn, st, s, body);
	else
		rc = reply_error(conn, 404, "no such API route");
	json_decref(body);
	return rc;
}

/* ------------------------------------------------------------ CSV export */

#define CSV_PAGE 500

/* The export streams: one keyset page at a time is read and formatted, so
 * a million rows never sit in memory. */
struct csv_stream {
	struct admin_server *a;
	struct store_failure_filter f;
	char user[257], addr[46], reason[24], mode[16];
	char *buf;
	size_t len, off, cap;
	size_t rows_in_page;
	int header_done, done;
};

/* RFC 4180 quoting; a cell that a spreadsheet would run as a formula
 * (= + - @ at the start: a username is whatever a client typed) is
 * prefixed with an apostrophe. */
static void csv_cell(struct csv_stream *c, const char *v, int last)
{
	size_t need = 2 * strlen(v) + 8;

	if (c->len + need > c->cap) {
		size_t cap = (c->len + need) * 2;
		char *b = realloc(c->buf, cap);

		if (!b)
			return;
		c->buf = b;
		c->cap = cap;
	}
	c->buf[c->len++] = '"';
	if (strchr("=+-@\t\r", v[0]) && v[0])
		c->buf[c->len++] = '\'';
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			c->buf[c->len++] = '"';
		c->buf[c->len++] = *p;
	}
	c->buf[c->len++] = '"';
	if (last) {
		c->buf[c->len++] = '\r';
		c->buf[c->len++] = '\n';
	} else {
		c->buf[c->len++] = ',';
	}
}

static int csv_row_cb(const struct store_failure *f, void *ud)
{
	struct csv_stream *c = ud;
	char t[32], port[16];
	time_t secs = (time_t)(f->time_ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03dZ", (int)(f->time_ms % 1000));
	snprintf(port, sizeof(port), "%d", f->client_port);
	csv_cell(c, t, 0);
	csv_cell(c, f->client_addr, 0);
	csv_cell(c, port, 0);
	csv_cell(c, f->mode, 0);
	csv_cell(c, f->scheme, 0);
	csv_cell(c, f->username, 0);
	csv_cell(c, f->reason, 0);
	csv_cell(c, f->host, 0);
	csv_cell(c, f->user_agent, 1);
	c->f.before_time_ms = f->time_ms;
	c->f.before_id = f->id;
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
						   "reason,host,user_agent\r\n";

			c->header_done = 1;
			if (!(c->buf = malloc(sizeof(head))))
				return MHD_CONTENT_READER_END_WITH_ERROR;
			c->cap = sizeof(head);
			memcpy(c->buf, head, sizeof(head) - 1);
			c->len = sizeof(head) - 1;
			break;
		}
		st = gate_store(c->a->gate);
		c->rows_in_page = 0;
		c->f.limit = CSV_PAGE;
		if (!st || store_failures_list(st, &c->f, csv_row_cb, c) < 0)
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

static void copy_arg(struct MHD_Connection *conn, const char *name, char *dst, size_t len,
		     const char **field)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	if (v && *v) {
		snprintf(dst, len, "%s", v);
		*field = dst;
	}
}

static enum MHD_Result api_audit_csv(struct admin_server *a, struct MHD_Connection *conn)
{
	struct csv_stream *c = calloc(1, sizeof(*c));
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (!c)
		return MHD_NO;
	c->a = a;
	c->f.since_ms = arg_int(conn, "since_ms");
	c->f.until_ms = arg_int(conn, "until_ms");
	copy_arg(conn, "user", c->user, sizeof(c->user), &c->f.username);
	copy_arg(conn, "addr", c->addr, sizeof(c->addr), &c->f.client_addr);
	copy_arg(conn, "reason", c->reason, sizeof(c->reason), &c->f.reason);
	copy_arg(conn, "mode", c->mode, sizeof(c->mode), &c->f.mode);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, csv_reader_cb, c, csv_free_cb);
	if (!r) {
		free(c);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(r, "Content-Disposition", "attachment; filename=\"portcullis-audit.csv\"");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result api(struct admin_server *a, struct MHD_Connection *conn, const char *url,
			   const char *method, const struct request *req)
{
	struct admin_session s;
	struct store *st;
	int changes = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;

	if (!strcmp(url, "/api/login") && !strcmp(method, "POST"))
		return api_login(a, conn, req);
	if (!session_find(a, conn, &s))
		return reply_error(conn, 401, "login required");
	/* CSRF (SPEC §4): every state change carries the session's token */
	if (changes) {
		const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");

		if (!t || strlen(t) != TOKEN_HEX || CRYPTO_memcmp(t, s.csrf, TOKEN_HEX) != 0)
			return reply_error(conn, 403, "missing or wrong X-CSRF-Token");
	}
	if (!strcmp(url, "/api/logout") && !strcmp(method, "POST")) {
		session_end(a, s.token);
		admin_audit(a, conn, s.admin, "admin.logout", "", "");
		return reply_json(conn, 200, json_pack("{s:b}", "ok", 1),
				  COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	}
	if (!strcmp(url, "/api/me") && !strcmp(method, "GET"))
		return reply_json(conn, 200, json_pack("{s:s, s:s}", "admin", s.admin, "csrf", s.csrf), NULL);
	st = gate_store(a->gate);
	if (!st)
		return reply_error(conn, 503, "the database is unavailable");
	if (!strcmp(url, "/api/users") && !strcmp(method, "GET")) {
		json_t *arr = json_array();

		if (store_user_list(st, arg_str(conn, "search"), users_cb, arr) < 0) {
			json_decref(arr);
			return reply_error(conn, 503, "cannot list users");
		}
		return reply_json(conn, 200, json_pack("{s:o}", "users", arr), NULL);
	}
	if (!strcmp(url, "/api/audit") && !strcmp(method, "GET"))
		return api_audit(conn, st);
	if (!strcmp(url, "/api/audit.csv") && !strcmp(method, "GET"))
		return api_audit_csv(a, conn);
	if (!strcmp(url, "/api/whitelist") && !strcmp(method, "GET")) {
		json_t *arr = json_array();

		if (store_whitelist_list(st, whitelist_cb, arr) < 0) {
			json_decref(arr);
			return reply_error(conn, 503, "cannot list the whitelist");
		}
		return reply_json(conn, 200, json_pack("{s:o}", "whitelist", arr), NULL);
	}
	if (!strcmp(url, "/api/sessions") && !strcmp(method, "GET")) {
		json_t *arr = json_array();

		if (store_session_list(st, sessions_cb, arr) < 0) {
			json_decref(arr);
			return reply_error(conn, 503, "cannot list sessions");
		}
		return reply_json(conn, 200, json_pack("{s:o}", "sessions", arr), NULL);
	}
	if (!strcmp(url, "/api/actions") && !strcmp(method, "GET")) {
		json_t *arr = json_array();
		int64_t limit = arg_int(conn, "limit");

		if (limit < 0 || limit > 1000)
			limit = 100;
		if (store_admin_action_list(st, arg_int(conn, "before_time_ms"), arg_int(conn, "before_id"),
					    (size_t)limit, actions_cb, arr) < 0) {
			json_decref(arr);
			return reply_error(conn, 503, "cannot list admin actions");
		}
		return reply_json(conn, 200, json_pack("{s:o}", "actions", arr), NULL);
	}
	if (!strcmp(method, "POST"))
		return api_write(a, conn, st, &s, url, req);
	return reply_error(conn, 404, "no such API route");
}

/* ------------------------------------------------------------ dispatch */

static enum MHD_Result admin_request_cb(void *cls, struct MHD_Connection *conn, const char *url,
					const char *method, const char *version,
					const char *upload_data, size_t *upload_data_size,
					void **req_cls)
{
	struct admin_server *a = cls;
	struct request *req = *req_cls;
	char buf[16384];
	int n;

	(void)version;
	if (!req) {
		/* first call: headers only; refuse what we never serve before
		 * reading any body */
		if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST") &&
		    strcmp(method, "DELETE"))
			return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (req->len + *upload_data_size > ADMIN_BODY_MAX) {
			req->too_large = 1;
		} else {
			char *b = realloc(req->body, req->len + *upload_data_size + 1);

			if (!b)
				return MHD_NO;
			memcpy(b + req->len, upload_data, *upload_data_size);
			req->body = b;
			req->len += *upload_data_size;
			req->body[req->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return reply_error(conn, 413, "request body too large");
	if (!strcmp(url, "/metrics") && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
		n = metrics_format(buf, sizeof(buf));
		if (n < 0)
			return reply(conn, 500, "text/plain", "metrics too large\n", 18, NULL);
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", buf, (size_t)n, NULL);
	}
	if (!strcmp(url, "/metrics"))
		return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!strncmp(url, "/api/", 5))
		return api(a, conn, url, method, req);
	return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
}

static void admin_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!req)
		return;
	if (req->body) {
		/* a login body holds a password */
		OPENSSL_cleanse(req->body, req->len);
		free(req->body);
	}
	free(req);
	*req_cls = NULL;
}

struct admin_server *admin_server_new(const struct config *cfg, struct gate *gate, char *err,
				      size_t errlen)
{
	struct admin_server *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->gate = gate;
	pthread_mutex_init(&a->lock, NULL);
	/* two threads: a login's scrypt must not stall every other admin request */
	a->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
				  (cfg->admin_listen.sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0),
				  0, NULL, NULL, admin_request_cb, a,
				  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->admin_listen.sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_MAX_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ADMIN_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_COMPLETED, admin_completed_cb, a,
				  MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s (admin)", cfg->admin_listen.text);
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;
	}
	return a;
}

void admin_server_free(struct admin_server *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	OPENSSL_cleanse(a->sessions, sizeof(a->sessions));
	pthread_mutex_destroy(&a->lock);
	free(a);
}
