#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lockout.h"

static const uint8_t key[LOCKOUT_KEY_LEN] = "lockout test key, 32 bytes long";

static int fail_s(struct lockout *l, const char *k, int64_t now)
{
	return lockout_fail(l, k, strlen(k), now);
}

static int locked_s(struct lockout *l, const char *k, int64_t now, unsigned *retry)
{
	return lockout_check(l, k, strlen(k), now, retry);
}

/* SipHash-2-4 reference vectors: key 00..0f, message 00..len-1. */
static void test_siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{ 0, UINT64_C(0x726fdb47dd0e0e31) },
		{ 1, UINT64_C(0x74f839c593dc67fd) },
		{ 7, UINT64_C(0xab0200f58b01d137) },
		{ 8, UINT64_C(0x93f5f5799a932462) },
		{ 15, UINT64_C(0xa129ca6149be45e5) },
		{ 16, UINT64_C(0x3f2acc7f57c29bdb) },
		{ 19, UINT64_C(0xbb6dc91da77961bd) },
		{ 24, UINT64_C(0xb8ad50c6f649af94) },
		{ 63, UINT64_C(0x958a324ceb064572) },
	};
	uint8_t k[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (lockout_siphash(k, msg, v[i].len) != v[i].want)
			fail_msg("length %zu", v[i].len);
}

static void test_lock_after_threshold(void **state)
{
	struct lockout *l = lockout_new(1024, 5, 60, 300, key);
	unsigned retry = 0;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fail_s(l, "10.0.0.1", 1000 + i), 0);
		assert_int_equal(locked_s(l, "10.0.0.1", 1000 + i, &retry), 0);
	}
	/* the fifth failure starts the lockout, and says so once */
	assert_int_equal(fail_s(l, "10.0.0.1", 1010), 1);
	assert_int_equal(locked_s(l, "10.0.0.1", 1010, &retry), 1);
	assert_int_equal(retry, 300);
	assert_int_equal(fail_s(l, "10.0.0.1", 1011), 0);
	assert_int_equal(locked_s(l, "10.0.0.1", 1100, &retry), 1);
	assert_int_equal(retry, 210);
	assert_int_equal(locked_s(l, "10.0.0.1", 1309, &retry), 1);
	assert_int_equal(retry, 1);
	assert_int_equal(locked_s(l, "10.0.0.1", 1309, NULL), 1);
	/* failures while locked did not extend it */
	assert_int_equal(locked_s(l, "10.0.0.1", 1310, &retry), 0);

	/* other keys were never affected */
	assert_int_equal(locked_s(l, "10.0.0.2", 1010, &retry), 0);
	/* after the lockout the count starts again from zero */
	for (int i = 0; i < 4; i++)
		assert_int_equal(fail_s(l, "10.0.0.1", 1311), 0);
	assert_int_equal(locked_s(l, "10.0.0.1", 1311, &retry), 0);
	assert_int_equal(fail_s(l, "10.0.0.1", 1312), 1);
	lockout_free(l);
	lockout_free(NULL);
}

static void test_window(void **state)
{
	struct lockout *l = lockout_new(64, 3, 60, 300, key);

	(void)state;
	assert_non_null(l);
	/* three failures 30 s apart never fall inside one 60 s window */
	for (int64_t t = 0; t < 3000; t += 30) {
		assert_int_equal(fail_s(l, "slow", t), 0);
		assert_int_equal(locked_s(l, "slow", t, NULL), 0);
	}
	/* three within 59 s do */
	assert_int_equal(fail_s(l, "fast", 5000), 0);
	assert_int_equal(fail_s(l, "fast", 5030), 0);
	assert_int_equal(fail_s(l, "fast", 5059), 1);
	assert_int_equal(locked_s(l, "fast", 5059, NULL), 1);
	lockout_free(l);
}

