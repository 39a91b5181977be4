#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cidr.h"

static struct sockaddr_storage v4(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	return ss;
}

static int match(const char *cidr, const struct sockaddr_storage *ss)
{
	struct cidr c;

	if (cidr_parse(cidr, &c) != 0)
		fail_msg("cannot parse %s", cidr);
	return cidr_match(&c, (const struct sockaddr *)ss);
}

static void test_parse_v4(void **state)
{
	static const uint8_t ten[4] = { 10, 0, 0, 0 };
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	assert_memory_equal(c.addr, ten, 4);

	assert_int_equal(cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("192.0.2.7/32", &c), 0);
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.prefix, 0);
}

static void test_parse_v6(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("2001:db8::/32", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(c.addr[0], 0x20);
	assert_int_equal(c.addr[3], 0xb8);
	assert_int_equal(cidr_parse("2001:db8::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(cidr_parse("::/0", &c), 0);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(cidr_parse("fe80::/10", &c), 0);

	/* a v4-mapped prefix is kept as the IPv4 prefix it means */
	assert_int_equal(cidr_parse("::ffff:10.0.0.0/104", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(c.addr[0], 10);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/8 ", " 10.0.0.0/8",
		"10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.0/8x", "10.0.0.0/4294967304",
		"10.0.0.1/8",              /* host bits set */
		"11.0.0.0/7",
		"192.0.2.1/31",
		"2001:db8::1/64",
		"2001:db9::/31",
		"::1/0",
		"2001:db8::/129",
		"10.1", "10.0.0", "256.0.0.0", "010.0.0.0", "1.2.3.4.5", "0x0a000000",
		"fe80::1%eth0", "fe80::1%eth0/128", "2001:db8:::1", "gggg::",
		"localhost", "10.0.0.0\n",
		"2001:db8:0:0:0:0:0:0:0/128",
		"012345678901234567890123456789012345678901234567890123456789::/0",
	};
	struct cidr c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_match_v4(void **state)
{
	struct sockaddr_storage a = v4("10.1.2.3", 80), b = v4("11.0.0.1", 80);
	struct sockaddr_storage c = v4("192.168.1.130", 1);

	(void)state;
	assert_true(match("10.0.0.0/8", &a));
	assert_false(match("10.0.0.0/8", &b));
	assert_true(match("10.1.2.3/32", &a));
	assert_true(match("10.1.2.3", &a));
	assert_false(match("10.1.2.4", &a));
	assert_true(match("0.0.0.0/0", &a));
	assert_true(match("0.0.0.0/0", &b));
	/* a prefix that ends inside a byte */
	assert_true(match("192.168.1.128/25", &c));
	assert_false(match("192.168.1.0/25", &c));
	assert_true(match("192.168.1.128/26", &c));
	assert_true(match("192.168.1.130/31", &c));
	assert_false(match("192.168.1.128/31", &c));
	assert_false(match("192.168.1.132/30", &c));
	assert_true(match("192.168.1.128/30", &c));
	/* v6 prefixes never match v4 clients, not even ::/0 */
	assert_false(match("::/0", &a));
}

static void test_match_v6(void **state)
{
	struct sockaddr_storage a = v6("2001:db8:1234::42", 443);
	struct sockaddr_storage b = v6("2001:db9::1", 443);
	struct sockaddr_storage lo = v6("::1", 1);

	(void)state;
	assert_true(match("2001:db8::/32", &a));
	assert_false(match("2001:db8::/32", &b));
	assert_true(match("2001:db8:1234::/48", &a));
	assert_false(match("2001:db8:1235::/48", &a));
	assert_true(match("2001:db8:1234::42/128", &a));
	assert_false(match("2001:db8:1234::43/128", &a));
	assert_true(match("2001:db8::/31", &b));
	assert_false(match("2001:dba::/31", &b));
	assert_true(match("2001:db8::/30", &b));
	assert_true(match("::/0", &a));
	assert_true(match("::1", &lo));
	assert_false(match("0.0.0.0/0", &a));
}

/* A dual-stack listener sees v4 clients as ::ffff:a.b.c.d: a v4 rule must
 * still apply, and a v6 rule must not catch them by accident. */
static void test_match_mapped(void **state)
{
	struct sockaddr_storage m = v6("::ffff:10.1.2.3", 3128);
	struct sockaddr_storage other = v6("::ffff:172.16.0.1", 3128);
	struct cidr list[3];

	(void)state;
	assert_true(match("10.0.0.0/8", &m));
	assert_true(match("10.1.2.3", &m));
	assert_false(match("10.0.0.0/8", &other));
	assert_true(match("0.0.0.0/0", &m));
	assert_false(match("::/0", &m));
	assert_true(match("::ffff:10.0.0.0/104", &m));
	assert_false(match("::ffff:10.0.0.0/104", &(struct sockaddr_storage){ 0 }));

	assert_int_equal(cidr_parse("192.0.2.0/24", &list[0]), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &list[1]), 0);
	assert_int_equal(cidr_parse("10.0.0.0/8", &list[2]), 0);
	assert_true(cidr_match_any(list, 3, (const struct sockaddr *)&m));
	assert_false(cidr_match_any(list, 2, (const struct sockaddr *)&m));
	assert_false(cidr_match_any(list, 0, (const struct sockaddr *)&m));
	assert_false(cidr_match_any(list, 3, (const struct sockaddr *)&other));
}

static void test_format_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "192.0.2.7", "192.0.2.7/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:0DB8:0000::/32", "2001:db8::/32" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128" },
		{ "::/0", "::/0" },
		{ "::ffff:192.0.2.0/120", "192.0.2.0/24" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	};
	char buf[64], small[10];
	struct cidr c, again;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cidr_parse(cases[i].in, &c), 0);
		assert_ptr_equal(cidr_format(&c, buf, sizeof(buf)), buf);
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(cidr_parse(buf, &again), 0);
		assert_int_equal(again.family, c.family);
		assert_int_equal(again.prefix, c.prefix);
		assert_memory_equal(again.addr, c.addr, 16);
	}
	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_null(cidr_format(&c, small, 10));       /* "10.0.0.0/8" needs 11 */
	assert_string_equal(small, "");
	assert_non_null(cidr_format(&c, buf, 11));
}

static void test_addr_text_port(void **state)
{
	struct sockaddr_storage a = v4("192.0.2.1", 8080);
	struct sockaddr_storage b = v6("2001:db8::1", 443);
	struct sockaddr_storage m = v6("::ffff:192.0.2.9", 3128);
	struct sockaddr_storage u;
	char buf[46], tiny[4];

	(void)state;
	assert_string_equal(cidr_addr_text((struct sockaddr *)&a, buf, sizeof(buf)),
			    "192.0.2.1");
	assert_string_equal(cidr_addr_text((struct sockaddr *)&b, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_string_equal(cidr_addr_text((struct sockaddr *)&m, buf, sizeof(buf)),
			    "192.0.2.9");
	assert_int_equal(cidr_addr_port((struct sockaddr *)&a), 8080);
	assert_int_equal(cidr_addr_port((struct sockaddr *)&b), 443);
	assert_int_equal(cidr_addr_port((struct sockaddr *)&m), 3128);

	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_string_equal(cidr_addr_text((struct sockaddr *)&u, buf, sizeof(buf)), "");
	assert_int_equal(cidr_addr_port((struct sockaddr *)&u), 0);
	assert_string_equal(cidr_addr_text((struct sockaddr *)&a, tiny, sizeof(tiny)), "");
}

/* the key per-address limits count a client under: an IPv6 host that
 * takes a new address in its /64 for every attempt is still one client */
static void test_client_key(void **state)
{
	struct sockaddr_storage a = v4("192.0.2.1", 1), a2 = v4("192.0.2.2", 1);
	struct sockaddr_storage b = v6("fd00:201::101", 1), b2 = v6("fd00:201::1e:ffff:1", 2);
	struct sockaddr_storage other64 = v6("fd00:201:0:1::101", 1);
	struct sockaddr_storage m = v6("::ffff:192.0.2.9", 3128);
	struct sockaddr_storage u;
	struct cidr k, k2;
	char buf[64], tiny[8];

	(void)state;
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&a, buf, sizeof(buf)),
			    "192.0.2.1");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&a2, buf, sizeof(buf)),
			    "192.0.2.2");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&b, buf, sizeof(buf)),
			    "fd00:201::/64");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&b2, buf, sizeof(buf)),
			    "fd00:201::/64");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&other64, buf, sizeof(buf)),
			    "fd00:201:0:1::/64");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&m, buf, sizeof(buf)),
			    "192.0.2.9");

	assert_int_equal(cidr_client_key((struct sockaddr *)&b, &k), 0);
	assert_int_equal(cidr_client_key((struct sockaddr *)&b2, &k2), 0);
	assert_int_equal(k.family, AF_INET6);
	assert_int_equal(k.prefix, 64);
	assert_memory_equal(k.addr, k2.addr, 16);
	assert_int_equal(cidr_match(&k, (struct sockaddr *)&b2), 1);
	assert_int_equal(cidr_match(&k, (struct sockaddr *)&other64), 0);
	assert_int_equal(cidr_client_key((struct sockaddr *)&m, &k), 0);
	assert_int_equal(k.family, AF_INET);
	assert_int_equal(k.prefix, 32);

	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_int_equal(cidr_client_key((struct sockaddr *)&u, &k), -1);
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&u, buf, sizeof(buf)), "");
	assert_string_equal(cidr_client_key_text((struct sockaddr *)&b, tiny, sizeof(tiny)), "");
}

