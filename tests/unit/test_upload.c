/* upload: request bodies of the admin and portal listeners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "upload.h"

static struct upload *fresh(void)
{
	struct upload *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	return u;
}

/* libmicrohttpd hands a body over in pieces: they are joined in order and
 * the result is a C string */
static void test_pieces_joined(void **state)
{
	struct upload *u = fresh();

	(void)state;
	assert_int_equal(upload_append(u, "{\"user", 6, 64), 0);
	assert_int_equal(upload_append(u, "name\":1}", 8, 64), 0);
	assert_int_equal(u->len, 14);
	assert_string_equal(u->data, "{\"username\":1}");
	assert_int_equal(u->too_large, 0);
	upload_free(u);
}

/* exactly max bytes fit; one more marks the body too large and nothing
 * after it is kept (the handler answers 413) */
static void test_limit(void **state)
{
	struct upload *u = fresh();

	(void)state;
	assert_int_equal(upload_append(u, "abcd", 4, 8), 0);
	assert_int_equal(upload_append(u, "efgh", 4, 8), 0);
	assert_int_equal(u->too_large, 0);
	assert_int_equal(upload_append(u, "i", 1, 8), 0);
	assert_int_equal(u->too_large, 1);
	assert_int_equal(upload_append(u, "j", 1, 8), 0);
	assert_int_equal(u->len, 8);
	assert_string_equal(u->data, "abcdefgh");
	upload_free(u);
}

/* a length near SIZE_MAX must not wrap the size check */
static void test_huge_piece(void **state)
{
	struct upload *u = fresh();

	(void)state;
	assert_int_equal(upload_append(u, "ab", 2, 16), 0);
	assert_int_equal(upload_append(u, "x", SIZE_MAX - 1, 16), 0);
	assert_int_equal(u->too_large, 1);
	assert_int_equal(u->len, 2);
	upload_free(u);
}

static void test_free_null_and_empty(void **state)
{
	(void)state;
	upload_free(NULL);
	upload_free(fresh());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_joined),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_huge_piece),
		cmocka_unit_test(test_free_null_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