static void test_success_and_clear(void **state)
{
	struct lockout *l = lockout_new(64, 5, 60, 300, key);

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 4; i++)
		fail_s(l, "alice", 100);
	lockout_success(l, "alice", 5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(fail_s(l, "alice", 101), 0);
	assert_int_equal(locked_s(l, "alice", 101, NULL), 0);
	assert_int_equal(fail_s(l, "alice", 101), 1);

	/* a success does not lift a lockout in force... */
	lockout_success(l, "alice", 5);
	assert_int_equal(locked_s(l, "alice", 102, NULL), 1);
	/* ...an administrator's clear does */
	lockout_clear(l, "alice", 5);
	assert_int_equal(locked_s(l, "alice", 102, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(fail_s(l, "alice", 103), 0);
	assert_int_equal(fail_s(l, "alice", 103), 1);

	/* success or clear of an unknown key is harmless */
	lockout_success(l, "nobody", 6);
	lockout_clear(l, "nobody", 6);
	assert_int_equal(locked_s(l, "alice", 103, NULL), 1);
	lockout_free(l);
}

/* known: a key with no failures on record has nothing for a success to
 * forget; one failure, a lockout or a past lockout make it known. */
static void test_check_reports_known_keys(void **state)
{
	struct lockout *l = lockout_new(64, 2, 60, 300, key);
	int known = -1;

	(void)state;
	assert_non_null(l);
	assert_int_equal(lockout_check_known(l, "bob", 3, 100, NULL, &known), 0);
	assert_int_equal(known, 0);
	fail_s(l, "bob", 100);
	assert_int_equal(lockout_check_known(l, "bob", 3, 100, NULL, &known), 0);
	assert_int_equal(known, 1);
	lockout_success(l, "bob", 3);
	assert_int_equal(lockout_check_known(l, "bob", 3, 100, NULL, &known), 0);
	assert_int_equal(known, 0);
	fail_s(l, "bob", 100);
	fail_s(l, "bob", 100);
	assert_int_equal(lockout_check_known(l, "bob", 3, 101, NULL, &known), 1);
	assert_int_equal(known, 1);
	/* long after the lockout the entry is still there (success keeps its
	 * locked_until), so a success still goes through the table */
	assert_int_equal(lockout_check_known(l, "bob", 3, 1000, NULL, &known), 0);
	assert_int_equal(known, 1);
	lockout_free(l);

	/* threshold 0: the table is off and knows nothing */
	l = lockout_new(64, 0, 60, 300, key);
	assert_non_null(l);
	assert_int_equal(lockout_check_known(l, "bob", 3, 100, NULL, &known), 0);
	assert_int_equal(known, 0);
	lockout_free(l);
}

static void test_binary_keys(void **state)
{
	struct lockout *l = lockout_new(64, 2, 60, 300, key);

	(void)state;
	assert_non_null(l);
	assert_int_equal(lockout_fail(l, "a\0b", 3, 1), 0);
	assert_int_equal(lockout_fail(l, "a\0c", 3, 1), 0);
	assert_int_equal(lockout_fail(l, "a", 1, 1), 0);
	assert_int_equal(lockout_fail(l, "", 0, 1), 0);
	assert_int_equal(lockout_fail(l, "a\0b", 3, 1), 1);
	assert_int_equal(lockout_check(l, "a\0b", 3, 1, NULL), 1);
	assert_int_equal(lockout_check(l, "a\0c", 3, 1, NULL), 0);
	assert_int_equal(lockout_check(l, "a", 1, 1, NULL), 0);
	assert_int_equal(lockout_fail(l, "", 0, 1), 1);
	assert_int_equal(lockout_check(l, "", 0, 1, NULL), 1);
	lockout_free(l);
}

static void test_disabled(void **state)
{
	struct lockout *l = lockout_new(8, 0, 60, 300, key);

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(fail_s(l, "x", 1), 0);
	assert_int_equal(locked_s(l, "x", 1, NULL), 0);
	lockout_free(l);

	/* a lockout of zero seconds locks nothing */
	l = lockout_new(8, 1, 60, 0, key);
	assert_non_null(l);
	assert_int_equal(fail_s(l, "x", 1), 0);
	assert_int_equal(locked_s(l, "x", 1, NULL), 0);
	lockout_free(l);
}

/* A reload changes the limits of a table in use: the new threshold and
 * duration apply to the next failures, a lockout in force keeps its end,
 * and threshold 0 turns the table off. */
static void test_set_limits(void **state)
{
	struct lockout *l = lockout_new(64, 5, 60, 300, key);
	unsigned retry = 0;

	(void)state;
	assert_non_null(l);
	assert_int_equal(fail_s(l, "a", 100), 0);
	assert_int_equal(fail_s(l, "a", 100), 0);
	lockout_set_limits(l, 3, 60, 30);
	assert_int_equal(fail_s(l, "a", 101), 1);       /* third failure, new threshold */
	assert_int_equal(locked_s(l, "a", 101, &retry), 1);
	assert_int_equal(retry, 30);                    /* new duration */
	assert_int_equal(locked_s(l, "a", 131, NULL), 0);

	lockout_set_limits(l, 1, 60, 300);
	assert_int_equal(fail_s(l, "b", 200), 1);
	lockout_set_limits(l, 1, 60, 10);
	assert_int_equal(locked_s(l, "b", 250, NULL), 1);  /* locked until 500 still */

	lockout_set_limits(l, 0, 60, 300);
	assert_int_equal(locked_s(l, "b", 250, NULL), 0);
	assert_int_equal(fail_s(l, "c", 250), 0);
	lockout_free(l);
}

static void test_sizes(void **state)
{
	struct lockout *l;
	size_t m8, m1000;

	(void)state;
	assert_null(lockout_new((size_t)LOCKOUT_SLOTS_MAX + 1, 5, 60, 300, key));
	l = lockout_new(0, 5, 60, 300, key);
	assert_non_null(l);
	m8 = lockout_memory(l);
	lockout_free(l);
	l = lockout_new(1000, 5, 60, 300, key);    /* rounded up to 1024 */
	assert_non_null(l);
	m1000 = lockout_memory(l);
	assert_true(m1000 >= m8 + (1024 - 8) * 16);
	assert_true(m1000 <= m8 + (1024 - 8) * 64);
	lockout_free(l);
}

static void spray_key(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "203.0.%u.%u", i >> 8, i & 255);
}

/*
 * One million distinct keys, one failure each, through a table of 1024
 * slots: memory does not move, and a key being hammered once the table is
 * full (one failure per 500 spray keys, about four newcomers in each
 * bucket in between) still gets locked, once, and stays locked. It must
 * not lose many failures on the way: while it has one failure it competes
 * with the spray, and only being the most recent keeps it in its bucket.
 */
static void test_spray_hammered(void **state)
{
	struct lockout *l = lockout_new(1024, 10, 600, 900, key);
	size_t mem;
	char k[32];
	int started = 0, spray_started = 0, tries = 0;

	(void)state;
	assert_non_null(l);
	mem = lockout_memory(l);
	for (unsigned i = 0; i < 1000000; i++) {
		int64_t now = 10000 + i / 10000;      /* 100 s in all */

		spray_key(k, sizeof(k), i);
		spray_started += fail_s(l, k, now);
		if (i >= 100000 && i % 500 == 0 && !locked_s(l, "victim", now, NULL)) {
			started += fail_s(l, "victim", now);
			tries++;
		}
	}
	assert_int_equal(started, 1);
	assert_in_range(tries, 10, 20);
	assert_int_equal(spray_started, 0);
	assert_int_equal(lockout_memory(l), mem);
	assert_int_equal(locked_s(l, "victim", 10100, NULL), 1);
	lockout_free(l);
}

/*
 * A key with two failures survives any number of one-failure keys: the
 * spray only displaces its own kind, so the count goes on where it was.
 */
static void test_spray_keeps_counts(void **state)
{
	struct lockout *l = lockout_new(1024, 10, 600, 900, key);
	char k[32];

	(void)state;
	assert_non_null(l);
	assert_int_equal(fail_s(l, "victim", 100), 0);
	assert_int_equal(fail_s(l, "victim", 100), 0);
	for (unsigned i = 0; i < 1000000; i++) {
		spray_key(k, sizeof(k), i);
		fail_s(l, k, 100 + i / 10000);
	}
	for (int i = 0; i < 7; i++)
		assert_int_equal(fail_s(l, "victim", 200), 0);
	assert_int_equal(fail_s(l, "victim", 200), 1);
	lockout_free(l);
}

/*
 * The spray the gate meets from a host that takes a new /64 for each guess
 * (the address tables count an IPv6 client by its /64): half a million
 * distinct keys through a table of 1024 slots. The table holds at most its
 * slots, whatever arrived; its memory does not move; and it keeps counting
 * newcomers (most of the last 1024 keys have their entry).
 */
static void test_spray_of_distinct_64s_stays_in_its_slots(void **state)
{
	struct lockout *l = lockout_new(1024, 5, 600, 600, key);
	size_t mem, known_all = 0, known_recent = 0;
	const unsigned n = 500000;
	char k[48];

	(void)state;
	assert_non_null(l);
	mem = lockout_memory(l);
	for (unsigned i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "fd01:0:%x:%x::/64", i >> 16, i & 0xffff);
		fail_s(l, k, 1000 + i / 10000);
	}
	for (unsigned i = 0; i < n; i++) {
		int known = 0;

		snprintf(k, sizeof(k), "fd01:0:%x:%x::/64", i >> 16, i & 0xffff);
		lockout_check_known(l, k, strlen(k), 1050, NULL, &known);
		known_all += (size_t)known;
		if (i >= n - 1024)
			known_recent += (size_t)known;
	}
	assert_true(known_all <= 1024);
	assert_true(known_recent >= 512);
	assert_int_equal(lockout_memory(l), mem);
	lockout_free(l);
}

