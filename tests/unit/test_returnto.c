#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "returnto.h"

static const char url[] = "http://origin.test/page?a=b";
static const uint8_t no_mac[6];
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb };

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	inet_pton(AF_INET, text, &sa.sin_addr);
	return sa;
}

static struct sockaddr_in6 v6(const char *text)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, text, &sa.sin6_addr);
	return sa;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_good_for_the_client_it_was_made_for(void **state)
{
	struct sockaddr_in c = v4("10.0.0.2");
	char sig[RETURNTO_SIG_MAX];

	(void)state;
	assert_int_equal(returnto_sign(SA(c), no_mac, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, sig, 1000000), 1);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, sig, 1000000 + RETURNTO_LIFETIME_S), 1);
}

/* the open redirect: another URL with a good signature, or any URL with
 * a made-up one, leads nowhere */
static void test_other_url_or_forged_signature(void **state)
{
	struct sockaddr_in c = v4("10.0.0.2");
	char sig[RETURNTO_SIG_MAX], forged[RETURNTO_SIG_MAX];

	(void)state;
	assert_int_equal(returnto_sign(SA(c), no_mac, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, "http://evil.example/", sig, 1000000), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, "http://origin.test/page?a=c", sig, 1000000), 0);
	memcpy(forged, sig, sizeof(sig));
	forged[strlen(forged) - 1] ^= 1;
	assert_int_equal(returnto_verify(SA(c), no_mac, url, forged, 1000000), 0);
	/* the time is signed too: a newer time on an old signature fails */
	assert_int_equal(strncmp(sig, "1000000.", 8), 0);
	memcpy(forged, sig, sizeof(sig));
	memcpy(forged, "1000100", 7);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, forged, 1000100), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, "", 1000000), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, ".", 1000000), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, "1000000.", 1000000), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, NULL, 1000000), 0);
}

/* a link the intercept made for one client is no good to another (an
 * attacker cannot mint a link to his page and hand it to a victim) */
static void test_other_client(void **state)
{
	struct sockaddr_in c = v4("10.0.0.2"), other = v4("10.0.0.3");
	char sig[RETURNTO_SIG_MAX];

	(void)state;
	assert_int_equal(returnto_sign(SA(c), no_mac, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(other), no_mac, url, sig, 1000000), 0);
	assert_int_equal(returnto_sign(SA(c), mac_a, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(c), mac_b, url, sig, 1000000), 0);
	assert_int_equal(returnto_verify(SA(other), mac_b, url, sig, 1000000), 0);
}

/* bound to the device's MAC when the gateway knows it: the portal is
 * reached over IPv4 after an IPv6 request was intercepted */
static void test_same_device_other_address(void **state)
{
	struct sockaddr_in6 asked = v6("fd00::2");
	struct sockaddr_in portal = v4("10.0.0.2");
	char sig[RETURNTO_SIG_MAX];

	(void)state;
	assert_int_equal(returnto_sign(SA(asked), mac_a, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(portal), mac_a, url, sig, 1000000), 1);
	assert_int_equal(returnto_verify(SA(portal), no_mac, url, sig, 1000000), 0);
}

static void test_expires(void **state)
{
	struct sockaddr_in c = v4("10.0.0.2");
	char sig[RETURNTO_SIG_MAX];

	(void)state;
	assert_int_equal(returnto_sign(SA(c), no_mac, url, 1000000, sig, sizeof(sig)), 0);
	assert_int_equal(returnto_verify(SA(c), no_mac, url, sig, 1000000 + RETURNTO_LIFETIME_S + 1), 0);
	/* nor from the future */
	assert_int_equal(returnto_verify(SA(c), no_mac, url, sig, 1000000 - 61), 0);
}

static void test_small_buffer(void **state)
{
	struct sockaddr_in c = v4("10.0.0.2");
	char sig[16];

	(void)state;
	assert_int_equal(returnto_sign(SA(c), no_mac, url, 1000000, sig, sizeof(sig)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_for_the_client_it_was_made_for),
		cmocka_unit_test(test_other_url_or_forged_signature),
		cmocka_unit_test(test_other_client),
		cmocka_unit_test(test_same_device_other_address),
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
