/*
 * admin_api — private to the admin listener (admin*.c): the server's
 * state, what a handler is given, the answers every handler shares, and
 * the handlers the route table (admin_routes.c) names.
 */
#ifndef PORTCULLIS_ADMIN_API_H
#define PORTCULLIS_ADMIN_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "admin_routes.h"
#include "admin_session.h"
#include "store.h"

struct config;
struct gate;
struct sockaddr;
struct connguard;
struct upload;

struct admin_server {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct gate *gate;                /* verdicts on admin logins */
	struct admin_sessions *sessions;
	char *tls_cert, *tls_key;         /* PEM, when [admin] tls is on */
	struct connguard *guard;          /* per-address limits, request deadlines */
	pthread_mutex_t stores_lock;      /* guards stores */
	struct store *stores[8];          /* one per listener thread (admin_store) */
	size_t n_stores;
};

/* One request, as a handler sees it. Everything is borrowed for the
 * handler's call. */
struct admin_call {
	struct admin_server *a;
	struct MHD_Connection *conn;
	const char *url;
	const char *method;
	const struct upload *body;        /* the whole request body */
	struct store *st;                 /* this thread's; NULL: the database cannot be opened */
	const struct admin_session *session;   /* NULL on PUBLIC routes */
};

/* This listener thread's own database connection (opened on first use,
 * closed by admin_server_free); NULL when the database cannot be opened. */
struct store *admin_store(struct admin_server *a);

/* ---- answers (admin_api.c); each returns what MHD_queue_response did */

/* One extra header (a cookie, a Retry-After) may be added; NULL for none.
 * Every answer carries Cache-Control: no-store and the panel's security
 * headers. */
enum MHD_Result admin_reply_with(struct MHD_Connection *conn, unsigned status, const char *type,
				 const char *body, size_t len, const char *header,
				 const char *value);
enum MHD_Result admin_reply(struct MHD_Connection *conn, unsigned status, const char *type,
			    const char *body, size_t len, const char *cookie);
/* Takes ownership of j (NULL: 500). */
enum MHD_Result admin_reply_json(struct MHD_Connection *conn, unsigned status, json_t *j,
				 const char *cookie);
/* {"error": msg} */
enum MHD_Result admin_reply_error(struct MHD_Connection *conn, unsigned status, const char *msg);
/* 405 with Allow (RFC 9110 §15.5.6). */
enum MHD_Result admin_reply_method_not_allowed(struct MHD_Connection *conn, const char *allow);
/* 400 naming a body field (cut at 64 bytes on a character boundary). */
enum MHD_Result admin_bad_field(struct MHD_Connection *conn, const char *field, const char *what);
/* 400 naming a query parameter. */
enum MHD_Result admin_bad_param(struct MHD_Connection *conn, const char *name, const char *what);
/* 503: the database cannot be opened. */
enum MHD_Result admin_reply_unavailable(struct MHD_Connection *conn);
/* {"ok": true} */
enum MHD_Result admin_done_ok(struct MHD_Connection *conn, unsigned status);

/* The client's address, NULL when libmicrohttpd cannot say. */
const struct sockaddr *admin_client(struct MHD_Connection *conn);

/* The request body as a JSON object into *body (the caller decrefs), or
 * 0 with *answer the 400 that refused it. */
int admin_body_object(struct admin_call *c, json_t **body, enum MHD_Result *answer);

/* Record an admin action (who, what, on what) with the client's address. */
void admin_record(struct admin_call *c, const char *admin, const char *action,
		  const char *target, const char *detail);

/* ---- query parameters (admin_api.c) */

/* A name the panel got from rowjson and sends back (a filter, a paging
 * cursor, the user an action is on): the stored bytes it stands for, into
 * dst. -1 when it cannot be one (too long, a NUL byte). */
int admin_arg_name(const char *v, char *dst, size_t len);
/* An integer parameter in [min, max]; *out keeps its value when absent or
 * empty. -1 when malformed. */
int admin_arg_int(struct MHD_Connection *conn, const char *name, int64_t min, int64_t max,
		  int64_t *out);
/* A parameter's value, NULL when absent or empty. */
const char *admin_arg_str(struct MHD_Connection *conn, const char *name);

/* Active intercept sessions (not expired) in the store; 0 or -1. */
int admin_sessions_active(struct store *st, json_int_t *out);

/* ---- handlers: the routes of admin_routes.c */

int admin_api_login(struct admin_call *c);        /* admin_api.c */
int admin_api_logout(struct admin_call *c);
int admin_api_me(struct admin_call *c);
int admin_api_no_route(struct admin_call *c);
int admin_api_users(struct admin_call *c);        /* admin_api_users.c */
int admin_api_user_create(struct admin_call *c);
int admin_api_user_update(struct admin_call *c);
int admin_api_user_delete(struct admin_call *c);
int admin_api_user_explain(struct admin_call *c);
int admin_api_stats(struct admin_call *c);        /* admin_api_lists.c */
int admin_api_audit(struct admin_call *c);
int admin_api_audit_csv(struct admin_call *c);
int admin_api_whitelist(struct admin_call *c);
int admin_api_whitelist_add(struct admin_call *c);
int admin_api_whitelist_delete(struct admin_call *c);
int admin_api_sessions(struct admin_call *c);
int admin_api_session_kick(struct admin_call *c);
int admin_api_actions(struct admin_call *c);
/* admin_api_groups.c: the groups with their members, and the policies */
int admin_api_groups(struct admin_call *c);
int admin_api_policy_set(struct admin_call *c);
int admin_api_policy_delete(struct admin_call *c);
/* admin_api_vouchers.c: guest voucher rolls */
int admin_api_vouchers(struct admin_call *c);
int admin_api_voucher_create(struct admin_call *c);
int admin_api_voucher_revoke(struct admin_call *c);
int admin_api_terms(struct admin_call *c);        /* admin_api_terms.c */
int admin_api_terms_set(struct admin_call *c);
int admin_api_terms_acceptances(struct admin_call *c);
/* admin_api_look.c: the portal's title, colours and logo */
int admin_api_look(struct admin_call *c);
int admin_api_look_set(struct admin_call *c);
int admin_api_look_logo(struct admin_call *c);
int admin_api_look_logo_delete(struct admin_call *c);
int admin_page_metrics(struct admin_call *c);     /* admin_pages.c */
int admin_page_static(struct admin_call *c);

#endif
