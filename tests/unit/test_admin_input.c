#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_input.h"
#include "store.h"

static json_t *obj(const char *text)
{
	return admin_input_object(text, strlen(text));
}

/* The field a user body is refused for, or "" when it is accepted. */
static const char *user_refusal(const char *text, enum admin_input_user_op op)
{
	static char field[32];
	struct admin_input_user u;
	struct admin_input_error err;
	json_t *j = obj(text);

	assert_non_null(j);
	field[0] = '\0';
	if (admin_input_user(j, op, &u, &err) < 0)
		snprintf(field, sizeof(field), "%s", err.field);
	json_decref(j);
	return field;
}

/* What a whitelist body gives: "CIDR|comment" when it is taken (the
 * comment "(none)" when absent), "!field rule" when it is refused. */
static const char *whitelist_result(const char *text)
{
	static char out[160];
	struct admin_input_error err;
	const char *comment = NULL;
	char canon[64];
	json_t *j = obj(text);

	assert_non_null(j);
	if (admin_input_whitelist(j, canon, sizeof(canon), &comment, &err) < 0)
		snprintf(out, sizeof(out), "!%s %s", err.field, err.rule);
	else
		snprintf(out, sizeof(out), "%s|%s", canon, comment ? comment : "(none)");
	json_decref(j);
	return out;
}

/* What a session-kick body gives: the canonical address, or "!field". */
static const char *session_result(const char *text)
{
	static char out[160];
	struct admin_input_error err;
	char canon[64];
	json_t *j = obj(text);

	assert_non_null(j);
	if (admin_input_session_addr(j, canon, sizeof(canon), &err) < 0)
		snprintf(out, sizeof(out), "!%s", err.field);
	else
		snprintf(out, sizeof(out), "%s", canon);
	json_decref(j);
	return out;
}

static void test_object(void **state)
{
	json_t *j;

	(void)state;
	assert_null(admin_input_object(NULL, 0));
	assert_null(obj(""));
	assert_null(obj("not json"));
	assert_null(obj("[1, 2]"));
	assert_null(obj("\"name\""));
	assert_null(obj("{\"name\": \"a\""));
	/* one reader taking the first "name" and another the last must not
	 * be possible */
	assert_null(obj("{\"name\": \"alice\", \"name\": \"admin\"}"));
	j = obj("{\"name\": \"alice\"}");
	assert_non_null(j);
	json_decref(j);
}

static void test_user_fields(void **state)
{
	struct admin_input_user u;
	struct admin_input_error err;
	json_t *j;
	char big[400];

	(void)state;
	j = obj("{\"name\": \"bob\", \"password\": \"p:w @x\", \"comment\": \"c\", "
		"\"enabled\": false, \"expires_at\": 1700000000}");
	assert_int_equal(admin_input_user(j, ADMIN_INPUT_USER_CREATE, &u, &err), 0);
	assert_string_equal(u.name, "bob");
	assert_int_equal(u.password_len, 6);
	assert_string_equal(u.comment, "c");
	assert_int_equal(u.enabled, 0);
	assert_int_equal(u.has_expires, 1);
	assert_int_equal(u.expires_at, 1700000000);
	json_decref(j);

	j = obj("{\"name\": \"bob\", \"expires_at\": null}");
	assert_int_equal(admin_input_user(j, ADMIN_INPUT_USER_UPDATE, &u, &err), 0);
	assert_null(u.password);
	assert_int_equal(u.enabled, -1);
	assert_int_equal(u.has_expires, 1);
	assert_int_equal(u.expires_at, 0);
	json_decref(j);

	assert_string_equal(user_refusal("{\"name\": \"bob\"}", ADMIN_INPUT_USER_CREATE), "password");
	assert_string_equal(user_refusal("{\"name\": \"bob\"}", ADMIN_INPUT_USER_DELETE), "");
	assert_string_equal(user_refusal("{}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": 7}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": \"\"}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": \"a:b\"}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": \"a\\nb\"}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": \"a\\u007fb\"}", ADMIN_INPUT_USER_DELETE), "name");
	assert_string_equal(user_refusal("{\"name\": \"b\", \"password\": \"\"}", ADMIN_INPUT_USER_UPDATE),
			    "password");
	assert_string_equal(user_refusal("{\"name\": \"b\", \"enabled\": \"no\"}", ADMIN_INPUT_USER_UPDATE),
			    "enabled");
	assert_string_equal(user_refusal("{\"name\": \"b\", \"expires_at\": -1}", ADMIN_INPUT_USER_UPDATE),
			    "expires_at");
	assert_string_equal(user_refusal("{\"name\": \"b\", \"expires_at\": 1.5}", ADMIN_INPUT_USER_UPDATE),
			    "expires_at");
	assert_string_equal(user_refusal("{\"name\": \"b\", \"comment\": []}", ADMIN_INPUT_USER_UPDATE),
			    "comment");
	memset(big, 'x', sizeof(big));
	snprintf(big, sizeof(big), "{\"name\": \"%0257d\"}", 0);
	assert_string_equal(user_refusal(big, ADMIN_INPUT_USER_DELETE), "name");
	snprintf(big, sizeof(big), "{\"name\": \"%0256d\"}", 0);
	assert_string_equal(user_refusal(big, ADMIN_INPUT_USER_DELETE), "");
	snprintf(big, sizeof(big), "{\"name\": \"b\", \"comment\": \"%0257d\"}", 0);
	assert_string_equal(user_refusal(big, ADMIN_INPUT_USER_UPDATE), "comment");
}

