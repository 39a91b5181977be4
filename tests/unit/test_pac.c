#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "pac.h"

static char out[PAC_MAX];

/* with the TLS listener: HTTPS first, the plain proxy after it */
static void test_https_proxy_first(void **state)
{
	(void)state;
	assert_true(pac_build(out, sizeof(out), "10.0.0.1:3128", "10.0.0.1:3129", NULL, 0) > 0);
	assert_non_null(strstr(out, "return \"HTTPS 10.0.0.1:3129; PROXY 10.0.0.1:3128\";"));
	assert_true(pac_build(out, sizeof(out), "10.0.0.1:3128", "", NULL, 0) > 0);
	assert_null(strstr(out, "HTTPS"));
	assert_int_equal(pac_build(out, sizeof(out), "10.0.0.1:3128", "x\"; y:3129", NULL, 0), -1);
}

static void test_proxy_and_direct_ranges(void **state)
{
	struct cidr extra[2];
	long n;

	(void)state;
	assert_int_equal(cidr_parse("198.51.100.0/24", &extra[0]), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &extra[1]), 0);
	n = pac_build(out, sizeof(out), "10.0.0.1:3128", NULL, extra, 2);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_non_null(strstr(out, "function FindProxyForURL(url, host)"));
	assert_non_null(strstr(out, "return \"PROXY 10.0.0.1:3128\";"));
	assert_non_null(strstr(out, "isInNet(host, \"198.51.100.0\", \"255.255.255.0\")"));
	/* loopback and link-local always (the proxy refuses them) */
	assert_non_null(strstr(out, "isInNet(host, \"127.0.0.0\", \"255.0.0.0\")"));
	assert_non_null(strstr(out, "isInNet(host, \"169.254.0.0\", \"255.255.0.0\")"));
	/* no private range that was not given: servers there may lie beyond
	 * the gateway, reachable only through the proxy */
	assert_null(strstr(out, "192.168.0.0"));
	assert_null(strstr(out, "172.16.0.0"));
	assert_null(strstr(out, "\"10.0.0.0\""));
	assert_non_null(strstr(out, "isPlainHostName(host)"));
	/* isInNet is IPv4 only: the v6 range is left out */
	assert_null(strstr(out, "2001:db8"));
	/* no DNS lookups in the generated script */
	assert_null(strstr(out, "dnsResolve"));
}

static void test_names_and_v6_proxies(void **state)
{
	(void)state;
	assert_true(pac_build(out, sizeof(out), "proxy.lan:8080", NULL, NULL, 0) > 0);
	assert_non_null(strstr(out, "PROXY proxy.lan:8080"));
	assert_true(pac_build(out, sizeof(out), "[fd00::1]:3128", NULL, NULL, 0) > 0);
	assert_non_null(strstr(out, "PROXY [fd00::1]:3128"));
}

static void test_refuses_script_injection(void **state)
{
	(void)state;
	assert_int_equal(pac_build(out, sizeof(out), "x\"; alert(1); \"y:3128", NULL, NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "host:31x8", NULL, NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "host", NULL, NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), ":3128", NULL, NULL, 0), -1);
	assert_int_equal(pac_build(out, sizeof(out), "[fd00::1;]:3128", NULL, NULL, 0), -1);
}

static void test_small_buffer(void **state)
{
	(void)state;
	assert_int_equal(pac_build(out, 64, "10.0.0.1:3128", NULL, NULL, 0), -1);
}

/* a fake getifaddrs list: lo, the LAN (lan0: 192.168.10.1/24 and
 * fd00:10::1/64 and a link-local), the WAN (wan0: 203.0.113.7/24) */
struct fake_if {
	struct ifaddrs ifa;
	struct sockaddr_storage addr, mask;
};

