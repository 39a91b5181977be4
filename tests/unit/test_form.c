#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "form.h"

static const char body[] = "csrf=ab.12&username=al%C3%AFce+b&password=p%3Aa%26s%3Ds+w%40rd&empty=&bare";

static void test_fields_decoded(void **state)
{
	char out[64];
	size_t n;

	(void)state;
	assert_int_equal(form_field(body, strlen(body), "username", out, sizeof(out), &n), FORM_FOUND);
	assert_string_equal(out, "al\xc3\xaf" "ce b");
	assert_int_equal(form_field(body, strlen(body), "password", out, sizeof(out), &n), FORM_FOUND);
	assert_string_equal(out, "p:a&s=s w@rd");
	assert_int_equal(n, 12);
	assert_int_equal(form_field(body, strlen(body), "empty", out, sizeof(out), &n), FORM_FOUND);
	assert_string_equal(out, "");
	assert_int_equal(form_field(body, strlen(body), "bare", out, sizeof(out), &n), FORM_FOUND);
	assert_int_equal(n, 0);
}

static void test_absent_and_prefixes(void **state)
{
	char out[64];
	size_t n;

	(void)state;
	assert_int_equal(form_field(body, strlen(body), "user", out, sizeof(out), &n), FORM_ABSENT);
	assert_int_equal(form_field(body, strlen(body), "url", out, sizeof(out), &n), FORM_ABSENT);
	assert_int_equal(form_field("", 0, "csrf", out, sizeof(out), &n), FORM_ABSENT);
	/* the length bounds the search: no reading past it */
	assert_int_equal(form_field(body, 14, "username", out, sizeof(out), &n), FORM_ABSENT);
}

static void test_too_long(void **state)
{
	char out[5];
	size_t n;

	(void)state;
	assert_int_equal(form_field("a=1234", 6, "a", out, sizeof(out), &n), FORM_FOUND);
	assert_int_equal(form_field("a=12345", 7, "a", out, sizeof(out), &n), FORM_TOO_LONG);
	assert_int_equal(form_field("a=%41%41%41%41%41", 17, "a", out, sizeof(out), &n), FORM_TOO_LONG);
}

static void test_malformed(void **state)
{
	char out[32];
	size_t n;

	(void)state;
	assert_int_equal(form_field("a=%4", 4, "a", out, sizeof(out), &n), FORM_MALFORMED);
	assert_int_equal(form_field("a=%zz", 5, "a", out, sizeof(out), &n), FORM_MALFORMED);
	assert_int_equal(form_field("a=x%00y", 7, "a", out, sizeof(out), &n), FORM_MALFORMED);
	assert_int_equal(form_field("a=%", 3, "a", out, sizeof(out), &n), FORM_MALFORMED);
}

/* What the intercept and the portal put in a Location or a page: only the
 * unreserved characters stay, a URL that does not fit is cut, never
 * overflowing, and what comes out decodes back to what went in. */
static void test_percent_encode(void **state)
{
	char out[64], back[64];
	size_t n;

	(void)state;
	form_percent_encode(out, sizeof(out), "http://a.test/x y?q=\"<b>\"&z=~_.-");
	assert_string_equal(out, "http%3A%2F%2Fa.test%2Fx%20y%3Fq%3D%22%3Cb%3E%22%26z%3D~_.-");
	form_percent_encode(out, sizeof(out), "\xc3\xbc\r\n");
	assert_string_equal(out, "%C3%BC%0D%0A");
	form_percent_encode(out, 8, "abcdefghij");
	assert_string_equal(out, "abcd");   /* room kept for one more %XX */
	form_percent_encode(out, sizeof(out), "/x?a=1&b=%");
	char field[80];
	snprintf(field, sizeof(field), "u=%s", out);
	assert_int_equal(form_field(field, strlen(field), "u", back, sizeof(back), &n), FORM_FOUND);
	assert_string_equal(back, "/x?a=1&b=%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_decoded),
		cmocka_unit_test(test_absent_and_prefixes),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_percent_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