/* A JSON string may hold "\u0000"; the name the store and the gate see (a
 * C string) must be the name that was checked, so such a body is refused
 * whole. */
static void test_embedded_nul_refused(void **state)
{
	(void)state;
	assert_null(obj("{\"name\": \"alice\\u0000x\"}"));
	assert_null(obj("{\"name\": \"b\", \"password\": \"pw\\u0000rest\"}"));
	assert_null(obj("{\"username\": \"admin\\u0000\", \"password\": \"x\"}"));
}

/* The field a login body is refused for, or "" when it is accepted. */
static const char *login_refusal(const char *text)
{
	static char field[32];
	struct admin_input_login l;
	struct admin_input_error err;
	json_t *j = obj(text);

	assert_non_null(j);
	field[0] = '\0';
	if (admin_input_login(j, &l, &err) < 0) {
		assert_non_null(err.rule);
		snprintf(field, sizeof(field), "%s", err.field);
	}
	json_decref(j);
	return field;
}

static void test_login(void **state)
{
	struct admin_input_login l;
	struct admin_input_error err;
	json_t *j;
	char big[1200];

	(void)state;
	j = obj("{\"username\": \"admin\", \"password\": \"s3cret:x\"}");
	assert_int_equal(admin_input_login(j, &l, &err), 0);
	assert_string_equal(l.username, "admin");
	assert_int_equal(l.password_len, 8);
	json_decref(j);
	/* the 400 names what is wrong */
	assert_string_equal(login_refusal("{\"username\": \"admin\"}"), "password");
	assert_string_equal(login_refusal("{\"password\": \"x\"}"), "username");
	assert_string_equal(login_refusal("{}"), "username");
	assert_string_equal(login_refusal("{\"username\": 1, \"password\": \"x\"}"), "username");
	assert_string_equal(login_refusal("{\"username\": \"a\", \"password\": null}"), "password");
	assert_string_equal(login_refusal("{\"username\": \"a\", \"password\": \"x\", \"remember\": true}"),
			    "remember");
	snprintf(big, sizeof(big), "{\"username\": \"%0257d\", \"password\": \"x\"}", 0);
	assert_string_equal(login_refusal(big), "username");
	snprintf(big, sizeof(big), "{\"username\": \"%0256d\", \"password\": \"x\"}", 0);
	assert_string_equal(login_refusal(big), "");
	snprintf(big, sizeof(big), "{\"username\": \"a\", \"password\": \"%01025d\"}", 0);
	assert_string_equal(login_refusal(big), "password");
	snprintf(big, sizeof(big), "{\"username\": \"a\", \"password\": \"%01024d\"}", 0);
	assert_string_equal(login_refusal(big), "");
	/* an empty name is a failed login to audit, not a malformed body */
	assert_string_equal(login_refusal("{\"username\": \"\", \"password\": \"x\"}"), "");
}

