#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "directory.h"

static char out[256];

static const char *esc(const char *v, size_t len)
{
	long n = directory_filter_escape(out, sizeof(out), v, len);

	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(out));
	return out;
}

/* RFC 4515 section 3: the five octets a value must escape */
static void test_escape_the_special_octets(void **state)
{
	(void)state;
	assert_string_equal(esc("alice", 5), "alice");
	assert_string_equal(esc("*)(uid=*", 8), "\\2a\\29\\28uid=\\2a");
	assert_string_equal(esc("a\\b", 3), "a\\5cb");
	assert_string_equal(esc("(x)", 3), "\\28x\\29");
	assert_string_equal(esc("a\0b", 3), "a\\00b");
	assert_string_equal(esc("*", 1), "\\2a");
	assert_string_equal(esc("", 0), "");
}

/* bytes outside printable ASCII go escaped too: a server compares the
 * octets, and a CR/LF or a byte of broken UTF-8 cannot reach a log or
 * the server's parser as itself */
static void test_escape_non_ascii_and_controls(void **state)
{
	(void)state;
	assert_string_equal(esc("j\xc3\xa9r\xc3\xb4me", 8), "j\\c3\\a9r\\c3\\b4me");
	assert_string_equal(esc("a\r\nb", 4), "a\\0d\\0ab");
	assert_string_equal(esc("\xff", 1), "\\ff");
	assert_string_equal(esc("\x7f", 1), "\\7f");
	/* the rest of printable ASCII is left alone, '=' '&' '|' '!' included:
	 * inside a value they are plain characters */
	assert_string_equal(esc("a=b&c|!~><", 10), "a=b&c|!~><");
}

static void test_escape_never_truncates(void **state)
{
	char small[8];

	(void)state;
	assert_int_equal(directory_filter_escape(small, sizeof(small), "abcdefg", 7), 7);
	assert_string_equal(small, "abcdefg");
	assert_int_equal(directory_filter_escape(small, sizeof(small), "abcdefgh", 8), -1);
	assert_string_equal(small, "");
	/* "ab\2a" fits in 5 + NUL, "abc\2a" does not */
	assert_int_equal(directory_filter_escape(small, 6, "ab*", 3), 5);
	assert_int_equal(directory_filter_escape(small, 6, "abc*", 4), -1);
	assert_string_equal(small, "");
}

static void test_expand(void **state)
{
	char f[128];

	(void)state;
	assert_true(directory_filter_expand(f, sizeof(f), "(&(objectClass=person)(uid=%s))",
					    "*)(uid=*", 8, NULL) > 0);
	assert_string_equal(f, "(&(objectClass=person)(uid=\\2a\\29\\28uid=\\2a))");
	assert_true(directory_filter_expand(f, sizeof(f), "(|(uid=%s)(mail=%s))", "bob", 3,
					    NULL) > 0);
	assert_string_equal(f, "(|(uid=bob)(mail=bob))");
	assert_true(directory_filter_expand(f, sizeof(f), "(member=%d)", "bob", 3,
					    "uid=bob,ou=people,dc=example,dc=org") > 0);
	assert_string_equal(f, "(member=uid=bob,ou=people,dc=example,dc=org)");
	/* a DN's own escapes are escaped again for the filter */
	assert_true(directory_filter_expand(f, sizeof(f), "(member=%d)", "x", 1,
					    "cn=a\\2cb,dc=x") > 0);
	assert_string_equal(f, "(member=cn=a\\5c2cb,dc=x)");
	assert_true(directory_filter_expand(f, sizeof(f), "(cn=100%%)", "x", 1, NULL) > 0);
	assert_string_equal(f, "(cn=100%)");
	assert_int_equal(directory_filter_expand(f, 12, "(uid=%s)", "abcdefg", 7, NULL), -1);
	assert_string_equal(f, "");
	assert_int_equal(directory_filter_expand(f, sizeof(f), "(uid=%x)", "a", 1, NULL), -1);
}

