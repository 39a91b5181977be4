/*
 * store: the portal's look (migration 014), against a real database file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

#define STORE_FIXTURE_DIR "/tmp/portcullis-test-look-XXXXXX"
#include "store_fixture.h"

static void test_defaults_and_partial_changes(void **state)
{
	struct store *st = *state;
	struct store_look l;

	assert_int_equal(store_look_get(st, &l), 0);
	assert_string_equal(l.title, "");
	assert_string_equal(l.accent, "");
	assert_string_equal(l.logo_type, "");
	assert_int_equal(l.version, 0);
	assert_int_equal(store_look_set(st, "Caf\xc3\xa9", "#c0ffee", NULL, NULL, "root"), 0);
	/* NULL keeps a field; "" is the default again */
	assert_int_equal(store_look_set(st, NULL, NULL, "#101010", "", "eve"), 0);
	assert_int_equal(store_look_get(st, &l), 0);
	assert_string_equal(l.title, "Caf\xc3\xa9");
	assert_string_equal(l.accent, "#c0ffee");
	assert_string_equal(l.background, "#101010");
	assert_string_equal(l.text, "");
	assert_string_equal(l.updated_by, "eve");
	assert_int_equal(l.version, 2);
	/* longer than the field: refused, nothing cut */
	assert_int_equal(store_look_set(st, NULL, "#c0ffee00", NULL, NULL, "root"), -EINVAL);
	assert_int_equal(store_look_get(st, &l), 0);
	assert_string_equal(l.accent, "#c0ffee");
}

static void test_logo_round_trip(void **state)
{
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0binary\0";
	struct store *st = *state;
	struct store_look l;
	void *data;
	size_t len;
	char type[17];
	int64_t version;

	assert_int_equal(store_look_logo_get(st, &data, &len, type, &version), 0);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(store_look_logo_set(st, png, sizeof(png), "image/png", "root"), 0);
	assert_int_equal(store_look_logo_get(st, &data, &len, type, &version), 0);
	assert_int_equal(len, sizeof(png));
	assert_memory_equal(data, png, sizeof(png));
	assert_string_equal(type, "image/png");
	assert_int_equal(version, 1);
	free(data);
	assert_int_equal(store_look_get(st, &l), 0);
	assert_string_equal(l.logo_type, "image/png");
	assert_int_equal(store_look_logo_set(st, NULL, 0, NULL, "root"), 0);
	assert_int_equal(store_look_logo_get(st, &data, &len, type, &version), 0);
	assert_null(data);
	assert_string_equal(type, "");
	assert_int_equal(version, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_partial_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logo_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