/* A key the route does not take is refused by name: a misspelt "enable"
 * used to be ignored and answer 200 with nothing changed. */
static void test_unknown_fields(void **state)
{
	(void)state;
	assert_string_equal(user_refusal("{\"name\": \"bob\", \"enable\": false}", ADMIN_INPUT_USER_UPDATE),
			    "enable");
	assert_string_equal(user_refusal("{\"name\": \"bob\", \"password\": \"pw\", \"expires\": 0}",
					 ADMIN_INPUT_USER_CREATE), "expires");
	/* the unknown key is named even when a known field is bad too */
	assert_string_equal(user_refusal("{\"name\": \"a:b\", \"Enabled\": true}", ADMIN_INPUT_USER_UPDATE),
			    "Enabled");
	/* delete takes a name and a comment (the reason, for the admin log) */
	assert_string_equal(user_refusal("{\"name\": \"bob\", \"comment\": \"left\"}", ADMIN_INPUT_USER_DELETE),
			    "");
	assert_string_equal(user_refusal("{\"name\": \"bob\", \"enabled\": false}", ADMIN_INPUT_USER_DELETE),
			    "enabled");
	assert_string_equal(user_refusal("{\"name\": \"bob\", \"password\": \"x\"}", ADMIN_INPUT_USER_DELETE),
			    "password");
	/* every field the routes document is still taken */
	assert_string_equal(user_refusal("{\"name\": \"b\", \"password\": \"p\", \"comment\": \"c\", "
					 "\"enabled\": true, \"expires_at\": 0}", ADMIN_INPUT_USER_UPDATE), "");

	assert_int_equal(strncmp(whitelist_result("{\"cidr\": \"192.0.2.0/24\", \"note\": \"x\"}"),
				 "!note unknown", 13), 0);
	assert_string_equal(session_result("{\"addr\": \"10.0.0.7\", \"mac\": \"02:00:00:00:00:07\"}"), "!mac");
	/* the key handed back is the client's, whatever it holds */
	assert_string_equal(session_result("{\"addr\": \"10.0.0.7\", \"\\u00e9\\\"<x>\": 1}"),
			    "!\xc3\xa9\"<x>");
}

static void test_whitelist_and_session(void **state)
{
	(void)state;
	assert_string_equal(whitelist_result("{\"cidr\": \"192.0.2.0/24\", \"comment\": \"printers\"}"),
			    "192.0.2.0/24|printers");
	/* host bits set: refused, not silently cut to the network */
	assert_int_equal(strncmp(whitelist_result("{\"cidr\": \"192.0.2.1/24\"}"), "!cidr ", 6), 0);
	assert_int_equal(strncmp(whitelist_result("{\"cidr\": \"2001:db8::/32\", \"comment\": 5}"),
				 "!comment ", 9), 0);
	assert_string_equal(whitelist_result("{\"cidr\": \"2001:db8::/32\"}"), "2001:db8::/32|(none)");

	assert_string_equal(session_result("{\"addr\": \"::ffff:10.0.0.7\"}"), "10.0.0.7");
	assert_string_equal(session_result("{\"addr\": \"fd00:201::2\"}"), "fd00:201::2");
	/* regression: a prefix used to be cut to its network address and
	 * kick the session of "10.0.0.0" */
	assert_string_equal(session_result("{\"addr\": \"10.0.0.0/8\"}"), "!addr");
}

/* DNS rebinding: the panel answers for IP literals, localhost and its
 * configured names only, whatever port the Host header carries. */
