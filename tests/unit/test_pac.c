#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pac.h"

static char out[PAC_MAX];

static void test_proxy_and_direct_ranges(void **state)
{
	struct cidr extra[2];
	long n;

	(void)state;
	assert_int_equal(cidr_parse("198.51.100.0/24", &extra[0]), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &extra[1]), 0);
	n = pac_build(out, sizeof(out), "10.0.0.1:3128", extra, 2);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_non_null(strstr(out, "function FindProxyForURL(url, host)"));
	assert_non_null(strstr(out, "return \"PROXY 10.0.0.1:3128\";"));
	assert_non_null(strstr(out, "isInNet(host, \"192.168.0.0\", \"255.255.0.0\")"));
	assert_non_null(strstr(out, "isInNet(host, \"172.16.0.0\", \"255.240.0.0\")"));
	assert_non_null(strstr(out, "isInNet(host, \"198.51.100.0\", \"255.255.255.0\")"));
	assert_non_null(strstr(out, "isPlainHostName(host)"));
	/* isInNet is IPv4 only: the v6 range is left out */
	assert_null(strstr(out, "2001:db8"));
	/* no DNS lookups in the generated script */
	assert_null(strstr(out, "dnsResolve"));
}

static void test_names_and_v6_proxies(void **state)
{
	(void)state;
	assert_true(pac_build(out, sizeof(out), "proxy.lan:8080", NULL, 0) > 0);
	assert_non_null(strstr(out, "PROXY proxy.lan:8080"));
	assert_true(pac_build(out, sizeof(out), "[fd00::1]:3128", NULL, 0) > 0);
	assert_non_null(strstr(out, "PROXY [fd00::1]:3128"));
}

static void test_refuses_script_injection(void **state)
{
	(void)state;
	assert_int_equal(pac_build(out, sizeof(out), "x\"; alert(1); \"y:3128", NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "host:31x8", NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "host", NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), ":3128", NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "[fd00::1;]:3128", NULL, 0), -1);
}

static void test_small_buffer(void **state)
{
	(void)state;
	assert_int_equal(pac_build(out, 64, "10.0.0.1:3128", NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_and_direct_ranges),
		cmocka_unit_test(test_names_and_v6_proxies),
		cmocka_unit_test(test_refuses_script_injection),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
