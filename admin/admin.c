#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "admin_input.h"
#include "cidr.h"
#include "config.h"
#include "connguard.h"
#include "csv.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "rowjson.h"
#include "store.h"
#include "tlscert.h"
#include "upload.h"
#include "web_headers.h"

#define ADMIN_MAX_CONNECTIONS 128
#define ADMIN_PER_ADDRESS     8     /* a browser opens 6 at most; 16 addresses to fill it */
#define ADMIN_TIMEOUT_S       30
#define ADMIN_REQUEST_DEADLINE_S 10 /* for a whole request to arrive, however it trickles */
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
	unsigned char phc_digest[32];     /* SHA-256 of the admin's hash at login */
	int64_t created, last_used;
};

struct admin_server {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct gate *gate;
	pthread_mutex_t lock;             /* guards sessions */
	struct admin_session sessions[SESSIONS_MAX];
	char *tls_cert, *tls_key;         /* PEM, when [admin] tls is on */
	struct connguard *guard;          /* per-address limits, request deadlines */
};

/* Per-request state: allocated on the first callback, freed in the
 * completion callback (libmicrohttpd's model). */
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

/* One extra header (a cookie, a Retry-After) may be added; NULL for none. */
static enum MHD_Result reply_with(struct MHD_Connection *conn, unsigned status, const char *type,
				  const char *body, size_t len, const char *header,
				  const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	web_headers_add(r, WEB_HEADERS_PANEL);
	if (header && value)
		MHD_add_response_header(r, header, value);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len, const char *cookie)
{
	return reply_with(conn, status, type, body, len, "Set-Cookie", cookie);
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

/* RFC 9110 §15.5.6: a 405 lists the methods the target does support. */
static enum MHD_Result reply_method_not_allowed(struct MHD_Connection *conn, const char *allow)
{
	static const char msg[] = "{\"error\":\"method not allowed\"}";

	return reply_with(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json", msg, sizeof(msg) - 1,
			  "Allow", allow);
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

/* A session is tied to the password hash its admin had at login: a new
 * password (portcullis admin passwd) gives a new hash, with a new salt even
 * for the same password, and ends every session opened before. What the
 * session keeps is a digest of the hash, not the hash itself. */
static void phc_digest(const char *phc, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(phc, strlen(phc), out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		memset(out, 0, 32);     /* matches no hash: the session ends at once */
}

/* 1 when the account named by the session still exists with the hash it
 * had at login, 0 when it is gone or has a new password, -1 when the
 * database cannot say. */
static int session_account_current(struct store *st, const struct admin_session *s)
{
	struct store_admin adm;
	unsigned char now[32];
	int rc = store_admin_get(st, s->admin, &adm);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return 0;
	phc_digest(adm.phc, now);
	OPENSSL_cleanse(adm.phc, sizeof(adm.phc));
	rc = CRYPTO_memcmp(now, s->phc_digest, sizeof(now)) == 0;
	OPENSSL_cleanse(now, sizeof(now));
	return rc;
}

/* digest: phc_digest() of the hash read before the password was checked */
static int session_new(struct admin_server *a, const char *admin, const unsigned char digest[32],
		       struct admin_session *out)
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
		memcpy(slot->phc_digest, digest, sizeof(slot->phc_digest));
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

/* 1 when the request says its body is JSON (parameters such as charset
 * allowed). */
static int json_content_type(struct MHD_Connection *conn)
{
	const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	size_t n = strlen("application/json");

	return t && !strncasecmp(t, "application/json", n) && (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

/* 400 naming the field. An unknown field is a key the client sent, any
 * UTF-8 of any length: it is cut at 64 bytes, on a character boundary
 * (jansson refuses to encode half a character). */
static enum MHD_Result bad_field(struct MHD_Connection *conn, const char *field, const char *what)
{
	size_t len = strlen(field), n = len;
	char msg[320];

	if (n > 64) {
		n = 64;
		while (n && ((unsigned char)field[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(msg, sizeof(msg), "field '%.*s%s': %s", (int)n, field, n < len ? "..." : "", what);
	return reply_error(conn, 400, msg);
}

static enum MHD_Result api_login(struct admin_server *a, struct MHD_Connection *conn,
				 const struct upload *req)
{
	json_t *body = admin_input_object(req->data, req->len);
	struct admin_input_login in;
	struct admin_input_error err;
	struct store *st = gate_store(a->gate);
	struct store_admin adm;
	unsigned char digest[32];
	const char *user;
	struct admin_session s;
	const struct sockaddr *sa = client_of(conn);
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	unsigned retry = 0;
	char cookie[256];
	enum gate_verdict v;
	enum MHD_Result rc;

	/* A form on another site can POST text/plain that happens to be JSON,
	 * but cannot send application/json without a CORS preflight, which
	 * this listener never grants: no login CSRF. */
	if (!json_content_type(conn)) {
		json_decref(body);
		return reply_error(conn, 415, "expected Content-Type: application/json");
	}
	if (!body)
		return reply_error(conn, 400, "expected a JSON object {\"username\": ..., \"password\": ...}");
	if (admin_input_login(body, &in, &err) < 0) {
		rc = bad_field(conn, err.field, err.rule);
		json_decref(body);
		return rc;
	}
	if (!sa) {
		json_decref(body);
		return reply_error(conn, 500, "cannot tell the client's address");
	}
	user = in.username;
	/* the hash is read before the check: a password changed meanwhile
	 * then ends the new session at its first use, never the reverse (a
	 * session opened with the old password that outlives the change) */
	memset(digest, 0, sizeof(digest));
	if (st && store_admin_get(st, user, &adm) == 0) {
		phc_digest(adm.phc, digest);
		OPENSSL_cleanse(adm.phc, sizeof(adm.phc));
	}
	v = gate_check_admin(a->gate, sa, user, in.password, in.password_len, ua ? ua : "", &retry);
	if (v == GATE_LOCKED) {
		/* RFC 6585 §4: say when to come back */
		static const char msg[] = "{\"error\":\"too many failed logins; try again later\"}";
		char retry_after[16];

		json_decref(body);
		snprintf(retry_after, sizeof(retry_after), "%u", retry ? retry : 1);
		return reply_with(conn, 429, "application/json", msg, sizeof(msg) - 1, "Retry-After",
				  retry_after);
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
	if (session_new(a, user, digest, &s) < 0) {
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

/* Rows become JSON in rowjson, as for the CLI: a row whose text is not
 * UTF-8 (a username a client sent) is listed with those bytes escaped,
 * never dropped. */
struct user_rows {
	json_t *arr;
	const char *realm;        /* the daemon's, for "digest" */
	int64_t now;
};

static int users_cb(const struct store_user *u, void *ud)
{
	struct user_rows *r = ud;

	json_array_append_new(r->arr, rowjson_user(u, r->realm, r->now));
	return 0;
}

static int audit_cb(const struct store_failure *f, void *ud)
{
	json_array_append_new(ud, rowjson_failure(f));
	return 0;
}

/* A name the panel got from rowjson and sends back (a filter, a paging
 * cursor): the stored bytes it stands for, into dst. -1 when it cannot be
 * one (too long, a NUL byte). */
static int arg_name(const char *v, char *dst, size_t len)
{
	size_t n = rowjson_unescape(v, dst, len);

	return n == (size_t)-1 || n >= len ? -1 : 0;
}

/* A query parameter that must be an integer in [min, max]; *out keeps its
 * value when the parameter is absent or empty. -1 when it is malformed. */
static int arg_int(struct MHD_Connection *conn, const char *name, int64_t min, int64_t max,
		   int64_t *out)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static const char *arg_str(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

/* A text query parameter copied into dst (which the filter then points
 * at); -1 when it does not fit: a longer value could never match. */
static int arg_copy(struct MHD_Connection *conn, const char *name, char *dst, size_t len,
		    const char **field)
{
	const char *v = arg_str(conn, name);

	if (!v)
		return 0;
	if (strlen(v) >= len)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	*field = dst;
	return 0;
}

static enum MHD_Result bad_param(struct MHD_Connection *conn, const char *name, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "parameter '%s': %s", name, what);
	return reply_error(conn, 400, msg);
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
	if (arg_int(conn, "since_ms", 0, INT64_MAX, &q->f.since_ms) < 0)
		return "since_ms";
	if (arg_int(conn, "until_ms", 0, INT64_MAX, &q->f.until_ms) < 0)
		return "until_ms";
	if (arg_int(conn, "before_time_ms", 0, INT64_MAX, &q->f.before_time_ms) < 0)
		return "before_time_ms";
	*what = "a row id";
	if (arg_int(conn, "before_id", 0, INT64_MAX, &q->f.before_id) < 0)
		return "before_id";
	*what = "1..1000";
	if (arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return "limit";
	q->f.limit = (size_t)limit;
	*what = "at most 256 bytes";
	if (arg_copy(conn, "user", q->user, sizeof(q->user), &q->f.username) < 0 ||
	    (q->f.username && arg_name(q->f.username, q->user, sizeof(q->user)) < 0))
		return "user";
	*what = "an IPv4 or IPv6 address";
	if (arg_copy(conn, "addr", q->addr, sizeof(q->addr), &q->f.client_addr) < 0)
		return "addr";
	*what = "unknown_user, wrong_password, disabled, expired, malformed, stale_nonce, "
		"replayed_nonce or locked_out";
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

static enum MHD_Result api_audit(struct MHD_Connection *conn, struct store *st)
{
	struct audit_query q;
	const char *what, *bad = audit_query_parse(conn, &q, &what);
	json_t *rows, *last;

	if (bad)
		return bad_param(conn, bad, what);
	rows = json_array();
	if (store_failures_list(st, &q.f, audit_cb, rows) < 0) {
		json_decref(rows);
		return reply_error(conn, 503, "cannot read the audit trail");
	}
	/* keyset paging: the cursor of the next page is the last row's key */
	last = json_array_size(rows) == q.f.limit ? json_array_get(rows, q.f.limit - 1) : NULL;
	return reply_json(conn, 200, json_pack("{s:o, s:o}", "rows", rows, "next",
		last ? json_pack("{s:O, s:O}", "before_time_ms", json_object_get(last, "time_ms"),
				 "before_id", json_object_get(last, "id")) : json_null()), NULL);
}

static enum MHD_Result done_ok(struct MHD_Connection *conn, unsigned status)
{
	return reply_json(conn, status, json_pack("{s:b}", "ok", 1), NULL);
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

static enum MHD_Result api_user_write(struct admin_server *a, struct MHD_Connection *conn,
				      struct store *st, const struct admin_session *s,
				      const char *op, json_t *body)
{
	struct admin_input_user in;
	struct admin_input_error err;
	const char *name, *comment;
	struct account_secret sec;
	char action[32], stored[STORE_NAME_MAX + 1];
	int rc = 0;

	if (admin_input_user(body, !strcmp(op, "create") ? ADMIN_INPUT_USER_CREATE :
			     !strcmp(op, "update") ? ADMIN_INPUT_USER_UPDATE : ADMIN_INPUT_USER_DELETE,
			     &in, &err) < 0)
		return bad_field(conn, err.field, err.rule);
	name = in.name;
	/* An existing user is named as /api/users shows it: bytes that are
	 * not UTF-8 come back as \xHH (JSON cannot carry them), so the name
	 * is unescaped to the stored bytes. A new user's name is taken as
	 * typed. */
	if (strcmp(op, "create")) {
		if (arg_name(name, stored, sizeof(stored)) < 0)
			return reply_error(conn, 404, "no such user");
		name = stored;
	}
	comment = in.comment;
	if (in.password && account_hash_password(st, NULL, name, in.password, in.password_len, &sec) < 0)
		return reply_error(conn, 500, "hashing failed");
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
			return reply_error(conn, 409, "a user of that name exists");
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
		return reply_error(conn, 404, "no such user");
	if (rc < 0)
		return reply_error(conn, 503, "the database refused the change");
	snprintf(action, sizeof(action), "user.%s", op);
	if (!strcmp(op, "update")) {
		char detail[STORE_COMMENT_MAX + 128];

		user_change_detail(detail, sizeof(detail), &in);
		admin_audit(a, conn, s->admin, action, name, detail);
	} else {
		admin_audit(a, conn, s->admin, action, name, comment);
	}
	return done_ok(conn, !strcmp(op, "create") ? 201 : 200);
}

static int whitelist_cb(const struct store_whitelist *w, void *ud)
{
	json_array_append_new(ud, rowjson_whitelist(w));
	return 0;
}

static int sessions_cb(const struct store_session *x, void *ud)
{
	json_array_append_new(ud, rowjson_session(x));
	return 0;
}

static int actions_cb(const struct store_admin_action *x, void *ud)
{
	json_array_append_new(ud, rowjson_action(x));
	return 0;
}

/* GET /api/users[?search=&after=&limit=]: keyset pages ordered by name. */
static enum MHD_Result api_users(struct MHD_Connection *conn, struct store *st)
{
	const char *search = arg_str(conn, "search"), *after = arg_str(conn, "after");
	char after_name[STORE_NAME_MAX + 1], realm[STORE_REALM_MAX + 1];
	struct user_rows rows = { .realm = realm, .now = (int64_t)time(NULL) };
	int64_t limit = 100;
	json_t *arr, *last;

	if (arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return bad_param(conn, "limit", "1..1000");
	if (search && strlen(search) > STORE_NAME_MAX)
		return bad_param(conn, "search", "at most 256 bytes");
	/* the cursor is the last name of a page as rowjson showed it */
	if (after && arg_name(after, after_name, sizeof(after_name)) < 0)
		return bad_param(conn, "after", "a user name");
	if (account_daemon_realm(st, realm, sizeof(realm)) < 0)
		rows.realm = NULL;
	arr = rows.arr = json_array();
	if (store_user_list_page(st, search, after ? after_name : NULL, (size_t)limit, users_cb,
				 &rows) < 0) {
		json_decref(arr);
		return reply_error(conn, 503, "cannot list users");
	}
	last = json_array_size(arr) == (size_t)limit ? json_array_get(arr, (size_t)limit - 1) : NULL;
	return reply_json(conn, 200, json_pack("{s:o, s:O}", "users", arr, "next",
		last ? json_object_get(last, "name") : json_null()), NULL);
}

/* GET /api/actions[?limit=&before_time_ms=&before_id=]: newest first. */
static enum MHD_Result api_actions(struct MHD_Connection *conn, struct store *st)
{
	int64_t limit = 100, before_time_ms = 0, before_id = 0;
	json_t *arr, *last;

	if (arg_int(conn, "limit", 1, 1000, &limit) < 0)
		return bad_param(conn, "limit", "1..1000");
	if (arg_int(conn, "before_time_ms", 0, INT64_MAX, &before_time_ms) < 0)
		return bad_param(conn, "before_time_ms", "milliseconds since the epoch");
	if (arg_int(conn, "before_id", 0, INT64_MAX, &before_id) < 0)
		return bad_param(conn, "before_id", "a row id");
	arr = json_array();
	if (store_admin_action_list(st, before_time_ms, before_id, (size_t)limit, actions_cb, arr) < 0) {
		json_decref(arr);
		return reply_error(conn, 503, "cannot list admin actions");
	}
	last = json_array_size(arr) == (size_t)limit ? json_array_get(arr, (size_t)limit - 1) : NULL;
	return reply_json(conn, 200, json_pack("{s:o, s:o}", "actions", arr, "next",
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

static int sessions_active(struct store *st, json_int_t *out)
{
	struct session_count c = { .now = now_s(), .active = 0 };

	if (store_session_list(st, session_count_cb, &c) < 0)
		return -1;
	*out = c.active;
	return 0;
}

/* GET /api/stats: the dashboard. Counters since the daemon started, and
 * from the audit trail the failures of the last 24 hours in hourly buckets
 * (the last bucket is the current hour) and the worst offenders. */
static enum MHD_Result api_stats(struct MHD_Connection *conn, struct store *st)
{
	uint64_t hours[24];
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	int64_t since_ms = (now_ms / HOUR_MS + 1) * HOUR_MS - 24 * HOUR_MS;
	json_t *by_reason = json_object(), *hourly = json_array();
	json_t *top_addrs = json_array(), *top_users = json_array();
	json_int_t failures = 0, sessions = 0;

	for (int r = 0; r < METRICS_REASON_COUNT; r++) {
		uint64_t n = __atomic_load_n(&metrics.failures[r], __ATOMIC_RELAXED);

		json_object_set_new(by_reason, metrics_reason_name(r), json_integer((json_int_t)n));
		failures += (json_int_t)n;
	}
	if (store_failures_histogram(st, since_ms, HOUR_MS, hours, 24) < 0 ||
	    store_failures_top(st, 0, now_ms - 24 * HOUR_MS, STATS_TOP, top_cb, top_addrs) < 0 ||
	    store_failures_top(st, 1, now_ms - 24 * HOUR_MS, STATS_TOP, top_cb, top_users) < 0 ||
	    sessions_active(st, &sessions) < 0) {
		json_decref(by_reason);
		json_decref(hourly);
		json_decref(top_addrs);
		json_decref(top_users);
		return reply_error(conn, 503, "cannot read the audit trail");
	}
	for (int h = 0; h < 24; h++)
		json_array_append_new(hourly, json_integer((json_int_t)hours[h]));
	return reply_json(conn, 200, json_pack(
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
				 const struct upload *req)
{
	json_t *body = admin_input_object(req->data, req->len);
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
		st = gate_store(c->a->gate);
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

static enum MHD_Result api_audit_csv(struct admin_server *a, struct MHD_Connection *conn)
{
	struct csv_stream *c = calloc(1, sizeof(*c));
	const char *what, *bad;
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (!c)
		return MHD_NO;
	c->a = a;
	bad = audit_query_parse(conn, &c->q, &what);
	if (bad) {
		free(c);
		return bad_param(conn, bad, what);
	}
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

static enum MHD_Result api(struct admin_server *a, struct MHD_Connection *conn, const char *url,
			   const char *method, const struct upload *req)
{
	struct admin_session s;
	struct store *st;
	int changes = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;

	if (!strcmp(url, "/api/login") && !strcmp(method, "POST"))
		return api_login(a, conn, req);
	if (!session_find(a, conn, &s))
		return reply_error(conn, 401, "login required");
	/* an admin account deleted or given a new password (by the CLI) ends
	 * its sessions at once */
	st = gate_store(a->gate);
	if (st && session_account_current(st, &s) == 0) {
		session_end(a, s.token);
		return reply_error(conn, 401, "login required");
	}
	/* CSRF: every state change carries the session's token (a cross-site
	 * form cannot read it), checked before the route runs */
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
	if (!st)
		return reply_error(conn, 503, "the database is unavailable");
	if (!strcmp(url, "/api/users") && !strcmp(method, "GET"))
		return api_users(conn, st);
	if (!strcmp(url, "/api/stats") && !strcmp(method, "GET"))
		return api_stats(conn, st);
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
	if (!strcmp(url, "/api/actions") && !strcmp(method, "GET"))
		return api_actions(conn, st);
	if (!strcmp(method, "POST"))
		return api_write(a, conn, st, &s, url, req);
	return reply_error(conn, 404, "no such API route");
}

/* ------------------------------------------------------------ pages */

/* The bearer token in [admin] metrics_token_file, read at each scrape (so
 * that rewriting the file changes it), without surrounding blanks; 0 with
 * the token in out, -1 when there is none or it cannot be read. */
static int metrics_token(const struct config *cfg, char *out, size_t outlen)
{
	FILE *f;
	size_t n, start = 0;

	if (!cfg->metrics_token_file[0] || !(f = fopen(cfg->metrics_token_file, "re")))
		return -1;
	n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n && strchr(" \t\r\n", out[n - 1]))
		out[--n] = '\0';
	while (out[start] && strchr(" \t\r\n", out[start]))
		start++;
	memmove(out, out + start, n - start + 1);
	return out[0] ? 0 : -1;
}

/* Who may read /metrics, which tells the load, the failures by reason, the
 * sessions: an address in [admin] metrics_allow (loopback by default), or
 * a request with "Authorization: Bearer <token>" (RFC 6750 §2.1) naming
 * the token in [admin] metrics_token_file. 1 allowed; *token_set tells
 * whether a token could have been given. */
static int metrics_allowed(struct admin_server *a, struct MHD_Connection *conn, int *token_set)
{
	const struct sockaddr *sa = client_of(conn);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	char token[256];
	int ok = 0;

	*token_set = 0;
	if (sa && cidr_match_any(a->cfg->metrics_allow, a->cfg->n_metrics_allow, sa))
		return 1;
	if (metrics_token(a->cfg, token, sizeof(token)) < 0)
		return 0;
	*token_set = 1;
	if (auth && !strncasecmp(auth, "Bearer ", 7)) {
		const char *t = auth + 7;

		while (*t == ' ')
			t++;
		ok = strlen(t) == strlen(token) && CRYPTO_memcmp(t, token, strlen(token)) == 0;
	}
	OPENSSL_cleanse(token, sizeof(token));
	return ok;
}

static enum MHD_Result metrics_refuse(struct MHD_Connection *conn, int token_set)
{
	static const char need_token[] =
		"metrics: send Authorization: Bearer with the token of [admin] metrics_token_file\n";
	static const char not_listed[] = "metrics: this address is not in [admin] metrics_allow\n";

	/* RFC 6750 §3: a 401 names the scheme */
	if (token_set)
		return reply_with(conn, 401, "text/plain; charset=utf-8", need_token,
				  sizeof(need_token) - 1, "WWW-Authenticate", "Bearer realm=\"portcullis metrics\"");
	return reply(conn, 403, "text/plain; charset=utf-8", not_listed, sizeof(not_listed) - 1, NULL);
}

/* The process counters, and the active intercept sessions, which live in
 * the database (the CLI and the portal change them too). */
static enum MHD_Result serve_metrics(struct admin_server *a, struct MHD_Connection *conn)
{
	struct store *st = gate_store(a->gate);
	char buf[16384];
	json_int_t sessions;
	int n = metrics_format(buf, sizeof(buf)), m = 0;

	if (n < 0)
		return reply(conn, 500, "text/plain", "metrics too large\n", 18, NULL);
	if (st && sessions_active(st, &sessions) == 0)
		m = snprintf(buf + n, sizeof(buf) - (size_t)n,
			     "# HELP portcullis_sessions_active Intercept-mode sessions not expired.\n"
			     "# TYPE portcullis_sessions_active gauge\n"
			     "portcullis_sessions_active %lld\n", (long long)sessions);
	if (m < 0 || (size_t)m >= sizeof(buf) - (size_t)n)
		m = 0;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", buf, (size_t)(n + m), NULL);
}

static const struct {
	const char *ext, *type;
} static_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/* A request path that names a file under web_root: letters, digits and
 * "._-/" only, no empty segment and no segment starting with a dot (so no
 * "..", no hidden files). */
static int static_path_ok(const char *url)
{
	if (url[0] != '/' || strlen(url) > 200)
		return 0;
	for (const char *p = url; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("._-/", *p))
			return 0;
		if (p[0] == '/' && (p[1] == '/' || p[1] == '.'))
			return 0;
	}
	return 1;
}

/* GET of the panel's own files from [admin] web_root: "/" is index.html.
 * Only known types are served, each with its Content-Type and nosniff. */
static enum MHD_Result serve_static(struct admin_server *a, struct MHD_Connection *conn,
				    const char *url)
{
	const char *type = NULL, *dot;
	char path[CONFIG_PATH_MAX + 256];
	struct MHD_Response *r;
	struct stat sb;
	enum MHD_Result rc;
	int fd;

	if (!strcmp(url, "/"))
		url = "/index.html";
	if (!static_path_ok(url))
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	dot = strrchr(url, '.');
	for (size_t i = 0; dot && i < sizeof(static_types) / sizeof(static_types[0]); i++)
		if (!strcmp(dot, static_types[i].ext))
			type = static_types[i].type;
	if (!type || (size_t)snprintf(path, sizeof(path), "%s%s", a->cfg->web_root, url) >= sizeof(path))
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);   /* takes the fd */
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	/* revalidated on every load, so an upgrade never mixes old and new */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	web_headers_add(r, WEB_HEADERS_PANEL);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* ------------------------------------------------------------ dispatch */


static enum MHD_Result admin_request_cb(void *cls, struct MHD_Connection *conn, const char *url,
					const char *method, const char *version,
					const char *upload_data, size_t *upload_data_size,
					void **req_cls)
{
	struct admin_server *a = cls;
	struct upload *req = *req_cls;

	(void)version;
	if (!req) {
		/* first call: headers only; refuse what we never serve before
		 * reading any body, and before anything else a request for
		 * another name (DNS rebinding) */
		switch (web_request_host(conn, a->cfg->admin_hostnames)) {
		case ADMIN_INPUT_HOST_OURS:
			break;
		case ADMIN_INPUT_HOST_OTHER:
			/* RFC 9110 §15.5.20 */
			return reply_error(conn, 421, "this panel does not answer for that host name "
					   "([admin] hostnames)");
		case ADMIN_INPUT_HOST_INVALID:
			/* RFC 9112 §3.2: none, more than one, or not host[:port] */
			return reply_error(conn, 400, "expected one Host header naming this panel");
		}
		if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST") &&
		    strcmp(method, "DELETE"))
			return reply_method_not_allowed(conn, "GET, HEAD, POST");
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (upload_append(req, upload_data, *upload_data_size, ADMIN_BODY_MAX) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* the request is whole: its deadline no longer runs while it is answered */
	connguard_request_received(a->guard, conn);
	if (req->too_large)
		return reply_error(conn, 413, "request body too large");
	if (!strcmp(url, "/metrics") && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
		int token_set;

		if (!metrics_allowed(a, conn, &token_set))
			return metrics_refuse(conn, token_set);
		return serve_metrics(a, conn);
	}
	if (!strcmp(url, "/metrics"))
		return reply_method_not_allowed(conn, "GET, HEAD");
	if (!strncmp(url, "/api/", 5))
		return api(a, conn, url, method, req);
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return serve_static(a, conn, url);
	return reply_method_not_allowed(conn, "GET, HEAD");
}

static void admin_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct admin_server *a = cls;
	struct upload *req = *req_cls;

	(void)toe;
	/* a kept-alive connection's next request has its own deadline */
	connguard_request_done(a->guard, conn);
	if (!req)
		return;
	upload_free(req);
	*req_cls = NULL;
}

/* The names a generated certificate is valid for: localhost, the listen
 * address unless it is a wildcard, and this host's name. */
static void tls_alt_names(const struct config *cfg, char *out, size_t len)
{
	char addr[64] = "", host[256] = "";
	int n = snprintf(out, len, "DNS:localhost,IP:127.0.0.1,IP:::1");

	cidr_addr_text((const struct sockaddr *)&cfg->admin_listen.sa, addr, sizeof(addr));
	if (addr[0] && strcmp(addr, "0.0.0.0") && strcmp(addr, "::") && strcmp(addr, "127.0.0.1") &&
	    strcmp(addr, "::1") && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ",IP:%s", addr);
	/* a host name is only usable as a DNS name if it is one */
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0] && strcmp(host, "localhost") &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		    strlen(host) && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ",DNS:%s", host);
}

/* Read a certificate and key pair in PEM; fp gets the certificate's
 * fingerprint. The caller frees *cert_pem and *key_pem (also on failure). */
static int tls_read(const char *cert, const char *key, char **cert_pem, char **key_pem, char *fp,
		    size_t fplen, char *err, size_t errlen)
{
	if (tlscert_read_pem(cert, cert_pem, err, errlen) < 0 ||
	    tlscert_read_pem(key, key_pem, err, errlen) < 0)
		return -1;
	if (tlscert_fingerprint(*cert_pem, fp, fplen) < 0) {
		snprintf(err, errlen, "%s: not a PEM certificate", cert);
		return -1;
	}
	return 0;
}

/* Read (and on first start generate) the certificate and key. */
static int tls_setup(struct admin_server *a, const struct config *cfg, char *err, size_t errlen)
{
	char cert[CONFIG_PATH_MAX + 32], key[CONFIG_PATH_MAX + 32], names[512], fp[128];
	int generated = 0;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "admin.tls: this libmicrohttpd has no TLS support");
		return -1;
	}
	if (cfg->admin_tls_cert[0]) {
		snprintf(cert, sizeof(cert), "%s", cfg->admin_tls_cert);
		snprintf(key, sizeof(key), "%s", cfg->admin_tls_key);
	} else {
		if (tlscert_default_paths(cfg->db_path, cert, sizeof(cert), key, sizeof(key)) < 0) {
			snprintf(err, errlen, "admin.tls: the database path is too long");
			return -1;
		}
		tls_alt_names(cfg, names, sizeof(names));
		generated = tlscert_ensure(cert, key, names, err, errlen);
		if (generated < 0)
			return -1;
	}
	if (tls_read(cert, key, &a->tls_cert, &a->tls_key, fp, sizeof(fp), err, errlen) < 0)
		return -1;
	if (generated)
		log_notice("admin: generated a self-signed certificate %s (key %s)", cert, key);
	log_notice("admin: TLS certificate %s, SHA-256 fingerprint %s", cert, fp);
	return 0;
}

static void tls_free(struct admin_server *a)
{
	if (a->tls_key) {
		OPENSSL_cleanse(a->tls_key, strlen(a->tls_key));
		free(a->tls_key);
	}
	free(a->tls_cert);
	a->tls_key = a->tls_cert = NULL;
}

int admin_check(const struct config *cfg, char *err, size_t errlen)
{
	char *cert_pem = NULL, *key_pem = NULL, fp[128];
	int rc;

	/* a pair that is generated on first start is not there to read yet */
	if (!cfg->admin_enabled || !cfg->admin_tls || !cfg->admin_tls_cert[0])
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "admin.tls: this libmicrohttpd has no TLS support");
		return -1;
	}
	rc = tls_read(cfg->admin_tls_cert, cfg->admin_tls_key, &cert_pem, &key_pem, fp, sizeof(fp),
		      err, errlen);
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(cert_pem);
	return rc;
}

struct admin_server *admin_server_new(const struct config *cfg, struct gate *gate, char *err,
				      size_t errlen)
{
	struct admin_server *a = calloc(1, sizeof(*a));
	struct MHD_OptionItem tls_opts[3] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (cfg->admin_listen.sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0);

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->gate = gate;
	pthread_mutex_init(&a->lock, NULL);
	a->guard = connguard_new("admin", ADMIN_PER_ADDRESS, ADMIN_REQUEST_DEADLINE_S, err, errlen);
	if (!a->guard) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;
	}
	if (cfg->admin_tls) {
		if (tls_setup(a, cfg, err, errlen) < 0) {
			tls_free(a);
			connguard_free(a->guard);
			pthread_mutex_destroy(&a->lock);
			free(a);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key };
		tls_opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert };
		tls_opts[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	/* two threads: a login's scrypt must not stall every other admin
	 * request. The connection timeout is an idle one: a client that
	 * trickles bytes never meets it, the guard's deadline it does. */
	a->mhd = MHD_start_daemon(flags, 0, connguard_accept_cb, a->guard, admin_request_cb, a,
				  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->admin_listen.sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_CONNECTION, connguard_notify_cb, a->guard,
				  MHD_OPTION_NOTIFY_COMPLETED, admin_completed_cb, a,
				  MHD_OPTION_ARRAY, tls_opts,
				  MHD_OPTION_END);
	if (a->mhd) {
		char index[CONFIG_PATH_MAX + 16];

		snprintf(index, sizeof(index), "%s/index.html", cfg->web_root);
		if (access(index, R_OK) < 0)
			log_warn("admin: no panel pages in %s ([admin] web_root); the API and "
				 "/metrics still work", cfg->web_root);
	}
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s (admin)", cfg->admin_listen.text);
		tls_free(a);
		connguard_free(a->guard);
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
	connguard_free(a->guard);     /* after the listener: its connections are gone */
	OPENSSL_cleanse(a->sessions, sizeof(a->sessions));
	tls_free(a);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