static void test_template_check(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(directory_filter_check("(uid=%s)", err, sizeof(err)), 0);
	assert_int_equal(directory_filter_check("(&(a=b)(uid=%s))", err, sizeof(err)), 0);
	assert_int_equal(directory_filter_check("(cn=a\\29b)", err, sizeof(err)), 0);
	assert_int_equal(directory_filter_check("uid=%s", err, sizeof(err)), -1);
	assert_int_equal(directory_filter_check("(uid=%s", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "balance"));
	assert_int_equal(directory_filter_check("(uid=%s))", err, sizeof(err)), -1);
	assert_int_equal(directory_filter_check("(uid=%s)(x=y)", err, sizeof(err)), -1);
	assert_int_equal(directory_filter_check("(uid=%u)", err, sizeof(err)), -1);
	assert_int_equal(directory_filter_check("(uid=a\\", err, sizeof(err)), -1);
}

static const char *new_error(const char *text)
{
	static char err[512];
	struct config cfg;
	struct directory *d;

	assert_int_equal(config_parse(&cfg, "t", text, err, sizeof(err)), 0);
	d = directory_new(&cfg, err, sizeof(err));
	if (d) {
		directory_free(d);
		return "";
	}
	return err;
}

static void test_configuration_refused(void **state)
{
	static char pwfile[] = "/tmp/test_directory.XXXXXX";
	char text[512];
	int fd;

	(void)state;
	assert_string_equal(new_error("[ldap]\nuri = ldaps://ldap.example\nbase = dc=example\n"), "");
	assert_string_equal(new_error("[ldap]\nuri = ldap://a ldaps://b:636\nbase = dc=x\n"), "");
	assert_non_null(strstr(new_error("[ldap]\nbase = dc=example\n"), "no directory URI"));
	assert_non_null(strstr(new_error("[ldap]\nuri = http://x\nbase = dc=x\n"),
			       "ldaps:// or ldap://"));
	assert_non_null(strstr(new_error("[ldap]\nuri = ldaps://x\n"), "ldap.base"));
	assert_non_null(strstr(new_error("[ldap]\nuri = ldaps://x\nbase = dc=x\n"
					 "user_filter = (uid=bob)\n"), "%s"));
	assert_non_null(strstr(new_error("[ldap]\nuri = ldaps://x\nbase = dc=x\n"
					 "user_filter = (uid=%s\n"), "balance"));
	assert_non_null(strstr(new_error("[ldap]\nuri = ldaps://x\nbase = dc=x\n"
					 "bind_dn = cn=svc,dc=x\n"), "bind_password_file"));
	fd = mkstemp(pwfile);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	close(fd);
	snprintf(text, sizeof(text), "[ldap]\nuri = ldaps://x\nbase = dc=x\n"
		 "bind_dn = cn=svc,dc=x\nbind_password_file = %s\n", pwfile);
	assert_int_equal(chmod(pwfile, 0600), 0);
	assert_string_equal(new_error(text), "");
	assert_int_equal(chmod(pwfile, 0644), 0);
	assert_non_null(strstr(new_error(text), "chmod 600"));
	unlink(pwfile);
}

/* an empty password is refused before any connection: with one, a
 * directory would take the bind as unauthenticated and say success */
static void test_empty_password_never_sent(void **state)
{
	static char err[512];
	struct directory_result res;
	struct config cfg;
	struct directory *d;

	(void)state;
	/* a URI nothing listens on: an attempt to connect would answer
	 * "unreachable", not "wrong password" */
	assert_int_equal(config_parse(&cfg, "t", "[ldap]\nuri = ldaps://127.0.0.1:1\n"
				      "base = dc=x\ntimeout = 1s\n", err, sizeof(err)), 0);
	d = directory_new(&cfg, err, sizeof(err));
	assert_non_null(d);
	assert_int_equal(directory_check(d, "alice", "", 0, &res), DIRECTORY_WRONG_PASSWORD);
	assert_int_equal(directory_check(d, "alice", "x", 1, &res), DIRECTORY_UNREACHABLE);
	directory_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_the_special_octets),
		cmocka_unit_test(test_escape_non_ascii_and_controls),
		cmocka_unit_test(test_escape_never_truncates),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_template_check),
		cmocka_unit_test(test_configuration_refused),
		cmocka_unit_test(test_empty_password_never_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
