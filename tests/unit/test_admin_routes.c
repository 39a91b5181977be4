/* admin_routes: the admin listener's route table and the checks the
 * dispatcher makes before a handler runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admin_api.h"
#include "admin_routes.h"

static const struct admin_route *find(const char *method, const char *path,
				      enum admin_route_miss *miss, char *allow, size_t allowlen)
{
	return admin_route_find(admin_routes, admin_routes_count, method, path, miss, allow,
				allowlen);
}

static admin_handler_fn handler_of(const char *method, const char *path)
{
	enum admin_route_miss miss;
	char allow[64];
	const struct admin_route *r = find(method, path, &miss, allow, sizeof(allow));

	assert_non_null(r);
	return r->handler;
}

/* a zeroed role field (a route someone forgot to give one) is caught here */
static void test_every_route_has_a_role_and_a_handler(void **state)
{
	(void)state;
	assert_true(admin_routes_count > 0);
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];

		assert_non_null(r->method);
		assert_non_null(r->path);
		assert_int_equal(r->path[0], '/');
		assert_non_null(r->handler);
		assert_int_not_equal(r->role, ADMIN_ROLE_NONE);
	}
}

static int methods_overlap(const char *a, const char *b)
{
	return !strcmp(a, b) || !strcmp(a, "*") || !strcmp(b, "*");
}

/* two routes of one path and one method would leave one of them dead */
static void test_no_two_routes_collide(void **state)
{
	(void)state;
	for (size_t i = 0; i < admin_routes_count; i++)
		for (size_t j = i + 1; j < admin_routes_count; j++) {
			const struct admin_route *a = &admin_routes[i], *b = &admin_routes[j];

			if (a->match == b->match && !strcmp(a->path, b->path) &&
			    methods_overlap(a->method, b->method))
				fail_msg("%s %s collides with %s %s", a->method, a->path, b->method,
					 b->path);
		}
}

/* every route reaches its handler by its own method and path */
static void test_each_route_is_found(void **state)
{
	(void)state;
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];
		enum admin_route_miss miss;
		char allow[64];
		const char *method = strcmp(r->method, "*") ? r->method : "PATCH";

		if (r->match == ADMIN_PATH_EXACT)
			assert_ptr_equal(find(method, r->path, &miss, allow, sizeof(allow)), r);
	}
}

/* nothing that changes state runs without a login, but the login itself */
static void test_changes_need_a_login(void **state)
{
	(void)state;
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];

		if (r->role != ADMIN_ROLE_PUBLIC || !strcmp(r->method, "GET"))
			continue;
		if (!strcmp(r->path, "/api/login"))
			continue;
		/* the API's catch-all only answers 404 */
		assert_string_equal(r->path, "/api/");
		assert_ptr_equal(r->handler, admin_api_no_route);
	}
}

static void test_dispatch(void **state)
{
	enum admin_route_miss miss = 0;
	char allow[64];

	(void)state;
	assert_ptr_equal(handler_of("GET", "/api/users"), admin_api_users);
	assert_ptr_equal(handler_of("HEAD", "/api/users"), admin_api_users);
	assert_ptr_equal(handler_of("POST", "/api/users"), admin_api_user_create);
	assert_ptr_equal(handler_of("POST", "/api/users/delete"), admin_api_user_delete);
	assert_ptr_equal(handler_of("GET", "/metrics"), admin_page_metrics);
	assert_ptr_equal(handler_of("GET", "/"), admin_page_static);
	assert_ptr_equal(handler_of("GET", "/app.js"), admin_page_static);
	/* an unknown API path is the API's 404 whatever the method, never a page */
	assert_ptr_equal(handler_of("GET", "/api/nothere"), admin_api_no_route);
	assert_ptr_equal(handler_of("POST", "/api/users/updatex"), admin_api_no_route);
	assert_ptr_equal(handler_of("DELETE", "/api/users/x"), admin_api_no_route);

	/* a method the path does not serve: 405 naming those it does */
	assert_null(find("PUT", "/api/users", &miss, allow, sizeof(allow)));
	assert_int_equal(miss, ADMIN_ROUTE_NO_METHOD);
	assert_string_equal(allow, "GET, HEAD, POST");
	assert_null(find("POST", "/metrics", &miss, allow, sizeof(allow)));
	assert_int_equal(miss, ADMIN_ROUTE_NO_METHOD);
	assert_string_equal(allow, "GET, HEAD");
	assert_null(find("POST", "/index.html", &miss, allow, sizeof(allow)));
	assert_string_equal(allow, "GET, HEAD");
	assert_null(find("GET", "/api/login", &miss, allow, sizeof(allow)));
	assert_string_equal(allow, "POST");
	/* a cut Allow stays a string */
	assert_null(find("PUT", "/api/users", &miss, allow, 5));
	assert_true(strlen(allow) < 5);
}