/* One bucket (8 slots) makes the eviction order visible. */
static void test_eviction_order(void **state)
{
	struct lockout *l = lockout_new(8, 3, 60, 300, key);
	char k[8];

	(void)state;
	assert_non_null(l);
	/* a has two failures at t=0; b..h one each at t=50 */
	fail_s(l, "a", 0);
	fail_s(l, "a", 0);
	for (char c = 'b'; c <= 'h'; c++) {
		snprintf(k, sizeof(k), "%c", c);
		fail_s(l, k, 50);
	}
	/* at t=61 a's window is over: the newcomer takes a's slot, not one of
	 * the entries still counting */
	assert_int_equal(fail_s(l, "new", 61), 0);
	for (char c = 'b'; c <= 'h'; c++) {
		snprintf(k, sizeof(k), "%c", c);
		assert_int_equal(fail_s(l, k, 61), 0);
		assert_int_equal(fail_s(l, k, 62), 1);
	}
	lockout_free(l);

	/* every slot locked: the lockout that ends soonest makes room, so a
	 * new key is still counted */
	l = lockout_new(8, 1, 60, 300, key);
	assert_non_null(l);
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(fail_s(l, k, 100 + i), 1);
	}
	assert_int_equal(fail_s(l, "newcomer", 120), 1);
	assert_int_equal(locked_s(l, "newcomer", 120, NULL), 1);
	assert_int_equal(locked_s(l, "k0", 120, NULL), 0);
	for (int i = 1; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(locked_s(l, k, 120, NULL), 1);
	}
	lockout_free(l);
}

