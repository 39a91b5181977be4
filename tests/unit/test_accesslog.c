#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "accesslog.h"

static struct sockaddr_in client(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };

	inet_pton(AF_INET, "10.201.0.2", &sin.sin_addr);
	return sin;
}

static void test_squid_native_line(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1732451234567, .duration_ms = 12,
		.client = (struct sockaddr *)&sin, .tag = "TCP_MISS", .status = 200,
		.bytes = 1270, .method = "GET", .method_len = 3,
		.url = "http://10.202.0.2/1k", .url_len = 20, .user = "alice",
		.hierarchy = "HIER_DIRECT", .peer = "10.202.0.2",
		.content_type = "text/html", .content_type_len = 9,
	};
	char line[1024];

	(void)state;
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_string_equal(line, "1732451234.567     12 10.201.0.2 TCP_MISS/200 1270 GET "
			    "http://10.202.0.2/1k alice HIER_DIRECT/10.202.0.2 text/html\n");
}

static void test_empty_fields_are_dashes(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin, .tag = "TCP_DENIED",
		.status = 407, .bytes = 300, .method = "GET", .method_len = 3,
		.url = "http://a/", .url_len = 9, .hierarchy = "HIER_NONE",
	};
	char line[1024];

	(void)state;
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_string_equal(line, "1.000      0 10.201.0.2 TCP_DENIED/407 300 GET http://a/ - HIER_NONE/- -\n");
}

/* A username is whatever the client sent: it must not add fields or lines. */
static void test_hostile_user_is_escaped(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin, .tag = "TCP_DENIED",
		.status = 407, .method = "GET", .method_len = 3, .url = "http://a/", .url_len = 9,
		.user = "eve x\n1.000 0 6.6.6.6 TCP_MISS/200%", .hierarchy = "HIER_NONE",
	};
	char line[1024];
	int n;

	(void)state;
	n = accesslog_format(line, sizeof(line), &e);
	assert_true(n > 0);
	assert_non_null(strstr(line, " eve%20x%0A1.000%200%206.6.6.6%20TCP_MISS/200%25 "));
	assert_int_equal(strchr(line, '\n') - line, n - 1);
}

static void test_ipv6_client(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin6, .tag = "TCP_TUNNEL",
		.status = 200, .method = "CONNECT", .method_len = 7,
		.url = "10.202.0.2:443", .url_len = 14, .user = "bob", .hierarchy = "HIER_DIRECT",
		.peer = "10.202.0.2",
	};
	char line[1024];

	(void)state;
	inet_pton(AF_INET6, "fd00:201::2", &sin6.sin6_addr);
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_non_null(strstr(line, " fd00:201::2 TCP_TUNNEL/200 0 CONNECT 10.202.0.2:443 bob HIER_DIRECT/10.202.0.2 -\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_squid_native_line),
		cmocka_unit_test(test_empty_fields_are_dashes),
		cmocka_unit_test(test_hostile_user_is_escaped),
		cmocka_unit_test(test_ipv6_client),
	};

	return cmocka_run_group_tests_name("accesslog", tests, NULL, NULL);
}
