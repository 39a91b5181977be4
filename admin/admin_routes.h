/*
 * admin_routes — the admin listener's route table and the rules that read
 * it, with no I/O, so that they are unit-tested without a listener.
 *
 * One line per route: method, path (exact, or a prefix that covers every
 * path under it), the role an account needs, and the handler. A request's
 * path picks the most specific route path that matches it (an exact path
 * before any prefix, a longer prefix before a shorter one); among the
 * routes of that path the method picks one. "GET" serves HEAD too
 * (RFC 9110 §9.3.2) and "*" any method. So an unknown path or a method the
 * path does not serve is known from the request line alone, before a body
 * is read or a session looked at: 404, or 405 with the path's methods in
 * Allow (RFC 9110 §15.5.6).
 *
 * The role is checked against the logged-in account's role after the
 * session and the CSRF token (admin_route_check). An account is an admin
 * (everything), a front desk (the routes marked FRONTDESK: vouchers and
 * guests) or an auditor (every GET and HEAD, and the ANY routes: it reads
 * everything and changes nothing).
 */
#ifndef PORTCULLIS_ADMIN_ROUTES_H
#define PORTCULLIS_ADMIN_ROUTES_H

#include <stddef.h>

struct admin_call;

/* What a route asks of the caller, and what an account is. ADMIN_ROLE_NONE
 * is what a zeroed field reads as: no route may need it and no account
 * with it may do anything. */
enum admin_role {
	ADMIN_ROLE_NONE = 0,
	ADMIN_ROLE_PUBLIC,        /* route only: no login (the login itself, pages, /metrics) */
	ADMIN_ROLE_ANY,           /* route only: any logged-in account (who am I, logout) */
	ADMIN_ROLE_ADMIN,         /* everything; a route: admins only (auditors read it) */
	ADMIN_ROLE_FRONTDESK,     /* a route: admins and front desks (auditors read it);
				   * an account: those routes, and of the guests only
				   * (store_user_is_guest) */
	ADMIN_ROLE_AUDITOR,       /* account only: reads (GET, HEAD) every route, changes nothing */
};

enum admin_path_match {
	ADMIN_PATH_EXACT,
	ADMIN_PATH_PREFIX,        /* path is a prefix of the request's */
};

/* Answers the request; the session, the CSRF token and the role have been
 * checked when it runs. Returns what MHD_queue_response returned (an
 * enum MHD_Result, kept as int so this header needs no libmicrohttpd). */
typedef int (*admin_handler_fn)(struct admin_call *c);

struct admin_route {
	const char *method;       /* "GET" (and HEAD), "POST", ... or "*" */
	const char *path;
	enum admin_path_match match;
	enum admin_role role;     /* needed; ADMIN_ROLE_PUBLIC for no login */
	admin_handler_fn handler;
};

/* The listener's table (admin_routes.c). */
extern const struct admin_route admin_routes[];
extern const size_t admin_routes_count;

enum admin_route_miss {
	ADMIN_ROUTE_NO_PATH = 1,  /* 404 */
	ADMIN_ROUTE_NO_METHOD,    /* 405; allow lists the path's methods */
};

/* The route of table[0..n) for method and path (borrowed), or NULL with
 * *miss set; allow gets the methods of the matched path ("GET, HEAD,
 * POST"), cut to allowlen. */
const struct admin_route *admin_route_find(const struct admin_route *table, size_t n,
					   const char *method, const char *path,
					   enum admin_route_miss *miss, char *allow, size_t allowlen);

enum admin_route_verdict {
	ADMIN_ROUTE_RUN,             /* the handler may answer */
	ADMIN_ROUTE_LOGIN_REQUIRED,  /* 401 */
	ADMIN_ROUTE_CSRF_REFUSED,    /* 403: a change without the session's token */
	ADMIN_ROUTE_ROLE_REFUSED,    /* 403: the account's role does not allow it */
};

/* What the dispatcher does with a request for route r (not NULL) by method:
 * a PUBLIC route runs; any other needs a session (logged_in: found, and its
 * account unchanged since login), then on anything but GET and HEAD the
 * session's CSRF token (csrf_ok), then an account role (role) the route
 * permits. */
enum admin_route_verdict admin_route_check(const struct admin_route *r, const char *method,
					   int logged_in, enum admin_role role, int csrf_ok);

/* Whether an account of role have may use a route needing need by method
 * ("GET", "POST", ...; borrowed). PUBLIC needs no account; ANY lets every
 * account in; an admin may use everything; a front desk the FRONTDESK
 * routes; an auditor any route by GET or HEAD. */
int admin_role_permits(enum admin_role have, enum admin_role need, const char *method);

/* 1 when an account of role sees and acts on guests only (a front desk):
 * the sessions, the kicks and the audit rows of store_user_is_guest names. */
int admin_role_guests_only(enum admin_role role);

/* An account role's name ("admin", "frontdesk", "auditor"; "" for no
 * account role), and back: ADMIN_ROLE_NONE for anything else. */
const char *admin_role_name(enum admin_role role);
enum admin_role admin_role_parse(const char *name);

#endif
