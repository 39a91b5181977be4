/* rowjson: every stored row becomes JSON whatever its bytes, the same for
 * the CLI and the admin panel, and the escaped text gives the bytes back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rowjson.h"

/* The JSON text of s (the string's value, as a reader of the JSON gets it). */
static char *text_of(const char *s)
{
	json_t *j = rowjson_text(s);
	char *out;

	assert_non_null(j);
	assert_true(json_is_string(j));
	out = strdup(json_string_value(j));
	json_decref(j);
	return out;
}

static void assert_text(const char *stored, const char *shown)
{
	char *t = text_of(stored);

	assert_string_equal(t, shown);
	free(t);
}

static void test_valid_utf8_as_stored(void **state)
{
	(void)state;
	assert_text("alice", "alice");
	assert_text("", "");
	assert_text("m\xc3\xbcller", "m\xc3\xbcller");            /* müller */
	assert_text("\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80");
	/* a backslash that reads as nothing else stays: DOMAIN\user */
	assert_text("DOMAIN\\user", "DOMAIN\\user");
	assert_text("a\\", "a\\");
	assert_text("a\\x4", "a\\x4");
	/* markup is data: JSON carries it, the panel shows it as text */
	assert_text("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>");
}

static void test_bytes_not_utf8_escaped(void **state)
{
	(void)state;
	/* ISO-8859-1 ü, as a client sends it in Basic credentials */
	assert_text("m\xfcller", "m\\xfcller");
	assert_text("j\xfcrgen", "j\\xfcrgen");
	/* a lone continuation byte, a cut sequence, an overlong '/', a
	 * surrogate, beyond U+10FFFF */
	assert_text("\x80", "\\x80");
	assert_text("ab\xe2\x82", "ab\\xe2\\x82");
	assert_text("\xc0\xaf", "\\xc0\\xaf");
	assert_text("\xed\xa0\x80", "\\xed\\xa0\\x80");
	assert_text("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	/* a backslash that would read as an escape is escaped itself, so that
	 * "\xfc" typed as four characters is not shown like the byte 0xfc */
	assert_text("m\\xfcller", "m\\x5cxfcller");
	assert_text("\\x5c\xff", "\\x5cx5c\\xff");
}

static void round_trip(const char *stored)
{
	char *t = text_of(stored);
	char back[600];
	size_t n = rowjson_unescape(t, back, sizeof(back));

	assert_int_equal(n, strlen(stored));
	assert_memory_equal(back, stored, n + 1);
	free(t);
}

static void test_unescape_gives_the_bytes_back(void **state)
{
	char buf[16];

	(void)state;
	round_trip("alice");
	round_trip("m\xfcller");
	round_trip("DOMAIN\\user");
	round_trip("m\\xfcller");
	round_trip("\\x5c\xff\\");
	round_trip("\\\\xab\\x");
	round_trip("\xc0\xaf\xe2\x82\xac\xed\xa0\x80");
	/* upper case hex is read too; a NUL byte cannot be a name */
	assert_int_equal(rowjson_unescape("\\xFC", buf, sizeof(buf)), 1);
	assert_int_equal((unsigned char)buf[0], 0xfc);
	assert_int_equal(rowjson_unescape("a\\x00b", buf, sizeof(buf)), (size_t)-1);
	/* too long for out: the length says so, out stays a string */
	assert_int_equal(rowjson_unescape("abcdef", buf, 4), 6);
	assert_string_equal(buf, "abc");
	/* in place */
	strcpy(buf, "j\\xfcrgen");
	assert_int_equal(rowjson_unescape(buf, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "j\xfcrgen");
}

static void test_failure_row_listed_whatever_its_bytes(void **state)
{
	struct store_failure f;
	json_t *o;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.id = 7;
	f.time_ms = 1700000000123;
	snprintf(f.client_addr, sizeof(f.client_addr), "10.0.0.9");
	f.client_port = 4242;
	snprintf(f.mode, sizeof(f.mode), "explicit");
	snprintf(f.scheme, sizeof(f.scheme), "basic");
	snprintf(f.username, sizeof(f.username), "m\xfcller");
	snprintf(f.reason, sizeof(f.reason), "unknown_user");
	snprintf(f.host, sizeof(f.host), "example.org");
	snprintf(f.user_agent, sizeof(f.user_agent), "curl\xff");
	f.count = 3;
	f.last_ms = 1700000000999;
	o = rowjson_failure(&f);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "time_ms")), 1700000000123);
	assert_int_equal(json_integer_value(json_object_get(o, "client_port")), 4242);
	assert_string_equal(json_string_value(json_object_get(o, "username")), "m\\xfcller");
	assert_string_equal(json_string_value(json_object_get(o, "user_agent")), "curl\\xff");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "unknown_user");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "last_ms")), 1700000000999);
	assert_int_equal(json_object_size(o), 12);
	json_decref(o);

	o = rowjson_top("m\xfcller", 2);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "value")), "m\\xfcller");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 2);
	json_decref(o);
}

