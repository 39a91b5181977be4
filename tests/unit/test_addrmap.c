#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"

static const uint8_t key_a[ADDRMAP_KEY_LEN] = "0123456789abcdef";
static const uint8_t key_b[ADDRMAP_KEY_LEN] = "fedcba9876543210";

/* The i-th test address: even i in 10.0.0.0/8, odd i in fd00:201::/64. */
static struct addrmap_addr nth(uint32_t i)
{
	struct addrmap_addr a;

	memset(&a, 0, sizeof(a));
	if (i % 2 == 0) {
		uint32_t v = htonl(0x0a000000u | (i / 2));

		a.family = AF_INET;
		memcpy(a.bytes, &v, 4);
	} else {
		uint32_t v = htonl(i / 2);

		a.family = AF_INET6;
		a.bytes[0] = 0xfd;
		a.bytes[3] = 0x02;
		a.bytes[5] = 0x01;
		memcpy(a.bytes + 12, &v, 4);
	}
	return a;
}

static struct addrmap_addr parse(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct addrmap_addr a;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		fail_msg("bad test address %s", text);
	assert_int_equal(addrmap_addr_from_sockaddr((struct sockaddr *)&ss, &a), 0);
	return a;
}

static size_t get(const struct addrmap *m, const struct addrmap_addr *a)
{
	size_t v = 0;

	if (!addrmap_get(m, a, &v))
		return (size_t)-1;
	return v;
}

static void test_addr_from_sockaddr(void **state)
{
	struct addrmap_addr a = parse("192.0.2.7"), mapped = parse("::ffff:192.0.2.7");
	struct addrmap_addr v6 = parse("2001:db8::7");
	struct sockaddr_storage ss;
	struct addrmap *m = addrmap_new(key_a);

	(void)state;
	assert_non_null(m);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(&a, &mapped, sizeof(a));
	assert_int_equal(v6.family, AF_INET6);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(addrmap_addr_from_sockaddr((struct sockaddr *)&ss, &a), -1);
	assert_int_equal(addrmap_addr_from_sockaddr(NULL, &a), -1);

	/* a client on a dual-stack listener is the same client */
	a = parse("192.0.2.7");
	assert_int_equal(addrmap_put(m, &a, 42), 0);
	assert_int_equal(get(m, &mapped), 42);
	addrmap_free(m);
}

static void test_family_distinguishes(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	struct addrmap_addr v4 = parse("10.0.0.1"), v6 = parse("a00:1::");

	(void)state;
	assert_non_null(m);
	/* same leading bytes, different families: two clients */
	assert_memory_equal(v4.bytes, v6.bytes, 4);
	assert_int_equal(addrmap_put(m, &v4, 1), 0);
	assert_int_equal(addrmap_get(m, &v6, NULL), 0);
	assert_int_equal(addrmap_put(m, &v6, 2), 0);
	assert_int_equal(get(m, &v4), 1);
	assert_int_equal(get(m, &v6), 2);
	assert_int_equal(addrmap_count(m), 2);
	addrmap_free(m);
}

static void test_put_replaces(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	struct addrmap_addr a = parse("2001:db8::1");

	(void)state;
	assert_non_null(m);
	assert_int_equal(addrmap_put(m, &a, 5), 0);
	assert_int_equal(addrmap_put(m, &a, 9), 0);
	assert_int_equal(addrmap_count(m), 1);
	assert_int_equal(get(m, &a), 9);
	assert_int_equal(addrmap_del(m, &a), 1);
	assert_int_equal(addrmap_del(m, &a), 0);
	assert_int_equal(addrmap_get(m, &a, NULL), 0);
	assert_int_equal(addrmap_count(m), 0);
	addrmap_free(m);
}