static int fake_cb(struct admin_call *c)
{
	(void)c;
	return 0;
}

/* the most specific path wins, whatever the table's order */
static void test_most_specific_path(void **state)
{
	static const struct admin_route t[] = {
		{ "GET", "/", ADMIN_PATH_PREFIX, ADMIN_ROLE_PUBLIC, fake_cb },
		{ "GET", "/a/", ADMIN_PATH_PREFIX, ADMIN_ROLE_ADMIN, fake_cb },
		{ "POST", "/a/b", ADMIN_PATH_EXACT, ADMIN_ROLE_ADMIN, fake_cb },
	};
	enum admin_route_miss miss = 0;
	char allow[64];

	(void)state;
	assert_ptr_equal(admin_route_find(t, 3, "GET", "/x", &miss, allow, sizeof(allow)), &t[0]);
	assert_ptr_equal(admin_route_find(t, 3, "GET", "/a/c", &miss, allow, sizeof(allow)), &t[1]);
	assert_ptr_equal(admin_route_find(t, 3, "POST", "/a/b", &miss, allow, sizeof(allow)), &t[2]);
	/* /a/b is exact: GET there is not the prefix route's */
	assert_null(admin_route_find(t, 3, "GET", "/a/b", &miss, allow, sizeof(allow)));
	assert_string_equal(allow, "POST");
	/* no route for the path at all */
	assert_null(admin_route_find(t + 1, 2, "GET", "/x", &miss, allow, sizeof(allow)));
	assert_int_equal(miss, ADMIN_ROUTE_NO_PATH);
}

/* a route needing a role the account lacks is refused; an admin may do
 * everything; a route for any account lets in every account, none without */
static void test_roles(void **state)
{
	(void)state;
	assert_true(admin_role_permits(ADMIN_ROLE_ADMIN, ADMIN_ROLE_ADMIN, "POST"));
	assert_true(admin_role_permits(ADMIN_ROLE_ADMIN, ADMIN_ROLE_ANY, "GET"));
	assert_true(admin_role_permits(ADMIN_ROLE_NONE, ADMIN_ROLE_PUBLIC, "POST"));
	assert_false(admin_role_permits(ADMIN_ROLE_NONE, ADMIN_ROLE_ADMIN, "GET"));
	assert_false(admin_role_permits(ADMIN_ROLE_NONE, ADMIN_ROLE_ANY, "GET"));
	/* the route-only values are no account's role */
	assert_false(admin_role_permits(ADMIN_ROLE_PUBLIC, ADMIN_ROLE_ADMIN, "GET"));
	assert_false(admin_role_permits(ADMIN_ROLE_ANY, ADMIN_ROLE_ADMIN, "GET"));
	assert_false(admin_role_permits(ADMIN_ROLE_ANY, ADMIN_ROLE_ANY, "GET"));
	/* an auditor reads, a front desk has its own routes */
	assert_true(admin_role_permits(ADMIN_ROLE_AUDITOR, ADMIN_ROLE_ADMIN, "HEAD"));
	assert_false(admin_role_permits(ADMIN_ROLE_AUDITOR, ADMIN_ROLE_FRONTDESK, "POST"));
	assert_false(admin_role_permits(ADMIN_ROLE_AUDITOR, ADMIN_ROLE_ADMIN, "PATCH"));
	assert_true(admin_role_permits(ADMIN_ROLE_FRONTDESK, ADMIN_ROLE_FRONTDESK, "POST"));
	assert_false(admin_role_permits(ADMIN_ROLE_FRONTDESK, ADMIN_ROLE_ADMIN, "GET"));
	assert_true(admin_role_guests_only(ADMIN_ROLE_FRONTDESK));
	assert_false(admin_role_guests_only(ADMIN_ROLE_ADMIN));
	assert_false(admin_role_guests_only(ADMIN_ROLE_AUDITOR));
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];

		assert_true(admin_role_permits(ADMIN_ROLE_ADMIN, r->role, "GET"));
		if (r->role != ADMIN_ROLE_PUBLIC)
			assert_false(admin_role_permits(ADMIN_ROLE_NONE, r->role, "GET"));
	}
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(admin_role_name(ADMIN_ROLE_ADMIN), "admin");
	assert_string_equal(admin_role_name(ADMIN_ROLE_FRONTDESK), "frontdesk");
	assert_string_equal(admin_role_name(ADMIN_ROLE_AUDITOR), "auditor");
	assert_string_equal(admin_role_name(ADMIN_ROLE_ANY), "");
	assert_int_equal(admin_role_parse("admin"), ADMIN_ROLE_ADMIN);
	assert_int_equal(admin_role_parse("frontdesk"), ADMIN_ROLE_FRONTDESK);
	assert_int_equal(admin_role_parse("auditor"), ADMIN_ROLE_AUDITOR);
	assert_int_equal(admin_role_parse("Admin"), ADMIN_ROLE_NONE);
	assert_int_equal(admin_role_parse(""), ADMIN_ROLE_NONE);
	assert_int_equal(admin_role_parse(NULL), ADMIN_ROLE_NONE);
}

