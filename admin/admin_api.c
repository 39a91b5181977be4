/*
 * The answers every admin handler shares, the query parameters, and the
 * routes of logging in and out.
 */
#include "admin_api.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin_input.h"
#include "cidr.h"
#include "config.h"
#include "gate.h"
#include "log.h"
#include "rowjson.h"
#include "upload.h"
#include "web_headers.h"

/* ------------------------------------------------------------ responses */

enum MHD_Result admin_reply_with(struct MHD_Connection *conn, unsigned status, const char *type,
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

enum MHD_Result admin_reply(struct MHD_Connection *conn, unsigned status, const char *type,
			    const char *body, size_t len, const char *cookie)
{
	return admin_reply_with(conn, status, type, body, len, "Set-Cookie", cookie);
}

enum MHD_Result admin_reply_json(struct MHD_Connection *conn, unsigned status, json_t *j,
				 const char *cookie)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	enum MHD_Result rc;

	json_decref(j);
	if (!text)
		return admin_reply(conn, 500, "text/plain", "out of memory\n", 14, NULL);
	rc = admin_reply(conn, status, "application/json", text, strlen(text), cookie);
	free(text);
	return rc;
}

enum MHD_Result admin_reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return admin_reply_json(conn, status, json_pack("{s:s}", "error", msg), NULL);
}

enum MHD_Result admin_reply_method_not_allowed(struct MHD_Connection *conn, const char *allow)
{
	static const char msg[] = "{\"error\":\"method not allowed\"}";

	return admin_reply_with(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json", msg,
				sizeof(msg) - 1, "Allow", allow);
}

enum MHD_Result admin_reply_unavailable(struct MHD_Connection *conn)
{
	return admin_reply_error(conn, 503, "the database is unavailable");
}

enum MHD_Result admin_done_ok(struct MHD_Connection *conn, unsigned status)
{
	return admin_reply_json(conn, status, json_pack("{s:b}", "ok", 1), NULL);
}

/* An unknown field is a key the client sent, any UTF-8 of any length: it
 * is cut at 64 bytes, on a character boundary (jansson refuses to encode
 * half a character). */
enum MHD_Result admin_bad_field(struct MHD_Connection *conn, const char *field, const char *what)
{
	size_t len = strlen(field), n = len;
	char msg[320];