/* the one-address prefix of a socket address, as the destination policy
 * keeps this host's addresses */
static void test_from_addr(void **state)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 }, mapped = { .sin6_family = AF_INET6 };
	struct sockaddr other = { .sa_family = AF_UNIX };
	struct cidr c;
	char buf[64];

	(void)state;
	inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
	assert_int_equal(cidr_from_addr((struct sockaddr *)&v4, &c), 0);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "192.0.2.7/32");
	assert_int_equal(cidr_match(&c, (struct sockaddr *)&v4), 1);
	inet_pton(AF_INET, "192.0.2.8", &v4.sin_addr);
	assert_int_equal(cidr_match(&c, (struct sockaddr *)&v4), 0);
	inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
	assert_int_equal(cidr_from_addr((struct sockaddr *)&v6, &c), 0);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "2001:db8::1/128");
	/* a v4-mapped address is kept as the IPv4 address it carries */
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &mapped.sin6_addr);
	assert_int_equal(cidr_from_addr((struct sockaddr *)&mapped, &c), 0);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "192.0.2.9/32");
	assert_int_equal(cidr_from_addr(&other, &c), -1);
	assert_int_equal(cidr_from_addr(NULL, &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_match_mapped),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_addr_text_port),
		cmocka_unit_test(test_client_key),
		cmocka_unit_test(test_from_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
