#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "negotiate.h"

/* The username a principal maps to, realm stripped or kept. */
static void test_username(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(negotiate_username("alice@EXAMPLE.ORG", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "alice");
	assert_int_equal(negotiate_username("alice@EXAMPLE.ORG", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "alice@EXAMPLE.ORG");
	/* RFC 1964 §2.1.1: an escaped '@' is part of the name */
	assert_int_equal(negotiate_username("a\\@b@EXAMPLE.ORG", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "a\\@b");
	/* a service principal keeps its instance */
	assert_int_equal(negotiate_username("host/pc1.example.org@EXAMPLE.ORG", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "host/pc1.example.org");
	/* no realm: the name whole */
	assert_int_equal(negotiate_username("alice", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "alice");
	/* nothing before the realm, or too long for out */
	assert_int_equal(negotiate_username("@EXAMPLE.ORG", 1, out, sizeof(out)), -1);
	assert_int_equal(negotiate_username("", 0, out, sizeof(out)), -1);
	assert_int_equal(negotiate_username("alice@EXAMPLE.ORG", 0, out, 17), -1);
	assert_int_equal(negotiate_username("alice@EXAMPLE.ORG", 0, out, 18), 0);
}

/* A keytab that is not there is an error that names it, at start. */
static void test_missing_keytab(void **state)
{
	char err[512];

	(void)state;
	assert_null(negotiate_new("/nonexistent/http.keytab", "HTTP/gw.example.org@EXAMPLE.ORG",
				  err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/http.keytab"));
	assert_int_equal(negotiate_keytab_read("/nonexistent/http.keytab", NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/http.keytab"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_missing_keytab),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