static void test_host(void **state)
{
	static const char names[] = "gw.example.org,panel.lan";
	static const struct {
		const char *host;
		enum admin_input_host want;
	} cases[] = {
		{ "127.0.0.1", ADMIN_INPUT_HOST_OURS },
		{ "127.0.0.1:8080", ADMIN_INPUT_HOST_OURS },
		{ "192.0.2.7:", ADMIN_INPUT_HOST_OURS },
		{ "[::1]", ADMIN_INPUT_HOST_OURS },
		{ "[::1]:8080", ADMIN_INPUT_HOST_OURS },
		{ "[fd00:201::1]:8080", ADMIN_INPUT_HOST_OURS },
		{ "[::ffff:127.0.0.1]", ADMIN_INPUT_HOST_OURS },
		{ "localhost", ADMIN_INPUT_HOST_OURS },
		{ "LocalHost:8080", ADMIN_INPUT_HOST_OURS },
		{ "localhost.", ADMIN_INPUT_HOST_OURS },
		{ "gw.example.org", ADMIN_INPUT_HOST_OURS },
		{ "GW.Example.ORG.:443", ADMIN_INPUT_HOST_OURS },
		{ "panel.lan:8080", ADMIN_INPUT_HOST_OURS },
		/* names of other sites, and what only looks like ours */
		{ "evil.example", ADMIN_INPUT_HOST_OTHER },
		{ "evil.example:8080", ADMIN_INPUT_HOST_OTHER },
		{ "gw.example.org.evil.example", ADMIN_INPUT_HOST_OTHER },
		{ "example.org", ADMIN_INPUT_HOST_OTHER },
		{ "w.example.org", ADMIN_INPUT_HOST_OTHER },
		{ "panel", ADMIN_INPUT_HOST_OTHER },
		{ "panel.la", ADMIN_INPUT_HOST_OTHER },
		{ "localhost.evil.example", ADMIN_INPUT_HOST_OTHER },
		{ "evil.localhost", ADMIN_INPUT_HOST_OTHER },
		/* not an IPv4 literal to inet_pton, so a name, and not ours */
		{ "127.1", ADMIN_INPUT_HOST_OTHER },
		{ "0x7f000001", ADMIN_INPUT_HOST_OTHER },
		{ "127.0.0.1.", ADMIN_INPUT_HOST_OTHER },
		/* not host[:port] at all */
		{ NULL, ADMIN_INPUT_HOST_INVALID },
		{ "", ADMIN_INPUT_HOST_INVALID },
		{ ":8080", ADMIN_INPUT_HOST_INVALID },
		{ ".", ADMIN_INPUT_HOST_INVALID },
		{ "localhost:80:80", ADMIN_INPUT_HOST_INVALID },
		{ "localhost:http", ADMIN_INPUT_HOST_INVALID },
		{ "localhost:123456", ADMIN_INPUT_HOST_INVALID },
		{ "localhost evil", ADMIN_INPUT_HOST_INVALID },
		{ "user@localhost", ADMIN_INPUT_HOST_INVALID },
		{ "localhost/x", ADMIN_INPUT_HOST_INVALID },
		{ "::1", ADMIN_INPUT_HOST_INVALID },
		{ "[::1", ADMIN_INPUT_HOST_INVALID },
		{ "[]", ADMIN_INPUT_HOST_INVALID },
		{ "[evil.example]", ADMIN_INPUT_HOST_INVALID },
		{ "[127.0.0.1]", ADMIN_INPUT_HOST_INVALID },
		{ "[::1]x", ADMIN_INPUT_HOST_INVALID },
		{ "[fe80::1%25eth0]", ADMIN_INPUT_HOST_INVALID },
	};
	char longname[400];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum admin_input_host got = admin_input_host(cases[i].host, names);

		if (got != cases[i].want)
			fail_msg("Host '%s': got %d, expected %d", cases[i].host ? cases[i].host : "(none)",
				 (int)got, (int)cases[i].want);
	}
	/* no names configured: literals and localhost only */
	assert_int_equal(admin_input_host("gw.example.org", ""), ADMIN_INPUT_HOST_OTHER);
	assert_int_equal(admin_input_host("localhost:8080", ""), ADMIN_INPUT_HOST_OURS);
	assert_int_equal(admin_input_host("10.0.0.1", ""), ADMIN_INPUT_HOST_OURS);
	/* a name longer than any DNS name is refused, not cut to one that matches */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(admin_input_host(longname, ""), ADMIN_INPUT_HOST_INVALID);
	memcpy(longname + sizeof(longname) - 10, "localhost", 10);
	assert_int_equal(admin_input_host(longname + sizeof(longname) - 10, ""), ADMIN_INPUT_HOST_OURS);
	assert_int_equal(admin_input_host(longname, ""), ADMIN_INPUT_HOST_INVALID);
}

