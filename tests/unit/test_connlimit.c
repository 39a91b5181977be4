#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "connlimit.h"

static const uint8_t key[ADDRMAP_KEY_LEN] = "connlimit key 16";

static struct sockaddr_storage sa(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void test_counts_exactly(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct sockaddr_storage a = sa("10.0.0.1"), b = sa("10.0.0.2");
	unsigned open = 0;

	(void)state;
	assert_non_null(cl);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(connlimit_acquire(cl, SA(a), 3, &open), 0);
		assert_int_equal(open, i);
	}
	assert_int_equal(connlimit_acquire(cl, SA(a), 3, &open), 1);
	assert_int_equal(open, 3);
	/* another address has its own count */
	assert_int_equal(connlimit_acquire(cl, SA(b), 3, &open), 0);
	assert_int_equal(open, 1);
	connlimit_release(cl, SA(a));
	assert_int_equal(connlimit_open(cl, SA(a)), 2);
	assert_int_equal(connlimit_acquire(cl, SA(a), 3, NULL), 0);
	for (int i = 0; i < 3; i++)
		connlimit_release(cl, SA(a));
	assert_int_equal(connlimit_open(cl, SA(a)), 0);
	/* a release of an address with nothing open changes nothing */
	connlimit_release(cl, SA(a));
	assert_int_equal(connlimit_open(cl, SA(a)), 0);
	assert_int_equal(connlimit_open(cl, SA(b)), 1);
	connlimit_free(cl);
}

/* A client on a dual-stack listener is the same client as over IPv4. */
static void test_v4_mapped_is_the_v4_client(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct sockaddr_storage v4 = sa("192.0.2.7"), mapped = sa("::ffff:192.0.2.7"),
				v6 = sa("2001:db8::7");

	(void)state;
	assert_non_null(cl);
	assert_int_equal(connlimit_acquire(cl, SA(v4), 2, NULL), 0);
	assert_int_equal(connlimit_acquire(cl, SA(mapped), 2, NULL), 0);
	assert_int_equal(connlimit_acquire(cl, SA(v4), 2, NULL), 1);
	assert_int_equal(connlimit_acquire(cl, SA(v6), 2, NULL), 0);
	connlimit_free(cl);
}

/* An IPv6 client is counted by its /64: a SLAAC host can take a new
 * address in it for every connection. Another /64 has its own count. */
static void test_v6_counted_by_64(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct sockaddr_storage a = sa("fd00:201::101"), b = sa("fd00:201::1e:ffff:2"),
				c = sa("fd00:201::3"), other = sa("fd00:201:0:1::101");

	(void)state;
	assert_non_null(cl);
	assert_int_equal(connlimit_acquire(cl, SA(a), 2, NULL), 0);
	assert_int_equal(connlimit_acquire(cl, SA(b), 2, NULL), 0);
	assert_int_equal(connlimit_acquire(cl, SA(c), 2, NULL), 1);
	assert_int_equal(connlimit_open(cl, SA(c)), 2);
	assert_int_equal(connlimit_acquire(cl, SA(other), 2, NULL), 0);
	connlimit_release(cl, SA(b));
	assert_int_equal(connlimit_acquire(cl, SA(c), 2, NULL), 0);
	connlimit_free(cl);
}

/* No other address can use up a client's allowance, however many there
 * are (the old counters were shared by every address whose unkeyed hash
 * fell in the same slot). */
static void test_many_addresses_never_share(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct sockaddr_storage victim = sa("10.9.9.9");

	(void)state;
	assert_non_null(cl);
	for (unsigned i = 0; i < 70000; i++) {
		struct sockaddr_storage x;
		char text[32];

		snprintf(text, sizeof(text), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		x = sa(text);
		if (strcmp(text, "10.9.9.9") == 0)
			continue;
		assert_int_equal(connlimit_acquire(cl, SA(x), 1, NULL), 0);
	}
	assert_int_equal(connlimit_acquire(cl, SA(victim), 1, NULL), 0);
	assert_int_equal(connlimit_acquire(cl, SA(victim), 1, NULL), 1);
	connlimit_free(cl);
}

/*
 * Half a million clients, each from a /64 of its own, at most 8 connected
 * at once (the spray a host that takes a new prefix per guess sends): an
 * address's entry goes with its last connection, so the table holds the
 * clients connected now, not the clients seen, and stays the size of the
 * busiest moment.
 */
static void test_entries_bounded_by_open_not_by_seen(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct sockaddr_storage open[8];
	size_t addresses, slots, slots_early = 0;

	(void)state;
	assert_non_null(cl);
	for (unsigned i = 0; i < 500000; i++) {
		char text[48];

		if (i >= 8)
			connlimit_release(cl, SA(open[i % 8]));
		snprintf(text, sizeof(text), "fd01:0:%x:%x::1", i >> 16, i & 0xffff);
		open[i % 8] = sa(text);
		assert_int_equal(connlimit_acquire(cl, SA(open[i % 8]), 4, NULL), 0);
		if (i == 1000) {
			connlimit_size(cl, &addresses, &slots_early);
			assert_int_equal(addresses, 8);
		}
	}
	connlimit_size(cl, &addresses, &slots);
	assert_int_equal(addresses, 8);
	assert_int_equal(slots, slots_early);
	for (unsigned i = 0; i < 8; i++)
		connlimit_release(cl, SA(open[i]));
	connlimit_size(cl, &addresses, &slots);
	assert_int_equal(addresses, 0);
	connlimit_free(cl);
}

static void test_refusal_lines_rate_limited(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	uint64_t n = 0;

	(void)state;
	assert_non_null(cl);
	assert_int_equal(connlimit_note_refusal(cl, 100, &n), 1);
	assert_int_equal(n, 1);
	for (int i = 0; i < 50; i++)
		assert_int_equal(connlimit_note_refusal(cl, 100, &n), 0);
	assert_int_equal(connlimit_note_refusal(cl, 101, &n), 1);
	assert_int_equal(n, 51);
	connlimit_free(cl);
}

struct race {
	struct connlimit *cl;
};

static void *race_cb(void *arg)
{
	struct race *r = arg;
	struct sockaddr_storage a = sa("10.1.1.1");

	for (int i = 0; i < 50000; i++) {
		if (connlimit_acquire(r->cl, SA(a), 1000000, NULL) == 0)
			connlimit_release(r->cl, SA(a));
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct connlimit *cl = connlimit_new(key);
	struct race r = { cl };
	pthread_t t[4];
	struct sockaddr_storage a = sa("10.1.1.1");

	(void)state;
	assert_non_null(cl);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_cb, &r), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(connlimit_open(cl, SA(a)), 0);
	connlimit_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_exactly),
		cmocka_unit_test(test_v4_mapped_is_the_v4_client),
		cmocka_unit_test(test_v6_counted_by_64),
		cmocka_unit_test(test_many_addresses_never_share),
		cmocka_unit_test(test_entries_bounded_by_open_not_by_seen),
		cmocka_unit_test(test_refusal_lines_rate_limited),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