static void fake_set(struct fake_if *f, struct fake_if *next, const char *name, const char *addr,
		     const char *mask)
{
	memset(f, 0, sizeof(*f));
	f->ifa.ifa_name = (char *)name;
	f->ifa.ifa_next = next ? &next->ifa : NULL;
	f->ifa.ifa_addr = (struct sockaddr *)&f->addr;
	f->ifa.ifa_netmask = (struct sockaddr *)&f->mask;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&f->addr, *m = (struct sockaddr_in6 *)&f->mask;

		a->sin6_family = m->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
		assert_int_equal(inet_pton(AF_INET6, mask, &m->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&f->addr, *m = (struct sockaddr_in *)&f->mask;

		a->sin_family = m->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
		assert_int_equal(inet_pton(AF_INET, mask, &m->sin_addr), 1);
	}
}

static struct fake_if ifs[6];

static void fake_interfaces(void)
{
	fake_set(&ifs[0], &ifs[1], "lo", "127.0.0.1", "255.0.0.0");
	fake_set(&ifs[1], &ifs[2], "lan0", "192.168.10.1", "255.255.255.0");
	fake_set(&ifs[2], &ifs[3], "lan0", "fd00:10::1", "ffff:ffff:ffff:ffff::");
	fake_set(&ifs[3], &ifs[4], "lan0", "fe80::1", "ffff:ffff:ffff:ffff::");
	fake_set(&ifs[4], &ifs[5], "wan0", "203.0.113.7", "255.255.255.0");
	fake_set(&ifs[5], NULL, "lan0", "192.168.10.2", "255.255.255.0");
}

static void sockaddr_of(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
	}
}

static void test_lan_prefixes_of_the_listen_addresses(void **state)
{
	struct sockaddr_storage l4, l6;
	const struct sockaddr *listen[2] = { (struct sockaddr *)&l4, (struct sockaddr *)&l6 };
	struct cidr got[8];
	char text[64];
	size_t n;

	(void)state;
	fake_interfaces();
	sockaddr_of("192.168.10.1", 3128, &l4);
	sockaddr_of("fd00:10::1", 3128, &l6);
	n = pac_lan_prefixes(&ifs[0].ifa, listen, 2, NULL, got, 8);
	/* the listen addresses' prefixes, not the WAN's, nor loopback */
	assert_int_equal(n, 2);
	assert_string_equal(cidr_format(&got[0], text, sizeof(text)), "192.168.10.0/24");
	assert_string_equal(cidr_format(&got[1], text, sizeof(text)), "fd00:10::/64");
	/* and so the PAC sends the LAN direct, the rest to the proxy */
	assert_true(pac_build(out, sizeof(out), "192.168.10.1:3128", NULL, got, n) > 0);
	assert_non_null(strstr(out, "isInNet(host, \"192.168.10.0\", \"255.255.255.0\")"));
	assert_null(strstr(out, "203.0.113"));
}

static void test_lan_prefixes_of_the_lan_interface(void **state)
{
	struct sockaddr_storage any;
	const struct sockaddr *listen[1] = { (struct sockaddr *)&any };
	struct cidr got[8];
	char text[64];
	size_t n;

	(void)state;
	fake_interfaces();
	/* a wildcard listen address names no LAN */
	sockaddr_of("0.0.0.0", 3128, &any);
	assert_int_equal(pac_lan_prefixes(&ifs[0].ifa, listen, 1, NULL, got, 8), 0);
	assert_int_equal(pac_lan_prefixes(&ifs[0].ifa, listen, 1, "", got, 8), 0);
	/* the intercept interface's: each prefix once, no link-local */
	n = pac_lan_prefixes(&ifs[0].ifa, listen, 1, "lan0", got, 8);
	assert_int_equal(n, 2);
	assert_string_equal(cidr_format(&got[0], text, sizeof(text)), "192.168.10.0/24");
	assert_string_equal(cidr_format(&got[1], text, sizeof(text)), "fd00:10::/64");
	/* bounded by max */
	assert_int_equal(pac_lan_prefixes(&ifs[0].ifa, listen, 1, "lan0", got, 1), 1);
	assert_int_equal(pac_lan_prefixes(NULL, listen, 1, "lan0", got, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_and_direct_ranges),
		cmocka_unit_test(test_https_proxy_first),
		cmocka_unit_test(test_names_and_v6_proxies),
		cmocka_unit_test(test_refuses_script_injection),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_lan_prefixes_of_the_listen_addresses),
		cmocka_unit_test(test_lan_prefixes_of_the_lan_interface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