static void test_growth(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	uint32_t i;

	(void)state;
	assert_non_null(m);
	assert_int_equal(addrmap_slots(m), ADDRMAP_MIN_SLOTS);
	for (i = 0; i < ADDRMAP_MIN_SLOTS / 2; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	assert_int_equal(addrmap_slots(m), ADDRMAP_MIN_SLOTS);
	{
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	assert_int_equal(addrmap_slots(m), 2 * ADDRMAP_MIN_SLOTS);
	for (uint32_t k = 0; k <= i; k++) {
		struct addrmap_addr a = nth(k);

		assert_int_equal(get(m, &a), k);
	}
	addrmap_free(m);
}

/* Reserved room is allocated at once: filling it does not grow the map,
 * and what was there before is still found. */
static void test_reserve(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	uint32_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 5; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	assert_int_equal(addrmap_reserve(m, 3), 0);
	assert_int_equal(addrmap_slots(m), ADDRMAP_MIN_SLOTS);
	assert_int_equal(addrmap_reserve(m, 10000), 0);
	assert_int_equal(addrmap_slots(m), 32768);
	for (; i < 10000; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	assert_int_equal(addrmap_slots(m), 32768);
	assert_int_equal(addrmap_count(m), 10000);
	for (uint32_t k = 0; k < i; k++) {
		struct addrmap_addr a = nth(k);

		assert_int_equal(get(m, &a), k);
	}
	addrmap_free(m);
}

/* Cleared, the map is empty but keeps its table, and fills again (the
 * maintenance round keeps its maps this way from one round to the next). */
static void test_clear_keeps_table(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	size_t v;

	(void)state;
	assert_non_null(m);
	assert_int_equal(addrmap_reserve(m, 10000), 0);
	for (uint32_t i = 0; i < 10000; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	addrmap_clear(m);
	assert_int_equal(addrmap_count(m), 0);
	assert_int_equal(addrmap_slots(m), 32768);
	for (uint32_t i = 0; i < 10000; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_get(m, &a, &v), 0);
	}
	for (uint32_t i = 5000; i < 15000; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i + 1), 0);
	}
	assert_int_equal(addrmap_count(m), 10000);
	assert_int_equal(addrmap_slots(m), 32768);
	for (uint32_t i = 0; i < 15000; i++) {
		struct addrmap_addr a = nth(i);

		if (i < 5000)
			assert_int_equal(addrmap_get(m, &a, &v), 0);
		else
			assert_int_equal(get(m, &a), i + 1);
	}
	addrmap_free(m);
}

/* Addresses whose chains start at slot `home` of a fresh map, from the
 * test sequence (the map's key decides which those are). */
static size_t find_homed(const struct addrmap *m, size_t home, uint32_t *from,
			 struct addrmap_addr *out, size_t want)
{
	size_t got = 0;

	while (got < want && *from < 1000000) {
		struct addrmap_addr a = nth((*from)++);

		if (addrmap_home(m, &a) == home)
			out[got++] = a;
	}
	return got;
}

/*
 * Three addresses homed at the last slot fill it and wrap to slots 0 and 1;
 * one homed at slot 0 lands in slot 2. Deleting the first must shift the
 * chain back across the wrap: if it merely emptied its slot, the others'
 * probes would stop there and they would be lost; if it moved the one homed
 * at 0 into the last slot, that one would be lost.
 */
static void test_delete_shifts_chain(void **state)
{
	struct addrmap *m = addrmap_new(key_a);
	struct addrmap_addr last[3], zero[1], other[1];
	size_t top = ADDRMAP_MIN_SLOTS - 1;
	uint32_t from = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(find_homed(m, top, &from, last, 3), 3);
	assert_int_equal(find_homed(m, 0, &from, zero, 1), 1);
	assert_int_equal(find_homed(m, 5, &from, other, 1), 1);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(addrmap_put(m, &last[i], 100 + i), 0);
	assert_int_equal(addrmap_put(m, &zero[0], 200), 0);
	assert_int_equal(addrmap_put(m, &other[0], 300), 0);
	assert_int_equal(addrmap_slots(m), ADDRMAP_MIN_SLOTS);

	assert_int_equal(addrmap_del(m, &last[0]), 1);
	assert_int_equal(addrmap_get(m, &last[0], NULL), 0);
	assert_int_equal(get(m, &last[1]), 101);
	assert_int_equal(get(m, &last[2]), 102);
	assert_int_equal(get(m, &zero[0]), 200);
	assert_int_equal(get(m, &other[0]), 300);

	/* and from the middle of the chain, then the rest */
	assert_int_equal(addrmap_del(m, &last[2]), 1);
	assert_int_equal(get(m, &last[1]), 101);
	assert_int_equal(get(m, &zero[0]), 200);
	assert_int_equal(addrmap_del(m, &last[1]), 1);
	assert_int_equal(get(m, &zero[0]), 200);
	assert_int_equal(addrmap_count(m), 2);
	addrmap_free(m);
}

/*
 * The way sessions.c uses the map: an array of records and the map from
 * each record's address to its position. Removing a record moves the last
 * one into its place, and the map must follow. Checked against the array
 * after every step, with a small address pool so chains collide and
 * deletions shift them.
 */
static void test_swap_on_delete_model(void **state)
{
	enum { POOL = 200, STEPS = 20000 };
	struct addrmap *m = addrmap_new(key_b);
	uint32_t arr[POOL];
	size_t n = 0;
	uint32_t rng = 12345;

	(void)state;
	assert_non_null(m);
	for (int step = 0; step < STEPS; step++) {
		uint32_t pick;
		struct addrmap_addr a;
		size_t pos = 0;
		int present;

		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		pick = rng % POOL;
		a = nth(pick);
		present = addrmap_get(m, &a, &pos);
		if (!present && (rng >> 16) % 3 != 0) {
			assert_int_equal(addrmap_put(m, &a, n), 0);
			arr[n++] = pick;
		} else if (present) {
			struct addrmap_addr moved;

			assert_int_equal(arr[pos], pick);
			assert_int_equal(addrmap_del(m, &a), 1);
			if (pos != n - 1) {
				moved = nth(arr[n - 1]);
				assert_int_equal(addrmap_put(m, &moved, pos), 0);
				arr[pos] = arr[n - 1];
			}
			n--;
		}
		assert_int_equal(addrmap_count(m), n);
		if (step % 97 == 0 || n < 20) {
			for (size_t i = 0; i < n; i++) {
				struct addrmap_addr b = nth(arr[i]);

				assert_int_equal(get(m, &b), i);
			}
		}
	}
	/* everything not in the array is absent */
	for (uint32_t p = 0; p < POOL; p++) {
		struct addrmap_addr b = nth(p);
		int in_arr = 0;

		for (size_t i = 0; i < n; i++)
			in_arr |= arr[i] == p;
		assert_int_equal(addrmap_get(m, &b, NULL), in_arr);
	}
	addrmap_free(m);
}

static void test_hundred_thousand(void **state)
{
	enum { N = 100000 };
	struct addrmap *m = addrmap_new(key_a);

	(void)state;
	assert_non_null(m);
	for (uint32_t i = 0; i < N; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_put(m, &a, i), 0);
	}
	assert_int_equal(addrmap_count(m), N);
	assert_true(addrmap_slots(m) >= 2 * N);
	assert_int_equal(addrmap_slots(m) & (addrmap_slots(m) - 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(get(m, &a), i);
	}
	for (uint32_t i = N; i < N + 1000; i++) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_get(m, &a, NULL), 0);
	}
	/* every third goes */
	for (uint32_t i = 0; i < N; i += 3) {
		struct addrmap_addr a = nth(i);

		assert_int_equal(addrmap_del(m, &a), 1);
	}
	for (uint32_t i = 0; i < N; i++) {
		struct addrmap_addr a = nth(i);

		if (i % 3 == 0)
			assert_int_equal(addrmap_get(m, &a, NULL), 0);
		else
			assert_int_equal(get(m, &a), i);
	}
	assert_int_equal(addrmap_count(m), N - (N + 2) / 3);
	addrmap_free(m);
}

/* The key decides the chains: the same addresses under another key start
 * elsewhere, so an attacker who does not know it cannot aim at one chain. */
static void test_key_decides_homes(void **state)
{
	struct addrmap *ma = addrmap_new(key_a), *mb = addrmap_new(key_b);
	int differ = 0;

	(void)state;
	assert_non_null(ma);
	assert_non_null(mb);
	for (uint32_t i = 0; i < 1000; i++) {
		struct addrmap_addr a = nth(i);

		differ += addrmap_home(ma, &a) != addrmap_home(mb, &a);
	}
	/* 1/16 agree by chance: about 937 differ */
	assert_true(differ > 850);
	addrmap_free(ma);
	addrmap_free(mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_from_sockaddr),
		cmocka_unit_test(test_family_distinguishes),
		cmocka_unit_test(test_put_replaces),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_clear_keeps_table),
		cmocka_unit_test(test_delete_shifts_chain),
		cmocka_unit_test(test_swap_on_delete_model),
		cmocka_unit_test(test_hundred_thousand),
		cmocka_unit_test(test_key_decides_homes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
