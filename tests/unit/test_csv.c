#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "csv.h"

static char out[512];

static const char *cell(const char *v, int last)
{
	size_t n = csv_cell(out, v, last);

	assert_true(n <= CSV_CELL_MAX(strlen(v)));
	out[n] = '\0';
	return out;
}

static void test_quoting(void **state)
{
	(void)state;
	assert_string_equal(cell("alice", 0), "\"alice\",");
	assert_string_equal(cell("", 1), "\"\"\r\n");
	assert_string_equal(cell("say \"hi\", bye", 1), "\"say \"\"hi\"\", bye\"\r\n");
	/* a worst case: every byte a quote, after a guard */
	assert_string_equal(cell("=\"\"", 0), "\"'=\"\"\"\"\",");
}

static void test_formula_starters(void **state)
{
	(void)state;
	assert_string_equal(cell("=HYPERLINK(\"x\")", 0), "\"'=HYPERLINK(\"\"x\"\")\",");
	assert_string_equal(cell("+1", 0), "\"'+1\",");
	assert_string_equal(cell("-1+2", 0), "\"'-1+2\",");
	assert_string_equal(cell("@SUM(A1)", 0), "\"'@SUM(A1)\",");
	assert_string_equal(cell("\tx", 0), "\"'\tx\",");
	assert_string_equal(cell("\rx", 0), "\"'\rx\",");
}

/* what the old guard missed: a leading blank, and the full-width forms */
static void test_after_blanks_and_full_width(void **state)
{
	(void)state;
	assert_string_equal(cell(" =cmd|' /C calc'!A0", 0), "\"' =cmd|' /C calc'!A0\",");
	assert_string_equal(cell("   @x", 0), "\"'   @x\",");
	assert_string_equal(cell("\n=x", 0), "\"'\n=x\",");
	assert_string_equal(cell("\xc2\xa0=x", 0), "\"'\xc2\xa0=x\",");
	assert_string_equal(cell("\xe3\x80\x80=x", 0), "\"'\xe3\x80\x80=x\",");
	assert_string_equal(cell("\xef\xbc\x9d" "cmd", 0), "\"'\xef\xbc\x9d" "cmd\",");      /* ＝ */
	assert_string_equal(cell("\xef\xbc\x8b" "1", 0), "\"'\xef\xbc\x8b" "1\",");       /* ＋ */
	assert_string_equal(cell("\xef\xbc\x8d" "1", 0), "\"'\xef\xbc\x8d" "1\",");       /* － */
	assert_string_equal(cell("\xef\xbc\xa0x", 0), "\"'\xef\xbc\xa0x\",");             /* ＠ */
	assert_string_equal(cell(" \xef\xb9\xa6x", 0), "\"' \xef\xb9\xa6x\",");           /* ﹦ */
}

static void test_text_left_alone(void **state)
{
	(void)state;
	assert_string_equal(cell("a=b", 0), "\"a=b\",");
	assert_string_equal(cell(" alice", 0), "\" alice\",");
	assert_string_equal(cell("10.0.0.1", 0), "\"10.0.0.1\",");
	assert_string_equal(cell("\xef\xbc\xa1", 0), "\"\xef\xbc\xa1\",");               /* Ａ */
	assert_string_equal(cell("j\xfcrgen", 0), "\"j\xfcrgen\",");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_formula_starters),
		cmocka_unit_test(test_after_blanks_and_full_width),
		cmocka_unit_test(test_text_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