struct race {
	struct lockout *l;
	int started;
};

static void *race_cb(void *arg)
{
	struct race *r = arg;
	char k[32];

	for (unsigned i = 0; i < 20000; i++) {
		r->started += fail_s(r->l, "shared", 500);
		spray_key(k, sizeof(k), i);
		fail_s(r->l, k, 500);
	}
	return NULL;
}

/* Many threads failing the same key: the lockout starts exactly once. */
static void test_threads(void **state)
{
	struct lockout *l = lockout_new(1 << 16, 1000, 600, 900, key);
	struct race r[8];
	pthread_t t[8];
	int total = 0;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 8; i++) {
		r[i] = (struct race){ .l = l };
		assert_int_equal(pthread_create(&t[i], NULL, race_cb, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += r[i].started;
	}
	assert_int_equal(total, 1);
	assert_int_equal(locked_s(l, "shared", 500, NULL), 1);
	lockout_free(l);
}

/* Attempts admitted before they are decided count towards the threshold:
 * sixty sent at once get five checked, whatever order they settle in. */
static void test_admit_counts_attempts_in_flight(void **state)
{
	struct lockout *l = lockout_new(64, 5, 60, 300, key);
	unsigned retry = 0;
	int admitted = 0;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 60; i++)
		if (lockout_admit(l, "10.0.0.9", 8, 100, 100, &retry, NULL) == 0)
			admitted++;
		else
			assert_int_equal(retry, 1);
	assert_int_equal(admitted, 5);
	/* a check (the cached paths) refuses too while the five are out */
	assert_int_equal(lockout_check(l, "10.0.0.9", 8, 100, &retry), 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(lockout_settle(l, "10.0.0.9", 8, 101, 1), 0);
	/* four failures and one in flight: still full */
	assert_int_equal(lockout_admit(l, "10.0.0.9", 8, 101, 100, &retry, NULL), LOCKOUT_BUSY);
	assert_int_equal(lockout_settle(l, "10.0.0.9", 8, 101, 1), 1);
	assert_int_equal(lockout_admit(l, "10.0.0.9", 8, 102, 100, &retry, NULL), LOCKOUT_LOCKED);
	assert_int_equal(retry, 299);

	/* an attempt that does not fail frees its place */
	{
		unsigned pending = 0;

		assert_int_equal(lockout_admit(l, "b", 1, 100, 100, NULL, &pending), 0);
		assert_int_equal(pending, 1);
	}
	assert_int_equal(lockout_settle(l, "b", 1, 100, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(lockout_admit(l, "b", 1, 100, 100, NULL, NULL), 0);
	assert_int_equal(lockout_admit(l, "b", 1, 100, 100, NULL, NULL), LOCKOUT_BUSY);
	lockout_free(l);
}

/* max_pending bounds the attempts in flight below the threshold, and with
 * failures not counted at all (threshold 0) too. */
static void test_admit_bounds_pending(void **state)
{
	struct lockout *l = lockout_new(64, 0, 60, 300, key);

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lockout_admit(l, "x", 1, 100, 3, NULL, NULL), 0);
	assert_int_equal(lockout_admit(l, "x", 1, 100, 3, NULL, NULL), LOCKOUT_BUSY);
	assert_int_equal(lockout_admit(l, "y", 1, 100, 3, NULL, NULL), 0);
	lockout_settle(l, "x", 1, 100, 1);
	assert_int_equal(lockout_admit(l, "x", 1, 100, 3, NULL, NULL), 0);
	assert_int_equal(locked_s(l, "x", 100, NULL), 0);
	lockout_free(l);
}

/* An entry with attempts in flight is never the one forgotten: a spray of
 * new keys through a small table cannot reset a key's count in flight. */
static void test_pending_not_evicted(void **state)
{
	struct lockout *l = lockout_new(8, 5, 60, 300, key);
	char k[32];
	int refused = 0;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 5; i++)
		assert_int_equal(lockout_admit(l, "victim", 6, 100, 100, NULL, NULL), 0);
	for (unsigned i = 0; i < 1000; i++) {
		spray_key(k, sizeof(k), i);
		lockout_fail(l, k, strlen(k), 100);
	}
	assert_int_equal(lockout_admit(l, "victim", 6, 100, 100, NULL, NULL), LOCKOUT_BUSY);
	/* a full bucket whose entries all have attempts in flight admits no
	 * newcomer */
	for (unsigned i = 0; i < 100; i++) {
		spray_key(k, sizeof(k), 5000 + i);
		if (lockout_admit(l, k, strlen(k), 100, 100, NULL, NULL) != 0)
			refused++;
	}
	assert_int_equal(refused, 100 - 7);
	lockout_free(l);
}

/* forgive takes a number of failures off; take reads and forgets. */
static void test_forgive_and_take(void **state)
{
	struct lockout *l = lockout_new(64, 10, 60, 300, key);

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 9; i++)
		fail_s(l, "addr", 100);
	lockout_forgive(l, "addr", 4, 101, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fail_s(l, "addr", 102), 0);
	assert_int_equal(fail_s(l, "addr", 102), 1);
	/* forgiving never lifts a lockout */
	lockout_forgive(l, "addr", 4, 103, 100);
	assert_int_equal(locked_s(l, "addr", 103, NULL), 1);

	fail_s(l, "pair", 100);
	fail_s(l, "pair", 100);
	assert_int_equal(lockout_take(l, "pair", 4, 101), 2);
	assert_int_equal(lockout_take(l, "pair", 4, 101), 0);
	fail_s(l, "pair", 100);
	assert_int_equal(lockout_take(l, "pair", 4, 200), 0);   /* its window is over */
	lockout_free(l);
}

