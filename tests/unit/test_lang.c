#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lang.h"

static const char *const tags[] = { "en", "de", "fr", "pt-br" };
#define N_TAGS (sizeof(tags) / sizeof(tags[0]))

static size_t pick(const char *header)
{
	return lang_negotiate(header, tags, N_TAGS, 0);
}

static void test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(pick(NULL), 0);
	assert_int_equal(pick(""), 0);
	assert_int_equal(pick("de"), 1);
	assert_int_equal(pick("DE"), 1);
	/* RFC 4647 §3.4 lookup: de-CH falls back to de */
	assert_int_equal(pick("de-CH"), 1);
	assert_int_equal(pick("de-CH-1996"), 1);
	assert_int_equal(pick("pt-BR"), 3);
	assert_int_equal(pick("pt"), 0);                 /* no plain pt */
	/* q-values order the ranges, not their place (RFC 9110 §12.5.4) */
	assert_int_equal(pick("fr;q=0.5, de;q=0.9"), 1);
	assert_int_equal(pick("fr;q=0.5,de;q=0.4"), 2);
	assert_int_equal(pick("it, de;q=0.1"), 1);       /* it is not shipped */
	assert_int_equal(pick("fr, de"), 2);             /* equal q: the order given */
	assert_int_equal(pick("da, en-gb;q=0.8, en;q=0.7"), 0);
	assert_int_equal(pick("  de ; q=1.000 "), 1);
	assert_int_equal(pick("de;Q=0.8"), 1);
	/* q=0: not acceptable */
	assert_int_equal(pick("de;q=0"), 0);
	assert_int_equal(pick("de;q=0, fr;q=0.1"), 2);
	assert_int_equal(pick("*"), 0);
	assert_int_equal(lang_negotiate("*", tags, N_TAGS, 2), 2);
	assert_int_equal(pick("en;q=0, *"), 1);          /* anything but en */
	/* what does not parse is passed over */
	assert_int_equal(pick("de;q=2"), 0);
	assert_int_equal(pick("de;q=0.1234"), 0);
	assert_int_equal(pick("de;level=1"), 0);
	assert_int_equal(pick("d3, fr"), 2);
	assert_int_equal(pick("de-, fr"), 2);
	assert_int_equal(pick(",,, ;q=1, fr"), 2);
	assert_int_equal(pick("abcdefghi, fr"), 2);
	assert_int_equal(pick("\"de\""), 0);
}

static void test_negotiate_many(void **state)
{
	char header[4096];
	size_t o = 0;

	(void)state;
	/* more ranges than are read: the first ones count */
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(header + o, sizeof(header) - o, "xx;q=0.%d, ", i % 9 + 1);
	snprintf(header + o, sizeof(header) - o, "de");
	assert_int_equal(pick(header), 0);
	assert_int_equal(pick("xx, de"), 1);
}

static void test_parse(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# the German catalogue\n"
		"\n"
		"login.button = Anmelden\r\n"
		"  status.signed_in=Angemeldet als {user}.  \n"
		"title.default = Im Netzwerk anmelden\n"
		"empty =\n"
		"markup = <b>bleibt Text</b>";
	struct lang_catalogue c;
	char err[128];

	(void)state;
	assert_int_equal(lang_parse("de", text, strlen(text), &c, err, sizeof(err)), 0);
	assert_string_equal(c.tag, "de");
	assert_int_equal(c.n, 5);
	assert_string_equal(lang_lookup(&c, "login.button"), "Anmelden");
	assert_string_equal(lang_lookup(&c, "status.signed_in"), "Angemeldet als {user}.");
	assert_string_equal(lang_lookup(&c, "empty"), "");
	assert_string_equal(lang_lookup(&c, "markup"), "<b>bleibt Text</b>");
	assert_null(lang_lookup(&c, "login.missing"));
	assert_null(lang_lookup(&c, NULL));
	lang_catalogue_fini(&c);
	lang_catalogue_fini(&c);
	assert_int_equal(lang_parse("pt-BR", "", 0, &c, err, sizeof(err)), 0);
	assert_string_equal(c.tag, "pt-br");
	assert_int_equal(c.n, 0);
	assert_null(lang_lookup(&c, "x"));
	lang_catalogue_fini(&c);
}

static void refused(const char *tag, const char *text, size_t len, const char *why)
{
	struct lang_catalogue c;
	char err[128];

	assert_int_equal(lang_parse(tag, text, len, &c, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
	assert_null(c.data);
	assert_null(c.entries);
}

static void test_parse_errors(void **state)
{
	static const char nul[] = "a = one\nb = t\0wo\n";
	static char big[LANG_FILE_MAX + 2];

	(void)state;
	refused("de", "a = one\njust text\n", 18, "line 2: expected key = text");
	refused("de", "a = one\nA = two\n", 16, "line 2: a key is of a-z");
	refused("de", "= nothing\n", 10, "line 1: a key is 1 to");
	refused("de", "a = one\na = again\n", 18, "key a is given twice");
	refused("de", "a = bell\x07\n", 10, "line 1: the text is not UTF-8");
	refused("de", "a = j\xfcrgen\n", 11, "line 1: the text is not UTF-8");
	refused("de", "a = cut \xe2\x98\n", 11, "line 1: the text is not UTF-8");
	refused("de", nul, sizeof(nul) - 1, "line 2: a NUL byte");
	refused("../etc", "", 0, "not a language tag");
	refused("", "", 0, "not a language tag");
	refused("de_DE", "", 0, "not a language tag");
	memset(big, 'a', sizeof(big) - 1);
	refused("de", big, sizeof(big) - 1, "larger than");
	assert_true(lang_tag_ok("en"));
	assert_true(lang_tag_ok("pt-br"));
	assert_true(lang_tag_ok("zh-Hant"));
	assert_false(lang_tag_ok("en-"));
	assert_false(lang_tag_ok("1en"));
	assert_false(lang_tag_ok(NULL));
}

static void test_format(void **state)
{
	const char *vars[] = { "user", "lena", "minutes", "42" };
	char out[64], small[8];

	(void)state;
	assert_string_equal(lang_format(out, sizeof(out), "{user}: {minutes} min, {other} {", vars, 2),
			    "lena: 42 min, {other} {");
	assert_string_equal(lang_format(out, sizeof(out), "", vars, 2), "");
	/* cut short, never inside a character */
	assert_string_equal(lang_format(small, sizeof(small), "caf\xc3\xa9 caf\xc3\xa9", vars, 2),
			    "caf\xc3\xa9 c");
	assert_string_equal(lang_format(small, 6, "ab\xc3\xa9\xc3\xa9", vars, 2), "ab\xc3\xa9");
	assert_string_equal(lang_format(small, 5, "ab\xe2\x98\x95", vars, 2), "ab");
	assert_string_equal(lang_format(small, sizeof(small), "{user}{user}", vars, 2), "lenalen");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_many),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