/*
 * What every account role gets from every route: the deliberate answer,
 * written here apart from the table. A route added to admin_routes.c
 * without a line here fails, and so does a line whose route is gone.
 * who: the roles that may use it, A admin, F frontdesk, U auditor ("AFU"
 * for all); a "*" route is tried by GET and by POST.
 */
static const struct {
	const char *method, *path, *who;
} expected_roles[] = {
	{ "POST", "/api/login",            "AFU" },
	{ "POST", "/api/logout",           "AFU" },
	{ "GET",  "/api/me",               "AFU" },
	{ "GET",  "/api/stats",            "A U" },
	{ "GET",  "/api/users",            "A U" },
	{ "POST", "/api/users",            "A  " },
	{ "POST", "/api/users/update",     "A  " },
	{ "POST", "/api/users/delete",     "A  " },
	{ "GET",  "/api/users/explain",    "A U" },
	/* a front desk's audit and sessions hold guests only (test_store,
	 * t_admin_roles_refused_outside_their_role) */
	{ "GET",  "/api/audit",            "AFU" },
	{ "GET",  "/api/audit.csv",        "AFU" },
	{ "GET",  "/api/whitelist",        "A U" },
	{ "POST", "/api/whitelist",        "A  " },
	{ "POST", "/api/whitelist/delete", "A  " },
	{ "GET",  "/api/sessions",         "AFU" },
	{ "POST", "/api/sessions/kick",    "AF " },
	{ "GET",  "/api/actions",          "A U" },
	{ "GET",  "/api/groups",           "A U" },
	{ "POST", "/api/policies",         "A  " },
	{ "POST", "/api/policies/delete",  "A  " },
	{ "GET",  "/api/vouchers",         "AFU" },
	{ "POST", "/api/vouchers",         "AF " },
	{ "POST", "/api/vouchers/revoke",  "AF " },
	{ "GET",  "/api/terms",            "A U" },
	{ "POST", "/api/terms",            "A  " },
	{ "GET",  "/api/terms/acceptances", "AFU" },
	{ "GET",  "/api/portal",           "A U" },
	{ "POST", "/api/portal",           "A  " },
	{ "POST", "/api/portal/logo",      "A  " },
	{ "POST", "/api/portal/logo/delete", "A  " },
	{ "*",    "/api/",                 "AFU" },   /* the API's 404 */
	{ "GET",  "/metrics",              "AFU" },   /* it checks the caller itself */
	{ "GET",  "/",                     "AFU" },   /* the panel's pages */
};

#define N_EXPECTED (sizeof(expected_roles) / sizeof(expected_roles[0]))

static void check_route_roles(const struct admin_route *r, const char *method, const char *who)
{
	static const struct {
		enum admin_role role;
		char letter;
	} roles[] = {
		{ ADMIN_ROLE_ADMIN, 'A' }, { ADMIN_ROLE_FRONTDESK, 'F' }, { ADMIN_ROLE_AUDITOR, 'U' },
	};

	for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
		enum admin_route_verdict v = admin_route_check(r, method, 1, roles[k].role, 1);
		int allowed = strchr(who, roles[k].letter) != NULL;

		if (v != (allowed ? ADMIN_ROUTE_RUN : ADMIN_ROUTE_ROLE_REFUSED))
			fail_msg("%s %s as %s: verdict %d, expected %s", method, r->path,
				 admin_role_name(roles[k].role), (int)v, allowed ? "run" : "refused");
	}
	/* and nothing but a public route runs without a login */
	if (admin_route_check(r, method, 0, ADMIN_ROLE_NONE, 0) == ADMIN_ROUTE_RUN &&
	    r->role != ADMIN_ROLE_PUBLIC)
		fail_msg("%s %s runs without a login", method, r->path);
}