/* Many threads admitting and failing one key: never more failures settled
 * than the threshold before it locks. */
struct admit_race {
	struct lockout *l;
	int checked;
};

static void *admit_race_cb(void *arg)
{
	struct admit_race *r = arg;

	for (int i = 0; i < 20000; i++) {
		if (lockout_admit(r->l, "one", 3, 100, 1000, NULL, NULL) == 0) {
			r->checked++;
			lockout_settle(r->l, "one", 3, 100, 1);
		}
	}
	return NULL;
}

static void test_admit_threads(void **state)
{
	struct lockout *l = lockout_new(64, 10, 600, 900, key);
	struct admit_race r[8];
	pthread_t t[8];
	int total = 0;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 8; i++) {
		r[i] = (struct admit_race){ .l = l };
		assert_int_equal(pthread_create(&t[i], NULL, admit_race_cb, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += r[i].checked;
	}
	assert_int_equal(total, 10);
	lockout_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_lock_after_threshold),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_success_and_clear),
		cmocka_unit_test(test_binary_keys),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_set_limits),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_spray_hammered),
		cmocka_unit_test(test_spray_keeps_counts),
		cmocka_unit_test(test_spray_of_distinct_64s_stays_in_its_slots),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_check_reports_known_keys),
		cmocka_unit_test(test_admit_counts_attempts_in_flight),
		cmocka_unit_test(test_admit_bounds_pending),
		cmocka_unit_test(test_pending_not_evicted),
		cmocka_unit_test(test_forgive_and_take),
		cmocka_unit_test(test_admit_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
