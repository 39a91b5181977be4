#include "admin_routes.h"

#include <stdio.h>
#include <string.h>

#include "admin_api.h"

/* The whole admin listener, one route a line. A route's role is chosen,
 * never defaulted: tests/unit/test_admin_routes.c lists what every role
 * gets from every route, and a route missing there fails it. */
const struct admin_route admin_routes[] = {
	{ "POST", "/api/login",            ADMIN_PATH_EXACT,  ADMIN_ROLE_PUBLIC, admin_api_login },
	{ "POST", "/api/logout",           ADMIN_PATH_EXACT,  ADMIN_ROLE_ANY,    admin_api_logout },
	{ "GET",  "/api/me",               ADMIN_PATH_EXACT,  ADMIN_ROLE_ANY,    admin_api_me },
	{ "GET",  "/api/stats",            ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_stats },
	{ "GET",  "/api/users",            ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_users },
	{ "POST", "/api/users",            ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_user_create },
	{ "POST", "/api/users/update",     ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_user_update },
	{ "POST", "/api/users/delete",     ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_user_delete },
	{ "GET",  "/api/users/explain",    ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_user_explain },
	{ "GET",  "/api/audit",            ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_audit },
	{ "GET",  "/api/audit.csv",        ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_audit_csv },
	{ "GET",  "/api/whitelist",        ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_whitelist },
	{ "POST", "/api/whitelist",        ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_whitelist_add },
	{ "POST", "/api/whitelist/delete", ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_whitelist_delete },
	{ "GET",  "/api/sessions",         ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_sessions },
	{ "POST", "/api/sessions/kick",    ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_session_kick },
	{ "GET",  "/api/actions",          ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_actions },
	{ "GET",  "/api/groups",           ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_groups },
	{ "POST", "/api/policies",         ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_policy_set },
	{ "POST", "/api/policies/delete",  ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_policy_delete },
	{ "GET",  "/api/vouchers",         ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_vouchers },
	{ "POST", "/api/vouchers",         ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_voucher_create },
	{ "POST", "/api/vouchers/revoke",  ADMIN_PATH_EXACT,  ADMIN_ROLE_FRONTDESK, admin_api_voucher_revoke },
	/* the portal's click-through terms; a front desk reads the guests' acceptances */
	{ "GET",  "/api/terms",            ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_terms },
	{ "POST", "/api/terms",            ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_terms_set },
	{ "GET",  "/api/terms/acceptances", ADMIN_PATH_EXACT, ADMIN_ROLE_FRONTDESK, admin_api_terms_acceptances },
	/* the portal's look: title, colours, logo (the image as the body) */
	{ "GET",  "/api/portal",           ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_look },
	{ "POST", "/api/portal",           ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_look_set },
	{ "POST", "/api/portal/logo",      ADMIN_PATH_EXACT,  ADMIN_ROLE_ADMIN,  admin_api_look_logo },
	{ "POST", "/api/portal/logo/delete", ADMIN_PATH_EXACT, ADMIN_ROLE_ADMIN, admin_api_look_logo_delete },
	/* any other API path is unknown, whatever the method: never a page */
	{ "*",    "/api/",                 ADMIN_PATH_PREFIX, ADMIN_ROLE_PUBLIC, admin_api_no_route },
	/* /metrics decides itself who may read it (admin_pages.c) */
	{ "GET",  "/metrics",              ADMIN_PATH_EXACT,  ADMIN_ROLE_PUBLIC, admin_page_metrics },
	{ "GET",  "/",                     ADMIN_PATH_PREFIX, ADMIN_ROLE_PUBLIC, admin_page_static },
};

const size_t admin_routes_count = sizeof(admin_routes) / sizeof(admin_routes[0]);

/* How specific route r is for path: 0 no match, else bigger is more. */
static size_t path_score(const struct admin_route *r, const char *path)
{
	size_t len = strlen(r->path);

	if (r->match == ADMIN_PATH_EXACT)
		return !strcmp(r->path, path) ? (size_t)-1 : 0;
	return !strncmp(r->path, path, len) ? len : 0;
}

static int method_serves(const char *route_method, const char *method)
{
	return !strcmp(route_method, "*") || !strcmp(route_method, method) ||
	       (!strcmp(route_method, "GET") && !strcmp(method, "HEAD"));
}

static void allow_add(char *allow, size_t allowlen, const char *method)
{
	size_t off = strlen(allow);

	if (off < allowlen)
		snprintf(allow + off, allowlen - off, "%s%s", off ? ", " : "", method);
}

const struct admin_route *admin_route_find(const struct admin_route *table, size_t n,
					   const char *method, const char *path,
					   enum admin_route_miss *miss, char *allow, size_t allowlen)
{
	const struct admin_route *best = NULL;
	size_t best_score = 0;

	if (allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t score = path_score(&table[i], path);

		if (score > best_score) {
			best = &table[i];
			best_score = score;
		}
	}
	if (!best) {
		*miss = ADMIN_ROUTE_NO_PATH;
		return NULL;
	}
	/* the routes of the same path: the method picks, else they make Allow */
	for (size_t i = 0; i < n; i++) {
		const struct admin_route *r = &table[i];

		if (r->match != best->match || strcmp(r->path, best->path))
			continue;
		if (method_serves(r->method, method))
			return r;
		allow_add(allow, allowlen, r->method);
		if (!strcmp(r->method, "GET"))
			allow_add(allow, allowlen, "HEAD");
	}
	*miss = ADMIN_ROUTE_NO_METHOD;
	return NULL;
}

static int is_read(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

int admin_role_permits(enum admin_role have, enum admin_role need, const char *method)
{
	if (need == ADMIN_ROLE_PUBLIC)
		return 1;
	/* the route-only values are no account's role */
	if (have != ADMIN_ROLE_ADMIN && have != ADMIN_ROLE_FRONTDESK && have != ADMIN_ROLE_AUDITOR)
		return 0;
	if (need == ADMIN_ROLE_ANY || have == ADMIN_ROLE_ADMIN)
		return 1;
	if (have == ADMIN_ROLE_AUDITOR)
		return (need == ADMIN_ROLE_ADMIN || need == ADMIN_ROLE_FRONTDESK) && is_read(method);
	return need == ADMIN_ROLE_FRONTDESK;
}

int admin_role_guests_only(enum admin_role role)
{
	return role == ADMIN_ROLE_FRONTDESK;
}

static const struct {
	enum admin_role role;
	const char *name;
} role_names[] = {
	{ ADMIN_ROLE_ADMIN, "admin" },
	{ ADMIN_ROLE_FRONTDESK, "frontdesk" },
	{ ADMIN_ROLE_AUDITOR, "auditor" },
};

const char *admin_role_name(enum admin_role role)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role_names[i].role == role)
			return role_names[i].name;
	return "";
}

enum admin_role admin_role_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (!strcmp(role_names[i].name, name))
			return role_names[i].role;
	return ADMIN_ROLE_NONE;
}

enum admin_route_verdict admin_route_check(const struct admin_route *r, const char *method,
					   int logged_in, enum admin_role role, int csrf_ok)
{
	if (r->role == ADMIN_ROLE_PUBLIC)
		return ADMIN_ROUTE_RUN;
	if (!logged_in)
		return ADMIN_ROUTE_LOGIN_REQUIRED;
	/* a cross-site form can send the cookie, never the token */
	if (!is_read(method) && !csrf_ok)
		return ADMIN_ROUTE_CSRF_REFUSED;
	if (!admin_role_permits(role, r->role, method))
		return ADMIN_ROUTE_ROLE_REFUSED;
	return ADMIN_ROUTE_RUN;
}
