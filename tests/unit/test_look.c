#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "look.h"

static void test_colours(void **state)
{
	(void)state;
	assert_true(look_colour_ok("#c0ffee"));
	assert_true(look_colour_ok("#A0B1C2"));
	assert_true(look_colour_ok(""));            /* the default */
	assert_false(look_colour_ok(NULL));
	assert_false(look_colour_ok("red"));
	assert_false(look_colour_ok("#fff"));
	assert_false(look_colour_ok("#c0ffee0"));
	assert_false(look_colour_ok("#c0ffeg"));
	assert_false(look_colour_ok("c0ffee1"));
	/* a value that would be CSS of its own */
	assert_false(look_colour_ok("#000;}b"));
	assert_false(look_colour_ok("#00000\n"));
}

static void test_titles(void **state)
{
	char longest[LOOK_TITLE_MAX + 2];

	(void)state;
	assert_true(look_title_ok(""));
	assert_true(look_title_ok("Caf\xc3\xa9 Bl\xc3\xbc" "te \xe2\x98\x95"));
	/* markup is text to the title: the portal escapes it */
	assert_true(look_title_ok("<script>alert(1)</script>"));
	assert_false(look_title_ok(NULL));
	assert_false(look_title_ok("two\nlines"));
	assert_false(look_title_ok("tab\there"));
	assert_false(look_title_ok("del\x7f"));
	assert_false(look_title_ok("c1 \xc2\x85"));          /* NEL */
	assert_false(look_title_ok("j\xfcrgen"));            /* Latin-1, not UTF-8 */
	assert_false(look_title_ok("\xc0\xbc"));              /* overlong '<' */
	assert_false(look_title_ok("\xed\xa0\x80"));          /* a surrogate */
	assert_false(look_title_ok("\xf4\x90\x80\x80"));      /* above U+10FFFF */
	assert_false(look_title_ok("cut \xe2\x98"));
	memset(longest, 'a', LOOK_TITLE_MAX);
	longest[LOOK_TITLE_MAX] = '\0';
	assert_true(look_title_ok(longest));
	longest[LOOK_TITLE_MAX] = 'a';
	longest[LOOK_TITLE_MAX + 1] = '\0';
	assert_false(look_title_ok(longest));
}

static void test_images(void **state)
{
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	static const unsigned char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF";
	static const unsigned char webp[] = "RIFF\x24\0\0\0WEBPVP8 ";
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";

	(void)state;
	assert_string_equal(look_image_type(png, sizeof(png) - 1), "image/png");
	assert_string_equal(look_image_type(jpeg, sizeof(jpeg) - 1), "image/jpeg");
	assert_string_equal(look_image_type("GIF89a\1\0\1\0", 10), "image/gif");
	assert_string_equal(look_image_type("GIF87a", 6), "image/gif");
	assert_string_equal(look_image_type(webp, sizeof(webp) - 1), "image/webp");
	assert_null(look_image_type(svg, strlen(svg)));
	assert_null(look_image_type("hello, I am text", 16));
	assert_null(look_image_type("RIFF\x24\0\0\0WAVEfmt ", 16));
	/* cut short: the signature must be whole */
	assert_null(look_image_type(png, 7));
	assert_null(look_image_type("GIF89", 5));
	assert_null(look_image_type(NULL, 0));
	assert_null(look_image_type("", 0));
}

static void test_css(void **state)
{
	char css[LOOK_CSS_MAX];
	int n;

	(void)state;
	n = look_css(css, sizeof(css), "#c0ffee", "", "#101010");
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(css));
	assert_non_null(strstr(css, "--accent: #c0ffee;"));
	assert_non_null(strstr(css, "--text: #101010;"));
	assert_null(strstr(css, "--background"));
	/* an unchecked value never reaches the stylesheet */
	look_css(css, sizeof(css), "red;} body { display: none", NULL, "");
	assert_null(strstr(css, "red"));
	assert_null(strstr(css, "display"));
	assert_int_equal(look_css(css, 8, "#c0ffee", "#c0ffee", "#c0ffee"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colours),
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_css),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