static void test_every_route_every_role(void **state)
{
	int seen[N_EXPECTED] = { 0 };

	(void)state;
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];
		size_t e = 0;

		while (e < N_EXPECTED && (strcmp(expected_roles[e].method, r->method) ||
					  strcmp(expected_roles[e].path, r->path)))
			e++;
		if (e == N_EXPECTED)
			fail_msg("route %s %s has no line in expected_roles: say which roles may use it",
				 r->method, r->path);
		seen[e] = 1;
		if (!strcmp(r->method, "*")) {
			check_route_roles(r, "GET", expected_roles[e].who);
			check_route_roles(r, "POST", expected_roles[e].who);
		} else {
			check_route_roles(r, r->method, expected_roles[e].who);
			if (!strcmp(r->method, "GET"))
				check_route_roles(r, "HEAD", expected_roles[e].who);
		}
	}
	for (size_t e = 0; e < N_EXPECTED; e++)
		if (!seen[e])
			fail_msg("expected_roles names %s %s, which the table does not have",
				 expected_roles[e].method, expected_roles[e].path);
}

/* an auditor changes nothing: no route but the public ones and the ANY
 * ones (logout) runs for it by a method that is not a read */
static void test_auditor_changes_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < admin_routes_count; i++) {
		const struct admin_route *r = &admin_routes[i];
		const char *method = strcmp(r->method, "*") ? r->method : "POST";

		if (!strcmp(method, "GET") || r->role == ADMIN_ROLE_PUBLIC || r->role == ADMIN_ROLE_ANY)
			continue;
		assert_int_equal(admin_route_check(r, method, 1, ADMIN_ROLE_AUDITOR, 1),
				 ADMIN_ROUTE_ROLE_REFUSED);
	}
}

/* the dispatcher's order: login, then the CSRF token on a change, then
 * the role; a public route runs without any */
static void test_checks_in_order(void **state)
{
	const struct admin_route *users_get = NULL, *users_post = NULL, *login = NULL, *me = NULL;
	enum admin_route_miss miss;
	char allow[64];

	(void)state;
	users_get = find("GET", "/api/users", &miss, allow, sizeof(allow));
	users_post = find("POST", "/api/users", &miss, allow, sizeof(allow));
	login = find("POST", "/api/login", &miss, allow, sizeof(allow));
	me = find("GET", "/api/me", &miss, allow, sizeof(allow));
	assert_non_null(users_get);
	assert_non_null(users_post);
	assert_non_null(login);
	assert_non_null(me);

	assert_int_equal(admin_route_check(login, "POST", 0, ADMIN_ROLE_NONE, 0), ADMIN_ROUTE_RUN);
	assert_int_equal(admin_route_check(users_get, "GET", 0, ADMIN_ROLE_ADMIN, 1),
			 ADMIN_ROUTE_LOGIN_REQUIRED);
	assert_int_equal(admin_route_check(users_post, "POST", 0, ADMIN_ROLE_NONE, 0),
			 ADMIN_ROUTE_LOGIN_REQUIRED);
	assert_int_equal(admin_route_check(users_post, "POST", 1, ADMIN_ROLE_ADMIN, 0),
			 ADMIN_ROUTE_CSRF_REFUSED);
	assert_int_equal(admin_route_check(users_post, "POST", 1, ADMIN_ROLE_ADMIN, 1),
			 ADMIN_ROUTE_RUN);
	/* a read needs no token */
	assert_int_equal(admin_route_check(users_get, "GET", 1, ADMIN_ROLE_ADMIN, 0),
			 ADMIN_ROUTE_RUN);
	assert_int_equal(admin_route_check(users_get, "HEAD", 1, ADMIN_ROLE_ADMIN, 0),
			 ADMIN_ROUTE_RUN);
	/* logged in, token right, role lacking */
	assert_int_equal(admin_route_check(users_post, "POST", 1, ADMIN_ROLE_NONE, 1),
			 ADMIN_ROUTE_ROLE_REFUSED);
	assert_int_equal(admin_route_check(users_get, "GET", 1, ADMIN_ROLE_NONE, 0),
			 ADMIN_ROUTE_ROLE_REFUSED);
	assert_int_equal(admin_route_check(me, "GET", 1, ADMIN_ROLE_NONE, 0),
			 ADMIN_ROUTE_ROLE_REFUSED);
	assert_int_equal(admin_route_check(me, "GET", 1, ADMIN_ROLE_ADMIN, 0), ADMIN_ROUTE_RUN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_has_a_role_and_a_handler),
		cmocka_unit_test(test_no_two_routes_collide),
		cmocka_unit_test(test_each_route_is_found),
		cmocka_unit_test(test_changes_need_a_login),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_most_specific_path),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_every_route_every_role),
		cmocka_unit_test(test_auditor_changes_nothing),
		cmocka_unit_test(test_checks_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