static void test_user_row_and_digest_truth(void **state)
{
	struct store_user u;
	json_t *o;

	(void)state;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "j\xfcrgen");
	snprintf(u.phc, sizeof(u.phc), "$scrypt$secret");
	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%032d", 1);
	snprintf(u.ha1_sha256, sizeof(u.ha1_sha256), "%064d", 2);
	snprintf(u.ha1_realm, sizeof(u.ha1_realm), "Office");
	u.enabled = 1;
	u.expires_at = 1000;
	o = rowjson_user(&u, "Office", 999);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "j\\xfcrgen");
	assert_true(json_is_true(json_object_get(o, "digest")));
	assert_true(json_is_false(json_object_get(o, "expired")));
	/* never a secret */
	assert_null(json_object_get(o, "phc"));
	assert_null(json_object_get(o, "ha1_md5"));
	assert_null(json_object_get(o, "ha1_sha256"));
	json_decref(o);

	/* secrets made for another realm cannot answer this one's challenge */
	o = rowjson_user(&u, "Portcullis", 1000);
	assert_true(json_is_false(json_object_get(o, "digest")));
	assert_true(json_is_true(json_object_get(o, "expired")));
	json_decref(o);
	o = rowjson_user(&u, NULL, 0);
	assert_true(json_is_false(json_object_get(o, "digest")));
	json_decref(o);
	u.ha1_md5[0] = u.ha1_sha256[0] = u.ha1_realm[0] = '\0';
	o = rowjson_user(&u, "Office", 0);
	assert_true(json_is_false(json_object_get(o, "digest")));
	json_decref(o);
}

static void test_other_rows(void **state)
{
	struct store_session s;
	struct store_admin_action a;
	struct store_whitelist w;
	struct store_admin ad;
	json_t *o;

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(s.addr, sizeof(s.addr), "10.0.0.2");
	snprintf(s.username, sizeof(s.username), "x\xfe");
	s.idle_timeout = 600;
	o = rowjson_session(&s);
	assert_string_equal(json_string_value(json_object_get(o, "username")), "x\\xfe");
	assert_int_equal(json_integer_value(json_object_get(o, "idle_timeout")), 600);
	assert_string_equal(json_string_value(json_object_get(o, "bandwidth_class")), "");
	json_decref(o);
	snprintf(s.bandwidth_class, sizeof(s.bandwidth_class), "guest.v2");
	o = rowjson_session(&s);
	assert_string_equal(json_string_value(json_object_get(o, "bandwidth_class")), "guest.v2");
	json_decref(o);
	snprintf(s.source, sizeof(s.source), "radius 10.0.0.9:1812");
	o = rowjson_session(&s);
	assert_string_equal(json_string_value(json_object_get(o, "source")), "radius 10.0.0.9:1812");
	json_decref(o);

	memset(&a, 0, sizeof(a));
	snprintf(a.admin, sizeof(a.admin), "cli:root");
	snprintf(a.action, sizeof(a.action), "user.add");
	snprintf(a.target, sizeof(a.target), "j\xfcrgen");
	o = rowjson_action(&a);
	assert_string_equal(json_string_value(json_object_get(o, "target")), "j\\xfcrgen");
	json_decref(o);

	memset(&w, 0, sizeof(w));
	snprintf(w.cidr, sizeof(w.cidr), "10.0.0.0/8");
	snprintf(w.comment, sizeof(w.comment), "lab \xff");
	o = rowjson_whitelist(&w);
	assert_string_equal(json_string_value(json_object_get(o, "comment")), "lab \\xff");
	json_decref(o);

	memset(&ad, 0, sizeof(ad));
	snprintf(ad.name, sizeof(ad.name), "root");
	snprintf(ad.phc, sizeof(ad.phc), "$scrypt$secret");
	o = rowjson_admin(&ad);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "root");
	assert_null(json_object_get(o, "phc"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_utf8_as_stored),
		cmocka_unit_test(test_bytes_not_utf8_escaped),
		cmocka_unit_test(test_unescape_gives_the_bytes_back),
		cmocka_unit_test(test_failure_row_listed_whatever_its_bytes),
		cmocka_unit_test(test_user_row_and_digest_truth),
		cmocka_unit_test(test_other_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