	if (n > 64) {
		n = 64;
		while (n && ((unsigned char)field[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(msg, sizeof(msg), "field '%.*s%s': %s", (int)n, field, n < len ? "..." : "", what);
	return admin_reply_error(conn, 400, msg);
}

enum MHD_Result admin_bad_param(struct MHD_Connection *conn, const char *name, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "parameter '%s': %s", name, what);
	return admin_reply_error(conn, 400, msg);
}

const struct sockaddr *admin_client(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

int admin_body_object(struct admin_call *c, json_t **body, enum MHD_Result *answer)
{
	*body = admin_input_object(c->body->data, c->body->len);
	if (*body)
		return 1;
	*answer = admin_reply_error(c->conn, 400, "expected a JSON object");
	return 0;
}

void admin_record(struct admin_call *c, const char *admin, const char *action,
		  const char *target, const char *detail)
{
	char addr[46] = "";
	const struct sockaddr *sa = admin_client(c->conn);

	if (sa)
		cidr_addr_text(sa, addr, sizeof(addr));
	if (!c->st || store_admin_action_insert(c->st, (int64_t)time(NULL) * 1000, admin, action,
						target ? target : "", detail ? detail : "", addr) < 0)
		log_warn("admin: cannot record action %s by %s", action, admin);
}

/* ------------------------------------------------------------ parameters */

int admin_arg_name(const char *v, char *dst, size_t len)
{
	size_t n = rowjson_unescape(v, dst, len);

	return n == (size_t)-1 || n >= len ? -1 : 0;
}

int admin_arg_int(struct MHD_Connection *conn, const char *name, int64_t min, int64_t max,
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

const char *admin_arg_str(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

/* ------------------------------------------------------------ login */

/* 1 when the request says its body is JSON (parameters such as charset
 * allowed). */
static int json_content_type(struct MHD_Connection *conn)
{
	const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	size_t n = strlen("application/json");

	return t && !strncasecmp(t, "application/json", n) && (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

int admin_api_login(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	json_t *body = admin_input_object(c->body->data, c->body->len);
	struct admin_input_login in;
	struct admin_input_error err;
	struct store_admin adm;
	unsigned char digest[32];
	const char *user;
	struct admin_session s;
	const struct sockaddr *sa = admin_client(conn);
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	unsigned retry = 0;
	char cookie[256];
	enum gate_verdict v;
	enum MHD_Result rc;
	enum admin_role role = ADMIN_ROLE_NONE;

	/* A form on another site can POST text/plain that happens to be JSON,
	 * but cannot send application/json without a CORS preflight, which
	 * this listener never grants: no login CSRF. */
	if (!json_content_type(conn)) {
		json_decref(body);
		return admin_reply_error(conn, 415, "expected Content-Type: application/json");
	}
	if (!body)
		return admin_reply_error(conn, 400,
					 "expected a JSON object {\"username\": ..., \"password\": ...}");
	if (admin_input_login(body, &in, &err) < 0) {
		rc = admin_bad_field(conn, err.field, err.rule);
		json_decref(body);
		return rc;
	}
	if (!sa) {
		json_decref(body);
		return admin_reply_error(conn, 500, "cannot tell the client's address");
	}
	user = in.username;
	/* the hash is read before the check: a password changed meanwhile
	 * then ends the new session at its first use, never the reverse (a
	 * session opened with the old password that outlives the change) */
	memset(digest, 0, sizeof(digest));
	if (c->st && store_admin_get(c->st, user, &adm) == 0) {
		role = admin_role_parse(adm.role);
		admin_session_digest(adm.phc, digest);
		OPENSSL_cleanse(adm.phc, sizeof(adm.phc));
	}
	v = gate_check_admin(c->a->gate, sa, user, in.password, in.password_len, ua ? ua : "", &retry);
	if (v == GATE_LOCKED) {
		/* RFC 6585 §4: say when to come back */
		static const char msg[] = "{\"error\":\"too many failed logins; try again later\"}";
		char retry_after[16];

		json_decref(body);
		snprintf(retry_after, sizeof(retry_after), "%u", retry ? retry : 1);
		return admin_reply_with(conn, 429, "application/json", msg, sizeof(msg) - 1,
					"Retry-After", retry_after);
	}
	if (v == GATE_UNAVAILABLE) {
		json_decref(body);
		return admin_reply_unavailable(conn);
	}
	if (v != GATE_PASS) {
		/* user points into body: record before letting it go */
		admin_record(c, user, "admin.login_failed", "", "");
		json_decref(body);
		return admin_reply_error(conn, 401, "wrong username or password");
	}
	/* the role read with the hash; each request reads it again */
	if (admin_session_new(c->a->sessions, user, role, digest, &s) < 0 ||
	    admin_session_cookie(&s, c->a->cfg->admin_tls, cookie, sizeof(cookie)) < 0) {
		json_decref(body);
		return admin_reply_error(conn, 500, "cannot create a session");
	}
	admin_record(c, user, "admin.login", "", "");
	rc = admin_reply_json(conn, 200, json_pack("{s:s, s:s, s:s}", "admin", s.admin, "csrf",
						   s.csrf, "role", admin_role_name(s.role)),
			      cookie);
	json_decref(body);
	return rc;
}

int admin_api_logout(struct admin_call *c)
{
	admin_session_end(c->a->sessions, c->session->token);
	admin_record(c, c->session->admin, "admin.logout", "", "");
	return admin_reply_json(c->conn, 200, json_pack("{s:b}", "ok", 1), ADMIN_SESSION_COOKIE_CLEAR);
}

int admin_api_me(struct admin_call *c)
{
	return admin_reply_json(c->conn, 200, json_pack("{s:s, s:s, s:s}", "admin",
							c->session->admin, "csrf", c->session->csrf,
							"role", admin_role_name(c->session->role)),
				NULL);
}

int admin_api_no_route(struct admin_call *c)
{
	return admin_reply_error(c->conn, 404, "no such API route");
}