/* The field a terms body is refused for, or "" when it is accepted. */
static const char *terms_refusal(const char *text)
{
	static char field[32];
	struct admin_input_error err;
	const char *t;
	json_t *j = obj(text);

	assert_non_null(j);
	field[0] = '\0';
	if (admin_input_terms(j, &t, &err) < 0)
		snprintf(field, sizeof(field), "%s", err.field);
	json_decref(j);
	return field;
}

static void test_terms(void **state)
{
	char *big = malloc(STORE_TERMS_MAX + 32);

	(void)state;
	assert_string_equal(terms_refusal("{\"text\":\"Be kind.\\nTabs\\tand CRLF\\r\\n ok\"}"), "");
	/* markup is text the portal escapes, not refused */
	assert_string_equal(terms_refusal("{\"text\":\"<script>x</script>\"}"), "");
	assert_string_equal(terms_refusal("{\"text\":\"\"}"), "");
	assert_string_equal(terms_refusal("{}"), "text");
	assert_string_equal(terms_refusal("{\"text\":1}"), "text");
	/* a NUL never gets this far: the body is not taken as JSON */
	assert_null(obj("{\"text\":\"a\\u0000b\"}"));
	assert_string_equal(terms_refusal("{\"text\":\"bell\\u0007\"}"), "text");
	assert_string_equal(terms_refusal("{\"text\":\"del\\u007f\"}"), "text");
	assert_string_equal(terms_refusal("{\"text\":\"x\",\"html\":true}"), "html");
	/* the bound, in bytes */
	strcpy(big, "{\"text\":\"");
	memset(big + 9, 'x', STORE_TERMS_MAX);
	strcpy(big + 9 + STORE_TERMS_MAX, "\"}");
	assert_string_equal(terms_refusal(big), "");
	strcpy(big + 9 + STORE_TERMS_MAX, "x\"}");
	assert_string_equal(terms_refusal(big), "text");
	free(big);
}

/* quota sizes: decimal and binary units, none; garbage and overflow refused */
static void test_bytes(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(admin_input_bytes("5MB", &v), 0);
	assert_true(v == 5000000);
	assert_int_equal(admin_input_bytes("5M", &v), 0);
	assert_true(v == 5000000);
	assert_int_equal(admin_input_bytes("1GiB", &v), 0);
	assert_true(v == 1073741824);
	assert_int_equal(admin_input_bytes("500k", &v), 0);
	assert_true(v == 500000);
	assert_int_equal(admin_input_bytes("12345", &v), 0);
	assert_true(v == 12345);
	assert_int_equal(admin_input_bytes("none", &v), 0);
	assert_true(v == 0);
	assert_int_equal(admin_input_bytes("0", &v), 0);
	assert_true(v == 0);
	v = 7;
	assert_int_equal(admin_input_bytes("", &v), -1);
	assert_int_equal(admin_input_bytes("-5MB", &v), -1);
	assert_int_equal(admin_input_bytes("5 MB", &v), -1);
	assert_int_equal(admin_input_bytes("5mb", &v), -1);
	assert_int_equal(admin_input_bytes("5XB", &v), -1);
	assert_int_equal(admin_input_bytes("9223372036854775807", &v), 0);
	assert_int_equal(admin_input_bytes("9223372036854775808", &v), -1);
	assert_int_equal(admin_input_bytes("10000000TiB", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_user_fields),
		cmocka_unit_test(test_embedded_nul_refused),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_whitelist_and_session),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_terms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
